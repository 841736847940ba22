/* Reports from the ring-0 exception stubs (boot/stub.S). */
#include "internal.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define OPCODE_HLT 0xf4
#define OPCODE_CLI 0xfa
#define OPCODE_STI 0xfb
#define RPL_MASK   3

void regs_from_kvm(struct guest_regs *out, const struct kvm_regs *in)
{
    *out = (struct guest_regs){
        .rax = in->rax, .rbx = in->rbx, .rcx = in->rcx, .rdx = in->rdx,
        .rsi = in->rsi, .rdi = in->rdi, .rbp = in->rbp, .rsp = in->rsp,
        .r8 = in->r8, .r9 = in->r9, .r10 = in->r10, .r11 = in->r11,
        .r12 = in->r12, .r13 = in->r13, .r14 = in->r14, .r15 = in->r15,
        .rip = in->rip, .rflags = in->rflags,
    };
}

/* The interrupted context: the stub saved RAX/RDX, the CPU saved RIP, RSP
 * and RFLAGS; every other register still holds the guest's value. */
static void regs_at_fault(struct guest_regs *out, const struct kvm_regs *now,
                          const struct kvmelf_trap_frame *f)
{
    regs_from_kvm(out, now);
    out->rax = f->rax;
    out->rdx = f->rdx;
    out->rip = f->rip;
    out->rsp = f->rsp;
    out->rflags = f->rflags;
}

static void crash(struct run_result *res, enum crash_kind kind,
                  const struct kvmelf_trap_frame *f)
{
    res->outcome = RUN_CRASHED;
    res->crash.kind = kind;
    res->crash.vector = (unsigned)f->vector;
    res->crash.error_code = f->error_code;
    res->crash.rip = f->rip;
    res->crash.rsp = f->rsp;
    res->crash.from_user = (f->cs & RPL_MASK) == RPL_MASK;
    res->crash.from_stub = true;
    res->crash.cs = (uint16_t)f->cs;
    res->crash.ss = (uint16_t)f->ss;
}

/* Whether the instruction at p needs CPL 0 (SDM Vol. 3A, 5.9): the
 * opcodes a guest written for ring 0 is likely to use. */
static bool privileged_insn(const uint8_t *p, size_t n)
{
    size_t i = 0;

    while (i < n && (p[i] == 0x66 || p[i] == 0x67 || p[i] == 0xf2 ||
                     p[i] == 0xf3 || (p[i] & 0xf0) == 0x40))
        i++;                 /* operand/address size, rep, REX prefixes */
    if (i >= n)
        return false;
    if (p[i] == OPCODE_HLT || p[i] == OPCODE_CLI || p[i] == OPCODE_STI)
        return true;
    if (p[i] != 0x0f || i + 1 >= n)
        return false;
    switch (p[i + 1]) {
    case 0x00: case 0x01:    /* lldt/ltr, lgdt/lidt/lmsw/invlpg/swapgs... */
    case 0x06: case 0x07:    /* clts, sysret */
    case 0x08: case 0x09:    /* invd, wbinvd */
    case 0x20: case 0x21: case 0x22: case 0x23:  /* mov to/from CR, DR */
    case 0x30: case 0x32:    /* wrmsr, rdmsr */
    case 0x35:               /* sysexit */
        return true;
    default:
        return false;
    }
}

#define INSN_MAX 15

/* A ring-3 #GP on HLT ends the guest as HLT does in ring 0; CLI/STI are
 * skipped (interrupts are never delivered anyway); another privileged
 * instruction gets a report saying the guest needs --ring0. */
static enum exit_result user_gp(struct vm *vm, struct kvmelf_trap_frame *f,
                                struct run_result *res)
{
    size_t n = f->rip < vm->gm->size ? vm->gm->size - f->rip : 0;
    const uint8_t *insn = guest_mem_ptr(vm->gm, f->rip, 1);

    if (n > INSN_MAX)
        n = INSN_MAX;
    if (!insn || f->error_code != 0 || !privileged_insn(insn, n)) {
        crash(res, CRASH_EXCEPTION, f);
        return EXIT_ENDED;
    }
    if (*insn == OPCODE_HLT) {
        res->outcome = RUN_EXITED;
        res->status = 0;
        return EXIT_ENDED;
    }
    if (*insn == OPCODE_CLI || *insn == OPCODE_STI) {
        f->rip += 1;
        return EXIT_RESUME;
    }
    crash(res, CRASH_PRIVILEGED, f);
    char *w = res->crash.what;
    size_t room = sizeof res->crash.what;
    int len = snprintf(w, room, "instruction bytes");
    for (size_t i = 0; i < n && i < 6 && len > 0 && (size_t)len < room; i++)
        len += snprintf(w + len, room - (size_t)len, " %02x", insn[i]);
    return EXIT_ENDED;
}

enum exit_result trap_exit(struct vm *vm, const struct port_io *io,
                           uint8_t *data, struct run_result *res,
                           struct kerr *err)
{
    struct kvm_regs regs;

    (void)io;
    (void)data;

    if (KVM_IOCTL(vm->vcpu_fd, KVM_GET_REGS, &regs, err) < 0)
        return EXIT_ERROR;
    const struct kvmelf_trap_frame *f =
        guest_mem_ptr(vm->gm, regs.rsp, sizeof *f);
    if (f && regs.rip >= KVMELF_STUB_ADDR && regs.rip < KVMELF_KSTACK_ADDR &&
        debug_wants_trap(vm, (unsigned)f->vector))
        return debug_trap(vm, &regs, res, err);
    return trap_report(vm, &regs, res);
}

enum exit_result trap_report(struct vm *vm, const struct kvm_regs *regs,
                             struct run_result *res)
{
    /* Ring 3 cannot reach this port (TSS I/O bitmap), so the writer is
     * ring-0 code: the stubs, or a --ring0 guest imitating them.  The
     * frame is on the ring-0 stack from ring 3, on the guest's own stack
     * for a --ring0 guest (no stack switch without a privilege change). */
    struct kvmelf_trap_frame f;
    uint8_t *at = guest_mem_ptr(vm->gm, regs->rsp, sizeof f);
    if (!at || regs->rip < KVMELF_STUB_ADDR || regs->rip >= KVMELF_KSTACK_ADDR) {
        res->outcome = RUN_CRASHED;
        res->crash.kind = CRASH_BAD_FRAME;
        res->crash.rip = regs->rip;
        res->crash.rsp = regs->rsp;
        res->have_regs = true;
        regs_from_kvm(&res->regs, regs);
        return EXIT_ENDED;
    }
    /* A copy: a --ring0 guest's RSP need not be aligned (found by
     * fuzz/fuzz_exit.c). */
    memcpy(&f, at, sizeof f);
    if (f.vector == X86_VEC_GP && (f.cs & RPL_MASK) == RPL_MASK) {
        if (user_gp(vm, &f, res) == EXIT_RESUME) {
            memcpy(at, &f, sizeof f);    /* past the skipped instruction */
            return EXIT_RESUME;
        }
    } else {
        crash(res, CRASH_EXCEPTION, &f);
    }
    res->have_regs = true;
    regs_at_fault(&res->regs, regs, &f);
    return EXIT_ENDED;
}

int crash_signal(const struct crash_info *c)
{
    if (c->kind == CRASH_MMIO)
        return SIGBUS;
    if (c->kind == CRASH_EMULATION)
        return SIGILL;
    if (c->kind != CRASH_EXCEPTION)
        return SIGSEGV;
    switch (c->vector) {
    case X86_VEC_DE: case X86_VEC_MF: case X86_VEC_XM:
        return SIGFPE;
    case X86_VEC_UD:
        return SIGILL;
    case X86_VEC_DB: case X86_VEC_BP:
        return SIGTRAP;
    case X86_VEC_AC:
        return SIGBUS;
    default:
        return SIGSEGV;
    }
}
