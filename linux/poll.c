/* poll, ppoll, select, pselect6 over every kind of fd, and the one wait
 * on a host fd that blocking pipe I/O uses.  Waits are sliced like
 * sys_sleep's, so a stop (--timeout, SIGINT, SIGTERM) ends them. */
#include "internal.h"
#include "common/stop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <unistd.h>

#define WAIT_SLICE_MS 50        /* a stop that lands before ppoll waits at
                                   most this long to be seen */
#define MSEC_PER_SEC 1000L
#define NSEC_PER_MSEC 1000000L
#define NSEC_PER_USEC 1000L
#define SIGSET_SIZE 8           /* the kernel's sigset_t */
/* select's readiness sets, as Linux defines them (fs/select.c). */
#define POLLIN_SET  (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET  (POLLPRI)
#define ALWAYS_READY (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM)

long sys_wait_host_fd(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };

    while (!stop_requested()) {
        int n = poll(&p, 1, WAIT_SLICE_MS);
        if (n > 0)
            return 0;
    }
    return -EINTR;
}

/* One guest pollfd: where the host's poll decides (host >= 0), or what is
 * ready without asking (ready). */
struct poll_item {
    int host;
    short ready;
};

static struct poll_item classify(struct sys_ctx *c, int fd, short events)
{
    struct poll_item it = { -1, 0 };
    struct lfile *f = fd < 0 ? NULL : sys_file(c, (uint64_t)(uint32_t)fd);

    if (fd < 0)
        return it;
    if (!f) {
        it.ready = POLLNVAL;
        return it;
    }
    switch (f->kind) {
    case LF_HOST:
        it.host = f->host_fd;
        break;
    case LF_CONSOLE:
        if (f->std != STDIN_FILENO) {
            it.ready = (short)(events & (POLLOUT | POLLWRNORM));
            break;
        }
        /* What kvmelf buffered is ready; the host's stdin says the rest,
         * at its end too: a pipe whose writer left is POLLHUP, not POLLIN
         * (also with bytes still buffered: POLLIN | POLLHUP), a file or
         * /dev/null POLLIN, as Linux says of the guest's stdin itself. */
        console_poll_input(c->g->console);
        if (console_has_input(c->g->console))
            it.ready = (short)(events & (POLLIN | POLLRDNORM));
        it.host = STDIN_FILENO;
        break;
    case LF_DEV:
    case LF_DIR:
        it.ready = (short)(events & ALWAYS_READY);
        break;
    }
    return it;
}

/* How long the next wait may be: a slice, less when the deadline (NULL:
 * none) is nearer, 0 once it passed. */
static int slice_ms(const struct timespec *deadline)
{
    if (!deadline)
        return WAIT_SLICE_MS;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t sec = deadline->tv_sec - now.tv_sec;
    if (sec > 1)
        return WAIT_SLICE_MS;    /* and no product of a far deadline */
    int64_t left = sec * MSEC_PER_SEC +
                   (deadline->tv_nsec - now.tv_nsec + NSEC_PER_MSEC - 1) /
                   NSEC_PER_MSEC;
    return left <= 0 ? 0 : left < WAIT_SLICE_MS ? (int)left : WAIT_SLICE_MS;
}

/* Polls the guest's pollfds (copied in fds) until one is ready, the
 * deadline (NULL: none) passes or a stop comes.  The count, or -EINTR. */
static long poll_fds(struct sys_ctx *c, struct pollfd *fds, size_t n,
                     const struct timespec *deadline)
{
    struct pollfd *host = calloc(n ? n : 1, sizeof *host);
    short *ready = calloc(n ? n : 1, sizeof *ready);
    long count = -ENOMEM;

    if (!host || !ready)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct poll_item it = classify(c, fds[i].fd, fds[i].events);
        host[i] = (struct pollfd){ .fd = it.host,
                                   .events = (short)(it.host >= 0 ? fds[i].events : 0) };
        ready[i] = it.ready;
    }
    for (;;) {
        if (poll(host, n, 0) < 0 && errno != EINTR) {
            count = -errno;
            break;
        }
        count = 0;
        for (size_t i = 0; i < n; i++) {
            short got = (short)(host[i].fd >= 0 ? host[i].revents : 0);
            fds[i].revents = (short)(ready[i] | got);
            count += fds[i].revents != 0;
        }
        int ms = count ? 0 : slice_ms(deadline);
        if (ms == 0)
            break;
        if (stop_requested()) {
            count = -EINTR;
            break;
        }
        poll(host, n, ms);   /* wait; the next round says what is ready */
    }
out:
    free(host);
    free(ready);
    return count;
}

/* The absolute deadline rel from now; false when rel is invalid. */
static bool deadline_in(const struct timespec *rel, struct timespec *out)
{
    if (rel->tv_sec < 0 || rel->tv_nsec < 0 || rel->tv_nsec >= NSEC_PER_SEC)
        return false;
    clock_gettime(CLOCK_MONOTONIC, out);
    if (rel->tv_sec > INT64_MAX / 2 - out->tv_sec) {
        out->tv_sec = INT64_MAX / 2;    /* as good as forever */
        return true;
    }
    out->tv_sec += rel->tv_sec;
    out->tv_nsec += rel->tv_nsec;
    if (out->tv_nsec >= NSEC_PER_SEC) {
        out->tv_sec++;
        out->tv_nsec -= NSEC_PER_SEC;
    }
    return true;
}

/* What is left of the time until deadline (zero once it passed). */
static struct timespec time_left(const struct timespec *deadline)
{
    struct timespec now, left = { 0, 0 };

    clock_gettime(CLOCK_MONOTONIC, &now);
    left.tv_sec = deadline->tv_sec - now.tv_sec;
    left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
    if (left.tv_nsec < 0) {
        left.tv_sec--;
        left.tv_nsec += NSEC_PER_SEC;
    }
    if (left.tv_sec < 0)
        left = (struct timespec){ 0, 0 };
    return left;
}

static long poll_call(struct sys_ctx *c, uint64_t addr, uint64_t nfds,
                      const struct timespec *deadline)
{
    if (nfds > sys_nofile(c->proc))
        return -EINVAL;
    struct pollfd *g = sys_user_ptr(c, addr, nfds * sizeof *g, true);
    if (!g && nfds)
        return -EFAULT;
    struct pollfd *fds = calloc(nfds ? nfds : 1, sizeof *fds);
    if (!fds)
        return -ENOMEM;
    if (nfds)
        memcpy(fds, g, nfds * sizeof *fds);
    long r = poll_fds(c, fds, nfds, deadline);
    if (r >= 0)
        for (uint64_t i = 0; i < nfds; i++)
            memcpy(&g[i].revents, &fds[i].revents, sizeof fds[i].revents);
    free(fds);
    return r;
}

long sys_poll(struct sys_ctx *c, const uint64_t a[6])
{
    int ms = (int)a[2];
    struct timespec deadline = { 0, 0 };
    const struct timespec rel = { ms / MSEC_PER_SEC,
                                  (ms % MSEC_PER_SEC) * NSEC_PER_MSEC };

    if (ms >= 0)
        deadline_in(&rel, &deadline);
    return poll_call(c, a[0], a[1], ms >= 0 ? &deadline : NULL);
}

/* ppoll and pselect6 take a signal mask: checked, then unused, since
 * kvmelf delivers no signal to the guest. */
static long check_sigmask(struct sys_ctx *c, uint64_t mask, uint64_t size)
{
    if (!mask)
        return 0;
    if (size != SIGSET_SIZE)
        return -EINVAL;
    return sys_user_ptr(c, mask, SIGSET_SIZE, false) ? 0 : -EFAULT;
}

/* A guest timespec timeout (addr 0: none) as a deadline; *ts the guest's
 * copy, to write the time left back to. */
static long read_timeout(struct sys_ctx *c, uint64_t addr,
                         struct timespec **ts, struct timespec *deadline)
{
    *ts = NULL;
    if (!addr)
        return 0;
    *ts = sys_user_ptr(c, addr, sizeof **ts, true);
    if (!*ts)
        return -EFAULT;
    struct timespec rel;
    memcpy(&rel, *ts, sizeof rel);
    return deadline_in(&rel, deadline) ? 0 : -EINVAL;
}

long sys_ppoll(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec deadline = { 0, 0 }, *ts;
    long r = read_timeout(c, a[2], &ts, &deadline);

    if (r == 0)
        r = check_sigmask(c, a[3], a[4]);
    if (r < 0)
        return r;
    r = poll_call(c, a[0], a[1], ts ? &deadline : NULL);
    if (ts) {
        struct timespec left = time_left(&deadline);
        memcpy(ts, &left, sizeof left);
    }
    return r;
}

/* ---- select ------------------------------------------------------------- */

struct fd_sets {
    uint8_t *set[3];         /* read, write, except: guest bitmaps or NULL */
};

static bool fd_isset_in(const uint8_t *set, int fd)
{
    return set && (set[fd / 8] >> (fd % 8) & 1);
}

static long select_call(struct sys_ctx *c, uint64_t nfds_arg,
                        const uint64_t addr[3],
                        const struct timespec *deadline)
{
    static const short wanted[3] = { POLLIN_SET, POLLOUT_SET, POLLEX_SET };
    struct fd_sets s;

    if ((int64_t)(int)nfds_arg < 0)
        return -EINVAL;
    int nfds = (int)nfds_arg;
    if ((uint64_t)nfds > sys_nofile(c->proc))
        nfds = (int)sys_nofile(c->proc);
    size_t bytes = ((size_t)nfds + 63) / 64 * 8;
    for (int k = 0; k < 3; k++) {
        s.set[k] = addr[k] ? sys_user_ptr(c, addr[k], bytes, true) : NULL;
        if (addr[k] && !s.set[k] && bytes)
            return -EFAULT;
    }
    struct pollfd *fds = calloc((size_t)nfds + 1, sizeof *fds);
    size_t n = 0;
    if (!fds)
        return -ENOMEM;
    for (int fd = 0; fd < nfds; fd++) {
        short ev = 0;
        for (int k = 0; k < 3; k++)
            if (fd_isset_in(s.set[k], fd))
                ev = (short)(ev | (k == 0 ? POLLIN : k == 1 ? POLLOUT : POLLPRI));
        if (!ev)
            continue;
        if (!sys_file(c, (uint64_t)fd)) {
            free(fds);
            return -EBADF;
        }
        fds[n++] = (struct pollfd){ .fd = fd, .events = ev };
    }
    long r = poll_fds(c, fds, n, deadline);
    if (r < 0) {
        free(fds);
        return r;
    }
    for (int k = 0; k < 3; k++)
        if (s.set[k])
            memset(s.set[k], 0, bytes);
    long count = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            int fd = fds[i].fd;
            bool asked = (fds[i].events & (k == 0 ? POLLIN : k == 1 ? POLLOUT
                                                                     : POLLPRI)) != 0;
            if (asked && s.set[k] && (fds[i].revents & wanted[k])) {
                s.set[k][fd / 8] = (uint8_t)(s.set[k][fd / 8] | 1u << (fd % 8));
                count++;
            }
        }
    free(fds);
    return count;
}

long sys_select(struct sys_ctx *c, const uint64_t a[6])
{
    struct timeval *tv = NULL;
    struct timespec deadline = { 0, 0 };

    if (a[4]) {
        tv = sys_user_ptr(c, a[4], sizeof *tv, true);
        if (!tv)
            return -EFAULT;
        struct timeval t;
        memcpy(&t, tv, sizeof t);
        if (t.tv_sec < 0 || t.tv_usec < 0)
            return -EINVAL;
        if (t.tv_sec > INT64_MAX / 4)
            t.tv_sec = INT64_MAX / 4;    /* as good as forever */
        const struct timespec rel = {
            t.tv_sec + t.tv_usec / 1000000,
            (t.tv_usec % 1000000) * NSEC_PER_USEC };
        deadline_in(&rel, &deadline);
    }
    const uint64_t sets[3] = { a[1], a[2], a[3] };
    long r = select_call(c, a[0], sets, tv ? &deadline : NULL);
    if (tv) {
        struct timespec left = time_left(&deadline);
        struct timeval out = { left.tv_sec, left.tv_nsec / NSEC_PER_USEC };
        memcpy(tv, &out, sizeof out);
    }
    return r;
}

long sys_pselect6(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec deadline = { 0, 0 }, *ts;
    long r = read_timeout(c, a[4], &ts, &deadline);

    if (r < 0)
        return r;
    if (a[5]) {
        /* { const sigset_t *ss; size_t ss_len; } */
        const uint64_t *arg = sys_user_ptr(c, a[5], 2 * sizeof *arg, false);
        if (!arg)
            return -EFAULT;
        uint64_t mask[2];
        memcpy(mask, arg, sizeof mask);
        if ((r = check_sigmask(c, mask[0], mask[1])) < 0)
            return r;
    }
    const uint64_t sets[3] = { a[1], a[2], a[3] };
    r = select_call(c, a[0], sets, ts ? &deadline : NULL);
    if (ts) {
        struct timespec left = time_left(&deadline);
        memcpy(ts, &left, sizeof left);
    }
    return r;
}
