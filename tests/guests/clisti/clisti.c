/* cli/sti: a #GP in ring 3 that the monitor treats as a no-op. */
#include "kvmelf.h"

int main(void)
{
    __asm__ volatile("cli" ::: "memory");
    __asm__ volatile("sti" ::: "memory");
    printf("clisti: ok\n");
    return 0;
}
