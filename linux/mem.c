/* Memory calls: brk and anonymous mappings inside the heap (the
 * bookkeeping is mm.c), page rights through the page tables. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE KVMELF_PAGE_SIZE
#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)
/* MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE may be missing from old
 * headers; the values are Linux's. */
#define LX_MAP_TYPE            0x0f
#define LX_MAP_SHARED_VALIDATE 0x03
#define LX_MAP_FIXED_NOREPLACE 0x100000
/* The madvise advice Linux 6.1 knows: MADV_NORMAL..MADV_DONTNEED, then
 * MADV_FREE..MADV_COLLAPSE (5 to 7 are unused). */
#define LX_MADV_LAST_BASIC 4
#define LX_MADV_FIRST_MORE 8
#define LX_MADV_LAST       25

static uint64_t page_up(uint64_t a) { return (a + PAGE - 1) & ~(uint64_t)(PAGE - 1); }

/* Up to this much, pages the guest gave up are zeroed where they are
 * rather than handed back to the host: a page dropped with
 * MADV_DONTNEED refaults through KVM when the guest touches it again,
 * about 11 us each on kvm_pvm, where zeroing 4 KiB in place costs a
 * fraction of a microsecond and keeps the guest's mapping of it (bench
 * section 8: mmap, touch, munmap).  The guest's RAM is its own either
 * way (--mem bounds what the host holds for it); larger ranges still go
 * back to the host, where zeroing them could cost more than it saves. */
#define ZERO_IN_PLACE_MAX (16u << 20)
#define MINCORE_CHUNK (1u << 20)         /* pages asked about at once */

/* Zeroes the pages of [p, p + len) the host holds (mincore); the others
 * read as zero already.  0, or -1 when it cannot tell. */
static int zero_resident(uint8_t *p, size_t len)
{
    unsigned char vec[MINCORE_CHUNK / PAGE];

    if ((uintptr_t)p % PAGE || len % PAGE)
        return -1;
    for (size_t at = 0; at < len; at += MINCORE_CHUNK) {
        size_t n = len - at < MINCORE_CHUNK ? len - at : MINCORE_CHUNK;
        if (mincore(p + at, n, vec) < 0)
            return -1;
        for (size_t i = 0; i < n / PAGE; i++)
            if (vec[i] & 1)
                memset(p + at + i * PAGE, 0, PAGE);
    }
    return 0;
}

/* Fresh pages read as zero, as Linux gives them: [start, end) zeroed in
 * place when small, else its host pages dropped (anonymous private
 * memory refills with zeros), which returns the memory to the host. */
static void discard(struct sys_ctx *c, uint64_t start, uint64_t end)
{
    if (end <= start)
        return;
    size_t len = (size_t)(end - start);
    uint8_t *p = guest_mem_ptr(c->g->gm, start, len);
    if (!p || (len <= ZERO_IN_PLACE_MAX && zero_resident(p, len) == 0))
        return;
    if (madvise(p, len, MADV_DONTNEED) < 0)
        memset(p, 0, len);
}

static unsigned prot_attrs(uint64_t prot)
{
    if (!(prot & PROT_ALL))
        return 0;            /* PROT_NONE: not present */
    return PAGE_PRESENT | PAGE_USER | ((prot & PROT_WRITE) ? PAGE_WRITE : 0) |
           ((prot & PROT_EXEC) ? PAGE_EXEC : 0);
}

/* -EINVAL for unknown bits, -EACCES for write+execute without
 * --allow-wx (kvmelf's W^X rule), else 0. */
static long check_prot(struct sys_ctx *c, uint64_t prot)
{
    if (prot & ~(uint64_t)PROT_ALL)
        return -EINVAL;
    if ((prot & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC) &&
        !c->proc->cfg.allow_wx)
        return -EACCES;
    return 0;
}

/* Gives [start, end) the rights; -ENOMEM when the page-table area is
 * full. */
static long set_rights(struct sys_ctx *c, uint64_t start, uint64_t end,
                       unsigned attrs)
{
    int n = paging_protect(c->g->gm, &c->proc->pt, start, end - start,
                           attrs);
    if (n > 0)
        c->call->tlb_stale = true;
    return n < 0 ? -ENOMEM : 0;
}

/* The first brk or mmap makes the heap the program's address space: its
 * free pages become not present, as unmapped memory is on Linux.  Pages
 * handed out later then only become present, which needs no TLB flush
 * (docs/architecture.md, "System calls"); one flush here instead.  If the
 * tables cannot be changed the heap stays present: only slower. */
static void adopt_heap(struct sys_ctx *c)
{
    struct linux_process *s = c->proc;

    if (s->heap_adopted)
        return;
    s->heap_adopted = true;
    uint64_t lo = page_up(s->mm.brk), hi = s->mm.hi;
    if (lo < hi && s->mm.count == 0)
        (void)set_rights(c, lo, hi, 0);
}

long sys_brk(struct sys_ctx *c, const uint64_t a[6])
{
    struct linux_mm *mm = &c->proc->mm;
    struct mm_range fresh, freed, unused;
    uint64_t old = mm->brk;

    adopt_heap(c);
    uint64_t brk = mm_brk(mm, a[0], &fresh, &freed);

    /* New break pages get the heap's rights back (an mprotect may have
     * changed them while they were part of the break before). */
    if (fresh.end > fresh.start &&
        set_rights(c, fresh.start, fresh.end,
                   prot_attrs(PROT_READ | PROT_WRITE)) < 0)
        return (long)mm_brk(mm, old, &unused, &unused);
    discard(c, fresh.start, fresh.end);
    discard(c, freed.start, freed.end);
    return (long)brk;
}

/* The file an mmap maps: a host file read into private pages (*file), or
 * /dev/zero, which is anonymous memory (*file stays NULL).  A shared
 * writable mapping cannot be kept in step with the host file: ENODEV
 * (docs/abi.md); a read-only shared one is a private copy. */
static long map_source(struct sys_ctx *c, const uint64_t a[6],
                       struct lfile **file)
{
    struct lfile *f = sys_file(c, a[4]);
    uint64_t type = a[3] & LX_MAP_TYPE;
    struct stat st;

    if (!f || f->flags & O_PATH)
        return -EBADF;
    if (f->kind == LF_DEV && f->vnode == VN_ZERO)
        return 0;
    if (f->kind != LF_HOST || fstat(f->host_fd, &st) < 0 ||
        !S_ISREG(st.st_mode))
        return -ENODEV;
    unsigned mode = f->flags & O_ACCMODE;
    if (mode == O_WRONLY)
        return -EACCES;
    if (type != MAP_PRIVATE && a[2] & PROT_WRITE)
        return mode == O_RDONLY ? -EACCES : -ENODEV;
    if (a[5] > INT64_MAX - a[1])
        return -EOVERFLOW;
    *file = f;
    return 0;
}

/* The file's bytes from off into [addr, addr + len); past its end the
 * pages stay zero, as Linux's do. */
static long fill_from_file(struct sys_ctx *c, const struct lfile *f,
                           uint64_t addr, uint64_t len, uint64_t off)
{
    uint8_t *p = guest_mem_ptr(c->g->gm, addr, len);
    uint64_t done = 0;

    while (done < len) {
        ssize_t n = pread(f->host_fd, p + done, len - done,
                          (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        done += (uint64_t)n;
    }
    return 0;
}

long sys_mmap(struct sys_ctx *c, const uint64_t a[6])
{
    struct linux_mm *mm = &c->proc->mm;
    uint64_t addr = a[0], len = a[1], prot = a[2], flags = a[3];
    uint64_t type = flags & LX_MAP_TYPE;
    long r = check_prot(c, prot);

    if (r < 0)
        return r;
    if (type != MAP_PRIVATE && type != MAP_SHARED &&
        type != LX_MAP_SHARED_VALIDATE)
        return -EINVAL;
    struct lfile *file = NULL;
    if (!(flags & MAP_ANONYMOUS) && (r = map_source(c, a, &file)) < 0)
        return r;
    if (len == 0 || a[5] % PAGE)
        return -EINVAL;
    adopt_heap(c);
    if (flags & (MAP_FIXED | LX_MAP_FIXED_NOREPLACE))
        r = mm_map_fixed(mm, addr, len, (flags & LX_MAP_FIXED_NOREPLACE) != 0);
    else
        r = mm_map(mm, len, &addr);
    if (r < 0)
        return r;
    uint64_t end = addr + page_up(len);
    discard(c, addr, end);
    if (file && (r = fill_from_file(c, file, addr, len, a[5])) < 0) {
        mm_unmap(mm, addr, len);
        return r;
    }
    r = set_rights(c, addr, end, prot_attrs(prot));
    if (r < 0) {
        mm_unmap(mm, addr, len);
        return r;
    }
    return (long)addr;
}

long sys_munmap(struct sys_ctx *c, const uint64_t a[6])
{
    struct linux_mm *mm = &c->proc->mm;
    long r = mm_unmap(mm, a[0], a[1]);

    if (r < 0)
        return r;
    /* Above the break's pages everything is mapped or free: drop it. */
    uint64_t lo = a[0], hi = a[0] + page_up(a[1]);
    uint64_t floor = page_up(mm->brk);
    discard(c, lo > floor ? lo : floor, hi < mm->hi ? hi : mm->hi);
    return 0;
}

/* The rights of the page at addr as the guest's tables give them. */
static unsigned rights_at(struct sys_ctx *c, uint64_t addr)
{
    struct translation t;

    if (paging_walk(c->g->gm, c->g->cr3, addr, &t) < 0)
        return 0;
    return t.attrs & (PAGE_PRESENT | PAGE_USER | PAGE_WRITE | PAGE_EXEC);
}

long sys_mremap(struct sys_ctx *c, const uint64_t a[6])
{
    struct linux_mm *mm = &c->proc->mm;
    struct mm_remap p;

    if (a[3] & ~(uint64_t)MREMAP_MAYMOVE)
        return -EINVAL;      /* MREMAP_FIXED, MREMAP_DONTUNMAP: unsupported */
    long r = mm_remap_plan(mm, a[0], a[1], a[2], a[3] & MREMAP_MAYMOVE, &p);
    if (r < 0)
        return r;
    uint64_t old = p.old, olen = p.old_len, nlen = p.new_len;
    /* The new pages' rights first: if that fails, nothing has changed. */
    uint64_t fresh = p.new_addr == old ? old + olen : p.new_addr;
    uint64_t fresh_end = p.new_addr + nlen;
    if (fresh < fresh_end &&
        (r = set_rights(c, fresh, fresh_end, rights_at(c, old))) < 0)
        return r;
    mm_remap_apply(mm, &p);
    if (p.new_addr == old) {
        discard(c, old + nlen, old + olen);
        discard(c, old + olen, old + nlen);
        return (long)old;
    }
    discard(c, p.new_addr, p.new_addr + nlen);
    memcpy(guest_mem_ptr(c->g->gm, p.new_addr, nlen),
           guest_mem_ptr(c->g->gm, old, olen), olen < nlen ? olen : nlen);
    discard(c, old, old + olen);
    return (long)p.new_addr;
}

/* Where mprotect may change rights: the program area with the heap, and
 * the stack; never the monitor's area or the guard page. */
static bool protectable(struct sys_ctx *c, uint64_t start, uint64_t end)
{
    const struct linux_config *cfg = &c->proc->cfg;

    if (start >= KVMELF_RESERVED_END && end <= cfg->heap_end)
        return true;
    return start >= cfg->stack_bottom && end <= c->g->gm->size;
}

long sys_mprotect(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t start = a[0], len = a[1], end;
    long r = check_prot(c, a[2]);

    if (start % PAGE)
        return -EINVAL;
    if (r < 0)
        return r;
    if (len == 0)
        return 0;
    if (len > UINT64_MAX - PAGE ||
        __builtin_add_overflow(start, page_up(len), &end))
        return -ENOMEM;              /* wraps around, as Linux says */
    if (!protectable(c, start, end))
        return -ENOMEM;
    return set_rights(c, start, end, prot_attrs(a[2]));
}

long sys_madvise(struct sys_ctx *c, const uint64_t a[6])
{
    struct linux_mm *mm = &c->proc->mm;
    uint64_t start = a[0], end;

    bool known = a[2] <= LX_MADV_LAST_BASIC ||
                 (a[2] >= LX_MADV_FIRST_MORE && a[2] <= LX_MADV_LAST);
    if (!known || start % PAGE || a[1] > UINT64_MAX - PAGE ||
        __builtin_add_overflow(start, page_up(a[1]), &end))
        return -EINVAL;
    /* MADV_DONTNEED on anonymous memory means "read as zero after": for
     * mappings and for the break's pages. */
    bool in_brk = start >= mm->lo && end <= page_up(mm->brk);
    if (a[2] == MADV_DONTNEED &&
        (in_brk || mm_is_mapped(mm, start, end - start)))
        discard(c, start, end);
    return 0;
}
