/* Port 0x80 has no device: reads should give 0xff, writes are ignored. */
#include "kvmelf.h"

int main(void)
{
    uint8_t v = inb(0x80);
    printf("unknownport: 0x%02x\n", v);
    outb(0x80, 0x42);
    return 0;
}
