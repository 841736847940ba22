/* Private to linux/: the process's state, what a handler sees of the
 * call in progress, the address-space bookkeeping (mm.c) and the helpers
 * the handlers share (syscall.c, time.c). */
#ifndef KVMELF_LINUX_INTERNAL_H
#define KVMELF_LINUX_INTERNAL_H

#include "linux/fs.h"
#include "linux/linux.h"

#include <sys/stat.h>
#include <time.h>

/* ---- Address space: brk grows up, mmap allocates down -------------------- */

struct mm_range {
    uint64_t start, end;     /* [start, end), page aligned */
};

/* At most this many separate mappings (Linux's vm.max_map_count is
 * 65530): a guest cannot make the monitor's bookkeeping grow without
 * bound. */
#define MM_MAX_MAPS 65536

struct linux_mm {
    uint64_t lo, hi;         /* the heap: [lo, hi) */
    uint64_t brk;            /* program break, lo <= brk <= hi */
    struct mm_range *maps;   /* mmap'ed ranges: sorted, disjoint, merged */
    size_t count, cap;
    size_t max_maps;         /* MM_MAX_MAPS (tests lower it) */
};

/* lo and hi page aligned, lo <= hi.  Nothing is mapped; brk = lo. */
void mm_init(struct linux_mm *mm, uint64_t lo, uint64_t hi);
void mm_fini(struct linux_mm *mm);

/* brk(2): addr below lo (e.g. 0) only asks; otherwise the break moves to
 * addr when the pages up to it stay below every mapping and below hi.
 * Returns the break afterwards (unchanged on failure, as Linux does).
 * *fresh is the range of pages newly added to the break (empty: start ==
 * end), *freed the pages it released, so the caller can zero them. */
uint64_t mm_brk(struct linux_mm *mm, uint64_t addr, struct mm_range *fresh,
                struct mm_range *freed);

/* Anonymous mmap of len bytes (rounded up to pages): the highest free range
 * above the break's pages.  0 with *addr, -EINVAL (len 0 or absurd),
 * -ENOMEM (no room, or too many mappings). */
int mm_map(struct linux_mm *mm, uint64_t len, uint64_t *addr);

/* MAP_FIXED: [addr, addr + len) must lie above the break's pages and below
 * hi; replaces what was mapped there.  noreplace: -EEXIST when any of it
 * is mapped.  0, -EINVAL (unaligned, outside), -ENOMEM, -EEXIST. */
int mm_map_fixed(struct linux_mm *mm, uint64_t addr, uint64_t len,
                 bool noreplace);

/* munmap(2): addr page aligned, len > 0; unmapped pages in the range are
 * fine.  0, -EINVAL, -ENOMEM (a split needs an entry beyond MM_MAX_MAPS). */
int mm_unmap(struct linux_mm *mm, uint64_t addr, uint64_t len);

/* True when every page of [addr, addr + len) is mmap'ed. */
bool mm_is_mapped(const struct linux_mm *mm, uint64_t addr, uint64_t len);

/* mremap(2) without MREMAP_FIXED: [old, old + old_len) must be mapped.
 * Shrinks in place, grows in place when the pages after it are free, else
 * (may_move) maps new_len bytes elsewhere and unmaps the old range.
 * 0 with *new_addr (the caller copies min(old_len, new_len) bytes when it
 * differs from old), -EINVAL, -EFAULT (old range not mapped), -ENOMEM;
 * on failure nothing changed. */
int mm_remap(struct linux_mm *mm, uint64_t old, uint64_t old_len,
             uint64_t new_len, bool may_move, uint64_t *new_addr);

/* mm_remap in two steps, so the caller can do what may fail (page rights)
 * in between and still leave everything as it was: the plan checks,
 * chooses new_addr and reserves the entries the change needs, changing
 * nothing the guest sees (0 or mm_remap's errors); apply, after a
 * successful plan and no other change, cannot fail. */
struct mm_remap {
    uint64_t old, old_len, new_len;   /* lengths rounded up to pages */
    uint64_t new_addr;
};
int mm_remap_plan(struct linux_mm *mm, uint64_t old, uint64_t old_len,
                  uint64_t new_len, bool may_move, struct mm_remap *p);
void mm_remap_apply(struct linux_mm *mm, const struct mm_remap *p);

/* ---- The process -------------------------------------------------------- */

/* Unsupported system calls already named: one bit per number below
 * SYS_WARNED_BITS, and a short list of the larger numbers (after
 * SYS_WARNED_LARGE of those, the rest are refused without a word, so a
 * guest cannot flood stderr by counting up). */
#define SYS_WARNED_BITS 512
#define SYS_WARNED_LARGE 16

/* Linux's RLIM_NLIMITS: the resources getrlimit knows. */
#define SYS_RLIMIT_COUNT 16

/* Guest-visible signal state: actions are remembered, never delivered. */
#define SYS_NSIG 64
struct sys_sigaction {
    uint64_t handler, flags, restorer, mask;
};

struct linux_process {
    struct linux_config cfg;
    struct pt_state pt;          /* for mprotect */
    struct linux_mm mm;
    bool heap_adopted;           /* free heap pages made not present */
    uint64_t warned[SYS_WARNED_BITS / 64];
    uint32_t warned_large[SYS_WARNED_LARGE];
    unsigned nwarned_large;
    struct sys_sigaction actions[SYS_NSIG];
    uint64_t sigmask;
    uint64_t sigpending;         /* raised while blocked: acted on at unblock */
    uint64_t tid_address;
    uint64_t limits[SYS_RLIMIT_COUNT][2];   /* soft, hard (sys_limits_init) */
    /* Files (fs.h): */
    struct fs_tree tree;
    struct fd_table fds;
    char cwd[FS_PATH_MAX];       /* normalized guest path */
    unsigned umask;
    char note[192];              /* linux_files_note(), "" for none */
    char comm[16];               /* prctl(PR_SET_NAME) */
};

/* What a handler sees of the call in progress. */
struct sys_ctx {
    struct linux_process *proc;
    struct linux_guest *g;
    struct linux_call *call;
    struct kerr *err;
    /* LINUX_RESUME unless a handler ended the guest (sys_end_exit,
     * sys_end_signal) or the monitor failed (sys_fail). */
    enum linux_result result;
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
long sys_end_signal(struct sys_ctx *c, int sig);
/* The monitor failed (err is set): the run ends with it. */
long sys_fail(struct sys_ctx *c);
/* proc.c: the resource limits from the run's configuration. */
void sys_limits_init(struct linux_process *p);

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

/* The open file description of the guest's fd, or NULL (EBADF). */
struct lfile *sys_file(struct sys_ctx *c, uint64_t fd);
/* RLIMIT_NOFILE's soft limit: every new fd is below it. */
uint64_t sys_nofile(const struct linux_process *p);

/* signal.c: the signal a call raises in the guest itself (SIGPIPE for a
 * write to a pipe nobody reads), acted on as kill(getpid(), sig) is. */
long sys_raise(struct sys_ctx *c, int sig);

/* files.c: what fstat says of an open file, and of a node kvmelf makes
 * (a /dev device, a directory it lists) at path. */
long sys_stat_file(struct sys_ctx *c, struct lfile *f, struct stat *st);
void sys_stat_virtual(enum fs_vnode vnode, const char *path,
                      struct stat *st);
/* files.c: a new fd for f (taking its reference) at the lowest free
 * number: the fd, or -EMFILE / -ENOMEM with f released. */
long sys_new_fd(struct sys_ctx *c, struct lfile *f, bool cloexec);

/* poll.c: waits until the host fd is ready for events (POLLIN, POLLOUT)
 * or a stop (timeout, SIGINT, SIGTERM) comes: 0 or -EINTR. */
long sys_wait_host_fd(int fd, short events);

/* Handlers: files.c (calls on fds), paths.c (calls on paths), poll.c. */
sys_handler sys_read, sys_write, sys_readv, sys_writev, sys_pread64,
    sys_pwrite64, sys_preadv, sys_pwritev, sys_preadv2, sys_pwritev2,
    sys_lseek, sys_close, sys_close_range, sys_dup, sys_dup2, sys_dup3,
    sys_fcntl, sys_flock, sys_ioctl, sys_fstat, sys_getdents64,
    sys_ftruncate, sys_fallocate, sys_fsync, sys_pipe, sys_pipe2,
    sys_sendfile, sys_copy_file_range;
sys_handler sys_open, sys_openat, sys_openat2, sys_creat, sys_stat,
    sys_lstat, sys_newfstatat, sys_statx, sys_access, sys_faccessat,
    sys_faccessat2, sys_readlink, sys_readlinkat, sys_mkdir, sys_mkdirat,
    sys_rmdir, sys_unlink, sys_unlinkat, sys_rename, sys_renameat,
    sys_renameat2, sys_link, sys_linkat, sys_symlink, sys_symlinkat,
    sys_truncate, sys_chdir, sys_fchdir, sys_getcwd, sys_umask, sys_chmod,
    sys_fchmod, sys_fchmodat, sys_fchmodat2, sys_chown, sys_fchown, sys_lchown,
    sys_fchownat, sys_utimensat, sys_statfs, sys_fstatfs, sys_sync,
    sys_syncfs;
sys_handler sys_poll, sys_ppoll, sys_select, sys_pselect6;
sys_handler sys_brk, sys_mmap, sys_munmap, sys_mremap, sys_mprotect,
    sys_madvise;
sys_handler sys_exit, sys_arch_prctl, sys_set_tid_address, sys_clock_gettime,
    sys_clock_getres, sys_gettimeofday, sys_time, sys_nanosleep,
    sys_clock_nanosleep, sys_getpid, sys_getppid, sys_getuid, sys_getgroups,
    sys_wait4, sys_waitid, sys_uname, sys_sysinfo, sys_getrandom,
    sys_sched_yield, sys_rt_sigaction, sys_rt_sigprocmask,
    sys_sigaltstack, sys_futex, sys_prlimit64, sys_getrlimit, sys_setrlimit,
    sys_kill, sys_tkill, sys_tgkill, sys_set_robust_list, sys_enosys_quiet,
    sys_sched_getaffinity, sys_prctl;

/* The guest's process identity. */
#define SYS_GUEST_PID 1
/* RLIMIT_NOFILE as a process starts: Linux's default soft and hard. */
#define SYS_NOFILE_SOFT 1024
#define SYS_NOFILE_HARD 4096
#define NSEC_PER_SEC 1000000000L

#endif
