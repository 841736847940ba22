/*
 * Symbolizer unit tests: function+offset and file:line for a real guest
 * with DWARF (tests/guests/symtest, found through KVMELF_TEST_GUESTS), the
 * formatted strings, the frame-pointer backtrace over a fake stack with
 * every stop condition, and hostile files (the loader's bad cases,
 * truncations, corrupted DWARF) that must only give fewer answers.
 *
 * Expected lines are not hard-coded: they are the lines of symtest.c that
 * carry a LINE:name marker, read at test time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "symbolize/dwarf.h"
#include "symbolize/symbolize.h"
#include "tests/support/elfgen.h"
#include "tests/support/proc.h"

#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUEST_NAME  "symtest.elf"
#define SOURCE_NAME "symtest.c"
#define SOURCE_PATH "tests/guests/symtest/" SOURCE_NAME

/* The guest ELF, read once for the whole group. */
static struct loader_file guest;
static struct symtab guest_syms;
static char source_path[4096];

struct func {
    uint64_t addr;
    uint64_t size;
};

/* ---- Fixture ------------------------------------------------------------ */

/* The source is found from the working directory (`make check` runs in the
 * repository root) or from the guests directory upwards. */
static bool find_source(const char *guests)
{
    char dir[sizeof source_path - sizeof SOURCE_PATH - 1];
    FILE *f;

    snprintf(dir, sizeof dir, "%s", ".");
    for (int up = 0; up < 6; up++) {
        snprintf(source_path, sizeof source_path, "%s/%s", dir, SOURCE_PATH);
        if ((f = fopen(source_path, "r")) != NULL) {
            fclose(f);
            return true;
        }
        if (up == 0)
            snprintf(dir, sizeof dir, "%s", guests);
        else if (strlen(dir) + 4 < sizeof dir)
            strcat(dir, "/..");
    }
    return false;
}

static int setup_group(void **state)
{
    const char *dir = proc_need_env("KVMELF_TEST_GUESTS");
    char path[4096];
    struct kerr err;

    (void)state;
    snprintf(path, sizeof path, "%s/%s", dir, GUEST_NAME);
    if (loader_read_file(path, &guest, &err) != 0) {
        fprintf(stderr, "test_symbolize: %s: %s (make build/tests/guests/"
                GUEST_NAME ")\n", path, err.msg);
        return -1;
    }
    if (!find_source(dir)) {
        fprintf(stderr, "test_symbolize: cannot find " SOURCE_PATH
                " (run from the repository root)\n");
        return -1;
    }
    symtab_load(guest.bytes, guest.size, &guest_syms);
    return 0;
}

static int teardown_group(void **state)
{
    (void)state;
    symtab_free(&guest_syms);
    loader_file_free(&guest);
    return 0;
}

/* The line of symtest.c with the marker LINE:name; exactly one. */
static int marker_line(const char *name)
{
    char want[128], text[512];
    int line = 0, found = 0;
    FILE *f = fopen(source_path, "r");

    if (!f)
        fail_msg("%s: cannot open", source_path);
    snprintf(want, sizeof want, "/* LINE:%s */", name);
    while (fgets(text, sizeof text, f)) {
        line++;
        if (strstr(text, want)) {
            assert_int_equal(found, 0);
            found = line;
        }
    }
    fclose(f);
    if (!found)
        fail_msg("%s: no marker %s", source_path, want);
    return found;
}

/* A sized symbol of the guest, by name (independent of symbolize). */
static struct func guest_func(const char *name)
{
    for (size_t i = 0; i < guest_syms.count; i++)
        if (strcmp(guest_syms.names + guest_syms.syms[i].name, name) == 0 &&
            guest_syms.syms[i].size > 0)
            return (struct func){ guest_syms.syms[i].addr,
                                  guest_syms.syms[i].size };
    fail_msg("%s has no symbol %s", GUEST_NAME, name);
    return (struct func){ 0, 0 };   /* not reached */
}

static Elf64_Ehdr ehdr_of(const uint8_t *b)
{
    Elf64_Ehdr eh;
    memcpy(&eh, b, sizeof eh);
    return eh;
}

static Elf64_Shdr shdr_of(const uint8_t *b, size_t i)
{
    Elf64_Ehdr eh = ehdr_of(b);
    Elf64_Shdr sh;
    memcpy(&sh, b + eh.e_shoff + i * sizeof sh, sizeof sh);
    return sh;
}

/* Section header index of the guest's section called name, or 0. */
static size_t guest_section(const char *name)
{
    Elf64_Ehdr eh = ehdr_of(guest.bytes);
    Elf64_Shdr names = shdr_of(guest.bytes, eh.e_shstrndx);

    for (size_t i = 1; i < eh.e_shnum; i++)
        if (strcmp((const char *)guest.bytes + names.sh_offset +
                   shdr_of(guest.bytes, i).sh_name, name) == 0)
            return i;
    return 0;
}

/* The guest's code bytes at [vaddr, vaddr + len), through the PT_LOADs. */
static const uint8_t *guest_code(uint64_t vaddr, uint64_t len)
{
    Elf64_Ehdr eh = ehdr_of(guest.bytes);

    for (size_t i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, guest.bytes + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
            vaddr - ph.p_vaddr + len <= ph.p_filesz)
            return guest.bytes + ph.p_offset + (vaddr - ph.p_vaddr);
    }
    fail_msg("0x%llx is not in the file", (unsigned long long)vaddr);
    return NULL;                    /* not reached */
}

/* The return address of the one `call rel32` in caller that targets
 * callee. */
static uint64_t return_address(struct func caller, struct func callee)
{
    const uint8_t *code = guest_code(caller.addr, caller.size);
    uint64_t found = 0;

    for (uint64_t i = 0; i + 5 <= caller.size; i++) {
        int32_t rel;
        memcpy(&rel, code + i + 1, sizeof rel);
        if (code[i] == 0xe8 &&
            caller.addr + i + 5 + (uint64_t)(int64_t)rel == callee.addr) {
            assert_int_equal(found, 0);
            found = caller.addr + i + 5;
        }
    }
    if (!found)
        fail_msg("no call from 0x%llx to 0x%llx",
                 (unsigned long long)caller.addr,
                 (unsigned long long)callee.addr);
    return found;
}

/* A heap copy of the guest's bytes, to corrupt. */
static uint8_t *guest_copy(void)
{
    uint8_t *copy = malloc(guest.size);

    assert_non_null(copy);
    memcpy(copy, guest.bytes, guest.size);
    return copy;
}

static struct symbolizer *open_guest(void)
{
    struct symbolizer *s = symbolizer_open(guest.bytes, guest.size);
    assert_non_null(s);
    return s;
}

static void assert_location(const struct code_location *loc,
                            const char *function, uint64_t offset,
                            const char *file, int line)
{
    if (function) {
        assert_non_null(loc->function);
        assert_string_equal(loc->function, function);
    } else {
        assert_null(loc->function);
    }
    assert_int_equal(loc->offset, offset);
    if (file) {
        assert_non_null(loc->file);
        assert_string_equal(loc->file, file);
    } else {
        assert_null(loc->file);
    }
    assert_int_equal(loc->line, line);
}

/* ---- Functions and lines -------------------------------------------------- */

/* Every byte of fn: its name, the right offset, symtest.c and a line
 * between the function's opening and closing braces. */
static void check_function_bytes(const struct symbolizer *s, const char *name,
                                 const char *first, const char *last)
{
    struct func f = guest_func(name);
    int lo = marker_line(first), hi = marker_line(last);
    struct code_location loc;

    for (uint64_t off = 0; off < f.size; off++) {
        symbolize(s, f.addr + off, false, &loc);
        assert_non_null(loc.function);
        assert_string_equal(loc.function, name);
        assert_int_equal(loc.offset, off);
        if (loc.file == NULL)   /* padding after the last instruction */
            continue;
        assert_string_equal(loc.file, SOURCE_NAME);
        assert_in_range(loc.line, lo, hi);
    }
}

static void test_functions(void **state)
{
    struct symbolizer *s = open_guest();

    (void)state;
    check_function_bytes(s, "main", "main-entry", "main-end");
    check_function_bytes(s, "level2", "level2-entry", "level2-end");
    check_function_bytes(s, "level3", "level3-entry", "level3-end");
    symbolizer_close(s);
}

static void test_lines(void **state)
{
    struct symbolizer *s = open_guest();
    struct func l3 = guest_func("level3");
    struct code_location loc;
    int body = marker_line("level3-body");
    bool seen_body = false;

    (void)state;
    /* The first instruction of level3 is its body (the one-line function
     * has no prologue to attribute to the brace). */
    symbolize(s, l3.addr, false, &loc);
    assert_location(&loc, "level3", 0, SOURCE_NAME, body);
    for (uint64_t off = 0; off < l3.size; off++) {
        symbolize(s, l3.addr + off, false, &loc);
        seen_body |= loc.line == body;
    }
    assert_true(seen_body);
    symbolizer_close(s);
}

static void check_call_site(const struct symbolizer *s, const char *caller,
                            const char *callee, const char *call_marker,
                            const char *end_marker)
{
    struct func from = guest_func(caller);
    uint64_t ret = return_address(from, guest_func(callee));
    int call_line = marker_line(call_marker);
    struct code_location loc;

    symbolize(s, ret, true, &loc);
    assert_location(&loc, caller, ret - from.addr, SOURCE_NAME, call_line);
    /* The instruction after the call belongs to a later line. */
    symbolize(s, ret, false, &loc);
    assert_string_equal(loc.function, caller);
    assert_int_equal(loc.offset, ret - from.addr);
    assert_in_range(loc.line, call_line + 1, marker_line(end_marker));
}

static void test_return_addresses(void **state)
{
    struct symbolizer *s = open_guest();

    (void)state;
    check_call_site(s, "level2", "level3", "level2-call", "level2-end");
    check_call_site(s, "main", "level2", "main-call", "main-end");
    symbolizer_close(s);
}

static void test_unknown_addresses(void **state)
{
    struct symbolizer *s = open_guest();
    struct code_location loc;
    char buf[64];

    (void)state;
    memset(&loc, 0x55, sizeof loc);
    symbolize(s, 0x1000, false, &loc);     /* the monitor's reserved area */
    assert_location(&loc, NULL, 0, NULL, 0);
    assert_string_equal(format_location(&loc, 0x1000, buf, sizeof buf),
                        "0x1000");
    symbolize(s, 0, true, &loc);
    assert_location(&loc, NULL, 0, NULL, 0);
    symbolize(NULL, guest_func("main").addr, false, &loc);
    assert_location(&loc, NULL, 0, NULL, 0);
    symbolizer_close(s);
    symbolizer_close(NULL);
}

/* The caller may free its bytes once the symbolizer is open. */
static void test_keeps_own_copy(void **state)
{
    uint8_t *copy = guest_copy();
    struct func l3 = guest_func("level3");
    struct code_location loc;

    (void)state;
    struct symbolizer *s = symbolizer_open(copy, guest.size);
    memset(copy, 0xff, guest.size);
    free(copy);
    symbolize(s, l3.addr + 1, false, &loc);
    assert_location(&loc, "level3", 1, SOURCE_NAME,
                    marker_line("level3-body"));
    symbolizer_close(s);
}

/* symbolizer_adopt takes the loader's buffer (no copy), leaves the file
 * empty, and answers like symbolizer_open; closing it frees the buffer
 * (the sanitizer build would report a leak or a double free). */
static void test_adopt(void **state)
{
    const char *dir = proc_need_env("KVMELF_TEST_GUESTS");
    char path[4096];
    struct loader_file file;
    struct func l3 = guest_func("level3");
    struct code_location loc;
    struct kerr err;

    (void)state;
    snprintf(path, sizeof path, "%s/%s", dir, GUEST_NAME);
    assert_int_equal(loader_read_file(path, &file, &err), 0);
    for (size_t i = 0; i < LOADER_FILE_PADDING; i++)
        assert_int_equal(file.bytes[file.size + i], 0);
    const uint8_t *bytes = file.bytes;
    struct symbolizer *s = symbolizer_adopt(&file);
    assert_non_null(s);
    assert_null(file.bytes);
    assert_int_equal(file.size, 0);
    assert_non_null(bytes);
    symbolize(s, l3.addr + 1, false, &loc);
    assert_location(&loc, "level3", 1, SOURCE_NAME,
                    marker_line("level3-body"));
    symbolizer_close(s);
    loader_file_free(&file);            /* empty: nothing to do */

    struct loader_file none = { 0 };
    s = symbolizer_adopt(&none);
    assert_non_null(s);
    symbolize(s, l3.addr + 1, false, &loc);
    assert_location(&loc, NULL, 0, NULL, 0);
    symbolizer_close(s);
}

#define LOC(f, o, fi, l) (struct code_location){ .function = (f), \
    .offset = (o), .file = (fi), .line = (l) }

static void test_format(void **state)
{
    struct symbolizer *s = open_guest();
    struct func l2 = guest_func("level2");
    uint64_t ret = return_address(l2, guest_func("level3"));
    struct code_location loc;
    char buf[128], want[128];

    (void)state;
    symbolize(s, ret, true, &loc);
    snprintf(want, sizeof want, "level2+0x%llx (symtest.c:%d)",
             (unsigned long long)(ret - l2.addr), marker_line("level2-call"));
    assert_string_equal(format_location(&loc, ret, buf, sizeof buf), want);
    symbolizer_close(s);

    loc = LOC("main", 0x3a, "crash.c", 42);
    assert_string_equal(format_location(&loc, 0x10004a, buf, sizeof buf),
                        "main+0x3a (crash.c:42)");
    assert_ptr_equal(format_location(&loc, 0, buf, sizeof buf), buf);
    loc = LOC("main", 0x3a, NULL, 0);
    assert_string_equal(format_location(&loc, 0x10004a, buf, sizeof buf),
                        "main+0x3a");
    loc = LOC("main", 0, "crash.c", 0);
    assert_string_equal(format_location(&loc, 0x10004a, buf, sizeof buf),
                        "main+0x0");
    loc = LOC(NULL, 0, "crash.c", 42);
    assert_string_equal(format_location(&loc, 0x10004a, buf, sizeof buf),
                        "0x10004a (crash.c:42)");
    loc = LOC(NULL, 0, NULL, 0);
    assert_string_equal(format_location(&loc, 0x10004a, buf, sizeof buf),
                        "0x10004a");
    assert_string_equal(format_location(NULL, 0xffffffffffffffffULL, buf,
                                        sizeof buf), "0xffffffffffffffff");
    /* Names from the file cannot reach a terminal as control characters. */
    loc = LOC("ev\x1b[2Jil\x7f", 1, "a\nb.c", 7);
    assert_string_equal(format_location(&loc, 0, buf, sizeof buf),
                        "ev?[2Jil?+0x1 (a?b.c:7)");
    /* Truncation keeps the terminator; len 0 writes nothing. */
    loc = LOC("main", 0x3a, "crash.c", 42);
    assert_string_equal(format_location(&loc, 0, buf, 5), "main");
    assert_string_equal(format_location(&loc, 0, buf, 12), "main+0x3a (");
    assert_string_equal(format_location(&loc, 0, buf, 1), "");
    buf[0] = 'X';
    format_location(&loc, 0, buf, 0);
    assert_int_equal(buf[0], 'X');
}

/* ---- Degraded files: DWARF fallbacks ------------------------------------ */

/* Without a symbol table the function names come from DWARF. */
static void test_dwarf_function_names(void **state)
{
    size_t sym = guest_section(".symtab");
    uint8_t *copy = guest_copy();
    struct func l3 = guest_func("level3"), l2 = guest_func("level2");
    struct code_location loc;

    (void)state;
    assert_int_not_equal(sym, 0);
    Elf64_Shdr sh = shdr_of(copy, sym);
    sh.sh_type = SHT_PROGBITS;
    memcpy(copy + ehdr_of(copy).e_shoff + sym * sizeof sh, &sh, sizeof sh);
    struct symbolizer *s = symbolizer_open(copy, guest.size);
    free(copy);
    symbolize(s, l3.addr + 2, false, &loc);
    assert_location(&loc, "level3", 2, SOURCE_NAME,
                    marker_line("level3-body"));
    uint64_t ret = return_address(l2, l3);
    symbolize(s, ret, true, &loc);
    assert_location(&loc, "level2", ret - l2.addr, SOURCE_NAME,
                    marker_line("level2-call"));
    symbolize(s, 0x1000, false, &loc);
    assert_location(&loc, NULL, 0, NULL, 0);
    symbolizer_close(s);
}

/* An empty symbol name (st_name at a NUL of .strtab) is no name: DWARF's
 * is used instead. */
static void test_empty_symbol_name(void **state)
{
    size_t sym = guest_section(".symtab");
    uint8_t *copy = guest_copy();
    struct func l3 = guest_func("level3");
    struct code_location loc;
    size_t renamed = 0;

    (void)state;
    Elf64_Shdr sh = shdr_of(copy, sym);
    Elf64_Shdr str = shdr_of(copy, sh.sh_link);
    for (size_t i = 1; i < sh.sh_size / sizeof(Elf64_Sym); i++) {
        Elf64_Sym s;
        uint8_t *at = copy + sh.sh_offset + i * sizeof s;
        memcpy(&s, at, sizeof s);
        if (strcmp((const char *)copy + str.sh_offset + s.st_name,
                   "level3") == 0) {
            s.st_name += (uint32_t)strlen("level3");
            memcpy(at, &s, sizeof s);
            renamed++;
        }
    }
    assert_int_equal(renamed, 1);
    struct symbolizer *s = symbolizer_open(copy, guest.size);
    free(copy);
    symbolize(s, l3.addr + 1, false, &loc);
    assert_location(&loc, "level3", 1, SOURCE_NAME,
                    marker_line("level3-body"));
    symbolizer_close(s);
}

/* Without .debug_aranges every line program is searched for the address.
 * (An absent section once meant pointer arithmetic on NULL, which only
 * clang's UBSan reports: fuzz/regressions/elf/dwarf-no-aranges-null-span,
 * replayed by make fuzz-check.) */
static void test_without_aranges(void **state)
{
    size_t ar = guest_section(".debug_aranges");
    uint8_t *copy = guest_copy();
    struct func main_fn = guest_func("main");
    struct code_location loc;

    (void)state;
    assert_int_not_equal(ar, 0);
    Elf64_Shdr names = shdr_of(copy, ehdr_of(copy).e_shstrndx);
    copy[names.sh_offset + shdr_of(copy, ar).sh_name + 1] = 'X'; /* .Xebug */
    struct symbolizer *s = symbolizer_open(copy, guest.size);
    free(copy);
    uint64_t ret = return_address(main_fn, guest_func("level2"));
    symbolize(s, ret, true, &loc);
    assert_location(&loc, "main", ret - main_fn.addr, SOURCE_NAME,
                    marker_line("main-call"));
    symbolizer_close(s);
}

/* DWARF that refers to a supplementary file (here .debug_str renamed to
 * .debug_sup, same length) is not used: libdw would open() a path the ELF
 * names.  Symbols still name the function. */
static void test_supplementary_dwarf_ignored(void **state)
{
    size_t str = guest_section(".debug_str");
    uint8_t *copy = guest_copy();
    struct func main_fn = guest_func("main");
    struct code_location loc;

    (void)state;
    assert_int_not_equal(str, 0);
    Elf64_Shdr names = shdr_of(copy, ehdr_of(copy).e_shstrndx);
    memcpy(copy + names.sh_offset + shdr_of(copy, str).sh_name, ".debug_sup", 10);
    struct symbolizer *s = symbolizer_open(copy, guest.size);
    free(copy);
    symbolize(s, main_fn.addr + 1, false, &loc);
    assert_location(&loc, "main", 1, NULL, 0);
    symbolizer_close(s);
}

/* Section headers at an odd offset: libelf hands out pointers into the
 * file on x86, so reading them in place was a misaligned access (UBSan,
 * found by fuzz_elf; fuzz/regressions/elf/shdr-table-misaligned).  The
 * table is copied to the end, 2 bytes past an 8-byte boundary. */
static void test_misaligned_section_headers(void **state)
{
    Elf64_Ehdr eh = ehdr_of(guest.bytes);
    size_t table = (size_t)eh.e_shnum * sizeof(Elf64_Shdr);
    size_t at = ((guest.size + 7) & ~(size_t)7) + 2;
    uint8_t *copy = calloc(1, at + table);
    struct func main_fn = guest_func("main");
    struct code_location loc;

    (void)state;
    assert_non_null(copy);
    memcpy(copy, guest.bytes, guest.size);
    memcpy(copy + at, guest.bytes + eh.e_shoff, table);
    eh.e_shoff = at;
    memcpy(copy, &eh, sizeof eh);
    struct symbolizer *s = symbolizer_open(copy, at + table);
    free(copy);
    assert_non_null(s);
    symbolize(s, main_fn.addr + 1, false, &loc);
    assert_string_equal(loc.function, "main");
    symbolizer_close(s);
}

/* The generated image has symbols but no DWARF. */
static void test_symbols_only(void **state)
{
    struct elfgen g = { 0 };
    struct code_location loc;
    char buf[64];

    (void)state;
    elfgen_valid(&g);
    struct symbolizer *s = symbolizer_open(g.bytes, g.size);
    elfgen_free(&g);
    symbolize(s, ELFGEN_TEXT_VADDR + 2, false, &loc);
    assert_location(&loc, "_start", 2, NULL, 0);
    assert_string_equal(format_location(&loc, ELFGEN_TEXT_VADDR + 2, buf,
                                         sizeof buf), "_start+0x2");
    symbolize(s, ELFGEN_TEXT_VADDR + 2, true, &loc);
    assert_location(&loc, "_start", 2, NULL, 0);
    symbolizer_close(s);
    s = symbolizer_open(NULL, 0);
    assert_non_null(s);
    symbolize(s, ELFGEN_TEXT_VADDR, false, &loc);
    assert_location(&loc, NULL, 0, NULL, 0);
    symbolizer_close(s);
}

/* ---- Hostile files ------------------------------------------------------ */

/* Writes section header i of g with one field changed by edit. */
static bool sane_after(void (*edit)(Elf64_Shdr *), size_t i)
{
    struct elfgen g = { 0 };

    elfgen_valid(&g);
    if (edit)
        edit(elfgen_shdr(&g, (unsigned)i));
    bool sane = elf_sections_sane(g.bytes, g.size);
    elfgen_free(&g);
    return sane;
}

static void e_past_eof(Elf64_Shdr *sh) { sh->sh_offset = 0x100000; }
static void e_size_wraps(Elf64_Shdr *sh) { sh->sh_size = ~0ULL - 8; }
static void e_nobits(Elf64_Shdr *sh)
{
    sh->sh_type = SHT_NOBITS;
    sh->sh_offset = ~0ULL;
}

/* Section 1 (.text) as a compressed debug section claiming ch_size. */
static bool sane_compressed(uint64_t ch_size, bool gnu)
{
    struct elfgen g = { 0 };

    elfgen_valid(&g);
    Elf64_Shdr *sh = elfgen_shdr(&g, 1);
    sh->sh_offset = ELFGEN_TEXT_OFFSET;
    sh->sh_size = sizeof(Elf64_Chdr);
    if (gnu) {
        uint8_t *p = g.bytes + sh->sh_offset;
        memcpy(p, "ZLIB", 4);
        for (int i = 0; i < 8; i++)
            p[4 + i] = (uint8_t)(ch_size >> (56 - 8 * i));
    } else {
        sh->sh_flags |= SHF_COMPRESSED;
        Elf64_Chdr ch = { .ch_type = ELFCOMPRESS_ZLIB, .ch_size = ch_size,
                          .ch_addralign = 1 };
        memcpy(g.bytes + sh->sh_offset, &ch, sizeof ch);
    }
    bool sane = elf_sections_sane(g.bytes, g.size);
    elfgen_free(&g);
    return sane;
}

/* A compressed section claiming terabytes is never inflated: only a
 * header too short to hold the claim is insane; the DWARF reader skips
 * the section with a note, and symbols still name the function. */
static void test_compressed_sections_capped(void **state)
{
    (void)state;
    assert_true(sane_compressed(4096, false));
    assert_true(sane_compressed(1ULL << 40, false));
    assert_true(sane_compressed(~0ULL, true));

    struct elfgen g = { 0 };
    elfgen_valid(&g);
    Elf64_Shdr *sh = elfgen_shdr(&g, 1);
    sh->sh_flags |= SHF_COMPRESSED;
    sh->sh_size = sizeof(Elf64_Chdr) - 1;     /* header cut short */
    assert_false(elf_sections_sane(g.bytes, g.size));
    elfgen_free(&g);

    struct code_location loc;
    const struct { uint64_t claim; const char *note; } cases[] = {
        { 1ULL << 40, "DWARF skipped: .debug_line inflates to 1 TiB, more "
                      "than the 32 MiB a crash report inflates per section" },
        { SYMBOLIZE_MAX_INFLATED_SECTION + 1, "inflates to 32.0 MiB, more than "
                                           "the 32 MiB" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct elfgen_lines spec = { .file = "packed.c", .nops = 16,
                                     .rows = 100,
                                     .compressed_claim = cases[i].claim };
        elfgen_with_lines(&g, &spec);
        assert_true(elf_sections_sane(g.bytes, g.size));
        struct symbolizer *s = symbolizer_open(g.bytes, g.size);
        elfgen_free(&g);
        symbolize(s, ELFGEN_LINES_CRASH(16), false, &loc);
        assert_location(&loc, "_start", 18, NULL, 0);
        assert_non_null(strstr(loc.note, cases[i].note));
        symbolizer_close(s);
    }
}

static void test_sections_sane(void **state)
{
    struct elfgen g = { 0 };

    (void)state;
    assert_true(elf_sections_sane(guest.bytes, guest.size));
    assert_false(elf_sections_sane(guest.bytes, guest.size - 1));
    assert_false(elf_sections_sane(NULL, 0));
    assert_true(sane_after(NULL, 0));
    assert_false(sane_after(e_past_eof, ELFGEN_SYMTAB_INDEX));
    assert_false(sane_after(e_size_wraps, 1));
    assert_true(sane_after(e_nobits, ELFGEN_SYMTAB_INDEX));
    elfgen_valid(&g);
    elfgen_ehdr(&g)->e_shstrndx = elfgen_ehdr(&g)->e_shnum;
    assert_false(elf_sections_sane(g.bytes, g.size));
    elfgen_ehdr(&g)->e_shstrndx = 0;
    assert_false(elf_sections_sane(g.bytes, g.size));
    elfgen_ehdr(&g)->e_shstrndx = 1;
    elfgen_ehdr(&g)->e_shoff = g.size - 64;
    assert_false(elf_sections_sane(g.bytes, g.size));
    elfgen_free(&g);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;   /* fixed seed */

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Opens bytes and asks about the guest's functions, its call sites and a
 * few random addresses; every answer must be well formed. */
static void exercise(const uint8_t *bytes, size_t size)
{
    struct symbolizer *s = symbolizer_open(bytes, size);
    const char *names[] = { "main", "level2", "level3", "vprintf" };
    struct code_location loc;
    char buf[256];

    assert_non_null(s);
    for (size_t i = 0; i < ARRAY_SIZE(names) + 4; i++) {
        uint64_t addr = i < ARRAY_SIZE(names)
                        ? guest_func(names[i]).addr + rng() % 8
                        : 0x100000 + rng() % 0x3000;
        for (int ret = 0; ret < 2; ret++) {
            symbolize(s, addr, ret != 0, &loc);
            format_location(&loc, addr, buf, sizeof buf);
            assert_true(strlen(buf) < sizeof buf);
            /* Reads the whole strings (ASan checks the bounds). */
            if (loc.function)
                assert_true(strlen(loc.function) > 0);
            if (loc.file)
                assert_true(strlen(loc.file) > 0);
        }
    }
    symbolizer_close(s);
}

static void test_bad_elf_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < bad_elf_case_count; i++) {
        struct elfgen g = { 0 };
        bad_elf_cases[i].make(&g);
        exercise(g.bytes, g.size);
        elfgen_free(&g);
    }
}

/* A cut section header table means no sections at all: no symbols, no
 * DWARF. */
static void test_truncations(void **state)
{
    uint64_t table_end = ehdr_of(guest.bytes).e_shoff +
                         (uint64_t)ehdr_of(guest.bytes).e_shnum * 64;
    struct func main_fn = guest_func("main");
    struct code_location loc;

    (void)state;
    assert_int_equal(table_end, guest.size);  /* ld puts the table last */
    for (size_t i = 0; i < 50; i++) {
        size_t len = guest.size * i / 50 + i % 7;
        struct symbolizer *s = symbolizer_open(guest.bytes, len);
        symbolize(s, main_fn.addr, false, &loc);
        assert_location(&loc, NULL, 0, NULL, 0);
        symbolizer_close(s);
        exercise(guest.bytes, len);
    }
}

/* Sane section headers over cut or corrupted DWARF. */
static void test_corrupt_dwarf(void **state)
{
    uint8_t *copy = guest_copy();
    size_t debug[32], ndebug = 0;
    Elf64_Ehdr eh = ehdr_of(guest.bytes);
    Elf64_Shdr names = shdr_of(guest.bytes, eh.e_shstrndx);

    (void)state;
    for (size_t i = 1; i < eh.e_shnum && ndebug < ARRAY_SIZE(debug); i++)
        if (strncmp((const char *)guest.bytes + names.sh_offset +
                    shdr_of(guest.bytes, i).sh_name, ".debug_", 7) == 0)
            debug[ndebug++] = i;
    assert_true(ndebug >= 4);
    /* Each .debug_* section cut short. */
    for (size_t d = 0; d < ndebug; d++)
        for (uint64_t k = 0; k < 10; k++) {
            memcpy(copy, guest.bytes, guest.size);
            Elf64_Shdr sh = shdr_of(copy, debug[d]);
            sh.sh_size = sh.sh_size * k / 10 + k % 3;
            memcpy(copy + eh.e_shoff + debug[d] * sizeof sh, &sh, sizeof sh);
            exercise(copy, guest.size);
        }
    /* Random bytes changed inside the .debug_* sections, half of them in
     * the first 64 bytes, where the unit and table headers are. */
    for (int round = 0; round < 2000; round++) {
        memcpy(copy, guest.bytes, guest.size);
        for (uint64_t n = 1 + rng() % 8; n > 0; n--) {
            Elf64_Shdr sh = shdr_of(copy, debug[rng() % ndebug]);
            uint64_t span = rng() % 2 && sh.sh_size > 64 ? 64 : sh.sh_size;
            if (span)
                copy[sh.sh_offset + rng() % span] ^=
                    (uint8_t)(1 + rng() % 255);
        }
        exercise(copy, guest.size);
    }
    /* And anywhere in the file. */
    for (int round = 0; round < 300; round++) {
        memcpy(copy, guest.bytes, guest.size);
        for (uint64_t n = 1 + rng() % 4; n > 0; n--)
            copy[rng() % guest.size] ^= (uint8_t)(1 + rng() % 255);
        exercise(copy, guest.size);
    }
    free(copy);
}

/* ---- Other DWARF producers, against libdw ---------------------------------- */

/* libdw's file:line for addr, as the symbolizer used to ask it: the unit
 * from .debug_aranges, else the first unit whose ranges hold addr. */
static int libdw_line(Dwarf *dw, uint64_t addr, char *file, size_t len)
{
    Dwarf_Die cu;
    Dwarf_CU *unit = NULL;
    int line = 0;
    bool found = dwarf_addrdie(dw, addr, &cu) && dwarf_haspc(&cu, addr) > 0;

    while (!found &&
           dwarf_get_units(dw, unit, &unit, NULL, NULL, &cu, NULL) == 0)
        found = dwarf_haspc(&cu, addr) > 0;
    Dwarf_Line *row = found ? dwarf_getsrc_die(&cu, addr) : NULL;
    const char *path = row ? dwarf_linesrc(row, NULL, NULL) : NULL;
    file[0] = '\0';
    if (!path || dwarf_lineno(row, &line) != 0 || line <= 0)
        return 0;
    const char *slash = strrchr(path, '/');
    snprintf(file, len, "%s", slash ? slash + 1 : path);
    return file[0] ? line : 0;
}

/* Whether addr is in an executable PT_LOAD of the file (code, not data). */
static bool in_code(const uint8_t *b, uint64_t addr)
{
    Elf64_Ehdr eh = ehdr_of(b);

    for (size_t i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, b + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
            addr - ph.p_vaddr < ph.p_memsz)
            return true;
    }
    return false;
}

/* Every byte of every function in name: the same file:line as libdw, and
 * from DWARF alone (the symbol table hidden) the symbol's own name. */
static size_t compare_with_libdw(const char *name)
{
    char path[4096], file[256];
    struct loader_file f;
    struct symtab tab;
    struct kerr err;
    size_t lines = 0;

    snprintf(path, sizeof path, "%s/%s", proc_need_env("KVMELF_TEST_GUESTS"),
             name);
    if (loader_read_file(path, &f, &err) != 0)
        fail_msg("%s: %s (make tests builds it)", path, err.msg);
    symtab_load(f.bytes, f.size, &tab);
    struct symbolizer *s = symbolizer_open(f.bytes, f.size);
    uint8_t *hidden = malloc(f.size);
    assert_non_null(hidden);
    memcpy(hidden, f.bytes, f.size);
    Elf64_Ehdr eh = ehdr_of(hidden);
    for (size_t i = 1; i < eh.e_shnum; i++) {
        Elf64_Shdr sh = shdr_of(hidden, i);
        if (sh.sh_type == SHT_SYMTAB) {
            sh.sh_type = SHT_PROGBITS;
            memcpy(hidden + eh.e_shoff + i * sizeof sh, &sh, sizeof sh);
        }
    }
    struct symbolizer *dwarf_only = symbolizer_open(hidden, f.size);
    free(hidden);
    Elf *elf = elf_memory((char *)f.bytes, f.size);
    Dwarf *dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
    assert_non_null(dw);
    for (size_t i = 0; i < tab.count; i++) {
        const struct symbol *sym = &tab.syms[i];
        bool is_function = sym->size > 0 && in_code(f.bytes, sym->addr);
        for (uint64_t a = sym->addr; is_function && a < sym->addr + sym->size;
             a++) {
            struct code_location loc;
            int line = libdw_line(dw, a, file, sizeof file);
            symbolize(s, a, false, &loc);
            if (line != loc.line || (line && strcmp(file, loc.file) != 0))
                fail_msg("%s: 0x%llx is %s:%d, libdw says %s:%d", name,
                         (unsigned long long)a, loc.file ? loc.file : "-",
                         loc.line, file, line);
            lines += line > 0;
            symbolize(dwarf_only, a, false, &loc);
            if (loc.function && (strcmp(loc.function, tab.names + sym->name) ||
                                 loc.offset != a - sym->addr))
                fail_msg("%s: 0x%llx is %s+0x%llx from DWARF, %s+0x%llx from "
                         "symbols", name, (unsigned long long)a, loc.function,
                         (unsigned long long)loc.offset,
                         tab.names + sym->name,
                         (unsigned long long)(a - sym->addr));
        }
    }
    dwarf_end(dw);
    elf_end(elf);
    symbolizer_close(dwarf_only);
    symbolizer_close(s);
    symtab_free(&tab);
    loader_file_free(&f);
    return lines;
}

/* symtest as gcc 12 and clang 14 emit it in every DWARF version
 * (mk/symtest.mk); the clang builds only where clang is installed. */
static void test_dwarf_producers(void **state)
{
    static const char *const gcc[] = {
        "symtest.elf", "symtest-gcc-dwarf2.elf", "symtest-gcc-dwarf3.elf",
        "symtest-gcc-dwarf4.elf", "symtest-gcc-zlib.elf",
    };
    static const char *const clang[] = {
        "symtest-clang-dwarf4.elf", "symtest-clang-dwarf5.elf",
    };
    char path[4096];

    (void)state;
    elf_version(EV_CURRENT);
    for (size_t i = 0; i < ARRAY_SIZE(gcc); i++)
        assert_true(compare_with_libdw(gcc[i]) > 100);
    for (size_t i = 0; i < ARRAY_SIZE(clang); i++) {
        snprintf(path, sizeof path, "%s/%s",
                 proc_need_env("KVMELF_TEST_GUESTS"), clang[i]);
        if (access(path, R_OK) != 0) {
            fprintf(stderr, "SKIPPED: %s (clang is not installed)\n",
                    clang[i]);
            continue;
        }
        assert_true(compare_with_libdw(clang[i]) > 100);
    }
}

/* ---- Bounded line tables -------------------------------------------------- */

/* What a forked child saw: the location and how far its peak RSS rose
 * above its RSS before the lookup. */
struct measured {
    struct code_location loc;
    char function[32], file[32];
    long grew_kib;
};

/* A /proc/self/status field in KiB ("VmRSS:", "VmHWM:"). */
static long status_kib(const char *field)
{
    char text[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    while (f && fgets(text, sizeof text, f))
        if (strncmp(text, field, strlen(field)) == 0)
            kib = strtol(text + strlen(field), NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* Symbolizes addr over g's bytes in a forked child, so that the peak RSS
 * it reports is that lookup's alone (the symbolizer is opened first). */
static struct measured measure_lookup(const struct elfgen *g, uint64_t addr)
{
    struct measured m;
    int fds[2];

    memset(&m, 0, sizeof m);
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct symbolizer *s = symbolizer_open(g->bytes, g->size);
        long before = status_kib("VmRSS:");
        symbolize(s, addr, false, &m.loc);
        m.grew_kib = status_kib("VmHWM:") - before;
        snprintf(m.function, sizeof m.function, "%s",
                 m.loc.function ? m.loc.function : "");
        snprintf(m.file, sizeof m.file, "%s", m.loc.file ? m.loc.file : "");
        m.loc.function = m.loc.file = NULL;     /* not valid in the parent */
        symbolizer_close(s);                    /* valgrind counts leaks */
        ssize_t n = write(fds[1], &m, sizeof m);
        _exit(n == (ssize_t)sizeof m ? 0 : 1);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], &m, sizeof m);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(got, sizeof m);
    return m;
}

/* Growth of the peak RSS a lookup may cause: the reader keeps no row, so
 * a few KiB; libdw took about 100 bytes per row (1.6 GiB for the first
 * case below). */
#define LOOKUP_RSS_MAX_KIB (8 * 1024)

/* A line program one MiB over the bound: skipped with the note, in
 * bounded memory; the symbol table still names the function. */
static void test_huge_line_table_skipped(void **state)
{
    struct elfgen g;
    struct elfgen_lines spec = { .file = "huge.c", .nops = 16,
                                 .rows = DW_LINE_UNIT_MAX + (1u << 20) };

    (void)state;
    elfgen_with_lines(&g, &spec);
    struct measured m = measure_lookup(&g, ELFGEN_LINES_CRASH(16));
    elfgen_free(&g);
    assert_string_equal(m.function, "_start");
    assert_string_equal(m.file, "");
    assert_string_equal(m.loc.note, "source lines skipped: the line table of "
                        "unit huge.c is 17.0 MiB, more than the 16 MiB a crash "
                        "report decodes");
    assert_in_range(m.grew_kib, 0, LOOKUP_RSS_MAX_KIB);
}

/* Just under the bound, the line asked for near the end of the program:
 * decoded, the right line, still in bounded memory. */
static void test_big_line_table_decoded(void **state)
{
    struct elfgen g;
    struct elfgen_lines spec = { .file = "big.c", .nops = 16,
                                 .rows = DW_LINE_UNIT_MAX - 4096 };
    uint64_t k = spec.rows - 10;

    (void)state;
    elfgen_with_lines(&g, &spec);
    struct measured m = measure_lookup(&g, ELFGEN_TEXT_VADDR + k);
    elfgen_free(&g);
    assert_string_equal(m.file, "big.c");
    assert_int_equal(m.loc.line, ELFGEN_LINE0 + (int)k);
    assert_string_equal(m.loc.note, "");
    assert_in_range(m.grew_kib, 0, LOOKUP_RSS_MAX_KIB);
}

/* An ordinary table of 20,000 rows: the crash and its return address. */
static void test_line_table_rows(void **state)
{
    struct elfgen g;
    struct elfgen_lines spec = { .file = "rows.c", .nops = 15000,
                                 .rows = 20000 };
    struct code_location loc;

    (void)state;
    elfgen_with_lines(&g, &spec);
    struct symbolizer *s = symbolizer_open(g.bytes, g.size);
    elfgen_free(&g);
    symbolize(s, ELFGEN_LINES_CRASH(15000), false, &loc);
    assert_location(&loc, "_start", 15002, "rows.c", ELFGEN_LINE0 + 15002);
    symbolize(s, ELFGEN_TEXT_VADDR + 7, true, &loc);
    assert_location(&loc, "_start", 7, "rows.c", ELFGEN_LINE0 + 6);
    /* Past the sequence's end: no line. */
    symbolize(s, ELFGEN_TEXT_VADDR + 20000, false, &loc);
    assert_null(loc.file);
    assert_string_equal(loc.note, "");
    symbolizer_close(s);
}

/* A unit DIE whose abbreviation has more attributes than a lookup takes
 * steps: the line still comes from the line program, the function-name
 * fallback stops with a note (libdw read all two million). */
static void test_die_steps_bounded(void **state)
{
    struct elfgen g;
    struct elfgen_lines spec = { .file = "wide.c", .nops = 16, .rows = 100,
                                 .cu_attrs = 2 * DW_STEPS_MAX,
                                 .no_symbols = true };
    struct code_location loc;
    char want[SYMBOLIZE_NOTE_MAX];

    (void)state;
    elfgen_with_lines(&g, &spec);
    struct symbolizer *s = symbolizer_open(g.bytes, g.size);
    elfgen_free(&g);
    symbolize(s, ELFGEN_LINES_CRASH(16), false, &loc);
    assert_location(&loc, NULL, 0, "wide.c", ELFGEN_LINE0 + 18);
    snprintf(want, sizeof want, "function name skipped: finding 0x%llx in "
             "the DIEs of unit at .debug_info+0x0 takes more than the %u "
             "steps a crash report takes per address",
             (unsigned long long)ELFGEN_LINES_CRASH(16), DW_STEPS_MAX);
    assert_string_equal(loc.note, want);
    symbolizer_close(s);
}

/* A symbol table of more entries than a report sorts is skipped, with a
 * note where it would have named the function. */
static void test_huge_symbol_table_skipped(void **state)
{
    struct elfgen g;
    size_t bytes = ((size_t)SYMTAB_MAX_SYMBOLS + 1) * sizeof(Elf64_Sym);
    struct code_location loc;
    char want[SYMBOLIZE_NOTE_MAX];

    (void)state;
    elfgen_valid(&g);
    size_t at = (g.size + 7) & ~(size_t)7;
    elfgen_resize(&g, at + bytes);
    Elf64_Shdr *sh = elfgen_shdr(&g, ELFGEN_SYMTAB_INDEX);
    sh->sh_offset = at;
    sh->sh_size = bytes;
    struct symbolizer *s = symbolizer_open(g.bytes, g.size);
    elfgen_free(&g);
    symbolize(s, ELFGEN_TEXT_VADDR + 2, false, &loc);
    assert_null(loc.function);
    snprintf(want, sizeof want, "symbols skipped: .symtab has %u entries, "
             "more than the %u a crash report sorts", SYMTAB_MAX_SYMBOLS + 1,
             SYMTAB_MAX_SYMBOLS);
    assert_string_equal(loc.note, want);
    symbolizer_close(s);
}

/* ---- Backtraces ------------------------------------------------------------ */

#define RAM       (4ULL << 20)
#define STACK_LO  0x3c0000ULL
#define STACK_HI  RAM
#define F0        0x3ffe00ULL   /* innermost frame */
#define F1        0x3ffe40ULL
#define F2        0x3ffe80ULL   /* outermost frame */
#define RIP       0x100abcULL
#define RET1      0x100111ULL
#define RET2      0x100222ULL
#define RET3      0x100333ULL
#define UNTOUCHED 0xaaaaaaaaaaaaaaaaULL

static struct guest_mem stack_mem;

static int setup_stack(void **state)
{
    struct kerr err;

    (void)state;
    if (guest_mem_init(&stack_mem, RAM, &err) != 0) {
        fprintf(stderr, "guest_mem_init: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown_stack(void **state)
{
    (void)state;
    guest_mem_fini(&stack_mem);
    return 0;
}

static void put_frame(uint64_t rbp, uint64_t saved_rbp, uint64_t ret)
{
    uint64_t frame[2] = { saved_rbp, ret };
    void *p = guest_mem_ptr(&stack_mem, rbp, sizeof frame);

    assert_non_null(p);
    memcpy(p, frame, sizeof frame);
}

/* main <- level2 <- level3 style: three frames, the last with rbp 0. */
static void build_chain(void)
{
    put_frame(F0, F1, RET1);
    put_frame(F1, F2, RET2);
    put_frame(F2, 0, RET3);
}

/* Runs backtrace_fp and compares with the n expected frames; the frames
 * after them must stay untouched. */
static void expect_trace(uint64_t rbp, uint64_t lo, uint64_t hi, size_t max,
                         size_t n, const uint64_t *want)
{
    uint64_t frames[8];

    for (size_t i = 0; i < ARRAY_SIZE(frames); i++)
        frames[i] = UNTOUCHED;
    assert_true(max <= ARRAY_SIZE(frames));
    assert_int_equal(backtrace_fp(&stack_mem, RIP, rbp, lo, hi, frames, max),
                     n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(frames[i], want[i]);
    for (size_t i = n; i < ARRAY_SIZE(frames); i++)
        assert_int_equal(frames[i], UNTOUCHED);
}

static const uint64_t full[] = { RIP, RET1, RET2, RET3 };

static void test_backtrace_chain(void **state)
{
    (void)state;
    build_chain();
    expect_trace(F0, STACK_LO, STACK_HI, 8, 4, full);
    /* The chain may start at a middle frame. */
    expect_trace(F1, STACK_LO, STACK_HI, 8, 3,
                 (const uint64_t[]){ RIP, RET2, RET3 });
    /* max frames. */
    expect_trace(F0, STACK_LO, STACK_HI, 4, 4, full);
    expect_trace(F0, STACK_LO, STACK_HI, 3, 3, full);
    expect_trace(F0, STACK_LO, STACK_HI, 2, 2, full);
    expect_trace(F0, STACK_LO, STACK_HI, 1, 1, full);
    expect_trace(F0, STACK_LO, STACK_HI, 0, 0, full);
}

static void test_backtrace_stops(void **state)
{
    (void)state;
    /* rbp 0 at the start: only rip. */
    build_chain();
    expect_trace(0, STACK_LO, STACK_HI, 8, 1, full);
    /* Loops: a saved rbp back to an inner frame, or to its own frame. */
    put_frame(F2, F0, RET3);
    expect_trace(F0, STACK_LO, STACK_HI, 8, 4, full);
    put_frame(F2, F2, RET3);
    expect_trace(F0, STACK_LO, STACK_HI, 8, 4, full);
    put_frame(F2, F1, RET3);
    expect_trace(F0, STACK_LO, STACK_HI, 8, 4, full);
    /* Misaligned: a saved rbp, or the starting one. */
    put_frame(F2 + 0x40 + 4, 0, 0x100444);
    put_frame(F2, F2 + 0x40 + 4, RET3);
    expect_trace(F0, STACK_LO, STACK_HI, 8, 4, full);
    put_frame(F0 + 4, F1, 0x100555);
    expect_trace(F0 + 4, STACK_LO, STACK_HI, 8, 1, full);
    /* Outside the stack: the frame straddles its top, starts above it
     * or below its bottom. */
    build_chain();
    expect_trace(F0, STACK_LO, F2 + 8, 8, 3, full);
    expect_trace(F0, STACK_LO, F2, 8, 3, full);
    expect_trace(F0, STACK_LO, F2 + 16, 8, 4, full);
    expect_trace(F0, F0 + 8, STACK_HI, 8, 1, full);
    expect_trace(F0, F1, STACK_HI, 8, 1, full);
    /* Beyond guest RAM, with a stack range that would allow it. */
    put_frame(F2, RAM - 8, RET3);
    expect_trace(F0, STACK_LO, UINT64_MAX, 8, 4, full);
    put_frame(F2, RAM, RET3);
    expect_trace(F0, STACK_LO, UINT64_MAX, 8, 4, full);
    put_frame(F2, 0xfffffffffffffff8ULL, RET3);
    expect_trace(F0, STACK_LO, UINT64_MAX, 8, 4, full);
    expect_trace(RAM + 0x1000, 0, UINT64_MAX, 8, 1, full);
    /* A return address of 0 ends the chain. */
    build_chain();
    put_frame(F2, 0, 0);
    expect_trace(F0, STACK_LO, STACK_HI, 8, 3, full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_return_addresses),
        cmocka_unit_test(test_unknown_addresses),
        cmocka_unit_test(test_keeps_own_copy),
        cmocka_unit_test(test_adopt),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_dwarf_function_names),
        cmocka_unit_test(test_empty_symbol_name),
        cmocka_unit_test(test_without_aranges),
        cmocka_unit_test(test_symbols_only),
        cmocka_unit_test(test_supplementary_dwarf_ignored),
        cmocka_unit_test(test_misaligned_section_headers),
        cmocka_unit_test(test_sections_sane),
        cmocka_unit_test(test_compressed_sections_capped),
        cmocka_unit_test(test_dwarf_producers),
        cmocka_unit_test(test_huge_line_table_skipped),
        cmocka_unit_test(test_big_line_table_decoded),
        cmocka_unit_test(test_line_table_rows),
        cmocka_unit_test(test_die_steps_bounded),
        cmocka_unit_test(test_huge_symbol_table_skipped),
        cmocka_unit_test(test_bad_elf_cases),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_corrupt_dwarf),
        cmocka_unit_test_setup_teardown(test_backtrace_chain, setup_stack,
                                        teardown_stack),
        cmocka_unit_test_setup_teardown(test_backtrace_stops, setup_stack,
                                        teardown_stack),
    };
    return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
