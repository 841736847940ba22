/*
 * personality: the pure parts of kvmelf's Linux x86-64 personality, which lets a
 * static musl (or simple glibc) program run as a guest: the initial process
 * stack (argc, argv, envp, auxiliary vector) and the guest's address-space
 * bookkeeping behind brk/mmap/munmap/mremap.  No KVM, no printing: the
 * system-call handlers (vcpu/syscall*.c) drive these, and the unit tests
 * call them directly.
 */
#ifndef KVMELF_PERSONALITY_H
#define KVMELF_PERSONALITY_H

#include "common/common.h"

#include <kvmelf/abi.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The initial process stack (System V x86-64 psABI 3.4.1) ------------ */

/* Auxiliary vector types (<elf.h> names them AT_*; the values are Linux's). */
#define LINUX_AT_RANDOM_BYTES 16
#define LINUX_PLATFORM        "x86_64"
#define LINUX_CLKTCK          100

struct linux_stack_params {
    gpa_t stack_top;         /* initial RSP before anything is pushed */
    gpa_t stack_bottom;      /* nothing is written below this */
    uint64_t args_max;       /* strings + pointers of argv and envp, at
                                most (guest_layout.args_max)          */
    uint64_t stack_size;     /* for the message when they do not fit */
    int argc;
    char *const *argv;       /* argv[0] = the program's name as given */
    size_t envc;
    char *const *envp;       /* "NAME=VALUE" strings */
    const char *execfn;      /* AT_EXECFN: the path the program was
                                loaded from (NULL: argv[0])           */
    gpa_t phdr;              /* AT_PHDR; with phnum 0 also AT_PHENT 0 */
    unsigned phent, phnum;
    gpa_t entry;             /* AT_ENTRY */
    uint64_t hwcap;          /* AT_HWCAP: CPUID.1:EDX as the guest sees it */
    uint8_t random[LINUX_AT_RANDOM_BYTES];   /* AT_RANDOM's bytes */
};

/* Where the process entry put what the boot info points at. */
struct linux_stack_result {
    gpa_t rsp;               /* the address of argc */
    gpa_t argv;              /* argv[0 .. argc] */
    gpa_t cmdline;           /* argv joined by spaces, for freestanding
                                guests (docs/abi.md, boot info) */
};

/* Writes, downward from stack_top, the random bytes, the platform string,
 * AT_EXECFN's string, the command line, the argument and environment
 * strings, and below them (16-byte aligned) argc, argv[], NULL, envp[],
 * NULL and the auxiliary vector ending with AT_NULL.  The strings of argv
 * and envp and their pointers are counted once against args_max, as Linux
 * counts them against a quarter of RLIMIT_STACK; everything must also fit
 * above stack_bottom.  Returns 0 with *out, or -1 with a message that
 * names what the arguments take and what fits. */
int linux_write_stack(const struct guest_mem *gm,
                      const struct linux_stack_params *p,
                      struct linux_stack_result *out, struct kerr *err);

/* ---- Address space: brk grows up, mmap allocates down -------------------- */

struct mm_range {
    uint64_t start, end;     /* [start, end), page aligned */
};

/* At most this many separate mappings (Linux's vm.max_map_count is
 * 65530): a guest cannot make the monitor's bookkeeping grow without
 * bound. */
#define MM_MAX_MAPS 65536

struct linux_mm {
    uint64_t lo, hi;         /* the heap: [lo, hi) */
    uint64_t brk;            /* program break, lo <= brk <= hi */
    struct mm_range *maps;   /* mmap'ed ranges: sorted, disjoint, merged */
    size_t count, cap;
    size_t max_maps;         /* MM_MAX_MAPS (tests lower it) */
};

/* lo and hi page aligned, lo <= hi.  Nothing is mapped; brk = lo. */
void mm_init(struct linux_mm *mm, uint64_t lo, uint64_t hi);
void mm_fini(struct linux_mm *mm);

/* brk(2): addr below lo (e.g. 0) only asks; otherwise the break moves to
 * addr when the pages up to it stay below every mapping and below hi.
 * Returns the break afterwards (unchanged on failure, as Linux does).
 * *fresh is the range of pages newly added to the break (empty: start ==
 * end), *freed the pages it released, so the caller can zero them. */
uint64_t mm_brk(struct linux_mm *mm, uint64_t addr, struct mm_range *fresh,
                struct mm_range *freed);

/* Anonymous mmap of len bytes (rounded up to pages): the highest free range
 * above the break's pages.  0 with *addr, -EINVAL (len 0 or absurd),
 * -ENOMEM (no room, or too many mappings). */
int mm_map(struct linux_mm *mm, uint64_t len, uint64_t *addr);

/* MAP_FIXED: [addr, addr + len) must lie above the break's pages and below
 * hi; replaces what was mapped there.  noreplace: -EEXIST when any of it
 * is mapped.  0, -EINVAL (unaligned, outside), -ENOMEM, -EEXIST. */
int mm_map_fixed(struct linux_mm *mm, uint64_t addr, uint64_t len,
                 bool noreplace);

/* munmap(2): addr page aligned, len > 0; unmapped pages in the range are
 * fine.  0, -EINVAL, -ENOMEM (a split needs an entry beyond MM_MAX_MAPS). */
int mm_unmap(struct linux_mm *mm, uint64_t addr, uint64_t len);

/* True when every page of [addr, addr + len) is mmap'ed. */
bool mm_is_mapped(const struct linux_mm *mm, uint64_t addr, uint64_t len);

/* mremap(2) without MREMAP_FIXED: [old, old + old_len) must be mapped.
 * Shrinks in place, grows in place when the pages after it are free, else
 * (may_move) maps new_len bytes elsewhere and unmaps the old range.
 * 0 with *new_addr (the caller copies min(old_len, new_len) bytes when it
 * differs from old), -EINVAL, -EFAULT (old range not mapped), -ENOMEM;
 * on failure nothing changed. */
int mm_remap(struct linux_mm *mm, uint64_t old, uint64_t old_len,
             uint64_t new_len, bool may_move, uint64_t *new_addr);

/* mm_remap in two steps, so the caller can do what may fail (page rights)
 * in between and still leave everything as it was: the plan checks,
 * chooses new_addr and reserves the entries the change needs, changing
 * nothing the guest sees (0 or mm_remap's errors); apply, after a
 * successful plan and no other change, cannot fail. */
struct mm_remap {
    uint64_t old, old_len, new_len;   /* lengths rounded up to pages */
    uint64_t new_addr;
};
int mm_remap_plan(struct linux_mm *mm, uint64_t old, uint64_t old_len,
                  uint64_t new_len, bool may_move, struct mm_remap *p);
void mm_remap_apply(struct linux_mm *mm, const struct mm_remap *p);

#endif
