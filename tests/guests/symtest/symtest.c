/*
 * A guest with known functions and known lines for the symbolizer unit test
 * (tests/unit/test_symbolize.c), which finds the lines by their LINE:
 * markers instead of hard-coding numbers.  Run, it prints one number and
 * exits 0.  Keep the markers on the lines they describe.
 *
 * noipa: no inlining, cloning (level3.constprop.0) or tail call through
 * interprocedural knowledge, so each function keeps its name and its call.
 * The guest CFLAGS keep frame pointers, so main and level2 set up rbp;
 * level3, a leaf that never touches the stack, gets none even so (gcc
 * drops it), like any such leaf.
 */

#include "kvmelf.h"

/* volatile: the stores and loads stay where the source puts them. */
static volatile int sink;

__attribute__((noipa)) static int level3(int x)
{ /* LINE:level3-entry */
    return x * 3 + 1; /* LINE:level3-body */
} /* LINE:level3-end */

__attribute__((noipa)) static int level2(int x)
{ /* LINE:level2-entry */
    int r = level3(x + 1); /* LINE:level2-call */
    sink = r; /* LINE:level2-after */
    return sink + 1;
} /* LINE:level2-end */

int main(int argc, char **argv)
{ /* LINE:main-entry */
    (void)argv;
    int v = level2(argc); /* LINE:main-call */
    printf("symtest: %d\n", v);
    return 0;
} /* LINE:main-end */
