#include "common.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t host_page(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

int guest_mem_init(struct guest_mem *gm, uint64_t size, struct kerr *err)
{
    size_t guard = host_page();
    size_t total;

    gm->host = NULL;
    gm->size = 0;
    if (size == 0 || size % guard ||
        __builtin_add_overflow((size_t)size, 2 * guard, &total))
        return kerr_set(err, "guest RAM size 0x%llx is not a multiple of "
                        "the host page size", (unsigned long long)size);

    /* Reserve guard + RAM + guard inaccessible, then open up the middle. */
    uint8_t *base = mmap(NULL, total, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
        return kerr_errno(err, errno, "cannot reserve %llu bytes of guest RAM",
                          (unsigned long long)size);
    uint8_t *ram = mmap(base + guard, (size_t)size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
                        -1, 0);
    if (ram == MAP_FAILED) {
        int e = errno;
        munmap(base, total);
        return kerr_errno(err, e, "cannot map %llu bytes of guest RAM",
                          (unsigned long long)size);
    }
    /* Guest RAM is the guest's business, not the host's core file's. */
    (void)madvise(ram, (size_t)size, MADV_DONTDUMP);
    gm->host = ram;
    gm->size = size;
    return 0;
}

void guest_mem_fini(struct guest_mem *gm)
{
    if (gm->host) {
        size_t guard = host_page();
        munmap(gm->host - guard, (size_t)gm->size + 2 * guard);
    }
    gm->host = NULL;
    gm->size = 0;
}

void *guest_mem_ptr(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
    if (!gm->host || !range_within(gpa, len, gm->size))
        return NULL;
    return gm->host + gpa;
}

/* Below this, faulting page by page costs less than the extra call. */
#define PREFAULT_MIN (256ULL * 1024)

void guest_mem_prefault(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
    uint64_t page = host_page();

    if (len < PREFAULT_MIN || !guest_mem_ptr(gm, gpa, len))
        return;
    uint64_t start = gpa & ~(page - 1);
    uint64_t end = (gpa + len + page - 1) & ~(page - 1);
    if (end > gm->size)
        end = gm->size;
    (void)madvise(gm->host + start, (size_t)(end - start),
                  MADV_POPULATE_WRITE);
}
