/*
 * Running a program for a test: fork + execvp (no shell), stdin from bytes
 * or /dev/null, stdout and stderr captured separately (both drained with
 * poll, so neither pipe can fill up and deadlock), and a wall-clock limit
 * after which the child is killed with SIGKILL.
 *
 * The child gets SIGINT, SIGTERM and SIGPIPE reset to their defaults and an
 * empty signal mask, whatever the test runner inherited (e.g. SIGINT
 * ignored in a background job), so the program sees a normal environment.
 */
#ifndef KVMELF_TESTS_PROC_H
#define KVMELF_TESTS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROC_DEFAULT_LIMIT_SEC 30.0

struct proc_opts {
    const char *input;       /* stdin bytes; NULL = /dev/null */
    size_t input_len;
    const char *const *env;  /* extra "NAME=VALUE" entries, NULL-ended */
    int stdout_fd;           /* >= 0: the child's stdout (not captured);
                                -1: captured.  0 is treated as -1. */
    bool stdout_tty;         /* capture stdout through a raw pseudo-
                                terminal instead of a pipe */
    int stderr_fd;           /* >= 0: the child's stderr (not captured);
                                -1 or 0: captured (or 2>&1, below) */
    bool stderr_to_stdout;   /* 2>&1: stderr is not captured */
    double limit_sec;        /* kill after this long; 0 = default */
};

struct proc_result {
    int status;              /* exit status, or 128 + signal */
    bool exited;             /* ended with exit(): status is its own */
    int term_signal;         /* the signal that ended it, or 0 */
    bool limit_hit;          /* killed by us after limit_sec */
    char *out, *err;         /* NUL-terminated captures (never NULL) */
    size_t out_len, err_len;
};

/* A running child (between proc_start and proc_finish). */
struct proc {
    pid_t pid;
    int in_fd, out_fd, err_fd;   /* parent ends, -1 once closed */
    size_t in_done;
    size_t out_cap, err_cap;     /* allocated sizes of res.out, res.err */
    double deadline;             /* CLOCK_MONOTONIC seconds */
    struct proc_opts opts;
    struct proc_result res;
};

/* 0 or -1 with errno set (nothing is left running then). */
int proc_start(struct proc *p, const char *const argv[],
               const struct proc_opts *opts);
/* Pumps the pipes until stdout contains needle (true), or the child
 * closed its outputs or the limit passed (false). */
bool proc_wait_output(struct proc *p, const char *needle);
/* The same for the captured stderr (e.g. a line saying where the program
 * waits for a connection). */
bool proc_wait_stderr(struct proc *p, const char *needle);
/* Waits until the child is in one of the system calls nrs[0..n) (x86-64
 * numbers) and, with fd >= 0, with that first argument, as
 * /proc/PID/syscall shows it; polled without pumping the child's pipes,
 * so a pipe the test filled stays full.  True once it is; false when it
 * ended first, the limit passed, or /proc/PID/syscall is not readable
 * (*readable false: only root may read it of kvmelf, which is not
 * dumpable; a test then skips). */
bool proc_wait_syscall(struct proc *p, const int *nrs, size_t n, long fd,
                       bool *readable);
/* The same for write(2) on fd: blocked writing there. */
bool proc_wait_blocked_write(struct proc *p, int fd, bool *readable);
/* Waits until /proc/PID/stat shows the child in one of the states
 * (e.g. "T" stopped, "S" sleeping): true; false when it ended first or
 * the limit passed.  Readable for everyone, dumpable or not. */
bool proc_wait_state(struct proc *p, const char *states);
/* Waits until the pipe whose read end is fd (the test's, the child
 * writing the other end) holds at least bytes: true; false when the child
 * ended first or the limit passed.  Nothing is read. */
bool proc_wait_queued(struct proc *p, int fd, int bytes);
/* Reads fd (the test's end of a pipe the child writes) until end of file
 * or the limit, and closes it: a malloc'd, NUL-terminated string, its
 * length in *len. */
char *proc_read_all(struct proc *p, int fd, size_t *len);
/* Pumps until both outputs are closed, reaps the child (killing it at the
 * limit) and moves the captures into *res.  Returns 0, or -1 on a
 * waitpid error. */
int proc_finish(struct proc *p, struct proc_result *res);
/* proc_start + proc_finish. */
int proc_run(const char *const argv[], const struct proc_opts *opts,
             struct proc_result *res);
void proc_result_free(struct proc_result *res);

/* Occurrences of needle in haystack (non-overlapping). */
size_t proc_count(const char *haystack, const char *needle);
/* Number of '\n'-terminated lines, plus one for an unterminated tail. */
size_t proc_lines(const char *text);
/* The value of the environment variable name, which `make check` sets;
 * when it is unset or empty, says so on stderr and exits with status 2. */
const char *proc_need_env(const char *name);

/* Prints on stderr the command and everything r holds (stdout cut at
 * 4000 bytes): what a failed expectation about a run shows. */
void proc_dump(const char *const *argv, const struct proc_result *r);

/* In a cmocka test: fails with the message after dumping the run. */
#define PROC_EXPECT(cond, argv, r, ...) do {                     \
        if (!(cond)) {                                           \
            proc_dump((argv), (r));                              \
            fail_msg(__VA_ARGS__);                               \
        }                                                        \
    } while (0)

/* Compares two outputs byte for byte: true when equal; otherwise prints
 * on stderr, under the names what_a and what_b, the first line where
 * they differ (its number and both versions) and returns false. */
bool proc_same_output(const char *what_a, const char *a, size_t a_len,
                      const char *what_b, const char *b, size_t b_len);

/* An executable named name in $PATH, or false. */
bool proc_in_path(const char *name);

#endif
