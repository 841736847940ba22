/*
 * Shared building blocks: the error type every module returns, and guest
 * memory with the one checked accessor through which the monitor touches it.
 */
#ifndef KVMELF_COMMON_H
#define KVMELF_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KVMELF_ERR_MAX 512

/* An error travels up to src/main.c, the one place that prints it.  The
 * message says what went wrong with the offending values and never starts
 * with the program or file name: main adds "kvmelf: FILE: ". */
struct kerr {
    char msg[KVMELF_ERR_MAX];
};

/* Formats into err (if not NULL) and returns -1, so a failing path reads
 * "return kerr_set(err, "...", ...);". */
int kerr_set(struct kerr *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Same, with ": strerror(errnum)" appended. */
int kerr_errno(struct kerr *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A guest-physical address.  An integer, never dereferenced on the host:
 * guest_mem_ptr() is the only way from a gpa to host memory. */
typedef uint64_t gpa_t;

/* Guest RAM: one anonymous mapping of `size` bytes, lazily backed
 * (MAP_NORESERVE: untouched pages cost nothing), excluded from core dumps,
 * with an inaccessible guard page on each side so a monitor bug that runs
 * off either end faults instead of touching other host memory. */
struct guest_mem {
    uint8_t *host;      /* host address of gpa 0  */
    uint64_t size;      /* bytes                  */
};

int guest_mem_init(struct guest_mem *gm, uint64_t size, struct kerr *err);
void guest_mem_fini(struct guest_mem *gm);

/* Host pointer to [gpa, gpa + len) or NULL when any byte of that range is
 * outside guest RAM (overflow-checked; len 0 is valid inside RAM). */
void *guest_mem_ptr(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

/* Best effort, for a bulk copy into guest RAM: makes [gpa, gpa + len)
 * present and writable in one system call instead of one page fault per
 * page.  Does nothing for small or out-of-range requests. */
void guest_mem_prefault(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

/* Checked overflow-free "a + b <= limit". */
static inline bool range_within(uint64_t start, uint64_t len, uint64_t limit)
{
    uint64_t end;
    return !__builtin_add_overflow(start, len, &end) && end <= limit;
}

/* Parses a size such as "64M", "1G", "4096", "512K" (binary units, optional
 * "iB"/"B" suffix).  Returns 0 and *out, or -1 with err set. */
int parse_size(const char *text, uint64_t *out, struct kerr *err);

/* Writes "64 MiB", "2 GiB", "4 KiB" or "12345 bytes" (exact units only). */
const char *format_size(uint64_t bytes, char *buf, size_t buflen);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
