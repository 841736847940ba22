/* Never ends on its own: for the monitor's --timeout. */
#include "kvmelf.h"

int main(void)
{
    printf("loop: spinning\n");
    for (;;)
        __asm__ volatile("pause");
}
