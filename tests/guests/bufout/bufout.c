/*
 * The bulk-write port and the runtime's stdout buffer (tests/e2e/
 * test_output.c).  argv[1] picks the case:
 *
 *   lines        three lines through printf, then return 0
 *   noflush N    "no newline" without a newline, then exit(N)
 *   crash        one line, then a NULL read
 *   spin         "pending" without a newline, then spin (for --timeout)
 *   mixed        buffered text, a raw COM1 byte, more text: in order
 *   big          300000 bytes through kvmelf_write (larger than a buffer)
 *   prompt       "name? " then getchar (stdin /dev/null: EOF)
 *   own          its own registered descriptor: writes "own1 ", then
 *                leaves "own2\n" pending and exits (the monitor writes it)
 *   own-lost     the same, but the descriptor then points outside RAM
 *   consumed     writes "own1 " through its own registered descriptor and
 *                exits with the len the monitor left in it (0: consumed,
 *                so the end of the run does not write the bytes again)
 *   bad-desc     descriptor address outside RAM
 *   bad-buffer   buffer outside RAM
 *   bad-flags    unknown flag bits
 *   bad-size     a 1-byte write to the port
 * The bad-* cases then print "bufout: still running\n" and return 0.
 */
#include <stdbool.h>

#include "kvmelf.h"

static struct kvmelf_write_desc own_desc, probe_desc;
static char own_buf[16];

static void port_write(const struct kvmelf_write_desc *d)
{
    outl(KVMELF_PORT_WRITE, (uint32_t)(uintptr_t)d);
}

static int own(bool lose)
{
    memcpy(own_buf, "own1 ", 5);
    own_desc = (struct kvmelf_write_desc){ .addr = (uintptr_t)own_buf,
        .len = 5, .flags = KVMELF_WRITE_REGISTER };
    port_write(&own_desc);              /* writes and registers */
    memcpy(own_buf, "own2\n", 5);
    own_desc.len = 5;                   /* pending: written at the end */
    if (lose)
        own_desc.addr = kvmelf_boot_info()->ram_size + 0x1000;
    return 0;
}

static int bad(const char *how)
{
    static char text[] = "never printed\n";
    uint64_t ram = kvmelf_boot_info()->ram_size;

    probe_desc = (struct kvmelf_write_desc){ .addr = (uintptr_t)text,
                                             .len = sizeof text - 1 };
    if (strcmp(how, "bad-desc") == 0)
        outl(KVMELF_PORT_WRITE, 0xfffffff0u);
    else if (strcmp(how, "monitor-desc") == 0)   /* inside the TSS */
        outl(KVMELF_PORT_WRITE, KVMELF_TSS_ADDR + 0x100);
    else if (strcmp(how, "bad-size") == 0)
        outb(KVMELF_PORT_WRITE, 1);
    else {
        if (strcmp(how, "bad-buffer") == 0)
            probe_desc.addr = ram - 4;
        else if (strcmp(how, "monitor-buffer") == 0)
            probe_desc.addr = KVMELF_GDT_ADDR;      /* supervisor only */
        else
            probe_desc.flags = 0x80;
        port_write(&probe_desc);
    }
    printf("bufout: still running\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "lines";

    if (strcmp(how, "lines") == 0) {
        printf("one\n");
        printf("two\n");
        printf("three\n");
    } else if (strcmp(how, "noflush") == 0) {
        printf("no newline");
        exit(argc > 2 ? argv[2][0] - '0' : 0);
    } else if (strcmp(how, "crash") == 0) {
        printf("bufout: before the crash\n");
        return *(volatile int *)0;
    } else if (strcmp(how, "spin") == 0) {
        printf("pending");
        for (;;)
            __asm__ volatile("pause");
    } else if (strcmp(how, "mixed") == 0) {
        printf("one ");
        kvmelf_flush();
        outb(KVMELF_PORT_COM1, '2');
        printf(" three\n");
    } else if (strcmp(how, "big") == 0) {
        static char big[300000];
        for (size_t i = 0; i < sizeof big; i++)
            big[i] = (char)('a' + i % 26);
        printf("head:");
        kvmelf_write(big, sizeof big);
        printf(":tail\n");
    } else if (strcmp(how, "prompt") == 0) {
        printf("name? ");
        printf(getchar() == EOF ? "EOF\n" : "input\n");
    } else if (strcmp(how, "consumed") == 0) {
        memcpy(own_buf, "own1 ", 5);
        own_desc = (struct kvmelf_write_desc){ .addr = (uintptr_t)own_buf,
            .len = 5, .flags = KVMELF_WRITE_REGISTER };
        port_write(&own_desc);
        exit((int)own_desc.len);
    } else if (strcmp(how, "own") == 0 || strcmp(how, "own-lost") == 0) {
        return own(how[3] == '-');
    } else {
        return bad(how);
    }
    return 0;
}
