/*
 * Confinement of the run loop: process limits at startup, and a seccomp
 * filter (libseccomp) installed once the VM and vCPU exist, the ELF file is
 * read and freed and every file is closed.  From then on the process can
 * only do what running the guest, reporting on it and tearing down need;
 * the allowlist is the table below, and docs/security.md copies it.
 *
 * A refused call raises SIGSYS (SECCOMP_RET_TRAP rather than
 * SECCOMP_RET_KILL_PROCESS): the handler writes one line naming the call,
 * then lets the same call kill the process with SIGSYS, so the status a
 * shell sees is still "killed by SIGSYS" (159) but a user is not left with
 * a silent death.  The handler uses only write(2) and the calls the filter
 * allows, and names the call from the personality's static table.
 */
#include "internal.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

/* ---- The allowlist ------------------------------------------------------ */

enum arg_rule {
    ANY_ARGS,        /* the call is harmless with any arguments           */
    FD_STDIN,        /* arg0 == 0                                         */
    FD_STDOUT_ERR,   /* arg0 == 1 or arg0 == 2                             */
    FD_STDIO,        /* arg0 <= 2                                         */
    FD_STDIO_EMPTY_PATH,  /* newfstatat(0..2, "", ..., AT_EMPTY_PATH)     */
    TTY_QUERY,       /* ioctl(0..2, TCGETS or TIOCGWINSZ)                 */
    VCPU_IOCTL,      /* ioctl(vcpu fd, one of vcpu_ioctls[])              */
    VM_IOCTL,        /* ioctl(VM fd, one of vm_ioctls[])                  */
    NO_PROT_EXEC,    /* mmap/mprotect without PROT_EXEC                   */
    MADV_DONTNEED_ONLY,
};

struct allowed_call {
    int nr;
    enum arg_rule rule;
    const char *why;
};

static const struct allowed_call allowlist[] = {
    /* The run loop. */
    { SCMP_SYS(ioctl),           VCPU_IOCTL,     "KVM_RUN, register access" },
    { SCMP_SYS(ioctl),           VM_IOCTL,       "TLB flush after mprotect" },
    { SCMP_SYS(write),           FD_STDOUT_ERR,  "guest output, messages" },
    { SCMP_SYS(writev),          FD_STDOUT_ERR,  "stdio may gather writes" },
    { SCMP_SYS(read),            FD_STDIN,       "guest input (COM1 RBR)" },
    { SCMP_SYS(poll),            ANY_ARGS,       "stdin ready, stdout writable" },
    { SCMP_SYS(ppoll),           ANY_ARGS,       "the same, newer libc" },
    { SCMP_SYS(ioctl),           TTY_QUERY,      "isatty, terminal size" },
    { SCMP_SYS(fstat),           FD_STDIO,       "stdio buffering" },
    { SCMP_SYS(newfstatat),      FD_STDIO_EMPTY_PATH, "fstat in glibc 2.33+" },
    /* Time, for guests that ask (Linux personality) and for --timeout. */
    { SCMP_SYS(clock_gettime),   ANY_ARGS,       "guest clock" },
    { SCMP_SYS(clock_getres),    ANY_ARGS,       "guest clock_getres" },
    { SCMP_SYS(gettimeofday),    ANY_ARGS,       "guest clock" },
    { SCMP_SYS(time),            ANY_ARGS,       "guest clock" },
    { SCMP_SYS(nanosleep),       ANY_ARGS,       "guest sleep" },
    { SCMP_SYS(clock_nanosleep), ANY_ARGS,       "guest sleep" },
    { SCMP_SYS(getrandom),       ANY_ARGS,       "guest getrandom" },
    { SCMP_SYS(setitimer),       ANY_ARGS,       "--timeout, flush grace" },
    /* Signals: timeout, SIGINT, SIGTERM, SIGPIPE ignored, this handler. */
    { SCMP_SYS(rt_sigaction),    ANY_ARGS,       "install/restore handlers" },
    { SCMP_SYS(rt_sigprocmask),  ANY_ARGS,       "signal masks" },
    { SCMP_SYS(rt_sigreturn),    ANY_ARGS,       "return from a handler" },
    /* A sleep, poll or wait interrupted by SIGSTOP (^Z) resumes after
     * SIGCONT through restart_syscall. */
    { SCMP_SYS(restart_syscall), ANY_ARGS,       "resume after ^Z / fg" },
    { SCMP_SYS(getpid),          ANY_ARGS,       "libc" },
    { SCMP_SYS(gettid),          ANY_ARGS,       "libc" },
    /* Memory: malloc/free in the crash report (libdw) and teardown. */
    { SCMP_SYS(brk),             ANY_ARGS,       "malloc" },
    { SCMP_SYS(mmap),            NO_PROT_EXEC,   "malloc, libdw; never code" },
    { SCMP_SYS(mprotect),        NO_PROT_EXEC,   "malloc; never code" },
    { SCMP_SYS(munmap),          ANY_ARGS,       "free, teardown" },
    { SCMP_SYS(mremap),          ANY_ARGS,       "realloc of large blocks" },
    { SCMP_SYS(madvise),         MADV_DONTNEED_ONLY, "drop guest RAM pages" },
    /* glibc's qsort asks for the RAM size (sysconf(_SC_PHYS_PAGES)) before
     * sorting more than 1 KiB; libdw sorts line tables and aranges.  Found
     * by AFL++ (docs/security.md). */
    { SCMP_SYS(sysinfo),         ANY_ARGS,       "qsort in libdw" },
    /* The end. */
    { SCMP_SYS(close),           ANY_ARGS,       "teardown" },
    { SCMP_SYS(exit),            ANY_ARGS,       "exit" },
    { SCMP_SYS(exit_group),      ANY_ARGS,       "exit" },
};

/* The only ioctls on the vCPU fd: run it and read/write its registers. */
static const unsigned long vcpu_ioctls[] = {
    KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
};

/* The only ioctl on the VM fd: re-adding the RAM slot is how the Linux
 * personality drops stale translations after reducing page rights
 * (vm_flush_tlb in kvm.c). */
static const unsigned long vm_ioctls[] = { KVM_SET_USER_MEMORY_REGION };

static const unsigned long tty_ioctls[] = { TCGETS, TIOCGWINSZ };

/* SCMP_A0() and friends leave datum_b out, which clang warns about. */
static struct scmp_arg_cmp arg_cmp(unsigned arg, enum scmp_compare op,
                                   scmp_datum_t a, scmp_datum_t b)
{
    return (struct scmp_arg_cmp){ .arg = arg, .op = op, .datum_a = a,
                                  .datum_b = b };
}

static int add_rule(scmp_filter_ctx ctx, int nr, unsigned n,
                    const struct scmp_arg_cmp *cmp)
{
    return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
}

static int add_fd_ioctls(scmp_filter_ctx ctx, int fd,
                         const unsigned long *reqs, size_t nreqs)
{
    for (size_t i = 0; i < nreqs; i++) {
        struct scmp_arg_cmp cmp[] = {
            arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)fd, 0),
            arg_cmp(1, SCMP_CMP_EQ, reqs[i], 0),
        };
        int r = add_rule(ctx, SCMP_SYS(ioctl), 2, cmp);
        if (r < 0)
            return r;
    }
    return 0;
}

static int add_call(scmp_filter_ctx ctx, const struct allowed_call *c,
                    const struct vm *vm)
{
    struct scmp_arg_cmp cmp[2];
    int r = 0;

    switch (c->rule) {
    case ANY_ARGS:
        return add_rule(ctx, c->nr, 0, NULL);
    case FD_STDIN:
        cmp[0] = arg_cmp(0, SCMP_CMP_EQ, STDIN_FILENO, 0);
        return add_rule(ctx, c->nr, 1, cmp);
    case FD_STDOUT_ERR:
        cmp[0] = arg_cmp(0, SCMP_CMP_EQ, STDOUT_FILENO, 0);
        r = add_rule(ctx, c->nr, 1, cmp);
        cmp[0] = arg_cmp(0, SCMP_CMP_EQ, STDERR_FILENO, 0);
        return r < 0 ? r : add_rule(ctx, c->nr, 1, cmp);
    case FD_STDIO:
        cmp[0] = arg_cmp(0, SCMP_CMP_LE, STDERR_FILENO, 0);
        return add_rule(ctx, c->nr, 1, cmp);
    case FD_STDIO_EMPTY_PATH:
        cmp[0] = arg_cmp(0, SCMP_CMP_LE, STDERR_FILENO, 0);
        cmp[1] = arg_cmp(3, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH);
        return add_rule(ctx, c->nr, 2, cmp);
    case TTY_QUERY:
        for (int fd = STDIN_FILENO; r == 0 && fd <= STDERR_FILENO; fd++)
            r = add_fd_ioctls(ctx, fd, tty_ioctls, ARRAY_SIZE(tty_ioctls));
        return r;
    case VCPU_IOCTL:
        return add_fd_ioctls(ctx, vm->vcpu_fd, vcpu_ioctls,
                             ARRAY_SIZE(vcpu_ioctls));
    case VM_IOCTL:
        return add_fd_ioctls(ctx, vm->vm_fd, vm_ioctls, ARRAY_SIZE(vm_ioctls));
    case NO_PROT_EXEC:
        cmp[0] = arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
        return add_rule(ctx, c->nr, 1, cmp);
    case MADV_DONTNEED_ONLY:
        cmp[0] = arg_cmp(2, SCMP_CMP_EQ, MADV_DONTNEED, 0);
        return add_rule(ctx, c->nr, 1, cmp);
    }
    return -EINVAL;
}

/* ---- A refused call ------------------------------------------------------ */

/* The handler names the call from the system-call table the Linux
 * personality already has (static strings: nothing to prepare, nothing
 * allocated in a signal handler). */
static const char *syscall_name(int nr)
{
    if (nr < 0 || (size_t)nr >= sys_table_size)
        return NULL;
    return sys_table[nr].name;
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
    (void)uctx;

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
    /* Still refused, so the kernel now delivers SIGSYS with the default
     * action: killed by SIGSYS, no core (the process is not dumpable). */
    syscall(nr, 0, 0, 0, 0, 0, 0);
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

void vm_end_setup(struct vm *vm)
{
    /* The system fd is only for setup.  The VM fd stays: the Linux
     * personality re-adds the RAM slot through it (vm_ioctls[]). */
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    vm->kvm_fd = -1;
}

int vm_confine(struct vm *vm, struct kerr *err)
{
    struct sigaction sa = { .sa_sigaction = on_sigsys,
                            .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        return kerr_errno(err, errno, "sandbox: cannot handle SIGSYS");

    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx)
        return kerr_set(err, "sandbox: seccomp_init failed");
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
                             SCMP_ACT_KILL_PROCESS);
    for (size_t i = 0; r == 0 && i < ARRAY_SIZE(allowlist); i++) {
        r = add_call(ctx, &allowlist[i], vm);
        if (r < 0) {
            seccomp_release(ctx);
            return kerr_errno(err, -r, "sandbox: cannot allow system call "
                              "%d (%s)", allowlist[i].nr, allowlist[i].why);
        }
    }
    if (r == 0)
        r = seccomp_load(ctx);   /* sets no_new_privs itself */
    seccomp_release(ctx);
    if (r < 0)
        return kerr_errno(err, -r, "sandbox: cannot install the seccomp "
                          "filter (use --no-sandbox to run without it)");
    return 0;
}

void sandbox_probe(void)
{
    /* Harmless, and on no allowlist: must be refused when confined. */
    (void)syscall(SYS_getppid);
}
