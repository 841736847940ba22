/*
 * churn SIZE COUNT: COUNT times mmap SIZE bytes of anonymous memory, write
 * one byte of each page, munmap it; print "bytes N ns T sum S" as
 * readfile does (N = SIZE * COUNT, T the loop's time, CLOCK_MONOTONIC, S a
 * checksum of what the pages read before the write: fresh pages read
 * zero, so S is 0 on any correct system).  What an allocator does with
 * large blocks (musl's mallocng maps and unmaps them), run natively and
 * as a kvmelf guest by bench/bench.c (section 8).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static uint64_t ns_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int main(int argc, char **argv)
{
    size_t size = argc > 2 ? strtoul(argv[1], NULL, 0) : 0;
    long count = argc > 2 ? strtol(argv[2], NULL, 0) : 0;
    if (size == 0 || count <= 0) {
        fprintf(stderr, "usage: churn SIZE COUNT\n");
        return 2;
    }
    uint64_t sum = 0, t0 = ns_now();
    for (long i = 0; i < count; i++) {
        volatile unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        for (size_t j = 0; j < size; j += 4096) {
            sum += p[j];
            p[j] = 1;
        }
        munmap((void *)p, size);
    }
    uint64_t t1 = ns_now();
    printf("bytes %llu ns %llu sum %llu\n",
           (unsigned long long)size * (unsigned long long)count,
           (unsigned long long)(t1 - t0), (unsigned long long)sum);
    return 0;
}
