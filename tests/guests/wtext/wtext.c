/*
 * Writes one byte over its own code: text pages are read+execute only
 * (W^X), so the store is a #PF the monitor reports as a write to
 * read-only memory.  Keep the CRASH-HERE marker on the faulting line
 * (tests/e2e/test_crash.c looks for it).
 */
#include "kvmelf.h"

__attribute__((noipa)) static int victim(int x)
{
    return x + 1;
}

int main(void)
{
    /* volatile: the store cannot be dropped or moved. */
    volatile unsigned char *code = (volatile unsigned char *)victim;

    puts("wtext: about to write to my own code");
    *code = 0xcc; /* CRASH-HERE */
    printf("wtext: still alive?! %d\n", victim(1));
    return 1;
}
