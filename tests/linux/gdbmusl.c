/* gdbmusl [N|bump|crash]: a musl program for a real gdb to debug
 * (tests/e2e/test_gdbstub.c), built -O0 -g (mk/gdb.mk): main -> square, a
 * local that changes, a global the last line prints, and exit status 5
 * (N when given); then "bump" changes the global three times with a
 * write(2) between the changes, "crash" writes through a NULL pointer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int total = 11;

int square(int n)
{
    int sq = n * n;
    return sq;
}

static void bump(void)
{
    for (int i = 1; i <= 3; i++) {
        total += i;
        printf("total %d\n", total);
        fflush(stdout);          /* a system call between two changes */
    }
}

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 5;
    int base = 4;
    int result = square(base);
    result += 1;
    printf("result %d total %d\n", result, total);
    if (argc > 1 && strcmp(argv[1], "bump") == 0)
        bump();
    if (argc > 1 && strcmp(argv[1], "crash") == 0) {
        int *volatile nowhere = NULL;
        *nowhere = 1;
    }
    return status;
}
