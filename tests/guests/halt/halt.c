/* hlt ends the guest with status 0 (ring 3: the monitor catches the #GP). */
#include "kvmelf.h"

int main(void)
{
    printf("halt: bye\n");
    __asm__ volatile("hlt");
    puts("halt: still running?!");
    return 1;
}
