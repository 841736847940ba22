/* The guest's tree: host grants as mounts, kvmelf's virtual nodes, the
 * read-only directories above them (fs.h). */
#include "fs.h"
#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* /dev and /proc are kvmelf's: no grant goes there. */
static const char *const owned_roots[] = { "/dev", "/proc" };

static const struct {
    const char *path;
    enum fs_vnode vnode;
    int fd;
} vnodes[] = {
    { "/dev", VN_DIR, -1 },
    { "/dev/fd", VN_DIR, -1 },
    { "/dev/full", VN_FULL, -1 },
    { "/dev/null", VN_NULL, -1 },
    { "/dev/random", VN_RANDOM, -1 },
    { "/dev/stderr", VN_FD_LINK, 2 },
    { "/dev/stdin", VN_FD_LINK, 0 },
    { "/dev/stdout", VN_FD_LINK, 1 },
    { "/dev/urandom", VN_URANDOM, -1 },
    { "/dev/zero", VN_ZERO, -1 },
    { "/proc", VN_DIR, -1 },
    { "/proc/self", VN_DIR, -1 },
    { "/proc/self/exe", VN_EXE, -1 },
    { "/proc/self/fd", VN_DIR, -1 },
};

/* The directories whose entries are the guest's fds. */
static const char *const fd_dirs[] = { "/dev/fd", "/proc/self/fd" };

/* "N" with no sign, no leading zero and no more than an int holds. */
static int parse_fd(const char *s)
{
    long v = 0;

    if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 10)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v <= 0x7fffffff ? (int)v : -1;
}

static bool lookup_virtual(const char *abs, struct fs_where *w)
{
    for (size_t i = 0; i < ARRAY_SIZE(vnodes); i++)
        if (strcmp(abs, vnodes[i].path) == 0) {
            w->place = FS_VIRTUAL;
            w->vnode = vnodes[i].vnode;
            w->fd = vnodes[i].fd;
            return true;
        }
    for (size_t i = 0; i < ARRAY_SIZE(fd_dirs); i++) {
        size_t n = strlen(fd_dirs[i]);
        if (strncmp(abs, fd_dirs[i], n) == 0 && abs[n] == '/') {
            int fd = parse_fd(abs + n + 1);
            if (fd >= 0) {
                w->place = FS_VIRTUAL;
                w->vnode = VN_FD_LINK;
                w->fd = fd;
                return true;
            }
        }
    }
    return false;
}

static bool owned(const char *abs)
{
    for (size_t i = 0; i < ARRAY_SIZE(owned_roots); i++)
        if (fs_path_within(abs, owned_roots[i]))
            return true;
    return false;
}

void fs_lookup(const struct fs_tree *t, const char *abs, struct fs_where *w)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    if (owned(abs)) {
        if (!lookup_virtual(abs, w))
            w->place = FS_MISSING;
        return;
    }
    const struct fs_mount *best = NULL;
    for (size_t i = 0; i < t->count; i++)
        if (fs_path_within(abs, t->mounts[i].guest) &&
            (!best || t->mounts[i].len > best->len))
            best = &t->mounts[i];
    if (best) {
        w->place = FS_IN_MOUNT;
        w->m = best;
        w->rel = abs + best->len;
        if (*w->rel == '/')
            w->rel++;
        return;
    }
    /* Every path above /dev, /proc or a grant is a directory. */
    w->place = strcmp(abs, "/") == 0 ? FS_SYNTHETIC : FS_MISSING;
    for (size_t i = 0; i < t->count && w->place == FS_MISSING; i++)
        if (fs_path_within(t->mounts[i].guest, abs))
            w->place = FS_SYNTHETIC;
}

/* The component of path right below dir (path strictly within dir), into
 * name; whether more follows it. */
static bool child_name(const char *path, const char *dir, char *name)
{
    size_t n = strlen(dir);
    const char *s = path + (n == 1 ? 1 : n + 1);
    const char *end = strchr(s, '/');
    size_t len = end ? (size_t)(end - s) : strlen(s);

    memcpy(name, s, len);
    name[len] = '\0';
    return end != NULL;
}

struct name_entry {
    char name[FS_NAME_MAX + 1];
    bool dir;
};

struct name_set {
    struct name_entry *e;
    size_t count;
};

static void add_name(struct name_set *s, const char *path, const char *dir,
                     bool is_dir)
{
    if (strcmp(path, dir) == 0 || !fs_path_within(path, dir))
        return;
    char name[FS_NAME_MAX + 1];
    bool deeper = child_name(path, dir, name);
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->e[i].name, name) == 0) {
            s->e[i].dir |= deeper || is_dir;
            return;
        }
    snprintf(s->e[s->count].name, sizeof s->e[s->count].name, "%s", name);
    s->e[s->count++].dir = deeper || is_dir;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct name_entry *)a)->name,
                  ((const struct name_entry *)b)->name);
}

static int list_fds(const int *fds, size_t nfds, fs_name_fn *fn, void *ctx)
{
    for (size_t i = 0; i < nfds; i++) {
        char name[16];
        snprintf(name, sizeof name, "%d", fds[i]);
        int r = fn(name, false, ctx);
        if (r)
            return r;
    }
    return 0;
}

int fs_list(const struct fs_tree *t, const char *abs, const int *fds,
            size_t nfds, fs_name_fn *fn, void *ctx)
{
    for (size_t i = 0; i < ARRAY_SIZE(fd_dirs); i++)
        if (strcmp(abs, fd_dirs[i]) == 0)
            return list_fds(fds, nfds, fn, ctx);

    size_t max = t->count + ARRAY_SIZE(vnodes);
    struct name_set s = { calloc(max, sizeof *s.e), 0 };
    if (!s.e)
        return -ENOMEM;
    for (size_t i = 0; i < t->count; i++)
        add_name(&s, t->mounts[i].guest, abs, true);
    for (size_t i = 0; i < ARRAY_SIZE(vnodes); i++)
        add_name(&s, vnodes[i].path, abs, vnodes[i].vnode == VN_DIR);
    qsort(s.e, s.count, sizeof *s.e, by_name);
    int r = 0;
    for (size_t i = 0; i < s.count && r == 0; i++)
        r = fn(s.e[i].name, s.e[i].dir, ctx);
    free(s.e);
    return r;
}

static int by_guest_path(const void *a, const void *b)
{
    return strcmp(((const struct fs_mount *)a)->guest,
                  ((const struct fs_mount *)b)->guest);
}

static bool strictly_below(const char *abs, const char *dir)
{
    return strcmp(abs, dir) != 0 && fs_path_within(abs, dir);
}

/* Whether a grant, /dev or /proc lies below abs in the guest's tree:
 * then abs is a directory, whatever a grant it is in holds there. */
static bool above_a_mount(const struct fs_tree *t, const char *abs)
{
    for (size_t i = 0; i < t->count; i++)
        if (strictly_below(t->mounts[i].guest, abs))
            return true;
    for (size_t i = 0; i < ARRAY_SIZE(owned_roots); i++)
        if (strictly_below(owned_roots[i], abs))
            return true;
    return false;
}

int fs_tree_add(struct fs_tree *t, const char *guest, const char *host,
                int fd, bool rw, bool is_tmp)
{
    if (owned(guest))
        return -EINVAL;
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->mounts[i].guest, guest) == 0)
            return -EEXIST;
    struct fs_mount *m = realloc(t->mounts, (t->count + 1) * sizeof *m);
    if (!m)
        return -ENOMEM;
    t->mounts = m;
    m = &t->mounts[t->count];
    *m = (struct fs_mount){ .guest = strdup(guest), .host = strdup(host),
                            .fd = fd, .rw = rw, .is_tmp = is_tmp };
    if (!m->guest || !m->host) {
        free(m->guest);
        free(m->host);
        return -ENOMEM;
    }
    m->len = strlen(guest);
    t->count++;
    qsort(t->mounts, t->count, sizeof *t->mounts, by_guest_path);
    for (size_t i = 0; i < t->count; i++)
        t->mounts[i].nested = above_a_mount(t, t->mounts[i].guest);
    return 0;
}

void fs_tree_free(struct fs_tree *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->mounts[i].guest);
        free(t->mounts[i].host);
        if (t->mounts[i].fd >= 0)
            close(t->mounts[i].fd);
    }
    free(t->mounts);
    free(t->exe);
    memset(t, 0, sizeof *t);
}

/* The next component of *rest into name (NUL-terminated): 1, or 0 at
 * the end, or -ENAMETOOLONG for a name longer than FS_NAME_MAX (a
 * symlink's target may hold one: the host stores any target).  *last:
 * nothing follows it. */
static int next_component(const char **rest, char name[FS_NAME_MAX + 1],
                          bool *last)
{
    const char *s = *rest;

    while (*s == '/')
        s++;
    if (!*s)
        return 0;
    size_t n = strcspn(s, "/");
    if (n > FS_NAME_MAX)
        return -ENAMETOOLONG;
    memcpy(name, s, n);
    name[n] = '\0';
    s += n;
    while (*s == '/')
        s++;
    *rest = s;
    *last = !*s;
    return 1;
}

/* rest becomes the target of the link open as fd (O_PATH | O_NOFOLLOW:
 * read through that fd, so that a rename meanwhile cannot make it
 * another entry's) + "/" + what followed it. */
static int splice_link(int fd, char *rest, size_t size, const char *after)
{
    char target[FS_PATH_MAX], tail[FS_PATH_MAX];
    ssize_t n = readlinkat(fd, "", target, sizeof target - 1);

    if (n < 0)
        return -errno;
    target[n] = '\0';
    if (target[0] == '/')
        return -EACCES;                  /* out of the grant */
    snprintf(tail, sizeof tail, "%s", after);
    if ((size_t)snprintf(rest, size, "%s/%s", target, tail) >= size)
        return -ENAMETOOLONG;
    return 0;
}

#define WALK_DEPTH 256

static int open_at(int dir, const char *name, uint64_t flags, uint64_t mode)
{
    int fd = openat(dir, name, (int)flags | O_CLOEXEC, (mode_t)mode);
    return fd < 0 ? -errno : fd;
}

/* Without openat2 (Linux before 5.6, or under valgrind, which does not
 * know it): the same rule one component at a time.  Each is opened
 * O_PATH | O_NOFOLLOW beneath the one before; a symlink's target is
 * spliced into what is left (absolute, or climbing above the grant's
 * root: EACCES), at most FS_SYMLOOP_MAX of them; the last component is
 * opened with O_NOFOLLOW, so one swapped in meanwhile is ELOOP. */
static int walk_beneath(int root, const char *rel, uint64_t flags,
                        uint64_t mode, uint64_t resolve)
{
    char buf[FS_PATH_MAX], name[FS_NAME_MAX + 1];
    int dirs[WALK_DEPTH], depth = 0, links = 0, r = 0;
    const char *rest = buf;
    bool last = true;
    /* O_CREAT|O_EXCL never follows the last name (open(2)): a symlink
     * there is EEXIST, as openat2 says. */
    bool exclusive = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);

    dirs[0] = root;
    snprintf(buf, sizeof buf, "%s", rel);
    for (;;) {
        int more = next_component(&rest, name, &last);
        if (more <= 0) {
            r = more < 0 ? more : open_at(dirs[depth], ".", flags, mode);
            break;
        }
        if (strcmp(name, ".") == 0)
            continue;
        if (strcmp(name, "..") == 0) {
            if (depth == 0) {
                r = -EACCES;
                break;
            }
            close(dirs[depth--]);
            continue;
        }
        struct stat st;
        int fd = openat(dirs[depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        bool link = fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
        if (link && (!last || (!(flags & O_NOFOLLOW) && !exclusive))) {
            char after[FS_PATH_MAX];
            snprintf(after, sizeof after, "%s", rest);
            r = resolve & RESOLVE_NO_SYMLINKS || ++links > FS_SYMLOOP_MAX ?
                -ELOOP : splice_link(fd, buf, sizeof buf, after);
            close(fd);
            if (r < 0)
                break;
            rest = buf;
            continue;
        }
        if (last) {
            if (fd >= 0)
                close(fd);
            r = open_at(dirs[depth], name, flags | O_NOFOLLOW, mode);
            break;
        }
        if (fd < 0 || !S_ISDIR(st.st_mode) || depth + 1 == WALK_DEPTH) {
            r = fd < 0 ? -errno : depth + 1 == WALK_DEPTH ? -ENAMETOOLONG
                                                          : -ENOTDIR;
            if (fd >= 0)
                close(fd);
            break;
        }
        dirs[++depth] = fd;
    }
    while (depth > 0)
        close(dirs[depth--]);
    return r;
}

int fs_host_open(const struct fs_mount *m, const char *rel, uint64_t flags,
                 uint64_t mode, uint64_t extra_resolve)
{
    static bool no_openat2;
    struct open_how how = {
        .flags = flags | O_CLOEXEC, .mode = mode,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | extra_resolve,
    };

    if (no_openat2)
        return walk_beneath(m->fd, rel, flags, mode, extra_resolve);
    long fd = syscall(SYS_openat2, m->fd, *rel ? rel : ".", &how, sizeof how);
    if (fd < 0 && errno == ENOSYS) {
        no_openat2 = true;
        return walk_beneath(m->fd, rel, flags, mode, extra_resolve);
    }
    if (fd < 0)
        return errno == EXDEV ? -EACCES : -errno;
    return (int)fd;
}

int fs_host_parent(const struct fs_mount *m, const char *rel,
                   const char **name, uint64_t extra_resolve)
{
    char parent[FS_PATH_MAX];
    const char *slash = strrchr(rel, '/');

    if (!slash) {
        *name = rel;
        return fs_host_open(m, "", O_PATH | O_DIRECTORY, 0, extra_resolve);
    }
    size_t n = (size_t)(slash - rel);
    memcpy(parent, rel, n);
    parent[n] = '\0';
    *name = slash + 1;
    return fs_host_open(m, parent, O_PATH | O_DIRECTORY, 0, extra_resolve);
}

/* ---- The walk in the guest's tree ---------------------------------------- */

/* out without its last name ("/" stays "/"). */
static void drop_last(char out[FS_PATH_MAX])
{
    char *slash = strrchr(out, '/');
    slash[slash == out] = '\0';
}

static bool is_magic(const struct fs_where *w)
{
    return w->place == FS_VIRTUAL &&
           (w->vnode == VN_FD_LINK || w->vnode == VN_EXE);
}

struct walk_state {
    const struct fs_walk *how;
    char todo[FS_PATH_MAX];
    const char *rest;
    const char *link_end;    /* todo below this came from a link */
    int links;
};

/* ".." (whether from a link's target: link): out's parent, what the
 * scope makes of root's, and EACCES for a link climbing out of a grant,
 * as the host says of one in a grant that holds no other. */
static int walk_up(const struct fs_tree *t, struct walk_state *st,
                   char out[FS_PATH_MAX], bool link)
{
    struct fs_where w;

    if (strcmp(out, st->how->root) == 0 && st->how->scope != FS_SCOPE_NONE)
        return st->how->scope == FS_SCOPE_BENEATH ? -EXDEV : 0;
    fs_lookup(t, out, &w);
    if (link && w.place == FS_IN_MOUNT && !*w.rel)
        return -EACCES;
    if (strcmp(out, "/") != 0)
        drop_last(out);
    return 0;
}

/* The symlink at out (its host O_PATH fd): its target spliced in front of
 * what is left. */
static int walk_link(struct walk_state *st, int fd, char out[FS_PATH_MAX])
{
    char target[FS_PATH_MAX], after[FS_PATH_MAX];

    if (st->how->no_symlinks || ++st->links > FS_SYMLOOP_MAX)
        return -ELOOP;
    ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
    if (n < 0)
        return -errno;
    target[n] = '\0';
    drop_last(out);
    if (target[0] == '/') {
        if (st->how->scope != FS_SCOPE_IN_ROOT)    /* a host path */
            return st->how->scope == FS_SCOPE_BENEATH ? -EXDEV : -EACCES;
        snprintf(out, FS_PATH_MAX, "%s", st->how->root);
    }
    snprintf(after, sizeof after, "%s", st->rest);
    if ((size_t)snprintf(st->todo, sizeof st->todo, "%s/%s", target,
                         after) >= sizeof st->todo)
        return -ENAMETOOLONG;
    st->rest = st->todo;
    st->link_end = st->todo + n;
    return 0;
}

/* One name appended to out: 0 to go on, 1 when the walk ends here (the
 * last name missing), or -errno. */
static int walk_name(const struct fs_tree *t, struct walk_state *st,
                     char out[FS_PATH_MAX], const char *name, bool last)
{
    size_t len = strlen(out);
    struct fs_where w;

    if (len + 2 + strlen(name) > FS_PATH_MAX)
        return -ENAMETOOLONG;
    snprintf(out + len, FS_PATH_MAX - len, "%s%s", len > 1 ? "/" : "", name);
    fs_lookup(t, out, &w);
    bool follow = !last || st->how->follow;
    if (is_magic(&w) && follow && st->how->scope != FS_SCOPE_NONE)
        return -ELOOP;          /* openat2(2): scoped walks refuse them */
    if (w.place == FS_MISSING)
        return last ? 1 : -ENOENT;
    if (w.place != FS_IN_MOUNT || above_a_mount(t, out))
        return 0;
    int fd = fs_host_open(w.m, w.rel, O_PATH | O_NOFOLLOW, 0,
                          RESOLVE_NO_SYMLINKS);
    if (fd < 0)
        return fd == -ENOENT && last ? 1 : fd;
    struct stat sb;
    int r = fstat(fd, &sb) < 0 ? -errno : 0;
    if (r == 0 && S_ISLNK(sb.st_mode) && follow)
        r = walk_link(st, fd, out);
    else if (r == 0 && !last && !S_ISDIR(sb.st_mode))
        r = -ENOTDIR;
    close(fd);
    return r;
}

int fs_walk(const struct fs_tree *t, const struct fs_walk *how,
            const char *path, char out[FS_PATH_MAX])
{
    struct walk_state st = { .how = how };
    char name[FS_NAME_MAX + 1];
    bool last;
    int more;

    if ((size_t)snprintf(st.todo, sizeof st.todo, "%s", path) >=
            sizeof st.todo ||
        (size_t)snprintf(out, FS_PATH_MAX, "%s", how->root) >= FS_PATH_MAX)
        return -ENAMETOOLONG;
    st.rest = st.link_end = st.todo;
    for (;;) {
        const char *at = st.rest;
        if ((more = next_component(&st.rest, name, &last)) <= 0)
            return more;
        int r = strcmp(name, ".") == 0 ? 0 :
                strcmp(name, "..") == 0 ? walk_up(t, &st, out,
                                                  at < st.link_end) :
                walk_name(t, &st, out, name, last);
        if (r != 0)
            return r < 0 ? r : 0;
    }
}

void fs_physical(const struct fs_tree *t, const char *abs,
                 char out[FS_PATH_MAX])
{
    const struct fs_walk how = { .root = "/", .follow = true };

    if (fs_walk(t, &how, abs, out) < 0)
        snprintf(out, FS_PATH_MAX, "%s", abs);
}
