/*
 * ELF validation and loading.  Everything that libelf would trust (header
 * sizes, table bounds, counts) is checked here first on the raw bytes:
 * libelf 0.188 ignores e_phentsize and silently returns fewer program
 * headers when the table runs past the end of the file.
 */
#include "loader/loader.h"

#include "kvmelf/abi.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

typedef unsigned long long ull;

/* ---- Reading the file ------------------------------------------------ */

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    return "unknown type";
}

static int check_stat(int fd, size_t *size, struct kerr *err)
{
    struct stat st;
    char have[32], max[32];

    if (fstat(fd, &st) != 0)
        return kerr_errno(err, errno, "cannot stat");
    if (!S_ISREG(st.st_mode))
        return kerr_set(err, "not a regular file (%s)", file_kind(st.st_mode));
    if (st.st_size == 0)
        return kerr_set(err, "empty file (0 bytes)");
    if ((uint64_t)st.st_size > LOADER_MAX_FILE_SIZE)
        return kerr_set(err, "file too large (%s, at most %s)",
                        format_size((uint64_t)st.st_size, have, sizeof have),
                        format_size(LOADER_MAX_FILE_SIZE, max, sizeof max));
    *size = (size_t)st.st_size;
    return 0;
}

static int read_all(int fd, uint8_t *buf, size_t size, struct kerr *err)
{
    size_t done = 0;

    while (done < size) {
        ssize_t n = read(fd, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return kerr_errno(err, errno, "cannot read");
        if (n == 0)
            return kerr_set(err, "file shrank while being read (0x%zx of "
                            "0x%zx bytes)", done, size);
        done += (size_t)n;
    }
    return 0;
}

int loader_read_file(const char *path, struct loader_file *file,
                     struct kerr *err)
{
    size_t size = 0;
    int rc = -1;

    file->bytes = NULL;
    file->size = 0;
    /* O_NONBLOCK: opening a FIFO must not hang before fstat() rejects it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return kerr_errno(err, errno, "cannot open");
    if (check_stat(fd, &size, err) == 0) {
        /* Populated in one call (zeroed: the padding too) rather than
         * page by page as read(2) fills it: for a large ELF the faults
         * cost more than the copy. */
        void *p = mmap(NULL, size + LOADER_FILE_PADDING,
                       PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED)
            kerr_errno(err, errno, "cannot allocate 0x%zx bytes to read "
                       "the file", size);
        else
            file->bytes = p;
        file->size = size;           /* for loader_file_free */
        if (file->bytes && read_all(fd, file->bytes, size, err) == 0)
            rc = 0;
    }
    close(fd);
    if (rc < 0)
        loader_file_free(file);
    return rc;
}

void loader_file_free(struct loader_file *file)
{
    if (file->bytes)
        munmap(file->bytes, file->size + LOADER_FILE_PADDING);
    file->bytes = NULL;
    file->size = 0;
}

/* ---- ELF header ------------------------------------------------------- */

static int check_ident(const uint8_t *b, size_t size, struct kerr *err)
{
    static const uint8_t magic[SELFMAG] = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3 };
    char have[32];

    if (size == 0)
        return kerr_set(err, "empty file (0 bytes)");
    /* Magic first, so a short text file is "not an ELF file". */
    if (memcmp(b, magic, size < SELFMAG ? size : SELFMAG) != 0)
        return kerr_set(err, "not an ELF file (does not start with 0x7f 'E' "
                        "'L' 'F')");
    if (size < sizeof(Elf64_Ehdr))
        return kerr_set(err, "file too short for an ELF header (%s, need %zu)",
                        format_size(size, have, sizeof have),
                        sizeof(Elf64_Ehdr));
    if (b[EI_CLASS] == ELFCLASS32)
        return kerr_set(err, "32-bit ELF (ELFCLASS32); kvmelf runs x86-64 "
                        "ELF64 programs");
    if (b[EI_CLASS] != ELFCLASS64)
        return kerr_set(err, "invalid ELF class 0x%x (EI_CLASS)", b[EI_CLASS]);
    if (b[EI_DATA] == ELFDATA2MSB)
        return kerr_set(err, "big-endian ELF (ELFDATA2MSB); kvmelf runs "
                        "little-endian x86-64 programs");
    if (b[EI_DATA] != ELFDATA2LSB)
        return kerr_set(err, "invalid ELF data encoding 0x%x (EI_DATA)",
                        b[EI_DATA]);
    if (b[EI_VERSION] != EV_CURRENT)
        return kerr_set(err, "unsupported ELF identification version 0x%x "
                        "(EI_VERSION), expected 0x1", b[EI_VERSION]);
    return 0;
}

static int check_type(unsigned type, struct kerr *err)
{
    switch (type) {
    case ET_EXEC:
        return 0;
    case ET_DYN:
        return kerr_set(err, "position-independent executable (ET_DYN): "
                        "link with -no-pie (or -static -no-pie)");
    case ET_REL:
        return kerr_set(err, "object file, not an executable: link it first");
    case ET_CORE:
        return kerr_set(err, "core dump (ET_CORE), not an executable");
    default:
        return kerr_set(err, "unsupported ELF file type 0x%x (e_type), "
                        "expected an executable (ET_EXEC)", type);
    }
}

static int check_machine(unsigned machine, struct kerr *err)
{
    static const struct { unsigned em; const char *name; } names[] = {
        { EM_386, "i386 (EM_386)" },
        { EM_ARM, "32-bit Arm (EM_ARM)" },
        { EM_AARCH64, "AArch64 (EM_AARCH64)" },
        { EM_RISCV, "RISC-V (EM_RISCV)" },
        { EM_PPC64, "64-bit PowerPC (EM_PPC64)" },
        { EM_S390, "s390 (EM_S390)" },
    };

    if (machine == EM_X86_64)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (names[i].em == machine)
            return kerr_set(err, "built for %s, not x86-64 (EM_X86_64)",
                            names[i].name);
    return kerr_set(err, "built for machine 0x%x (e_machine), not x86-64 "
                    "(EM_X86_64)", machine);
}

static int check_phtable(const Elf64_Ehdr *eh, size_t size, struct kerr *err)
{
    uint64_t len, end;

    if (eh->e_phnum == 0)
        return kerr_set(err, "no program headers (e_phnum is 0)");
    if (eh->e_phnum == PN_XNUM)
        return kerr_set(err, "extended program header count (e_phnum is "
                        "PN_XNUM) is not supported");
    if (eh->e_phnum > LOADER_MAX_PHNUM)
        return kerr_set(err, "too many program headers (%u, at most %u)",
                        eh->e_phnum, LOADER_MAX_PHNUM);
    if (__builtin_mul_overflow((uint64_t)eh->e_phnum, sizeof(Elf64_Phdr), &len) ||
        __builtin_add_overflow(eh->e_phoff, len, &end))
        return kerr_set(err, "program header table offset 0x%llx (e_phoff) "
                        "overflows", (ull)eh->e_phoff);
    if (end > size)
        return kerr_set(err, "program header table [0x%llx, 0x%llx) runs "
                        "past the end of the file (0x%zx bytes)",
                        (ull)eh->e_phoff, (ull)end, size);
    return 0;
}

/* libelf takes the count of an extended section header table (e_shnum 0,
 * e_shoff set) from section 0's sh_size and refuses a table that cannot
 * fit the file, with a message that names no rule: this one does. */
static int check_shtable(const uint8_t *b, size_t size, const Elf64_Ehdr *eh,
                         struct kerr *err)
{
    Elf64_Shdr first;
    uint64_t len;

    if (eh->e_shnum != 0 || eh->e_shoff == 0)
        return 0;
    if (!range_within(eh->e_shoff, sizeof first, size))
        return kerr_set(err, "section header table offset 0x%llx (e_shoff) "
                        "is past the end of the file (0x%zx bytes), and "
                        "e_shnum 0 says section 0 there holds the count",
                        (ull)eh->e_shoff, size);
    memcpy(&first, b + eh->e_shoff, sizeof first);
    if (__builtin_mul_overflow(first.sh_size, sizeof first, &len) ||
        !range_within(eh->e_shoff, len, size))
        return kerr_set(err, "extended section count %llu (e_shnum is 0, so "
                        "section 0's sh_size is the count): its table from "
                        "0x%llx (e_shoff) cannot fit the file (0x%zx bytes)",
                        (ull)first.sh_size, (ull)eh->e_shoff, size);
    return 0;
}

/* The loader's string of PT_INTERP (printable ASCII only, at most len). */
static void interp_name(const uint8_t *b, size_t size, const Elf64_Phdr *ph,
                        char *out, size_t len)
{
    size_t n = 0;

    if (range_within(ph->p_offset, ph->p_filesz, size))
        for (; n + 1 < len && n < ph->p_filesz; n++) {
            uint8_t c = b[ph->p_offset + n];
            if (c < 0x20 || c > 0x7e)
                break;
            out[n] = (char)c;
        }
    out[n] = '\0';
}

/* A dynamically linked program says so before its type does: /bin/ls is
 * ET_DYN, but the fix is -static, not -no-pie. */
static int check_linking(const uint8_t *b, size_t size, const Elf64_Ehdr *eh,
                         struct kerr *err)
{
    bool dynamic = false;
    char interp[128];

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, b + eh->e_phoff + (uint64_t)i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_INTERP) {
            interp_name(b, size, &ph, interp, sizeof interp);
            return kerr_set(err, "dynamically linked: it needs the dynamic "
                            "loader %s%s(PT_INTERP, program header %u), and "
                            "kvmelf runs static programs only: link with "
                            "-static (e.g. tools/kvmelf-cc or musl-gcc "
                            "-static), or use a static build",
                            interp[0] ? interp : "", interp[0] ? " " : "", i);
        }
        dynamic |= ph.p_type == PT_DYNAMIC;
    }
    if (dynamic && eh->e_type == ET_DYN)
        return kerr_set(err, "static-pie (ET_DYN with PT_DYNAMIC, no "
                        "PT_INTERP): kvmelf loads position-dependent "
                        "programs: link with -static -no-pie");
    return 0;
}

static int check_ehdr(const uint8_t *b, size_t size, Elf64_Ehdr *eh,
                      struct kerr *err)
{
    if (check_ident(b, size, err) != 0)
        return -1;
    memcpy(eh, b, sizeof *eh);  /* b may be unaligned */
    if (eh->e_version != EV_CURRENT)
        return kerr_set(err, "unsupported ELF version 0x%x (e_version), "
                        "expected 0x1", eh->e_version);
    /* ET_DYN waits for the program headers, which may say more. */
    if ((eh->e_type != ET_DYN && check_type(eh->e_type, err) != 0) ||
        check_machine(eh->e_machine, err) != 0)
        return -1;
    if (eh->e_ehsize != sizeof(Elf64_Ehdr))
        return kerr_set(err, "ELF header size 0x%x (e_ehsize), expected 0x%zx",
                        eh->e_ehsize, sizeof(Elf64_Ehdr));
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return kerr_set(err, "program header entry size 0x%x (e_phentsize), "
                        "expected 0x%zx", eh->e_phentsize, sizeof(Elf64_Phdr));
    if (check_phtable(eh, size, err) != 0 ||
        check_linking(b, size, eh, err) != 0 ||
        check_type(eh->e_type, err) != 0)
        return -1;
    return check_shtable(b, size, eh, err);
}

/* ---- Program headers -------------------------------------------------- */

/* "segment 2 [0x3ff000, 0x401000)": how every segment message starts. */
static const char *seg_name(char *buf, size_t len, unsigned index,
                            uint64_t start, uint64_t end)
{
    snprintf(buf, len, "segment %u [0x%llx, 0x%llx)", index, (ull)start,
             (ull)end);
    return buf;
}

static int check_file_range(const Elf64_Phdr *ph, unsigned i, size_t size,
                            struct kerr *err)
{
    uint64_t end;

    if (__builtin_add_overflow(ph->p_offset, ph->p_filesz, &end))
        return kerr_set(err, "segment %u: file offset 0x%llx + file size "
                        "0x%llx overflows", i, (ull)ph->p_offset,
                        (ull)ph->p_filesz);
    if (end > size)
        return kerr_set(err, "segment %u: file bytes [0x%llx, 0x%llx) run "
                        "past the end of the file (0x%zx bytes)", i,
                        (ull)ph->p_offset, (ull)end, size);
    if (ph->p_filesz > ph->p_memsz)
        return kerr_set(err, "segment %u: file size 0x%llx exceeds memory "
                        "size 0x%llx (p_filesz > p_memsz)", i,
                        (ull)ph->p_filesz, (ull)ph->p_memsz);
    return 0;
}

static int check_window(const Elf64_Phdr *ph, unsigned i,
                        const struct load_window *win, struct kerr *err)
{
    uint64_t start = ph->p_vaddr, end;
    char name[80], sz[32], st[32];

    if (__builtin_add_overflow(start, ph->p_memsz, &end))
        return kerr_set(err, "segment %u: address 0x%llx + memory size 0x%llx "
                        "wraps around", i, (ull)start, (ull)ph->p_memsz);
    seg_name(name, sizeof name, i, start, end);
    if (start < win->lo)
        return kerr_set(err, "%s starts below %s (the monitor's reserved "
                        "area)", name, format_size(win->lo, sz, sizeof sz));
    if (end > win->ram_size)
        return kerr_set(err, "%s ends past guest RAM (%s)", name,
                        format_size(win->ram_size, sz, sizeof sz));
    if (end > win->hi)
        return kerr_set(err, "%s overlaps the guard page and the %s stack at "
                        "the top of RAM (from 0x%llx): give more --mem, or a "
                        "smaller --stack", name,
                        format_size(win->stack_size, st, sizeof st),
                        (ull)win->hi);
    return 0;
}

static int check_align(const Elf64_Phdr *ph, unsigned i, struct kerr *err)
{
    uint64_t a = ph->p_align;

    if (a <= 1)
        return 0;
    if (a & (a - 1))
        return kerr_set(err, "segment %u: alignment 0x%llx (p_align) is not "
                        "a power of two", i, (ull)a);
    if (ph->p_vaddr % a != ph->p_offset % a)
        return kerr_set(err, "segment %u: address 0x%llx and file offset "
                        "0x%llx differ modulo the alignment 0x%llx", i,
                        (ull)ph->p_vaddr, (ull)ph->p_offset, (ull)a);
    return 0;
}

/* A PT_LOAD with p_memsz 0 occupies no memory: it is checked against the
 * file but otherwise skipped (not planned, not counted, not placed). */
static int add_load(const Elf64_Phdr *ph, unsigned i, size_t size,
                    const struct load_window *win, struct load_plan *plan,
                    struct kerr *err)
{
    if (check_file_range(ph, i, size, err) != 0)
        return -1;
    if (ph->p_memsz == 0)
        return 0;
    if (check_window(ph, i, win, err) != 0 || check_align(ph, i, err) != 0)
        return -1;
    if (plan->nsegs == LOADER_MAX_SEGMENTS)
        return kerr_set(err, "too many PT_LOAD segments (more than %u)",
                        LOADER_MAX_SEGMENTS);
    plan->segs[plan->nsegs++] = (struct load_segment){
        .index = i, .vaddr = ph->p_vaddr, .memsz = ph->p_memsz,
        .offset = ph->p_offset, .filesz = ph->p_filesz, .flags = ph->p_flags,
    };
    return 0;
}

static int check_phdr(const Elf64_Phdr *ph, unsigned i, size_t size,
                      const struct load_window *win, struct load_plan *plan,
                      struct kerr *err)
{
    switch (ph->p_type) {
    case PT_LOAD:
        return add_load(ph, i, size, win, plan, err);
    case PT_DYNAMIC:
        return kerr_set(err, "program header %u: dynamically linked "
                        "(PT_DYNAMIC): link with -static -no-pie", i);
    case PT_PHDR:
        plan->phdr = ph->p_vaddr;   /* checked in locate_phdrs() */
        return 0;
    default:
        return 0;
    }
}

/* Runs check_phdr over the table as libelf reads it.  The bytes are only
 * read: libelf needs a non-const pointer for elf_memory().  gelf_getphdr()
 * copies each entry out, as the table need not be aligned in memory. */
static int check_phdrs(const uint8_t *b, size_t size, size_t phnum,
                       const struct load_window *win, struct load_plan *plan,
                       struct kerr *err)
{
    size_t n = 0;
    int rc = 0;

    if (elf_version(EV_CURRENT) == EV_NONE)
        return kerr_set(err, "libelf: %s", elf_errmsg(-1));
    Elf *elf = elf_memory((char *)(uintptr_t)b, size);
    if (!elf)
        return kerr_set(err, "libelf: %s", elf_errmsg(-1));
    if (elf_getphdrnum(elf, &n) != 0 || n != phnum)
        rc = kerr_set(err, "libelf reads %zu of the %zu program headers",
                      n, phnum);
    for (size_t i = 0; rc == 0 && i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph))
            rc = kerr_set(err, "libelf cannot read program header %zu: %s",
                          i, elf_errmsg(-1));
        else
            rc = check_phdr(&ph, (unsigned)i, size, win, plan, err);
    }
    elf_end(elf);
    return rc;
}

/* ---- The whole plan --------------------------------------------------- */

static uint64_t seg_end(const struct load_segment *s)
{
    return s->vaddr + s->memsz;  /* checked in check_window() */
}

static void sort_segments(struct load_plan *plan)
{
    for (unsigned i = 1; i < plan->nsegs; i++) {
        struct load_segment s = plan->segs[i];
        unsigned j = i;
        for (; j > 0 && plan->segs[j - 1].vaddr > s.vaddr; j--)
            plan->segs[j] = plan->segs[j - 1];
        plan->segs[j] = s;
    }
}

/* On sorted segments, disjoint neighbours imply all pairs are disjoint. */
static int check_overlaps(const struct load_plan *plan, struct kerr *err)
{
    char a[80], b[80];

    for (unsigned i = 1; i < plan->nsegs; i++) {
        const struct load_segment *p = &plan->segs[i - 1], *s = &plan->segs[i];
        if (s->vaddr < seg_end(p))
            return kerr_set(err, "%s and %s overlap",
                            seg_name(a, sizeof a, p->index, p->vaddr, seg_end(p)),
                            seg_name(b, sizeof b, s->index, s->vaddr, seg_end(s)));
    }
    return 0;
}

static int check_entry(const struct load_plan *plan, struct kerr *err)
{
    for (unsigned i = 0; i < plan->nsegs; i++) {
        const struct load_segment *s = &plan->segs[i];
        if (plan->entry - s->vaddr >= s->memsz)
            continue;
        if (!(s->flags & PF_X))
            return kerr_set(err, "entry point 0x%llx is not inside an "
                            "executable segment (segment %u is not PF_X)",
                            (ull)plan->entry, s->index);
        return 0;
    }
    return kerr_set(err, "entry point 0x%llx is not inside any segment",
                    (ull)plan->entry);
}

/* Fills plan->phdr/phent/phnum (see loader.h); plan->phdr holds PT_PHDR's
 * p_vaddr or 0 on entry. */
static void locate_phdrs(struct load_plan *plan, const Elf64_Ehdr *eh)
{
    uint64_t table = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
    gpa_t found = 0;

    for (unsigned i = 0; i < plan->nsegs; i++) {
        const struct load_segment *s = &plan->segs[i];
        if (plan->phdr) {
            if (plan->phdr >= s->vaddr &&
                range_within(plan->phdr - s->vaddr, table, s->memsz))
                found = plan->phdr;
        } else if (eh->e_phoff >= s->offset &&
                   range_within(eh->e_phoff - s->offset, table, s->filesz)) {
            found = s->vaddr + (eh->e_phoff - s->offset);
        }
        if (found)
            break;
    }
    plan->phdr = found;
    plan->phent = found ? sizeof(Elf64_Phdr) : 0;
    plan->phnum = found ? eh->e_phnum : 0;
}

int loader_plan(const uint8_t *bytes, size_t size,
                const struct load_window *win, struct load_plan *plan,
                struct kerr *err)
{
    Elf64_Ehdr eh;

    memset(plan, 0, sizeof *plan);
    if (check_ehdr(bytes, size, &eh, err) != 0 ||
        check_phdrs(bytes, size, eh.e_phnum, win, plan, err) != 0)
        return -1;
    if (plan->nsegs == 0)
        return kerr_set(err, "no loadable segment (PT_LOAD)");
    sort_segments(plan);
    plan->entry = eh.e_entry;
    if (check_overlaps(plan, err) != 0 || check_entry(plan, err) != 0)
        return -1;
    locate_phdrs(plan, &eh);
    /* Cannot wrap: the highest end is <= win->hi < RAM size, page aligned. */
    uint64_t end = seg_end(&plan->segs[plan->nsegs - 1]);
    plan->image_end = (end + KVMELF_PAGE_SIZE - 1) & ~(uint64_t)(KVMELF_PAGE_SIZE - 1);
    return 0;
}

/* ---- Copying ---------------------------------------------------------- */

static uint8_t *segment_dest(const struct load_segment *s, size_t size,
                             const struct guest_mem *gm, struct kerr *err)
{
    char name[80];
    uint8_t *dst;

    if (s->filesz > s->memsz || !range_within(s->offset, s->filesz, size)) {
        kerr_set(err, "segment %u: file bytes do not match this file (plan "
                 "made for another one)", s->index);
        return NULL;
    }
    dst = guest_mem_ptr(gm, s->vaddr, s->memsz);
    if (!dst)
        kerr_set(err, "%s does not fit guest RAM (0x%llx bytes)",
                 seg_name(name, sizeof name, s->index, s->vaddr,
                          s->vaddr + s->memsz),
                 (ull)gm->size);
    return dst;
}

int loader_copy(const struct load_plan *plan, const uint8_t *bytes,
                size_t size, const struct guest_mem *gm, struct kerr *err)
{
    /* Every segment is checked before the first byte is written. */
    for (unsigned i = 0; i < plan->nsegs; i++)
        if (!segment_dest(&plan->segs[i], size, gm, err))
            return -1;
    for (unsigned i = 0; i < plan->nsegs; i++) {
        const struct load_segment *s = &plan->segs[i];
        guest_mem_prefault(gm, s->vaddr, s->filesz);
        memcpy(segment_dest(s, size, gm, err), bytes + s->offset,
               (size_t)s->filesz);
    }
    return 0;
}
