/* The guest's stdin, stdout and stderr; see console.h. */
#include "console/console.h"
#include "common/stop.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* How long one wait for input lasts before the stop flag is looked at
 * again (a stop that lands just before poll(2) is seen this late). */
#define STDIN_POLL_MS 50

void console_init(struct console *c, int out_fd, uint64_t max_output,
                  console_warn_fn *warn, void *warn_ctx)
{
    memset(c, 0, sizeof *c);
    c->out_fd = out_fd;
    c->in_fd = STDIN_FILENO;
    c->max_output = max_output;
    c->warn = warn;
    c->warn_ctx = warn_ctx;
}

int console_write_all(int fd, const void *p, size_t len, size_t *done)
{
    /* A stop signal that lands during write(2) may only shorten it (the
     * bytes already queued count), so the deadline is asked after every
     * return, not just after an EINTR. */
    struct stop_attempt attempt;

    stop_attempt_begin(&attempt);
    *done = 0;
    while (*done < len && !stop_attempt_over(&attempt)) {
        ssize_t n = write(fd, (const uint8_t *)p + *done, len - *done);
        if (n > 0) {
            *done += (size_t)n;
            continue;
        }
        int e = n < 0 ? errno : EIO;
        if (e == EAGAIN) {
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            (void)poll(&pfd, 1, -1);     /* a stop interrupts it */
        } else if (e != EINTR) {
            return e;
        }
    }
    return 0;
}

/* A write of guest output.  EPIPE on stdout marks the console closed (the
 * run ends with 141); on stderr the bytes are dropped. */
static int write_out(struct console *c, int fd, const uint8_t *p, size_t len,
                     size_t *done, struct kerr *err)
{
    *done = 0;
    if (c->closed)
        return 0;
    int e = console_write_all(fd, p, len, done);
    if (e == EPIPE && fd == c->out_fd)
        c->closed = true;
    else if (e && e != EPIPE)
        return kerr_errno(err, e, "cannot write the guest's output");
    return 0;
}

/* The one place guest output is counted against --max-output: how many
 * of len bytes may go out.  Once the cap is passed the console is capped
 * and the run loop ends the run; nothing more is accepted. */
static size_t output_allowed(struct console *c, size_t len)
{
    if (c->capped)
        return 0;
    if (c->max_output && len > c->max_output - c->total) {
        len = (size_t)(c->max_output - c->total);
        c->capped = true;
    }
    c->total += len;
    return len;
}

int console_flush(struct console *c, struct kerr *err)
{
    size_t done;

    if (write_out(c, c->out_fd, c->data, c->len, &done, err) < 0)
        return -1;
    memmove(c->data, c->data + done, c->len - done);
    c->len -= done;
    return 0;
}

int console_write(struct console *c, int fd, const uint8_t *data, size_t len,
                  struct kerr *err)
{
    size_t done;

    len = output_allowed(c, len);
    if (c->closed || len == 0)
        return 0;
    if (fd == STDOUT_FILENO && len <= sizeof c->data - c->len) {
        memcpy(c->data + c->len, data, len);   /* one write(2) for both */
        c->len += len;
        return console_flush(c, err);
    }
    /* Too big to buffer, or stderr: what came before goes out first (and
     * if a stop cut that short, nothing overtakes it). */
    if (console_flush(c, err) < 0)
        return -1;
    if (c->len)
        return 0;
    return write_out(c, fd == STDOUT_FILENO ? c->out_fd : fd, data, len,
                     &done, err);
}

int console_putc(struct console *c, uint8_t byte, struct kerr *err)
{
    if (c->closed || output_allowed(c, 1) == 0)
        return 0;
    if (c->len == sizeof c->data && console_flush(c, err) < 0)
        return -1;
    if (c->len == sizeof c->data)
        return 0;            /* interrupted by a stop request */
    c->data[c->len++] = byte;
    /* Line by line, to a terminal or a pipe alike: a byte-wise port exit
     * costs far more than the write(2) per line, and a reader such as
     * `| tee log` sees each line as the guest prints it. */
    if (byte == '\n')
        return console_flush(c, err);
    return 0;
}

int console_warn(struct console *c, const char *msg, struct kerr *err)
{
    if (console_flush(c, err) < 0)
        return -1;
    if (c->warn)
        c->warn(c->warn_ctx, msg);
    return 0;
}

/* ---- Input ------------------------------------------------------------ */

void console_poll_input(struct console *c)
{
    struct pollfd p = { .fd = c->in_fd, .events = POLLIN };

    if (c->in_pos < c->in_len || c->input_eof)
        return;
    if (poll(&p, 1, 0) <= 0)
        return;
    if (p.revents & POLLNVAL) {
        c->input_eof = true;
        return;
    }
    ssize_t n = read(c->in_fd, c->in, sizeof c->in);
    if (n > 0) {
        c->in_pos = 0;
        c->in_len = (size_t)n;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        c->input_eof = true;
    }
}

bool console_has_input(const struct console *c)
{
    return c->in_pos < c->in_len;
}

size_t console_buffered_input(const struct console *c)
{
    return c->in_len - c->in_pos;
}

bool console_at_eof(const struct console *c)
{
    return !console_has_input(c) && c->input_eof;
}

int console_getc(struct console *c)
{
    return console_has_input(c) ? c->in[c->in_pos++] : -1;
}

/* The host's stdin, once the buffer is empty: *got as console_read. */
static void read_host(struct console *c, uint8_t *p, size_t len, bool wait,
                      long *got)
{
    for (;;) {
        struct pollfd pfd = { .fd = c->in_fd, .events = POLLIN };
        if (stop_requested()) {
            *got = -EINTR;
            return;
        }
        int r = poll(&pfd, 1, wait ? STDIN_POLL_MS : 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 && wait)
            continue;
        if (r == 0) {
            *got = -EAGAIN;
            return;
        }
        if (r < 0 || (pfd.revents & POLLNVAL))
            break;
        ssize_t n = read(c->in_fd, p, len);
        if (n > 0) {
            *got = n;
            return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        break;               /* end of input, or an error: EOF for good */
    }
    c->input_eof = true;
    *got = 0;
}

int console_read(struct console *c, uint8_t *p, size_t len, bool wait,
                 long *got, struct kerr *err)
{
    *got = 0;
    if (len == 0)
        return 0;
    if (console_has_input(c)) {
        size_t n = c->in_len - c->in_pos < len ? c->in_len - c->in_pos : len;
        memcpy(p, c->in + c->in_pos, n);
        c->in_pos += n;
        *got = (long)n;
        return 0;
    }
    if (c->input_eof)
        return 0;
    if (console_flush(c, err) < 0)
        return -1;
    read_host(c, p, len, wait, got);
    return 0;
}
