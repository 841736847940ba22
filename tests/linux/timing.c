/* timing [forever]: nanosleep and clock_gettime; "forever" sleeps far
 * longer than any test waits, for --timeout. */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static double now(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "forever") == 0) {
        printf("sleeping\n");
        fflush(stdout);
        struct timespec t = { 100000, 0 };
        nanosleep(&t, NULL);
        printf("woke up\n");
        return 0;
    }
    double m0 = now(CLOCK_MONOTONIC);
    struct timespec t = { 0, 50 * 1000 * 1000 }, rem = { 9, 9 };
    int r = nanosleep(&t, &rem);
    double slept = now(CLOCK_MONOTONIC) - m0;
    printf("nanosleep %d, at least 50 ms: %s\n", r, slept >= 0.05 ? "yes" : "no");
    double m1 = now(CLOCK_MONOTONIC);
    printf("monotonic does not go back: %s\n", m1 >= m0 ? "yes" : "no");
    struct timeval tv;
    gettimeofday(&tv, NULL);
    double real = now(CLOCK_REALTIME);
    printf("realtime after 2020: %s, gettimeofday agrees: %s\n",
           real > 1577836800.0 ? "yes" : "no",
           (double)tv.tv_sec <= real + 1 && (double)tv.tv_sec >= real - 5 ? "yes" : "no");
    printf("time() agrees: %s\n", (double)time(NULL) >= real - 5 ? "yes" : "no");
    return 0;
}
