/* File-descriptor calls: the guest has fds 0, 1 and 2 (the monitor's
 * stdin, stdout and stderr) and no file system. */
#include "internal.h"
#include "common/stop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* Linux caps one read or write at this many bytes (MAX_RW_COUNT). */
#define MAX_RW_COUNT 0x7ffff000ULL
#define GUEST_IOV_MAX 1024      /* UIO_MAXIOV */
/* struct termios as the kernel copies it (asm-generic/termbits.h):
 * four flag words, c_line, c_cc[19]. */
#define KERNEL_TERMIOS_SIZE 36

struct guest_iovec {
    uint64_t base, len;
};

static bool guest_fd(uint64_t fd)
{
    return fd < SYS_GUEST_FDS;
}

static uint64_t rw_count(uint64_t len)
{
    return len < MAX_RW_COUNT ? len : MAX_RW_COUNT;
}

/* Up to len bytes of stdin into p, through the console (which the UART
 * shares): what it buffered, else the host's stdin, waiting with wait. */
static long stdin_read(struct sys_ctx *c, uint8_t *p, size_t len, bool wait)
{
    long got;

    if (console_read(c->g->console, p, len, wait, &got, c->err) < 0)
        return sys_fail(c);
    return got;
}

long sys_read(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t len = rw_count(a[2]);

    if (a[0] != STDIN_FILENO)
        return -EBADF;
    if (len == 0)
        return sys_user_empty_ok(a[1]) ? 0 : -EFAULT;
    uint8_t *p = sys_user_ptr(c, a[1], len, true);
    if (!p)
        return -EFAULT;
    return stdin_read(c, p, len, true);
}

long sys_write(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t len = rw_count(a[2]);

    if (a[0] != STDOUT_FILENO && a[0] != STDERR_FILENO)
        return -EBADF;
    if (len == 0)
        return sys_user_empty_ok(a[1]) ? 0 : -EFAULT;
    const uint8_t *p = sys_user_ptr(c, a[1], len, false);
    if (!p)
        return -EFAULT;
    if (console_write(c->g->console, (int)a[0], p, len, c->err) < 0)
        sys_fail(c);
    return (long)len;
}

/* Checks the iovec array and every buffer it names (writable ones for a
 * read); fills host pointers and returns the total, or -errno. */
static long check_iov(struct sys_ctx *c, uint64_t addr, uint64_t count,
                      bool write, uint8_t **bufs, uint64_t *lens)
{
    uint64_t total = 0;

    if (count > GUEST_IOV_MAX)
        return -EINVAL;
    const struct guest_iovec *iov =
        sys_user_ptr(c, addr, count * sizeof *iov, false);
    if (!iov && count)
        return -EFAULT;
    for (uint64_t i = 0; i < count; i++) {
        struct guest_iovec v;
        memcpy(&v, &iov[i], sizeof v);   /* guest memory: maybe unaligned */
        if (v.len > (uint64_t)SSIZE_MAX - total)
            return -EINVAL;
        bufs[i] = v.len ? sys_user_ptr(c, v.base, v.len, write) : NULL;
        if (v.len ? !bufs[i] : !sys_user_empty_ok(v.base))
            return -EFAULT;
        lens[i] = v.len;
        total += v.len;
    }
    return (long)total;
}

long sys_writev(struct sys_ctx *c, const uint64_t a[6])
{
    uint8_t *bufs[GUEST_IOV_MAX];
    uint64_t lens[GUEST_IOV_MAX];

    if (a[0] != STDOUT_FILENO && a[0] != STDERR_FILENO)
        return -EBADF;
    long total = check_iov(c, a[1], a[2], false, bufs, lens);
    if (total < 0)
        return total;
    uint64_t left = rw_count((uint64_t)total);
    for (uint64_t i = 0; i < a[2] && left; i++) {
        uint64_t n = lens[i] < left ? lens[i] : left;
        if (n && console_write(c->g->console, (int)a[0], bufs[i], n,
                               c->err) < 0) {
            sys_fail(c);
            break;
        }
        left -= n;
    }
    return (long)rw_count((uint64_t)total);
}

long sys_readv(struct sys_ctx *c, const uint64_t a[6])
{
    uint8_t *bufs[GUEST_IOV_MAX];
    uint64_t lens[GUEST_IOV_MAX];
    long done = 0;

    if (a[0] != STDIN_FILENO)
        return -EBADF;
    long total = check_iov(c, a[1], a[2], true, bufs, lens);
    if (total < 0)
        return total;
    /* Wait for the first bytes only; later buffers take what is there. */
    for (uint64_t i = 0; i < a[2] && c->result == LINUX_RESUME; i++) {
        uint64_t len = rw_count(lens[i]);
        if (len == 0)
            continue;
        long n = stdin_read(c, bufs[i], len, done == 0);
        if (n < 0)
            return done ? done : n;
        done += n;
        if ((uint64_t)n < len)
            break;
    }
    return done;
}

/* Paths name nothing: no host file is reachable.  A bad pointer still
 * gets -EFAULT, as Linux checks it first. */
static long no_file(struct sys_ctx *c, uint64_t path)
{
    const char *s;
    long r = sys_user_string(c, path, PATH_MAX, &s);
    return r < 0 ? r : -ENOENT;
}

/* Calls whose path is the first argument (open, stat, lstat, access,
 * readlink) or the second, after a directory fd (openat, faccessat(2),
 * readlinkat). */
long sys_path_call(struct sys_ctx *c, const uint64_t a[6])
{
    return no_file(c, a[0]);
}

long sys_path_at_call(struct sys_ctx *c, const uint64_t a[6])
{
    return no_file(c, a[1]);
}

long sys_getcwd(struct sys_ctx *c, const uint64_t a[6])
{
    static const char root[] = "/";

    if (a[1] < sizeof root)
        return -ERANGE;
    char *p = sys_user_ptr(c, a[0], sizeof root, true);
    if (!p)
        return -EFAULT;
    memcpy(p, root, sizeof root);
    return sizeof root;
}

long sys_close(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c;
    return guest_fd(a[0]) ? 0 : -EBADF;
}

long sys_lseek(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c;
    return guest_fd(a[0]) ? -ESPIPE : -EBADF;
}

_Static_assert(sizeof(struct stat) == 144, "x86-64 struct stat");

/* The host's fstat of fd, reduced to what says what kind of file it is:
 * no device or inode numbers, owners or times of the host leak in. */
static long stat_fd(struct sys_ctx *c, uint64_t fd, uint64_t buf)
{
    struct stat host, out;

    if (!guest_fd(fd))
        return -EBADF;
    struct stat *p = sys_user_ptr(c, buf, sizeof out, true);
    if (!p)
        return -EFAULT;
    if (fstat((int)fd, &host) < 0)
        return -errno;
    memset(&out, 0, sizeof out);
    out.st_mode = host.st_mode;
    out.st_nlink = 1;
    out.st_blksize = host.st_blksize;
    if (S_ISREG(host.st_mode)) {
        out.st_size = host.st_size;
        out.st_blocks = host.st_blocks;
    }
    if (S_ISCHR(host.st_mode))
        out.st_rdev = host.st_rdev;
    memcpy(p, &out, sizeof out);
    return 0;
}

long sys_fstat(struct sys_ctx *c, const uint64_t a[6])
{
    return stat_fd(c, a[0], a[1]);
}

long sys_newfstatat(struct sys_ctx *c, const uint64_t a[6])
{
    const char *path;
    long r = sys_user_string(c, a[1], PATH_MAX, &path);

    if (r < 0)
        return r;
    if (*path == '\0' && (a[3] & AT_EMPTY_PATH))
        return stat_fd(c, a[0], a[2]);
    return -ENOENT;
}

long sys_ioctl(struct sys_ctx *c, const uint64_t a[6])
{
    uint8_t buf[64];
    size_t size;

    if (!guest_fd(a[0]))
        return -EBADF;
    unsigned int request = (unsigned int)a[1];   /* Linux's type for it */

    switch (request) {
    case TCGETS:     size = KERNEL_TERMIOS_SIZE; break;
    case TIOCGWINSZ: size = sizeof(struct winsize); break;
    default:         return -ENOTTY;
    }
    void *p = sys_user_ptr(c, a[2], size, true);
    if (!p)
        return -EFAULT;
    if (ioctl((int)a[0], (unsigned long)request, buf) < 0)
        return -errno;
    memcpy(p, buf, size);
    return 0;
}
