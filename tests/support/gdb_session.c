/* A real gdb debugging a guest through kvmelf's stub; see gdb_session.h. */
#include "tests/support/gdb_session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct gdb_session the_session;

bool gdb_kvmelf_has_stub(void)
{
    static int has = -1;

    if (has < 0) {
        const char *const argv[] = { e2e_kvmelf(), "run", "--help", NULL };
        struct proc_result r = { 0 };
        has = proc_run(argv, NULL, &r) == 0 &&
              (strstr(r.out, "--gdb-socket") || strstr(r.err, "--gdb-socket"));
        proc_result_free(&r);
    }
    return has == 1;
}

void gdb_need_stub(void)
{
    if (!gdb_kvmelf_has_stub())
        e2e_skip("`%s run --help` does not mention --gdb-socket: this "
                 "kvmelf has no gdb stub; the gdb tests did not run",
                 e2e_kvmelf());
}

struct gdb_session *gdb_session(void **state)
{
    (void)state;
    memset(&the_session, 0, sizeof the_session);
    e2e_need_kvm();
    if (!proc_in_path("gdb"))
        e2e_skip("gdb is not installed (Debian: apt-get install gdb); the "
                 "real-gdb test did not run");
    gdb_need_stub();
    return &the_session;
}

double gdb_limit_sec(void)
{
    const char *vg = getenv("KVMELF_UNDER_VALGRIND");

    return vg && *vg ? 600.0 : 120.0;
}

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static int free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        fail_msg("cannot find a free TCP port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

const char *gdb_waiting_line(const struct gdb_session *s)
{
    return e2e_printf("kvmelf: %s: waiting for gdb on %s: gdb %s -ex "
                        "'target remote %s'\n", s->guest, s->where, s->guest,
                        s->target);
}

void gdb_session_start_at(const char *file, int line, struct gdb_session *s,
                          enum gdb_transport t, const char *guest,
                          const char *const *args)
{
    gdb_session_start_opts_at(file, line, s, t, NULL, guest, args);
}

void gdb_session_start_opts_at(const char *file, int line,
                               struct gdb_session *s, enum gdb_transport t,
                               const char *const *options, const char *guest,
                               const char *const *args)
{
    const char *argv[E2E_MAX_ARGS + 1];
    size_t n = 0;

    s->dir = e2e_tmpdir("gdb");
    s->guest = e2e_path(guest);
    argv[n++] = "run";
    if (t == GDB_TCP) {
        s->port = free_port();
        s->where = e2e_printf("127.0.0.1:%d", s->port);
        s->target = e2e_printf(":%d", s->port);
        argv[n++] = "--gdb";
        argv[n++] = e2e_printf("%d", s->port);
    } else {
        s->where = e2e_track_tmp(e2e_printf("%s/gdb.sock", s->dir));
        s->target = s->where;
        argv[n++] = "--gdb-socket";
        argv[n++] = s->where;
    }
    for (size_t i = 0; options && options[i]; i++)
        if (n < E2E_MAX_ARGS - 1)
            argv[n++] = options[i];
    argv[n++] = guest;
    for (size_t i = 0; args && args[i]; i++)
        if (n < E2E_MAX_ARGS)
            argv[n++] = args[i];
    argv[n] = NULL;

    const struct proc_opts o = { .stdout_fd = -1, .stderr_fd = -1,
                                 .limit_sec = gdb_limit_sec() };
    e2e_start(&s->kvmelf, argv, &o);
    s->kvmelf_running = true;
    /* The line's start, then its end: a different wording of the rest is
     * then shown as such instead of waited for until the limit. */
    const char *wait = e2e_printf("waiting for gdb on %s: ", s->where);
    bool said = proc_wait_stderr(&s->kvmelf, wait) &&
                proc_wait_stderr(&s->kvmelf, "'\n");
    const char *want = gdb_waiting_line(s);
    if (said && strstr(s->kvmelf.res.err, want))
        return;
    if (!said) {
        e2e_finish(&s->kvmelf);
        s->kvmelf_running = false;
    }
    if (said)
        fprintf(stderr, "kvmelf's stderr so far:\n%s\n", s->kvmelf.res.err);
    else
        e2e_dump();
    print_error("ERROR: kvmelf %s the line\n  %s", said ? "did not write"
                : "ended (or the limit passed) without writing", want);
    _fail(file, line);
}

void gdb_session_gdb(struct gdb_session *s, const char *script)
{
    s->script = e2e_printf("set pagination off\nset confirm off\n"
                             "set width 0\ntarget remote %s\n%s", s->target,
                             script);
    s->cmds = e2e_write_tmp(s->dir, "cmds.gdb", s->script,
                            strlen(s->script));
    const char *const argv[] = { "gdb", "-batch", "-nx", "-x", s->cmds,
                                 s->guest, NULL };
    static const char *const env[] = { "LC_ALL=C", "DEBUGINFOD_URLS=",
                                       NULL };
    const struct proc_opts o = { .stdout_fd = -1, .stderr_fd = -1,
                                 .stderr_to_stdout = true, .env = env,
                                 .limit_sec = gdb_limit_sec() };
    if (proc_start(&s->gdb, argv, &o) < 0)
        fail_msg("cannot run gdb: %s", strerror(errno));
    s->gdb_running = true;
}

void gdb_session_signal(struct gdb_session *s, int sig)
{
    if (!s->gdb_running)
        fail_msg("gdb_session_signal: gdb is not running");
    if (kill(s->gdb.pid, sig) < 0)
        fail_msg("kill gdb (pid %d): %s", (int)s->gdb.pid, strerror(errno));
}

void gdb_session_finish_at(const char *file, int line, struct gdb_session *s)
{
    if (s->gdb_running) {
        s->gdb_running = false;
        if (proc_finish(&s->gdb, &s->gdb_res) < 0)
            fail_msg("waiting for gdb: %s", strerror(errno));
    }
    if (s->kvmelf_running) {
        s->kvmelf_running = false;
        e2e_finish(&s->kvmelf);
    }
    const struct proc_result *g = &s->gdb_res;
    if (s->cmds && (g->limit_hit || !g->exited || g->status != 0)) {
        gdb_session_dump(s);
        print_error("ERROR: gdb %s\n", g->limit_hit ?
                    "was still running at the time limit: killed" :
                    !g->exited ? "died of a signal" :
                    "failed (status != 0): its command file stopped at "
                    "an error");
        _fail(file, line);
    }
}

int gdb_session_connect(struct gdb_session *s)
{
    int fd;

    if (s->port) {
        struct sockaddr_in a = { .sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)s->port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            return fd;
    } else {
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        snprintf(a.sun_path, sizeof a.sun_path, "%s", s->where);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            return fd;
    }
    fail_msg("cannot connect to kvmelf's stub on %s: %s", s->where,
             strerror(errno));
    return -1;
}

/* ---- Checks ------------------------------------------------------------- */

void gdb_session_dump(const struct gdb_session *s)
{
    const struct proc_result *g = &s->gdb_res;

    fprintf(stderr, "--- gdb's command file %s:\n%s"
            "--- gdb's output (status %d, exited %d, signal %d, killed at "
            "limit %d):\n%s\n", s->cmds ? s->cmds : "(none)",
            s->script ? s->script : "", g->status, g->exited, g->term_signal,
            g->limit_hit, g->out ? g->out : "");
    fprintf(stderr, "--- kvmelf:\n");
    e2e_dump();
}

void gdb_check_line_at(const char *file, int line,
                       const struct gdb_session *s, const char *ere,
                       bool want)
{
    regex_t re;

    if (regcomp(&re, ere, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) != 0)
        fail_msg("bad regular expression /%s/", ere);
    bool found = regexec(&re, s->gdb_res.out ? s->gdb_res.out : "", 0, NULL,
                         0) == 0;
    regfree(&re);
    if (found == want)
        return;
    gdb_session_dump(s);
    print_error("ERROR: %s line of gdb's output matches /%s/\n",
                want ? "no" : "a", ere);
    _fail(file, line);
}

void gdb_check_has_at(const char *file, int line, const struct gdb_session *s,
                      const char *needle, bool want)
{
    bool found = strstr(s->gdb_res.out ? s->gdb_res.out : "", needle);

    if (found == want)
        return;
    gdb_session_dump(s);
    print_error("ERROR: gdb's output %s '%s'\n", want ? "lacks" : "has",
                needle);
    _fail(file, line);
}

/* ---- Teardown ----------------------------------------------------------- */

static void kill_and_reap(struct proc *p, bool *running)
{
    struct proc_result r = { 0 };

    if (!*running)
        return;
    *running = false;
    kill(p->pid, SIGKILL);
    proc_finish(p, &r);
    proc_result_free(&r);
}

int gdb_teardown(void **state)
{
    struct gdb_session *s = &the_session;

    kill_and_reap(&s->gdb, &s->gdb_running);
    kill_and_reap(&s->kvmelf, &s->kvmelf_running);
    proc_result_free(&s->gdb_res);
    memset(s, 0, sizeof *s);
    return e2e_teardown(state);
}
