/* bulkwrite.elf TOTAL CHUNK: TOTAL bytes to stdout through the bulk-write
 * port, CHUNK bytes (at most 1 MiB) per exit (kvmelf_write). */
#include "kvmelf.h"

#define MAX_CHUNK (1 << 20)

static char chunk[MAX_CHUNK];

static unsigned long parse(const char *s)
{
    unsigned long v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (unsigned long)(*s++ - '0');
    return v;
}

int main(int argc, char **argv)
{
    unsigned long total = argc > 1 ? parse(argv[1]) : MAX_CHUNK;
    unsigned long size = argc > 2 ? parse(argv[2]) : MAX_CHUNK;

    if (size == 0 || size > MAX_CHUNK)
        size = MAX_CHUNK;
    memset(chunk, 'x', size);
    for (unsigned long done = 0; done < total; done += size)
        kvmelf_write(chunk, total - done < size ? total - done : size);
    return 0;
}
