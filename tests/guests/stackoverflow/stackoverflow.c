/*
 * Unbounded recursion: the stack runs into the unmapped guard page below
 * it.  The #PF still reaches the monitor because the CPU switches to the
 * ring-0 stack (TSS.RSP0) to deliver it.
 */
#include "kvmelf.h"

/* Never set: only keeps gcc from rejecting the recursion as infinite. */
static volatile int max_depth;

/* noipa: a real call per level, never turned into a loop. */
__attribute__((noipa)) static int recurse(int depth)
{
    volatile char frame[64];

    frame[0] = (char)depth;
    if (depth == max_depth - 1)
        return 0;
    return recurse(depth + 1) + frame[0];
}

int main(void)
{
    puts("stackoverflow: recursing forever");
    printf("stackoverflow: still alive?! %d\n", recurse(0));
    return 1;
}
