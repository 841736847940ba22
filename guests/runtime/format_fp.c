/*
 * The printf engine's floating-point conversions (format.h): f F e E g G
 * a A of a double or an x87 long double, printed exactly as glibc does.
 *
 * The value is taken apart into an integer mantissa and a power of two,
 * and %f/%e/%g convert it with integer arithmetic only: a big decimal
 * number in base-1e9 limbs is built from the mantissa by doubling (a
 * positive exponent) or halving (a negative one), then rounded to the
 * digits asked for, ties to even, as glibc rounds in the default mode.
 * Halving only moves value down to less significant limbs, so limbs
 * below the last one the output needs are dropped and only remembered as
 * "something nonzero" (sticky): every kept digit stays exact, and so does
 * the rounding.  Only va_arg of the double or long double touches SSE or
 * x87 registers; this file is outside -mgeneral-regs-only (Makefile).
 */
#include <float.h>
#include <stdint.h>

#include "format.h"

_Static_assert(LDBL_MANT_DIG == 64 && LDBL_MAX_EXP == 16384,
               "long double is the x87 80-bit format");

#define LIMB_BASE   1000000000u
#define LIMB_DIGITS 9
/* A long double's deepest nonzero digit: 2^-16445 has 16445 decimals. */
#define FRAC_DIGITS_MAX 16445
/* Mantissa limbs: 2^64 has 20 digits. */
#define MANT_LIMBS 3
/* The fraction of LDBL_TRUE_MIN below its mantissa's limbs, with one
 * spare limb in front for a rounding carry (LDBL_MAX's 549 integer limbs
 * fit as well). */
#define BIG_LIMBS (1 + MANT_LIMBS + \
                   (FRAC_DIGITS_MAX + LIMB_DIGITS - 1) / LIMB_DIGITS + 1)
/* Beyond this precision every digit of every long double is 0 (its
 * largest exponent is 4932): the arithmetic stops there, the output
 * pads with zeros. */
#define PREC_EXACT_MAX 32768
/* A shift by 29 keeps limb << shift + carry within 64 bits; one by at
 * most 9 divides LIMB_BASE = 2^9 * 5^9 exactly. */
#define MUL_SHIFT_MAX 29
#define DIV_SHIFT_MAX 9
#define DBL_FRAC_BITS 52
#define LDBL_FRAC_BITS 63
#define DBL_EXP_MASK 0x7ff
#define LDBL_EXP_MASK 0x7fff

static const uint32_t powers_of_ten[LIMB_DIGITS + 1] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
    1000000000,
};

enum fp_kind { FP_KIND_ZERO, FP_KIND_FINITE, FP_KIND_INF, FP_KIND_NAN };

/* value = mant * 2^exp2; %a shows lead.frac (frac_digits hex digits)
 * times 2^hex_exp, glibc's layout for the format. */
struct fp_value {
    bool neg;
    enum fp_kind kind;
    uint64_t mant;
    int exp2;
    unsigned lead;
    uint64_t frac;
    int frac_digits;
    int hex_exp;
};

static void decode_double(uint64_t bits, struct fp_value *v)
{
    unsigned e = (unsigned)(bits >> DBL_FRAC_BITS) & DBL_EXP_MASK;
    uint64_t f = bits & ((1ull << DBL_FRAC_BITS) - 1);

    *v = (struct fp_value){ .neg = bits >> 63, .frac = f,
                            .frac_digits = DBL_FRAC_BITS / 4 };
    if (e == DBL_EXP_MASK) {
        v->kind = f ? FP_KIND_NAN : FP_KIND_INF;
    } else if (e == 0 && f == 0) {
        v->kind = FP_KIND_ZERO;
    } else {
        /* A subnormal has the exponent of the smallest normal, lead 0. */
        int eb = e ? (int)e : 1;
        v->kind = FP_KIND_FINITE;
        v->lead = e != 0;
        v->mant = f | (uint64_t)v->lead << DBL_FRAC_BITS;
        v->exp2 = eb - (DBL_MAX_EXP - 1) - DBL_FRAC_BITS;
        v->hex_exp = eb - (DBL_MAX_EXP - 1);
    }
}

/* The explicit integer bit must match the exponent; glibc prints the
 * encodings where it does not (unnormals, pseudo-infinities and
 * pseudo-NaNs) as nan.  A pseudo-denormal (exponent 0, integer bit set)
 * shows all its bits in glibc's %a, but its decimal conversions drop the
 * integer bit unless it is the only one set: so here. */
static void decode_long_double(uint64_t m, unsigned se, struct fp_value *v)
{
    unsigned e = se & LDBL_EXP_MASK;
    bool integer_bit = m >> LDBL_FRAC_BITS;

    *v = (struct fp_value){ .neg = se >> 15, .frac = m & (UINT64_MAX >> 4),
                            .lead = (unsigned)(m >> 60),
                            .frac_digits = 60 / 4 };
    if (e == LDBL_EXP_MASK || (e != 0 && !integer_bit)) {
        v->kind = integer_bit && (m << 1) == 0 ? FP_KIND_INF : FP_KIND_NAN;
    } else if (m == 0) {
        v->kind = FP_KIND_ZERO;
        v->lead = 0;
    } else {
        int eb = e ? (int)e : 1;
        v->kind = FP_KIND_FINITE;
        v->mant = e == 0 && (m << 1) != 0 ? m & (UINT64_MAX >> 1) : m;
        v->exp2 = eb - (LDBL_MAX_EXP - 1) - LDBL_FRAC_BITS;
        /* The lead digit holds the top 4 of the 64 bits. */
        v->hex_exp = eb - (LDBL_MAX_EXP - 1) - 3;
    }
}

static void read_arg(const struct kvmelf_fmt_spec *sp, va_list *ap,
                     struct fp_value *v)
{
    if (sp->len == KVMELF_LEN_BIG_L || sp->len == KVMELF_LEN_LL) {
        long double x = va_arg(*ap, long double);
        uint64_t m;
        uint16_t se;
        __builtin_memcpy(&m, &x, sizeof m);
        __builtin_memcpy(&se, (const char *)&x + sizeof m, sizeof se);
        decode_long_double(m, se, v);
    } else {
        double x = va_arg(*ap, double);
        uint64_t bits;
        __builtin_memcpy(&bits, &x, sizeof bits);
        decode_double(bits, v);
    }
}

/* ---- The big decimal ---------------------------------------------------- */

/* Limb i has the weight 10^(9 * (r - 1 - i)); limbs outside [a, z) are 0,
 * l[a] and l[z - 1] are not (a == z: the value is 0).  Digit k (weight
 * 10^k) is in limb r - 1 - floor(k / 9). */
struct big {
    uint32_t l[BIG_LIMBS];
    int a, z, r;
    bool sticky;                /* a nonzero part below limb z was dropped */
};

static int64_t floor_div(int64_t n, int64_t d)
{
    return n >= 0 ? n / d : -((-n + d - 1) / d);
}

static int64_t limb_of(const struct big *b, int64_t k)
{
    return b->r - 1 - floor_div(k, LIMB_DIGITS);
}

/* Digit k's place in its limb: 0 for the units, 8 for the top. */
static int place_of(int64_t k)
{
    return (int)(k - LIMB_DIGITS * floor_div(k, LIMB_DIGITS));
}

static uint32_t limb_at(const struct big *b, int64_t i)
{
    return i >= b->a && i < b->z ? b->l[i] : 0;
}

static unsigned digit_at(const struct big *b, int64_t k)
{
    return limb_at(b, limb_of(b, k)) / powers_of_ten[place_of(k)] % 10;
}

static void trim(struct big *b)
{
    while (b->a < b->z && b->l[b->a] == 0)
        b->a++;
    while (b->z > b->a && b->l[b->z - 1] == 0)
        b->z--;
}

/* The exponent of the leading digit (0 for the value 0). */
static int64_t top_exp(const struct big *b)
{
    int64_t k = 0;

    if (b->a == b->z)
        return 0;
    for (uint32_t x = b->l[b->a]; x >= 10; x /= 10)
        k++;
    return k + (int64_t)LIMB_DIGITS * (b->r - 1 - b->a);
}

/* The exponent of the last nonzero digit (of a value that is not 0). */
static int64_t low_exp(const struct big *b)
{
    int64_t k = 0;

    for (uint32_t x = b->l[b->z - 1]; x % 10 == 0; x /= 10)
        k++;
    return k + (int64_t)LIMB_DIGITS * (b->r - b->z);
}

static void mul_pow2(struct big *b, int shift)
{
    uint32_t carry = 0;

    for (int i = b->z - 1; i >= b->a; i--) {
        uint64_t x = ((uint64_t)b->l[i] << shift) + carry;
        b->l[i] = (uint32_t)(x % LIMB_BASE);
        carry = (uint32_t)(x / LIMB_BASE);
    }
    if (carry)
        b->l[--b->a] = carry;
    trim(b);
}

/* Halves shift times; what would go to limb cap or below is dropped. */
static void div_pow2(struct big *b, int shift, int cap)
{
    uint32_t carry = 0, mask = (1u << shift) - 1;
    uint32_t down = LIMB_BASE >> shift;     /* remainder 1's worth below */

    for (int i = b->a; i < b->z; i++) {
        uint32_t rest = b->l[i] & mask;
        b->l[i] = (b->l[i] >> shift) + carry;
        carry = down * rest;
    }
    if (carry) {
        if (b->z < cap)
            b->l[b->z++] = carry;
        else
            b->sticky = true;
    }
    trim(b);
}

/* mant * 2^exp2, exact down to digit cap_digit (lower digits may be
 * only sticky). */
static void big_build(struct big *b, uint64_t mant, int exp2,
                      int64_t cap_digit)
{
    uint32_t parts[MANT_LIMBS] = {
        (uint32_t)(mant / LIMB_BASE / LIMB_BASE),
        (uint32_t)(mant / LIMB_BASE % LIMB_BASE),
        (uint32_t)(mant % LIMB_BASE),
    };

    /* Integers grow towards the front, fractions towards the end. */
    b->r = exp2 >= 0 ? BIG_LIMBS - 1 : 1 + MANT_LIMBS;
    b->a = b->r - MANT_LIMBS;
    b->z = b->r;
    b->sticky = false;
    for (int i = 0; i < MANT_LIMBS; i++)
        b->l[b->a + i] = parts[i];
    trim(b);
    while (exp2 > 0) {
        int shift = exp2 < MUL_SHIFT_MAX ? exp2 : MUL_SHIFT_MAX;
        mul_pow2(b, shift);
        exp2 -= shift;
    }

    int64_t cap = b->r - floor_div(cap_digit, LIMB_DIGITS);
    if (cap > BIG_LIMBS)
        cap = BIG_LIMBS;
    if (cap < b->z)
        cap = b->z;
    while (exp2 < 0) {
        int shift = -exp2 < DIV_SHIFT_MAX ? -exp2 : DIV_SHIFT_MAX;
        div_pow2(b, shift, (int)cap);
        exp2 += shift;
    }
}

/* Whether anything below digit k is nonzero. */
static bool nonzero_below(const struct big *b, int64_t k)
{
    int64_t i = limb_of(b, k);

    if (b->sticky || limb_at(b, i) % powers_of_ten[place_of(k)] != 0)
        return true;
    return b->z > (i + 1 > b->a ? i + 1 : b->a);
}

static void add_at(struct big *b, int i, uint32_t unit)
{
    if (b->a == b->z)
        b->a = b->z = i;
    for (; b->a > i; b->a--)
        b->l[b->a - 1] = 0;
    for (; b->z <= i; b->z++)
        b->l[b->z] = 0;
    b->l[i] += unit;
    for (; b->l[i] >= LIMB_BASE; i--) {
        b->l[i] -= LIMB_BASE;
        if (i == b->a)
            b->l[--b->a] = 0;
        b->l[i - 1]++;
    }
}

/* Rounds to a multiple of 10^k, ties to even.  The digit below k is
 * exact (big_build's cap_digit <= k - 1). */
static void big_round(struct big *b, int64_t k)
{
    unsigned d = digit_at(b, k - 1);
    bool up = d > 5 || (d == 5 && (nonzero_below(b, k - 1) ||
                                   digit_at(b, k) % 2 == 1));
    int64_t i = limb_of(b, k);
    uint32_t unit = powers_of_ten[place_of(k)];

    if (i < b->a) {
        b->z = b->a;                /* all of it is below 10^k */
    } else if (i < b->z) {
        b->l[i] -= b->l[i] % unit;
        b->z = (int)i + 1;
    }
    b->sticky = false;
    if (up)
        add_at(b, (int)i, unit);
    trim(b);
}

/* Digits khi down to klo; those outside the limbs are zeros. */
static void put_digits(struct kvmelf_fmt_out *o, const struct big *b,
                       int64_t khi, int64_t klo)
{
    while (khi >= klo && !o->failed) {
        int64_t i = limb_of(b, khi);
        int place = place_of(khi);
        int64_t n = place + 1 < khi - klo + 1 ? place + 1 : khi - klo + 1;

        if (i >= b->z) {
            kvmelf_fmt_pad(o, '0', (size_t)(khi - klo + 1));
            return;
        }
        if (i < b->a) {
            kvmelf_fmt_pad(o, '0', (size_t)n);
        } else {
            char text[LIMB_DIGITS];
            uint32_t x = b->l[i];
            for (int j = LIMB_DIGITS - 1; j >= 0; j--, x /= 10)
                text[j] = (char)('0' + x % 10);
            kvmelf_fmt_put(o, text + LIMB_DIGITS - 1 - place, (size_t)n);
        }
        khi -= n;
    }
}

/* ---- Layout ------------------------------------------------------------- */

/* A number laid out as sign, zero padding, body: the width check. */
struct layout {
    const char *sign;           /* "", "-", "+" or " " */
    int64_t body;               /* bytes after the sign */
    size_t zeros;               /* '0' flag padding after the sign */
    size_t len;                 /* sign + zeros + body */
};

/* False (and the call fails) when the output would pass INT_MAX. */
static bool lay_out(struct kvmelf_fmt_out *o, const struct kvmelf_fmt_spec *sp,
                    struct layout *lo, bool zero_pad)
{
    size_t slen = lo->sign[0] != '\0';
    int64_t len = (int64_t)slen + lo->body;

    if (len > INT32_MAX) {
        o->failed = true;
        return false;
    }
    lo->len = (size_t)len;
    lo->zeros = 0;
    if (zero_pad && (sp->flags & (KVMELF_FMT_ZERO | KVMELF_FMT_LEFT)) ==
                    KVMELF_FMT_ZERO && (size_t)sp->width > lo->len) {
        lo->zeros = (size_t)sp->width - lo->len;
        lo->len = (size_t)sp->width;
    }
    if (!(sp->flags & KVMELF_FMT_LEFT) && (size_t)sp->width > lo->len)
        kvmelf_fmt_pad(o, ' ', (size_t)sp->width - lo->len);
    kvmelf_fmt_put(o, lo->sign, slen);
    return true;
}

static void finish(struct kvmelf_fmt_out *o, const struct kvmelf_fmt_spec *sp,
                   const struct layout *lo)
{
    if ((sp->flags & KVMELF_FMT_LEFT) && (size_t)sp->width > lo->len)
        kvmelf_fmt_pad(o, ' ', (size_t)sp->width - lo->len);
}

/* The exponent as C wants it: sign, then at least min_digits digits. */
static size_t exp_text(char *buf, int64_t e, int min_digits)
{
    char tmp[8];
    size_t n = 0, len = 0;
    uint64_t u = e < 0 ? (uint64_t)-e : (uint64_t)e;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0 || n < (size_t)min_digits);
    buf[len++] = e < 0 ? '-' : '+';
    while (n > 0)
        buf[len++] = tmp[--n];
    return len;
}

static bool has_point(const struct kvmelf_fmt_spec *sp, int64_t frac)
{
    return frac > 0 || (sp->flags & KVMELF_FMT_ALT);
}

/* %f with frac decimals of the rounded b (top digit x). */
static void put_fixed(struct kvmelf_fmt_out *o, const struct kvmelf_fmt_spec *sp,
                      const char *sign, const struct big *b, int64_t x,
                      int64_t frac)
{
    int64_t ints = x >= 0 ? x + 1 : 1;
    struct layout lo = { .sign = sign,
                         .body = ints + has_point(sp, frac) + frac };

    if (!lay_out(o, sp, &lo, true))
        return;
    kvmelf_fmt_pad(o, '0', lo.zeros);
    put_digits(o, b, ints - 1, 0);
    if (has_point(sp, frac))
        kvmelf_fmt_put(o, ".", 1);
    put_digits(o, b, -1, -frac);
    finish(o, sp, &lo);
}

/* %e with frac decimals after the top digit x. */
static void put_exp(struct kvmelf_fmt_out *o, const struct kvmelf_fmt_spec *sp,
                    const char *sign, const struct big *b, int64_t x,
                    int64_t frac, bool upper)
{
    char e[8];
    size_t elen = exp_text(e, x, 2);
    struct layout lo = { .sign = sign, .body = 1 + has_point(sp, frac) +
                                               frac + 1 + (int64_t)elen };

    if (!lay_out(o, sp, &lo, true))
        return;
    kvmelf_fmt_pad(o, '0', lo.zeros);
    put_digits(o, b, x, x);
    if (has_point(sp, frac))
        kvmelf_fmt_put(o, ".", 1);
    put_digits(o, b, x - 1, x - frac);
    kvmelf_fmt_put(o, upper ? "E" : "e", 1);
    kvmelf_fmt_put(o, e, elen);
    finish(o, sp, &lo);
}

/* A lower bound of the top digit's exponent: value >= 2^n and
 * log10(2) < 0.30103. */
static int64_t top_exp_lower_bound(const struct fp_value *v)
{
    if (v->kind == FP_KIND_ZERO)
        return 0;
    int64_t n = v->exp2 + 63 - __builtin_clzll(v->mant);
    return floor_div(n * 30103, 100000) - 2;
}

static int64_t min64(int64_t x, int64_t y)
{
    return x < y ? x : y;
}

/* %g: precision p significant digits (p >= 1) in %f or %e style. */
static void format_general(struct kvmelf_fmt_out *o,
                           const struct kvmelf_fmt_spec *sp, const char *sign,
                           struct big *b, const struct fp_value *v, int64_t p,
                           bool upper)
{
    int64_t pe = min64(p, PREC_EXACT_MAX);

    big_build(b, v->mant, v->exp2, top_exp_lower_bound(v) - pe);
    int64_t x0 = top_exp(b);
    big_round(b, x0 - (pe - 1));
    int64_t x = top_exp(b);
    bool fixed = p > x && x >= -4;
    int64_t frac = fixed ? p - 1 - x : p - 1;

    /* glibc's choice: when rounding carries a value that %f style would
     * print (999999.5 with %#g) into %e style, it keeps the %f style's
     * count of decimals, 0, and prints "1.e+06", not "1.00000e+06". */
    if (!fixed && p > x0 && x0 >= -4)
        frac = 0;

    if (!(sp->flags & KVMELF_FMT_ALT)) {     /* no trailing zeros */
        int64_t low = b->a == b->z ? 0 : low_exp(b);
        frac = fixed ? (low < 0 ? min64(frac, -low) : 0)
                     : min64(frac, x - low);
    }
    if (fixed)
        put_fixed(o, sp, sign, b, x, frac);
    else
        put_exp(o, sp, sign, b, x, frac, upper);
}

static void format_decimal(struct kvmelf_fmt_out *o,
                           const struct kvmelf_fmt_spec *sp, const char *sign,
                           const struct fp_value *v)
{
    struct big b;
    int64_t p = sp->prec < 0 ? 6 : sp->prec;
    int64_t pe = min64(p, PREC_EXACT_MAX);
    bool upper = sp->conv == 'E' || sp->conv == 'G';

    switch (sp->conv) {
    case 'f': case 'F':
        big_build(&b, v->mant, v->exp2, -pe - 1);
        big_round(&b, -pe);
        put_fixed(o, sp, sign, &b, top_exp(&b), p);
        break;
    case 'e': case 'E':
        big_build(&b, v->mant, v->exp2, top_exp_lower_bound(v) - pe - 1);
        big_round(&b, top_exp(&b) - pe);
        put_exp(o, sp, sign, &b, top_exp(&b), p, upper);
        break;
    default:
        format_general(o, sp, sign, &b, v, p ? p : 1, upper);
        break;
    }
}

/* ---- %a ------------------------------------------------------------------ */

/* Rounds lead.frac to p < frac_digits hex digits, ties to even. */
static void round_hex(struct fp_value *v, int p)
{
    int drop = (v->frac_digits - p) * 4;
    uint64_t kept = (uint64_t)v->lead << (p * 4) | v->frac >> drop;
    uint64_t rest = v->frac & ((1ull << drop) - 1), half = 1ull << (drop - 1);

    if (rest > half || (rest == half && (kept & 1)))
        kept++;
    v->lead = (unsigned)(kept >> (p * 4));
    v->frac = kept & ((1ull << (p * 4)) - 1);
    v->frac_digits = p;
    if (v->lead > 0xf) {            /* 0xf.f... rounded up: glibc's 0x1p+4 */
        v->lead >>= 4;
        v->hex_exp += 4;
    }
}

static void format_hex(struct kvmelf_fmt_out *o,
                       const struct kvmelf_fmt_spec *sp, const char *sign,
                       struct fp_value v)
{
    const char *hex = sp->conv == 'A' ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[16], e[8];
    int64_t p = sp->prec;

    if (p >= 0 && p < v.frac_digits)
        round_hex(&v, (int)p);
    int n = v.frac_digits;
    for (int i = 0; i < n; i++)
        digits[i] = hex[v.frac >> (4 * (n - 1 - i)) & 0xf];
    if (p < 0) {                    /* all digits but trailing zeros */
        while (n > 0 && digits[n - 1] == '0')
            n--;
        p = n;
    }
    size_t elen = exp_text(e, v.hex_exp, 1);
    struct layout lo = { .sign = sign, .body = 2 + 1 + has_point(sp, p) +
                                               p + 1 + (int64_t)elen };

    if (!lay_out(o, sp, &lo, true))
        return;
    kvmelf_fmt_put(o, sp->conv == 'A' ? "0X" : "0x", 2);
    kvmelf_fmt_pad(o, '0', lo.zeros);
    kvmelf_fmt_put(o, &hex[v.lead], 1);
    if (has_point(sp, p))
        kvmelf_fmt_put(o, ".", 1);
    kvmelf_fmt_put(o, digits, (size_t)n);
    kvmelf_fmt_pad(o, '0', (size_t)(p - n));
    kvmelf_fmt_put(o, sp->conv == 'A' ? "P" : "p", 1);
    kvmelf_fmt_put(o, e, elen);
    finish(o, sp, &lo);
}

static void format_special(struct kvmelf_fmt_out *o,
                           const struct kvmelf_fmt_spec *sp, const char *sign,
                           bool nan)
{
    bool upper = sp->conv >= 'A' && sp->conv <= 'Z';
    const char *word = nan ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
    struct layout lo = { .sign = sign, .body = 3 };

    if (lay_out(o, sp, &lo, false)) {   /* '0' pads with spaces here */
        kvmelf_fmt_put(o, word, 3);
        finish(o, sp, &lo);
    }
}

void kvmelf_format_fp(struct kvmelf_fmt_out *o,
                      const struct kvmelf_fmt_spec *sp, va_list *ap)
{
    struct fp_value v;

    read_arg(sp, ap, &v);
    const char *sign = kvmelf_fmt_sign(sp, v.neg);
    if (v.kind == FP_KIND_INF || v.kind == FP_KIND_NAN)
        format_special(o, sp, sign, v.kind == FP_KIND_NAN);
    else if (sp->conv == 'a' || sp->conv == 'A')
        format_hex(o, sp, sign, v);
    else
        format_decimal(o, sp, sign, &v);
}
