/* The GDB stub's KVM half (--gdb, --gdb-socket): where the guest stops,
 * its registers and memory as gdb asks for them, breakpoints and single
 * steps; gdb/ does the protocol.
 *
 * Measured on kvm_pvm (docs/writing-guests.md, "Debugging with gdb"):
 * KVM_SET_GUEST_DEBUG's single step and breakpoints do nothing for ring-3
 * code, but the guest's own exceptions reach the ring-0 stubs as they do
 * on any KVM.  So a step is EFLAGS.TF and the #DB it raises, a breakpoint
 * an int3 and its #BP, both reported by the stubs (trap.c); a port or
 * system-call exit in between ends a step too (its #DB is lost there on
 * kvm_pvm).  Ctrl-C from gdb arrives as SIGIO on the connection, which
 * kicks KVM_RUN out as the stop signals do.  Debug registers fire for
 * no ring-3 code on kvm_pvm, so a write watchpoint (Z2) is kept here: the
 * guest runs step by step while one is set and stops when the watched
 * bytes changed, after the instruction that changed them, as a debug
 * register would stop it.  Hardware breakpoints and read or access
 * watchpoints (Z1, Z3, Z4) are refused. */
#include "internal.h"
#include "common/stop.h"
#include "gdb/gdb.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEBUG_BREAKPOINTS 64
#define DEBUG_WATCHPOINTS 4      /* as many as x86 has debug registers */
#define WATCH_MAX_LEN 8          /* what one of them covers */
#define X86_RFLAGS_TF (1ULL << 8)
#define OPCODE_INT3 0xcc
/* kvm_pvm cannot emulate a ring-0 int3 (the VM stops with an emulation
 * error), but a ring-0 HLT exits to the monitor: the breakpoint of a
 * --ring0 guest. */
#define OPCODE_HLT 0xf4
#define GDB_THREAD_ID 1

/* The legacy region of the XSAVE area (SDM Vol. 1, 10.5.1) and AVX's
 * state component, where KVM_GET_XSAVE puts them. */
#define XS_FCW 0
#define XS_FSW 2
#define XS_FTW 4
#define XS_FOP 6
#define XS_FIP 8
#define XS_FDP 16
#define XS_MXCSR 24
#define XS_ST0 32
#define XS_XMM0 160
#define XS_YMMH0 576

struct breakpoint {
    uint64_t addr;
    uint8_t saved;
    bool used;
};

struct watchpoint {
    uint64_t addr;
    size_t len;
    uint8_t seen[WATCH_MAX_LEN];  /* the bytes when last looked at */
    bool used;
};

enum resume_how { RESUME_CONTINUE, RESUME_STEP, RESUME_KILL, RESUME_DETACH };

struct debugger {
    int fd;
    struct gdb_conn conn;
    struct gdb_target target;
    uint8_t in[GDB_PACKET_MAX];
    size_t in_len, in_pos;
    uint8_t reply[GDB_REPLY_MAX];
    int reply_len;
    struct breakpoint bp[DEBUG_BREAKPOINTS];
    struct watchpoint watch[DEBUG_WATCHPOINTS];
    bool stepping;               /* the guest runs one instruction */
    bool watching;               /* ... and more, for the watchpoints */
    uint64_t watch_hit;          /* the watchpoint that stopped it */
    bool gone;                   /* detached or disconnected */
    bool ended_reported;         /* W or X sent */
    bool trap_stop;              /* this exit's stop was a stub's report */
    bool crash_shown;            /* the crash was shown to gdb */
    /* The stop being served. */
    struct kvm_regs kregs;       /* as KVM has them */
    struct kvm_sregs sregs;
    struct gdb_regs regs;        /* as gdb sees them */
    bool regs_dirty, fpu_dirty;
    uint64_t frame_at;           /* a stub's report: its frame, else 0 */
    struct gdb_stop stop;
    struct kvm_xsave xsave;      /* last: its type may grow at the end */
};

static volatile sig_atomic_t io_pending;
static volatile uint8_t *io_kick;

static void on_sigio(int sig)
{
    (void)sig;
    io_pending = 1;
    if (io_kick)
        *io_kick = 1;
}

/* ---- The connection ---------------------------------------------------------- */

static int send_all(struct debugger *d, const void *p, size_t n)
{
    const uint8_t *b = p;

    while (n > 0 && !d->gone) {
        ssize_t w = write(d->fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = { .fd = d->fd, .events = POLLOUT };
            if (poll(&pf, 1, -1) < 0 && errno != EINTR)
                d->gone = true;
            continue;
        }
        if (w <= 0) {
            d->gone = true;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return d->gone ? -1 : 0;
}

static void send_reply(struct debugger *d, int len)
{
    if (len < 0)
        len = gdb_reply_error(d->reply, sizeof d->reply, ENOSPC);
    d->reply_len = len;
    send_all(d, d->reply, (size_t)len);
}

/* More bytes from gdb into d->in: 1, 0 when gdb went away, or -1 on a
 * stop signal (wait: block until bytes come). */
static int fill(struct debugger *d, bool wait)
{
    for (;;) {
        ssize_t n = read(d->fd, d->in, sizeof d->in);
        if (n > 0) {
            d->in_len = (size_t)n;
            d->in_pos = 0;
            return 1;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            d->gone = true;
            return 0;
        }
        if (!wait)
            return -1;
        if (stop_requested())
            return -1;
        struct pollfd pf = { .fd = d->fd, .events = POLLIN };
        poll(&pf, 1, -1);
    }
}

/* The next event from gdb; false when there is none (gdb gone, a stop
 * signal, or !wait and nothing buffered). */
static bool next_event(struct debugger *d, bool wait, struct gdb_event *ev)
{
    for (;;) {
        if (d->in_pos == d->in_len && fill(d, wait) <= 0)
            return false;
        d->in_pos += gdb_conn_next(&d->conn, d->in + d->in_pos,
                                   d->in_len - d->in_pos, ev);
        if (ev->ack)
            send_all(d, &ev->ack, 1);
        if (ev->kind == GDB_EV_RESEND && d->reply_len > 0)
            send_all(d, d->reply, (size_t)d->reply_len);
        if (ev->kind == GDB_EV_PACKET || ev->kind == GDB_EV_INTERRUPT)
            return true;
    }
}

/* ---- Registers --------------------------------------------------------------- */

static struct kvmelf_trap_frame *frame(struct vm *vm, uint64_t at)
{
    return at ? guest_mem_ptr(vm->gm, at, sizeof(struct kvmelf_trap_frame))
              : NULL;
}

static void fpu_to_gdb(const uint8_t *xs, struct gdb_regs *r, bool avx)
{
    uint16_t w16;
    uint32_t w32;

    memcpy(&w16, xs + XS_FCW, 2);
    r->fctrl = w16;
    memcpy(&w16, xs + XS_FSW, 2);
    r->fstat = w16;
    /* FXSAVE keeps one bit per register ("abridged"); gdb wants the
     * full tag word: 3 empty, else 0 (valid) is what matters to it. */
    r->ftag = 0;
    for (size_t i = 0; i < 8; i++)
        if (!(xs[XS_FTW] & (1u << i)))
            r->ftag |= 3u << (2 * i);
    memcpy(&w16, xs + XS_FOP, 2);
    r->fop = w16;
    memcpy(&w32, xs + XS_FIP, 4);
    r->fioff = w32;
    memcpy(&w32, xs + XS_FDP, 4);
    r->fooff = w32;
    memcpy(&r->mxcsr, xs + XS_MXCSR, 4);
    for (size_t i = 0; i < 8; i++)
        memcpy(r->st[i], xs + XS_ST0 + 16 * i, 10);
    for (size_t i = 0; i < 16; i++) {
        memcpy(r->xmm[i], xs + XS_XMM0 + 16 * i, 16);
        if (avx)
            memcpy(r->ymmh[i], xs + XS_YMMH0 + 16 * i, 16);
    }
}

static void fpu_from_gdb(uint8_t *xs, const struct gdb_regs *r, bool avx)
{
    uint16_t w16 = (uint16_t)r->fctrl;
    uint8_t abridged = 0;

    memcpy(xs + XS_FCW, &w16, 2);
    w16 = (uint16_t)r->fstat;
    memcpy(xs + XS_FSW, &w16, 2);
    for (size_t i = 0; i < 8; i++)
        if (((r->ftag >> (2 * i)) & 3) != 3)
            abridged |= (uint8_t)(1u << i);
    xs[XS_FTW] = abridged;
    memcpy(xs + XS_MXCSR, &r->mxcsr, 4);
    for (size_t i = 0; i < 8; i++)
        memcpy(xs + XS_ST0 + 16 * i, r->st[i], 10);
    for (size_t i = 0; i < 16; i++) {
        memcpy(xs + XS_XMM0 + 16 * i, r->xmm[i], 16);
        if (avx)
            memcpy(xs + XS_YMMH0 + 16 * i, r->ymmh[i], 16);
    }
}

static void regs_to_gdb(struct debugger *d, const struct kvmelf_trap_frame *f)
{
    const struct kvm_regs *k = &d->kregs;
    struct gdb_regs *r = &d->regs;

    *r = (struct gdb_regs){
        .rax = k->rax, .rbx = k->rbx, .rcx = k->rcx, .rdx = k->rdx,
        .rsi = k->rsi, .rdi = k->rdi, .rbp = k->rbp, .rsp = k->rsp,
        .r8 = k->r8, .r9 = k->r9, .r10 = k->r10, .r11 = k->r11,
        .r12 = k->r12, .r13 = k->r13, .r14 = k->r14, .r15 = k->r15,
        .rip = k->rip, .eflags = (uint32_t)(k->rflags & ~X86_RFLAGS_TF),
        .cs = d->sregs.cs.selector, .ss = d->sregs.ss.selector,
        .ds = d->sregs.ds.selector, .es = d->sregs.es.selector,
        .fs = d->sregs.fs.selector, .gs = d->sregs.gs.selector,
        .fs_base = d->sregs.fs.base, .gs_base = d->sregs.gs.base,
    };
    if (f) {                 /* the interrupted context, as trap.c has it */
        r->rax = f->rax;
        r->rdx = f->rdx;
        r->rip = f->rip;
        r->rsp = f->rsp;
        r->eflags = (uint32_t)(f->rflags & ~X86_RFLAGS_TF);
        r->cs = (uint32_t)f->cs;
        r->ss = (uint32_t)f->ss;
    }
    fpu_to_gdb((const uint8_t *)d->xsave.region, r, d->target.avx);
}

/* The registers of the guest where it stopped: KVM's, and the trap
 * frame's at frame_at (a stub's report) for what the stub saved. */
static int load_stop(struct vm *vm, struct debugger *d, uint64_t frame_at,
                     struct kerr *err)
{
    if (vm_apply_synced_regs(vm, err) < 0 ||
        KVM_IOCTL(vm->vcpu_fd, KVM_GET_REGS, &d->kregs, err) < 0 ||
        KVM_IOCTL(vm->vcpu_fd, KVM_GET_SREGS, &d->sregs, err) < 0 ||
        KVM_IOCTL(vm->vcpu_fd, KVM_GET_XSAVE, &d->xsave, err) < 0)
        return -1;
    d->frame_at = frame_at;
    d->regs_dirty = d->fpu_dirty = false;
    regs_to_gdb(d, frame(vm, frame_at));
    return 0;
}

/* gdb's registers back where they came from, with TF for a step. */
static int store_stop(struct vm *vm, struct debugger *d, bool step,
                      struct kerr *err)
{
    struct gdb_regs *r = &d->regs;
    struct kvm_regs *k = &d->kregs;
    struct kvmelf_trap_frame *f = frame(vm, d->frame_at);
    uint64_t flags = (r->eflags & ~X86_RFLAGS_TF) | (step ? X86_RFLAGS_TF : 0);

    k->rbx = r->rbx; k->rcx = r->rcx; k->rsi = r->rsi; k->rdi = r->rdi;
    k->rbp = r->rbp; k->r8 = r->r8; k->r9 = r->r9; k->r10 = r->r10;
    k->r11 = r->r11; k->r12 = r->r12; k->r13 = r->r13; k->r14 = r->r14;
    k->r15 = r->r15;
    if (f) {                 /* the stub's own registers stay its own */
        f->rax = r->rax; f->rdx = r->rdx; f->rip = r->rip; f->rsp = r->rsp;
        f->rflags = flags;
    } else {
        k->rax = r->rax; k->rdx = r->rdx; k->rip = r->rip; k->rsp = r->rsp;
        k->rflags = flags;
    }
    if (KVM_IOCTL(vm->vcpu_fd, KVM_SET_REGS, k, err) < 0)
        return -1;
    if (d->fpu_dirty) {
        fpu_from_gdb((uint8_t *)d->xsave.region, r, d->target.avx);
        if (KVM_IOCTL(vm->vcpu_fd, KVM_SET_XSAVE, &d->xsave, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- Memory ------------------------------------------------------------------ */

/* len bytes at the guest's virtual addr, through its own page tables,
 * copied out (write false) or in; how many, up to the first page that
 * is not mapped (never a host address outside guest RAM). */
static size_t guest_copy(struct vm *vm, const struct debugger *d,
                         uint64_t addr, uint8_t *buf, size_t len, bool write)
{
    size_t done = 0;

    while (done < len) {
        struct translation t;
        uint64_t va = addr + done;
        if (paging_walk(vm->gm, d->sregs.cr3, va, &t) < 0)
            break;
        uint64_t in_page = t.page_size - (va & (t.page_size - 1));
        size_t n = len - done < in_page ? len - done : (size_t)in_page;
        uint8_t *p = guest_mem_ptr(vm->gm, t.phys, n);
        if (!p)
            break;
        if (write)
            memcpy(p, buf + done, n);
        else
            memcpy(buf + done, p, n);
        done += n;
    }
    return done;
}

static int read_mem(struct vm *vm, struct debugger *d,
                    const struct gdb_request *q)
{
    uint8_t data[GDB_MEM_MAX];
    size_t n = guest_copy(vm, d, q->addr, data, (size_t)q->len, false);
    struct gdb_out o;

    if (n == 0 && q->len > 0)
        return gdb_reply_error(d->reply, sizeof d->reply, EFAULT);
    /* gdb sees our breakpoints' bytes as the ones they replaced. */
    for (size_t i = 0; i < DEBUG_BREAKPOINTS; i++)
        if (d->bp[i].used && d->bp[i].addr - q->addr < n)
            data[d->bp[i].addr - q->addr] = d->bp[i].saved;
    gdb_out_begin(&o, d->reply, sizeof d->reply);
    gdb_out_hex(&o, data, n);
    return gdb_out_end(&o);
}

static int write_mem(struct vm *vm, struct debugger *d,
                     const struct gdb_request *q)
{
    uint8_t *data = (uint8_t *)q->data;
    size_t n = guest_copy(vm, d, q->addr, data, q->data_len, true);

    return n == q->data_len ? gdb_reply_ok(d->reply, sizeof d->reply)
                            : gdb_reply_error(d->reply, sizeof d->reply,
                                              EFAULT);
}

/* ---- Breakpoints ------------------------------------------------------------- */

static struct breakpoint *find_bp(struct debugger *d, uint64_t addr)
{
    for (size_t i = 0; i < DEBUG_BREAKPOINTS; i++)
        if (d->bp[i].used && d->bp[i].addr == addr)
            return &d->bp[i];
    return NULL;
}

static int set_bp(struct vm *vm, struct debugger *d, uint64_t addr)
{
    uint8_t int3 = vm->ring0 ? OPCODE_HLT : OPCODE_INT3;
    struct breakpoint *b = find_bp(d, addr);

    for (size_t i = 0; !b && i < DEBUG_BREAKPOINTS; i++)
        if (!d->bp[i].used)
            b = &d->bp[i];
    if (!b)
        return -ENOSPC;
    if (b->used)
        return 0;
    if (guest_copy(vm, d, addr, &b->saved, 1, false) != 1 ||
        guest_copy(vm, d, addr, &int3, 1, true) != 1)
        return -EFAULT;
    *b = (struct breakpoint){ .addr = addr, .saved = b->saved, .used = true };
    return 0;
}

static int clear_bp(struct vm *vm, struct debugger *d, uint64_t addr)
{
    struct breakpoint *b = find_bp(d, addr);

    if (!b)
        return 0;
    b->used = false;
    return guest_copy(vm, d, addr, &b->saved, 1, true) == 1 ? 0 : -EFAULT;
}

/* ---- Write watchpoints ------------------------------------------------------ */

static struct watchpoint *find_watch(struct debugger *d, uint64_t addr,
                                     size_t len)
{
    for (size_t i = 0; i < DEBUG_WATCHPOINTS; i++)
        if (d->watch[i].used && d->watch[i].addr == addr &&
            d->watch[i].len == len)
            return &d->watch[i];
    return NULL;
}

static int set_watch(struct vm *vm, struct debugger *d, uint64_t addr,
                     uint64_t len)
{
    struct watchpoint *w = NULL;

    if (len == 0 || len > WATCH_MAX_LEN)
        return -EINVAL;
    if (find_watch(d, addr, (size_t)len))
        return 0;
    for (size_t i = 0; !w && i < DEBUG_WATCHPOINTS; i++)
        if (!d->watch[i].used)
            w = &d->watch[i];
    if (!w)
        return -ENOSPC;
    if (guest_copy(vm, d, addr, w->seen, (size_t)len, false) != len)
        return -EFAULT;
    w->addr = addr;
    w->len = (size_t)len;
    w->used = true;
    return 0;
}

static int clear_watch(struct debugger *d, uint64_t addr, uint64_t len)
{
    struct watchpoint *w = len <= WATCH_MAX_LEN ?
                           find_watch(d, addr, (size_t)len) : NULL;

    if (w)
        w->used = false;
    return 0;
}

static bool any_watch(const struct debugger *d)
{
    for (size_t i = 0; i < DEBUG_WATCHPOINTS; i++)
        if (d->watch[i].used)
            return true;
    return false;
}

/* The first watchpoint whose bytes changed since they were last looked
 * at (every one's are taken anew), or NULL. */
static struct watchpoint *changed_watch(struct vm *vm, struct debugger *d)
{
    struct watchpoint *hit = NULL;

    for (size_t i = 0; i < DEBUG_WATCHPOINTS; i++) {
        struct watchpoint *w = &d->watch[i];
        uint8_t now[WATCH_MAX_LEN];
        if (!w->used || guest_copy(vm, d, w->addr, now, w->len, false) !=
                        w->len || memcmp(now, w->seen, w->len) == 0)
            continue;
        memcpy(w->seen, now, w->len);
        if (!hit)
            hit = w;
    }
    return hit;
}

static int point(struct vm *vm, struct debugger *d,
                 const struct gdb_request *q)
{
    bool insert = q->cmd == GDB_CMD_INSERT_POINT;
    int r;

    if (q->point == GDB_POINT_WRITE)
        r = insert ? set_watch(vm, d, q->addr, q->kind)
                   : clear_watch(d, q->addr, q->kind);
    else if (q->point == GDB_POINT_SW)
        r = insert ? set_bp(vm, d, q->addr) : clear_bp(vm, d, q->addr);
    else                     /* no debug registers for ring 3 here */
        return gdb_reply_empty(d->reply, sizeof d->reply);
    return r < 0 ? gdb_reply_error(d->reply, sizeof d->reply, -r)
                 : gdb_reply_ok(d->reply, sizeof d->reply);
}

static void clear_all_bps(struct vm *vm, struct debugger *d)
{
    for (size_t i = 0; i < DEBUG_BREAKPOINTS; i++)
        if (d->bp[i].used)
            clear_bp(vm, d, d->bp[i].addr);
}

/* ---- Requests ------------------------------------------------------------------ */

/* What one request asks of the target: a reply of len bytes in d->reply
 * (0: none to send), and whether the guest goes on. */
struct answer {
    int len;
    bool resume;
    enum resume_how how;
};

typedef void request_fn(struct vm *vm, struct debugger *d,
                        const struct gdb_request *q, struct answer *a);

static void halt_reason(struct vm *vm, struct debugger *d,
                        const struct gdb_request *q, struct answer *a)
{
    (void)vm;
    (void)q;
    a->len = gdb_reply_stop(d->reply, sizeof d->reply, &d->stop);
}

static void read_regs(struct vm *vm, struct debugger *d,
                      const struct gdb_request *q, struct answer *a)
{
    (void)vm;
    (void)q;
    a->len = gdb_reply_regs(d->reply, sizeof d->reply, &d->target, &d->regs);
}

static void write_regs(struct vm *vm, struct debugger *d,
                       const struct gdb_request *q, struct answer *a)
{
    (void)vm;
    int r = gdb_regs_from_bytes(&d->regs, &d->target, q->data, q->data_len);
    d->regs_dirty = d->fpu_dirty = r == 0;
    a->len = r < 0 ? gdb_reply_error(d->reply, sizeof d->reply, -r)
                   : gdb_reply_ok(d->reply, sizeof d->reply);
}

static void read_reg(struct vm *vm, struct debugger *d,
                     const struct gdb_request *q, struct answer *a)
{
    (void)vm;
    a->len = gdb_reply_reg(d->reply, sizeof d->reply, &d->target, &d->regs,
                           q->regno);
    if (a->len == -ERANGE)
        a->len = gdb_reply_error(d->reply, sizeof d->reply, ERANGE);
}

static void write_reg(struct vm *vm, struct debugger *d,
                      const struct gdb_request *q, struct answer *a)
{
    (void)vm;
    int r = gdb_reg_set(&d->regs, &d->target, q->regno, q->data, q->data_len);
    d->regs_dirty = d->regs_dirty || r == 0;
    d->fpu_dirty = d->fpu_dirty || (r == 0 && q->regno >= GDB_REG_ST0);
    a->len = r < 0 ? gdb_reply_error(d->reply, sizeof d->reply, -r)
                   : gdb_reply_ok(d->reply, sizeof d->reply);
}

static void memory_read(struct vm *vm, struct debugger *d,
                        const struct gdb_request *q, struct answer *a)
{
    a->len = read_mem(vm, d, q);
}

static void memory_write(struct vm *vm, struct debugger *d,
                         const struct gdb_request *q, struct answer *a)
{
    a->len = write_mem(vm, d, q);
}

static void points(struct vm *vm, struct debugger *d,
                   const struct gdb_request *q, struct answer *a)
{
    a->len = point(vm, d, q);
}

static void resume_cmd(struct vm *vm, struct debugger *d,
                       const struct gdb_request *q, struct answer *a)
{
    (void)vm;
    bool step = q->cmd == GDB_CMD_STEP;

    if (q->cmd == GDB_CMD_VCONT) {
        /* One thread: the first action says it all. */
        char act = 'c';
        if (q->n_actions)
            act = q->actions[0].action;
        step = act == 's' || act == 'S';
    }
    if (q->has_addr) {
        d->regs.rip = q->addr;
        d->regs_dirty = true;
    }
    a->resume = true;
    a->how = step ? RESUME_STEP : RESUME_CONTINUE;
}

static void kill_cmd(struct vm *vm, struct debugger *d,
                     const struct gdb_request *q, struct answer *a)
{
    (void)vm;
    if (q->cmd == GDB_CMD_VKILL)
        send_reply(d, gdb_reply_ok(d->reply, sizeof d->reply));
    a->resume = true;
    a->how = RESUME_KILL;
}

static void detach_cmd(struct vm *vm, struct debugger *d,
                       const struct gdb_request *q, struct answer *a)
{
    (void)q;
    clear_all_bps(vm, d);
    send_reply(d, gdb_reply_ok(d->reply, sizeof d->reply));
    a->resume = true;
    a->how = RESUME_DETACH;
}

static void ok_cmd(struct vm *vm, struct debugger *d,
                   const struct gdb_request *q, struct answer *a)
{
    (void)vm;
    (void)q;
    a->len = gdb_reply_ok(d->reply, sizeof d->reply);
}

static void current_thread(struct vm *vm, struct debugger *d,
                           const struct gdb_request *q, struct answer *a)
{
    (void)vm;
    struct gdb_out o;

    gdb_out_begin(&o, d->reply, sizeof d->reply);
    gdb_out_str(&o, q->cmd == GDB_CMD_THREADS_NEXT ? "l" :
                    q->cmd == GDB_CMD_THREADS_FIRST ? "m" : "QC");
    if (q->cmd != GDB_CMD_THREADS_NEXT)
        gdb_out_thread(&o, GDB_THREAD_ID);
    a->len = gdb_out_end(&o);
}

/* The requests gdb_answer_query() leaves to the target. */
static request_fn *const requests[GDB_CMD_COUNT] = {
    [GDB_CMD_HALT_REASON] = halt_reason,
    [GDB_CMD_READ_REGS] = read_regs,
    [GDB_CMD_WRITE_REGS] = write_regs,
    [GDB_CMD_READ_REG] = read_reg,
    [GDB_CMD_WRITE_REG] = write_reg,
    [GDB_CMD_READ_MEM] = memory_read,
    [GDB_CMD_WRITE_MEM] = memory_write,
    [GDB_CMD_INSERT_POINT] = points,
    [GDB_CMD_REMOVE_POINT] = points,
    [GDB_CMD_CONTINUE] = resume_cmd,
    [GDB_CMD_STEP] = resume_cmd,
    [GDB_CMD_VCONT] = resume_cmd,
    [GDB_CMD_KILL] = kill_cmd,
    [GDB_CMD_VKILL] = kill_cmd,
    [GDB_CMD_DETACH] = detach_cmd,
    [GDB_CMD_SET_THREAD] = ok_cmd,
    [GDB_CMD_THREAD_ALIVE] = ok_cmd,
    [GDB_CMD_CURRENT_THREAD] = current_thread,
    [GDB_CMD_THREADS_FIRST] = current_thread,
    [GDB_CMD_THREADS_NEXT] = current_thread,
};

static void answer(struct vm *vm, struct debugger *d,
                   const struct gdb_event *ev, struct answer *a)
{
    *a = (struct answer){ 0 };
    if (ev->error) {
        a->len = gdb_reply_error(d->reply, sizeof d->reply, -ev->error);
        return;
    }
    a->len = gdb_answer_query(d->reply, sizeof d->reply, &d->target,
                              &ev->req);
    request_fn *fn = ev->req.cmd < GDB_CMD_COUNT ? requests[ev->req.cmd]
                                                 : NULL;
    if (a->len == 0 && fn)
        fn(vm, d, &ev->req, a);
    else if (a->len == 0)
        a->len = gdb_reply_empty(d->reply, sizeof d->reply);
}

/* Serves gdb at a stop until it resumes the guest: how (RESUME_DETACH
 * too when gdb went away), or -1 (err). */
static int serve(struct vm *vm, struct debugger *d, bool announce,
                 struct kerr *err)
{
    struct gdb_event ev;
    struct answer a;

    if (announce)
        send_reply(d, gdb_reply_stop(d->reply, sizeof d->reply, &d->stop));
    while (!d->gone) {
        if (!next_event(d, true, &ev)) {
            if (stop_requested())
                return RESUME_KILL;
            break;
        }
        if (ev.kind == GDB_EV_INTERRUPT) {
            send_reply(d, gdb_reply_stop(d->reply, sizeof d->reply, &d->stop));
            continue;
        }
        answer(vm, d, &ev, &a);
        if (a.len > 0)
            send_reply(d, a.len);
        if (!a.resume)
            continue;
        if (a.how == RESUME_KILL || a.how == RESUME_DETACH)
            return (int)a.how;
        d->stepping = a.how == RESUME_STEP;
        d->watching = any_watch(d);
        return store_stop(vm, d, d->stepping || d->watching, err) < 0 ?
               -1 : (int)a.how;
    }
    clear_all_bps(vm, d);
    return RESUME_DETACH;
}

/* ---- Stops ------------------------------------------------------------------- */

/* Linux's signal numbers as gdb numbers them, for the ones a guest ends
 * by (gdb/gdb.h: they differ from SIGBUS on). */
static uint8_t gdb_signal_of(int sig)
{
    static const struct { int linux_sig; uint8_t gdb; } map[] = {
        { SIGINT, GDB_SIGNAL_INT }, { SIGQUIT, GDB_SIGNAL_QUIT },
        { SIGILL, GDB_SIGNAL_ILL }, { SIGTRAP, GDB_SIGNAL_TRAP },
        { SIGABRT, GDB_SIGNAL_ABRT }, { SIGBUS, GDB_SIGNAL_BUS },
        { SIGFPE, GDB_SIGNAL_FPE }, { SIGKILL, GDB_SIGNAL_KILL },
        { SIGSEGV, GDB_SIGNAL_SEGV }, { SIGSYS, GDB_SIGNAL_SYS },
        { SIGALRM, GDB_SIGNAL_ALRM }, { SIGTERM, GDB_SIGNAL_TERM },
    };
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (map[i].linux_sig == sig)
            return map[i].gdb;
    return GDB_SIGNAL_KILL;
}

/* The guest stopped (sig, why; at a stub's report when from_stub): gdb
 * is served until it lets the guest go on.  EXIT_RESUME, EXIT_ENDED (gdb
 * killed it: res says so) or EXIT_ERROR. */
static enum exit_result stop_for_gdb(struct vm *vm, uint8_t sig,
                                     enum gdb_stop_why why, bool from_stub,
                                     bool announce, struct run_result *res,
                                     struct kerr *err)
{
    struct debugger *d = vm->debug;
    struct kvm_regs now;

    if (KVM_IOCTL(vm->vcpu_fd, KVM_GET_REGS, &now, err) < 0 ||
        load_stop(vm, d, from_stub ? now.rsp : 0, err) < 0)
        return EXIT_ERROR;
    if (why == GDB_STOP_SWBREAK)
        d->regs.rip -= 1;        /* at the int3, not after it */
    d->regs_dirty = why == GDB_STOP_SWBREAK;
    d->stop = (struct gdb_stop){ .signal = sig, .why = why,
                                 .addr = d->watch_hit,
                                 .thread = GDB_THREAD_ID };
    d->stepping = false;
    int how = serve(vm, d, announce, err);
    io_pending = 0;
    if (how < 0)
        return EXIT_ERROR;
    if (how == RESUME_KILL && !stop_requested()) {
        res->outcome = RUN_SIGNALED;
        res->signal = SIGKILL;
        d->ended_reported = true;
        return EXIT_ENDED;
    }
    if (how == RESUME_DETACH || how == RESUME_KILL) {
        d->gone = true;
        if (store_stop(vm, d, false, err) < 0)
            return EXIT_ERROR;
    }
    return EXIT_RESUME;
}

int vm_debug_prepare(int fd, struct kerr *err)
{
    struct sigaction sa = { .sa_handler = on_sigio };

    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGIO, &sa, NULL) < 0 ||
        fcntl(fd, F_SETOWN, getpid()) < 0 ||
        fcntl(fd, F_SETFL, O_NONBLOCK | O_ASYNC) < 0)
        return kerr_errno(err, errno, "cannot watch the gdb connection");
    return 0;
}

int debug_attach(struct vm *vm, int fd, const char *exec_file,
                 struct kerr *err)
{
    struct debugger *d = calloc(1, sizeof *d);

    if (!d)
        return kerr_set(err, "out of memory");
    d->fd = fd;
    d->target = (struct gdb_target){ .avx = (vm->caps.xcr0 & 6) == 6,
                                     .exec_file = exec_file };
    gdb_conn_init(&d->conn);
    io_kick = &vm->run->immediate_exit;
    vm->debug = d;
    return 0;
}

enum exit_result debug_start(struct vm *vm, struct run_result *res,
                             struct kerr *err)
{
    return stop_for_gdb(vm, GDB_SIGNAL_TRAP, GDB_STOP_SIGNAL, false, false,
                        res, err);
}

/* Whether a watchpoint's bytes changed (d->watch_hit: its address).  The
 * page tables are read for that: the ones of the stop (CR3). */
static bool watch_stopped(struct vm *vm, struct debugger *d)
{
    struct kerr ignored;
    if (KVM_IOCTL(vm->vcpu_fd, KVM_GET_SREGS, &d->sregs, &ignored) < 0)
        return false;
    struct watchpoint *w = changed_watch(vm, d);
    if (w)
        d->watch_hit = w->addr;
    return w != NULL;
}

enum exit_result debug_trap(struct vm *vm, const struct kvm_regs *regs,
                            struct run_result *res, struct kerr *err)
{
    struct debugger *d = vm->debug;
    struct kvmelf_trap_frame *f = frame(vm, regs->rsp);
    enum gdb_stop_why why = GDB_STOP_SIGNAL;

    if (f && f->vector == X86_VEC_BP && find_bp(d, f->rip - 1))
        why = GDB_STOP_SWBREAK;
    d->trap_stop = true;
    if (f && f->vector == X86_VEC_DB && d->watching) {
        if (watch_stopped(vm, d))
            why = GDB_STOP_WATCH;
        else if (!d->stepping)
            return EXIT_RESUME;  /* TF is still in the frame: next step */
    }
    return stop_for_gdb(vm, GDB_SIGNAL_TRAP, why, true, true, res, err);
}

bool debug_wants_trap(const struct vm *vm, unsigned vector)
{
    return vm->debug && !vm->debug->gone &&
           (vector == X86_VEC_DB || vector == X86_VEC_BP);
}

/* Whether the HLT that just exited is one of ours (RIP is past it). */
static bool ring0_breakpoint(struct vm *vm, struct debugger *d)
{
    struct kvm_regs now;
    struct kerr ignored;

    return vm->ring0 &&
           KVM_IOCTL(vm->vcpu_fd, KVM_GET_REGS, &now, &ignored) == 0 &&
           find_bp(d, now.rip - 1) != NULL;
}

enum exit_result debug_after_exit(struct vm *vm, enum exit_result e,
                                  struct run_result *res, struct kerr *err)
{
    struct debugger *d = vm->debug;

    if (!d || d->gone || d->trap_stop) {
        if (d)
            d->trap_stop = false;
        return e;
    }
    if (e == EXIT_ENDED && vm->run->exit_reason == KVM_EXIT_HLT &&
        res->outcome == RUN_EXITED && ring0_breakpoint(vm, d)) {
        memset(res, 0, sizeof *res);     /* not the end: our HLT */
        return stop_for_gdb(vm, GDB_SIGNAL_TRAP, GDB_STOP_SWBREAK, false,
                            true, res, err);
    }
    /* A port or system-call exit in a step: its #DB is lost (kvm_pvm), so
     * the step ends here, or a watchpoint's; else TF, still set, goes on. */
    if (e == EXIT_RESUME && (d->stepping || d->watching)) {
        bool hit = d->watching && watch_stopped(vm, d);
        if (hit || d->stepping)
            return stop_for_gdb(vm, GDB_SIGNAL_TRAP,
                                hit ? GDB_STOP_WATCH : GDB_STOP_SIGNAL, false,
                                true, res, err);
    }
    if (e == EXIT_ENDED && res->outcome == RUN_CRASHED && !d->crash_shown) {
        d->crash_shown = true;
        struct run_result keep = *res;
        uint8_t sig = gdb_signal_of(crash_signal(&res->crash));
        enum exit_result r = stop_for_gdb(vm, sig, GDB_STOP_SIGNAL,
                                          res->crash.from_stub, true, res,
                                          err);
        if (r == EXIT_ERROR || res->outcome != RUN_CRASHED)
            return r;
        *res = keep;             /* going on from a crash ends it */
    }
    return e;
}

enum exit_result debug_interrupted(struct vm *vm, struct run_result *res,
                                   struct kerr *err)
{
    struct debugger *d = vm->debug;
    struct gdb_event ev;

    if (!d || d->gone || !io_pending)
        return EXIT_RESUME;
    io_pending = 0;
    while (next_event(d, false, &ev))
        if (ev.kind == GDB_EV_INTERRUPT)
            return stop_for_gdb(vm, GDB_SIGNAL_INT, GDB_STOP_SIGNAL, false,
                                true, res, err);
    return EXIT_RESUME;
}

void debug_end(struct vm *vm, const struct run_result *res)
{
    struct debugger *d = vm->debug;

    if (!d)
        return;
    if (!d->gone && !d->ended_reported) {
        int sig = res->outcome == RUN_CRASHED ? crash_signal(&res->crash)
                  : res->signal ? res->signal : SIGKILL;
        send_reply(d, res->outcome == RUN_EXITED ?
                   gdb_reply_exited(d->reply, sizeof d->reply,
                                    (uint8_t)res->status) :
                   gdb_reply_killed(d->reply, sizeof d->reply,
                                    gdb_signal_of(sig)));
    }
    io_kick = NULL;
    close(d->fd);
    free(d);
    vm->debug = NULL;
}
