/* timedwait: sem_timedwait with a deadline 0.3 s ahead (glibc waits with
 * FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME and an absolute time) must time
 * out, after the guest's monotonic clock advanced at least that much. */
#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

#define WAIT_NS 300000000L

static long long ns(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
    sem_t sem;
    struct timespec until;

    if (sem_init(&sem, 0, 0) != 0)
        return 100;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += WAIT_NS;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    long long start = ns(CLOCK_MONOTONIC);
    int r = sem_timedwait(&sem, &until);
    int e = errno;
    long long waited = ns(CLOCK_MONOTONIC) - start;
    printf("sem_timedwait %d %s\n", r, e == ETIMEDOUT ? "ETIMEDOUT" : "other");
    printf("waited at least 0.3 s: %s\n", waited >= WAIT_NS ? "yes" : "no");
    return 0;
}
