/*
 * Prints table.h's formats with printf, then some with snprintf and
 * sprintf.  Built twice: as a freestanding guest with kvmelf's runtime,
 * and natively against the host's glibc (-DPRINTF_NATIVE, Makefile):
 * tests/e2e/test_printf checks that both print exactly the same bytes.
 *
 *   printf.elf all   every row
 *   printf.elf int   the rows without floating point (for --ring0: this
 *                    path must run no SSE instruction)
 */
#include <float.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef PRINTF_NATIVE
#include <stdio.h>
#include <wchar.h>
typedef wint_t wint_type;
#else
#include "kvmelf.h"
typedef __WINT_TYPE__ wint_type;
#endif

#include "table.h"

#define ROW(...) printf(" =%d\n", printf(__VA_ARGS__));

/* Not const, so that gcc cannot tell their values at compile time and
 * warn about %s of NULL or a truncation, which the table wants. */
char *null_string;
size_t sizes[] = { 0, 1, 4, 9, 15, 16 };

/* snprintf at a few sizes: the return value, then what fits. */
static void truncated(void)
{
    char buf[16];

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        buf[0] = '#';
        buf[1] = '\0';
        int n = snprintf(buf, sizes[i], "%s:%d", "truncate", -12345);
        printf("snprintf %zu: %d \"%s\"\n", sizes[i], n, buf);
    }
    printf("sprintf: %d \"%s\"\n", sprintf(buf, "%05d|%x", 42, 255u), buf);
}

static int counted(void)
{
    int n = -1;
    signed char hh = -1;

    printf("%s%n|%300d%hhn|\n", "abc", &n, 1, &hh);
    printf("%%n: %d %d\n", n, hh);
    return n == 3 && hh == (signed char)304 ? 0 : 1;
}

int main(int argc, char **argv)
{
    bool fp = argc < 2 || argv[1][0] != 'i';

    INT_ROWS
    truncated();
    int status = counted();
    if (fp) {
        FP_ROWS
        printf("snprintf: %d\n", snprintf(NULL, 0, "%.40f", 1.0 / 3));
    }
    /* An encoding error in the C locale ends the call with -1. */
    printf(" =%d\n", printf("a%lcb", (wint_type)0xe9));
    return status;
}
