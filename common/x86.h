/*
 * x86-64 as the SDM names it: the architectural bits, page sizes and
 * exception vectors the monitor uses, each defined once (Intel SDM Vol.
 * 3A; AMD APM Vol. 2).  Header only, but for the vector names (x86.c).
 */
#ifndef KVMELF_COMMON_X86_H
#define KVMELF_COMMON_X86_H

#include <stdbool.h>
#include <stdint.h>

#define X86_CR0_PE          (1ULL << 0)   /* protection enable        */
#define X86_CR0_MP          (1ULL << 1)   /* monitor coprocessor      */
#define X86_CR0_ET          (1ULL << 4)   /* extension type (fixed 1) */
#define X86_CR0_NE          (1ULL << 5)   /* native FPU errors        */
#define X86_CR0_WP          (1ULL << 16)  /* ring 0 obeys read-only   */
#define X86_CR0_PG          (1ULL << 31)  /* paging                   */

#define X86_CR4_PAE         (1ULL << 5)
#define X86_CR4_OSFXSR      (1ULL << 9)   /* FXSAVE + SSE enabled     */
#define X86_CR4_OSXMMEXCPT  (1ULL << 10)  /* SSE exceptions as #XM    */
#define X86_CR4_OSXSAVE     (1ULL << 18)  /* XSAVE/XGETBV + AVX state */

#define X86_EFER_SCE        (1ULL << 0)   /* SYSCALL                  */
#define X86_EFER_LME        (1ULL << 8)   /* long mode enable         */
#define X86_EFER_LMA        (1ULL << 10)  /* long mode active         */
#define X86_EFER_NXE        (1ULL << 11)  /* no-execute bit in PTEs   */

#define X86_RFLAGS_FIXED    (1ULL << 1)   /* reserved, always 1       */
#define X86_RFLAGS_IF       (1ULL << 9)

#define X86_PTE_P           (1ULL << 0)
#define X86_PTE_RW          (1ULL << 1)
#define X86_PTE_US          (1ULL << 2)
#define X86_PTE_A           (1ULL << 5)
#define X86_PTE_D           (1ULL << 6)
#define X86_PTE_PS          (1ULL << 7)   /* 2 MiB / 1 GiB leaf       */
#define X86_PTE_NX          (1ULL << 63)
#define X86_PTE_ADDR_MASK   0x000ffffffffff000ULL

#define X86_PAGE_4K         (1ULL << 12)
#define X86_PAGE_2M         (1ULL << 21)
#define X86_PAGE_1G         (1ULL << 30)

/* 48-bit linear addresses: bits 63..47 all equal (SDM Vol. 1, 3.3.7.1). */
#define X86_CANONICAL_SHIFT 47
static inline bool x86_canonical(uint64_t va)
{
    uint64_t top = va >> X86_CANONICAL_SHIFT;
    return top == 0 || top == (UINT64_MAX >> X86_CANONICAL_SHIFT);
}

/* Exception vectors kvmelf names (SDM Vol. 3A, table 6-1); which of them
 * push an error code is KVMELF_ERRCODE_VECTORS in abi.h. */
#define X86_VEC_DE   0
#define X86_VEC_DB   1
#define X86_VEC_NMI  2
#define X86_VEC_BP   3
#define X86_VEC_OF   4
#define X86_VEC_UD   6
#define X86_VEC_DF   8
#define X86_VEC_GP   13
#define X86_VEC_PF   14
#define X86_VEC_MF   16
#define X86_VEC_AC   17
#define X86_VEC_MC   18
#define X86_VEC_XM   19
bool x86_vector_has_error_code(unsigned vector);
const char *x86_vector_name(unsigned vector);

#endif
