/*
 * The Linux personality's files without KVM: each call goes to
 * linux_syscall() as vcpu/ would make it (tests/support/fake_guest), over a
 * real host directory granted the way --dir grants it, and the test looks
 * at the result where the guest would and at the host tree.  The e2e
 * tests run real programs over the same calls and compare with native
 * runs; these pin the rules one call at a time.
 */
#include "tests/support/fake_guest.h"
#include "linux/internal.h"
#include "tests/support/no_openat2.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define DATA       ((uint64_t)FAKE_VM_USER_DATA)
#define BUF        (DATA + 2048)        /* the second half of the page */

/* The fake guest, and a host directory granted as /work. */
struct files_fixture {
    struct fake_guest *f;
    char host[64];
};

static void run_rm(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int setup_grant(void **state, bool rw)
{
    struct files_fixture *x = calloc(1, sizeof *x);
    const char *tmp = getenv("TMPDIR");

    assert_non_null(x);
    snprintf(x->host, sizeof x->host, "%s/kvmelf-files-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(x->host));
    x->f = fake_guest_new(-1);
    const struct linux_grant g = { .host = x->host, .guest = "/work",
                                   .rw = rw };
    const struct linux_files files = { .grants = &g, .ngrants = 1 };
    struct kerr err;
    if (linux_files_open(x->f->proc, &files, &err) < 0)
        fail_msg("linux_files_open: %s", err.msg);
    *state = x;
    return 0;
}

static int setup_rw(void **state) { return setup_grant(state, true); }
static int setup_ro(void **state) { return setup_grant(state, false); }

static int teardown_grant(void **state)
{
    struct files_fixture *x = *state;
    run_rm(x->host);
    free(x);
    return 0;
}

#define rw_test(t) cmocka_unit_test_setup_teardown(t, setup_rw, teardown_grant)
#define ro_test(t) cmocka_unit_test_setup_teardown(t, setup_ro, teardown_grant)

static long call6(struct fake_guest *f, uint32_t nr, uint64_t a0, uint64_t a1,
                  uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
    struct linux_call c;
    enum linux_result r = fake_guest_call(f, nr, args, &c);

    if (r != LINUX_RESUME)
        fail_msg("call %u: result %d (%s)", nr, r, f->err.msg);
    return c.ret;
}

#define call(f, nr, ...) call_(f, nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
/* Every argument as the register holds it: fds and flags sign-extended. */
#define call_(f, nr, a, b, c, d, e, g, ...) \
    call6(f, nr, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d), \
          (uint64_t)(e), (uint64_t)(g))

static void *guest(struct fake_guest *f, uint64_t addr, size_t len)
{
    void *p = guest_mem_ptr(&f->gm, addr, len);
    assert_non_null(p);
    return p;
}

/* The string s in guest memory at DATA + slot * 256. */
static uint64_t str(struct fake_guest *f, unsigned slot, const char *s)
{
    uint64_t at = DATA + slot * 256u;
    assert_true(strlen(s) < 256);
    strcpy(guest(f, at, strlen(s) + 1), s);
    return at;
}

static void host_path(const struct files_fixture *x, const char *rel,
                      char *out, size_t size)
{
    snprintf(out, size, "%s/%s", x->host, rel);
}

static void test_create_write_read(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    char path[128];
    struct stat st;

    long fd = call(f, SYS_open, str(f, 0, "/work/a.txt"),
                   O_CREAT | O_RDWR | O_EXCL, 0666);
    assert_int_equal(fd, 3);             /* the lowest free fd */
    memcpy(guest(f, BUF, 5), "hello", 5);
    assert_int_equal(call(f, SYS_write, fd, BUF, 5), 5);
    assert_int_equal(call(f, SYS_lseek, fd, 1, SEEK_SET), 1);
    assert_int_equal(call(f, SYS_read, fd, BUF + 100, 10), 4);
    assert_memory_equal(guest(f, BUF + 100, 4), "ello", 4);
    assert_int_equal(call(f, SYS_close, fd), 0);
    assert_int_equal(call(f, SYS_close, fd), -EBADF);
    host_path(x, "a.txt", path, sizeof path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 5);
    assert_int_equal(st.st_mode & 0777, 0644);   /* umask 022 */
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/a.txt"),
                          O_CREAT | O_EXCL | O_WRONLY, 0600), -EEXIST);
    /* Relative to the working directory, the grant (--cwd's default). */
    assert_int_equal(call(f, SYS_open, str(f, 0, "a.txt"), O_RDONLY), 3);
    assert_int_equal(call(f, SYS_rename, str(f, 0, "a.txt"),
                          str(f, 1, "/work/b.txt")), 0);
    assert_int_equal(call(f, SYS_unlink, str(f, 0, "b.txt")), 0);
    host_path(x, "b.txt", path, sizeof path);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_readonly_grant(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    char path[128];

    host_path(x, "ro.txt", path, sizeof path);
    FILE *h = fopen(path, "w");
    assert_non_null(h);
    fputs("data", h);
    fclose(h);
    uint64_t p = str(f, 0, "/work/ro.txt"), missing = str(f, 1, "/work/x");
    assert_int_equal(call(f, SYS_open, p, O_WRONLY), -EROFS);
    assert_int_equal(call(f, SYS_open, p, O_RDONLY | O_TRUNC), -EROFS);
    assert_int_equal(call(f, SYS_open, missing, O_CREAT | O_WRONLY, 0644),
                     -EROFS);
    assert_int_equal(call(f, SYS_open, missing, O_WRONLY), -ENOENT);
    assert_int_equal(call(f, SYS_mkdir, missing, 0755), -EROFS);
    assert_int_equal(call(f, SYS_mkdir, str(f, 2, "/work"), 0755), -EEXIST);
    assert_int_equal(call(f, SYS_unlink, p), -EROFS);
    /* Linux asks for write access to the mount before it looks the name
     * up: EROFS, even for a name that is not there. */
    assert_int_equal(call(f, SYS_unlink, missing), -EROFS);
    assert_int_equal(call(f, SYS_rename, p, missing), -EROFS);
    /* link looks up the old name first: a missing one is ENOENT. */
    assert_int_equal(call(f, SYS_link, missing, str(f, 2, "/work/y")),
                     -ENOENT);
    assert_int_equal(call(f, SYS_link, p, missing), -EROFS);
    assert_int_equal(call(f, SYS_link, p, p), -EEXIST);
    assert_int_equal(call(f, SYS_chmod, p, 0600), -EROFS);
    assert_int_equal(call(f, SYS_truncate, p, 0), -EROFS);
    assert_int_equal(call(f, SYS_access, p, W_OK), -EROFS);
    long fd = call(f, SYS_open, p, O_RDONLY | O_CREAT, 0644);
    assert_true(fd >= 0);                /* it exists: O_CREAT creates nothing */
    assert_int_equal(call(f, SYS_read, fd, BUF, 10), 4);
    assert_int_equal(call(f, SYS_write, fd, BUF, 1), -EBADF);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 4);
}

/* Nothing outside the grant is reachable: ".." stops at the guest's "/",
 * and a symlink that leads out is refused on the host. */
static void test_escapes_refused(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    char path[128];

    host_path(x, "abs", path, sizeof path);
    assert_int_equal(symlink("/etc", path), 0);
    host_path(x, "rel", path, sizeof path);
    assert_int_equal(symlink("../../../../../../etc", path), 0);
    host_path(x, "loop", path, sizeof path);
    assert_int_equal(symlink("loop", path), 0);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/../../etc/passwd"),
                          O_RDONLY), -ENOENT);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/abs/passwd"),
                          O_RDONLY), -EACCES);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/rel/passwd"),
                          O_RDONLY), -EACCES);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/loop"), O_RDONLY),
                     -ELOOP);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/proc/self/root/etc/passwd"),
                          O_RDONLY), -ENOENT);
    assert_int_equal(call(f, SYS_link, str(f, 0, "/etc/passwd"),
                          str(f, 1, "/work/pw")), -ENOENT);
    /* Through the symlink, a new entry would land outside: refused. */
    assert_int_equal(call(f, SYS_mkdir, str(f, 0, "/work/abs/kvmelf-x"), 0755),
                     -EACCES);
    assert_int_equal(access("/etc/kvmelf-x", F_OK), -1);
    /* The fds kvmelf holds for itself are not the guest's. */
    for (uint64_t fd = 3; fd < 64; fd++)
        assert_int_equal(call(f, SYS_fstat, fd, BUF), -EBADF);
}

/* d/, file, link -> d and dangling -> nowhere, made on the host. */
static void make_slash_tree(const struct files_fixture *x)
{
    char path[128];

    host_path(x, "d", path, sizeof path);
    assert_int_equal(mkdir(path, 0755), 0);
    host_path(x, "file", path, sizeof path);
    assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0644)), 0);
    host_path(x, "link", path, sizeof path);
    assert_int_equal(symlink("d", path), 0);
    host_path(x, "dangling", path, sizeof path);
    assert_int_equal(symlink("nowhere", path), 0);
}

/* A path that ends in "/" names a directory, through a last symlink
 * whatever NOFOLLOW says (Linux's lookup follows it): busybox's
 * `ls -l link/` lstat()s "link/" and lists the directory.  The calls on
 * the entry itself (unlink) do not follow it, and creating "x/" where x
 * exists is EEXIST, whatever x is. */
static void test_trailing_slash(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    char path[128];
    struct stat *st = guest(f, BUF, sizeof *st);

    make_slash_tree(x);
    uint64_t link = str(f, 0, "link/"), dangling = str(f, 1, "dangling/");
    uint64_t file = str(f, 2, "file/");

    assert_int_equal(call(f, SYS_lstat, link, BUF), 0);
    assert_true(S_ISDIR(st->st_mode));
    assert_int_equal(call(f, SYS_lstat, str(f, 3, "link/."), BUF), 0);
    assert_true(S_ISDIR(st->st_mode));
    assert_int_equal(call(f, SYS_newfstatat, AT_FDCWD, link, BUF,
                          AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(call(f, SYS_lstat, dangling, BUF), -ENOENT);
    assert_int_equal(call(f, SYS_lstat, file, BUF), -ENOTDIR);
    assert_int_equal(call(f, SYS_readlink, link, BUF, 64), -EINVAL);
    assert_int_equal(call(f, SYS_readlink, dangling, BUF, 64), -ENOENT);
    assert_int_equal(call(f, SYS_faccessat2, AT_FDCWD, link, R_OK,
                          AT_SYMLINK_NOFOLLOW), 0);
    long fd = call(f, SYS_open, link, O_RDONLY | O_NOFOLLOW);
    assert_true(fd >= 0);
    assert_int_equal(call(f, SYS_fstat, fd, BUF), 0);
    assert_true(S_ISDIR(st->st_mode));
    assert_int_equal(call(f, SYS_close, fd), 0);
    assert_int_equal(call(f, SYS_open, str(f, 3, "link"),
                          O_RDONLY | O_NOFOLLOW | O_DIRECTORY), -ENOTDIR);
    assert_int_equal(call(f, SYS_lchown, link, getuid(), getgid()), 0);
    assert_int_equal(call(f, SYS_utimensat, AT_FDCWD, link, 0,
                          AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(call(f, SYS_truncate, file, 0), -ENOTDIR);
    /* The entry itself: a symlink, to a directory or to nothing. */
    assert_int_equal(call(f, SYS_unlink, link), -ENOTDIR);
    assert_int_equal(call(f, SYS_unlink, dangling), -ENOTDIR);
    assert_int_equal(call(f, SYS_unlink, str(f, 3, "d/")), -EISDIR);
    assert_int_equal(call(f, SYS_unlink, str(f, 3, "none/")), -ENOENT);
    assert_int_equal(call(f, SYS_rmdir, link), -ENOTDIR);
    assert_int_equal(call(f, SYS_mkdir, file, 0755), -EEXIST);
    assert_int_equal(call(f, SYS_mkdir, dangling, 0755), -EEXIST);
    host_path(x, "link", path, sizeof path);
    assert_int_equal(access(path, F_OK), 0);     /* nothing was removed */
}

/* The same in a read-only grant: looking up works as in a writable one,
 * unlink asks for write access first (EROFS), and a name that exists is
 * EEXIST to mkdir before EROFS is. */
static void test_trailing_slash_readonly(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    struct stat *st = guest(f, BUF, sizeof *st);

    make_slash_tree(x);
    uint64_t link = str(f, 0, "link/"), dangling = str(f, 1, "dangling/");

    assert_int_equal(call(f, SYS_lstat, link, BUF), 0);
    assert_true(S_ISDIR(st->st_mode));
    assert_int_equal(call(f, SYS_readlink, link, BUF, 64), -EINVAL);
    assert_int_equal(call(f, SYS_unlink, link), -EROFS);
    assert_int_equal(call(f, SYS_unlink, str(f, 2, "d/")), -EROFS);
    assert_int_equal(call(f, SYS_mkdir, str(f, 2, "file/"), 0755), -EEXIST);
    assert_int_equal(call(f, SYS_mkdir, dangling, 0755), -EEXIST);
    assert_int_equal(call(f, SYS_mkdir, link, 0755), -EEXIST);
    assert_int_equal(call(f, SYS_mkdir, str(f, 2, "new/"), 0755), -EROFS);
}

/* chdir through a symbolic link: the working directory is the directory
 * itself, as Linux keeps it, so getcwd names it and ".." is its parent;
 * the same for fchdir of an fd opened through the link. */
static void test_chdir_through_a_link(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    char path[128];

    host_path(x, "a", path, sizeof path);
    assert_int_equal(mkdir(path, 0755), 0);
    host_path(x, "a/b", path, sizeof path);
    assert_int_equal(mkdir(path, 0755), 0);
    host_path(x, "l", path, sizeof path);
    assert_int_equal(symlink("a/./b", path), 0);
    host_path(x, "a/up", path, sizeof path);
    assert_int_equal(symlink("../l", path), 0);
    assert_int_equal(call(f, SYS_chdir, str(f, 0, "/work/l")), 0);
    assert_int_equal(call(f, SYS_getcwd, BUF, 64), 10);
    assert_string_equal(guest(f, BUF, 10), "/work/a/b");
    assert_int_equal(call(f, SYS_chdir, str(f, 0, "..")), 0);
    assert_int_equal(call(f, SYS_getcwd, BUF, 64), 8);
    assert_string_equal(guest(f, BUF, 8), "/work/a");
    /* A link to a link, with ".." in its target. */
    long fd = call(f, SYS_open, str(f, 0, "/work/a/up"),
                   O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    assert_int_equal(call(f, SYS_chdir, str(f, 0, "/")), 0);
    assert_int_equal(call(f, SYS_fchdir, fd), 0);
    assert_int_equal(call(f, SYS_getcwd, BUF, 64), 10);
    assert_string_equal(guest(f, BUF, 10), "/work/a/b");
}

static void test_close_and_dup2_onto_stdio(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    char path[128], got[8] = { 0 };

    assert_int_equal(call(f, SYS_close, 0), 0);
    assert_int_equal(call(f, SYS_read, 0, BUF, 1), -EBADF);
    long fd = call(f, SYS_open, str(f, 0, "/work/out"), O_CREAT | O_WRONLY,
                   0644);
    assert_int_equal(fd, 0);             /* the freed slot */
    assert_int_equal(call(f, SYS_dup2, fd, 1), 1);
    memcpy(guest(f, BUF, 3), "abc", 3);
    assert_int_equal(call(f, SYS_write, 1, BUF, 3), 3);
    host_path(x, "out", path, sizeof path);
    FILE *h = fopen(path, "r");
    assert_non_null(h);
    assert_int_equal(fread(got, 1, sizeof got, h), 3);
    fclose(h);
    assert_string_equal(got, "abc");
    /* fd 0 and 1 share one description: one offset. */
    assert_int_equal(call(f, SYS_lseek, 0, 0, SEEK_CUR), 3);
}

static void test_fd_flags_and_limit(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    uint64_t *lim = guest(f, BUF, 16);

    long fd = call(f, SYS_open, str(f, 0, "/work"),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(call(f, SYS_fcntl, fd, F_GETFD), FD_CLOEXEC);
    long d = call(f, SYS_dup, fd);
    assert_int_equal(call(f, SYS_fcntl, d, F_GETFD), 0);
    assert_int_equal(call(f, SYS_dup3, fd, 20, O_CLOEXEC), 20);
    assert_int_equal(call(f, SYS_fcntl, 20, F_GETFD), FD_CLOEXEC);
    assert_int_equal(call(f, SYS_dup3, fd, fd, 0), -EINVAL);
    assert_int_equal(call(f, SYS_prlimit64, 0, RLIMIT_NOFILE, 0, BUF), 0);
    assert_int_equal(lim[0], 1024);
    assert_int_equal(lim[1], 4096);
    lim[0] = 6;
    assert_int_equal(call(f, SYS_prlimit64, 0, RLIMIT_NOFILE, BUF, 0), 0);
    /* 0-2, fd, d and 20 are open: 5 is the last below the limit. */
    assert_int_equal(call(f, SYS_dup, fd), 5);
    assert_int_equal(call(f, SYS_dup, fd), -EMFILE);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work"), O_RDONLY), -EMFILE);
    assert_int_equal(call(f, SYS_dup2, fd, 6), -EBADF);
    assert_int_equal(call(f, SYS_fcntl, fd, F_DUPFD, 6), -EINVAL);
    lim[0] = 8192;
    assert_int_equal(call(f, SYS_prlimit64, 0, RLIMIT_NOFILE, BUF, 0),
                     -EINVAL);           /* soft above hard */
    lim[1] = 8192;
    assert_int_equal(call(f, SYS_prlimit64, 0, RLIMIT_NOFILE, BUF, 0), -EPERM);
    assert_int_equal(call(f, SYS_close_range, 3, 100, 0), 0);
    assert_int_equal(call(f, SYS_fcntl, 20, F_GETFD), -EBADF);
}

static void test_pipe_poll(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    int *fds = guest(f, BUF, 8);
    struct pollfd *pfd = guest(f, BUF + 64, 2 * sizeof *pfd);

    assert_int_equal(call(f, SYS_pipe2, BUF, O_NONBLOCK | O_CLOEXEC), 0);
    assert_int_equal(fds[0], 3);
    assert_int_equal(fds[1], 4);
    int r = fds[0], w = fds[1];
    assert_int_equal(call(f, SYS_read, r, BUF + 256, 4), -EAGAIN);
    pfd[0] = (struct pollfd){ .fd = r, .events = POLLIN };
    pfd[1] = (struct pollfd){ .fd = 99, .events = POLLIN };
    assert_int_equal(call(f, SYS_poll, BUF + 64, 2, 0), 1);
    assert_int_equal(pfd[0].revents, 0);
    assert_int_equal(pfd[1].revents, POLLNVAL);
    memcpy(guest(f, BUF + 256, 2), "hi", 2);
    assert_int_equal(call(f, SYS_write, w, BUF + 256, 2), 2);
    assert_int_equal(call(f, SYS_poll, BUF + 64, 1, -1), 1);
    assert_int_equal(pfd[0].revents, POLLIN);
    int *n = guest(f, BUF + 512, sizeof *n);
    assert_int_equal(call(f, SYS_ioctl, r, FIONREAD, BUF + 512), 0);
    assert_int_equal(*n, 2);
    assert_int_equal(call(f, SYS_read, r, BUF + 300, 8), 2);
    assert_int_equal(call(f, SYS_lseek, r, 0, SEEK_SET), -ESPIPE);
    assert_int_equal(call(f, SYS_pipe2, BUF, 0x1234), -EINVAL);
}

/* The guest's stdin is the console's: what kvmelf buffered is POLLIN,
 * the rest is what the host says of its stdin, here a pipe whose writer
 * left: POLLHUP at the end, as Linux says of the pipe itself. */
static void test_poll_stdin_at_end(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    struct pollfd *pfd = guest(f, BUF, sizeof *pfd);
    int p[2], saved = dup(STDIN_FILENO);

    assert_true(saved >= 0);
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    close(p[1]);
    assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    close(p[0]);
    f->console.input_eof = false;    /* the fake guest's stdin is ours now */
    *pfd = (struct pollfd){ .fd = 0, .events = POLLIN };
    long ready = call(f, SYS_poll, BUF, 1, -1);
    short with_byte = pfd->revents;
    long got = call(f, SYS_read, 0, BUF + 64, 8);
    long at_end = call(f, SYS_poll, BUF, 1, -1);
    short end = pfd->revents;
    long eof = call(f, SYS_read, 0, BUF + 64, 8);
    dup2(saved, STDIN_FILENO);
    close(saved);
    assert_int_equal(ready, 1);
    assert_int_equal(with_byte, POLLIN | POLLHUP);
    assert_int_equal(got, 1);
    assert_int_equal(at_end, 1);
    assert_int_equal(end, POLLHUP);
    assert_int_equal(eof, 0);
}

static void test_devices_and_kvmelf_dirs(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    struct stat *st = guest(f, BUF, sizeof *st);

    long null = call(f, SYS_open, str(f, 0, "/dev/null"), O_RDWR);
    assert_int_equal(call(f, SYS_read, null, BUF + 512, 8), 0);
    assert_int_equal(call(f, SYS_write, null, BUF + 512, 8), 8);
    long full = call(f, SYS_open, str(f, 0, "/dev/full"), O_WRONLY);
    assert_int_equal(call(f, SYS_write, full, BUF + 512, 1), -ENOSPC);
    long zero = call(f, SYS_open, str(f, 0, "/dev/zero"), O_RDONLY);
    memset(guest(f, BUF + 512, 4), 7, 4);
    assert_int_equal(call(f, SYS_read, zero, BUF + 512, 4), 4);
    assert_memory_equal(guest(f, BUF + 512, 4), "\0\0\0\0", 4);
    assert_int_equal(call(f, SYS_write, zero, BUF + 512, 1), -EBADF);
    assert_int_equal(call(f, SYS_stat, str(f, 0, "/dev/null"), BUF), 0);
    assert_true(S_ISCHR(st->st_mode));
    assert_int_equal(st->st_rdev, makedev(1, 3));
    assert_int_equal(call(f, SYS_open, str(f, 0, "/dev/sda"), O_RDONLY),
                     -ENOENT);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/etc/passwd"), O_RDONLY),
                     -ENOENT);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/newfile"),
                          O_CREAT | O_WRONLY, 0644), -EROFS);
    assert_int_equal(call(f, SYS_mkdir, str(f, 0, "/dev"), 0755), -EEXIST);
    /* /dev/fd/N is the guest's fd N. */
    long again = call(f, SYS_open, str(f, 0, "/dev/fd/0"), O_RDONLY);
    assert_true(again > 0);
    assert_int_equal(call(f, SYS_readlink, str(f, 0, "/dev/stdin"), BUF, 64),
                     15);                /* no NUL, as readlink(2) */
    assert_memory_equal(guest(f, BUF, 15), "/proc/self/fd/0", 15);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/dev/fd/77"), O_RDONLY),
                     -ENOENT);
}

/* "/" lists kvmelf's directories and the grant, each once. */
static void test_root_listing(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    char names[256] = "";

    long fd = call(f, SYS_open, str(f, 0, "/"), O_RDONLY | O_DIRECTORY);
    long n = call(f, SYS_getdents64, fd, BUF, 1024);
    if (n <= 0)
        fail_msg("getdents64 of / (fd %ld): %ld", fd, n);
    const uint8_t *p = guest(f, BUF, (size_t)n);
    for (long off = 0; off < n; ) {
        uint16_t reclen;
        memcpy(&reclen, p + off + 16, 2);
        strcat(names, (const char *)p + off + 19);
        strcat(names, " ");
        off += reclen;
    }
    assert_string_equal(names, ". .. dev proc work ");
    assert_int_equal(call(f, SYS_getdents64, fd, BUF, 1024), 0);
    assert_int_equal(call(f, SYS_lseek, fd, 0, SEEK_SET), 0);
    assert_int_equal(call(f, SYS_getdents64, fd, BUF, 1024), n);
    assert_int_equal(call(f, SYS_getdents64, fd, BUF, 8), 0);    /* the end */
    assert_int_equal(call(f, SYS_lseek, fd, 0, SEEK_SET), 0);
    assert_int_equal(call(f, SYS_getdents64, fd, BUF, 8), -EINVAL);
    assert_int_equal(call(f, SYS_chdir, str(f, 0, "/dev")), 0);
    assert_int_equal(call(f, SYS_getcwd, BUF, 64), 5);
    assert_string_equal(guest(f, BUF, 5), "/dev");
    assert_int_equal(call(f, SYS_getcwd, BUF, 4), -ERANGE);
    assert_int_equal(call(f, SYS_chdir, str(f, 0, "null")), -ENOTDIR);
}

#define NOBODY 65534
#define CHILD_SKIP 77

/* The guest's open of path with flags, in a forked child (no cmocka). */
static long child_open(struct fake_guest *f, const char *path, int flags)
{
    const uint64_t args[6] = { str(f, 0, path), (uint64_t)flags, 0644 };
    struct linux_call c;

    return fake_guest_call(f, SYS_open, args, &c) == LINUX_RESUME ? c.ret
                                                                 : -9999;
}

/* As a user without CAP_SYS_ADMIN: a :rw grant of dir and a private
 * /tmp, which takes a user namespace of kvmelf's own.  0 when the guest
 * may not write the user's 0444 file there but may use /tmp; CHILD_SKIP
 * when this host cannot do it. */
static int userns_child(const char *dir)
{
    if (getuid() == 0 &&
        (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
         setresuid(NOBODY, NOBODY, NOBODY) < 0 ||
         /* setresuid made it undumpable, which leaves /proc/self/uid_map
          * root's: a user who starts kvmelf is dumpable */
         prctl(PR_SET_DUMPABLE, 1) < 0))
        return CHILD_SKIP;
    if (access(dir, W_OK | X_OK) < 0)
        return CHILD_SKIP;              /* $TMPDIR is not nobody's */
    struct fake_guest *f = fake_guest_new(-1);
    const struct linux_grant g = { .host = dir, .guest = "/work", .rw = true };
    const struct linux_files files = { .grants = &g, .ngrants = 1,
                                       .tmp_size = 1 << 20 };
    struct kerr err;
    if (linux_files_open(f->proc, &files, &err) < 0)
        return 2;
    if (linux_files_note(f->proc))
        return CHILD_SKIP;              /* no user namespace for /tmp */
    if (child_open(f, "/work/ro.txt", O_WRONLY) != -EACCES)
        return 3;
    if (child_open(f, "/work/ro.txt", O_RDONLY) < 0)
        return 4;
    return child_open(f, "/tmp/t", O_CREAT | O_WRONLY) < 0 ? 5 : 0;
}

/* The host checks as the user who runs kvmelf, also when the private
 * /tmp needed a user namespace: the capabilities that namespace gives
 * over the user's own files (CAP_DAC_OVERRIDE) are not the guest's. */
static void test_tmp_userns_keeps_the_users_rights(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char dir[64], file[96];
    int status = -1;

    (void)state;
    snprintf(dir, sizeof dir, "%s/kvmelf-userns-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/ro.txt", dir);
    FILE *h = fopen(file, "w");
    assert_non_null(h);
    fclose(h);
    assert_int_equal(chmod(file, 0444), 0);
    if (getuid() == 0)
        assert_int_equal(chown(dir, NOBODY, NOBODY) | chown(file, NOBODY,
                                                            NOBODY), 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(userns_child(dir));
    bool waited = pid > 0 && waitpid(pid, &status, 0) == pid;
    run_rm(dir);
    assert_true(waited);
    if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_SKIP)
        skip();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the child (uid %d, in its own user namespace) ended with "
                 "status 0x%x: 3 means it could write a 0444 file", NOBODY,
                 status);
}

/* Regression (fuzz/regressions/fs/pwritev-dev-null-at-max-offset): a
 * position whose end passes the largest loff_t is EINVAL before the file
 * is asked, as Linux's rw_verify_area() has it, /dev/null, /dev/zero and
 * directories included; kvmelf's own files ignored the position, and
 * pwritev added what /dev/null took to INT64_MAX (signed overflow). */
static void test_offset_past_max(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    uint64_t *iov = guest(f, BUF, 2 * sizeof *iov);
    int64_t *off = guest(f, BUF + 16, sizeof *off);

    iov[0] = BUF + 512;
    iov[1] = 512;
    long null = call(f, SYS_open, str(f, 0, "/dev/null"), O_RDWR);
    long zero = call(f, SYS_open, str(f, 0, "/dev/zero"), O_RDONLY);
    long dir = call(f, SYS_open, str(f, 0, "/dev"), O_RDONLY | O_DIRECTORY);
    assert_int_equal(call(f, SYS_pwritev, null, BUF, 1, INT64_MAX), -EINVAL);
    assert_int_equal(call(f, SYS_preadv, zero, BUF, 1, INT64_MAX), -EINVAL);
    assert_int_equal(call(f, SYS_pread64, zero, BUF + 512, 512,
                          INT64_MAX - 100), -EINVAL);
    assert_int_equal(call(f, SYS_pread64, zero, BUF + 512, 100,
                          INT64_MAX - 100), 100);
    assert_int_equal(call(f, SYS_pread64, dir, BUF + 512, 512, INT64_MAX),
                     -EINVAL);
    *off = INT64_MAX;
    assert_int_equal(call(f, SYS_sendfile, null, zero, BUF + 16, 512),
                     -EINVAL);
    assert_int_equal(*off, INT64_MAX);
}

/* What an open that would write is told in a read-only grant, in Linux's
 * order (a read-only bind mount natively: test_grants, test_escape). */
static void test_readonly_open_order(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    char path[128];

    host_path(x, "f", path, sizeof path);
    fclose(fopen(path, "w"));
    host_path(x, "l", path, sizeof path);
    assert_int_equal(symlink("f", path), 0);
    host_path(x, "dangling", path, sizeof path);
    assert_int_equal(symlink("nowhere", path), 0);
    host_path(x, "d", path, sizeof path);
    assert_int_equal(mkdir(path, 0755), 0);
    const int excl = O_CREAT | O_EXCL | O_WRONLY;
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/dangling"), excl,
                          0644), -EEXIST);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/l"), excl, 0644),
                     -EEXIST);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/dangling"),
                          O_CREAT | O_WRONLY, 0644), -EROFS);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/l"),
                          O_WRONLY | O_NOFOLLOW), -ELOOP);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/l"),
                          O_RDONLY | O_TRUNC | O_NOFOLLOW), -ELOOP);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/d"),
                          O_TMPFILE | O_WRONLY, 0600), -EROFS);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/f"),
                          O_TMPFILE | O_WRONLY, 0600), -ENOTDIR);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/none"),
                          O_TMPFILE | O_WRONLY, 0600), -ENOENT);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/new"),
                          O_CREAT | O_DIRECTORY | O_RDONLY, 0644), -EINVAL);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/dev/null"),
                          O_CREAT | O_DIRECTORY | O_RDONLY, 0644), -EINVAL);
}

/* A link whose target holds a name longer than NAME_MAX: ENAMETOOLONG
 * (the walk without openat2 once copied it into a 256-byte buffer). */
static void test_link_to_a_long_name(void **state)
{
    struct files_fixture *x = *state;
    char path[128], name[301] = { 0 };

    memset(name, 'n', 300);
    host_path(x, "long", path, sizeof path);
    assert_int_equal(symlink(name, path), 0);
    assert_int_equal(call(x->f, SYS_open, str(x->f, 0, "/work/long"),
                          O_RDONLY), -ENAMETOOLONG);
    assert_int_equal(call(x->f, SYS_open, str(x->f, 0, "/work/long/x"),
                          O_RDONLY), -ENAMETOOLONG);
    assert_int_equal(call(x->f, SYS_chdir, str(x->f, 0, "/work/long")),
                     -ENAMETOOLONG);
}

/* A :ro grant at /work/sub inside the :rw /work, the host's sub/ being
 * its directory: a link in /work that leads into sub/ reaches the :ro
 * grant, as a link into a read-only bind mount does. */
static void test_nested_grant_through_links(void **state)
{
    struct files_fixture *x = *state;
    struct fake_guest *f = x->f;
    char sub[128], path[160];
    struct kerr err;

    host_path(x, "sub", sub, sizeof sub);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(path, sizeof path, "%s/f", sub);
    fclose(fopen(path, "w"));
    host_path(x, "s", path, sizeof path);
    assert_int_equal(symlink("sub", path), 0);
    host_path(x, "dot", path, sizeof path);
    assert_int_equal(symlink(".", path), 0);
    f = x->f = fake_guest_new(-1);
    const struct linux_grant g[] = {
        { .host = x->host, .guest = "/work", .rw = true },
        { .host = sub, .guest = "/work/sub", .rw = false },
    };
    const struct linux_files files = { .grants = g, .ngrants = 2 };
    if (linux_files_open(f->proc, &files, &err) < 0)
        fail_msg("linux_files_open: %s", err.msg);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/sub/f"), O_WRONLY),
                     -EROFS);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/s/f"), O_WRONLY),
                     -EROFS);
    assert_int_equal(call(f, SYS_open, str(f, 0, "/work/dot/sub/f"),
                          O_WRONLY), -EROFS);
    assert_int_equal(call(f, SYS_unlink, str(f, 0, "/work/s/f")), -EROFS);
    assert_int_equal(call(f, SYS_chdir, str(f, 0, "/work/s")), 0);
    assert_int_equal(call(f, SYS_getcwd, BUF, 64), 10);
    assert_string_equal(guest(f, BUF, 10), "/work/sub");
    long fd = call(f, SYS_open, str(f, 0, "/work/dot/new"),
                   O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);                /* the :rw grant's own */
    host_path(x, "new", path, sizeof path);
    assert_int_equal(access(path, F_OK), 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    const struct CMUnitTest tests[] = {
        rw_test(test_create_write_read),
        ro_test(test_readonly_grant),
        rw_test(test_escapes_refused),
        rw_test(test_trailing_slash),
        ro_test(test_trailing_slash_readonly),
        rw_test(test_chdir_through_a_link),
        rw_test(test_close_and_dup2_onto_stdio),
        rw_test(test_fd_flags_and_limit),
        rw_test(test_pipe_poll),
        rw_test(test_poll_stdin_at_end),
        rw_test(test_devices_and_kvmelf_dirs),
        rw_test(test_root_listing),
        rw_test(test_offset_past_max),
        cmocka_unit_test(test_tmp_userns_keeps_the_users_rights),
        ro_test(test_readonly_open_order),
        rw_test(test_link_to_a_long_name),
        rw_test(test_nested_grant_through_links),
    };
    int status = cmocka_run_group_tests_name(
        no_openat2_second_run() ? "files, without openat2" : "files", tests,
        NULL, NULL);
    return no_openat2_run_again(argv, status);
}
