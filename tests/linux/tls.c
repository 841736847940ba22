/* tls: thread-local storage through FS (set by musl with arch_prctl), and
 * the FS/GS bases read back with arch_prctl. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_SET_GS 0x1001   /* <asm/prctl.h>, not in musl's headers */
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static __thread int counter = 41;
static __thread char name[16] = "tls";

int main(void)
{
    unsigned long fs = 0, gs = 0, self;

    counter++;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
    printf("counter %d name %s\n", counter, name);
    printf("get_fs %ld\n", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
    printf("fs is the thread pointer: %d\n",
           fs == self && fs == (unsigned long)pthread_self());
    static unsigned long gsword = 0x1234abcd;
    printf("set_gs %ld\n", syscall(SYS_arch_prctl, ARCH_SET_GS, &gsword));
    syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
    unsigned long via_gs;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(via_gs));
    printf("gs base matches: %d, %%gs:0 = 0x%lx\n",
           gs == (unsigned long)&gsword, via_gs);
    return 0;
}
