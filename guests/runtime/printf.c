/*
 * printf, snprintf and sprintf: the runtime's variadic entry points,
 * built without -mgeneral-regs-only (Makefile, RT_FP_SRCS).  A variadic
 * function's prologue saves the XMM argument registers, so that va_arg
 * can fetch a double, but only when AL says the caller passed one in
 * them: a call with integers and strings only (a --ring0 guest's) runs
 * no SSE instruction here.
 */
#include "kvmelf.h"

int printf(const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int sprintf(char *restrict buf, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}
