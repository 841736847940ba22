/*
 * The guest runtime's printf engine (guests/runtime/format.c and
 * format_fp.c, compiled for the host) against the host's glibc snprintf,
 * byte for byte and return value for return value: tables of formats
 * made of every conversion, flag set, width, precision and length
 * modifier (literal and '*') over edge values, then many doubles and long
 * doubles (powers of ten and their neighbours, exact halfway cases,
 * subnormals, random bit patterns; a fixed seed, so every run checks the
 * same values), then snprintf's truncation, %n and the error returns.
 * glibc runs in the C locale here, which is the locale the runtime has.
 *
 * Under valgrind (KVMELF_UNDER_VALGRIND) every table is thinned to one
 * entry in THIN_UNDER_VALGRIND, and long doubles are converted but not
 * compared: valgrind computes x87 loads and stores in 64 bits (a limit
 * its manual states), so the values themselves arrive altered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>               /* INFINITY and NAN; no libm */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "guests/runtime/format.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Room for the longest output here (%.20000Le); longer ones truncate in
 * both, which is compared too. */
#define OUT_SIZE 32768
#define MAX_REPORTED 20
#define FMT_SIZE 64
#define SEED 0x9e3779b97f4a7c15ull
#define THIN_UNDER_VALGRIND 8

static char want[OUT_SIZE], got[OUT_SIZE];
static unsigned long checked, mismatches;
static bool under_valgrind;
static unsigned thin = 1;           /* 1 of thin table entries is used */

/* The runtime's snprintf.  No format attribute: the tests pass formats
 * gcc would warn about on purpose. */
static int ours(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvmelf_vsnformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* What a mismatch report shows about the argument. */
enum val_kind { V_INT, V_LLONG, V_DOUBLE, V_LDOUBLE, V_PTR, V_STR, V_WSTR };

struct val {
    enum val_kind kind;
    long long i;
    double d;
    long double ld;
    const void *p;
};

static void describe(const struct val *v, char *buf, size_t n)
{
    uint64_t bits;
    switch (v->kind) {
    case V_INT:
    case V_LLONG:
        snprintf(buf, n, "%lld (%#llx)", v->i, (unsigned long long)v->i);
        break;
    case V_DOUBLE:
        memcpy(&bits, &v->d, sizeof bits);
        snprintf(buf, n, "%a (bits %#" PRIx64 ")", v->d, bits);
        break;
    case V_LDOUBLE:
        snprintf(buf, n, "%La", v->ld);
        break;
    case V_PTR:
        snprintf(buf, n, "pointer %p", v->p);
        break;
    case V_STR:
        snprintf(buf, n, "string \"%s\"", v->p ? (const char *)v->p : "NULL");
        break;
    case V_WSTR:
        snprintf(buf, n, "a wide string");
        break;
    }
}

/* Both outputs, up to the NUL the shorter size puts; an error return
 * only (glibc leaves more or less of the output, by case). */
static bool same_output(int rw, int rg)
{
    if (rw != rg)
        return false;
    if (rw < 0)
        return true;
    size_t n = (size_t)rw < OUT_SIZE ? (size_t)rw : OUT_SIZE - 1;
    return memcmp(want, got, n + 1) == 0;
}

/* glibc and the runtime print fmt with the arguments after it. */
static void compare(const struct val *v, const char *fmt, ...)
{
    char what[128];
    va_list a, b;

    va_start(a, fmt);
    va_copy(b, a);
    int rg = kvmelf_vsnformat(got, sizeof got, fmt, b);
    if (under_valgrind && v->kind == V_LDOUBLE) {
        va_end(b);
        va_end(a);
        return;
    }
    int rw = vsnprintf(want, sizeof want, fmt, a);
    va_end(b);
    va_end(a);
    checked++;
    if (same_output(rw, rg))
        return;
    if (mismatches++ >= MAX_REPORTED)
        return;
    describe(v, what, sizeof what);
    print_error("\"%s\" with %s:\n  glibc  %d \"%.300s\"\n  kvmelf %d \"%.300s\"\n",
                fmt, what, rw, want, rg, got);
}

/* Compares f with the ns '*' arguments in st[] and then v. */
#define COMPARE(f, ns, st, v, desc)                                    \
    ((ns) == 0 ? compare(desc, f, v)                                   \
     : (ns) == 1 ? compare(desc, f, (st)[0], v)                        \
     : compare(desc, f, (st)[0], (st)[1], v))

static void begin(void)
{
    checked = mismatches = 0;
}

static void end(const char *what)
{
    fprintf(stderr, "  %s: %lu formats compared with glibc\n", what, checked);
    if (mismatches)
        fail_msg("%lu of %lu differ from glibc", mismatches, checked);
}

/* ---- Building formats ---------------------------------------------------- */

/* A width or precision: literal text, or "*" / ".*" taking star. */
struct part {
    const char *text;
    int star;
};

static const char *const flag_chars = "-+ #0";
#define FLAG_SETS 32                /* every subset of flag_chars */

static const struct part widths[] = {
    { "", 0 }, { "1", 0 }, { "7", 0 }, { "24", 0 },
    { "*", 5 }, { "*", -9 }, { "*", 0 },
};
static const struct part precs[] = {
    { "", 0 }, { ".", 0 }, { ".0", 0 }, { ".1", 0 }, { ".6", 0 },
    { ".30", 0 }, { ".*", 3 }, { ".*", -1 }, { ".*", 0 },
};

static void flags_text(unsigned set, char *out)
{
    for (size_t i = 0; flag_chars[i]; i++)
        if (set & (1u << i))
            *out++ = flag_chars[i];
    *out = '\0';
}

/* "[%" flags width precision length conv "]"; returns the '*' count and
 * fills star[] with their arguments. */
static int make_fmt(char *out, unsigned set, const struct part *w,
                    const struct part *p, const char *len, char conv,
                    int star[2])
{
    char flags[8];
    int ns = 0;

    flags_text(set, flags);
    snprintf(out, FMT_SIZE, "[%%%s%s%s%s%c]", flags, w->text, p->text, len,
             conv);
    if (strchr(w->text, '*'))
        star[ns++] = w->star;
    if (strchr(p->text, '*'))
        star[ns++] = p->star;
    return ns;
}

/* Calls fn with every flag set, width and precision of one conversion
 * and length modifier. */
typedef void shape_fn(const char *fmt, int ns, const int star[2]);

static void for_each_shape(const char *len, char conv, shape_fn *fn)
{
    char fmt[FMT_SIZE];
    int star[2];
    unsigned n = 0;

    for (unsigned set = 0; set < FLAG_SETS; set++)
        for (size_t w = 0; w < ARRAY_LEN(widths); w++)
            for (size_t p = 0; p < ARRAY_LEN(precs); p++) {
                if (n++ % thin != 0)
                    continue;
                int ns = make_fmt(fmt, set, &widths[w], &precs[p], len, conv,
                                  star);
                fn(fmt, ns, star);
            }
}

/* Fewer shapes, for the long tables of values. */
static const char *const int_shapes[] = {
    "[%", "[%#", "[%+", "[% ", "[%020", "[%-30", "[%.25", "[%#.0",
};

/* ---- Integers ------------------------------------------------------------ */

static const char int_convs[] = "diouxX";

static const long long int_values[] = {
    0, 1, -1, 7, 8, 9, 10, 15, 16, 42, 100, 127, 128, 255, 256, -128, -129,
    32767, 32768, 65535, 65536, -32768, -32769, 999999999, 1000000000,
    INT_MAX, INT_MIN, (long long)UINT_MAX, (long long)UINT_MAX + 1,
    LLONG_MAX, LLONG_MIN, -2, 0x123456789abcdef0LL, -0x123456789abcdefLL,
    01234567012345670LL, 12345678901234567LL,
};

static void int_shape(const char *fmt, int ns, const int star[2])
{
    static const int small[] = { 0, 1, -1, 42, INT_MIN, INT_MAX };

    for (size_t i = 0; i < ARRAY_LEN(small); i++) {
        struct val v = { .kind = V_INT, .i = small[i] };
        COMPARE(fmt, ns, star, small[i], &v);
    }
}

static void test_integer_shapes(void **state)
{
    (void)state;
    begin();
    for (const char *c = int_convs; *c; c++)
        for_each_shape("", *c, int_shape);
    end("integer conversions x flags x widths x precisions");
}

static void test_integer_lengths(void **state)
{
    (void)state;
    static const char *const lens[] = { "hh", "h", "", "l", "ll", "j", "z", "t" };
    char fmt[FMT_SIZE];
    int none[2] = { 0, 0 };

    begin();
    for (const char *c = int_convs; *c; c++)
        for (size_t l = 0; l < ARRAY_LEN(lens); l++)
            for (size_t s = 0; s < ARRAY_LEN(int_shapes); s++) {
                snprintf(fmt, sizeof fmt, "%s%s%c]", int_shapes[s], lens[l], *c);
                for (size_t i = 0; i < ARRAY_LEN(int_values); i++) {
                    long long x = int_values[i];
                    struct val v = { .kind = V_LLONG, .i = x };
                    /* hh, h and none take an int, the others 64 bits. */
                    if (l <= 2)
                        COMPARE(fmt, 0, none, (int)x, &v);
                    else
                        COMPARE(fmt, 0, none, x, &v);
                }
            }
    end("integer conversions x length modifiers x edge values");
}

/* ---- Characters, strings, pointers, %%, unknown conversions --------------- */

static void string_shape(const char *fmt, int ns, const int star[2])
{
    static const char *const strs[] = { "", "a", "hello", "(null)",
        "a somewhat longer string of forty bytes.", NULL };

    for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
        struct val v = { .kind = V_STR, .p = strs[i] };
        COMPARE(fmt, ns, star, strs[i], &v);
    }
}

static void char_shape(const char *fmt, int ns, const int star[2])
{
    static const int chars[] = { 'a', ' ', '%', 0, 0x7f, 0xe9, 0x100 + 'b' };

    for (size_t i = 0; i < ARRAY_LEN(chars); i++) {
        struct val v = { .kind = V_INT, .i = chars[i] };
        COMPARE(fmt, ns, star, chars[i], &v);
    }
}

static void test_chars_and_strings(void **state)
{
    (void)state;
    begin();
    for_each_shape("", 's', string_shape);
    for_each_shape("", 'c', char_shape);
    end("%c and %s x flags x widths x precisions");
}

/* The C locale: ASCII wide characters print, others are an encoding
 * error (-1). */
static void test_wide(void **state)
{
    (void)state;
    static const wchar_t *const wstrs[] = { L"", L"abc", L"x\xe9y",
        L"\x80", L"\x7f~", L"tab\there", NULL };
    static const wint_t wchars[] = { L'a', 0, 0x7f, 0x80, 0xe9, 0x263a,
        WEOF, 0x10ffff };
    static const char *const shapes[] = { "[%", "[%5", "[%-5", "[%.1",
        "[%.0", "[%8.2", "[%.6", "[%0.5", "[%*" };
    char fmt[FMT_SIZE];
    int star[2] = { -7, 0 };

    begin();
    for (size_t s = 0; s < ARRAY_LEN(shapes); s++) {
        int ns = strchr(shapes[s], '*') ? 1 : 0;
        snprintf(fmt, sizeof fmt, "%sls]", shapes[s]);
        for (size_t i = 0; i < ARRAY_LEN(wstrs); i++) {
            struct val v = { .kind = V_WSTR };
            COMPARE(fmt, ns, star, wstrs[i], &v);
        }
        snprintf(fmt, sizeof fmt, "%slc]", shapes[s]);
        for (size_t i = 0; i < ARRAY_LEN(wchars); i++) {
            struct val v = { .kind = V_INT, .i = (long long)wchars[i] };
            COMPARE(fmt, ns, star, wchars[i], &v);
        }
    }
    end("%lc and %ls");
}

static void pointer_shape(const char *fmt, int ns, const int star[2])
{
    static const uintptr_t ptrs[] = { 0, 1, 0x10, 0xdeadbeef,
        0x7ffff7a0b000, UINTPTR_MAX };

    for (size_t i = 0; i < ARRAY_LEN(ptrs); i++) {
        void *p = (void *)ptrs[i];
        struct val v = { .kind = V_PTR, .p = p };
        COMPARE(fmt, ns, star, p, &v);
    }
}

static void test_pointers(void **state)
{
    (void)state;
    begin();
    for_each_shape("", 'p', pointer_shape);
    end("%p x flags x widths x precisions");
}

/* %% and conversions glibc does not know: it prints the specification
 * it parsed, rebuilt. */
static void unknown_shape(const char *fmt, int ns, const int star[2])
{
    struct val v = { .kind = V_INT, .i = 0 };

    COMPARE(fmt, ns, star, 0, &v);
}

static void test_percent_and_unknown(void **state)
{
    (void)state;
    static const char convs[] = "%ykr";
    static const char *const lens[] = { "", "l", "hh", "L" };

    begin();
    for (const char *c = convs; *c; c++)
        for (size_t l = 0; l < ARRAY_LEN(lens); l++)
            for_each_shape(lens[l], *c, unknown_shape);
    struct val v = { .kind = V_INT };
    compare(&v, "%'d %'5y %'f %--5d %+ d % +d %0-5d %-05d %00005d", 1234567,
            12345.5, 1, 2, 3, 4, 5, 6);
    end("%% and unknown conversions");
}

/* ---- Floating point -------------------------------------------------------- */

static const char fp_convs[] = "fFeEgGaA";

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

/* An x87 long double from its 64-bit mantissa and sign/exponent. */
static long double ld_from_bits(uint64_t mant, uint16_t se)
{
    long double x = 0;
    memcpy(&x, &mant, sizeof mant);
    memcpy((char *)&x + sizeof mant, &se, sizeof se);
    return x;
}

static uint64_t bits_of(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* 2^-n, exactly (n <= 16000). */
static long double pow2_neg(int n)
{
    return ld_from_bits(1ull << 63, (uint16_t)(0x3fff - n));
}

/* The next long double up from a positive finite x. */
static long double ld_next_up(long double x)
{
    uint64_t mant;
    uint16_t se;
    memcpy(&mant, &x, sizeof mant);
    memcpy(&se, (char *)&x + sizeof mant, sizeof se);
    if (++mant == 0) {
        mant = 1ull << 63;
        se++;
    }
    return ld_from_bits(mant, se);
}

static uint64_t rng_state = SEED;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const double fp_edges[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 0.1, 9.5, 0.95, 9.9999999,
    99.5, 0.125, 123456789.0, 1e-5, 1e-4, 1e15, 1e16, 1e21, 1e22, 1e23,
    DBL_MAX, DBL_MIN, DBL_TRUE_MIN, -DBL_MIN / 3, DBL_EPSILON, 1.0 / 3,
    0x1.fffffffffffffp0, 0x1.8p0, 0x1.08p0, 0x1.0000000000008p0,
    0x1.0000000000018p0, 0x0.0000000000008p-1022, 5e-324 * 3,
    INFINITY, -INFINITY, NAN, -NAN,
};

static void double_shape(const char *fmt, int ns, const int star[2])
{
    static const double vals[] = { 0.0, -0.0, 1.0, -2.5, 0.1, 9.9999999,
        99.5, 1e-5, 123456.5, 1e21, DBL_MAX, DBL_TRUE_MIN, 0x1.08p0,
        INFINITY, -NAN };

    for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
        struct val v = { .kind = V_DOUBLE, .d = vals[i] };
        COMPARE(fmt, ns, star, vals[i], &v);
    }
}

static void test_float_shapes(void **state)
{
    (void)state;
    begin();
    for (const char *c = fp_convs; *c; c++)
        for_each_shape("", *c, double_shape);
    end("floating conversions x flags x widths x precisions");
}

static void long_double_shape(const char *fmt, int ns, const int star[2])
{
    /* The extremes, slow to convert, are test_long_double_values'. */
    static const long double vals[] = { 0.0L, -0.0L, 1.0L, 0.1L, -9.5L,
        0xf.8p0L, 1e-5L, 123456.5L, 999999.5L, 1e300L, -INFINITY, NAN };

    for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
        struct val v = { .kind = V_LDOUBLE, .ld = vals[i] };
        COMPARE(fmt, ns, star, vals[i], &v);
    }
}

static void test_long_double_shapes(void **state)
{
    (void)state;
    begin();
    for (const char *c = fp_convs; *c; c++)
        for_each_shape("L", *c, long_double_shape);
    end("%L floating conversions x flags x widths x precisions");
}

/* Formats for long lists of values: every conversion at precisions from
 * none to past the exact digits; '*' precisions come from prec_stars. */
static const char *const fp_value_fmts[] = {
    "%f", "%.0f", "%.1f", "%.3f", "%.17f", "%.60f", "%e", "%.0e", "%.1e",
    "%.16e", "%.17e", "%.40e", "%g", "%.1g", "%.17g", "%.30g", "%#g", "%a",
    "%.0a", "%.1a", "%.12a", "%.20a", "%A", "%+E", "%-+25.15G",
};

static void compare_double(double d)
{
    int none[2] = { 0, 0 };
    struct val v = { .kind = V_DOUBLE, .d = d };

    for (size_t f = 0; f < ARRAY_LEN(fp_value_fmts); f++)
        COMPARE(fp_value_fmts[f], 0, none, d, &v);
}

static const char *const ld_value_fmts[] = {
    "%Lf", "%.0Lf", "%.2Lf", "%.25Lf", "%Le", "%.0Le", "%.19Le", "%.30Le",
    "%Lg", "%.21Lg", "%#.3Lg", "%La", "%.0La", "%.3La", "%.15La", "%LA",
    "%.17LG",
};

static void compare_long_double(long double x)
{
    int none[2] = { 0, 0 };
    struct val v = { .kind = V_LDOUBLE, .ld = x };

    for (size_t f = 0; f < ARRAY_LEN(ld_value_fmts); f++)
        COMPARE(ld_value_fmts[f], 0, none, x, &v);
}

/* x at every precision p in [lo, hi] of conversion conv ('f', 'e', ...). */
static void compare_precisions(char conv, bool ld, long double x, int lo,
                               int hi)
{
    char fmt[16];
    struct val v = { .kind = ld ? V_LDOUBLE : V_DOUBLE, .d = (double)x,
                     .ld = x };

    snprintf(fmt, sizeof fmt, "%%.*%s%c", ld ? "L" : "", conv);
    for (int p = lo; p <= hi; p++) {
        int star[2] = { p, 0 };
        if (ld)
            COMPARE(fmt, 1, star, x, &v);
        else
            COMPARE(fmt, 1, star, (double)x, &v);
    }
}

static void test_double_values(void **state)
{
    (void)state;
    begin();
    for (size_t i = 0; i < ARRAY_LEN(fp_edges); i++)
        compare_double(fp_edges[i]);
    /* Powers of ten and their neighbours, all through the range. */
    for (int k = -325; k <= 309; k += (int)thin) {
        char text[16];
        snprintf(text, sizeof text, "1e%d", k);
        double d = strtod(text, NULL);
        compare_double(d);
        compare_double(from_bits(bits_of(d) - 1));
        compare_double(from_bits(bits_of(d) + 1));
        compare_precisions('e', false, d, 14, 18);
    }
    /* Random bit patterns: every exponent, subnormals, NaN payloads. */
    for (unsigned i = 0; i < 3000 / thin; i++)
        compare_double(from_bits(rnd()));
    for (unsigned i = 0; i < 500 / thin; i++)
        compare_double(from_bits(rnd() & 0x800fffffffffffffull));
    end("doubles: edges, powers of ten +- 1 ulp, random bit patterns");
}

/* m / 2^n is exact with n decimals: rounding it to n - 1 of them is a
 * tie, and so is rounding it in %e to one digit less than it has. */
static void test_halfway(void **state)
{
    (void)state;
    begin();
    for (int n = 1; n <= 70; n++)
        for (unsigned i = 0; i < 12 / thin; i++) {
            uint64_t m = (rnd() >> (11 + rnd() % 40)) | 1;
            double d = (double)m * (double)pow2_neg(n);
            compare_precisions('f', false, d, n - 2 > 0 ? n - 2 : 0, n + 1);
            compare_precisions('e', false, d, 0, 25);
            compare_precisions('g', false, d, 0, 25);
            long double x = (long double)(rnd() | 1) * pow2_neg(n);
            compare_precisions('f', true, x, n - 2 > 0 ? n - 2 : 0, n + 1);
            compare_precisions('e', true, x, 15, 30);
        }
    /* Integers and halves at every digit count: 0.5, 2.5, 12.5, 1250... */
    for (long double x = 0.5L; x < 1e19L; x *= 5) {
        compare_precisions('f', false, (double)x, 0, 3);
        compare_precisions('e', false, (double)x, 0, 20);
        compare_precisions('e', true, x, 0, 22);
        compare_precisions('g', true, x, 0, 22);
    }
    end("exact halfway cases at every precision");
}

/* A long double with a random mantissa (integer bit set) and exponent. */
static long double random_long_double(void)
{
    uint64_t mant = rnd() | 1ull << 63;
    uint16_t se = (uint16_t)(rnd() % 0x7fff) | (uint16_t)(rnd() & 0x8000);
    return ld_from_bits(mant, se);
}

static void test_long_double_values(void **state)
{
    (void)state;
    static const long double edges[] = { 0.0L, -0.0L, 1.0L, 0.1L, 2.5L,
        1e-5L, 1e4932L, LDBL_MAX, LDBL_MIN, -LDBL_MIN / 3, LDBL_TRUE_MIN,
        LDBL_EPSILON, 1.0L / 3, 0xf.fffffffffffffffp0L, 0x8.8p0L,
        INFINITY, -INFINITY, NAN, -NAN, (long double)DBL_MAX,
        (long double)DBL_TRUE_MIN };

    begin();
    for (size_t i = 0; i < ARRAY_LEN(edges); i++)
        compare_long_double(edges[i]);
    /* Encodings the FPU never makes: glibc prints nan for unnormals,
     * pseudo-infinities and pseudo-NaNs, a value for pseudo-denormals. */
    compare_long_double(ld_from_bits(1ull << 62, 0x3fff));
    compare_long_double(ld_from_bits(0, 0x7fff));
    compare_long_double(ld_from_bits(1ull << 62, 0xffff));
    compare_long_double(ld_from_bits(1ull << 63, 0));
    compare_long_double(ld_from_bits(0xc000000000000000ull, 0x8000));
    compare_long_double(ld_from_bits(0x8000000000000001ull, 0x7fff));
    for (int k = -4951; k <= 4932; k += 97 * (int)thin) {
        char text[16];
        snprintf(text, sizeof text, "1e%d", k);
        long double x = strtold(text, NULL);
        compare_long_double(x);
        compare_long_double(ld_next_up(x));
    }
    for (unsigned i = 0; i < 150 / thin; i++)
        compare_long_double(random_long_double());
    for (unsigned i = 0; i < 60 / thin; i++) { /* subnormals, pseudo-denormals */
        uint64_t mant = rnd();
        mant >>= rnd() % 64;
        compare_long_double(ld_from_bits(mant, (uint16_t)(rnd() & 0x8000)));
    }
    end("long doubles: edges, odd encodings, powers of ten, random");
}

/* Precision past the exact digits pads with zeros; LDBL_TRUE_MIN has
 * 16445 decimals. */
static void test_long_outputs(void **state)
{
    (void)state;
    int none[2] = { 0, 0 };
    struct val v = { .kind = V_LDOUBLE };

    begin();
    v.ld = LDBL_TRUE_MIN;
    COMPARE("%.16500Lf", 0, none, LDBL_TRUE_MIN, &v);
    COMPARE("%.20000Le", 0, none, LDBL_TRUE_MIN, &v);
    v.ld = LDBL_MAX;
    COMPARE("%.3000Lf", 0, none, LDBL_MAX, &v);
    v.kind = V_DOUBLE;
    v.d = DBL_TRUE_MIN;
    compare(&v, "%.1100f|%.800e|%.800g|%#.800g|%.100a", DBL_TRUE_MIN,
            DBL_TRUE_MIN, DBL_TRUE_MIN, DBL_TRUE_MIN, DBL_TRUE_MIN);
    v.d = 1.0;
    COMPARE("%.40000f", 0, none, 1.0, &v);          /* truncated in both */
    COMPARE("%40000.3e", 0, none, 1.0, &v);
    end("long outputs");
}

/* ---- snprintf, %n, errors --------------------------------------------------- */

#define GUARD 0x5a

/* Every size from 0 to past the output: the same bytes, NUL and return,
 * and nothing written at or after buf[size]. */
static void test_truncation(void **state)
{
    (void)state;
    static const char *const fmts[] = { "abc%d|%s|%10.3e|%-6x|%%", "%lc%c%c" };
    char a[64], b[64];

    begin();
    for (size_t f = 0; f < ARRAY_LEN(fmts); f++)
        for (size_t size = 0; size <= 40; size++) {
            memset(a, GUARD, sizeof a);
            memset(b, GUARD, sizeof b);
            int rw, rg;
            if (f == 0) {
                rw = snprintf(a, size, fmts[f], -42, "str", 3.14159, 255u);
                rg = ours(b, size, fmts[f], -42, "str", 3.14159, 255u);
            } else {
                rw = snprintf(a, size, fmts[f], (wint_t)'w', 0, 'x');
                rg = ours(b, size, fmts[f], (wint_t)'w', 0, 'x');
            }
            checked++;
            if (rw != rg || memcmp(a, b, sizeof a) != 0) {
                mismatches++;
                print_error("size %zu of \"%s\": glibc %d, kvmelf %d\n",
                            size, fmts[f], rw, rg);
            }
            assert_int_equal(b[size], GUARD);
        }
    assert_int_equal(ours(NULL, 0, "%s and %d", "nothing written", 12345), 25);
    end("snprintf truncation");
}

/* %n with every length stores the count so far into its own type only. */
static void test_count(void **state)
{
    (void)state;
    union { signed char hh; short h; int i; long l; long long ll;
            intmax_t j; size_t z; ptrdiff_t t; unsigned char bytes[16]; } w, g;
    static const char *const fmts[] = { "%300d%hhn", "%300d%hn", "%300d%n",
        "%300d%ln", "%300d%lln", "%300d%jn", "%300d%zn", "%300d%tn",
        "%70000d%hn", "%70000d%hhn" };

    begin();
    for (size_t f = 0; f < ARRAY_LEN(fmts); f++) {
        memset(&w, GUARD, sizeof w);
        memset(&g, GUARD, sizeof g);
        int rw = snprintf(want, sizeof want, fmts[f], 7, (void *)&w);
        int rg = ours(got, sizeof got, fmts[f], 7, (void *)&g);
        checked++;
        if (rw != rg || memcmp(&w, &g, sizeof w) != 0) {
            mismatches++;
            print_error("\"%s\": glibc %d, kvmelf %d, or stored differently\n",
                        fmts[f], rw, rg);
        }
    }
    /* Several in one format, and one at the start. */
    int c[3] = { 0, 0, 0 };
    assert_int_equal(ours(got, sizeof got, "%nab%ncd%5s%n", &c[0], &c[1], "x",
                          &c[2]), 9);
    assert_int_equal(c[0], 0);
    assert_int_equal(c[1], 2);
    assert_int_equal(c[2], 9);
    end("%n");
}

/* glibc returns -1 for these: a format ending inside a conversion, a
 * width or precision above INT_MAX, output past INT_MAX, a wide
 * character outside ASCII.  Where glibc gets there by writing 2 GiB of
 * padding first (seconds), only the runtime's -1 is checked. */
static void test_errors(void **state)
{
    (void)state;
    static const char *const fmts[] = { "x%", "x%5", "x%l", "x%-#", "x%.",
        "x%99999999999dy", "x%.99999999999dy" };
    int none[2] = { 0, 0 };
    struct val v = { .kind = V_INT, .i = 1 };

    begin();
    for (size_t f = 0; f < ARRAY_LEN(fmts); f++)
        COMPARE(fmts[f], 0, none, 1, &v);
    COMPARE("a%lcb", 0, none, (wint_t)0xe9, &v);
    COMPARE("a%5lsb", 0, none, L"x\xe9y", &v);
    end("error returns");
    assert_int_equal(ours(got, sizeof got, "x%2147483647dy", 1), -1);
    assert_int_equal(ours(got, sizeof got, "x%2147483647cy", 'c'), -1);
    assert_int_equal(ours(got, sizeof got, "x%*dy", INT_MIN, 1), -1);
    assert_int_equal(ours(got, sizeof got, "x%.2147483647fy", 1.0), -1);
}

int main(void)
{
    under_valgrind = getenv("KVMELF_UNDER_VALGRIND") != NULL;
    if (under_valgrind) {
        thin = THIN_UNDER_VALGRIND;
        fprintf(stderr, "under valgrind: 1 in %u table entries, long doubles "
                "converted but not compared\n", thin);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_shapes),
        cmocka_unit_test(test_integer_lengths),
        cmocka_unit_test(test_chars_and_strings),
        cmocka_unit_test(test_wide),
        cmocka_unit_test(test_pointers),
        cmocka_unit_test(test_percent_and_unknown),
        cmocka_unit_test(test_float_shapes),
        cmocka_unit_test(test_long_double_shapes),
        cmocka_unit_test(test_double_values),
        cmocka_unit_test(test_halfway),
        cmocka_unit_test(test_long_double_values),
        cmocka_unit_test(test_long_outputs),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("printf", tests, NULL, NULL);
}
