/* common: sizes, checked guest-memory access. */
#include "common/common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static void test_parse_size(void **state)
{
    (void)state;
    const struct { const char *text; uint64_t want; } good[] = {
        { "4096", 4096 }, { "64M", 64ULL << 20 }, { "64m", 64ULL << 20 },
        { "1G", 1ULL << 30 }, { "2MiB", 2ULL << 20 }, { "512K", 512ULL << 10 },
        { "16GB", 16ULL << 30 }, { "0", 0 }, { "1T", 1ULL << 40 },
    };
    const struct { const char *text; const char *msg; } bad[] = {
        { "", "is not a size" }, { "M", "is not a size" },
        { "-1M", "is not a size" }, { "3X", "unknown unit 'X'" },
        { "1.5G", "unknown unit '.5G'" }, { "99999999999999999999", "too large" },
        { "17179869184G", "too large" },
    };
    struct kerr err;
    uint64_t v;

    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        assert_int_equal(parse_size(good[i].text, &v, &err), 0);
        assert_int_equal(v, good[i].want);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(parse_size(bad[i].text, &v, &err), -1);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("'%s': got '%s'", bad[i].text, err.msg);
    }
}

static void test_format_size(void **state)
{
    (void)state;
    char buf[32];

    assert_string_equal(format_size(64ULL << 20, buf, sizeof buf), "64 MiB");
    assert_string_equal(format_size(1ULL << 30, buf, sizeof buf), "1 GiB");
    assert_string_equal(format_size(4096, buf, sizeof buf), "4 KiB");
    assert_string_equal(format_size(4097, buf, sizeof buf), "4097 bytes");
    assert_string_equal(format_size(0, buf, sizeof buf), "0 bytes");
}

static void test_guest_mem_bounds(void **state)
{
    (void)state;
    struct guest_mem gm;
    struct kerr err;
    const uint64_t size = 2ULL << 20;

    assert_int_equal(guest_mem_init(&gm, size, &err), 0);
    assert_ptr_equal(guest_mem_ptr(&gm, 0, size), gm.host);
    assert_non_null(guest_mem_ptr(&gm, size - 1, 1));
    assert_non_null(guest_mem_ptr(&gm, size, 0));
    assert_null(guest_mem_ptr(&gm, size, 1));
    assert_null(guest_mem_ptr(&gm, size - 1, 2));
    assert_null(guest_mem_ptr(&gm, 1, UINT64_MAX));       /* wraps */
    assert_null(guest_mem_ptr(&gm, UINT64_MAX, 2));
    /* Fresh RAM is zero and writable end to end. */
    uint8_t *last = guest_mem_ptr(&gm, size - 1, 1);
    assert_int_equal(*last, 0);
    *last = 0xaa;
    guest_mem_fini(&gm);
    assert_null(guest_mem_ptr(&gm, 0, 1));

    assert_int_equal(guest_mem_init(&gm, 4097, &err), -1);
    assert_non_null(strstr(err.msg, "not a multiple"));
}

/* Prefaulting is best effort and never goes outside RAM; the bytes read
 * zero before a copy and keep what is written. */
static void test_guest_mem_prefault(void **state)
{
    struct guest_mem gm;
    struct kerr err;
    const uint64_t size = 4 << 20;

    (void)state;
    assert_int_equal(guest_mem_init(&gm, size, &err), 0);
    guest_mem_prefault(&gm, 0x1000, 1 << 20);
    guest_mem_prefault(&gm, size - 0x1000, 1 << 20);      /* beyond: no-op */
    guest_mem_prefault(&gm, UINT64_MAX - 10, 1 << 20);    /* overflow */
    guest_mem_prefault(&gm, 0x1000, 10);                  /* small */
    uint8_t *p = guest_mem_ptr(&gm, 0x1000, 1 << 20);
    assert_non_null(p);
    for (size_t i = 0; i < (1u << 20); i += 4096)
        assert_int_equal(p[i], 0);
    memset(p, 0x5a, 1 << 20);
    assert_int_equal(p[(1 << 20) - 1], 0x5a);
    guest_mem_fini(&gm);
}

/* The smaps entry holding addr: its permissions ("rw-p") and whether the
 * kernel will leave it out of a core dump (VmFlags "dd").  Read from
 * /proc, so nothing here touches the guard pages themselves. */
static bool find_mapping(uintptr_t addr, char perms[5], bool *dontdump)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    bool in = false, found = false;

    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char p[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 &&
            strchr(line, '-') < strchr(line, ' ')) {
            if (found)
                break;
            in = addr >= lo && addr < hi;
            if (in) {
                memcpy(perms, p, 5);
                *dontdump = false;
                found = true;
            }
        } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
            *dontdump = strstr(line, " dd") != NULL;
        }
    }
    fclose(f);
    return found;
}

/* Guest RAM: readable+writable, not dumped, and between two inaccessible
 * guard pages, so a monitor bug running off either end faults. */
static void test_guest_mem_guards(void **state)
{
    (void)state;
    struct guest_mem gm;
    struct kerr err;
    char perms[5];
    bool dd = false;
    const uint64_t size = 2ULL << 20;

    assert_int_equal(guest_mem_init(&gm, size, &err), 0);
    uintptr_t ram = (uintptr_t)gm.host;
    assert_true(find_mapping(ram, perms, &dd));
    assert_string_equal(perms, "rw-p");
    assert_true(dd);
    assert_true(find_mapping(ram + size - 1, perms, &dd));
    assert_string_equal(perms, "rw-p");
    assert_true(find_mapping(ram - 1, perms, &dd));
    assert_string_equal(perms, "---p");
    assert_true(find_mapping(ram + size, perms, &dd));
    assert_string_equal(perms, "---p");
    guest_mem_fini(&gm);
    /* All of it is gone again, guards included. */
    assert_false(find_mapping(ram - 1, perms, &dd) && !strcmp(perms, "---p") &&
                 find_mapping(ram + size, perms, &dd) && !strcmp(perms, "---p"));
}

static void test_range_within(void **state)
{
    (void)state;
    assert_true(range_within(0, 10, 10));
    assert_false(range_within(1, 10, 10));
    assert_false(range_within(UINT64_MAX, 1, UINT64_MAX));
    assert_true(range_within(UINT64_MAX, 0, UINT64_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_format_size),
        cmocka_unit_test(test_guest_mem_bounds),
        cmocka_unit_test(test_guest_mem_prefault),
        cmocka_unit_test(test_guest_mem_guards),
        cmocka_unit_test(test_range_within),
    };
    return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
