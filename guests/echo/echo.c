/* echo(1): the arguments after the program name, space separated. */
#include "kvmelf.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf(i > 1 ? " %s" : "%s", argv[i]);
    putchar('\n');
    return 0;
}
