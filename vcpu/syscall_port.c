/* The SYSCALL path, KVM's half: the entry page (boot/syscall_entry.S)
 * reports through KVMELF_PORT_SYSCALL; this decodes the registers into a
 * call, has linux/ perform it, and resumes the guest at RCX with R11's
 * flags, as SYSRET would, by setting the registers itself
 * (docs/architecture.md, "System calls"). */
#include "internal.h"

#include <string.h>

/* RFLAGS bits a ring-3 program may own (SDM Vol. 1, 3.4.3): CF PF AF ZF
 * SF TF IF DF OF AC ID.  IOPL, NT, RF and VM never come from R11: IOPL 3
 * would open every port to the guest. */
#define USER_RFLAGS 0x240fd5ULL
#define DX_MASK 0xffffULL

/* The registers at the report, where they are. */
struct syscall_state {
    struct kvm_regs *regs;
    struct kvm_sregs *sregs;
    bool sregs_dirty;
};

static int load_state(struct vm *vm, struct syscall_state *st,
                      struct kerr *err)
{
    struct syscall_regs *s = &vm->sys;

    if (s->sync_regs) {
        st->regs = &vm->run->s.regs.regs;
        st->sregs = &vm->run->s.regs.sregs;
        return 0;
    }
    st->regs = &s->regs;
    st->sregs = &s->sregs;
    if (KVM_IOCTL(vm->vcpu_fd, KVM_GET_REGS, st->regs, err) < 0 ||
        KVM_IOCTL(vm->vcpu_fd, KVM_GET_SREGS, st->sregs, err) < 0)
        return -1;
    return 0;
}

static int store_state(struct vm *vm, const struct syscall_state *st,
                       struct kerr *err)
{
    if (vm->sys.sync_regs) {
        vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
        if (st->sregs_dirty)
            vm->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
        return 0;
    }
    if (KVM_IOCTL(vm->vcpu_fd, KVM_SET_REGS, st->regs, err) < 0)
        return -1;
    if (st->sregs_dirty &&
        KVM_IOCTL(vm->vcpu_fd, KVM_SET_SREGS, st->sregs, err) < 0)
        return -1;
    return 0;
}

/* Resumes the guest as SYSRET would: RIP = RCX, RFLAGS = R11 (user bits
 * only), RAX = result, CS/SS back to the caller's ring.  A non-canonical
 * RCX (only a guest that jumps into the entry page can make one) ends it
 * with the #GP SYSRET would give. */
static enum exit_result resume(struct vm *vm, struct syscall_state *st,
                               long ret, uint64_t rdx,
                               struct run_result *res)
{
    struct kvm_regs *r = st->regs;

    if (!x86_canonical(r->rcx)) {
        res->outcome = RUN_CRASHED;
        res->crash.kind = CRASH_EXCEPTION;
        res->crash.vector = X86_VEC_GP;
        res->crash.rip = r->rcx;
        res->crash.rsp = r->rsp;
        res->crash.from_user = !vm->ring0;
        return EXIT_ENDED;
    }
    r->rax = (uint64_t)ret;
    r->rdx = rdx;
    r->rip = r->rcx;
    r->rflags = (r->r11 & USER_RFLAGS) | X86_RFLAGS_FIXED;
    r->r11 = r->rflags;
    /* Hardware KVM enters LSTAR at CPL 0 (CS/SS from STAR); kvm_pvm was
     * measured to stay at CPL 3.  Either way the caller's ring returns. */
    uint16_t want_cs = vm->ring0 ? KVMELF_SEL_KERNEL_CS : KVMELF_SEL_USER_CS;
    if (st->sregs->cs.selector != want_cs) {
        vm_caller_segments(vm, st->sregs);
        st->sregs_dirty = true;
    }
    return EXIT_RESUME;
}

/* What linux/ said the call ends in, as the run's result. */
static enum exit_result ended(const struct linux_call *call,
                              enum linux_result lr, struct run_result *res)
{
    if (lr == LINUX_ERROR)
        return EXIT_ERROR;
    if (lr == LINUX_EXIT) {
        res->outcome = RUN_EXITED;
        res->status = call->status;
    } else {
        res->outcome = RUN_GUEST_SIGNAL;
        res->signal = call->signal;
    }
    return EXIT_ENDED;
}

enum exit_result syscall_exit(struct vm *vm, const struct port_io *io,
                              uint8_t *data, struct run_result *res,
                              struct kerr *err)
{
    struct syscall_state st = { 0 };

    (void)io;
    (void)data;
    if (load_state(vm, &st, err) < 0)
        return EXIT_ERROR;
    /* Only the entry page's report is a system call; another writer of
     * the port is treated as any unknown port. */
    if (st.regs->rip != boot_syscall_report_rip())
        return EXIT_UNCLAIMED;

    struct kvm_regs *r = st.regs;
    uint64_t rdx = (r->rdx & ~DX_MASK) | (r->rax & DX_MASK);
    struct linux_call call = {
        .nr = (uint32_t)(r->rax >> KVMELF_SYSCALL_NR_SHIFT),
        .args = { r->rdi, r->rsi, rdx, r->r10, r->r8, r->r9 },
    };
    struct linux_guest g = {
        .gm = vm->gm, .cr3 = st.sregs->cr3, .console = &vm->console,
        .fs_base = st.sregs->fs.base, .gs_base = st.sregs->gs.base,
    };
    struct exit_stats *x = vm->opts->exit_stats;
    if (x && call.nr < EXIT_STATS_SYSCALLS)
        x->syscalls[call.nr]++;
    else if (x)
        x->syscalls_beyond++;
    enum linux_result lr = linux_syscall(vm->opts->process, &g, &call, err);
    if (call.bases_changed) {
        st.sregs->fs.base = g.fs_base;
        st.sregs->gs.base = g.gs_base;
        st.sregs_dirty = true;
    }
    if (lr != LINUX_RESUME) {
        /* The guest ended here: leave RIP at the caller for reports. */
        r->rip = r->rcx;
        r->rax = call.nr;
        r->rdx = rdx;
        enum exit_result e = ended(&call, lr, res);
        if (e == EXIT_ENDED && store_state(vm, &st, err) < 0)
            return EXIT_ERROR;
        return e;
    }
    enum exit_result e = resume(vm, &st, call.ret, rdx, res);
    if (e == EXIT_RESUME && call.tlb_stale && vm_flush_tlb(vm, err) < 0)
        return EXIT_ERROR;
    if (store_state(vm, &st, err) < 0)
        return EXIT_ERROR;
    return e;
}
