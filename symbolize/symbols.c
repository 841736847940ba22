/*
 * Symbols for crash reports.  Best effort over untrusted bytes: the section
 * header table, the symbol table, its string table and every name are
 * bounds-checked here, and the tables are read with memcpy (no alignment
 * assumptions, no libelf), so a malformed file yields an empty table.
 */
#include "symbolize/symbolize.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sym_source {
    const uint8_t *syms;    /* Elf64_Sym entries, possibly unaligned */
    size_t count;
    const char *str;        /* the linked string table */
    size_t strsz;
};

static bool read_shdr(const uint8_t *b, const Elf64_Ehdr *eh, size_t i,
                      Elf64_Shdr *sh)
{
    if (i == 0 || i >= eh->e_shnum)
        return false;
    memcpy(sh, b + eh->e_shoff + i * sizeof *sh, sizeof *sh);
    return true;
}

/* e_shnum 0 (including the extended-count form) counts as no sections. */
static bool read_ehdr(const uint8_t *b, size_t size, Elf64_Ehdr *eh)
{
    if (size < sizeof *eh || memcmp(b, ELFMAG, SELFMAG) != 0 ||
        b[EI_CLASS] != ELFCLASS64 || b[EI_DATA] != ELFDATA2LSB)
        return false;
    memcpy(eh, b, sizeof *eh);
    return eh->e_shnum != 0 && eh->e_shentsize == sizeof(Elf64_Shdr) &&
           range_within(eh->e_shoff, eh->e_shnum * sizeof(Elf64_Shdr), size);
}

static bool section_in_file(const Elf64_Shdr *sh, size_t size)
{
    return sh->sh_type != SHT_NOBITS &&
           range_within(sh->sh_offset, sh->sh_size, size);
}

static bool use_symtab(const uint8_t *b, size_t size, const Elf64_Ehdr *eh,
                       const Elf64_Shdr *sym, struct sym_source *src)
{
    Elf64_Shdr str;

    if (sym->sh_entsize != sizeof(Elf64_Sym) ||
        sym->sh_size % sizeof(Elf64_Sym) != 0 || !section_in_file(sym, size) ||
        !read_shdr(b, eh, sym->sh_link, &str) || str.sh_type != SHT_STRTAB ||
        str.sh_size == 0 || !section_in_file(&str, size))
        return false;
    src->syms = b + sym->sh_offset;
    src->count = sym->sh_size / sizeof(Elf64_Sym);
    src->str = (const char *)b + str.sh_offset;
    src->strsz = str.sh_size;
    return true;
}

static bool find_symtab(const uint8_t *b, size_t size, struct sym_source *src)
{
    Elf64_Ehdr eh;
    Elf64_Shdr sh;

    if (!read_ehdr(b, size, &eh))
        return false;
    for (size_t i = 1; read_shdr(b, &eh, i, &sh); i++)
        if (sh.sh_type == SHT_SYMTAB)
            return use_symtab(b, size, &eh, &sh, src);
    return false;
}

/* Code and data locations only: section and file symbols, absolute
 * constants and undefined or unnamed symbols would only mislead. */
static bool keep_symbol(const struct sym_source *src, size_t i, Elf64_Sym *s)
{
    memcpy(s, src->syms + i * sizeof *s, sizeof *s);
    unsigned type = ELF64_ST_TYPE(s->st_info);
    if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
        return false;
    if (s->st_value == 0 || s->st_shndx == SHN_UNDEF ||
        s->st_shndx == SHN_ABS || s->st_name == 0 || s->st_name >= src->strsz)
        return false;
    return memchr(src->str + s->st_name, 0, src->strsz - s->st_name) != NULL;
}

static int by_addr(const void *a, const void *b)
{
    const struct symbol *x = a, *y = b;

    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return x->name < y->name ? -1 : x->name > y->name;
}

/* The names stay in the caller's bytes: every kept name is a
 * NUL-terminated string inside the string table. */
static void collect(const struct sym_source *src, struct symtab *tab)
{
    Elf64_Sym s;
    size_t n = 0;

    for (size_t i = 1; i < src->count; i++)
        n += keep_symbol(src, i, &s);
    if (n == 0 || !(tab->syms = malloc(n * sizeof *tab->syms)))
        return;
    tab->names = src->str;
    tab->names_size = src->strsz;
    for (size_t i = 1; i < src->count; i++)
        if (keep_symbol(src, i, &s))
            tab->syms[tab->count++] = (struct symbol){
                .addr = s.st_value, .size = s.st_size, .name = s.st_name,
            };
    qsort(tab->syms, tab->count, sizeof *tab->syms, by_addr);
}

void symtab_load(const uint8_t *bytes, size_t size, struct symtab *tab)
{
    struct sym_source src;

    memset(tab, 0, sizeof *tab);
    if (!bytes || !find_symtab(bytes, size, &src))
        return;
    if (src.count > SYMTAB_MAX_SYMBOLS) {
        snprintf(tab->note, sizeof tab->note, "symbols skipped: .symtab has "
                 "%zu entries, more than the %u a crash report sorts",
                 src.count, SYMTAB_MAX_SYMBOLS);
        return;
    }
    collect(&src, tab);
}

void symtab_free(struct symtab *tab)
{
    free(tab->syms);
    memset(tab, 0, sizeof *tab);
}

/* Index of the last symbol with addr <= a, or count when there is none. */
static size_t last_at_or_below(const struct symtab *tab, uint64_t a)
{
    size_t lo = 0, hi = tab->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tab->syms[mid].addr <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : tab->count;
}

/* A sized symbol that contains addr wins, even when a smaller symbol
 * starts nearer (an enclosing function around a nested label).  Failing
 * that, only a size-0 symbol (an assembly label) explains an address past
 * its start; a sized symbol that ends before addr does not. */
const char *symtab_lookup(const struct symtab *tab, uint64_t addr,
                          uint64_t *offset)
{
    size_t near = last_at_or_below(tab, addr);
    const struct symbol *hit = NULL;

    if (near == tab->count)
        return NULL;
    for (size_t i = near + 1; i-- > 0 && !hit;)
        if (addr - tab->syms[i].addr < tab->syms[i].size)
            hit = &tab->syms[i];
    /* A size-0 label (_start in assembly) covers addresses up to the next
     * symbol; past the last one (_end) it covers nothing. */
    const struct symbol *label = &tab->syms[near];
    if (!hit && label->size == 0 &&
        (near + 1 < tab->count || addr == label->addr))
        hit = label;
    if (!hit)
        return NULL;
    if (offset)
        *offset = addr - hit->addr;
    return tab->names + hit->name;
}

/* For libelf users (symbolize/symbolize.c): the checks above, over the
 * whole section header table. */
/* A compressed section (SHF_COMPRESSED, or any section that starts as
 * the GNU .zdebug form does) must hold its header: libelf reads the size
 * to allocate from it.  The sizes themselves are capped where the DWARF
 * reader inflates (symbolize/dwarf.c). */
static bool compressed_header_fits(const Elf64_Shdr *sh)
{
    if (sh->sh_flags & SHF_COMPRESSED)
        return sh->sh_size >= sizeof(Elf64_Chdr);
    return true;
}

bool elf_sections_sane(const uint8_t *bytes, size_t size)
{
    Elf64_Ehdr eh;
    Elf64_Shdr sh;

    if (!bytes || !read_ehdr(bytes, size, &eh) || eh.e_shstrndx == 0 ||
        eh.e_shstrndx >= eh.e_shnum)
        return false;
    for (size_t i = 1; read_shdr(bytes, &eh, i, &sh); i++) {
        if (sh.sh_type == SHT_NOBITS)
            continue;
        if (!section_in_file(&sh, size) || !compressed_header_fits(&sh))
            return false;
    }
    return true;
}
