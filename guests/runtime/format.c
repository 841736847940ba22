/*
 * The printf engine's parser and its integer, character, string, %p and
 * %n conversions (format.h).  Built with -mgeneral-regs-only in the guest
 * runtime: a --ring0 guest printing no floating-point value runs no SSE or
 * x87 instruction here, which would stop the VM where KVM emulates ring 0.
 */
#include <limits.h>
#include <stdint.h>

#include "format.h"

/* glibc's wint_t and wchar_t, without <wchar.h> (the runtime has none). */
typedef __WINT_TYPE__ fmt_wint;
typedef __WCHAR_TYPE__ fmt_wchar;

/* The C locale's wide characters: ASCII, one byte each. */
#define C_LOCALE_WCHAR_END 0x80u

/* Octal digits of 2^64 - 1, the longest number. */
#define INT_DIGITS_MAX 22

void kvmelf_fmt_put(struct kvmelf_fmt_out *o, const char *s, size_t n)
{
    if (o->failed || n == 0)
        return;
    if (n > (size_t)INT_MAX - o->count) {
        o->failed = true;
        return;
    }
    o->count += n;
    o->sink(o->ctx, s, n);
}

void kvmelf_fmt_pad(struct kvmelf_fmt_out *o, char c, size_t n)
{
    static const char zeros[] = "00000000000000000000000000000000";
    static const char spaces[] = "                                ";
    const char *run = c == '0' ? zeros : spaces;

    while (n > 0 && !o->failed) {
        size_t k = n < sizeof zeros - 1 ? n : sizeof zeros - 1;
        kvmelf_fmt_put(o, run, k);
        n -= k;
    }
}

/* Width padding around a body of len bytes that has no zero padding. */
static void pad_before(struct kvmelf_fmt_out *o,
                       const struct kvmelf_fmt_spec *sp, size_t len)
{
    if (!(sp->flags & KVMELF_FMT_LEFT) && (size_t)sp->width > len)
        kvmelf_fmt_pad(o, ' ', (size_t)sp->width - len);
}

static void pad_after(struct kvmelf_fmt_out *o,
                      const struct kvmelf_fmt_spec *sp, size_t len)
{
    if ((sp->flags & KVMELF_FMT_LEFT) && (size_t)sp->width > len)
        kvmelf_fmt_pad(o, ' ', (size_t)sp->width - len);
}

void kvmelf_fmt_put_padded(struct kvmelf_fmt_out *o,
                           const struct kvmelf_fmt_spec *sp, const char *s,
                           size_t n)
{
    pad_before(o, sp, n);
    kvmelf_fmt_put(o, s, n);
    pad_after(o, sp, n);
}

/* Digits of u in base 8, 10 or 16, written backwards ending at end. */
static size_t format_digits(char *end, uintmax_t u, unsigned base,
                            bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t n = 0;

    while (u != 0) {
        *--end = digits[u % base];
        u /= base;
        n++;
    }
    return n;
}

/* An integer conversion: prefix (sign, "0x"), precision zeros, digits. */
static void put_integer(struct kvmelf_fmt_out *o,
                        const struct kvmelf_fmt_spec *sp, uintmax_t u,
                        const char *prefix, size_t plen)
{
    char buf[INT_DIGITS_MAX];
    unsigned base = sp->conv == 'o' ? 8
                  : sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p'
                  ? 16 : 10;
    size_t n = format_digits(buf + sizeof buf, u, base, sp->conv == 'X');
    size_t prec = sp->prec < 0 ? 1 : (size_t)sp->prec;

    /* '#' with %o: the first digit is a 0, made by precision if needed. */
    if (sp->conv == 'o' && (sp->flags & KVMELF_FMT_ALT) && prec <= n)
        prec = n + 1;
    size_t zeros = prec > n ? prec - n : 0;
    size_t len = plen + zeros + n;
    if ((sp->flags & (KVMELF_FMT_ZERO | KVMELF_FMT_LEFT)) == KVMELF_FMT_ZERO &&
        sp->prec < 0 && (size_t)sp->width > len) {
        zeros += (size_t)sp->width - len;
        len = (size_t)sp->width;
    }
    pad_before(o, sp, len);
    kvmelf_fmt_put(o, prefix, plen);
    kvmelf_fmt_pad(o, '0', zeros);
    kvmelf_fmt_put(o, buf + sizeof buf - n, n);
    pad_after(o, sp, len);
}

const char *kvmelf_fmt_sign(const struct kvmelf_fmt_spec *sp, bool neg)
{
    return neg ? "-"
         : sp->flags & KVMELF_FMT_PLUS ? "+"
         : sp->flags & KVMELF_FMT_SPACE ? " " : "";
}

static intmax_t signed_arg(enum kvmelf_fmt_len len, va_list *ap)
{
    switch (len) {
    case KVMELF_LEN_HH:     return (signed char)va_arg(*ap, int);
    case KVMELF_LEN_H:      return (short)va_arg(*ap, int);
    case KVMELF_LEN_L:      return va_arg(*ap, long);
    case KVMELF_LEN_LL:
    case KVMELF_LEN_BIG_L:  return va_arg(*ap, long long);
    case KVMELF_LEN_J:      return va_arg(*ap, intmax_t);
    case KVMELF_LEN_Z:      return (intmax_t)va_arg(*ap, size_t);
    case KVMELF_LEN_T:      return va_arg(*ap, ptrdiff_t);
    case KVMELF_LEN_NONE:   break;
    }
    return va_arg(*ap, int);
}

static uintmax_t unsigned_arg(enum kvmelf_fmt_len len, va_list *ap)
{
    switch (len) {
    case KVMELF_LEN_HH:     return (unsigned char)va_arg(*ap, unsigned);
    case KVMELF_LEN_H:      return (unsigned short)va_arg(*ap, unsigned);
    case KVMELF_LEN_L:      return va_arg(*ap, unsigned long);
    case KVMELF_LEN_LL:
    case KVMELF_LEN_BIG_L:  return va_arg(*ap, unsigned long long);
    case KVMELF_LEN_J:      return va_arg(*ap, uintmax_t);
    case KVMELF_LEN_Z:      return va_arg(*ap, size_t);
    case KVMELF_LEN_T:      return (uintmax_t)va_arg(*ap, ptrdiff_t);
    case KVMELF_LEN_NONE:   break;
    }
    return va_arg(*ap, unsigned);
}

static void format_signed(struct kvmelf_fmt_out *o,
                          const struct kvmelf_fmt_spec *sp, va_list *ap)
{
    intmax_t v = signed_arg(sp->len, ap);
    /* 0 - (uintmax_t)v is |v| even for INTMAX_MIN. */
    uintmax_t u = v < 0 ? 0 - (uintmax_t)v : (uintmax_t)v;
    const char *sign = kvmelf_fmt_sign(sp, v < 0);

    put_integer(o, sp, u, sign, *sign != '\0');
}

static void format_unsigned(struct kvmelf_fmt_out *o,
                            const struct kvmelf_fmt_spec *sp, va_list *ap)
{
    uintmax_t u = unsigned_arg(sp->len, ap);
    bool hex_prefix = (sp->flags & KVMELF_FMT_ALT) && u != 0 &&
                      (sp->conv == 'x' || sp->conv == 'X');

    put_integer(o, sp, u, sp->conv == 'X' ? "0X" : "0x", hex_prefix ? 2 : 0);
}

/* glibc prints a null pointer as "(nil)", padded like a string. */
static void format_pointer(struct kvmelf_fmt_out *o,
                           const struct kvmelf_fmt_spec *sp, va_list *ap)
{
    uintptr_t p = (uintptr_t)va_arg(*ap, void *);
    char prefix[4] = "";
    size_t plen = 0;

    if (p == 0) {
        kvmelf_fmt_put_padded(o, sp, "(nil)", 5);
        return;
    }
    if (*kvmelf_fmt_sign(sp, false))
        prefix[plen++] = *kvmelf_fmt_sign(sp, false);
    prefix[plen++] = '0';
    prefix[plen++] = 'x';
    put_integer(o, sp, p, prefix, plen);
}

static bool is_wide(const struct kvmelf_fmt_spec *sp)
{
    return sp->len == KVMELF_LEN_L || sp->len == KVMELF_LEN_LL;
}

/* glibc's text for a null %s: "(null)" where the precision allows it
 * whole, nothing otherwise. */
static const char *null_string(const struct kvmelf_fmt_spec *sp, size_t *n)
{
    static const char text[] = "(null)";

    *n = sp->prec < 0 || (size_t)sp->prec >= sizeof text - 1
         ? sizeof text - 1 : 0;
    return text;
}

static void format_char(struct kvmelf_fmt_out *o,
                        const struct kvmelf_fmt_spec *sp, va_list *ap)
{
    char c;

    if (is_wide(sp)) {
        fmt_wint wc = va_arg(*ap, fmt_wint);
        if ((uint32_t)wc >= C_LOCALE_WCHAR_END) {
            o->failed = true;
            return;
        }
        c = (char)wc;
    } else {
        c = (char)(unsigned char)va_arg(*ap, int);
    }
    kvmelf_fmt_put_padded(o, sp, &c, 1);
}

/* A wide string: its characters up to the precision must be ASCII. */
static void format_wide_string(struct kvmelf_fmt_out *o,
                               const struct kvmelf_fmt_spec *sp,
                               const fmt_wchar *ws)
{
    size_t n = 0;
    char chunk[64];

    while ((sp->prec < 0 || n < (size_t)sp->prec) && ws[n] != 0) {
        if ((uint32_t)ws[n] >= C_LOCALE_WCHAR_END) {
            o->failed = true;
            return;
        }
        n++;
    }
    pad_before(o, sp, n);
    for (size_t i = 0; i < n; i += sizeof chunk) {
        size_t k = n - i < sizeof chunk ? n - i : sizeof chunk;
        for (size_t j = 0; j < k; j++)
            chunk[j] = (char)ws[i + j];
        kvmelf_fmt_put(o, chunk, k);
    }
    pad_after(o, sp, n);
}

static void format_string(struct kvmelf_fmt_out *o,
                          const struct kvmelf_fmt_spec *sp, va_list *ap)
{
    size_t n = 0;
    const char *s;

    if (is_wide(sp)) {
        const fmt_wchar *ws = va_arg(*ap, const fmt_wchar *);
        if (ws) {
            format_wide_string(o, sp, ws);
            return;
        }
        s = null_string(sp, &n);
    } else if (!(s = va_arg(*ap, const char *))) {
        s = null_string(sp, &n);
    } else {
        while ((sp->prec < 0 || n < (size_t)sp->prec) && s[n] != '\0')
            n++;
    }
    kvmelf_fmt_put_padded(o, sp, s, n);
}

static void store_count(const struct kvmelf_fmt_out *o,
                        const struct kvmelf_fmt_spec *sp, va_list *ap)
{
    size_t c = o->count;

    switch (sp->len) {
    case KVMELF_LEN_HH: *va_arg(*ap, signed char *) = (signed char)c; break;
    case KVMELF_LEN_H:  *va_arg(*ap, short *) = (short)c; break;
    case KVMELF_LEN_L:  *va_arg(*ap, long *) = (long)c; break;
    case KVMELF_LEN_LL:
    case KVMELF_LEN_BIG_L: *va_arg(*ap, long long *) = (long long)c; break;
    case KVMELF_LEN_J:  *va_arg(*ap, intmax_t *) = (intmax_t)c; break;
    case KVMELF_LEN_Z:  *va_arg(*ap, size_t *) = c; break;
    case KVMELF_LEN_T:  *va_arg(*ap, ptrdiff_t *) = (ptrdiff_t)c; break;
    case KVMELF_LEN_NONE: *va_arg(*ap, int *) = (int)c; break;
    }
}

/* Decimal digits of v >= 0 into buf (room for 10), returning their count. */
static size_t format_int(char *buf, int v)
{
    char tmp[10];
    size_t n = format_digits(tmp + sizeof tmp, (uintmax_t)v, 10, false);

    if (n == 0)
        tmp[sizeof tmp - ++n] = '0';
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[sizeof tmp - n + i];
    return n;
}

/* An unknown conversion: glibc prints the specification rebuilt from
 * what it parsed (flags in its order, width, precision; no length).  Its
 * '0' goes only with a written '-', not with a negative '*' width. */
static void format_unknown(struct kvmelf_fmt_out *o,
                           const struct kvmelf_fmt_spec *sp)
{
    char buf[40];
    size_t n = 0;

    buf[n++] = '%';
    if (sp->flags & KVMELF_FMT_ALT)
        buf[n++] = '#';
    if (sp->flags & KVMELF_FMT_GROUP)
        buf[n++] = '\'';
    if (sp->flags & (KVMELF_FMT_PLUS | KVMELF_FMT_SPACE))
        buf[n++] = *kvmelf_fmt_sign(sp, false);
    if (sp->flags & KVMELF_FMT_LEFT)
        buf[n++] = '-';
    if ((sp->flags & (KVMELF_FMT_ZERO | KVMELF_FMT_DASH)) == KVMELF_FMT_ZERO)
        buf[n++] = '0';
    if (sp->width != 0)
        n += format_int(buf + n, sp->width);
    if (sp->prec >= 0) {
        buf[n++] = '.';
        n += format_int(buf + n, sp->prec);
    }
    buf[n++] = sp->conv;
    kvmelf_fmt_put(o, buf, n);
}

/* A decimal number in the format (a width or precision); false above
 * INT_MAX. */
static bool parse_number(const char **fmt, int *v)
{
    const char *p = *fmt;
    int n = 0;

    for (; *p >= '0' && *p <= '9'; p++) {
        int d = *p - '0';
        if (n > (INT_MAX - d) / 10)
            return false;
        n = n * 10 + d;
    }
    *fmt = p;
    *v = n;
    return true;
}

static unsigned parse_flags(const char **fmt)
{
    unsigned flags = 0;

    for (;; (*fmt)++) {
        switch (**fmt) {
        case '-':  flags |= KVMELF_FMT_LEFT | KVMELF_FMT_DASH; break;
        case '+':  flags |= KVMELF_FMT_PLUS; break;
        case ' ':  flags |= KVMELF_FMT_SPACE; break;
        case '#':  flags |= KVMELF_FMT_ALT; break;
        case '0':  flags |= KVMELF_FMT_ZERO; break;
        case '\'': flags |= KVMELF_FMT_GROUP; break;
        default:   return flags;
        }
    }
}

/* Width or precision "*": the next int argument. */
static int star_arg(va_list *ap)
{
    return va_arg(*ap, int);
}

/* Width and precision; false for one above INT_MAX (glibc: EOVERFLOW). */
static bool parse_width_prec(const char **fmt, struct kvmelf_fmt_spec *sp,
                             va_list *ap)
{
    sp->prec = -1;
    if (**fmt == '*') {
        int w = star_arg(ap);
        (*fmt)++;
        if (w == INT_MIN)
            return false;
        if (w < 0) {                /* a negative '*' width is '-' */
            sp->flags |= KVMELF_FMT_LEFT;
            w = -w;
        }
        sp->width = w;
    } else if (!parse_number(fmt, &sp->width)) {
        return false;
    }
    if (**fmt != '.')
        return true;
    (*fmt)++;
    if (**fmt == '*') {
        int p = star_arg(ap);
        (*fmt)++;
        sp->prec = p < 0 ? -1 : p;  /* a negative '*' is no precision */
        return true;
    }
    return parse_number(fmt, &sp->prec);
}

static enum kvmelf_fmt_len parse_length(const char **fmt)
{
    const char *p = *fmt;
    enum kvmelf_fmt_len len = KVMELF_LEN_NONE;

    switch (*p) {
    case 'h':
        len = p[1] == 'h' ? KVMELF_LEN_HH : KVMELF_LEN_H;
        break;
    case 'l':
        len = p[1] == 'l' ? KVMELF_LEN_LL : KVMELF_LEN_L;
        break;
    case 'j': len = KVMELF_LEN_J; break;
    case 'z': len = KVMELF_LEN_Z; break;
    case 't': len = KVMELF_LEN_T; break;
    case 'L': len = KVMELF_LEN_BIG_L; break;
    default:  return len;
    }
    *fmt = p + (len == KVMELF_LEN_HH || len == KVMELF_LEN_LL ? 2 : 1);
    return len;
}

/* Parses the specification after a '%'; NULL when the format ends inside
 * it or a number overflows (the call then returns -1, as glibc's). */
static const char *parse_spec(const char *fmt, struct kvmelf_fmt_spec *sp,
                              va_list *ap)
{
    sp->flags = parse_flags(&fmt);
    if (!parse_width_prec(&fmt, sp, ap))
        return NULL;
    sp->len = parse_length(&fmt);
    sp->conv = *fmt;
    return *fmt ? fmt + 1 : NULL;
}

static void convert(struct kvmelf_fmt_out *o, const struct kvmelf_fmt_spec *sp,
                    va_list *ap)
{
    /* A conversion prints at least its width: fail before writing. */
    if ((size_t)sp->width > (size_t)INT_MAX - o->count) {
        o->failed = true;
        return;
    }
    switch (sp->conv) {
    case 'd': case 'i':
        format_signed(o, sp, ap);
        break;
    case 'o': case 'u': case 'x': case 'X':
        format_unsigned(o, sp, ap);
        break;
    case 'f': case 'F': case 'e': case 'E':
    case 'g': case 'G': case 'a': case 'A':
        kvmelf_format_fp(o, sp, ap);
        break;
    case 'c':
        format_char(o, sp, ap);
        break;
    case 's':
        format_string(o, sp, ap);
        break;
    case 'p':
        format_pointer(o, sp, ap);
        break;
    case 'n':
        store_count(o, sp, ap);
        break;
    case '%':                       /* glibc ignores its flags and width */
        kvmelf_fmt_put(o, "%", 1);
        break;
    default:
        format_unknown(o, sp);
        break;
    }
}

int kvmelf_vformat(kvmelf_sink_fn *sink, void *ctx, const char *fmt,
                   va_list args)
{
    struct kvmelf_fmt_out o = { .sink = sink, .ctx = ctx };
    va_list ap;

    /* A copy, so that the conversions can share it by pointer. */
    va_copy(ap, args);
    while (*fmt && !o.failed) {
        if (*fmt != '%') {
            const char *p = fmt;
            while (*p && *p != '%')
                p++;
            kvmelf_fmt_put(&o, fmt, (size_t)(p - fmt));
            fmt = p;
            continue;
        }
        struct kvmelf_fmt_spec sp;
        fmt = parse_spec(fmt + 1, &sp, &ap);
        if (!fmt) {
            o.failed = true;
            break;
        }
        convert(&o, &sp, &ap);
    }
    va_end(ap);
    return o.failed ? -1 : (int)o.count;
}

/* The snprintf sink: keeps what fits before the NUL, counts the rest. */
struct string_sink {
    char *p;
    size_t room;                /* bytes left before the NUL's place */
};

static void string_write(void *ctx, const char *s, size_t n)
{
    struct string_sink *ss = ctx;
    size_t k = n < ss->room ? n : ss->room;

    for (size_t i = 0; i < k; i++)
        ss->p[i] = s[i];
    ss->p += k;
    ss->room -= k;
}

int kvmelf_vsnformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct string_sink ss = { .p = buf, .room = size ? size - 1 : 0 };
    int n = kvmelf_vformat(string_write, &ss, fmt, ap);

    if (size)
        *ss.p = '\0';
    return n;
}
