/*
 * Confinement of the run loop: process limits at startup, and a seccomp
 * filter installed once the VM and vCPU exist, the ELF file is read (its
 * bytes stay for crash reports) and every file but the VM's and the vCPU's
 * is closed.  From then on the process can only do
 * what running the guest, reporting on it and tearing down need.  The
 * allowlist is in filter_gen.c, which libseccomp compiles into the
 * BPF program included here when kvmelf is built; docs/security.md copies
 * it.
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

int sandbox_confine(struct kerr *err)
{
    struct sock_fprog prog = {
        .len = (unsigned short)ARRAY_SIZE(sandbox_filter),
        .filter = (struct sock_filter *)sandbox_filter,  /* not written */
    };
    struct sigaction sa = { .sa_sigaction = on_sigsys,
                            .sa_flags = SA_SIGINFO };

    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        return kerr_errno(err, errno, "sandbox: cannot handle SIGSYS");
    /* Unprivileged processes may install a filter only without new
     * privileges (libseccomp's seccomp_load did the same). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
        return kerr_errno(err, errno, "sandbox: cannot install the seccomp "
                          "filter (use --no-sandbox to run without it)");
    return 0;
}

void sandbox_probe(void)
{
    /* Harmless, and on no allowlist: must be refused when confined. */
    (void)syscall(SYS_getppid);
}
