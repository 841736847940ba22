/*
 * Reads a non-canonical address: #GP(0), not a page fault, and not a
 * privileged instruction either (so no --ring0 advice).  Keep the
 * CRASH-HERE marker on the faulting line.
 */
#include "kvmelf.h"

int main(void)
{
    volatile int *p = (volatile int *)0x8000000000000000ull;

    puts("gpfault: about to read a non-canonical address");
    printf("gpfault: still alive?! %d\n", *p); /* CRASH-HERE */
    return 1;
}
