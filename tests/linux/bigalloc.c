/* bigalloc: allocates blocks of growing sizes (brk for small ones, mmap for
 * large ones) until malloc returns NULL, frees everything and allocates
 * again: running out of guest RAM must fail cleanly, not crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXBLOCKS 100000

static void *blocks[MAXBLOCKS];

int main(int argc, char **argv)
{
    size_t total = 0, n = 0, size = 16;
    long ram_mib = argc > 1 ? atol(argv[1]) : 16;

    while (n < MAXBLOCKS) {
        void *p = malloc(size);
        if (!p)
            break;
        memset(p, 0x5a, size);   /* really use it */
        blocks[n++] = p;
        total += size;
        size = size < (1u << 20) ? size * 2 : size;
    }
    printf("malloc returned NULL after %zu blocks: %s\n", n,
           n < MAXBLOCKS ? "yes" : "no");
    printf("got more than half of guest RAM: %s\n",
           total > (size_t)ram_mib << 19 ? "yes" : "no");
    while (n > 0)
        free(blocks[--n]);
    void *again = malloc(1u << 20);
    printf("malloc after free: %s\n", again ? "ok" : "NULL");
    return 0;
}
