/* Private to vcpu/: the Linux system-call personality (docs/abi.md,
 * "System calls").  syscall.c receives the entry page's report, decodes
 * the call, dispatches through the one table (syscall_table.c) and resumes
 * the guest; sys_*.c hold the handlers. */
#ifndef KVMELF_VCPU_SYSCALL_H
#define KVMELF_VCPU_SYSCALL_H

#include "internal.h"

#include <time.h>

/* What a handler sees of the call in progress. */
struct sys_ctx {
    struct vm *vm;
    struct kvm_regs *regs;     /* the guest's registers at the SYSCALL   */
    struct kvm_sregs *sregs;   /* ... and its segment/control registers  */
    bool sregs_dirty;          /* a handler changed *sregs               */
    bool tlb_dirty;            /* a handler changed the page tables      */
    struct run_result *res;
    struct kerr *err;
    int outcome;               /* 0 go on, 1 the guest ended (res), -1 error */
    unsigned nr;
};

typedef long sys_handler(struct sys_ctx *c, const uint64_t a[6]);

struct sys_entry {
    const char *name;
    sys_handler *fn;           /* NULL: unsupported, -ENOSYS + warning once */
};

/* Indexed by system-call number (x86-64). */
extern const struct sys_entry sys_table[];
extern const size_t sys_table_size;

/* Host pointer to the guest's [addr, addr + len) when every page of it is
 * in guest RAM and mapped for ring 3 (and writable when write) by the
 * guest's page tables, as the CPU would check the guest's own access; NULL
 * otherwise.  len 0 gives a non-NULL pointer for any addr in RAM. */
void *sys_user_ptr(struct sys_ctx *c, uint64_t addr, uint64_t len, bool write);

/* An empty buffer: Linux checks only that it starts in user space (at
 * most TASK_SIZE_MAX), not that anything is mapped there. */
#define SYS_USER_SPACE_MAX 0x00007ffffffff000ULL
static inline bool sys_user_empty_ok(uint64_t addr)
{
    return addr <= SYS_USER_SPACE_MAX;
}

/* Checks the NUL-terminated guest string at addr (at most max bytes with
 * the NUL): 0 with *s, -EFAULT, or -ENAMETOOLONG. */
long sys_user_string(struct sys_ctx *c, uint64_t addr, size_t max,
                     const char **s);

/* Ends the guest (exit, or a fatal signal it raised). */
long sys_end_exit(struct sys_ctx *c, int status);
/* sys_proc.c: the resource limits from the run's configuration. */
void sys_limits_init(struct sys_state *st);
long sys_end_signal(struct sys_ctx *c, int sig);

/* Sleeps rel (monotonic, normalized, non-negative) unless a stop (timeout,
 * SIGINT, SIGTERM) comes first: 0, or -EINTR with *left (may be NULL) the
 * time not slept.  A deadline past the end of time_t (e.g. tv_sec
 * INT64_MAX) means sleeping until a stop request. */
long sys_sleep(const struct timespec *rel, struct timespec *left);

/* Sleeps until clock reads abs (normalized, non-negative), through
 * sys_sleep: 0 at once when that time has passed, or -EINTR. */
long sys_sleep_until(clockid_t clock, const struct timespec *abs);

/* The longest sleep: until a stop request. */
#define SYS_SLEEP_FOREVER \
    ((struct timespec){ INT64_MAX, NSEC_PER_SEC - 1 })

/* Handlers (sys_io.c, sys_mem.c, sys_proc.c). */
sys_handler sys_read, sys_write, sys_readv, sys_writev, sys_path_call,
    sys_path_at_call, sys_close, sys_fstat, sys_newfstatat, sys_lseek,
    sys_ioctl, sys_getcwd;
sys_handler sys_brk, sys_mmap, sys_munmap, sys_mremap, sys_mprotect,
    sys_madvise;
sys_handler sys_exit, sys_arch_prctl, sys_set_tid_address, sys_clock_gettime,
    sys_clock_getres, sys_gettimeofday, sys_time, sys_nanosleep,
    sys_clock_nanosleep, sys_getpid, sys_getppid, sys_getuid, sys_uname,
    sys_getrandom, sys_sched_yield, sys_rt_sigaction, sys_rt_sigprocmask,
    sys_sigaltstack, sys_futex, sys_prlimit64, sys_getrlimit, sys_setrlimit,
    sys_kill, sys_tkill, sys_tgkill, sys_set_robust_list, sys_enosys_quiet,
    sys_sched_getaffinity;

/* The guest's process identity. */
#define SYS_GUEST_PID 1
/* The guest's file descriptors: 0, 1 and 2 (the monitor's own). */
#define SYS_GUEST_FDS 3
#define NSEC_PER_SEC 1000000000L

#endif
