/*
 * The guest runtime's printf end to end: tests/guests/printf prints the
 * table of formats in its table.h (every conversion, flags, widths,
 * precisions, length modifiers, floating point of all kinds, snprintf
 * and sprintf, %n, an encoding error) as a freestanding guest under
 * kvmelf, and the same source built natively against the host's glibc
 * ($KVMELF_TEST_GUESTS/printf.native, Makefile) prints it too: both must
 * write exactly the same bytes and exit alike.  The guest runs in ring 3
 * through a pipe and a terminal (full and line buffering), and with
 * --ring0 printing the rows without floating point: that path must run
 * no SSE instruction, which would stop the VM where KVM emulates ring 0.
 *
 * The guest runs skip, loudly, without KVM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tests/support/kvm.h"
#include "tests/support/proc.h"

static const char *kvmelf_bin;
static char guest[PATH_MAX], native[PATH_MAX];
static struct proc_result n, g;      /* the native and the guest run */

static int teardown(void **state)
{
    (void)state;
    proc_result_free(&n);
    proc_result_free(&g);
    return 0;
}

struct printf_case {
    const char *rows;             /* the guest's argument: "all" or "int" */
    bool ring0, tty;
};

static void run(const char *const argv[], bool tty, struct proc_result *r)
{
    struct proc_opts o = { .stdout_fd = -1, .stdout_tty = tty };

    if (proc_run(argv, &o, r) < 0)
        fail_msg("cannot run %s: %s", argv[0], strerror(errno));
    PROC_EXPECT(r->exited && !r->limit_hit, argv, r, "did not exit normally");
}

static void test_same_as_native(void **state)
{
    const struct printf_case *c = *state;
    const char *const nargv[] = { native, c->rows, NULL };
    const char *const gargv[] = { kvmelf_bin, "run",
                                  c->ring0 ? "--ring0" : "--", guest,
                                  c->rows, NULL };

    if (kvm_missing())
        skip();
    run(nargv, false, &n);
    run(gargv, c->tty, &g);
    /* A sanity check of the table itself: its %n row checks itself. */
    PROC_EXPECT(n.status == 0 && n.out_len > 1000, nargv, &n,
                "the native table failed");
    bool same = proc_same_output("glibc", n.out, n.out_len, "kvmelf", g.out,
                                 g.out_len);
    PROC_EXPECT(same && g.status == n.status && g.err_len == 0, gargv, &g,
                "the guest's printf differs from glibc's (status %d, "
                "native %d)", g.status, n.status);
}

static const struct printf_case cases[] = {
    { .rows = "all" },
    { .rows = "all", .tty = true },
    { .rows = "int", .ring0 = true },
};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(test_same_as_native, NULL,
            teardown, (void *)&cases[0]),
        { .name = "test_same_as_native_tty", .test_func = test_same_as_native,
          .teardown_func = teardown, .initial_state = (void *)&cases[1] },
        { .name = "test_integers_and_strings_ring0",
          .test_func = test_same_as_native, .teardown_func = teardown,
          .initial_state = (void *)&cases[2] },
    };
    const char *dir = proc_need_env("KVMELF_TEST_GUESTS");

    kvmelf_bin = proc_need_env("KVMELF");
    snprintf(guest, sizeof guest, "%s/printf.elf", dir);
    snprintf(native, sizeof native, "%s/printf.native", dir);
    kvm_probe();
    return cmocka_run_group_tests_name("guest_printf", tests, NULL, NULL);
}
