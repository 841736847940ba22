/* outs.elf N: N single-byte OUTs to COM1 (one exit each), then exit. */
#include "kvmelf.h"

static unsigned long parse(const char *s)
{
    unsigned long v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (unsigned long)(*s++ - '0');
    return v;
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? parse(argv[1]) : 1000;

    for (unsigned long i = 0; i < n; i++)
        outb(KVMELF_PORT_COM1, 'x');
    return 0;
}
