/* paging_protect (mprotect's page-table edit): rights change exactly on
 * the pages asked for, large pages split only where a range covers part of
 * one, and the result is checked by walking the tables like the CPU. */
#include "boot/boot.h"
#include "paging/paging.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define KiB4 0x1000ULL
#define USER_RW (PAGE_PRESENT | PAGE_USER | PAGE_WRITE)
#define USER_RO (PAGE_PRESENT | PAGE_USER)
#define USER_RX (PAGE_PRESENT | PAGE_USER | PAGE_EXEC)

struct fixture {
    struct guest_mem gm;
    struct cpu_tables tables;
    struct guest_layout layout;
    struct paging_config cfg;
    struct memory_map map;
    struct pt_state pt;
};

static struct fixture *build(uint64_t ram, bool huge_1g)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct kerr err;

    assert_non_null(f);
    assert_int_equal(paging_layout(ram, 0, &f->layout, &err), 0);
    f->cfg = (struct paging_config){ .layout = &f->layout, .huge_1g = huge_1g,
                                     .nx = true };
    assert_int_equal(guest_mem_init(&f->gm, ram, &err), 0);
    assert_int_equal(paging_memory_map(&f->cfg, &f->map, &err), 0);
    assert_int_equal(boot_setup(&f->gm, &f->cfg, &f->map, &f->tables, &err), 0);
    f->pt = (struct pt_state){ .cr3 = f->tables.cr3, .nx = true,
                               .next_table = KVMELF_PT_ADDR +
                                             f->tables.page_table_bytes };
    return f;
}

static void done(struct fixture *f)
{
    guest_mem_fini(&f->gm);
    free(f);
}

static struct translation walk(const struct fixture *f, uint64_t va)
{
    struct translation t;
    if (paging_walk(&f->gm, f->pt.cr3, va, &t) != 0)
        fail_msg("0x%llx is not mapped", (unsigned long long)va);
    assert_int_equal(t.phys, va);
    return t;
}

static void assert_rights(const struct fixture *f, uint64_t va, unsigned attrs,
                          uint64_t page_size)
{
    struct translation t = walk(f, va);
    if (t.attrs != attrs)
        fail_msg("0x%llx has rights 0x%x, expected 0x%x",
                 (unsigned long long)va, t.attrs, attrs);
    if (page_size)
        assert_int_equal(t.page_size, page_size);
}

static void assert_absent(const struct fixture *f, uint64_t va)
{
    struct translation t;
    if (paging_walk(&f->gm, f->pt.cr3, va, &t) == 0)
        fail_msg("0x%llx is mapped", (unsigned long long)va);
}

/* One 4 KiB page inside a 2 MiB heap page: the 2 MiB page is split into
 * 512 entries, one of which changes; the neighbours keep their rights. */
static void test_split_2m(void **state)
{
    struct fixture *f = build(64 * MiB, false);
    const uint64_t page = 8 * MiB + 5 * KiB4;

    (void)state;
    assert_rights(f, page, USER_RW, 2 * MiB);
    gpa_t before = f->pt.next_table;
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, KiB4, USER_RO), 1);
    assert_int_equal(f->pt.next_table, before + KiB4);  /* one new table */
    assert_rights(f, page, USER_RO, KiB4);
    assert_rights(f, page - KiB4, USER_RW, KiB4);
    assert_rights(f, page + KiB4, USER_RW, KiB4);
    assert_rights(f, 8 * MiB, USER_RW, KiB4);
    assert_rights(f, 10 * MiB - KiB4, USER_RW, KiB4);
    assert_rights(f, 10 * MiB, USER_RW, 2 * MiB);       /* next one intact */
    /* Again: nothing changes, nothing is allocated. */
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, KiB4, USER_RO), 0);
    assert_int_equal(f->pt.next_table, before + KiB4);
    /* And back. */
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, KiB4, USER_RW), 1);
    assert_rights(f, page, USER_RW, KiB4);
    done(f);
}

/* A range covering whole 2 MiB pages changes their entries in place; the
 * partly covered ends are split. */
static void test_whole_and_partial(void **state)
{
    struct fixture *f = build(64 * MiB, false);
    const uint64_t start = 8 * MiB - 2 * KiB4, end = 12 * MiB + 3 * KiB4;

    (void)state;
    int n = paging_protect(&f->gm, &f->pt, start, end - start, USER_RX);
    assert_int_equal(n, 2 + 2 + 3);   /* 2 pages, 2 large pages, 3 pages */
    assert_rights(f, start - KiB4, USER_RW, KiB4);
    assert_rights(f, start, USER_RX, KiB4);
    assert_rights(f, 8 * MiB, USER_RX, 2 * MiB);
    assert_rights(f, 10 * MiB + 123, USER_RX, 2 * MiB);
    assert_rights(f, 12 * MiB + 2 * KiB4, USER_RX, KiB4);
    assert_rights(f, end, USER_RW, KiB4);
    done(f);
}

/* No rights: not present; then present again. */
static void test_none_and_back(void **state)
{
    struct fixture *f = build(64 * MiB, false);

    (void)state;
    assert_int_equal(paging_protect(&f->gm, &f->pt, 16 * MiB, 2 * MiB, 0), 1);
    assert_absent(f, 16 * MiB);
    assert_absent(f, 18 * MiB - 1);
    assert_rights(f, 18 * MiB, USER_RW, 2 * MiB);
    /* Splitting an absent large page keeps it absent around the change;
     * an absent page made present is no stale entry (no flush needed). */
    assert_int_equal(paging_protect(&f->gm, &f->pt, 17 * MiB, KiB4, USER_RO), 0);
    assert_rights(f, 17 * MiB, USER_RO, KiB4);
    assert_absent(f, 17 * MiB + KiB4);
    assert_absent(f, 16 * MiB);
    /* 512 entries change; only the RO one was present. */
    assert_int_equal(paging_protect(&f->gm, &f->pt, 16 * MiB, 2 * MiB,
                                    USER_RW), 1);
    assert_rights(f, 16 * MiB, USER_RW, KiB4);
    assert_rights(f, 17 * MiB, USER_RW, KiB4);
    done(f);
}

/* 1 GiB pages split twice (1 GiB -> 2 MiB -> 4 KiB). */
static void test_split_1g(void **state)
{
    struct fixture *f = build(4 * GiB, true);
    const uint64_t page = GiB + 6 * MiB + KiB4;

    (void)state;
    assert_rights(f, page, USER_RW, GiB);
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, KiB4, USER_RO), 1);
    assert_rights(f, page, USER_RO, KiB4);
    assert_rights(f, page + KiB4, USER_RW, KiB4);
    assert_rights(f, GiB, USER_RW, 2 * MiB);
    assert_rights(f, 2 * GiB - 1, USER_RW, 2 * MiB);
    assert_rights(f, 2 * GiB, USER_RW, GiB);
    done(f);
}

static void test_refusals(void **state)
{
    struct fixture *f = build(64 * MiB, false);

    (void)state;
    assert_int_equal(paging_protect(&f->gm, &f->pt, 8 * MiB + 1, KiB4, USER_RO), -1);
    assert_int_equal(paging_protect(&f->gm, &f->pt, 8 * MiB, 100, USER_RO), -1);
    assert_int_equal(paging_protect(&f->gm, &f->pt, 64 * MiB, KiB4, USER_RO), -1);
    assert_int_equal(paging_protect(&f->gm, &f->pt, 62 * MiB, 4 * MiB, USER_RO), -1);
    assert_int_equal(paging_protect(&f->gm, &f->pt, UINT64_MAX - KiB4 + 1, 2 * KiB4, USER_RO), -1);
    /* Never-mapped space (the page tables' own area) is not made up. */
    assert_int_equal(paging_protect(&f->gm, &f->pt, KVMELF_PT_ADDR, KiB4,
                                    USER_RW), -1);
    assert_absent(f, KVMELF_PT_ADDR);
    assert_int_equal(paging_protect(&f->gm, &f->pt, 8 * MiB, 0, USER_RO), 0);
    done(f);
}

/* Splits use the table area up; when it is full the call fails. */
static void test_table_area_full(void **state)
{
    struct fixture *f = build(1 * GiB, false);
    int failed_at = -1;

    (void)state;
    for (int i = 0; i < 500; i++) {
        uint64_t page = 2 * MiB * (unsigned)(i + 4);
        if (paging_protect(&f->gm, &f->pt, page, KiB4, USER_RO) < 0) {
            failed_at = i;
            break;
        }
        assert_rights(f, page, USER_RO, KiB4);
    }
    assert_true(failed_at > 0);
    assert_true(f->pt.next_table <= KVMELF_PT_END);
    done(f);
}

/* Only changes to present entries count (the TLB may hold them): rights
 * reduced or changed on present pages, never pages made present. */
static void test_stale_count(void **state)
{
    struct fixture *f = build(64 * MiB, false);
    const uint64_t page = 20 * MiB + 7 * KiB4;

    (void)state;
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, KiB4, 0), 1);
    assert_absent(f, page);
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, KiB4, USER_RO), 0);
    assert_rights(f, page, USER_RO, KiB4);
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, KiB4, USER_RW), 1);
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, 2 * KiB4, 0), 2);
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, 2 * KiB4, USER_RX), 0);
    assert_rights(f, page + KiB4, USER_RX, KiB4);
    done(f);
}

/* A call that cannot get the tables its splits need fails before it
 * changes anything, even the whole large pages it would change in place. */
static void test_refusal_changes_nothing(void **state)
{
    struct fixture *f = build(1 * GiB, false);
    const size_t area = KVMELF_PT_END - KVMELF_PT_ADDR;
    uint64_t page = 4 * 2 * MiB;

    (void)state;
    while (paging_protect(&f->gm, &f->pt, page + KiB4, KiB4, USER_RO) >= 0)
        page += 2 * MiB;                  /* one table each, until full */
    uint8_t *before = malloc(area);
    assert_non_null(before);
    memcpy(before, guest_mem_ptr(&f->gm, KVMELF_PT_ADDR, area), area);
    struct pt_state pt = f->pt;
    /* Whole 2 MiB pages first (no table needed), then one to split. */
    const uint64_t start = page + 2 * MiB, len = 4 * MiB + KiB4;
    assert_rights(f, start, USER_RW, 2 * MiB);
    assert_int_equal(paging_protect(&f->gm, &f->pt, start, len, USER_RO), -1);
    assert_memory_equal(before, guest_mem_ptr(&f->gm, KVMELF_PT_ADDR, area),
                        area);
    assert_memory_equal(&pt, &f->pt, sizeof pt);
    assert_rights(f, start, USER_RW, 2 * MiB);
    /* Without the split it fits: whole pages change in place. */
    assert_int_equal(paging_protect(&f->gm, &f->pt, start, len - KiB4,
                                    USER_RO), 2);
    free(before);
    done(f);
}

/* Splits of 1 GiB pages are counted with their 2 MiB children. */
static void test_refusal_counts_nested_splits(void **state)
{
    struct fixture *f = build(4 * GiB, true);
    const uint64_t page = GiB + 6 * MiB + KiB4;

    (void)state;
    /* Leave room for exactly one table: a 1 GiB split needs two. */
    f->pt.next_table = KVMELF_PT_END - KiB4;
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, KiB4, USER_RO), -1);
    assert_int_equal(f->pt.next_table, KVMELF_PT_END - KiB4);
    assert_rights(f, page, USER_RW, GiB);
    f->pt.next_table = KVMELF_PT_END - 2 * KiB4;
    assert_int_equal(paging_protect(&f->gm, &f->pt, page, KiB4, USER_RO), 1);
    assert_int_equal(f->pt.next_table, KVMELF_PT_END);
    assert_rights(f, page, USER_RO, KiB4);
    done(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_2m),
        cmocka_unit_test(test_whole_and_partial),
        cmocka_unit_test(test_none_and_back),
        cmocka_unit_test(test_split_1g),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_table_area_full),
        cmocka_unit_test(test_stale_count),
        cmocka_unit_test(test_refusal_changes_nothing),
        cmocka_unit_test(test_refusal_counts_nested_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
