/* memory [ro|none|ro-text]: mmap'ed memory reads as zero even when reused,
 * mremap keeps contents, brk works; then, with an argument, mprotect makes
 * a page read-only (ro) or inaccessible (none) and the access that follows
 * faults. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LEN (64 * 1024)

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    unsigned char *a = mmap(0, LEN, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("fresh mmap zero: %d\n", a != MAP_FAILED && all_zero(a, LEN));
    memset(a, 0xaa, LEN);
    munmap(a, LEN);
    unsigned char *b = mmap(0, LEN, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("reused: %d, zero again: %d\n", a == b, all_zero(b, LEN));
    memset(b, 0x11, LEN);
    unsigned char *c = mremap(b, LEN, 4 * LEN, MREMAP_MAYMOVE);
    printf("mremap kept contents: %d, new part zero: %d\n",
           c != MAP_FAILED && c[0] == 0x11 && c[LEN - 1] == 0x11,
           c != MAP_FAILED && all_zero(c + LEN, 3 * LEN));
    madvise(c, LEN, MADV_DONTNEED);
    printf("MADV_DONTNEED zeroes: %d\n", all_zero(c, LEN));
    /* musl's sbrk() only answers sbrk(0): ask brk(2) itself. */
    uintptr_t brk0 = (uintptr_t)syscall(SYS_brk, 0);
    uintptr_t brk1 = (uintptr_t)syscall(SYS_brk, brk0 + 8192);
    printf("brk grows: %d, zero: %d\n", brk1 == brk0 + 8192,
           brk1 == brk0 + 8192 && all_zero((unsigned char *)brk0, 8192));
    unsigned char *p = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[4096] = 1;             /* cached as writable before the change */
    if (argc < 2)
        return 0;
    int prot = argv[1][0] == 'n' ? PROT_NONE : PROT_READ;
    printf("mprotect: %d\n", mprotect(p + 4096, 4096, prot));
    p[0] = 2;
    p[2 * 4096] = 3;
    printf("neighbours still writable\n");
    fflush(stdout);          /* what is buffered dies with a crash */
    printf("reading: %d\n", p[4096]);
    fflush(stdout);
    p[4096] = 4;
    printf("not reached\n");
    return 1;
}
