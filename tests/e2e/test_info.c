/*
 * Integration tests of `kvmelf info`: the real binary ($KVMELF) on sample
 * and test guests and on generated ELF files with known layouts.  None of
 * them needs KVM: info must never open it, and every test runs with
 * KVMELF_KVM_DEVICE pointing nowhere to prove it.
 *
 * Table rows are compared with runs of spaces collapsed, so the checks do
 * not depend on column widths; the expected rows follow from the ABI's
 * addresses (include/kvmelf/abi.h) and the generated files' layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "tests/support/e2e.h"
#include "tests/support/elfgen.h"

#define NO_KVM "KVMELF_KVM_DEVICE=/nonexistent/kvm"

static char *last_flat;             /* stdout with spaces collapsed */

static int teardown(void **state)
{
    free(last_flat);
    last_flat = NULL;
    return e2e_teardown(state);
}

/* Runs of spaces -> one space, so rows compare independent of widths. */
static char *collapse_spaces(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;

    assert_non_null(out);
    for (; *s; s++)
        if (*s != ' ' || o == out || o[-1] != ' ')
            *o++ = *s;
    *o = '\0';
    return out;
}

static void flatten_last(void)
{
    free(last_flat);
    last_flat = collapse_spaces(e2e_last()->out);
}

/* kvmelf ARGS... with KVM out of reach; must end by exit(). */
static void run_kvmelf(const char *const *args)
{
    const char *env[] = { NO_KVM, NULL };
    struct proc_opts o = { .env = env, .stdout_fd = -1 };

    e2e_run(args, &o);
    flatten_last();
}

/* Each row is a whole line of the collapsed output (after the indent). */
static void check_rows(const char *const *rows)
{
    char line[512];

    for (size_t i = 0; rows[i]; i++) {
        snprintf(line, sizeof line, "\n %s\n", rows[i]);
        E2E_CHECK(strstr(last_flat, line), "no row '%s'", rows[i]);
    }
}

/* needle (single spaces) in stdout with runs of spaces collapsed. */
static void check_has(const char *needle)
{
    E2E_CHECK(strstr(last_flat, needle), "stdout lacks '%s'", needle);
}

/* An image of the generator in a fresh directory; its path. */
static const char *write_elf(const struct elfgen *g)
{
    return e2e_write_tmp(e2e_tmpdir("info"), "three.elf", g->bytes, g->size);
}

/* The generator's valid image (3 segments at fixed addresses). */
static const char *write_generated(void)
{
    struct elfgen g = { 0 };

    elfgen_valid(&g);
    const char *path = write_elf(&g);
    elfgen_free(&g);
    return path;
}

/* ---- The monitor's rows: the same for every guest (abi.h) ---------------- */

static const char *const monitor_rows[] = {
    "0x0 0x1000 4 KiB --- not mapped null page",
    "0x1000 0x6000 20 KiB rw- ring0 4K x 5 GDT, IDT, TSS",
    "0x6000 0x8000 8 KiB r-x ring0 4K x 2 exception stubs",
    "0x8000 0xf000 28 KiB rw- ring0 4K x 7 ring-0 stacks",
    "0xf000 0x10000 4 KiB r-x user 4K x 1 syscall entry",
    "0x80000 0x81000 4 KiB r-- user 4K x 1 boot info",
    "0x81000 0x100000 508 KiB --- not mapped unused",
    NULL,
};

static void test_hello(void **state)
{
    (void)state;

    run_kvmelf((const char *[]){ "info", "G:hello.elf", NULL });
    e2e_check_status(0);
    e2e_check_err("");
    check_rows(monitor_rows);
    check_rows((const char *[]){
        "0x37ff000 0x3800000 4 KiB --- not mapped stack guard page",
        "0x3800000 0x4000000 8 MiB rw- user 2M x 4 stack, grows down "
        "from 0x4000000",
        NULL });
    check_has("\nStack: 8 MiB from 0x3800000 to 0x4000000, guard page below "
              "it; arguments and environment may take 2 MiB\n (Linux's "
              "default RLIMIT_STACK)\n");
    /* hello.elf is linked with kvmelf.ld: text, rodata, data. */
    check_has("3 loadable segments, entry point 0x100000 _start+0x0");
    /* The text and data segments' sizes follow the runtime (its printf,
     * its 64 KiB stdout buffer in .bss): any number of 4 KiB pages. */
    const char *text_row = strstr(last_flat, " PT_LOAD 0\n");
    const char *data_row = strstr(last_flat, " PT_LOAD 2\n");
    E2E_CHECK(text_row && text_row - last_flat > 20 &&
              strstr(text_row - 20, " r-x user 4K x ") &&
              strstr(text_row - 20, " r-x user 4K x ") < text_row &&
              strstr(last_flat, " r-- user 4K x 1 PT_LOAD 1\n") && data_row &&
              data_row - last_flat > 20 &&
              strstr(data_row - 20, " rw- user 4K x ") &&
              strstr(data_row - 20, " rw- user 4K x ") < data_row,
              "the three segments' rows are missing");
    check_has("heap: brk up from 0x");
    check_has("mmap down from 0x37ff000");
}

/* A Linux program built by kvmelf-cc (musl, linked at 0x400000): the gap
 * below it is mapped like the heap, its four segments keep their rights.
 * make check builds the examples into $KVMELF_EXAMPLES. */
static void test_musl_program(void **state)
{
    const char *dir = getenv("KVMELF_EXAMPLES");
    char path[PATH_MAX];
    (void)state;

    snprintf(path, sizeof path, "%s/wc.elf", dir ? dir : "");
    if (!dir || access(path, R_OK) != 0)
        e2e_skip("no kvmelf-cc build of wc ($KVMELF_EXAMPLES/wc.elf; make "
                 "check builds it)");
    run_kvmelf((const char *[]){ "info", path, NULL });
    e2e_check_status(0);
    check_rows(monitor_rows);
    check_has("4 loadable segments, entry point 0x");
    check_has(" _start+0x0");
    check_has("0x100000 0x400000 3 MiB rw- user 2M x 1, 4K x 256 unused, "
              "mapped like the heap\n");
    check_has(" r-- user 4K x 1 PT_LOAD 0\n");
    check_has(" r-x user 4K x ");
    check_has(" PT_LOAD 1\n");
    check_has(" rw- user 4K x ");
    check_has(" PT_LOAD 3\n");
    check_has("heap: brk up from 0x");
}

/* ELFGEN_* layout: text 0x100000 (4 KiB, r-x), rodata 0x101000 (r--),
 * data+bss 0x102000-0x104000 (rw-); heap from 0x104000 to the guard page
 * at 64 MiB - 8 MiB - 4 KiB = 0x37ff000.  Heap pages: 4 KiB ones up to
 * 0x200000 (252) and from 0x3600000 to 0x37ff000 (511), 2 MiB ones
 * between (26). */
static void test_generated_three_segments(void **state)
{
    (void)state;

    run_kvmelf((const char *[]){ "info", write_generated(), NULL });
    e2e_check_status(0);
    check_rows(monitor_rows);
    check_rows((const char *[]){
        "0 0x100000 0x100008 8 bytes 8 bytes r-x",
        "1 0x101000 0x101010 16 bytes 16 bytes r--",
        "2 0x102000 0x104000 8 KiB 16 bytes rw-",
        "0x100000 0x101000 4 KiB r-x user 4K x 1 PT_LOAD 0",
        "0x101000 0x102000 4 KiB r-- user 4K x 1 PT_LOAD 1",
        "0x102000 0x104000 8 KiB rw- user 4K x 2 PT_LOAD 2",
        "0x104000 0x37ff000 56300 KiB rw- user 2M x 26, 4K x 763 heap: brk "
        "up from 0x104000, mmap down from 0x37ff000",
        NULL });
    check_has("entry point 0x100000 _start+0x0\n");
    /* The picture: the program zoom is one character per page. */
    check_has("Picture (");
    check_has(" 100000 |XRWW| 104000 (4 KiB each)\n");
    check_has(" 0 |");
    check_has("| 4000000 (1 MiB each)\n");
}

/* A smaller RAM moves the stack, its guard and the heap's end. */
static void test_mem_moves_stack_and_heap(void **state)
{
    (void)state;

    const char *elf = write_generated();
    run_kvmelf((const char *[]){ "info", "--mem", "2M", elf, NULL });
    e2e_check_status(0);
    check_rows((const char *[]){
        "0x104000 0x1bf000 748 KiB rw- user 4K x 187 heap: brk up from "
        "0x104000, mmap down from 0x1bf000",
        "0x1bf000 0x1c0000 4 KiB --- not mapped stack guard page",
        "0x1c0000 0x200000 256 KiB rw- user 4K x 64 stack, grows down "
        "from 0x200000",
        NULL });
    check_has("Guest RAM: 2 MiB;");
    check_has("\nStack: 256 KiB from 0x1c0000 to 0x200000, guard page below "
              "it; arguments and environment may take 128 KiB\n (RAM / 8: "
              "Linux's 8 MiB stack needs --mem 64M or more, or --stack)\n");
    e2e_check_out_lacks("2M x");            /* no 2 MiB pages in 2 MiB */

    /* `kvmelf info FILE --mem SIZE` says the same. */
    const char *before = e2e_owned(strdup(e2e_last()->out));
    run_kvmelf((const char *[]){ "info", elf, "--mem", "2M", NULL });
    e2e_check_status(0);
    E2E_CHECK(strcmp(before, e2e_last()->out) == 0, "--mem after FILE "
              "changed the map");
}

/* 4 GiB: [1 GiB, 3 GiB) is heap only, so 1 GiB pages fit there; whether
 * this host has them or not, info shows both counts. */
static void test_one_gib_pages(void **state)
{
    (void)state;

    run_kvmelf((const char *[]){ "info", "--mem", "4G", "G:hello.elf",
                                 NULL });
    e2e_check_status(0);
    check_has("1G x 2, 2M x ");
    check_has("\n1 GiB pages: ");
    check_rows((const char *[]){
        "0xff800000 0x100000000 8 MiB rw- user 2M x 4 stack, grows down "
        "from 0x100000000",
        NULL });
}

/* --stack sets the stack, and info says so; one that cannot fit is
 * refused with both sizes named. */
static void test_stack_option(void **state)
{
    (void)state;

    run_kvmelf((const char *[]){ "info", "--stack", "1M", "G:hello.elf",
                                 NULL });
    e2e_check_status(0);
    check_rows((const char *[]){
        "0x3eff000 0x3f00000 4 KiB --- not mapped stack guard page",
        "0x3f00000 0x4000000 1 MiB rw- user 4K x 256 stack, grows down "
        "from 0x4000000",
        NULL });
    check_has("may take 256 KiB\n (set by --stack)\n");
    run_kvmelf((const char *[]){ "info", "--mem", "4M", "--stack", "4M",
                                 "G:hello.elf", NULL });
    e2e_check_status(125);
    e2e_check_err_has("guest RAM of 4 MiB cannot hold the monitor's area, a "
                      "stack of 4 MiB and a program (a smaller --stack, or "
                      "more --mem)");
    run_kvmelf((const char *[]){ "info", "--stack", "10000", "G:hello.elf",
                                 NULL });
    e2e_check_status(125);
    e2e_check_err_has("--stack 10000 must be a multiple of 4 KiB");
}

/* A gap before the first segment is mapped like the heap but named. */
static void test_external_gap(void **state)
{
    (void)state;

    run_kvmelf((const char *[]){ "info", "T:external.elf", NULL });
    e2e_check_status(0);
    check_rows((const char *[]){
        "0x100000 0x400000 3 MiB rw- user 2M x 1, 4K x 256 unused, mapped "
        "like the heap",
        "0x400000 0x401000 4 KiB r-x user 4K x 1 PT_LOAD 0",
        NULL });
    check_has("2 loadable segments");
}

/* W+X: refused like run, shown with --allow-wx. */
static void test_wx(void **state)
{
    const char *wx = "T:wx.elf";
    (void)state;

    run_kvmelf((const char *[]){ "run", wx, NULL });
    const char *run_err = e2e_owned(strdup(e2e_last()->err));
    int run_status = e2e_last()->status;
    run_kvmelf((const char *[]){ "info", wx, NULL });
    E2E_CHECK(strcmp(e2e_last()->err, run_err) == 0 &&
              e2e_last()->status == run_status, "info and run differ on "
              "wx.elf: run said (%d) %s", run_status, run_err);
    e2e_check_status(125);
    e2e_check_out("");
    run_kvmelf((const char *[]){ "info", "--allow-wx", wx, NULL });
    e2e_check_status(0);
    E2E_CHECK(strstr(last_flat, " rwx user "), "no rwx row");
    check_has("!");
}

/* info's message and status equal run's, for every malformed file.  run
 * refuses them all before KVM, so KVM's absence does not matter. */
static void test_bad_files_like_run(void **state)
{
    (void)state;

    for (size_t i = 0; i < bad_elf_case_count; i++) {
        const struct bad_elf_case *bc = &bad_elf_cases[i];
        struct elfgen g = { 0 };

        bc->make(&g);
        const char *path = write_elf(&g);
        elfgen_free(&g);

        run_kvmelf((const char *[]){ "run", path, NULL });
        const char *run_err = e2e_owned(strdup(e2e_last()->err));
        run_kvmelf((const char *[]){ "info", path, NULL });
        e2e_check_status(125);
        E2E_CHECK(strcmp(e2e_last()->err, run_err) == 0, "%s: info said "
                  "'%s', run '%s'", bc->name, e2e_last()->err, run_err);
        E2E_CHECK(strstr(e2e_last()->err, bc->expect) &&
                  proc_lines(e2e_last()->err) == 1 &&
                  e2e_last()->out_len == 0,
                  "%s: not one line with '%s'", bc->name, bc->expect);
        e2e_cleanup_tmp();
    }
}

struct cli_case {
    const char *args[5];
    int status;
    const char *out_has, *err_has;
};

static const struct cli_case cli_cases[] = {
    { { "info", "/nonexistent-kvmelf/x.elf" }, 125, NULL,
      "kvmelf: /nonexistent-kvmelf/x.elf: cannot open" },
    { { "info" }, 125, NULL, "info: no ELF file given" },
    { { "info", "a.elf", "b.elf" }, 125, NULL, "one FILE only, but 'b.elf'" },
    { { "info", "--timeout", "1", "a.elf" }, 125, NULL,
      "'--timeout' is an option of kvmelf run, not of kvmelf info (see "
      "kvmelf info --help)" },
    { { "info", "--memm", "1M", "a.elf" }, 125, NULL,
      "unknown option '--memm' (did you mean --mem? see kvmelf info --help)" },
    { { "info", "--mem", "3X", "a.elf" }, 125, NULL, "unknown unit 'X'" },
    { { "info", "--mem", "1M", "a.elf" }, 125, NULL, "out of range" },
    { { "info", "--help" }, 0, "Usage: kvmelf info [OPTIONS] FILE [OPTIONS]",
      NULL },
    { { "--help" }, 0, "kvmelf info FILE [--mem SIZE] [--stack SIZE] "
      "[--allow-wx]", NULL },
};

static void test_command_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < E2E_LEN(cli_cases); i++) {
        const struct cli_case *c = &cli_cases[i];
        run_kvmelf(c->args);
        e2e_check_status(c->status);
        if (c->out_has)
            check_has(c->out_has);
        if (c->err_has)
            E2E_CHECK(strstr(e2e_last()->err, c->err_has) &&
                      proc_lines(e2e_last()->err) == 1, "case %zu: stderr is "
                      "not one line with '%s'", i, c->err_has);
    }
}

/* The missing file's message is run's too. */
static void test_missing_file_like_run(void **state)
{
    const char *file = "/nonexistent-kvmelf/x.elf";
    (void)state;

    run_kvmelf((const char *[]){ "run", file, NULL });
    const char *run_err = e2e_owned(strdup(e2e_last()->err));
    run_kvmelf((const char *[]){ "info", file, NULL });
    E2E_CHECK(strcmp(e2e_last()->err, run_err) == 0, "run said '%s'",
              run_err);
    e2e_check_status(125);
    e2e_check_err_has("No such file");
}

/* ---- The guest's files ------------------------------------------------------ */

/* Each grant with its rights, /tmp with its cap (or why there is none),
 * and what would confine the run on this kernel. */
static void test_files(void **state)
{
    const char *ro = e2e_tmpdir("info-ro"), *rw = e2e_tmpdir("info-rw");
    char ro_arg[PATH_MAX], rw_arg[PATH_MAX], line[PATH_MAX + 64];
    /* What kvmelf will find: under valgrind, which does not know the
     * Landlock calls, none. */
    const char *vg = getenv("KVMELF_UNDER_VALGRIND");
    int abi = vg && *vg ? 0 : sandbox_landlock_abi();
    (void)state;

    snprintf(ro_arg, sizeof ro_arg, "%s:/data", ro);
    snprintf(rw_arg, sizeof rw_arg, "%s:/out:rw", rw);
    run_kvmelf((const char *[]){ "info", "G:hello.elf", "--dir", ro_arg,
                                 "--dir", rw_arg, "--tmp", "1M", NULL });
    e2e_check_status(0);
    check_has("\nFiles (what the guest sees of the host):\n");
    snprintf(line, sizeof line, "\n %s -> /data (read-only)\n", ro);
    check_has(line);
    snprintf(line, sizeof line, "\n %s -> /out (read-write)\n", rw);
    check_has(line);
    if (strstr(last_flat, "\n /tmp: private")) {
        check_has("\n /tmp: private, in memory, at most 1 MiB (--tmp)");
        e2e_check_err("");
    } else {
        check_has("\n /tmp: none: ");      /* and why, also on stderr */
        e2e_check_err_lines(1);
    }
    if (abi > 0) {
        snprintf(line, sizeof line, "\n confinement: seccomp filter and "
                 "Landlock (ABI %d): kvmelf opens files only beneath the ",
                 abi);
        check_has(line);
    } else {
        check_has("\n confinement: seccomp filter; no Landlock on this "
                  "kernel");
    }

    run_kvmelf((const char *[]){ "info", "G:hello.elf", "--tmp", "0", NULL });
    e2e_check_status(0);
    e2e_check_err("");
    check_has("\n no host directory granted (--dir)\n /tmp: none (--tmp "
              "0)\n");
}

/* A --dir run would refuse: 125, one line naming it. */
static void test_bad_dir(void **state)
{
    (void)state;

    run_kvmelf((const char *[]){ "info", "G:hello.elf", "--dir",
                                 "/nonexistent-kvmelf-dir:/d", NULL });
    e2e_check_status(125);
    e2e_check_out("");
    e2e_check_err_lines(1);
    e2e_check_err_has("/nonexistent-kvmelf-dir");
    run_kvmelf((const char *[]){ "info", "G:hello.elf", "--dir", "/tmp:d",
                                 NULL });
    e2e_check_status(125);
    e2e_check_err_has("kvmelf: --dir '/tmp:d': GUEST 'd' is not an absolute "
                      "path");
}

/* A full disk is an error, not a silent success. */
static void test_stdout_full(void **state)
{
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    (void)state;

    if (fd < 0)
        e2e_skip("no /dev/full: %s", strerror(errno));
    struct proc_opts o = { .stdout_fd = fd };
    e2e_run((const char *[]){ "info", "G:hello.elf", NULL }, &o);
    close(fd);
    e2e_check_status(125);
    e2e_check_err_has("cannot write the memory map to stdout");
    e2e_check_err_lines(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_hello, teardown),
        cmocka_unit_test_teardown(test_musl_program, teardown),
        cmocka_unit_test_teardown(test_generated_three_segments, teardown),
        cmocka_unit_test_teardown(test_mem_moves_stack_and_heap, teardown),
        cmocka_unit_test_teardown(test_stack_option, teardown),
        cmocka_unit_test_teardown(test_one_gib_pages, teardown),
        cmocka_unit_test_teardown(test_external_gap, teardown),
        cmocka_unit_test_teardown(test_wx, teardown),
        cmocka_unit_test_teardown(test_bad_files_like_run, teardown),
        cmocka_unit_test_teardown(test_command_line, teardown),
        cmocka_unit_test_teardown(test_missing_file_like_run, teardown),
        cmocka_unit_test_teardown(test_stdout_full, teardown),
        cmocka_unit_test_teardown(test_files, teardown),
        cmocka_unit_test_teardown(test_bad_dir, teardown),
    };

    e2e_init(E2E_NO_GUESTS);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
