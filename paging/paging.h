/*
 * paging: the guest's layout and its page tables.  paging_layout() derives
 * window, heap, guard page and stack from the RAM and stack sizes, once;
 * paging_memory_map() turns a program's segments into the memory map;
 * the identity-mapped 4-level tables are built from it, walked like the
 * CPU walks them, and edited for mprotect (paging_protect).
 *
 * Plain memory writes into a struct guest_mem: no KVM calls, no printing,
 * so the unit tests build the tables and walk them like the CPU would.
 * The descriptor tables, stubs and boot info are boot/'s.
 */
#ifndef KVMELF_PAGING_H
#define KVMELF_PAGING_H

#include "common/common.h"
#include "common/x86.h"

#include <kvmelf/abi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Host pointer to the guest's [addr, addr + len) when every page of it is
 * in guest RAM and mapped for ring 3 (and writable, with write) by the
 * page tables at cr3, identity-mapped, as the CPU would check the guest's
 * own access; NULL otherwise.  len 0 gives a non-NULL pointer for any addr
 * in RAM.  What the Linux personality and the bulk-write port use, so the
 * monitor never touches its own area for the guest. */
void *paging_user_ptr(const struct guest_mem *gm, gpa_t cr3, uint64_t addr,
                      uint64_t len, bool write);

#endif
