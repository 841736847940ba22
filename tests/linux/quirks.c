/* quirks: small Linux behaviours kvmelf copies, each printed as the raw
 * system call's result; then a signal raised while blocked stays pending
 * until it is unblocked, which ends the program (SIGTERM, status 143). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAP_FIXED_NOREPLACE_ 0x100000     /* not in every libc's headers */
#define OUTSIDE_RAM ((void *)0x7f0000000000)   /* user space, beyond RAM */
#define KERNEL_HALF ((void *)0xffff800000000000)

static void show(const char *what, long r)
{
    printf("%-32s %s\n", what, r >= 0 ? (r == 0 ? "0" : "positive")
                                      : strerror(errno));
}

int main(void)
{
    struct iovec empty = { OUTSIDE_RAM, 0 };

    show("kill -1", syscall(SYS_kill, -1L, SIGTERM));
    show("write 0 bytes outside RAM", syscall(SYS_write, 1, OUTSIDE_RAM, 0));
    show("write 0 bytes kernel half", syscall(SYS_write, 1, KERNEL_HALF, 0));
    show("read 0 bytes outside RAM", syscall(SYS_read, 0, OUTSIDE_RAM, 0));
    show("writev empty outside RAM", syscall(SYS_writev, 1, &empty, 1));
    show("readv empty outside RAM", syscall(SYS_readv, 0, &empty, 1));
    show("getrandom 0 outside RAM", syscall(SYS_getrandom, OUTSIDE_RAM, 0, 0));
    show("ioctl request high bits", syscall(SYS_ioctl, 0,
                                            (1UL << 32) | TIOCGWINSZ, 0));
    char *p = mmap(0, 8192, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *q = mmap(p, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                   MAP_FIXED | MAP_FIXED_NOREPLACE_, -1, 0);
    show("mmap fixed+noreplace taken", q == MAP_FAILED ? -1 : 0);
    show("madvise advice 5", syscall(SYS_madvise, p, 4096, 5));
    show("madvise advice 999", syscall(SYS_madvise, p, 4096, 999));
    show("madvise MADV_NORMAL", syscall(SYS_madvise, p, 4096, MADV_NORMAL));

    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL);
    show("raise blocked SIGTERM", raise(SIGTERM));
    fflush(stdout);
    sigprocmask(SIG_UNBLOCK, &term, NULL);
    printf("still running after unblocking\n");
    return 0;
}
