/*
 * vcpu: the only module that talks to /dev/kvm.  It creates the VM, gives
 * it the guest RAM, creates and sets up the one vCPU for long mode, runs it
 * and handles every exit: the port devices from one table (16550 COM1,
 * debug console, bulk write, exit ports), the exception stubs' reports,
 * HLT, faults of the VM itself, and system calls, which it decodes and
 * hands to linux/ (syscall_port.c).
 *
 * Errors come back as struct kerr; nothing here prints or exits.  Warnings
 * during a run go through run_options.warn, which the CLI owns.
 */
#ifndef KVMELF_VCPU_H
#define KVMELF_VCPU_H

#include "common/common.h"
#include "boot/boot.h"
#include "paging/paging.h"

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* What the host's KVM offers, read once from KVM_GET_SUPPORTED_CPUID and
 * KVM_CHECK_EXTENSION; paging and CPU setup follow it. */
struct vm_caps {
    bool huge_1g;        /* 1 GiB pages                              */
    bool nx;             /* EFER.NXE                                 */
    uint64_t xcr0;       /* XCR0 the guest gets (0: no XSAVE/AVX)    */
    uint32_t hwcap;      /* CPUID.1:EDX, Linux's AT_HWCAP             */
};

/* Opens dev (normally "/dev/kvm"), checks KVM_GET_API_VERSION == 12 and the
 * extensions kvmelf needs, creates the VM.  Failure means this host cannot
 * run guests (the CLI's status 126); the message says what to do, fitted
 * to the device and the user (vm_device_hint).  named_by: the environment
 * variable that chose dev, for the message (NULL: the default). */
int vm_open(struct vm **vm, const char *dev, const char *named_by,
            struct kerr *err);

/* What the permission hint is made of (vcpu/kvm_device.c). */
struct device_facts {
    const char *path;
    bool exists;
    unsigned mode;           /* st_mode */
    unsigned uid, gid;
    char group[64];          /* the name of gid, "" if /etc/group has none */
    bool user_in_group;      /* gid is one of ours */
    bool kvm_group_exists;   /* /etc/group has a "kvm" */
};
void vm_device_facts(const char *dev, struct device_facts *f);
/* Why opening f->path read-write was refused and what to do about it:
 * join the device's group, fix its mode, or make a kvm group where the
 * host has none.  Pure; returns buf. */
const char *vm_device_hint(const struct device_facts *f, char *buf,
                           size_t len);
const struct vm_caps *vm_caps(const struct vm *vm);

/* Registers gm as memory slot 0 at guest-physical 0 (gm must outlive vm). */
int vm_attach_ram(struct vm *vm, const struct guest_mem *gm, struct kerr *err);

struct vcpu_entry {
    uint64_t rip, rsp, rdi;
    bool ring0;          /* CPL 0 instead of CPL 3 */
};

/* Creates the vCPU and loads the entry state: long mode over the tables
 * boot_setup() wrote, CPUID/XCR0/FPU per vm_caps, registers per entry. */
int vm_setup_vcpu(struct vm *vm, const struct cpu_tables *tables,
                  const struct vcpu_entry *entry, struct kerr *err);

/* ---- Running ------------------------------------------------------------ */
struct linux_process;

struct run_options {
    double timeout_sec;  /* 0: none */
    bool strict_io;      /* unknown ports and bad accesses end the guest */
    bool want_sregs;     /* read control/segment registers at the end */
    uint64_t max_output; /* guest output bytes (stdout+stderr); 0: no cap */
    /* Called for warnings during the run (after stdout is flushed). */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
    /* The Linux process whose system calls the guest makes (linux/;
     * the caller owns it). */
    struct linux_process *process;
    /* A connected gdb (--gdb, --gdb-socket) when > 0 (0, stdin, never
     * is one): the guest waits for it before its first instruction;
     * vm_run closes it.  exec_file: the path gdb may ask for
     * (qXfer:exec-file), or NULL. */
    int gdb_fd;
    const char *gdb_exec_file;
    /* --stats: filled during the run (the caller zeroes it), or NULL. */
    struct exit_stats *exit_stats;
};

enum run_outcome {
    RUN_EXITED,          /* status: exit port, isa-debug-exit, HLT      */
    RUN_CRASHED,         /* crash describes it                          */
    RUN_TIMED_OUT,
    RUN_SIGNALED,        /* signal: SIGINT or SIGTERM reached kvmelf    */
    RUN_STDOUT_CLOSED,   /* writing the guest's output gave EPIPE       */
    RUN_GUEST_SIGNAL,    /* signal: the guest raised it (abort, raise)  */
    RUN_OUTPUT_LIMIT,    /* the guest wrote max_output bytes and more    */
};

enum crash_kind {
    CRASH_EXCEPTION,     /* reported by the exception stubs            */
    CRASH_PRIVILEGED,    /* a ring-3 #GP on an instruction needing ring 0 */
    CRASH_TRIPLE_FAULT,  /* KVM_EXIT_SHUTDOWN                          */
    CRASH_FAIL_ENTRY,    /* KVM_EXIT_FAIL_ENTRY                        */
    CRASH_EMULATION,     /* KVM_EXIT_INTERNAL_ERROR                    */
    CRASH_MMIO,          /* access to guest-physical memory beyond RAM */
    CRASH_BAD_IO,        /* --strict-io: unknown port or bad access    */
    CRASH_BAD_FRAME,     /* a stub report whose frame is unreadable    */
};

struct crash_info {
    enum crash_kind kind;
    unsigned vector;     /* CRASH_EXCEPTION / CRASH_PRIVILEGED          */
    uint64_t error_code;
    uint64_t rip, rsp;
    bool from_user;      /* CPL 3 when it happened                       */
    bool from_stub;      /* reported by a stub: cs/ss below are valid    */
    uint16_t cs, ss;     /* selectors at the fault (from the trap frame) */
    uint64_t detail;     /* hw reason, suberror, MMIO address, port      */
    char what[192];      /* short description (port, instruction bytes)  */
};

struct guest_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
};

struct guest_segment {
    uint16_t selector;
    uint8_t dpl;
    uint64_t base;
};

/* Control and segment state, for --regs and crash reports. */
struct guest_sregs {
    uint64_t cr0, cr2, cr3, cr4, efer;
    struct guest_segment cs, ss, ds, es, fs, gs, tr;
    uint64_t gdt_base, idt_base;
    uint16_t gdt_limit, idt_limit;
};

/* --stats: a run's exits by what caused them, and the time kvmelf spent
 * on each kind (from KVM_RUN's return to the next call).  Counted only
 * when run_options.exit_stats is set (no clock read otherwise). */
enum exit_kind {
    EXK_SYSCALL,         /* the SYSCALL entry page's report            */
    EXK_CONSOLE,         /* COM1, the debug console                    */
    EXK_WRITE,           /* the bulk-write port                        */
    EXK_EXIT_PORT,       /* the exit ports                             */
    EXK_TRAP,            /* an exception stub's report                 */
    EXK_OTHER_PORT,      /* any other port                             */
    EXK_HLT,
    EXK_SIGNAL,          /* KVM_RUN interrupted (a signal, a timer)    */
    EXK_OTHER,           /* MMIO, shutdown, entry failure, ...         */
    EXK_COUNT
};

#define EXIT_STATS_SYSCALLS 512  /* system call numbers counted one by one */

struct exit_stats {
    uint64_t count[EXK_COUNT];
    uint64_t handler_ns[EXK_COUNT];
    uint64_t in_kvm_run_ns;      /* the guest, and KVM's own exit work */
    uint32_t syscalls[EXIT_STATS_SYSCALLS];   /* by number */
    uint64_t syscalls_beyond;    /* numbers at or above that */
};

struct run_result {
    enum run_outcome outcome;
    int status;          /* RUN_EXITED: 0..255                          */
    int signal;          /* RUN_SIGNALED                                */
    struct crash_info crash;
    bool have_regs;
    struct guest_regs regs;  /* at the end (for a crash: at the fault)  */
    bool have_sregs;         /* with run_options.want_sregs or a crash  */
    struct guest_sregs sregs;
    uint64_t exits;          /* KVM_RUN calls that returned (--stats)   */
    uint64_t first_run_ns;   /* CLOCK_MONOTONIC when the first returned */
};

/* The Linux signal a crash stands for (SIGSEGV, SIGILL, SIGFPE, SIGBUS,
 * SIGTRAP): kvmelf's status is 128 + it, and gdb is shown it. */
int crash_signal(const struct crash_info *crash);

/* Runs the guest until it ends.  Returns 0 with *res filled, or -1 with
 * err when the monitor itself failed (an ioctl, a write to stdout other
 * than EPIPE).  All guest output is flushed before it returns. */
int vm_run(struct vm *vm, const struct run_options *opts,
           struct run_result *res, struct kerr *err);

/* Before the sandbox, for run_options.gdb_fd: bytes from gdb while the
 * guest runs (its Ctrl-C) will interrupt KVM_RUN (SIGIO; the fd becomes
 * non-blocking).  0 or -1 (err). */
int vm_debug_prepare(int fd, struct kerr *err);

void vm_close(struct vm *vm);

/* ---- Confinement ------------------------------------------------------------
 * vm_end_setup() after vm_setup_vcpu(): closes the /dev/kvm fd, so the VM
 * and vCPU fds are the only ones of ours open while the guest runs.
 * vm_move_fds() then moves those two to the numbers a ready-made seccomp
 * filter names (sandbox/); it refuses, changing nothing, when anything
 * else is open there. */
void vm_end_setup(struct vm *vm);
int vm_move_fds(struct vm *vm, int vm_fd, int vcpu_fd, struct kerr *err);

#endif
