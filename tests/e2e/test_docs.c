/*
 * The man page docs/kvmelf.1 (or $KVMELF_MAN) against the real binary
 * ($KVMELF): every long option `kvmelf --help` and `kvmelf info --help`
 * list must be documented, so the two cannot drift; and the page must
 * format without a warning from groff or man.  Runs from the top of the
 * repository, where `make check` runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/proc.h"

static const char *kvmelf_bin;
static char *man_text;          /* the page with roff's "\-" made "-" */

static const char *man_path(void)
{
    const char *p = getenv("KVMELF_MAN");
    return p && *p ? p : "docs/kvmelf.1";
}

static int load_man(void **state)
{
    FILE *f = fopen(man_path(), "r");
    size_t n = 0;
    int c;
    (void)state;

    if (!f) {
        fprintf(stderr, "cannot open %s: %s\n", man_path(), strerror(errno));
        return -1;
    }
    man_text = malloc(1 << 20);
    while (man_text && (c = getc(f)) != EOF && n + 1 < (1 << 20)) {
        if (c == '-' && n > 0 && man_text[n - 1] == '\\')
            n--;                                /* "\-" -> "-" */
        man_text[n++] = (char)c;
    }
    fclose(f);
    if (!man_text)
        return -1;
    man_text[n] = '\0';
    return 0;
}

static int free_man(void **state)
{
    (void)state;
    free(man_text);
    return 0;
}

static bool option_char(char c)
{
    return isalnum((unsigned char)c) || c == '-';
}

/* "--name" as a whole word of the page. */
static bool man_has_option(const char *opt, size_t len)
{
    for (const char *p = man_text; (p = strstr(p, opt)); p++)
        if (!option_char(p[len]) && (p == man_text || !option_char(p[-1])))
            return true;
    return false;
}

/* Every "--word" in text must be in the page; returns how many. */
static size_t check_options(const char *text, const char *what)
{
    char opt[64];
    size_t found = 0;

    for (const char *p = text; (p = strstr(p, "--")); ) {
        size_t len = 2;
        while (option_char(p[len]) && len + 1 < sizeof opt)
            len++;
        if (len > 2 && (p == text || !option_char(p[-1]))) {
            memcpy(opt, p, len);
            opt[len] = '\0';
            if (!man_has_option(opt, len))
                fail_msg("%s lists %s but %s does not", what, opt, man_path());
            found++;
        }
        p += len;
    }
    return found;
}

static char *help_of(const char *const argv[])
{
    struct proc_result r;

    if (proc_run(argv, NULL, &r) < 0)
        fail_msg("cannot run %s: %s", argv[0], strerror(errno));
    if (!r.exited || r.status != 0)
        fail_msg("%s %s --help: status %d", argv[0], argv[1], r.status);
    free(r.err);
    return r.out;
}

static void test_every_help_option_is_documented(void **state)
{
    (void)state;
    char *top = help_of((const char *[]){ kvmelf_bin, "--help", NULL });
    char *info = help_of((const char *[]){ kvmelf_bin, "info", "--help",
                                           NULL });

    /* At least run's --mem --timeout --ring0 --allow-wx --strict-io --regs
     * --help --version: a parser that finds nothing must not pass. */
    assert_true(check_options(top, "kvmelf --help") >= 8);
    assert_true(check_options(info, "kvmelf info --help") >= 3);
    free(top);
    free(info);
}

/* The page's sections, so a truncated page fails. */
static void test_sections(void **state)
{
    static const char *const sections[] = {
        ".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS",
        ".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH FILES", ".SH EXAMPLES",
        ".SH SEE ALSO",
    };
    (void)state;

    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (!strstr(man_text, sections[i]))
            fail_msg("%s has no '%s'", man_path(), sections[i]);
    assert_non_null(strstr(man_text, "KVMELF_KVM_DEVICE"));
}

/* argv must print nothing on stderr and exit 0. */
static void check_quiet(const char *const argv[], const char *tool)
{
    struct proc_result r;
    const char *env[] = { "MANWIDTH=80", "LC_ALL=C.UTF-8", NULL };
    struct proc_opts o = { .env = env, .stdout_fd = -1 };

    if (!proc_in_path(tool)) {
        fprintf(stderr, "SKIPPED: %s is not installed; the man page's "
                "formatting is not checked with it\n", tool);
        skip();
    }
    if (proc_run(argv, &o, &r) < 0)
        fail_msg("cannot run %s: %s", tool, strerror(errno));
    bool ok = r.exited && r.status == 0 && r.err_len == 0;
    if (!ok)
        print_error("%s: status %d, stderr:\n%s\n", tool, r.status, r.err);
    proc_result_free(&r);
    assert_true(ok);
}

static void test_groff_warnings(void **state)
{
    (void)state;
    check_quiet((const char *[]){ "groff", "-man", "-ww", "-z", man_path(),
                                  NULL }, "groff");
}

static void test_man_warnings(void **state)
{
    (void)state;
    check_quiet((const char *[]){ "man", "--warnings", "-l", man_path(),
                                  NULL }, "man");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_help_option_is_documented),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_groff_warnings),
        cmocka_unit_test(test_man_warnings),
    };

    kvmelf_bin = proc_need_env("KVMELF");
    return cmocka_run_group_tests(tests, load_man, free_man);
}
