/*
 * CPU-bound kernels, compiled twice from this one file: for the host
 * (bench/compute/native.c) and as a kvmelf guest (bench/guests/compute).
 * Each kernel is timed with RDTSC around the kernel alone - the same
 * instructions in both builds, no start-up, no exits - and run
 * COMPUTE_WARMUPS + runs times; the fastest timed run (the one the shared
 * machine disturbed least) is printed as "compute NAME TICKS CHECKSUM".  The checksums must agree
 * between the two builds (the runner checks), so both did the same work.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

int printf(const char *fmt, ...);

#define CRC_BYTES   (1u << 20)
#define CRC_PASSES  8
#define MAT_N       160
#define SORT_N      (1u << 18)
#define SIEVE_N     (1u << 22)

static uint8_t crc_buf[CRC_BYTES];
static uint32_t crc_table[256];
static double mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];
static uint32_t sort_buf[SORT_N], sort_tmp[SORT_N];
static uint8_t sieve[SIEVE_N];

static inline uint64_t ticks(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
    return (uint64_t)hi << 32 | lo;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint64_t kernel_crc(void)
{
    uint32_t crc = 0xffffffffu;

    for (unsigned pass = 0; pass < CRC_PASSES; pass++)
        for (size_t i = 0; i < CRC_BYTES; i++)
            crc = crc_table[(crc ^ crc_buf[i]) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffu;
}

static uint64_t kernel_matrix(void)
{
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++)
            mat_c[i][j] = 0;
    for (int i = 0; i < MAT_N; i++)
        for (int k = 0; k < MAT_N; k++) {
            double a = mat_a[i][k];
            for (int j = 0; j < MAT_N; j++)
                mat_c[i][j] += a * mat_b[k][j];
        }
    double sum = 0;
    for (int i = 0; i < MAT_N; i++)
        sum += mat_c[i][i];
    return (uint64_t)(int64_t)sum;
}

/* Merge sort of pseudo-random keys, then a sieve: branches, memory, ints. */
static void merge_sort(uint32_t *a, uint32_t *tmp, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        uint32_t *t = a; a = tmp; tmp = t;
        for (size_t i = 0; i < n; i++)   /* keep the result in sort_buf */
            tmp[i] = a[i];
        t = a; a = tmp; tmp = t;
    }
}

static uint64_t kernel_integer(void)
{
    uint64_t seed = 88172645463325252ull, sum = 0;

    for (size_t i = 0; i < SORT_N; i++)
        sort_buf[i] = (uint32_t)xorshift(&seed);
    merge_sort(sort_buf, sort_tmp, SORT_N);
    for (size_t i = 0; i < SORT_N; i += 4096)
        sum = sum * 31 + sort_buf[i];
    for (size_t i = 0; i < SIEVE_N; i++)
        sieve[i] = 1;
    for (size_t p = 2; p * p < SIEVE_N; p++)
        if (sieve[p])
            for (size_t m = p * p; m < SIEVE_N; m += p)
                sieve[m] = 0;
    for (size_t p = 2; p < SIEVE_N; p++)
        if (sieve[p])
            sum += p;
    return sum;
}

static void init(void)
{
    uint64_t seed = 2463534242ull;

    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    for (size_t i = 0; i < CRC_BYTES; i++)
        crc_buf[i] = (uint8_t)xorshift(&seed);
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            mat_a[i][j] = (double)(xorshift(&seed) % 1000) / 100.0;
            mat_b[i][j] = (double)(xorshift(&seed) % 1000) / 100.0;
        }
}

static void run_kernel(const char *name, uint64_t (*kernel)(void), int runs)
{
    uint64_t t[COMPUTE_MAX_RUNS], sum = 0;

    for (int w = 0; w < COMPUTE_WARMUPS; w++)
        sum = kernel();          /* touches the memory: no first-use faults */
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = ticks();
        sum = kernel();
        t[r] = ticks() - t0;
    }
    uint64_t best = t[0];
    for (int i = 1; i < runs; i++)
        if (t[i] < best)
            best = t[i];
    printf("compute %s %llu %llu\n", name, (unsigned long long)best,
           (unsigned long long)sum);
}

void compute_all(int runs)
{
    if (runs < 1)
        runs = 1;
    if (runs > COMPUTE_MAX_RUNS)
        runs = COMPUTE_MAX_RUNS;
    init();
    run_kernel("crc32", kernel_crc, runs);
    run_kernel("matrix", kernel_matrix, runs);
    run_kernel("integer", kernel_integer, runs);
}
