/*
 * A bounded DWARF reader for crash reports (private to loader/; used by
 * symbolize/symbolize.c).  It answers one question - which source line and
 * which DWARF function hold an address - straight from the section bytes,
 * without building any table: a line program is decoded as a stream, a
 * DIE tree is walked in place.  So its memory does not grow with the
 * file: besides its own few hundred bytes it holds only the sections it
 * had to inflate (SHF_COMPRESSED or .zdebug), each capped and all of them
 * together capped (SYMBOLIZE_MAX_INFLATED_*).  Its time per lookup is capped
 * by the DW_* bounds below.  A bound that stops a lookup leaves a
 * one-line note naming the part skipped, its size and the bound.
 *
 * DWARF 2 to 5 as gcc and clang emit them: unit headers of every version,
 * 32- and 64-bit DWARF, every DW_FORM of DWARF 5 and the GNU ones (skipped
 * when not understood), .debug_str/.debug_line_str/.debug_str_offsets and
 * .debug_addr.  Not read: DW_LNE_define_file files, split DWARF (.dwo),
 * supplementary files, DW_AT_ranges of functions.
 */
#ifndef KVMELF_LOADER_DWARF_H
#define KVMELF_LOADER_DWARF_H

#include "symbolize/symbolize.h"

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bounds, each with its measurement (docs/security.md has the table;
 * times on this project's 2-core machine, symbolize/dwarf.c decodes a line
 * program at about 330 MB/s).  A crash report makes at most 16 lookups
 * (src/report.c), so a hostile file costs it at most 16 times the time of
 * one lookup, and no memory per lookup beyond a few KiB of stack.
 *
 * The largest line program of one unit among real programs measured:
 * libpython3.11 (gcc 12 -O3 -g, 146 units) 270 KiB, glibc 2.36 (libc6-dbg)
 * 52 KiB.  16 MiB is 60 times libpython's; decoding it all takes 50 ms. */
#define DW_LINE_UNIT_MAX  (16u << 20)
/* Without .debug_aranges (clang's default), or for an address outside
 * them, every unit's line program may be read for one address:
 * libpython's are 2.4 MiB in all; 32 MiB take about 0.1 s. */
#define DW_LINE_SCAN_MAX  (32u << 20)
/* .debug_aranges is scanned, not sorted: libpython's is 7 KiB, glibc's
 * 97 KiB; 4 MiB take about 4 ms. */
#define DW_ARANGES_MAX    (4u << 20)
/* Steps of a DIE walk (abbreviation entries and attributes read) for one
 * address: naming libpython's functions from DWARF alone (the symbol
 * table hidden; a sample of their bytes) took up to 110,000; a million
 * take about 5 ms. */
#define DW_STEPS_MAX      (1u << 20)
/* Abbreviation codes found in O(1): gcc and clang number a unit's
 * abbreviations from 1 and use a few hundred; a larger code is looked up
 * by a scan (counted as steps). */
#define DW_ABBREV_INDEX   1024

#define DW_NOTE_MAX SYMBOLIZE_NOTE_MAX

struct dwarf;

/* Over an Elf whose section headers elf_sections_sane() accepted; the
 * caller keeps elf open until dw_close.  NULL when the file has no
 * .debug_line and no .debug_info, or out of memory. */
struct dwarf *dw_open(Elf *elf);
void dw_close(struct dwarf *d);     /* NULL is fine */

struct dw_answer {
    const char *file;       /* basename, NULL if unknown; valid until close */
    int line;               /* > 0 when file is set                          */
    const char *function;   /* DWARF subprogram name, NULL if unknown        */
    uint64_t function_low;  /* its low pc                                    */
    char note[DW_NOTE_MAX]; /* "" or why something was skipped               */
};

/* Fills *out for addr: file:line always, the function only when
 * want_function (the symbol table had no name). */
void dw_lookup(struct dwarf *d, uint64_t addr, bool want_function,
               struct dw_answer *out);

#endif
