/*
 * readfile PATH [CHUNK]: read(2) PATH to its end in CHUNK-byte calls
 * (default 1 MiB) and print "bytes N ns T sum S", T being the time of the
 * read loop alone (CLOCK_MONOTONIC), S a checksum that proves both runs
 * read the same bytes.  One static musl binary, run natively and as a
 * kvmelf guest by bench/bench.c (section 7).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t ns_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int main(int argc, char **argv)
{
    size_t chunk = argc > 2 ? strtoul(argv[2], NULL, 0) : 1u << 20;
    if (argc < 2 || chunk == 0) {
        fprintf(stderr, "usage: readfile PATH [CHUNK]\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    unsigned char *buf = malloc(chunk);
    if (fd < 0 || !buf) {
        perror(argv[1]);
        return 1;
    }
    uint64_t total = 0, sum = 0, t0 = ns_now();
    ssize_t n;
    while ((n = read(fd, buf, chunk)) > 0) {
        total += (uint64_t)n;
        /* One byte per page: enough to catch a wrong file, cheap enough
         * not to hide the cost of the reads. */
        for (ssize_t i = 0; i < n; i += 4096)
            sum = sum * 31 + buf[i];
    }
    uint64_t t1 = ns_now();
    if (n < 0) {
        perror("read");
        return 1;
    }
    printf("bytes %llu ns %llu sum %llu\n", (unsigned long long)total,
           (unsigned long long)(t1 - t0), (unsigned long long)sum);
    return 0;
}
