/* Process calls: identity, limits, randomness, thread-library calls of a
 * single thread, and the FS/GS bases. */
#include "internal.h"
#include "common/stop.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define GETRANDOM_FLAGS 0x7          /* NONBLOCK, RANDOM, INSECURE */
#define GETRANDOM_MAX 0x1ffffff      /* what Linux returns at most */
/* sizeof(struct robust_list_head): head, futex_offset, list_op_pending. */
#define ROBUST_LIST_HEAD_SIZE 24

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

/* No supplementary groups (the guest is uid and gid 0, section 11):
 * Linux's count, 0, for any size but a negative one. */
long sys_getgroups(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c;
    return (int)a[0] < 0 ? -EINVAL : 0;
}

/* A process that never had a child (fork is not served): wait4 and
 * waitid find none, ECHILD, after the checks Linux makes first
 * (kernel_wait4, kernel_waitid).  busybox tar waits for a decompressor it
 * did not start. */
long sys_wait4(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c;
    if (a[2] & ~(uint64_t)(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD |
                           __WCLONE | __WALL))
        return -EINVAL;
    return (int)a[0] == INT_MIN ? -ESRCH : -ECHILD;
}

long sys_waitid(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c;
    if (a[3] & ~(uint64_t)(WNOHANG | WNOWAIT | WEXITED | WSTOPPED |
                           WCONTINUED | __WNOTHREAD | __WCLONE | __WALL) ||
        !(a[3] & (WEXITED | WSTOPPED | WCONTINUED)))
        return -EINVAL;
    switch ((int)a[0]) {
    case P_ALL:
        return -ECHILD;
    case P_PID:
        return (int)a[1] <= 0 ? -EINVAL : -ECHILD;
    case P_PGID:
        return (int)a[1] < 0 ? -EINVAL : -ECHILD;
    case P_PIDFD:
        return (int)a[1] < 0 ? -EINVAL : -EBADF;   /* no fd is a pidfd */
    default:
        return -EINVAL;
    }
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
    c->proc->tid_address = a[0];
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

/* sysinfo(2) of the guest's machine: its RAM (free: the heap's pages
 * neither below the break nor mapped), no swap, one process, no load, and
 * the time since boot of CLOCK_BOOTTIME, which the guest reads as the
 * host's, rounded up as Linux does.  glibc's qsort asks (through
 * sysconf(_SC_PHYS_PAGES)) before it sorts more than 1 KiB: busybox sort
 * of a long file named the call unsupported on stderr. */
long sys_sysinfo(struct sys_ctx *c, const uint64_t a[6])
{
    const struct linux_mm *mm = &c->proc->mm;
    struct sysinfo si;
    struct timespec t;
    void *p = sys_user_ptr(c, a[0], sizeof si, true);

    if (!p)
        return -EFAULT;
    memset(&si, 0, sizeof si);
    clock_gettime(CLOCK_BOOTTIME, &t);
    si.uptime = t.tv_sec + (t.tv_nsec ? 1 : 0);
    const uint64_t page = KVMELF_PAGE_SIZE;
    uint64_t used = (mm->brk - mm->lo + page - 1) & ~(page - 1);
    for (size_t i = 0; i < mm->count; i++)
        used += mm->maps[i].end - mm->maps[i].start;
    si.totalram = c->g->gm->size;
    si.freeram = mm->hi - mm->lo > used ? mm->hi - mm->lo - used : 0;
    si.procs = 1;
    si.mem_unit = 1;
    memcpy(p, &si, sizeof si);
    return 0;
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
void sys_limits_init(struct linux_process *st)
{
    const struct linux_config *cfg = &st->cfg;

    for (unsigned r = 0; r < SYS_RLIMIT_COUNT; r++) {
        uint64_t v = RLIM_INFINITY;
        switch (r) {
        case RLIMIT_STACK:  v = cfg->stack_size; break;
        case RLIMIT_DATA:
        case RLIMIT_AS:     v = cfg->heap_end - cfg->heap_start; break;
        case RLIMIT_CORE:   v = 0; break;
        case RLIMIT_NPROC:  v = 1; break;
        default:            break;
        }
        st->limits[r][0] = st->limits[r][1] = v;
    }
    st->limits[RLIMIT_NOFILE][0] = SYS_NOFILE_SOFT;
    st->limits[RLIMIT_NOFILE][1] = SYS_NOFILE_HARD;
}

/* prlimit64(pid, resource, new, old), with Linux's rules for a new limit
 * (a soft limit above its hard one is EINVAL; kvmelf cannot raise a hard
 * limit: the stack, the heap and the fds it gives are all it has, so that
 * is EPERM).  RLIMIT_NOFILE bounds every new fd; any other lowered limit
 * is remembered and reported, not enforced. */
long sys_prlimit64(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t lim[2], *cur;

    if (a[0] != 0 && a[0] != SYS_GUEST_PID)
        return -ESRCH;
    if (a[1] >= SYS_RLIMIT_COUNT)
        return -EINVAL;
    cur = c->proc->limits[a[1]];
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

/* ---- FS/GS base ---------------------------------------------------- */

long sys_arch_prctl(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t *base;
    bool set = a[0] == ARCH_SET_FS || a[0] == ARCH_SET_GS;

    switch (a[0]) {
    case ARCH_SET_FS: case ARCH_GET_FS: base = &c->g->fs_base; break;
    case ARCH_SET_GS: case ARCH_GET_GS: base = &c->g->gs_base; break;
    default: return -EINVAL;
    }
    if (set) {
        if (!x86_canonical(a[1]))
            return -EPERM;
        *base = a[1];
        c->call->bases_changed = true;
        return 0;
    }
    void *p = sys_user_ptr(c, a[1], sizeof *base, true);
    if (!p)
        return -EFAULT;
    memcpy(p, base, sizeof *base);
    return 0;
}

/* prctl(2): the thread's name; the rest of what prctl sets does not exist
 * in kvmelf's one-process world: EINVAL, as Linux says to an option it
 * does not know. */
long sys_prctl(struct sys_ctx *c, const uint64_t a[6])
{
    char *name;
    size_t n = sizeof c->proc->comm;

    switch (a[0]) {
    case PR_SET_NAME: {
        const char *s = sys_user_ptr(c, a[1], 1, false);
        if (!s)
            return -EFAULT;
        size_t len = 0;
        while (len < n - 1 && (s = sys_user_ptr(c, a[1] + len, 1, false)) &&
               *s)
            len++;
        const char *all = sys_user_ptr(c, a[1], len, false);
        if (!all && len)
            return -EFAULT;
        memset(c->proc->comm, 0, n);
        if (len)
            memcpy(c->proc->comm, all, len);
        return 0;
    }
    case PR_GET_NAME:
        if (!(name = sys_user_ptr(c, a[1], n, true)))
            return -EFAULT;
        memcpy(name, c->proc->comm, n);
        return 0;
    case PR_GET_DUMPABLE:
        return 1;
    default:
        return -EINVAL;
    }
}
