/* gdbmusl [N]: a musl program for a real gdb to debug
 * (tests/e2e/test_gdbstub.c), built -O0 -g (mk/gdb.mk): main -> square, a
 * local that changes, a global the last line prints, and exit status 5
 * (N when given). */
#include <stdio.h>
#include <stdlib.h>

int total = 11;

int square(int n)
{
    int sq = n * n;
    return sq;
}

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 5;
    int base = 4;
    int result = square(base);
    result += 1;
    printf("result %d total %d\n", result, total);
    return status;
}
