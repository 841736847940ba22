/* The ABI's memory map (include/kvmelf/abi.h, docs/abi.md) as regions. */
#include "paging.h"

#include <stdlib.h>

#define SUPERVISOR_RW  (PAGE_PRESENT | PAGE_WRITE)
#define SUPERVISOR_RX  (PAGE_PRESENT | PAGE_EXEC)
#define USER_RO        (PAGE_PRESENT | PAGE_USER)
#define USER_RW        (PAGE_PRESENT | PAGE_USER | PAGE_WRITE)
#define WX             (PAGE_WRITE | PAGE_EXEC)

static gpa_t page_down(gpa_t a) { return a & ~(gpa_t)(KVMELF_PAGE_SIZE - 1); }
static gpa_t page_up(gpa_t a) { return page_down(a + KVMELF_PAGE_SIZE - 1); }

/* Appends [start, end), merging with the previous region when it continues
 * it with the same rights. */
static int add_region(struct memory_map *map, gpa_t start, gpa_t end,
                      unsigned attrs, const char *what)
{
    struct mem_region *prev = map->count ? &map->regions[map->count - 1] : NULL;

    if (start >= end)
        return 0;
    if (prev && prev->end == start && prev->attrs == attrs &&
        prev->what == what) {
        prev->end = end;
        return 0;
    }
    if (map->count == PAGING_MAX_REGIONS)
        return -1;
    map->regions[map->count++] =
        (struct mem_region){ .start = start, .end = end, .attrs = attrs,
                             .what = what };
    return 0;
}

static const char *segment_what(unsigned attrs)
{
    if (attrs & PAGE_EXEC)
        return attrs & PAGE_WRITE ? "program text+data (W+X)" : "program text";
    return attrs & PAGE_WRITE ? "program data" : "program read-only data";
}

static int wx_error(const struct paging_config *cfg, gpa_t page,
                    struct kerr *err)
{
    const struct segment_perm *first = NULL;

    for (size_t i = 0; i < cfg->nsegs; i++) {
        const struct segment_perm *s = &cfg->segs[i];
        if (page_down(s->start) > page || page_up(s->end) <= page)
            continue;
        if ((s->attrs & WX) == WX)
            return kerr_set(err, "segment %u [0x%llx, 0x%llx) is writable and "
                            "executable (PF_W|PF_X): link text and data into "
                            "separate segments, or run with --allow-wx",
                            s->index, (unsigned long long)s->start,
                            (unsigned long long)s->end);
        if (first)
            return kerr_set(err, "segments %u and %u share the page at 0x%llx, "
                            "which would be writable and executable: "
                            "page-align the segments (ld -z separate-code), "
                            "or run with --allow-wx", first->index, s->index,
                            (unsigned long long)page);
        first = s;
    }
    return kerr_set(err, "page 0x%llx would be writable and executable",
                    (unsigned long long)page);
}

static int cmp_gpa(const void *a, const void *b)
{
    gpa_t x = *(const gpa_t *)a, y = *(const gpa_t *)b;
    return x < y ? -1 : x > y;
}

/* [lo, hi): each segment's pages with the union of the rights of every
 * segment touching them; the gaps are heap (RW, no-execute). */
static int add_program_area(const struct paging_config *cfg, gpa_t lo,
                            gpa_t hi, struct memory_map *map, struct kerr *err)
{
    gpa_t cut[2 * PAGING_MAX_SEGMENTS + 2];
    size_t n = 0;

    if (cfg->nsegs > PAGING_MAX_SEGMENTS)
        return kerr_set(err, "too many segments (%zu, at most %u)",
                        cfg->nsegs, PAGING_MAX_SEGMENTS);
    cut[n++] = lo;
    cut[n++] = hi;
    for (size_t i = 0; i < cfg->nsegs; i++) {
        gpa_t a = page_down(cfg->segs[i].start), b = page_up(cfg->segs[i].end);
        if (a < lo || b > hi)
            return kerr_set(err, "segment %u [0x%llx, 0x%llx) lies outside "
                            "the program area", cfg->segs[i].index,
                            (unsigned long long)cfg->segs[i].start,
                            (unsigned long long)cfg->segs[i].end);
        cut[n++] = a;
        cut[n++] = b;
    }
    qsort(cut, n, sizeof cut[0], cmp_gpa);
    for (size_t c = 0; c + 1 < n; c++) {
        gpa_t p = cut[c], q = cut[c + 1];
        unsigned rights = 0;
        bool covered = false;
        for (size_t i = 0; i < cfg->nsegs; i++) {
            if (page_down(cfg->segs[i].start) < q &&
                page_up(cfg->segs[i].end) > p) {
                covered = true;
                rights |= cfg->segs[i].attrs & WX;
            }
        }
        if ((rights & WX) == WX && !cfg->allow_wx)
            return wx_error(cfg, p, err);
        int r = covered ? add_region(map, p, q, USER_RO | rights,
                                     segment_what(rights))
                        : add_region(map, p, q, USER_RW, "heap");
        if (r < 0)
            return kerr_set(err, "memory map has too many regions");
    }
    return 0;
}

#define ARGS_LINUX_MIN  (UINT64_C(128) << 10)  /* ARG_MAX: 32 pages   */
#define ARGS_LINUX_MAX  (UINT64_C(6) << 20)    /* _STK_LIM / 4 * 3    */

static uint64_t default_stack(uint64_t ram_size)
{
    uint64_t s = (ram_size / 8) & ~(uint64_t)(KVMELF_PAGE_SIZE - 1);

    if (s < KVMELF_STACK_SMALL)
        s = KVMELF_STACK_SMALL;
    return s > KVMELF_STACK_DEFAULT ? KVMELF_STACK_DEFAULT : s;
}

static uint64_t args_limit(uint64_t stack)
{
    uint64_t quarter = stack / 4, half = stack / 2;
    uint64_t a = quarter < ARGS_LINUX_MIN ? ARGS_LINUX_MIN : quarter;

    if (a > ARGS_LINUX_MAX)
        a = ARGS_LINUX_MAX;
    return a < half ? a : half;
}

int paging_layout(uint64_t ram_size, uint64_t stack_size,
                  struct guest_layout *out, struct kerr *err)
{
    char ram[32], st[32];
    bool by_default = stack_size == 0;
    uint64_t stack = by_default ? default_stack(ram_size) : stack_size;

    if (!by_default && (stack % KVMELF_PAGE_SIZE || stack < KVMELF_STACK_MIN))
        return kerr_set(err, "--stack %s must be a multiple of 4 KiB and at "
                        "least %u KiB", format_size(stack, st, sizeof st),
                        KVMELF_STACK_MIN >> 10);
    /* The monitor's area, at least one page of program, the guard page
     * and the stack. */
    if (ram_size % KVMELF_PAGE_SIZE || ram_size < KVMELF_RESERVED_END ||
        ram_size - KVMELF_RESERVED_END < KVMELF_PAGE_SIZE + KVMELF_GUARD_SIZE ||
        ram_size - KVMELF_RESERVED_END - KVMELF_PAGE_SIZE - KVMELF_GUARD_SIZE <
            stack)
        return kerr_set(err, "guest RAM of %s cannot hold the monitor's "
                        "area, a stack of %s and a program%s",
                        format_size(ram_size, ram, sizeof ram),
                        format_size(stack, st, sizeof st),
                        by_default ? "" : " (a smaller --stack, or more "
                                          "--mem)");
    *out = (struct guest_layout){
        .ram_size = ram_size, .stack_size = stack,
        .stack_default = by_default,
        .stack_top = ram_size, .stack_bottom = ram_size - stack,
        .guard = ram_size - stack - KVMELF_GUARD_SIZE,
        .heap_start = KVMELF_RESERVED_END,
        .args_max = args_limit(stack),
    };
    return 0;
}

void paging_layout_set_heap(struct guest_layout *l, gpa_t image_end)
{
    gpa_t start = page_up(image_end);

    if (start < KVMELF_RESERVED_END)
        start = KVMELF_RESERVED_END;
    l->heap_start = start > l->guard ? l->guard : start;
}

int paging_memory_map(const struct paging_config *cfg, struct memory_map *map,
                      struct kerr *err)
{
    const struct guest_layout *l = cfg->layout;

    map->count = 0;
    /* Page 0 [0, GDT) and the page tables are deliberately absent. */
    add_region(map, KVMELF_GDT_ADDR, KVMELF_STUB_ADDR, SUPERVISOR_RW,
               "GDT, IDT, TSS");
    add_region(map, KVMELF_STUB_ADDR, KVMELF_KSTACK_ADDR, SUPERVISOR_RX,
               "exception stubs");
    add_region(map, KVMELF_KSTACK_ADDR, KVMELF_IST_MC_TOP, SUPERVISOR_RW,
               "ring-0 stacks");
    /* User-executable: SYSCALL may arrive here still at CPL 3 (kvm_pvm). */
    add_region(map, KVMELF_SYSCALL_ENTRY_ADDR,
               KVMELF_SYSCALL_ENTRY_ADDR + KVMELF_PAGE_SIZE, USER_RO | PAGE_EXEC,
               "syscall entry");
    add_region(map, KVMELF_BOOT_INFO_ADDR, KVMELF_BOOT_INFO_END, USER_RO,
               "boot info");
    if (add_program_area(cfg, KVMELF_RESERVED_END, l->guard, map, err) < 0)
        return -1;
    if (add_region(map, l->stack_bottom, l->stack_top, USER_RW, "stack") < 0)
        return kerr_set(err, "memory map has too many regions");
    return 0;
}

const struct mem_region *paging_region_at(const struct memory_map *map,
                                          gpa_t gpa)
{
    for (size_t i = 0; i < map->count; i++)
        if (gpa >= map->regions[i].start && gpa < map->regions[i].end)
            return &map->regions[i];
    return NULL;
}
