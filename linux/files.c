/* Calls on fds: what an fd is comes from its open file description (fs.h);
 * a host fd gets the host's own call, so a file's semantics are Linux's
 * own, and a read or write of any size is one host call into or out of
 * guest memory. */
#include "internal.h"
#include "common/stop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

/* Linux caps one read or write at this many bytes (MAX_RW_COUNT). */
#define MAX_RW_COUNT 0x7ffff000ULL
#define GUEST_IOV_MAX 1024      /* UIO_MAXIOV */
/* struct termios as the kernel copies it (asm-generic/termbits.h):
 * four flag words, c_line, c_cc[19]. */
#define KERNEL_TERMIOS_SIZE 36
/* The status flags F_SETFL changes (the rest it ignores, as Linux). */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)
#define LX_CLOSE_RANGE_UNSHARE 2u
#define LX_CLOSE_RANGE_CLOEXEC 4u
#define DIRENT_ALIGN 8
/* The device numbers of Linux's memory devices (devices.txt, major 1). */
#define MEM_MAJOR 1

struct guest_iovec {
    uint64_t base, len;
};

static uint64_t rw_count(uint64_t len)
{
    return len < MAX_RW_COUNT ? len : MAX_RW_COUNT;
}

/* Linux's rw_verify_area(): a position whose end (off + count) passes the
 * largest loff_t is EINVAL before the file is asked, /dev/null and
 * /dev/zero included.  kvmelf's own files need it said: they ignore the
 * position, and adding what they read to it would overflow.  A host file
 * gets the host's own check. */
static bool past_max_offset(const struct lfile *f, int64_t off,
                            uint64_t count)
{
    return (f->kind == LF_DEV || f->kind == LF_DIR) && off >= 0 &&
           count > (uint64_t)(INT64_MAX - off);
}

long sys_new_fd(struct sys_ctx *c, struct lfile *f, bool cloexec)
{
    int fd = fd_install(&c->proc->fds, 0, sys_nofile(c->proc), f, cloexec);
    if (fd < 0)
        lfile_put(f);
    return fd;
}

/* ---- Reading and writing ------------------------------------------------- */

/* Up to len bytes of stdin into p, through the console (which the UART
 * shares): what it buffered, else the host's stdin, waiting with wait. */
static long stdin_read(struct sys_ctx *c, uint8_t *p, size_t len, bool wait)
{
    long got;

    if (console_read(c->g->console, p, len, wait, &got, c->err) < 0)
        return sys_fail(c);
    return got;
}

static long dev_read(enum fs_vnode v, uint8_t *p, size_t len)
{
    switch (v) {
    case VN_NULL:
        return 0;
    case VN_RANDOM:
    case VN_URANDOM: {
        size_t done = 0;
        while (done < len) {
            ssize_t n = getrandom(p + done, len - done, 0);
            if (n < 0 && errno != EINTR)
                return done ? (long)done : -errno;
            done += n > 0 ? (size_t)n : 0;
        }
        return (long)len;
    }
    default:                     /* zero, full */
        memset(p, 0, len);
        return (long)len;
    }
}

/* One host read; a pipe the guest reads blocking waits on the host (its
 * host fd never blocks, so a stop can end the wait). */
static long host_read(struct lfile *f, uint8_t *p, size_t len, int64_t off)
{
    for (;;) {
        ssize_t n = off >= 0 ? pread(f->host_fd, p, len, off)
                             : read(f->host_fd, p, len);
        if (n >= 0)
            return n;
        if (errno == EINTR && !stop_requested())
            continue;
        if (errno != EAGAIN || (f->flags & O_NONBLOCK) || !f->pipe)
            return -errno;
        long r = sys_wait_host_fd(f->host_fd, POLLIN);
        if (r < 0)
            return r;
    }
}

/* A blocking write to a pipe writes everything, waiting for room; a
 * non-blocking one what fits. */
static long pipe_write(struct sys_ctx *c, struct lfile *f, const uint8_t *p,
                       size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(f->host_fd, p + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR && !stop_requested())
            continue;
        if (n < 0 && errno == EPIPE) {
            sys_raise(c, SIGPIPE);
            return done ? (long)done : -EPIPE;
        }
        if (n < 0 && errno == EAGAIN && !(f->flags & O_NONBLOCK)) {
            long r = sys_wait_host_fd(f->host_fd, POLLOUT);
            if (r < 0)
                return done ? (long)done : r;
            continue;
        }
        return done ? (long)done : -errno;
    }
    return (long)done;
}

/* read(2) or pread(2) (off >= 0) of f into the guest's p. */
static long file_read(struct sys_ctx *c, struct lfile *f, uint8_t *p,
                      size_t len, int64_t off)
{
    switch (f->kind) {
    case LF_HOST:
        return host_read(f, p, len, off);
    case LF_CONSOLE:
        if (f->std != STDIN_FILENO)
            return -EBADF;
        if (off >= 0)
            return -ESPIPE;
        return stdin_read(c, p, len, !(f->flags & O_NONBLOCK));
    case LF_DEV:
        return dev_read(f->vnode, p, len);
    case LF_DIR:
        return -EISDIR;
    }
    return -EBADF;
}

static long file_write(struct sys_ctx *c, struct lfile *f, const uint8_t *p,
                       size_t len, int64_t off)
{
    switch (f->kind) {
    case LF_HOST:
        if (f->pipe && off < 0)
            return pipe_write(c, f, p, len);
        if (off >= 0) {
            ssize_t n = pwrite(f->host_fd, p, len, off);
            return n < 0 ? -errno : n;
        }
        ssize_t n = write(f->host_fd, p, len);
        return n < 0 ? -errno : n;
    case LF_CONSOLE:
        if (f->std == STDIN_FILENO)
            return -EBADF;
        if (off >= 0)
            return -ESPIPE;
        if (console_write(c->g->console, f->std, p, len, c->err) < 0)
            sys_fail(c);
        return (long)len;
    case LF_DEV:
        return f->vnode == VN_FULL ? -ENOSPC : (long)len;
    case LF_DIR:
        return -EBADF;
    }
    return -EBADF;
}

/* A description opened only for the other direction (a host fd's own
 * mode is the host's to check). */
static bool wrong_mode(const struct lfile *f, bool write)
{
    return f->kind != LF_HOST &&
           (f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY);
}

/* The guest's buffer for a read (writable) or a write. */
static long user_buf(struct sys_ctx *c, uint64_t addr, uint64_t len,
                     bool write, uint8_t **p)
{
    *p = len ? sys_user_ptr(c, addr, len, write) : NULL;
    if (len ? !*p : !sys_user_empty_ok(addr))
        return -EFAULT;
    return 0;
}

static long rw_call(struct sys_ctx *c, const uint64_t a[6], bool write,
                    int64_t off)
{
    struct lfile *f = sys_file(c, a[0]);
    uint64_t len = rw_count(a[2]);
    uint8_t *p;

    if (!f)
        return -EBADF;
    if (off < -1)
        return -EINVAL;
    if (wrong_mode(f, write))
        return -EBADF;
    long r = user_buf(c, a[1], len, !write, &p);
    if (r < 0)
        return r;
    if (past_max_offset(f, off, a[2]))
        return -EINVAL;
    if (len == 0 && f->kind != LF_HOST)
        return 0;
    return write ? file_write(c, f, p, len, off) : file_read(c, f, p, len, off);
}

long sys_read(struct sys_ctx *c, const uint64_t a[6])
{
    return rw_call(c, a, false, -1);
}

long sys_write(struct sys_ctx *c, const uint64_t a[6])
{
    return rw_call(c, a, true, -1);
}

long sys_pread64(struct sys_ctx *c, const uint64_t a[6])
{
    return (int64_t)a[3] < 0 ? -EINVAL : rw_call(c, a, false, (int64_t)a[3]);
}

long sys_pwrite64(struct sys_ctx *c, const uint64_t a[6])
{
    return (int64_t)a[3] < 0 ? -EINVAL : rw_call(c, a, true, (int64_t)a[3]);
}

/* Checks the iovec array and every buffer it names (writable ones for a
 * read) into host iovecs; the total, or -errno. */
static long check_iov(struct sys_ctx *c, uint64_t addr, uint64_t count,
                      bool write, struct iovec *out)
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
        uint8_t *p;
        if (user_buf(c, v.base, v.len, write, &p) < 0)
            return -EFAULT;
        out[i] = (struct iovec){ p, v.len };
        total += v.len;
    }
    return (long)total;
}

/* readv/writev and the p- and 2-variants: a host file gets one host call;
 * anything else one read or write per buffer, the first of a read waiting
 * and the later ones taking what is there. */
static long rwv_call(struct sys_ctx *c, const uint64_t a[6], bool write,
                     int64_t off, uint64_t flags)
{
    struct iovec iov[GUEST_IOV_MAX];
    struct lfile *f = sys_file(c, a[0]);

    if (!f)
        return -EBADF;
    if (off < -1)
        return -EINVAL;
    if (wrong_mode(f, write))
        return -EBADF;
    long total = check_iov(c, a[1], a[2], !write, iov);
    if (total < 0)
        return total;
    int cnt = (int)a[2];
    if (f->kind == LF_HOST && !(f->pipe && write)) {
        ssize_t n = write ? pwritev2(f->host_fd, iov, cnt, off, (int)flags)
                          : preadv2(f->host_fd, iov, cnt, off, (int)flags);
        if (n < 0 && errno == EAGAIN && f->pipe && !write &&
            !(f->flags & O_NONBLOCK)) {
            long r = sys_wait_host_fd(f->host_fd, POLLIN);
            if (r < 0)
                return r;
            n = preadv2(f->host_fd, iov, cnt, off, (int)flags);
        }
        return n < 0 ? -errno : n;
    }
    if (flags)
        return -EOPNOTSUPP;
    if (past_max_offset(f, off, (uint64_t)total))
        return -EINVAL;
    long done = 0;
    for (int i = 0; i < cnt && c->result == LINUX_RESUME; i++) {
        size_t len = iov[i].iov_len;
        if (len == 0)
            continue;
        long n;
        if (write)
            n = file_write(c, f, iov[i].iov_base, len, off);
        else if (f->kind == LF_CONSOLE && done)
            n = stdin_read(c, iov[i].iov_base, len, false);
        else
            n = file_read(c, f, iov[i].iov_base, len, off);
        if (n == -EAGAIN && done)
            break;
        if (n < 0)
            return done ? done : n;
        done += n;
        if (off >= 0)
            off += n;
        if ((size_t)n < len || (uint64_t)done >= MAX_RW_COUNT)
            break;
    }
    return done;
}

long sys_readv(struct sys_ctx *c, const uint64_t a[6])
{
    return rwv_call(c, a, false, -1, 0);
}

long sys_writev(struct sys_ctx *c, const uint64_t a[6])
{
    return rwv_call(c, a, true, -1, 0);
}

long sys_preadv(struct sys_ctx *c, const uint64_t a[6])
{
    return (int64_t)a[3] < 0 ? -EINVAL
                             : rwv_call(c, a, false, (int64_t)a[3], 0);
}

long sys_pwritev(struct sys_ctx *c, const uint64_t a[6])
{
    return (int64_t)a[3] < 0 ? -EINVAL
                             : rwv_call(c, a, true, (int64_t)a[3], 0);
}

long sys_preadv2(struct sys_ctx *c, const uint64_t a[6])
{
    return rwv_call(c, a, false, (int64_t)a[3], a[5]);
}

long sys_pwritev2(struct sys_ctx *c, const uint64_t a[6])
{
    return rwv_call(c, a, true, (int64_t)a[3], a[5]);
}

/* ---- Positions, closing, duplicating ------------------------------------- */

long sys_lseek(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);
    int64_t off = (int64_t)a[1];

    if (!f)
        return -EBADF;
    if (a[2] > SEEK_HOLE)
        return -EINVAL;
    switch (f->kind) {
    case LF_HOST: {
        off_t r = lseek(f->host_fd, off, (int)a[2]);
        return r < 0 ? -errno : r;
    }
    case LF_CONSOLE:
        return -ESPIPE;
    case LF_DEV:
        return 0;
    case LF_DIR:
        if (a[2] == SEEK_CUR && off == 0)
            return (long)f->dir_pos;
        if (a[2] != SEEK_SET || off < 0)
            return -EINVAL;
        f->dir_pos = (uint64_t)off;
        return off;
    }
    return -EBADF;
}

long sys_close(struct sys_ctx *c, const uint64_t a[6])
{
    return fd_close(&c->proc->fds, (int64_t)(uint32_t)a[0]);
}

long sys_close_range(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t lo = (uint32_t)a[0], hi = (uint32_t)a[1];

    if (a[2] & ~(uint64_t)(LX_CLOSE_RANGE_UNSHARE | LX_CLOSE_RANGE_CLOEXEC) ||
        lo > hi)
        return -EINVAL;
    fd_close_range(&c->proc->fds, lo, hi,
                   (a[2] & LX_CLOSE_RANGE_CLOEXEC) != 0);
    return 0;
}

static long dup_to(struct sys_ctx *c, uint64_t oldfd, uint64_t newfd,
                   bool cloexec)
{
    struct lfile *f = sys_file(c, oldfd);

    if (!f)
        return -EBADF;
    if ((uint32_t)newfd >= sys_nofile(c->proc))
        return -EBADF;
    f->refs++;
    int r = fd_install_at(&c->proc->fds, (int)(uint32_t)newfd,
                          sys_nofile(c->proc), f, cloexec);
    if (r < 0)
        lfile_put(f);
    return r;
}

static long dup_from(struct sys_ctx *c, uint64_t oldfd, uint64_t min,
                     bool cloexec)
{
    struct lfile *f = sys_file(c, oldfd);

    if (!f)
        return -EBADF;
    if (min >= sys_nofile(c->proc))
        return -EINVAL;
    f->refs++;
    int fd = fd_install(&c->proc->fds, (int)min, sys_nofile(c->proc), f,
                        cloexec);
    if (fd < 0)
        lfile_put(f);
    return fd;
}

long sys_dup(struct sys_ctx *c, const uint64_t a[6])
{
    long r = dup_from(c, a[0], 0, false);
    return r == -EINVAL ? -EMFILE : r;
}

long sys_dup2(struct sys_ctx *c, const uint64_t a[6])
{
    if ((uint32_t)a[0] == (uint32_t)a[1])
        return sys_file(c, a[0]) ? (long)(uint32_t)a[1] : -EBADF;
    return dup_to(c, a[0], a[1], false);
}

long sys_dup3(struct sys_ctx *c, const uint64_t a[6])
{
    if (a[2] & ~(uint64_t)O_CLOEXEC)
        return -EINVAL;
    if ((uint32_t)a[0] == (uint32_t)a[1])
        return -EINVAL;
    return dup_to(c, a[0], a[1], (a[2] & O_CLOEXEC) != 0);
}

/* ---- fcntl, flock, ioctl -------------------------------------------------- */

static long get_status_flags(struct lfile *f)
{
    int host = -1;

    if (f->kind == LF_HOST)
        host = f->host_fd;
    else if (f->kind == LF_CONSOLE)
        host = f->std;
    if (host < 0)
        return (long)(f->flags | O_LARGEFILE);
    int fl = fcntl(host, F_GETFL);
    if (fl < 0)
        return -errno;
    if (f->pipe || f->kind == LF_CONSOLE)
        fl = (fl & ~O_NONBLOCK) | (int)(f->flags & O_NONBLOCK);
    if (f->kind == LF_CONSOLE)
        fl = (fl & ~O_ACCMODE) | (int)(f->flags & O_ACCMODE);
    return fl;
}

static long set_status_flags(struct lfile *f, uint64_t arg)
{
    unsigned set = (unsigned)arg & SETFL_MASK;

    if (f->kind == LF_HOST) {
        int host = (int)set;
        if (f->pipe)
            host |= O_NONBLOCK;  /* the host side never blocks */
        if (fcntl(f->host_fd, F_SETFL, host) < 0)
            return -errno;
    }
    f->flags = (f->flags & ~(unsigned)SETFL_MASK) | set;
    return 0;
}

/* Locks: a host file's are the host's (so other processes see them); on
 * anything else there is nothing to conflict with. */
static long lock_call(struct sys_ctx *c, struct lfile *f, int cmd,
                      uint64_t addr)
{
    bool get = cmd == F_GETLK || cmd == F_OFD_GETLK;
    struct flock *p = sys_user_ptr(c, addr, sizeof *p, get);
    struct flock fl;

    if (!p)
        return -EFAULT;
    memcpy(&fl, p, sizeof fl);
    if (f->kind != LF_HOST) {
        if (get)
            fl.l_type = F_UNLCK;
    } else if (fcntl(f->host_fd, cmd, &fl) < 0) {
        return -errno;
    }
    if (get)
        memcpy(p, &fl, sizeof fl);
    return 0;
}

long sys_fcntl(struct sys_ctx *c, const uint64_t a[6])
{
    struct fd_slot *s = fd_get(&c->proc->fds, (int64_t)(uint32_t)a[0]);
    int cmd = (int)a[1];

    if (!s)
        return -EBADF;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        return dup_from(c, a[0], (uint32_t)a[2], cmd == F_DUPFD_CLOEXEC);
    case F_GETFD:
        return s->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
        s->cloexec = (a[2] & FD_CLOEXEC) != 0;
        return 0;
    case F_GETFL:
        return get_status_flags(s->f);
    case F_SETFL:
        return set_status_flags(s->f, a[2]);
    case F_GETLK: case F_SETLK: case F_SETLKW:
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
        return lock_call(c, s->f, cmd, a[2]);
    case F_GETOWN:
    case F_SETOWN:
        return 0;
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ: {
        if (!s->f->pipe)
            return -EBADF;
        int r = fcntl(s->f->host_fd, cmd, (int)a[2]);
        return r < 0 ? -errno : r;
    }
    default:
        return -EINVAL;
    }
}

long sys_flock(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);
    uint64_t op = a[1] & ~(uint64_t)LOCK_NB;

    if (!f)
        return -EBADF;
    if (op != LOCK_SH && op != LOCK_EX && op != LOCK_UN)
        return -EINVAL;
    if (f->kind != LF_HOST)
        return 0;
    return flock(f->host_fd, (int)a[1]) < 0 ? -errno : 0;
}

/* The host fd whose terminal or queue an ioctl asks about, or -1. */
static int ioctl_host_fd(const struct lfile *f)
{
    if (f->kind == LF_HOST)
        return f->host_fd;
    return f->kind == LF_CONSOLE ? f->std : -1;
}

long sys_ioctl(struct sys_ctx *c, const uint64_t a[6])
{
    struct fd_slot *s = fd_get(&c->proc->fds, (int64_t)(uint32_t)a[0]);
    unsigned int request = (unsigned int)a[1];   /* Linux's type for it */
    uint8_t buf[64];
    size_t size;

    if (!s)
        return -EBADF;
    switch (request) {
    case FIOCLEX:
    case FIONCLEX:
        s->cloexec = request == FIOCLEX;
        return 0;
    case FIONBIO: {
        const int *on = sys_user_ptr(c, a[2], sizeof *on, false);
        if (!on)
            return -EFAULT;
        unsigned fl = s->f->flags;
        return set_status_flags(s->f, *on ? (fl | O_NONBLOCK)
                                          : (fl & ~(unsigned)O_NONBLOCK));
    }
    case TCGETS:     size = KERNEL_TERMIOS_SIZE; break;
    case TIOCGWINSZ: size = sizeof(struct winsize); break;
    case FIONREAD:   size = sizeof(int); break;
    default:         return -ENOTTY;
    }
    int host = ioctl_host_fd(s->f);
    if (host < 0)
        return request == FIONREAD && s->f->kind == LF_DIR ? -EINVAL
                                                            : -ENOTTY;
    void *p = sys_user_ptr(c, a[2], size, true);
    if (!p)
        return -EFAULT;
    memset(buf, 0, sizeof buf);
    if (ioctl(host, (unsigned long)request, buf) < 0)
        return -errno;
    if (request == FIONREAD && s->f->kind == LF_CONSOLE) {
        int n;
        memcpy(&n, buf, sizeof n);
        n += (int)console_buffered_input(c->g->console);
        memcpy(buf, &n, sizeof n);
    }
    memcpy(p, buf, size);
    return 0;
}

/* ---- fstat, getdents64 ------------------------------------------------- */

_Static_assert(sizeof(struct stat) == 144, "x86-64 struct stat");

/* A node kvmelf makes: no host device, inode or owner leaks in; the inode
 * number is the path's hash, so two nodes differ and one stays itself. */
void sys_stat_virtual(enum fs_vnode vnode, const char *path, struct stat *st)
{
    static const unsigned minors[] = {
        [VN_NULL] = 3, [VN_ZERO] = 5, [VN_FULL] = 7, [VN_RANDOM] = 8,
        [VN_URANDOM] = 9,
    };
    uint64_t h = 1469598103934665603ULL;     /* FNV-1a */

    for (const char *s = path ? path : ""; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    memset(st, 0, sizeof *st);
    st->st_ino = h | 1;
    st->st_blksize = 4096;
    switch (vnode) {
    case VN_NULL: case VN_ZERO: case VN_FULL: case VN_RANDOM: case VN_URANDOM:
        st->st_mode = S_IFCHR | 0666;
        st->st_nlink = 1;
        st->st_rdev = makedev(MEM_MAJOR, minors[vnode]);
        break;
    case VN_FD_LINK:
    case VN_EXE:
        st->st_mode = S_IFLNK | 0777;
        st->st_nlink = 1;
        break;
    default:
        st->st_mode = S_IFDIR | 0555;
        st->st_nlink = 2;
        break;
    }
}

/* The console's streams: the host's fstat, reduced to what says what kind
 * of file it is (no device or inode numbers, owners or times). */
static long stat_console(int fd, struct stat *out)
{
    struct stat host;

    if (fstat(fd, &host) < 0)
        return -errno;
    memset(out, 0, sizeof *out);
    out->st_mode = host.st_mode;
    out->st_nlink = 1;
    out->st_blksize = host.st_blksize;
    if (S_ISREG(host.st_mode)) {
        out->st_size = host.st_size;
        out->st_blocks = host.st_blocks;
    }
    if (S_ISCHR(host.st_mode))
        out->st_rdev = host.st_rdev;
    return 0;
}

long sys_stat_file(struct sys_ctx *c, struct lfile *f, struct stat *st)
{
    (void)c;
    switch (f->kind) {
    case LF_HOST:
        return fstat(f->host_fd, st) < 0 ? -errno : 0;
    case LF_CONSOLE:
        return stat_console(f->std, st);
    case LF_DEV:
        sys_stat_virtual(f->vnode, f->path, st);
        return 0;
    case LF_DIR:
        sys_stat_virtual(VN_DIR, f->path, st);
        return 0;
    }
    return -EBADF;
}

long sys_fstat(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);
    struct stat st;

    if (!f)
        return -EBADF;
    void *p = sys_user_ptr(c, a[1], sizeof st, true);
    if (!p)
        return -EFAULT;
    long r = sys_stat_file(c, f, &st);
    if (r == 0)
        memcpy(p, &st, sizeof st);
    return r;
}

/* struct linux_dirent64 (getdents64(2)), packed into the guest's buffer. */
struct dirent_fill {
    const struct fs_tree *tree;
    const char *dir;
    uint8_t *buf;
    size_t size, used;
    uint64_t index, skip;    /* entries before dir_pos are skipped */
    uint64_t ino_seed;
    bool full;
};

static uint8_t dirent_type(const struct dirent_fill *d, const char *name,
                           bool is_dir)
{
    char path[FS_PATH_MAX];
    struct fs_where w;

    if (is_dir || fs_path_normalize(d->dir, name, path, NULL) < 0)
        return DT_DIR;
    fs_lookup(d->tree, path, &w);
    if (w.place != FS_VIRTUAL)
        return DT_DIR;
    switch (w.vnode) {
    case VN_DIR:     return DT_DIR;
    case VN_FD_LINK:
    case VN_EXE:     return DT_LNK;
    default:         return DT_CHR;
    }
}

static int put_dirent(const char *name, bool is_dir, void *ctx)
{
    struct dirent_fill *d = ctx;
    size_t len = strlen(name);
    size_t reclen = (19 + len + 1 + DIRENT_ALIGN - 1) & ~(size_t)(DIRENT_ALIGN - 1);

    if (d->index++ < d->skip)
        return 0;
    if (d->used + reclen > d->size) {
        d->full = true;
        return 1;
    }
    uint8_t *e = d->buf + d->used;
    uint64_t ino = d->ino_seed + d->index, off = d->index;
    uint16_t rl = (uint16_t)reclen;
    memset(e, 0, reclen);
    memcpy(e, &ino, 8);
    memcpy(e + 8, &off, 8);
    memcpy(e + 16, &rl, 2);
    e[18] = dirent_type(d, name, is_dir);
    memcpy(e + 19, name, len + 1);      /* with its NUL */
    d->used += reclen;
    return 0;
}

/* A directory kvmelf lists: ".", "..", then fs_list's names; a device
 * entry says DT_CHR, an fd entry DT_LNK, a directory DT_DIR. */
static long list_virtual(struct sys_ctx *c, struct lfile *f, uint8_t *buf,
                         size_t size)
{
    int fds[SYS_NOFILE_HARD];
    size_t nfds = fd_list(&c->proc->fds, fds, SYS_NOFILE_HARD);
    struct dirent_fill d = { .tree = &c->proc->tree, .dir = f->path,
                             .buf = buf, .size = size, .skip = f->dir_pos,
                             .ino_seed = 0x1000 };

    if (nfds > SYS_NOFILE_HARD)
        nfds = SYS_NOFILE_HARD;
    if (put_dirent(".", true, &d) == 0 && put_dirent("..", true, &d) == 0)
        fs_list(&c->proc->tree, f->path, fds, nfds, put_dirent, &d);
    if (d.used == 0 && d.full)
        return -EINVAL;
    f->dir_pos = d.index - (d.full ? 1 : 0);
    return (long)d.used;
}

long sys_getdents64(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);
    uint64_t size = a[2] > INT_MAX ? INT_MAX : a[2];

    if (!f)
        return -EBADF;
    uint8_t *p = sys_user_ptr(c, a[1], size, true);
    if (!p && size)
        return -EFAULT;
    if (f->kind == LF_HOST) {
        long n = syscall(SYS_getdents64, f->host_fd, p, size);
        return n < 0 ? -errno : n;
    }
    if (f->kind != LF_DIR)
        return -ENOTDIR;
    return list_virtual(c, f, p, size);
}

/* ---- Sizes and durability ------------------------------------------------ */

long sys_ftruncate(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);

    if (!f)
        return -EBADF;
    if (f->kind != LF_HOST || f->pipe)
        return -EINVAL;
    return ftruncate(f->host_fd, (off_t)a[1]) < 0 ? -errno : 0;
}

long sys_fallocate(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);

    if (!f)
        return -EBADF;
    if (f->pipe)
        return -ESPIPE;
    if (f->kind != LF_HOST)
        return -ENODEV;
    return fallocate(f->host_fd, (int)a[1], (off_t)a[2], (off_t)a[3]) < 0 ?
           -errno : 0;
}

/* fsync and fdatasync: a host file's data goes to the host's disk. */
long sys_fsync(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);

    if (!f)
        return -EBADF;
    if (f->kind != LF_HOST)
        return -EINVAL;
    int r = c->nr == SYS_fdatasync ? fdatasync(f->host_fd)
                                   : fsync(f->host_fd);
    return r < 0 ? -errno : 0;
}

/* ---- Pipes: a host pipe inside the process ------------------------------- */

long sys_pipe2(struct sys_ctx *c, const uint64_t a[6])
{
    int host[2], fds[2];
    struct lfile *ends[2];
    bool cloexec = (a[1] & O_CLOEXEC) != 0;

    if (a[1] & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
        return -EINVAL;
    int *out = sys_user_ptr(c, a[0], sizeof fds, true);
    if (!out)
        return -EFAULT;
    if (pipe2(host, O_CLOEXEC | O_NONBLOCK | (int)(a[1] & O_DIRECT)) < 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        unsigned mode = (i ? O_WRONLY : O_RDONLY) | (a[1] & O_NONBLOCK);
        if ((ends[i] = lfile_new(LF_HOST, mode, NULL))) {
            ends[i]->host_fd = host[i];
            ends[i]->pipe = true;
        } else {
            close(host[i]);
        }
    }
    if (!ends[0] || !ends[1]) {
        lfile_put(ends[0]);
        lfile_put(ends[1]);
        return -ENOMEM;
    }
    long r = fds[0] = (int)sys_new_fd(c, ends[0], cloexec);
    if (r < 0) {
        lfile_put(ends[1]);
        return r;
    }
    r = fds[1] = (int)sys_new_fd(c, ends[1], cloexec);
    if (r < 0) {
        fd_close(&c->proc->fds, fds[0]);
        return r;
    }
    memcpy(out, fds, sizeof fds);
    return 0;
}

long sys_pipe(struct sys_ctx *c, const uint64_t a[6])
{
    const uint64_t b[6] = { a[0], 0, 0, 0, 0, 0 };
    return sys_pipe2(c, b);
}

/* ---- sendfile, copy_file_range: through a buffer of kvmelf's ----------- */

#define COPY_CHUNK (64u << 10)

/* Up to count bytes from in (at *in_off, or its position for NULL) to out
 * (likewise), a chunk at a time; what was copied, or the first error when
 * nothing was. */
static long copy_data(struct sys_ctx *c, struct lfile *in, int64_t *in_off,
                      struct lfile *out, int64_t *out_off, uint64_t count)
{
    uint8_t *buf = malloc(COPY_CHUNK);
    uint64_t done = 0;
    long r = 0;

    if (!buf)
        return -ENOMEM;
    count = rw_count(count);
    while (done < count && c->result == LINUX_RESUME) {
        size_t want = count - done < COPY_CHUNK ? count - done : COPY_CHUNK;
        r = file_read(c, in, buf, want, in_off ? *in_off : -1);
        if (r <= 0)
            break;
        long w = file_write(c, out, buf, (size_t)r, out_off ? *out_off : -1);
        if (w < 0) {
            r = w;
            break;
        }
        if (in_off)
            *in_off += w;
        else if (w < r && in->kind == LF_HOST)   /* give back what stayed */
            lseek(in->host_fd, (off_t)(w - r), SEEK_CUR);
        if (out_off)
            *out_off += w;
        done += (uint64_t)w;
        if (w < r || (size_t)r < want)
            break;
    }
    free(buf);
    return done ? (long)done : r;
}

/* A guest loff_t the call reads and updates (addr 0: none). */
static long user_offset(struct sys_ctx *c, uint64_t addr, int64_t **p)
{
    *p = NULL;
    if (!addr)
        return 0;
    *p = sys_user_ptr(c, addr, sizeof **p, true);
    if (!*p)
        return -EFAULT;
    int64_t v;
    memcpy(&v, *p, sizeof v);
    return v < 0 ? -EINVAL : 0;
}

static bool regular_host_file(const struct lfile *f)
{
    struct stat st;
    return f->kind == LF_HOST && !f->pipe && fstat(f->host_fd, &st) == 0 &&
           S_ISREG(st.st_mode);
}

long sys_sendfile(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *out = sys_file(c, a[0]), *in = sys_file(c, a[1]);
    int64_t *off, pos;

    if (!out || !in || wrong_mode(out, true) || wrong_mode(in, false))
        return -EBADF;
    if (out->flags & O_APPEND)
        return -EINVAL;
    if (in->kind != LF_DEV && !regular_host_file(in))
        return -EINVAL;
    long r = user_offset(c, a[2], &off);
    if (r < 0)
        return r;
    if (off)
        memcpy(&pos, off, sizeof pos);
    if (off && past_max_offset(in, pos, a[3]))
        return -EINVAL;
    r = copy_data(c, in, off ? &pos : NULL, out, NULL, a[3]);
    if (off)
        memcpy(off, &pos, sizeof pos);
    return r;
}

long sys_copy_file_range(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *in = sys_file(c, a[0]), *out = sys_file(c, a[2]);
    int64_t *in_off, *out_off, ipos = 0, opos = 0;

    if (a[5])
        return -EINVAL;
    if (!out || !in || wrong_mode(out, true) || wrong_mode(in, false))
        return -EBADF;
    if (!regular_host_file(in) || !regular_host_file(out))
        return -EINVAL;
    if (out->flags & O_APPEND)
        return -EBADF;
    long r = user_offset(c, a[1], &in_off);
    if (r == 0)
        r = user_offset(c, a[3], &out_off);
    if (r < 0)
        return r;
    if (in_off)
        memcpy(&ipos, in_off, sizeof ipos);
    if (out_off)
        memcpy(&opos, out_off, sizeof opos);
    r = copy_data(c, in, in_off ? &ipos : NULL, out, out_off ? &opos : NULL,
                  a[4]);
    if (in_off)
        memcpy(in_off, &ipos, sizeof ipos);
    if (out_off)
        memcpy(out_off, &opos, sizeof opos);
    return r;
}
