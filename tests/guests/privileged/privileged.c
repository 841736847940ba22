/*
 * mov to CR3: a #GP in ring 3, which the monitor reports (the guest needs
 * --ring0).  With --ring0 the current CR3 is read first and written back
 * (a harmless TLB flush), so the guest then finishes normally.
 */
#include "kvmelf.h"

int main(void)
{
    uint64_t cr3 = 0;

    printf("privileged: loading cr3\n");
    if (kvmelf_boot_info()->flags & KVMELF_BOOT_RING0)
        __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    __asm__ volatile("mov %0, %%cr3" : : "a"(cr3) : "memory");
    printf("privileged: cr3 reloaded\n");
    return 0;
}
