/*
 * Hostile guests and the monitor's own confinement (issue 6), end to end:
 * the seccomp filter is on and refuses what it must (and --no-sandbox
 * turns it off), the fds and limits a running kvmelf has, --max-output,
 * a blocked and a closed stdout, signals, and guests that misbehave
 * (tests/guests/flood, tests/guests/misbehave).  Every run checks the exit
 * status, stdout and stderr.  Everything runs a guest: skips without KVM.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tests/support/e2e.h"

#define ANY E2E_ANY
#define MAX_ARGS 8
#define FLOOD_LINE_LEN 19          /* "flood: line 000001\n" */
#define SMALL_PIPE 4096            /* fills after a few lines */

/* e2e_start for a child that writes into a pipe of the test's: fd, the
 * test's copy of the end the child writes, is closed at once (so that
 * the pipe ends with the child), before a failure to start fails. */
static void start_closing(struct proc *p, const char *const *args,
                          const struct proc_opts *o, int fd)
{
    int rc = proc_start(p, e2e_cmd(args), o);

    close(fd);
    if (rc < 0)
        fail_msg("cannot run kvmelf: %s", strerror(errno));
}

/* The first n bytes flood would write (freed by the teardown). */
static const char *flood_text(size_t lines, size_t n)
{
    char *buf = e2e_owned(calloc(1, lines * FLOOD_LINE_LEN + 1));

    for (size_t i = 0; i < lines; i++)
        snprintf(buf + i * FLOOD_LINE_LEN, FLOOD_LINE_LEN + 1,
                 "flood: line %06zu\n", i + 1);
    if (n < lines * FLOOD_LINE_LEN)
        buf[n] = '\0';
    return buf;
}

/* ---- The seccomp filter ------------------------------------------------- */

/* The probe makes one call no allowlist has (getppid) after the filter is
 * in place: kvmelf must die of SIGSYS, with one line naming the call,
 * before the guest ran. */
static void test_sandbox_refuses(void **state)
{
    const char *args[] = { "run", "G:hello.elf", NULL };
    const char *env[] = { "KVMELF_TEST_SANDBOX_PROBE=1", NULL };
    struct proc_opts o = { .env = env, .stdout_fd = -1 };
    (void)state;

    e2e_need_sandbox();
    e2e_expect_signal(SIGSYS);
    e2e_run(args, &o);
    e2e_check_out("");
    e2e_check_err_lines(1);
    e2e_check_err_has("kvmelf: internal error: the sandbox refused system "
                      "call ");
    e2e_check_err_has("(getppid)");
}

/* The same probe with --no-sandbox is just a call: the guest runs. */
static void test_no_sandbox_allows(void **state)
{
    const char *args[] = { "run", "--no-sandbox", "G:hello.elf", NULL };
    const char *env[] = { "KVMELF_TEST_SANDBOX_PROBE=1", NULL };
    struct proc_opts o = { .env = env, .stdout_fd = -1 };
    (void)state;

    e2e_need_kvm();
    e2e_run(args, &o);
    e2e_check_status(0);
    e2e_check_out("Hello, world!\n");
    e2e_check_err_lines(0);
}

/* ---- What a running kvmelf holds ----------------------------------------- */

static bool read_small(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;

    if (f)
        fclose(f);
    buf[n] = '\0';
    return f != NULL;
}

/* Checks /proc/PID while loop.elf spins: fds 0-2, the VM and the vCPU
 * and the private /tmp only (the fds 5 and 7 it inherited are closed,
 * /dev/kvm too; the VM fd stays for the Linux personality's TLB flush),
 * all close-on-exec,
 * seccomp filter mode, no core file limit. */
static void check_running_process(pid_t pid, bool sandboxed)
{
    char path[64], target[256], text[4096];
    int others = 0, tmp_fds = 0;

    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)); ) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd <= 2)
            continue;
        snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
        assert_true(read_small(path, text, sizeof text));
        unsigned long flags = 0;
        const char *f = strstr(text, "flags:");
        assert_non_null(f);
        flags = strtoul(f + 6, NULL, 8);
        /* The private /tmp: the root of a tmpfs attached nowhere, which
         * the process holds as an O_PATH fd (linux/grants.c). */
        bool tmp = strcmp(target, "/") == 0 && (flags & O_PATH);
        if (strcmp(target, "anon_inode:kvm-vcpu:0") != 0 &&
            strcmp(target, "anon_inode:kvm-vm") != 0 && !(tmp && !tmp_fds++))
            fail_msg("fd %d (%s) is open while the guest runs", fd, target);
        if (!(flags & O_CLOEXEC))
            fail_msg("fd %d (%s) is not close-on-exec", fd, target);
        others++;
    }
    closedir(d);
    assert_int_equal(others, 2 + tmp_fds);   /* the VM, the vCPU, /tmp */
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    assert_true(read_small(path, text, sizeof text));
    if (!strstr(text, sandboxed ? "\nSeccomp:\t2\n" : "\nSeccomp:\t0\n"))
        fail_msg("seccomp %s expected in /proc/%d/status",
                 sandboxed ? "filter mode" : "off", (int)pid);
    snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
    assert_true(read_small(path, text, sizeof text));
    const char *core = strstr(text, "Max core file size");
    assert_non_null(core);
    if (strncmp(core + strcspn(core, "0123456789u"), "0 ", 2) != 0)
        fail_msg("core dumps are not off: %.60s", core);
}

static void fds_and_limits_while_running(bool sandboxed)
{
    /* --timeout: a failed check below longjmps out of the test before the
     * SIGTERM, and the spinning guest must not outlive the suite. */
    const char *with[] = { "run", "--timeout", "60", "T:loop.elf", NULL };
    const char *without[] = { "run", "--timeout", "60", "--no-sandbox",
                              "T:loop.elf", NULL };
    const char *const *args = sandboxed ? with : without;
    struct proc_opts o = { .stdout_fd = -1 };
    struct proc p;

    e2e_need_sandbox();
    /* Two fds the test "leaks" to its child, not close-on-exec. */
    int null_fd = open("/dev/null", O_RDONLY);
    assert_true(null_fd >= 0);
    assert_int_equal(dup2(null_fd, 5), 5);
    assert_int_equal(dup2(null_fd, 7), 7);
    close(null_fd);
    int rc = proc_start(&p, e2e_cmd(args), &o);
    close(5);
    close(7);
    if (rc < 0)
        fail_msg("cannot run kvmelf: %s", strerror(errno));
    bool running = proc_wait_output(&p, "loop: spinning\n");
    /* kvmelf is not dumpable, so only root may look into /proc/PID/fd. */
    char fd_dir[64];
    snprintf(fd_dir, sizeof fd_dir, "/proc/%d/fd", (int)p.pid);
    bool readable = access(fd_dir, R_OK | X_OK) == 0;
    if (running && readable)
        check_running_process(p.pid, sandboxed);
    kill(p.pid, running ? SIGTERM : SIGKILL);
    e2e_finish(&p);
    E2E_ASSERT(running, "the guest never printed 'loop: spinning'");
    e2e_check_status(128 + SIGTERM);
    e2e_check_out("loop: spinning\n");
    e2e_check_err_lines(1);
    if (!readable)
        e2e_skip("/proc/PID/fd of a non-dumpable process needs root");
}

static void test_fds_and_limits_while_running(void **state)
{
    (void)state;
    fds_and_limits_while_running(true);
}

/* --no-sandbox drops the filter only: fds and limits are the same. */
static void test_fds_and_limits_no_sandbox(void **state)
{
    (void)state;
    fds_and_limits_while_running(false);
}

/* ---- Output: cap, flood, blocked and closed stdout ----------------------- */

/* --max-output 1000: exactly the first 1000 bytes, status 153, one line
 * naming the cap. */
static void test_max_output_reached(void **state)
{
    const char *args[] = { "run", "--max-output", "1000", "T:flood.elf", NULL };
    struct proc_opts o = { .stdout_fd = -1 };
    (void)state;

    e2e_need_kvm();
    e2e_run(args, &o);
    const char *want = flood_text(100, 1000);
    e2e_check_status(128 + SIGXFSZ);
    e2e_check_out(want);
    e2e_check_err_lines(1);
    e2e_check_err_has("wrote more than 1000 bytes (--max-output)");
}

/* A cap the guest stays under changes nothing, even at the exact size. */
static void test_max_output_not_reached(void **state)
{
    const char *args[] = { "run", "--max-output", "1900", "T:flood.elf", "100",
                           NULL };
    struct proc_opts o = { .stdout_fd = -1 };
    (void)state;

    e2e_need_kvm();
    e2e_run(args, &o);
    const char *want = flood_text(100, SIZE_MAX);
    e2e_check_status(0);
    e2e_check_out(want);
    e2e_check_err_lines(0);
}

static void test_max_output_invalid(void **state)
{
    const char *args[] = { "run", "--max-output", "0", "T:flood.elf", NULL };
    (void)state;

    e2e_run(args, NULL);
    e2e_check_status(125);
    e2e_check_out("");
    e2e_check_err_lines(1);
    e2e_check_err_has("--max-output '0' must be at least 1 byte");
}

/* More than the monitor's 64 KiB output buffer, all of it in order. */
static void test_flood_keeps_everything(void **state)
{
    const char *args[] = { "run", "T:flood.elf", "4000", NULL };
    struct proc_opts o = { .stdout_fd = -1 };
    (void)state;

    e2e_need_kvm();
    e2e_run(args, &o);
    const char *want = flood_text(4000, SIZE_MAX);
    e2e_check_status(0);
    e2e_check_out(want);
    e2e_check_err_lines(0);
}

/* stdout is a small pipe nobody reads: kvmelf blocks in write(2), and
 * still --timeout (or a signal) ends it with its usual status and line. */
static void blocked_stdout(const char *const *args, int sig, int status,
                           const char *err_has)
{
    int fds[2];
    struct proc p;

    e2e_need_kvm();
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    (void)fcntl(fds[1], F_SETPIPE_SZ, SMALL_PIPE);
    struct proc_opts o = { .stdout_fd = fds[1] };
    start_closing(&p, args, &o, fds[1]);
    /* Signal it once the pipe is (nearly) full, i.e. kvmelf is blocked or
     * about to block in write(2). */
    bool full = !sig || proc_wait_queued(&p, fds[0],
                                         SMALL_PIPE - FLOOD_LINE_LEN);
    if (sig)
        kill(p.pid, full ? sig : SIGKILL);
    e2e_finish(&p);
    close(fds[0]);
    E2E_ASSERT(full, "the pipe never filled");
    e2e_check_status(status);
    e2e_check_err_lines(1);
    e2e_check_err_has(err_has);
}

static void test_blocked_stdout_timeout(void **state)
{
    const char *args[] = { "run", "--timeout", "1", "T:flood.elf", NULL };
    (void)state;
    blocked_stdout(args, 0, 124, "timed out after 1 s");
}

/* 2>&1 into the same stuck pipe: the line after the timeout cannot be
 * written either, and still kvmelf ends (within the flush and report
 * graces) with the timeout's status. */
static void test_blocked_stdout_and_stderr_timeout(void **state)
{
    const char *args[] = { "run", "--timeout", "1", "T:flood.elf", NULL };
    int fds[2];
    struct proc p;

    (void)state;
    e2e_need_kvm();
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    (void)fcntl(fds[1], F_SETPIPE_SZ, SMALL_PIPE);
    struct proc_opts o = { .stdout_fd = fds[1], .stderr_to_stdout = true,
                           .limit_sec = 20 };
    start_closing(&p, args, &o, fds[1]);
    e2e_finish(&p);
    close(fds[0]);
    e2e_check_status(124);
}

static void test_blocked_stdout_sigint(void **state)
{
    const char *args[] = { "run", "T:flood.elf", NULL };
    (void)state;
    blocked_stdout(args, SIGINT, 128 + SIGINT, strsignal(SIGINT));
}

/* `kvmelf run flood.elf | head -1`: the reader takes one line and goes;
 * kvmelf ends quietly with 141, by exit, not killed by SIGPIPE. */
static void test_closed_stdout_head(void **state)
{
    const char *args[] = { "run", "T:flood.elf", NULL };
    struct proc p;
    int fds[2];
    char line[64];
    size_t n = 0;
    (void)state;

    e2e_need_kvm();
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    struct proc_opts o = { .stdout_fd = fds[1] };
    start_closing(&p, args, &o, fds[1]);
    while (n < sizeof line - 1 && read(fds[0], line + n, 1) == 1)
        if (line[n++] == '\n')
            break;
    line[n] = '\0';
    close(fds[0]);
    e2e_finish(&p);
    assert_string_equal(line, "flood: line 000001\n");
    e2e_check_status(128 + SIGPIPE);
    e2e_check_err_lines(0);
}

/* ---- Signals after the end, a closed stderr -------------------------------- */

/* A pipe whose buffer is already full: the child's first write blocks.
 * fds[1] is left blocking (the child shares its file status flags). */
static void full_pipe(int fds[2])
{
    char junk[SMALL_PIPE];

    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    (void)fcntl(fds[1], F_SETPIPE_SZ, SMALL_PIPE);
    memset(junk, '#', sizeof junk);
    assert_int_equal(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
    while (write(fds[1], junk, sizeof junk) > 0)
        ;
    assert_int_equal(fcntl(fds[1], F_SETFL, 0), 0);
}

/* The guest has crashed and kvmelf is blocked writing the report to a
 * stderr that is full; sig lands now.  The crash's status and the whole
 * report stand (they were lost when the run loop restored the default
 * dispositions before the report). */
static void late_signal(int sig)
{
    const char *args[] = { "run", "--regs", "G:crash.elf", NULL };
    struct proc p;
    int fds[2];
    bool readable;
    size_t len;

    e2e_need_kvm();
    full_pipe(fds);
    struct proc_opts o = { .stdout_fd = -1, .stderr_fd = fds[1] };
    start_closing(&p, args, &o, fds[1]);
    bool blocked = proc_wait_blocked_write(&p, STDERR_FILENO, &readable);
    if (blocked)
        kill(p.pid, sig);
    char *err = proc_read_all(&p, fds[0], &len);
    e2e_finish(&p);
    e2e_replace_err(err, len);      /* the dump shows it */
    if (!blocked && !readable)
        e2e_skip("/proc/PID/syscall of a non-dumpable process needs root");
    E2E_ASSERT(blocked, "kvmelf never blocked writing to its stderr");
    e2e_check_status(139);
    e2e_check_err_has("guest crashed: page fault");
    e2e_check_err_has("hint: NULL pointer dereference");
    e2e_check_err_has("rip 0x");     /* --regs, after the report */
}

static void test_sigint_after_the_end(void **state)
{
    (void)state;
    late_signal(SIGINT);
}

static void test_sigterm_after_the_end(void **state)
{
    (void)state;
    late_signal(SIGTERM);
}

/* stderr is a pipe whose reader is gone: kvmelf loses its messages but
 * never its status (SIGPIPE used to kill it: 141). */
struct closed_stderr_case {
    const char *name;
    const char *args[MAX_ARGS];
    int status;
};

static const struct closed_stderr_case closed_stderr_cases[] = {
    { "crash_report", { "run", "G:crash.elf" }, 139 },
    { "regs", { "run", "--regs", "G:hello.elf" }, 0 },
    { "guest_signal", { "run", "T:abort.musl" }, 134 },
    { "bad_elf", { "run", "T:../../kvmelf" }, 125 },   /* static-pie */
    { "usage", { "run" }, 125 },
};

static void test_closed_stderr(void **state)
{
    (void)state;
    e2e_need_kvm();
    for (size_t i = 0; i < E2E_LEN(closed_stderr_cases); i++) {
        const struct closed_stderr_case *c = &closed_stderr_cases[i];
        int fds[2];

        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        close(fds[0]);
        struct proc_opts o = { .stdout_fd = -1, .stderr_fd = fds[1] };
        e2e_run(c->args, &o);
        close(fds[1]);
        E2E_CHECK(e2e_last()->status == c->status, "%s: status %d, "
                  "expected %d", c->name, e2e_last()->status, c->status);
    }
}

/* ---- Misbehaving guests --------------------------------------------------- */

struct bad_guest {
    const char *name;
    const char *args[MAX_ARGS];
    int status;
    const char *out;
    const char *err_has[3];
    int err_lines;
};

#define MB "T:misbehave.elf"
static const struct bad_guest bad_guests[] = {
    { "uart_2_byte_write", { "run", MB, "uart16" }, 3,
      "misbehave: uart16\nmisbehave: survived\n",
      { "guest: 2-byte write to the UART at port 0x3f8" }, 1 },
    { "uart_2_byte_write_strict", { "run", "--strict-io", MB, "uart16" }, 139,
      "misbehave: uart16\n",
      { "guest crashed: 2-byte write to the UART at port 0x3f8 (--strict-io)" },
      ANY },
    /* docs/abi.md: a bad access size reads all ones, as an unknown port
     * does (the UART's used to read 0). */
    { "uart_wide_reads", { "run", MB, "uartin" }, 3,
      "misbehave: uartin\nmisbehave: inw 0xffff inl 0xffffffff\n"
      "misbehave: survived\n",
      { "guest: 2-byte read from the UART at port 0x3f8",
        "guest: 4-byte read from the UART at port 0x3fd" }, 2 },
    { "exit_port_1_byte", { "run", MB, "exit8" }, 3,
      "misbehave: exit8\nmisbehave: survived\n",
      { "guest: 1-byte write to the exit port 0x500" }, 1 },
    { "exit_port_1_byte_strict", { "run", "--strict-io", MB, "exit8" }, 139,
      "misbehave: exit8\n",
      { "guest crashed: 1-byte write to the exit port 0x500 (--strict-io)" },
      ANY },
    { "jump_beyond_ram", { "run", MB, "jump" }, 139, "misbehave: jump\n",
      { "instruction fetch from address 0x4001000 (CR2)",
        "address beyond guest RAM" }, ANY },
    /* Regression (AFL++): symbolizing a crash inside a big function made
     * libdw qsort its line table, and glibc's qsort calls sysinfo.  The
     * function is vprintf's engine, kvmelf_vformat. */
    { "crash_in_vprintf_symbolized", { "run", MB, "string" }, 139,
      "misbehave: string\n", { "at kvmelf_vformat+0x", "(format.c:" }, ANY },
    { "cr3_beyond_ram_ring0", { "run", "--ring0", MB, "cr3" }, 139,
      "misbehave: cr3\n", { "guest crashed: triple fault" }, ANY },
    { "gdt_beyond_ram_ring0", { "run", "--ring0", MB, "gdt" }, 139,
      "misbehave: gdt\n", { "guest crashed: triple fault" }, ANY },
};

static void run_bad_guest(void **state)
{
    const struct bad_guest *c = *state;
    struct proc_opts o = { .stdout_fd = -1 };

    e2e_need_kvm();
    e2e_run(c->args, &o);
    e2e_check_status(c->status);
    e2e_check_out(c->out);
    for (size_t i = 0; i < E2E_LEN(c->err_has) && c->err_has[i]; i++)
        e2e_check_err_has(c->err_has[i]);
    e2e_check_err_lines(c->err_lines);
    e2e_check_err_has("kvmelf: ");
    e2e_check_err_lacks("internal error");
}

/* `int $0x80` from ring 3 meets a gate with DPL 0.  Hardware KVM (VMX,
 * SVM) gives #GP with error code 0x80 * 8 + 2, which kvmelf reports as
 * SIGSEGV (139); kvm_pvm, which runs ring 3 natively and delivers its
 * events itself, gives #UD (132).  docs/abi.md, section 8, says so. */
static bool host_is_kvm_pvm(void)
{
    return access("/sys/module/kvm_pvm", F_OK) == 0 &&
           access("/sys/module/kvm_intel", F_OK) != 0 &&
           access("/sys/module/kvm_amd", F_OK) != 0;
}

static void test_int80_from_ring3(void **state)
{
    const char *args[] = { "run", MB, "int80", NULL };
    struct proc_opts o = { .stdout_fd = -1 };
    bool pvm = host_is_kvm_pvm();
    (void)state;

    e2e_need_kvm();
    e2e_run(args, &o);
    e2e_check_out("misbehave: int80\n");
    if (pvm) {
        e2e_check_status(132);
        e2e_check_err_has("guest crashed: invalid opcode in ring 3 "
                          "(vector 6)");
    } else {
        e2e_check_status(139);
        e2e_check_err_has("general protection");
        e2e_check_err_has("error code 0x402");
    }
}

/* ---- main ------------------------------------------------------------- */

static const struct CMUnitTest special_tests[] = {
    cmocka_unit_test_teardown(test_sandbox_refuses, e2e_teardown),
    cmocka_unit_test_teardown(test_no_sandbox_allows, e2e_teardown),
    cmocka_unit_test_teardown(test_fds_and_limits_while_running, e2e_teardown),
    cmocka_unit_test_teardown(test_fds_and_limits_no_sandbox, e2e_teardown),
    cmocka_unit_test_teardown(test_max_output_reached, e2e_teardown),
    cmocka_unit_test_teardown(test_max_output_not_reached, e2e_teardown),
    cmocka_unit_test_teardown(test_max_output_invalid, e2e_teardown),
    cmocka_unit_test_teardown(test_flood_keeps_everything, e2e_teardown),
    cmocka_unit_test_teardown(test_blocked_stdout_timeout, e2e_teardown),
    cmocka_unit_test_teardown(test_blocked_stdout_and_stderr_timeout,
                              e2e_teardown),
    cmocka_unit_test_teardown(test_blocked_stdout_sigint, e2e_teardown),
    cmocka_unit_test_teardown(test_closed_stdout_head, e2e_teardown),
    cmocka_unit_test_teardown(test_sigint_after_the_end, e2e_teardown),
    cmocka_unit_test_teardown(test_sigterm_after_the_end, e2e_teardown),
    cmocka_unit_test_teardown(test_closed_stderr, e2e_teardown),
    cmocka_unit_test_teardown(test_int80_from_ring3, e2e_teardown),
};

static struct CMUnitTest tests[E2E_LEN(special_tests) + E2E_LEN(bad_guests)];

int main(void)
{
    size_t n = 0;

    e2e_init(E2E_RUNS_GUESTS);
    for (size_t i = 0; i < E2E_LEN(special_tests); i++)
        tests[n++] = special_tests[i];
    E2E_ADD_CASES(tests, n, bad_guests, run_bad_guest);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
