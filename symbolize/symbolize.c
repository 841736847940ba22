/*
 * Source-level symbolization for crash reports: function+offset from
 * SHT_SYMTAB (symbolize/symbols.c), file:line and fallback function names
 * from DWARF (symbolize/dwarf.c), and a frame-pointer backtrace over guest
 * RAM.
 *
 * Hostile files: libelf sees the bytes only after elf_sections_sane()
 * has bounds-checked every section header, and only bytes we own (a copy,
 * or the loader's buffer taken over), which end in LOADER_FILE_PADDING
 * zeros.  libelf is used to find sections and to inflate compressed ones;
 * the DWARF itself is read by symbolize/dwarf.c, whose memory does not grow
 * with the file and whose time per lookup is bounded (libdw decoded a
 * whole unit's line table into about 100 bytes of memory per byte).
 */
#include "symbolize/symbolize.h"

#include "symbolize/dwarf.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct symbolizer {
    uint8_t *bytes;             /* what libelf reads, size + padding     */
    struct loader_file adopted; /* owns bytes after symbolizer_adopt    */
    struct symtab tab;
    Elf *elf;                   /* NULL when the sections are not sane */
    struct dwarf *dwarf;        /* NULL when there is no usable DWARF  */
};

/* A supplementary DWARF file (.gnu_debugaltlink, DWARF 5 .debug_sup) holds
 * part of the strings and DIEs, on a path the ELF chooses: kvmelf reads
 * no host file for a guest (and the sandbox would refuse it), so such a
 * file gets symbols only rather than half its DWARF. */
static bool wants_other_file(Elf *elf)
{
    size_t names;
    Elf_Scn *scn = NULL;

    if (elf_getshdrstrndx(elf, &names) != 0)
        return true;
    while ((scn = elf_nextscn(elf, scn))) {
        /* A copy: on x86 libelf hands out the file's own section headers,
         * which a file can place misaligned (found by fuzz_elf). */
        GElf_Shdr sh;
        const char *name = gelf_getshdr(scn, &sh)
                               ? elf_strptr(elf, names, sh.sh_name) : NULL;
        if (name && (strcmp(name, ".gnu_debugaltlink") == 0 ||
                     strcmp(name, ".debug_sup") == 0))
            return true;
    }
    return false;
}

/* s->bytes holds size bytes and LOADER_FILE_PADDING zeros. */
static struct symbolizer *symbolizer_init(struct symbolizer *s, size_t size)
{
    symtab_load(s->bytes, size, &s->tab);
    if (elf_sections_sane(s->bytes, size) &&
        elf_version(EV_CURRENT) != EV_NONE)
        s->elf = elf_memory((char *)s->bytes, size);
    if (s->elf && !wants_other_file(s->elf))
        s->dwarf = dw_open(s->elf);
    return s;
}

struct symbolizer *symbolizer_open(const uint8_t *bytes, size_t size)
{
    struct symbolizer *s = calloc(1, sizeof *s);

    if (!bytes || size > SIZE_MAX - LOADER_FILE_PADDING)
        size = 0;
    if (s)
        s->bytes = calloc(1, size + LOADER_FILE_PADDING);
    if (!s || !s->bytes) {
        free(s);
        return NULL;
    }
    if (size)
        memcpy(s->bytes, bytes, size);
    return symbolizer_init(s, size);
}

struct symbolizer *symbolizer_adopt(struct loader_file *file)
{
    if (!file->bytes)
        return symbolizer_open(NULL, 0);
    struct symbolizer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->adopted = *file;
    s->bytes = file->bytes;
    file->bytes = NULL;
    file->size = 0;
    return symbolizer_init(s, s->adopted.size);
}

void symbolizer_close(struct symbolizer *s)
{
    if (!s)
        return;
    dw_close(s->dwarf);
    if (s->elf)
        elf_end(s->elf);
    symtab_free(&s->tab);
    if (s->adopted.bytes)
        loader_file_free(&s->adopted);
    else
        free(s->bytes);
    free(s);
}

/* Control characters from the file become '?'. */
static void printable(char *p)
{
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

void symbolize(const struct symbolizer *s, uint64_t addr, bool return_addr,
               struct code_location *loc)
{
    /* A return address follows the call: the call's last byte is addr - 1. */
    uint64_t at = return_addr && addr > 0 ? addr - 1 : addr;
    struct dw_answer dw;
    uint64_t off = 0;

    memset(loc, 0, sizeof *loc);
    if (!s)
        return;
    const char *name = symtab_lookup(&s->tab, at, &off);
    if (name && !*name)         /* a corrupt string table */
        name = NULL;
    dw_lookup(s->dwarf, at, !name, &dw);
    if (!name && dw.function) {
        name = dw.function;
        off = at - dw.function_low;
    }
    if (name) {
        loc->function = name;
        loc->offset = off + (addr - at);
    }
    loc->file = dw.file;
    loc->line = dw.line;
    snprintf(loc->note, sizeof loc->note, "%s",
             !name && s->tab.note[0] ? s->tab.note : dw.note);
    printable(loc->note);           /* it may quote a name from the file */
}

const char *format_location(const struct code_location *loc, uint64_t addr,
                            char *buf, size_t len)
{
    int n;

    if (!buf || len == 0)
        return buf;
    if (loc && loc->function)
        n = snprintf(buf, len, "%s+0x%llx", loc->function,
                     (unsigned long long)loc->offset);
    else
        n = snprintf(buf, len, "0x%llx", (unsigned long long)addr);
    if (n >= 0 && (size_t)n < len && loc && loc->file && loc->line > 0)
        snprintf(buf + n, len - (size_t)n, " (%s:%d)", loc->file, loc->line);
    printable(buf);
    return buf;
}

/* Reads the frame [rbp, rbp + 16) if it is a plausible one. */
static bool read_frame(const struct guest_mem *gm, uint64_t rbp,
                       uint64_t stack_lo, uint64_t stack_hi, uint64_t out[2])
{
    const void *p;

    if (rbp == 0 || rbp % 8 != 0 || rbp < stack_lo ||
        !range_within(rbp, 16, stack_hi))
        return false;
    p = guest_mem_ptr(gm, rbp, 16);
    if (!p)
        return false;
    memcpy(out, p, 16);
    return true;
}

size_t backtrace_fp(const struct guest_mem *gm, uint64_t rip, uint64_t rbp,
                    uint64_t stack_lo, uint64_t stack_hi, uint64_t *frames,
                    size_t max)
{
    uint64_t frame[2];          /* saved rbp, return address */
    size_t n = 0;

    if (max == 0)
        return 0;
    frames[n++] = rip;
    while (n < max && read_frame(gm, rbp, stack_lo, stack_hi, frame) &&
           frame[1] != 0) {
        frames[n++] = frame[1];
        if (frame[0] <= rbp)    /* the chain must climb the stack */
            break;
        rbp = frame[0];
    }
    return n;
}
