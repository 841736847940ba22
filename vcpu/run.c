/* The KVM_RUN loop and the exits that are not port I/O. */
#include "internal.h"
#include "common/stop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void set_crash(struct run_result *res, enum crash_kind kind,
                      uint64_t rip, uint64_t detail)
{
    res->outcome = RUN_CRASHED;
    res->crash.kind = kind;
    res->crash.rip = rip;
    res->crash.detail = detail;
}

static int get_regs(struct vm *vm, struct run_result *res, struct kerr *err)
{
    struct kvm_regs regs;

    if (KVM_IOCTL(vm->vcpu_fd, KVM_GET_REGS, &regs, err) < 0)
        return -1;
    regs_from_kvm(&res->regs, &regs);
    res->have_regs = true;
    return 0;
}

/* A system call's results wait in kvm_run (KVM_CAP_SYNC_REGS) for the
 * next KVM_RUN; a run that stops before that entry must apply them, or
 * the final registers would show the entry page instead. */
int vm_apply_synced_regs(struct vm *vm, struct kerr *err)
{
    struct kvm_run *run = vm->run;
    uint64_t dirty = run->kvm_dirty_regs;

    run->kvm_dirty_regs = 0;
    if ((dirty & KVM_SYNC_X86_REGS) &&
        KVM_IOCTL(vm->vcpu_fd, KVM_SET_REGS, &run->s.regs.regs, err) < 0)
        return -1;
    if ((dirty & KVM_SYNC_X86_SREGS) &&
        KVM_IOCTL(vm->vcpu_fd, KVM_SET_SREGS, &run->s.regs.sregs, err) < 0)
        return -1;
    return 0;
}

static void segment_from_kvm(struct guest_segment *out,
                             const struct kvm_segment *in)
{
    *out = (struct guest_segment){ .selector = in->selector, .dpl = in->dpl,
                                   .base = in->base };
}

static int get_sregs(struct vm *vm, struct run_result *res, struct kerr *err)
{
    struct kvm_sregs sr;
    struct guest_sregs *o = &res->sregs;

    if (KVM_IOCTL(vm->vcpu_fd, KVM_GET_SREGS, &sr, err) < 0)
        return -1;
    *o = (struct guest_sregs){
        .cr0 = sr.cr0, .cr2 = sr.cr2, .cr3 = sr.cr3, .cr4 = sr.cr4,
        .efer = sr.efer, .gdt_base = sr.gdt.base, .gdt_limit = sr.gdt.limit,
        .idt_base = sr.idt.base, .idt_limit = sr.idt.limit,
    };
    segment_from_kvm(&o->cs, &sr.cs);
    segment_from_kvm(&o->ss, &sr.ss);
    segment_from_kvm(&o->ds, &sr.ds);
    segment_from_kvm(&o->es, &sr.es);
    segment_from_kvm(&o->fs, &sr.fs);
    segment_from_kvm(&o->gs, &sr.gs);
    segment_from_kvm(&o->tr, &sr.tr);
    /* At a stub's report the CPU runs the stub: show the interrupted
     * context's CS and SS, saved in the trap frame. */
    if (res->outcome == RUN_CRASHED && res->crash.from_stub) {
        o->cs.selector = res->crash.cs;
        o->cs.dpl = res->crash.cs & 3;
        o->ss.selector = res->crash.ss;
        o->ss.dpl = res->crash.ss & 3;
    }
    res->have_sregs = true;
    return 0;
}

/* Exits other than port I/O. */
static enum exit_result other_exit(struct vm *vm, struct run_result *res,
                                   struct kerr *err)
{
    struct kvm_run *run = vm->run;

    switch (run->exit_reason) {
    case KVM_EXIT_HLT:
        res->outcome = RUN_EXITED;
        res->status = 0;
        return EXIT_ENDED;
    case KVM_EXIT_SHUTDOWN:
        set_crash(res, CRASH_TRIPLE_FAULT, 0, 0);
        return EXIT_ENDED;
    case KVM_EXIT_FAIL_ENTRY:
        set_crash(res, CRASH_FAIL_ENTRY, 0,
                  run->fail_entry.hardware_entry_failure_reason);
        return EXIT_ENDED;
    case KVM_EXIT_INTERNAL_ERROR:
        set_crash(res, CRASH_EMULATION, 0, run->internal.suberror);
        return EXIT_ENDED;
    case KVM_EXIT_MMIO:
        set_crash(res, CRASH_MMIO, 0, run->mmio.phys_addr);
        snprintf(res->crash.what, sizeof res->crash.what, "%u-byte %s",
                 run->mmio.len, run->mmio.is_write ? "write" : "read");
        return EXIT_ENDED;
    case KVM_EXIT_INTR:
        return EXIT_RESUME;
    default: {
        /* Say where, as Solo5's hvt does: a reason this monitor never
         * asked for means a KVM it does not know. */
        struct kerr regs_err;
        if (get_regs(vm, res, &regs_err) == 0)
            kerr_set(err, "unexpected KVM exit reason %u at RIP 0x%llx",
                     run->exit_reason, (unsigned long long)res->regs.rip);
        else
            kerr_set(err, "unexpected KVM exit reason %u", run->exit_reason);
        return EXIT_ERROR;
    }
    }
}

static uint64_t monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

enum exit_result exit_dispatch(struct vm *vm, struct run_result *res,
                               struct kerr *err)
{
    return vm->run->exit_reason == KVM_EXIT_IO ? io_exit(vm, res, err)
                                               : other_exit(vm, res, err);
}

/* What the loop does after an exit's handler said e. */
static int after_exit(enum exit_result e)
{
    switch (e) {
    case EXIT_RESUME:
    case EXIT_UNCLAIMED:         /* not returned here; as resume */
        return 0;
    case EXIT_ENDED:
        return 1;
    case EXIT_ERROR:
        return -1;
    }
    return -1;
}

/* What caused the exit vm->run describes, for --stats. */
static enum exit_kind exit_kind(const struct kvm_run *run, bool interrupted)
{
    if (interrupted)
        return EXK_SIGNAL;
    if (run->exit_reason == KVM_EXIT_HLT)
        return EXK_HLT;
    if (run->exit_reason != KVM_EXIT_IO)
        return EXK_OTHER;
    uint16_t port = run->io.port;
    if (port == KVMELF_PORT_SYSCALL)
        return EXK_SYSCALL;
    if (port >= KVMELF_PORT_TRAP && port <= KVMELF_PORT_TRAP_LAST)
        return EXK_TRAP;
    if (port == KVMELF_PORT_WRITE)
        return EXK_WRITE;
    if (port == KVMELF_PORT_EXIT || port == KVMELF_PORT_QEMU_EXIT)
        return EXK_EXIT_PORT;
    if ((port >= KVMELF_PORT_COM1 && port <= KVMELF_PORT_COM1_LAST) ||
        port == KVMELF_PORT_DEBUGCON)
        return EXK_CONSOLE;
    return EXK_OTHER_PORT;
}

/* One exit counted: kvmelf handled it from returned_ns to now. */
static void count_exit(struct vm *vm, bool interrupted, uint64_t entered_ns,
                       uint64_t returned_ns)
{
    struct exit_stats *x = vm->opts->exit_stats;
    enum exit_kind k = exit_kind(vm->run, interrupted);

    x->count[k]++;
    x->handler_ns[k] += monotonic_ns() - returned_ns;
    x->in_kvm_run_ns += returned_ns - entered_ns;
}

static int run_loop(struct vm *vm, struct run_result *res, struct kerr *err)
{
    bool counting = vm->opts->exit_stats != NULL;
    uint64_t entered = 0, returned = 0;

    int done = vm->debug ? after_exit(debug_start(vm, res, err)) : 0;

    if (done)
        return done;
    for (;;) {
        if (stop_requested()) {
            vm->stopped = true;
            return 1;
        }
        if (counting)
            entered = monotonic_ns();
        int r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
        if (counting)
            returned = monotonic_ns();
        if (vm->exits++ == 0)
            vm->first_run_ns = monotonic_ns();
        if (r < 0 && errno == EINTR) {
            vm->run->immediate_exit = 0;
            if (counting)
                count_exit(vm, true, entered, returned);
            if (vm->debug &&
                (done = after_exit(debug_interrupted(vm, res, err))) != 0)
                return done;
            continue;
        }
        if (r < 0) {
            int e = errno;
            if (e == EFAULT && get_regs(vm, res, err) == 0)
                return kerr_errno(err, e, "KVM_RUN failed at RIP 0x%llx",
                                  (unsigned long long)res->regs.rip);
            return kerr_errno(err, e, "KVM_RUN failed");
        }
        enum exit_result e = exit_dispatch(vm, res, err);
        if (counting)
            count_exit(vm, false, entered, returned);
        if (vm->debug && e != EXIT_ERROR)
            e = debug_after_exit(vm, e, res, err);
        if ((done = after_exit(e)) != 0)
            return done;
        if (vm->console.closed || vm->console.capped)
            return 1;
    }
}

/* A stop decides the outcome only when it ended the run: a signal that
 * lands after the guest exited or crashed leaves that result alone, and
 * SIGALRM is a timeout only when --timeout armed one. */
static void finish(struct vm *vm, const struct run_options *opts,
                   struct run_result *res)
{
    if (vm->stopped) {
        int sig = stop_first_signal();
        res->outcome = sig == SIGALRM && opts->timeout_sec > 0
                       ? RUN_TIMED_OUT : RUN_SIGNALED;
        res->signal = sig;
    } else if (vm->console.capped) {
        res->outcome = RUN_OUTPUT_LIMIT;
    }
    if (vm->console.closed)
        res->outcome = RUN_STDOUT_CLOSED;
}

int vm_run(struct vm *vm, const struct run_options *opts,
           struct run_result *res, struct kerr *err)
{
    memset(res, 0, sizeof *res);
    devices_init(vm, opts, STDOUT_FILENO);
    if (opts->gdb_fd > 0 &&
        debug_attach(vm, opts->gdb_fd, opts->gdb_exec_file, err) < 0)
        return -1;
    vm->exits = 0;
    vm->stopped = false;
    vm->run->immediate_exit = 0;
    /* Idempotent: the CLI installs the handlers before setup, so a ^C
     * then still stops the guest before its first instruction. */
    stop_install();
    stop_set_kick(&vm->run->immediate_exit);

    int r = stop_start_timeout(opts->timeout_sec, err);
    if (r == 0)
        r = run_loop(vm, res, err);
    /* From here on a signal ends no more than a blocked write: the
     * guest's status and report stand. */
    stop_run_ended(opts->timeout_sec > 0);
    if (r >= 0 && vm_apply_synced_regs(vm, err) < 0)
        r = -1;
    /* Registers at the end, unless a stub report already took them at
     * the fault; for other crashes the exit state is the fault state. */
    if (r >= 0 && !res->have_regs)
        r = get_regs(vm, res, err) < 0 ? -1 : r;
    if (r >= 0 && (opts->want_sregs || res->outcome == RUN_CRASHED))
        r = get_sregs(vm, res, err) < 0 ? -1 : r;
    if (r >= 0 && res->outcome == RUN_CRASHED && !res->crash.rip) {
        res->crash.rip = res->regs.rip;
        res->crash.rsp = res->regs.rsp;
    }
    struct kerr flush_err;
    int f = out_flush_guest_buffer(vm, &flush_err);
    if (f == 0)
        f = console_flush(&vm->console, &flush_err);
    finish(vm, opts, res);
    debug_end(vm, res);
    res->exits = vm->exits;
    res->first_run_ns = vm->first_run_ns;
    if (r >= 0 && f < 0) {
        *err = flush_err;
        return -1;
    }
    return r < 0 ? -1 : 0;
}
