/*
 * A guest that does what a guest must not, one thing per mode (argv[1]):
 *   uart16   a 2-byte OUT to the UART's data port (the UART is 8-bit)
 *   exit8    a 1-byte write to the 32-bit exit port
 *   int80    int $0x80 in ring 3, a gate with DPL 0 (docs/abi.md, 8)
 *   uartin   2- and 4-byte INs from the UART's data and status ports
 *            (prints what they read: all ones, docs/abi.md)
 *   jump     jumps to the first address past the end of RAM
 *   cr3      --ring0: loads a CR3 that points past the end of RAM
 *   gdt      --ring0: loads a GDT whose base lies past the end of RAM,
 *            then reloads DS from it
 *   string   printf("%s") of a pointer past the end of RAM: a crash deep
 *            in the runtime's vprintf, whose line table is big enough
 *            that libdw sorts it with qsort (found by AFL++: glibc's qsort
 *            calls sysinfo, which the sandbox first refused)
 * Each prints what it is about to do first; when the monitor lets it go
 * on (uart16, exit8 without --strict-io) it says so and exits with 3.
 */
#include "kvmelf.h"

#pragma GCC target("general-regs-only")   /* ring-0 SSE is not emulated here */

struct __attribute__((packed)) dtr {
    uint16_t limit;
    uint64_t base;
};

static void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

static uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    uint64_t past_ram = kvmelf_boot_info()->ram_size + 0x1000;

    printf("misbehave: %s\n", mode);
    if (strcmp(mode, "uart16") == 0) {
        outw(KVMELF_PORT_COM1, 0x4141);
    } else if (strcmp(mode, "int80") == 0) {
        kvmelf_flush();
        __asm__ volatile("int $0x80" : : : "memory");
    } else if (strcmp(mode, "uartin") == 0) {
        printf("misbehave: inw 0x%x inl 0x%x\n", inw(KVMELF_PORT_COM1),
               inl(KVMELF_PORT_COM1 + KVMELF_UART_LSR));
    } else if (strcmp(mode, "exit8") == 0) {
        outb(KVMELF_PORT_EXIT, 7);
    } else if (strcmp(mode, "jump") == 0) {
        ((void (*)(void))past_ram)();
    } else if (strcmp(mode, "string") == 0) {
        printf("%s\n", (const char *)past_ram);
    } else if (strcmp(mode, "cr3") == 0) {
        __asm__ volatile("mov %0, %%cr3" : : "r"(past_ram) : "memory");
    } else if (strcmp(mode, "gdt") == 0) {
        struct dtr gdt = { .limit = 0xffff, .base = past_ram };
        __asm__ volatile("lgdt %0\n\tmov %1, %%ds"
                         : : "m"(gdt), "r"((uint16_t)0x10) : "memory");
    } else {
        printf("misbehave: unknown mode\n");
        return 2;
    }
    printf("misbehave: survived\n");
    return 3;
}
