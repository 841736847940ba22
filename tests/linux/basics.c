/* basics [ARG...]: what a first real C program does - printf with floats,
 * malloc/free, qsort, argv and the environment - and exits with argc. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    double v[] = { 3.25, -1.5, 2.0, 1e-3, 12345.678 };
    size_t n = sizeof v / sizeof v[0];

    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    for (char **e = environ; *e; e++)
        printf("env %s\n", *e);
    const char *greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");

    double *copy = malloc(n * sizeof *copy);
    if (!copy)
        return 100;
    memcpy(copy, v, sizeof v);
    qsort(copy, n, sizeof *copy, by_value);
    for (size_t i = 0; i < n; i++)
        printf("%.3f%c", copy[i], i + 1 < n ? ' ' : '\n');
    free(copy);
    printf("pi=%.10f sqrt2=%g exp1=%.6e\n", acos(-1.0), sqrt(2.0), exp(1.0));
    printf("%5.1f|%-8.2f|%+.0f\n", 2.25, -0.125, 1e6);
    return argc;
}
