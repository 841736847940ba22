/*
 * A real gdb debugging a guest through kvmelf's stub, for the e2e tests
 * (tests/e2e/test_gdbstub.c): kvmelf started with --gdb-socket (or --gdb) in a
 * fresh temporary directory, waited for until it says on stderr where it
 * waits (never a fixed sleep), then `gdb -batch -nx -x CMDS FILE` with a
 * command file that connects and runs the test's commands; gdb's output
 * (stdout and stderr merged, in order) and kvmelf's run are then checked.
 *
 *     static void test_exit_code(void **state)
 *     {
 *         struct gdb_session *s = gdb_session(state);
 *         gdb_session_start(s, GDB_UNIX, "T:gdbdemo.elf",
 *                           (const char *[]){ "exit7", NULL });
 *         gdb_session_gdb(s, "continue\n");
 *         gdb_session_finish(s);
 *         gdb_check_line(s, GDB_INFERIOR " exited with code 07\\]$");
 *         e2e_check_status(7);                  (kvmelf: the latest run)
 *     }
 *
 * with gdb_teardown as the test's teardown.  kvmelf's run is the e2e
 * latest run (e2e.h's checks read it after gdb_session_finish); gdb's
 * result is the session's own.  Both get a generous time limit, longer
 * under valgrind: the tests assume no timing, the limit only ends a hang.
 * For the body of a cmocka test only, one session at a time.
 */
#ifndef KVMELF_TESTS_GDB_SESSION_H
#define KVMELF_TESTS_GDB_SESSION_H

#include <stdbool.h>

#include "tests/support/e2e.h"

/* How gdb names the inferior in "[Inferior 1 (NAME) exited ...]", as an
 * ERE: "process N" when the stub speaks the multiprocess extension,
 * "Remote target" when it does not. */
#define GDB_INFERIOR "^\\[Inferior 1 \\((process [0-9]+|Remote target)\\)"

enum gdb_transport {
    GDB_UNIX,               /* --gdb-socket DIR/gdb.sock */
    GDB_TCP,                /* --gdb PORT, a port free a moment before */
};

struct gdb_session {
    const char *guest;      /* FILE as kvmelf and gdb are given it */
    const char *dir;        /* the session's temporary directory */
    const char *where;      /* the socket's path, or 127.0.0.1:PORT */
    const char *target;     /* what `target remote` takes: path or :PORT */
    int port;               /* GDB_TCP's port, else 0 */
    const char *cmds;       /* the command file's path and text */
    const char *script;
    struct proc kvmelf, gdb;
    bool kvmelf_running, gdb_running;
    struct proc_result gdb_res;   /* after gdb_session_finish */
};

/* The session of the test (one static session, cleared), after the skips
 * every gdb test makes: KVM usable, gdb in PATH, and a kvmelf whose
 * `run --help` offers --gdb-socket (else "SKIPPED: ..." says which is
 * missing). */
struct gdb_session *gdb_session(void **state);

/* Whether `$KVMELF run --help` mentions --gdb-socket (asked once). */
bool gdb_kvmelf_has_stub(void);

/* Skips, saying so, unless it does: for a test of the options that needs
 * no gdb. */
void gdb_need_stub(void);

/* The limit of each process of a session, in seconds. */
double gdb_limit_sec(void);

/* Starts `$KVMELF run --gdb-socket DIR/gdb.sock [OPTIONS...] GUEST ARGS...`
 * (or --gdb PORT; options NULL-ended or NULL, guest through e2e_path) and
 * pumps its outputs until its stderr has the line gdb_waiting_line()
 * gives.  Fails the test, dumping kvmelf's run, when kvmelf ends or the
 * limit passes first. */
#define gdb_session_start(...) gdb_session_start_at(E2E_AT, __VA_ARGS__)
void gdb_session_start_at(const char *file, int line, struct gdb_session *s,
                          enum gdb_transport t, const char *guest,
                          const char *const *args);
#define gdb_session_start_opts(...) \
    gdb_session_start_opts_at(E2E_AT, __VA_ARGS__)
void gdb_session_start_opts_at(const char *file, int line,
                               struct gdb_session *s, enum gdb_transport t,
                               const char *const *options, const char *guest,
                               const char *const *args);

/* The line kvmelf writes when it waits (with its '\n'):
 * "kvmelf: FILE: waiting for gdb on WHERE: gdb FILE -ex 'target remote
 * TARGET'". */
const char *gdb_waiting_line(const struct gdb_session *s);

/* Writes the command file DIR/cmds.gdb ("set pagination off", "set
 * confirm off", "set width 0", "target remote TARGET", then script) and
 * starts `gdb -batch -nx -x DIR/cmds.gdb GUEST` (stderr into stdout,
 * LC_ALL=C, no debuginfod).  Does not wait. */
void gdb_session_gdb(struct gdb_session *s, const char *script);

/* Sends sig to the gdb process (only that one: SIGINT as a user's Ctrl-C
 * at gdb's terminal would). */
void gdb_session_signal(struct gdb_session *s, int sig);

/* Waits for gdb's end, then kvmelf's, which becomes the latest run;
 * fails the test when gdb was killed at the limit, died of a signal or
 * exited with a status other than 0 (in batch mode: a command of the file
 * failed, and gdb skipped the rest of it).  kvmelf's end is checked by
 * the e2e checks that follow. */
#define gdb_session_finish(s) gdb_session_finish_at(E2E_AT, (s))
void gdb_session_finish_at(const char *file, int line, struct gdb_session *s);

/* A socket connected to the stub (for a test that speaks the protocol
 * itself instead of gdb); the caller closes it.  Fails the test when the
 * connection cannot be made. */
int gdb_session_connect(struct gdb_session *s);

/* ---- Checks of gdb's output (after gdb_session_finish) ------------------ */

/* A line of gdb's output matches the ERE (REG_NEWLINE: ^ and $ are the
 * line's ends); no line does; has needle; lacks it.  A failure prints the
 * command file, gdb's output and kvmelf's run. */
#define gdb_check_line(s, ere) gdb_check_line_at(E2E_AT, (s), (ere), true)
#define gdb_check_no_line(s, ere) gdb_check_line_at(E2E_AT, (s), (ere), false)
#define gdb_check_has(s, needle) gdb_check_has_at(E2E_AT, (s), (needle), true)
#define gdb_check_lacks(s, needle) \
    gdb_check_has_at(E2E_AT, (s), (needle), false)
void gdb_check_line_at(const char *file, int line,
                       const struct gdb_session *s, const char *ere,
                       bool want);
void gdb_check_has_at(const char *file, int line, const struct gdb_session *s,
                      const char *needle, bool want);

/* Prints the command file, gdb's output so far and kvmelf's run. */
void gdb_session_dump(const struct gdb_session *s);

/* The teardown of a gdb test: kills (SIGKILL, by pid) and reaps whichever
 * of the session's two processes still runs, frees gdb's result, then
 * e2e_teardown. */
int gdb_teardown(void **state);

#endif
