/*
 * Confinement of the run loop: process limits at startup, and a seccomp
 * filter installed once the VM and vCPU exist, the ELF file is read (its
 * bytes stay for crash reports) and every file but the VM's and the vCPU's
 * is closed.  From then on the process can only do
 * what running the guest, reporting on it and tearing down need.  The
 * allowlist is in filter_gen.c, which libseccomp compiles into the
 * BPF program included here when kvmelf is built; docs/security.md copies
 * it.  Before the filter, Landlock confines what the process can still
 * open to the trees the guest was granted (and the rights it has there),
 * so that even a file-layer bug that resolved a path wrongly could reach
 * nothing else of the host.
 *
 * A refused call raises SIGSYS (SECCOMP_RET_TRAP rather than
 * SECCOMP_RET_KILL_PROCESS): the handler writes one line naming the call,
 * then lets the same call kill the process with SIGSYS, so the status a
 * shell sees is still "killed by SIGSYS" (159) but a user is not left with
 * a silent death.  The handler uses only write(2) and the calls the filter
 * allows, and names the call from the personality's static table.
 */
#include "sandbox/sandbox.h"
#include "linux/linux.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <ucontext.h>
#include <unistd.h>

/* build/gen/: sandbox_filter[], the allowlist as a BPF program. */
#include "sandbox_filter.h"

/* ---- A refused call ------------------------------------------------------ */

/* The handler names the call from the system-call table the Linux
 * personality already has (static strings: nothing to prepare, nothing
 * allocated in a signal handler). */
static const char *syscall_name(int nr)
{
    return nr < 0 ? NULL : linux_syscall_name((unsigned)nr);
}

static size_t put_str(char *buf, size_t pos, size_t cap, const char *s)
{
    while (*s && pos < cap)
        buf[pos++] = *s++;
    return pos;
}

static size_t put_uint(char *buf, size_t pos, size_t cap, unsigned long v)
{
    char digits[24];
    size_t n = 0;

    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < sizeof digits);
    while (n && pos < cap)
        buf[pos++] = digits[--n];
    return pos;
}

/* Async-signal-safe: formats by hand, writes once, then dies of SIGSYS by
 * repeating the refused call with the default action restored. */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
    char line[160];
    size_t n = 0;
    int nr = si->si_syscall;
    const greg_t *r = ((const ucontext_t *)uctx)->uc_mcontext.gregs;

    n = put_str(line, n, sizeof line, "kvmelf: internal error: the sandbox "
                "refused system call ");
    n = put_uint(line, n, sizeof line, (unsigned long)(unsigned)nr);
    const char *name = syscall_name(nr);
    if (name) {
        n = put_str(line, n, sizeof line, " (");
        n = put_str(line, n, sizeof line, name);
        n = put_str(line, n, sizeof line, ")");
    }
    n = put_str(line, n, sizeof line, "; rerun with --no-sandbox to "
                "debug\n");
    (void)!write(STDERR_FILENO, line, n);

    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    /* The same call with the same arguments (other arguments could make
     * it allowed: read(1) refused, read(0) not) is refused again, and
     * SIGSYS now has its default action: killed by SIGSYS, no core (the
     * process is not dumpable). */
    syscall(nr, r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10], r[REG_R8],
            r[REG_R9]);
    _exit(128 + SIGSYS);     /* not reached; what a shell would show */
}

/* ---- Landlock ------------------------------------------------------------ */

/* The uapi of <linux/landlock.h> up to ABI 7 (Linux 6.15), defined here:
 * the build machine's header may be older, and the kernel's ABI only
 * grows, so the rights of every version kvmelf knows are named once. */
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

#define LL_FS_EXECUTE      (1ULL << 0)
#define LL_FS_WRITE_FILE   (1ULL << 1)
#define LL_FS_READ_FILE    (1ULL << 2)
#define LL_FS_READ_DIR     (1ULL << 3)
#define LL_FS_REMOVE_DIR   (1ULL << 4)
#define LL_FS_REMOVE_FILE  (1ULL << 5)
#define LL_FS_MAKE_CHAR    (1ULL << 6)
#define LL_FS_MAKE_DIR     (1ULL << 7)
#define LL_FS_MAKE_REG     (1ULL << 8)
#define LL_FS_MAKE_SOCK    (1ULL << 9)
#define LL_FS_MAKE_FIFO    (1ULL << 10)
#define LL_FS_MAKE_BLOCK   (1ULL << 11)
#define LL_FS_MAKE_SYM     (1ULL << 12)
#define LL_FS_ABI1         ((LL_FS_MAKE_SYM << 1) - 1)   /* bits 0-12 */
#define LL_FS_REFER        (1ULL << 13)
#define LL_FS_TRUNCATE     (1ULL << 14)
#define LL_FS_IOCTL_DEV    (1ULL << 15)
#define LL_NET_BIND_TCP    (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL    (1ULL << 1)

/* Larger than an older kernel's struct: the kernel takes it as long as
 * the fields it does not know are zero. */
struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;      /* ABI 4 */
    uint64_t scoped;                  /* ABI 6 */
};

struct ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

/* What each ABI version added.  Everything the kernel knows is handled,
 * and so refused unless a rule below allows it: no execution, no device
 * nodes, no TCP, no abstract UNIX sockets or signals outside the process,
 * and outside the granted trees nothing at all. */
static const struct {
    int abi;
    uint64_t fs, net, scoped;
} ll_versions[] = {
    { 1, LL_FS_ABI1, 0, 0 },
    { 2, LL_FS_REFER, 0, 0 },                  /* link/rename elsewhere */
    { 3, LL_FS_TRUNCATE, 0, 0 },
    { 4, 0, LL_NET_BIND_TCP | LL_NET_CONNECT_TCP, 0 },
    { 5, LL_FS_IOCTL_DEV, 0, 0 },
    { 6, 0, 0, LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL },
    /* 7 added audit flags, no rights. */
};

/* A granted tree's rights.  Read-only: read files, list directories.
 * Writable: everything a file layer does (write, truncate, create and
 * remove files, directories and symlinks, rename and link within and
 * between the writable trees), but never execute, make device nodes or
 * use a device's ioctls. */
#define LL_TREE_RO (LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_TREE_RW_NEVER (LL_FS_EXECUTE | LL_FS_MAKE_CHAR | \
                          LL_FS_MAKE_BLOCK | LL_FS_IOCTL_DEV)

int sandbox_landlock_abi(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
                       LL_CREATE_RULESET_VERSION);
    return abi < 0 ? -errno : (int)abi;
}

static struct ll_ruleset_attr ll_handled(int abi)
{
    struct ll_ruleset_attr attr = { 0 };

    for (size_t i = 0; i < ARRAY_SIZE(ll_versions); i++)
        if (ll_versions[i].abi <= abi) {
            attr.handled_access_fs |= ll_versions[i].fs;
            attr.handled_access_net |= ll_versions[i].net;
            attr.scoped |= ll_versions[i].scoped;
        }
    return attr;
}

static int ll_add_trees(int ruleset, uint64_t handled,
                        const struct linux_tree *trees, size_t ntrees,
                        struct kerr *err)
{
    for (size_t i = 0; i < ntrees; i++) {
        struct ll_path_beneath_attr rule = {
            .allowed_access = handled & (trees[i].rw ? ~LL_TREE_RW_NEVER
                                                     : LL_TREE_RO),
            .parent_fd = trees[i].fd,
        };
        if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH,
                    &rule, 0) < 0)
            return kerr_errno(err, errno, "sandbox: Landlock refused the "
                              "rule for %s (%s) (--no-sandbox runs without "
                              "it)", trees[i].host, trees[i].guest);
    }
    return 0;
}

/* Needs no_new_privs.  Kernels without Landlock (not built in, or not in
 * the boot's lsm= list) are told apart from a failure: the run goes on
 * with openat2 and seccomp alone, and says so. */
static int landlock_confine(const struct linux_tree *trees, size_t ntrees,
                            struct sandbox_status *st, struct kerr *err)
{
    int abi = sandbox_landlock_abi();

    if (abi == -ENOSYS || abi == -EOPNOTSUPP) {
        st->landlock_errno = -abi;
        return 0;
    }
    if (abi <= 0)
        return kerr_errno(err, -abi, "sandbox: cannot ask for the kernel's "
                          "Landlock version");
    struct ll_ruleset_attr attr = ll_handled(abi);
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
                               sizeof attr, 0);
    if (ruleset < 0)
        return kerr_errno(err, errno, "sandbox: cannot create a Landlock "
                          "ruleset for ABI %d (--no-sandbox runs without "
                          "it)", abi);
    int r = ll_add_trees(ruleset, attr.handled_access_fs, trees, ntrees, err);
    if (r == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
        r = kerr_errno(err, errno, "sandbox: cannot confine kvmelf with "
                       "Landlock (--no-sandbox runs without it)");
    close(ruleset);
    if (r == 0)
        st->landlock_abi = abi;
    return r;
}

/* ---- Public ------------------------------------------------------------- */

int process_harden(struct kerr *err)
{
    struct rlimit no_core = { 0, 0 };

    if (setrlimit(RLIMIT_CORE, &no_core) < 0)
        return kerr_errno(err, errno, "cannot disable core dumps");
    /* Also covers a core_pattern pipe, which ignores RLIMIT_CORE. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return kerr_errno(err, errno, "cannot make the process undumpable");
    /* A closed stdin/stdout/stderr would be reused by the next open
     * (/dev/kvm): the guest's fd 0-2 must never reach the monitor's own
     * files, so a closed one becomes /dev/null. */
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int null = open("/dev/null", O_RDWR);
        if (null != fd) {
            if (null >= 0)
                close(null);
            return kerr_errno(err, null < 0 ? errno : EBADF,
                              "cannot open /dev/null in place of closed "
                              "fd %d", fd);
        }
    }
    /* Whatever the parent let us inherit (fd 3 and up) is not ours: close
     * it, so no guest action could ever reach it. */
    if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0) {
        if (errno != ENOSYS)
            return kerr_errno(err, errno, "cannot close inherited files");
        for (int fd = 3; fd < 1024; fd++)   /* Linux < 5.9 */
            (void)close(fd);
    }
    return 0;
}

int sandbox_confine(const struct linux_tree *trees, size_t ntrees,
                    struct sandbox_status *st, struct kerr *err)
{
    struct sock_fprog prog = {
        .len = (unsigned short)ARRAY_SIZE(sandbox_filter),
        .filter = (struct sock_filter *)sandbox_filter,  /* not written */
    };
    struct sigaction sa = { .sa_sigaction = on_sigsys,
                            .sa_flags = SA_SIGINFO };

    *st = (struct sandbox_status){ 0 };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        return kerr_errno(err, errno, "sandbox: cannot handle SIGSYS");
    /* Unprivileged processes may install a filter or restrict themselves
     * with Landlock only without new privileges (libseccomp's seccomp_load
     * did the same). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return kerr_errno(err, errno, "sandbox: cannot set no_new_privs "
                          "(use --no-sandbox to run without the sandbox)");
    /* Landlock first: the filter does not allow its calls. */
    if (landlock_confine(trees, ntrees, st, err) < 0)
        return -1;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
        return kerr_errno(err, errno, "sandbox: cannot install the seccomp "
                          "filter (use --no-sandbox to run without it)");
    return 0;
}

void sandbox_probe(void)
{
    /* Harmless, and on no allowlist: must be refused when confined. */
    (void)syscall(SYS_getppid);
}
