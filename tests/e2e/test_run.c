/*
 * Integration tests of `kvmelf run`: the real binary ($KVMELF) on the
 * sample guests ($KVMELF_GUESTS), the test guests ($KVMELF_TEST_GUESTS),
 * generated malformed ELF files and toolchain-built ones.  Every run checks
 * the exit status, stdout (exactly, where it is deterministic) and stderr,
 * and that kvmelf itself ended normally, not by a signal.
 *
 * Tests that need KVM skip, loudly, when /dev/kvm (or $KVMELF_KVM_DEVICE)
 * cannot be opened; the command-line and ELF checks run everywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/e2e.h"
#include "tests/support/elfgen.h"

#define ANY E2E_ANY       /* run_case.err_lines: any number of lines */
#define MAX_ARGS 8

/* ---- The table of plain runs ------------------------------------------ */

struct run_case {
    const char *name;
    const char *args[MAX_ARGS + 1]; /* after argv[0], NULL-ended;
                                     "G:x" is x in $KVMELF_GUESTS,
                                     "T:x" in $KVMELF_TEST_GUESTS */
    const char *input;            /* stdin bytes; NULL = /dev/null */
    const char *env;              /* one extra "NAME=VALUE" */
    int status;
    const char *out;              /* exact stdout; NULL: not checked */
    const char *out_has;          /* substring of stdout */
    const char *err_has[4];       /* substrings of stderr */
    const char *err_once;         /* occurs exactly once in stderr */
    int err_lines;                /* stderr line count (0: empty), or ANY */
    bool prefixed;                /* lines start "kvmelf: <guest>: " */
    bool no_kvm;                  /* runs without KVM */
};

#define HELLO "Hello, world!\n"

static struct run_case run_cases[] = {
    /* Sample guests. */
    { .name = "hello", .args = { "run", "G:hello.elf" }, .out = HELLO },
    { .name = "echo_args", .args = { "run", "G:echo.elf", "a", "b c", "d" },
      .out = "a b c d\n" },
    { .name = "echo_no_args", .args = { "run", "G:echo.elf" }, .out = "\n" },
    { .name = "echo_options_after_file",
      .args = { "run", "G:echo.elf", "--mem", "-h" }, .out = "--mem -h\n" },
    { .name = "sse", .args = { "run", "G:sse.elf" }, .out_has = "sse: ok\n" },
    { .name = "crash_null_read", .args = { "run", "G:crash.elf" },
      .status = 139, .out = "crash: about to dereference NULL\n",
      .err_has = { "page fault", "main+0x", "0x0 (CR2)", "NULL" },
      .err_lines = ANY, .prefixed = true },
    { .name = "crash_null_read_ring0",
      .args = { "run", "--ring0", "G:crash.elf" },
      .status = 139, .out = "crash: about to dereference NULL\n",
      .err_has = { "page fault", "in ring 0", "main+0x", "kernel mode" },
      .err_lines = ANY, .prefixed = true },
    { .name = "wx_segment_refused", .args = { "run", "T:wx.elf" },
      .status = 125, .err_has = { "writable and executable", "--allow-wx" },
      .err_lines = 1, .prefixed = true },
    { .name = "wx_segment_allowed", .args = { "run", "--allow-wx", "T:wx.elf" },
      .out = "" },
    { .name = "triple_fault_ring0",
      .args = { "run", "--ring0", "T:triplefault.elf" },
      .status = 139, .out = "triplefault: loading an empty IDT\n",
      .err_has = { "triple fault" }, .err_lines = ANY, .prefixed = true },
    { .name = "mmio_beyond_ram_ring0",
      .args = { "run", "--ring0", "T:mmio.elf" },
      .status = 135, .out = "mmio: reading guest-physical 0x4000000\n",
      .err_has = { "read of guest-physical address 0x4000000",
                   "beyond guest RAM" }, .err_lines = ANY, .prefixed = true },
    { .name = "crash_ud2", .args = { "run", "G:crash.elf", "ud2" },
      .status = 132, .out = "crash: about to execute ud2\n",
      .err_has = { "invalid opcode", "main+0x" }, .err_lines = ANY,
      .prefixed = true },
    { .name = "crash_div0", .args = { "run", "G:crash.elf", "div0" },
      .status = 136, .out = "crash: about to divide by zero\n",
      .err_has = { "divide error", "main+0x" }, .err_lines = ANY,
      .prefixed = true },
    { .name = "crash_write_null", .args = { "run", "G:crash.elf", "write-null" },
      .status = 139, .out = "crash: about to write to NULL\n",
      .err_has = { "page fault", "write to address 0x0" }, .err_lines = ANY,
      .prefixed = true },

    /* Test guests. */
    { .name = "external", .args = { "run", "T:external.elf" }, .status = 42,
      .out = "external: hello from an ELF linked elsewhere\n" },
    { .name = "bigmem_1g", .args = { "run", "--mem", "1G", "T:bigmem.elf" },
      .out = "bigmem: ram=1024 MiB ok\n" },
    { .name = "loop_timeout", .args = { "run", "--timeout", "2", "T:loop.elf" },
      .status = 124, .out = "loop: spinning\n", .err_has = { "timed out" },
      .err_lines = 1, .prefixed = true },
    { .name = "exitcode_77", .args = { "run", "T:exitcode.elf", "77" },
      .status = 77, .out = "exitcode: exiting with 77\n" },
    { .name = "exitcode_300", .args = { "run", "T:exitcode.elf", "300" },
      .status = 300 & 255, .out = "exitcode: exiting with 300\n" },
    { .name = "qemuexit_default", .args = { "run", "T:qemuexit.elf" },
      .status = (0x10 << 1) | 1, .out = "qemuexit: writing 0x10 to port 0xf4\n" },
    { .name = "qemuexit_0", .args = { "run", "T:qemuexit.elf", "0" },
      .status = 1, .out = "qemuexit: writing 0 to port 0xf4\n" },
    { .name = "debugcon", .args = { "run", "T:debugcon.elf" },
      .out = "debugcon: hi\n" },
    { .name = "halt", .args = { "run", "T:halt.elf" }, .out = "halt: bye\n" },
    { .name = "clisti", .args = { "run", "T:clisti.elf" }, .out = "clisti: ok\n" },
    { .name = "privileged_ring3", .args = { "run", "T:privileged.elf" },
      .status = 139, .out = "privileged: loading cr3\n",
      .err_has = { "privileged instruction", "--ring0" }, .err_lines = ANY,
      .prefixed = true },
    { .name = "privileged_ring0", .args = { "run", "--ring0", "T:privileged.elf" },
      .out = "privileged: loading cr3\nprivileged: cr3 reloaded\n" },
    { .name = "hello_ring0", .args = { "run", "--ring0", "G:hello.elf" },
      .out = HELLO },
    { .name = "repouts", .args = { "run", "T:repouts.elf" },
      .out = "repouts: string io works\n" },
    { .name = "unknownport_warns_once", .args = { "run", "T:unknownport.elf" },
      .out = "unknownport: 0xff\n", .err_once = "unknown port 0x80",
      .err_lines = 1, .prefixed = true },
    { .name = "unknownport_strict_io",
      .args = { "run", "--strict-io", "T:unknownport.elf" }, .status = 139,
      .out = "", .err_has = { "--strict-io", "unknown port 0x80" },
      .err_lines = ANY, .prefixed = true },
    { .name = "stdin_text", .args = { "run", "T:stdin.elf" },
      .input = "hello there", .out = "HELLO THERE\nstdin: 11 bytes\n" },
    { .name = "stdin_line", .args = { "run", "T:stdin.elf" },
      .input = "hello there\n", .out = "HELLO THERE\n\nstdin: 12 bytes\n" },
    { .name = "stdin_devnull", .args = { "run", "T:stdin.elf" },
      .out = "\nstdin: 0 bytes\n" },
    { .name = "avx", .args = { "run", "T:avx.elf" }, .out_has = "avx: ok\n" },
    { .name = "regs", .args = { "run", "--regs", "G:hello.elf" }, .out = HELLO,
      .err_has = { "rip 0x", "rflags", "rsp 0x" }, .err_lines = ANY },

    /* --mem */
    { .name = "mem_1g", .args = { "run", "--mem", "1G", "G:hello.elf" },
      .out = HELLO },
    { .name = "mem_2m_minimum", .args = { "run", "--mem", "2M", "G:hello.elf" },
      .out = HELLO },
    { .name = "mem_1m_too_small", .args = { "run", "--mem", "1M", "G:hello.elf" },
      .status = 125, .out = "", .err_has = { "out of range", "2 MiB" },
      .err_lines = 1, .no_kvm = true },
    { .name = "mem_65g_too_big", .args = { "run", "--mem", "65G", "G:hello.elf" },
      .status = 125, .out = "", .err_has = { "out of range", "64 GiB" },
      .err_lines = 1, .no_kvm = true },
    { .name = "mem_unknown_unit", .args = { "run", "--mem", "3X", "G:hello.elf" },
      .status = 125, .out = "", .err_has = { "'3X' has an unknown unit 'X'" },
      .err_lines = 1, .no_kvm = true },
    { .name = "mem_4097_bytes", .args = { "run", "--mem", "4097", "G:hello.elf" },
      .status = 125, .out = "", .err_has = { "--mem 4097", "out of range" },
      .err_lines = 1, .no_kvm = true },
    { .name = "mem_not_page_multiple",
      .args = { "run", "--mem", "2049K", "G:hello.elf" }, .status = 125,
      .out = "", .err_has = { "--mem 2049K is not a multiple of 4 KiB" },
      .err_lines = 1, .no_kvm = true },
    { .name = "mem_without_value", .args = { "run", "--mem" }, .status = 125,
      .out = "", .err_has = { "'--mem' needs a value" }, .err_lines = 1,
      .no_kvm = true },

    /* Command line. */
    /* A command line kvmelf cannot take: one line, with a hint. */
    { .name = "cli_no_args", .status = 125, .out = "",
      .err_has = { "no command given (usage: kvmelf run" }, .err_lines = 1,
      .no_kvm = true },
    { .name = "cli_unknown_command", .args = { "frobnicate" }, .status = 125,
      .out = "", .err_has = { "unknown command 'frobnicate' (the commands are "
                              "run and info; see kvmelf --help)" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_forgot_run", .args = { "G:hello.elf", "a b" },
      .status = 125, .out = "",
      .err_has = { "is not a command (did you mean: kvmelf run ",
                   "hello.elf 'a b'?)" }, .err_lines = 1, .no_kvm = true },
    { .name = "cli_dash_V", .args = { "-V" }, .status = 125, .out = "",
      .err_has = { "unknown option '-V' (did you mean --version?" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_top_bogus", .args = { "--bogus" }, .status = 125,
      .out = "", .err_has = { "kvmelf: unknown option '--bogus' (see kvmelf "
                              "--help)" }, .err_lines = 1, .no_kvm = true },
    { .name = "cli_misspelt_command", .args = { "rnu", "x" }, .status = 125,
      .out = "", .err_has = { "unknown command 'rnu' (did you mean 'run'?" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_run_option_first", .args = { "--mem", "1G", "x.elf" },
      .status = 125, .out = "",
      .err_has = { "'--mem' is an option of kvmelf run (did you mean: kvmelf "
                   "run --mem 1G x.elf?)" }, .err_lines = 1, .no_kvm = true },
    { .name = "cli_misspelt_option",
      .args = { "run", "--timout", "3", "x.elf" }, .status = 125, .out = "",
      .err_has = { "unknown option '--timout' (did you mean --timeout?" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_run_without_file", .args = { "run" }, .status = 125,
      .out = "", .err_has = { "no ELF file" }, .err_lines = 1, .no_kvm = true },
    { .name = "cli_unknown_option", .args = { "run", "--bogus", "G:hello.elf" },
      .status = 125, .out = "", .err_has = { "unknown option '--bogus'" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_help", .args = { "--help" }, .out_has = "Usage: kvmelf run",
      .no_kvm = true },
    { .name = "cli_run_help", .args = { "run", "--help" },
      .out_has = "Usage: kvmelf run", .no_kvm = true },
    { .name = "cli_version", .args = { "--version" }, .out_has = "kvmelf ",
      .no_kvm = true },
    { .name = "cli_missing_file", .args = { "run", "/nonexistent-kvmelf/x.elf" },
      .status = 125, .out = "",
      .err_has = { "kvmelf: /nonexistent-kvmelf/x.elf: ", "No such file" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_directory", .args = { "run", "G:." }, .status = 125,
      .out = "", .err_has = { "not a regular file" }, .err_lines = 1,
      .prefixed = true, .no_kvm = true },
    /* --timeout takes what timeout(1) takes; 0 is no limit. */
    { .name = "cli_timeout_0", .args = { "run", "--timeout", "0", "G:hello.elf" },
      .out = HELLO },
    { .name = "cli_timeout_units_s",
      .args = { "run", "--timeout", "30s", "G:hello.elf" }, .out = HELLO },
    { .name = "cli_timeout_units_m",
      .args = { "run", "--timeout", "2m", "G:hello.elf" }, .out = HELLO },
    { .name = "cli_timeout_units_h",
      .args = { "run", "--timeout", "1.5h", "G:hello.elf" }, .out = HELLO },
    { .name = "cli_timeout_units_d",
      .args = { "run", "--timeout", "1d", "G:hello.elf" }, .out = HELLO },
    { .name = "cli_timeout_abc",
      .args = { "run", "--timeout", "abc", "G:hello.elf" }, .status = 125,
      .out = "", .err_has = { "--timeout 'abc' is not a duration" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_timeout_negative",
      .args = { "run", "--timeout", "-1", "G:hello.elf" }, .status = 125,
      .out = "", .err_has = { "--timeout '-1' is not a duration" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_timeout_bad_unit",
      .args = { "run", "--timeout", "5x", "G:hello.elf" }, .status = 125,
      .out = "", .err_has = { "--timeout '5x'" }, .err_lines = 1,
      .no_kvm = true },
    { .name = "loop_timeout_unit", .args = { "run", "--timeout", "0.05m",
                                             "T:loop.elf" },
      .status = 124, .out = "loop: spinning\n",
      .err_has = { "timed out after 3 s (--timeout 0.05m)" }, .err_lines = 1,
      .prefixed = true },

    /* --dir HOST[:GUEST][:ro|:rw], --cwd and --tmp: each bad form is one
     * line naming the value and the form, before KVM. */
    { .name = "cli_dir_too_many_parts",
      .args = { "run", "--dir", "/tmp:/t:ro:x", "G:hello.elf" },
      .status = 125, .out = "",
      .err_has = { "kvmelf: --dir '/tmp:/t:ro:x' has more than 3 parts",
                   "--dir HOST[:GUEST][:ro|:rw]" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_dir_empty_host", .args = { "run", "--dir", ":/data",
                                              "G:hello.elf" },
      .status = 125, .out = "",
      .err_has = { "kvmelf: --dir ':/data': HOST is empty" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_dir_relative_guest",
      .args = { "run", "--dir", "/tmp:data", "G:hello.elf" }, .status = 125,
      .out = "", .err_has = { "--dir '/tmp:data': GUEST 'data' is not an "
                              "absolute path" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_dir_empty_guest",
      .args = { "run", "--dir", "/tmp::rw", "G:hello.elf" }, .status = 125,
      .out = "", .err_has = { "--dir '/tmp::rw': GUEST is empty",
                              "--dir /tmp:rw" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_dir_bad_mode",
      .args = { "run", "--dir", "/tmp:/t:rx", "G:hello.elf" }, .status = 125,
      .out = "", .err_has = { "--dir '/tmp:/t:rx': 'rx' is not a mode" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_dir_without_value", .args = { "run", "--dir" },
      .status = 125, .out = "", .err_has = { "'--dir' needs a value" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_cwd_relative",
      .args = { "run", "--cwd", "data", "G:hello.elf" }, .status = 125,
      .out = "", .err_has = { "--cwd 'data' is not an absolute path" },
      .err_lines = 1, .no_kvm = true },
    { .name = "cli_tmp_bad_size",
      .args = { "run", "--tmp", "1X", "G:hello.elf" }, .status = 125,
      .out = "", .err_has = { "--tmp: '1X' has an unknown unit" },
      .err_lines = 1, .no_kvm = true },
    /* The forms that are right: a guest that opens nothing runs as ever. */
    { .name = "cli_dir_forms",
      .args = { "run", "--dir", "G:.:ro", "--dir", "G:.:/g:rw", "--cwd",
                "/g", "G:hello.elf" }, .out = HELLO },
    { .name = "cli_dir_host_only",
      .args = { "run", "--dir", "G:.", "--tmp", "0", "G:hello.elf" },
      .out = HELLO },
    { .name = "cli_dir_missing_host",
      .args = { "run", "--dir", "/nonexistent-kvmelf-dir:/d", "G:hello.elf" },
      .status = 125, .out = "", .err_has = { "/nonexistent-kvmelf-dir" },
      .err_lines = 1 },

    /* FILE without a slash: the current directory, else PATH. */
    { .name = "cli_file_from_path", .args = { "run", "hello.elf" },
      .env = "PATH=G:", .out = HELLO },
    { .name = "cli_file_not_in_path", .args = { "run", "no-such-guest.elf" },
      .env = "PATH=G:", .status = 125, .out = "",
      .err_has = { "kvmelf: no-such-guest.elf: no such file in the current "
                   "directory, and no executable of that name in PATH" },
      .err_lines = 1, .no_kvm = true },

    /* A dynamically linked program says what it is, and the fix. */
    { .name = "cli_dynamic_bin_ls", .args = { "run", "/bin/ls" },
      .status = 125, .out = "",
      .err_has = { "dynamically linked: it needs the dynamic loader "
                   "/lib64/ld-linux-x86-64.so.2", "link with -static" },
      .err_lines = 1, .no_kvm = true },

    /* No KVM: the ELF is fine, the device is not there. */
    { .name = "no_kvm_device", .args = { "run", "G:hello.elf" },
      .env = "KVMELF_KVM_DEVICE=/nonexistent/kvm", .status = 126, .out = "",
      .err_has = { "/nonexistent/kvm" }, .err_lines = 1, .no_kvm = true },
    { .name = "kvm_device_dev_null", .args = { "run", "G:hello.elf" },
      .env = "KVMELF_KVM_DEVICE=/dev/null", .status = 126, .out = "",
      .err_has = { "/dev/null (named by KVMELF_KVM_DEVICE) is not a KVM "
                   "device" }, .err_lines = 1, .no_kvm = true },
    { .name = "kvm_device_regular_file", .args = { "run", "G:hello.elf" },
      .env = "KVMELF_KVM_DEVICE=G:hello.elf", .status = 126, .out = "",
      .err_has = { "is not a KVM device: it is not even a character "
                   "device" }, .err_lines = 1, .no_kvm = true },
};

static void check_stderr(const struct run_case *c, const char *file)
{
    for (size_t i = 0; i < E2E_LEN(c->err_has) && c->err_has[i]; i++)
        e2e_check_err_has(c->err_has[i]);
    if (c->err_once)
        e2e_check_err_once(c->err_once);
    e2e_check_err_lines(c->err_lines);
    if (c->prefixed)
        e2e_check_err_prefixed(file);
}

static void run_table_case(void **state)
{
    const struct run_case *c = *state;
    char env_buf[PATH_MAX + 64];
    const char *env[] = { c->env, NULL };
    const char *file = NULL;
    struct proc_opts o = { .input = c->input, .env = env, .stdout_fd = -1 };

    /* "NAME=G:x" names a guest path too. */
    const char *eq = c->env ? strchr(c->env, '=') : NULL;
    if (eq) {
        snprintf(env_buf, sizeof env_buf, "%.*s=%s", (int)(eq - c->env),
                 c->env, e2e_path(eq + 1));
        env[0] = env_buf;
    }

    if (!c->no_kvm)
        e2e_need_kvm();
    for (size_t i = 0; !file && i < MAX_ARGS && c->args[i]; i++) {
        const char *path = e2e_path(c->args[i]);
        if (path != c->args[i])
            file = path;            /* the guest: the first path */
    }
    o.input_len = c->input ? strlen(c->input) : 0;
    e2e_run(c->args, &o);
    e2e_check_status(c->status);
    if (c->out)
        e2e_check_out(c->out);
    if (c->out_has)
        e2e_check_out_has(c->out_has);
    check_stderr(c, file);
}

/* ---- Generated ELF files ----------------------------------------------- */

static void run_file(const char *path)
{
    e2e_run((const char *[]){ "run", path, NULL }, NULL);
}

/* kvmelf refuses path before KVM: 125, one "kvmelf: PATH: ..." line with
 * expect in it, nothing on stdout. */
static void check_rejected(const char *path, const char *expect)
{
    run_file(path);
    e2e_check_status(125);
    e2e_check_out("");
    e2e_check_err_lines(1);
    e2e_check_err_prefixed(path);
    e2e_check_err_has(expect);
}

/* The generator's valid image runs (exit port, status 0): so the bad cases
 * below fail because of what each breaks, not because of the base image. */
static void test_generated_valid_elf(void **state)
{
    struct elfgen g = { 0 };
    (void)state;

    e2e_need_kvm();
    elfgen_valid(&g);
    const char *dir = e2e_tmpdir("valid");
    const char *path = e2e_write_tmp(dir, "valid.elf", g.bytes, g.size);
    elfgen_free(&g);
    run_file(path);
    e2e_check_status(0);
    e2e_check_out("");
    e2e_check_err_lines(0);
}

static void check_bad_elf(const struct bad_elf_case *bc)
{
    struct elfgen g = { 0 };
    char name[128];

    bc->make(&g);
    const char *dir = e2e_tmpdir(bc->name);
    snprintf(name, sizeof name, "%s.elf", bc->name);
    const char *path = e2e_write_tmp(dir, name, g.bytes, g.size);
    elfgen_free(&g);
    check_rejected(path, bc->expect);
    e2e_cleanup_tmp();
}

static void test_bad_elf_files(void **state)
{
    (void)state;
    assert_true(bad_elf_case_count >= 48);
    for (size_t i = 0; i < bad_elf_case_count; i++)
        check_bad_elf(&bad_elf_cases[i]);
}

/* ---- Toolchain-built ELF files ------------------------------------------ */

static const char start_c[] =
    "void _start(void) { for (;;) __asm__ volatile(\"hlt\"); }\n";

/* gcc FLAGS... -o DIR/out.elf DIR/start.c; the output path, or NULL when
 * gcc cannot build it (missing, or no multilib for -m32). */
static const char *gcc_build(const char *tag, const char *flag1,
                             const char *flag2)
{
    const char *dir = e2e_tmpdir(tag);
    const char *src = e2e_write_tmp(dir, "start.c", start_c,
                                    sizeof start_c - 1);
    char buf[PATH_MAX];

    snprintf(buf, sizeof buf, "%s/out.elf", dir);
    const char *out = e2e_track_tmp(buf);
    const char *argv[] = { "gcc", flag1, flag2, "-nostdlib", "-ffreestanding",
                           "-o", out, src, NULL };
    struct proc_result r;

    if (proc_run(argv, NULL, &r) < 0)
        fail_msg("cannot run gcc: %s", strerror(errno));
    bool ok = r.exited && r.status == 0 && access(out, R_OK) == 0;
    if (!ok)
        fprintf(stderr, "gcc %s %s failed (status %d):\n%s", flag1, flag2,
                r.status, r.err);
    proc_result_free(&r);
    return ok ? out : NULL;
}

/* gcc_build, skipping without gcc and, unless it must, when gcc cannot
 * link (a -static-pie or -m32 that this host's toolchain lacks). */
static const char *gcc_built(const char *tag, const char *flag1,
                             const char *flag2, bool must)
{
    if (!proc_in_path("gcc"))
        e2e_skip("no gcc in PATH");
    const char *elf = gcc_build(tag, flag1, flag2);
    if (must)
        assert_non_null(elf);
    else if (!elf)
        e2e_skip("gcc %s %s cannot link here", flag1, flag2);
    return elf;
}

static void test_toolchain_pie(void **state)
{
    (void)state;
    check_rejected(gcc_built("pie", "-fPIE", "-pie", true),
                   "dynamically linked: it needs the dynamic loader");
    e2e_check_err_has("link with -static");
}

static void test_toolchain_static_pie(void **state)
{
    (void)state;
    check_rejected(gcc_built("spie", "-fPIE", "-static-pie", false),
                   "static-pie (ET_DYN with PT_DYNAMIC, no PT_INTERP)");
    e2e_check_err_has("link with -static -no-pie");
}

static void test_toolchain_elf32(void **state)
{
    (void)state;
    check_rejected(gcc_built("elf32", "-m32", "-static", false), "32-bit");
}

/* ---- Output closed, signals ---------------------------------------------- */

/* stdout is a pipe nobody reads: kvmelf ends with 141 (128 + SIGPIPE),
 * quietly, but by exit() - it must not die of the SIGPIPE itself. */
static void test_stdout_closed(void **state)
{
    int fds[2];
    (void)state;

    e2e_need_kvm();
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    close(fds[0]);
    struct proc_opts o = { .stdout_fd = fds[1] };
    e2e_run((const char *[]){ "run", "G:hello.elf", NULL }, &o);
    close(fds[1]);
    e2e_check_status(128 + SIGPIPE);
    e2e_check_err_lines(0);
}

/* loop.elf without --timeout, signalled once it runs: 128 + sig, and the
 * signal named on stderr.  The guest's line must arrive while it still
 * runs, through a pipe as through a terminal (loop.elf flushes it). */
static void stop_loop_with(int sig, bool tty)
{
    struct proc_opts o = { .stdout_fd = -1, .stdout_tty = tty };
    struct proc p;

    e2e_need_kvm();
    e2e_start(&p, (const char *[]){ "run", "T:loop.elf", NULL }, &o);
    bool running = proc_wait_output(&p, "loop: spinning\n");
    kill(p.pid, running ? sig : SIGKILL);
    e2e_finish(&p);
    E2E_ASSERT(running, "the guest never printed 'loop: spinning'");
    e2e_check_status(128 + sig);
    e2e_check_out("loop: spinning\n");
    e2e_check_err_lines(1);
    e2e_check_err_prefixed("T:loop.elf");
    e2e_check_err_has(strsignal(sig));
}

static void test_sigterm(void **state)
{
    (void)state;
    stop_loop_with(SIGTERM, false);
}

static void test_sigint(void **state)
{
    (void)state;
    stop_loop_with(SIGINT, true);
}

/* ---- main ------------------------------------------------------------ */

static const struct CMUnitTest special_tests[] = {
    cmocka_unit_test_teardown(test_generated_valid_elf, e2e_teardown),
    cmocka_unit_test_teardown(test_bad_elf_files, e2e_teardown),
    cmocka_unit_test_teardown(test_toolchain_pie, e2e_teardown),
    cmocka_unit_test_teardown(test_toolchain_static_pie, e2e_teardown),
    cmocka_unit_test_teardown(test_toolchain_elf32, e2e_teardown),
    cmocka_unit_test_teardown(test_stdout_closed, e2e_teardown),
    cmocka_unit_test_teardown(test_sigterm, e2e_teardown),
    cmocka_unit_test_teardown(test_sigint, e2e_teardown),
};

int main(void)
{
    e2e_init(E2E_RUNS_GUESTS);
    return E2E_RUN_TESTS(run_cases, run_table_case, special_tests);
}
