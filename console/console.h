/*
 * console: the guest's stdin, stdout and stderr, with one owner.  The
 * UART, the debug console and the bulk-write port (vcpu/) and read(2) and
 * write(2) (linux/) all go through it, so output keeps its order, is
 * counted once against --max-output, and input read by one path is not
 * lost to the other.
 *
 * Output to fd 1 is buffered (CONSOLE_OUT_SIZE) and written when a line
 * ends (byte-wise output), when a whole buffer comes in (a write(2), a bulk
 * write), before stderr output and before input is awaited.  Every write
 * that may block is bounded by common/stop.h: a stop (--timeout, SIGINT,
 * SIGTERM) ends it, so a reader that never reads cannot hold a run.
 *
 * Functions that return int give 0, or -1 with err when the host refused a
 * write for another reason than EPIPE (a monitor error).  A closed stdout
 * (EPIPE) marks the console closed; the run then ends with 141.
 */
#ifndef KVMELF_CONSOLE_H
#define KVMELF_CONSOLE_H

#include "common/common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_OUT_SIZE (64 * 1024)
#define CONSOLE_IN_SIZE  4096

/* Warnings the console's users give (an unknown port, an unsupported
 * system call): stdout is flushed first, so they appear in order. */
typedef void console_warn_fn(void *ctx, const char *msg);

struct console {
    int out_fd;              /* stdout: STDOUT_FILENO, or a test's pipe */
    bool closed;             /* EPIPE seen on stdout: the reader is gone */
    bool capped;             /* max_output passed: the run ends */
    uint64_t total;          /* guest bytes accepted, for max_output */
    uint64_t max_output;     /* 0: no cap */
    size_t len;
    uint8_t data[CONSOLE_OUT_SIZE];

    int in_fd;               /* stdin */
    bool input_eof;
    size_t in_pos, in_len;
    uint8_t in[CONSOLE_IN_SIZE];

    console_warn_fn *warn;   /* NULL: warnings are dropped */
    void *warn_ctx;
};

/* Stdout to out_fd, stdin from STDIN_FILENO, nothing buffered. */
void console_init(struct console *c, int out_fd, uint64_t max_output,
                  console_warn_fn *warn, void *warn_ctx);

/* ---- Output ----------------------------------------------------------- */

/* A whole buffer for fd 1 (stdout) or fd 2 (stderr): stdout goes out
 * after what is buffered, in one write(2) when it fits the buffer; stderr
 * gets the buffered stdout first.  Never keeps data back, so output is in
 * order and nothing waits for a newline.  Past --max-output only the part
 * below the cap is written. */
int console_write(struct console *c, int fd, const uint8_t *data, size_t len,
                  struct kerr *err);
/* One byte for stdout (a UART or debug-console write), line-buffered. */
int console_putc(struct console *c, uint8_t byte, struct kerr *err);
/* Writes everything buffered (a stop may cut it short). */
int console_flush(struct console *c, struct kerr *err);
/* Flushes stdout, then gives msg to the warning callback. */
int console_warn(struct console *c, const char *msg, struct kerr *err);

/* Writes [p, p + len) to fd until done, a stop says to give up
 * (stop_attempt_over) or the write fails; *done says how much went out.
 * Returns 0, or the errno of the failed write (EPIPE: the reader is
 * gone).  The one stop-bounded writer: the console's and kvmelf's own
 * messages after a run. */
int console_write_all(int fd, const void *p, size_t len, size_t *done);

/* ---- Input ------------------------------------------------------------ */

/* Fills the input buffer from stdin if it is empty and input is ready,
 * without blocking. */
void console_poll_input(struct console *c);
bool console_has_input(const struct console *c);
/* How many bytes of stdin the console holds (FIONREAD adds them). */
size_t console_buffered_input(const struct console *c);
bool console_at_eof(const struct console *c);
/* The next buffered byte (after console_poll_input), or -1 when none. */
int console_getc(struct console *c);
/* Up to len bytes into p: what is buffered, else the host's stdin,
 * waiting (with wait) in slices so that a stop still ends the run; shows
 * pending output first (a prompt).  *got: the bytes read (0 at end of
 * input), -EINTR (a stop) or -EAGAIN (nothing ready, without wait). */
int console_read(struct console *c, uint8_t *p, size_t len, bool wait,
                 long *got, struct kerr *err);

#endif
