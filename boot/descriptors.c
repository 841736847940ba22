/* GDT, TSS and IDT contents (SDM Vol. 3A, chapters 3, 6 and 8). */
#include "boot/boot.h"

#include <string.h>

/* Code/data type bits with S=1 (SDM table 3-1): accessed is preset so the
 * CPU never writes the GDT when it loads a selector. */
#define SEG_TYPE_DATA_RW_A   0x3
#define SEG_TYPE_CODE_RX_A   0xb
#define SEG_TYPE_TSS64_BUSY  0xb   /* S=0; TR is loaded busy via KVM */
#define GATE_TYPE_INTERRUPT  0xe

static const struct x86_segment segments[SEG_COUNT] = {
    [SEG_KERNEL_CODE] = { .selector = KVMELF_SEL_KERNEL_CS, .limit = 0xfffff,
        .type = SEG_TYPE_CODE_RX_A, .s = 1, .dpl = 0, .present = 1, .l = 1,
        .g = 1 },
    [SEG_KERNEL_DATA] = { .selector = KVMELF_SEL_KERNEL_DS, .limit = 0xfffff,
        .type = SEG_TYPE_DATA_RW_A, .s = 1, .dpl = 0, .present = 1, .db = 1,
        .g = 1 },
    [SEG_USER_DATA] = { .selector = KVMELF_SEL_USER_DS, .limit = 0xfffff,
        .type = SEG_TYPE_DATA_RW_A, .s = 1, .dpl = 3, .present = 1, .db = 1,
        .g = 1 },
    [SEG_USER_CODE] = { .selector = KVMELF_SEL_USER_CS, .limit = 0xfffff,
        .type = SEG_TYPE_CODE_RX_A, .s = 1, .dpl = 3, .present = 1, .l = 1,
        .g = 1 },
    [SEG_TSS] = { .selector = KVMELF_SEL_TSS, .base = KVMELF_TSS_ADDR,
        .limit = KVMELF_TSS_LIMIT, .type = SEG_TYPE_TSS64_BUSY, .s = 0,
        .dpl = 0, .present = 1 },
};

const struct x86_segment *boot_segment(enum segment_id id)
{
    return id < SEG_COUNT ? &segments[id] : NULL;
}

uint64_t x86_segment_descriptor(const struct x86_segment *seg)
{
    uint64_t d = 0;

    d |= (uint64_t)(seg->limit & 0xffff);
    d |= (seg->base & 0xffffff) << 16;
    d |= (uint64_t)(seg->type & 0xf) << 40;
    d |= (uint64_t)(seg->s & 1) << 44;
    d |= (uint64_t)(seg->dpl & 3) << 45;
    d |= (uint64_t)(seg->present & 1) << 47;
    d |= (uint64_t)((seg->limit >> 16) & 0xf) << 48;
    d |= (uint64_t)(seg->avl & 1) << 52;
    d |= (uint64_t)(seg->l & 1) << 53;
    d |= (uint64_t)(seg->db & 1) << 54;
    d |= (uint64_t)(seg->g & 1) << 55;
    d |= ((seg->base >> 24) & 0xff) << 56;
    return d;
}

void x86_tss_descriptor(const struct x86_segment *seg, uint64_t out[2])
{
    out[0] = x86_segment_descriptor(seg);
    out[1] = seg->base >> 32;
}

static void write_gdt(uint8_t *gdt)
{
    for (int id = 0; id < SEG_COUNT; id++) {
        const struct x86_segment *seg = &segments[id];
        uint8_t *slot = gdt + (seg->selector & ~7u);
        if (id == SEG_TSS) {
            uint64_t d[2];
            x86_tss_descriptor(seg, d);
            memcpy(slot, d, sizeof d);
        } else {
            uint64_t d = x86_segment_descriptor(seg);
            memcpy(slot, &d, sizeof d);
        }
    }
}

static void write_tss(uint8_t *tss_page)
{
    struct x86_tss64 tss = {
        .rsp = { KVMELF_KSTACK_TOP },
        .iomap_base = sizeof(struct x86_tss64),
    };
    uint8_t *bitmap = tss_page + sizeof tss;

    tss.ist[KVMELF_IST_DF - 1] = KVMELF_IST_DF_TOP;
    tss.ist[KVMELF_IST_NMI - 1] = KVMELF_IST_NMI_TOP;
    tss.ist[KVMELF_IST_MC - 1] = KVMELF_IST_MC_TOP;
    memcpy(tss_page, &tss, sizeof tss);
    /* A clear bit lets ring 3 use the port: all of them may reach the
     * monitor's devices, except the stubs' report port, so the guest cannot
     * forge an exception report. */
    memset(bitmap, 0, X86_IO_BITMAP_BYTES);
    for (unsigned p = KVMELF_PORT_TRAP; p <= KVMELF_PORT_TRAP_LAST; p++)
        bitmap[p / 8] |= (uint8_t)(1u << (p % 8));
    bitmap[X86_IO_BITMAP_BYTES] = 0xff;
}

static uint8_t gate_ist(unsigned vector)
{
    switch (vector) {
    case X86_VEC_DF:  return KVMELF_IST_DF;
    case X86_VEC_NMI: return KVMELF_IST_NMI;
    case X86_VEC_MC:  return KVMELF_IST_MC;
    default:          return 0;
    }
}

static void write_idt(uint8_t *idt)
{
    for (unsigned v = 0; v < KVMELF_IDT_VECTORS; v++) {
        uint64_t target = KVMELF_STUB_ADDR + (uint64_t)v * KVMELF_STUB_STRIDE;
        /* int3 and into must work from ring 3 (#BP/#OF as a native
         * program gets them); other gates are ring-0 only, so "int n"
         * from the guest is a #GP, not a fake exception. */
        unsigned dpl = (v == X86_VEC_BP || v == X86_VEC_OF) ? 3 : 0;
        uint64_t lo = (target & 0xffff) |
                      ((uint64_t)KVMELF_SEL_KERNEL_CS << 16) |
                      ((uint64_t)gate_ist(v) << 32) |
                      ((uint64_t)GATE_TYPE_INTERRUPT << 40) |
                      ((uint64_t)dpl << 45) | (1ULL << 47) |
                      ((target >> 16) & 0xffff) << 48;
        uint64_t hi = target >> 32;
        memcpy(idt + (size_t)v * 16, &lo, sizeof lo);
        memcpy(idt + (size_t)v * 16 + 8, &hi, sizeof hi);
    }
}

extern const uint8_t kvmelf_stub_image[], kvmelf_stub_image_end[];
extern const uint8_t kvmelf_syscall_image[], kvmelf_syscall_image_end[];
extern const uint8_t kvmelf_syscall_report_end[];

/* Bytes between two linker symbols (not one C object: subtract addresses). */
static size_t image_span(const uint8_t *start, const uint8_t *end)
{
    return (size_t)((uintptr_t)end - (uintptr_t)start);
}

gpa_t boot_syscall_report_rip(void)
{
    return KVMELF_SYSCALL_ENTRY_ADDR +
           image_span(kvmelf_syscall_image, kvmelf_syscall_report_end);
}

int boot_setup(const struct guest_mem *gm, const struct paging_config *cfg,
                 const struct memory_map *map, struct cpu_tables *out,
                 struct kerr *err)
{
    size_t stub_size = image_span(kvmelf_stub_image, kvmelf_stub_image_end);
    uint8_t *gdt = guest_mem_ptr(gm, KVMELF_GDT_ADDR, KVMELF_PAGE_SIZE);
    uint8_t *idt = guest_mem_ptr(gm, KVMELF_IDT_ADDR, KVMELF_PAGE_SIZE);
    uint8_t *tss = guest_mem_ptr(gm, KVMELF_TSS_ADDR, KVMELF_TSS_LIMIT + 1);
    uint8_t *stub = guest_mem_ptr(gm, KVMELF_STUB_ADDR, stub_size);
    size_t entry_size = image_span(kvmelf_syscall_image,
                                   kvmelf_syscall_image_end);
    uint8_t *entry = guest_mem_ptr(gm, KVMELF_SYSCALL_ENTRY_ADDR, entry_size);

    if (!gdt || !idt || !tss || !stub || !entry)
        return kerr_set(err, "guest RAM is smaller than the monitor's area");
    if (stub_size > KVMELF_KSTACK_ADDR - KVMELF_STUB_ADDR)
        return kerr_set(err, "internal error: exception stubs (%zu bytes) "
                        "overflow their pages", stub_size);
    if (paging_build_tables(gm, cfg, map, &out->cr3, &out->page_table_bytes,
                            err) < 0)
        return -1;
    write_gdt(gdt);
    write_tss(tss);
    write_idt(idt);
    memcpy(stub, kvmelf_stub_image, stub_size);
    memcpy(entry, kvmelf_syscall_image, entry_size);
    out->gdt_base = KVMELF_GDT_ADDR;
    out->gdt_limit = KVMELF_GDT_ENTRIES * 8 - 1;
    out->idt_base = KVMELF_IDT_ADDR;
    out->idt_limit = KVMELF_IDT_VECTORS * 16 - 1;
    return 0;
}
