/*
 * The guest's files end to end: a real program (tests/linux/fileops.c)
 * runs under kvmelf in a :rw grant and in the private /tmp, and the same
 * static file natively in a fresh host directory; stdout, the status
 * and, for the grant, the tree left on the host must be the same.
 *
 * tests/unit/test_files.c pins the rules one call at a time; these show
 * that ordinary programs, through libc, see Linux.
 */
#include <stdio.h>
#include <string.h>

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
    E2E_CHECK(strstr(tree, "f d/keep.txt 0644 5 \"keep|\"\n") &&
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fileops_in_rw_grant, teardown),
        cmocka_unit_test_teardown(test_fileops_in_private_tmp, teardown),
    };

    e2e_init(E2E_RUNS_GUESTS);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
