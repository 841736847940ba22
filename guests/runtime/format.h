/*
 * The runtime's printf engine (internal to the runtime; guests use
 * kvmelf.h).  kvmelf_vformat turns a C99 printf format and its arguments
 * into bytes for a sink, byte for byte as glibc's printf does in the C
 * locale: every conversion, flag, width, precision and length modifier,
 * floating point exactly rounded (ties to even), glibc's "(nil)" and
 * "(null)", its rebuilt text for an unknown conversion.  Not supported:
 * positional arguments (%1$d) and glibc's extensions (%m, %C, %S, 'I').
 *
 * The engine is pure - no I/O, no globals, no C library - so the unit
 * tests compile it for the host and compare it with glibc.  format.c
 * (parser, integers, characters, strings, %p, %n) is built with
 * -mgeneral-regs-only in the guest; only format_fp.c, reached for a
 * floating-point conversion, may use SSE or x87 registers (see the
 * Makefile's RT_FP_SRCS).
 */
#ifndef KVMELF_RUNTIME_FORMAT_H
#define KVMELF_RUNTIME_FORMAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Receives the output in order, in pieces of n >= 1 bytes. */
typedef void kvmelf_sink_fn(void *ctx, const char *s, size_t n);

/* The number of bytes produced, or -1 for a format that ends inside a
 * conversion, a width or precision above INT_MAX, more than INT_MAX bytes
 * in all, or a wide character that is not ASCII (%lc, %ls: an encoding
 * error in the C locale).  Bytes up to the error have reached the sink. */
int kvmelf_vformat(kvmelf_sink_fn *sink, void *ctx, const char *fmt,
                   va_list ap);

/* C99 vsnprintf: at most size - 1 bytes and a NUL into buf (nothing when
 * size is 0); returns what kvmelf_vformat returns, i.e. the length the
 * whole output would have.  buf is NUL-terminated after an error too. */
int kvmelf_vsnformat(char *buf, size_t size, const char *fmt, va_list ap);

/* ---- Between format.c and format_fp.c --------------------------------- */

enum kvmelf_fmt_len {
    KVMELF_LEN_NONE, KVMELF_LEN_HH, KVMELF_LEN_H, KVMELF_LEN_L,
    KVMELF_LEN_LL, KVMELF_LEN_J, KVMELF_LEN_Z, KVMELF_LEN_T,
    KVMELF_LEN_BIG_L
};

#define KVMELF_FMT_LEFT  0x01u  /* '-' */
#define KVMELF_FMT_PLUS  0x02u  /* '+' */
#define KVMELF_FMT_SPACE 0x04u  /* ' ' */
#define KVMELF_FMT_ALT   0x08u  /* '#' */
#define KVMELF_FMT_ZERO  0x10u  /* '0' */
#define KVMELF_FMT_GROUP 0x20u  /* '\'': no grouping in the C locale */
#define KVMELF_FMT_DASH  0x40u  /* '-' written (LEFT may come from '*') */

struct kvmelf_fmt_spec {
    unsigned flags;
    int width;                  /* >= 0 */
    int prec;                   /* < 0: none given */
    enum kvmelf_fmt_len len;
    char conv;
};

struct kvmelf_fmt_out {
    kvmelf_sink_fn *sink;
    void *ctx;
    size_t count;               /* bytes produced, <= INT_MAX */
    bool failed;                /* nothing more is written once set */
};

void kvmelf_fmt_put(struct kvmelf_fmt_out *o, const char *s, size_t n);
void kvmelf_fmt_pad(struct kvmelf_fmt_out *o, char c, size_t n);
/* s, padded with spaces to the width (on the right for '-'). */
void kvmelf_fmt_put_padded(struct kvmelf_fmt_out *o,
                           const struct kvmelf_fmt_spec *sp, const char *s,
                           size_t n);
/* The sign a number shows: "-" when neg, else "+", " " or "" by flags. */
const char *kvmelf_fmt_sign(const struct kvmelf_fmt_spec *sp, bool neg);

/* Converts the next argument for one of f F e E g G a A: a double, or a
 * long double when sp->len is KVMELF_LEN_BIG_L or KVMELF_LEN_LL (as glibc
 * reads %llf). */
void kvmelf_format_fp(struct kvmelf_fmt_out *o,
                      const struct kvmelf_fmt_spec *sp, va_list *ap);

#endif
