/*
 * boot: what the monitor writes into its first MiB besides the page
 * tables, before the vCPU starts: the GDT (from one segment table that
 * vcpu/ also turns into KVM segment registers), the TSS with its I/O
 * permission bitmap, the IDT, the ring-0 exception stubs, the SYSCALL
 * entry page, and the boot info.  boot_setup() writes all of it, the page
 * tables included (paging/).  Plain memory writes, no KVM, no printing.
 */
#ifndef KVMELF_BOOT_H
#define KVMELF_BOOT_H

#include "common/common.h"
#include "common/x86.h"
#include "paging/paging.h"

#include <kvmelf/abi.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- Segments: one table, two outputs ------------------------------------ */
enum segment_id { SEG_KERNEL_CODE, SEG_KERNEL_DATA, SEG_USER_DATA,
                  SEG_USER_CODE, SEG_TSS, SEG_COUNT };

/* Fields as the SDM names them (Vol. 3A, 3.4.5); the GDT bytes
 * (boot_setup) and KVM's struct kvm_segment (vcpu/) are both derived
 * from this, so they cannot disagree. */
struct x86_segment {
    uint64_t base;
    uint32_t limit;      /* in bytes - 1 (before granularity scaling) */
    uint16_t selector;
    uint8_t type;        /* S=1: code/data type; S=0: system type    */
    uint8_t s, dpl, present, avl, l, db, g;
};

/* The monitor's segment for id (TSS base/limit already filled in). */
const struct x86_segment *boot_segment(enum segment_id id);

/* The 8-byte GDT descriptor for a code/data segment (SDM 3.4.5), and the
 * 16-byte one for a 64-bit TSS (SDM 8.2.3). */
uint64_t x86_segment_descriptor(const struct x86_segment *seg);
void x86_tss_descriptor(const struct x86_segment *seg, uint64_t out[2]);

/* 64-bit TSS (SDM 8.7): packed, followed by the I/O permission bitmap. */
struct __attribute__((packed)) x86_tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
#define X86_IO_BITMAP_BYTES (65536 / 8)
/* TSS + bitmap + the all-ones byte the CPU may read past the bitmap. */
#define KVMELF_TSS_LIMIT (sizeof(struct x86_tss64) + X86_IO_BITMAP_BYTES)
/* IST slots (1-based as the IDT gate names them). */
#define KVMELF_IST_DF  1
#define KVMELF_IST_NMI 2
#define KVMELF_IST_MC  3

/* ---- The whole monitor area ------------------------------------------------------ */
struct cpu_tables {
    gpa_t cr3;
    gpa_t gdt_base;  uint16_t gdt_limit;
    gpa_t idt_base;  uint16_t idt_limit;
    uint64_t page_table_bytes;
};

/* Writes page tables for map (from paging_memory_map(cfg)), GDT, TSS
 * (RSP0, IST stacks, I/O bitmap letting every port but KVMELF_PORT_TRAP
 * through), IDT and stubs. */
int boot_setup(const struct guest_mem *gm, const struct paging_config *cfg,
               const struct memory_map *map, struct cpu_tables *out,
               struct kerr *err);

/* The SYSCALL entry boot_setup() writes at KVMELF_SYSCALL_ENTRY_ADDR
 * (the LSTAR value) reports through KVMELF_PORT_SYSCALL; this is the RIP
 * the monitor sees at that report (boot/syscall_entry.S). */
gpa_t boot_syscall_report_rip(void);

/* Writes struct kvmelf_boot_info into its page.  argv and the command
 * line are already in guest RAM (the process entry on the stack,
 * linux/stack.c): the boot info points at them. */
struct boot_params {
    const struct guest_layout *layout;   /* heap set */
    uint64_t argc;
    gpa_t argv;          /* guest address of char *argv[argc + 1] */
    gpa_t cmdline;       /* guest address of argv joined by spaces */
    bool ring0;
    bool stdout_tty;     /* KVMELF_BOOT_STDOUT_TTY: guest line-buffers */
};
int boot_write_info(const struct guest_mem *gm, const struct boot_params *bp,
                    struct kerr *err);

#endif
