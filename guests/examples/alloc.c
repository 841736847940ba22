/* alloc: heavy malloc/realloc/free traffic of many sizes, including
 * blocks large enough that malloc takes them from mmap rather than brk.
 * Every block is filled with a pattern and checked before it is freed;
 * the checksum over all of them is printed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS   128
#define ROUNDS  6000
#define BIG     (512u << 10)    /* well above musl's mmap threshold */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

struct block {
    unsigned char *p;
    size_t size;
    unsigned char tag;
};

static uint64_t checksum;

/* Verifies the pattern, adds it to the checksum; -1 if it was damaged. */
static int check_block(const struct block *b)
{
    for (size_t i = 0; i < b->size; i += 1 + i / 8) {
        if (b->p[i] != (unsigned char)(b->tag + i))
            return -1;
        checksum = checksum * 31 + b->p[i];
    }
    return 0;
}

static void fill(struct block *b, size_t from)
{
    for (size_t i = from; i < b->size; i++)
        b->p[i] = (unsigned char)(b->tag + i);
}

static size_t random_size(void)
{
    uint64_t r = next();
    switch (r % 8) {
    case 0: return (size_t)(r >> 8) % 16 + 1;
    case 1: case 2: case 3: return (size_t)(r >> 8) % 512 + 1;
    case 4: case 5: return (size_t)(r >> 8) % 16384 + 1;
    case 6: return (size_t)(r >> 8) % 200000 + 1;
    default: return (size_t)(r >> 8) % BIG + 1;
    }
}

static int step(struct block *b)
{
    if (b->p && check_block(b) < 0)
        return -1;
    if (b->p && next() % 3 == 0) {          /* grow or shrink in place */
        size_t size = random_size();
        unsigned char *p = realloc(b->p, size);
        if (!p)
            return -1;
        size_t keep = size < b->size ? size : b->size;
        b->p = p;
        b->size = size;
        fill(b, keep);
        return 0;
    }
    free(b->p);
    b->size = random_size();
    b->tag = (unsigned char)next();
    b->p = malloc(b->size);
    if (!b->p)
        return -1;
    fill(b, 0);
    return 0;
}

int main(void)
{
    static struct block slots[SLOTS];
    size_t big = 0;

    for (unsigned r = 0; r < ROUNDS; r++) {
        struct block *b = &slots[next() % SLOTS];
        if (step(b) < 0) {
            printf("alloc: round %u: block damaged or malloc failed\n", r);
            return 1;
        }
        big += b->size >= 200000;
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        if (slots[i].p && check_block(&slots[i]) < 0) {
            printf("alloc: slot %u damaged\n", i);
            return 1;
        }
        free(slots[i].p);
    }
    void *huge = calloc(1, 16u << 20);
    if (!huge || memchr(huge, 1, 16u << 20)) {
        printf("alloc: 16 MiB calloc failed or not zeroed\n");
        return 1;
    }
    free(huge);
    printf("alloc: %u rounds, %zu big blocks, checksum %016llx\n", ROUNDS,
           big, (unsigned long long)checksum);
    return 0;
}
