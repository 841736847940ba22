/*
 * Reads memory a ring-3 guest has no page for:
 *   beyondram          one page past the end of guest RAM
 *   beyondram monitor  the IDT page (0x2000): mapped, but supervisor-only
 * Keep the CRASH-HERE markers on the faulting lines.
 */
#include "kvmelf.h"

int main(int argc, char **argv)
{
    volatile char *p;

    if (argc > 1 && strcmp(argv[1], "monitor") == 0) {
        p = (volatile char *)KVMELF_IDT_ADDR;
        puts("beyondram: about to read the monitor's IDT");
        printf("beyondram: still alive?! %d\n", *p); /* CRASH-HERE monitor */
    } else {
        p = (volatile char *)(kvmelf_boot_info()->ram_size + 0x1000);
        puts("beyondram: about to read past the end of RAM");
        printf("beyondram: still alive?! %d\n", *p); /* CRASH-HERE */
    }
    return 1;
}
