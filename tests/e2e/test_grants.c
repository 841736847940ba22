/*
 * The guest's files end to end: real programs (tests/linux/fileops.c,
 * readonly.c, tmpfull.c, polling.c) run under kvmelf in a :rw grant, a
 * :ro grant and the private /tmp, and the same static file natively in a
 * fresh host directory set up the same way; stdout, the status and, for
 * a grant, the tree left on the host must be the same.  For a read-only
 * grant and a full /tmp the expectations are fixed, and checked natively
 * too, on a read-only bind mount and on a 1 MiB tmpfs, where the host
 * lets the tests make mount namespaces (unshare -rm).
 *
 * tests/unit/test_files.c pins the rules one call at a time; these show
 * that ordinary programs, through libc, see Linux.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/e2e.h"

/* The native run a test compares kvmelf's with (e2e_take). */
static struct proc_result native;

static int teardown(void **state)
{
    proc_result_free(&native);
    return e2e_teardown(state);
}

#define RUN(...) \
    e2e_run((const char *const[]){ "run", __VA_ARGS__, NULL }, NULL)

/* ---- fileops: an ordinary program's calls --------------------------------- */

/* In a :rw grant (the working directory set by --cwd) and natively: the
 * same output and the same tree left behind. */
static void test_fileops_in_rw_grant(void **state)
{
    (void)state;
    e2e_need_kvm();
    const char *native_dir = e2e_tmptree("fileops-native");
    e2e_run_native((const char *const[]){ "T:fileops.musl", native_dir,
                                          NULL }, NULL);
    e2e_check_status(0);             /* the program works on Linux */
    e2e_check_err("");
    e2e_check_out_has("\nfailures 0\n");
    e2e_take(&native);

    const char *dir = e2e_tmptree("fileops");
    char grant[4200];
    snprintf(grant, sizeof grant, "%s:/work:rw", dir);
    /* --tmp for tmpfile(), as check-valgrind's wrapper says --tmp 0. */
    RUN("--dir", grant, "--cwd", "/work", "--tmp", "8M", "T:fileops.musl",
        ".");
    e2e_check_same_run(&native, "native");
    e2e_check_err("");
    const char *tree = e2e_tree(dir), *native_tree = e2e_tree(native_dir);
    E2E_CHECK(strcmp(tree, native_tree) == 0, "the grant holds:\n%s\n"
              "the native run left:\n%s", tree, native_tree);
    /* Not two empty trees that agree. */
    E2E_CHECK(strstr(tree, "f 0644 5 d/keep.txt \"keep\\n\"\n") &&
              strstr(tree, "l dlink -> d\n"), "the tree lacks what "
              "fileops made:\n%s", tree);
}

/* In the private /tmp (no grant at all): the same output as natively. */
static void test_fileops_in_private_tmp(void **state)
{
    (void)state;
    e2e_need_kvm();
    const char *native_dir = e2e_tmptree("fileops-native");
    e2e_run_native((const char *const[]){ "T:fileops.musl", native_dir,
                                          NULL }, NULL);
    e2e_check_status(0);
    e2e_take(&native);

    /* --tmp as check-valgrind's wrapper would otherwise make it 0. */
    RUN("--tmp", "64M", "T:fileops.musl", "/tmp");
    e2e_check_same_run(&native, "native");
    e2e_check_err("");
}

/* ---- A read-only grant ------------------------------------------------------ */

static const char readonly_expected[] =
    "-- open\n"
    "O_WRONLY                         -1 EROFS\n"
    "O_RDWR                           -1 EROFS\n"
    "O_WRONLY|O_APPEND                -1 EROFS\n"
    "O_RDONLY|O_TRUNC                 -1 EROFS\n"
    "O_CREAT new                      -1 EROFS\n"
    "O_CREAT|O_EXCL existing          -1 EEXIST\n"
    "O_CREAT|O_RDONLY existing        0\n"
    "O_CREAT in a missing dir         -1 ENOENT\n"
    "O_WRONLY missing                 -1 ENOENT\n"
    "O_WRONLY through a link          -1 EROFS\n"
    "O_WRONLY a directory             -1 EISDIR\n"
    "O_RDONLY                         0\n"
    "creat                            -1 EROFS\n"
    "creat existing                   -1 EROFS\n"
    "-- names\n"
    "mkdir new                        -1 EROFS\n"
    "mkdir existing                   -1 EEXIST\n"
    "mkdir in a missing dir           -1 ENOENT\n"
    "rmdir empty                      -1 EROFS\n"
    "rmdir missing                    -1 EROFS\n"
    "unlink                           -1 EROFS\n"
    "unlink missing                   -1 EROFS\n"
    "unlink a link                    -1 EROFS\n"
    "rename                           -1 EROFS\n"
    "rename missing                   -1 EROFS\n"
    "rename into sub                  -1 EROFS\n"
    "symlink new                      -1 EROFS\n"
    "symlink existing                 -1 EEXIST\n"
    "link new                         -1 EROFS\n"
    "link existing                    -1 EEXIST\n"
    "link missing                     -1 ENOENT\n"
    "-- objects\n"
    "truncate                         -1 EROFS\n"
    "truncate missing                 -1 ENOENT\n"
    "chmod                            -1 EROFS\n"
    "chmod missing                    -1 ENOENT\n"
    "chmod a directory                -1 EROFS\n"
    "fchmodat                         -1 EROFS\n"
    "utimensat                        -1 EROFS\n"
    "utimes missing                   -1 ENOENT\n"
    "access W_OK                      -1 EROFS\n"
    "access W_OK a directory          -1 EROFS\n"
    "access W_OK missing              -1 ENOENT\n"
    "access R_OK                      0\n"
    "-- fds\n"
    "write on O_RDONLY                -1 EBADF\n"
    "ftruncate on O_RDONLY            -1 EINVAL\n"
    "fchmod                           -1 EROFS\n"
    "futimens                         -1 EROFS\n"
    "mkdirat                          -1 EROFS\n"
    "unlinkat                         -1 EROFS\n"
    "renameat2 NOREPLACE              -1 EROFS\n"
    "-- reads still work\n"
    "file.txt                         hello\n"
    "sub/inner.txt                    inner\n"
    "link                             hello\n"
    "stat file.txt size               6\n"
    "readlink                         file.txt\n"
    "entries in .                     6\n";

/* The layout readonly.c expects, in a fresh directory. */
static const char *readonly_tree(void)
{
    const char *dir = e2e_tmptree("ro");
    char path[4200];

    e2e_write_tmp(dir, "file.txt", "hello\n", 6);
    snprintf(path, sizeof path, "%s/sub", dir);
    if (mkdir(path, 0755) < 0)
        fail_msg("mkdir %s: %s", path, strerror(errno));
    e2e_write_tmp(path, "inner.txt", "inner\n", 6);
    snprintf(path, sizeof path, "%s/empty", dir);
    if (mkdir(path, 0755) < 0)
        fail_msg("mkdir %s: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/link", dir);
    if (symlink("file.txt", path) < 0)
        fail_msg("symlink %s: %s", path, strerror(errno));
    return dir;
}

/* Every change is refused with Linux's errno, in Linux's order, and the
 * host directory is as it was; reads still work.  Natively the same on a
 * read-only bind mount. */
static void test_readonly_grant(void **state)
{
    (void)state;
    e2e_need_kvm();
    const char *dir = readonly_tree();
    const char *before = e2e_tree(dir);
    char grant[4200];
    snprintf(grant, sizeof grant, "%s:/data:ro", dir);
    RUN("--dir", grant, "T:readonly.musl", "/data");
    e2e_check_status(0);
    e2e_check_err("");
    e2e_check_out(readonly_expected);
    const char *after = e2e_tree(dir);
    E2E_CHECK(strcmp(before, after) == 0, "the read-only grant changed; "
              "before:\n%s\nafter:\n%s", before, after);
    /* The default mode of a grant is :ro. */
    snprintf(grant, sizeof grant, "%s:/data", dir);
    RUN("--dir", grant, "T:readonly.musl", "/data");
    e2e_check_out(readonly_expected);
}

/* What test_readonly_grant expects is what Linux says on a read-only
 * bind mount. */
static void test_readonly_native(void **state)
{
    (void)state;
    if (!e2e_can_mount())
        e2e_skip("no mount namespaces (unshare -rm): no read-only bind "
                 "mount to run readonly natively on");
    const char *dir = readonly_tree();
    const char *before = e2e_tree(dir);
    e2e_run_native_mounted((const char *const[]){ "--bind", "-o", "ro", dir,
                                                  dir, NULL },
                           (const char *const[]){ "T:readonly.musl", dir,
                                                  NULL }, NULL);
    e2e_check_status(0);
    e2e_check_err("");
    e2e_check_out(readonly_expected);
    E2E_CHECK(strcmp(before, e2e_tree(dir)) == 0, "the native run changed "
              "the directory");
}

/* ---- /tmp past --tmp ---------------------------------------------------------- */

static const char tmpfull_expected[] =
    "wrote 1048576\n"
    "then                               ENOSPC\n"
    "size of big                        1048576\n"
    "one more byte                      -1 ENOSPC\n"
    "a new small file                   0, ENOSPC\n"
    "fclose of a full stdio file        -1 ENOSPC\n"
    "unlink big                         0\n"
    "unlink small                       0\n"
    "unlink stdio                       0\n"
    "512 KiB after the unlinks          524288, no error\n"
    "2 MiB more stops short             1, ENOSPC\n"
    "truncate frees space               0\n"
    "so 256 KiB fit                     262144, no error\n";

/* --tmp 1M: a 2 MiB file stops with ENOSPC at the cap (1 MiB of data: a
 * tmpfs counts pages, and no page goes to anything but data here), and
 * what is deleted can be written again.  Natively the same on a 1 MiB
 * tmpfs. */
static void test_tmp_cap(void **state)
{
    (void)state;
    e2e_need_kvm();
    RUN("--tmp", "1M", "T:tmpfull.musl", "/tmp");
    e2e_check_status(0);
    e2e_check_err("");
    long wrote = strtol(e2e_last()->out + strlen("wrote "), NULL, 10);
    E2E_CHECK(wrote > 1024 * 1024 - 64 * 1024 && wrote <= 1024 * 1024,
              "wrote %ld bytes into a 1 MiB /tmp", wrote);
    e2e_check_out(tmpfull_expected);

    /* Twice the cap holds what the first run could not. */
    RUN("--tmp", "3M", "T:tmpfull.musl", "/tmp");
    e2e_check_status(0);
    e2e_check_out_has("wrote 2097152\nthen                               "
                      "no error\n");

}

/* What test_tmp_cap expects is what Linux says on a 1 MiB tmpfs. */
static void test_tmp_cap_native(void **state)
{
    (void)state;
    if (!e2e_can_mount())
        e2e_skip("no mount namespaces (unshare -rm): no 1 MiB tmpfs to run "
                 "tmpfull natively on");
    const char *dir = e2e_tmptree("tmpfs");
    e2e_run_native_mounted((const char *const[]){ "-t", "tmpfs", "-o",
                                                  "size=1M", "none", dir,
                                                  NULL },
                           (const char *const[]){ "T:tmpfull.musl", dir,
                                                  NULL }, NULL);
    e2e_check_status(0);
    e2e_check_err("");
    e2e_check_out(tmpfull_expected);
}

/* ---- Pipes, poll, select ------------------------------------------------------ */

static const char polling_input[] = "line one\nline two\n";

/* The same results as natively, stdin a pipe the test feeds. */
static void test_polling(void **state)
{
    const struct proc_opts o = { .input = polling_input,
                                 .input_len = strlen(polling_input) };

    (void)state;
    e2e_need_kvm();
    e2e_run_native((const char *const[]){ "T:polling.musl", NULL }, &o);
    e2e_check_status(0);
    e2e_check_err("");
    e2e_take(&native);

    e2e_run((const char *const[]){ "run", "T:polling.musl", NULL }, &o);
    e2e_check_same_run(&native, "native");
    e2e_check_err("");
    /* Not two runs that agree on nothing. */
    e2e_check_out_has("write with SIGPIPE ignored           -1 EPIPE\n");
    e2e_check_out_has("select empty, 10 ms                  0\n");
    e2e_check_out_has("  closed fd                          NVAL\n");
    e2e_check_out_has("stdin held                           "
                      "\"line one|line two|\"\n");
}

/* A write to a pipe nobody reads, SIGPIPE not ignored: natively the
 * process dies of SIGPIPE; kvmelf ends the guest with 128 + 13 and says
 * so. */
static void test_sigpipe_ends_the_guest(void **state)
{
    (void)state;
    e2e_need_kvm();
    e2e_expect_signal(SIGPIPE);
    e2e_run_native((const char *const[]){ "T:polling.musl", "sigpipe",
                                          NULL }, NULL);
    e2e_check_out("writing to a pipe nobody reads\n");

    RUN("T:polling.musl", "sigpipe");
    e2e_check_status(128 + SIGPIPE);
    e2e_check_out("writing to a pipe nobody reads\n");
    e2e_check_err(e2e_guest_line("T:polling.musl", "ended by signal 13 "
                                 "(SIGPIPE: Broken pipe) it raised\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fileops_in_rw_grant, teardown),
        cmocka_unit_test_teardown(test_fileops_in_private_tmp, teardown),
        cmocka_unit_test_teardown(test_readonly_grant, teardown),
        cmocka_unit_test_teardown(test_readonly_native, teardown),
        cmocka_unit_test_teardown(test_tmp_cap, teardown),
        cmocka_unit_test_teardown(test_tmp_cap_native, teardown),
        cmocka_unit_test_teardown(test_polling, teardown),
        cmocka_unit_test_teardown(test_sigpipe_ends_the_guest, teardown),
    };

    e2e_init(E2E_RUNS_GUESTS);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
