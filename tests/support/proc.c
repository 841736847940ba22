/* Runs a child process for a test; see proc.h. */
#include "tests/support/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (!q) {
        perror("proc");
        abort();
    }
    return q;
}

/* environ with each of extra's "NAME=VALUE" replacing or adding NAME. */
static char **build_env(const char *const *extra)
{
    size_t n = 0, k = 0, m = 0;
    while (environ[n])
        n++;
    while (extra && extra[m])
        m++;
    char **env = xrealloc(NULL, (n + m + 1) * sizeof *env);
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;
        for (size_t j = 0; j < m; j++) {
            size_t len = strcspn(extra[j], "=") + 1;
            replaced |= strncmp(environ[i], extra[j], len) == 0;
        }
        if (!replaced)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++)
        env[k++] = (char *)(uintptr_t)extra[j];
    env[k] = NULL;
    return env;
}

static void reset_signals(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGALRM };
    sigset_t none;

    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the child: fds[0..2] become stdin, stdout, stderr, then exec. */
static void child_exec(const int fds[3], const char *const argv[], char **env)
{
    for (int i = 0; i < 3; i++)
        if (dup2(fds[i], i) < 0)
            _exit(127);
    reset_signals();
    execvpe(argv[0], (char *const *)(uintptr_t)argv, env);
    dprintf(2, "proc: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int child_stdin(const struct proc_opts *o, int *parent_end)
{
    int fds[2];

    if (!o->input)
        return open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    *parent_end = fds[1];
    return fds[0];
}

static int make_pipe(int *parent_end)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    *parent_end = fds[0];
    return fds[1];
}

/* A pseudo-terminal in raw mode (no "\n" -> "\r\n"): the child end. */
static int make_pty(int *parent_end)
{
    char name[128];
    struct termios t;
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s = -1;

    if (m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 &&
        ptsname_r(m, name, sizeof name) == 0)
        s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s >= 0 && tcgetattr(s, &t) == 0) {
        cfmakeraw(&t);
        if (tcsetattr(s, TCSANOW, &t) == 0) {
            *parent_end = m;
            return s;
        }
    }
    int e = errno;
    if (s >= 0)
        close(s);
    if (m >= 0)
        close(m);
    errno = e;
    return -1;
}

static int child_stdout(const struct proc_opts *o, int *parent_end)
{
    if (o->stdout_fd >= 0)
        return o->stdout_fd;
    return o->stdout_tty ? make_pty(parent_end) : make_pipe(parent_end);
}

static void init_proc(struct proc *p, const struct proc_opts *opts)
{
    static const struct proc_opts none = { .stdout_fd = -1, .stderr_fd = -1 };

    memset(p, 0, sizeof *p);
    p->opts = opts ? *opts : none;
    if (p->opts.stdout_fd == 0)
        p->opts.stdout_fd = -1;
    if (p->opts.stderr_fd == 0)
        p->opts.stderr_fd = -1;
    if (p->opts.limit_sec <= 0)
        p->opts.limit_sec = PROC_DEFAULT_LIMIT_SEC;
    p->pid = -1;
    p->in_fd = p->out_fd = p->err_fd = -1;
    p->out_cap = p->err_cap = 1;
    p->res.out = xrealloc(NULL, 1);
    p->res.err = xrealloc(NULL, 1);
    p->res.out[0] = p->res.err[0] = '\0';
    /* A write to a child that already exited must not kill the test. */
    signal(SIGPIPE, SIG_IGN);
}

static int child_stderr(const struct proc_opts *o, int child_stdout,
                        int *parent_end)
{
    if (o->stderr_fd >= 0)
        return o->stderr_fd;
    return o->stderr_to_stdout ? dup(child_stdout) : make_pipe(parent_end);
}

/* The parent's copies of the child's fds, except the caller's own. */
static void close_all(struct proc *p, int child_fds[3])
{
    for (int i = 0; i < 3; i++)
        if (child_fds[i] >= 0 &&
            (i != 1 || child_fds[i] != p->opts.stdout_fd) &&
            (i != 2 || child_fds[i] != p->opts.stderr_fd))
            close_fd(&child_fds[i]);
}

int proc_start(struct proc *p, const char *const argv[],
               const struct proc_opts *opts)
{
    init_proc(p, opts);
    int cfd[3] = { -1, -1, -1 };
    cfd[0] = child_stdin(&p->opts, &p->in_fd);
    cfd[1] = child_stdout(&p->opts, &p->out_fd);
    cfd[2] = cfd[1] >= 0 ? child_stderr(&p->opts, cfd[1], &p->err_fd) : -1;
    char **env = build_env(p->opts.env);
    if (cfd[0] >= 0 && cfd[1] >= 0 && cfd[2] >= 0)
        p->pid = fork();
    if (p->pid == 0)
        child_exec(cfd, argv, env);
    int saved = errno;
    free(env);
    close_all(p, cfd);
    if (p->pid < 0) {
        close_fd(&p->in_fd);
        close_fd(&p->out_fd);
        close_fd(&p->err_fd);
        proc_result_free(&p->res);
        errno = saved;
        return -1;
    }
    p->deadline = now_sec() + p->opts.limit_sec;
    if (p->in_fd >= 0)
        fcntl(p->in_fd, F_SETFL, O_NONBLOCK);
    return 0;
}

/* Appends what fd has to *buf; closes fd at EOF or error. */
static void drain(int *fd, char **buf, size_t *len, size_t *cap)
{
    char chunk[4096];
    ssize_t n = read(*fd, chunk, sizeof chunk);

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close_fd(fd);
        return;
    }
    if (*len + (size_t)n + 1 > *cap) {
        *cap = (*len + (size_t)n + 1) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, chunk, (size_t)n);
    *len += (size_t)n;
    (*buf)[*len] = '\0';
}

static void feed(struct proc *p)
{
    size_t left = p->opts.input_len - p->in_done;
    ssize_t n = left ? write(p->in_fd, p->opts.input + p->in_done, left) : 0;

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n > 0)
        p->in_done += (size_t)n;
    if (n < 0 || p->in_done == p->opts.input_len)
        close_fd(&p->in_fd);
}

/* One poll round of at most the time left; false once nothing is open or
 * the limit has passed. */
static bool pump(struct proc *p)
{
    struct pollfd pf[3] = {
        { .fd = p->in_fd, .events = POLLOUT },
        { .fd = p->out_fd, .events = POLLIN },
        { .fd = p->err_fd, .events = POLLIN },
    };
    double left = p->deadline - now_sec();

    if ((p->in_fd < 0 && p->out_fd < 0 && p->err_fd < 0) || left <= 0)
        return false;
    int r = poll(pf, 3, (int)(left * 1000) + 1);
    if (r < 0 && errno != EINTR)
        return false;
    if (r <= 0)
        return true;
    if (pf[0].revents)
        feed(p);
    if (pf[1].revents)
        drain(&p->out_fd, &p->res.out, &p->res.out_len, &p->out_cap);
    if (pf[2].revents)
        drain(&p->err_fd, &p->res.err, &p->res.err_len, &p->err_cap);
    return true;
}

/* Pumps until *text (one of p's captures, which pump may move) contains
 * needle. */
static bool wait_text(struct proc *p, char *const *text, const char *needle)
{
    do {
        if (strstr(*text, needle))
            return true;
    } while ((p->out_fd >= 0 || p->err_fd >= 0) && pump(p));
    return strstr(*text, needle) != NULL;
}

bool proc_wait_output(struct proc *p, const char *needle)
{
    return wait_text(p, &p->res.out, needle);
}

bool proc_wait_stderr(struct proc *p, const char *needle)
{
    return wait_text(p, &p->res.err, needle);
}

/* The child has ended (a zombie, not reaped: reap() still sees it). */
static bool child_ended(const struct proc *p)
{
    siginfo_t info = { .si_pid = 0 };

    return waitid(P_PID, (id_t)p->pid, &info,
                  WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0;
}

static void pause_ms(long ms)
{
    nanosleep(&(struct timespec){ .tv_nsec = ms * 1000000 }, NULL);
}

bool proc_wait_state(struct proc *p, const char *states)
{
    char path[64], buf[512];

    snprintf(path, sizeof path, "/proc/%d/stat", (int)p->pid);
    while (now_sec() < p->deadline && !child_ended(p)) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        /* "PID (COMM) STATE ...": COMM may hold spaces and parentheses. */
        const char *close_paren = strrchr(buf, ')');
        if (close_paren && close_paren[1] == ' ' && close_paren[2] &&
            strchr(states, close_paren[2]))
            return true;
        pause_ms(1);
    }
    return false;
}

bool proc_wait_queued(struct proc *p, int fd, int bytes)
{
    int queued = 0;

    while (now_sec() < p->deadline) {
        if (ioctl(fd, FIONREAD, &queued) < 0)
            return false;
        if (queued >= bytes)
            return true;
        if (child_ended(p))
            return false;
        pause_ms(1);
    }
    return false;
}

char *proc_read_all(struct proc *p, int fd, size_t *len)
{
    size_t cap = 1;
    char *buf = xrealloc(NULL, cap);

    *len = 0;
    buf[0] = '\0';
    while (fd >= 0) {
        double left = p->deadline - now_sec();
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        if (left <= 0)
            break;
        int r = poll(&pf, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        drain(&fd, &buf, len, &cap);    /* sets fd to -1 at end of file */
    }
    if (fd >= 0)
        close(fd);
    return buf;
}

/* "NR 0xARG0 ..." as /proc/PID/syscall prints it ("running" while the
 * task runs). */
static bool syscall_matches(const char *line, const int *nrs, size_t n,
                            long fd)
{
    char *end;
    long nr = strtol(line, &end, 10);

    if (end == line || *end != ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (nrs[i] == nr)
            return fd < 0 || strtol(end + 1, NULL, 16) == fd;
    return false;
}

bool proc_wait_syscall(struct proc *p, const int *nrs, size_t n, long fd,
                       bool *readable)
{
    char path[64], line[256];

    snprintf(path, sizeof path, "/proc/%d/syscall", (int)p->pid);
    *readable = true;
    while (now_sec() < p->deadline) {
        FILE *f = fopen(path, "r");
        if (!f) {
            *readable = errno != EACCES && errno != EPERM;
            return false;
        }
        bool got = fgets(line, sizeof line, f) != NULL;
        fclose(f);
        if (!got) {
            *readable = false;
            return false;
        }
        if (syscall_matches(line, nrs, n, fd))
            return true;
        if (child_ended(p))
            return false;
        pause_ms(1);
    }
    return false;
}

bool proc_wait_blocked_write(struct proc *p, int fd, bool *readable)
{
    static const int write_nr[] = { 1 };      /* x86-64 write */

    return proc_wait_syscall(p, write_nr, 1, fd, readable);
}

/* Waits for the child until the deadline, then kills it. */
static int reap(struct proc *p, int *st)
{
    for (;;) {
        pid_t r = waitpid(p->pid, st, WNOHANG);
        if (r == p->pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_sec() >= p->deadline) {
            kill(p->pid, SIGKILL);
            p->res.limit_hit = true;
            return waitpid(p->pid, st, 0) == p->pid ? 0 : -1;
        }
        nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
    }
}

int proc_finish(struct proc *p, struct proc_result *res)
{
    int st = 0;

    while (pump(p))
        ;
    if (p->out_fd >= 0 || p->err_fd >= 0) {     /* the limit passed */
        kill(p->pid, SIGKILL);
        p->res.limit_hit = true;
    }
    close_fd(&p->in_fd);
    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
    int rc = reap(p, &st);
    if (WIFEXITED(st)) {
        p->res.exited = true;
        p->res.status = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
        p->res.term_signal = WTERMSIG(st);
        p->res.status = 128 + WTERMSIG(st);
    }
    *res = p->res;
    memset(&p->res, 0, sizeof p->res);
    return rc;
}

int proc_run(const char *const argv[], const struct proc_opts *opts,
             struct proc_result *res)
{
    struct proc p;

    if (proc_start(&p, argv, opts) < 0)
        return -1;
    return proc_finish(&p, res);
}

void proc_result_free(struct proc_result *res)
{
    free(res->out);
    free(res->err);
    memset(res, 0, sizeof *res);
}

size_t proc_count(const char *haystack, const char *needle)
{
    size_t n = 0, len = strlen(needle);

    if (!len)
        return 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

size_t proc_lines(const char *text)
{
    size_t n = 0;

    for (; *text; text++)
        if (*text == '\n' || !text[1])
            n++;
    return n;
}

bool proc_in_path(const char *name)
{
    const char *path = getenv("PATH");
    char buf[4096];

    while (path && *path) {
        size_t len = strcspn(path, ":");
        if (len)
            snprintf(buf, sizeof buf, "%.*s/%s", (int)len, path, name);
        else
            snprintf(buf, sizeof buf, "./%s", name);
        struct stat sb;
        if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode) && access(buf, X_OK) == 0)
            return true;
        path += len + (path[len] == ':');
    }
    return false;
}

const char *proc_need_env(const char *name)
{
    const char *v = getenv(name);

    if (!v || !*v) {
        fprintf(stderr, "%s is not set: run the tests through `make check`, "
                "which sets KVMELF, KVMELF_GUESTS and KVMELF_TEST_GUESTS\n",
                name);
        exit(2);
    }
    return v;
}

void proc_dump(const char *const *argv, const struct proc_result *r)
{
    fprintf(stderr, "command:");
    for (size_t i = 0; argv && argv[i]; i++)
        fprintf(stderr, " '%s'", argv[i]);
    fprintf(stderr, "\nstatus %d (exited %d, signal %d, killed at limit %d)\n"
            "--- stdout (%zu bytes):\n%.4000s\n--- stderr (%zu bytes):\n%s\n"
            "---\n", r->status, r->exited, r->term_signal, r->limit_hit,
            r->out_len, r->out ? r->out : "", r->err_len,
            r->err ? r->err : "");
}

/* The line of text that starts at line and ends before '\n' or at end. */
static int line_len(const char *line, const char *end)
{
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    return (int)((nl ? nl : end) - line);
}

bool proc_same_output(const char *what_a, const char *a, size_t a_len,
                      const char *what_b, const char *b, size_t b_len)
{
    size_t i = 0, line_start = 0, line_no = 1;

    while (i < a_len && i < b_len && a[i] == b[i]) {
        if (a[i++] == '\n') {
            line_start = i;
            line_no++;
        }
    }
    if (i == a_len && i == b_len)
        return true;
    fprintf(stderr, "outputs differ at line %zu, byte %zu (%zu and %zu bytes "
            "in all):\n  %-8s \"%.*s\"\n  %-8s \"%.*s\"\n", line_no, i, a_len,
            b_len, what_a, line_len(a + line_start, a + a_len), a + line_start,
            what_b, line_len(b + line_start, b + b_len), b + line_start);
    return false;
}
