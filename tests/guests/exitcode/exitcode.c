/* exitcode [N]: exit(N) (decimal), default 3. */
#include "kvmelf.h"

int main(int argc, char **argv)
{
    int status = 3;
    if (argc > 1) {
        const char *s = argv[1];
        int sign = 1;
        if (*s == '-') {
            sign = -1;
            s++;
        }
        status = 0;
        while (*s >= '0' && *s <= '9')
            status = status * 10 + (*s++ - '0');
        status *= sign;
    }
    printf("exitcode: exiting with %d\n", status);
    exit(status);
}
