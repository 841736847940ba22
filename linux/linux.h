/*
 * linux: kvmelf's Linux x86-64 personality, which lets a static musl (or
 * glibc) program run as a guest.  The process entry on the stack (argc,
 * argv, envp, auxiliary vector), and the system calls: one table
 * (table.c) and handlers grouped by subject (io.c, mem.c, proc.c,
 * signal.c, time.c), over the process's own state (its address space,
 * signal actions, limits).
 *
 * No KVM here: vcpu/ decodes a SYSCALL from the guest's registers into a
 * struct linux_call, describes the guest in a struct linux_guest (its
 * memory and page tables for pointer checks, FS/GS bases, the console)
 * and calls linux_syscall(), which performs the call and says what
 * follows in one named result.  Unit tests and the fuzzer call it the same
 * way, with no vCPU at all.  Nothing here prints: warnings go through the
 * console's callback.
 */
#ifndef KVMELF_LINUX_H
#define KVMELF_LINUX_H

#include "common/common.h"
#include "console/console.h"
#include "paging/paging.h"

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

/* ---- The process and its system calls ------------------------------- */

/* What the run gives the process (from paging_layout and the options). */
struct linux_config {
    uint64_t heap_start, heap_end;  /* brk up from start, mmap down from end */
    uint64_t stack_bottom;          /* the stack: [stack_bottom, RAM end) */
    uint64_t stack_size;            /* RLIMIT_STACK */
    bool allow_wx;                  /* mmap/mprotect may ask for W+X */
    struct pt_state pt;             /* the page tables mprotect edits */
};

struct linux_process;

/* A process as exec leaves it: nothing mapped, the break at heap_start,
 * default signal actions, fds 0-2 the console's stdin, stdout and stderr,
 * no file system but /dev and /proc/self (linux_files_open adds the
 * rest).  NULL only when out of memory. */
struct linux_process *linux_process_new(const struct linux_config *cfg);
void linux_process_free(struct linux_process *p);      /* NULL is fine */

/* ---- Files: what of the host the guest sees (docs/abi.md section 12) --- */

/* Every host fd the file layer holds is at or above this: below are
 * stdio and the fds the sandbox moves the VM and the vCPU to. */
#define LINUX_HOST_FD_MIN 5

/* One --dir HOST[:GUEST][:ro|:rw]. */
struct linux_grant {
    const char *host;        /* the host directory, as given */
    const char *guest;       /* where the guest sees it: absolute (NULL:
                                HOST's own absolute path) */
    bool rw;                 /* else read-only: writes give EROFS */
};

struct linux_files {
    const struct linux_grant *grants;
    size_t ngrants;
    const char *cwd;         /* the guest's working directory (NULL: the
                                first grant's guest path, or "/") */
    uint64_t tmp_size;       /* the private /tmp's cap in bytes (0: none) */
    const char *exe;         /* the program's path, for /proc/self/exe */
};

/* Opens every grant's directory (O_PATH, before any confinement: the
 * sandbox only lets kvmelf reach what is already open), makes the private
 * /tmp (a tmpfs of its own, gone with the process) and the working
 * directory.  0, or -1 with a message naming the bad --dir, --cwd or
 * --tmp and why.  Call once, before linux_files_confine_list(). */
int linux_files_open(struct linux_process *p, const struct linux_files *f,
                     struct kerr *err);

/* What the guest can reach on the host, for the sandbox (Landlock) and for
 * --stats and kvmelf info: the host directory's fd (O_PATH), its path as
 * given and the guest's, and whether it is writable. */
struct linux_tree {
    int fd;
    const char *host;
    const char *guest;
    bool rw;
    bool is_tmp;             /* the private /tmp */
};
/* Fills up to max entries; returns how many there are. */
size_t linux_files_trees(const struct linux_process *p,
                         struct linux_tree *out, size_t max);
/* A line about the files the run could not set up as asked (no private
 * /tmp on this host, and why), or NULL. */
const char *linux_files_note(const struct linux_process *p);

/* The guest as one call sees it; vcpu/ fills it per call. */
struct linux_guest {
    const struct guest_mem *gm;
    gpa_t cr3;               /* pointers are checked in the guest's tables */
    uint64_t fs_base, gs_base;   /* in, and out when arch_prctl sets them */
    struct console *console;
};

struct linux_call {
    unsigned nr;             /* the system call's number (x86-64) */
    uint64_t args[6];        /* rdi, rsi, rdx, r10, r8, r9 */
    /* Out: */
    long ret;                /* LINUX_RESUME: what RAX gets */
    int status;              /* LINUX_EXIT: the exit status, 0-255 */
    int signal;              /* LINUX_SIGNAL: the signal it raised */
    bool bases_changed;      /* fs_base or gs_base written */
    bool tlb_stale;          /* present page-table entries changed: the
                                caller flushes the guest's TLB */
};

enum linux_result {
    LINUX_RESUME,            /* back to the guest with ret */
    LINUX_EXIT,              /* exit or exit_group: the guest ended */
    LINUX_SIGNAL,            /* it raised a signal that ends a process */
    LINUX_ERROR,             /* the monitor failed (err): writing output */
};

enum linux_result linux_syscall(struct linux_process *p,
                                struct linux_guest *g, struct linux_call *call,
                                struct kerr *err);

/* The name of system call nr ("read"), or NULL when it has none. */
const char *linux_syscall_name(unsigned nr);

#endif
