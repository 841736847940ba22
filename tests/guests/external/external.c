/*
 * A guest that uses nothing of the project but the documented ABI, with the
 * numbers written out as a foreign toolchain would: COM1 data port 0x3F8 for
 * output, a 32-bit write of the status to port 0x500 to exit (done by crt.S
 * with main's return value).
 */
int external_main(void);

static const char message[] = "external: hello from an ELF linked elsewhere\n";
int status = 42;                /* .data */
static volatile int written;    /* .bss */

int external_main(void)
{
    for (const char *p = message; *p; p++) {
        __asm__ volatile("outb %0, %1" : : "a"(*p), "Nd"((unsigned short)0x3F8));
        written++;
    }
    return written == (int)sizeof(message) - 1 ? status : 1;
}
