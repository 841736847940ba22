/* Console I/O over COM1 and the bulk-write port: putchar, puts, printf,
 * getchar, kvmelf_write, kvmelf_flush. */
#include <stdbool.h>

#include "kvmelf.h"

#define COM1_THR (KVMELF_PORT_COM1 + KVMELF_UART_RBR_THR)
#define COM1_RBR (KVMELF_PORT_COM1 + KVMELF_UART_RBR_THR)
#define COM1_LSR (KVMELF_PORT_COM1 + KVMELF_UART_LSR)

/* A port exit costs tens of microseconds where KVM is nested, so stdout
 * leaves the guest a whole buffer per exit, as C stdio does: line by line
 * to a terminal, in STDOUT_BUF_SIZE pieces otherwise.  The buffer is
 * registered with the monitor (KVMELF_WRITE_REGISTER), which writes what
 * it still holds when the guest ends - by exit(), a crash or a timeout -
 * so exit() needs no flush of its own and a crash loses nothing. */
#define STDOUT_BUF_SIZE 65536

enum out_mode { OUT_UNSET, OUT_BYTES, OUT_LINE, OUT_FULL };

static enum out_mode out_mode;
static char out_buf[STDOUT_BUF_SIZE];
/* Both descriptors must lie below 4 GiB (the port takes 32 bits): they
 * are static, in the image, never on the stack at the top of RAM. */
static struct kvmelf_write_desc out_desc, direct_desc;

static void bulk_write(struct kvmelf_write_desc *d)
{
    outl(KVMELF_PORT_WRITE, (uint32_t)(uintptr_t)d);
}

/* Picks the mode from the boot info; a monitor without the bulk-write
 * port (or a call before crt0 has checked the boot info) gets bytes. */
static enum out_mode stdout_mode(void)
{
    const struct kvmelf_boot_info *bi = kvmelf_boot_info();

    if (out_mode != OUT_UNSET)
        return out_mode;
    if (!bi)
        return OUT_BYTES;
    if (!(bi->flags & KVMELF_BOOT_WRITE_PORT)) {
        out_mode = OUT_BYTES;
    } else {
        out_mode = bi->flags & KVMELF_BOOT_STDOUT_TTY ? OUT_LINE : OUT_FULL;
        out_desc = (struct kvmelf_write_desc){
            .addr = (uintptr_t)out_buf, .len = 0,
            .flags = KVMELF_WRITE_REGISTER };
        bulk_write(&out_desc);      /* registers the empty buffer */
    }
    return out_mode;
}

/* The monitor sets out_desc.len to 0 once it has written the bytes. */
void kvmelf_flush(void)
{
    if (out_desc.len != 0)
        bulk_write(&out_desc);
}

int putchar(int c)
{
    enum out_mode mode = stdout_mode();

    if (mode == OUT_BYTES) {
        /* No LSR polling: the monitor's transmitter is always ready. */
        outb(COM1_THR, (uint8_t)c);
        return (unsigned char)c;
    }
    out_buf[out_desc.len++] = (char)c;
    if (out_desc.len == sizeof out_buf || (c == '\n' && mode == OUT_LINE))
        kvmelf_flush();
    return (unsigned char)c;
}

void kvmelf_write(const void *data, size_t len)
{
    const char *p = data;

    if (stdout_mode() == OUT_BYTES || len < sizeof out_buf) {
        for (size_t i = 0; i < len; i++)
            putchar(p[i]);
        return;
    }
    kvmelf_flush();
    while (len > 0) {                /* the descriptor's len is 32-bit */
        uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
        direct_desc = (struct kvmelf_write_desc){
            .addr = (uintptr_t)p, .len = n };
        bulk_write(&direct_desc);
        p += n;
        len -= n;
    }
}

int puts(const char *s)
{
    while (*s)
        putchar(*s++);
    putchar('\n');
    return 0;
}

/* Polls LSR: a byte when DATA_READY, EOF once the monitor sets BREAK
 * (stdin exhausted; DATA_READY is then clear).  A prompt printed before
 * must be visible first, whatever the buffering. */
int getchar(void)
{
    kvmelf_flush();
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
