#include "tests/support/elfgen.h"

#include "kvmelf/abi.h"

#include <dwarf.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t elfgen_code[8] = {
    0x66, 0xba, 0x00, 0x05,     /* mov $0x500,%dx   */
    0x31, 0xc0,                 /* xor %eax,%eax    */
    0xef,                       /* out %eax,(%dx)   */
    0xf4,                       /* hlt              */
};

static const uint8_t data_bytes[ELFGEN_DATA_FILESZ] = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01,
};

/* Offsets into the string tables below. */
static const char strtab[] = "\0_start\0message\0data_start\0crt.c";
enum { STR_START = 1, STR_MESSAGE = 8, STR_DATA = 16, STR_FILE = 27 };
static const char shstrtab[] =
    "\0.text\0.rodata\0.data\0.symtab\0.strtab\0.shstrtab";
enum { SH_TEXT = 1, SH_RODATA = 7, SH_DATA = 15, SH_SYMTAB = 21,
       SH_STRTAB = 29, SH_SHSTRTAB = 37 };

#define SYM(name_, info_, shndx_, value_, size_) \
    { .st_name = (name_), .st_info = (info_), .st_shndx = (shndx_), \
      .st_value = (value_), .st_size = (size_) }
static const Elf64_Sym symbols[] = {
    SYM(0, 0, SHN_UNDEF, 0, 0),
    SYM(STR_FILE, ELF64_ST_INFO(STB_LOCAL, STT_FILE), SHN_ABS, 0, 0),
    SYM(0, ELF64_ST_INFO(STB_LOCAL, STT_SECTION), 1, ELFGEN_TEXT_VADDR, 0),
    SYM(STR_START, ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), 1, ELFGEN_TEXT_VADDR,
        sizeof elfgen_code),
    SYM(STR_MESSAGE, ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT), 2,
        ELFGEN_RODATA_VADDR, sizeof ELFGEN_RODATA),
    SYM(STR_DATA, ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE), 3,
        ELFGEN_DATA_VADDR, 0),
};
enum { FIRST_GLOBAL = 3, NSECTIONS = 7 };

void elfgen_resize(struct elfgen *g, size_t size)
{
    uint8_t *p = realloc(g->bytes, size ? size : 1);

    if (!p) {
        perror("elfgen");
        abort();
    }
    if (size > g->size)
        memset(p + g->size, 0, size - g->size);
    g->bytes = p;
    g->size = size;
}

void elfgen_free(struct elfgen *g)
{
    free(g->bytes);
    g->bytes = NULL;
    g->size = 0;
}

Elf64_Ehdr *elfgen_ehdr(struct elfgen *g)
{
    return (Elf64_Ehdr *)(void *)g->bytes;
}

Elf64_Phdr *elfgen_phdr(struct elfgen *g, unsigned i)
{
    return (Elf64_Phdr *)(void *)(g->bytes + elfgen_ehdr(g)->e_phoff) + i;
}

Elf64_Shdr *elfgen_shdr(struct elfgen *g, unsigned i)
{
    return (Elf64_Shdr *)(void *)(g->bytes + elfgen_ehdr(g)->e_shoff) + i;
}

/* Appends len bytes at the next 8-aligned offset and returns that offset. */
static size_t append(struct elfgen *g, const void *data, size_t len)
{
    size_t off = (g->size + 7) & ~(size_t)7;

    elfgen_resize(g, off + len);
    memcpy(g->bytes + off, data, len);
    return off;
}

Elf64_Phdr *elfgen_add_phdr(struct elfgen *g)
{
    Elf64_Ehdr *eh = elfgen_ehdr(g);
    size_t len = eh->e_phnum * sizeof(Elf64_Phdr);
    uint8_t *old = malloc(len + sizeof(Elf64_Phdr));

    if (!old)
        abort();
    memcpy(old, g->bytes + eh->e_phoff, len);
    memset(old + len, 0, sizeof(Elf64_Phdr));
    size_t off = append(g, old, len + sizeof(Elf64_Phdr));
    free(old);
    eh = elfgen_ehdr(g);
    eh->e_phoff = off;
    return elfgen_phdr(g, eh->e_phnum++);
}

static void set_ehdr(struct elfgen *g)
{
    Elf64_Ehdr *eh = elfgen_ehdr(g);

    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = ELFGEN_TEXT_VADDR;
    eh->e_phoff = sizeof *eh;
    eh->e_ehsize = sizeof *eh;
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 3;
}

static void set_load(struct elfgen *g, unsigned i, uint64_t vaddr,
                     uint64_t offset, uint64_t filesz, uint64_t memsz,
                     uint32_t flags)
{
    *elfgen_phdr(g, i) = (Elf64_Phdr){
        .p_type = PT_LOAD, .p_flags = flags, .p_offset = offset,
        .p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = filesz,
        .p_memsz = memsz, .p_align = KVMELF_PAGE_SIZE,
    };
}

static Elf64_Shdr section(uint32_t name, uint32_t type, uint64_t flags,
                          uint64_t addr, uint64_t offset, uint64_t size)
{
    return (Elf64_Shdr){
        .sh_name = name, .sh_type = type, .sh_flags = flags,
        .sh_addr = addr, .sh_offset = offset, .sh_size = size,
        .sh_addralign = 1,
    };
}

/* .symtab, .strtab, .shstrtab and the section header table, at the end. */
static void add_sections(struct elfgen *g)
{
    Elf64_Shdr sh[NSECTIONS] = { { 0 } };
    size_t sym = append(g, symbols, sizeof symbols);
    size_t str = append(g, strtab, sizeof strtab);
    size_t shstr = append(g, shstrtab, sizeof shstrtab);

    sh[1] = section(SH_TEXT, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
                    ELFGEN_TEXT_VADDR, ELFGEN_TEXT_OFFSET, sizeof elfgen_code);
    sh[2] = section(SH_RODATA, SHT_PROGBITS, SHF_ALLOC, ELFGEN_RODATA_VADDR,
                    ELFGEN_RODATA_OFFSET, sizeof ELFGEN_RODATA);
    sh[3] = section(SH_DATA, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
                    ELFGEN_DATA_VADDR, ELFGEN_DATA_OFFSET, ELFGEN_DATA_FILESZ);
    sh[ELFGEN_SYMTAB_INDEX] = section(SH_SYMTAB, SHT_SYMTAB, 0, 0, sym,
                                      sizeof symbols);
    sh[ELFGEN_SYMTAB_INDEX].sh_link = 5;
    sh[ELFGEN_SYMTAB_INDEX].sh_info = FIRST_GLOBAL;
    sh[ELFGEN_SYMTAB_INDEX].sh_entsize = sizeof(Elf64_Sym);
    sh[5] = section(SH_STRTAB, SHT_STRTAB, 0, 0, str, sizeof strtab);
    sh[6] = section(SH_SHSTRTAB, SHT_STRTAB, 0, 0, shstr, sizeof shstrtab);
    size_t off = append(g, sh, sizeof sh);
    Elf64_Ehdr *eh = elfgen_ehdr(g);
    eh->e_shoff = off;
    eh->e_shentsize = sizeof(Elf64_Shdr);
    eh->e_shnum = NSECTIONS;
    eh->e_shstrndx = 6;
}

void elfgen_valid(struct elfgen *g)
{
    g->bytes = NULL;
    g->size = 0;
    elfgen_resize(g, ELFGEN_DATA_OFFSET + ELFGEN_DATA_FILESZ);
    set_ehdr(g);
    set_load(g, 0, ELFGEN_TEXT_VADDR, ELFGEN_TEXT_OFFSET, sizeof elfgen_code,
             sizeof elfgen_code, PF_R | PF_X);
    set_load(g, 1, ELFGEN_RODATA_VADDR, ELFGEN_RODATA_OFFSET,
             sizeof ELFGEN_RODATA, sizeof ELFGEN_RODATA, PF_R);
    set_load(g, 2, ELFGEN_DATA_VADDR, ELFGEN_DATA_OFFSET, ELFGEN_DATA_FILESZ,
             ELFGEN_DATA_MEMSZ, PF_R | PF_W);
    memcpy(g->bytes + ELFGEN_TEXT_OFFSET, elfgen_code, sizeof elfgen_code);
    memcpy(g->bytes + ELFGEN_RODATA_OFFSET, ELFGEN_RODATA, sizeof ELFGEN_RODATA);
    memcpy(g->bytes + ELFGEN_DATA_OFFSET, data_bytes, sizeof data_bytes);
    add_sections(g);
}

/* ---- The malformed cases ----------------------------------------------
 * Each starts from the valid image and breaks exactly one rule. */

static Elf64_Ehdr *valid(struct elfgen *g)
{
    elfgen_valid(g);
    return elfgen_ehdr(g);
}

static Elf64_Phdr *valid_phdr(struct elfgen *g, unsigned i)
{
    elfgen_valid(g);
    return elfgen_phdr(g, i);
}

/* Guard and stack start here with the default 64 MiB of RAM (the stack
 * is then Linux's 8 MiB). */
#define STACK_LO (KVMELF_MEM_DEFAULT - KVMELF_STACK_DEFAULT - KVMELF_GUARD_SIZE)

static void place(Elf64_Phdr *ph, uint64_t vaddr)
{
    ph->p_vaddr = vaddr;
    ph->p_paddr = vaddr;
}

static void mk_empty(struct elfgen *g) { valid(g); elfgen_resize(g, 0); }
static void mk_truncated(struct elfgen *g) { valid(g); elfgen_resize(g, 40); }
static void mk_bad_magic(struct elfgen *g) { valid(g)->e_ident[EI_MAG1] = 'e'; }
static void mk_class32(struct elfgen *g) { valid(g)->e_ident[EI_CLASS] = ELFCLASS32; }
static void mk_class_none(struct elfgen *g) { valid(g)->e_ident[EI_CLASS] = ELFCLASSNONE; }
static void mk_big_endian(struct elfgen *g) { valid(g)->e_ident[EI_DATA] = ELFDATA2MSB; }
static void mk_data_none(struct elfgen *g) { valid(g)->e_ident[EI_DATA] = 7; }
static void mk_ei_version(struct elfgen *g) { valid(g)->e_ident[EI_VERSION] = 2; }
static void mk_e_version(struct elfgen *g) { valid(g)->e_version = 0; }
static void mk_et_dyn(struct elfgen *g) { valid(g)->e_type = ET_DYN; }
static void mk_et_rel(struct elfgen *g) { valid(g)->e_type = ET_REL; }
static void mk_et_core(struct elfgen *g) { valid(g)->e_type = ET_CORE; }
static void mk_et_none(struct elfgen *g) { valid(g)->e_type = ET_NONE; }
static void mk_em_386(struct elfgen *g) { valid(g)->e_machine = EM_386; }
static void mk_em_aarch64(struct elfgen *g) { valid(g)->e_machine = EM_AARCH64; }
static void mk_em_riscv(struct elfgen *g) { valid(g)->e_machine = EM_RISCV; }
static void mk_em_unknown(struct elfgen *g) { valid(g)->e_machine = 0x1234; }
static void mk_ehsize(struct elfgen *g) { valid(g)->e_ehsize = 52; }
static void mk_phentsize_32(struct elfgen *g) { valid(g)->e_phentsize = 32; }
static void mk_phentsize_64(struct elfgen *g) { valid(g)->e_phentsize = 64; }
static void mk_phnum_0(struct elfgen *g) { valid(g)->e_phnum = 0; }
static void mk_phnum_xnum(struct elfgen *g) { valid(g)->e_phnum = PN_XNUM; }
static void mk_phnum_max(struct elfgen *g) { valid(g)->e_phnum = 257; }
static void mk_entry_not_exec(struct elfgen *g) { valid(g)->e_entry = ELFGEN_RODATA_VADDR; }
static void mk_entry_outside(struct elfgen *g) { valid(g)->e_entry = 0x200000; }
static void mk_entry_past_text(struct elfgen *g) { valid(g)->e_entry = ELFGEN_TEXT_VADDR + 8; }

static void mk_script(struct elfgen *g)
{
    static const char text[] = "#!/bin/sh\necho hello\n";

    elfgen_valid(g);
    elfgen_resize(g, sizeof text - 1);
    memcpy(g->bytes, text, sizeof text - 1);
}

/* The table's last two entries lie past the end: libelf would quietly
 * hand back only the first one. */
static void mk_phdrs_past_eof(struct elfgen *g)
{
    Elf64_Ehdr *eh = valid(g);
    eh->e_phoff = g->size - sizeof(Elf64_Phdr);
}

static void mk_phoff_overflow(struct elfgen *g) { valid(g)->e_phoff = UINT64_MAX - 8; }

static void mk_filesz_past_eof(struct elfgen *g)
{
    Elf64_Phdr *ph = valid_phdr(g, 2);
    ph->p_filesz = g->size;
    ph->p_memsz = g->size + ELFGEN_DATA_MEMSZ;
}

static void mk_offset_overflow(struct elfgen *g) { valid_phdr(g, 2)->p_offset = UINT64_MAX - 4; }
static void mk_filesz_gt_memsz(struct elfgen *g) { valid_phdr(g, 0)->p_memsz = 4; }

static void mk_vaddr_wrap(struct elfgen *g)
{
    place(valid_phdr(g, 2), UINT64_MAX & ~(uint64_t)0xfff);
}

static void mk_below_1mib(struct elfgen *g) { place(valid_phdr(g, 1), 0xff000); }
static void mk_null_page(struct elfgen *g) { place(valid_phdr(g, 1), 0); }
static void mk_past_ram(struct elfgen *g) { place(valid_phdr(g, 2), KVMELF_MEM_DEFAULT - 0x1000); }
static void mk_into_guard(struct elfgen *g) { place(valid_phdr(g, 2), STACK_LO - 0x1000); }
static void mk_in_stack(struct elfgen *g) { place(valid_phdr(g, 2), STACK_LO + 0x10000); }
static void mk_overlap(struct elfgen *g) { place(valid_phdr(g, 1), ELFGEN_TEXT_VADDR); }

/* Overlapping by a single byte: sharing a page is fine, sharing bytes not. */
static void mk_overlap_byte(struct elfgen *g)
{
    Elf64_Phdr *ph = valid_phdr(g, 1);
    place(ph, ELFGEN_TEXT_VADDR + sizeof elfgen_code - 1);
    ph->p_align = 1;
}

static void mk_align_pow2(struct elfgen *g) { valid_phdr(g, 0)->p_align = 0x3000; }
static void mk_align_congruence(struct elfgen *g) { valid_phdr(g, 0)->p_offset += 4; }

#define INTERP "/lib64/ld-linux-x86-64.so.2"

static void add_interp(struct elfgen *g)
{
    memcpy(g->bytes + 0x100, INTERP, sizeof INTERP);
    *elfgen_add_phdr(g) = (Elf64_Phdr){ .p_type = PT_INTERP, .p_flags = PF_R,
                                        .p_offset = 0x100,
                                        .p_filesz = sizeof INTERP,
                                        .p_align = 1 };
}

static void mk_pt_interp(struct elfgen *g)
{
    elfgen_valid(g);
    add_interp(g);
}

/* What `gcc` makes by default (and /bin/ls is): a PIE with a loader. */
static void mk_dynamic_pie(struct elfgen *g)
{
    valid(g)->e_type = ET_DYN;
    add_interp(g);
}

static void mk_static_pie(struct elfgen *g)
{
    valid(g)->e_type = ET_DYN;
    *elfgen_add_phdr(g) = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_flags = PF_R,
                                        .p_offset = ELFGEN_DATA_OFFSET,
                                        .p_vaddr = ELFGEN_DATA_VADDR,
                                        .p_align = 8 };
}

/* e_shnum 0: the count is section 0's sh_size, here 2^64 - 1. */
static void mk_shnum_extended_absurd(struct elfgen *g)
{
    Elf64_Ehdr *eh = valid(g);
    eh->e_shnum = 0;
    elfgen_shdr(g, 0)->sh_size = UINT64_MAX;
}

static void mk_pt_dynamic(struct elfgen *g)
{
    elfgen_valid(g);
    *elfgen_add_phdr(g) = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_flags = PF_R,
                                        .p_offset = ELFGEN_DATA_OFFSET,
                                        .p_vaddr = ELFGEN_DATA_VADDR,
                                        .p_align = 8 };
}

static void mk_no_load(struct elfgen *g)
{
    elfgen_valid(g);
    for (unsigned i = 0; i < 3; i++)
        elfgen_phdr(g, i)->p_type = PT_NOTE;
}

/* 33 PT_LOADs, each fine on its own. */
static void mk_too_many_loads(struct elfgen *g)
{
    elfgen_valid(g);
    for (uint64_t k = 0; k < 30; k++)
        *elfgen_add_phdr(g) = (Elf64_Phdr){
            .p_type = PT_LOAD, .p_flags = PF_R, .p_vaddr = 0x200000 + k * 0x1000,
            .p_paddr = 0x200000 + k * 0x1000, .p_memsz = 0x1000,
            .p_align = KVMELF_PAGE_SIZE };
}

/* Known bug classes of ELF loaders, each with its own case. */
static void mk_phnum_huge(struct elfgen *g) { valid(g)->e_phnum = 0xfffe; }
static void mk_phoff_at_eof(struct elfgen *g) { Elf64_Ehdr *eh = valid(g); eh->e_phoff = g->size; }
/* e_phoff itself is in range; e_phoff + e_phnum * e_phentsize wraps. */
static void mk_phtable_wraps(struct elfgen *g) { valid(g)->e_phoff = UINT64_MAX - 2 * sizeof(Elf64_Phdr); }
/* Only the start is inside the file: a start-only bounds check passes. */
static void mk_filesz_one_past(struct elfgen *g)
{
    Elf64_Phdr *ph = valid_phdr(g, 2);
    ph->p_offset = g->size - ELFGEN_DATA_FILESZ + 1;
    ph->p_vaddr = ph->p_paddr = ELFGEN_DATA_VADDR + (ph->p_offset & 0xfff);
}
static void mk_filesz_huge(struct elfgen *g) { valid_phdr(g, 2)->p_filesz = UINT64_MAX; }
static void mk_offset_past_eof_empty(struct elfgen *g)
{
    Elf64_Phdr *ph = valid_phdr(g, 2);
    ph->p_offset = 0x10000000;      /* congruent to the vaddr modulo 4K */
    ph->p_filesz = 0;
}
static void mk_memsz_huge(struct elfgen *g) { valid_phdr(g, 2)->p_memsz = 1ULL << 62; }
/* The lowest non-canonical address: a 48-bit identity map cannot hold it. */
static void mk_non_canonical(struct elfgen *g) { place(valid_phdr(g, 2), 0x800000000000ULL); }
static void mk_kernel_half(struct elfgen *g) { place(valid_phdr(g, 2), 0xffffffff80000000ULL); }
static void mk_entry_non_canonical(struct elfgen *g) { valid(g)->e_entry = 0x8000000000000000ULL; }
/* Zero-size PT_LOADs occupy nothing: with only those there is nothing to
 * run, and an entry point inside one is inside no segment. */
static void mk_only_empty_loads(struct elfgen *g)
{
    elfgen_valid(g);
    for (unsigned i = 0; i < 3; i++)
        elfgen_phdr(g, i)->p_memsz = elfgen_phdr(g, i)->p_filesz = 0;
}
static void mk_entry_in_empty_load(struct elfgen *g)
{
    Elf64_Phdr *ph = valid_phdr(g, 0);
    ph->p_memsz = ph->p_filesz = 0;
}
/* Segment 2 lies wholly inside segment 0 (sorting puts it after). */
static void mk_overlap_contained(struct elfgen *g)
{
    Elf64_Phdr *ph = valid_phdr(g, 0);
    ph->p_memsz = 0x4000;
}
static void mk_align_congruence_vaddr(struct elfgen *g)
{
    Elf64_Phdr *ph = valid_phdr(g, 1);
    place(ph, ELFGEN_RODATA_VADDR + 0x10);
}
static void mk_et_dyn_zero_base(struct elfgen *g)
{
    Elf64_Ehdr *eh = valid(g);
    eh->e_type = ET_DYN;
    eh->e_entry = 0x40;
}
static void mk_em_ppc64_msb(struct elfgen *g)
{
    Elf64_Ehdr *eh = valid(g);
    eh->e_machine = EM_PPC64;   /* a foreign file says so first in EI_DATA */
    eh->e_ident[EI_DATA] = ELFDATA2MSB;
}

const struct bad_elf_case bad_elf_cases[] = {
    { "empty", mk_empty, "empty file (0 bytes)" },
    { "truncated", mk_truncated, "file too short for an ELF header (40 bytes, need 64)" },
    { "bad-magic", mk_bad_magic, "not an ELF file" },
    { "script", mk_script, "not an ELF file" },
    { "elfclass32", mk_class32, "32-bit ELF (ELFCLASS32); kvmelf runs x86-64 ELF64 programs" },
    { "elfclass-none", mk_class_none, "invalid ELF class 0x0 (EI_CLASS)" },
    { "big-endian", mk_big_endian, "big-endian ELF (ELFDATA2MSB)" },
    { "bad-ei-data", mk_data_none, "invalid ELF data encoding 0x7 (EI_DATA)" },
    { "bad-ei-version", mk_ei_version, "unsupported ELF identification version 0x2 (EI_VERSION)" },
    { "bad-e-version", mk_e_version, "unsupported ELF version 0x0 (e_version)" },
    { "et-dyn", mk_et_dyn, "position-independent executable (ET_DYN): link with -no-pie" },
    { "et-rel", mk_et_rel, "object file, not an executable: link it first" },
    { "et-core", mk_et_core, "core dump (ET_CORE)" },
    { "et-none", mk_et_none, "unsupported ELF file type 0x0 (e_type)" },
    { "em-386", mk_em_386, "built for i386 (EM_386), not x86-64" },
    { "em-aarch64", mk_em_aarch64, "built for AArch64 (EM_AARCH64), not x86-64" },
    { "em-riscv", mk_em_riscv, "built for RISC-V (EM_RISCV), not x86-64" },
    { "em-unknown", mk_em_unknown, "built for machine 0x1234 (e_machine)" },
    { "e-ehsize", mk_ehsize, "ELF header size 0x34 (e_ehsize), expected 0x40" },
    { "e-phentsize-32", mk_phentsize_32, "program header entry size 0x20 (e_phentsize), expected 0x38" },
    { "e-phentsize-64", mk_phentsize_64, "program header entry size 0x40 (e_phentsize), expected 0x38" },
    { "e-phnum-0", mk_phnum_0, "no program headers (e_phnum is 0)" },
    { "e-phnum-xnum", mk_phnum_xnum, "(e_phnum is PN_XNUM) is not supported" },
    { "e-phnum-too-many", mk_phnum_max, "too many program headers (257, at most 256)" },
    { "phdrs-past-eof", mk_phdrs_past_eof, "program header table [0x3280, 0x3328) runs past the end of the file (0x32b8 bytes)" },
    { "e-phoff-overflow", mk_phoff_overflow, "program header table offset 0xfffffffffffffff7 (e_phoff) overflows" },
    { "filesz-past-eof", mk_filesz_past_eof, "segment 2: file bytes [0x3000, 0x62b8) run past the end of the file (0x32b8 bytes)" },
    { "offset-overflow", mk_offset_overflow, "segment 2: file offset 0xfffffffffffffffb + file size 0x10 overflows" },
    { "filesz-gt-memsz", mk_filesz_gt_memsz, "segment 0: file size 0x8 exceeds memory size 0x4 (p_filesz > p_memsz)" },
    { "vaddr-wraps", mk_vaddr_wrap, "segment 2: address 0xfffffffffffff000 + memory size 0x2000 wraps around" },
    { "below-1mib", mk_below_1mib, "segment 1 [0xff000, 0xff010) starts below 1 MiB (the monitor's reserved area)" },
    { "null-page", mk_null_page, "segment 1 [0x0, 0x10) starts below 1 MiB" },
    { "past-ram", mk_past_ram, "segment 2 [0x3fff000, 0x4001000) ends past guest RAM (64 MiB)" },
    { "into-stack-guard", mk_into_guard, "segment 2 [0x37fe000, 0x3800000) overlaps the guard page and the 8 MiB stack at the top of RAM (from 0x37ff000): give more --mem, or a smaller --stack" },
    { "inside-stack", mk_in_stack, "segment 2 [0x380f000, 0x3811000) overlaps the guard page and the 8 MiB stack" },
    { "overlap", mk_overlap, "segment 0 [0x100000, 0x100008) and segment 1 [0x100000, 0x100010) overlap" },
    { "overlap-one-byte", mk_overlap_byte, "segment 0 [0x100000, 0x100008) and segment 1 [0x100007, 0x100017) overlap" },
    { "align-not-pow2", mk_align_pow2, "segment 0: alignment 0x3000 (p_align) is not a power of two" },
    { "align-congruence", mk_align_congruence, "segment 0: address 0x100000 and file offset 0x1004 differ modulo the alignment 0x1000" },
    { "pt-interp", mk_pt_interp, "dynamically linked: it needs the dynamic loader /lib64/ld-linux-x86-64.so.2 (PT_INTERP, program header 3), and kvmelf runs static programs only: link with -static" },
    { "dynamic-pie", mk_dynamic_pie, "dynamically linked: it needs the dynamic loader /lib64/ld-linux-x86-64.so.2 (PT_INTERP, program header 3)" },
    { "static-pie", mk_static_pie, "static-pie (ET_DYN with PT_DYNAMIC, no PT_INTERP): kvmelf loads position-dependent programs: link with -static -no-pie" },
    { "shnum-extended-absurd", mk_shnum_extended_absurd, "extended section count 18446744073709551615 (e_shnum is 0, so section 0's sh_size is the count)" },
    { "pt-dynamic", mk_pt_dynamic, "program header 3: dynamically linked (PT_DYNAMIC)" },
    { "entry-not-exec", mk_entry_not_exec, "entry point 0x101000 is not inside an executable segment (segment 1 is not PF_X)" },
    { "entry-outside", mk_entry_outside, "entry point 0x200000 is not inside any segment" },
    { "entry-past-text", mk_entry_past_text, "entry point 0x100008 is not inside any segment" },
    { "no-pt-load", mk_no_load, "no loadable segment (PT_LOAD)" },
    { "too-many-pt-load", mk_too_many_loads, "too many PT_LOAD segments (more than 32)" },
    { "e-phnum-huge", mk_phnum_huge, "too many program headers (65534, at most 256)" },
    { "e-phoff-at-eof", mk_phoff_at_eof, "program header table [0x32b8, 0x3360) runs past the end of the file (0x32b8 bytes)" },
    { "phtable-wraps", mk_phtable_wraps, "program header table offset 0xffffffffffffff8f (e_phoff) overflows" },
    { "filesz-one-past-eof", mk_filesz_one_past, "segment 2: file bytes [0x32a9, 0x32b9) run past the end of the file (0x32b8 bytes)" },
    { "filesz-huge", mk_filesz_huge, "segment 2: file offset 0x3000 + file size 0xffffffffffffffff overflows" },
    { "offset-past-eof-empty", mk_offset_past_eof_empty, "segment 2: file bytes [0x10000000, 0x10000000) run past the end of the file" },
    { "memsz-huge", mk_memsz_huge, "segment 2 [0x102000, 0x4000000000102000) ends past guest RAM (64 MiB)" },
    { "non-canonical", mk_non_canonical, "segment 2 [0x800000000000, 0x800000002000) ends past guest RAM (64 MiB)" },
    { "kernel-half", mk_kernel_half, "segment 2 [0xffffffff80000000, 0xffffffff80002000) ends past guest RAM" },
    { "entry-non-canonical", mk_entry_non_canonical, "entry point 0x8000000000000000 is not inside any segment" },
    { "only-empty-pt-load", mk_only_empty_loads, "no loadable segment (PT_LOAD)" },
    { "entry-in-empty-pt-load", mk_entry_in_empty_load, "entry point 0x100000 is not inside any segment" },
    { "overlap-contained", mk_overlap_contained, "segment 0 [0x100000, 0x104000) and segment 1 [0x101000, 0x101010) overlap" },
    { "align-congruence-vaddr", mk_align_congruence_vaddr, "segment 1: address 0x101010 and file offset 0x2000 differ modulo the alignment 0x1000" },
    { "et-dyn-zero-base", mk_et_dyn_zero_base, "position-independent executable (ET_DYN)" },
    { "ppc64-big-endian", mk_em_ppc64_msb, "big-endian ELF (ELFDATA2MSB)" },
};
const size_t bad_elf_case_count = sizeof bad_elf_cases / sizeof bad_elf_cases[0];

int elfgen_write(const struct elfgen *g, const char *path)
{
    FILE *f = fopen(path, "wb");

    if (!f)
        return -1;
    size_t n = fwrite(g->bytes, 1, g->size, f);
    if (fclose(f) != 0 || n != g->size)
        return -1;
    return 0;
}

/* ---- An image with a line table ---------------------------------------- */

enum { LN_TEXT = 1, LN_LINE = 2, LN_SYMTAB = 3, LN_STRTAB = 4, LN_SHSTRTAB = 5,
       LN_INFO = 6, LN_ABBREV = 7, LN_SECTIONS = 8 };
static const char ln_shstrtab[] =
    "\0.text\0.debug_line\0.symtab\0.strtab\0.shstrtab\0.debug_info"
    "\0.debug_abbrev";
enum { LN_SH_TEXT = 1, LN_SH_LINE = 7, LN_SH_SYMTAB = 19, LN_SH_STRTAB = 27,
       LN_SH_SHSTRTAB = 35, LN_SH_INFO = 45, LN_SH_ABBREV = 57 };
/* One abbreviation: a compile unit with a name, its line program and its
 * address range, as libdw needs to find the line table; then the extra
 * attributes and the terminators. */
static const uint8_t ln_abbrev[] = {
    1, DW_TAG_compile_unit, DW_CHILDREN_no,
    DW_AT_name, DW_FORM_string, DW_AT_stmt_list, DW_FORM_sec_offset,
    DW_AT_low_pc, DW_FORM_addr, DW_AT_high_pc, DW_FORM_data8,
};
/* DW_AT_lo_user (0x2000) as ULEB128, then DW_FORM_flag_present. */
static const uint8_t ln_extra_attr[] = { 0x80, 0x40, DW_FORM_flag_present };

static const char ln_strtab[] = "\0_start";
/* xor %eax,%eax; mov (%rax),%eax; hlt */
static const uint8_t ln_crash[] = { 0x31, 0xc0, 0x8b, 0x00, 0xf4 };

/* Line program constants: special opcode 33 is "address + 1, line + 1". */
enum { LN_LINE_BASE = -5, LN_LINE_RANGE = 14, LN_OPCODE_BASE = 13,
       LN_ONE_ROW = 33 };

struct buf {
    uint8_t *p;
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_u8(struct buf *b, uint8_t v) { put(b, &v, 1); }

static void put_uleb(struct buf *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        put_u8(b, (uint8_t)(byte | (v ? 0x80 : 0)));
    } while (v);
}

static void put_sleb(struct buf *b, int64_t v)
{
    for (;;) {
        uint8_t byte = v & 0x7f;
        v >>= 7;        /* arithmetic: gcc and clang shift signed right so */
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        put_u8(b, (uint8_t)(byte | (done ? 0 : 0x80)));
        if (done)
            return;
    }
}

/* The DWARF 4 line program of elfgen_with_lines, in a heap buffer. */
static struct buf line_program(const struct elfgen_lines *spec)
{
    static const uint8_t std_len[] = { 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1 };
    static const uint8_t params[] = { 1, 1, 1, (uint8_t)LN_LINE_BASE,
                                      LN_LINE_RANGE, LN_OPCODE_BASE };
    struct buf b = { malloc(spec->rows + strlen(spec->file) + 128), 0 };
    uint32_t zero32 = 0;
    uint16_t version = 4;
    uint64_t addr = ELFGEN_TEXT_VADDR;

    if (!b.p)
        abort();
    put(&b, &zero32, 4);                        /* unit_length, below */
    put(&b, &version, 2);
    put(&b, &zero32, 4);                        /* header_length */
    put(&b, params, sizeof params);
    put(&b, std_len, sizeof std_len);
    put_u8(&b, 0);                              /* no include directories */
    put(&b, spec->file, strlen(spec->file) + 1);
    put(&b, "\0\0\0", 4);                      /* dir, time, size; end */
    uint32_t hlen = (uint32_t)(b.n - 10);
    memcpy(b.p + 6, &hlen, 4);
    put(&b, "\0\x09\x02", 3);                  /* DW_LNE_set_address */
    put(&b, &addr, 8);
    put_u8(&b, DW_LNS_advance_line);
    put_sleb(&b, ELFGEN_LINE0 - 1);
    put_u8(&b, DW_LNS_copy);
    memset(b.p + b.n, LN_ONE_ROW, spec->rows - 1);
    b.n += spec->rows - 1;
    put_u8(&b, DW_LNS_advance_pc);
    put_uleb(&b, 1);
    put(&b, "\0\x01\x01", 3);                  /* DW_LNE_end_sequence */
    uint32_t len = (uint32_t)(b.n - 4);
    memcpy(b.p, &len, 4);
    return b;
}

/* .debug_line as a compressed section claiming claim bytes. */
static struct buf fake_compressed(uint64_t claim)
{
    struct buf b = { calloc(1, sizeof(Elf64_Chdr) + 16), 0 };
    Elf64_Chdr ch = { .ch_type = ELFCOMPRESS_ZLIB, .ch_size = claim,
                      .ch_addralign = 1 };

    if (!b.p)
        abort();
    put(&b, &ch, sizeof ch);
    b.n += 16;
    return b;
}

static struct buf ln_abbrevs(const struct elfgen_lines *spec)
{
    size_t n = sizeof ln_abbrev + spec->cu_attrs * sizeof ln_extra_attr + 3;
    struct buf b = { malloc(n), 0 };

    if (!b.p)
        abort();
    put(&b, ln_abbrev, sizeof ln_abbrev);
    for (size_t i = 0; i < spec->cu_attrs; i++)
        put(&b, ln_extra_attr, sizeof ln_extra_attr);
    put(&b, "\0\0", 3);                         /* end of specs, of table */
    return b;
}

/* The DWARF 4 unit of ln_abbrev over [text, text + rows). */
static struct buf ln_info(const struct elfgen_lines *spec)
{
    struct buf b = { calloc(1, strlen(spec->file) + 64), 0 };
    uint32_t zero32 = 0;
    uint16_t version = 4;
    uint64_t low = ELFGEN_TEXT_VADDR, len = spec->rows;

    if (!b.p)
        abort();
    put(&b, &zero32, 4);                        /* unit_length, below */
    put(&b, &version, 2);
    put(&b, &zero32, 4);                        /* abbreviations at 0 */
    put_u8(&b, 8);
    put_u8(&b, 1);
    put(&b, spec->file, strlen(spec->file) + 1);
    put(&b, &zero32, 4);                        /* .debug_line + 0 */
    put(&b, &low, 8);
    put(&b, &len, 8);
    uint32_t n = (uint32_t)(b.n - 4);
    memcpy(b.p, &n, 4);
    return b;
}

static void ln_sections(struct elfgen *g, const struct elfgen_lines *spec,
                        size_t code_len)
{
    Elf64_Shdr sh[LN_SECTIONS] = { { 0 } };
    Elf64_Sym syms[2] = {
        { 0 },
        { .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
          .st_shndx = LN_TEXT, .st_value = ELFGEN_TEXT_VADDR,
          .st_size = code_len },
    };
    struct buf lines = spec->compressed_claim
                       ? fake_compressed(spec->compressed_claim)
                       : line_program(spec);
    size_t line_off = append(g, lines.p, lines.n);
    free(lines.p);
    struct buf info = ln_info(spec);
    size_t info_off = append(g, info.p, info.n);
    free(info.p);
    struct buf abbrev = ln_abbrevs(spec);
    size_t abbrev_off = append(g, abbrev.p, abbrev.n);
    free(abbrev.p);
    size_t sym = append(g, syms, sizeof syms);
    size_t str = append(g, ln_strtab, sizeof ln_strtab);
    size_t shstr = append(g, ln_shstrtab, sizeof ln_shstrtab);

    sh[LN_TEXT] = section(LN_SH_TEXT, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
                          ELFGEN_TEXT_VADDR, ELFGEN_TEXT_OFFSET, code_len);
    sh[LN_LINE] = section(LN_SH_LINE, SHT_PROGBITS,
                          spec->compressed_claim ? SHF_COMPRESSED : 0, 0,
                          line_off, lines.n);
    sh[LN_SYMTAB] = section(LN_SH_SYMTAB, spec->no_symbols ? SHT_PROGBITS
                                                          : SHT_SYMTAB,
                            0, 0, sym, sizeof syms);
    sh[LN_SYMTAB].sh_link = LN_STRTAB;
    sh[LN_SYMTAB].sh_info = 1;
    sh[LN_SYMTAB].sh_entsize = sizeof(Elf64_Sym);
    sh[LN_STRTAB] = section(LN_SH_STRTAB, SHT_STRTAB, 0, 0, str,
                            sizeof ln_strtab);
    sh[LN_SHSTRTAB] = section(LN_SH_SHSTRTAB, SHT_STRTAB, 0, 0, shstr,
                              sizeof ln_shstrtab);
    sh[LN_INFO] = section(LN_SH_INFO, SHT_PROGBITS, 0, 0, info_off, info.n);
    sh[LN_ABBREV] = section(LN_SH_ABBREV, SHT_PROGBITS, 0, 0, abbrev_off,
                            abbrev.n);
    size_t off = append(g, sh, sizeof sh);
    Elf64_Ehdr *eh = elfgen_ehdr(g);
    eh->e_shoff = off;
    eh->e_shentsize = sizeof(Elf64_Shdr);
    eh->e_shnum = LN_SECTIONS;
    eh->e_shstrndx = LN_SHSTRTAB;
}

void elfgen_with_lines(struct elfgen *g, const struct elfgen_lines *spec)
{
    size_t code_len = spec->nops + sizeof ln_crash;

    g->bytes = NULL;
    g->size = 0;
    elfgen_resize(g, ELFGEN_TEXT_OFFSET + code_len);
    set_ehdr(g);
    elfgen_ehdr(g)->e_phnum = 1;
    set_load(g, 0, ELFGEN_TEXT_VADDR, ELFGEN_TEXT_OFFSET, code_len, code_len,
             PF_R | PF_X);
    memset(g->bytes + ELFGEN_TEXT_OFFSET, 0x90, spec->nops);
    memcpy(g->bytes + ELFGEN_TEXT_OFFSET + spec->nops, ln_crash,
           sizeof ln_crash);
    ln_sections(g, spec, code_len);
}
