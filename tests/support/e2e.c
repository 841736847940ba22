/* The shared part of the e2e tests; see e2e.h. */
#include "tests/support/e2e.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/kvm.h"
#include "tests/support/tree.h"

static const char *kvmelf_bin, *guests_dir, *tguests_dir;
static char kvmelf_abs[PATH_MAX];

/* The latest run. */
static struct proc_result last;
static const char *last_argv[E2E_MAX_ARGS + 2];
static int end_signal;          /* the signal that is to end it, or 0 */
static int next_signal;         /* e2e_expect_signal's, for the next run */

/* Blocks freed by the teardown: paths, e2e_owned's, the tracked files'
 * names. */
struct blocks {
    void **p;
    size_t n, cap;
};
static struct blocks owned, tmp_paths, tmp_trees;

static void *keep(struct blocks *list, void *p)
{
    if (!p)
        fail_msg("out of memory");
    if (list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 16;
        void **grown = realloc(list->p, cap * sizeof *grown);
        if (!grown)
            fail_msg("out of memory");
        list->p = grown;
        list->cap = cap;
    }
    return list->p[list->n++] = p;
}

static void free_blocks(struct blocks *list)
{
    while (list->n > 0)
        free(list->p[--list->n]);
}

__attribute__((format(printf, 2, 0)))
static const char *keep_vprintf(struct blocks *list, const char *fmt,
                                va_list ap)
{
    char *s;
    int len = vasprintf(&s, fmt, ap);

    return keep(list, len < 0 ? NULL : s);
}

__attribute__((format(printf, 2, 3)))
static const char *keep_printf(struct blocks *list, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    const char *s = keep_vprintf(list, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- Setup -------------------------------------------------------------- */

void e2e_init(enum e2e_guests guests)
{
    kvmelf_bin = proc_need_env("KVMELF");
    guests_dir = proc_need_env("KVMELF_GUESTS");
    tguests_dir = proc_need_env("KVMELF_TEST_GUESTS");
    if (realpath(kvmelf_bin, kvmelf_abs))
        kvmelf_bin = kvmelf_abs;
    if (guests == E2E_RUNS_GUESTS)
        kvm_probe();
}

const char *e2e_kvmelf(void)
{
    if (!kvmelf_bin)
        fail_msg("e2e: call e2e_init() in main first");
    return kvmelf_bin;
}

/* The directory a "G:" or "T:" argument names, or NULL. */
static const char *prefix_dir(const char *arg)
{
    if (strncmp(arg, "G:", 2) != 0 && strncmp(arg, "T:", 2) != 0)
        return NULL;
    if (!guests_dir)
        fail_msg("e2e: '%s' before e2e_init()", arg);
    return arg[0] == 'G' ? guests_dir : tguests_dir;
}

const char *e2e_path(const char *arg)
{
    const char *dir = prefix_dir(arg);

    return dir ? keep_printf(&owned, "%s/%s", dir, arg + 2) : arg;
}

const char *e2e_guest_line(const char *file, const char *rest)
{
    return keep_printf(&owned, "kvmelf: %s: %s", e2e_path(file), rest);
}

void *e2e_owned(void *p)
{
    return keep(&owned, p);
}

const char *e2e_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    const char *s = keep_vprintf(&owned, fmt, ap);
    va_end(ap);
    return s;
}

int e2e_teardown(void **state)
{
    (void)state;
    proc_result_free(&last);
    last_argv[0] = NULL;
    end_signal = next_signal = 0;
    e2e_cleanup_tmp();
    free_blocks(&owned);
    return 0;
}

size_t e2e_add_cases(struct CMUnitTest *tests, size_t n, const void *table,
                     size_t count, size_t size, CMUnitTestFunction func)
{
    for (size_t i = 0; i < count; i++) {
        const char *c = (const char *)table + i * size;
        const char *name;
        memcpy(&name, c, sizeof name);          /* the first member */
        tests[n++] = (struct CMUnitTest){
            .name = name, .test_func = func, .teardown_func = e2e_teardown,
            .initial_state = (void *)(uintptr_t)c };
    }
    return n;
}

int e2e_run_tests(const void *table, size_t count, size_t size,
                  CMUnitTestFunction func, const struct CMUnitTest *more,
                  size_t n_more)
{
    struct CMUnitTest *tests = calloc(count + n_more, sizeof *tests);

    if (!tests) {
        perror("e2e");
        return 2;
    }
    size_t n = e2e_add_cases(tests, 0, table, count, size, func);
    memcpy(&tests[n], more, n_more * sizeof *more);
    int failed = _cmocka_run_group_tests("tests", tests, n + n_more, NULL,
                                         NULL);
    free(tests);
    return failed;
}

/* ---- Skips -------------------------------------------------------------- */

void e2e_skip(const char *fmt, ...)
{
    va_list ap;

    fputs("SKIPPED: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    skip();
}

void e2e_need_kvm(void)
{
    if (kvm_missing())
        skip();
}

void e2e_need_sandbox(void)
{
    const char *vg = getenv("KVMELF_UNDER_VALGRIND");

    e2e_need_kvm();
    if (vg && *vg)
        e2e_skip("kvmelf runs --no-sandbox under valgrind");
}

/* ---- Runs --------------------------------------------------------------- */

void e2e_expect_signal(int sig)
{
    next_signal = sig;
}

/* argv0 ARGS..., each through e2e_path, as the latest run's command. */
static const char *const *new_run(const char *argv0, const char *const *args)
{
    size_t n = 0;

    proc_result_free(&last);
    end_signal = next_signal;
    next_signal = 0;
    last_argv[n++] = e2e_path(argv0);
    for (size_t i = 0; args && args[i]; i++) {
        if (n > E2E_MAX_ARGS)
            fail_msg("e2e: more than %d arguments", E2E_MAX_ARGS);
        last_argv[n++] = e2e_path(args[i]);
    }
    last_argv[n] = NULL;
    return last_argv;
}

/* Whether line starts with valgrind's "--PID-- ", the prefix of its own
 * notes (an unknown system call, say); its errors say "==PID==". */
static bool valgrind_note(const char *line)
{
    if (strncmp(line, "--", 2) != 0)
        return false;
    line += 2;
    if (*line < '0' || *line > '9')
        return false;
    while (*line >= '0' && *line <= '9')
        line++;
    return strncmp(line, "-- ", 3) == 0;
}

/* Under valgrind (make check-valgrind) stderr loses valgrind's notes:
 * 3.19 warns of each call it does not know (openat2, the mount API,
 * Landlock), which kvmelf then does without, as on an older kernel.
 * Its errors stay, and --error-exitcode turns them into a status. */
static void drop_valgrind_notes(struct proc_result *r)
{
    const char *vg = getenv("KVMELF_UNDER_VALGRIND");

    if (!vg || !*vg || !r->err)
        return;
    char *to = r->err;
    const char *end = r->err + r->err_len;
    for (const char *from = r->err; from < end; ) {
        const char *nl = memchr(from, '\n', (size_t)(end - from));
        size_t n = nl ? (size_t)(nl - from) + 1 : (size_t)(end - from);
        if (!valgrind_note(from)) {
            memmove(to, from, n);
            to += n;
        }
        from += n;
    }
    *to = '\0';
    r->err_len = (size_t)(to - r->err);
}

static void run_to_end(const char *file, int line,
                       const char *const *argv, const struct proc_opts *o)
{
    if (proc_run(argv, o, &last) < 0)
        fail_msg("cannot run %s: %s", argv[0], strerror(errno));
    drop_valgrind_notes(&last);
    e2e_check_ended_at(file, line);
}

void e2e_run_at(const char *file, int line, const char *const *args,
                const struct proc_opts *o)
{
    run_to_end(file, line, new_run(e2e_kvmelf(), args), o);
}

void e2e_run_argv_at(const char *file, int line, const char *const *argv,
                     const struct proc_opts *o)
{
    run_to_end(file, line, new_run(argv[0], argv + 1), o);
}

const char *const *e2e_cmd(const char *const *args)
{
    return new_run(e2e_kvmelf(), args);
}

void e2e_start(struct proc *p, const char *const *args,
               const struct proc_opts *o)
{
    const char *const *argv = e2e_cmd(args);

    if (proc_start(p, argv, o) < 0)
        fail_msg("cannot run %s: %s", argv[0], strerror(errno));
}

void e2e_finish(struct proc *p)
{
    if (proc_finish(p, &last) < 0)
        fail_msg("waiting for %s: %s", last_argv[0], strerror(errno));
    drop_valgrind_notes(&last);
}

const struct proc_result *e2e_last(void)
{
    return &last;
}

const char *const *e2e_last_argv(void)
{
    return last_argv;
}

void e2e_take(struct proc_result *r)
{
    *r = last;
    memset(&last, 0, sizeof last);
}

void e2e_replace_err(char *err, size_t len)
{
    free(last.err);
    last.err = err;
    last.err_len = len;
}

void e2e_dump(void)
{
    proc_dump(last_argv, &last);
}

/* ---- Checks ------------------------------------------------------------- */

/* Unless ok: dumps the run and fails at file:line with the message. */
__attribute__((format(printf, 4, 5)))
static void expect_at(const char *file, int line, bool ok, const char *fmt,
                      ...)
{
    va_list ap;

    if (ok)
        return;
    e2e_dump();
    print_error("ERROR: ");
    va_start(ap, fmt);
    vprint_error(fmt, ap);
    va_end(ap);
    print_error("\n");
    _fail(file, line);
}

/* A check of the run: how it ended first, then ok. */
#define CHECK(ok, ...) do {                                      \
        e2e_check_ended_at(file, line);                          \
        expect_at(file, line, (ok), __VA_ARGS__);                \
    } while (0)

void e2e_check_ended_at(const char *file, int line)
{
    const char *prog = last_argv[0] ? last_argv[0] : "the program";

    expect_at(file, line, !last.limit_hit, "%s still running at the time "
              "limit: killed (it is to end by %s, not be killed at the "
              "limit)", prog, end_signal ? "a signal" : "exit");
    if (end_signal)
        expect_at(file, line, !last.exited && last.term_signal == end_signal,
                  "%s ended by %s %d, expected signal %d (%s)", prog,
                  last.exited ? "exit" : "signal",
                  last.exited ? last.status : last.term_signal, end_signal,
                  strsignal(end_signal));
    else
        expect_at(file, line, last.exited, "%s died of signal %d (%s): it "
                  "is to end by exit, not a signal", prog, last.term_signal,
                  strsignal(last.term_signal));
}

void e2e_check_status_at(const char *file, int line, int status)
{
    CHECK(last.status == status, "exit status %d, expected %d", last.status,
          status);
}

void e2e_check_out_at(const char *file, int line, const char *expect)
{
    e2e_check_out_bytes_at(file, line, expect, strlen(expect));
}

void e2e_check_out_bytes_at(const char *file, int line, const char *expect,
                            size_t len)
{
    CHECK(last.out_len == len && memcmp(last.out, expect, len) == 0,
          "stdout differs; expected:\n%.*s", (int)len, expect);
}

void e2e_check_out_has_at(const char *file, int line, const char *needle)
{
    CHECK(strstr(last.out, needle) != NULL, "stdout lacks '%s'", needle);
}

void e2e_check_out_lacks_at(const char *file, int line, const char *needle)
{
    CHECK(strstr(last.out, needle) == NULL, "stdout has '%s'", needle);
}

void e2e_check_err_at(const char *file, int line, const char *expect)
{
    CHECK(last.err_len == strlen(expect) && strcmp(last.err, expect) == 0,
          "stderr differs; expected:\n%s", expect);
}

void e2e_check_err_starts_at(const char *file, int line, const char *head)
{
    CHECK(strncmp(last.err, head, strlen(head)) == 0,
          "stderr does not start with '%s'", head);
}

void e2e_check_err_has_at(const char *file, int line, const char *needle)
{
    CHECK(strstr(last.err, needle) != NULL, "stderr lacks '%s'", needle);
}

void e2e_check_err_lacks_at(const char *file, int line, const char *needle)
{
    CHECK(strstr(last.err, needle) == NULL, "stderr has '%s'", needle);
}

void e2e_check_err_once_at(const char *file, int line, const char *needle)
{
    size_t n = proc_count(last.err, needle);

    CHECK(n == 1, "'%s' occurs %zu times in stderr, expected once", needle,
          n);
}

void e2e_check_err_lines_at(const char *file, int line, int lines)
{
    size_t n = proc_lines(last.err);

    CHECK(lines == E2E_ANY || n == (size_t)lines,
          "stderr has %zu lines, expected %d", n, lines);
}

void e2e_check_err_prefixed_at(const char *file, int line,
                               const char *guest)
{
    const char *prefix = keep_printf(&owned, "kvmelf: %s: ", e2e_path(guest));
    size_t len = strlen(prefix);

    e2e_check_ended_at(file, line);       /* also when stderr is empty */
    for (const char *l = last.err; *l; ) {
        CHECK(strncmp(l, prefix, len) == 0,
              "a stderr line does not start with '%s'", prefix);
        const char *nl = strchr(l, '\n');
        l = nl ? nl + 1 : l + strlen(l);
    }
}

/* ---- Temporary files ---------------------------------------------------- */

const char *e2e_track_tmp(const char *path)
{
    return keep(&tmp_paths, strdup(path));
}

void e2e_cleanup_tmp(void)
{
    for (size_t i = tmp_paths.n; i-- > 0; )
        remove(tmp_paths.p[i]);
    free_blocks(&tmp_paths);
    for (size_t i = tmp_trees.n; i-- > 0; )
        tree_remove(tmp_trees.p[i]);
    free_blocks(&tmp_trees);
}

/* A new directory $TMPDIR/kvmelf-TAG-XXXXXX, made in tmpl. */
static void make_tmpdir(char tmpl[PATH_MAX], const char *tag)
{
    const char *base = getenv("TMPDIR");

    snprintf(tmpl, PATH_MAX, "%s/kvmelf-%s-XXXXXX",
             base && *base ? base : "/tmp", tag);
    if (!mkdtemp(tmpl))
        fail_msg("mkdtemp %s: %s", tmpl, strerror(errno));
}

const char *e2e_tmpdir(const char *tag)
{
    char tmpl[PATH_MAX];

    make_tmpdir(tmpl, tag);
    return e2e_track_tmp(tmpl);
}

const char *e2e_write_tmp(const char *dir, const char *name,
                          const void *bytes, size_t size)
{
    const char *path = keep_printf(&tmp_paths, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");

    if (!f)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    size_t n = size ? fwrite(bytes, 1, size, f) : 0;
    if (fclose(f) != 0 || n != size)
        fail_msg("cannot write %s", path);
    return path;
}

/* ---- Directory trees and native runs ----------------------------------- */

const char *e2e_tmptree(const char *tag)
{
    char tmpl[PATH_MAX];

    make_tmpdir(tmpl, tag);
    return keep(&tmp_trees, strdup(tmpl));
}

void e2e_make_tree(const char *dir, const struct tree_entry *entries,
                   size_t n)
{
    const char *failed = "";

    if (tree_make(dir, entries, n, &failed) < 0)
        fail_msg("making %s/%s: %s", dir, failed, strerror(errno));
}

const char *e2e_tree(const char *dir)
{
    char *text = tree_describe(dir, NULL);

    if (!text)
        fail_msg("cannot read the tree %s: %s", dir, strerror(errno));
    return e2e_owned(text);
}

void e2e_run_native_at(const char *file, int line, const char *const *argv,
                       const struct proc_opts *o)
{
    const char *full[E2E_MAX_ARGS + 2] = { "/usr/bin/env", "-i" };
    size_t n = 2;

    for (size_t i = 0; argv[i]; i++) {
        if (n > E2E_MAX_ARGS)
            fail_msg("e2e: more than %d arguments", E2E_MAX_ARGS);
        full[n++] = argv[i];
    }
    full[n] = NULL;
    run_to_end(file, line, new_run(full[0], full + 1), o);
}

bool e2e_can_mount(void)
{
    static int can = -1;

    if (can < 0) {
        const char *const argv[] = { "unshare", "-rm", "true", NULL };
        struct proc_result r = { 0 };
        can = proc_in_path("unshare") && proc_in_path("mount") &&
              proc_run(argv, NULL, &r) == 0 && r.exited && r.status == 0;
        proc_result_free(&r);
    }
    return can == 1;
}

/* s in single quotes for sh, kept until the teardown. */
static const char *sh_quote(const char *s)
{
    size_t n = 2;
    for (const char *c = s; *c; c++)
        n += *c == '\'' ? 4 : 1;
    char *q = keep(&owned, malloc(n + 1)), *t = q;
    *t++ = '\'';
    for (const char *c = s; *c; c++) {
        if (*c == '\'') {
            memcpy(t, "'\\''", 4);
            t += 4;
        } else {
            *t++ = *c;
        }
    }
    *t++ = '\'';
    *t = '\0';
    return q;
}

void e2e_run_native_mounted_at(const char *file, int line,
                               const char *const *mount,
                               const char *const *argv,
                               const struct proc_opts *o)
{
    char *script = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&script, &len);

    if (!f)
        fail_msg("out of memory");
    fputs("mount", f);
    for (size_t i = 0; mount[i]; i++)
        fprintf(f, " %s", strcmp(mount[i], "&&") == 0 ? "&&"
                                                      : sh_quote(mount[i]));
    fputs(" && exec /usr/bin/env -i", f);
    for (size_t i = 0; argv[i]; i++)
        fprintf(f, " %s", sh_quote(e2e_path(argv[i])));
    if (fclose(f) != 0)
        fail_msg("out of memory");
    keep(&owned, script);
    const char *const full[] = { "unshare", "-rm", "/bin/sh", "-c", script,
                                 NULL };
    run_to_end(file, line, new_run(full[0], full + 1), o);
}

void e2e_check_same_run_at(const char *file, int line,
                           const struct proc_result *r, const char *what)
{
    e2e_check_ended_at(file, line);
    expect_at(file, line, last.exited == r->exited &&
              last.status == r->status, "%s %d, %s %s %d",
              last.exited ? "exit status" : "ended by signal",
              last.exited ? last.status : last.term_signal, what,
              r->exited ? "exit status" : "ended by signal",
              r->exited ? r->status : r->term_signal);
    expect_at(file, line, proc_same_output("kvmelf", last.out, last.out_len,
                                           what, r->out, r->out_len),
              "stdout differs from the %s run's", what);
}
