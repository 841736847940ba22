/*
 * Loader unit tests: the valid generated image loads exactly as planned,
 * every malformed case is rejected with its message before guest RAM is
 * touched, and the symbol table survives whatever bytes it is given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kvmelf/abi.h"
#include "loader/loader.h"
#include "symbolize/symbolize.h"
#include "paging/paging.h"
#include "tests/support/elfgen.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Helpers ------------------------------------------------------------ */

static struct guest_mem new_ram(uint64_t size)
{
    struct guest_mem gm;
    struct kerr err;

    if (guest_mem_init(&gm, size, &err) != 0)
        fail_msg("guest_mem_init: %s", err.msg);
    return gm;
}

/* The window the CLI makes from paging_layout() for this RAM size with
 * the default stack. */
static struct load_window window_for(uint64_t ram)
{
    struct guest_layout l;
    struct kerr err;

    if (paging_layout(ram, 0, &l, &err) < 0)
        fail_msg("paging_layout: %s", err.msg);
    return (struct load_window){ .lo = KVMELF_RESERVED_END, .hi = l.guard,
                                 .ram_size = ram,
                                 .stack_size = l.stack_size };
}

/* What the CLI does: plan against the window for this RAM size, and copy
 * only when the plan was accepted. */
static int load_into(const struct elfgen *g, const struct guest_mem *gm,
                     struct load_plan *plan, struct kerr *err)
{
    struct load_window win = window_for(gm->size);

    if (loader_plan(g->bytes, g->size, &win, plan, err) != 0)
        return -1;
    return loader_copy(plan, g->bytes, g->size, gm, err);
}

static int plan_default(const struct elfgen *g, struct load_plan *plan,
                        struct kerr *err)
{
    struct load_window win = window_for(KVMELF_MEM_DEFAULT);

    return loader_plan(g->bytes, g->size, &win, plan, err);
}

static bool ram_is_zero(const struct guest_mem *gm)
{
    static const uint8_t zero[KVMELF_PAGE_SIZE];

    for (uint64_t a = 0; a < gm->size; a += sizeof zero)
        if (memcmp(gm->host + a, zero, sizeof zero) != 0)
            return false;
    return true;
}

static void assert_segment(const struct load_segment *s, unsigned index,
                           uint64_t vaddr, uint64_t filesz, uint64_t memsz,
                           uint32_t flags)
{
    assert_int_equal(s->index, index);
    assert_int_equal(s->vaddr, vaddr);
    assert_int_equal(s->filesz, filesz);
    assert_int_equal(s->memsz, memsz);
    assert_int_equal(s->flags, flags);
}

static void expect_plan_error(struct elfgen *g, const char *expect)
{
    struct load_plan plan;
    struct kerr err = { "" };

    assert_int_equal(plan_default(g, &plan, &err), -1);
    if (!strstr(err.msg, expect))
        fail_msg("message '%s' lacks '%s'", err.msg, expect);
}

/* ---- The valid image ------------------------------------------------------ */

static void test_valid_plan(void **state)
{
    struct elfgen g;
    struct load_plan plan;
    struct kerr err = { "" };

    (void)state;
    elfgen_valid(&g);
    if (plan_default(&g, &plan, &err) != 0)
        fail_msg("valid image rejected: %s", err.msg);
    assert_int_equal(plan.entry, ELFGEN_TEXT_VADDR);
    assert_int_equal(plan.nsegs, 3);
    assert_segment(&plan.segs[0], 0, ELFGEN_TEXT_VADDR, sizeof elfgen_code,
                   sizeof elfgen_code, PF_R | PF_X);
    assert_segment(&plan.segs[1], 1, ELFGEN_RODATA_VADDR, sizeof ELFGEN_RODATA,
                   sizeof ELFGEN_RODATA, PF_R);
    assert_segment(&plan.segs[2], 2, ELFGEN_DATA_VADDR, ELFGEN_DATA_FILESZ,
                   ELFGEN_DATA_MEMSZ, PF_R | PF_W);
    assert_int_equal(plan.segs[0].offset, ELFGEN_TEXT_OFFSET);
    assert_int_equal(plan.image_end, ELFGEN_IMAGE_END);
    elfgen_free(&g);
}

/* AT_PHDR: where the program headers are in guest memory. */
static void test_phdr_location(void **state)
{
    struct elfgen g;
    struct load_plan plan;
    struct kerr err = { "" };

    (void)state;
    /* The valid image does not load its header: no AT_PHDR. */
    elfgen_valid(&g);
    assert_int_equal(plan_default(&g, &plan, &err), 0);
    assert_int_equal(plan.phdr, 0);
    assert_int_equal(plan.phnum, 0);
    assert_int_equal(plan.phent, 0);
    /* A PT_LOAD from file offset 0 (as ld makes them) covers e_phoff. */
    Elf64_Phdr *ro = elfgen_phdr(&g, 1);
    ro->p_offset = 0;
    ro->p_filesz = ro->p_memsz = 0x1000;
    assert_int_equal(plan_default(&g, &plan, &err), 0);
    assert_int_equal(plan.phdr, ELFGEN_RODATA_VADDR + sizeof(Elf64_Ehdr));
    assert_int_equal(plan.phnum, 3);
    assert_int_equal(plan.phent, sizeof(Elf64_Phdr));
    elfgen_free(&g);

    /* PT_PHDR wins when it lies inside a segment... */
    elfgen_valid(&g);
    Elf64_Phdr *pt = elfgen_add_phdr(&g);
    pt->p_type = PT_PHDR;
    pt->p_vaddr = ELFGEN_DATA_VADDR + 0x100;
    assert_int_equal(plan_default(&g, &plan, &err), 0);
    assert_int_equal(plan.phdr, ELFGEN_DATA_VADDR + 0x100);
    assert_int_equal(plan.phnum, 4);
    /* ...and is ignored when the table would run past it. */
    pt = elfgen_phdr(&g, 3);
    pt->p_vaddr = ELFGEN_DATA_VADDR + ELFGEN_DATA_MEMSZ - 8;
    assert_int_equal(plan_default(&g, &plan, &err), 0);
    assert_int_equal(plan.phdr, 0);
    assert_int_equal(plan.phnum, 0);
    elfgen_free(&g);
}

static void test_valid_copy(void **state)
{
    struct elfgen g;
    struct load_plan plan;
    struct kerr err = { "" };
    struct guest_mem gm = new_ram(KVMELF_MEM_DEFAULT);

    (void)state;
    elfgen_valid(&g);
    if (load_into(&g, &gm, &plan, &err) != 0)
        fail_msg("load failed: %s", err.msg);
    assert_memory_equal(gm.host + ELFGEN_TEXT_VADDR, elfgen_code,
                        sizeof elfgen_code);
    assert_memory_equal(gm.host + ELFGEN_RODATA_VADDR, ELFGEN_RODATA,
                        sizeof ELFGEN_RODATA);
    assert_memory_equal(gm.host + ELFGEN_DATA_VADDR,
                        g.bytes + ELFGEN_DATA_OFFSET, ELFGEN_DATA_FILESZ);
    /* Wipe what was loaded: everything else, bss included, stays zero. */
    memset(gm.host + ELFGEN_TEXT_VADDR, 0, sizeof elfgen_code);
    memset(gm.host + ELFGEN_RODATA_VADDR, 0, sizeof ELFGEN_RODATA);
    memset(gm.host + ELFGEN_DATA_VADDR, 0, ELFGEN_DATA_FILESZ);
    assert_true(ram_is_zero(&gm));
    guest_mem_fini(&gm);
    elfgen_free(&g);
}

static void test_sorted_when_phdrs_out_of_order(void **state)
{
    struct elfgen g;
    struct load_plan plan;
    struct kerr err = { "" };

    (void)state;
    elfgen_valid(&g);
    Elf64_Phdr first = *elfgen_phdr(&g, 0);
    *elfgen_phdr(&g, 0) = *elfgen_phdr(&g, 2);
    *elfgen_phdr(&g, 2) = first;
    if (plan_default(&g, &plan, &err) != 0)
        fail_msg("rejected: %s", err.msg);
    assert_int_equal(plan.nsegs, 3);
    assert_segment(&plan.segs[0], 2, ELFGEN_TEXT_VADDR, sizeof elfgen_code,
                   sizeof elfgen_code, PF_R | PF_X);
    assert_int_equal(plan.segs[1].index, 1);
    assert_segment(&plan.segs[2], 0, ELFGEN_DATA_VADDR, ELFGEN_DATA_FILESZ,
                   ELFGEN_DATA_MEMSZ, PF_R | PF_W);
    elfgen_free(&g);
}

/* Two segments in one page are fine as long as their bytes are disjoint;
 * a zero-size PT_LOAD anywhere is skipped; p_paddr is ignored. */
static void test_edge_cases_accepted(void **state)
{
    struct elfgen g;
    struct load_plan plan;
    struct kerr err = { "" };

    (void)state;
    elfgen_valid(&g);
    Elf64_Phdr *ro = elfgen_phdr(&g, 1);
    ro->p_vaddr = ELFGEN_TEXT_VADDR + sizeof elfgen_code;
    ro->p_paddr = 0;
    ro->p_align = 0;
    *elfgen_add_phdr(&g) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R };
    if (plan_default(&g, &plan, &err) != 0)
        fail_msg("rejected: %s", err.msg);
    assert_int_equal(plan.nsegs, 3);
    assert_int_equal(plan.segs[1].vaddr, ELFGEN_TEXT_VADDR + 8);
    elfgen_free(&g);
}

static void test_segment_may_end_at_window_top(void **state)
{
    struct elfgen g;
    struct load_plan plan;
    struct kerr err = { "" };
    struct load_window win = window_for(KVMELF_MEM_DEFAULT);

    (void)state;
    elfgen_valid(&g);
    elfgen_phdr(&g, 2)->p_vaddr = win.hi - ELFGEN_DATA_MEMSZ;
    if (plan_default(&g, &plan, &err) != 0)
        fail_msg("rejected: %s", err.msg);
    assert_int_equal(plan.image_end, win.hi);
    elfgen_phdr(&g, 2)->p_vaddr += 1;
    elfgen_phdr(&g, 2)->p_align = 1;
    expect_plan_error(&g, "overlaps the guard page and the 8 MiB stack");
    elfgen_free(&g);
}

/* Fuzzers and mmap()ed files give no alignment guarantee: neither the
 * buffer nor the program header table (at an odd e_phoff) needs any. */
static void test_unaligned(void **state)
{
    struct elfgen g;
    struct load_plan plan;
    struct kerr err = { "" };
    struct symtab tab;
    struct load_window win = window_for(KVMELF_MEM_DEFAULT);

    (void)state;
    elfgen_valid(&g);
    size_t odd = g.size + 1, len = 3 * sizeof(Elf64_Phdr);
    elfgen_resize(&g, odd + len);
    memcpy(g.bytes + odd, elfgen_phdr(&g, 0), len);
    memset(elfgen_phdr(&g, 0), 0, len);
    elfgen_ehdr(&g)->e_phoff = odd;
    uint8_t *copy = malloc(g.size + 1);
    assert_non_null(copy);
    memcpy(copy + 1, g.bytes, g.size);
    if (loader_plan(copy + 1, g.size, &win, &plan, &err) != 0)
        fail_msg("rejected: %s", err.msg);
    assert_int_equal(plan.nsegs, 3);
    assert_int_equal(plan.segs[2].memsz, ELFGEN_DATA_MEMSZ);
    symtab_load(copy + 1, g.size, &tab);
    assert_int_equal(tab.count, 3);
    symtab_free(&tab);
    free(copy);
    elfgen_free(&g);
}

/* ---- Malformed files --------------------------------------------------- */

static void check_bad_case(const struct bad_elf_case *c, struct guest_mem *gm)
{
    struct elfgen g;
    struct load_plan plan;
    struct kerr err = { "" };

    c->make(&g);
    if (load_into(&g, gm, &plan, &err) != -1)
        fail_msg("%s: accepted", c->name);
    if (!strstr(err.msg, c->expect))
        fail_msg("%s: message '%s' lacks '%s'", c->name, err.msg, c->expect);
    if (strchr(err.msg, '\n') || err.msg[strlen(err.msg) - 1] == '.')
        fail_msg("%s: message '%s' is not one bare line", c->name, err.msg);
    if (!ram_is_zero(gm))
        fail_msg("%s: guest RAM was written", c->name);
    elfgen_free(&g);
}

static void test_bad_cases(void **state)
{
    struct guest_mem gm = new_ram(KVMELF_MEM_DEFAULT);

    (void)state;
    assert_true(bad_elf_case_count >= 48);
    for (size_t i = 0; i < bad_elf_case_count; i++)
        check_bad_case(&bad_elf_cases[i], &gm);
    guest_mem_fini(&gm);
}

/* Names are file names; messages differ, so each case tests its own rule. */
static void test_bad_cases_distinct(void **state)
{
    (void)state;
    for (size_t i = 0; i < bad_elf_case_count; i++) {
        const struct bad_elf_case *c = &bad_elf_cases[i];
        assert_int_equal(strspn(c->name, "abcdefghijklmnopqrstuvwxyz0123456789-"),
                         strlen(c->name));
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->name, bad_elf_cases[j].name))
                fail_msg("duplicate case %s", c->name);
    }
}

static void test_bad_cases_symbols(void **state)
{
    (void)state;
    for (size_t i = 0; i < bad_elf_case_count; i++) {
        struct elfgen g;
        struct symtab tab;
        uint64_t off;

        bad_elf_cases[i].make(&g);
        symtab_load(g.bytes, g.size, &tab);
        (void)symtab_lookup(&tab, ELFGEN_TEXT_VADDR, &off);
        symtab_free(&tab);
        elfgen_free(&g);
    }
}

static void test_exact_messages(void **state)
{
    struct elfgen g;
    struct load_plan plan;
    struct kerr err;
    struct load_window win = { 0x100000, 0x102000, KVMELF_MEM_DEFAULT,
                               KVMELF_STACK_DEFAULT };

    (void)state;
    elfgen_valid(&g);
    assert_int_equal(loader_plan(g.bytes, g.size, &win, &plan, &err), -1);
    assert_string_equal(err.msg, "segment 2 [0x102000, 0x104000) overlaps "
                        "the guard page and the 8 MiB stack at the top of "
                        "RAM (from 0x102000): give more --mem, or a smaller "
                        "--stack");
    win = window_for(4 << 20);
    elfgen_phdr(&g, 2)->p_vaddr = 0x3ff000;
    assert_int_equal(loader_plan(g.bytes, g.size, &win, &plan, &err), -1);
    assert_string_equal(err.msg, "segment 2 [0x3ff000, 0x401000) ends past "
                        "guest RAM (4 MiB)");
    elfgen_free(&g);
}

/* A plan made for more RAM than gm has: nothing at all is copied. */
static void test_copy_checks_every_segment_first(void **state)
{
    struct elfgen g;
    struct load_plan plan;
    struct kerr err = { "" };
    struct guest_mem gm = new_ram(KVMELF_MEM_MIN);

    (void)state;
    elfgen_valid(&g);
    elfgen_phdr(&g, 2)->p_vaddr = 0x300000;
    assert_int_equal(plan_default(&g, &plan, &err), 0);
    assert_int_equal(loader_copy(&plan, g.bytes, g.size, &gm, &err), -1);
    assert_non_null(strstr(err.msg, "does not fit guest RAM"));
    assert_true(ram_is_zero(&gm));
    assert_int_equal(loader_copy(&plan, g.bytes, 16, &gm, &err), -1);
    assert_true(ram_is_zero(&gm));
    guest_mem_fini(&gm);
    elfgen_free(&g);
}

/* ---- Window --------------------------------------------------------------- */

/* The window comes from the one layout: 8 MiB of stack from 64 MiB of
 * RAM on, RAM / 8 below that, and 256 KiB at the least. */
static void test_window(void **state)
{
    struct load_window w;
    struct guest_layout l;
    struct kerr err;

    (void)state;
    w = window_for(64 << 20);
    assert_int_equal(w.lo, 0x100000);
    assert_int_equal(w.hi, (64 << 20) - (8 << 20) - 0x1000);
    assert_int_equal(w.ram_size, 64 << 20);
    w = window_for(16 << 20);
    assert_int_equal(w.hi, (16 << 20) - (2 << 20) - 0x1000);
    w = window_for(2 << 20);
    assert_int_equal(w.lo, 1 << 20);
    assert_int_equal(w.hi, (2 << 20) - (256 << 10) - 4096);
    w = window_for(1ULL << 36);
    assert_int_equal(w.hi, (1ULL << 36) - (8 << 20) - 4096);
    assert_int_equal(paging_layout(KVMELF_RESERVED_END + 0x10000, 0, &l, &err),
                     -1);
    assert_non_null(strstr(err.msg, "cannot hold the monitor's area, a stack "
                                    "of 256 KiB and a program"));
    assert_int_equal(paging_layout(64 << 20, 60 << 20, &l, &err), 0);
    assert_int_equal(l.guard, (4 << 20) - 0x1000);
    assert_int_equal(paging_layout(64 << 20, 63 << 20, &l, &err), -1);
    assert_non_null(strstr(err.msg, "a smaller --stack, or more --mem"));
    assert_int_equal(paging_layout(64 << 20, 12345, &l, &err), -1);
    assert_non_null(strstr(err.msg, "multiple of 4 KiB"));
}

/* Linux's rule for arguments (fs/exec.c): a quarter of the stack, at least
 * 128 KiB, at most 6 MiB; and never more than half of a small stack. */
static void test_args_limit(void **state)
{
    struct guest_layout l;
    struct kerr err;

    (void)state;
    assert_int_equal(paging_layout(64 << 20, 0, &l, &err), 0);
    assert_int_equal(l.args_max, 2 << 20);
    assert_int_equal(paging_layout(64 << 20, 40 << 20, &l, &err), 0);
    assert_int_equal(l.args_max, 6 << 20);
    assert_int_equal(paging_layout(64 << 20, 256 << 10, &l, &err), 0);
    assert_int_equal(l.args_max, 128 << 10);
    assert_int_equal(paging_layout(64 << 20, 64 << 10, &l, &err), 0);
    assert_int_equal(l.args_max, 32 << 10);
}

/* ---- Reading files -------------------------------------------------------- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kvmelf-test-loader-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    static const char *const names[] = { "elf", "empty", "fifo", "huge" };
    char path[128];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    return rmdir(tmpdir);
}

static const char *tmp_path(const char *name)
{
    static char path[128];

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void expect_read_error(const char *path, const char *expect)
{
    struct loader_file file;
    struct kerr err = { "" };

    assert_int_equal(loader_read_file(path, &file, &err), -1);
    if (strcmp(err.msg, expect) != 0)
        fail_msg("%s: '%s', expected '%s'", path, err.msg, expect);
    assert_null(file.bytes);
    assert_int_equal(file.size, 0);
}

static void test_read_regular_file(void **state)
{
    struct elfgen g;
    struct loader_file file;
    struct kerr err = { "" };

    (void)state;
    elfgen_valid(&g);
    write_file(tmp_path("elf"), g.bytes, g.size);
    if (loader_read_file(tmp_path("elf"), &file, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(file.size, g.size);
    assert_memory_equal(file.bytes, g.bytes, g.size);
    loader_file_free(&file);
    assert_null(file.bytes);
    elfgen_free(&g);
}

static void test_read_errors(void **state)
{
    (void)state;
    expect_read_error(tmpdir, "not a regular file (a directory)");
    expect_read_error("/dev/null", "not a regular file (a character device)");
    expect_read_error(tmp_path("missing"),
                      "cannot open: No such file or directory");
    write_file(tmp_path("empty"), "", 0);
    expect_read_error(tmp_path("empty"), "empty file (0 bytes)");
    assert_int_equal(mkfifo(tmp_path("fifo"), 0600), 0);
    expect_read_error(tmp_path("fifo"), "not a regular file (a FIFO)");
}

/* The size cap is checked before anything is allocated or read: a sparse
 * file one byte over it costs nothing and is refused; one at the cap is
 * read (all zeros, to be judged by loader_plan later). */
static void test_read_size_cap(void **state)
{
    struct loader_file file;
    struct kerr err = { "" };
    char expect[128], max[32];

    (void)state;
    write_file(tmp_path("huge"), "", 0);
    assert_int_equal(truncate(tmp_path("huge"), LOADER_MAX_FILE_SIZE + 1), 0);
    snprintf(expect, sizeof expect, "file too large (%llu bytes, at most %s)",
             LOADER_MAX_FILE_SIZE + 1,
             format_size(LOADER_MAX_FILE_SIZE, max, sizeof max));
    expect_read_error(tmp_path("huge"), expect);
    assert_int_equal(truncate(tmp_path("huge"), 4096), 0);
    if (loader_read_file(tmp_path("huge"), &file, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(file.size, 4096);
    loader_file_free(&file);
    unlink(tmp_path("huge"));
}

/* ---- Symbols --------------------------------------------------------------- */

static void expect_symbol(const struct symtab *tab, uint64_t addr,
                          const char *name, uint64_t offset)
{
    uint64_t off = ~0ULL;
    const char *got = symtab_lookup(tab, addr, &off);

    if (!got || strcmp(got, name) != 0 || off != offset)
        fail_msg("0x%llx: got %s+0x%llx, expected %s+0x%llx",
                 (unsigned long long)addr, got ? got : "NULL",
                 (unsigned long long)off, name, (unsigned long long)offset);
}

static void test_symbols(void **state)
{
    struct elfgen g;
    struct symtab tab;
    uint64_t off;

    (void)state;
    elfgen_valid(&g);
    symtab_load(g.bytes, g.size, &tab);
    assert_int_equal(tab.count, 3);
    expect_symbol(&tab, ELFGEN_TEXT_VADDR, "_start", 0);
    expect_symbol(&tab, ELFGEN_TEXT_VADDR + 2, "_start", 2);
    expect_symbol(&tab, ELFGEN_RODATA_VADDR + 15, "message", 15);
    /* A size-0 label after every other symbol (like _end) names only its
     * own address: a wild RIP must not read as "_end+0x3efdfb8". */
    expect_symbol(&tab, ELFGEN_DATA_VADDR, "data_start", 0);
    assert_null(symtab_lookup(&tab, ELFGEN_DATA_VADDR + 0x1234, &off));
    assert_null(symtab_lookup(&tab, ELFGEN_TEXT_VADDR - 1, &off));
    assert_null(symtab_lookup(&tab, 0, &off));
    /* Past the end of sized _start, before the next symbol: unknown. */
    assert_null(symtab_lookup(&tab, ELFGEN_TEXT_VADDR + 8, &off));
    assert_null(symtab_lookup(&tab, ELFGEN_RODATA_VADDR + 16, &off));
    symtab_free(&tab);
    assert_null(symtab_lookup(&tab, ELFGEN_TEXT_VADDR, &off));
    elfgen_free(&g);  /* the names point into the file's bytes */
}

typedef void (*corrupt_fn)(struct elfgen *g);

static Elf64_Shdr *symtab_shdr(struct elfgen *g)
{
    return elfgen_shdr(g, ELFGEN_SYMTAB_INDEX);
}

static void c_sym_offset(struct elfgen *g) { symtab_shdr(g)->sh_offset = g->size - 8; }
static void c_sym_offset_huge(struct elfgen *g) { symtab_shdr(g)->sh_offset = ~0ULL - 7; }
static void c_sym_size(struct elfgen *g) { symtab_shdr(g)->sh_size = ~0ULL / 24 * 24; }
static void c_sym_entsize(struct elfgen *g) { symtab_shdr(g)->sh_entsize = 16; }
static void c_link_range(struct elfgen *g) { symtab_shdr(g)->sh_link = 7; }
static void c_link_huge(struct elfgen *g) { symtab_shdr(g)->sh_link = 0xffffffffu; }
static void c_link_zero(struct elfgen *g) { symtab_shdr(g)->sh_link = 0; }
static void c_link_self(struct elfgen *g) { symtab_shdr(g)->sh_link = ELFGEN_SYMTAB_INDEX; }
static void c_str_past_eof(struct elfgen *g) { elfgen_shdr(g, 5)->sh_size = g->size; }
static void c_shoff(struct elfgen *g) { elfgen_ehdr(g)->e_shoff = g->size - 64; }
static void c_shoff_huge(struct elfgen *g) { elfgen_ehdr(g)->e_shoff = ~0ULL - 100; }
static void c_shnum(struct elfgen *g) { elfgen_ehdr(g)->e_shnum = 0xffff; }
static void c_shentsize(struct elfgen *g) { elfgen_ehdr(g)->e_shentsize = 40; }
static void c_truncated(struct elfgen *g) { elfgen_resize(g, g->size - 100); }

/* Strings unterminated inside .strtab: every name runs off its end. */
static void c_str_unterminated(struct elfgen *g)
{
    Elf64_Shdr *str = elfgen_shdr(g, 5);
    memset(g->bytes + str->sh_offset, 'x', str->sh_size);
}

static void test_symbols_corrupt(void **state)
{
    static const corrupt_fn corrupt[] = {
        c_sym_offset, c_sym_offset_huge, c_sym_size, c_sym_entsize,
        c_link_range, c_link_huge, c_link_zero, c_link_self, c_str_past_eof,
        c_shoff, c_shoff_huge, c_shnum, c_shentsize, c_truncated,
        c_str_unterminated,
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(corrupt); i++) {
        struct elfgen g;
        struct symtab tab;
        uint64_t off;

        elfgen_valid(&g);
        corrupt[i](&g);
        symtab_load(g.bytes, g.size, &tab);
        if (tab.count != 0)
            fail_msg("corruption %zu: %zu symbols", i, tab.count);
        assert_null(symtab_lookup(&tab, ELFGEN_TEXT_VADDR, &off));
        symtab_free(&tab);
        elfgen_free(&g);
    }
}

/* One bad name drops that symbol only. */
static void test_symbol_name_out_of_range(void **state)
{
    struct elfgen g;
    struct symtab tab;
    uint64_t off;

    (void)state;
    elfgen_valid(&g);
    Elf64_Shdr *sym = symtab_shdr(&g);
    Elf64_Sym *start = (Elf64_Sym *)(void *)(g.bytes + sym->sh_offset) + 3;
    start->st_name = 0x10000;
    symtab_load(g.bytes, g.size, &tab);
    assert_int_equal(tab.count, 2);
    assert_null(symtab_lookup(&tab, ELFGEN_TEXT_VADDR, &off));
    expect_symbol(&tab, ELFGEN_RODATA_VADDR, "message", 0);
    symtab_free(&tab);
    elfgen_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_plan),
        cmocka_unit_test(test_valid_copy),
        cmocka_unit_test(test_phdr_location),
        cmocka_unit_test(test_sorted_when_phdrs_out_of_order),
        cmocka_unit_test(test_edge_cases_accepted),
        cmocka_unit_test(test_segment_may_end_at_window_top),
        cmocka_unit_test(test_unaligned),
        cmocka_unit_test(test_bad_cases),
        cmocka_unit_test(test_bad_cases_distinct),
        cmocka_unit_test(test_bad_cases_symbols),
        cmocka_unit_test(test_exact_messages),
        cmocka_unit_test(test_copy_checks_every_segment_first),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_args_limit),
        cmocka_unit_test(test_read_regular_file),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_read_size_cap),
        cmocka_unit_test(test_symbols),
        cmocka_unit_test(test_symbols_corrupt),
        cmocka_unit_test(test_symbol_name_out_of_range),
    };

    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
