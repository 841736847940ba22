/*
 * The sandbox's seccomp filter, without KVM: each case forks a child that
 * confines itself as kvmelf does (vm_move_fds, then sandbox_confine;
 * stand-in fds on /dev/null where the VM and vCPU fds would be), makes one
 * system call and reports by its exit status.  An allowed call must come back (with whatever error /dev/null
 * gives), a refused one must kill the child with SIGSYS after one line
 * naming it.  This is the filter kvmelf runs under, compiled at build time
 * by sandbox/filter_gen.c.
 */
#include "sandbox/sandbox.h"
#include "vcpu/internal.h"

#include <errno.h>
#include <fcntl.h>
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define CHILD_OK         0
#define CHILD_NO_CONFINE 3     /* confine() failed */

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
    /* refused */
    FIRST_REFUSED,
    GETPPID = FIRST_REFUSED, OPENAT, VM_CREATE_VCPU, VCPU_SET_CPUID,
    VCPU_IOCTL_ON_VM_FD, WRITE_OTHER_FD, READ_STDOUT, MMAP_EXEC,
    MPROTECT_EXEC, SOCKET, KILL, TTY_SET, MADVISE_REMOVE,
};

/* What kvmelf does once setup is over (src/main.c). */
static int confine(struct vm *vm, struct kerr *err)
{
    if (vm_move_fds(vm, SANDBOX_VM_FD, SANDBOX_VCPU_FD, err) < 0)
        return -1;
    return sandbox_confine(err);
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
    }
    return 0;
}

/* /dev/null at fd `at` (which must be free) */
static void null_at(int at)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd != at && dup2(fd, at) == at)
        close(fd);
}

/* Forks a child that confines itself and makes call c; returns its wait
 * status and what it wrote to stderr. */
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
        struct vm vm = { .kvm_fd = -1, .vm_fd = vm_fd, .vcpu_fd = vcpu_fd };
        struct kerr err;
        if (confine(&vm, &err) < 0) {
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
    };
    (void)state;
    if (under_valgrind())
        skip();
    for (enum call c = FIRST_REFUSED; c <= TTY_SET; c++) {
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_calls_come_back),
        cmocka_unit_test(test_refused_calls_die_of_sigsys),
        cmocka_unit_test(test_fds_moved_to_the_filters_numbers),
        cmocka_unit_test(test_taken_fd_number_is_an_error),
        cmocka_unit_test(test_process_harden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
