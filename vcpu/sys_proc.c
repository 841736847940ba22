/* Process calls: identity, time, sleeping, signals (remembered, never
 * delivered), limits, randomness, thread-library calls of a single
 * thread, and the FS/GS bases. */
#include "syscall.h"
#include "common/stop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define FUTEX_CMD_MASK 0x7f          /* without PRIVATE and CLOCK_REALTIME */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_CLOCK_REALTIME 0x100
#define GETRANDOM_FLAGS 0x7          /* NONBLOCK, RANDOM, INSECURE */
#define GETRANDOM_MAX 0x1ffffff      /* what Linux returns at most */
#define SIGSET_SIZE 8
#define LX_SIG_IGN 1
#define LX_SS_DISABLE 2
/* sizeof(struct robust_list_head): head, futex_offset, list_op_pending. */
#define ROBUST_LIST_HEAD_SIZE 24
/* struct timezone: tz_minuteswest, tz_dsttime. */
#define TIMEZONE_SIZE (2 * sizeof(int))

/* The uname(2) kvmelf answers: Linux enough for libc, honest otherwise. */
#define UTS_SYSNAME  "Linux"
#define UTS_NODENAME "kvmelf"
#define UTS_RELEASE  "6.1.0-kvmelf"
#define UTS_VERSION  "#1 kvmelf guest"
#define UTS_MACHINE  "x86_64"
#define UTS_DOMAIN   "(none)"

long sys_exit(struct sys_ctx *c, const uint64_t a[6])
{
    return sys_end_exit(c, (int)(a[0] & 0xff));
}

long sys_getpid(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c; (void)a;
    return SYS_GUEST_PID;        /* also gettid: one thread */
}

long sys_getppid(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c; (void)a;
    return 0;
}

long sys_getuid(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c; (void)a;
    return 0;                    /* the whole uid/gid family */
}

long sys_sched_yield(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c; (void)a;
    return 0;
}

long sys_enosys_quiet(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c; (void)a;
    return -ENOSYS;              /* libc copes, so no warning */
}

long sys_set_tid_address(struct sys_ctx *c, const uint64_t a[6])
{
    c->vm->sys.tid_address = a[0];
    return SYS_GUEST_PID;
}

long sys_set_robust_list(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c;
    return a[1] == ROBUST_LIST_HEAD_SIZE ? 0 : -EINVAL;
}

static void copy_field(char *dst, const char *src)
{
    size_t n = strlen(src);
    memcpy(dst, src, n + 1);
}

long sys_uname(struct sys_ctx *c, const uint64_t a[6])
{
    struct utsname u;
    void *p = sys_user_ptr(c, a[0], sizeof u, true);

    if (!p)
        return -EFAULT;
    memset(&u, 0, sizeof u);
    copy_field(u.sysname, UTS_SYSNAME);
    copy_field(u.nodename, UTS_NODENAME);
    copy_field(u.release, UTS_RELEASE);
    copy_field(u.version, UTS_VERSION);
    copy_field(u.machine, UTS_MACHINE);
    copy_field(u.domainname, UTS_DOMAIN);
    memcpy(p, &u, sizeof u);
    return 0;
}

/* ---- Time --------------------------------------------------------------- */

static bool known_clock(uint64_t id)
{
    switch (id) {
    case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID: case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        return true;
    default:
        return false;
    }
}

static long clock_call(struct sys_ctx *c, const uint64_t a[6],
                       int (*fn)(clockid_t, struct timespec *), bool may_null)
{
    struct timespec ts;

    if (!known_clock(a[0]))
        return -EINVAL;
    void *p = sys_user_ptr(c, a[1], sizeof ts, true);
    if (!p && !(may_null && a[1] == 0))
        return -EFAULT;
    if (fn((clockid_t)a[0], &ts) < 0)
        return -errno;
    if (p)
        memcpy(p, &ts, sizeof ts);
    return 0;
}

long sys_clock_gettime(struct sys_ctx *c, const uint64_t a[6])
{
    return clock_call(c, a, clock_gettime, false);
}

long sys_clock_getres(struct sys_ctx *c, const uint64_t a[6])
{
    return clock_call(c, a, clock_getres, true);
}

long sys_gettimeofday(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec ts;
    uint64_t tv[2];
    void *tvp = a[0] ? sys_user_ptr(c, a[0], sizeof tv, true) : NULL;
    void *tzp = a[1] ? sys_user_ptr(c, a[1], TIMEZONE_SIZE, true) : NULL;

    if ((a[0] && !tvp) || (a[1] && !tzp))
        return -EFAULT;
    clock_gettime(CLOCK_REALTIME, &ts);
    tv[0] = (uint64_t)ts.tv_sec;
    tv[1] = (uint64_t)ts.tv_nsec / 1000;
    if (tvp)
        memcpy(tvp, tv, sizeof tv);
    if (tzp)
        memset(tzp, 0, TIMEZONE_SIZE);   /* UTC, no DST */
    return 0;
}

long sys_time(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec ts;
    void *p = a[0] ? sys_user_ptr(c, a[0], sizeof(int64_t), true) : NULL;

    if (a[0] && !p)
        return -EFAULT;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t t = ts.tv_sec;
    if (p)
        memcpy(p, &t, sizeof t);
    return (long)t;
}

/* A guest timespec: -EFAULT, -EINVAL, or 0 with *ts. */
static long user_timespec(struct sys_ctx *c, uint64_t addr, struct timespec *ts)
{
    int64_t v[2];
    const void *p = sys_user_ptr(c, addr, sizeof v, false);

    if (!p)
        return -EFAULT;
    memcpy(v, p, sizeof v);
    if (v[0] < 0 || v[1] < 0 || v[1] >= NSEC_PER_SEC)
        return -EINVAL;
    ts->tv_sec = v[0];
    ts->tv_nsec = v[1];
    return 0;
}

static long sleep_and_report(struct sys_ctx *c, const struct timespec *rel,
                             uint64_t rem_addr)
{
    struct timespec left;
    long r = sys_sleep(rel, &left);

    if (r == -EINTR && rem_addr) {
        int64_t v[2] = { left.tv_sec, left.tv_nsec };
        void *p = sys_user_ptr(c, rem_addr, sizeof v, true);
        if (p)
            memcpy(p, v, sizeof v);
    }
    return r;
}

long sys_nanosleep(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec rel;
    long r = user_timespec(c, a[0], &rel);

    return r < 0 ? r : sleep_and_report(c, &rel, a[1]);
}

long sys_clock_nanosleep(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec t;

    if (a[0] != CLOCK_REALTIME && a[0] != CLOCK_MONOTONIC &&
        a[0] != CLOCK_BOOTTIME)
        return -EINVAL;
    long r = user_timespec(c, a[2], &t);
    if (r < 0)
        return r;
    if (!(a[1] & TIMER_ABSTIME))
        return sleep_and_report(c, &t, a[3]);
    return sys_sleep_until((clockid_t)a[0], &t);  /* no remaining time */
}

/* ---- Randomness, limits, CPU set ---------------------------------------- */

long sys_getrandom(struct sys_ctx *c, const uint64_t a[6])
{
    if (a[2] & ~(uint64_t)GETRANDOM_FLAGS)
        return -EINVAL;
    if (a[1] == 0)
        return sys_user_empty_ok(a[0]) ? 0 : -EFAULT;
    uint64_t len = a[1];
    if (len > GETRANDOM_MAX)
        len = GETRANDOM_MAX;
    uint8_t *p = sys_user_ptr(c, a[0], len, true);
    if (!p)
        return -EFAULT;
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n < 0 && errno == EINTR && !stop_requested())
            continue;
        if (n < 0)
            return done ? (long)done : -errno;
        done += (size_t)n;
    }
    return (long)done;
}

/* The limits a guest starts with: what kvmelf really gives it. */
void sys_limits_init(struct sys_state *st)
{
    const struct linux_config *cfg = &st->cfg;

    for (unsigned r = 0; r < SYS_RLIMIT_COUNT; r++) {
        uint64_t v = RLIM_INFINITY;
        switch (r) {
        case RLIMIT_STACK:  v = cfg->stack_size; break;
        case RLIMIT_DATA:
        case RLIMIT_AS:     v = cfg->heap_end - cfg->heap_start; break;
        case RLIMIT_NOFILE: v = SYS_GUEST_FDS; break;
        case RLIMIT_CORE:   v = 0; break;
        case RLIMIT_NPROC:  v = 1; break;
        default:            break;
        }
        st->limits[r][0] = st->limits[r][1] = v;
    }
}

/* prlimit64(pid, resource, new, old), with Linux's rules for a new limit
 * (a soft limit above its hard one is EINVAL; kvmelf cannot raise a hard
 * limit: the stack, the heap and the fds it gives are all it has, so that
 * is EPERM).  A lowered limit is remembered and reported; kvmelf does not
 * enforce it. */
long sys_prlimit64(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t lim[2], *cur;

    if (a[0] != 0 && a[0] != SYS_GUEST_PID)
        return -ESRCH;
    if (a[1] >= SYS_RLIMIT_COUNT)
        return -EINVAL;
    cur = c->vm->sys.limits[a[1]];
    const void *in = a[2] ? sys_user_ptr(c, a[2], sizeof lim, false) : NULL;
    if (a[2] && !in)
        return -EFAULT;
    if (a[3]) {
        void *p = sys_user_ptr(c, a[3], sizeof lim, true);
        if (!p)
            return -EFAULT;
        memcpy(p, cur, sizeof lim);
    }
    if (!in)
        return 0;
    memcpy(lim, in, sizeof lim);
    if (lim[0] > lim[1])
        return -EINVAL;
    if (lim[1] > cur[1])
        return -EPERM;
    cur[0] = lim[0];
    cur[1] = lim[1];
    return 0;
}

long sys_getrlimit(struct sys_ctx *c, const uint64_t a[6])
{
    const uint64_t b[6] = { 0, a[0], 0, a[1], 0, 0 };
    return a[1] ? sys_prlimit64(c, b) : -EFAULT;
}

long sys_setrlimit(struct sys_ctx *c, const uint64_t a[6])
{
    const uint64_t b[6] = { 0, a[0], a[1], 0, 0, 0 };
    return a[1] ? sys_prlimit64(c, b) : -EFAULT;
}

long sys_sched_getaffinity(struct sys_ctx *c, const uint64_t a[6])
{
    const uint64_t one_cpu = 1;

    if (a[0] != 0 && a[0] != SYS_GUEST_PID)
        return -ESRCH;
    if (a[1] < sizeof one_cpu || a[1] % sizeof one_cpu)
        return -EINVAL;
    void *p = sys_user_ptr(c, a[2], sizeof one_cpu, true);
    if (!p)
        return -EFAULT;
    memcpy(p, &one_cpu, sizeof one_cpu);
    return sizeof one_cpu;
}

/* ---- FS/GS base, futex ---------------------------------------------------- */

long sys_arch_prctl(struct sys_ctx *c, const uint64_t a[6])
{
    struct kvm_segment *seg;
    bool set = a[0] == ARCH_SET_FS || a[0] == ARCH_SET_GS;

    switch (a[0]) {
    case ARCH_SET_FS: case ARCH_GET_FS: seg = &c->sregs->fs; break;
    case ARCH_SET_GS: case ARCH_GET_GS: seg = &c->sregs->gs; break;
    default: return -EINVAL;
    }
    if (set) {
        if (!x86_canonical(a[1]))
            return -EPERM;
        seg->base = a[1];
        c->sregs_dirty = true;
        return 0;
    }
    void *p = sys_user_ptr(c, a[1], sizeof seg->base, true);
    if (!p)
        return -EFAULT;
    memcpy(p, &seg->base, sizeof seg->base);
    return 0;
}

/* One thread: a wait whose value matches could only be ended by another
 * thread.  With a timeout it sleeps that long and times out; without one
 * it is a deadlock, which blocks as on Linux until --timeout, SIGINT or
 * SIGTERM ends the run (rather than spin on -EAGAIN). */
long sys_futex(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t cmd = a[1] & FUTEX_CMD_MASK;

    if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET)
        return 0;
    if (cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
        return -ENOSYS;
    if (a[0] % 4 || (cmd == FUTEX_WAIT_BITSET && (uint32_t)a[5] == 0))
        return -EINVAL;
    const void *word = sys_user_ptr(c, a[0], 4, false);
    if (!word)
        return -EFAULT;
    struct timespec t = SYS_SLEEP_FOREVER;
    if (a[3]) {
        long r = user_timespec(c, a[3], &t);
        if (r < 0)
            return r;
    }
    uint32_t v;
    memcpy(&v, word, sizeof v);
    if (v != (uint32_t)a[2])
        return -EAGAIN;
    long r;
    if (cmd == FUTEX_WAIT_BITSET && a[3])   /* an absolute deadline */
        r = sys_sleep_until(a[1] & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME
                                                        : CLOCK_MONOTONIC, &t);
    else
        r = sys_sleep(&t, NULL);
    return r < 0 ? r : -ETIMEDOUT;
}

/* ---- Signals --------------------------------------------------------------- */

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
    uint64_t handler = c->vm->sys.actions[sig - 1].handler;
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
    struct sys_state *s = &c->vm->sys;

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
    struct sys_state *s = &c->vm->sys;

    uint64_t ready;

    while (c->outcome == 0 && (ready = s->sigpending & ~s->sigmask)) {
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
    slot = &c->vm->sys.actions[a[0] - 1];
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
        c->vm->sys.sigpending &= ~sig_bit(a[0]);
    if (old)
        memcpy(old, &prev, sizeof prev);
    return 0;
}

long sys_rt_sigprocmask(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t *mask = &c->vm->sys.sigmask, set = 0;
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
