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

/* Linux 6.6's fchmodat2, which this libseccomp and libc do not name yet:
 * the x86-64 number. */
#define SYS_FCHMODAT2 452

/* ---- The allowlist ------------------------------------------------------ */

enum arg_rule {
    ANY_ARGS,        /* the call is harmless with any arguments           */
    FD_STDIN,        /* arg0 == 0                                         */
    FD_STDOUT_ERR,   /* arg0 == 1 or arg0 == 2                             */
    FD_STDIO,        /* arg0 <= 2                                         */
    FD_FILE,         /* arg0 >= SANDBOX_FIRST_FILE_FD: the guest's files  */
    DIRFD,           /* arg0 a non-negative int: no AT_FDCWD              */
    DIRFD_ARG1,      /* the same for arg1 (symlinkat's newdirfd)          */
    DIRFDS_0_2,      /* the same for arg0 and arg2 (renameat2, linkat)    */
    DIRFD_EMPTY_PATH,    /* DIRFD, and arg3 has AT_EMPTY_PATH              */
    DIRFD_EMPTY_PATH_A4, /* DIRFD, and arg4 has AT_EMPTY_PATH (fchownat)   */
    DIRFD_NULL_PATH, /* DIRFD, arg1 NULL and arg3 0: futimens             */
    FILE_FCNTL,      /* fcntl(0..2 or a file, one of fcntl_cmds[])        */
    FILE_IOCTL,      /* ioctl(any fd, one of file_ioctls[])               */
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
    { SCMP_SYS(poll),            ANY_ARGS,       "stdin ready, stdout writable, "
                                                 "the guest's poll" },
    { SCMP_SYS(ppoll),           ANY_ARGS,       "the same, newer libc" },
    { SCMP_SYS(ioctl),           FILE_IOCTL,     "isatty, terminal size, "
                                                 "FIONREAD" },
    { SCMP_SYS(fstat),           FD_STDIO,       "stdio buffering" },
    { SCMP_SYS(newfstatat),      DIRFD_EMPTY_PATH, "fstat in glibc 2.33+" },
    /* The guest's files (linux/files.c, linux/paths.c): every host file
     * it reaches is an fd from openat2 beneath a granted directory's fd,
     * which Landlock confines to the granted trees; kvmelf's own fds
     * (0-2, the VM and the vCPU) are below SANDBOX_FIRST_FILE_FD.  A call
     * that names a directory entry takes a directory fd, never AT_FDCWD,
     * and the calls that change a file's metadata act on an fd (an empty
     * path), so no path is resolved from the working directory. */
    { SCMP_SYS(read),            FD_FILE,        "the guest's read" },
    { SCMP_SYS(write),           FD_FILE,        "the guest's write" },
    { SCMP_SYS(readv),           FD_STDIN,       "the guest's readv" },
    { SCMP_SYS(readv),           FD_FILE,        "the guest's readv" },
    { SCMP_SYS(writev),          FD_FILE,        "the guest's writev" },
    { SCMP_SYS(pread64),         FD_FILE,        "the guest's pread" },
    { SCMP_SYS(pwrite64),        FD_FILE,        "the guest's pwrite" },
    { SCMP_SYS(preadv),          FD_FILE,        "the guest's preadv" },
    { SCMP_SYS(pwritev),         FD_FILE,        "the guest's pwritev" },
    { SCMP_SYS(preadv2),         FD_FILE,        "the guest's preadv2" },
    { SCMP_SYS(pwritev2),        FD_FILE,        "the guest's pwritev2" },
    { SCMP_SYS(lseek),           FD_FILE,        "the guest's lseek" },
    { SCMP_SYS(fstat),           FD_FILE,        "the guest's fstat, stat" },
    { SCMP_SYS(fstatfs),         FD_FILE,        "the guest's statfs" },
    { SCMP_SYS(getdents64),      FD_FILE,        "the guest's getdents64" },
    { SCMP_SYS(ftruncate),       FD_FILE,        "the guest's truncate" },
    { SCMP_SYS(fallocate),       FD_FILE,        "the guest's fallocate" },
    { SCMP_SYS(fsync),           FD_FILE,        "the guest's fsync" },
    { SCMP_SYS(fdatasync),       FD_FILE,        "the guest's fdatasync" },
    { SCMP_SYS(syncfs),          FD_FILE,        "the guest's sync, syncfs" },
    { SCMP_SYS(flock),           FD_FILE,        "the guest's flock" },
    { SCMP_SYS(fchmod),          FD_FILE,        "the guest's fchmod" },
    { SCMP_SYS(fchown),          FD_FILE,        "the guest's fchown" },
    { SCMP_SYS(fcntl),           FILE_FCNTL,     "flags, record locks, pipe "
                                                 "size" },
    { SCMP_SYS(pipe2),           ANY_ARGS,       "the guest's pipes" },
    { SCMP_SYS(openat2),         DIRFD,          "open beneath a grant "
                                                 "(RESOLVE_BENEATH)" },
    { SCMP_SYS(openat),          DIRFD,          "open beneath a grant where "
                                                 "openat2 is missing, one "
                                                 "component at a time" },
    { SCMP_SYS(mkdirat),         DIRFD,          "the guest's mkdir" },
    { SCMP_SYS(unlinkat),        DIRFD,          "the guest's unlink, rmdir" },
    { SCMP_SYS(readlinkat),      DIRFD,          "the guest's readlink" },
    { SCMP_SYS(symlinkat),       DIRFD_ARG1,     "the guest's symlink" },
    { SCMP_SYS(renameat2),       DIRFDS_0_2,     "the guest's rename" },
    { SCMP_SYS(linkat),          DIRFDS_0_2,     "the guest's link" },
    { SCMP_SYS(faccessat2),      DIRFD_EMPTY_PATH, "the guest's access" },
    { SYS_FCHMODAT2,             DIRFD_EMPTY_PATH, "the guest's chmod" },
    { SCMP_SYS(fchownat),        DIRFD_EMPTY_PATH_A4, "the guest's chown" },
    { SCMP_SYS(utimensat),       DIRFD_EMPTY_PATH, "the guest's utimensat" },
    { SCMP_SYS(utimensat),       DIRFD_NULL_PATH, "the guest's futimens" },
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
    { SCMP_SYS(mincore),         ANY_ARGS,       "which freed guest pages "
                                                 "to zero in place" },
    { SCMP_SYS(madvise),         MADV_ADVICE,    "drop guest RAM pages; "
                                                 "malloc's own advice" },
    /* glibc's qsort asks for the RAM size (sysconf(_SC_PHYS_PAGES)) before
     * sorting more than 1 KiB; libdw sorted line tables in reports.  Found
     * by AFL++ (docs/security.md). */
    { SCMP_SYS(sysinfo),         ANY_ARGS,       "glibc's qsort" },
    /* The end. */
    { SCMP_SYS(close),           ANY_ARGS,       "teardown, the guest's close" },
    { SCMP_SYS(exit),            ANY_ARGS,       "exit" },
    { SCMP_SYS(exit_group),      ANY_ARGS,       "exit" },
};

/* The only ioctls on the vCPU fd: run it and read/write its registers
 * (the x87/SSE/AVX ones for gdb, --gdb). */
static const unsigned long vcpu_ioctls[] = {
    KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
    KVM_GET_XSAVE, KVM_SET_XSAVE,
};

/* The only ioctl on the VM fd: re-adding the RAM slot is how the Linux
 * personality drops stale translations after reducing page rights
 * (vm_flush_tlb in kvm.c). */
static const unsigned long vm_ioctls[] = { KVM_SET_USER_MEMORY_REGION };

/* On any fd: they only ask (a terminal's settings and size, the bytes
 * waiting in a pipe or file), and on the VM or vCPU fd KVM answers
 * ENOTTY. */
static const unsigned long file_ioctls[] = { TCGETS, TIOCGWINSZ, FIONREAD };

/* What the guest's fcntl needs of a host fd: its status flags, record
 * locks (F_SETLKW waits for no one: the guest is the only process), a
 * pipe's size.  Not F_DUPFD (the fd table shares open files itself) nor
 * F_SETFD (every host fd is close-on-exec from its open). */
static const unsigned long fcntl_cmds[] = {
    F_GETFL, F_SETFL, F_GETFD, F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK,
    F_OFD_SETLK, F_OFD_SETLKW, F_GETPIPE_SZ, F_SETPIPE_SZ,
};

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

/* An int argument that is not negative, in either form it may take in
 * its 64-bit register: sign-extended (0xffffffffffffff9c for AT_FDCWD, as
 * libc passes it) or not (0x00000000ffffff9c; the kernel reads only the
 * low half).  Both have a bit set under this mask; 0 to INT_MAX have
 * none. */
#define INT_NEGATIVE_BITS 0xffffffff80000000ULL

static struct scmp_arg_cmp dirfd_cmp(unsigned arg)
{
    return arg_cmp(arg, SCMP_CMP_MASKED_EQ, INT_NEGATIVE_BITS, 0);
}

/* An fd kvmelf opened for the guest: SANDBOX_FIRST_FILE_FD and up.  One
 * unsigned 64-bit comparison (libseccomp takes one per argument), so it
 * also lets through a negative fd, which the kernel reads as a huge
 * unsigned one: EBADF.  No int, sign-extended or not, reads as 0-4. */
static struct scmp_arg_cmp file_fd_cmp(void)
{
    return arg_cmp(0, SCMP_CMP_GE, SANDBOX_FIRST_FILE_FD, 0);
}

static struct scmp_arg_cmp empty_path_cmp(unsigned arg)
{
    return arg_cmp(arg, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH);
}

/* fcntl(fd, cmd) for the stdio fds and the guest's files, with cmd one of
 * fcntl_cmds[]. */
static int add_fcntls(scmp_filter_ctx ctx, int nr)
{
    const struct scmp_arg_cmp fds[] = {
        arg_cmp(0, SCMP_CMP_LE, STDERR_FILENO, 0), file_fd_cmp(),
    };
    int r = 0;

    for (size_t f = 0; r == 0 && f < ARRAY_SIZE(fds); f++)
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(fcntl_cmds); i++) {
            struct scmp_arg_cmp cmp[] = {
                fds[f], arg_cmp(1, SCMP_CMP_EQ, fcntl_cmds[i], 0),
            };
            r = add_rule(ctx, nr, 2, cmp);
        }
    return r;
}

static int add_file_ioctls(scmp_filter_ctx ctx, int nr)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < ARRAY_SIZE(file_ioctls); i++) {
        struct scmp_arg_cmp cmp = arg_cmp(1, SCMP_CMP_EQ, file_ioctls[i], 0);
        r = add_rule(ctx, nr, 1, &cmp);
    }
    return r;
}

/* The rules over files, directory fds and paths. */
static int add_file_call(scmp_filter_ctx ctx, const struct allowed_call *c)
{
    struct scmp_arg_cmp cmp[3];

    switch (c->rule) {
    case FD_FILE:
        cmp[0] = file_fd_cmp();
        return add_rule(ctx, c->nr, 1, cmp);
    case DIRFD:
        cmp[0] = dirfd_cmp(0);
        return add_rule(ctx, c->nr, 1, cmp);
    case DIRFD_ARG1:
        cmp[0] = dirfd_cmp(1);
        return add_rule(ctx, c->nr, 1, cmp);
    case DIRFDS_0_2:
        cmp[0] = dirfd_cmp(0);
        cmp[1] = dirfd_cmp(2);
        return add_rule(ctx, c->nr, 2, cmp);
    case DIRFD_EMPTY_PATH:
        cmp[0] = dirfd_cmp(0);
        cmp[1] = empty_path_cmp(3);
        return add_rule(ctx, c->nr, 2, cmp);
    case DIRFD_EMPTY_PATH_A4:
        cmp[0] = dirfd_cmp(0);
        cmp[1] = empty_path_cmp(4);
        return add_rule(ctx, c->nr, 2, cmp);
    case DIRFD_NULL_PATH:
        cmp[0] = dirfd_cmp(0);
        cmp[1] = arg_cmp(1, SCMP_CMP_EQ, 0, 0);
        cmp[2] = arg_cmp(3, SCMP_CMP_EQ, 0, 0);
        return add_rule(ctx, c->nr, 3, cmp);
    case FILE_FCNTL:
        return add_fcntls(ctx, c->nr);
    case FILE_IOCTL:
        return add_file_ioctls(ctx, c->nr);
    default:
        return -EINVAL;
    }
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
    default:
        return add_file_call(ctx, c);
    }
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
