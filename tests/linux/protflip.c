/* protflip [free]: pages that become accessible after being not present
 * (fresh mappings, PROT_NONE opened again) work at once, without a TLB
 * flush; "free" reads a free heap page between the break and the
 * mappings, which is not present as on Linux (a page fault). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096
#define ROUNDS 300

static int alternating_mmaps(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        int prot = i & 1 ? PROT_READ : PROT_READ | PROT_WRITE;
        volatile char *p = mmap(0, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS,
                                -1, 0);
        if (p == MAP_FAILED || p[PAGE - 1] != 0)
            return 0;
        if (!(i & 1))
            p[0] = 1;
    }
    return 1;
}

static int opened_page_by_page(void)
{
    volatile char *p = mmap(0, ROUNDS * PAGE, PROT_NONE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    for (int i = 0; i < ROUNDS; i++) {
        if (mprotect((char *)p + i * PAGE, PAGE, PROT_READ | PROT_WRITE))
            return 0;
        p[i * PAGE] = (char)i;
    }
    for (int i = 0; i < ROUNDS; i++)
        if (p[i * PAGE] != (char)i)
            return 0;
    return 1;
}

static int closed_and_reopened(void)
{
    volatile char *p = mmap(0, PAGE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    for (int i = 0; i < ROUNDS; i++) {
        p[i % PAGE] = 'x';
        if (mprotect((char *)p, PAGE, PROT_NONE) ||
            mprotect((char *)p, PAGE, PROT_READ | PROT_WRITE) ||
            p[i % PAGE] != 'x')
            return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "free") == 0) {
        void *m = mmap(0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        volatile char *free_page = (char *)sbrk(0) + 16 * PAGE;
        printf("mapped: %d\n", m != MAP_FAILED && (char *)m > free_page);
        fflush(stdout);
        printf("read free heap page: %d\n", free_page[0]);
        return 0;
    }
    printf("alternating mmaps: %s\n", alternating_mmaps() ? "ok" : "FAILED");
    printf("opened page by page: %s\n", opened_page_by_page() ? "ok" : "FAILED");
    printf("closed and reopened: %s\n", closed_and_reopened() ? "ok" : "FAILED");
    return 0;
}
