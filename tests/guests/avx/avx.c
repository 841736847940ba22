/*
 * AVX2 works when the CPU has it and the monitor enabled it (CR4.OSXSAVE,
 * XCR0 with SSE and AVX state).  Only add8() is compiled for AVX2; the rest
 * of the file is plain x86-64.  Exit 2: the CPU (or the monitor's CPUID)
 * says no AVX/AVX2; 3: OSXSAVE set but XCR0 lacks the AVX state.
 */
#include <cpuid.h>

#include "kvmelf.h"

typedef int v8si __attribute__((vector_size(32)));

/* Non-static: gcc must not constant-fold the addition away. */
int in_a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
int in_b[8] = { 100, 200, 300, 400, 500, 600, 700, 800 };
int out[8];

/* Pointers, not vectors, cross the boundary: a 256-bit argument would
 * change the calling convention between AVX and non-AVX code. */
__attribute__((target("avx2"), noinline))
static void add8(int *dst, const int *a, const int *b)
{
    v8si x, y;
    __builtin_memcpy(&x, a, sizeof(x));
    __builtin_memcpy(&y, b, sizeof(y));
    x += y;                                 /* vpaddd %ymm */
    __builtin_memcpy(dst, &x, sizeof(x));
}

int main(void)
{
    unsigned eax, ebx, ecx, edx;

    __cpuid(1, eax, ebx, ecx, edx);
    if (!(ecx & bit_OSXSAVE) || !(ecx & bit_AVX)) {
        puts("avx: cpuid says no avx");
        return 2;
    }
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    if (!(ebx & bit_AVX2)) {
        puts("avx: cpuid says no avx2");
        return 2;
    }
    uint32_t xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 6) != 6) {
        printf("avx: xcr0 = %#x lacks SSE/AVX state\n", xcr0_lo);
        return 3;
    }

    add8(out, in_a, in_b);
    for (int i = 0; i < 8; i++) {
        if (out[i] != in_a[i] + in_b[i]) {
            printf("avx: out[%d] = %d, expected %d\n", i, out[i], in_a[i] + in_b[i]);
            return 1;
        }
    }
    puts("avx: ok");
    return 0;
}
