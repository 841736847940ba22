/* The whole line with a single rep outsb to COM1. */
#include "kvmelf.h"

static const char msg[] = "repouts: string io works\n";

int main(void)
{
    const char *p = msg;
    size_t n = sizeof(msg) - 1;
    __asm__ volatile("rep outsb"
                     : "+S"(p), "+c"(n)
                     : "d"((uint16_t)KVMELF_PORT_COM1)
                     : "memory");
    return 0;
}
