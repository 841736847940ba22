/* stdio.elf N: N bytes through putchar (the runtime's stdout buffer:
 * 80-byte lines, one bulk-write exit per 64 KiB when not a terminal). */
#include "kvmelf.h"

int main(int argc, char **argv)
{
    unsigned long n = 0;

    for (const char *s = argc > 1 ? argv[1] : "1000"; *s >= '0' && *s <= '9'; s++)
        n = n * 10 + (unsigned long)(*s - '0');
    for (unsigned long i = 0; i < n; i++)
        putchar(i % 80 == 79 ? '\n' : 'x');
    return 0;
}
