/* The guest's address space behind brk/mmap/munmap/mremap: the break grows
 * up from the start of the heap, mappings are handed out downward from its
 * end, and the two never cross. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PAGE ((uint64_t)KVMELF_PAGE_SIZE)

static uint64_t page_down(uint64_t a) { return a & ~(PAGE - 1); }

/* Rounds len up to whole pages; false when that overflows. */
static bool page_len(uint64_t len, uint64_t *out)
{
    if (len > UINT64_MAX - (PAGE - 1))
        return false;
    *out = page_down(len + PAGE - 1);
    return true;
}

void mm_init(struct linux_mm *mm, uint64_t lo, uint64_t hi)
{
    *mm = (struct linux_mm){ .lo = lo, .hi = hi < lo ? lo : hi, .brk = lo,
                             .max_maps = MM_MAX_MAPS };
}

void mm_fini(struct linux_mm *mm)
{
    free(mm->maps);
    mm->maps = NULL;
    mm->count = mm->cap = 0;
}

/* The first address mappings may use: above the break's last page. */
static uint64_t map_floor(const struct linux_mm *mm)
{
    return page_down(mm->brk + PAGE - 1);
}

static uint64_t lowest_map(const struct linux_mm *mm)
{
    return mm->count ? mm->maps[0].start : mm->hi;
}

uint64_t mm_brk(struct linux_mm *mm, uint64_t addr, struct mm_range *fresh,
                struct mm_range *freed)
{
    uint64_t old_top = map_floor(mm);

    *fresh = *freed = (struct mm_range){ old_top, old_top };
    if (addr < mm->lo || addr > lowest_map(mm))
        return mm->brk;
    uint64_t new_top = page_down(addr + PAGE - 1);  /* addr <= hi: no wrap */
    if (new_top > old_top)
        *fresh = (struct mm_range){ old_top, new_top };
    else
        *freed = (struct mm_range){ new_top, old_top };
    mm->brk = addr;
    return addr;
}

static int reserve(struct linux_mm *mm, size_t extra)
{
    if (mm->count + extra > mm->max_maps)
        return -ENOMEM;
    if (mm->count + extra <= mm->cap)
        return 0;
    size_t cap = mm->cap ? mm->cap * 2 : 16;
    while (cap < mm->count + extra)
        cap *= 2;
    if (cap > mm->max_maps)
        cap = mm->max_maps;
    struct mm_range *m = realloc(mm->maps, cap * sizeof *m);
    if (!m)
        return -ENOMEM;
    mm->maps = m;
    mm->cap = cap;
    return 0;
}

/* Index of the first range ending above addr (count if none). */
static size_t first_after(const struct linux_mm *mm, uint64_t addr)
{
    size_t lo = 0, hi = mm->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mm->maps[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Removes [start, end) from every range (splitting one if needed). */
static int cut(struct linux_mm *mm, uint64_t start, uint64_t end)
{
    size_t i = first_after(mm, start);

    if (i == mm->count)
        return 0;            /* nothing at or above start */

    if (i < mm->count && mm->maps[i].start < start && mm->maps[i].end > end) {
        if (reserve(mm, 1) < 0)
            return -ENOMEM;
        memmove(&mm->maps[i + 1], &mm->maps[i],
                (mm->count - i) * sizeof mm->maps[0]);
        mm->count++;
        mm->maps[i].end = start;
        mm->maps[i + 1].start = end;
        return 0;
    }
    if (i < mm->count && mm->maps[i].start < start) {
        mm->maps[i].end = start;
        i++;
    }
    size_t j = i;
    while (j < mm->count && mm->maps[j].end <= end)
        j++;
    if (j < mm->count && mm->maps[j].start < end)
        mm->maps[j].start = end;
    memmove(&mm->maps[i], &mm->maps[j], (mm->count - j) * sizeof mm->maps[0]);
    mm->count -= j - i;
    return 0;
}

/* Adds [start, end), which must be free, merging with its neighbours. */
static int add(struct linux_mm *mm, uint64_t start, uint64_t end)
{
    size_t i = first_after(mm, start);
    bool join_prev = i > 0 && mm->maps[i - 1].end == start;
    bool join_next = i < mm->count && mm->maps[i].start == end;

    if (join_prev && join_next) {
        mm->maps[i - 1].end = mm->maps[i].end;
        memmove(&mm->maps[i], &mm->maps[i + 1],
                (mm->count - i - 1) * sizeof mm->maps[0]);
        mm->count--;
        return 0;
    }
    if (join_prev) {
        mm->maps[i - 1].end = end;
        return 0;
    }
    if (join_next) {
        mm->maps[i].start = start;
        return 0;
    }
    if (reserve(mm, 1) < 0)
        return -ENOMEM;
    memmove(&mm->maps[i + 1], &mm->maps[i],
            (mm->count - i) * sizeof mm->maps[0]);
    mm->maps[i] = (struct mm_range){ start, end };
    mm->count++;
    return 0;
}

/* The highest free [addr, addr + len) in [map_floor, hi), or 0. */
static uint64_t find_free(const struct linux_mm *mm, uint64_t len)
{
    uint64_t top = mm->hi, floor = map_floor(mm);

    for (size_t i = mm->count; ; i--) {
        uint64_t bottom = i > 0 ? mm->maps[i - 1].end : floor;
        if (bottom < floor)
            bottom = floor;
        if (top >= bottom && top - bottom >= len)
            return top - len;
        if (i == 0)
            return 0;
        top = mm->maps[i - 1].start;
        if (top <= floor)
            return 0;
    }
}

int mm_map(struct linux_mm *mm, uint64_t len, uint64_t *addr)
{
    uint64_t plen;

    if (len == 0 || !page_len(len, &plen))
        return -EINVAL;
    uint64_t a = find_free(mm, plen);
    if (!a)
        return -ENOMEM;
    int r = add(mm, a, a + plen);
    if (r == 0)
        *addr = a;
    return r;
}

bool mm_is_mapped(const struct linux_mm *mm, uint64_t addr, uint64_t len)
{
    uint64_t end;

    if (__builtin_add_overflow(addr, len, &end))
        return false;
    size_t i = first_after(mm, addr);
    /* Merged ranges: one range must hold all of it. */
    return i < mm->count && mm->maps[i].start <= addr && mm->maps[i].end >= end;
}

static bool any_mapped(const struct linux_mm *mm, uint64_t start, uint64_t end)
{
    size_t i = first_after(mm, start);
    return i < mm->count && mm->maps[i].start < end;
}

int mm_map_fixed(struct linux_mm *mm, uint64_t addr, uint64_t len,
                 bool noreplace)
{
    uint64_t plen;

    if (len == 0 || addr % PAGE || !page_len(len, &plen) ||
        addr < map_floor(mm) || addr > mm->hi || mm->hi - addr < plen)
        return -EINVAL;
    if (any_mapped(mm, addr, addr + plen)) {
        if (noreplace)
            return -EEXIST;
        int r = cut(mm, addr, addr + plen);
        if (r < 0)
            return r;
    }
    return add(mm, addr, addr + plen);
}

int mm_unmap(struct linux_mm *mm, uint64_t addr, uint64_t len)
{
    uint64_t plen, end;

    if (len == 0 || addr % PAGE || !page_len(len, &plen) ||
        __builtin_add_overflow(addr, plen, &end))
        return -EINVAL;
    return cut(mm, addr, end);
}

/* True when [start, end) added next to its neighbours needs no new entry. */
static bool add_merges(const struct linux_mm *mm, uint64_t start, uint64_t end)
{
    size_t i = first_after(mm, start);
    return (i > 0 && mm->maps[i - 1].end == start) ||
           (i < mm->count && mm->maps[i].start == end);
}

/* True when cutting [start, end) out of the range holding it splits it. */
static bool cut_splits(const struct linux_mm *mm, uint64_t start, uint64_t end)
{
    size_t i = first_after(mm, start);
    return i < mm->count && mm->maps[i].start < start && mm->maps[i].end > end;
}

int mm_remap_plan(struct linux_mm *mm, uint64_t old, uint64_t old_len,
                  uint64_t new_len, bool may_move, struct mm_remap *p)
{
    uint64_t olen, nlen;

    if (old % PAGE || old_len == 0 || new_len == 0 ||
        !page_len(old_len, &olen) || !page_len(new_len, &nlen))
        return -EINVAL;
    if (!mm_is_mapped(mm, old, olen))
        return -EFAULT;
    *p = (struct mm_remap){ .old = old, .old_len = olen, .new_len = nlen,
                            .new_addr = old };
    if (nlen < olen)
        return reserve(mm, cut_splits(mm, old + nlen, old + olen) ? 1u : 0u);
    uint64_t end = old + olen;
    /* Growing in place extends the range that ends at end: no entry. */
    if (nlen == olen ||
        (mm->hi - end >= nlen - olen && !any_mapped(mm, end, old + nlen)))
        return 0;
    if (!may_move)
        return -ENOMEM;
    uint64_t a = find_free(mm, nlen);
    if (!a)
        return -ENOMEM;
    p->new_addr = a;
    size_t entries = (add_merges(mm, a, a + nlen) ? 0u : 1u) +
                     (cut_splits(mm, old, old + olen) ? 1u : 0u);
    return reserve(mm, entries);
}

void mm_remap_apply(struct linux_mm *mm, const struct mm_remap *p)
{
    /* The plan reserved the entries: add and cut cannot fail here. */
    if (p->new_addr != p->old) {
        (void)add(mm, p->new_addr, p->new_addr + p->new_len);
        (void)cut(mm, p->old, p->old + p->old_len);
    } else if (p->new_len < p->old_len)
        (void)cut(mm, p->old + p->new_len, p->old + p->old_len);
    else if (p->new_len > p->old_len)
        (void)add(mm, p->old + p->old_len, p->old + p->new_len);
}

int mm_remap(struct linux_mm *mm, uint64_t old, uint64_t old_len,
             uint64_t new_len, bool may_move, uint64_t *new_addr)
{
    struct mm_remap p;
    int r = mm_remap_plan(mm, old, old_len, new_len, may_move, &p);

    if (r < 0)
        return r;
    mm_remap_apply(mm, &p);
    *new_addr = p.new_addr;
    return 0;
}
