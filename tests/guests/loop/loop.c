/* Never ends on its own: for the monitor's --timeout and signals; the line
 * is flushed so that a reader sees it while the guest still runs. */
#include "kvmelf.h"

int main(void)
{
    printf("loop: spinning\n");
    kvmelf_flush();         /* stdout is fully buffered on a pipe */
    for (;;)
        __asm__ volatile("pause");
}
