/* compute.elf RUNS: the kernels of bench/compute/kernels.c in a guest. */
#include "kvmelf.h"
#include "../../compute/kernels.h"

int main(int argc, char **argv)
{
    int runs = 0;

    for (const char *s = argc > 1 ? argv[1] : "5"; *s >= '0' && *s <= '9'; s++)
        runs = runs * 10 + (*s - '0');
    compute_all(runs);
    return 0;
}
