/* qemuexit [V]: outb V (default 0x10) to QEMU's isa-debug-exit port; the
 * monitor then ends the guest with status (V << 1) | 1. */
#include "kvmelf.h"

static unsigned parse(const char *s)
{
    unsigned base = 10, v = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
            d = (unsigned)((*s | 0x20) - 'a' + 10);
        else
            return v;
        v = v * base + d;
    }
}

int main(int argc, char **argv)
{
    unsigned v = argc > 1 ? parse(argv[1]) : 0x10;
    printf("qemuexit: writing %#x to port 0xf4\n", v);
    outb(KVMELF_PORT_QEMU_EXIT, (uint8_t)v);
    puts("qemuexit: still running?!");
    return 1;
}
