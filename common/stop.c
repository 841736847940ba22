/* Stop signals and the deadlines of blocking writes; see stop.h. */
#include "common/stop.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/time.h>
#include <time.h>

/* Once a stop is pending, SIGALRM repeats at this interval so that a
 * write(2) blocked on a reader that never reads returns EINTR and looks
 * at its deadline: a write gives up at most this much after it. */
#define STOP_TICK_SEC 0.25

static volatile sig_atomic_t first_signal;
static volatile sig_atomic_t ticks;
static volatile sig_atomic_t ended;
/* CLOCK_MONOTONIC ns from which the grace counts; 0: no stop pending.
 * Written once, by the handler or stop_run_ended(), before anyone reads
 * it (an aligned 64-bit store is atomic on x86-64). */
static volatile uint64_t pending_ns;
static volatile uint8_t *volatile kick;
static bool installed;

static uint64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);   /* async-signal-safe */
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static struct itimerval timer_value(double seconds, bool repeat)
{
    struct itimerval t = { { 0, 0 }, { 0, 0 } };

    t.it_value.tv_sec = (time_t)seconds;
    t.it_value.tv_usec =
        (suseconds_t)((seconds - (double)t.it_value.tv_sec) * 1e6);
    if (t.it_value.tv_sec == 0 && t.it_value.tv_usec == 0)
        t.it_value.tv_usec = 1;
    if (repeat)
        t.it_interval = t.it_value;
    return t;
}

/* The stop becomes pending now (once): the ticks start. */
static void set_pending(void)
{
    if (pending_ns)
        return;
    pending_ns = now_ns();
    struct itimerval tick = timer_value(STOP_TICK_SEC, true);
    (void)setitimer(ITIMER_REAL, &tick, NULL);   /* async-signal-safe */
}

static void on_stop_signal(int sig)
{
    int saved = errno;

    ticks++;
    if (!first_signal)
        first_signal = sig;
    set_pending();
    if (kick)
        *kick = 1;
    errno = saved;
}

void stop_install(void)
{
    struct sigaction sa = { .sa_handler = on_stop_signal };
    struct sigaction ign = { .sa_handler = SIG_IGN };

    if (installed)
        return;
    installed = true;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&ign.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGPIPE, &ign, NULL);
}

int stop_first_signal(void)
{
    return first_signal;
}

bool stop_requested(void)
{
    return first_signal != 0;
}

unsigned stop_ticks(void)
{
    return (unsigned)ticks;
}

void stop_set_kick(volatile uint8_t *flag)
{
    kick = flag;
    if (flag && first_signal)
        *flag = 1;
}

int stop_start_timeout(double seconds, struct kerr *err)
{
    if (seconds <= 0 || first_signal)
        return 0;
    struct itimerval t = timer_value(seconds, false);
    if (setitimer(ITIMER_REAL, &t, NULL) < 0)
        return kerr_errno(err, errno, "cannot start the --timeout timer");
    return 0;
}

void stop_run_ended(bool bounded)
{
    struct itimerval off = { { 0, 0 }, { 0, 0 } };

    kick = NULL;
    ended = 1;
    if (bounded) {
        set_pending();
    } else if (!pending_ns) {
        (void)setitimer(ITIMER_REAL, &off, NULL);
    }
}

bool stop_after_run(void)
{
    return ended != 0;
}

void stop_attempt_begin(struct stop_attempt *a)
{
    a->ticks = stop_ticks();
    a->start_ns = now_ns();
}

bool stop_attempt_over(const struct stop_attempt *a)
{
    if (!ended)
        return stop_ticks() != a->ticks;
    uint64_t from = pending_ns;
    if (!from)
        return false;
    if (a->start_ns > from)
        from = a->start_ns;
    return now_ns() - from >= (uint64_t)(STOP_GRACE_SEC * 1e9);
}

void stop_reset_for_test(void)
{
    struct itimerval off = { { 0, 0 }, { 0, 0 } };

    (void)setitimer(ITIMER_REAL, &off, NULL);
    first_signal = 0;
    ticks = 0;
    ended = 0;
    pending_ns = 0;
    kick = NULL;
}

void stop_request_for_test(int sig)
{
    if (!first_signal)
        first_signal = sig;
}
