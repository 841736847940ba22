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
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/dwarf.h"
#include "tests/support/e2e.h"
#include "tests/support/elfgen.h"

#define MAX_ARGS 6
#define THIS_FILE "tests/e2e/test_crash.c"

struct crash_case {
    const char *name;
    const char *args[MAX_ARGS];   /* after "run"; "T:x" is x in
                                     $KVMELF_TEST_GUESTS (the guest) */
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

/* Runs `kvmelf run ARGS`: the guest ("T:x") is the last argument that
 * names one; returns its path. */
static const char *run_case(const struct crash_case *c)
{
    const char *args[MAX_ARGS + 2] = { "run" };
    const char *guest = "";

    e2e_need_kvm();
    for (size_t i = 0; i < MAX_ARGS && c->args[i]; i++) {
        args[i + 1] = c->args[i];
        if (e2e_path(c->args[i]) != c->args[i])
            guest = e2e_path(c->args[i]);
    }
    e2e_run(args, NULL);
    return guest;
}

/* Some hosts (kvm_pvm) emulate ring-0 code, and KVM's emulator has no
 * INT3/INT n in long mode: that is the host's limit, not the guest's. */
static void skip_if_host_cannot_emulate(const struct crash_case *c)
{
    const struct proc_result *r = e2e_last();

    if (c->status != 132 && r->status == 132 &&
        strstr(r->err, "KVM could not emulate"))
        e2e_skip("%s: this host's KVM cannot emulate the guest's ring-0 "
                 "code: %.*s", c->name, (int)strcspn(r->err, "\n"), r->err);
}

static void check_crash_case(void **state)
{
    const struct crash_case *c = *state;
    const char *guest = run_case(c);

    skip_if_host_cannot_emulate(c);
    e2e_check_status(c->status);
    e2e_check_out(c->out);
    if (c->status < 128)
        e2e_check_err("");
    else
        e2e_check_err_starts(e2e_guest_line(guest, "guest crashed: "));
    for (size_t i = 0; i < E2E_LEN(c->err_has) && c->err_has[i]; i++)
        e2e_check_err_has(c->err_has[i]);
    if (c->err_lacks)
        e2e_check_err_lacks(c->err_lacks);
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
    for (size_t i = 0; i < E2E_LEN(cases); i++)
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
    char want[128];
    size_t missing = 0;
    (void)state;

    for (size_t i = 0; i < E2E_LEN(lines); i++) {
        const struct crash_case *c = find_case(lines[i].name);
        const char *base = strrchr(lines[i].src, '/') + 1;
        snprintf(want, sizeof want, "(%s:%d)", base,
                 marker_line(lines[i].src, lines[i].marker));
        run_case(c);
        E2E_CHECK(e2e_last()->status == c->status, "%s: exit status %d, "
                  "expected %d", c->name, e2e_last()->status, c->status);
        if (!strstr(e2e_last()->err, want)) {
            e2e_dump();
            print_error("%s: stderr lacks '%s'\n", c->name, want);
            missing++;
        }
    }
    if (missing)
        fail_msg("%zu of %zu crash reports lack their source line", missing,
                 E2E_LEN(lines));
}

/* ---- Generated line tables ------------------------------------------------ */

/* Writes the elfgen_with_lines guest of spec and runs it; its path. */
static const char *run_generated(const struct elfgen_lines *spec)
{
    struct elfgen g;
    char name[PATH_MAX];

    e2e_need_kvm();
    const char *dir = e2e_tmpdir("lines");
    snprintf(name, sizeof name, "%s.elf", spec->file);
    elfgen_with_lines(&g, spec);
    const char *path = e2e_write_tmp(dir, name, g.bytes, g.size);
    elfgen_free(&g);
    e2e_run((const char *[]){ "run", path, NULL }, NULL);
    e2e_check_status(139);          /* SIGSEGV */
    return path;
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
    e2e_check_err_has(want);
    snprintf(want, sizeof want, "#0 0x%llx _start+0x%x (rows.c:%d)\n",
             (unsigned long long)ELFGEN_LINES_CRASH(12000), 12002,
             ELFGEN_LINE0 + 12002);
    e2e_check_err_has(want);
    e2e_check_err_lacks("note:");
}

/* A line program 1 MiB over the bound: the report names the function
 * from the symbol table and says, once, why the line is missing. */
static void test_line_table_over_bound(void **state)
{
    struct elfgen_lines spec = { .file = "huge.c", .nops = 16,
                                 .rows = DW_LINE_UNIT_MAX + (1u << 20) };

    (void)state;
    const char *path = run_generated(&spec);
    e2e_check_err_has("at _start+0x12, RIP");
    e2e_check_err_has(e2e_guest_line(path, "  note: source lines skipped: "
                                     "the line table of unit huge.c is 17.0 "
                                     "MiB, more than the 16 MiB a crash "
                                     "report decodes\n"));
    e2e_check_err_once("note:");
    e2e_check_err_lacks("(huge.c:");
}

/* ---- main ------------------------------------------------------------ */

int main(void)
{
    static const struct CMUnitTest more[] = {
        cmocka_unit_test_teardown(test_source_lines, e2e_teardown),
        cmocka_unit_test_teardown(test_line_table_rows, e2e_teardown),
        cmocka_unit_test_teardown(test_line_table_over_bound, e2e_teardown),
    };

    e2e_init(E2E_RUNS_GUESTS);
    return E2E_RUN_TESTS(cases, check_crash_case, more);
}
