/* sleeps MODE: sleeps that only a stop request (--timeout) ends.
 *   max      nanosleep({INT64_MAX, 999999999})
 *   absmax   clock_nanosleep(TIMER_ABSTIME) until {INT64_MAX, 999999999}
 *   futexmax FUTEX_WAIT with that timeout, on a matching value
 *   deadlock FUTEX_WAIT without a timeout, on a matching value
 *   loop     for (;;) sleep(100), for --regs after the stop
 * Each prints "sleeping" first and "woke up" if the sleep ever returns. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT 0            /* <linux/futex.h> is not musl's */

int main(int argc, char **argv)
{
    const struct timespec max = { INT64_MAX, 999999999 };
    const char *mode = argc > 1 ? argv[1] : "";
    static int word;
    long r = -1;

    printf("sleeping\n");
    fflush(stdout);
    if (strcmp(mode, "max") == 0)
        r = nanosleep(&max, NULL);
    else if (strcmp(mode, "absmax") == 0)
        r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &max, NULL);
    else if (strcmp(mode, "futexmax") == 0)
        r = syscall(SYS_futex, &word, FUTEX_WAIT, 0, &max, 0, 0);
    else if (strcmp(mode, "deadlock") == 0)
        r = syscall(SYS_futex, &word, FUTEX_WAIT, 0, NULL, 0, 0);
    else if (strcmp(mode, "loop") == 0)
        for (;;)
            sleep(100);
    printf("woke up: %ld\n", r);
    return 0;
}
