/* Identity-mapped 4-level page tables: build and walk (SDM Vol. 3A, 4.5). */
#include "paging.h"

#include <string.h>

#define ENTRIES_PER_TABLE 512
#define LEVEL_SHIFT(level) (12 + 9 * (level))   /* level 0 = PT ... 3 = PML4 */

struct table_alloc {
    const struct guest_mem *gm;
    gpa_t next;
    gpa_t end;
};

static uint64_t *table_at(const struct guest_mem *gm, gpa_t gpa)
{
    return guest_mem_ptr(gm, gpa, X86_PAGE_4K);
}

static int table_new(struct table_alloc *ta, gpa_t *gpa)
{
    uint64_t *t;

    if (ta->next >= ta->end || !(t = table_at(ta->gm, ta->next)))
        return -1;
    memset(t, 0, X86_PAGE_4K);
    *gpa = ta->next;
    ta->next += X86_PAGE_4K;
    return 0;
}

/* The attributes shared by every byte of [start, start + len), or -1 when
 * they differ.  Addresses outside every region count as attribute 0. */
static int uniform_attrs(const struct memory_map *map, gpa_t start,
                         uint64_t len)
{
    gpa_t end = start + len;

    for (size_t i = 0; i < map->count; i++) {
        const struct mem_region *r = &map->regions[i];
        if (r->end <= start)
            continue;
        if (r->start >= end)
            return 0;                  /* whole range lies in a gap */
        if (r->start <= start && r->end >= end)
            return (int)r->attrs;
        return -1;                     /* a boundary falls inside */
    }
    return 0;
}

static uint64_t leaf_entry(gpa_t pa, unsigned attrs, bool nx, bool large)
{
    uint64_t e = pa | X86_PTE_P | X86_PTE_A;

    /* A and D set up front so the CPU never writes them back: under
     * shadow paging every such write is a trap into the host. */
    if (attrs & PAGE_WRITE)
        e |= X86_PTE_RW | X86_PTE_D;
    if (attrs & PAGE_USER)
        e |= X86_PTE_US;
    if (nx && !(attrs & PAGE_EXEC))
        e |= X86_PTE_NX;
    if (large)
        e |= X86_PTE_PS;
    return e;
}

struct build_ctx {
    struct table_alloc alloc;
    const struct paging_config *cfg;
    const struct memory_map *map;
};

/* Fills the table at `table` (of `level`) for the range starting at
 * `base`.  Intermediate entries are permissive (P|RW|US): the leaf alone
 * decides, which keeps the walk's effective rights equal to the region's. */
static int fill_table(struct build_ctx *c, gpa_t table, int level, gpa_t base)
{
    uint64_t *t = table_at(c->alloc.gm, table);
    uint64_t span = 1ULL << LEVEL_SHIFT(level);

    for (unsigned i = 0; i < ENTRIES_PER_TABLE; i++) {
        gpa_t va = base + i * span;
        if (va >= c->cfg->layout->ram_size)
            break;
        bool leaf_ok = level == 0 || level == 1 ||
                       (level == 2 && c->cfg->huge_1g);
        int attrs = uniform_attrs(c->map, va, span);
        if (attrs >= 0 && leaf_ok && va + span <= c->cfg->layout->ram_size) {
            if (attrs & PAGE_PRESENT)
                t[i] = leaf_entry(va, (unsigned)attrs, c->cfg->nx, level > 0);
            continue;
        }
        if (attrs == 0)
            continue;                  /* nothing present below here */
        if (level == 0)
            continue;                  /* 4 KiB beyond RAM: absent */
        gpa_t child;
        if (table_new(&c->alloc, &child) < 0)
            return -1;
        t[i] = child | X86_PTE_P | X86_PTE_RW | X86_PTE_US | X86_PTE_A;
        if (fill_table(c, child, level - 1, va) < 0)
            return -1;
    }
    return 0;
}

int paging_build_tables(const struct guest_mem *gm,
                        const struct paging_config *cfg,
                        const struct memory_map *map,
                        gpa_t *cr3, uint64_t *tables_used, struct kerr *err)
{
    struct build_ctx c = {
        .alloc = { .gm = gm, .next = KVMELF_PT_ADDR, .end = KVMELF_PT_END },
        .cfg = cfg,
        .map = map,
    };
    gpa_t pml4;
    char ram[32];

    if (table_new(&c.alloc, &pml4) < 0 || fill_table(&c, pml4, 3, 0) < 0)
        return kerr_set(err, "page tables for %s of RAM do not fit the "
                        "%u KiB table area",
                        format_size(cfg->layout->ram_size, ram, sizeof ram),
                        (unsigned)((KVMELF_PT_END - KVMELF_PT_ADDR) >> 10));
    *cr3 = pml4;
    *tables_used = c.alloc.next - KVMELF_PT_ADDR;
    return 0;
}

int paging_walk(const struct guest_mem *gm, gpa_t cr3, uint64_t va,
                struct translation *t)
{
    unsigned attrs = PAGE_PRESENT | PAGE_WRITE | PAGE_USER | PAGE_EXEC;
    gpa_t table = cr3 & X86_PTE_ADDR_MASK;

    if (!x86_canonical(va))
        return -1;
    for (int level = 3; level >= 0; level--) {
        const uint64_t *tab = table_at(gm, table);
        if (!tab)
            return -1;
        uint64_t e = tab[(va >> LEVEL_SHIFT(level)) & (ENTRIES_PER_TABLE - 1)];
        if (!(e & X86_PTE_P))
            return -1;
        if (!(e & X86_PTE_RW))
            attrs &= ~(unsigned)PAGE_WRITE;
        if (!(e & X86_PTE_US))
            attrs &= ~(unsigned)PAGE_USER;
        if (e & X86_PTE_NX)
            attrs &= ~(unsigned)PAGE_EXEC;
        bool leaf = level == 0 || (e & X86_PTE_PS);
        if (leaf) {
            uint64_t size = 1ULL << LEVEL_SHIFT(level);
            t->page_size = size;
            t->phys = (e & X86_PTE_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
            t->attrs = attrs;
            return 0;
        }
        table = e & X86_PTE_ADDR_MASK;
    }
    return -1;
}

/* ---- Changing rights after the build (mprotect) --------------------------- */

/* The rights a leaf entry grants (0 when not present). */
static unsigned leaf_attrs(uint64_t e, bool nx)
{
    unsigned a;

    if (!(e & X86_PTE_P))
        return 0;
    a = PAGE_PRESENT;
    if (e & X86_PTE_RW)
        a |= PAGE_WRITE;
    if (e & X86_PTE_US)
        a |= PAGE_USER;
    if (!nx || !(e & X86_PTE_NX))
        a |= PAGE_EXEC;
    return a;
}

/* A leaf for [pa, pa + size) with attrs; not present keeps the address and
 * (for large pages) PS, so a later split still knows what it was. */
static uint64_t protect_leaf(gpa_t pa, unsigned attrs, bool nx, bool large)
{
    uint64_t e = leaf_entry(pa, attrs, nx, large);
    return (attrs & PAGE_PRESENT) ? e : e & ~X86_PTE_P;
}

/* Replaces the large leaf *entry (of level) by a table of 512 leaves one
 * level down with the same rights. */
static int split_leaf(const struct guest_mem *gm, struct pt_state *pt,
                      uint64_t *entry, int level)
{
    uint64_t e = *entry;
    uint64_t span = 1ULL << LEVEL_SHIFT(level - 1);
    gpa_t base = e & X86_PTE_ADDR_MASK & ~((1ULL << LEVEL_SHIFT(level)) - 1);
    unsigned attrs = leaf_attrs(e, pt->nx);
    struct table_alloc ta = { .gm = gm, .next = pt->next_table,
                              .end = KVMELF_PT_END };
    gpa_t child;

    if (table_new(&ta, &child) < 0)
        return -1;
    pt->next_table = ta.next;
    uint64_t *t = table_at(gm, child);
    for (unsigned i = 0; i < ENTRIES_PER_TABLE; i++)
        t[i] = protect_leaf(base + i * span, attrs, pt->nx, level - 1 > 0);
    *entry = child | X86_PTE_P | X86_PTE_RW | X86_PTE_US | X86_PTE_A;
    return 0;
}

struct protect_ctx {
    const struct guest_mem *gm;
    struct pt_state *pt;
    gpa_t start, end;
    unsigned attrs;
    bool dry;            /* only check and count what the edit needs */
    uint64_t tables;     /* dry: the new tables the splits need */
    int stale;           /* changed entries that were present before */
};

/* The tables splitting the leaf [va, va + span(level)) needs: its own and
 * those of the children the range covers only in part (the first and the
 * last; 4 KiB children never are). */
static uint64_t splits_needed(const struct protect_ctx *c, int level, gpa_t va)
{
    uint64_t child = 1ULL << LEVEL_SHIFT(level - 1);
    gpa_t lo = c->start > va ? c->start : va;
    gpa_t hi = c->end < va + child * ENTRIES_PER_TABLE
                   ? c->end : va + child * ENTRIES_PER_TABLE;
    gpa_t first = lo & ~(child - 1), last = (hi - 1) & ~(child - 1);
    uint64_t n = 1;

    if (level - 1 == 0)
        return n;
    if (lo != first)
        n += splits_needed(c, level - 1, first);
    if (hi != last + child && (last != first || lo == first))
        n += splits_needed(c, level - 1, last);
    return n;
}

static int protect_table(struct protect_ctx *c, gpa_t table, int level,
                         gpa_t base)
{
    uint64_t *t = table_at(c->gm, table);
    uint64_t span = 1ULL << LEVEL_SHIFT(level);

    if (!t)
        return -1;
    for (unsigned i = 0; i < ENTRIES_PER_TABLE; i++) {
        gpa_t va = base + i * span;
        if (va + span <= c->start)
            continue;
        if (va >= c->end)
            break;
        uint64_t *e = &t[i];
        bool leaf = level == 0 || (*e & X86_PTE_PS);
        /* Nothing was ever mapped here: an entry made absent by
         * protect_leaf() still holds its address and A bit. */
        if (*e == 0 || (!leaf && !(*e & X86_PTE_P)))
            return -1;
        bool whole = va >= c->start && va + span <= c->end;
        if (leaf && whole) {
            uint64_t n = protect_leaf(va, c->attrs, c->pt->nx, level > 0);
            if (n != *e && !c->dry) {
                /* Not-present entries are never cached (SDM Vol. 3A,
                 * 4.10.2.3): making them present needs no flush. */
                c->stale += (*e & X86_PTE_P) != 0;
                *e = n;
            }
            continue;
        }
        if (leaf && leaf_attrs(*e, c->pt->nx) == c->attrs)
            continue;        /* already right: no need to split */
        if (leaf && c->dry) {
            c->tables += splits_needed(c, level, va);
            continue;
        }
        if (leaf && split_leaf(c->gm, c->pt, e, level) < 0)
            return -1;
        if (protect_table(c, *e & X86_PTE_ADDR_MASK, level - 1, va) < 0)
            return -1;
    }
    return 0;
}

int paging_protect(const struct guest_mem *gm, struct pt_state *pt,
                   gpa_t start, uint64_t len, unsigned attrs)
{
    struct protect_ctx c = { .gm = gm, .pt = pt, .start = start,
                             .attrs = attrs, .dry = true };
    gpa_t root = pt->cr3 & X86_PTE_ADDR_MASK;

    if (start % X86_PAGE_4K || len % X86_PAGE_4K ||
        __builtin_add_overflow(start, len, &c.end) || c.end > gm->size)
        return -1;
    if (len == 0)
        return 0;
    /* Checked and counted first, so a refusal changes nothing. */
    if (protect_table(&c, root, 3, 0) < 0 || pt->next_table > KVMELF_PT_END ||
        c.tables > (KVMELF_PT_END - pt->next_table) / X86_PAGE_4K)
        return -1;
    c.dry = false;
    if (protect_table(&c, root, 3, 0) < 0)
        return -1;           /* not reached: the dry run saw every failure */
    return c.stale;
}

void *paging_user_ptr(const struct guest_mem *gm, gpa_t cr3, uint64_t addr,
                  uint64_t len, bool write)
{
    uint8_t *p = guest_mem_ptr(gm, addr, len);
    unsigned need = PAGE_PRESENT | PAGE_USER | (write ? PAGE_WRITE : 0);

    if (!p)
        return NULL;
    /* Each page the range touches, large pages in one step. */
    for (uint64_t a = addr; a < addr + len;) {
        struct translation t;
        if (paging_walk(gm, cr3, a, &t) < 0 ||
            (t.attrs & need) != need || t.phys != a)
            return NULL;
        a = (a & ~(t.page_size - 1)) + t.page_size;
    }
    return p;
}
