/*
 * Run with --mem 1G: writes and verifies a pattern over the last MiB below
 * heap_end and over 64 KiB of stack, then reports the RAM size.
 */
#include "kvmelf.h"

#define MiB (1024UL * 1024)

static uint64_t pattern(uintptr_t a)
{
    return a * 0x9e3779b97f4a7c15ULL ^ 0xdeadbeefcafef00dULL;
}

/* Volatile so that every write and read really reaches memory. */
static int fill_and_check(volatile uint64_t *p, size_t words)
{
    for (size_t i = 0; i < words; i++)
        p[i] = pattern((uintptr_t)&p[i]);
    for (size_t i = 0; i < words; i++)
        if (p[i] != pattern((uintptr_t)&p[i]))
            return 0;
    return 1;
}

/* A 64 KiB frame below main's. */
__attribute__((noinline))
static int stack_check(void)
{
    volatile uint64_t buf[64 * 1024 / sizeof(uint64_t)];
    return fill_and_check(buf, sizeof(buf) / sizeof(buf[0]));
}

int main(void)
{
    const struct kvmelf_boot_info *bi = kvmelf_boot_info();

    if (bi->heap_end < bi->heap_start + MiB) {
        printf("bigmem: heap [%#lx, %#lx) is smaller than 1 MiB\n",
               (unsigned long)bi->heap_start, (unsigned long)bi->heap_end);
        return 1;
    }
    if (!fill_and_check((volatile uint64_t *)(uintptr_t)(bi->heap_end - MiB),
                        MiB / sizeof(uint64_t))) {
        puts("bigmem: heap pattern mismatch");
        return 1;
    }
    if (!stack_check()) {
        puts("bigmem: stack pattern mismatch");
        return 1;
    }
    printf("bigmem: ram=%lu MiB ok\n", (unsigned long)(bi->ram_size / MiB));
    return 0;
}
