/*
 * Runs without openat2(2): what kvmelf meets on Linux before 5.6 and under
 * valgrind (which does not know the call), where linux/tree.c opens a
 * grant's paths one component at a time instead (walk_beneath).  The
 * tests and fuzz_fs take that path on purpose with a seccomp filter that
 * makes openat2 ENOSYS for the process and everything it starts.
 */
#ifndef KVMELF_TESTS_NO_OPENAT2_H
#define KVMELF_TESTS_NO_OPENAT2_H

#include <stdbool.h>

/* From now on openat2 is ENOSYS in this process and its children (a
 * seccomp filter; no_new_privs is set).  0, or -1 with errno. */
int no_openat2(void);

/* For a test program's main, after its tests ran with openat2: runs the
 * program again (argv[0], through /proc/self/exe) without openat2, with
 * $KVMELF_TEST_WITHOUT_OPENAT2=1 so that it knows, and returns that
 * run's status, or status itself when that was not 0 (a failure of the
 * first run stays one).  Under valgrind ($KVMELF_UNDER_VALGRIND) kvmelf
 * never has openat2 anyway: no second run. */
int no_openat2_run_again(char **argv, int status);

/* Whether this is that second run (say so in the test group's name). */
bool no_openat2_second_run(void);

#endif
