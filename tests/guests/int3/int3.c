/* int3 with the monitor's IDT: a #BP crash report (SIGTRAP, 133). */
#include "kvmelf.h"

int main(void)
{
    puts("int3: about to execute int3");
    __asm__ volatile("int3");
    puts("int3: still alive?!");
    return 1;
}
