/* sort: reads its input lines, sorts them with qsort (byte order, like
 * `LC_ALL=C sort`) and prints them.  Lines may be of any length; the last
 * one may lack its newline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lines {
    char **v;
    size_t n, cap;
};

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push(struct lines *l, char *line)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = line;
    return 0;
}

int main(void)
{
    struct lines l = { 0 };
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;

    while ((len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[len - 1] = '\0';
        if (push(&l, line) < 0) {
            fputs("sort: out of memory\n", stderr);
            return 1;
        }
        line = NULL;
        cap = 0;
    }
    free(line);
    qsort(l.v, l.n, sizeof l.v[0], cmp_lines);
    for (size_t i = 0; i < l.n; i++) {
        puts(l.v[i]);
        free(l.v[i]);
    }
    free(l.v);
    fprintf(stderr, "sort: %zu lines\n", l.n);
    return 0;
}
