/* Private to vcpu/: the VM object, the exit handlers' one result, and the
 * devices behind the port table. */
#ifndef KVMELF_VCPU_INTERNAL_H
#define KVMELF_VCPU_INTERNAL_H

#include "vcpu.h"
#include "boot/boot.h"
#include "console/console.h"
#include "linux/linux.h"

#include <linux/kvm.h>
#include <stddef.h>

/* ioctl with EINTR retry; on failure fills err with the request's name
 * ("KVM_SET_SREGS: Invalid argument") and returns -1. */
#define KVM_IOCTL(fd, req, arg, err) \
    kvm_ioctl_named((fd), (req), (arg), #req, (err))
int kvm_ioctl_named(int fd, unsigned long req, void *arg, const char *name,
                    struct kerr *err);

/* What every exit handler returns. */
enum exit_result {
    EXIT_RESUME,             /* re-enter the guest                        */
    EXIT_ENDED,              /* the run ended: res says how               */
    EXIT_ERROR,              /* the monitor failed: err says why          */
    EXIT_UNCLAIMED,          /* a whole-exit port device's "not mine": the
                                access is an unknown port's (ports.c)     */
};

/* 16550 state the guest can observe; its bytes go through the console. */
struct uart {
    uint8_t regs[8];         /* what the guest wrote, for read-back */
    uint8_t divisor[2];      /* DLL/DLM when LCR.DLAB is set */
    unsigned idle_lsr_reads; /* LSR reads since the last THR write */
};

#define WARNED_PORTS 64

/* The vCPU's registers at a system call: in kvm_run (KVM_CAP_SYNC_REGS)
 * or read per call into these. */
struct syscall_regs {
    bool sync_regs;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
};

struct vm {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    const struct guest_mem *gm;
    struct vm_caps caps;
    struct kvm_cpuid2 *cpuid;    /* supported, then edited for the guest */
    bool ring0;
    gpa_t cr3;                   /* the tables boot_setup() wrote */
    bool stopped;                /* a timeout or signal ended the run */

    struct console console;
    struct uart uart;
    const struct run_options *opts;
    uint16_t warned[WARNED_PORTS];
    unsigned nwarned;
    struct syscall_regs sys;
    /* The guest's stdout buffer (KVMELF_WRITE_REGISTER), written out when
     * the guest ends. */
    bool have_stdout_desc;
    gpa_t stdout_desc;
    struct debugger *debug;      /* gdb attached (debug.c), or NULL */
    uint64_t exits;              /* KVM_RUN returns, for --stats */
    uint64_t first_run_ns;       /* monotonic time the first one returned */
};

/* One port access as KVM reported it, read once from the run page. */
struct port_io {
    uint16_t port;
    uint8_t size;            /* 1, 2 or 4 bytes */
    bool out;
};

/* What the port table calls for one element of an access (data: its
 * bytes in the run page), or once for a whole exit. */
typedef enum exit_result port_fn(struct vm *vm, const struct port_io *io,
                                 uint8_t *data, struct run_result *res,
                                 struct kerr *err);

/* ports.c: a port-I/O exit, through the port table. */
enum exit_result io_exit(struct vm *vm, struct run_result *res,
                         struct kerr *err);
/* Writes what the guest's registered stdout buffer still holds (its
 * descriptor is read again from guest memory and checked); at the end of
 * a run, before the console's last flush and any crash report. */
int out_flush_guest_buffer(struct vm *vm, struct kerr *err);
/* Fresh device state and a console for opts (vm_run; tests). */
void devices_init(struct vm *vm, const struct run_options *opts, int out_fd);

/* uart.c: one element of an access to COM1 (size 1). */
port_fn uart_access;

/* trap.c: a report from the exception stubs (KVMELF_PORT_TRAP), for the
 * whole exit. */
port_fn trap_exit;
/* The part of trap_exit after KVM_GET_REGS, for tests and fuzzing: the
 * frame at regs->rsp is read from (and may be edited in) guest RAM.
 * EXIT_RESUME or EXIT_ENDED. */
enum exit_result trap_report(struct vm *vm, const struct kvm_regs *regs,
                             struct run_result *res);

/* run.c: handles the exit vm->run describes, whatever KVM (or a fuzzer)
 * put there. */
enum exit_result exit_dispatch(struct vm *vm, struct run_result *res,
                               struct kerr *err);

/* syscall_port.c: a report on KVMELF_PORT_SYSCALL, for the whole exit:
 * the registers decoded into a call for linux/, the result put back as
 * SYSRET would.  EXIT_UNCLAIMED when the write did not come from the
 * entry page. */
port_fn syscall_exit;

/* kvm.c: the code and stack segments the guest runs with (ring 3, or
 * ring 0 with --ring0), for the return from a system call. */
void vm_caller_segments(const struct vm *vm, struct kvm_sregs *sr);
/* kvm.c: makes the next KVM_RUN drop every cached translation, after the
 * monitor edited the page tables. */
int vm_flush_tlb(struct vm *vm, struct kerr *err);

/* run.c: what a system call left in kvm_run (KVM_CAP_SYNC_REGS) set in
 * the vCPU, for a reader of KVM_GET_REGS before the next KVM_RUN. */
int vm_apply_synced_regs(struct vm *vm, struct kerr *err);

/* debug.c: the GDB stub's KVM half.  debug_attach() takes the connected
 * fd (run_options.gdb_fd); debug_start() serves gdb before the first
 * instruction; trap.c hands it the stubs' #DB and #BP reports
 * (debug_wants_trap, debug_trap); the run loop every other exit's
 * result (debug_after_exit: a step ended by a port or system-call exit,
 * a crash shown before it ends the run) and each interrupted KVM_RUN
 * (debug_interrupted: gdb's Ctrl-C); debug_end() says how the run ended
 * and closes the connection.  Each returns EXIT_RESUME, EXIT_ENDED (gdb
 * killed the guest: res says so) or EXIT_ERROR. */
struct debugger;
int debug_attach(struct vm *vm, int fd, const char *exec_file,
                 struct kerr *err);
enum exit_result debug_start(struct vm *vm, struct run_result *res,
                             struct kerr *err);
bool debug_wants_trap(const struct vm *vm, unsigned vector);
enum exit_result debug_trap(struct vm *vm, const struct kvm_regs *regs,
                            struct run_result *res, struct kerr *err);
enum exit_result debug_after_exit(struct vm *vm, enum exit_result e,
                                  struct run_result *res, struct kerr *err);
enum exit_result debug_interrupted(struct vm *vm, struct run_result *res,
                                   struct kerr *err);
void debug_end(struct vm *vm, const struct run_result *res);

/* Register helpers shared by run.c and trap.c. */
void regs_from_kvm(struct guest_regs *out, const struct kvm_regs *in);

#endif
