/*
 * symbolize: what a crash report knows of the guest's source.  Function
 * and object symbols from SHT_SYMTAB (symbols.c), file:line and DWARF
 * function names from kvmelf's own bounded DWARF reader (dwarf.c, private
 * header dwarf.h), and the frame-pointer backtrace over guest RAM.  Best
 * effort and safe on hostile files: missing or malformed data gives fewer
 * answers, never an error, a crash or a read outside the file; data over
 * a bound gives fewer answers and a note saying so.  No printing.
 */
#ifndef KVMELF_SYMBOLIZE_H
#define KVMELF_SYMBOLIZE_H

#include "common/common.h"
#include "loader/loader.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a note: one line saying which part of the symbols or DWARF a
 * lookup skipped, its size and the bound it is over. */
#define SYMBOLIZE_NOTE_MAX 192

/* Function and object symbols from SHT_SYMTAB, for crash reports.  Best
 * effort: a missing or malformed table gives an empty one, never an error,
 * and never reads outside bytes[0, size).  The names point into bytes,
 * which must outlive the table.  A table of more than SYMTAB_MAX_SYMBOLS
 * entries is skipped with a note: it is sorted when the symbolizer opens,
 * before every run.  The largest measured (libpython3.11, glibc 2.36)
 * have 14,700 and 10,000 entries; 262,144 take 6 MiB and about 60 ms
 * (a million: 24 MiB and 0.3 s). */
#define SYMTAB_MAX_SYMBOLS (1u << 18)
struct symbol {
    uint64_t addr;
    uint64_t size;
    uint32_t name;      /* offset into symtab.names */
};
struct symtab {
    struct symbol *syms;  /* sorted by addr */
    size_t count;
    const char *names;    /* in the bytes the table was made from */
    size_t names_size;
    char note[SYMBOLIZE_NOTE_MAX]; /* "" or why the table was skipped */
};
void symtab_load(const uint8_t *bytes, size_t size, struct symtab *tab);
void symtab_free(struct symtab *tab);

/* The symbol containing addr (or the nearest one below it when sizes are
 * 0), with *offset = addr - symbol start; NULL when none. */
const char *symtab_lookup(const struct symtab *tab, uint64_t addr,
                          uint64_t *offset);

/* ---- Source-level symbolization (symbolize.c) ----------------------------
 *
 * A source-level view of an ELF file for crash reports: function+offset
 * from SHT_SYMTAB (symtab_load above) and, when the file has DWARF
 * (.debug_line, .debug_info), file:line and DWARF function names through
 * dwarf.c, in bounded time and memory per lookup (dwarf.h).
 * Best effort and safe on hostile files: missing or malformed data gives
 * fewer answers, never an error, a crash or a read outside the file; data
 * over a bound gives fewer answers and a note saying so. */

/* True when bytes hold an ELF64 little-endian section header table that
 * lies inside the file, with a valid e_shstrndx and every section's
 * contents (except SHT_NOBITS) inside the file too, and every
 * SHF_COMPRESSED section long enough for its header.
 * Checked before any section header is handed to libelf; a file that fails
 * gets symbols only, no DWARF.  (symbols.c) */
bool elf_sections_sane(const uint8_t *bytes, size_t size);

/* What the DWARF reader inflates (libelf allocates what a compressed
 * section's header claims, however small the file): at most this much
 * for one section and for all of them, or the section is skipped with a
 * note.  Only the sections a lookup reads are inflated, when it first
 * reads them.  Measured: glibc 2.36's debug file (libc6-dbg, zlib) has
 * the largest, .debug_info at 5.5 MiB, and 8 MiB in the sections read;
 * inflating 32 MiB (from a 38 KiB file) takes about 50 ms. */
#define SYMBOLIZE_MAX_INFLATED_SECTION (32ULL << 20)
#define SYMBOLIZE_MAX_INFLATED_TOTAL   (64ULL << 20)

struct symbolizer;

/* Keeps its own copy of what it needs: the caller may free bytes after.
 * NULL only when out of memory; a file without symbols or DWARF gives a
 * symbolizer that knows nothing. */
struct symbolizer *symbolizer_open(const uint8_t *bytes, size_t size);
/* The same without a copy: takes over file's buffer (file is left empty),
 * so a large ELF is not copied a second time.  NULL only when out of
 * memory, and file is then untouched. */
struct symbolizer *symbolizer_adopt(struct loader_file *file);
void symbolizer_close(struct symbolizer *s);   /* NULL is fine */

struct code_location {
    const char *function;   /* NULL if unknown; valid until close       */
    uint64_t offset;        /* addr - function start                    */
    const char *file;       /* basename of the source file, NULL if unknown;
                             * valid until close                        */
    int line;               /* 0 if unknown                             */
    /* "" or one line saying what was skipped and why, e.g. "source lines
     * skipped: the line table of unit big.c is 20 MiB, more than the
     * 16 MiB a crash report decodes" (the printer adds nothing). */
    char note[SYMBOLIZE_NOTE_MAX];
};

/* Fills *loc for addr (all fields zero/NULL when nothing is known; s may
 * be NULL).  The function comes from SHT_SYMTAB, else from a DWARF
 * subprogram.  return_addr: addr is a return address (frames[1...] of a
 * backtrace_fp), so the function and file:line are those of addr - 1, the
 * call instruction: the line of the call rather than of whatever follows
 * it, and the caller even when the call was its last instruction.  offset
 * is still addr - function start, as a debugger prints it. */
void symbolize(const struct symbolizer *s, uint64_t addr, bool return_addr,
               struct code_location *loc);

/* "main+0x3a (crash.c:42)", "main+0x3a", "0x10004a (crash.c:42)" or
 * "0x10004a"; control characters from the file become '?'.  Always
 * NUL-terminated (truncated to len - 1 characters) when len > 0.
 * Returns buf. */
const char *format_location(const struct code_location *loc, uint64_t addr,
                            char *buf, size_t len);

/* Frame-pointer backtrace.  frames[0] = rip, then the return addresses
 * found by following rbp (saved rbp at [rbp], return address at [rbp+8])
 * through guest memory with guest_mem_ptr (identity map: guest virtual ==
 * guest physical).  Stops at rbp == 0, an rbp not 8-byte aligned, a saved
 * rbp not above the frame that holds it (loops), a frame [rbp, rbp+16) not
 * inside [stack_lo, stack_hi), a frame outside guest RAM, a return address
 * of 0, or max frames.  Returns the number of frames written (0 only when
 * max is 0).  Frames past the first are return addresses: symbolize them
 * with return_addr = true.  A function that does not set up rbp (no
 * -fno-omit-frame-pointer, a leaf, a crash inside a prologue) hides its
 * caller from the chain. */
size_t backtrace_fp(const struct guest_mem *gm, uint64_t rip, uint64_t rbp,
                    uint64_t stack_lo, uint64_t stack_hi, uint64_t *frames,
                    size_t max);

#endif
