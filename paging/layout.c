/* The ABI's memory map (include/kvmelf/abi.h, docs/abi.md) as regions. */
#include "paging.h"

#define SUPERVISOR_RW  (PAGE_PRESENT | PAGE_WRITE)
#define SUPERVISOR_RX  (PAGE_PRESENT | PAGE_EXEC)
#define USER_RO        (PAGE_PRESENT | PAGE_USER)
#define USER_RW        (PAGE_PRESENT | PAGE_USER | PAGE_WRITE)
#define USER_RWX       (USER_RW | PAGE_EXEC)

static int add_region(struct memory_map *map, gpa_t start, gpa_t end,
                      unsigned attrs, const char *what)
{
    if (map->count == PAGING_MAX_REGIONS)
        return -1;
    map->regions[map->count++] =
        (struct mem_region){ .start = start, .end = end, .attrs = attrs,
                             .what = what };
    return 0;
}

int paging_memory_map(uint64_t ram_size, struct memory_map *map,
                      struct kerr *err)
{
    const uint64_t top_reserve = KVMELF_STACK_SIZE + KVMELF_GUARD_SIZE;
    char ram[32];

    map->count = 0;
    if (ram_size % KVMELF_PAGE_SIZE || ram_size < KVMELF_RESERVED_END ||
        ram_size - KVMELF_RESERVED_END < top_reserve)
        return kerr_set(err, "guest RAM of %s cannot hold the monitor's "
                        "area, a stack and a program",
                        format_size(ram_size, ram, sizeof ram));

    gpa_t stack = ram_size - KVMELF_STACK_SIZE;
    gpa_t guard = stack - KVMELF_GUARD_SIZE;
    /* Page 0 [0, GDT) and the page tables are deliberately absent. */
    add_region(map, KVMELF_GDT_ADDR, KVMELF_STUB_ADDR, SUPERVISOR_RW,
               "GDT, IDT, TSS");
    add_region(map, KVMELF_STUB_ADDR, KVMELF_KSTACK_ADDR, SUPERVISOR_RX,
               "exception stubs");
    add_region(map, KVMELF_KSTACK_ADDR, KVMELF_IST_MC_TOP, SUPERVISOR_RW,
               "ring-0 stacks");
    add_region(map, KVMELF_BOOT_INFO_ADDR, KVMELF_ARGS_END, USER_RO,
               "boot info, arguments");
    if (guard > KVMELF_RESERVED_END)
        add_region(map, KVMELF_RESERVED_END, guard, USER_RWX,
                   "program and heap");
    add_region(map, stack, ram_size, USER_RW, "stack");
    return 0;
}
