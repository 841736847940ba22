/* Console I/O over COM1: putchar, puts, printf, getchar. */
#include <stdbool.h>

#include "kvmelf.h"

#define COM1_THR (KVMELF_PORT_COM1 + KVMELF_UART_RBR_THR)
#define COM1_RBR (KVMELF_PORT_COM1 + KVMELF_UART_RBR_THR)
#define COM1_LSR (KVMELF_PORT_COM1 + KVMELF_UART_LSR)

/* One outb per byte.  No LSR polling: the monitor's transmitter writes each
 * byte to stdout synchronously, so it is always ready (LSR reports THR
 * empty); a real 16550 would need a THR_EMPTY wait here. */
int putchar(int c)
{
    outb(COM1_THR, (uint8_t)c);
    return (unsigned char)c;
}

int puts(const char *s)
{
    while (*s)
        putchar(*s++);
    putchar('\n');
    return 0;
}

/* Polls LSR: a byte when DATA_READY, EOF once the monitor sets BREAK
 * (stdin exhausted; DATA_READY is then clear). */
int getchar(void)
{
    for (;;) {
        uint8_t lsr = inb(COM1_LSR);
        if (lsr & KVMELF_UART_LSR_DATA_READY)
            return inb(COM1_RBR);
        if (lsr & KVMELF_UART_LSR_BREAK)
            return EOF;
        __builtin_ia32_pause();
    }
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

static int pad(int c, int n)
{
    for (int i = 0; i < n; i++)
        putchar(c);
    return n > 0 ? n : 0;
}

static int write_str(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        putchar(s[i]);
    return n;
}

/* Supports %d %i %u %x %X %p %s %c %%, flags - 0 # + space, width and
 * precision (number or '*'), length modifiers hh h l ll z j t.  No floating
 * point, no %o %n. */
int vprintf(const char *fmt, va_list ap)
{
    int count = 0;

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putchar(*fmt);
            count++;
            continue;
        }
        const char *spec = fmt++;

        bool left = false, zero = false, alt = false;
        const char *plus = "";          /* what a non-negative %d gets */
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                zero = true;
            else if (*fmt == '#')
                alt = true;
            else if (*fmt == '+')
                plus = "+";
            else if (*fmt == ' ' && !*plus)
                plus = " ";
            else
                break;
        }

        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = true;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }

        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }

        /* 2 = 64-bit, 0 = int, -1 = short, -2 = char */
        int len = 0;
        if (*fmt == 'h') {
            len = -1;
            if (*++fmt == 'h') {
                len = -2;
                fmt++;
            }
        } else if (*fmt == 'l') {
            len = 2;
            if (*++fmt == 'l')
                fmt++;
        } else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't') {
            len = 2;
            fmt++;
        }

        char buf[24];                   /* 2^64 in decimal has 20 digits */
        const char *prefix = "";
        const char *s = buf;
        int n = 0;
        unsigned long long u = 0;
        unsigned base = 10;
        bool upper = false, number = true;

        switch (*fmt) {
        case 'd':
        case 'i': {
            long long v = len == 2 ? va_arg(ap, long long) : va_arg(ap, int);
            if (len == -1)
                v = (short)v;
            else if (len == -2)
                v = (signed char)v;
            if (v < 0) {
                prefix = "-";
                u = 0ULL - (unsigned long long)v;
            } else {
                prefix = plus;
                u = (unsigned long long)v;
            }
            break;
        }
        case 'X':
            upper = true;
            /* fall through */
        case 'x':
            base = 16;
            /* fall through */
        case 'u':
            u = len == 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
            if (len == -1)
                u = (unsigned short)u;
            else if (len == -2)
                u = (unsigned char)u;
            if (alt && base == 16 && u != 0)
                prefix = upper ? "0X" : "0x";
            break;
        case 'p':
            u = (uintptr_t)va_arg(ap, void *);
            base = 16;
            prefix = "0x";
            break;
        case 'c':
            buf[0] = (char)va_arg(ap, int);
            n = 1;
            number = false;
            break;
        case 's':
            s = va_arg(ap, const char *);
            if (s == NULL)
                s = "(null)";
            while (s[n] && (prec < 0 || n < prec))
                n++;
            number = false;
            break;
        case '%':
            buf[0] = '%';
            n = 1;
            number = false;
            break;
        default:                        /* unknown: print it as written */
            if (*fmt == '\0')
                fmt--;                  /* let the loop see the end */
            s = spec;
            n = (int)(fmt - spec + 1);
            number = false;
            width = 0;
            break;
        }

        if (number) {
            const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
            char *p = buf + sizeof(buf);
            /* Precision 0 prints no digits for 0, as in C. */
            if (u != 0 || prec != 0 || *fmt == 'p') {
                do {
                    *--p = digits[u % base];
                    u /= base;
                } while (u != 0);
            }
            s = p;
            n = (int)(buf + sizeof(buf) - p);
        }

        int plen = (int)strlen(prefix);
        int zeros = 0;
        if (number && prec > n)
            zeros = prec - n;
        else if (number && zero && !left && prec < 0 && width > plen + n)
            zeros = width - plen - n;
        int fill = width - plen - zeros - n;

        if (!left)
            count += pad(' ', fill);
        count += write_str(prefix, plen);
        count += pad('0', zeros);
        count += write_str(s, n);
        if (left)
            count += pad(' ', fill);
    }
    return count;
}
