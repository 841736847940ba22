/* syscall [port|forge|iopl]: a freestanding guest using the Linux system
 * calls (getpid, write, exit_group) through SYSCALL, in ring 3 or ring 0.
 *   port   writes KVMELF_PORT_SYSCALL itself: just an unknown port
 *   forge  enters the SYSCALL entry page with a non-canonical RCX: #GP
 *   iopl   enters it with IOPL 3 in R11, then writes the stubs' port:
 *          kvmelf must not have granted IOPL, so that faults */
#include "kvmelf.h"

static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return r;
}

/* Jumps into the entry page as if SYSCALL had run, with chosen RCX/R11;
 * getpid's result comes back at `back`. */
static long fake_syscall(unsigned long rcx, unsigned long r11)
{
    long r;
    __asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
                     "test %[rcx], %[rcx]\n\t"
                     "cmovnz %[rcx], %%rcx\n\t"
                     "mov %[r11], %%r11\n\t"
                     "mov $39, %%eax\n\t"
                     "jmp *%[entry]\n"
                     "1:"
                     : "=a"(r)
                     : [rcx] "r"(rcx), [r11] "r"(r11),
                       [entry] "r"((unsigned long)KVMELF_SYSCALL_ENTRY_ADDR)
                     : "rcx", "r11", "rdx", "memory");
    return r;
}

int main(int argc, char **argv)
{
    static const char msg[] = "hello from a system call\n";

    if (argc > 1 && strcmp(argv[1], "port") == 0) {
        outl(KVMELF_PORT_SYSCALL, 39);
        printf("still here\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "forge") == 0) {
        fake_syscall(0x8000000000001000UL, 0x202);
        printf("not reached\n");
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "iopl") == 0) {
        printf("getpid via the entry page: %ld\n", fake_syscall(0, 0x3202));
        outl(KVMELF_PORT_TRAP, 0);
        printf("not reached: IOPL 3 was granted\n");
        return 1;
    }
    long pid = sys3(39, 0, 0, 0);
    long n = sys3(1, 1, (long)msg, sizeof msg - 1);
    printf("pid %ld wrote %ld\n", pid, n);
    sys3(231, 9, 0, 0);
    return 1;
}
