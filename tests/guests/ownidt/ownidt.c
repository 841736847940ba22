/*
 * A --ring0 guest that takes over the CPU's IDT: it builds its own table
 * (256 gates, only #BP and #UD present), loads it with lidt, raises the
 * exception twice (the handlers in bp.S count them and return with iretq),
 * puts the monitor's IDT back and exits 0:
 *   ownidt      int3 twice: "ownidt: handled 2 breakpoints"
 *   ownidt ud2  ud2 twice:  "ownidt: handled 2 invalid opcodes"
 * In ring 3 the lidt is a privileged instruction: the monitor reports it
 * and the guest ends (139).  Keep the CRASH-HERE marker on the lidt line.
 */
/* Ring-0 code may be emulated by KVM, which cannot do SSE there. */
#pragma GCC target("general-regs-only")

#include "kvmelf.h"

#define X86_VEC_BP       3
#define X86_VEC_UD       6
#define GATE_INTERRUPT   0x8e   /* present, DPL 0, 64-bit interrupt gate */

struct idt_gate {
    uint16_t offset_lo, selector;
    uint8_t ist, type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi, reserved;
};

struct __attribute__((packed)) idt_ptr {
    uint16_t limit;
    uint64_t base;
};

_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate");

volatile uint64_t handled;      /* incremented by the handlers */
void bp_entry(void);
void ud_entry(void);

static struct idt_gate idt[KVMELF_IDT_VECTORS] __attribute__((aligned(16)));

static void set_gate(unsigned vector, void (*handler)(void))
{
    uint64_t a = (uint64_t)(uintptr_t)handler;

    idt[vector] = (struct idt_gate){
        .offset_lo = (uint16_t)a, .selector = KVMELF_SEL_KERNEL_CS,
        .type_attr = GATE_INTERRUPT, .offset_mid = (uint16_t)(a >> 16),
        .offset_hi = (uint32_t)(a >> 32),
    };
}

static inline void load_idt(uint64_t base, uint16_t limit)
{
    struct idt_ptr p = { .limit = limit, .base = base };

    __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

int main(int argc, char **argv)
{
    int ud2 = argc > 1 && strcmp(argv[1], "ud2") == 0;
    const char *what = ud2 ? "invalid opcodes" : "breakpoints";

    puts("ownidt: loading my own IDT");
    set_gate(X86_VEC_BP, bp_entry);
    set_gate(X86_VEC_UD, ud_entry);
    load_idt((uint64_t)(uintptr_t)idt, sizeof idt - 1); /* CRASH-HERE */
    if (ud2) {
        __asm__ volatile("ud2" ::: "memory");
        __asm__ volatile("ud2" ::: "memory");
    } else {
        __asm__ volatile("int3" ::: "memory");
        __asm__ volatile("int3" ::: "memory");
    }
    /* Back to the monitor's table, whose stubs report any later fault. */
    load_idt(KVMELF_IDT_ADDR, KVMELF_IDT_VECTORS * 16 - 1);
    printf("ownidt: handled %llu %s\n", (unsigned long long)handled, what);
    if (handled != 2)
        return 1;
    exit(0);
}
