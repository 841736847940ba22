/*
 * A guest that tries to get out of its grants (tests/linux/escape.c):
 * "..", symlinks out (relative, absolute, looping, with names too long),
 * /proc/self's links, fds of kvmelf's own, hard links, very long paths, a
 * NUL inside a path, a symlink swapped in by a concurrent rename, a :ro
 * grant inside a :rw one reached through links, and openat2's own
 * scopes.  Each attempt has its fixed result; no read ever returns what a
 * file outside the grants holds ("SECRET"), and the host tree around the
 * grants is as it was.
 *
 * Every test runs twice: with openat2, and (main runs the program again,
 * tests/support/no_openat2.h) with openat2 refused, where kvmelf walks
 * each path one component at a time as on Linux before 5.6 and under
 * valgrind.  make sanitize and make check-valgrind run them too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/e2e.h"
#include "tests/support/no_openat2.h"
#include "tests/support/tree.h"

#define SECRET "SECRET"

static int teardown(void **state)
{
    return e2e_teardown(state);
}

/* A fresh directory by its real path (what --dir shows the guest). */
static const char *new_base(const char *tag)
{
    char real[PATH_MAX];

    if (!realpath(e2e_tmptree(tag), real))
        fail_msg("realpath: %s", strerror(errno));
    return e2e_owned(strdup(real));
}

static void check_no_secret(void)
{
    E2E_CHECK(!memmem(e2e_last()->out, e2e_last()->out_len, SECRET,
                      strlen(SECRET)), "the guest read a file outside");
}

/* ---- attacks --------------------------------------------------------------- */

/* BASE/secret.txt and BASE/outside/ are what the guest must not reach;
 * BASE/grant is /work (:rw), BASE/grant/ro is /work/ro (:ro). */
static const char *attack_layout(void)
{
    const char *base = new_base("escape");
    static char name300[301], target4000[4000];

    memset(name300, 'n', 300);
    for (size_t i = 0; i < 3990; i += 2)
        memcpy(target4000 + i, "./", 2);
    strcpy(target4000 + 3990, "inner.txt");
    const struct tree_entry entries[] = {
        { 'f', "secret.txt", SECRET "\n" },
        { 'd', "outside", NULL },
        { 'f', "outside/target.txt", SECRET "\n" },
        { 'd', "grant", NULL },
        { 'f', "grant/inner.txt", "inner\n" },
        { 'd', "grant/sub", NULL },
        { 'l', "grant/up", "../secret.txt" },
        { 'l', "grant/updir", ".." },
        { 'l', "grant/abs", e2e_printf("%s/secret.txt", base) },
        { 'l', "grant/absdir", "/" },
        { 'l', "grant/deep", "sub/../../secret.txt" },
        { 'l', "grant/loop", "loop" },
        { 'l', "grant/dangling", "made.txt" },
        { 'l', "grant/loop1", "loop2" },
        { 'l', "grant/loop2", "loop1" },
        { 'l', "grant/longname", name300 },
        { 'l', "grant/longtarget", target4000 },
        { 'd', "grant/swap", NULL },
        { 'f', "grant/swap/target.txt", "inside\n" },
        { 'l', "grant/swapl", "../outside" },
        { 'd', "grant/ro", NULL },
        { 'f', "grant/ro/file", "ro\n" },
        { 'l', "grant/toro", "ro" },
        { 'l', "grant/dot", "." },
        { 'l', "grant/tofile", "ro/file" },
    };
    e2e_make_tree(base, entries, E2E_LEN(entries));
    return base;
}

static void run_escape(const char *base, const char *mode)
{
    e2e_run((const char *const[]){
        "run", "--dir", e2e_printf("%s/grant:/work:rw", base),
        "--dir", e2e_printf("%s/grant/ro:/work/ro:ro", base), "--cwd", "/work",
        "T:escape.musl", mode, NULL }, NULL);
}

static const char attacks_expected[] =
    "-- open\n"
    "inner.txt                          opened, read \"inner\"\n"
    "../secret.txt                      -1 ENOENT\n"
    "../../../../secret.txt             -1 ENOENT\n"
    "/work/../secret.txt                -1 ENOENT\n"
    "up (-> ../secret.txt)              -1 EACCES\n"
    "updir/secret.txt                   -1 EACCES\n"
    "abs (-> host path)                 -1 EACCES\n"
    "absdir/etc/passwd                  -1 EACCES\n"
    "deep (-> sub/../../secret)         -1 EACCES\n"
    "loop                               -1 ELOOP\n"
    "loop1 (-> loop2 -> loop1)          -1 ELOOP\n"
    "up O_NOFOLLOW                      -1 ELOOP\n"
    "updir O_DIRECTORY                  -1 EACCES\n"
    "/proc/self/root/secret             -1 ENOENT\n"
    "/proc/self/cwd/../secret           -1 ENOENT\n"
    "/proc/self/exe                     -1 EACCES\n"
    "/proc/1/root/etc/passwd            -1 ENOENT\n"
    "/etc/passwd                        -1 ENOENT\n"
    "NUL inside                         opened, read \"inner\"\n"
    "stat up                            -1 EACCES\n"
    "lstat up                           0\n"
    "stat updir/secret.txt              -1 EACCES\n"
    "-- writes\n"
    "O_WRONLY|O_TRUNC up                -1 EACCES\n"
    "O_CREAT updir/new                  -1 EACCES\n"
    "O_CREAT|O_EXCL up                  -1 EEXIST\n"
    "O_CREAT|O_EXCL dangling            -1 EEXIST\n"
    "O_CREAT abs (dangling-ish)         -1 EACCES\n"
    "mkdir updir/d                      -1 EACCES\n"
    "rename inner -> updir/moved        -1 EACCES\n"
    "rename up -> kept                  0\n"
    "rename kept -> up                  0\n"
    "linkat up (FOLLOW) -> hl           -1 EACCES\n"
    "link up -> hl (the link itself)    0\n"
    "unlink hl                          0\n"
    "truncate up                        -1 EACCES\n"
    "chmod up                           -1 EACCES\n"
    "symlink then open                  -1 EACCES\n"
    "unlink mine                        0\n"
    "utimensat updir/secret.txt         -1 EACCES\n"
    "-- directories and fds\n"
    "chdir updir                        -1 EACCES\n"
    "chdir ..                           0\n"
    "getcwd                             0\n"
    "cwd                                /\n"
    "secret.txt from there              -1 ENOENT\n"
    "chdir /work                        0\n"
    "fds 3..63 open (none of them)      0\n"
    "openat(/work fd, ../secret)        -1 ENOENT\n"
    "fchdir then ../secret              -1 ENOENT\n"
    "-- long paths\n"
    "a 5000-byte path                   -1 ENAMETOOLONG\n"
    "a 256-byte name                    -1 ENAMETOOLONG\n"
    "1300 ./ then inner.txt             opened, read \"inner\"\n"
    "longname (-> a 300-byte name)      -1 ENAMETOOLONG\n"
    "longname/x                         -1 ENAMETOOLONG\n"
    "longtarget (-> 3999 bytes)         opened, read \"inner\"\n"
    "-- the :ro grant inside\n"
    "ro/file O_WRONLY                   -1 EROFS\n"
    "toro/file O_WRONLY                 -1 EROFS\n"
    "dot/ro/file O_WRONLY               -1 EROFS\n"
    "tofile O_WRONLY                    -1 EROFS\n"
    "unlink toro/file                   -1 EROFS\n"
    "toro/file                          opened, read \"ro\"\n";

static void test_attacks(void **state)
{
    (void)state;
    e2e_need_kvm();
    const char *base = attack_layout();
    const char *before = e2e_tree(base);

    run_escape(base, "attacks");
    e2e_check_status(0);
    e2e_check_err("");
    check_no_secret();
    e2e_check_out(attacks_expected);
    const char *after = e2e_tree(base);
    E2E_CHECK(strcmp(before, after) == 0, "the host tree was:\n%s\nand is "
              "now:\n%s", before, after);
}

/* ---- a symlink swapped in meanwhile ---------------------------------------- */

struct swapper {
    const char *a, *b;
    atomic_bool stop;
    long swaps, failures;
};

static void *swap_loop(void *arg)
{
    struct swapper *s = arg;

    while (!atomic_load(&s->stop)) {
        if (renameat2(AT_FDCWD, s->a, AT_FDCWD, s->b, RENAME_EXCHANGE) < 0)
            s->failures++;
        else
            s->swaps++;
    }
    return NULL;
}

/* The guest opens swap/target.txt again and again while swap/ and
 * swapl (-> ../outside, which holds a target.txt too) trade places: it
 * reads "inside" or is refused, never the file outside.  It ends once
 * it has seen both a good many times (no time is measured). */
static void test_race(void **state)
{
    (void)state;
    e2e_need_kvm();
    const char *base = attack_layout();
    struct swapper s = { .a = e2e_printf("%s/grant/swap", base),
                         .b = e2e_printf("%s/grant/swapl", base) };
    struct proc p;
    pthread_t thread;

    e2e_start(&p, (const char *const[]){
        "run", "--dir", e2e_printf("%s/grant:/work:rw", base), "--cwd", "/work",
        "T:escape.musl", "race", NULL }, NULL);
    if (pthread_create(&thread, NULL, swap_loop, &s) != 0)
        fail_msg("pthread_create failed");
    e2e_finish(&p);
    atomic_store(&s.stop, true);
    pthread_join(thread, NULL);
    e2e_check_status(0);
    e2e_check_err("");
    check_no_secret();
    e2e_check_out("race over: other results 0\n");
    E2E_CHECK(s.failures == 0 && s.swaps > 0, "%ld swaps, %ld failed",
              s.swaps, s.failures);
}

/* ---- openat2's scopes, against Linux ---------------------------------------- */

static const char *scopes_layout(void)
{
    const char *base = new_base("scopes");
    const struct tree_entry entries[] = {
        { 'f', "top", "top\n" },
        { 'd', "d", NULL },
        { 'd', "d/e", NULL },
        { 'f', "d/in", "in\n" },
        { 'l', "d/up", "../top" },
        { 'l', "d/abs", "/top" },
        { 'l', "d/le", "e" },
        { 'l', "d/lin", "in" },
    };
    e2e_make_tree(base, entries, E2E_LEN(entries));
    return base;
}

/* What Linux says (checked natively by test_openat2_scopes_native). */
static const char scopes_expected[] =
    "BENEATH in                         opened, read \"in\"\n"
    "IN_ROOT in                         opened, read \"in\"\n"
    "BENEATH lin                        opened, read \"in\"\n"
    "IN_ROOT lin                        opened, read \"in\"\n"
    "BENEATH up                         -1 EXDEV\n"
    "IN_ROOT up                         -1 ENOENT\n"
    "BENEATH abs                        -1 EXDEV\n"
    "IN_ROOT abs                        -1 ENOENT\n"
    "BENEATH ../top                     -1 EXDEV\n"
    "IN_ROOT ../top                     -1 ENOENT\n"
    "BENEATH e/../in                    opened, read \"in\"\n"
    "IN_ROOT e/../in                    opened, read \"in\"\n"
    "BENEATH le/../in                   opened, read \"in\"\n"
    "IN_ROOT le/../in                   opened, read \"in\"\n"
    "BENEATH /in                        -1 EXDEV\n"
    "IN_ROOT /in                        opened, read \"in\"\n"
    "BENEATH /d/in                      -1 EXDEV\n"
    "IN_ROOT /d/in                      -1 ENOENT\n"
    "BENEATH                            -1 ENOENT\n"
    "IN_ROOT                            -1 ENOENT\n"
    "BENEATH /                          -1 EXDEV\n"
    "IN_ROOT /                          opened, read dir\n"
    "BENEATH ..                         -1 EXDEV\n"
    "IN_ROOT ..                         opened, read dir\n"
    "BENEATH e/../../top                -1 EXDEV\n"
    "IN_ROOT e/../../top                -1 ENOENT\n"
    "BENEATH /proc/self/exe             -1 EXDEV\n"
    "IN_ROOT /proc/self/exe             -1 ENOENT\n"
    "BENEATH nope                       -1 ENOENT\n"
    "IN_ROOT nope                       -1 ENOENT\n"
    "BENEATH e/                         opened, read dir\n"
    "IN_ROOT e/                         opened, read dir\n"
    "BENEATH lin/                       -1 ENOTDIR\n"
    "IN_ROOT lin/                       -1 ENOTDIR\n"
    "BENEATH|NO_SYMLINKS lin            -1 ELOOP\n"
    "IN_ROOT up O_PATH|O_NOFOLLOW       opened, read EBADF\n"
    "IN_ROOT abs O_CREAT                0\n"
    "IN_ROOT abs again                  opened, read \"\"\n"
    "BENEATH bad fd                     -1 EBADF\n"
    "BENEATH bad fd, /in                -1 EXDEV\n"
    "cwd BENEATH in                     opened, read \"in\"\n"
    "cwd IN_ROOT ../top                 opened, read \"\"\n";

/* What the calls leave: the file IN_ROOT's "abs" (-> /top) created. */
static void check_scopes_tree(const char *dir)
{
    const char *tree = e2e_tree(dir);
    E2E_CHECK(strstr(tree, "\nf 0000 0 d/top \"\"\n") &&
              strstr(tree, "\nf 0644 4 top \"top\\n\"\n"), "the tree is:\n%s",
              tree);
}

/* RESOLVE_BENEATH and RESOLVE_IN_ROOT from a directory inside a grant
 * give what they give natively ("..", absolute paths and links, magic
 * links), and create what they create natively. */
static void test_openat2_scopes(void **state)
{
    (void)state;
    e2e_need_kvm();
    const char *dir = scopes_layout();

    e2e_run((const char *const[]){ "run", "--dir", e2e_printf("%s:%s:rw", dir, dir),
                                   "T:escape.musl", "scopes", dir, NULL },
            NULL);
    e2e_check_status(0);
    e2e_check_err("");
    e2e_check_out(scopes_expected);
    check_scopes_tree(dir);
}

static void test_openat2_scopes_native(void **state)
{
    (void)state;
    if (no_openat2_second_run())
        e2e_skip("openat2 is what this run refuses");
    const char *dir = scopes_layout();

    e2e_run_native((const char *const[]){ "T:escape.musl", "scopes", dir,
                                          NULL }, NULL);
    e2e_check_status(0);
    e2e_check_out(scopes_expected);
    check_scopes_tree(dir);
}

/* ---- a :ro grant inside a :rw one, against bind mounts ---------------------- */

static const char nested_expected[] =
    "sub/f O_WRONLY                     -1 EROFS\n"
    "s/f O_WRONLY                       -1 EROFS\n"
    "dot/sub/f O_WRONLY                 -1 EROFS\n"
    "lf O_WRONLY                        -1 EROFS\n"
    "lf O_RDONLY                        0\n"
    "O_CREAT s/new                      -1 EROFS\n"
    "mkdir s/d                          -1 EROFS\n"
    "unlink s/f                         -1 EROFS\n"
    "rename s/f -> moved                -1 EXDEV\n"
    "chmod lf                           -1 EROFS\n"
    "truncate lf                        -1 EROFS\n"
    "access lf W_OK                     -1 EROFS\n"
    "O_CREAT new (the :rw grant)        0\n"
    "unlink new                         0\n"
    "chdir s                            0\n"
    "getcwd                             0\n"
    "cwd is DIR/sub                     yes\n"
    "f O_WRONLY from there              -1 EROFS\n";

/* BASE/x is DIR (:rw) and BASE/x/sub DIR/sub (:ro), DIR being BASE/m: a
 * link in the :rw grant that leads into sub/ reaches the :ro grant, as
 * a link into a read-only bind mount does. */
static const char *nested_layout(void)
{
    const char *base = new_base("nested");
    const struct tree_entry entries[] = {
        { 'd', "m", NULL },
        { 'd', "x", NULL },
        { 'd', "x/sub", NULL },
        { 'f', "x/sub/f", "ro\n" },
        { 'l', "x/s", "sub" },
        { 'l', "x/dot", "." },
        { 'l', "x/lf", "sub/f" },
    };
    e2e_make_tree(base, entries, E2E_LEN(entries));
    return base;
}

static void test_nested_readonly_grant(void **state)
{
    (void)state;
    e2e_need_kvm();
    const char *base = nested_layout(), *dir = e2e_printf("%s/m", base);
    const char *before = e2e_tree(e2e_printf("%s/x", base));

    e2e_run((const char *const[]){
        "run", "--dir", e2e_printf("%s/x:%s:rw", base, dir),
        "--dir", e2e_printf("%s/x/sub:%s/sub:ro", base, dir),
        "T:escape.musl", "nested", dir, NULL }, NULL);
    e2e_check_status(0);
    e2e_check_err("");
    e2e_check_out(nested_expected);
    const char *after = e2e_tree(e2e_printf("%s/x", base));
    E2E_CHECK(strcmp(before, after) == 0, "the host tree was:\n%s\nand is "
              "now:\n%s", before, after);
}

static void test_nested_readonly_native(void **state)
{
    (void)state;
    if (no_openat2_second_run())
        e2e_skip("natively once is enough");
    if (!e2e_can_mount())
        e2e_skip("this host does not let the tests make mount namespaces "
                 "(unshare -rm)");
    const char *base = nested_layout(), *dir = e2e_printf("%s/m", base);
    e2e_run_native_mounted((const char *const[]){
        "--bind", e2e_printf("%s/x", base), dir, "&&", "mount", "--bind", "-o", "ro",
        e2e_printf("%s/x/sub", base), e2e_printf("%s/sub", dir), NULL },
        (const char *const[]){ "T:escape.musl", "nested", dir, NULL }, NULL);
    e2e_check_status(0);
    e2e_check_out(nested_expected);
}

int main(int argc, char **argv)
{
    (void)argc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_attacks, teardown),
        cmocka_unit_test_teardown(test_race, teardown),
        cmocka_unit_test_teardown(test_openat2_scopes, teardown),
        cmocka_unit_test_teardown(test_openat2_scopes_native, teardown),
        cmocka_unit_test_teardown(test_nested_readonly_grant, teardown),
        cmocka_unit_test_teardown(test_nested_readonly_native, teardown),
    };

    e2e_init(E2E_RUNS_GUESTS);
    int status = cmocka_run_group_tests_name(
        no_openat2_second_run() ? "escape, without openat2" : "escape",
        tests, NULL, NULL);
    return no_openat2_run_again(argv, status);
}
