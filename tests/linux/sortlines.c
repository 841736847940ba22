/* sortlines: reads lines from stdin (read/readv), sorts them, prints them
 * with a count; reports how end of input looked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    char **lines = NULL;
    size_t n = 0, cap = 0;
    char buf[256];

    while (fgets(buf, sizeof buf, stdin)) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4;
            lines = realloc(lines, cap * sizeof *lines);
            if (!lines)
                return 100;
        }
        buf[strcspn(buf, "\n")] = '\0';
        lines[n++] = strdup(buf);
    }
    qsort(lines, n, sizeof *lines, cmp);
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    printf("%zu lines, eof=%d error=%d\n", n, feof(stdin), ferror(stdin));
    return 0;
}
