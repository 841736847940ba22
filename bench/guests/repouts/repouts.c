/* repouts.elf N: one rep outsb of N bytes (at most 1 MiB) to COM1. */
#include "kvmelf.h"

#define MAX_BYTES (1 << 20)

static char data[MAX_BYTES];

int main(int argc, char **argv)
{
    unsigned long n = 0;

    for (const char *s = argc > 1 ? argv[1] : "1000"; *s >= '0' && *s <= '9'; s++)
        n = n * 10 + (unsigned long)(*s - '0');
    if (n > MAX_BYTES)
        n = MAX_BYTES;
    memset(data, 'x', n);
    const char *p = data;
    __asm__ volatile("rep outsb" : "+S"(p), "+c"(n)
                     : "d"((uint16_t)KVMELF_PORT_COM1) : "memory");
    return 0;
}
