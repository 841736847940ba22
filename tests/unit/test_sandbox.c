/*
 * The sandbox, without KVM: each case forks a child that confines itself
 * as kvmelf does (vm_move_fds, then sandbox_confine with one writable
 * tree, a scratch directory; stand-in fds on /dev/null where the VM and
 * vCPU fds would be, the scratch directory's file and directory where the
 * guest's files would be), makes system calls and reports by its exit
 * status.  An allowed call must come back (with whatever error it gets),
 * a refused one must kill the child with SIGSYS after one line naming it.
 * This is the filter kvmelf runs under, compiled at build time by
 * sandbox/filter_gen.c.  The Landlock cases check what a confined process
 * can open, inside the granted trees and outside them.
 */
#include "sandbox/sandbox.h"
#include "vcpu/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <cmocka.h>

#define CHILD_OK         0
#define CHILD_NO_CONFINE 3     /* confine() failed */

/* Where the guest's files would be: a file and a directory of the scratch
 * tree, and the tree's own O_PATH fd that Landlock's rule names. */
#define FILE_FD (SANDBOX_FIRST_FILE_FD)
#define DIR_FD  (SANDBOX_FIRST_FILE_FD + 1)
#define TREE_FD (SANDBOX_FIRST_FILE_FD + 2)
#define MISSING "kvmelf-sandbox-test-missing"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* The scratch tree (a directory with the file "f"), made once. */
static char scratch[64];

/* A confined child ends with the bare system call: _exit() in a sanitizer
 * build first runs LeakSanitizer, whose sigaltstack/clone/ptrace the
 * filter rightly refuses (kvmelf itself turns it off, src/main.c).  Not a
 * noreturn function either: ASan calls sigaltstack before each call to
 * one (__asan_handle_no_return). */
#define child_exit(status) ((void)syscall(SYS_exit_group, (status)))

enum call {
    /* allowed */
    VCPU_RUN, VCPU_GET_REGS, VM_SET_SLOT, WRITE_STDOUT, WRITE_STDERR,
    TTY_QUERY, READ_STDIN, MMAP_RW, CLOCK, CLOSE_FD,
    /* glibc's qsort in libdw; ASan's allocator (make sanitize) */
    SYSINFO, MADVISE_ADVICE,
    /* the guest's files */
    FILE_IO, FILE_META, FILE_FCNTL, FILE_IOCTL, PIPE2, DIR_ENTRIES,
    /* refused */
    FIRST_REFUSED,
    GETPPID = FIRST_REFUSED, OPENAT, VM_CREATE_VCPU, VCPU_SET_CPUID,
    VCPU_IOCTL_ON_VM_FD, WRITE_OTHER_FD, READ_STDOUT, MMAP_EXEC,
    MPROTECT_EXEC, SOCKET, KILL, TTY_SET, MADVISE_REMOVE,
    /* the guest's files: nothing from the working directory, fds 3 and 4
     * are not files, metadata only through an fd */
    UNLINKAT_CWD, UNLINKAT_CWD_ZERO_EXTENDED, MKDIRAT_CWD, OPENAT2_CWD,
    SYMLINKAT_CWD, RENAMEAT2_TO_CWD, NEWFSTATAT_CWD, FACCESSAT2_PATH,
    UTIMENSAT_PATH, FCNTL_DUPFD, READ_VM_FD, FSTAT_VCPU_FD,
    CALL_COUNT
};

/* What kvmelf does once setup is over (src/main.c). */
static int confine_to(struct vm *vm, const struct linux_tree *trees,
                      size_t ntrees, struct kerr *err)
{
    struct sandbox_status st;

    if (vm_move_fds(vm, SANDBOX_VM_FD, SANDBOX_VCPU_FD, err) < 0)
        return -1;
    return sandbox_confine(trees, ntrees, &st, err);
}

/* With no files granted. */
static int confine(struct vm *vm, struct kerr *err)
{
    return confine_to(vm, NULL, 0, err);
}

/* Each call on the guest's files, through the bare system call where libc
 * might pick another one.  Results are ignored: only coming back counts. */
static long file_io(void)
{
    char buf[8];
    struct iovec iov = { buf, sizeof buf };

    (void)!read(FILE_FD, buf, sizeof buf);
    (void)!write(FILE_FD, "x", 1);
    (void)!readv(FILE_FD, &iov, 1);
    (void)!readv(STDIN_FILENO, &iov, 0);
    (void)!writev(FILE_FD, &iov, 1);
    (void)!pread(FILE_FD, buf, sizeof buf, 0);
    (void)!pwrite(FILE_FD, buf, 1, 0);
    (void)!syscall(SYS_preadv, FILE_FD, &iov, 1, 0, 0);
    (void)!syscall(SYS_pwritev, FILE_FD, &iov, 1, 0, 0);
    (void)!syscall(SYS_preadv2, FILE_FD, &iov, 1, 0, 0, 0);
    (void)!syscall(SYS_pwritev2, FILE_FD, &iov, 1, 0, 0, 0);
    return lseek(FILE_FD, 0, SEEK_SET);
}

static long file_meta(void)
{
    struct stat st;
    struct statfs sf;
    char dents[512];

    (void)!syscall(SYS_fstat, FILE_FD, &st);
    (void)!syscall(SYS_newfstatat, FILE_FD, "", &st, AT_EMPTY_PATH);
    (void)!syscall(SYS_fstatfs, FILE_FD, &sf);
    (void)!syscall(SYS_getdents64, DIR_FD, dents, sizeof dents);
    (void)!ftruncate(FILE_FD, 1);
    (void)!fallocate(FILE_FD, 0, 0, 4096);
    (void)!fsync(FILE_FD);
    (void)!fdatasync(FILE_FD);
    (void)!syncfs(FILE_FD);
    (void)!flock(FILE_FD, LOCK_SH);
    (void)!flock(FILE_FD, LOCK_UN);
    (void)!fchmod(FILE_FD, 0600);
    (void)!fchown(FILE_FD, (uid_t)-1, (gid_t)-1);
    (void)!syscall(SYS_faccessat2, FILE_FD, "", R_OK, AT_EMPTY_PATH);
    (void)!syscall(SYS_fchownat, FILE_FD, "", -1, -1, AT_EMPTY_PATH);
    (void)!syscall(SYS_fchmodat2, FILE_FD, "", 0600, AT_EMPTY_PATH);
    (void)!syscall(SYS_utimensat, FILE_FD, NULL, NULL, 0);
    return syscall(SYS_utimensat, FILE_FD, "", NULL, AT_EMPTY_PATH);
}

static long file_fcntl(void)
{
    struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
    const int lock_cmds[] = { F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK,
                              F_OFD_SETLK, F_OFD_SETLKW };

    (void)!fcntl(STDOUT_FILENO, F_GETFL);
    (void)!fcntl(FILE_FD, F_SETFL, fcntl(FILE_FD, F_GETFL));
    (void)!fcntl(FILE_FD, F_GETFD);
    for (size_t i = 0; i < ARRAY_SIZE(lock_cmds); i++) {
        lk.l_type = F_RDLCK;
        lk.l_pid = 0;
        (void)!fcntl(FILE_FD, lock_cmds[i], &lk);
    }
    (void)!fcntl(FILE_FD, F_SETPIPE_SZ, 4096);     /* EBADF: not a pipe */
    return fcntl(FILE_FD, F_GETPIPE_SZ);
}

static long file_ioctl(void)
{
    struct termios tio;
    struct winsize ws;
    int n;

    (void)!ioctl(FILE_FD, FIONREAD, &n);
    (void)!ioctl(FILE_FD, TCGETS, &tio);
    return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
}

static long dir_entries(void)
{
    struct open_how how = { .flags = O_RDONLY | O_CLOEXEC,
                            .resolve = RESOLVE_BENEATH };
    char buf[8];
    long fd = syscall(SYS_openat2, TREE_FD, "f", &how, sizeof how);

    if (fd >= 0)
        close((int)fd);
    (void)!mkdirat(DIR_FD, "d", 0700);
    (void)!unlinkat(DIR_FD, "d", AT_REMOVEDIR);
    (void)!symlinkat("f", DIR_FD, "l");
    (void)!readlinkat(DIR_FD, "l", buf, sizeof buf);
    (void)!unlinkat(DIR_FD, "l", 0);
    (void)!linkat(DIR_FD, "f", DIR_FD, "h", 0);
    (void)!syscall(SYS_renameat2, DIR_FD, "h", DIR_FD, "h2", 0);
    return unlinkat(DIR_FD, "h2", 0);
}

/* The refused calls on files, each as kvmelf could get it wrong. */
static long refused_file_call(enum call c)
{
    struct open_how how = { .flags = O_RDONLY };
    struct stat st;
    char buf[8];

    switch (c) {
    case UNLINKAT_CWD:   return syscall(SYS_unlinkat, AT_FDCWD, MISSING, 0);
    case UNLINKAT_CWD_ZERO_EXTENDED:    /* what an int in a raw register
                                           may look like */
        return syscall(SYS_unlinkat, (unsigned long)(unsigned)AT_FDCWD,
                       MISSING, 0);
    case MKDIRAT_CWD:    return syscall(SYS_mkdirat, AT_FDCWD, MISSING, 0700);
    case OPENAT2_CWD:
        return syscall(SYS_openat2, AT_FDCWD, MISSING, &how, sizeof how);
    case SYMLINKAT_CWD:  return syscall(SYS_symlinkat, "f", AT_FDCWD, MISSING);
    case RENAMEAT2_TO_CWD:
        return syscall(SYS_renameat2, DIR_FD, MISSING, AT_FDCWD, MISSING, 0);
    case NEWFSTATAT_CWD:
        return syscall(SYS_newfstatat, AT_FDCWD, "", &st, AT_EMPTY_PATH);
    case FACCESSAT2_PATH:
        return syscall(SYS_faccessat2, DIR_FD, MISSING, R_OK, 0);
    case UTIMENSAT_PATH: return syscall(SYS_utimensat, DIR_FD, "f", NULL, 0);
    case FCNTL_DUPFD:    return fcntl(FILE_FD, F_DUPFD, 0);
    case READ_VM_FD:     return read(SANDBOX_VM_FD, buf, sizeof buf);
    case FSTAT_VCPU_FD:  return syscall(SYS_fstat, SANDBOX_VCPU_FD, &st);
    default:             return 0;
    }
}

/* Returns only when the call came back. */
static long make_call(enum call c)
{
    struct kvm_regs regs;
    struct kvm_userspace_memory_region slot = { 0 };
    struct termios tio;
    struct timespec ts;
    void *p;

    switch (c) {
    case VCPU_RUN:       return ioctl(SANDBOX_VCPU_FD, KVM_RUN, 0);
    case VCPU_GET_REGS:  return ioctl(SANDBOX_VCPU_FD, KVM_GET_REGS, &regs);
    case VM_SET_SLOT:    return ioctl(SANDBOX_VM_FD, KVM_SET_USER_MEMORY_REGION, &slot);
    case WRITE_STDOUT:   return write(STDOUT_FILENO, "", 0);
    case WRITE_STDERR:   return write(STDERR_FILENO, "", 0);
    case TTY_QUERY:      return ioctl(STDIN_FILENO, TCGETS, &tio);
    case READ_STDIN:     return read(STDIN_FILENO, &tio, 0);
    case MMAP_RW:
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? -1 : munmap(p, 4096);
    case CLOCK:          return clock_gettime(CLOCK_MONOTONIC, &ts);
    case CLOSE_FD:       return close(99);
    case SYSINFO: {
        struct sysinfo si;
        return syscall(SYS_sysinfo, &si);
    }
    case MADVISE_ADVICE:
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED || madvise(p, 4096, MADV_DONTDUMP) ||
               madvise(p, 4096, MADV_NOHUGEPAGE) ||
               madvise(p, 4096, MADV_HUGEPAGE) ||
               madvise(p, 4096, MADV_DONTNEED) ? -1 : munmap(p, 4096);
    case MADVISE_REMOVE:
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? -1 : madvise(p, 4096, MADV_REMOVE);
    case GETPPID:        return syscall(SYS_getppid);
    case OPENAT:         return syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
    case VM_CREATE_VCPU: return ioctl(SANDBOX_VM_FD, KVM_CREATE_VCPU, 1);
    case VCPU_SET_CPUID: return ioctl(SANDBOX_VCPU_FD, KVM_SET_CPUID2, NULL);
    case VCPU_IOCTL_ON_VM_FD: return ioctl(SANDBOX_VM_FD, KVM_RUN, 0);
    case WRITE_OTHER_FD: return write(SANDBOX_VCPU_FD, "", 0);
    case READ_STDOUT:    return read(STDOUT_FILENO, &tio, 0);
    case MMAP_EXEC:
        p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? -1 : 0;
    case MPROTECT_EXEC:  return mprotect(&regs, 1, PROT_READ | PROT_EXEC);
    case SOCKET:         return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    case KILL:           return syscall(SYS_kill, 1, 0);
    case TTY_SET:        return ioctl(STDIN_FILENO, TCSETS, &tio);
    case FILE_IO:        return file_io();
    case FILE_META:      return file_meta();
    case FILE_FCNTL:     return file_fcntl();
    case FILE_IOCTL:     return file_ioctl();
    case PIPE2: {
        int fds[2];
        return pipe2(fds, O_CLOEXEC) ? -1 : close(fds[0]) | close(fds[1]);
    }
    case DIR_ENTRIES:    return dir_entries();
    default:             return refused_file_call(c);
    }
}

/* /dev/null at fd `at` (which must be free) */
static void null_at(int at)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd != at && dup2(fd, at) == at)
        close(fd);
}

/* path opened at fd `at` (which must be free); false when it cannot be. */
static bool open_at(const char *path, int flags, int at)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0 || fd == at)
        return fd == at;
    bool ok = dup3(fd, at, O_CLOEXEC) == at;
    close(fd);
    return ok;
}

/* The guest's files as kvmelf would have them open: the scratch file and
 * directory, and the tree's O_PATH fd. */
static bool scratch_fds(void)
{
    char file[sizeof scratch + 8];

    snprintf(file, sizeof file, "%s/f", scratch);
    return open_at(file, O_RDWR, FILE_FD) &&
           open_at(scratch, O_RDONLY | O_DIRECTORY, DIR_FD) &&
           open_at(scratch, O_PATH | O_DIRECTORY, TREE_FD);
}

/* Forks a child that confines itself to the scratch tree (writable) and
 * makes call c; returns its wait status and what it wrote to stderr. */
static int confined_call(enum call c, int vm_fd, int vcpu_fd, char *errbuf,
                         size_t errcap)
{
    int pipefd[2];

    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        null_at(vm_fd);
        null_at(vcpu_fd);
        if (!scratch_fds())
            child_exit(CHILD_NO_CONFINE);
        const struct linux_tree tree = { .fd = TREE_FD, .host = scratch,
                                         .guest = "/scratch", .rw = true };
        struct vm vm = { .kvm_fd = -1, .vm_fd = vm_fd, .vcpu_fd = vcpu_fd };
        struct kerr err;
        if (confine_to(&vm, &tree, 1, &err) < 0) {
            (void)!write(STDERR_FILENO, err.msg, strlen(err.msg));
            child_exit(CHILD_NO_CONFINE);
        }
        make_call(c);
        child_exit(CHILD_OK);
    }
    close(pipefd[1]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    ssize_t n = read(pipefd[0], errbuf, errcap - 1);
    errbuf[n > 0 ? n : 0] = '\0';
    close(pipefd[0]);
    return status;
}

static bool under_valgrind(void)
{
    /* valgrind's own system calls would meet the filter. */
    if (!getenv("KVMELF_UNDER_VALGRIND"))
        return false;
    fprintf(stderr, "SKIPPED: the seccomp filter is not installed under "
            "valgrind\n");
    return true;
}

static void test_allowed_calls_come_back(void **state)
{
    (void)state;
    if (under_valgrind())
        skip();
    for (enum call c = VCPU_RUN; c < FIRST_REFUSED; c++) {
        char err[256];
        int st = confined_call(c, SANDBOX_VM_FD, SANDBOX_VCPU_FD, err,
                               sizeof err);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != CHILD_OK)
            fail_msg("call %d: status %#x, stderr '%s'", c, st, err);
        assert_string_equal(err, "");
    }
}

static void test_refused_calls_die_of_sigsys(void **state)
{
    static const char *const names[] = {
        [GETPPID] = "(getppid)", [OPENAT] = "(openat)",
        [VM_CREATE_VCPU] = "(ioctl)", [VCPU_SET_CPUID] = "(ioctl)",
        [VCPU_IOCTL_ON_VM_FD] = "(ioctl)", [WRITE_OTHER_FD] = "(write)",
        [READ_STDOUT] = "(read)", [MMAP_EXEC] = "(mmap)",
        [MPROTECT_EXEC] = "(mprotect)", [SOCKET] = "(socket)",
        [KILL] = "(kill)", [TTY_SET] = "(ioctl)",
        [MADVISE_REMOVE] = "(madvise)",
        [UNLINKAT_CWD] = "(unlinkat)",
        [UNLINKAT_CWD_ZERO_EXTENDED] = "(unlinkat)",
        [MKDIRAT_CWD] = "(mkdirat)", [OPENAT2_CWD] = "(openat2)",
        [SYMLINKAT_CWD] = "(symlinkat)", [RENAMEAT2_TO_CWD] = "(renameat2)",
        [NEWFSTATAT_CWD] = "(newfstatat)",
        [FACCESSAT2_PATH] = "(faccessat2)", [UTIMENSAT_PATH] = "(utimensat)",
        [FCNTL_DUPFD] = "(fcntl)", [READ_VM_FD] = "(read)",
        [FSTAT_VCPU_FD] = "(fstat)",
    };
    (void)state;
    if (under_valgrind())
        skip();
    for (enum call c = FIRST_REFUSED; c < CALL_COUNT; c++) {
        char err[256];
        int st = confined_call(c, SANDBOX_VM_FD, SANDBOX_VCPU_FD, err,
                               sizeof err);
        if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
            fail_msg("call %d: status %#x, stderr '%s'", c, st, err);
        if (!strstr(err, "the sandbox refused system call") ||
            !strstr(err, names[c]) || !strstr(err, "--no-sandbox"))
            fail_msg("call %d: stderr '%s'", c, err);
    }
}

/* The VM and vCPU fds land wherever the setup left them; vm_confine moves
 * them to the numbers the filter names. */
static void test_fds_moved_to_the_filters_numbers(void **state)
{
    (void)state;
    if (under_valgrind())
        skip();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct kvm_userspace_memory_region slot = { 0 };
        struct kerr err;
        null_at(7);
        null_at(9);
        struct vm vm = { .kvm_fd = -1, .vm_fd = 7, .vcpu_fd = 9 };
        if (confine(&vm, &err) < 0)
            child_exit(1);
        if (vm.vm_fd != SANDBOX_VM_FD || vm.vcpu_fd != SANDBOX_VCPU_FD)
            child_exit(2);
        /* /dev/null now at 3 and 4 (ENOTTY, not EBADF); 7 and 9 closed. */
        if (ioctl(SANDBOX_VM_FD, KVM_SET_USER_MEMORY_REGION, &slot) != -1 ||
            errno != ENOTTY)
            child_exit(3);
        if (ioctl(SANDBOX_VCPU_FD, KVM_RUN, 0) != -1 || errno != ENOTTY)
            child_exit(4);
        if (close(7) != -1 || errno != EBADF || close(9) != -1 ||
            errno != EBADF)
            child_exit(5);
        child_exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child status %#x", status);
}

/* Something else open at the filter's numbers is a bug to report, never a
 * file to close: the child confines itself with fd 3 taken. */
static void test_taken_fd_number_is_an_error(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        null_at(SANDBOX_VM_FD);         /* someone else's file */
        null_at(5);
        null_at(6);
        struct vm vm = { .kvm_fd = -1, .vm_fd = 5, .vcpu_fd = 6 };
        struct kerr kerr;
        if (confine(&vm, &kerr) == 0)
            _exit(1);
        if (!strstr(kerr.msg, "cannot move fd 5 to 3") || vm.vm_fd != 5 ||
            fcntl(SANDBOX_VM_FD, F_GETFD) < 0)
            _exit(2);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* process_harden() at startup, without KVM: no core dumps by either
 * route, inherited fds closed, a closed stdout replaced by /dev/null. */
static void test_process_harden(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct kerr err;
        struct rlimit core;
        struct stat st, null;
        int inherited = open("/dev/null", O_RDONLY);   /* not CLOEXEC */
        close(STDOUT_FILENO);
        if (inherited < 3 || process_harden(&err) < 0)
            _exit(1);
        if (getrlimit(RLIMIT_CORE, &core) < 0 || core.rlim_cur != 0 ||
            core.rlim_max != 0)
            _exit(2);
        if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
            _exit(3);
        if (fcntl(inherited, F_GETFD) >= 0 || errno != EBADF)
            _exit(4);
        if (fstat(STDOUT_FILENO, &st) < 0 || stat("/dev/null", &null) < 0 ||
            st.st_rdev != null.st_rdev)
            _exit(5);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- Landlock ------------------------------------------------------------- */

/* Beside the scratch tree: a read-only grant, a writable one and a
 * directory granted to no one, each with a file. */
#define RO_FD  10
#define RW_FD  11
#define OUT_FD 12

static bool landlock_fds(void)
{
    char path[sizeof scratch + 8];
    static const struct { const char *name; int fd; } dirs[] = {
        { "ro", RO_FD }, { "rw", RW_FD }, { "out", OUT_FD },
    };

    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        snprintf(path, sizeof path, "%s/%s", scratch, dirs[i].name);
        if (!open_at(path, O_PATH | O_DIRECTORY, dirs[i].fd))
            return false;
    }
    return true;
}

/* openat2 as the file layer calls it, or without RESOLVE_BENEATH. */
static int open_in(int dirfd, const char *path, int flags, bool beneath)
{
    struct open_how how = { .flags = (unsigned)(flags | O_CLOEXEC),
                            .mode = flags & O_CREAT ? 0600 : 0,
                            .resolve = beneath ? RESOLVE_BENEATH : 0 };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* -1 with EACCES (or EXDEV, which Landlock gives for a link or rename
 * between trees when the rights do not stop it first). */
static bool refused(long r, bool exdev_too)
{
    return r == -1 && (errno == EACCES || (exdev_too && errno == EXDEV));
}

/* What the confined child checks: its exit status names the first check
 * that failed. */
static int landlock_checks(void)
{
    char buf[16] = "";
    int fd;

    /* Outside every tree, from an fd opened before the confinement: even
     * a path the file layer got wrong reaches nothing. */
    if (!refused(open_in(OUT_FD, "secret", O_RDONLY, true), false))
        return 10;
    if (!refused(open_in(RW_FD, "../out/secret", O_RDONLY, false), false))
        return 11;
    if (!refused(open_in(OUT_FD, ".", O_RDONLY | O_DIRECTORY, true), false))
        return 12;
    /* Read-only: reading and listing, nothing else. */
    if ((fd = open_in(RO_FD, "f", O_RDONLY, true)) < 0 ||
        read(fd, buf, sizeof buf) != 6 || memcmp(buf, "inside", 6) != 0)
        return 20;
    close(fd);
    if ((fd = open_in(RO_FD, ".", O_RDONLY | O_DIRECTORY, true)) < 0)
        return 21;
    close(fd);
    if (!refused(open_in(RO_FD, "f", O_WRONLY, true), false) ||
        !refused(open_in(RO_FD, "f", O_RDWR, true), false))
        return 22;
    if (!refused(open_in(RO_FD, "new", O_WRONLY | O_CREAT, true), false) ||
        !refused(mkdirat(RO_FD, "d", 0700), false) ||
        !refused(unlinkat(RO_FD, "f", 0), false) ||
        !refused(symlinkat("f", RO_FD, "l"), false))
        return 23;
    /* Writable: create, write, rename, remove; never move out. */
    if ((fd = open_in(RW_FD, "new", O_WRONLY | O_CREAT | O_EXCL, true)) < 0 ||
        write(fd, "x", 1) != 1 || ftruncate(fd, 0) != 0)
        return 30;
    close(fd);
    if (mkdirat(RW_FD, "d", 0700) != 0 ||
        syscall(SYS_renameat2, RW_FD, "new", RW_FD, "d/new", 0) != 0)
        return 31;
    if (!refused(syscall(SYS_renameat2, RW_FD, "d/new", OUT_FD, "stolen",
                         0), true) ||
        !refused(syscall(SYS_renameat2, RW_FD, "d/new", RO_FD, "stolen", 0),
                 true))
        return 32;
    if (!refused(linkat(OUT_FD, "secret", RW_FD, "link", 0), true))
        return 33;
    if (unlinkat(RW_FD, "d/new", 0) != 0 ||
        unlinkat(RW_FD, "d", AT_REMOVEDIR) != 0)
        return 34;
    return 0;
}

/* Runs landlock_checks (or, with no trees, only that nothing opens) in a
 * confined child; its exit status. */
static int landlock_child(bool with_trees)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char ro[sizeof scratch + 4], rw[sizeof scratch + 4];
        snprintf(ro, sizeof ro, "%s/ro", scratch);
        snprintf(rw, sizeof rw, "%s/rw", scratch);
        const struct linux_tree trees[] = {
            { .fd = RO_FD, .host = ro, .guest = "/ro", .rw = false },
            { .fd = RW_FD, .host = rw, .guest = "/rw", .rw = true },
        };
        struct sandbox_status st;
        struct kerr err;
        int abi = sandbox_landlock_abi();    /* the filter refuses it later */
        null_at(SANDBOX_VM_FD);      /* taken, as in kvmelf: new fds are */
        null_at(SANDBOX_VCPU_FD);    /* files' (SANDBOX_FIRST_FILE_FD up) */
        if (!landlock_fds())
            child_exit(2);
        if (sandbox_confine(trees, with_trees ? ARRAY_SIZE(trees) : 0, &st,
                            &err) < 0)
            child_exit(3);
        if (st.landlock_abi != abi)
            child_exit(4);
        if (with_trees)
            child_exit(landlock_checks());
        child_exit(refused(open_in(RO_FD, "f", O_RDONLY, true), false) &&
                   refused(open_in(RW_FD, ".", O_RDONLY, true), false) ?
                   0 : 5);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("child status %#x", status);
    return WEXITSTATUS(status);
}

static bool no_landlock(void)
{
    int abi = sandbox_landlock_abi();
    if (abi > 0)
        return false;
    fprintf(stderr, "SKIPPED: this kernel has no Landlock (%s)\n",
            strerror(-abi));
    return true;
}

static void test_landlock_confines_to_the_trees(void **state)
{
    char path[sizeof scratch + 16];
    struct stat st;
    (void)state;
    if (under_valgrind() || no_landlock())
        skip();
    assert_int_equal(landlock_child(true), 0);
    /* Nothing moved out or in. */
    snprintf(path, sizeof path, "%s/out/stolen", scratch);
    assert_int_equal(lstat(path, &st), -1);
    snprintf(path, sizeof path, "%s/rw/link", scratch);
    assert_int_equal(lstat(path, &st), -1);
    snprintf(path, sizeof path, "%s/ro/stolen", scratch);
    assert_int_equal(lstat(path, &st), -1);
}

static void test_landlock_without_trees_opens_nothing(void **state)
{
    (void)state;
    if (under_valgrind() || no_landlock())
        skip();
    assert_int_equal(landlock_child(false), 0);
}

/* ---- The scratch tree ------------------------------------------------------ */

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[sizeof scratch + 32];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static int make_scratch(void **state)
{
    static const char *const dirs[] = { "ro", "rw", "out" };
    char path[sizeof scratch + 8];
    (void)state;

    snprintf(scratch, sizeof scratch, "/tmp/kvmelf-test-sandbox-XXXXXX");
    if (!mkdtemp(scratch) || write_file(scratch, "f", "file") < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        snprintf(path, sizeof path, "%s/%s", scratch, dirs[i]);
        if (mkdir(path, 0700) < 0)
            return -1;
    }
    snprintf(path, sizeof path, "%s/ro", scratch);
    if (write_file(path, "f", "inside") < 0)
        return -1;
    snprintf(path, sizeof path, "%s/out", scratch);
    return write_file(path, "secret", "secret");
}

static int remove_one(const char *path, const struct stat *st, int type,
                      struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int remove_scratch(void **state)
{
    (void)state;
    return nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_calls_come_back),
        cmocka_unit_test(test_refused_calls_die_of_sigsys),
        cmocka_unit_test(test_fds_moved_to_the_filters_numbers),
        cmocka_unit_test(test_taken_fd_number_is_an_error),
        cmocka_unit_test(test_process_harden),
        cmocka_unit_test(test_landlock_confines_to_the_trees),
        cmocka_unit_test(test_landlock_without_trees_opens_nothing),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
