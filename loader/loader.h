/*
 * The loader: ELF bytes in, a validated load plan out, then segments copied
 * into guest RAM.  Pure functions over byte buffers (no KVM, no printing, no
 * exit), so unit tests and fuzzers call them directly.
 *
 * Contract: loader_plan() checks every rule before returning 0; nothing is
 * ever written to guest memory unless a plan was accepted, and
 * loader_copy() writes only inside the planned segments.  Every rejection
 * is one line in err naming the rule and the offending values in hex,
 * e.g. "segment 2 [0x3ff000, 0x401000) ends past guest RAM (4 MiB)".
 */
#ifndef KVMELF_LOADER_H
#define KVMELF_LOADER_H

#include "common/common.h"

#include <stddef.h>
#include <stdint.h>

#define LOADER_MAX_FILE_SIZE  (256ULL << 20) /* refuse larger ELF files */
#define LOADER_MAX_PHNUM      256            /* program headers          */
#define LOADER_MAX_SEGMENTS   32             /* PT_LOAD entries          */

/* An ELF file read into memory.  loader_read_file() accepts only regular
 * files of at most LOADER_MAX_FILE_SIZE bytes. */
struct loader_file {
    uint8_t *bytes;     /* followed by LOADER_FILE_PADDING zero bytes */
    size_t size;
};
/* Zero bytes after a file read by loader_read_file, so that a string
 * running off the end of a section still stops inside the allocation (the
 * symbolizer, symbolize/, hands the bytes to libelf). */
#define LOADER_FILE_PADDING 64
int loader_read_file(const char *path, struct loader_file *file,
                     struct kerr *err);
void loader_file_free(struct loader_file *file);

/* Where segments may lie: [lo, hi), within RAM of ram_size bytes (the
 * CLI makes it from paging_layout()). */
struct load_window {
    gpa_t lo;
    gpa_t hi;            /* the guard page below the stack starts here */
    uint64_t ram_size;
    uint64_t stack_size; /* above hi: guard page and stack, for messages */
};

struct load_segment {
    unsigned index;     /* program header index, as messages name it */
    gpa_t vaddr;        /* identity map: also the guest-physical address */
    uint64_t memsz;
    uint64_t offset;    /* in the file */
    uint64_t filesz;
    uint32_t flags;     /* PF_R | PF_W | PF_X */
};

struct load_plan {
    uint64_t entry;
    unsigned nsegs;
    struct load_segment segs[LOADER_MAX_SEGMENTS]; /* sorted by vaddr */
    gpa_t image_end;    /* end of the highest segment, page aligned up */
    /* The program header table in guest memory (for the auxiliary vector's
     * AT_PHDR): PT_PHDR's address, else where the PT_LOAD whose file bytes
     * cover e_phoff puts it; phdr 0 and phnum 0 when the table is not
     * loaded, or PT_PHDR names memory outside every segment. */
    gpa_t phdr;
    unsigned phent, phnum;
};

/* Validates the whole file (header, program headers, every PT_LOAD,
 * entry point) against win and fills plan.  Returns 0, or -1 with err set
 * and plan unspecified. */
int loader_plan(const uint8_t *bytes, size_t size,
                const struct load_window *win, struct load_plan *plan,
                struct kerr *err);

/* Copies each segment's file bytes to its vaddr.  The rest of each
 * segment (bss) is left as it is: fresh guest RAM is already zero.
 * Returns 0, or -1 if a segment does not fit gm (plan not made for it). */
int loader_copy(const struct load_plan *plan, const uint8_t *bytes,
                size_t size, const struct guest_mem *gm, struct kerr *err);

#endif
