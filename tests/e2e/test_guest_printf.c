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
#include <stdbool.h>

#include "tests/support/e2e.h"

static struct proc_result native;    /* the native run, beside the guest's */

static int teardown(void **state)
{
    proc_result_free(&native);
    return e2e_teardown(state);
}

struct printf_case {
    const char *rows;             /* the guest's argument: "all" or "int" */
    bool ring0, tty;
};

static void test_same_as_native(void **state)
{
    const struct printf_case *c = *state;
    const char *const nargv[] = { "T:printf.native", c->rows, NULL };
    const char *const gargs[] = { "run", c->ring0 ? "--ring0" : "--",
                                  "T:printf.elf", c->rows, NULL };
    const struct proc_result *g = e2e_last();

    e2e_need_kvm();
    e2e_run_argv(nargv, &(struct proc_opts){ .stdout_fd = -1 });
    /* A sanity check of the table itself: its %n row checks itself. */
    e2e_check_status(0);
    E2E_CHECK(g->out_len > 1000, "the native table failed");
    e2e_take(&native);
    e2e_run(gargs, &(struct proc_opts){ .stdout_fd = -1,
                                        .stdout_tty = c->tty });
    bool same = proc_same_output("glibc", native.out, native.out_len,
                                 "kvmelf", g->out, g->out_len);
    E2E_CHECK(same, "the guest's printf differs from glibc's");
    e2e_check_status(native.status);
    e2e_check_err("");
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

    e2e_init(E2E_RUNS_GUESTS);
    return cmocka_run_group_tests_name("guest_printf", tests, NULL, NULL);
}
