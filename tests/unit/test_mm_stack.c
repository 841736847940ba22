/* linux/: the brk/mmap bookkeeping (mm.c) and the initial process stack
 * (stack.c), pure functions over guest memory. */
#include "linux/internal.h"

#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define PG 0x1000ULL
#define LO 0x200000ULL
#define HI 0x1000000ULL   /* 16 MiB */

static void assert_ranges(const struct linux_mm *mm, size_t n,
                          const struct mm_range *expect)
{
    if (mm->count != n)
        fail_msg("%zu ranges, expected %zu", mm->count, n);
    for (size_t i = 0; i < n; i++)
        if (mm->maps[i].start != expect[i].start ||
            mm->maps[i].end != expect[i].end)
            fail_msg("range %zu is [0x%llx, 0x%llx), expected [0x%llx, 0x%llx)",
                     i, (unsigned long long)mm->maps[i].start,
                     (unsigned long long)mm->maps[i].end,
                     (unsigned long long)expect[i].start,
                     (unsigned long long)expect[i].end);
}

static void test_mmap_grows_down(void **state)
{
    struct linux_mm mm;
    uint64_t a, b, c;

    (void)state;
    mm_init(&mm, LO, HI);
    assert_int_equal(mm_map(&mm, 100, &a), 0);
    assert_int_equal(a, HI - PG);                 /* rounded up to a page */
    assert_int_equal(mm_map(&mm, 3 * PG, &b), 0);
    assert_int_equal(b, HI - 4 * PG);
    assert_ranges(&mm, 1, (struct mm_range[]){ { HI - 4 * PG, HI } });
    /* A hole in the middle is reused by a request that fits it. */
    assert_int_equal(mm_unmap(&mm, b + PG, PG), 0);
    assert_ranges(&mm, 2, (struct mm_range[]){ { b, b + PG }, { b + 2 * PG, HI } });
    assert_int_equal(mm_map(&mm, 2 * PG, &c), 0);
    assert_int_equal(c, b - 2 * PG);              /* hole too small */
    assert_int_equal(mm_map(&mm, PG, &c), 0);
    assert_int_equal(c, b + PG);                  /* hole filled */
    assert_ranges(&mm, 1, (struct mm_range[]){ { b - 2 * PG, HI } });
    assert_true(mm_is_mapped(&mm, b - 2 * PG, 6 * PG));
    assert_false(mm_is_mapped(&mm, b - 3 * PG, PG));
    mm_fini(&mm);
}

static void test_brk_and_mmap_meet(void **state)
{
    struct linux_mm mm;
    struct mm_range fresh, freed;
    uint64_t a;

    (void)state;
    mm_init(&mm, LO, HI);
    assert_int_equal(mm_brk(&mm, 0, &fresh, &freed), LO);      /* query */
    assert_int_equal(mm_brk(&mm, LO + 10, &fresh, &freed), LO + 10);
    assert_int_equal(fresh.start, LO);
    assert_int_equal(fresh.end, LO + PG);
    assert_int_equal(freed.start, freed.end);
    /* The break cannot pass a mapping, mappings cannot go below it. */
    assert_int_equal(mm_map(&mm, HI - LO - 2 * PG, &a), 0);
    assert_int_equal(a, LO + 2 * PG);
    assert_int_equal(mm_brk(&mm, LO + 2 * PG + 1, &fresh, &freed), LO + 10);
    assert_int_equal(mm_brk(&mm, LO + 2 * PG, &fresh, &freed), LO + 2 * PG);
    assert_int_equal(fresh.start, LO + PG);
    assert_int_equal(fresh.end, LO + 2 * PG);
    assert_int_equal(mm_map(&mm, PG, &a), -ENOMEM);
    /* Shrinking reports the pages it gives back. */
    assert_int_equal(mm_brk(&mm, LO + 1, &fresh, &freed), LO + 1);
    assert_int_equal(freed.start, LO + PG);
    assert_int_equal(freed.end, LO + 2 * PG);
    assert_int_equal(mm_map(&mm, PG, &a), 0);
    assert_int_equal(a, LO + PG);
    assert_int_equal(mm_map(&mm, PG, &a), -ENOMEM);
    /* Below lo is only a query. */
    assert_int_equal(mm_brk(&mm, LO - PG, &fresh, &freed), LO + 1);
    mm_fini(&mm);
}

static void test_bad_requests(void **state)
{
    struct linux_mm mm;
    uint64_t a;

    (void)state;
    mm_init(&mm, LO, HI);
    assert_int_equal(mm_map(&mm, 0, &a), -EINVAL);
    assert_int_equal(mm_map(&mm, UINT64_MAX, &a), -EINVAL);
    assert_int_equal(mm_map(&mm, HI, &a), -ENOMEM);
    assert_int_equal(mm_map(&mm, UINT64_MAX - 2 * PG, &a), -ENOMEM);
    assert_int_equal(mm_unmap(&mm, LO + 1, PG), -EINVAL);
    assert_int_equal(mm_unmap(&mm, LO, 0), -EINVAL);
    assert_int_equal(mm_unmap(&mm, HI - PG, UINT64_MAX - PG), -EINVAL);
    assert_int_equal(mm_unmap(&mm, LO, PG), 0);       /* nothing there: fine */
    assert_int_equal(mm_map_fixed(&mm, LO - PG, PG, false), -EINVAL);
    assert_int_equal(mm_map_fixed(&mm, HI, PG, false), -EINVAL);
    assert_int_equal(mm_map_fixed(&mm, HI - PG, 2 * PG, false), -EINVAL);
    assert_int_equal(mm_map_fixed(&mm, LO + 1, PG, false), -EINVAL);
    assert_int_equal(mm_remap(&mm, LO, PG, 2 * PG, true, &a), -EFAULT);
    assert_int_equal(mm_remap(&mm, LO + 1, PG, 2 * PG, true, &a), -EINVAL);
    assert_int_equal(mm.count, 0);
    mm_fini(&mm);
}

static void test_fixed(void **state)
{
    struct linux_mm mm;
    uint64_t a;

    (void)state;
    mm_init(&mm, LO, HI);
    assert_int_equal(mm_map_fixed(&mm, LO + 8 * PG, 2 * PG, false), 0);
    assert_int_equal(mm_map_fixed(&mm, LO + 9 * PG, 2 * PG, true), -EEXIST);
    assert_int_equal(mm_map_fixed(&mm, LO + 9 * PG, 2 * PG, false), 0);
    assert_ranges(&mm, 1, (struct mm_range[]){ { LO + 8 * PG, LO + 11 * PG } });
    /* The break now stops at the fixed mapping. */
    struct mm_range fresh, freed;
    assert_int_equal(mm_brk(&mm, LO + 9 * PG, &fresh, &freed), LO);
    assert_int_equal(mm_brk(&mm, LO + 8 * PG, &fresh, &freed), LO + 8 * PG);
    assert_int_equal(mm_map(&mm, PG, &a), 0);
    assert_int_equal(a, HI - PG);
    mm_fini(&mm);
}

static void test_remap(void **state)
{
    struct linux_mm mm;
    uint64_t a, b, n;

    (void)state;
    mm_init(&mm, LO, HI);
    assert_int_equal(mm_map(&mm, 4 * PG, &a), 0);            /* at the top */
    assert_int_equal(mm_remap(&mm, a, 4 * PG, 2 * PG, false, &n), 0);
    assert_int_equal(n, a);                                  /* shrunk */
    assert_ranges(&mm, 1, (struct mm_range[]){ { a, a + 2 * PG } });
    assert_int_equal(mm_remap(&mm, a, 2 * PG, 3 * PG, false, &n), 0);
    assert_int_equal(n, a);                                  /* grew in place */
    assert_int_equal(mm_map(&mm, PG, &b), 0);
    assert_int_equal(b, a + 3 * PG);                         /* the top page */
    /* Blocked above by b: must move. */
    assert_int_equal(mm_remap(&mm, a, 3 * PG, 8 * PG, false, &n), -ENOMEM);
    assert_int_equal(mm_remap(&mm, a, 3 * PG, 8 * PG, true, &n), 0);
    assert_true(n != a);
    assert_true(mm_is_mapped(&mm, n, 8 * PG));
    assert_false(mm_is_mapped(&mm, a, PG));
    assert_true(mm_is_mapped(&mm, b, PG));
    mm_fini(&mm);
}

/* A move whose unmapping of the old pages needs an entry the table cannot
 * have fails with nothing changed (the new range is not left behind). */
static void test_remap_failure_changes_nothing(void **state)
{
    struct linux_mm mm;
    uint64_t a, n;

    (void)state;
    mm_init(&mm, LO, HI);
    assert_int_equal(mm_map(&mm, 4 * PG, &a), 0);          /* [a, hi) */
    mm.max_maps = 1;
    /* The middle page moves below a (merging with it), but cutting it out
     * of the middle would split the range in two. */
    assert_int_equal(mm_remap(&mm, a + PG, PG, 3 * PG, true, &n), -ENOMEM);
    assert_ranges(&mm, 1, (struct mm_range[]){ { a, a + 4 * PG } });
    /* Shrinking the middle of nothing else: also needs a split. */
    assert_int_equal(mm_remap(&mm, a + PG, 2 * PG, PG, true, &n), -ENOMEM);
    assert_ranges(&mm, 1, (struct mm_range[]){ { a, a + 4 * PG } });
    /* The last page can move: the cut only shortens the range. */
    assert_int_equal(mm_remap(&mm, a + 3 * PG, PG, 2 * PG, true, &n), 0);
    assert_int_equal(n, a - 2 * PG);
    assert_ranges(&mm, 1, (struct mm_range[]){ { a - 2 * PG, a + 3 * PG } });
    mm_fini(&mm);
}

/* The two steps: a plan changes nothing the guest sees, apply does it. */
static void test_remap_plan_then_apply(void **state)
{
    struct linux_mm mm;
    struct mm_remap p;
    uint64_t a, b;

    (void)state;
    mm_init(&mm, LO, HI);
    assert_int_equal(mm_map(&mm, 2 * PG, &a), 0);
    assert_int_equal(mm_map(&mm, PG, &b), 0);              /* just below a */
    assert_int_equal(mm_remap_plan(&mm, b, PG, 4 * PG, true, &p), 0);
    assert_int_equal(p.old, b);
    assert_int_equal(p.old_len, PG);
    assert_int_equal(p.new_len, 4 * PG);
    assert_int_equal(p.new_addr, b - 4 * PG);
    assert_ranges(&mm, 1, (struct mm_range[]){ { b, a + 2 * PG } });
    mm_remap_apply(&mm, &p);
    assert_ranges(&mm, 2, (struct mm_range[]){ { b - 4 * PG, b },
                                               { a, a + 2 * PG } });
    assert_int_equal(mm_remap_plan(&mm, b, PG, PG, true, &p), -EFAULT);
    assert_int_equal(mm_remap_plan(&mm, a, 2 * PG, 1, false, &p), 0);
    assert_int_equal(p.new_len, PG);
    mm_remap_apply(&mm, &p);
    assert_ranges(&mm, 2, (struct mm_range[]){ { b - 4 * PG, b },
                                               { a, a + PG } });
    mm_fini(&mm);
}

/* Separate mappings (a hole between each two) until the table is full:
 * it stays sorted and unmerged, and refuses more at its limit. */
static void test_many_maps(void **state)
{
    struct linux_mm mm;
    uint64_t a;
    size_t n = 0;

    (void)state;
    mm_init(&mm, LO, HI);
    assert_int_equal(mm.max_maps, MM_MAX_MAPS);
    mm.max_maps = 100;
    for (n = 0; n < 200; n++)
        if (mm_map_fixed(&mm, LO + 2 * n * PG, PG, false) < 0)
            break;
    assert_int_equal(n, 100);
    assert_int_equal(mm.count, 100);
    for (size_t i = 1; i < mm.count; i++)
        assert_int_equal(mm.maps[i].start, mm.maps[i - 1].end + PG);
    assert_int_equal(mm_map(&mm, PG, &a), -ENOMEM);      /* table full */
    /* Filling a hole merges two entries into one, freeing an entry. */
    assert_int_equal(mm_map_fixed(&mm, LO + PG, PG, false), 0);
    assert_int_equal(mm.count, 99);
    assert_int_equal(mm_map(&mm, PG, &a), 0);
    assert_int_equal(a, HI - PG);
    assert_int_equal(mm.count, 100);
    /* A split needs an entry too. */
    assert_int_equal(mm_unmap(&mm, LO + PG, PG), -ENOMEM);
    assert_true(mm_is_mapped(&mm, LO, 3 * PG));
    mm_fini(&mm);
}

/* ---- The process stack ----------------------------------------------------- */

static void test_stack_layout(void **state)
{
    struct guest_mem gm;
    struct kerr err;
    char *argv[] = { "prog", "one", NULL };
    char *envp[] = { "A=1", "LONGER=value" };
    struct linux_stack_params p = {
        .stack_top = 0x400000, .stack_bottom = 0x3f0000, .args_max = 0x4000,
        .stack_size = 0x10000, .argc = 2, .argv = argv,
        .envc = 2, .envp = envp, .execfn = "/bin/prog", .phdr = 0x200040,
        .phent = 56, .phnum = 5, .entry = 0x201000, .hwcap = 0x178bfbff,
        .random = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
    };
    struct linux_stack_result out;

    (void)state;
    assert_int_equal(guest_mem_init(&gm, 0x400000, &err), 0);
    assert_int_equal(linux_write_stack(&gm, &p, &out, &err), 0);
    gpa_t rsp = out.rsp;
    assert_int_equal(out.argv, rsp + 8);
    assert_string_equal((char *)gm.host + out.cmdline, "prog one");
    assert_int_equal(rsp % 16, 0);
    assert_true(rsp < 0x400000 && rsp > 0x400000 - 0x10000);
    const uint64_t *w = guest_mem_ptr(&gm, rsp, 8);
    assert_int_equal(w[0], 2);
    assert_string_equal((char *)gm.host + w[1], "prog");
    assert_string_equal((char *)gm.host + w[2], "one");
    assert_int_equal(w[3], 0);
    assert_string_equal((char *)gm.host + w[4], "A=1");
    assert_string_equal((char *)gm.host + w[5], "LONGER=value");
    assert_int_equal(w[6], 0);
    uint64_t seen = 0;
    size_t i = 7;
    for (; w[i] != AT_NULL; i += 2) {
        uint64_t v = w[i + 1];
        switch (w[i]) {
        case AT_PAGESZ: assert_int_equal(v, 4096); break;
        case AT_PHDR:   assert_int_equal(v, 0x200040); break;
        case AT_PHENT:  assert_int_equal(v, 56); break;
        case AT_PHNUM:  assert_int_equal(v, 5); break;
        case AT_ENTRY:  assert_int_equal(v, 0x201000); break;
        case AT_HWCAP:  assert_int_equal(v, 0x178bfbff); break;
        case AT_CLKTCK: assert_int_equal(v, 100); break;
        case AT_SECURE: case AT_UID: case AT_EUID: case AT_GID: case AT_EGID:
            assert_int_equal(v, 0);
            break;
        case AT_RANDOM:
            assert_memory_equal(gm.host + v, p.random, 16);
            break;
        case AT_PLATFORM:
            assert_string_equal((char *)gm.host + v, "x86_64");
            break;
        case AT_EXECFN:
            assert_string_equal((char *)gm.host + v, "/bin/prog");
            break;
        default: break;
        }
        if (w[i] < 64)
            seen |= 1ULL << w[i];
    }
    const int need[] = { AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY,
                         AT_HWCAP, AT_CLKTCK, AT_SECURE, AT_UID, AT_EUID,
                         AT_GID, AT_EGID, AT_RANDOM };
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
        if (!(seen & (1ULL << need[k])))
            fail_msg("auxv lacks type %d", need[k]);
    /* Everything lies between RSP and the stack top. */
    assert_true(rsp + (i + 2) * 8 <= 0x400000);
    guest_mem_fini(&gm);
}

/* One limit, counted once as Linux counts it (strings and pointers), and
 * one message naming both sizes: 300 KiB of arguments do not fit the
 * 64 KiB a 256 KiB stack allows, and do fit an 8 MiB one. */
static void test_stack_args_limit(void **state)
{
    struct guest_mem gm;
    struct kerr err = { "" };
    const size_t len = 300 * 1024;
    char *big = malloc(len + 1);
    char *argv[] = { "p", big };
    struct linux_stack_params p = {
        .stack_top = 0x1000000, .stack_bottom = 0x1000000 - 0x40000,
        .args_max = 0x10000, .stack_size = 0x40000, .argc = 2, .argv = argv,
    };
    struct linux_stack_result out;

    (void)state;
    assert_non_null(big);
    memset(big, 'x', len);
    big[len] = '\0';
    assert_int_equal(guest_mem_init(&gm, 0x1000000, &err), 0);
    assert_int_equal(linux_write_stack(&gm, &p, &out, &err), -1);
    assert_string_equal(err.msg, "arguments and environment take 307219 bytes "
                        "(strings and pointers); at most 64 KiB fit with a "
                        "256 KiB stack (Linux's rule: a quarter of the stack, "
                        "at least 128 KiB; more with --stack)");
    p.stack_bottom = 0x1000000 - 0x800000;
    p.stack_size = 0x800000;
    p.args_max = 0x200000;
    assert_int_equal(linux_write_stack(&gm, &p, &out, &err), 0);
    assert_string_equal((char *)gm.host + out.cmdline + 2, big);
    p.stack_top = 0x2000000;  /* beyond RAM */
    assert_int_equal(linux_write_stack(&gm, &p, &out, &err), -1);
    free(big);
    guest_mem_fini(&gm);
}

/* Within the limit, but the stack cannot hold the entry besides. */
static void test_stack_too_small(void **state)
{
    struct guest_mem gm;
    struct kerr err = { "" };
    static char big[5000];
    char *argv[] = { big };
    struct linux_stack_params p = {
        .stack_top = 0x400000, .stack_bottom = 0x400000 - 0x2000,
        .args_max = 0x1000 * 2, .stack_size = 0x2000, .argc = 1,
        .argv = argv };
    struct linux_stack_result out;

    (void)state;
    memset(big, 'x', sizeof big - 1);
    assert_int_equal(guest_mem_init(&gm, 0x400000, &err), 0);
    assert_int_equal(linux_write_stack(&gm, &p, &out, &err), -1);
    assert_non_null(strstr(err.msg, "do not fit the guest's 8 KiB stack"));
    guest_mem_fini(&gm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mmap_grows_down),
        cmocka_unit_test(test_brk_and_mmap_meet),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_remap),
        cmocka_unit_test(test_remap_failure_changes_nothing),
        cmocka_unit_test(test_remap_plan_then_apply),
        cmocka_unit_test(test_many_maps),
        cmocka_unit_test(test_stack_layout),
        cmocka_unit_test(test_stack_args_limit),
        cmocka_unit_test(test_stack_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
