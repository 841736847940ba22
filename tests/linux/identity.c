/* identity: what the guest learns about its system: uname, ids, limits,
 * the terminal question libc asks, fstat of the standard fds. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void)
{
    struct utsname u;
    struct rlimit rl;
    struct stat st;

    uname(&u);
    printf("%s %s %s %s\n", u.sysname, u.nodename, u.release, u.machine);
    printf("pid %d ppid %d uid %d gid %d\n", getpid(), getppid(), getuid(),
           getgid());
    getrlimit(RLIMIT_STACK, &rl);
    printf("stack limit %lu KiB\n", (unsigned long)rl.rlim_cur / 1024);
    printf("stdin is a tty: %d\n", isatty(0));
    int r = fstat(0, &st);
    printf("fstat stdin: %d, fifo or file or null: %d\n", r,
           S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode) || S_ISCHR(st.st_mode));
    printf("stdin device %u:%u\n", major(st.st_rdev), minor(st.st_rdev));
    printf("fopen: %s\n", fopen("/etc/passwd", "r") ? "opened" : "failed");
    return 0;
}
