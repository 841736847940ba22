/*
 * Crash reports of `kvmelf run`: the test guests in $KVMELF_TEST_GUESTS
 * (tests/guests/{wtext,execdata,stackoverflow,beyondram,int3,ownidt,
 * gpfault}) each print one line and then fault in one particular way.
 * Every run checks the exit status (128 + the signal a native program
 * would get), the exact stdout, that stderr opens with
 * "kvmelf: FILE: guest crashed: " and names the exception, the faulting
 * symbol and the hint, and that kvmelf itself ended normally.
 *
 * test_source_lines checks the "(FILE.c:LINE)" part of the location, the
 * line found by a CRASH-HERE marker in the guest's source.
 * test_line_table_* run generated guests (tests/support/elfgen.c) whose
 * line tables are large: 20,000 rows, and one over the symbolizer's bound.
 *
 * Everything here runs a guest, so it all skips, loudly, without KVM.
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
#include <stdlib.h>
#include <string.h>

#include "symbolize/dwarf.h"
#include "tests/support/elfgen.h"
#include "tests/support/kvm.h"
#include "tests/support/proc.h"

#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 6
#define THIS_FILE "tests/e2e/test_crash.c"

static const char *kvmelf_bin, *tguests_dir;

struct crash_case {
    const char *name;
    const char *args[MAX_ARGS];   /* after "run"; "T:x" is x in
                                     $KVMELF_TEST_GUESTS */
    int status;                   /* < 128: must exit cleanly, no stderr */
    const char *out;              /* exact stdout */
    const char *err_has[8];       /* substrings of stderr */
    const char *err_lacks;        /* must not appear in stderr */
};

#define PF_SEGV(...) .status = 139, .err_has = { "page fault in ring 3", \
                                                 "(CR2)", __VA_ARGS__ }

static struct crash_case cases[] = {
    { .name = "wtext", .args = { "T:wtext.elf" },
      .out = "wtext: about to write to my own code\n",
      PF_SEGV("main+0x", "write to address", "in program text",
              "protection violation", "hint: write to read-only memory") },
    { .name = "execdata", .args = { "T:execdata.elf" },
      .out = "execdata: about to call into .data\n",
      PF_SEGV("at data_ret+0x0", " main+0x", "instruction fetch from",
              "hint: instruction fetch from a non-executable page") },
    { .name = "execdata_stack", .args = { "T:execdata.elf", "stack" },
      .out = "execdata: about to call into the stack\n",
      PF_SEGV("main+0x", "instruction fetch from", "in stack",
              "hint: instruction fetch from a non-executable page") },
    /* A stack address is no symbol's: no "_end+0x3efdfb8". */
    { .name = "execdata_stack_no_symbol", .args = { "T:execdata.elf", "stack" },
      .out = "execdata: about to call into the stack\n",
      PF_SEGV("at 0x"), .err_lacks = "_end+" },
    { .name = "stackoverflow", .args = { "T:stackoverflow.elf" },
      .out = "stackoverflow: recursing forever\n",
      PF_SEGV("at recurse+0x", "#1 0x", "page not present",
              "hint: stack overflow: the access hit the guard page") },
    { .name = "beyondram", .args = { "T:beyondram.elf" },
      .out = "beyondram: about to read past the end of RAM\n",
      PF_SEGV("main+0x", "read from address 0x4001000 (CR2)",
              "hint: address beyond guest RAM") },
    { .name = "beyondram_mem_4m", .args = { "--mem", "4M", "T:beyondram.elf" },
      .out = "beyondram: about to read past the end of RAM\n",
      PF_SEGV("main+0x", "read from address 0x401000 (CR2)",
              "hint: address beyond guest RAM") },
    { .name = "beyondram_monitor", .args = { "T:beyondram.elf", "monitor" },
      .out = "beyondram: about to read the monitor's IDT\n",
      PF_SEGV("main+0x", "read from address 0x2000 (CR2)",
              "protection violation, user mode",
              "hint: address in the monitor's reserved first MiB") },
    { .name = "int3", .args = { "T:int3.elf" }, .status = 133,
      .out = "int3: about to execute int3\n",
      .err_has = { "breakpoint in ring 3 (vector 3)", "at main+0x" } },
    { .name = "ownidt_ring0", .args = { "--ring0", "T:ownidt.elf" },
      .out = "ownidt: loading my own IDT\nownidt: handled 2 breakpoints\n" },
    { .name = "ownidt_ring0_ud2", .args = { "--ring0", "T:ownidt.elf", "ud2" },
      .out = "ownidt: loading my own IDT\n"
             "ownidt: handled 2 invalid opcodes\n" },
    { .name = "ownidt_ring3", .args = { "T:ownidt.elf" }, .status = 139,
      .out = "ownidt: loading my own IDT\n",
      .err_has = { "privileged instruction in ring 3", "0f 01", "--ring0",
                   "at main+0x" } },
    { .name = "gpfault", .args = { "T:gpfault.elf" }, .status = 139,
      .out = "gpfault: about to read a non-canonical address\n",
      .err_has = { "general protection in ring 3 (vector 13, error code 0x0)",
                   "at main+0x" },
      .err_lacks = "--ring0" },
    { .name = "regs_on_crash", .args = { "--regs", "T:gpfault.elf" },
      .status = 139, .out = "gpfault: about to read a non-canonical address\n",
      .err_has = { "general protection", "cr0 0x", "[PE", "PG]", "efer 0x",
                   "idt base 0x2000" } },
};

/* ---- Running one case ------------------------------------------------- */

static struct proc_result last;
static const char *last_argv[MAX_ARGS + 3];

static int teardown(void **state)
{
    (void)state;
    proc_result_free(&last);
    return 0;
}

/* stdout and stderr in full: print_error() would cut them at 1 KiB. */
static void dump_last(void)
{
    fputs("command:", stderr);
    for (size_t i = 0; last_argv[i]; i++)
        fprintf(stderr, " %s", last_argv[i]);
    fprintf(stderr, "\nstatus %d\n--- stdout:\n%s--- stderr:\n%s---\n",
            last.status, last.out, last.err);
}

#define CHECK(cond, ...) \
    do { if (!(cond)) { dump_last(); fail_msg(__VA_ARGS__); } } while (0)

/* Runs `kvmelf run ARGS`; *guest is the expanded "T:" path. */
static void run_case(const struct crash_case *c, char paths[][PATH_MAX],
                     const char **guest)
{
    size_t n = 0;

    if (kvm_missing())
        skip();
    last_argv[n++] = kvmelf_bin;
    last_argv[n++] = "run";
    for (size_t i = 0; i < MAX_ARGS && c->args[i]; i++) {
        const char *a = c->args[i];
        if (strncmp(a, "T:", 2) == 0) {
            snprintf(paths[i], PATH_MAX, "%s/%s", tguests_dir, a + 2);
            a = *guest = paths[i];
        }
        last_argv[n++] = a;
    }
    last_argv[n] = NULL;
    proc_result_free(&last);
    if (proc_run(last_argv, NULL, &last) < 0)
        fail_msg("cannot run %s: %s", kvmelf_bin, strerror(errno));
    CHECK(last.exited && !last.limit_hit, "kvmelf did not exit by itself "
          "(signal %d, killed at limit %d)", last.term_signal, last.limit_hit);
}

/* Some hosts (kvm_pvm) emulate ring-0 code, and KVM's emulator has no
 * INT3/INT n in long mode: that is the host's limit, not the guest's. */
static void skip_if_host_cannot_emulate(const struct crash_case *c)
{
    if (c->status != 132 && last.status == 132 &&
        strstr(last.err, "KVM could not emulate")) {
        fprintf(stderr, "SKIPPED: %s: this host's KVM cannot emulate the "
                "guest's ring-0 code: %.*s\n", c->name,
                (int)strcspn(last.err, "\n"), last.err);
        skip();
    }
}

static void check_crash_case(void **state)
{
    const struct crash_case *c = *state;
    char paths[MAX_ARGS][PATH_MAX], head[PATH_MAX + 64];
    const char *guest = "";

    run_case(c, paths, &guest);
    skip_if_host_cannot_emulate(c);
    CHECK(last.status == c->status, "exit status %d, expected %d",
          last.status, c->status);
    CHECK(strcmp(last.out, c->out) == 0, "stdout differs; expected:\n%s",
          c->out);
    snprintf(head, sizeof head, "kvmelf: %s: guest crashed: ", guest);
    if (c->status < 128)
        CHECK(last.err_len == 0, "stderr is not empty");
    else
        CHECK(strncmp(last.err, head, strlen(head)) == 0,
              "stderr does not start with '%s'", head);
    for (size_t i = 0; i < ARRAY_LEN(c->err_has) && c->err_has[i]; i++)
        CHECK(strstr(last.err, c->err_has[i]), "stderr lacks '%s'",
              c->err_has[i]);
    if (c->err_lacks)
        CHECK(!strstr(last.err, c->err_lacks), "stderr has '%s'",
              c->err_lacks);
}

/* ---- Source lines ------------------------------------------------------ */

/* The repository's root: $KVMELF_SRCDIR, else where this file was compiled
 * from (make compiles it as tests/e2e/test_crash.c from the root). */
static void source_path(const char *rel, char *buf, size_t size)
{
    const char *root = getenv("KVMELF_SRCDIR"), *self = __FILE__;
    size_t len = strlen(self), tail = strlen(THIS_FILE);

    if (root && *root)
        snprintf(buf, size, "%s/%s", root, rel);
    else if (len >= tail && strcmp(&self[len - tail], THIS_FILE) == 0)
        snprintf(buf, size, "%.*s%s", (int)(len - tail), self, rel);
    else
        snprintf(buf, size, "%s", rel);
}

/* The 1-based line of path that contains marker. */
static int marker_line(const char *rel, const char *marker)
{
    char path[PATH_MAX], text[512];
    int line = 0, found = 0;
    FILE *f;

    source_path(rel, path, sizeof path);
    f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s: %s (run from the repository root or set "
                 "KVMELF_SRCDIR)", path, strerror(errno));
    while (!found && fgets(text, sizeof text, f)) {
        line++;
        if (strstr(text, marker))
            found = line;
    }
    fclose(f);
    if (!found)
        fail_msg("no '%s' in %s", marker, path);
    return found;
}

static const struct crash_case *find_case(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        if (strcmp(cases[i].name, name) == 0)
            return &cases[i];
    fail_msg("no case '%s'", name);
    return NULL;
}

/* Expected to fail until crash reports carry DWARF file:line
 * ("at main+0xe (wtext.c:20)"). */
static void test_source_lines(void **state)
{
    static const struct {
        const char *name, *src, *marker;   /* name: of a case above */
    } lines[] = {
        { "wtext", "tests/guests/wtext/wtext.c", "/* CRASH-HERE */" },
        { "beyondram_monitor", "tests/guests/beyondram/beyondram.c",
          "/* CRASH-HERE monitor */" },
        { "gpfault", "tests/guests/gpfault/gpfault.c", "/* CRASH-HERE */" },
    };
    char paths[MAX_ARGS][PATH_MAX], want[128];
    const char *guest = "";
    size_t missing = 0;
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(lines); i++) {
        const struct crash_case *c = find_case(lines[i].name);
        const char *base = strrchr(lines[i].src, '/') + 1;
        snprintf(want, sizeof want, "(%s:%d)", base,
                 marker_line(lines[i].src, lines[i].marker));
        run_case(c, paths, &guest);
        CHECK(last.status == c->status, "%s: exit status %d, expected %d",
              c->name, last.status, c->status);
        if (!strstr(last.err, want)) {
            dump_last();
            print_error("%s: stderr lacks '%s'\n", c->name, want);
            missing++;
        }
    }
    if (missing)
        fail_msg("%zu of %zu crash reports lack their source line", missing,
                 ARRAY_LEN(lines));
}

/* ---- Generated line tables ------------------------------------------------ */

static char gen_path[PATH_MAX + 64], gen_dir[PATH_MAX];

static int teardown_generated(void **state)
{
    if (gen_path[0])
        unlink(gen_path);
    if (gen_dir[0])
        rmdir(gen_dir);
    gen_path[0] = gen_dir[0] = '\0';
    return teardown(state);
}

/* Writes the elfgen_with_lines guest of spec and runs it. */
static void run_generated(const struct elfgen_lines *spec)
{
    const char *base = getenv("TMPDIR");
    struct elfgen g;

    if (kvm_missing())
        skip();
    snprintf(gen_dir, sizeof gen_dir, "%s/kvmelf-lines-XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(gen_dir))
        fail_msg("mkdtemp: %s", strerror(errno));
    snprintf(gen_path, sizeof gen_path, "%s/%s.elf", gen_dir, spec->file);
    elfgen_with_lines(&g, spec);
    if (elfgen_write(&g, gen_path) != 0)
        fail_msg("%s: %s", gen_path, strerror(errno));
    elfgen_free(&g);
    last_argv[0] = kvmelf_bin;
    last_argv[1] = "run";
    last_argv[2] = gen_path;
    last_argv[3] = NULL;
    proc_result_free(&last);
    if (proc_run(last_argv, NULL, &last) < 0)
        fail_msg("cannot run %s: %s", kvmelf_bin, strerror(errno));
    CHECK(last.exited && !last.limit_hit, "kvmelf did not exit by itself");
    CHECK(last.status == 139, "exit status %d, expected 139 (SIGSEGV)",
          last.status);
}

/* 20,000 rows, the crash on row 12,002: its file:line, at the top and as
 * frame #0. */
static void test_line_table_rows(void **state)
{
    struct elfgen_lines spec = { .file = "rows.c", .nops = 12000,
                                 .rows = 20000 };
    char want[128];

    (void)state;
    run_generated(&spec);
    snprintf(want, sizeof want, "at _start+0x%x (rows.c:%d), RIP 0x%llx",
             12002, ELFGEN_LINE0 + 12002,
             (unsigned long long)ELFGEN_LINES_CRASH(12000));
    CHECK(strstr(last.err, want), "stderr lacks '%s'", want);
    snprintf(want, sizeof want, "#0 0x%llx _start+0x%x (rows.c:%d)\n",
             (unsigned long long)ELFGEN_LINES_CRASH(12000), 12002,
             ELFGEN_LINE0 + 12002);
    CHECK(strstr(last.err, want), "stderr lacks '%s'", want);
    CHECK(!strstr(last.err, "note:"), "stderr has a note");
}

/* A line program 1 MiB over the bound: the report names the function
 * from the symbol table and says, once, why the line is missing. */
static void test_line_table_over_bound(void **state)
{
    struct elfgen_lines spec = { .file = "huge.c", .nops = 16,
                                 .rows = DW_LINE_UNIT_MAX + (1u << 20) };
    char want[PATH_MAX + 320];

    (void)state;
    run_generated(&spec);
    CHECK(strstr(last.err, "at _start+0x12, RIP"), "stderr lacks the function");
    snprintf(want, sizeof want, "kvmelf: %s:   note: source lines skipped: "
             "the line table of unit huge.c is 17.0 MiB, more than the 16 MiB "
             "a crash report decodes\n", gen_path);
    CHECK(strstr(last.err, want), "stderr lacks '%s'", want);
    CHECK(proc_count(last.err, "note:") == 1, "the note is not there once");
    CHECK(!strstr(last.err, "(huge.c:"), "stderr has a line of huge.c");
}

/* ---- main ------------------------------------------------------------ */

int main(void)
{
    struct CMUnitTest tests[ARRAY_LEN(cases) + 3];
    size_t n = 0;

    kvmelf_bin = proc_need_env("KVMELF");
    tguests_dir = proc_need_env("KVMELF_TEST_GUESTS");
    kvm_probe();
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        tests[n++] = (struct CMUnitTest){
            .name = cases[i].name, .test_func = check_crash_case,
            .teardown_func = teardown, .initial_state = &cases[i] };
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(
        test_source_lines, teardown);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(
        test_line_table_rows, teardown_generated);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(
        test_line_table_over_bound, teardown_generated);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
