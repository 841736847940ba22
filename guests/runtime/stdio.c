/* Console I/O over COM1 and the bulk-write port: putchar, puts, getchar,
 * kvmelf_write, kvmelf_flush; vprintf to stdout and vsnprintf/vsprintf,
 * through the printf engine (format.c).  The variadic printf, snprintf
 * and sprintf are printf.c's. */
#include <stdbool.h>

#include "format.h"
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

static void stdout_sink(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    kvmelf_write(s, n);
}

int vprintf(const char *fmt, va_list ap)
{
    return kvmelf_vformat(stdout_sink, NULL, fmt, ap);
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt,
              va_list ap)
{
    return kvmelf_vsnformat(buf, size, fmt, ap);
}

/* No size: the caller vouches for the room, as C's vsprintf does. */
int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
{
    return kvmelf_vsnformat(buf, SIZE_MAX, fmt, ap);
}
