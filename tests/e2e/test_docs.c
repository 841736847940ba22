/*
 * The man page docs/kvmelf.1 (or $KVMELF_MAN) against the real binary
 * ($KVMELF): every long option `kvmelf --help` and `kvmelf info --help`
 * list must be documented, so the two cannot drift; and the page must
 * format without a warning from groff or man.  README.md (or
 * $KVMELF_README) against both where they overlap: its copy of --help is
 * what kvmelf prints, and its table of exit statuses says what the man
 * page's EXIT STATUS says, word for word.  Runs from the top of the
 * repository, where `make check` runs.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/e2e.h"

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

/* What `kvmelf ARGS...` prints on stdout, exiting with 0 (malloc'd). */
static char *help_of(const char *const *args)
{
    struct proc_result r;

    e2e_run(args, NULL);
    e2e_check_status(0);
    e2e_take(&r);
    free(r.err);
    return r.out;
}

static void test_every_help_option_is_documented(void **state)
{
    (void)state;
    char *top = help_of((const char *[]){ "--help", NULL });
    char *info = help_of((const char *[]){ "info", "--help", NULL });

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

    for (size_t i = 0; i < E2E_LEN(sections); i++)
        if (!strstr(man_text, sections[i]))
            fail_msg("%s has no '%s'", man_path(), sections[i]);
    assert_non_null(strstr(man_text, "KVMELF_KVM_DEVICE"));
}

/* argv must print nothing on stderr and exit 0. */
static void check_quiet(const char *const argv[], const char *tool)
{
    const char *env[] = { "MANWIDTH=80", "LC_ALL=C.UTF-8", NULL };
    struct proc_opts o = { .env = env, .stdout_fd = -1 };

    if (!proc_in_path(tool))
        e2e_skip("%s is not installed; the man page's formatting is not "
                 "checked with it", tool);
    e2e_run_argv(argv, &o);
    e2e_check_status(0);
    e2e_check_err("");
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

/* ---- README.md against the man page and --help ---------------------- */

static const char *readme_path(void)
{
    const char *p = getenv("KVMELF_README");
    return p && *p ? p : "README.md";
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;

    if (!f)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    FILE *mem = open_memstream(&text, &len);
    int c;
    while (mem && (c = getc(f)) != EOF)
        fputc(c, mem);
    fclose(f);
    if (!mem || fclose(mem) != 0)
        fail_msg("out of memory reading %s", path);
    return text;
}

/* Markup away, so that both files' words can be compared: backticks,
 * Markdown's "\|", roff's font escapes; whitespace runs become one space. */
static void plain_words(char *s)
{
    char *o = s;
    bool space = true;

    for (const char *p = s; *p; p++) {
        if (*p == '`')
            continue;
        if (p[0] == '\\' && p[1] == '|') {
            continue;                       /* the '|' follows */
        }
        if (p[0] == '\\' && p[1] == 'f' && p[2]) {
            p += 2;                         /* \fB \fI \fR \fP */
            continue;
        }
        if (isspace((unsigned char)*p)) {
            if (!space)
                *o++ = ' ';
            space = true;
            continue;
        }
        *o++ = *p;
        space = false;
    }
    if (o > s && o[-1] == ' ')
        o--;
    *o = '\0';
}

#define MAX_STATUSES 16

struct status_table {
    size_t n;
    char status[MAX_STATUSES][32];
    char text[MAX_STATUSES][1024];
    char after[1024];                 /* the paragraph that follows */
};

static void add_status(struct status_table *t, const char *status,
                       size_t slen, const char *text, size_t tlen)
{
    if (t->n == MAX_STATUSES)
        fail_msg("more than %d exit statuses", MAX_STATUSES);
    snprintf(t->status[t->n], sizeof t->status[0], "%.*s", (int)slen, status);
    snprintf(t->text[t->n], sizeof t->text[0], "%.*s", (int)tlen, text);
    plain_words(t->status[t->n]);
    plain_words(t->text[t->n]);
    t->n++;
}

/* A cell ends at a '|' that Markdown does not see escaped. */
static const char *cell_end(const char *p)
{
    for (; *p && *p != '\n'; p++)
        if (*p == '|' && p[-1] != '\\')
            return p;
    return NULL;
}

static void readme_statuses(const char *text, struct status_table *t)
{
    const char *p = strstr(text, "\n## Exit statuses\n");

    memset(t, 0, sizeof *t);
    if (!p)
        fail_msg("%s has no '## Exit statuses'", readme_path());
    p = strstr(p, "\n| Status | Meaning |\n");
    if (!p)
        fail_msg("%s: the exit status table has no header", readme_path());
    p = strchr(p + 1, '\n') + 1;          /* the |---| row */
    p = strchr(p, '\n') + 1;
    while (p[0] == '|' && p[1] == ' ') {
        const char *a = p + 2, *a_end = cell_end(a);
        const char *b = a_end ? a_end + 2 : NULL;
        const char *b_end = b ? cell_end(b) : NULL;
        if (!b_end)
            fail_msg("%s: a malformed exit status row", readme_path());
        add_status(t, a, (size_t)(a_end - a), b, (size_t)(b_end - b));
        p = strchr(p, '\n') + 1;
    }
    const char *end = strstr(p + 1, "\n\n");
    snprintf(t->after, sizeof t->after, "%.*s",
             (int)(end ? end - p : (ptrdiff_t)strlen(p)), p);
    plain_words(t->after);
}

/* EXIT STATUS uses .TP, ".B status" and plain lines, then one .PP, so
 * that it can be read without a roff parser. */
static void man_statuses(const char *man, struct status_table *t)
{
    const char *p = strstr(man, ".SH EXIT STATUS\n");
    const char *end = p ? strstr(p, "\n.SH ") : NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = NULL;
    bool after = false;

    memset(t, 0, sizeof *t);
    if (!end)
        fail_msg("%s has no EXIT STATUS section", man_path());
    for (p = strchr(p, '\n') + 1; p < end; p = strchr(p, '\n') + 1) {
        size_t n = strcspn(p, "\n");
        if (!strncmp(p, ".\\\"", 3))
            continue;
        if (!strncmp(p, ".TP", 3) || !strncmp(p, ".PP", 3)) {
            if (f && fclose(f) == 0 && t->n)
                snprintf(t->text[t->n - 1], sizeof t->text[0], "%s", text);
            free(text);
            f = open_memstream(&text, &len);
            after = p[1] == 'P';
            if (!after) {
                p = strchr(p, '\n') + 1;
                if (strncmp(p, ".B ", 3))
                    fail_msg("%s: a .TP in EXIT STATUS without '.B STATUS'",
                             man_path());
                const char *st = p + 3;
                size_t sl = strcspn(st, "\n");
                if (st[0] == '"' && sl >= 2 && st[sl - 1] == '"') {
                    st++;
                    sl -= 2;
                }
                add_status(t, st, sl, "", 0);
            }
            continue;
        }
        if (p[0] == '.')
            fail_msg("%s: EXIT STATUS uses a macro (%.*s) the comparison "
                     "with %s cannot read", man_path(), (int)n, p,
                     readme_path());
        if (f)
            fprintf(f, "%.*s ", (int)n, p);
    }
    if (f && fclose(f) == 0)
        snprintf(after ? t->after : t->text[t->n - 1], sizeof t->after,
                 "%s", text);
    free(text);
    for (size_t i = 0; i < t->n; i++)
        plain_words(t->text[i]);
    plain_words(t->after);
}

static void test_exit_statuses_agree(void **state)
{
    struct status_table readme, man;
    char *text = read_text(readme_path());
    (void)state;

    readme_statuses(text, &readme);
    man_statuses(man_text, &man);
    free(text);
    /* At least 0-255, 124, 125, 126, 128+N, 141: a parser that finds
     * nothing must not pass. */
    assert_true(readme.n >= 6);
    if (readme.n != man.n)
        fail_msg("%s lists %zu exit statuses, %s %zu", readme_path(),
                 readme.n, man_path(), man.n);
    for (size_t i = 0; i < readme.n; i++) {
        if (strcmp(readme.status[i], man.status[i]))
            fail_msg("exit status %zu is '%s' in %s, '%s' in %s", i,
                     readme.status[i], readme_path(), man.status[i],
                     man_path());
        if (strcmp(readme.text[i], man.text[i]))
            fail_msg("exit status %s differs:\n%s: %s\n%s: %s",
                     readme.status[i], readme_path(), readme.text[i],
                     man_path(), man.text[i]);
    }
    if (!man.after[0] || !strstr(readme.after, man.after))
        fail_msg("the paragraph after the statuses differs:\n%s: %s\n%s: %s",
                 readme_path(), readme.after, man_path(), man.after);
}

static void test_readme_help_is_current(void **state)
{
    static const char start[] = "`build/kvmelf --help`:\n\n```\n";
    char *text = read_text(readme_path());
    char *help = help_of((const char *[]){ "--help", NULL });
    (void)state;

    const char *copy = strstr(text, start);
    if (!copy)
        fail_msg("%s has no copy of `build/kvmelf --help`", readme_path());
    copy += strlen(start);
    const char *end = strstr(copy, "```");
    if (!end || (size_t)(end - copy) != strlen(help) ||
        strncmp(copy, help, strlen(help)) != 0)
        fail_msg("%s's copy of --help is not what kvmelf --help prints",
                 readme_path());
    free(help);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_every_help_option_is_documented,
                                  e2e_teardown),
        cmocka_unit_test(test_sections),
        cmocka_unit_test_teardown(test_groff_warnings, e2e_teardown),
        cmocka_unit_test_teardown(test_man_warnings, e2e_teardown),
        cmocka_unit_test(test_exit_statuses_agree),
        cmocka_unit_test_teardown(test_readme_help_is_current, e2e_teardown),
    };

    e2e_init(E2E_NO_GUESTS);
    return cmocka_run_group_tests(tests, load_man, free_man);
}
