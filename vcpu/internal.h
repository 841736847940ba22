/* Private to vcpu/: the VM object and the device model. */
#ifndef KVMELF_VCPU_INTERNAL_H
#define KVMELF_VCPU_INTERNAL_H

#include "vcpu.h"
#include "personality/personality.h"

#include <linux/kvm.h>
#include <stddef.h>

/* ioctl with EINTR retry; on failure fills err with the request's name
 * ("KVM_SET_SREGS: Invalid argument") and returns -1. */
#define KVM_IOCTL(fd, req, arg, err) \
    kvm_ioctl_named((fd), (req), (arg), #req, (err))
int kvm_ioctl_named(int fd, unsigned long req, void *arg, const char *name,
                    struct kerr *err);

#define OUTBUF_SIZE  (64 * 1024)
#define INBUF_SIZE   4096

/* The fds vm_confine() gives the VM and the vCPU: the seccomp filter is
 * compiled in advance (sandbox_filter_gen.c) and names them by number.
 * The lowest fds after stdio, free once the /dev/kvm fd is closed. */
#define SANDBOX_VM_FD   3
#define SANDBOX_VCPU_FD 4

/* Guest output on its way to stdout. */
struct outbuf {
    int fd;
    bool closed;             /* EPIPE seen: the reader is gone */
    bool capped;             /* run_options.max_output reached: run ends */
    uint64_t total;          /* guest bytes accepted, for max_output */
    size_t len;
    uint8_t data[OUTBUF_SIZE];
};

/* 16550 state the guest can observe; stdin feeds RBR. */
struct uart {
    uint8_t regs[8];         /* what the guest wrote, for read-back */
    uint8_t divisor[2];      /* DLL/DLM when LCR.DLAB is set */
    bool input_eof;
    unsigned idle_lsr_reads; /* LSR reads since the last THR write */
    size_t in_pos, in_len;
    uint8_t in[INBUF_SIZE];
};

#define WARNED_PORTS 64

/* Unsupported system calls already named: one bit per number below
 * SYS_WARNED_BITS, and a short list of the larger numbers (after
 * SYS_WARNED_LARGE of those, the rest are refused without a word, so a
 * guest cannot flood stderr by counting up). */
#define SYS_WARNED_BITS 512
#define SYS_WARNED_LARGE 16

/* Linux's RLIM_NLIMITS: the resources getrlimit knows. */
#define SYS_RLIMIT_COUNT 16

/* Guest-visible signal state: actions are remembered, never delivered. */
#define SYS_NSIG 64
struct sys_sigaction {
    uint64_t handler, flags, restorer, mask;
};

/* The Linux personality's state (vcpu/syscall*.c). */
struct sys_state {
    bool sync_regs;              /* KVM_CAP_SYNC_REGS: regs in kvm_run */
    struct kvm_regs regs;        /* otherwise: read per call */
    struct kvm_sregs sregs;
    struct pt_state pt;          /* for mprotect */
    struct linux_mm mm;
    bool heap_adopted;           /* free heap pages made not present */
    struct linux_config cfg;
    uint64_t warned[SYS_WARNED_BITS / 64];
    uint32_t warned_large[SYS_WARNED_LARGE];
    unsigned nwarned_large;
    struct sys_sigaction actions[SYS_NSIG];
    uint64_t sigmask;
    uint64_t sigpending;         /* raised while blocked: acted on at unblock */
    uint64_t tid_address;
    uint64_t limits[SYS_RLIMIT_COUNT][2];   /* soft, hard (sys_limits_init) */
};

struct vm {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    const struct guest_mem *gm;
    struct vm_caps caps;
    struct kvm_cpuid2 *cpuid;    /* supported, then edited for the guest */
    bool ring0;
    gpa_t cr3;                   /* the tables paging_setup() wrote */
    bool stopped;                /* a timeout or signal ended the run */

    struct outbuf out;
    struct uart uart;
    const struct run_options *opts;
    uint16_t warned[WARNED_PORTS];
    unsigned nwarned;
    struct sys_state sys;
    /* The guest's stdout buffer (KVMELF_WRITE_REGISTER), written out when
     * the guest ends. */
    bool have_stdout_desc;
    gpa_t stdout_desc;
    uint64_t exits;              /* KVM_RUN returns, for --stats */
    uint64_t first_run_ns;       /* monotonic time the first one returned */
};

/* devices.c: port I/O.  Returns 0 to continue, 1 when the run ended
 * (res filled), -1 on a monitor error. */
int io_exit(struct vm *vm, struct run_result *res, struct kerr *err);
int out_flush(struct vm *vm, struct kerr *err);
/* Host pointer to [addr, addr + len) when the guest's page tables at cr3
 * let ring 3 read it (and write it, with write), identity-mapped; NULL
 * otherwise or when any byte is outside guest RAM. */
void *vm_user_ptr(const struct guest_mem *gm, gpa_t cr3, uint64_t addr,
                  uint64_t len, bool write);
/* Writes what the guest's registered stdout buffer still holds (its
 * descriptor is read again from guest memory and checked); at the end of
 * a run, before the final out_flush and any crash report. */
int out_flush_guest_buffer(struct vm *vm, struct kerr *err);
/* Guest output that arrives as a whole buffer (a write(2), a bulk write):
 * fd 1 goes out after what is buffered, in one write(2) when it fits the
 * buffer; another fd (stderr) gets the buffered stdout first.  Never keeps
 * data back, so output is in order and nothing waits for a newline. */
int out_write(struct vm *vm, int fd, const uint8_t *data, size_t len,
              struct kerr *err);
void devices_init(struct vm *vm);

/* trap.c: a report from the exception stubs (KVMELF_PORT_TRAP). */
int trap_exit(struct vm *vm, struct run_result *res, struct kerr *err);
/* The part of trap_exit after KVM_GET_REGS, for tests and fuzzing: the
 * frame at regs->rsp is read from (and may be edited in) guest RAM.
 * Returns 0 to resume the guest, 1 when the run ended. */
int trap_report(struct vm *vm, const struct kvm_regs *regs,
                struct run_result *res);

/* run.c: handles the exit vm->run describes, whatever KVM (or a fuzzer)
 * put there.  Returns 0 to re-enter the guest, 1 when the run ended (res
 * filled), -1 on a monitor error (err). */
int exit_dispatch(struct vm *vm, struct run_result *res, struct kerr *err);

/* syscall.c: a report on KVMELF_PORT_SYSCALL.  Returns 0, 1 (ended), -1,
 * or SYSCALL_NOT_FROM_ENTRY when the port write did not come from the
 * entry page (then it is an unknown port like any other). */
#define SYSCALL_NOT_FROM_ENTRY 2
int syscall_exit(struct vm *vm, struct run_result *res, struct kerr *err);
/* Sets up the personality's state when the vCPU is created. */
void syscall_init(struct vm *vm, const struct cpu_tables *tables);
/* ... and what the run's options say (vm_run). */
void syscall_configure(struct vm *vm, const struct linux_config *cfg);

/* kvm.c: the code and stack segments the guest runs with (ring 3, or
 * ring 0 with --ring0), for the return from a system call. */
void vm_caller_segments(const struct vm *vm, struct kvm_sregs *sr);
/* kvm.c: makes the next KVM_RUN drop every cached translation, after the
 * monitor edited the page tables. */
int vm_flush_tlb(struct vm *vm, struct kerr *err);

/* Register helpers shared by run.c and trap.c. */
void regs_from_kvm(struct guest_regs *out, const struct kvm_regs *in);

#endif
