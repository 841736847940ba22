/* Signals: actions and masks are remembered and reported back; nothing
 * is ever delivered, so a signal the guest raises ends it as its default
 * action would, unless it is ignored. */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#define SIGSET_SIZE 8
#define LX_SIG_IGN 1
#define LX_SS_DISABLE 2

static bool valid_signal(uint64_t sig)
{
    return sig >= 1 && sig <= SYS_NSIG;
}

/* Signals whose default action is to do nothing (SIGCHLD, SIGCONT, SIGURG,
 * SIGWINCH), or to stop, which a guest has nobody to resume it from. */
static bool harmless_by_default(uint64_t sig)
{
    switch (sig) {
    case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
        return true;
    default:
        return false;
    }
}

static uint64_t sig_bit(uint64_t sig)
{
    return 1ULL << (sig - 1);
}

/* What a signal's disposition makes of it: nothing is ever delivered, so
 * one that is ignored does nothing and any other ends the guest as its
 * default action would (abort() -> SIGABRT -> status 134), handler or
 * not. */
static long act_on_signal(struct sys_ctx *c, uint64_t sig)
{
    uint64_t handler = c->proc->actions[sig - 1].handler;
    if (handler == LX_SIG_IGN && sig != SIGKILL && sig != SIGSTOP)
        return 0;
    if (handler == 0 && harmless_by_default(sig))
        return 0;
    return sys_end_signal(c, (int)sig);
}

/* A signal the guest sends itself; one it blocks stays pending until
 * rt_sigprocmask unblocks it (libc's raise() blocks signals around the
 * kill, so this is the usual path of abort()). */
static long raise_signal(struct sys_ctx *c, uint64_t sig)
{
    struct linux_process *s = c->proc;

    if (sig == 0)
        return 0;
    if (!valid_signal(sig))
        return -EINVAL;
    if (s->sigmask & sig_bit(sig)) {
        s->sigpending |= sig_bit(sig);
        return 0;
    }
    return act_on_signal(c, sig);
}

/* Acts on the pending signals the mask no longer blocks, lowest first. */
static void act_on_unblocked(struct sys_ctx *c)
{
    struct linux_process *s = c->proc;

    uint64_t ready;

    while (c->result == LINUX_RESUME && (ready = s->sigpending & ~s->sigmask)) {
        uint64_t sig = (uint64_t)__builtin_ctzll(ready) + 1;
        s->sigpending &= ~sig_bit(sig);
        act_on_signal(c, sig);
    }
}

long sys_rt_sigaction(struct sys_ctx *c, const uint64_t a[6])
{
    struct sys_sigaction *slot;
    const void *act = NULL;
    void *old = NULL;

    if (!valid_signal(a[0]) || a[3] != SIGSET_SIZE)
        return -EINVAL;
    slot = &c->proc->actions[a[0] - 1];
    if (a[1] && !(act = sys_user_ptr(c, a[1], sizeof *slot, false)))
        return -EFAULT;
    if (a[2] && !(old = sys_user_ptr(c, a[2], sizeof *slot, true)))
        return -EFAULT;
    if (act && (a[0] == SIGKILL || a[0] == SIGSTOP))
        return -EINVAL;
    struct sys_sigaction prev = *slot;
    if (act)
        memcpy(slot, act, sizeof *slot);
    /* A pending signal that is now ignored is dropped, as on Linux. */
    if (slot->handler == LX_SIG_IGN ||
        (slot->handler == 0 && harmless_by_default(a[0])))
        c->proc->sigpending &= ~sig_bit(a[0]);
    if (old)
        memcpy(old, &prev, sizeof prev);
    return 0;
}

long sys_rt_sigprocmask(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t *mask = &c->proc->sigmask, set = 0;
    const void *in = NULL;
    void *out = NULL;

    if (a[3] != SIGSET_SIZE)
        return -EINVAL;
    if (a[1] && !(in = sys_user_ptr(c, a[1], sizeof set, false)))
        return -EFAULT;
    /* As Linux: how matters only with a set to apply. */
    if (in && a[0] > SIG_SETMASK)
        return -EINVAL;
    if (a[2] && !(out = sys_user_ptr(c, a[2], sizeof set, true)))
        return -EFAULT;
    uint64_t prev = *mask;
    if (in) {
        memcpy(&set, in, sizeof set);
        if (a[0] == SIG_BLOCK)
            *mask |= set;
        else if (a[0] == SIG_UNBLOCK)
            *mask &= ~set;
        else
            *mask = set;
        *mask &= ~(sig_bit(SIGKILL) | sig_bit(SIGSTOP));   /* as Linux */
    }
    if (out)
        memcpy(out, &prev, sizeof prev);
    act_on_unblocked(c);
    return 0;
}

long sys_sigaltstack(struct sys_ctx *c, const uint64_t a[6])
{
    /* stack_t: ss_sp, ss_flags (int, padded), ss_size. */
    const uint64_t disabled[3] = { 0, LX_SS_DISABLE, 0 };

    if (a[1]) {
        void *p = sys_user_ptr(c, a[1], sizeof disabled, true);
        if (!p)
            return -EFAULT;
        memcpy(p, disabled, sizeof disabled);
    }
    return 0;
}

long sys_kill(struct sys_ctx *c, const uint64_t a[6])
{
    int64_t pid = (int64_t)a[0];

    /* Only itself (0: its own process group).  -1 is every process but
     * the caller and init, never the group -SYS_GUEST_PID: none here. */
    if (pid != SYS_GUEST_PID && pid != 0)
        return -ESRCH;
    return raise_signal(c, a[1]);
}

long sys_tkill(struct sys_ctx *c, const uint64_t a[6])
{
    if ((int64_t)a[0] != SYS_GUEST_PID)
        return (int64_t)a[0] <= 0 ? -EINVAL : -ESRCH;
    return raise_signal(c, a[1]);
}

long sys_tgkill(struct sys_ctx *c, const uint64_t a[6])
{
    if ((int64_t)a[0] <= 0 || (int64_t)a[1] <= 0)
        return -EINVAL;
    if (a[0] != SYS_GUEST_PID || a[1] != SYS_GUEST_PID)
        return -ESRCH;
    return raise_signal(c, a[2]);
}

long sys_raise(struct sys_ctx *c, int sig)
{
    return raise_signal(c, (uint64_t)sig);
}
