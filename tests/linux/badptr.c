/* badptr: every supported system call with bad pointers, lengths past
 * guest RAM and absurd counts, called directly (syscall(2)) so the raw
 * result shows.  Each line prints the call and its result as an errno
 * name or a number: the guest gets an error, the monitor goes on. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define NOWHERE   ((long)1 << 40)         /* far beyond guest RAM     */
#define MONITOR   0x1000L                 /* the monitor's GDT page   */
#define HUGE_LEN  ((long)1 << 62)

static const char *name(long r)
{
    static char num[32];
    switch (r) {
    case -EFAULT: return "EFAULT";
    case -EINVAL: return "EINVAL";
    case -EBADF: return "EBADF";
    case -ENOMEM: return "ENOMEM";
    case -EACCES: return "EACCES";
    case -ENOENT: return "ENOENT";
    case -ESPIPE: return "ESPIPE";
    case -ENOTTY: return "ENOTTY";
    case -ESRCH: return "ESRCH";
    case -EAGAIN: return "EAGAIN";
    case -EPERM: return "EPERM";
    case -ERANGE: return "ERANGE";
    case -ENAMETOOLONG: return "ENAMETOOLONG";
    }
    snprintf(num, sizeof num, "%ld", r);
    return num;
}

static long raw(long nr, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r == -1 ? -errno : r;
}

#define CALL(label, nr, ...) \
    printf("%-28s %s\n", label, name(raw(nr, __VA_ARGS__)))

static char big_name[8192];

int main(void)
{
    long text = (long)(uintptr_t)main & ~4095L;   /* read-only page */
    char buf[64];
    struct iovec iov[2] = { { buf, 4 }, { (void *)NOWHERE, 4 } };
    struct iovec huge_iov = { buf, (size_t)-1 / 2 };
    struct timespec bad_ts = { 0, 2000000000L };

    CALL("write null", SYS_write, 1, 0, 5, 0, 0, 0);
    CALL("write beyond ram", SYS_write, 1, NOWHERE, 5, 0, 0, 0);
    CALL("write monitor", SYS_write, 1, MONITOR, 5, 0, 0, 0);
    CALL("write huge count", SYS_write, 1, (long)buf, HUGE_LEN, 0, 0, 0);
    CALL("write fd 7", SYS_write, 7, (long)buf, 1, 0, 0, 0);
    CALL("write zero bytes", SYS_write, 1, (long)buf, 0, 0, 0, 0);
    CALL("read into text", SYS_read, 0, text, 16, 0, 0, 0);
    CALL("read into monitor", SYS_read, 0, MONITOR, 16, 0, 0, 0);
    CALL("read huge count", SYS_read, 0, (long)buf, HUGE_LEN, 0, 0, 0);
    CALL("read fd 1", SYS_read, 1, (long)buf, 1, 0, 0, 0);
    CALL("writev bad iov", SYS_writev, 1, NOWHERE, 1, 0, 0, 0);
    CALL("writev bad buffer", SYS_writev, 1, (long)iov, 2, 0, 0, 0);
    CALL("writev count 100000", SYS_writev, 1, (long)iov, 100000, 0, 0, 0);
    CALL("writev count -1", SYS_writev, 1, (long)iov, -1, 0, 0, 0);
    CALL("writev huge length", SYS_writev, 1, (long)&huge_iov, 1, 0, 0, 0);
    CALL("readv bad iov", SYS_readv, 0, MONITOR, 1, 0, 0, 0);
    CALL("mmap huge", SYS_mmap, 0, HUGE_LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CALL("mmap zero length", SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CALL("mmap write+exec", SYS_mmap, 0, 4096, PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CALL("mmap file", SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, 9, 0);
    CALL("mmap fixed in monitor", SYS_mmap, MONITOR, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CALL("munmap unaligned", SYS_munmap, 4097, 4096, 0, 0, 0, 0);
    CALL("munmap huge", SYS_munmap, 4096, -4096L, 0, 0, 0, 0);
    CALL("mremap not mapped", SYS_mremap, 0x200000, 4096, 8192, MREMAP_MAYMOVE, 0, 0);
    CALL("mremap fixed", SYS_mremap, 0x200000, 4096, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, 0, 0);
    CALL("mprotect unaligned", SYS_mprotect, text + 1, 4096, PROT_READ, 0, 0, 0);
    CALL("mprotect monitor", SYS_mprotect, MONITOR, 4096, PROT_READ | PROT_WRITE, 0, 0, 0);
    CALL("mprotect beyond ram", SYS_mprotect, NOWHERE, 4096, PROT_READ, 0, 0, 0);
    CALL("mprotect huge", SYS_mprotect, text, -4096L, PROT_READ, 0, 0, 0);
    CALL("mprotect write+exec", SYS_mprotect, text, 4096, PROT_WRITE | PROT_EXEC | PROT_READ, 0, 0, 0);
    CALL("mprotect bad prot", SYS_mprotect, text, 4096, 0x100, 0, 0, 0);
    long brk0 = raw(SYS_brk, 0, 0, 0, 0, 0, 0);
    printf("%-28s %s\n", "brk absurd", raw(SYS_brk, NOWHERE, 0, 0, 0, 0, 0) == brk0
                                        ? "unchanged" : "moved");
    printf("%-28s %s\n", "brk into monitor", raw(SYS_brk, MONITOR, 0, 0, 0, 0, 0) == brk0
                                              ? "unchanged" : "moved");
    CALL("clock_gettime bad ts", SYS_clock_gettime, CLOCK_MONOTONIC, NOWHERE, 0, 0, 0, 0);
    CALL("clock_gettime bad clock", SYS_clock_gettime, 12345, (long)buf, 0, 0, 0, 0);
    CALL("gettimeofday bad tv", SYS_gettimeofday, MONITOR, 0, 0, 0, 0, 0);
    CALL("time bad pointer", SYS_time, text, 0, 0, 0, 0, 0);
    CALL("nanosleep bad req", SYS_nanosleep, NOWHERE, 0, 0, 0, 0, 0);
    CALL("nanosleep bad nsec", SYS_nanosleep, (long)&bad_ts, 0, 0, 0, 0, 0);
    CALL("clock_nanosleep bad clock", SYS_clock_nanosleep, 999, 0, (long)&bad_ts, 0, 0, 0);
    CALL("uname null", SYS_uname, 0, 0, 0, 0, 0, 0);
    CALL("uname text", SYS_uname, text, 0, 0, 0, 0, 0);
    CALL("getrandom null", SYS_getrandom, 0, 16, 0, 0, 0, 0);
    CALL("getrandom huge", SYS_getrandom, (long)buf, HUGE_LEN, 0, 0, 0, 0);
    CALL("getrandom bad flags", SYS_getrandom, (long)buf, 4, 0x100, 0, 0, 0);
    CALL("arch_prctl bad code", SYS_arch_prctl, 0x9999, 0, 0, 0, 0, 0);
    CALL("arch_prctl get_fs bad", SYS_arch_prctl, 0x1003, NOWHERE, 0, 0, 0, 0);
    CALL("arch_prctl noncanonical", SYS_arch_prctl, 0x1001, (long)0x8000000000000000UL, 0, 0, 0, 0);
    CALL("open bad path", SYS_open, NOWHERE, O_RDONLY, 0, 0, 0, 0);
    CALL("open /etc/passwd", SYS_open, (long)"/etc/passwd", O_RDONLY, 0, 0, 0, 0);
    memset(big_name, 'a', sizeof big_name - 1);
    CALL("openat long path", SYS_openat, AT_FDCWD, (long)big_name, O_RDONLY, 0, 0, 0);
    CALL("newfstatat bad path", SYS_newfstatat, AT_FDCWD, MONITOR, (long)buf, 0, 0, 0);
    CALL("fstat bad buffer", SYS_fstat, 1, NOWHERE, 0, 0, 0, 0);
    CALL("fstat fd 5", SYS_fstat, 5, (long)buf, 0, 0, 0, 0);
    CALL("ioctl fd 9", SYS_ioctl, 9, 0x5413, (long)buf, 0, 0, 0);
    CALL("ioctl unknown", SYS_ioctl, 1, 0x1234, (long)buf, 0, 0, 0);
    CALL("ioctl winsize bad ptr", SYS_ioctl, 1, 0x5413, NOWHERE, 0, 0, 0);
    CALL("lseek stdin", SYS_lseek, 0, 0, SEEK_SET, 0, 0, 0);
    CALL("close fd 9", SYS_close, 9, 0, 0, 0, 0, 0);
    CALL("futex unaligned", SYS_futex, (long)buf + 1, 0, 0, 0, 0, 0);
    CALL("futex bad address", SYS_futex, NOWHERE, 0, 0, 0, 0, 0);
    CALL("rt_sigaction sig 0", SYS_rt_sigaction, 0, 0, 0, 8, 0, 0);
    CALL("rt_sigaction bad act", SYS_rt_sigaction, SIGUSR1, NOWHERE, 0, 8, 0, 0);
    memset(buf, 0, sizeof buf);
    CALL("rt_sigprocmask bad how", SYS_rt_sigprocmask, 7, (long)buf, 0, 8, 0, 0);
    /* Linux looks at how only when there is a set to apply. */
    CALL("rt_sigprocmask how, no set", SYS_rt_sigprocmask, 7, 0, 0, 8, 0, 0);
    CALL("rt_sigprocmask bad set", SYS_rt_sigprocmask, SIG_BLOCK, NOWHERE, 0, 8, 0, 0);
    CALL("rt_sigprocmask bad old set", SYS_rt_sigprocmask, SIG_BLOCK, 0, NOWHERE, 8, 0, 0);
    CALL("prlimit64 resource 99", SYS_prlimit64, 0, 99, 0, (long)buf, 0, 0);
    CALL("prlimit64 bad old", SYS_prlimit64, 0, RLIMIT_STACK, 0, NOWHERE, 0, 0);
    CALL("prlimit64 other pid", SYS_prlimit64, 4242, RLIMIT_STACK, 0, (long)buf, 0, 0);
    CALL("kill other pid", SYS_kill, 4242, SIGTERM, 0, 0, 0, 0);
    CALL("kill bad signal", SYS_kill, 0, 999, 0, 0, 0, 0);
    CALL("kill signal 0", SYS_kill, getpid(), 0, 0, 0, 0, 0);
    CALL("tgkill other thread", SYS_tgkill, getpid(), 77, SIGABRT, 0, 0, 0);
    CALL("getcwd size 1", SYS_getcwd, (long)buf, 1, 0, 0, 0, 0);
    CALL("sched_getaffinity bad", SYS_sched_getaffinity, 0, 8, NOWHERE, 0, 0, 0);
    printf("still running\n");
    return 0;
}
