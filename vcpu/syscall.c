/* The SYSCALL path: the entry page (paging/syscall_entry.S) reports through
 * KVMELF_PORT_SYSCALL; the monitor decodes the call, runs its handler and
 * resumes the guest at RCX with R11's flags, as SYSRET would, but by
 * setting the registers itself (docs/architecture.md, "System calls"). */
#include "syscall.h"
#include "common/stop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define RPL_MASK 3
/* RFLAGS bits a ring-3 program may own (SDM Vol. 1, 3.4.3): CF PF AF ZF
 * SF TF IF DF OF AC ID.  IOPL, NT, RF and VM never come from R11: IOPL 3
 * would open every port to the guest. */
#define USER_RFLAGS 0x240fd5ULL
#define RAX_NR_SHIFT 16        /* the entry moved the number up by 16 bits */
#define DX_MASK 0xffffULL
/* Upper bound on one sleep slice, so a stop request is seen promptly even
 * when its signal lands just before the sleep starts. */
#define SLEEP_SLICE_NS 50000000L

void *sys_user_ptr(struct sys_ctx *c, uint64_t addr, uint64_t len, bool write)
{
    return vm_user_ptr(c->vm->gm, c->sregs->cr3, addr, len, write);
}

void *vm_user_ptr(const struct guest_mem *gm, gpa_t cr3, uint64_t addr,
                  uint64_t len, bool write)
{
    uint8_t *p = guest_mem_ptr(gm, addr, len);
    unsigned need = PAGE_PRESENT | PAGE_USER | (write ? PAGE_WRITE : 0);

    if (!p)
        return NULL;
    /* Each page the range touches, large pages in one step. */
    for (uint64_t a = addr; a < addr + len;) {
        struct translation t;
        if (paging_walk(gm, cr3, a, &t) < 0 ||
            (t.attrs & need) != need || t.phys != a)
            return NULL;
        a = (a & ~(t.page_size - 1)) + t.page_size;
    }
    return p;
}

long sys_user_string(struct sys_ctx *c, uint64_t addr, size_t max,
                     const char **s)
{
    for (size_t n = 0; n < max; n++) {
        const char *ch = sys_user_ptr(c, addr + n, 1, false);
        if (!ch)
            return -EFAULT;
        if (*ch == '\0') {
            *s = sys_user_ptr(c, addr, n + 1, false);
            return 0;
        }
    }
    return -ENAMETOOLONG;
}

long sys_end_exit(struct sys_ctx *c, int status)
{
    c->res->outcome = RUN_EXITED;
    c->res->status = status & 0xff;
    c->outcome = 1;
    return 0;
}

long sys_end_signal(struct sys_ctx *c, int sig)
{
    c->res->outcome = RUN_GUEST_SIGNAL;
    c->res->signal = sig;
    c->outcome = 1;
    return 0;
}

/* a - b for a >= b >= 0 (no overflow: both seconds are non-negative). */
static struct timespec ts_sub(const struct timespec *a,
                              const struct timespec *b)
{
    struct timespec d = { a->tv_sec - b->tv_sec, a->tv_nsec - b->tv_nsec };

    if (d.tv_nsec < 0) {
        d.tv_sec--;
        d.tv_nsec += NSEC_PER_SEC;
    }
    return d;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec ||
           (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* now + rel, both normalized and non-negative; a sum past what time_t holds
 * saturates to the latest time there is, which no clock reaches: a sleep
 * until then ends only by a stop request. */
static struct timespec deadline_after(const struct timespec *now,
                                      const struct timespec *rel)
{
    struct timespec end = { 0, now->tv_nsec + rel->tv_nsec };
    bool carry = end.tv_nsec >= NSEC_PER_SEC;

    if (carry)
        end.tv_nsec -= NSEC_PER_SEC;
    if (__builtin_add_overflow(now->tv_sec, rel->tv_sec, &end.tv_sec) ||
        __builtin_add_overflow(end.tv_sec, carry, &end.tv_sec))
        return SYS_SLEEP_FOREVER;
    return end;
}

long sys_sleep(const struct timespec *rel, struct timespec *left)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    const struct timespec end = deadline_after(&now, rel);
    for (;;) {
        struct timespec rest = { 0, 0 };
        if (ts_before(&now, &end))
            rest = ts_sub(&end, &now);
        if (stop_requested()) {
            if (left)
                *left = rest;
            return -EINTR;
        }
        if (rest.tv_sec == 0 && rest.tv_nsec == 0)
            return 0;
        bool last = rest.tv_sec == 0 && rest.tv_nsec < SLEEP_SLICE_NS;
        struct timespec slice = { 0, last ? rest.tv_nsec : SLEEP_SLICE_NS };
        nanosleep(&slice, NULL);   /* EINTR: the loop looks at the flag */
        clock_gettime(CLOCK_MONOTONIC, &now);
    }
}

long sys_sleep_until(clockid_t clock, const struct timespec *abs)
{
    struct timespec now;

    clock_gettime(clock, &now);
    if (!ts_before(&now, abs))
        return 0;
    struct timespec rel = ts_sub(abs, &now);
    return sys_sleep(&rel, NULL);
}

/* True the first time nr is seen (and remembered); false after, or when
 * there is no room left to remember a large number. */
static bool first_sighting(struct sys_state *s, uint32_t nr)
{
    if (nr < SYS_WARNED_BITS) {
        uint64_t bit = 1ULL << (nr % 64);
        bool first = !(s->warned[nr / 64] & bit);
        s->warned[nr / 64] |= bit;
        return first;
    }
    for (unsigned i = 0; i < s->nwarned_large; i++)
        if (s->warned_large[i] == nr)
            return false;
    if (s->nwarned_large == SYS_WARNED_LARGE)
        return false;
    s->warned_large[s->nwarned_large++] = nr;
    return true;
}

/* Names an unsupported call on stderr, once per number. */
static void warn_unsupported(struct sys_ctx *c)
{
    struct vm *vm = c->vm;
    unsigned nr = c->nr;
    char line[96];

    if (!first_sighting(&vm->sys, nr))
        return;
    const char *name = nr < sys_table_size && sys_table[nr].name
                           ? sys_table[nr].name : "unknown";
    snprintf(line, sizeof line, "unsupported system call %u (%s)", nr, name);
    if (out_flush(vm, c->err) < 0) {
        c->outcome = -1;
        return;
    }
    if (vm->opts->warn)
        vm->opts->warn(vm->opts->warn_ctx, line);
}

static long dispatch(struct sys_ctx *c, const uint64_t a[6])
{
    const struct sys_entry *e =
        c->nr < sys_table_size ? &sys_table[c->nr] : NULL;

    if (e && e->fn)
        return e->fn(c, a);
    warn_unsupported(c);
    return -ENOSYS;
}

static int load_state(struct vm *vm, struct sys_ctx *c, struct kerr *err)
{
    struct sys_state *s = &vm->sys;

    if (s->sync_regs) {
        c->regs = &vm->run->s.regs.regs;
        c->sregs = &vm->run->s.regs.sregs;
        return 0;
    }
    c->regs = &s->regs;
    c->sregs = &s->sregs;
    if (KVM_IOCTL(vm->vcpu_fd, KVM_GET_REGS, c->regs, err) < 0 ||
        KVM_IOCTL(vm->vcpu_fd, KVM_GET_SREGS, c->sregs, err) < 0)
        return -1;
    return 0;
}

static int store_state(struct vm *vm, struct sys_ctx *c, struct kerr *err)
{
    if (vm->sys.sync_regs) {
        vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
        if (c->sregs_dirty)
            vm->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
        return 0;
    }
    if (KVM_IOCTL(vm->vcpu_fd, KVM_SET_REGS, c->regs, err) < 0)
        return -1;
    if (c->sregs_dirty &&
        KVM_IOCTL(vm->vcpu_fd, KVM_SET_SREGS, c->sregs, err) < 0)
        return -1;
    return 0;
}

/* Resumes the guest as SYSRET would: RIP = RCX, RFLAGS = R11 (user bits
 * only), RAX = result, CS/SS back to the caller's ring.  A non-canonical
 * RCX (only a guest that jumps into the entry page can make one) ends it
 * with the #GP SYSRET would give. */
static int resume(struct vm *vm, struct sys_ctx *c, long ret, uint64_t rdx)
{
    struct kvm_regs *r = c->regs;

    if (!x86_canonical(r->rcx)) {
        c->res->outcome = RUN_CRASHED;
        c->res->crash.kind = CRASH_EXCEPTION;
        c->res->crash.vector = X86_VEC_GP;
        c->res->crash.rip = r->rcx;
        c->res->crash.rsp = r->rsp;
        c->res->crash.from_user = !vm->ring0;
        return 1;
    }
    r->rax = (uint64_t)ret;
    r->rdx = rdx;
    r->rip = r->rcx;
    r->rflags = (r->r11 & USER_RFLAGS) | X86_RFLAGS_FIXED;
    r->r11 = r->rflags;
    /* Hardware KVM enters LSTAR at CPL 0 (CS/SS from STAR); kvm_pvm was
     * measured to stay at CPL 3.  Either way the caller's ring returns. */
    uint16_t want_cs = vm->ring0 ? KVMELF_SEL_KERNEL_CS : KVMELF_SEL_USER_CS;
    if (c->sregs->cs.selector != want_cs) {
        vm_caller_segments(vm, c->sregs);
        c->sregs_dirty = true;
    }
    if (c->tlb_dirty && vm_flush_tlb(vm, c->err) < 0)
        return -1;
    return 0;
}

int syscall_exit(struct vm *vm, struct run_result *res, struct kerr *err)
{
    struct sys_ctx c = { .vm = vm, .res = res, .err = err };

    if (load_state(vm, &c, err) < 0)
        return -1;
    /* Only the entry page's report is a system call; another writer of
     * the port is treated as any unknown port. */
    if (c.regs->rip != paging_syscall_report_rip())
        return SYSCALL_NOT_FROM_ENTRY;

    struct kvm_regs *r = c.regs;
    uint64_t rdx = (r->rdx & ~DX_MASK) | (r->rax & DX_MASK);
    const uint64_t args[6] = { r->rdi, r->rsi, rdx, r->r10, r->r8, r->r9 };
    c.nr = (uint32_t)(r->rax >> RAX_NR_SHIFT);

    long ret = dispatch(&c, args);
    if (c.outcome != 0) {
        /* The guest ended here: leave RIP at the caller for reports. */
        r->rip = r->rcx;
        r->rax = c.nr;
        r->rdx = rdx;
        if (c.outcome > 0 && store_state(vm, &c, err) < 0)
            return -1;
        return c.outcome;
    }
    int e = resume(vm, &c, ret, rdx);
    if (store_state(vm, &c, err) < 0)
        return -1;
    return e;
}

void syscall_init(struct vm *vm, const struct cpu_tables *tables)
{
    vm->sys.pt = (struct pt_state){
        .cr3 = tables->cr3,
        .next_table = KVMELF_PT_ADDR + tables->page_table_bytes,
        .nx = vm->caps.nx,
    };
}

void syscall_configure(struct vm *vm, const struct linux_config *cfg)
{
    vm->sys.cfg = *cfg;
    mm_fini(&vm->sys.mm);
    mm_init(&vm->sys.mm, cfg->heap_start, cfg->heap_end);
    vm->sys.heap_adopted = false;
    sys_limits_init(&vm->sys);
}
