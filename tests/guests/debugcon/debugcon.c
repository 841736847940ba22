/* Output through the debug console port 0xE9 only (no COM1). */
#include "kvmelf.h"

int main(void)
{
    for (const char *p = "debugcon: hi\n"; *p; p++)
        outb(KVMELF_PORT_DEBUGCON, (uint8_t)*p);
    return 0;
}
