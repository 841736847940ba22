/* --ring0: an empty IDT makes ud2 fault while delivering, then fault
 * again delivering #DF: a triple fault, which KVM reports as a shutdown.
 * The monitor must say so and exit 139, never 0. */
#include "kvmelf.h"

#pragma GCC target("general-regs-only")   /* ring-0 SSE is not emulated here */

int main(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idt = { 0, 0 };

    printf("triplefault: loading an empty IDT\n");
    __asm__ volatile("lidt %0\n\tud2" : : "m"(idt));
    printf("triplefault: still running?!\n");
    return 1;
}
