/*
 * kvmelf guest runtime: the one public header for guest programs.
 *
 * A guest defines `int main(int argc, char **argv)` (or `int main(void)`);
 * crt0 checks the boot info, calls main and passes its result to exit().
 * Note that with -ffreestanding main is an ordinary function: falling off
 * its end does not return 0, so always return a value.
 */
#ifndef KVMELF_RUNTIME_H
#define KVMELF_RUNTIME_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <kvmelf/abi.h>

#define EOF (-1)

/* The boot info the monitor passed in RDI (checked by crt0). */
const struct kvmelf_boot_info *kvmelf_boot_info(void);

/* Output goes to the monitor's stdout, buffered like C stdio (by line on a
 * terminal, in 64 KiB pieces otherwise; what is pending is written when
 * the guest ends, even by a crash); input comes from COM1. */
int putchar(int c);
int puts(const char *s);                    /* appends '\n' */
int getchar(void);                          /* EOF at end of input */

/* C99 printf, byte for byte as glibc's in the C locale: every conversion
 * (d i o u x X f F e E g G a A c s p n %), flag, width, precision and
 * length modifier (hh h l ll j z t L); floating point exactly rounded,
 * long double included; "(nil)" and "(null)" as glibc prints them.  %lc
 * and %ls take ASCII only (the C locale): another character makes the
 * call return -1.  So do more than INT_MAX bytes and a format that ends
 * inside a conversion.  No positional arguments (%1$d).
 * snprintf and vsnprintf write at most size - 1 bytes and a NUL (nothing
 * when size is 0) and return the length the whole output has.
 * --ring0: a floating-point conversion (its va_arg, its caller's passing
 * the value) uses SSE registers, which stop the VM where KVM emulates
 * ring 0 (kvm_pvm); printing integers and strings never does. */
int printf(const char *restrict fmt, ...)
    __attribute__((format(printf, 1, 2)));
int vprintf(const char *restrict fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt,
              va_list ap) __attribute__((format(printf, 3, 0)));
int sprintf(char *restrict buf, const char *restrict fmt, ...)
    __attribute__((format(printf, 2, 3)));
int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void kvmelf_flush(void);                    /* write buffered stdout now */
/* Writes len bytes to stdout after what is buffered; large buffers go out
 * in one exit each, straight from the caller's memory. */
void kvmelf_write(const void *data, size_t len);

/* Exit with status & 255 through KVMELF_PORT_EXIT. */
void exit(int status) __attribute__((noreturn));

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* Port I/O.  The monitor decides which ports a ring-3 guest may use. */
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

#endif /* KVMELF_RUNTIME_H */
