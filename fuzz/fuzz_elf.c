/*
 * libFuzzer target: the ELF file, as kvmelf sees it before any guest runs.
 * Bytes in -> loader_plan(); on success loader_copy() into guest RAM with
 * guard pages and the symbolizer over the same bytes, as `kvmelf run`
 * does.  Beyond what ASan/UBSan catch it asserts the loader's contract:
 *   - a rejection is one printable line and wrote nothing to guest RAM;
 *   - an accepted plan has every segment inside the loadable window,
 *     sorted and disjoint, file bytes inside the file, the entry in an
 *     executable segment, and copying touches only the segments' pages.
 * "Touched" is measured with mincore(): guest RAM is a lazily backed
 * mapping, so a page becomes resident only when something writes it.
 */
#include "common/common.h"
#include "loader/loader.h"
#include "symbolize/symbolize.h"
#include "paging/paging.h"

#include <kvmelf/abi.h>

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FUZZ_RAM KVMELF_MEM_DEFAULT    /* the window every test case uses */
#define PAGE     KVMELF_PAGE_SIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem gm;
static unsigned char resident[FUZZ_RAM / PAGE];

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "fuzz_elf: contract broken: %s (line %d)\n", #cond, \
            __LINE__); abort(); } } while (0)

static void setup_ram(void)
{
    struct kerr err;
    if (!gm.host && guest_mem_init(&gm, FUZZ_RAM, &err) < 0) {
        fprintf(stderr, "fuzz_elf: %s\n", err.msg);
        abort();
    }
}

static void read_residency(void)
{
    CHECK(mincore(gm.host, gm.size, resident) == 0);
}

static bool page_in_segments(const struct load_plan *plan, gpa_t page)
{
    for (unsigned i = 0; i < plan->nsegs; i++) {
        const struct load_segment *s = &plan->segs[i];
        gpa_t lo = s->vaddr & ~(gpa_t)(PAGE - 1);
        if (page >= lo && page < s->vaddr + s->filesz)
            return true;
    }
    return false;
}

static void check_rejection(const struct kerr *err)
{
    size_t len = strnlen(err->msg, sizeof err->msg);
    CHECK(len > 0 && len < sizeof err->msg);
    for (size_t i = 0; i < len; i++)
        CHECK(err->msg[i] >= 0x20 && err->msg[i] < 0x7f);
    read_residency();
    for (size_t i = 0; i < sizeof resident; i++)
        CHECK(!(resident[i] & 1));
}

static void check_plan(const struct load_plan *plan,
                       const struct load_window *win, size_t size)
{
    bool entry_ok = false;
    gpa_t prev_end = win->lo;

    CHECK(plan->nsegs >= 1 && plan->nsegs <= LOADER_MAX_SEGMENTS);
    for (unsigned i = 0; i < plan->nsegs; i++) {
        const struct load_segment *s = &plan->segs[i];
        CHECK(s->vaddr >= prev_end);
        CHECK(range_within(s->vaddr, s->memsz, win->hi));
        CHECK(s->filesz <= s->memsz);
        CHECK(range_within(s->offset, s->filesz, size));
        if ((s->flags & PF_X) && plan->entry >= s->vaddr &&
            plan->entry - s->vaddr < s->memsz)
            entry_ok = true;
        prev_end = s->vaddr + s->memsz;
    }
    CHECK(entry_ok);
    CHECK(plan->image_end >= prev_end && plan->image_end % PAGE == 0);
}

static void check_copy(const struct load_plan *plan, const uint8_t *data,
                       size_t size)
{
    struct kerr err;

    CHECK(loader_copy(plan, data, size, &gm, &err) == 0);
    for (unsigned i = 0; i < plan->nsegs; i++) {
        const struct load_segment *s = &plan->segs[i];
        CHECK(memcmp(gm.host + s->vaddr, data + s->offset, s->filesz) == 0);
    }
    read_residency();
    for (size_t p = 0; p < sizeof resident; p++)
        if (resident[p] & 1)
            CHECK(page_in_segments(plan, (gpa_t)p * PAGE));
}

static void check_symbols(const struct load_plan *plan, const uint8_t *data,
                          size_t size)
{
    struct symbolizer *s = symbolizer_open(data, size);
    struct code_location loc;
    char buf[160];

    CHECK(s != NULL);
    symbolize(s, plan->entry, false, &loc);
    format_location(&loc, plan->entry, buf, sizeof buf);
    symbolize(s, plan->entry + 1, true, &loc);
    format_location(&loc, plan->entry + 1, buf, sizeof buf);
    symbolizer_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct guest_layout layout;
    struct load_plan plan;
    struct kerr err;

    if (paging_layout(FUZZ_RAM, 0, &layout, &err) < 0)
        abort();
    struct load_window win = { .lo = KVMELF_RESERVED_END, .hi = layout.guard,
                               .ram_size = FUZZ_RAM,
                               .stack_size = layout.stack_size };

    setup_ram();
    memset(&err, 0, sizeof err);
    if (loader_plan(data, size, &win, &plan, &err) < 0) {
        check_rejection(&err);
        return 0;
    }
    check_plan(&plan, &win, size);
    check_copy(&plan, data, size);
    check_symbols(&plan, data, size);
    /* Back to fresh, untouched RAM for the next input. */
    CHECK(madvise(gm.host, gm.size, MADV_DONTNEED) == 0);
    return 0;
}
