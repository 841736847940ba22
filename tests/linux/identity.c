/* identity: what the guest learns about its system: uname, ids, limits,
 * the terminal question libc asks, fstat of the standard fds. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *errname(int e)
{
    return e == EPERM ? "EPERM" : e == EINVAL ? "EINVAL" : "another error";
}

/* identity stack: RLIMIT_STACK as the guest has it, a 300 KiB local
 * array, and Linux's rules for setting the limit. */
static int stack_mode(void)
{
    struct rlimit rl, want;
    volatile char big[300 * 1024];

    getrlimit(RLIMIT_STACK, &rl);
    printf("stack limit %lu KiB, hard %lu KiB\n",
           (unsigned long)rl.rlim_cur / 1024, (unsigned long)rl.rlim_max / 1024);
    fflush(stdout);
    memset((char *)big, 1, sizeof big);
    printf("300 KiB on the stack: %s\n", big[sizeof big - 1] == 1 ? "ok" : "?");
    want = (struct rlimit){ rl.rlim_cur, rl.rlim_max * 2 };
    printf("setrlimit above the hard limit: %s\n",
           setrlimit(RLIMIT_STACK, &want) == 0 ? "ok" : errname(errno));
    want = (struct rlimit){ rl.rlim_max + 4096, rl.rlim_max };
    printf("soft above hard: %s\n",
           setrlimit(RLIMIT_STACK, &want) == 0 ? "ok" : errname(errno));
    want = (struct rlimit){ 1 << 20, rl.rlim_max };
    if (setrlimit(RLIMIT_STACK, &want) == 0 && getrlimit(RLIMIT_STACK, &rl) == 0)
        printf("lowered to 1 MiB: %lu KiB, hard %lu KiB\n",
               (unsigned long)rl.rlim_cur / 1024,
               (unsigned long)rl.rlim_max / 1024);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "stack") == 0)
        return stack_mode();

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
