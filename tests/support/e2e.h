/*
 * The shared part of the cmocka e2e tests (tests/e2e/test_*.c), which run
 * the real build/kvmelf through proc.h: where kvmelf and the guests are,
 * runs whose "G:x" and "T:x" arguments name guests, one place for the
 * latest run's result and command, checks that dump that whole run when
 * they fail, skips that say why, and temporary files the teardown removes.
 * A whole test program:
 *
 *     #include "tests/support/e2e.h"
 *
 *     static void test_hello(void **state)
 *     {
 *         (void)state;
 *         e2e_need_kvm();
 *         e2e_run((const char *[]){ "run", "G:hello.elf", NULL }, NULL);
 *         e2e_check_status(0);
 *         e2e_check_out("Hello, world!\n");
 *         e2e_check_err("");
 *     }
 *
 *     int main(void)
 *     {
 *         const struct CMUnitTest tests[] = {
 *             cmocka_unit_test_teardown(test_hello, e2e_teardown),
 *         };
 *         e2e_init(E2E_RUNS_GUESTS);
 *         return cmocka_run_group_tests(tests, NULL, NULL);
 *     }
 *
 * How the program ended is part of every check of a run: by exit, not by
 * a signal, not killed at the time limit (PROC_DEFAULT_LIMIT_SEC or the
 * run's own), unless the test said beforehand which signal is to end it
 * (e2e_expect_signal).  A failed check dumps the run (proc_dump) and fails
 * the test (cmocka) at the test's line: these functions are for the body
 * of a cmocka test only.  Nothing here is thread-safe.
 */
#ifndef KVMELF_TESTS_E2E_H
#define KVMELF_TESTS_E2E_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "tests/support/proc.h"

#define E2E_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define E2E_MAX_ARGS 32     /* arguments of one run, after argv[0] */
#define E2E_ANY (-1)        /* e2e_check_err_lines: any number of lines */

/* The runs and checks are macros, so that a failure names the line of the
 * test that checked: the functions behind them, NAME_at, take the file
 * and line first. */
#define E2E_AT __FILE__, __LINE__

/* ---- Setup -------------------------------------------------------------- */

enum e2e_guests {
    E2E_NO_GUESTS,          /* the test program never runs a guest */
    E2E_RUNS_GUESTS,        /* some tests do: KVM is probed at the start */
};

/* For main, before the tests: reads $KVMELF, $KVMELF_GUESTS and
 * $KVMELF_TEST_GUESTS, which `make check` sets (proc_need_env: exits with
 * status 2 when one is missing).  $KVMELF is made absolute, so that a test
 * may run it from another directory.  With E2E_RUNS_GUESTS, KVM is probed
 * now, so that a host without it is announced once, at the top. */
void e2e_init(enum e2e_guests guests);

/* $KVMELF (absolute where it exists), after e2e_init. */
const char *e2e_kvmelf(void);

/* arg with a leading "G:" made a path in $KVMELF_GUESTS and "T:" one in
 * $KVMELF_TEST_GUESTS ("G:hello.elf", "T:..", "G:" for the directory);
 * any other arg as it is.  The path lasts until the teardown. */
const char *e2e_path(const char *arg);

/* "kvmelf: FILE: REST", FILE through e2e_path: the start of a line kvmelf
 * writes about a guest.  Lasts until the teardown. */
const char *e2e_guest_line(const char *file, const char *rest);

/* p (malloc'd, not NULL: else the test fails, out of memory) is freed by
 * the teardown: what a test holds across checks that may fail.  Returns
 * p. */
void *e2e_owned(void *p);

/* A formatted string (printf's rules) the teardown frees; fails the test
 * when memory is short. */
const char *e2e_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The teardown of every e2e test (cmocka_unit_test_teardown and the
 * tables): frees the latest result, the paths and e2e_owned's blocks,
 * removes the temporary files, forgets an e2e_expect_signal.  Returns 0. */
int e2e_teardown(void **state);

/* Appends to tests[n...] one test per case of a table of count cases of
 * size bytes each, every case a struct whose first member is its name
 * (const char *name): named so, running func with the case as its
 * *state, torn down by e2e_teardown.  Returns the new number of tests. */
size_t e2e_add_cases(struct CMUnitTest *tests, size_t n, const void *table,
                     size_t count, size_t size, CMUnitTestFunction func);

/* For main: runs, as cmocka's group "tests", the table's tests
 * (e2e_add_cases) followed by more[0..n_more); cmocka's result. */
int e2e_run_tests(const void *table, size_t count, size_t size,
                  CMUnitTestFunction func, const struct CMUnitTest *more,
                  size_t n_more);

/* Refuses to compile unless the first member of table's cases is name. */
#define E2E_NAME_FIRST(table)                                                \
    ((void)sizeof(struct { int e2e_dummy; _Static_assert(                    \
         offsetof(__typeof__((table)[0]), name) == 0,                        \
         "a case's first member must be its name"); }))

/* The two over whole arrays. */
#define E2E_ADD_CASES(tests, n, table, func)                                 \
    (E2E_NAME_FIRST(table), e2e_add_cases((tests), (n), (table),             \
                                          E2E_LEN(table), sizeof (table)[0], \
                                          (func)))
#define E2E_RUN_TESTS(table, func, more)                                     \
    (E2E_NAME_FIRST(table), e2e_run_tests((table), E2E_LEN(table),           \
                                          sizeof (table)[0], (func), (more), \
                                          E2E_LEN(more)))

/* ---- Skips -------------------------------------------------------------- */

/* Skips the test (cmocka's skip) after "SKIPPED: <message>" on stderr. */
void e2e_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Skips, saying why, unless KVM is usable (kvm.h). */
void e2e_need_kvm(void);

/* e2e_need_kvm, and skips under `make check-valgrind`
 * ($KVMELF_UNDER_VALGRIND): kvmelf runs --no-sandbox there (valgrind
 * cannot run under the seccomp filter) and valgrind holds fds of its own,
 * so a test of the sandbox or of kvmelf's fds has nothing to look at. */
void e2e_need_sandbox(void);

/* ---- Runs --------------------------------------------------------------- */

/* The next run is to end by signal sig, not by exit: its end check (and
 * every check of it) wants that signal instead.  Call it before the run;
 * the run after that one expects an exit again. */
void e2e_expect_signal(int sig);

/* Runs `$KVMELF ARGS...` (args NULL-ended, through e2e_path) with o (NULL:
 * the defaults: stdin /dev/null, stdout and stderr captured) to its end,
 * keeps the result as the latest and checks how kvmelf ended
 * (e2e_check_ended).  Fails the test when it cannot run. */
#define e2e_run(...) e2e_run_at(E2E_AT, __VA_ARGS__)
void e2e_run_at(const char *file, int line, const char *const *args,
                const struct proc_opts *o);

/* The same for any program: argv[0] (a path, "T:x", or a name looked up
 * in PATH) and the arguments go through e2e_path. */
#define e2e_run_argv(...) e2e_run_argv_at(E2E_AT, __VA_ARGS__)
void e2e_run_argv_at(const char *file, int line, const char *const *argv,
                     const struct proc_opts *o);

/* For a test that acts while kvmelf runs (signals, pipes, /proc):
 * e2e_cmd builds `$KVMELF ARGS...` as e2e_run does and makes it the
 * latest run (the previous result freed); e2e_start also starts it
 * (proc_start), failing the test when it cannot; e2e_finish waits for
 * its end (proc_finish) and keeps its result as the latest.  e2e_finish
 * does not check the end itself, so that the test can first say what it
 * waited for (E2E_ASSERT); every check after it does. */
const char *const *e2e_cmd(const char *const *args);
void e2e_start(struct proc *p, const char *const *args,
               const struct proc_opts *o);
void e2e_finish(struct proc *p);

/* The latest run's result and command (NULL-ended argv); valid until the
 * next run or the teardown.  Before any run the result is all zero. */
const struct proc_result *e2e_last(void);
const char *const *e2e_last_argv(void);

/* Moves the latest result into *r (the caller frees it with
 * proc_result_free), for a test that compares two runs; no check may
 * look at the latest result until the next run. */
void e2e_take(struct proc_result *r);

/* The stderr that the checks read and the dump shows: err (malloc'd, len
 * bytes, NUL-terminated; freed with the result) instead of the captured
 * one, for a test that read kvmelf's stderr from a pipe of its own. */
void e2e_replace_err(char *err, size_t len);

/* Prints the latest run on stderr (proc_dump). */
void e2e_dump(void);

/* ---- Checks of the latest run ------------------------------------------- */

/* E2E_CHECK: the end check, then cond; when cond is false, dumps the run
 * and fails with the printf-style message.  E2E_ASSERT: the same without
 * the end check, for what the test itself waited for while the program
 * ran ("the guest never printed ..."), which explains a kill. */
#define E2E_ASSERT(cond, ...) \
    PROC_EXPECT(cond, e2e_last_argv(), e2e_last(), __VA_ARGS__)
#define E2E_CHECK(cond, ...) do {                                \
        e2e_check_ended();                                       \
        E2E_ASSERT(cond, __VA_ARGS__);                           \
    } while (0)

/* The program ended by exit, not by a signal, and was not killed at the
 * time limit; after e2e_expect_signal(sig): it ended by sig (and not at
 * the limit).  Part of every check below. */
#define e2e_check_ended() e2e_check_ended_at(E2E_AT)
void e2e_check_ended_at(const char *file, int line);

/* The exit status (128 + the signal after e2e_expect_signal). */
#define e2e_check_status(...) e2e_check_status_at(E2E_AT, __VA_ARGS__)
void e2e_check_status_at(const char *file, int line, int status);

/* stdout is exactly expect (no byte more: a NUL inside counts), or the
 * len bytes at expect; has needle; lacks it. */
#define e2e_check_out(...) e2e_check_out_at(E2E_AT, __VA_ARGS__)
#define e2e_check_out_bytes(...) e2e_check_out_bytes_at(E2E_AT, __VA_ARGS__)
#define e2e_check_out_has(...) e2e_check_out_has_at(E2E_AT, __VA_ARGS__)
#define e2e_check_out_lacks(...) e2e_check_out_lacks_at(E2E_AT, __VA_ARGS__)
void e2e_check_out_at(const char *file, int line, const char *expect);
void e2e_check_out_bytes_at(const char *file, int line, const char *expect,
                            size_t len);
void e2e_check_out_has_at(const char *file, int line, const char *needle);
void e2e_check_out_lacks_at(const char *file, int line, const char *needle);

/* stderr is exactly expect; starts with head; has needle; lacks it; has
 * it exactly once. */
#define e2e_check_err(...) e2e_check_err_at(E2E_AT, __VA_ARGS__)
#define e2e_check_err_starts(...) e2e_check_err_starts_at(E2E_AT, __VA_ARGS__)
#define e2e_check_err_has(...) e2e_check_err_has_at(E2E_AT, __VA_ARGS__)
#define e2e_check_err_lacks(...) e2e_check_err_lacks_at(E2E_AT, __VA_ARGS__)
#define e2e_check_err_once(...) e2e_check_err_once_at(E2E_AT, __VA_ARGS__)
void e2e_check_err_at(const char *file, int line, const char *expect);
void e2e_check_err_starts_at(const char *file, int line, const char *head);
void e2e_check_err_has_at(const char *file, int line, const char *needle);
void e2e_check_err_lacks_at(const char *file, int line, const char *needle);
void e2e_check_err_once_at(const char *file, int line, const char *needle);

/* stderr has exactly lines lines (proc_lines; 0: empty), or E2E_ANY. */
#define e2e_check_err_lines(...) e2e_check_err_lines_at(E2E_AT, __VA_ARGS__)
void e2e_check_err_lines_at(const char *file, int line, int lines);

/* Every stderr line starts with "kvmelf: FILE: " (FILE through
 * e2e_path): kvmelf names the guest on each. */
#define e2e_check_err_prefixed(...) \
    e2e_check_err_prefixed_at(E2E_AT, __VA_ARGS__)
void e2e_check_err_prefixed_at(const char *file, int line,
                               const char *guest);

/* ---- Temporary files ---------------------------------------------------- */

/* A fresh directory "$TMPDIR/kvmelf-TAG-XXXXXX" ($TMPDIR unset or empty:
 * /tmp), removed by the teardown. */
const char *e2e_tmpdir(const char *tag);

/* Writes size bytes to DIR/NAME, removed by the teardown (before DIR). */
const char *e2e_write_tmp(const char *dir, const char *name,
                          const void *bytes, size_t size);

/* Has the teardown remove path (a file, or an empty directory), newest
 * first; returns the tracked copy. */
const char *e2e_track_tmp(const char *path);

/* Removes the tracked paths now, for a test that makes many. */
void e2e_cleanup_tmp(void);

/* ---- Directory trees and native runs ----------------------------------- */

/* A fresh directory as e2e_tmpdir makes it, which the teardown removes
 * with everything a program left in it (tree_remove). */
const char *e2e_tmptree(const char *tag);

/* Lays out entries[0..n) below dir (tree_make, tree.h); fails the test,
 * naming the entry, when one cannot be made. */
struct tree_entry;
void e2e_make_tree(const char *dir, const struct tree_entry *entries,
                   size_t n);

/* What dir holds, as tree_describe (tree.h) writes it; lasts until the
 * teardown.  Fails the test when dir cannot be read. */
const char *e2e_tree(const char *dir);

/* Runs argv (through e2e_path: "T:x" names a test guest) natively, with
 * an empty environment as kvmelf gives a guest (env -i), as the latest
 * run, with its end checked like e2e_run's. */
#define e2e_run_native(...) e2e_run_native_at(E2E_AT, __VA_ARGS__)
void e2e_run_native_at(const char *file, int line, const char *const *argv,
                       const struct proc_opts *o);

/* Whether this host lets the tests make mount namespaces of their own
 * (unshare -rm: a user namespace where the user is root, and a mount
 * namespace), for native runs on a read-only bind mount or a small tmpfs:
 * what kvmelf's :ro grants and --tmp give a guest. */
bool e2e_can_mount(void);

/* e2e_run_native in such a namespace, after `mount MOUNT...` there
 * (mount NULL-ended, e.g. { "--bind", "-o", "ro", DIR, DIR, NULL }; an
 * "&&" in it starts the next command: "&&", "mount", ...). */
#define e2e_run_native_mounted(...) \
    e2e_run_native_mounted_at(E2E_AT, __VA_ARGS__)
void e2e_run_native_mounted_at(const char *file, int line,
                               const char *const *mount,
                               const char *const *argv,
                               const struct proc_opts *o);

/* The latest run ended as r did (by exit or by the same signal; the
 * status) and wrote the same stdout, byte for byte: the first line that
 * differs is printed, under the names "kvmelf" and what (e.g. "native"). */
#define e2e_check_same_run(...) e2e_check_same_run_at(E2E_AT, __VA_ARGS__)
void e2e_check_same_run_at(const char *file, int line,
                           const struct proc_result *r, const char *what);

#endif
