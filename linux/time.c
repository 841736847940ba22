/* Time: the host's clocks, sleeps that a stop (--timeout, SIGINT,
 * SIGTERM) still ends, and the futex of a single thread. */
#include "internal.h"
#include "common/stop.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define FUTEX_CMD_MASK 0x7f          /* without PRIVATE and CLOCK_REALTIME */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_CLOCK_REALTIME 0x100
/* struct timezone: tz_minuteswest, tz_dsttime. */
#define TIMEZONE_SIZE (2 * sizeof(int))
/* Upper bound on one sleep slice, so a stop request is seen promptly even
 * when its signal lands just before the sleep starts. */
#define SLEEP_SLICE_NS 50000000L

/* a - b for a >= b >= 0 (no overflow: both seconds are non-negative). */
static struct timespec ts_sub(const struct timespec *a,
                              const struct timespec *b)
{
    struct timespec d = { a->tv_sec - b->tv_sec, a->tv_nsec - b->tv_nsec };

    if (d.tv_nsec < 0) {
        d.tv_sec--;
        d.tv_nsec += NSEC_PER_SEC;
    }
    return d;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec ||
           (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* now + rel, both normalized and non-negative; a sum past what time_t holds
 * saturates to the latest time there is, which no clock reaches: a sleep
 * until then ends only by a stop request. */
static struct timespec deadline_after(const struct timespec *now,
                                      const struct timespec *rel)
{
    struct timespec end = { 0, now->tv_nsec + rel->tv_nsec };
    bool carry = end.tv_nsec >= NSEC_PER_SEC;

    if (carry)
        end.tv_nsec -= NSEC_PER_SEC;
    if (__builtin_add_overflow(now->tv_sec, rel->tv_sec, &end.tv_sec) ||
        __builtin_add_overflow(end.tv_sec, carry, &end.tv_sec))
        return SYS_SLEEP_FOREVER;
    return end;
}

long sys_sleep(const struct timespec *rel, struct timespec *left)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    const struct timespec end = deadline_after(&now, rel);
    for (;;) {
        struct timespec rest = { 0, 0 };
        if (ts_before(&now, &end))
            rest = ts_sub(&end, &now);
        if (stop_requested()) {
            if (left)
                *left = rest;
            return -EINTR;
        }
        if (rest.tv_sec == 0 && rest.tv_nsec == 0)
            return 0;
        bool last = rest.tv_sec == 0 && rest.tv_nsec < SLEEP_SLICE_NS;
        struct timespec slice = { 0, last ? rest.tv_nsec : SLEEP_SLICE_NS };
        nanosleep(&slice, NULL);   /* EINTR: the loop looks at the flag */
        clock_gettime(CLOCK_MONOTONIC, &now);
    }
}

long sys_sleep_until(clockid_t clock, const struct timespec *abs)
{
    struct timespec now;

    clock_gettime(clock, &now);
    if (!ts_before(&now, abs))
        return 0;
    struct timespec rel = ts_sub(abs, &now);
    return sys_sleep(&rel, NULL);
}

/* ---- Time --------------------------------------------------------------- */

static bool known_clock(uint64_t id)
{
    switch (id) {
    case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID: case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        return true;
    default:
        return false;
    }
}

static long clock_call(struct sys_ctx *c, const uint64_t a[6],
                       int (*fn)(clockid_t, struct timespec *), bool may_null)
{
    struct timespec ts;

    if (!known_clock(a[0]))
        return -EINVAL;
    void *p = sys_user_ptr(c, a[1], sizeof ts, true);
    if (!p && !(may_null && a[1] == 0))
        return -EFAULT;
    if (fn((clockid_t)a[0], &ts) < 0)
        return -errno;
    if (p)
        memcpy(p, &ts, sizeof ts);
    return 0;
}

long sys_clock_gettime(struct sys_ctx *c, const uint64_t a[6])
{
    return clock_call(c, a, clock_gettime, false);
}

long sys_clock_getres(struct sys_ctx *c, const uint64_t a[6])
{
    return clock_call(c, a, clock_getres, true);
}

long sys_gettimeofday(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec ts;
    uint64_t tv[2];
    void *tvp = a[0] ? sys_user_ptr(c, a[0], sizeof tv, true) : NULL;
    void *tzp = a[1] ? sys_user_ptr(c, a[1], TIMEZONE_SIZE, true) : NULL;

    if ((a[0] && !tvp) || (a[1] && !tzp))
        return -EFAULT;
    clock_gettime(CLOCK_REALTIME, &ts);
    tv[0] = (uint64_t)ts.tv_sec;
    tv[1] = (uint64_t)ts.tv_nsec / 1000;
    if (tvp)
        memcpy(tvp, tv, sizeof tv);
    if (tzp)
        memset(tzp, 0, TIMEZONE_SIZE);   /* UTC, no DST */
    return 0;
}

long sys_time(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec ts;
    void *p = a[0] ? sys_user_ptr(c, a[0], sizeof(int64_t), true) : NULL;

    if (a[0] && !p)
        return -EFAULT;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t t = ts.tv_sec;
    if (p)
        memcpy(p, &t, sizeof t);
    return (long)t;
}

/* A guest timespec: -EFAULT, -EINVAL, or 0 with *ts. */
static long user_timespec(struct sys_ctx *c, uint64_t addr, struct timespec *ts)
{
    int64_t v[2];
    const void *p = sys_user_ptr(c, addr, sizeof v, false);

    if (!p)
        return -EFAULT;
    memcpy(v, p, sizeof v);
    if (v[0] < 0 || v[1] < 0 || v[1] >= NSEC_PER_SEC)
        return -EINVAL;
    ts->tv_sec = v[0];
    ts->tv_nsec = v[1];
    return 0;
}

static long sleep_and_report(struct sys_ctx *c, const struct timespec *rel,
                             uint64_t rem_addr)
{
    struct timespec left;
    long r = sys_sleep(rel, &left);

    if (r == -EINTR && rem_addr) {
        int64_t v[2] = { left.tv_sec, left.tv_nsec };
        void *p = sys_user_ptr(c, rem_addr, sizeof v, true);
        if (p)
            memcpy(p, v, sizeof v);
    }
    return r;
}

long sys_nanosleep(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec rel;
    long r = user_timespec(c, a[0], &rel);

    return r < 0 ? r : sleep_and_report(c, &rel, a[1]);
}

long sys_clock_nanosleep(struct sys_ctx *c, const uint64_t a[6])
{
    struct timespec t;

    if (a[0] != CLOCK_REALTIME && a[0] != CLOCK_MONOTONIC &&
        a[0] != CLOCK_BOOTTIME)
        return -EINVAL;
    long r = user_timespec(c, a[2], &t);
    if (r < 0)
        return r;
    if (!(a[1] & TIMER_ABSTIME))
        return sleep_and_report(c, &t, a[3]);
    return sys_sleep_until((clockid_t)a[0], &t);  /* no remaining time */
}

/* One thread: a wait whose value matches could only be ended by another
 * thread.  With a timeout it sleeps that long and times out; without one
 * it is a deadlock, which blocks as on Linux until --timeout, SIGINT or
 * SIGTERM ends the run (rather than spin on -EAGAIN). */
long sys_futex(struct sys_ctx *c, const uint64_t a[6])
{
    uint64_t cmd = a[1] & FUTEX_CMD_MASK;

    if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET)
        return 0;
    if (cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
        return -ENOSYS;
    if (a[0] % 4 || (cmd == FUTEX_WAIT_BITSET && (uint32_t)a[5] == 0))
        return -EINVAL;
    const void *word = sys_user_ptr(c, a[0], 4, false);
    if (!word)
        return -EFAULT;
    struct timespec t = SYS_SLEEP_FOREVER;
    if (a[3]) {
        long r = user_timespec(c, a[3], &t);
        if (r < 0)
            return r;
    }
    uint32_t v;
    memcpy(&v, word, sizeof v);
    if (v != (uint32_t)a[2])
        return -EAGAIN;
    long r;
    if (cmd == FUTEX_WAIT_BITSET && a[3])   /* an absolute deadline */
        r = sys_sleep_until(a[1] & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME
                                                        : CLOCK_MONOTONIC, &t);
    else
        r = sys_sleep(&t, NULL);
    return r < 0 ? r : -ETIMEDOUT;
}
