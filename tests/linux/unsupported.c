/* unsupported: calls fork twice and an unknown number; each is named once
 * on stderr by kvmelf and fails with ENOSYS. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 2; i++) {
        long r = syscall(SYS_fork);
        printf("fork: %ld %s\n", r, errno == ENOSYS ? "ENOSYS" : "?");
    }
    long r = syscall(4000);
    printf("4000: %ld %s\n", r, errno == ENOSYS ? "ENOSYS" : "?");
    return 0;
}
