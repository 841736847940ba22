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
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/elfgen.h"
#include "tests/support/proc.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NO_KVM "KVMELF_KVM_DEVICE=/nonexistent/kvm"
#define MAX_ARGV 8

static const char *kvmelf_bin, *guests_dir, *tguests_dir;
static struct proc_result last;
static char *last_flat;             /* last.out with spaces collapsed */
static char tmp_dir[PATH_MAX], tmp_file[PATH_MAX + 16];

static void free_last(void)
{
    proc_result_free(&last);
    free(last_flat);
    last_flat = NULL;
}

static int teardown(void **state)
{
    (void)state;
    free_last();
    if (tmp_file[0])
        remove(tmp_file);
    if (tmp_dir[0])
        remove(tmp_dir);
    tmp_file[0] = tmp_dir[0] = '\0';
    return 0;
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

static void dump_last(void)
{
    print_error("status %d\n--- stdout:\n%s\n--- stderr:\n%s\n---\n",
                last.status, last.out, last.err);
}

#define CHECK(cond, ...) do {                                    \
        if (!(cond)) {                                           \
            dump_last();                                         \
            fail_msg(__VA_ARGS__);                               \
        }                                                        \
    } while (0)

/* kvmelf ARGS... with KVM out of reach; must end by exit(). */
static void run_kvmelf(const char *const *args)
{
    const char *argv[MAX_ARGV + 2] = { kvmelf_bin };
    const char *env[] = { NO_KVM, NULL };
    struct proc_opts o = { .env = env, .stdout_fd = -1 };

    for (size_t i = 0; args[i]; i++) {
        assert_true(i < MAX_ARGV);
        argv[i + 1] = args[i];
    }
    free_last();
    if (proc_run(argv, &o, &last) < 0)
        fail_msg("cannot run %s: %s", kvmelf_bin, strerror(errno));
    CHECK(last.exited && !last.limit_hit, "kvmelf did not exit normally");
    last_flat = collapse_spaces(last.out);
}

static void check_status(int status)
{
    CHECK(last.status == status, "exit status %d, expected %d", last.status,
          status);
}

/* Each row is a whole line of the collapsed output (after the indent). */
static void check_rows(const char *const *rows)
{
    char line[512];

    for (size_t i = 0; rows[i]; i++) {
        snprintf(line, sizeof line, "\n %s\n", rows[i]);
        CHECK(strstr(last_flat, line), "no row '%s'", rows[i]);
    }
}

/* needle (single spaces) in stdout with runs of spaces collapsed. */
static void check_has(const char *needle)
{
    CHECK(strstr(last_flat, needle), "stdout lacks '%s'", needle);
}

static const char *guest(const char *dir, const char *name, char *buf)
{
    snprintf(buf, PATH_MAX, "%s/%s", dir, name);
    return buf;
}

/* The generator's valid image (3 segments at fixed addresses). */
static const char *write_generated(void)
{
    struct elfgen g = { 0 };
    const char *base = getenv("TMPDIR");

    snprintf(tmp_dir, sizeof tmp_dir, "%s/kvmelf-info-XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir))
        fail_msg("mkdtemp: %s", strerror(errno));
    snprintf(tmp_file, sizeof tmp_file, "%s/three.elf", tmp_dir);
    elfgen_valid(&g);
    FILE *f = fopen(tmp_file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(g.bytes, 1, g.size, f), g.size);
    assert_int_equal(fclose(f), 0);
    elfgen_free(&g);
    return tmp_file;
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
    char path[PATH_MAX];
    (void)state;

    run_kvmelf((const char *[]){ "info", guest(guests_dir, "hello.elf", path),
                                 NULL });
    check_status(0);
    CHECK(last.err_len == 0, "stderr is not empty");
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
    CHECK(text_row && text_row - last_flat > 20 &&
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
    if (!dir || access(path, R_OK) != 0) {
        fprintf(stderr, "SKIPPED: no kvmelf-cc build of wc "
                "($KVMELF_EXAMPLES/wc.elf; make check builds it)\n");
        skip();
    }
    run_kvmelf((const char *[]){ "info", path, NULL });
    check_status(0);
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
    check_status(0);
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
    check_status(0);
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
    CHECK(!strstr(last.out, "2M x"), "2 MiB pages in 2 MiB of RAM");

    /* `kvmelf info FILE --mem SIZE` says the same. */
    char *before = strdup(last.out);
    CHECK(before, "out of memory");
    free_last();
    run_kvmelf((const char *[]){ "info", elf, "--mem", "2M", NULL });
    check_status(0);
    CHECK(strcmp(before, last.out) == 0, "--mem after FILE changed the map");
    free(before);
}

/* 4 GiB: [1 GiB, 3 GiB) is heap only, so 1 GiB pages fit there; whether
 * this host has them or not, info shows both counts. */
static void test_one_gib_pages(void **state)
{
    char path[PATH_MAX];
    (void)state;

    run_kvmelf((const char *[]){ "info", "--mem", "4G",
                                 guest(guests_dir, "hello.elf", path), NULL });
    check_status(0);
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
    char path[PATH_MAX];
    (void)state;

    run_kvmelf((const char *[]){ "info", "--stack", "1M",
                                 guest(guests_dir, "hello.elf", path), NULL });
    check_status(0);
    check_rows((const char *[]){
        "0x3eff000 0x3f00000 4 KiB --- not mapped stack guard page",
        "0x3f00000 0x4000000 1 MiB rw- user 4K x 256 stack, grows down "
        "from 0x4000000",
        NULL });
    check_has("may take 256 KiB\n (set by --stack)\n");
    run_kvmelf((const char *[]){ "info", "--mem", "4M", "--stack", "4M",
                                 path, NULL });
    check_status(125);
    CHECK(strstr(last.err, "guest RAM of 4 MiB cannot hold the monitor's "
                           "area, a stack of 4 MiB and a program (a smaller "
                           "--stack, or more --mem)"), "no layout error");
    run_kvmelf((const char *[]){ "info", "--stack", "10000", path, NULL });
    check_status(125);
    CHECK(strstr(last.err, "--stack 10000 must be a multiple of 4 KiB"),
          "no --stack error");
}

/* A gap before the first segment is mapped like the heap but named. */
static void test_external_gap(void **state)
{
    char path[PATH_MAX];
    (void)state;

    run_kvmelf((const char *[]){ "info", guest(tguests_dir, "external.elf",
                                               path), NULL });
    check_status(0);
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
    char path[PATH_MAX];
    const char *wx = guest(tguests_dir, "wx.elf", path);
    (void)state;

    run_kvmelf((const char *[]){ "run", wx, NULL });
    char *run_err = strdup(last.err);
    int run_status = last.status;
    run_kvmelf((const char *[]){ "info", wx, NULL });
    CHECK(strcmp(last.err, run_err) == 0 && last.status == run_status,
          "info and run differ on wx.elf: run said (%d) %s", run_status,
          run_err);
    free(run_err);
    check_status(125);
    CHECK(last.out_len == 0, "stdout is not empty");
    run_kvmelf((const char *[]){ "info", "--allow-wx", wx, NULL });
    check_status(0);
    CHECK(strstr(last_flat, " rwx user "), "no rwx row");
    check_has("!");
}

/* info's message and status equal run's, for every malformed file.  run
 * refuses them all before KVM, so KVM's absence does not matter. */
static void test_bad_files_like_run(void **state)
{
    char path[PATH_MAX], *run_err;
    (void)state;

    for (size_t i = 0; i < bad_elf_case_count; i++) {
        struct elfgen g = { 0 };
        bad_elf_cases[i].make(&g);
        snprintf(path, sizeof path, "%s", write_generated());
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(g.bytes, 1, g.size, f), g.size);
        assert_int_equal(fclose(f), 0);
        elfgen_free(&g);

        run_kvmelf((const char *[]){ "run", path, NULL });
        run_err = strdup(last.err);
        run_kvmelf((const char *[]){ "info", path, NULL });
        check_status(125);
        CHECK(strcmp(last.err, run_err) == 0, "%s: info said '%s', run '%s'",
              bad_elf_cases[i].name, last.err, run_err);
        CHECK(strstr(last.err, bad_elf_cases[i].expect) &&
              proc_lines(last.err) == 1 && last.out_len == 0,
              "%s: not one line with '%s'", bad_elf_cases[i].name,
              bad_elf_cases[i].expect);
        free(run_err);
        teardown(NULL);
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
    { { "info", "--help" }, 0, "Usage: kvmelf info [OPTIONS] FILE [OPTIONS]", NULL },
    { { "--help" }, 0, "kvmelf info FILE [--mem SIZE] [--stack SIZE] "
      "[--allow-wx]", NULL },
};

static void test_command_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cli_cases); i++) {
        const struct cli_case *c = &cli_cases[i];
        run_kvmelf(c->args);
        check_status(c->status);
        if (c->out_has)
            check_has(c->out_has);
        if (c->err_has)
            CHECK(strstr(last.err, c->err_has) && proc_lines(last.err) == 1,
                  "case %zu: stderr is not one line with '%s'", i, c->err_has);
    }
}

/* The missing file's message is run's too. */
static void test_missing_file_like_run(void **state)
{
    const char *file = "/nonexistent-kvmelf/x.elf";
    (void)state;

    run_kvmelf((const char *[]){ "run", file, NULL });
    char *run_err = strdup(last.err);
    run_kvmelf((const char *[]){ "info", file, NULL });
    CHECK(strcmp(last.err, run_err) == 0, "run said '%s'", run_err);
    free(run_err);
    check_status(125);
    CHECK(strstr(last.err, "No such file"), "no 'No such file'");
}

/* A full disk is an error, not a silent success. */
static void test_stdout_full(void **state)
{
    char path[PATH_MAX];
    const char *argv[] = { kvmelf_bin, "info",
                           guest(guests_dir, "hello.elf", path), NULL };
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    (void)state;

    if (fd < 0) {
        fprintf(stderr, "SKIPPED: no /dev/full: %s\n", strerror(errno));
        skip();
    }
    struct proc_opts o = { .stdout_fd = fd };
    free_last();
    int rc = proc_run(argv, &o, &last);
    close(fd);
    assert_int_equal(rc, 0);
    last_flat = collapse_spaces(last.out);
    CHECK(last.exited, "kvmelf did not exit normally");
    check_status(125);
    CHECK(strstr(last.err, "cannot write the memory map to stdout") &&
          proc_lines(last.err) == 1, "no one-line write error");
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
    };

    kvmelf_bin = proc_need_env("KVMELF");
    guests_dir = proc_need_env("KVMELF_GUESTS");
    tguests_dir = proc_need_env("KVMELF_TEST_GUESTS");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
