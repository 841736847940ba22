/* manymaps [N]: makes N separate mappings (default 60000; Linux allows
 * 65530 a process), each one page with a hole after it so none merge,
 * then frees them.  kvmelf's bookkeeping grows to match, which once made
 * the ASan build's allocator give madvise advice the sandbox refused. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    long want = argc > 1 ? atol(argv[1]) : 60000, made = 0;
    static char *maps[65536];

    if (want > 65536)
        want = 65536;
    for (; made < want; made++) {
        char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            break;
        munmap(p + 4096, 4096);        /* the hole */
        p[0] = 1;
        maps[made] = p;
    }
    printf("made %ld of %ld separate mappings\n", made, want);
    for (long i = 0; i < made; i++)
        munmap(maps[i], 4096);
    char *again = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap after munmap: %s\n", again == MAP_FAILED ? "failed" : "ok");
    return made == want ? 0 : 1;
}
