/* native-compute RUNS: the kernels as an ordinary host program. */
#include "kernels.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
    compute_all(argc > 1 ? atoi(argv[1]) : 5);
    return 0;
}
