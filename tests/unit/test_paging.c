/* paging: build the monitor's area into plain memory and check it the way
 * the CPU will read it. */
#include "boot/boot.h"
#include "paging/paging.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

struct fixture {
    struct guest_mem gm;
    struct cpu_tables tables;
    struct guest_layout layout;
    struct paging_config cfg;
    struct memory_map map;
};

/* The layout for ram with the default stack, as the CLI derives it. */
static void layout_for(struct fixture *f, uint64_t ram)
{
    struct kerr err;

    if (paging_layout(ram, 0, &f->layout, &err) < 0)
        fail_msg("paging_layout: %s", err.msg);
}

/* The map, then the monitor's area built from it, as the CLI does. */
static int build(struct fixture *f, struct kerr *err)
{
    if (paging_memory_map(&f->cfg, &f->map, err) < 0)
        return -1;
    return boot_setup(&f->gm, &f->cfg, &f->map, &f->tables, err);
}

static struct fixture *setup_ram(uint64_t ram, bool huge_1g)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct kerr err;

    assert_non_null(f);
    layout_for(f, ram);
    f->cfg = (struct paging_config){ .layout = &f->layout, .huge_1g = huge_1g,
                                     .nx = true };
    assert_int_equal(guest_mem_init(&f->gm, ram, &err), 0);
    assert_int_equal(build(f, &err), 0);
    return f;
}

static void teardown_ram(struct fixture *f)
{
    guest_mem_fini(&f->gm);
    free(f);
}

static void assert_mapped(const struct fixture *f, uint64_t va,
                          unsigned attrs, uint64_t page_size)
{
    struct translation t;

    if (paging_walk(&f->gm, f->tables.cr3, va, &t) != 0)
        fail_msg("0x%llx is not mapped", (unsigned long long)va);
    assert_int_equal(t.phys, va);                 /* identity */
    assert_int_equal(t.attrs, attrs);
    if (page_size)
        assert_int_equal(t.page_size, page_size);
}

static void assert_unmapped(const struct fixture *f, uint64_t va)
{
    struct translation t;

    if (paging_walk(&f->gm, f->tables.cr3, va, &t) == 0)
        fail_msg("0x%llx is mapped", (unsigned long long)va);
}

#define USER_RWX (PAGE_PRESENT | PAGE_USER | PAGE_WRITE | PAGE_EXEC)
#define USER_RW  (PAGE_PRESENT | PAGE_USER | PAGE_WRITE)
#define USER_RO  (PAGE_PRESENT | PAGE_USER)
#define SUP_RW   (PAGE_PRESENT | PAGE_WRITE)
#define SUP_RX   (PAGE_PRESENT | PAGE_EXEC)

static void test_landmarks_64m(void **state)
{
    (void)state;
    const uint64_t ram = 64 * MiB;
    struct fixture *f = setup_ram(ram, false);

    assert_unmapped(f, 0);                               /* NULL page */
    assert_unmapped(f, KVMELF_PAGE_SIZE - 1);
    assert_mapped(f, KVMELF_GDT_ADDR, SUP_RW, X86_PAGE_4K);
    assert_mapped(f, KVMELF_IDT_ADDR, SUP_RW, X86_PAGE_4K);
    assert_mapped(f, KVMELF_TSS_ADDR, SUP_RW, X86_PAGE_4K);
    assert_mapped(f, KVMELF_STUB_ADDR, SUP_RX, X86_PAGE_4K);
    assert_mapped(f, KVMELF_KSTACK_TOP - 8, SUP_RW, X86_PAGE_4K);
    assert_unmapped(f, KVMELF_PT_ADDR);                  /* tables hidden */
    assert_unmapped(f, KVMELF_PT_END - 1);
    assert_mapped(f, KVMELF_BOOT_INFO_ADDR, USER_RO, X86_PAGE_4K);
    assert_mapped(f, KVMELF_BOOT_INFO_END - 1, USER_RO, X86_PAGE_4K);
    assert_unmapped(f, KVMELF_BOOT_INFO_END);
    assert_mapped(f, KVMELF_RESERVED_END, USER_RW, X86_PAGE_4K);  /* heap */
    assert_mapped(f, 2 * MiB, USER_RW, X86_PAGE_2M);
    uint64_t stack = ram - KVMELF_STACK_DEFAULT;          /* 8 MiB */
    assert_unmapped(f, stack - 1);                       /* guard page */
    assert_unmapped(f, stack - KVMELF_GUARD_SIZE);
    assert_mapped(f, stack - KVMELF_GUARD_SIZE - 1, USER_RW, X86_PAGE_4K);
    /* 8 MiB of stack on 2 MiB pages: lazily backed, four entries. */
    assert_mapped(f, stack, USER_RW, X86_PAGE_2M);
    assert_mapped(f, ram - 1, USER_RW, X86_PAGE_2M);     /* last byte */
    assert_unmapped(f, ram);                             /* past RAM */
    assert_unmapped(f, 0x0000800000000000ULL);           /* non-canonical */
    teardown_ram(f);
}

/* Every 4 KiB page of RAM agrees with the memory map it was built from. */
static void test_every_page_matches_map(void **state)
{
    (void)state;
    const uint64_t ram = 8 * MiB + 12 * KVMELF_PAGE_SIZE;  /* ragged end */
    struct fixture *f = setup_ram(ram, false);
    for (uint64_t va = 0; va < ram + 4 * MiB; va += KVMELF_PAGE_SIZE) {
        unsigned want = 0;
        for (size_t i = 0; i < f->map.count; i++)
            if (va >= f->map.regions[i].start && va < f->map.regions[i].end)
                want = f->map.regions[i].attrs;
        if (want)
            assert_mapped(f, va, want, 0);
        else
            assert_unmapped(f, va);
    }
    teardown_ram(f);
}

static void test_large_pages_and_table_use(void **state)
{
    (void)state;
    struct fixture *f = setup_ram(64 * MiB, false);

    /* PML4, PDPT, one PD, the PTs of the first 2 MiB and of the 2 MiB
     * below the guard page. */
    assert_int_equal(f->tables.page_table_bytes, 5 * X86_PAGE_4K);
    teardown_ram(f);

    f = setup_ram(4 * GiB, true);
    assert_mapped(f, 1 * GiB, USER_RW, X86_PAGE_1G);
    assert_mapped(f, 3 * GiB - 1, USER_RW, X86_PAGE_1G);
    assert_mapped(f, 512 * MiB, USER_RW, X86_PAGE_2M);  /* first GiB is mixed */
    assert_mapped(f, 4 * GiB - 1, USER_RW, X86_PAGE_2M);
    assert_mapped(f, 4 * GiB - 8 * MiB - KVMELF_GUARD_SIZE - 1, USER_RW,
                  X86_PAGE_4K);
    teardown_ram(f);

    f = setup_ram(4 * GiB, false);
    assert_mapped(f, 1 * GiB, USER_RW, X86_PAGE_2M);
    teardown_ram(f);
}

static void test_limits(void **state)
{
    (void)state;
    /* valgrind's address space manager refuses a 64 GiB reservation. */
    if (getenv("KVMELF_UNDER_VALGRIND")) {
        fprintf(stderr, "SKIPPED: 64 GiB of guest RAM under valgrind\n");
        skip();
    }
    struct fixture *f = setup_ram(KVMELF_MEM_MAX, false);
    assert_mapped(f, KVMELF_MEM_MAX - 1, USER_RW, X86_PAGE_2M);
    assert_true(f->tables.page_table_bytes <= KVMELF_PT_END - KVMELF_PT_ADDR);
    teardown_ram(f);

    struct guest_layout tiny;
    struct kerr err;
    assert_int_equal(paging_layout(KVMELF_RESERVED_END, 0, &tiny, &err), -1);
    assert_non_null(strstr(err.msg, "cannot hold"));
}

static struct fixture *setup_segments(const struct segment_perm *segs,
                                      size_t n, bool allow_wx, int want_rc,
                                      struct kerr *err)
{
    struct fixture *f = calloc(1, sizeof *f);

    assert_non_null(f);
    layout_for(f, 64 * MiB);
    f->cfg = (struct paging_config){ .layout = &f->layout, .nx = true,
                                     .allow_wx = allow_wx, .segs = segs,
                                     .nsegs = n };
    assert_int_equal(guest_mem_init(&f->gm, f->layout.ram_size, err), 0);
    assert_int_equal(build(f, err), want_rc);
    return f;
}

/* Each PT_LOAD gets what its p_flags ask for; bss pages follow their
 * segment; the gaps are heap (RW, no-execute). */
static void test_segment_permissions(void **state)
{
    (void)state;
    const struct segment_perm segs[] = {
        { 0x100000, 0x102345, PAGE_EXEC, 0 },             /* text */
        { 0x103000, 0x103800, 0, 1 },                     /* rodata */
        { 0x104000, 0x3000000, PAGE_WRITE, 2 },           /* data + big bss */
    };
    struct kerr err;
    struct fixture *f = setup_segments(segs, 3, false, 0, &err);

    assert_mapped(f, 0x100000, USER_RO | PAGE_EXEC, X86_PAGE_4K);
    assert_mapped(f, 0x102fff, USER_RO | PAGE_EXEC, X86_PAGE_4K); /* tail page */
    assert_mapped(f, 0x103000, USER_RO, X86_PAGE_4K);
    assert_mapped(f, 0x104000, USER_RW, X86_PAGE_4K);
    assert_mapped(f, 0x2000000, USER_RW, X86_PAGE_2M);  /* large bss pages */
    assert_mapped(f, 0x3000000, USER_RW, 0);            /* heap after it */
    teardown_ram(f);
}

static void test_shared_page_gets_both_rights(void **state)
{
    (void)state;
    const struct segment_perm segs[] = {
        { 0x100000, 0x100800, 0, 0 },
        { 0x100800, 0x101000, PAGE_WRITE, 1 },
    };
    struct kerr err;
    struct fixture *f = setup_segments(segs, 2, false, 0, &err);

    assert_mapped(f, 0x100000, USER_RW, X86_PAGE_4K);
    teardown_ram(f);
}

static void test_wx_refused_unless_allowed(void **state)
{
    (void)state;
    const struct segment_perm rwx[] = { { 0x100000, 0x101000, PAGE_WRITE |
                                          PAGE_EXEC, 3 } };
    const struct segment_perm shared[] = {
        { 0x100000, 0x100100, PAGE_EXEC, 0 },
        { 0x100100, 0x100200, PAGE_WRITE, 1 },
    };
    struct kerr err;
    struct fixture *f = setup_segments(rwx, 1, false, -1, &err);
    assert_non_null(strstr(err.msg, "segment 3 [0x100000, 0x101000) is "
                                    "writable and executable"));
    assert_non_null(strstr(err.msg, "--allow-wx"));
    teardown_ram(f);

    f = setup_segments(shared, 2, false, -1, &err);
    assert_non_null(strstr(err.msg, "segments 0 and 1 share the page at "
                                    "0x100000"));
    teardown_ram(f);

    f = setup_segments(rwx, 1, true, 0, &err);
    assert_mapped(f, 0x100000, USER_RWX, X86_PAGE_4K);
    teardown_ram(f);
}

/* Descriptor values worked out by hand from SDM Vol. 3A, figure 3-8. */
static void test_gdt_bytes(void **state)
{
    (void)state;
    struct fixture *f = setup_ram(4 * MiB, false);
    const uint64_t *gdt = guest_mem_ptr(&f->gm, KVMELF_GDT_ADDR, 8 * 8);

    assert_int_equal(gdt[0], 0);
    assert_int_equal(gdt[KVMELF_SEL_KERNEL_CS >> 3], 0x00af9b000000ffffULL);
    assert_int_equal(gdt[KVMELF_SEL_KERNEL_DS >> 3], 0x00cf93000000ffffULL);
    assert_int_equal(gdt[KVMELF_SEL_USER_DS >> 3], 0x00cff3000000ffffULL);
    assert_int_equal(gdt[KVMELF_SEL_USER_CS >> 3], 0x00affb000000ffffULL);
    /* TSS at 0x3000, limit 0x68 + 0x2000 bytes of bitmap, busy 64-bit. */
    assert_int_equal(gdt[KVMELF_SEL_TSS >> 3], 0x00008b0030002068ULL);
    assert_int_equal(gdt[(KVMELF_SEL_TSS >> 3) + 1], 0);
    assert_int_equal(f->tables.gdt_limit, KVMELF_GDT_ENTRIES * 8 - 1);
    teardown_ram(f);
}

static void test_tss_and_io_bitmap(void **state)
{
    (void)state;
    struct fixture *f = setup_ram(4 * MiB, false);
    const uint8_t *page = guest_mem_ptr(&f->gm, KVMELF_TSS_ADDR,
                                        KVMELF_TSS_LIMIT + 1);
    struct x86_tss64 tss;

    memcpy(&tss, page, sizeof tss);
    assert_int_equal(sizeof tss, 0x68);
    assert_int_equal(tss.rsp[0], KVMELF_KSTACK_TOP);
    assert_int_equal(tss.ist[KVMELF_IST_DF - 1], KVMELF_IST_DF_TOP);
    assert_int_equal(tss.iomap_base, 0x68);
    const uint8_t *bitmap = page + tss.iomap_base;
    const unsigned open_ports[] = { KVMELF_PORT_COM1, KVMELF_PORT_COM1_LAST,
                                    KVMELF_PORT_DEBUGCON, KVMELF_PORT_EXIT,
                                    KVMELF_PORT_EXIT + 3, KVMELF_PORT_QEMU_EXIT,
                                    0x80, 0xffff };
    for (size_t i = 0; i < ARRAY_SIZE(open_ports); i++)
        assert_false(bitmap[open_ports[i] / 8] & (1u << (open_ports[i] % 8)));
    assert_true(bitmap[KVMELF_PORT_TRAP / 8] & (1u << (KVMELF_PORT_TRAP % 8)));
    assert_int_equal(bitmap[X86_IO_BITMAP_BYTES], 0xff);
    teardown_ram(f);
}

static void test_idt_gates_and_stubs(void **state)
{
    (void)state;
    struct fixture *f = setup_ram(4 * MiB, false);
    const uint64_t *idt = guest_mem_ptr(&f->gm, KVMELF_IDT_ADDR, 256 * 16);
    const uint8_t *stubs = guest_mem_ptr(&f->gm, KVMELF_STUB_ADDR,
                                         256 * KVMELF_STUB_STRIDE);

    /* Vector 14: stub 0x60e0, selector 8, present DPL 0 interrupt gate. */
    assert_int_equal(idt[14 * 2], 0x00008e00000860e0ULL);
    assert_int_equal(idt[14 * 2 + 1], 0);
    /* #BP is reachable from ring 3 (int3); #DF runs on IST 1. */
    assert_int_equal(idt[3 * 2], 0x0000ee0000086030ULL);
    assert_int_equal(idt[8 * 2], 0x00008e0100086080ULL);
    assert_int_equal(f->tables.idt_limit, 256 * 16 - 1);

    /* #DE: no error code from the CPU, so the stub pushes 0 then 0. */
    const uint8_t de[] = { 0x6a, 0x00, 0x6a, 0x00 };
    assert_memory_equal(stubs, de, sizeof de);
    /* #PF: the CPU pushed the error code; the stub pushes only 14. */
    const uint8_t pf[] = { 0x6a, 0x0e, 0xe9 };
    assert_memory_equal(stubs + 14 * KVMELF_STUB_STRIDE, pf, sizeof pf);
    for (unsigned v = 0; v < 32; v++)
        assert_int_equal(x86_vector_has_error_code(v),
                         stubs[v * KVMELF_STUB_STRIDE] != 0x6a ||
                         stubs[v * KVMELF_STUB_STRIDE + 1] != 0x00);
    teardown_ram(f);
}

/* The boot info tells the guest the layout and points at the process
 * entry's argv and command line (written by linux/stack.c). */
static void test_boot_info(void **state)
{
    (void)state;
    struct fixture *f = setup_ram(4 * MiB, false);
    paging_layout_set_heap(&f->layout, 0x102800);
    struct boot_params bp = { .layout = &f->layout, .argc = 3,
                              .argv = 0x3ffe00, .cmdline = 0x3fff00 };
    struct kerr err;

    assert_int_equal(boot_write_info(&f->gm, &bp, &err), 0);
    const struct kvmelf_boot_info *bi =
        guest_mem_ptr(&f->gm, KVMELF_BOOT_INFO_ADDR, sizeof *bi);
    assert_int_equal(bi->magic, KVMELF_BOOT_MAGIC);
    assert_int_equal(bi->abi_version, KVMELF_ABI_VERSION);
    assert_int_equal(bi->ram_size, 4 * MiB);
    assert_int_equal(bi->heap_start, 0x103000);           /* page up */
    /* 4 MiB of RAM: the stack is RAM / 8, 512 KiB. */
    assert_int_equal(bi->heap_end, 4 * MiB - 512 * 1024 - KVMELF_GUARD_SIZE);
    assert_int_equal(bi->stack_top, 4 * MiB);
    assert_int_equal(bi->argc, 3);
    assert_int_equal(bi->argv, 0x3ffe00);
    assert_int_equal(bi->cmdline, 0x3fff00);
    assert_int_equal(bi->flags, KVMELF_BOOT_WRITE_PORT);
    teardown_ram(f);
}

/* The flags tell the guest its ring, whether stdout is a terminal (it
 * line-buffers then) and that the bulk-write port exists. */
static void test_boot_info_flags(void **state)
{
    (void)state;
    struct fixture *f = setup_ram(4 * MiB, false);
    struct boot_params bp = { .layout = &f->layout, .argc = 1,
                              .ring0 = true, .stdout_tty = true };
    struct kerr err;

    assert_int_equal(boot_write_info(&f->gm, &bp, &err), 0);
    const struct kvmelf_boot_info *bi =
        guest_mem_ptr(&f->gm, KVMELF_BOOT_INFO_ADDR, sizeof *bi);
    assert_int_equal(bi->flags, KVMELF_BOOT_RING0 | KVMELF_BOOT_STDOUT_TTY |
                                KVMELF_BOOT_WRITE_PORT);
    bp.ring0 = false;
    assert_int_equal(boot_write_info(&f->gm, &bp, &err), 0);
    assert_int_equal(bi->flags, KVMELF_BOOT_STDOUT_TTY | KVMELF_BOOT_WRITE_PORT);
    teardown_ram(f);
}

/* Hand-typed bit constants are a classic trap: check them against the SDM. */
static void test_architectural_constants(void **state)
{
    (void)state;
    assert_int_equal(X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
                     X86_CR0_WP | X86_CR0_PG, 0x80010033);
    assert_int_equal(X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |
                     X86_CR4_OSXSAVE, 0x40620);
    assert_int_equal(X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
                     0xd01);
    assert_int_equal(X86_PTE_NX, 0x8000000000000000ULL);
    assert_int_equal(X86_PTE_PS, 0x80);
    assert_string_equal(x86_vector_name(X86_VEC_PF), "page fault");
    assert_string_equal(x86_vector_name(X86_VEC_GP), "general protection");
    assert_string_equal(x86_vector_name(X86_VEC_UD), "invalid opcode");
    assert_string_equal(x86_vector_name(X86_VEC_DE), "divide error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_landmarks_64m),
        cmocka_unit_test(test_every_page_matches_map),
        cmocka_unit_test(test_large_pages_and_table_use),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_segment_permissions),
        cmocka_unit_test(test_shared_page_gets_both_rights),
        cmocka_unit_test(test_wx_refused_unless_allowed),
        cmocka_unit_test(test_gdt_bytes),
        cmocka_unit_test(test_tss_and_io_bitmap),
        cmocka_unit_test(test_idt_gates_and_stubs),
        cmocka_unit_test(test_boot_info),
        cmocka_unit_test(test_boot_info_flags),
        cmocka_unit_test(test_architectural_constants),
    };
    return cmocka_run_group_tests_name("paging", tests, NULL, NULL);
}
