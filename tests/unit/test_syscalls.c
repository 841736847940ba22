/*
 * The Linux personality's system calls without KVM or a vCPU: each call
 * goes to linux_syscall() as vcpu/ would make it, over guest RAM with the
 * ABI's real page tables (tests/support/fake_guest), and the test reads
 * the result where the guest would (the return value, its memory).  The
 * vCPU's half (registers in, SYSRET-like resume) is test_exit.c's; the
 * e2e tests run the same calls from real musl programs under KVM; these
 * run everywhere, CI without /dev/kvm included.
 */
#include "tests/support/fake_guest.h"
#include "linux/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define FAR_AWAY   (1ULL << 40)          /* beyond guest RAM */
#define MONITOR    0x1000ULL             /* GDT page: ring 0 only */
#define DATA       ((uint64_t)FAKE_VM_USER_DATA)

#define linux_test(test) fake_guest_test(test)

/* Makes the call; returns what the guest finds in RAX. */
static long call6(struct fake_guest *f, uint32_t nr, uint64_t a0, uint64_t a1,
                  uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
    struct linux_call c;
    enum linux_result r = fake_guest_call(f, nr, args, &c);

    if (r != LINUX_RESUME)
        fail_msg("call %u: result %d (%s)", nr, r, f->err.msg);
    return c.ret;
}

#define call(f, nr, ...) call_(f, nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define call_(f, nr, a, b, c, d, e, g, ...) call6(f, nr, a, b, c, d, e, g)

static void *guest(struct fake_guest *f, uint64_t addr, size_t len)
{
    void *p = guest_mem_ptr(&f->gm, addr, len);
    assert_non_null(p);
    return p;
}

/* The guest's fd 1 is the console's stdout, here the test's pipe. */
static void test_write_reaches_stdout(void **state)
{
    struct fake_guest *f = *state;
    char got[16] = { 0 };

    memcpy(guest(f, DATA, 6), "hello\n", 6);
    long r = call(f, SYS_write, 1, DATA, 6);
    assert_int_equal(r, 6);
    assert_int_equal(console_flush(&f->console, &f->err), 0);
    assert_int_equal(read(f->pipe[0], got, sizeof got), 6);
    assert_string_equal(got, "hello\n");
}

static void test_bad_pointers_are_efault(void **state)
{
    struct fake_guest *f = *state;

    assert_int_equal(call(f, SYS_write, 1, FAR_AWAY, 5), -EFAULT);
    assert_int_equal(call(f, SYS_write, 1, MONITOR, 5), -EFAULT);
    assert_int_equal(call(f, SYS_write, 1, DATA, 1ULL << 62), -EFAULT);
    /* The text page is not writable: no read(2) or uname into it. */
    assert_int_equal(call(f, SYS_uname, FAKE_VM_TEXT), -EFAULT);
    assert_int_equal(call(f, SYS_clock_gettime, 1, FAR_AWAY), -EFAULT);
    assert_int_equal(call(f, SYS_openat, (uint64_t)AT_FDCWD, FAR_AWAY, 0), -EFAULT);
}

/* Every pointer argument the handlers take, aimed beyond RAM or at the
 * read-only text page, where Linux would give EFAULT too. */
static void test_each_pointer_checked(void **state)
{
    struct fake_guest *f = *state;
    const uint64_t text = FAKE_VM_TEXT;     /* user, read-only */
    uint64_t *iov = guest(f, DATA, 2 * sizeof *iov);
    const struct {
        const char *what;
        uint32_t nr;
        uint64_t a[4];
    } cases[] = {
        { "readv bad iov", SYS_readv, { 0, FAR_AWAY, 1 } },
        { "readv into text", SYS_readv, { 0, DATA, 1 } },
        { "writev bad iov", SYS_writev, { 1, FAR_AWAY, 1 } },
        { "gettimeofday bad tv", SYS_gettimeofday, { FAR_AWAY, 0 } },
        { "gettimeofday bad tz", SYS_gettimeofday, { 0, FAR_AWAY } },
        { "clock_getres bad res", SYS_clock_getres, { 0, FAR_AWAY } },
        { "clock_gettime into text", SYS_clock_gettime, { 0, text } },
        { "rt_sigaction bad act", SYS_rt_sigaction, { SIGUSR1, FAR_AWAY, 0, 8 } },
        { "rt_sigaction bad old", SYS_rt_sigaction, { SIGUSR1, 0, text, 8 } },
        { "rt_sigprocmask bad old", SYS_rt_sigprocmask, { 0, 0, text, 8 } },
        { "sigaltstack bad old", SYS_sigaltstack, { 0, FAR_AWAY } },
        { "newfstatat bad buf", SYS_newfstatat, { 1, DATA + 32, text, AT_EMPTY_PATH } },
        { "fstat bad buf", SYS_fstat, { 1, FAR_AWAY } },
        { "getcwd bad buf", SYS_getcwd, { FAR_AWAY, 64 } },
        { "prlimit64 bad old", SYS_prlimit64, { 0, 3, 0, text } },
        { "sched_getaffinity bad", SYS_sched_getaffinity, { 0, 8, FAR_AWAY } },
        { "getrandom into text", SYS_getrandom, { text, 16, 0 } },
        { "uname beyond RAM", SYS_uname, { FAR_AWAY } },
        { "sysinfo into text", SYS_sysinfo, { text } },
        { "arch_prctl get_fs bad", SYS_arch_prctl, { 0x1003, FAR_AWAY } },
        { "time bad", SYS_time, { text } },
    };

    iov[0] = text;                 /* readv: one buffer, read-only */
    iov[1] = 16;
    memset(guest(f, DATA + 32, 1), 0, 1);       /* "" for AT_EMPTY_PATH */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long r = call(f, cases[i].nr, cases[i].a[0], cases[i].a[1],
                      cases[i].a[2], cases[i].a[3]);
        if (r != -EFAULT)
            fail_msg("%s: %ld, not -EFAULT", cases[i].what, r);
    }
}

static void test_uname_writes_guest_memory(void **state)
{
    struct fake_guest *f = *state;
    struct utsname u;

    assert_int_equal(call(f, SYS_uname, DATA), 0);
    memcpy(&u, guest(f, DATA, sizeof u), sizeof u);
    assert_string_equal(u.sysname, "Linux");
    assert_string_equal(u.machine, "x86_64");
}

/* sysinfo: the guest's RAM, what of its heap is free, one process. */
static void test_sysinfo_is_the_guests(void **state)
{
    struct fake_guest *f = *state;
    struct sysinfo si;

    assert_int_equal(call(f, SYS_sysinfo, DATA), 0);
    memcpy(&si, guest(f, DATA, sizeof si), sizeof si);
    assert_int_equal(si.totalram, f->gm.size);
    assert_int_equal(si.mem_unit, 1);
    assert_int_equal(si.procs, 1);
    assert_int_equal(si.totalswap, 0);
    assert_true(si.freeram > 0 && si.freeram < si.totalram);
    assert_true(si.uptime > 0);
    unsigned long free_before = si.freeram;
    long m = call(f, SYS_mmap, 0, 4 * FAKE_VM_PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);
    assert_true(m > 0);
    assert_int_equal(call(f, SYS_sysinfo, DATA), 0);
    memcpy(&si, guest(f, DATA, sizeof si), sizeof si);
    assert_int_equal(si.freeram, free_before - 4 * FAKE_VM_PAGE);
}

/* A process with no children and no supplementary groups, answered as
 * Linux answers one (no "unsupported" warning: busybox tar waits for a
 * child it never started, busybox id asks for the groups). */
static void test_no_children_no_groups(void **state)
{
    struct fake_guest *f = *state;

    assert_int_equal(call(f, SYS_wait4, (uint64_t)-1, DATA, 0, 0), -ECHILD);
    assert_int_equal(call(f, SYS_wait4, 7, 0, WNOHANG, 0), -ECHILD);
    assert_int_equal(call(f, SYS_wait4, (uint64_t)-1, 0, 0x10000, 0), -EINVAL);
    assert_int_equal(call(f, SYS_wait4, (uint32_t)INT_MIN, 0, 0, 0), -ESRCH);
    assert_int_equal(call(f, SYS_waitid, P_ALL, 0, DATA, WEXITED, 0),
                     -ECHILD);
    assert_int_equal(call(f, SYS_waitid, P_PID, 5, DATA, WEXITED, 0),
                     -ECHILD);
    assert_int_equal(call(f, SYS_waitid, P_PID, 0, DATA, WEXITED, 0),
                     -EINVAL);
    assert_int_equal(call(f, SYS_waitid, P_ALL, 0, DATA, WNOHANG, 0),
                     -EINVAL);               /* no WEXITED, WSTOPPED... */
    assert_int_equal(call(f, SYS_waitid, P_PIDFD, 3, DATA, WEXITED, 0),
                     -EBADF);
    assert_int_equal(call(f, SYS_waitid, 9, 0, DATA, WEXITED, 0), -EINVAL);
    assert_int_equal(call(f, SYS_getgroups, 64, DATA), 0);
    assert_int_equal(call(f, SYS_getgroups, 0, 0), 0);
    assert_int_equal(call(f, SYS_getgroups, (uint32_t)-1, 0), -EINVAL);
    assert_int_equal(f->warnings, 0);
}

static void test_unsupported_named_once(void **state)
{
    struct fake_guest *f = *state;

    assert_int_equal(call(f, SYS_fork, 0), -ENOSYS);
    assert_int_equal(call(f, SYS_fork, 0), -ENOSYS);
    assert_int_equal(f->warnings, 1);
    assert_string_equal(f->last_warning, "unsupported system call 57 (fork)");

    /* Large numbers each once too, up to a limit. */
    assert_int_equal(call(f, 4000, 0), -ENOSYS);
    assert_int_equal(call(f, 5000, 0), -ENOSYS);
    assert_int_equal(call(f, 4000, 0), -ENOSYS);
    assert_int_equal(f->warnings, 3);
    assert_string_equal(f->last_warning,
                        "unsupported system call 5000 (unknown)");
    for (uint32_t nr = 100000; nr < 100000 + 2 * SYS_WARNED_LARGE; nr++)
        assert_int_equal(call(f, nr, 0), -ENOSYS);
    assert_int_equal(f->warnings, 1 + SYS_WARNED_LARGE);   /* fork too */
}

static void test_brk_and_mmap_give_user_memory(void **state)
{
    struct fake_guest *f = *state;
    const struct guest_mem *gm = &f->gm;
    const gpa_t cr3 = f->tables.cr3;

    uint64_t brk0 = (uint64_t)call(f, SYS_brk, 0);
    assert_int_equal(brk0, DATA + FAKE_VM_PAGE);
    assert_int_equal(call(f, SYS_brk, brk0 + 3 * FAKE_VM_PAGE),
                     brk0 + 3 * FAKE_VM_PAGE);
    assert_non_null(paging_user_ptr(gm, cr3, brk0, 3 * FAKE_VM_PAGE,
                                true));

    uint64_t m = (uint64_t)call(f, SYS_mmap, 0, 2 * FAKE_VM_PAGE,
                                PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);
    assert_true(m > brk0 && m + 2 * FAKE_VM_PAGE <= FAKE_VM_RAM);
    assert_non_null(paging_user_ptr(gm, cr3, m, 2 * FAKE_VM_PAGE, true));
    /* More than RAM: ENOMEM, nothing half done. */
    assert_int_equal(call(f, SYS_mmap, 0, 1ULL << 30, PROT_READ,
                          MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0),
                     -ENOMEM);
}

static void test_rt_sigprocmask_as_linux(void **state)
{
    struct fake_guest *f = *state;

    memset(guest(f, DATA, 8), 0, 8);
    assert_int_equal(call(f, SYS_rt_sigprocmask, 7, DATA, 0, 8), -EINVAL);
    assert_int_equal(call(f, SYS_rt_sigprocmask, 7, 0, 0, 8), 0);
    assert_int_equal(call(f, SYS_rt_sigprocmask, SIG_BLOCK, FAR_AWAY, 0, 8),
                     -EFAULT);
    assert_int_equal(call(f, SYS_rt_sigprocmask, SIG_BLOCK, 0, DATA, 4),
                     -EINVAL);
}

static void test_exit_group_ends_the_run(void **state)
{
    struct fake_guest *f = *state;
    const uint64_t args[6] = { 300 };
    struct linux_call c;

    assert_int_equal(fake_guest_call(f, SYS_exit_group, args, &c), LINUX_EXIT);
    assert_int_equal(c.status, 300 & 0xff);
}

/* What vcpu/ must do after the call: flush stale translations, and take
 * the new FS base into the guest's segment. */
static void test_call_says_what_changed(void **state)
{
    struct fake_guest *f = *state;
    struct linux_call c;
    const uint64_t set_fs[6] = { 0x1002, 0x7000 };

    assert_int_equal(fake_guest_call(f, SYS_arch_prctl, set_fs, &c),
                     LINUX_RESUME);
    assert_true(c.bases_changed);
    assert_int_equal(f->g.fs_base, 0x7000);
    uint64_t m = (uint64_t)call(f, SYS_mmap, 0, FAKE_VM_PAGE,
                                PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);
    const uint64_t ro[6] = { m, FAKE_VM_PAGE, PROT_READ };
    assert_int_equal(fake_guest_call(f, SYS_mprotect, ro, &c), LINUX_RESUME);
    assert_int_equal(c.ret, 0);
    assert_true(c.tlb_stale);             /* a present page lost W */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        linux_test(test_write_reaches_stdout),
        linux_test(test_bad_pointers_are_efault),
        linux_test(test_each_pointer_checked),
        linux_test(test_uname_writes_guest_memory),
        linux_test(test_sysinfo_is_the_guests),
        linux_test(test_no_children_no_groups),
        linux_test(test_unsupported_named_once),
        linux_test(test_brk_and_mmap_give_user_memory),
        linux_test(test_rt_sigprocmask_as_linux),
        linux_test(test_exit_group_ends_the_run),
        linux_test(test_call_says_what_changed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
