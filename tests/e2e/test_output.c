/*
 * The bulk-write port (KVMELF_PORT_WRITE) and the guest runtime's stdout
 * buffer, end to end, with tests/guests/bufout: output content and order,
 * bad descriptors (a warning, or a crash with --strict-io, never a monitor
 * failure), line buffering on a terminal against full buffering on a pipe
 * (told apart by --stats' exit count, which is exact: every KVM_RUN return
 * of these guests is a port exit), the flush at exit, at a crash and at a
 * timeout; and --stats itself.
 *
 * Everything here runs a guest, so it all skips, loudly, without KVM.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/e2e.h"

#define MAX_ARGS 8

/* Runs kvmelf with opts (before the guest) and the guest's args. */
static void run_guest(const char *const opts[], const char *const args[],
                      bool tty)
{
    const char *argv[2 * MAX_ARGS + 3];
    struct proc_opts o = { .stdout_fd = -1, .stdout_tty = tty };
    size_t n = 0;

    e2e_need_kvm();
    argv[n++] = "run";
    for (size_t i = 0; opts && opts[i]; i++)
        argv[n++] = opts[i];
    argv[n++] = "T:bufout.elf";
    for (size_t i = 0; args && args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    e2e_run(argv, &o);
}

struct out_case {
    const char *name;
    const char *opts[MAX_ARGS];
    const char *args[MAX_ARGS];
    bool tty;
    int status;
    const char *out;              /* exact stdout */
    const char *err_has[3];
    int err_lines;                /* exact, or E2E_ANY */
};

#define STILL "bufout: still running\n"
#define BAD(...) .out = STILL, .err_lines = 1, \
                 .err_has = { "guest: bulk write to port 0x504", __VA_ARGS__ }

static const struct out_case cases[] = {
    { .name = "lines_pipe", .args = { "lines" }, .out = "one\ntwo\nthree\n" },
    { .name = "lines_tty", .args = { "lines" }, .tty = true,
      .out = "one\ntwo\nthree\n" },
    /* exit() writes what is buffered, newline or not */
    { .name = "flush_at_exit", .args = { "noflush", "3" }, .status = 3,
      .out = "no newline" },
    { .name = "flush_at_exit_tty", .args = { "noflush", "4" }, .tty = true,
      .status = 4, .out = "no newline" },
    /* a crash loses nothing printed before it */
    { .name = "flush_at_crash", .args = { "crash" }, .status = 139,
      .out = "bufout: before the crash\n",
      .err_has = { "guest crashed: page fault" }, .err_lines = E2E_ANY },
    { .name = "flush_at_timeout", .opts = { "--timeout", "2" },
      .args = { "spin" }, .status = 124, .out = "pending",
      .err_has = { "timed out" }, .err_lines = 1 },
    { .name = "order_with_raw_com1", .args = { "mixed" },
      .out = "one 2 three\n" },
    { .name = "prompt_before_input", .args = { "prompt" },
      .out = "name? EOF\n" },
    { .name = "own_registered_buffer", .args = { "own" },
      .out = "own1 own2\n" },
    { .name = "written_bytes_consumed", .args = { "consumed" },
      .out = "own1 " },
    { .name = "own_buffer_lost", .args = { "own-lost" }, .out = "own1 ",
      .err_has = { "its stdout buffer is lost",
                   "outside the guest's readable memory" },
      .err_lines = 1 },
    { .name = "bad_descriptor", .args = { "bad-desc" },
      BAD("descriptor address 0xfffffff0 is outside the guest's writable "
          "memory") },
    /* Ring 3 cannot make the port read or write the monitor's area. */
    { .name = "descriptor_in_monitor_area", .args = { "monitor-desc" },
      BAD("descriptor address 0x3100 is outside the guest's writable "
          "memory") },
    { .name = "buffer_in_monitor_area", .args = { "monitor-buffer" },
      BAD("0x1000 + 14 bytes, outside the guest's readable memory") },
    { .name = "bad_buffer", .args = { "bad-buffer" },
      BAD("0x3fffffc + 14 bytes, outside the guest's readable memory") },
    { .name = "bad_buffer_1g", .opts = { "--mem", "1G" },
      .args = { "bad-buffer" }, BAD("0x3ffffffc + 14 bytes") },
    { .name = "bad_flags", .args = { "bad-flags" },
      BAD("unknown flags 0x80") },
    { .name = "bad_size", .args = { "bad-size" }, .out = STILL,
      .err_has = { "1-byte write to the bulk-write port 0x504" },
      .err_lines = 1 },
    { .name = "bad_descriptor_strict", .opts = { "--strict-io" },
      .args = { "bad-desc" }, .status = 139, .out = "",
      .err_has = { "guest crashed", "--strict-io",
                   "descriptor address 0xfffffff0" }, .err_lines = E2E_ANY },
    { .name = "bad_flags_strict", .opts = { "--strict-io" },
      .args = { "bad-flags" }, .status = 139, .out = "",
      .err_has = { "unknown flags 0x80", "--strict-io" }, .err_lines = E2E_ANY },
};

static void run_case(void **state)
{
    const struct out_case *c = *state;

    run_guest(c->opts, c->args, c->tty);
    e2e_check_status(c->status);
    e2e_check_out(c->out);
    for (size_t i = 0; i < E2E_LEN(c->err_has) && c->err_has[i]; i++)
        e2e_check_err_has(c->err_has[i]);
    e2e_check_err_lines(c->err_lines);
}

/* ---- Big writes and --stats --------------------------------------------- */

/* 300000 bytes (more than both the guest's and kvmelf's buffers) between
 * two buffered pieces: all there, in order. */
static void test_big_write(void **state)
{
    static const char *const args[] = { "big", NULL };
    const struct proc_result *r = e2e_last();
    (void)state;

    run_guest(NULL, args, false);
    e2e_check_status(0);
    E2E_CHECK(r->out_len == 5 + 300000 + 6, "stdout has %zu bytes",
              r->out_len);
    E2E_CHECK(strncmp(r->out, "head:", 5) == 0, "wrong start");
    E2E_CHECK(strcmp(r->out + 5 + 300000, ":tail\n") == 0, "wrong end");
    for (size_t i = 0; i < 300000; i++)
        E2E_CHECK(r->out[5 + i] == (char)('a' + i % 26), "byte %zu differs",
                  i);
}

/* The exit count --stats reports. */
static unsigned long stats_exits(void)
{
    const char *err = e2e_last()->err, *p = strstr(err, " exits)");

    while (p && p > err && p[-1] >= '0' && p[-1] <= '9')
        p--;
    E2E_CHECK(p != NULL, "--stats printed no exit count");
    return strtoul(p, NULL, 10);
}

/* Three lines: on a pipe one exit registers the buffer and the exit port
 * ends the guest (kvmelf writes the buffer then); on a terminal each line
 * is one more exit. */
static void test_line_vs_full_buffering(void **state)
{
    static const char *const opts[] = { "--stats", NULL };
    static const char *const args[] = { "lines", NULL };
    (void)state;

    run_guest(opts, args, false);
    e2e_check_out("one\ntwo\nthree\n");
    E2E_CHECK(stats_exits() == 2, "pipe: %lu exits, expected 2 (fully "
              "buffered)", stats_exits());
    run_guest(opts, args, true);
    e2e_check_out("one\ntwo\nthree\n");
    E2E_CHECK(stats_exits() == 5, "tty: %lu exits, expected 5 "
              "(line-buffered)", stats_exits());
}

/* getchar writes the pending prompt before it reads: register, flush,
 * one LSR read (EOF from /dev/null), exit. */
static void test_prompt_flushed_before_read(void **state)
{
    static const char *const opts[] = { "--stats", NULL };
    static const char *const args[] = { "prompt", NULL };
    (void)state;

    run_guest(opts, args, false);
    e2e_check_out("name? EOF\n");
    E2E_CHECK(stats_exits() == 4, "%lu exits, expected 4", stats_exits());
}

/* The line of --stats' exit breakdown for kind: its count (-1: none). */
static long kind_count(const char *kind)
{
    char key[64];
    const char *p;

    snprintf(key, sizeof key, "kvmelf: stats:   %s ", kind);
    if (!(p = strstr(e2e_last()->err, key)))
        return -1;
    return strtol(p + strlen(key), NULL, 10);
}

/* --stats says what the exits were: on a pipe, bufout's "lines" makes one
 * bulk write (registering its buffer) and one exit-port exit; a Linux
 * program's exits are its system calls, named, most made first. */
static void test_stats_exit_kinds(void **state)
{
    static const char *const opts[] = { "--stats", NULL };
    static const char *const args[] = { "lines", NULL };
    (void)state;

    run_guest(opts, args, false);
    e2e_check_status(0);
    E2E_CHECK(kind_count("bulk write") == 1 && kind_count("exit port") == 1 &&
              kind_count("system call") == -1, "bulk write %ld, exit port "
              "%ld, system call %ld", kind_count("bulk write"),
              kind_count("exit port"), kind_count("system call"));
    e2e_check_err_has("kvmelf: stats:   in KVM_RUN ");
    e2e_run((const char *const[]){ "run", "--stats", "T:basics.musl", NULL },
            NULL);
    E2E_CHECK(kind_count("system call") == (long)stats_exits() &&
              kind_count("bulk write") == -1, "system call %ld of %lu exits",
              kind_count("system call"), stats_exits());
    e2e_check_err_has("kvmelf: stats:   system calls, most made first: ");
    e2e_check_err_has(" exit_group 1\n");
}

/* --stats: every stage, in order, on stderr after the guest's output. */
static void test_stats(void **state)
{
    static const char *const opts[] = { "--stats", NULL };
    static const char *const args[] = { "lines", NULL };
    static const char *const stages[] = {
        "exec to main", "ELF load", "VM creation", "guest RAM + page tables",
        "(page tables: ", "ELF copy + boot info", "vCPU creation + setup",
        "first KVM_RUN", "run", "exits)", "teardown", "total",
    };
    const struct proc_result *r = e2e_last();
    (void)state;

    run_guest(opts, args, false);
    e2e_check_status(0);
    e2e_check_out("one\ntwo\nthree\n");
    const char *at = r->err;
    for (size_t i = 0; i < E2E_LEN(stages); i++) {
        const char *p = strstr(at, stages[i]);
        E2E_CHECK(p != NULL, "stage '%s' missing or out of order", stages[i]);
        at = p;
    }
    /* Then the files: no grant, /tmp, what confined the run. */
    static const char *const files[] = {
        "kvmelf: stats: files: no host directory granted (--dir)\n",
        "kvmelf: stats: files: /tmp", "kvmelf: stats: files: confinement: ",
    };
    for (size_t i = 0; i < E2E_LEN(files); i++) {
        const char *p = strstr(at, files[i]);
        E2E_CHECK(p != NULL, "'%s' missing or out of order", files[i]);
        at = p;
    }
    /* Under valgrind kvmelf runs --no-sandbox (tests/support/e2e.c). */
    const char *vg = getenv("KVMELF_UNDER_VALGRIND");
    if (!(vg && *vg))
        E2E_CHECK(strncmp(at + strlen(files[2]), "seccomp filter", 14) == 0,
                  "the run was not confined by the seccomp filter");
    for (const char *l = r->err; *l; l = strchr(l, '\n') + 1) {
        const char *nl = strchr(l, '\n'), *ms = strstr(l, " ms");
        E2E_CHECK(strncmp(l, "kvmelf: stats: ", 15) == 0, "a line without "
                  "'kvmelf: stats: '");
        E2E_CHECK(nl, "a line without a newline");
        E2E_CHECK(strncmp(l, "kvmelf: stats: files: ", 22) == 0 ||
                  strncmp(l, "kvmelf: stats:   system calls, ", 31) == 0 ||
                  (ms && ms < nl), "a timing line without ' ms'");
    }
    /* Without the sandbox, the last line says so. */
    static const char *const no_sandbox[] = { "--stats", "--no-sandbox",
                                              NULL };
    run_guest(no_sandbox, args, false);
    e2e_check_status(0);
    e2e_check_err_has("kvmelf: stats: files: confinement: none "
                      "(--no-sandbox)");
    /* A crash report comes before the stats, which still appear. */
    static const char *const crash[] = { "crash", NULL };
    run_guest(opts, crash, false);
    e2e_check_status(139);
    const char *report = strstr(r->err, "guest crashed");
    const char *stats = strstr(r->err, "kvmelf: stats: teardown");
    E2E_CHECK(report && stats && report < stats, "crash report, then stats");
}

static void test_stats_in_help(void **state)
{
    (void)state;

    e2e_run((const char *[]){ "--help", NULL }, NULL);
    e2e_check_out_has("--stats");
}

static const struct CMUnitTest special[] = {
    cmocka_unit_test_teardown(test_big_write, e2e_teardown),
    cmocka_unit_test_teardown(test_line_vs_full_buffering, e2e_teardown),
    cmocka_unit_test_teardown(test_prompt_flushed_before_read, e2e_teardown),
    cmocka_unit_test_teardown(test_stats, e2e_teardown),
    cmocka_unit_test_teardown(test_stats_exit_kinds, e2e_teardown),
    cmocka_unit_test_teardown(test_stats_in_help, e2e_teardown),
};

int main(void)
{
    e2e_init(E2E_RUNS_GUESTS);
    return E2E_RUN_TESTS(cases, run_case, special);
}
