/* Writes numbered lines as fast as the UART takes them:
 *   flood N   N lines "flood: line 000001\n" (19 bytes each), then exit 0
 *   flood     forever (for --timeout, --max-output, a closed stdout) */
#include "kvmelf.h"

static unsigned long number(const char *s)
{
    unsigned long v = 0;

    while (*s >= '0' && *s <= '9')
        v = v * 10 + (unsigned long)(*s++ - '0');
    return v;
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? number(argv[1]) : 0;

    for (unsigned long i = 1; n == 0 || i <= n; i++)
        printf("flood: line %06lu\n", i);
    return 0;
}
