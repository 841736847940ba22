/* Copies stdin to stdout upper-cased (ASCII) and counts the bytes. */
#include "kvmelf.h"

int main(void)
{
    unsigned long n = 0;
    int c;

    while ((c = getchar()) != EOF) {
        if (c >= 'a' && c <= 'z')
            c -= 'a' - 'A';
        putchar(c);
        n++;
    }
    printf("\nstdin: %lu bytes\n", n);
    return 0;
}
