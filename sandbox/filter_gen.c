/*
 * The sandbox's policy, compiled at build time (a build tool, not part of
 * kvmelf): libseccomp turns the allowlist below into a BPF program, which
 * this program prints as a C header that sandbox/sandbox.c includes.
 *
 *   sandbox-filter-gen OUT.h
 *
 * Compiling the filter at run time cost about 0.7 ms of every start (rule
 * building and BPF generation), a fifth of a hello run; loading a ready
 * program costs one prctl.  The filter can be fixed in advance because
 * kvmelf moves the VM and vCPU fds to SANDBOX_VM_FD and
 * SANDBOX_VCPU_FD first.  docs/security.md copies the allowlist.
 */
#include "sandbox/sandbox.h"

#include <linux/kvm.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <linux/filter.h>

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
    MADV_ADVICE,     /* madvise with one of madvise_advice[]              */
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
    /* Memory: malloc/free in the crash report (libelf inflating a
     * section) and teardown. */
    { SCMP_SYS(brk),             ANY_ARGS,       "malloc" },
    { SCMP_SYS(mmap),            NO_PROT_EXEC,   "malloc, libelf; never code" },
    { SCMP_SYS(mprotect),        NO_PROT_EXEC,   "malloc; never code" },
    { SCMP_SYS(munmap),          ANY_ARGS,       "free, teardown" },
    { SCMP_SYS(mremap),          ANY_ARGS,       "realloc of large blocks" },
    { SCMP_SYS(madvise),         MADV_ADVICE,    "drop guest RAM pages; "
                                                 "malloc's own advice" },
    /* glibc's qsort asks for the RAM size (sysconf(_SC_PHYS_PAGES)) before
     * sorting more than 1 KiB; libdw sorted line tables in reports.  Found
     * by AFL++ (docs/security.md). */
    { SCMP_SYS(sysinfo),         ANY_ARGS,       "glibc's qsort" },
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

/* MADV_DONTNEED drops guest RAM pages (munmap, MADV_DONTNEED from the
 * guest) and is how allocators return memory.  The others only tune how
 * the kernel treats our own mappings, and an allocator may give them at
 * any time: ASan's does (DONTDUMP for its shadow, NOHUGEPAGE and HUGEPAGE
 * for big chunks) once a crash report's line table or a guest's 65,000
 * mappings make it map more (make sanitize died of SIGSYS there).  None
 * of them reads, writes or exposes memory. */
static const unsigned long madvise_advice[] = {
    MADV_DONTNEED, MADV_DONTDUMP, MADV_NOHUGEPAGE, MADV_HUGEPAGE,
};

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

static int add_call(scmp_filter_ctx ctx, const struct allowed_call *c)
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
        return add_fd_ioctls(ctx, SANDBOX_VCPU_FD, vcpu_ioctls,
                             ARRAY_SIZE(vcpu_ioctls));
    case VM_IOCTL:
        return add_fd_ioctls(ctx, SANDBOX_VM_FD, vm_ioctls,
                             ARRAY_SIZE(vm_ioctls));
    case NO_PROT_EXEC:
        cmp[0] = arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
        return add_rule(ctx, c->nr, 1, cmp);
    case MADV_ADVICE:
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(madvise_advice); i++) {
            cmp[0] = arg_cmp(2, SCMP_CMP_EQ, madvise_advice[i], 0);
            r = add_rule(ctx, c->nr, 1, cmp);
        }
        return r;
    }
    return -EINVAL;
}

/* ---- Output -------------------------------------------------------------- */

/* The kernel API level the program is written for: 3 has
 * SECCOMP_RET_KILL_PROCESS (Linux 4.14).  Setting it keeps libseccomp from
 * probing the build machine's kernel, so the program does not depend on
 * where kvmelf is built; a kernel older than that refuses it at run time,
 * with the --no-sandbox hint. */
#define FILTER_API_LEVEL 3

static scmp_filter_ctx build_filter(void)
{
    if (seccomp_api_set(FILTER_API_LEVEL) != 0) {
        fprintf(stderr, "sandbox-filter-gen: libseccomp has no API level "
                "%d\n", FILTER_API_LEVEL);
        return NULL;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx) {
        fprintf(stderr, "sandbox-filter-gen: seccomp_init failed\n");
        return NULL;
    }
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
                             SCMP_ACT_KILL_PROCESS);
    if (r < 0)
        fprintf(stderr, "sandbox-filter-gen: cannot set the bad-arch action: "
                "%s\n", strerror(-r));
    for (size_t i = 0; r == 0 && i < ARRAY_SIZE(allowlist); i++) {
        r = add_call(ctx, &allowlist[i]);
        if (r < 0)
            fprintf(stderr, "sandbox-filter-gen: cannot allow system call %d "
                    "(%s): %s\n", allowlist[i].nr, allowlist[i].why,
                    strerror(-r));
    }
    if (r < 0) {
        seccomp_release(ctx);
        return NULL;
    }
    return ctx;
}

/* libseccomp exports the program only to a file descriptor. */
static int export_program(scmp_filter_ctx ctx, struct sock_filter **prog,
                          size_t *len)
{
    FILE *tmp = tmpfile();
    long size;

    if (!tmp || seccomp_export_bpf(ctx, fileno(tmp)) < 0 ||
        (size = ftell(tmp)) <= 0 || size % (long)sizeof **prog != 0 ||
        fseek(tmp, 0, SEEK_SET) != 0 ||
        !(*prog = malloc((size_t)size)) ||
        fread(*prog, 1, (size_t)size, tmp) != (size_t)size) {
        fprintf(stderr, "sandbox-filter-gen: cannot export the BPF program\n");
        if (tmp)
            fclose(tmp);
        return -1;
    }
    fclose(tmp);
    *len = (size_t)size / sizeof **prog;
    return 0;
}

static int write_header(FILE *f, const struct sock_filter *prog, size_t len)
{
    fprintf(f, "/* Generated by sandbox/filter_gen.c from its allowlist "
            "(libseccomp %u.%u.%u): do not edit. */\n"
            "static const struct sock_filter sandbox_filter[%zu] = {\n",
            seccomp_version()->major, seccomp_version()->minor,
            seccomp_version()->micro, len);
    for (size_t i = 0; i < len; i++)
        fprintf(f, "    { 0x%04x, %u, %u, 0x%08x },\n", prog[i].code,
                prog[i].jt, prog[i].jf, prog[i].k);
    fprintf(f, "};\n");
    return ferror(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
    struct sock_filter *prog = NULL;
    size_t len = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: sandbox-filter-gen OUT.h\n");
        return 2;
    }
    scmp_filter_ctx ctx = build_filter();
    if (!ctx)
        return 1;
    int r = export_program(ctx, &prog, &len);
    seccomp_release(ctx);
    if (r < 0)
        return 1;
    /* Written beside and renamed: a failed run leaves no half header. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    FILE *f = fopen(tmp, "w");
    r = f ? write_header(f, prog, len) : -1;
    if (f && fclose(f) != 0)
        r = -1;
    free(prog);
    if (r < 0 || rename(tmp, argv[1]) != 0) {
        fprintf(stderr, "sandbox-filter-gen: %s: %s\n", argv[1],
                strerror(errno));
        (void)remove(tmp);
        return 1;
    }
    return 0;
}
