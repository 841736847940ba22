/*
 * Private to linux/: the guest's files.  Three parts, each pure enough to
 * test alone:
 *
 * - path.c: guest path strings.  A path is made absolute against the
 *   working directory (or a directory fd's path) and normalized lexically
 *   ("." and ".." and repeated slashes removed) before anything looks at
 *   it, so what is left inside a host grant never has a "..".
 * - tree.c: the guest's tree.  Host grants (--dir, and the private /tmp)
 *   are mounts: the longest mount whose guest path is a prefix of the path
 *   holds it, and what is inside is reached on the host only with
 *   openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) from the grant's own
 *   directory fd.  /dev and /proc/self are kvmelf's virtual nodes.  A
 *   strict parent of a mount or node is a read-only directory; anything
 *   else does not exist.
 * - fd.c: the fd table.  A slot points at an open file description (struct
 *   lfile, shared by dup), which says what the fd is: a host fd (a file,
 *   a directory, a pipe), the console's stdin/stdout/stderr, a device of
 *   /dev, or a directory kvmelf lists itself.
 */
#ifndef KVMELF_LINUX_FS_H
#define KVMELF_LINUX_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FS_PATH_MAX 4096         /* PATH_MAX: with the NUL */
#define FS_NAME_MAX 255          /* NAME_MAX */
#define FS_SYMLOOP_MAX 40        /* Linux's MAXSYMLINKS */

/* ---- Paths (path.c) ----------------------------------------------------- */

/* Makes path absolute against base (absolute and normalized) unless it is
 * absolute, and normalizes it into out: "/" or "/a/b", never a trailing
 * slash.  *dir_only (may be NULL) is set when path ended in "/", "/." or
 * "/..": its last component must then be a directory.  0, -ENOENT (path
 * ""), -ENAMETOOLONG (path, the result or one component too long). */
int fs_path_normalize(const char *base, const char *path,
                      char out[FS_PATH_MAX], bool *dir_only);

/* True when abs (normalized) is prefix itself or below it. */
bool fs_path_within(const char *abs, const char *prefix);

/* abs (normalized, not "/") split at its last slash: *parent_len is the
 * length of the parent ("/" counts 1), the name is what follows. */
const char *fs_path_name(const char *abs, size_t *parent_len);

/* ---- The tree (tree.c) -------------------------------------------------- */

struct fs_mount {
    char *guest;             /* normalized absolute path, owned */
    size_t len;              /* strlen(guest) */
    char *host;              /* the host directory, for messages; owned */
    int fd;                  /* O_PATH | O_DIRECTORY of the host directory */
    bool rw;
    bool is_tmp;             /* the private /tmp (a tmpfs of its own) */
    bool nested;             /* another grant, /dev or /proc lies below
                                it: its host tree has names the guest
                                must not reach through it (fs_walk) */
};

/* Virtual nodes: /dev's devices and links, /proc/self. */
enum fs_vnode {
    VN_NONE,
    VN_DIR,                  /* /dev, /dev/fd, /proc, /proc/self, ... */
    VN_NULL, VN_ZERO, VN_FULL, VN_RANDOM, VN_URANDOM,
    VN_FD_LINK,              /* /dev/stdin..stderr, /dev/fd/N,
                                /proc/self/fd/N: the guest's fd N */
    VN_EXE,                  /* /proc/self/exe */
};

struct fs_tree {
    struct fs_mount *mounts; /* sorted by guest path */
    size_t count;
    char *exe;               /* what /proc/self/exe reads; owned */
};

/* What a normalized guest path names. */
enum fs_place {
    FS_IN_MOUNT,             /* inside m: rel is the path below its root */
    FS_VIRTUAL,              /* a virtual node: vnode, fd for VN_FD_LINK */
    FS_SYNTHETIC,            /* a read-only directory above a mount/node */
    FS_MISSING,              /* nothing: ENOENT, or EROFS to create it */
};

struct fs_where {
    enum fs_place place;
    const struct fs_mount *m;
    const char *rel;         /* FS_IN_MOUNT: "" for the root, else "a/b" */
    enum fs_vnode vnode;
    int fd;                  /* VN_FD_LINK */
};

void fs_lookup(const struct fs_tree *t, const char *abs, struct fs_where *w);

/* The names a directory that kvmelf lists holds (FS_SYNTHETIC, VN_DIR),
 * in name order, each once; fds: the guest's open fds for /dev/fd and
 * /proc/self/fd.  Calls fn(name, is_dir, ctx) for each; stops (and
 * returns) at fn's first non-zero result. */
typedef int fs_name_fn(const char *name, bool is_dir, void *ctx);
int fs_list(const struct fs_tree *t, const char *abs, const int *fds,
            size_t nfds, fs_name_fn *fn, void *ctx);

/* Adds a grant (guest normalized).  0, -EEXIST (that guest path is taken),
 * -EINVAL (a path kvmelf owns: /dev, /proc or below), -ENOMEM.  Takes fd. */
int fs_tree_add(struct fs_tree *t, const char *guest, const char *host,
                int fd, bool rw, bool is_tmp);
void fs_tree_free(struct fs_tree *t);

/* ---- Host access beneath a grant (tree.c) -------------------------------- */

/* openat2(m->fd, rel or ".", flags, mode, RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS | extra_resolve): a host fd or -errno.  A symlink
 * that leads out of the grant (absolute, or up past its root) gives
 * -EACCES, not the host's EXDEV. */
int fs_host_open(const struct fs_mount *m, const char *rel, uint64_t flags,
                 uint64_t mode, uint64_t extra_resolve);

/* The parent directory of rel (not "") as an O_PATH fd (-errno) and its
 * last name in *name: for the calls that act on a directory entry
 * (mkdirat, unlinkat, renameat2, linkat, symlinkat), which then cannot
 * leave the grant; extra_resolve as fs_host_open's. */
int fs_host_parent(const struct fs_mount *m, const char *rel,
                   const char **name, uint64_t extra_resolve);

/* How fs_walk treats what would leave its root (openat2(2)'s scopes). */
enum fs_scope {
    FS_SCOPE_NONE,           /* root is "/": ".." there stays */
    FS_SCOPE_BENEATH,        /* RESOLVE_BENEATH: leaving root is EXDEV */
    FS_SCOPE_IN_ROOT,        /* RESOLVE_IN_ROOT: root is the "/" of the
                                path and of absolute link targets */
};

struct fs_walk {
    const char *root;        /* normalized guest directory to start at */
    enum fs_scope scope;
    bool follow;             /* follow a symlink that is the last name */
    bool no_symlinks;        /* RESOLVE_NO_SYMLINKS: a link is ELOOP */
};

/* path (relative to how->root, or absolute: from it too) resolved one
 * name at a time in the guest's tree, into out: the guest path it names,
 * with no symlink on the way (the last name stays one when not
 * followed; a missing last name stays as it is, for a call that creates
 * it).  A link's target is read on the host and followed in the guest's
 * tree, so a link in one grant that leads to where another is mounted
 * reaches that one, with its rights, as in a mount namespace.  A link's
 * target that is absolute, or climbs out of the grant the link is in,
 * is EACCES (outside a scope), as fs_host_open says of one; magic links
 * (/proc/self/fd/N, /proc/self/exe) are ELOOP in a scope.  0 or -errno
 * (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EXDEV, EACCES). */
int fs_walk(const struct fs_tree *t, const struct fs_walk *how,
            const char *path, char out[FS_PATH_MAX]);

/* abs (normalized) as the directory's own path, every symbolic link on
 * the way followed (fs_walk), so that it names no link (Linux's working
 * directory is the directory, and getcwd says its path).  Into out; abs
 * itself where the walk fails. */
void fs_physical(const struct fs_tree *t, const char *abs,
                 char out[FS_PATH_MAX]);

/* ---- Open file descriptions and the fd table (fd.c) --------------------- */

enum lfile_kind {
    LF_HOST,                 /* host_fd: a file, directory or pipe */
    LF_CONSOLE,              /* the console's stream std (0, 1 or 2) */
    LF_DEV,                  /* a /dev device (vnode) */
    LF_DIR,                  /* a directory kvmelf lists (path) */
};

struct lfile {
    unsigned refs;
    enum lfile_kind kind;
    int host_fd;             /* LF_HOST */
    int std;                 /* LF_CONSOLE: 0, 1 or 2 */
    enum fs_vnode vnode;     /* LF_DEV */
    unsigned flags;          /* O_ACCMODE, O_APPEND, O_NONBLOCK, ... as
                                the guest opened or F_SETFL set them */
    bool pipe;               /* LF_HOST: a pipe (nonblocking on the host) */
    const struct fs_mount *mount;   /* where it was opened (NULL: none) */
    char *path;              /* guest path, owned (NULL: a pipe) */
    uint64_t dir_pos;        /* LF_DIR: the next entry getdents gives */
};

struct fd_slot {
    struct lfile *f;         /* NULL: free */
    bool cloexec;
};

struct fd_table {
    struct fd_slot *slots;
    size_t cap;
};

struct lfile *lfile_new(enum lfile_kind kind, unsigned flags,
                        const char *path);      /* NULL: out of memory */
void lfile_put(struct lfile *f);                /* the last closes */

/* The lowest free fd >= min below limit; installs f (taking its
 * reference).  The fd, or -EMFILE (none below limit), -ENOMEM. */
int fd_install(struct fd_table *t, int min, uint64_t limit, struct lfile *f,
               bool cloexec);
/* Puts f at fd (closing what was there); -EBADF (fd >= limit), -ENOMEM. */
int fd_install_at(struct fd_table *t, int fd, uint64_t limit,
                  struct lfile *f, bool cloexec);
struct fd_slot *fd_get(struct fd_table *t, int64_t fd);   /* NULL: EBADF */
int fd_close(struct fd_table *t, int64_t fd);             /* 0, -EBADF */
/* Closes (or with cloexec only marks) every open fd in [lo, hi]. */
void fd_close_range(struct fd_table *t, uint64_t lo, uint64_t hi,
                    bool cloexec_only);
void fd_table_free(struct fd_table *t);
/* The open fds in order into fds (at most max); how many are open. */
size_t fd_list(const struct fd_table *t, int *fds, size_t max);

#endif
