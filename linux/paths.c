/* Calls on paths.  A guest path is made absolute and normalized (path.c),
 * placed in the tree (tree.c), and inside a grant reached on the host
 * only beneath the grant's fd: an O_PATH fd of the object itself, or of
 * its parent directory plus one name for the calls that change a
 * directory entry.  Neither way can leave the grant (fs.h). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define LX_AT_FDCWD (-100)
/* The flags open(2) knows (VALID_OPEN_FLAGS); open ignores others,
 * openat2 refuses them. */
#define VALID_OPEN_FLAGS \
    (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | \
     O_NONBLOCK | O_DSYNC | O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | \
     O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE)
/* O_TMPFILE includes O_DIRECTORY's bit: test it whole. */
#define IS_TMPFILE(fl) (((fl) & O_TMPFILE) == O_TMPFILE)
#define CREATES(fl) (((fl) & O_CREAT) || IS_TMPFILE(fl))
#define O_PATH_FLAGS (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
#define RESOLVE_KNOWN \
    (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | \
     RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED)
/* What the host's openat2 checks for the guest (the rest is kvmelf's). */
#define RESOLVE_HOST (RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS)
#define OPEN_HOW_SIZE_VER0 24
#define LX_RENAME_FLAGS (RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)
#define LX_SYS_fchmodat2 452    /* Linux 6.6 */
#define TMPFS_MAGIC 0x01021994
#define PROC_SUPER_MAGIC 0x9fa0

/* A guest path, resolved. */
struct sys_path {
    char abs[FS_PATH_MAX];
    bool dir_only;           /* ended in "/": must be a directory */
    unsigned dots;           /* its last name was "." (1) or ".." (2) */
    bool empty;              /* "" (only with AT_EMPTY_PATH) */
    struct fs_where w;
    uint64_t resolve;        /* what every host open of it adds: links
                                resolved in the guest's tree already
                                (fs_walk) are not to be met again */
};

/* How resolve() takes a path: AT_EMPTY_PATH ("" names dirfd) and
 * PATH_FOLLOW (a symlink as its last name is followed: the call's own
 * rule, e.g. stat but not lstat). */
#define PATH_FOLLOW AT_SYMLINK_FOLLOW
/* What open follows: O_CREAT|O_EXCL never follows the last name. */
/* AT_SYMLINK_NOFOLLOW's calls (fstatat, faccessat, fchmodat, fchownat,
 * utimensat): what resolve() is to do. */
#define AT_HOW(fl) \
    (((fl) & AT_EMPTY_PATH) | (((fl) & AT_SYMLINK_NOFOLLOW) ? 0 : PATH_FOLLOW))
#define OPEN_FOLLOWS(fl) \
    (!((fl) & O_NOFOLLOW) && ((fl) & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL))

static bool file_is_dir(struct lfile *f)
{
    struct stat st;

    if (f->kind == LF_DIR)
        return true;
    return f->kind == LF_HOST && f->path && fstat(f->host_fd, &st) == 0 &&
           S_ISDIR(st.st_mode);
}

/* 1 when the last name of s (trailing slashes aside) is ".", 2 for "..":
 * what rmdir, unlink and rename refuse before anything else, which the
 * normalized path no longer says. */
static unsigned last_dots(const char *s)
{
    size_t n = strlen(s);

    while (n > 1 && s[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && s[start - 1] != '/')
        start--;
    size_t len = n - start;
    if (len == 0 || len > 2 || s[start] != '.' ||
        (len == 2 && s[start + 1] != '.'))
        return 0;
    return (unsigned)len;
}

/* In a grant that holds another (fs_mount.nested), a symlink may lead to
 * where the other is mounted, whose rights are the ones that count: the
 * walk in the guest's tree says where p really is.  The host then opens
 * it following no link, so that one swapped in meanwhile cannot lead
 * back into the outer grant's tree. */
static long walk_nested(struct sys_ctx *c, struct sys_path *p, bool follow)
{
    const struct fs_walk how = { .root = "/", .follow = follow };
    char out[FS_PATH_MAX];
    int r = fs_walk(&c->proc->tree, &how, p->abs, out);

    if (r < 0)
        return r;
    memcpy(p->abs, out, strlen(out) + 1);
    fs_lookup(&c->proc->tree, p->abs, &p->w);
    p->resolve = RESOLVE_NO_SYMLINKS;
    return 0;
}

/* The directory dirfd names (AT_FDCWD: the working directory) as the
 * base of a relative path: its guest path, or -EBADF, -ENOTDIR. */
static long dir_base(struct sys_ctx *c, uint64_t dirfd, const char **base)
{
    if ((int)dirfd == LX_AT_FDCWD) {
        *base = c->proc->cwd;
        return 0;
    }
    struct lfile *f = sys_file(c, dirfd);
    if (!f)
        return -EBADF;
    if (!file_is_dir(f))
        return -ENOTDIR;
    *base = f->path;
    return 0;
}

/* The path s, against dirfd (AT_FDCWD: the working directory), how:
 * AT_EMPTY_PATH ("" names dirfd itself: p->empty) and PATH_FOLLOW. */
static long resolve(struct sys_ctx *c, uint64_t dirfd, const char *s,
                    uint64_t how, struct sys_path *p)
{
    memset(p, 0, sizeof *p);
    const char *base = c->proc->cwd;
    if (s[0] != '/' && (int)dirfd != LX_AT_FDCWD) {
        if (!*s && how & AT_EMPTY_PATH) {
            p->empty = sys_file(c, dirfd) != NULL;
            return p->empty ? 0 : -EBADF;
        }
        long r = dir_base(c, dirfd, &base);
        if (r < 0)
            return r;
    } else if (!*s && how & AT_EMPTY_PATH) {
        s = ".";             /* AT_FDCWD with "": the working directory */
    }
    long r = fs_path_normalize(base, s, p->abs, &p->dir_only);
    if (r < 0)
        return r;
    p->dots = last_dots(s);
    fs_lookup(&c->proc->tree, p->abs, &p->w);
    if (p->w.place == FS_IN_MOUNT && p->w.m->nested)
        return walk_nested(c, p, how & PATH_FOLLOW || p->dir_only);
    return 0;
}

/* The guest's path at addr, resolved (how: as resolve's). */
static long get_path(struct sys_ctx *c, uint64_t dirfd, uint64_t addr,
                     uint64_t how, struct sys_path *p)
{
    const char *s;
    long r = sys_user_string(c, addr, FS_PATH_MAX, &s);

    return r < 0 ? r : resolve(c, dirfd, s, how, p);
}

/* fs_host_open and fs_host_parent of p (inside a grant), with what p's
 * resolution asks of every host open (p->resolve). */
static int host_open(const struct sys_path *p, uint64_t flags, uint64_t mode,
                     uint64_t resolve)
{
    return fs_host_open(p->w.m, p->w.rel, flags, mode, resolve | p->resolve);
}

static int host_parent(const struct sys_path *p, const char **name)
{
    return fs_host_parent(p->w.m, p->w.rel, name, p->resolve);
}

/* An O_PATH fd of the host object p names (inside a grant).  A path that
 * ended in "/" (or "/.") follows its last symlink whatever follow says:
 * Linux's lookup makes such a last name a directory to resolve
 * (path_resolution(7); namei.c's lookup_last), so lstat("link/") is the
 * directory link points to and readlink("link/") EINVAL.  The host gets
 * the name without the "/", hence O_DIRECTORY and no O_NOFOLLOW. */
static int host_path_fd(const struct sys_path *p, bool follow)
{
    follow = follow || p->dir_only;
    uint64_t flags = O_PATH | (follow ? 0 : O_NOFOLLOW) |
                     (p->dir_only ? O_DIRECTORY : 0);
    return host_open(p, flags, 0, 0);
}

/* Whether the parent of a missing path is one of kvmelf's read-only
 * directories: creating there is EROFS, elsewhere ENOENT. */
static long create_missing(struct sys_ctx *c, const struct sys_path *p)
{
    char parent[FS_PATH_MAX];
    size_t n;
    struct fs_where w;

    fs_path_name(p->abs, &n);
    memcpy(parent, p->abs, n);
    parent[n] = '\0';
    fs_lookup(&c->proc->tree, parent, &w);
    if (w.place == FS_SYNTHETIC ||
        (w.place == FS_VIRTUAL && w.vnode == VN_DIR))
        return -EROFS;
    return -ENOENT;
}

/* What Linux makes of a change on a read-only mount, in its order. */
enum ro_change {
    RO_CREATE,       /* a new entry: the parent's lookup, then EEXIST
                        when it exists, else EROFS                     */
    RO_ENTRY,        /* unlink, rmdir, rename: the parent's lookup,
                        then EROFS whether the entry exists or not     */
    RO_OBJECT,       /* chmod, truncate...: the whole lookup, then EROFS */
};

/* The lookup of p's parent inside its grant: 0 or -errno. */
static long parent_exists(const struct sys_path *p)
{
    const char *name;
    int fd = *p->w.rel ? host_parent(p, &name) : 0;

    if (fd > 0)
        close(fd);
    return fd < 0 ? fd : 0;
}

static long refuse_readonly(const struct sys_path *p, enum ro_change how)
{
    long r = how == RO_OBJECT ? 0 : parent_exists(p);

    if (r < 0 || how == RO_ENTRY)
        return r < 0 ? r : -EROFS;
    /* A new entry: whether the name is taken, by anything, followed or
     * not ("x/" too: mkdir("file/") is EEXIST). */
    int fd = how == RO_CREATE ?
             host_open(p, O_PATH | O_NOFOLLOW, 0, 0) :
             host_path_fd(p, false);
    if (fd >= 0)
        close(fd);
    if (how == RO_CREATE)
        return fd >= 0 ? -EEXIST : fd == -ENOENT ? -EROFS : fd;
    return fd >= 0 ? -EROFS : fd;
}

static bool is_virtual_dir(const struct sys_path *p)
{
    return p->w.place == FS_SYNTHETIC ||
           (p->w.place == FS_VIRTUAL && p->w.vnode == VN_DIR);
}

/* ---- open ---------------------------------------------------------------- */

static long open_virtual(struct sys_ctx *c, const struct sys_path *p,
                         uint64_t flags)
{
    const struct fs_where *w = &p->w;
    bool writes = (flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH);

    if (w->place == FS_VIRTUAL && w->vnode == VN_FD_LINK) {
        struct lfile *t = sys_file(c, (uint64_t)w->fd);
        if (flags & O_NOFOLLOW)
            return -ELOOP;
        if (!t)
            return -ENOENT;
        if ((flags & O_DIRECTORY || p->dir_only) && !file_is_dir(t))
            return -ENOTDIR;
        t->refs++;           /* the same description, as a dup (abi.md) */
        return sys_new_fd(c, t, (flags & O_CLOEXEC) != 0);
    }
    if (w->place == FS_VIRTUAL && w->vnode == VN_EXE)
        return (flags & O_NOFOLLOW) ? -ELOOP : -EACCES;
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        return -EEXIST;
    bool dir = is_virtual_dir(p);
    if (dir && (writes || CREATES(flags)))
        return -EISDIR;
    if (!dir && (flags & O_DIRECTORY || p->dir_only))
        return -ENOTDIR;
    if (IS_TMPFILE(flags))
        return -EROFS;
    unsigned keep = (unsigned)(flags & (O_ACCMODE | O_APPEND | O_NONBLOCK));
    struct lfile *f = lfile_new(dir ? LF_DIR : LF_DEV, keep, p->abs);
    if (!f)
        return -ENOMEM;
    f->vnode = w->vnode;
    return sys_new_fd(c, f, (flags & O_CLOEXEC) != 0);
}

/* In a read-only grant: what Linux says to an open that would write, and
 * the flags to open with when it may go on (an O_CREAT of something that
 * exists).  Its order (namei.c): the lookup (O_CREAT|O_EXCL and
 * O_NOFOLLOW do not follow the last name; O_TMPFILE wants a directory),
 * then EEXIST, then may_open's ELOOP for a symlink and EISDIR for a
 * directory, and only then the mount's EROFS. */
static long readonly_open(const struct sys_path *p, uint64_t *flags)
{
    bool writes = (*flags & O_ACCMODE) != O_RDONLY || *flags & O_TRUNC;
    bool exclusive = (*flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);

    if (*flags & O_PATH || !(writes || CREATES(*flags)))
        return 0;
    if (IS_TMPFILE(*flags)) {
        int dir = host_open(p, O_PATH | O_DIRECTORY, 0, 0);
        if (dir >= 0)
            close(dir);
        return dir < 0 ? dir : -EROFS;
    }
    int fd = host_path_fd(p, !(*flags & O_NOFOLLOW) && !exclusive);
    if (fd == -ENOENT && CREATES(*flags)) {
        long r = parent_exists(p);
        return r < 0 ? r : -EROFS;
    }
    if (fd < 0)
        return fd;
    struct stat st;
    long r = fstat(fd, &st) < 0 ? -errno : 0;
    close(fd);
    if (r < 0 || exclusive)
        return r < 0 ? r : -EEXIST;
    if (S_ISLNK(st.st_mode))
        return -ELOOP;                   /* O_NOFOLLOW met a symlink */
    if (writes)
        return S_ISDIR(st.st_mode) ? -EISDIR : -EROFS;
    *flags &= ~(uint64_t)O_CREAT;
    return 0;
}

static long open_in_mount(struct sys_ctx *c, const struct sys_path *p,
                          uint64_t flags, uint64_t mode, uint64_t resolve)
{
    const struct fs_mount *m = p->w.m;

    if (p->dir_only) {
        if (flags & O_CREAT && !IS_TMPFILE(flags))
            return -EISDIR;
        /* "link/" follows link even with O_NOFOLLOW (host_path_fd) */
        flags = (flags | O_DIRECTORY) & ~(uint64_t)O_NOFOLLOW;
    }
    if (!m->rw) {
        long r = readonly_open(p, &flags);
        if (r < 0)
            return r;
    }
    uint64_t host = flags & ~(uint64_t)(O_CLOEXEC | O_NOCTTY | O_ASYNC);
    if (host & O_PATH)
        host &= O_PATH_FLAGS;
    uint64_t how_mode = CREATES(host) ?
                        (mode & 07777 & ~(uint64_t)c->proc->umask) : 0;
    int fd = host_open(p, host, how_mode, resolve);
    if (fd < 0)
        return fd;
    unsigned keep = (unsigned)(flags & (O_ACCMODE | O_APPEND | O_NONBLOCK |
                                        O_PATH));
    struct lfile *f = lfile_new(LF_HOST, keep, p->abs);
    if (!f) {
        close(fd);
        return -ENOMEM;
    }
    f->host_fd = fd;
    f->mount = m;
    return sys_new_fd(c, f, (flags & O_CLOEXEC) != 0);
}

static long open_resolved(struct sys_ctx *c, const struct sys_path *p,
                          uint64_t flags, uint64_t mode, uint64_t resolve)
{
    switch (p->w.place) {
    case FS_IN_MOUNT:
        return open_in_mount(c, p, flags, mode, resolve);
    case FS_VIRTUAL:
        if (resolve & RESOLVE_NO_SYMLINKS &&
            (p->w.vnode == VN_FD_LINK || p->w.vnode == VN_EXE))
            return -ELOOP;
        /* fall through */
    case FS_SYNTHETIC:
        return open_virtual(c, p, flags);
    case FS_MISSING:
        break;
    }
    return CREATES(flags) ? create_missing(c, p) : -ENOENT;
}

/* The combinations open(2) refuses before any lookup (build_open_flags):
 * O_TMPFILE with O_CREAT or without write access, O_CREAT|O_DIRECTORY
 * (Linux 6.4 on; a grant's host says so too, kvmelf's own nodes must). */
static long open_flags_refused(uint64_t flags)
{
    if (IS_TMPFILE(flags))
        return flags & O_CREAT || (flags & O_ACCMODE) == O_RDONLY ?
               -EINVAL : 0;
    return (flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY) ?
           -EINVAL : 0;
}

static long open_call(struct sys_ctx *c, uint64_t dirfd, uint64_t path,
                      uint64_t flags, uint64_t mode)
{
    struct sys_path p;

    flags &= VALID_OPEN_FLAGS;
    long bad = open_flags_refused(flags);
    if (bad < 0)
        return bad;
    long r = get_path(c, dirfd, path, OPEN_FOLLOWS(flags) ? PATH_FOLLOW : 0,
                      &p);
    return r < 0 ? r : open_resolved(c, &p, flags, mode, 0);
}

long sys_open(struct sys_ctx *c, const uint64_t a[6])
{
    return open_call(c, (uint64_t)LX_AT_FDCWD, a[0], a[1], a[2]);
}

long sys_creat(struct sys_ctx *c, const uint64_t a[6])
{
    return open_call(c, (uint64_t)LX_AT_FDCWD, a[0],
                     O_CREAT | O_WRONLY | O_TRUNC, a[1]);
}

long sys_openat(struct sys_ctx *c, const uint64_t a[6])
{
    return open_call(c, a[0], a[1], a[2], a[3]);
}

/* openat2's struct open_how: refused where openat2(2) refuses it. */
static long read_open_how(struct sys_ctx *c, uint64_t addr, uint64_t size,
                          struct open_how *how)
{
    if (size < OPEN_HOW_SIZE_VER0 || size > 4096)
        return size > 4096 ? -E2BIG : -EINVAL;
    const uint8_t *p = sys_user_ptr(c, addr, size, false);
    if (!p)
        return -EFAULT;
    for (uint64_t i = sizeof *how; i < size; i++)
        if (p[i])
            return -E2BIG;
    memcpy(how, p, sizeof *how);
    if (how->flags & ~(uint64_t)VALID_OPEN_FLAGS ||
        how->resolve & ~(uint64_t)RESOLVE_KNOWN ||
        how->mode & ~(uint64_t)07777)
        return -EINVAL;
    if (!CREATES(how->flags) && how->mode)
        return -EINVAL;
    if (how->flags & O_PATH && how->flags & ~(uint64_t)O_PATH_FLAGS)
        return -EINVAL;
    if ((how->resolve & RESOLVE_BENEATH) && (how->resolve & RESOLVE_IN_ROOT))
        return -EINVAL;
    return open_flags_refused(how->flags);
}

/* RESOLVE_BENEATH or RESOLVE_IN_ROOT: s walked from dirfd's directory
 * with what openat2(2) says of "..", absolute paths and symlinks there;
 * what it finds is link-free, so the host opens it following none. */
static long resolve_scoped(struct sys_ctx *c, uint64_t dirfd, const char *s,
                           const struct open_how *how, struct sys_path *p)
{
    bool beneath = how->resolve & RESOLVE_BENEATH;
    const char *root;
    char lexical[FS_PATH_MAX];
    long r = dir_base(c, dirfd, &root);

    memset(p, 0, sizeof *p);
    if (!*s)
        return -ENOENT;
    if (s[0] == '/' && beneath)
        return -EXDEV;       /* before dirfd is looked at, as Linux */
    if (r < 0)
        return r;
    /* Only for "x/" (dir_only) and the length checks: the walk decides. */
    if ((r = fs_path_normalize(root, s, lexical, &p->dir_only)) < 0)
        return r;
    const struct fs_walk w = {
        .root = root,
        .scope = beneath ? FS_SCOPE_BENEATH : FS_SCOPE_IN_ROOT,
        .follow = OPEN_FOLLOWS(how->flags) || p->dir_only,
        .no_symlinks = how->resolve & RESOLVE_NO_SYMLINKS,
    };
    if ((r = fs_walk(&c->proc->tree, &w, s, p->abs)) < 0)
        return r;
    p->dots = last_dots(s);
    fs_lookup(&c->proc->tree, p->abs, &p->w);
    p->resolve = RESOLVE_NO_SYMLINKS;
    return 0;
}

long sys_openat2(struct sys_ctx *c, const uint64_t a[6])
{
    struct open_how how;
    struct sys_path p;
    long r = read_open_how(c, a[2], a[3], &how);

    if (r < 0)
        return r;
    const char *s;
    if ((r = sys_user_string(c, a[1], FS_PATH_MAX, &s)) < 0)
        return r;
    if (how.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT))
        r = resolve_scoped(c, a[0], s, &how, &p);
    else
        r = resolve(c, a[0], s, OPEN_FOLLOWS(how.flags) ? PATH_FOLLOW : 0, &p);
    if (r < 0)
        return r;
    if (how.resolve & RESOLVE_NO_MAGICLINKS && p.w.place == FS_VIRTUAL &&
        (p.w.vnode == VN_FD_LINK || p.w.vnode == VN_EXE))
        return -ELOOP;
    return open_resolved(c, &p, how.flags, how.mode,
                         how.resolve & RESOLVE_HOST);
}

/* ---- stat, statx, access, readlink --------------------------------------- */

/* What stat (follow) or lstat says of p. */
static long stat_path(struct sys_ctx *c, const struct sys_path *p,
                      bool follow, struct stat *st)
{
    const struct fs_where *w = &p->w;

    switch (w->place) {
    case FS_IN_MOUNT: {
        int fd = host_path_fd(p, follow);
        if (fd < 0)
            return fd;
        long r = fstat(fd, st) < 0 ? -errno : 0;
        close(fd);
        return r;
    }
    case FS_VIRTUAL:
        if (w->vnode == VN_FD_LINK && follow) {
            struct lfile *t = sys_file(c, (uint64_t)w->fd);
            return t ? sys_stat_file(c, t, st) : -ENOENT;
        }
        if (w->vnode == VN_EXE && follow)
            return -EACCES;
        sys_stat_virtual(w->vnode, p->abs, st);
        break;
    case FS_SYNTHETIC:
        sys_stat_virtual(VN_DIR, p->abs, st);
        break;
    case FS_MISSING:
        return -ENOENT;
    }
    return p->dir_only && !S_ISDIR(st->st_mode) ? -ENOTDIR : 0;
}

/* stat of dirfd/path with AT_* flags, or of dirfd itself for "". */
static long stat_at(struct sys_ctx *c, uint64_t dirfd, uint64_t path,
                    uint64_t flags, struct stat *st)
{
    struct sys_path p;
    long r = get_path(c, dirfd, path, AT_HOW(flags), &p);

    if (r < 0)
        return r;
    if (p.empty)
        return sys_stat_file(c, sys_file(c, dirfd), st);
    return stat_path(c, &p, !(flags & AT_SYMLINK_NOFOLLOW), st);
}

static long stat_out(struct sys_ctx *c, uint64_t dirfd, uint64_t path,
                     uint64_t buf, uint64_t flags)
{
    struct stat st;
    void *out = sys_user_ptr(c, buf, sizeof st, true);

    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH |
                            AT_NO_AUTOMOUNT))
        return -EINVAL;
    long r = stat_at(c, dirfd, path, flags, &st);
    if (r == 0 && !out)
        return -EFAULT;
    if (r == 0)
        memcpy(out, &st, sizeof st);
    return r;
}

long sys_stat(struct sys_ctx *c, const uint64_t a[6])
{
    return stat_out(c, (uint64_t)LX_AT_FDCWD, a[0], a[1], 0);
}

long sys_lstat(struct sys_ctx *c, const uint64_t a[6])
{
    return stat_out(c, (uint64_t)LX_AT_FDCWD, a[0], a[1],
                    AT_SYMLINK_NOFOLLOW);
}

long sys_newfstatat(struct sys_ctx *c, const uint64_t a[6])
{
    return stat_out(c, a[0], a[1], a[2], a[3]);
}

static struct statx_timestamp stx_time(struct timespec t)
{
    return (struct statx_timestamp){ .tv_sec = t.tv_sec,
                                     .tv_nsec = (uint32_t)t.tv_nsec };
}

long sys_statx(struct sys_ctx *c, const uint64_t a[6])
{
    struct statx x;
    struct stat st;

    if (a[2] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH |
                           AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE) ||
        (a[2] & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE ||
        a[3] & STATX__RESERVED)
        return -EINVAL;
    void *out = sys_user_ptr(c, a[4], sizeof x, true);
    long r = stat_at(c, a[0], a[1], a[2], &st);
    if (r < 0)
        return r;
    if (!out)
        return -EFAULT;
    memset(&x, 0, sizeof x);
    x.stx_mask = STATX_BASIC_STATS;
    x.stx_blksize = (uint32_t)st.st_blksize;
    x.stx_nlink = (uint32_t)st.st_nlink;
    x.stx_uid = st.st_uid;
    x.stx_gid = st.st_gid;
    x.stx_mode = (uint16_t)st.st_mode;
    x.stx_ino = st.st_ino;
    x.stx_size = (uint64_t)st.st_size;
    x.stx_blocks = (uint64_t)st.st_blocks;
    x.stx_atime = stx_time(st.st_atim);
    x.stx_mtime = stx_time(st.st_mtim);
    x.stx_ctime = stx_time(st.st_ctim);
    x.stx_rdev_major = major(st.st_rdev);
    x.stx_rdev_minor = minor(st.st_rdev);
    x.stx_dev_major = major(st.st_dev);
    x.stx_dev_minor = minor(st.st_dev);
    memcpy(out, &x, sizeof x);
    return 0;
}

static long access_call(struct sys_ctx *c, uint64_t dirfd, uint64_t path,
                        uint64_t mode, uint64_t flags)
{
    struct sys_path p;
    struct stat st;

    if (mode & ~(uint64_t)(R_OK | W_OK | X_OK))
        return -EINVAL;
    if (flags & ~(uint64_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    long r = get_path(c, dirfd, path, AT_HOW(flags), &p);
    if (r < 0)
        return r;
    if (p.empty || p.w.place != FS_IN_MOUNT) {
        r = p.empty ? sys_stat_file(c, sys_file(c, dirfd), &st)
                    : stat_path(c, &p, !(flags & AT_SYMLINK_NOFOLLOW), &st);
        if (r < 0)
            return r;
        if (mode & W_OK && S_ISDIR(st.st_mode))
            return -EROFS;
        return mode & X_OK && !S_ISDIR(st.st_mode) ? -EACCES : 0;
    }
    int fd = host_path_fd(&p, !(flags & AT_SYMLINK_NOFOLLOW));
    if (fd < 0)
        return fd;
    r = 0;
    if (mode & W_OK && !p.w.m->rw && fstat(fd, &st) == 0 &&
        (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
        r = -EROFS;
    if (r == 0 && syscall(SYS_faccessat2, fd, "", (int)mode,
                          AT_EMPTY_PATH | (int)(flags & AT_EACCESS)) < 0)
        r = -errno;
    close(fd);
    return r;
}

long sys_access(struct sys_ctx *c, const uint64_t a[6])
{
    return access_call(c, (uint64_t)LX_AT_FDCWD, a[0], a[1], 0);
}

long sys_faccessat(struct sys_ctx *c, const uint64_t a[6])
{
    return access_call(c, a[0], a[1], a[2], 0);
}

long sys_faccessat2(struct sys_ctx *c, const uint64_t a[6])
{
    return access_call(c, a[0], a[1], a[2], a[3]);
}

/* What an fd's link in /proc/self/fd reads. */
static void fd_link_text(const struct lfile *f, char *buf, size_t size)
{
    struct stat st;

    if (f->path)
        snprintf(buf, size, "%s", f->path);
    else if (f->kind == LF_HOST && fstat(f->host_fd, &st) == 0)
        snprintf(buf, size, "pipe:[%llu]", (unsigned long long)st.st_ino);
    else
        snprintf(buf, size, "/dev/console");
}

static long readlink_call(struct sys_ctx *c, uint64_t dirfd, uint64_t path,
                          uint64_t buf, uint64_t size)
{
    struct sys_path p;
    char text[FS_PATH_MAX];

    if ((int)size <= 0)
        return -EINVAL;
    long r = get_path(c, dirfd, path, 0, &p);
    if (r < 0)
        return r;
    char *out = sys_user_ptr(c, buf, (uint32_t)size, true);
    if (p.w.place == FS_IN_MOUNT) {
        int fd = host_path_fd(&p, false);
        if (fd < 0)
            return fd;
        struct stat st;
        ssize_t n = fstat(fd, &st) < 0 ? -errno :
                    !S_ISLNK(st.st_mode) ? -EINVAL :
                    readlinkat(fd, "", text, sizeof text);
        if (n == -1)
            n = -errno;
        close(fd);
        if (n < 0)
            return n;
        r = n;
    } else if (p.w.place == FS_VIRTUAL && p.w.vnode == VN_FD_LINK) {
        struct lfile *t = sys_file(c, (uint64_t)p.w.fd);
        if (strncmp(p.abs, "/dev/std", 8) == 0)
            snprintf(text, sizeof text, "/proc/self/fd/%d", p.w.fd);
        else if (t)
            fd_link_text(t, text, sizeof text);
        else
            return -ENOENT;
        r = (long)strlen(text);
    } else if (p.w.place == FS_VIRTUAL && p.w.vnode == VN_EXE) {
        if (!c->proc->tree.exe)
            return -ENOENT;
        r = snprintf(text, sizeof text, "%s", c->proc->tree.exe);
    } else {
        return p.w.place == FS_MISSING ? -ENOENT : -EINVAL;
    }
    if (!out)
        return -EFAULT;
    size_t n = (size_t)r < (uint32_t)size ? (size_t)r : (uint32_t)size;
    memcpy(out, text, n);
    return (long)n;
}

long sys_readlink(struct sys_ctx *c, const uint64_t a[6])
{
    return readlink_call(c, (uint64_t)LX_AT_FDCWD, a[0], a[1], a[2]);
}

long sys_readlinkat(struct sys_ctx *c, const uint64_t a[6])
{
    return readlink_call(c, a[0], a[1], a[2], a[3]);
}

/* ---- Calls that change a directory entry -------------------------------- */

/* The parent fd and the name of p inside a writable grant, for a call that
 * creates (creating) or changes the entry; root: what the grant's root
 * itself gives. */
static long entry_parent(const struct sys_path *p, bool creating, long root,
                         int *pfd, const char **name)
{
    *pfd = -1;
    *name = "";
    if (!*p->w.rel)
        return root;
    if (!p->w.m->rw)
        return refuse_readonly(p, creating ? RO_CREATE : RO_ENTRY);
    int fd = host_parent(p, name);
    if (fd < 0)
        return fd;
    *pfd = fd;
    return 0;
}

/* symlink("x", "new/") and link("f", "new/"): only a directory may be
 * named with a "/" after it, so an entry that exists is EEXIST and a new
 * one ENOENT (read-only or not: Linux looks before it refuses). */
static long slash_created(const struct sys_path *p)
{
    int fd = host_open(p, O_PATH | O_NOFOLLOW, 0, 0);

    if (fd >= 0) {
        close(fd);
        return -EEXIST;
    }
    long r = parent_exists(p);
    return r < 0 ? r : -ENOENT;
}

/* What a path outside the grants gives a call that would create it. */
static long create_outside(struct sys_ctx *c, const struct sys_path *p)
{
    return p->w.place == FS_MISSING ? create_missing(c, p) : -EEXIST;
}

static long mkdir_call(struct sys_ctx *c, uint64_t dirfd, uint64_t path,
                       uint64_t mode)
{
    struct sys_path p;
    const char *name = NULL;
    int pfd = -1;
    long r = get_path(c, dirfd, path, 0, &p);

    if (r < 0)
        return r;
    if (p.w.place != FS_IN_MOUNT)
        return create_outside(c, &p);
    if ((r = entry_parent(&p, true, -EEXIST, &pfd, &name)) < 0)
        return r;
    mode_t m = (mode_t)(mode & 07777 & ~(uint64_t)c->proc->umask);
    r = mkdirat(pfd, name, m) < 0 ? -errno : 0;
    close(pfd);
    return r;
}

long sys_mkdir(struct sys_ctx *c, const uint64_t a[6])
{
    return mkdir_call(c, (uint64_t)LX_AT_FDCWD, a[0], a[1]);
}

long sys_mkdirat(struct sys_ctx *c, const uint64_t a[6])
{
    return mkdir_call(c, a[0], a[1], a[2]);
}

/* A last name "." or ".." (p->dots), which rmdir, unlink and rename
 * refuse once the directory it is in is found: dot or dotdot. */
static long dots_refused(const struct sys_path *p, long dot, long dotdot)
{
    if (p->w.place == FS_IN_MOUNT) {
        int fd = host_path_fd(p, true);
        if (fd < 0)
            return fd;
        close(fd);
    } else if (!is_virtual_dir(p)) {
        return p->w.place == FS_MISSING ? -ENOENT : -ENOTDIR;
    }
    return p->dots == 1 ? dot : dotdot;
}

/* unlink and rmdir (dir), with what each says to kvmelf's own nodes. */
static long remove_call(struct sys_ctx *c, uint64_t dirfd, uint64_t path,
                        bool dir)
{
    struct sys_path p;
    const char *name = NULL;
    int pfd = -1;
    long r = get_path(c, dirfd, path, 0, &p);

    if (r < 0)
        return r;
    if (p.dots)
        return dir ? dots_refused(&p, -EINVAL, -ENOTEMPTY)
                   : dots_refused(&p, -EISDIR, -EISDIR);
    if (p.w.place == FS_MISSING)
        return -ENOENT;
    if (p.w.place != FS_IN_MOUNT) {
        bool is_dir = is_virtual_dir(&p);
        if (dir)
            return is_dir ? -EBUSY : -ENOTDIR;
        return is_dir ? -EISDIR : -EROFS;
    }
    if (!dir && p.dir_only) {
        /* unlink("x/"): Linux asks for write access (EROFS), then looks x
         * up without following it: a directory is EISDIR, anything else
         * ENOTDIR, a symlink to a directory too (do_unlinkat). */
        if (!p.w.m->rw)
            return refuse_readonly(&p, RO_ENTRY);
        struct stat st;
        int fd = host_open(&p, O_PATH | O_NOFOLLOW, 0, 0);
        if (fd < 0)
            return fd;
        bool is_dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
        close(fd);
        return is_dir ? -EISDIR : -ENOTDIR;
    }
    if ((r = entry_parent(&p, false, dir ? -EBUSY : -EISDIR, &pfd,
                          &name)) < 0)
        return r;
    r = unlinkat(pfd, name, dir ? AT_REMOVEDIR : 0) < 0 ? -errno : 0;
    close(pfd);
    return r;
}

long sys_unlink(struct sys_ctx *c, const uint64_t a[6])
{
    return remove_call(c, (uint64_t)LX_AT_FDCWD, a[0], false);
}

long sys_rmdir(struct sys_ctx *c, const uint64_t a[6])
{
    return remove_call(c, (uint64_t)LX_AT_FDCWD, a[0], true);
}

long sys_unlinkat(struct sys_ctx *c, const uint64_t a[6])
{
    if (a[2] & ~(uint64_t)AT_REMOVEDIR)
        return -EINVAL;
    return remove_call(c, a[0], a[1], (a[2] & AT_REMOVEDIR) != 0);
}

/* Two paths that must be in the same writable grant (rename, link):
 * EXDEV across grants or out of them, as across mounts. */
static long same_grant(struct sys_ctx *c, const struct sys_path *from,
                       const struct sys_path *to)
{
    if (from->w.place == FS_MISSING)
        return -ENOENT;
    if (from->w.place != FS_IN_MOUNT)
        return to->w.place == FS_IN_MOUNT ? -EXDEV :
               is_virtual_dir(from) ? -EBUSY : -EROFS;
    if (to->w.place != FS_IN_MOUNT) {
        long r = create_outside(c, to);
        return r == -ENOENT ? r : -EXDEV;
    }
    return from->w.m == to->w.m ? 0 : -EXDEV;
}

/* Whether p (in a grant) is a directory itself, not through a symlink;
 * true when the lookup fails: the rename then says why. */
static bool entry_is_dir(const struct sys_path *p)
{
    struct stat st;
    int fd = host_open(p, O_PATH | O_NOFOLLOW, 0, 0);
    bool dir = fd < 0 || (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode));

    if (fd >= 0)
        close(fd);
    return dir;
}

/* rename's checks of its names before the host's (which gets them
 * without their trailing "/"): "." and ".." are EBUSY (EEXIST as the new
 * name with RENAME_NOREPLACE), a "/" after what is not a directory
 * ENOTDIR. */
static long rename_names(const struct sys_path *from,
                         const struct sys_path *to, uint64_t flags)
{
    if (from->dots)
        return -EBUSY;
    if (to->dots)
        return (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
    if ((from->dir_only || (to->dir_only && !(flags & RENAME_EXCHANGE))) &&
        !entry_is_dir(from))
        return -ENOTDIR;
    if (flags & RENAME_EXCHANGE && to->dir_only && !entry_is_dir(to))
        return -ENOTDIR;
    return 0;
}

static long rename_call(struct sys_ctx *c, const uint64_t a[6],
                        uint64_t flags)
{
    struct sys_path from = { 0 }, to = { 0 };
    const char *n1 = NULL, *n2 = NULL;
    int p1 = -1, p2 = -1;

    if (flags & ~(uint64_t)LX_RENAME_FLAGS ||
        ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)))
        return -EINVAL;
    long r = get_path(c, a[0], a[1], 0, &from);
    if (r == 0)
        r = get_path(c, a[2], a[3], 0, &to);
    if (r == 0)
        r = same_grant(c, &from, &to);
    if (r == 0)
        r = rename_names(&from, &to, flags);
    if (r < 0)
        return r;
    if (!to.w.rel || !*to.w.rel)
        return -EBUSY;
    if ((r = entry_parent(&from, false, -EBUSY, &p1, &n1)) < 0)
        return r;
    if ((r = entry_parent(&to, false, -EBUSY, &p2, &n2)) < 0) {
        close(p1);
        return r;
    }
    /* The system call itself: glibc's renameat2() makes flags 0 a
     * renameat, which the sandbox does not allow. */
    r = syscall(SYS_renameat2, p1, n1, p2, n2, (unsigned)flags) < 0 ? -errno
                                                                     : 0;
    close(p1);
    close(p2);
    return r;
}

long sys_rename(struct sys_ctx *c, const uint64_t a[6])
{
    const uint64_t b[6] = { (uint64_t)LX_AT_FDCWD, a[0],
                            (uint64_t)LX_AT_FDCWD, a[1], 0, 0 };
    return rename_call(c, b, 0);
}

long sys_renameat(struct sys_ctx *c, const uint64_t a[6])
{
    return rename_call(c, a, 0);
}

long sys_renameat2(struct sys_ctx *c, const uint64_t a[6])
{
    return rename_call(c, a, a[4]);
}

/* link(2) of an open file (AT_EMPTY_PATH) into p's grant. */
static long link_open_file(struct sys_ctx *c, uint64_t fd,
                           const struct sys_path *to)
{
    struct lfile *f = sys_file(c, fd);
    const char *name = NULL;
    int pfd = -1;

    if (f->kind != LF_HOST || !f->mount)
        return -ENOENT;
    if (to->w.place != FS_IN_MOUNT || to->w.m != f->mount)
        return -EXDEV;
    long r = entry_parent(to, true, -EEXIST, &pfd, &name);
    if (r < 0)
        return r;
    r = linkat(f->host_fd, "", pfd, name, AT_EMPTY_PATH) < 0 ? -errno : 0;
    close(pfd);
    return r;
}

static long link_call(struct sys_ctx *c, const uint64_t a[6], uint64_t flags)
{
    struct sys_path from, to;
    const char *n1 = NULL, *n2 = NULL;
    int p1, p2 = -1;

    if (flags & ~(uint64_t)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    long r = get_path(c, a[0], a[1],
                      flags & (AT_EMPTY_PATH | AT_SYMLINK_FOLLOW), &from);
    if (r == 0)
        r = get_path(c, a[2], a[3], 0, &to);
    if (r == 0 && from.empty)
        return link_open_file(c, a[0], &to);
    if (r == 0)
        r = same_grant(c, &from, &to);
    if (r != 0)
        return r;
    /* Linux finds the old name before it looks at the new one
     * (do_linkat): a missing file is ENOENT, read-only grant or not. */
    int old = host_path_fd(&from, flags & AT_SYMLINK_FOLLOW);
    if (old < 0)
        return old;
    close(old);
    if (to.dir_only && *to.w.rel)
        return slash_created(&to);
    if (!from.w.m->rw || !to.w.m->rw)
        return refuse_readonly(&to, RO_CREATE);
    if ((r = entry_parent(&to, true, -EEXIST, &p2, &n2)) < 0)
        return r;
    if (flags & AT_SYMLINK_FOLLOW) {
        int fd = host_path_fd(&from, true);
        r = fd < 0 ? fd :
            linkat(fd, "", p2, n2, AT_EMPTY_PATH) < 0 ? -errno : 0;
        if (fd >= 0)
            close(fd);
    } else if (!*from.w.rel) {
        r = -EPERM;          /* the grant's root: a directory */
    } else if ((r = host_parent(&from, &n1)) >= 0) {
        p1 = (int)r;
        r = linkat(p1, n1, p2, n2, 0) < 0 ? -errno : 0;
        close(p1);
    }
    close(p2);
    return r;
}

long sys_link(struct sys_ctx *c, const uint64_t a[6])
{
    const uint64_t b[6] = { (uint64_t)LX_AT_FDCWD, a[0],
                            (uint64_t)LX_AT_FDCWD, a[1], 0, 0 };
    return link_call(c, b, 0);
}

long sys_linkat(struct sys_ctx *c, const uint64_t a[6])
{
    return link_call(c, a, a[4]);
}

/* A symlink's target is stored as given: it can say anything, and what it
 * says is resolved beneath its grant when followed. */
static long symlink_call(struct sys_ctx *c, uint64_t target, uint64_t dirfd,
                         uint64_t path)
{
    struct sys_path p;
    const char *t, *name = NULL;
    int pfd = -1;
    long r = sys_user_string(c, target, FS_PATH_MAX, &t);

    if (r < 0)
        return r;
    if ((r = get_path(c, dirfd, path, 0, &p)) < 0)
        return r;
    if (!*t)
        return -ENOENT;
    if (p.w.place != FS_IN_MOUNT)
        return create_outside(c, &p);
    if (p.dir_only && *p.w.rel)
        return slash_created(&p);
    if ((r = entry_parent(&p, true, -EEXIST, &pfd, &name)) < 0)
        return r;
    r = symlinkat(t, pfd, name) < 0 ? -errno : 0;
    close(pfd);
    return r;
}

long sys_symlink(struct sys_ctx *c, const uint64_t a[6])
{
    return symlink_call(c, a[0], (uint64_t)LX_AT_FDCWD, a[1]);
}

long sys_symlinkat(struct sys_ctx *c, const uint64_t a[6])
{
    return symlink_call(c, a[0], a[1], a[2]);
}

/* ---- Metadata: truncate, chmod, chown, utimensat ----------------------- */

/* An O_PATH fd of what p names in a writable grant, for a change of its
 * size or metadata; kvmelf's own nodes are read-only. */
static long change_fd(struct sys_ctx *c, const struct sys_path *p,
                      bool follow, int *fd)
{
    if (p->w.place != FS_IN_MOUNT) {
        struct stat st;
        long r = stat_path(c, p, follow, &st);
        return r < 0 ? r : -EROFS;
    }
    if (!p->w.m->rw) {
        long r = refuse_readonly(p, RO_OBJECT);
        return r == -EROFS || !follow ? r : refuse_readonly(p, RO_OBJECT);
    }
    int f = host_path_fd(p, follow);
    if (f < 0)
        return f;
    *fd = f;
    return 0;
}

long sys_truncate(struct sys_ctx *c, const uint64_t a[6])
{
    struct sys_path p;
    long r = get_path(c, (uint64_t)LX_AT_FDCWD, a[0], PATH_FOLLOW, &p);

    if (r < 0)
        return r;
    if ((int64_t)a[1] < 0)
        return -EINVAL;
    if (p.w.place == FS_IN_MOUNT && p.w.m->rw) {
        /* truncate("file/") is ENOTDIR, not the file truncated */
        int fd = host_open(&p, O_WRONLY | O_NONBLOCK |
                              O_NOCTTY | (p.dir_only ? O_DIRECTORY : 0),
                              0, 0);
        if (fd < 0)
            return fd;
        r = ftruncate(fd, (off_t)a[1]) < 0 ? -errno : 0;
        close(fd);
        return r;
    }
    struct stat st;
    if (p.w.place != FS_IN_MOUNT && (r = stat_path(c, &p, true, &st)) == 0)
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    return r < 0 ? r : refuse_readonly(&p, RO_OBJECT);
}

static long chmod_call(struct sys_ctx *c, uint64_t dirfd, uint64_t path,
                       uint64_t mode, uint64_t flags)
{
    struct sys_path p;
    int fd = -1;

    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    long r = get_path(c, dirfd, path, AT_HOW(flags), &p);
    if (r < 0)
        return r;
    if (p.empty) {
        const uint64_t b[6] = { dirfd, mode, 0, 0, 0, 0 };
        return sys_fchmod(c, b);
    }
    if ((r = change_fd(c, &p, !(flags & AT_SYMLINK_NOFOLLOW), &fd)) < 0)
        return r;
    r = syscall(LX_SYS_fchmodat2, fd, "", (mode_t)(mode & 07777),
                AT_EMPTY_PATH) < 0 ? -errno : 0;
    close(fd);
    if (r == -ENOSYS) {
        /* Before 6.6 an O_PATH fd cannot be chmod'ed: open it to read. */
        fd = host_open(&p, O_RDONLY | O_NONBLOCK | O_NOCTTY |
                          ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0, 0);
        if (fd < 0)
            return fd;
        r = fchmod(fd, (mode_t)(mode & 07777)) < 0 ? -errno : 0;
        close(fd);
    }
    return r;
}

long sys_chmod(struct sys_ctx *c, const uint64_t a[6])
{
    return chmod_call(c, (uint64_t)LX_AT_FDCWD, a[0], a[1], 0);
}

long sys_fchmodat(struct sys_ctx *c, const uint64_t a[6])
{
    return chmod_call(c, a[0], a[1], a[2], 0);
}

long sys_fchmodat2(struct sys_ctx *c, const uint64_t a[6])
{
    return chmod_call(c, a[0], a[1], a[2], a[3]);
}

/* What a metadata change of an open file gives when the guest may not
 * make it (0 when it may): the console and the devices are not the
 * guest's to change (EPERM), nor are kvmelf's directories (EROFS); a file
 * of a read-only grant is EROFS, as on a read-only mount (the host's file
 * may well be writable: only kvmelf stands in the way). */
static long fd_change_refused(const struct lfile *f)
{
    if (f->kind != LF_HOST)
        return f->kind == LF_DIR ? -EROFS : -EPERM;
    return f->mount && !f->mount->rw ? -EROFS : 0;
}

long sys_fchmod(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);

    if (!f)
        return -EBADF;
    if (fd_change_refused(f))
        return fd_change_refused(f);
    return fchmod(f->host_fd, (mode_t)(a[1] & 07777)) < 0 ? -errno : 0;
}

static long chown_call(struct sys_ctx *c, uint64_t dirfd, uint64_t path,
                       const uint64_t ids[2], uint64_t flags)
{
    struct sys_path p;
    int fd = -1;

    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    long r = get_path(c, dirfd, path, AT_HOW(flags), &p);
    if (r < 0)
        return r;
    if (p.empty) {
        const uint64_t b[6] = { dirfd, ids[0], ids[1], 0, 0, 0 };
        return sys_fchown(c, b);
    }
    if ((r = change_fd(c, &p, !(flags & AT_SYMLINK_NOFOLLOW), &fd)) < 0)
        return r;
    r = fchownat(fd, "", (uid_t)ids[0], (gid_t)ids[1], AT_EMPTY_PATH) < 0 ?
        -errno : 0;
    close(fd);
    return r;
}

long sys_chown(struct sys_ctx *c, const uint64_t a[6])
{
    return chown_call(c, (uint64_t)LX_AT_FDCWD, a[0], &a[1], 0);
}

long sys_lchown(struct sys_ctx *c, const uint64_t a[6])
{
    return chown_call(c, (uint64_t)LX_AT_FDCWD, a[0], &a[1],
                      AT_SYMLINK_NOFOLLOW);
}

long sys_fchownat(struct sys_ctx *c, const uint64_t a[6])
{
    return chown_call(c, a[0], a[1], &a[2], a[4]);
}

long sys_fchown(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);

    if (!f)
        return -EBADF;
    if (fd_change_refused(f))
        return fd_change_refused(f);
    return fchown(f->host_fd, (uid_t)a[1], (gid_t)a[2]) < 0 ? -errno : 0;
}

long sys_utimensat(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec times[2];
    const struct timespec *t = NULL;
    struct sys_path p;
    int fd = -1;

    if (a[3] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (a[2]) {
        const void *in = sys_user_ptr(c, a[2], sizeof times, false);
        if (!in)
            return -EFAULT;
        memcpy(times, in, sizeof times);
        t = times;
    }
    if (a[1] == 0) {             /* futimens: dirfd is the file */
        struct lfile *f = sys_file(c, a[0]);
        if (!f)
            return -EBADF;
        if (fd_change_refused(f))
            return fd_change_refused(f);
        return syscall(SYS_utimensat, f->host_fd, NULL, t, 0) < 0 ? -errno
                                                                  : 0;
    }
    long r = get_path(c, a[0], a[1], AT_HOW(a[3]), &p);
    if (r < 0)
        return r;
    if (p.empty) {
        struct lfile *f = sys_file(c, a[0]);
        if (fd_change_refused(f))
            return fd_change_refused(f);
        return utimensat(f->host_fd, "", t, AT_EMPTY_PATH) < 0 ? -errno : 0;
    }
    if ((r = change_fd(c, &p, !(a[3] & AT_SYMLINK_NOFOLLOW), &fd)) < 0)
        return r;
    r = utimensat(fd, "", t, AT_EMPTY_PATH) < 0 ? -errno : 0;
    close(fd);
    return r;
}

/* ---- The working directory, umask ---------------------------------------- */

long sys_chdir(struct sys_ctx *c, const uint64_t a[6])
{
    struct sys_path p;
    struct stat st;
    long r = get_path(c, (uint64_t)LX_AT_FDCWD, a[0], PATH_FOLLOW, &p);

    if (r == 0)
        r = stat_path(c, &p, true, &st);
    if (r < 0)
        return r;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    if (p.w.place == FS_VIRTUAL && p.w.vnode == VN_FD_LINK)
        return -ENOTDIR;     /* a directory's fd: fchdir */
    fs_physical(&c->proc->tree, p.abs, c->proc->cwd);
    return 0;
}

long sys_fchdir(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);

    if (!f)
        return -EBADF;
    if (!file_is_dir(f))
        return -ENOTDIR;
    fs_physical(&c->proc->tree, f->path, c->proc->cwd);
    return 0;
}

long sys_getcwd(struct sys_ctx *c, const uint64_t a[6])
{
    size_t n = strlen(c->proc->cwd) + 1;

    if (a[1] < n)
        return -ERANGE;
    char *p = sys_user_ptr(c, a[0], n, true);
    if (!p)
        return -EFAULT;
    memcpy(p, c->proc->cwd, n);
    return (long)n;
}

long sys_umask(struct sys_ctx *c, const uint64_t a[6])
{
    unsigned old = c->proc->umask;

    c->proc->umask = (unsigned)(a[0] & 0777);
    return old;
}

/* ---- statfs, sync ---------------------------------------------------------- */

/* kvmelf's own directories: a small read-only tmpfs, /proc procfs. */
static void statfs_virtual(const char *path, struct statfs *st)
{
    memset(st, 0, sizeof *st);
    st->f_type = path && fs_path_within(path, "/proc") ? PROC_SUPER_MAGIC
                                                       : TMPFS_MAGIC;
    st->f_bsize = st->f_frsize = 4096;
    st->f_namelen = FS_NAME_MAX;
    st->f_flags = ST_RDONLY | ST_NOSUID | ST_NOEXEC;
}

static long statfs_out(struct sys_ctx *c, uint64_t buf, long r,
                       const struct statfs *st)
{
    void *out = sys_user_ptr(c, buf, sizeof *st, true);

    if (r < 0)
        return r;
    if (!out)
        return -EFAULT;
    memcpy(out, st, sizeof *st);
    return 0;
}

long sys_statfs(struct sys_ctx *c, const uint64_t a[6])
{
    struct sys_path p;
    struct statfs st;
    struct stat s;
    long r = get_path(c, (uint64_t)LX_AT_FDCWD, a[0], PATH_FOLLOW, &p);

    if (r == 0 && p.w.place == FS_IN_MOUNT) {
        int fd = host_path_fd(&p, true);
        r = fd < 0 ? fd : fstatfs(fd, &st) < 0 ? -errno : 0;
        if (fd >= 0)
            close(fd);
    } else if (r == 0 && (r = stat_path(c, &p, true, &s)) == 0) {
        statfs_virtual(p.abs, &st);
    }
    return statfs_out(c, a[1], r, &st);
}

long sys_fstatfs(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);
    struct statfs st;
    long r = 0;

    if (!f)
        return -EBADF;
    if (f->kind == LF_HOST)
        r = fstatfs(f->host_fd, &st) < 0 ? -errno : 0;
    else
        statfs_virtual(f->path, &st);
    return statfs_out(c, a[1], r, &st);
}

/* Written data is in the host's page cache, which the host writes back;
 * fsync and syncfs make it durable at once. */
long sys_sync(struct sys_ctx *c, const uint64_t a[6])
{
    (void)c;
    (void)a;
    return 0;
}

long sys_syncfs(struct sys_ctx *c, const uint64_t a[6])
{
    struct lfile *f = sys_file(c, a[0]);

    if (!f)
        return -EBADF;
    if (f->kind != LF_HOST)
        return 0;
    return syncfs(f->host_fd) < 0 ? -errno : 0;
}
