/* --ring0: builds page tables of its own that map the 2 MiB just past the
 * end of RAM, then reads there.  No memory backs that guest-physical
 * address, so KVM exits with MMIO: the monitor must report an access
 * beyond guest RAM (SIGBUS, 135). */
#include "kvmelf.h"

#pragma GCC target("general-regs-only")   /* ring-0 SSE is not emulated here */

#define PTE_P  0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL
#define MIB2   0x200000ULL

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));

int main(void)
{
    uint64_t ram = kvmelf_boot_info()->ram_size;

    if (ram > 512 * MIB2 - MIB2) {
        printf("mmio: needs --mem below 1 GiB\n");
        return 2;
    }
    for (uint64_t i = 0; i <= ram / MIB2; i++)   /* RAM and 2 MiB past it */
        pd[i] = i * MIB2 | PTE_P | PTE_RW | PTE_PS;
    pdpt[0] = (uint64_t)pd | PTE_P | PTE_RW;
    pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW;
    printf("mmio: reading guest-physical 0x%llx\n", (unsigned long long)ram);
    __asm__ volatile("mov %0, %%cr3" : : "r"(pml4) : "memory");
    volatile uint8_t *beyond = (volatile uint8_t *)ram;
    uint8_t v = *beyond;
    printf("mmio: read 0x%x?!\n", v);
    return 1;
}
