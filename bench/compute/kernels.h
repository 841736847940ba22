/* bench/compute: the same kernels for the host and for a guest. */
#ifndef KVMELF_BENCH_KERNELS_H
#define KVMELF_BENCH_KERNELS_H

#define COMPUTE_WARMUPS   1
#define COMPUTE_MAX_RUNS  31

/* Runs each kernel (1 + runs times) and prints one line per kernel. */
void compute_all(int runs);

#endif
