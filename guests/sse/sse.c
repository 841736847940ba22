/*
 * Checks that the loader set up .data and zero-filled .bss and that the
 * monitor enabled SSE (CR4.OSFXSR): double arithmetic, sqrtsd and a float
 * loop that gcc -O2 vectorizes (mulps/addps).  Results are printed as
 * integers (value * 1000) because printf has no %f.
 */
#include "kvmelf.h"

/* Non-static so gcc cannot fold their values: they must come from .data. */
double va[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
double vb[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
int data_magic = 0x5eed1234;

/* .bss, spanning several pages past the end of .data's file contents. */
unsigned char zeroed[3 * KVMELF_PAGE_SIZE + 123];
float fa[64], fb[64], fc[64];

static int failures;

static void check(const char *what, long got, long want)
{
    printf("sse: %s = %ld\n", what, got);
    if (got != want) {
        printf("sse: FAIL %s: expected %ld\n", what, want);
        failures++;
    }
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* __builtin_sqrt becomes an inline sqrtsd, but without -fno-math-errno gcc
 * adds a call to sqrt() for negative arguments (to set errno), and the
 * optimize attribute cannot turn that off.  There is no libm: supply the
 * fallback here, as a bare sqrtsd too. */
double sqrt(double x);
double sqrt(double x)
{
    double r;
    __asm__("sqrtsd %1, %0" : "=x"(r) : "x"(x));
    return r;
}

__attribute__((noinline))
static double root(double x)
{
    return __builtin_sqrt(x);
}

/* Trip count 64 and no aliasing doubts: vectorized even at -O2. */
__attribute__((noinline))
static void saxpy(float a)
{
    for (int i = 0; i < 64; i++)
        fc[i] = a * fa[i] + fb[i];
}

int main(void)
{
    long nonzero = 0;
    for (unsigned i = 0; i < sizeof(zeroed); i++)
        nonzero += zeroed[i] != 0;
    check("bss nonzero bytes", nonzero, 0);
    check("data magic", data_magic, 0x5eed1234);

    double d = dot(va, vb, 8);                  /* 1 + 4 + ... + 64 */
    check("dot*1000", (long)(d * 1000), 204000);
    check("sqrt(dot)*1000", (long)(root(d) * 1000), 14282);
    check("sqrt(2.25)*1000", (long)(root(2.25) * 1000), 1500);

    for (int i = 0; i < 64; i++) {
        fa[i] = (float)i;
        fb[i] = 0.5f * (float)i;
    }
    saxpy(2.0f);
    float sum = 0;
    for (int i = 0; i < 64; i++)
        sum += fc[i];                           /* 2.5 * (0 + ... + 63) */
    check("saxpy sum*1000", (long)(sum * 1000), 5040000);

    if (failures) {
        printf("sse: %d check(s) failed\n", failures);
        return 1;
    }
    printf("sse: ok\n");
    return 0;
}
