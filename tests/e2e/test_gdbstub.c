/*
 * kvmelf's gdb stub (`run --gdb-socket PATH`, `--gdb PORT`) driven by a
 * real gdb: Debian's gdb in batch mode with a command file
 * (tests/support/gdb_session.h), against tests/guests/gdbdemo (a
 * freestanding guest) and tests/linux/gdbmusl.c (a musl program), both
 * built -O0 -g.  Each test checks the lines gdb prints and how kvmelf
 * ended: its status, its stdout (what the guest printed, after gdb may
 * have changed its variables) and its stderr (the one "waiting for gdb"
 * line, or a crash report).  Expectations name functions, variables and
 * the text of lines, never line numbers or addresses.
 *
 * Software breakpoints and watchpoints only: on kvm_pvm the debug
 * registers do not fire for ring-3 code, so the watch test says `set
 * can-use-hw-watchpoints 0` and gdb single-steps.  Also a client that is
 * not gdb (malformed packets, a bad checksum, a huge packet, then a
 * disconnect) and the options' errors.  Skipped, loudly, without KVM,
 * without gdb, or while kvmelf has no stub (`run --help` does not mention
 * --gdb-socket).
 */
#include <errno.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/gdb_session.h"

#define DEMO "T:gdbdemo.elf"
#define MUSL "T:gdbmusl.musl"
#define DEMO_C "tests/guests/gdbdemo/gdbdemo\\.c"
#define MUSL_C "tests/linux/gdbmusl\\.c"
#define HEX "0x[0-9a-f]+"
/* A source line as next/step print it: its number, a tab, the text. */
#define SRC(text) "^[0-9]+\t" text "$"

/* What the demo prints when gdb changed nothing. */
#define DEMO_OUT "outer 130 add 7 counter 30 answer 42\n" \
                 "table 1111 2222 3333 4444\n"

/* kvmelf's status after gdb's `kill`: that of a native program killed by
 * SIGKILL, 128 + 9. */
#define KILLED_STATUS 137

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* gdb's stderr and stdout are merged; kvmelf wrote the waiting line and
 * nothing else. */
static void check_quiet_kvmelf(const struct gdb_session *s)
{
    e2e_check_err(gdb_waiting_line(s));
}

/* The guest ran to its end with status 0 and printed out; gdb saw it
 * exit and kvmelf said nothing but where it waited. */
static void check_ran_to_end(const struct gdb_session *s, const char *out)
{
    gdb_check_line(s, GDB_INFERIOR " exited normally\\]$");
    e2e_check_status(0);
    e2e_check_out(out);
    check_quiet_kvmelf(s);
}

/* ---- Attaching: the first instruction ----------------------------------- */

/* gdb attaches before the guest's first instruction, at the ELF entry
 * (crt0's _start); stepi, and registers read and written, general and
 * SSE. */
static void test_stopped_at_entry(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, NULL);
    gdb_session_gdb(s,
        "info registers rip\n"
        "info symbol $pc\n"
        "stepi\n"
        "info symbol $pc\n"
        "p $rbp\n"
        "p/x (long)$rsp & 0xf\n"
        "set var $rax = 0x1234\n"
        "p/x $rax\n"
        "set var $xmm1.v2_int64[0] = 0x1122334455667788\n"
        "set var $xmm1.v2_int64[1] = 0x99\n"
        "p/x $xmm1.v2_int64\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^rip +" HEX " +" HEX " <_start>$");
    gdb_check_line(s, "^_start in section \\.text");
    gdb_check_line(s, "^_start \\+ 2 in section \\.text");  /* xor %ebp */
    gdb_check_line(s, "^\\$1 = \\(void \\*\\) 0x0$");
    gdb_check_line(s, "^\\$2 = 0x0$");          /* the ABI's aligned stack */
    gdb_check_line(s, "^\\$3 = 0x1234$");
    gdb_check_line(s, "^\\$4 = \\{0x1122334455667788, 0x99\\}$");
    check_ran_to_end(s, DEMO_OUT);
}

/* ---- Breakpoints and stepping ------------------------------------------- */

/* break main, next, print locals and globals, a breakpoint in inner, bt
 * from there, finish twice (the values returned), step into add, info
 * registers rip, and a register changed after finish that the guest then
 * prints (add's result in rax). */
static void test_break_step_finish(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, NULL);
    gdb_session_gdb(s,
        "break main\n"
        "continue\n"
        "next\n"
        "next\n"
        "print local\n"
        "print answer\n"
        "print mode\n"
        "break inner\n"
        "continue\n"
        "bt\n"
        "next\n"
        "print doubled\n"
        "finish\n"
        "finish\n"
        "next\n"
        "step\n"
        "info registers rip\n"
        "finish\n"
        "set var $rax = 100\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Breakpoint 1 at " HEX ": file " DEMO_C ", line "
                   "[0-9]+\\.$");
    gdb_check_line(s, "^Breakpoint 1, main \\(argc=1, argv=" HEX "\\) at "
                   DEMO_C ":[0-9]+$");
    gdb_check_line(s, SRC("    int local = 5;"));
    gdb_check_line(s, SRC("    if \\(strcmp\\(mode, \"spin\"\\) == 0\\)"));
    gdb_check_line(s, "^\\$1 = 5$");
    gdb_check_line(s, "^\\$2 = 42$");
    gdb_check_line(s, "^\\$3 = " HEX " \"\"$");
    gdb_check_line(s, "^Breakpoint 2, inner \\(depth=6\\) at " DEMO_C
                   ":[0-9]+$");
    gdb_check_line(s, "^#0  inner \\(depth=6\\) at " DEMO_C ":[0-9]+$");
    gdb_check_line(s, "^#1  " HEX " in outer \\(x=5\\) at " DEMO_C
                   ":[0-9]+$");
    gdb_check_line(s, "^#2  " HEX " in main \\(argc=1, argv=" HEX "\\) at "
                   DEMO_C ":[0-9]+$");
    gdb_check_line(s, SRC("    return doubled \\+ 1;"));
    gdb_check_line(s, "^\\$4 = 12$");
    gdb_check_line(s, "^Value returned is \\$5 = 13$");
    gdb_check_line(s, "^Value returned is \\$6 = 130$");
    gdb_check_line(s, SRC("    int s = add\\(local, 2\\);"));
    gdb_check_line(s, "^add \\(a=5, b=2\\) at " DEMO_C ":[0-9]+$");
    gdb_check_line(s, "^rip +" HEX " +" HEX " <add\\+[0-9]+>$");
    gdb_check_line(s, "^Value returned is \\$7 = 7$");
    check_ran_to_end(s, "outer 130 add 100 counter 30 answer 42\n"
                     "table 1111 2222 3333 4444\n");
}

/* tbreak, next through a loop and until out of it. */
static void test_tbreak_until(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, NULL);
    gdb_session_gdb(s,
        "tbreak count_up\n"
        "continue\n"
        "next\n"
        "next\n"
        "next\n"
        "until\n"
        "until\n"
        "print counter\n"
        "info breakpoints\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Temporary breakpoint 1 at " HEX ": file " DEMO_C
                   ", line [0-9]+\\.$");
    gdb_check_line(s, "^Temporary breakpoint 1, count_up \\(\\) at " DEMO_C
                   ":[0-9]+$");
    gdb_check_line(s, SRC("        counter = i \\* 10;"));
    gdb_check_line(s, SRC("}"));                /* until left the loop */
    gdb_check_line(s, "^\\$1 = 30$");
    gdb_check_line(s, "^No breakpoints or watchpoints\\.$");
    check_ran_to_end(s, DEMO_OUT);
}

/* ---- Memory ------------------------------------------------------------- */

/* print and x/4gx of a global array, globals changed with set var that
 * the guest then prints, and an unmapped address refused (gdb's error,
 * caught in Python so that the command file goes on). */
static void test_memory(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, NULL);
    gdb_session_gdb(s,
        "break count_up\n"
        "continue\n"
        "print table\n"
        "print/x table\n"
        "x/4gx &table\n"
        "set var answer = 99\n"
        "set var table[2] = 0x5555\n"
        "print answer\n"
        "x/gx &table[2]\n"
        "python\n"
        "try:\n"
        "    gdb.execute(\"x/gx 0\")\n"
        "except gdb.MemoryError as e:\n"
        "    print(\"x/gx 0 failed: %s\" % e)\n"
        "end\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^\\$1 = \\{4369, 8738, 13107, 17476\\}$");
    gdb_check_line(s, "^\\$2 = \\{0x1111, 0x2222, 0x3333, 0x4444\\}$");
    gdb_check_line(s, "^" HEX " <table>:\t0x0000000000001111\t"
                   "0x0000000000002222$");
    gdb_check_line(s, "^" HEX " <table\\+16>:\t0x0000000000003333\t"
                   "0x0000000000004444$");
    gdb_check_line(s, "^\\$3 = 99$");
    gdb_check_line(s, "^" HEX " <table\\+16>:\t0x0000000000005555$");
    gdb_check_line(s, "x/gx 0 failed: Cannot access memory at address 0x0$");
    check_ran_to_end(s, "outer 130 add 7 counter 30 answer 99\n"
                     "table 1111 2222 5555 4444\n");
}

/* A software watchpoint on a global (no debug registers for ring 3 on
 * kvm_pvm): each change with its old and new value. */
static void test_watch(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, NULL);
    gdb_session_gdb(s,
        "break count_up\n"
        "continue\n"
        "set can-use-hw-watchpoints 0\n"
        "watch counter\n"
        "continue\n"
        "continue\n"
        "continue\n"
        "delete\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Watchpoint 2: counter$");
    gdb_check_no_line(s, "^Hardware watchpoint");
    gdb_check_has(s, "\nOld value = 0\nNew value = 10\n");
    gdb_check_has(s, "\nOld value = 10\nNew value = 20\n");
    gdb_check_has(s, "\nOld value = 20\nNew value = 30\n");
    gdb_check_line(s, "^count_up \\(\\) at " DEMO_C ":[0-9]+$");
    check_ran_to_end(s, DEMO_OUT);
}

/* The same without telling gdb anything: kvmelf's write watchpoints
 * (Z2: the guest runs step by step while one is set, kvm_pvm's debug
 * registers do not fire for ring 3) give gdb "Hardware watchpoint", with
 * the same old and new values, stopped after the writing instruction.
 * A second one, on answer (never written), is set beside it and never
 * stops the guest.  (gdb compares the values of all its watchpoints at a
 * stop, so which address the stub names is not checked here.) */
static void test_hw_watch(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, NULL);
    gdb_session_gdb(s,
        "break count_up\n"
        "continue\n"
        "watch counter\n"
        "watch *(char *)&answer\n"
        "continue\n"
        "continue\n"
        "continue\n"
        "delete\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Hardware watchpoint 2: counter$");
    gdb_check_has(s, "\nOld value = 0\nNew value = 10\n");
    gdb_check_has(s, "\nOld value = 10\nNew value = 20\n");
    gdb_check_has(s, "\nOld value = 20\nNew value = 30\n");
    gdb_check_line(s, "^count_up \\(\\) at " DEMO_C ":[0-9]+$");
    check_ran_to_end(s, DEMO_OUT);
}

/* Read and access watchpoints and hardware breakpoints need debug
 * registers, which do not fire for ring-3 code here: kvmelf refuses them,
 * gdb says so, and the guest is none the worse. */
static void test_rwatch_refused(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, ARGS("exit7"));
    gdb_session_gdb(s,
        "rwatch answer\n"
        "python\n"
        "try:\n"
        "    gdb.execute('continue')\n"
        "except gdb.error as e:\n"
        "    print('continue failed: ' + str(e).splitlines()[0])\n"
        "end\n"
        "delete\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Could not insert hardware watchpoint 1\\.$");
    gdb_check_line(s, "^continue failed: Command aborted\\.$");
    gdb_check_line(s, GDB_INFERIOR " exited with code 07\\]$");
    e2e_check_status(7);
    e2e_check_out("exiting with 7\n");
}

/* ---- Ctrl-C, kill, faults, the exit ------------------------------------- */

/* Starts the spinning demo under gdb running script and sends gdb SIGINT,
 * as Ctrl-C at its terminal would, once the guest has said it spins. */
static void interrupt_spinning(struct gdb_session *s, const char *script)
{
    gdb_session_start(s, GDB_UNIX, DEMO, ARGS("spin"));
    gdb_session_gdb(s, script);
    bool spins = proc_wait_output(&s->kvmelf, "spinning\n");
    E2E_ASSERT(spins, "the guest never printed \"spinning\"");
    gdb_session_signal(s, SIGINT);
    gdb_session_finish(s);
}

/* Ctrl-C stops the spinning guest where it is; bt and rip show it; a
 * variable set then ends the loop and the guest its run. */
static void test_ctrl_c(void **state)
{
    struct gdb_session *s = gdb_session(state);

    interrupt_spinning(s,
        "continue\n"
        "bt\n"
        "info registers rip\n"
        "set var spin = 0\n"
        "continue\n");
    gdb_check_line(s, "^Program received signal SIGINT, Interrupt\\.$");
    /* Where SIGINT lands is the scheduler's to say: the guest said
     * "spinning" from kvmelf_flush, which it may not have left yet. */
    gdb_check_line(s, "^#[01]  (" HEX " in )?spin_until_told \\(\\) at "
                   DEMO_C ":[0-9]+$");
    gdb_check_line(s, "^#[12]  " HEX " in main \\(argc=2, argv=" HEX "\\) at "
                   DEMO_C ":[0-9]+$");
    gdb_check_line(s, "^rip +" HEX " +" HEX " <(spin_until_told|kvmelf_flush)"
                   "\\+[0-9]+>$");
    gdb_check_line(s, GDB_INFERIOR " exited with code 03\\]$");
    e2e_check_status(3);
    e2e_check_out("spinning\nspun\n");
    check_quiet_kvmelf(s);
}

/* Ctrl-C, then kill: the run ends, as a process killed by SIGKILL would. */
static void test_kill(void **state)
{
    struct gdb_session *s = gdb_session(state);

    interrupt_spinning(s,
        "continue\n"
        "info registers rip\n"
        "kill\n");
    gdb_check_line(s, "^Program received signal SIGINT, Interrupt\\.$");
    gdb_check_line(s, "^rip +" HEX " +" HEX " <(spin_until_told|kvmelf_flush)"
                   "\\+[0-9]+>$");
    gdb_check_line(s, GDB_INFERIOR " killed\\]$");
    e2e_check_status(KILLED_STATUS);
    e2e_check_out("spinning\n");
    e2e_check_err_once(gdb_waiting_line(s));
}

/* The value after "NAME 0x" in text (NAME's first occurrence at a line's
 * start when at_line), or 0. */
static unsigned long long hex_after(const char *text, const char *name,
                                    bool at_line)
{
    char key[64];
    snprintf(key, sizeof key, "%s%s", at_line ? "\n" : "", name);
    const char *p = strstr(text, key);
    if (!p)
        return 0;
    p += strlen(key);
    while (*p == ' ')
        p++;
    return strtoull(p, NULL, 16);
}

/* A NULL write stops in gdb as SIGSEGV at the faulting instruction, with
 * bt; continuing ends the run with kvmelf's crash report and status, and
 * the report's RIP is gdb's. */
static void test_sigsegv(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, ARGS("crash"));
    gdb_session_gdb(s,
        "continue\n"
        "bt\n"
        "info registers rip\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Program received signal SIGSEGV, Segmentation "
                   "fault\\.$");
    gdb_check_line(s, SRC("    \\*null_ptr = 1;"));
    gdb_check_line(s, "^#0  (" HEX " in )?crash \\(\\) at " DEMO_C
                   ":[0-9]+$");
    gdb_check_line(s, "^#1  " HEX " in main \\(argc=2, argv=" HEX "\\) at "
                   DEMO_C ":[0-9]+$");
    gdb_check_line(s, "^rip +" HEX " +" HEX " <crash\\+[0-9]+>$");
    gdb_check_line(s, "^Program terminated with signal SIGSEGV, "
                   "Segmentation fault\\.$");
    e2e_check_status(139);
    e2e_check_out("crashing\n");
    e2e_check_err_once(gdb_waiting_line(s));
    e2e_check_err_has("guest crashed: page fault");
    unsigned long long gdb_rip = hex_after(s->gdb_res.out, "rip", true);
    unsigned long long report_rip = hex_after(e2e_last()->err, "RIP", false);
    E2E_CHECK(gdb_rip != 0 && gdb_rip == report_rip, "gdb stopped at rip "
              "%#llx, kvmelf's crash report says RIP %#llx", gdb_rip,
              report_rip);
}

/* The guest's exit status reaches gdb ("exited with code 07") and is
 * kvmelf's. */
static void test_exit_code(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, ARGS("exit7"));
    gdb_session_gdb(s, "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, GDB_INFERIOR " exited with code 07\\]$");
    e2e_check_status(7);
    e2e_check_out("exiting with 7\n");
    check_quiet_kvmelf(s);
}

/* A --ring0 guest: a breakpoint there is a HLT (kvm_pvm cannot emulate a
 * ring-0 int3), steps are TF's #DB through the guest's own ring-0 IDT
 * stubs; gdb sees the same. */
static void test_ring0(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start_opts(s, GDB_UNIX, ARGS("--ring0"), DEMO, NULL);
    gdb_session_gdb(s,
        "break inner\n"
        "continue\n"
        "bt\n"
        "next\n"
        "print doubled\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Breakpoint 1, inner \\(depth=6\\) at " DEMO_C ":25$");
    gdb_check_line(s, "^#1 +" HEX " in outer \\(x=5\\) at " DEMO_C ":31$");
    gdb_check_line(s, "^\\$1 = 12$");
    check_ran_to_end(s, DEMO_OUT);
}

/* The same over TCP: --gdb PORT on 127.0.0.1, `target remote :PORT`. */
static void test_tcp(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_TCP, DEMO, ARGS("exit7"));
    gdb_session_gdb(s,
        "break main\n"
        "continue\n"
        "print argc\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Breakpoint 1, main \\(argc=2, argv=" HEX "\\) at "
                   DEMO_C ":[0-9]+$");
    gdb_check_line(s, "^\\$1 = 2$");
    gdb_check_line(s, GDB_INFERIOR " exited with code 07\\]$");
    e2e_check_status(7);
    e2e_check_out("exiting with 7\n");
    check_quiet_kvmelf(s);
}

/* ---- A musl program ----------------------------------------------------- */

static void test_musl(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, MUSL, NULL);
    gdb_session_gdb(s,
        "break main\n"
        "continue\n"
        "next\n"
        "next\n"
        "print status\n"
        "print base\n"
        "step\n"
        "bt\n"
        "finish\n"
        "next\n"
        "print result\n"
        "set var total = 12\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Breakpoint 1, main \\(argc=1, argv=" HEX "\\) at "
                   MUSL_C ":[0-9]+$");
    gdb_check_line(s, SRC("    int base = 4;"));
    gdb_check_line(s, SRC("    int result = square\\(base\\);"));
    gdb_check_line(s, "^\\$1 = 5$");
    gdb_check_line(s, "^\\$2 = 4$");
    gdb_check_line(s, "^square \\(n=4\\) at " MUSL_C ":[0-9]+$");
    gdb_check_line(s, "^#0  square \\(n=4\\) at " MUSL_C ":[0-9]+$");
    gdb_check_line(s, "^#1  " HEX " in main \\(argc=1, argv=" HEX "\\) at "
                   MUSL_C ":[0-9]+$");
    gdb_check_line(s, "^Value returned is \\$3 = 16$");
    gdb_check_line(s, SRC("    result \\+= 1;"));
    gdb_check_line(s, "^\\$4 = 16$");
    gdb_check_line(s, GDB_INFERIOR " exited with code 05\\]$");
    e2e_check_status(5);
    e2e_check_out("result 17 total 12\n");
    check_quiet_kvmelf(s);
}

/* A watchpoint in a musl program, across its system calls (the guest
 * steps through them: kvm_pvm loses the #DB there, the stub does not). */
static void test_musl_watch(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, MUSL, ARGS("bump"));
    gdb_session_gdb(s,
        "break bump\n"
        "continue\n"
        "watch total\n"
        "continue\n"
        "continue\n"
        "continue\n"
        "delete\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Hardware watchpoint 2: total$");
    gdb_check_has(s, "\nOld value = 11\nNew value = 12\n");
    gdb_check_has(s, "\nOld value = 12\nNew value = 14\n");
    gdb_check_has(s, "\nOld value = 14\nNew value = 17\n");
    check_ran_to_end(s, "result 17 total 11\n"
                     "total 12\ntotal 14\ntotal 17\n");
}

/* A musl program's NULL write stops in gdb as SIGSEGV, with its frame;
 * going on ends the run with kvmelf's report and status 139. */
static void test_musl_crash(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, MUSL, ARGS("crash"));
    gdb_session_gdb(s,
        "continue\n"
        "bt 1\n"
        "continue\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Program received signal SIGSEGV, Segmentation "
                      "fault\\.$");
    gdb_check_line(s, "^#0  main \\(argc=2, argv=" HEX "\\) at " MUSL_C
                      ":[0-9]+$");
    gdb_check_line(s, "^Program terminated with signal SIGSEGV, "
                      "Segmentation fault\\.$");
    e2e_check_status(139);
    e2e_check_err_has("guest crashed: page fault in ring 3");
}

/* ---- The connection ----------------------------------------------------- */

/* gdb detaches at a breakpoint: the guest runs on to its end (the
 * breakpoint gone with gdb) and kvmelf exits with its status. */
static void test_detach(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, NULL);
    gdb_session_gdb(s,
        "break add\n"
        "continue\n"
        "detach\n");
    gdb_session_finish(s);
    gdb_check_line(s, "^Breakpoint 1, add \\(a=5, b=2\\) at " DEMO_C
                   ":[0-9]+$");
    gdb_check_line(s, GDB_INFERIOR " detached\\]$");
    e2e_check_status(0);
    e2e_check_out(DEMO_OUT);
    check_quiet_kvmelf(s);
}

/* While gdb holds the guest at a breakpoint, a second client gets no
 * session: refused, closed at once or never answered (gdb's Python makes
 * the attempt, so that it happens while the first session is stopped);
 * the first session then goes on as before. */
static void test_second_connection(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, NULL);
    char *py = NULL;
    if (asprintf(&py,
        "break count_up\n"
        "continue\n"
        "python\n"
        "import socket\n"
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
        "s.settimeout(1.0)\n"
        "try:\n"
        "    s.connect(\"%s\")\n"
        "    s.sendall(b\"$?#3f\")\n"
        "    try:\n"
        "        data = s.recv(64)\n"
        "        print(\"second connection: \" + (\"answered %%r\" %% data "
        "if data else \"closed\"))\n"
        "    except socket.timeout:\n"
        "        print(\"second connection: no answer\")\n"
        "except OSError as e:\n"
        "    print(\"second connection: refused (%%s)\" %% e.strerror)\n"
        "s.close()\n"
        "end\n"
        "print counter\n"
        "delete\n"
        "continue\n", s->where) < 0)
        fail_msg("out of memory");
    gdb_session_gdb(s, e2e_owned(py));
    gdb_session_finish(s);
    gdb_check_line(s, "^Breakpoint 1, count_up \\(\\) at " DEMO_C
                   ":[0-9]+$");
    gdb_check_line(s, "^second connection: (refused|closed|no answer)");
    gdb_check_no_line(s, "^second connection: answered");
    gdb_check_line(s, "^\\$1 = 0$");
    check_ran_to_end(s, DEMO_OUT);
}

/* ---- A client that is not gdb ------------------------------------------- */

/* "$data#cc" with its checksum. */
static const char *packet(const char *data)
{
    unsigned sum = 0;
    for (const char *c = data; *c; c++)
        sum += (unsigned char)*c;
    char *p = NULL;
    if (asprintf(&p, "$%s#%02x", data, sum & 0xff) < 0)
        fail_msg("out of memory");
    return e2e_owned(p);
}

static void send_all(int fd, const char *bytes, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, bytes, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fail_msg("writing to the stub: %s", n < 0 ? strerror(errno) :
                     "nothing written");
        bytes += n;
        len -= (size_t)n;
    }
}

/* Reads from fd into *buf (malloc'd, NUL-ended) until what was read
 * matches the ERE or the limit passes: whether it matched. */
static bool read_until(int fd, char **buf, size_t *len, const char *ere,
                       double limit_sec)
{
    regex_t re;
    bool found = false;

    if (regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) != 0)
        fail_msg("bad regular expression /%s/", ere);
    for (int waited_ms = 0; !found && waited_ms < limit_sec * 1000; ) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        int r = poll(&pf, 1, 100);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            waited_ms += 100;
            continue;
        }
        char chunk[4096];
        ssize_t n = r > 0 ? read(fd, chunk, sizeof chunk) : -1;
        if (n <= 0)
            break;
        char *grown = realloc(*buf, *len + (size_t)n + 1);
        if (!grown)
            fail_msg("out of memory");
        *buf = grown;
        memcpy(*buf + *len, chunk, (size_t)n);
        *len += (size_t)n;
        (*buf)[*len] = '\0';
        found = regexec(&re, *buf, 0, NULL, 0) == 0;
    }
    regfree(&re);
    return found;
}

/* Garbage between packets, a bad checksum, a packet far over PacketSize
 * and a read of a huge length, then well-formed packets that must still
 * be answered; then the client goes away without a word.  kvmelf neither
 * crashes nor hangs: the guest runs on to its end and kvmelf exits with
 * its status. */
static void test_hostile_client(void **state)
{
    struct gdb_session *s = gdb_session(state);

    gdb_session_start(s, GDB_UNIX, DEMO, NULL);
    int fd = gdb_session_connect(s);
    const char *junk = "hello\r\n+++---#00}}}";
    send_all(fd, junk, strlen(junk));
    send_all(fd, "$?#00", 5);                       /* bad checksum */
    size_t huge_len = 64 * 1024;
    char *huge = e2e_owned(malloc(huge_len + 5));
    huge[0] = '$';
    memset(huge + 1, 'A', huge_len);
    memcpy(huge + 1 + huge_len, "#00", 4);
    send_all(fd, huge, huge_len + 4);
    const char *tail[] = { packet("m0,ffffffffffffffff"),
                           packet("qSupported:swbreak+"), packet("?") };
    for (size_t i = 0; i < E2E_LEN(tail); i++)
        send_all(fd, tail[i], strlen(tail[i]));
    char *got = NULL;
    size_t got_len = 0;
    /* The answer to "?" comes last: a stop reply. */
    bool answered = read_until(fd, &got, &got_len,
                               "\\$[ST][0-9a-f]{2}[^#]*#[0-9a-f]{2}",
                               gdb_limit_sec());
    e2e_owned(got ? got : strdup(""));
    close(fd);
    gdb_session_finish(s);
    E2E_CHECK(answered, "no stop reply to '?' after the bad packets; the "
              "stub sent: %s", got ? got : "(nothing)");
    const char *features = strstr(got, "PacketSize=");
    E2E_CHECK(features != NULL, "no qSupported reply; the stub sent: %s",
              got);
    /* Before the features (which may hold a '-': exec-file). */
    E2E_CHECK(memchr(got, '-', (size_t)(features - got)) != NULL, "no '-' "
              "for the bad checksum; the stub sent: %s", got);
    e2e_check_status(0);
    e2e_check_out(DEMO_OUT);
    e2e_check_err_once(gdb_waiting_line(s));
}

/* ---- The options -------------------------------------------------------- */

/* A path that exists is not a place for the socket: a clear error, status
 * 125, and the file left as it was. */
static void test_socket_path_exists(void **state)
{
    (void)state;
    e2e_need_kvm();
    gdb_need_stub();
    const char *dir = e2e_tmpdir("gdb");
    const char *path = e2e_write_tmp(dir, "taken", "mine\n", 5);
    e2e_run(ARGS("run", "--gdb-socket", path, DEMO), NULL);
    e2e_check_status(125);
    e2e_check_out("");
    e2e_check_err_has(path);
    e2e_check_err_lines(1);
    e2e_check_err_lacks("waiting for gdb");
    FILE *f = fopen(path, "r");
    char buf[16] = "";
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    E2E_CHECK(n == 5 && strcmp(buf, "mine\n") == 0, "kvmelf changed or "
              "removed %s (it holds %zu bytes: '%s')", path, n, buf);
}

/* Ports outside 1..65535 and words that are no number. */
static void test_bad_port(void **state)
{
    (void)state;
    gdb_need_stub();
    static const char *const bad[] = { "0", "70000", "65536", "-1", "abc",
                                       "12x", "" };
    for (size_t i = 0; i < E2E_LEN(bad); i++) {
        e2e_run(ARGS("run", "--gdb", bad[i], DEMO), NULL);
        e2e_check_status(125);
        e2e_check_out("");
        e2e_check_err_has("--gdb");
        e2e_check_err_lacks("waiting for gdb");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_stopped_at_entry, gdb_teardown),
        cmocka_unit_test_teardown(test_break_step_finish, gdb_teardown),
        cmocka_unit_test_teardown(test_tbreak_until, gdb_teardown),
        cmocka_unit_test_teardown(test_memory, gdb_teardown),
        cmocka_unit_test_teardown(test_watch, gdb_teardown),
        cmocka_unit_test_teardown(test_ctrl_c, gdb_teardown),
        cmocka_unit_test_teardown(test_kill, gdb_teardown),
        cmocka_unit_test_teardown(test_sigsegv, gdb_teardown),
        cmocka_unit_test_teardown(test_exit_code, gdb_teardown),
        cmocka_unit_test_teardown(test_ring0, gdb_teardown),
        cmocka_unit_test_teardown(test_hw_watch, gdb_teardown),
        cmocka_unit_test_teardown(test_rwatch_refused, gdb_teardown),
        cmocka_unit_test_teardown(test_tcp, gdb_teardown),
        cmocka_unit_test_teardown(test_musl, gdb_teardown),
        cmocka_unit_test_teardown(test_musl_watch, gdb_teardown),
        cmocka_unit_test_teardown(test_musl_crash, gdb_teardown),
        cmocka_unit_test_teardown(test_detach, gdb_teardown),
        cmocka_unit_test_teardown(test_second_connection, gdb_teardown),
        cmocka_unit_test_teardown(test_hostile_client, gdb_teardown),
        cmocka_unit_test_teardown(test_socket_path_exists, gdb_teardown),
        cmocka_unit_test_teardown(test_bad_port, gdb_teardown),
    };
    e2e_init(E2E_RUNS_GUESTS);
    if (!gdb_kvmelf_has_stub())
        fprintf(stderr, "SKIPPED: `%s run --help` does not mention "
                "--gdb-socket: this kvmelf has no gdb stub; every gdb test "
                "skips\n", e2e_kvmelf());
    return cmocka_run_group_tests(tests, NULL, NULL);
}
