/*
 * An in-memory ELF64 builder for tests, and the table of malformed ELF
 * files every loader rule must reject.
 *
 * The table is shared by the loader unit test and the integration test,
 * which runs kvmelf with the default --mem and --stack: every case is
 * judged against the layout of 64 MiB of RAM with the default 8 MiB stack
 * (segments allowed in [0x100000, 0x37ff000)).  Each case's one-line error
 * contains `expect`.
 */
#ifndef KVMELF_TESTS_ELFGEN_H
#define KVMELF_TESTS_ELFGEN_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elfgen {
    uint8_t *bytes;     /* heap buffer, owned */
    size_t size;
};

/* The valid image's layout (program header index: what, where). */
#define ELFGEN_TEXT_VADDR     0x100000  /* phdr 0: R+X, the exit-0 code */
#define ELFGEN_TEXT_OFFSET    0x1000
#define ELFGEN_RODATA_VADDR   0x101000  /* phdr 1: R, ELFGEN_RODATA        */
#define ELFGEN_RODATA_OFFSET  0x2000
#define ELFGEN_DATA_VADDR     0x102000  /* phdr 2: R+W, data then bss      */
#define ELFGEN_DATA_OFFSET    0x3000
#define ELFGEN_DATA_FILESZ    0x10
#define ELFGEN_DATA_MEMSZ     0x2000
#define ELFGEN_IMAGE_END      0x104000
#define ELFGEN_RODATA         "kvmelf rodata!\n"   /* 16 bytes with the NUL */
/* Symbols: _start (FUNC, text, size = sizeof elfgen_code), "message"
 * (OBJECT, rodata, 16 bytes), "data_start" (NOTYPE, data, size 0), plus a
 * FILE and a SECTION symbol that lookups must never return. */

/* mov $0x500,%dx; xor %eax,%eax; out %eax,(%dx); hlt: exit status 0. */
extern const uint8_t elfgen_code[8];

/* A valid static ET_EXEC x86-64 image (see above); entry = text start.
 * Overwrites *g without freeing it: start from a fresh struct elfgen. */
void elfgen_valid(struct elfgen *g);
void elfgen_free(struct elfgen *g);
Elf64_Ehdr *elfgen_ehdr(struct elfgen *g);
Elf64_Phdr *elfgen_phdr(struct elfgen *g, unsigned i);
Elf64_Shdr *elfgen_shdr(struct elfgen *g, unsigned i);
/* Section index of .symtab in the valid image (its sh_link is .strtab). */
#define ELFGEN_SYMTAB_INDEX 4

/* Grows or shrinks the buffer; new bytes are zero.  Invalidates pointers
 * returned by the accessors above. */
void elfgen_resize(struct elfgen *g, size_t size);

/* Moves the program header table to the end of the file with one more,
 * zeroed, entry and returns it (e_phnum is incremented). */
Elf64_Phdr *elfgen_add_phdr(struct elfgen *g);

/* A freestanding image that crashes, with a DWARF 4 line table: text at
 * ELFGEN_TEXT_VADDR holds `nops` one-byte NOPs, then `xor %eax,%eax; mov
 * (%rax),%eax` (a read of address 0: a page fault, status 139), at
 * ELFGEN_LINES_CRASH(nops).  .debug_line holds one line program for
 * `file`, one row per byte from the text start for `rows` bytes (rows may
 * run past the code), the byte at offset k on line ELFGEN_LINE0 + k, so
 * the program is about `rows` bytes long.  .debug_info has one DWARF 4
 * compile unit (no children) naming the file, its line program and
 * [text, text + rows); its abbreviation has cu_attrs more attributes of
 * no size (DW_FORM_flag_present), which a reader must still go through.
 * The symbol table has _start over the code, unless no_symbols (then it
 * is SHT_PROGBITS).  With compressed_claim, .debug_line is instead a
 * SHF_COMPRESSED section whose header claims that size (its data is not
 * zlib). */
struct elfgen_lines {
    const char *file;
    size_t nops;
    size_t rows;
    uint64_t compressed_claim;
    size_t cu_attrs;
    bool no_symbols;
};
#define ELFGEN_LINE0 100
#define ELFGEN_LINES_CRASH(nops) (ELFGEN_TEXT_VADDR + (nops) + 2)
void elfgen_with_lines(struct elfgen *g, const struct elfgen_lines *spec);

/* Writes g to path; 0, or -1 with errno set. */
int elfgen_write(const struct elfgen *g, const char *path);

struct bad_elf_case {
    const char *name;                    /* short slug, usable as a file name */
    /* Fills a fresh *g (like elfgen_valid(), which it starts from) and
     * breaks one rule; release with elfgen_free(). */
    void (*make)(struct elfgen *g);
    const char *expect;                  /* substring of the one-line error */
};
extern const struct bad_elf_case bad_elf_cases[];
extern const size_t bad_elf_case_count;

#endif
