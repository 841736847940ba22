/*
 * libFuzzer target: the guest's files (linux/path.c, tree.c, fd.c and the
 * calls on them).  A guest that names any path and juggles any fds must
 * never reach the host outside its grants, write to a read-only grant,
 * leak a host fd, or leave the fd table's references out of step with its
 * slots.
 *
 * Setup (once, LLVMFuzzerInitialize): a scratch directory on the host
 * holding rw/ (granted read-write as /work), ro/ (read-only, nested as
 * /work/ro), rw2/ (read-write as /srv/x, a second grant for EXDEV) and
 * canary/, which no grant names.  Each input gets a fresh process
 * (tests/support/fake_guest: real page tables, no KVM) with those grants
 * and a private /tmp, and rw/ and rw2/ laid out anew, so a crash replays
 * alone.
 *
 * Input: operations, one byte choosing each (at most FS_MAX_OPS), then
 * what it needs: fd numbers (small ones, recent results, AT_FDCWD and
 * numbers at the limits), flag words mapped onto the flags the call
 * knows, sizes and offsets from short tables, and paths assembled from a
 * small alphabet of components ("..", ".", "", "proc", "fd", names the
 * tree holds, names of 255 and 256 bytes, raw bytes), optionally repeated
 * (to pass PATH_MAX), or placed unterminated against the end of guest
 * memory.  Operation 0 calls fs_path_normalize() directly and compares it
 * with a reference written here, then resolves the result in the tree
 * and opens it on the host.  The rest are system calls through
 * linux_syscall().
 *
 * Asserted: every result is >= 0 or -1..-133 (Linux's errnos); an fd a
 * call returns is below RLIMIT_NOFILE as it was and is open; after every
 * call each open file description's refs equals the slots that point at
 * it, and every host fd it holds is at or above LINUX_HOST_FD_MIN, inside
 * its grant's host directory (by /proc/self/fd and the device), and never
 * writable in a read-only grant; after each input, with the process torn
 * down, the fuzzer has exactly the host fds it had before, and ro/ and
 * canary/ (and the scratch directory itself) are unchanged.
 */
#include "common/stop.h"
#include "linux/internal.h"
#include "tests/support/fake_guest.h"
#include "tests/support/no_openat2.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "fuzz_fs: contract broken: %s (line %d)\n", #cond, \
            __LINE__); abort(); } } while (0)

#define FS_MAX_OPS     48
#define LX_AT_FDCWD    (-100)
#define LX_ERRNO_MAX   133             /* EHWPOISON, the last Linux errno */
#define LX_SYS_FCHMODAT2 452            /* Linux 6.6; older headers lack it */
/* A path may be longer than PATH_MAX, so ENAMETOOLONG is reached. */
#define PATH_BUF       (FS_PATH_MAX + 256)

/* Guest memory: the data page for small structures; above it the heap,
 * grown by brk at the start of each input, for two paths and a buffer. */
#define DATA           ((uint64_t)FAKE_VM_USER_DATA)
#define D_STAT         (DATA + 0)       /* struct stat, statx, statfs */
#define D_PIPE         (DATA + 512)
#define D_HOW          (DATA + 576)     /* struct open_how, zero-padded */
#define D_MISC         (DATA + 1024)    /* flock, rlimit, iovecs, times */
#define D_OFF          (DATA + 2048)    /* loff_t for sendfile & co */
#define D_POLL         (DATA + 2304)
#define H_PATH0        0                /* offsets from the heap's start */
#define H_PATH1        8192
#define H_BUF          16384
#define H_BUF_SIZE     8192
#define H_SIZE         (H_BUF + H_BUF_SIZE)

/* ---- Input -------------------------------------------------------------- */

struct input {
    const uint8_t *p;
    size_t n;
};

static uint8_t take(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint16_t take16(struct input *in)
{
    uint16_t lo = take(in);
    return (uint16_t)(lo | (unsigned)take(in) << 8);
}

static char long255[FS_NAME_MAX + 1], long256[FS_NAME_MAX + 2];

/* Names the seeded tree, /dev and /proc hold, and the names that make
 * resolution interesting. */
static const char *const names[] = {
    "a", "b", "c", "..", ".", "", "/", "tmp", "dev", "proc", "self", "fd",
    "0", "1", "2", "3", "4", "stdin", "stderr", "null", "zero", "full",
    "urandom", "exe", "work", "ro", "srv", "x", "e", "f", "d", "g", "l",
    "dl", "up", "abs", "loop", "esc", "deep", "new", "...", "00", "-1",
    "canary", "secret", "root", long255, long256,
};
#define NNAMES (sizeof names / sizeof names[0])

static const char *const prefixes[] = {
    "/work", "/work/ro", "/srv/x", "/tmp", "/dev", "/dev/fd", "/proc/self",
    "/proc/self/fd", "/srv", "/", "/work/b", "/work/ro/d", "..", "../..",
};
#define NPREFIXES (sizeof prefixes / sizeof prefixes[0])

static void append(char *out, size_t max, size_t *len, const char *s,
                   size_t n)
{
    if (*len + n >= max)
        n = max - 1 - *len;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

/* A path from the input into out (at most max - 1 bytes).  Header byte:
 * bits 0-2 the number of components, 3 a trailing "/", 4 repeat them (a
 * count follows), 5 unterminated at the end of guest memory (*fault), 6
 * a prefix from the table (an index follows), 7 absolute.  A component
 * byte indexes names[]; 0xff is raw bytes (a length, then the bytes). */
static void make_path(struct input *in, char *out, size_t max, bool *fault)
{
    uint8_t h = take(in);
    unsigned ncomp = h & 7, reps = 1;
    char comps[7][17];
    const char *comp[7];
    size_t len = 0;

    out[0] = '\0';
    if (h & 0x10)
        reps = 1 + take(in) % 40u;
    if (fault)
        *fault = (h & 0x20) != 0;
    if (h & 0x40) {
        const char *p = prefixes[take(in) % NPREFIXES];
        append(out, max, &len, p, strlen(p));
    } else if (h & 0x80) {
        append(out, max, &len, "/", 1);
    }
    for (unsigned i = 0; i < ncomp; i++) {
        uint8_t c = take(in);
        if (c != 0xff) {
            comp[i] = names[c % NNAMES];
            continue;
        }
        size_t n = take(in) % 17u;
        for (size_t k = 0; k < n; k++) {
            uint8_t b = take(in);
            comps[i][k] = (char)(b ? b : 0x80);  /* a NUL would end it */
        }
        comps[i][n] = '\0';
        comp[i] = comps[i];
    }
    for (unsigned r = 0; r < reps; r++)
        for (unsigned i = 0; i < ncomp; i++) {
            if (len > 0 && out[len - 1] != '/')
                append(out, max, &len, "/", 1);
            append(out, max, &len, comp[i], strlen(comp[i]));
        }
    if (h & 8)
        append(out, max, &len, "/", 1);
}

/* ---- The host side ---------------------------------------------------- */

/* FUZZ_FS_TRACE=1 in the environment: each call and its result on
 * stderr, to read what a crashing input did. */
static bool trace;

static struct {
    char base[128];          /* the scratch directory, realpath'd */
    char rw[160], ro[160], rw2[160], canary[160];
    int rw_fd, rw2_fd;       /* to lay the trees out anew */
    int null_fd;
} host;

/* What must never change: the scratch directory, ro/ and canary/. */
static const char *const watched[] = {
    "", "/canary", "/canary/secret", "/ro", "/ro/f", "/ro/d", "/ro/d/g",
    "/ro/l", "/ro/esc",
};
#define NWATCHED (sizeof watched / sizeof watched[0])
static struct stat watched_st[NWATCHED];

static void watched_stat(size_t i, struct stat *st)
{
    char path[256];

    snprintf(path, sizeof path, "%s%s", host.base, watched[i]);
    CHECK(lstat(path, st) == 0);
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
           a->st_nlink == b->st_nlink && a->st_uid == b->st_uid &&
           a->st_gid == b->st_gid && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
           a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void write_file(int dir, const char *name, const char *text)
{
    int fd = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

/* Everything below dir goes, whatever the guest made of it (modes
 * included: a directory it made 0 is still emptied). */
static void empty_dir(int dir)
{
    bool again = true;

    while (again) {
        int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(fd >= 0);
        DIR *d = fdopendir(fd);
        CHECK(d != NULL);
        struct dirent *e;
        again = false;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            struct stat st;
            CHECK(fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0);
            if (S_ISDIR(st.st_mode)) {
                CHECK(fchmodat(dir, e->d_name, 0700, 0) == 0);
                int sub = openat(dir, e->d_name, O_RDONLY | O_DIRECTORY |
                                 O_NOFOLLOW | O_CLOEXEC);
                CHECK(sub >= 0);
                empty_dir(sub);
                close(sub);
            }
            CHECK(unlinkat(dir, e->d_name,
                           S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) == 0);
            again = true;
        }
        closedir(d);
    }
}

/* rw/ and rw2/ as every input starts with them: files, a directory,
 * symlinks that stay inside, and symlinks that lead out (absolute, up
 * past the root, a loop). */
static void lay_out_trees(void)
{
    empty_dir(host.rw_fd);
    empty_dir(host.rw2_fd);
    CHECK(fchmod(host.rw_fd, 0755) == 0 && fchmod(host.rw2_fd, 0755) == 0);
    write_file(host.rw_fd, "a", "hello\n");
    CHECK(mkdirat(host.rw_fd, "b", 0755) == 0);
    write_file(host.rw_fd, "b/c", "c\n");
    CHECK(symlinkat("a", host.rw_fd, "l") == 0);
    CHECK(symlinkat("b", host.rw_fd, "dl") == 0);
    CHECK(symlinkat("b/../b/./c", host.rw_fd, "deep") == 0);
    CHECK(symlinkat("../ro", host.rw_fd, "up") == 0);
    CHECK(symlinkat("/etc", host.rw_fd, "abs") == 0);
    CHECK(symlinkat("loop", host.rw_fd, "loop") == 0);
    CHECK(symlinkat("b/../../canary/secret", host.rw_fd, "esc") == 0);
    write_file(host.rw2_fd, "x", "x\n");
    CHECK(mkdirat(host.rw2_fd, "e", 0755) == 0);
}

static unsigned count_host_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    unsigned n = 0;

    CHECK(d != NULL);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* At a normal exit the scratch directory goes; a crash leaves it, with
 * the tree the crashing input made. */
static void remove_scratch(void)
{
    int fd = open(host.base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return;
    empty_dir(fd);
    close(fd);
    rmdir(host.base);
}

static void mkdir_under(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", host.base, name);
    CHECK(mkdir(out, 0755) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    char dir[128];
    struct stat st;

    /* tmpfs when there is one: the trees are laid out for every input. */
    if (!tmp || !*tmp)
        tmp = stat("/dev/shm", &st) == 0 && access("/dev/shm", W_OK) == 0 ?
              "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/kvmelf-fuzzfs-XXXXXX", tmp);
    CHECK(mkdtemp(dir) != NULL);
    CHECK(realpath(dir, host.base) != NULL);
    atexit(remove_scratch);
    mkdir_under(host.rw, sizeof host.rw, "rw");
    mkdir_under(host.ro, sizeof host.ro, "ro");
    mkdir_under(host.rw2, sizeof host.rw2, "rw2");
    mkdir_under(host.canary, sizeof host.canary, "canary");
    int ro = open(host.ro, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int canary = open(host.canary, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(ro >= 0 && canary >= 0);
    write_file(canary, "secret", "secret\n");
    write_file(ro, "f", "read-only\n");
    CHECK(mkdirat(ro, "d", 0755) == 0);
    write_file(ro, "d/g", "g\n");
    CHECK(symlinkat("f", ro, "l") == 0);
    CHECK(symlinkat("../canary/secret", ro, "esc") == 0);
    close(ro);
    close(canary);
    host.rw_fd = open(host.rw, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    host.rw2_fd = open(host.rw2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(host.rw_fd >= 0 && host.rw2_fd >= 0);
    for (size_t i = 0; i < NWATCHED; i++)
        watched_stat(i, &watched_st[i]);

    /* As in a run, fds below LINUX_HOST_FD_MIN are taken (there by the
     * VM and the vCPU), so the file layer's own rule can be checked. */
    host.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    CHECK(host.null_fd >= 0);
    for (int fd = 0; fd < LINUX_HOST_FD_MIN; fd++)
        if (fd != STDERR_FILENO && fcntl(fd, F_GETFD) < 0)
            CHECK(dup2(host.null_fd, fd) == fd);
    memset(long255, 'n', FS_NAME_MAX);
    memset(long256, 'n', FS_NAME_MAX + 1);
    /* As kvmelf's main() does: a write to a pipe nobody reads is the
     * guest's SIGPIPE, not the monitor's. */
    signal(SIGPIPE, SIG_IGN);
    trace = getenv("FUZZ_FS_TRACE") != NULL;
    /* FUZZ_FS_WALK=1: every host open goes through tree.c's walk one
     * component at a time (a campaign of its own: fs_host_open makes the
     * choice once per process). */
    if (getenv("FUZZ_FS_WALK"))
        CHECK(no_openat2() == 0);
    /* With a stop pending every wait (a blocking read of an empty pipe,
     * a write to a full one, poll) returns EINTR at once. */
    stop_request_for_test(SIGTERM);
    return 0;
}

/* ---- Path normalization against a reference ----------------------------- */

/* fs_path_normalize() as fs.h states it, written plainly: a stack of
 * names, "." dropped, ".." popping (never past "/"), every name at most
 * NAME_MAX, and no step of the result reaching PATH_MAX. */
static int ref_normalize(const char *base, const char *path, char *out,
                         bool *dir_only)
{
    size_t len = 0, plen = strlen(path);
    const char *srcs[2] = { path[0] == '/' ? "" : base, path };
    const char *last = "";
    size_t last_n = 0;

    if (!plen)
        return -ENOENT;
    if (plen >= FS_PATH_MAX)
        return -ENAMETOOLONG;
    for (int i = 0; i < 2; i++) {
        const char *s = srcs[i];
        while (*s) {
            size_t n = strcspn(s, "/");
            if (n > FS_NAME_MAX)
                return -ENAMETOOLONG;
            if (i == 1 && n) {
                last = s;
                last_n = n;
            }
            if (n == 0 || (n == 1 && s[0] == '.')) {
                /* nothing */
            } else if (n == 2 && s[0] == '.' && s[1] == '.') {
                while (len > 0 && out[len - 1] != '/')
                    len--;
                if (len > 0)
                    len--;
            } else {
                if (len + 1 + n >= FS_PATH_MAX)
                    return -ENAMETOOLONG;
                out[len++] = '/';
                memcpy(out + len, s, n);
                len += n;
            }
            s += n;
            if (*s)
                s++;
        }
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    *dir_only = path[plen - 1] == '/' ||
                (last_n == 1 && last[0] == '.') ||
                (last_n == 2 && last[0] == '.' && last[1] == '.');
    return 0;
}

/* What a normalized path is: absolute, no empty, "." or ".." names, no
 * trailing slash, every name and the whole within the limits. */
static void check_normal(const char *abs)
{
    size_t len = strlen(abs);

    CHECK(abs[0] == '/' && len < FS_PATH_MAX);
    if (len == 1)
        return;
    CHECK(abs[len - 1] != '/');
    for (const char *s = abs + 1; ; ) {
        size_t n = strcspn(s, "/");
        CHECK(n > 0 && n <= FS_NAME_MAX);
        CHECK(!(n == 1 && s[0] == '.'));
        CHECK(!(n == 2 && s[0] == '.' && s[1] == '.'));
        if (!s[n])
            break;
        s += n + 1;
    }
}

static bool has_dotdot(const char *path)
{
    for (const char *s = path; *s; ) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return true;
        s += n;
        if (*s)
            s++;
    }
    return false;
}

/* A host fd inside m: on its file system and, for a host directory,
 * below it by the kernel's own account of the path. */
static void check_in_mount(int fd, const struct fs_mount *m)
{
    struct stat st, ms;
    char link[64], got[FS_PATH_MAX + 16];

    CHECK(fstat(fd, &st) == 0 && fstat(m->fd, &ms) == 0);
    CHECK(st.st_dev == ms.st_dev);
    if (m->is_tmp)
        return;              /* a tmpfs of its own: the device says it all */
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, got, sizeof got - 1);
    CHECK(n > 0);
    got[n] = '\0';
    size_t hl = strlen(m->host);
    CHECK(strncmp(got, m->host, hl) == 0 &&
          (got[hl] == '\0' || got[hl] == '/'));
}

static bool is_mount(const struct fs_tree *t, const struct fs_mount *m)
{
    for (size_t i = 0; i < t->count; i++)
        if (m == &t->mounts[i])
            return true;
    return false;
}

/* fs_lookup's answer for abs, and the host fd it leads to inside the
 * mount: never outside the grant, however the tree's symlinks point. */
static void check_lookup(const struct fs_tree *t, const char *abs,
                         uint8_t how)
{
    struct fs_where w;
    const struct fs_mount *best = NULL;

    fs_lookup(t, abs, &w);
    for (size_t i = 0; i < t->count; i++)
        if (fs_path_within(abs, t->mounts[i].guest) &&
            (!best || t->mounts[i].len > best->len))
            best = &t->mounts[i];
    if (w.place != FS_IN_MOUNT) {
        CHECK(!best);
        CHECK(w.place == FS_VIRTUAL || w.place == FS_SYNTHETIC ||
              w.place == FS_MISSING);
        return;
    }
    CHECK(w.m == best);
    CHECK(w.rel[0] != '/' && !has_dotdot(w.rel));
    CHECK(strlen(w.rel) == 0 ||
          strcmp(w.rel, abs + best->len + (best->len > 1)) == 0);
    static const uint64_t flags[] = {
        O_PATH, O_PATH | O_NOFOLLOW, O_RDONLY, O_PATH | O_DIRECTORY,
    };
    int fd = fs_host_open(w.m, w.rel, flags[how % 4], 0, 0);
    CHECK(fd < 0 ? fd >= -LX_ERRNO_MAX : fd >= LINUX_HOST_FD_MIN);
    if (fd >= 0) {
        check_in_mount(fd, w.m);
        close(fd);
    }
    if (*w.rel) {
        const char *name;
        fd = fs_host_parent(w.m, w.rel, &name, 0);
        CHECK(*name && !strchr(name, '/'));
        CHECK(fd < 0 ? fd >= -LX_ERRNO_MAX : fd >= LINUX_HOST_FD_MIN);
        if (fd >= 0) {
            check_in_mount(fd, w.m);
            close(fd);
        }
    }
}

static void op_normalize(const struct fs_tree *t, struct input *in)
{
    static char base_in[PATH_BUF], path[PATH_BUF];
    char base[FS_PATH_MAX], out[FS_PATH_MAX], ref[FS_PATH_MAX];
    char again[FS_PATH_MAX];
    bool dir = false, ref_dir = false;

    base_in[0] = '/';        /* a base is absolute */
    make_path(in, base_in + 1, sizeof base_in - 1, NULL);
    if (fs_path_normalize("/", base_in, base, NULL) < 0)
        strcpy(base, "/");
    make_path(in, path, sizeof path, NULL);
    uint8_t how = take(in);
    int r = fs_path_normalize(base, path, out, &dir);
    int rr = ref_normalize(base, path, ref, &ref_dir);
    CHECK(r == rr);
    if (r < 0) {
        CHECK(r == -ENOENT || r == -ENAMETOOLONG);
        return;
    }
    CHECK(strcmp(out, ref) == 0 && dir == ref_dir);
    check_normal(out);
    CHECK(fs_path_normalize("/", out, again, NULL) == 0 &&
          strcmp(again, out) == 0);
    CHECK(fs_path_normalize(base, out, again, NULL) == 0 &&
          strcmp(again, out) == 0);
    if (path[0] != '/' && !has_dotdot(path))
        CHECK(fs_path_within(out, base));
    if (strcmp(out, "/") != 0) {
        size_t parent_len;
        const char *name = fs_path_name(out, &parent_len);
        CHECK(*name && !strchr(name, '/'));
        CHECK(parent_len >= 1 && parent_len < strlen(out));
        CHECK(name == out + parent_len + (parent_len > 1));
    }
    check_lookup(t, out, how);
}

/* ---- The guest and its calls --------------------------------------------- */

struct fs_run {
    struct fake_guest *fg;
    uint64_t heap;           /* the heap's start: H_* are above it */
    uint64_t recent[4];      /* the last fds calls returned */
    unsigned nrecent;
    bool ended;              /* a call ended the process */
    struct lfile *seen[SYS_NOFILE_HARD + 64];
};

static void *gptr_of(struct fake_guest *fg, uint64_t addr, size_t len)
{
    void *p = guest_mem_ptr(&fg->gm, addr, len);
    CHECK(p != NULL);
    return p;
}

static void *gptr(struct fs_run *s, uint64_t addr, size_t len)
{
    return gptr_of(s->fg, addr, len);
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(struct lfile *const *)a;
    uintptr_t y = (uintptr_t)*(struct lfile *const *)b;
    return x < y ? -1 : x > y;
}

/* One open file description as it must be; its host fd inside its grant
 * (deep: the /proc/self/fd look, not only the numbers). */
static void check_file(struct fs_run *s, const struct lfile *f, bool deep)
{
    CHECK(f->refs > 0);
    switch (f->kind) {
    case LF_HOST:
        CHECK(f->host_fd >= LINUX_HOST_FD_MIN);
        if (!deep)
            break;
        if (f->pipe) {
            struct stat st;
            CHECK(fstat(f->host_fd, &st) == 0 && S_ISFIFO(st.st_mode));
            break;
        }
        CHECK(f->mount && is_mount(&s->fg->proc->tree, f->mount));
        check_in_mount(f->host_fd, f->mount);
        int fl = fcntl(f->host_fd, F_GETFL);
        CHECK(fl >= 0);
        if (!f->mount->rw && !(fl & O_PATH))
            CHECK((fl & O_ACCMODE) == O_RDONLY);
        break;
    case LF_CONSOLE:
        CHECK(f->std >= 0 && f->std <= 2);
        break;
    case LF_DEV:
        CHECK(f->vnode >= VN_NULL && f->vnode <= VN_URANDOM);
        break;
    case LF_DIR:
        CHECK(f->path != NULL);
        break;
    default:
        CHECK(f->kind <= LF_DIR);   /* no other kind exists */
    }
}

/* Each description is pointed at by exactly refs slots. */
static void check_table(struct fs_run *s, bool deep)
{
    const struct fd_table *t = &s->fg->proc->fds;
    size_t n = 0;

    CHECK(t->cap <= SYS_NOFILE_HARD + 64);
    for (size_t fd = 0; fd < t->cap; fd++)
        if (t->slots[fd].f)
            s->seen[n++] = t->slots[fd].f;
    qsort(s->seen, n, sizeof *s->seen, by_address);
    for (size_t i = 0; i < n; ) {
        size_t j = i;
        while (j < n && s->seen[j] == s->seen[i])
            j++;
        CHECK(s->seen[i]->refs == j - i);
        check_file(s, s->seen[i], deep);
        i = j;
    }
}

/* Which results are fds. */
enum ret_kind { R_ANY, R_FD };

static long call(struct fs_run *s, enum ret_kind kind, unsigned nr,
                 uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                 uint64_t a4, uint64_t a5)
{
    const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
    struct fake_guest *fg = s->fg;
    struct linux_call c;
    uint64_t limit = sys_nofile(fg->proc);

    memset(&fg->err, 0, sizeof fg->err);
    enum linux_result r = fake_guest_call(fg, nr, args, &c);
    CHECK(r == LINUX_RESUME || r == LINUX_SIGNAL || r == LINUX_ERROR);
    if (r == LINUX_SIGNAL) {
        CHECK(c.signal == SIGPIPE);      /* the only one a file call raises */
        s->ended = true;
    }
    if (r == LINUX_ERROR) {
        size_t len = strnlen(fg->err.msg, sizeof fg->err.msg);
        CHECK(len > 0 && len < sizeof fg->err.msg &&
              !strchr(fg->err.msg, '\n'));
        s->ended = true;
    }
    if (trace)
        fprintf(stderr, "fuzz_fs: %s(%#llx, %#llx, %#llx, %#llx) = %ld\n",
                linux_syscall_name(nr), (unsigned long long)a0,
                (unsigned long long)a1, (unsigned long long)a2,
                (unsigned long long)a3, c.ret);
    CHECK(c.ret >= -LX_ERRNO_MAX);
    check_table(s, false);
    if (r == LINUX_RESUME && kind == R_FD && c.ret >= 0) {
        CHECK((uint64_t)c.ret < limit);
        struct fd_slot *slot = fd_get(&fg->proc->fds, c.ret);
        CHECK(slot != NULL);
        check_file(s, slot->f, true);
        s->recent[s->nrecent++ % 4] = (uint64_t)c.ret;
    }
    return c.ret;
}

#define CALL(s, nr, ...) call_(s, R_ANY, nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define CALL_FD(s, nr, ...) call_(s, R_FD, nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define call_(s, k, nr, a, b, c, d, e, g, ...) \
    call(s, k, nr, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), \
         (uint64_t)(d), (uint64_t)(e), (uint64_t)(g))

static uint64_t pick_fd(struct fs_run *s, struct input *in)
{
    static const int64_t special[] = {
        LX_AT_FDCWD, -1, 1023, 1024, 4095, 4096, 0x7fffffff,
        (1LL << 32) | 3, (int64_t)0xffffff9cLL,    /* AT_FDCWD in 32 bits */
    };
    uint8_t b = take(in);

    if (b < 192)
        return b % 24u;
    if (b < 224)
        return s->nrecent ? s->recent[(b - 192u) % 4u] : 3;
    return (uint64_t)special[(b - 224u) % (sizeof special / sizeof *special)];
}

/* A 16-bit word onto open(2)'s flags: the access mode, then one bit each. */
static uint64_t pick_oflags(struct input *in)
{
    static const uint64_t bits[] = {
        O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK, O_DIRECTORY,
        O_NOFOLLOW, O_PATH, O_CLOEXEC, O_TMPFILE & ~O_DIRECTORY, O_NOCTTY,
        O_NOATIME, O_LARGEFILE, 0x40000000,        /* no flag's bit */
    };
    uint16_t v = take16(in);
    uint64_t flags = v & 3u;

    for (unsigned i = 0; i < sizeof bits / sizeof *bits; i++)
        if (v & (4u << i))
            flags |= bits[i];
    return flags;
}

static uint64_t pick_mode(struct input *in)
{
    uint16_t v = take16(in);
    return v & 0x8000 ? v : v & 0777;   /* now and then bits beyond 07777 */
}

static uint64_t pick_len(struct input *in)
{
    static const uint64_t lens[] = {
        0, 1, 2, 5, 8, 19, 24, 64, 100, 280, 512, 4096, H_BUF_SIZE,
    };
    return lens[take(in) % (sizeof lens / sizeof *lens)];
}

static uint64_t pick_off(struct input *in)
{
    static const int64_t offs[] = {
        0, 1, 3, 100, 4096, 1 << 20, -1, -4096, INT64_MAX,
    };
    return (uint64_t)offs[take(in) % (sizeof offs / sizeof *offs)];
}

/* A buffer of len bytes for the call: the heap's buffer, or one it may
 * not use (NULL, unmapped, read-only text, running off the heap). */
static uint64_t pick_buf(struct fs_run *s, struct input *in, uint64_t len)
{
    switch (take(in) % 8) {
    case 5:  return 0;
    case 6:  return FAKE_VM_TEXT;
    case 7:  return s->heap + H_SIZE - (len > 1 ? len / 2 : 0);
    default: return s->heap + H_BUF;
    }
}

/* The path from the input into guest memory at slot: its address. */
static uint64_t put_path(struct fs_run *s, struct input *in, uint64_t slot)
{
    static char path[PATH_BUF];
    bool fault;

    make_path(in, path, sizeof path, &fault);
    size_t n = strlen(path);
    if (fault) {             /* no NUL before the heap ends */
        uint64_t at = s->heap + H_SIZE - n;
        memcpy(gptr(s, at, n ? n : 1), path, n);
        return at;
    }
    uint64_t at = s->heap + slot;
    memcpy(gptr(s, at, n + 1), path, n + 1);
    return at;
}

static uint64_t pick_at_flags(struct input *in)
{
    static const uint64_t bits[] = {
        AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, AT_SYMLINK_FOLLOW, AT_REMOVEDIR,
        AT_EACCESS, AT_NO_AUTOMOUNT, 0x80000,
    };
    uint8_t v = take(in);
    uint64_t flags = 0;

    for (unsigned i = 0; i < sizeof bits / sizeof *bits; i++)
        if (v & (1u << i))
            flags |= bits[i];
    return flags;
}

enum op {
    OP_NORMALIZE, OP_OPEN, OP_OPENAT, OP_OPENAT2, OP_CREAT, OP_CLOSE,
    OP_CLOSE_RANGE, OP_DUP, OP_DUP2, OP_DUP3, OP_FCNTL, OP_PIPE2, OP_READ,
    OP_WRITE, OP_PREAD, OP_PWRITE, OP_RWV, OP_LSEEK, OP_GETDENTS, OP_MKDIR,
    OP_UNLINK, OP_RENAME, OP_SYMLINK, OP_READLINK, OP_LINK, OP_STAT,
    OP_ACCESS, OP_CWD, OP_TRUNCATE, OP_CHMOD, OP_UTIMENS, OP_FSTAT,
    OP_UMASK, OP_NOFILE, OP_IOCTL, OP_COPY, OP_FLOCK, OP_CHOWN,
    OP_FALLOCATE, OP_POLL, OP_COUNT
};

static void op_fcntl(struct fs_run *s, struct input *in)
{
    static const int cmds[] = {
        F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL,
        F_GETPIPE_SZ, F_SETPIPE_SZ, F_GETLK, F_SETLK, F_OFD_GETLK,
        F_OFD_SETLK, F_GETOWN, 1234,
    };
    uint64_t fd = pick_fd(s, in);
    int cmd = cmds[take(in) % (sizeof cmds / sizeof *cmds)];
    uint64_t arg = take16(in);

    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        arg = pick_fd(s, in);
        CALL_FD(s, SYS_fcntl, fd, cmd, arg);
        return;
    case F_SETFL:
        arg = pick_oflags(in);
        break;
    case F_SETPIPE_SZ:
        arg = (arg & 0xf) << 12;
        break;
    case F_GETLK: case F_SETLK: case F_OFD_GETLK: case F_OFD_SETLK: {
        struct flock *fl = gptr(s, D_MISC, sizeof *fl);
        memset(fl, 0, sizeof *fl);
        fl->l_type = (short)(take(in) % 4);
        fl->l_whence = (short)(take(in) % 3);
        fl->l_start = (off_t)pick_off(in);
        fl->l_len = (off_t)pick_len(in);
        arg = take(in) & 1 ? 8 : D_MISC;
        break;
    }
    default:
        break;
    }
    CALL(s, SYS_fcntl, fd, cmd, arg);
}

static void op_openat2(struct fs_run *s, struct input *in)
{
    static const uint64_t resolves[] = {
        RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS,
        RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_CACHED, 0x80,
    };
    uint64_t fd = pick_fd(s, in), path = put_path(s, in, H_PATH0);
    struct open_how how = { .flags = pick_oflags(in) };
    uint8_t r = take(in), sz = take(in);

    how.mode = take(in) & 1 ? pick_mode(in) : 0;
    for (unsigned i = 0; i < sizeof resolves / sizeof *resolves; i++)
        if (r & (1u << i))
            how.resolve |= resolves[i];
    uint8_t *p = gptr(s, D_HOW, 64);
    memset(p, 0, 64);
    memcpy(p, &how, sizeof how);
    if (sz & 0x80)
        p[40] = 1;           /* a non-zero byte past the struct: E2BIG */
    static const uint64_t sizes[] = { 24, 32, 48, 23, 4097 };
    CALL_FD(s, SYS_openat2, fd, path, D_HOW, sizes[sz % 5]);
}

static void op_rwv(struct fs_run *s, struct input *in)
{
    static const unsigned nrs[] = {
        SYS_readv, SYS_writev, SYS_preadv, SYS_pwritev, SYS_preadv2,
        SYS_pwritev2,
    };
    uint64_t fd = pick_fd(s, in);
    unsigned nr = nrs[take(in) % 6];
    uint64_t *iov = gptr(s, D_MISC, 4 * sizeof *iov);
    uint64_t len0 = pick_len(in), len1 = pick_len(in);

    iov[0] = pick_buf(s, in, len0);
    iov[1] = len0;
    iov[2] = s->heap + H_BUF + 100;
    iov[3] = len1 > H_BUF_SIZE - 100 ? H_BUF_SIZE - 100 : len1;
    uint64_t cnt = take(in) % 4, off = pick_off(in);
    uint64_t rwf = take(in) & 1 ? 8 /* RWF_APPEND */ : 0;
    CALL(s, nr, fd, D_MISC, cnt == 3 ? 1025 : cnt, off, 0, rwf);
}

static void op_copy(struct fs_run *s, struct input *in)
{
    uint64_t a = pick_fd(s, in), b = pick_fd(s, in);
    uint8_t v = take(in);
    int64_t *off = gptr(s, D_OFF, 16);

    off[0] = (int64_t)pick_off(in);
    off[1] = (int64_t)pick_off(in);
    uint64_t count = pick_len(in);
    if (v & 1)
        CALL(s, SYS_sendfile, a, b, v & 2 ? D_OFF : 0, count);
    else
        CALL(s, SYS_copy_file_range, a, v & 2 ? D_OFF : 0, b,
             v & 4 ? D_OFF + 8 : 0, count, v & 8 ? 1 : 0);
}

static void op_stat(struct fs_run *s, struct input *in)
{
    uint8_t v = take(in);
    uint64_t fd = pick_fd(s, in), path = put_path(s, in, H_PATH0);
    uint64_t flags = pick_at_flags(in);

    switch (v % 5) {
    case 0: CALL(s, SYS_stat, path, D_STAT); break;
    case 1: CALL(s, SYS_lstat, path, D_STAT); break;
    case 2: CALL(s, SYS_newfstatat, fd, path, D_STAT, flags); break;
    case 3: CALL(s, SYS_statx, fd, path, flags, 0xfff, D_STAT); break;
    default: CALL(s, SYS_statfs, path, v & 0x80 ? 8 : D_STAT); break;
    }
}

static void op_syscall(struct fs_run *s, enum op op, struct input *in)
{
    /* Each argument that reads the input is read in a statement of its
     * own: the order of a call's arguments is unspecified. */
    uint64_t fd, fd2, p0, p1, len, flags;
    uint8_t v;

    switch (op) {
    case OP_NORMALIZE:
    case OP_COUNT:
        break;
    case OP_OPEN:
        p0 = put_path(s, in, H_PATH0);
        flags = pick_oflags(in);
        CALL_FD(s, SYS_open, p0, flags, pick_mode(in));
        break;
    case OP_OPENAT:
        fd = pick_fd(s, in);
        p0 = put_path(s, in, H_PATH0);
        flags = pick_oflags(in);
        CALL_FD(s, SYS_openat, fd, p0, flags, pick_mode(in));
        break;
    case OP_OPENAT2:
        op_openat2(s, in);
        break;
    case OP_CREAT:
        p0 = put_path(s, in, H_PATH0);
        CALL_FD(s, SYS_creat, p0, pick_mode(in));
        break;
    case OP_CLOSE:
        CALL(s, SYS_close, pick_fd(s, in));
        break;
    case OP_CLOSE_RANGE:
        fd = pick_fd(s, in);
        fd2 = pick_fd(s, in);
        CALL(s, SYS_close_range, fd, fd2, take(in) & 7);
        break;
    case OP_DUP:
        CALL_FD(s, SYS_dup, pick_fd(s, in));
        break;
    case OP_DUP2:
        fd = pick_fd(s, in);
        fd2 = pick_fd(s, in);
        if ((uint32_t)fd != (uint32_t)fd2) {
            CALL_FD(s, SYS_dup2, fd, fd2);
            break;
        }
        /* An fd onto itself: no new fd, so the limit is not asked. */
        long r = CALL(s, SYS_dup2, fd, fd2);
        CHECK(r == (long)(uint32_t)fd2 || r == -EBADF);
        break;
    case OP_DUP3:
        fd = pick_fd(s, in);
        fd2 = pick_fd(s, in);
        v = take(in);
        CALL_FD(s, SYS_dup3, fd, fd2, v & 1 ? O_CLOEXEC : v & 2 ? 1 : 0);
        break;
    case OP_FCNTL:
        op_fcntl(s, in);
        break;
    case OP_PIPE2: {
        v = take(in);
        flags = (v & 1 ? O_CLOEXEC : 0) | (v & 2 ? O_NONBLOCK : 0) |
                         (v & 4 ? O_DIRECT : 0) | (v & 8 ? O_APPEND : 0);
        if (CALL(s, SYS_pipe2, v & 16 ? FAKE_VM_TEXT : D_PIPE, flags) == 0) {
            const int *fds = gptr(s, D_PIPE, 2 * sizeof(int));
            for (int i = 0; i < 2; i++) {
                CHECK(fds[i] >= 0 && fd_get(&s->fg->proc->fds, fds[i]));
                check_file(s, fd_get(&s->fg->proc->fds, fds[i])->f, true);
                s->recent[s->nrecent++ % 4] = (uint64_t)fds[i];
            }
        }
        break;
    }
    case OP_READ:
    case OP_WRITE:
        fd = pick_fd(s, in);
        len = pick_len(in);
        CALL(s, op == OP_READ ? SYS_read : SYS_write, fd,
             pick_buf(s, in, len), len);
        break;
    case OP_PREAD:
    case OP_PWRITE:
        fd = pick_fd(s, in);
        len = pick_len(in);
        p0 = pick_buf(s, in, len);
        CALL(s, op == OP_PREAD ? SYS_pread64 : SYS_pwrite64, fd, p0, len,
             pick_off(in));
        break;
    case OP_RWV:
        op_rwv(s, in);
        break;
    case OP_LSEEK:
        fd = pick_fd(s, in);
        len = pick_off(in);
        CALL(s, SYS_lseek, fd, len, take(in) % 6);
        break;
    case OP_GETDENTS:
        fd = pick_fd(s, in);
        len = pick_len(in);
        CALL(s, SYS_getdents64, fd, pick_buf(s, in, len), len);
        break;
    case OP_MKDIR:
        v = take(in);
        fd = pick_fd(s, in);
        p0 = put_path(s, in, H_PATH0);
        if (v & 1)
            CALL(s, SYS_mkdirat, fd, p0, pick_mode(in));
        else
            CALL(s, SYS_mkdir, p0, pick_mode(in));
        break;
    case OP_UNLINK:
        v = take(in);
        fd = pick_fd(s, in);
        p0 = put_path(s, in, H_PATH0);
        switch (v % 3) {
        case 0: CALL(s, SYS_unlink, p0); break;
        case 1: CALL(s, SYS_rmdir, p0); break;
        default: CALL(s, SYS_unlinkat, fd, p0, pick_at_flags(in)); break;
        }
        break;
    case OP_RENAME:
        v = take(in);
        fd = pick_fd(s, in);
        fd2 = pick_fd(s, in);
        p0 = put_path(s, in, H_PATH0);
        p1 = put_path(s, in, H_PATH1);
        if (v & 1)
            CALL(s, SYS_renameat2, fd, p0, fd2, p1, (v >> 1) & 7);
        else
            CALL(s, SYS_rename, p0, p1);
        break;
    case OP_SYMLINK:
        v = take(in);
        fd = pick_fd(s, in);
        p0 = put_path(s, in, H_PATH0);
        p1 = put_path(s, in, H_PATH1);       /* the target */
        if (v & 1)
            CALL(s, SYS_symlinkat, p1, fd, p0);
        else
            CALL(s, SYS_symlink, p1, p0);
        break;
    case OP_READLINK:
        v = take(in);
        fd = pick_fd(s, in);
        p0 = put_path(s, in, H_PATH0);
        len = pick_len(in);
        if (v & 1)
            CALL(s, SYS_readlinkat, fd, p0, pick_buf(s, in, len), len);
        else
            CALL(s, SYS_readlink, p0, pick_buf(s, in, len), len);
        break;
    case OP_LINK:
        v = take(in);
        fd = pick_fd(s, in);
        fd2 = pick_fd(s, in);
        p0 = put_path(s, in, H_PATH0);
        p1 = put_path(s, in, H_PATH1);
        if (v & 1)
            CALL(s, SYS_linkat, fd, p0, fd2, p1, pick_at_flags(in));
        else
            CALL(s, SYS_link, p0, p1);
        break;
    case OP_STAT:
        op_stat(s, in);
        break;
    case OP_ACCESS:
        v = take(in);
        fd = pick_fd(s, in);
        p0 = put_path(s, in, H_PATH0);
        len = take(in) % 9;
        if (v & 1)
            CALL(s, SYS_faccessat2, fd, p0, len, pick_at_flags(in));
        else
            CALL(s, SYS_access, p0, len);
        break;
    case OP_CWD:
        v = take(in);
        if (v % 3 == 0) {
            CALL(s, SYS_chdir, put_path(s, in, H_PATH0));
        } else if (v % 3 == 1) {
            CALL(s, SYS_fchdir, pick_fd(s, in));
        } else {
            len = pick_len(in);
            CALL(s, SYS_getcwd, pick_buf(s, in, len), len);
        }
        break;
    case OP_TRUNCATE:
        v = take(in);
        if (v & 1) {
            fd = pick_fd(s, in);
            CALL(s, SYS_ftruncate, fd, pick_len(in));
        } else {
            p0 = put_path(s, in, H_PATH0);
            CALL(s, SYS_truncate, p0, v & 2 ? (uint64_t)-1 : pick_len(in));
        }
        break;
    case OP_CHMOD:
        v = take(in);
        fd = pick_fd(s, in);
        if (v % 3 == 0) {
            CALL(s, SYS_fchmod, fd, pick_mode(in));
            break;
        }
        p0 = put_path(s, in, H_PATH0);
        flags = pick_mode(in);
        if (v % 3 == 1)
            CALL(s, SYS_chmod, p0, flags);
        else
            CALL(s, LX_SYS_FCHMODAT2, fd, p0, flags, pick_at_flags(in));
        break;
    case OP_UTIMENS: {
        v = take(in);
        fd = pick_fd(s, in);
        p0 = v & 1 ? 0 : put_path(s, in, H_PATH0);
        int64_t *ts = gptr(s, D_MISC, 4 * sizeof *ts);
        static const int64_t nsecs[] = { 0, 1, UTIME_NOW, UTIME_OMIT,
                                         1000000000 };
        ts[0] = take(in);
        ts[1] = nsecs[take(in) % 5];
        ts[2] = take(in);
        ts[3] = nsecs[take(in) % 5];
        CALL(s, SYS_utimensat, fd, p0, v & 2 ? 0 : D_MISC, pick_at_flags(in));
        break;
    }
    case OP_FSTAT:
        v = take(in);
        fd = pick_fd(s, in);
        CALL(s, v & 1 ? SYS_fstatfs : SYS_fstat, fd, v & 2 ? 8 : D_STAT);
        break;
    case OP_UMASK:
        CALL(s, SYS_umask, take16(in));
        break;
    case OP_NOFILE: {
        static const uint64_t soft[] = { 0, 3, 4, 6, 9, 24, 64, 1024, 4096,
                                         5000 };
        uint64_t *lim = gptr(s, D_MISC, 2 * sizeof *lim);
        v = take(in);
        lim[0] = soft[v % 10];
        lim[1] = v & 0x80 ? lim[0] : SYS_NOFILE_HARD;
        CALL(s, SYS_prlimit64, 0, RLIMIT_NOFILE, D_MISC, D_MISC + 16);
        break;
    }
    case OP_IOCTL: {
        static const unsigned reqs[] = { FIONREAD, FIOCLEX, FIONCLEX, FIONBIO,
                                         TCGETS, TIOCGWINSZ, 0x5401 + 99 };
        fd = pick_fd(s, in);
        v = take(in);
        int *arg = gptr(s, D_MISC, sizeof *arg);
        *arg = v & 0x80;
        CALL(s, SYS_ioctl, fd, reqs[v % 7], v & 0x40 ? 8 : D_MISC);
        break;
    }
    case OP_COPY:
        op_copy(s, in);
        break;
    case OP_FLOCK: {
        static const uint64_t ops[] = { LOCK_SH, LOCK_EX, LOCK_UN, 0, 7 };
        fd = pick_fd(s, in);
        /* Blocking, a second description of a locked file waits forever:
         * the host call knows no stop. */
        CALL(s, SYS_flock, fd, ops[take(in) % 5] | LOCK_NB);
        break;
    }
    case OP_CHOWN: {
        static const uint64_t ids[] = { (uint64_t)-1, 0, 1, 65534 };
        v = take(in);
        fd = pick_fd(s, in);
        uint64_t uid = ids[(v >> 2) & 3], gid = ids[(v >> 4) & 3];
        if (v & 1) {
            CALL(s, SYS_fchown, fd, uid, gid);
        } else {
            p0 = put_path(s, in, H_PATH0);
            CALL(s, SYS_fchownat, fd, p0, uid, gid, pick_at_flags(in));
        }
        break;
    }
    case OP_FALLOCATE: {
        static const uint64_t modes[] = {
            0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
            FALLOC_FL_ZERO_RANGE, 0x100,
        };
        fd = pick_fd(s, in);
        v = take(in);
        len = pick_len(in);
        CALL(s, SYS_fallocate, fd, modes[v % 5], len, pick_len(in));
        break;
    }
    case OP_POLL: {
        struct pollfd *p = gptr(s, D_POLL, 3 * sizeof *p);
        for (int i = 0; i < 3; i++) {
            p[i].fd = (int)pick_fd(s, in);
            p[i].events = (short)take16(in);
            p[i].revents = 0;
        }
        CALL(s, SYS_poll, D_POLL, take(in) % 4, 0);
        break;
    }
    }
}

/* ---- One input ----------------------------------------------------------- */

static void one_line_warning(void *ctx, const char *msg)
{
    (void)ctx;
    CHECK(*msg && !strchr(msg, '\n'));
}

/* The fake guest with a new process.  Its RAM and page tables are built
 * once: rebuilding them took half of each input, and no call here maps
 * memory, so every input sees the same pages (the heap's first brk makes
 * them present again); only the data page and the heap are cleared. */
static struct fake_guest *fresh_guest(void)
{
    static struct fake_guest *fg;
    static struct linux_config cfg;

    if (!fg) {
        fg = fake_guest_new(host.null_fd);
        CHECK(fake_guest_image(&fg->gm, &fg->tables, &cfg, &fg->err) == 0);
    }
    linux_process_free(fg->proc);
    fg->proc = linux_process_new(&cfg);
    CHECK(fg->proc != NULL);
    memset(gptr_of(fg, DATA, FAKE_VM_PAGE), 0, FAKE_VM_PAGE);
    memset(gptr_of(fg, cfg.heap_start, H_SIZE), 0, H_SIZE);
    console_init(&fg->console, host.null_fd, 0, one_line_warning, NULL);
    fg->console.input_eof = true;    /* stdin is the fuzzer's */
    fg->console.capped = true;       /* guest output goes nowhere */
    return fg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fs_run s;
    struct input in = { data, size };
    unsigned fds_before = count_host_fds();

    lay_out_trees();
    memset(&s, 0, sizeof s);
    s.fg = fresh_guest();
    const struct linux_grant grants[] = {
        { .host = host.rw, .guest = "/work", .rw = true },
        { .host = host.ro, .guest = "/work/ro", .rw = false },
        { .host = host.rw2, .guest = "/srv/x", .rw = true },
    };
    const struct linux_files files = {
        .grants = grants, .ngrants = 3, .tmp_size = 1 << 20,
        .exe = "/proc/self/exe",
    };
    struct kerr err;
    CHECK(linux_files_open(s.fg->proc, &files, &err) == 0);
    long brk = CALL(&s, SYS_brk, 0);
    s.heap = (uint64_t)brk;
    CHECK(CALL(&s, SYS_brk, s.heap + H_SIZE) == (long)(s.heap + H_SIZE));

    for (unsigned n = 0; n < FS_MAX_OPS && in.n && !s.ended; n++) {
        enum op op = (enum op)(take(&in) % OP_COUNT);
        if (op == OP_NORMALIZE)
            op_normalize(&s.fg->proc->tree, &in);
        else
            op_syscall(&s, op, &in);
    }
    check_table(&s, true);

    linux_process_free(s.fg->proc);
    s.fg->proc = NULL;
    CHECK(count_host_fds() == fds_before);
    for (size_t i = 0; i < NWATCHED; i++) {
        struct stat st;
        watched_stat(i, &st);
        CHECK(same_stat(&st, &watched_st[i]));
    }
    return 0;
}
