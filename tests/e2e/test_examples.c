/*
 * The example programs of guests/examples/ (ordinary C for the Linux/musl
 * personality), each run twice: built natively with musl-gcc
 * ($KVMELF_NATIVE_EXAMPLES/NAME, mk/examples.mk) and built for kvmelf
 * ($KVMELF_EXAMPLES/NAME.elf, run as `$KVMELF run NAME.elf ARGS`).  Both
 * must print exactly guests/examples/NAME.out on stdout (stdin from
 * NAME.in when there is one), the expected stderr, and exit with the
 * expected status.  Sources and expectations are read from
 * $KVMELF_EXAMPLES_SRC (default guests/examples, relative to the top of
 * the repository where `make check` runs).
 *
 * Each half skips, loudly and with the reason, when its directory is not
 * set; the kvmelf half also when KVM is unusable.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/e2e.h"

#define MAX_ARGS 4

struct example {
    const char *name;
    const char *args[MAX_ARGS];  /* after argv[0] */
    int status;
    const char *err;             /* exact stderr, or NULL */
    const char *err_has;         /* a substring of stderr (one line) */
};

/* timing's elapsed time varies: it is on stderr and only looked for. */
static const struct example examples[] = {
    { .name = "wc", .err = "" },
    { .name = "sort", .err = "sort: 15 lines\n" },
    { .name = "fpmath", .args = { "pi" }, .err = "" },
    { .name = "timing", .err_has = "timing: elapsed " },
    { .name = "alloc", .err = "" },
};

enum build { NATIVE, KVMELF_BUILD };

struct example_run {
    const struct example *ex;
    enum build build;
};

static struct example_run runs[2 * E2E_LEN(examples)];

static const char *src_dir(void)
{
    const char *d = getenv("KVMELF_EXAMPLES_SRC");
    return d && *d ? d : "guests/examples";
}

/* The whole file, NUL-terminated (freed by the teardown); NULL (and *len
 * 0) when it is absent. */
static char *slurp(const char *name, const char *ext, size_t *len)
{
    char path[PATH_MAX];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s.%s", src_dir(), name, ext);
    *len = 0;
    if (!(f = fopen(path, "rb")))
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n;
    do {
        cap += 65536;
        buf = realloc(buf, cap + 1);
        assert_non_null(buf);
        n = fread(buf + *len, 1, cap - *len, f);
        *len += n;
    } while (*len == cap);
    fclose(f);
    buf[*len] = '\0';
    return e2e_owned(buf);
}

/* The directory the build lives in; skips, saying why, without it. */
static const char *build_dir(const struct example_run *r)
{
    const char *var = r->build == NATIVE ? "KVMELF_NATIVE_EXAMPLES"
                                         : "KVMELF_EXAMPLES";
    const char *dir = getenv(var);

    if (!dir || !*dir)
        e2e_skip("%s (%s build): %s is not set; %s", r->ex->name,
                 r->build == NATIVE ? "native musl" : "kvmelf", var,
                 r->build == NATIVE
                 ? "`make check` builds them (mk/examples.mk)"
                 : "no kvmelf builds of guests/examples to run");
    if (r->build == KVMELF_BUILD && !getenv("KVMELF"))
        e2e_skip("%s (kvmelf build): KVMELF is not set", r->ex->name);
    if (r->build == KVMELF_BUILD)
        e2e_need_kvm();
    return dir;
}

static void run_example(const struct example_run *r, const char *dir)
{
    char prog[PATH_MAX];
    const char *argv[MAX_ARGS + 4];
    size_t n = 0, in_len, out_len;
    const struct example *ex = r->ex;

    if (r->build == NATIVE) {
        snprintf(prog, sizeof prog, "%s/%s", dir, ex->name);
    } else {
        snprintf(prog, sizeof prog, "%s/%s.elf", dir, ex->name);
        argv[n++] = getenv("KVMELF");
        argv[n++] = "run";
    }
    argv[n++] = prog;
    for (size_t i = 0; i < MAX_ARGS && ex->args[i]; i++)
        argv[n++] = ex->args[i];
    argv[n] = NULL;

    const char *input = slurp(ex->name, "in", &in_len);
    const char *expect = slurp(ex->name, "out", &out_len);
    if (!expect)
        fail_msg("%s/%s.out is missing", src_dir(), ex->name);
    struct proc_opts o = { .input = input, .input_len = in_len,
                           .stdout_fd = -1 };
    e2e_run_argv(argv, &o);
    e2e_check_out_bytes(expect, out_len);
}

static void check_result(const struct example_run *r)
{
    const struct example *ex = r->ex;

    e2e_check_status(ex->status);
    if (ex->err)
        e2e_check_err(ex->err);
    if (ex->err_has) {
        e2e_check_err_has(ex->err_has);
        e2e_check_err_lines(1);
    }
}

static void test_example(void **state)
{
    const struct example_run *r = *state;
    run_example(r, build_dir(r));
    check_result(r);
}

int main(void)
{
    struct CMUnitTest tests[E2E_LEN(runs)];
    char names[E2E_LEN(runs)][64];
    size_t n = 0;

    for (int b = NATIVE; b <= KVMELF_BUILD; b++)
        for (size_t i = 0; i < E2E_LEN(examples); i++, n++) {
            runs[n] = (struct example_run){ &examples[i], (enum build)b };
            snprintf(names[n], sizeof names[n], "%s_%s", examples[i].name,
                     b == NATIVE ? "native" : "kvmelf");
            tests[n] = (struct CMUnitTest){
                .name = names[n], .test_func = test_example,
                .teardown_func = e2e_teardown, .initial_state = &runs[n] };
        }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
