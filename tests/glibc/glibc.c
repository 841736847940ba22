/* glibc: the common things (printf with floats, malloc, argv, stdin) in a
 * static glibc program, which starts with more system calls than musl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    char line[128];
    char *copy = malloc(1000);

    if (!copy)
        return 100;
    printf("glibc argc=%d last=%s %.2f\n", argc, argv[argc - 1], 2.0 / 3.0);
    while (fgets(line, sizeof line, stdin))
        printf("read: %s", line);
    snprintf(copy, 1000, "%s", "done");
    puts(copy);
    free(copy);
    return 7;
}
