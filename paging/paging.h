/*
 * paging: everything the monitor writes into its reserved first MiB of
 * guest RAM before the vCPU starts: identity-mapped 4-level page tables,
 * the GDT (from one segment table that vcpu/ also turns into KVM segment
 * registers), the TSS with its I/O permission bitmap, the IDT, the ring-0
 * exception stubs and the boot info with the argument strings.
 *
 * Plain memory writes into a struct guest_mem: no KVM calls, no printing,
 * so the unit tests build the image and walk it like the CPU would.
 */
#ifndef KVMELF_PAGING_H
#define KVMELF_PAGING_H

#include "common/common.h"

#include <kvmelf/abi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Architectural bits (Intel SDM Vol. 3A, 2.5 and 4.5; AMD APM 2) ---- */
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

/* ---- Segments: one table, two outputs ------------------------------------ */
enum segment_id { SEG_KERNEL_CODE, SEG_KERNEL_DATA, SEG_USER_DATA,
                  SEG_USER_CODE, SEG_TSS, SEG_COUNT };

/* Fields as the SDM names them (Vol. 3A, 3.4.5); the GDT bytes
 * (paging_build) and KVM's struct kvm_segment (vcpu/) are both derived
 * from this, so they cannot disagree. */
struct x86_segment {
    uint64_t base;
    uint32_t limit;      /* in bytes - 1 (before granularity scaling) */
    uint16_t selector;
    uint8_t type;        /* S=1: code/data type; S=0: system type    */
    uint8_t s, dpl, present, avl, l, db, g;
};

/* The monitor's segment for id (TSS base/limit already filled in). */
const struct x86_segment *paging_segment(enum segment_id id);

/* The 8-byte GDT descriptor for a code/data segment (SDM 3.4.5), and the
 * 16-byte one for a 64-bit TSS (SDM 8.2.3). */
uint64_t x86_segment_descriptor(const struct x86_segment *seg);
void x86_tss_descriptor(const struct x86_segment *seg, uint64_t out[2]);

/* 64-bit TSS (SDM 8.7): packed, followed by the I/O permission bitmap. */
struct __attribute__((packed)) x86_tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
#define X86_IO_BITMAP_BYTES (65536 / 8)
/* TSS + bitmap + the all-ones byte the CPU may read past the bitmap. */
#define KVMELF_TSS_LIMIT (sizeof(struct x86_tss64) + X86_IO_BITMAP_BYTES)
/* IST slots (1-based as the IDT gate names them). */
#define KVMELF_IST_DF  1
#define KVMELF_IST_NMI 2
#define KVMELF_IST_MC  3

/* ---- Page attributes and the memory map ----------------------------------- */
enum page_attr {
    PAGE_PRESENT = 1u << 0,
    PAGE_WRITE   = 1u << 1,
    PAGE_USER    = 1u << 2,
    PAGE_EXEC    = 1u << 3,
};

/* [start, end) with attrs; addresses not covered by any region are left
 * not present. */
struct mem_region {
    gpa_t start;
    gpa_t end;
    unsigned attrs;
    const char *what;    /* for dumps and messages */
};

/* The fixed regions, plus at most two per segment (its pages and the gap
 * before it) and the heap after the last one. */
#define PAGING_MAX_SEGMENTS 32
#define PAGING_MAX_REGIONS  (8 + 2 * PAGING_MAX_SEGMENTS + 1)

struct memory_map {
    struct mem_region regions[PAGING_MAX_REGIONS];  /* sorted, disjoint */
    size_t count;
};

/* A loaded segment's bytes and the rights its p_flags ask for. */
struct segment_perm {
    gpa_t start, end;
    unsigned attrs;      /* PAGE_WRITE / PAGE_EXEC (read is implied) */
    unsigned index;      /* program header index, for messages */
};

/* ---- The guest's layout ----------------------------------------------------
 * Everything the RAM size and the stack size decide, derived here and
 * nowhere else (docs/abi.md, "Memory map"): PT_LOAD segments lie in
 * [KVMELF_RESERVED_END, guard); the heap (brk up, mmap down) is the rest
 * of that window above the program; one never-mapped guard page; the stack
 * [stack_bottom, stack_top) at the top of RAM. */
struct guest_layout {
    uint64_t ram_size;
    uint64_t stack_size;
    bool stack_default;  /* the default for this RAM, not --stack        */
    gpa_t guard;         /* [guard, stack_bottom): never mapped          */
    gpa_t stack_bottom;
    gpa_t stack_top;     /* = ram_size; the initial RSP is below it      */
    gpa_t heap_start;    /* first page above the program (set_heap)      */
    /* What the argument and environment strings and their pointers may
     * take together, as Linux counts it (fs/exec.c): a quarter of the
     * stack, at least 128 KiB and at most 6 MiB, but never more than half
     * the stack. */
    uint64_t args_max;
};

/* stack_size 0 asks for the default: RAM / 8 within [KVMELF_STACK_SMALL,
 * KVMELF_STACK_DEFAULT].  Fails, naming both sizes, when RAM cannot hold
 * the monitor's area, a stack of that size and a program, or when a
 * --stack size is not a multiple of 4 KiB or below KVMELF_STACK_MIN. */
int paging_layout(uint64_t ram_size, uint64_t stack_size,
                  struct guest_layout *out, struct kerr *err);
/* The heap starts at the page after image_end (the loader's plan), or at
 * the guard when the program fills the window. */
void paging_layout_set_heap(struct guest_layout *l, gpa_t image_end);

struct paging_config {
    const struct guest_layout *layout;
    bool huge_1g;        /* CPUID.80000001H:EDX.Page1GB */
    bool nx;             /* EFER.NXE will be set        */
    bool allow_wx;       /* --allow-wx: accept writable+executable pages */
    const struct segment_perm *segs;  /* sorted by start, byte-disjoint */
    size_t nsegs;
};

/* The ABI's map (docs/abi.md): page 0 absent; descriptor tables, stacks
 * (supervisor RW) and stubs (supervisor RX); page tables absent; boot info
 * and arguments user read-only; each segment's pages with its own rights
 * (pages shared by two segments get both); the rest up to the guard page
 * user RW no-execute (heap); guard page absent; stack user RW no-execute.
 * Fails when a page would be writable and executable without allow_wx. */
int paging_memory_map(const struct paging_config *cfg, struct memory_map *map,
                      struct kerr *err);

/* The region containing gpa, or NULL (not mapped). */
const struct mem_region *paging_region_at(const struct memory_map *map,
                                          gpa_t gpa);

/* ---- Page tables: build / walk ------------------------------------------------ */

/* Writes identity-mapped tables for map into [KVMELF_PT_ADDR, KVMELF_PT_END)
 * using the largest page each uniform, aligned range allows.  Returns 0
 * with *cr3 and *tables_used (bytes), or -1 when the table area is too
 * small for this RAM size. */
int paging_build_tables(const struct guest_mem *gm,
                        const struct paging_config *cfg,
                        const struct memory_map *map,
                        gpa_t *cr3, uint64_t *tables_used, struct kerr *err);

struct translation {
    gpa_t phys;
    uint64_t page_size;
    unsigned attrs;      /* effective over all levels (enum page_attr) */
};

/* Walks like the CPU (4-level, 4 KiB/2 MiB/1 GiB leaves).  Returns 0 and
 * *t, or -1 when va is not mapped, not canonical or a table entry points
 * outside guest RAM. */
int paging_walk(const struct guest_mem *gm, gpa_t cr3, uint64_t va,
                struct translation *t);

/* The tables as the monitor keeps editing them after the build: new
 * tables (from splitting large pages) come from [next_table, KVMELF_PT_END). */
struct pt_state {
    gpa_t cr3;
    gpa_t next_table;    /* KVMELF_PT_ADDR + tables_used after the build */
    bool nx;             /* as paging_config.nx */
};

/* Gives every page of [start, start + len) (4 KiB aligned) the rights
 * attrs (enum page_attr; without PAGE_PRESENT the pages are not present),
 * splitting 1 GiB and 2 MiB pages where the range covers only part of one
 * and leaving untouched any that already have those rights.  Returns the
 * number of changed entries that were present before (the TLB may hold
 * them: flush when > 0; pages that only become present need no flush), or
 * -1, with the tables unchanged, when the range is unaligned, outside RAM,
 * crosses never-mapped space, or the splits need more tables than the
 * table area has left. */
int paging_protect(const struct guest_mem *gm, struct pt_state *pt,
                   gpa_t start, uint64_t len, unsigned attrs);

/* ---- The whole monitor area ------------------------------------------------------ */
struct cpu_tables {
    gpa_t cr3;
    gpa_t gdt_base;  uint16_t gdt_limit;
    gpa_t idt_base;  uint16_t idt_limit;
    uint64_t page_table_bytes;
};

/* Writes page tables for map (from paging_memory_map(cfg)), GDT, TSS
 * (RSP0, IST stacks, I/O bitmap letting every port but KVMELF_PORT_TRAP
 * through), IDT and stubs. */
int paging_setup(const struct guest_mem *gm, const struct paging_config *cfg,
                 const struct memory_map *map, struct cpu_tables *out,
                 struct kerr *err);

/* The SYSCALL entry paging_setup() writes at KVMELF_SYSCALL_ENTRY_ADDR
 * (the LSTAR value) reports through KVMELF_PORT_SYSCALL; this is the RIP
 * the monitor sees at that report (paging/syscall_entry.S). */
gpa_t paging_syscall_report_rip(void);

/* Writes struct kvmelf_boot_info into its page.  argv and the command
 * line are already in guest RAM (the process entry on the stack,
 * personality/stack.c): the boot info points at them. */
struct boot_params {
    const struct guest_layout *layout;   /* heap set */
    uint64_t argc;
    gpa_t argv;          /* guest address of char *argv[argc + 1] */
    gpa_t cmdline;       /* guest address of argv joined by spaces */
    bool ring0;
    bool stdout_tty;     /* KVMELF_BOOT_STDOUT_TTY: guest line-buffers */
};
int paging_write_boot_info(const struct guest_mem *gm,
                           const struct boot_params *bp, struct kerr *err);

#endif
