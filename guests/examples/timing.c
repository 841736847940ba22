/* timing: times a computation with clock_gettime(CLOCK_MONOTONIC).  The
 * checksum on stdout is deterministic; the elapsed time varies from run
 * to run, so it goes to stderr where a test can ignore it. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define ROUNDS 2000000

/* xorshift64*: a fixed computation with a checkable result. */
static uint64_t work(uint64_t seed, unsigned rounds)
{
    uint64_t x = seed, sum = 0;

    for (unsigned i = 0; i < rounds; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        sum += x * 0x2545F4914F6CDD1DULL;
    }
    return sum;
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) +
           (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int main(void)
{
    struct timespec t0, t1;

    if (clock_gettime(CLOCK_MONOTONIC, &t0) != 0) {
        perror("timing: clock_gettime");
        return 1;
    }
    uint64_t sum = work(88172645463325252ULL, ROUNDS);
    if (clock_gettime(CLOCK_MONOTONIC, &t1) != 0) {
        perror("timing: clock_gettime");
        return 1;
    }
    double s = seconds(&t0, &t1);
    printf("timing: %u rounds, checksum %016llx\n", ROUNDS,
           (unsigned long long)sum);
    printf("timing: clock %s\n", s >= 0 ? "monotonic" : "WENT BACKWARDS");
    fprintf(stderr, "timing: elapsed %.6f s\n", s);
    return s >= 0 ? 0 : 1;
}
