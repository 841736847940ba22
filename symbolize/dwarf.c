/*
 * The bounded DWARF reader of symbolize/dwarf.h.  Every read goes through a
 * cursor that stops at the end of its section (a short read sets bad and
 * yields zeros), so no table length, count or offset in the file is
 * trusted; every loop is bounded by bytes consumed, by DW_* or by steps.
 */
#include "symbolize/dwarf.h"

#include "common/common.h"
#include "symbolize/symbolize.h"

#include <dwarf.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sec {
    SEC_INFO, SEC_ABBREV, SEC_LINE, SEC_LINE_STR, SEC_STR, SEC_STR_OFFSETS,
    SEC_ADDR, SEC_ARANGES, SEC_COUNT
};
static const char *const sec_names[SEC_COUNT] = {
    "info", "abbrev", "line", "line_str", "str", "str_offsets", "addr",
    "aranges",
};

struct span {
    const uint8_t *p;
    size_t size;
};

struct dwarf {
    Elf *elf;
    Elf_Scn *scn[SEC_COUNT];
    bool gnu_compressed[SEC_COUNT];     /* .zdebug_NAME */
    bool tried[SEC_COUNT];
    struct span data[SEC_COUNT];
    uint64_t inflated;                  /* bytes inflated so far */
};

/* One lookup's state: the budget of DIE steps and the first note. */
struct lookup {
    struct dwarf *d;
    uint64_t steps;
    char *note;
};

static void note(struct lookup *lk, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct lookup *lk, const char *fmt, ...)
{
    va_list ap;

    if (lk->note[0])
        return;                         /* the first reason is the one */
    va_start(ap, fmt);
    vsnprintf(lk->note, DW_NOTE_MAX, fmt, ap);
    va_end(ap);
}

/* "19.1 MiB": a size in a note, rounded (format_size is exact). */
static const char *size_text(uint64_t n, char *buf, size_t len)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
    double v = (double)n / 1024;
    int i = 0;

    if (n < 1024 || n % (1u << 20) == 0)
        return format_size(n, buf, len);
    while (i < 3 && v >= 1024) {
        v /= 1024;
        i++;
    }
    snprintf(buf, len, "%.1f %s", v, units[i]);
    return buf;
}

/* ---- Sections --------------------------------------------------------- */

static int sec_by_name(const char *name, bool *gnu)
{
    *gnu = strncmp(name, ".zdebug_", 8) == 0;
    const char *tail = *gnu ? name + 8 : strncmp(name, ".debug_", 7) == 0
                                         ? name + 7 : NULL;
    for (int i = 0; tail && i < SEC_COUNT; i++)
        if (strcmp(tail, sec_names[i]) == 0)
            return i;
    return -1;
}

struct dwarf *dw_open(Elf *elf)
{
    size_t names;
    Elf_Scn *scn = NULL;
    struct dwarf *d;

    if (!elf || elf_getshdrstrndx(elf, &names) != 0 ||
        !(d = calloc(1, sizeof *d)))
        return NULL;
    d->elf = elf;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;           /* a copy: the file's may be misaligned */
        const char *name = gelf_getshdr(scn, &sh)
                               ? elf_strptr(elf, names, sh.sh_name) : NULL;
        bool gnu;
        int i = name && sh.sh_type != SHT_NOBITS ? sec_by_name(name, &gnu) : -1;
        if (i >= 0 && !d->scn[i]) {
            d->scn[i] = scn;
            d->gnu_compressed[i] = gnu;
        }
    }
    if (!d->scn[SEC_LINE] && !d->scn[SEC_INFO]) {
        free(d);
        return NULL;
    }
    return d;
}

void dw_close(struct dwarf *d)
{
    free(d);        /* inflated data belongs to the Elf (elf_end frees it) */
}

/* What inflating the section would allocate (0 when it is stored plain),
 * from the header libelf would trust, copied out of the raw bytes (which
 * need not be aligned). */
static uint64_t inflated_size(Elf_Scn *scn, bool gnu)
{
    GElf_Shdr sh;
    Elf64_Chdr ch;
    uint64_t n = 0;
    Elf_Data *raw = elf_rawdata(scn, NULL);
    size_t len = raw && raw->d_buf ? raw->d_size : 0;

    if (!gelf_getshdr(scn, &sh))
        return 0;
    if (sh.sh_flags & SHF_COMPRESSED) {
        if (len < sizeof ch)
            return UINT64_MAX;
        memcpy(&ch, raw->d_buf, sizeof ch);
        return ch.ch_size;
    }
    if (!gnu)
        return 0;
    if (len < 12 || memcmp(raw->d_buf, "ZLIB", 4) != 0)
        return UINT64_MAX;
    for (int i = 4; i < 12; i++)
        n = n << 8 | ((const uint8_t *)raw->d_buf)[i];
    return n;
}

/* The section's bytes, inflated on first use within the caps; NULL-sized
 * when absent, broken or over a cap (with a note). */
static struct span section(struct lookup *lk, enum sec i)
{
    struct dwarf *d = lk->d;
    char have[32], max[32], total[32];

    if (d->tried[i] || !d->scn[i])
        return d->data[i];
    uint64_t want = inflated_size(d->scn[i], d->gnu_compressed[i]);
    uint64_t left = SYMBOLIZE_MAX_INFLATED_TOTAL - d->inflated;
    if (want > SYMBOLIZE_MAX_INFLATED_SECTION || want > left) {
        if (want == UINT64_MAX)
            snprintf(have, sizeof have, "an unknown size");
        else
            size_text(want, have, sizeof have);
        if (want > SYMBOLIZE_MAX_INFLATED_SECTION)
            note(lk, "DWARF skipped: .debug_%s inflates to %s, more than "
                 "the %s a crash report inflates per section", sec_names[i],
                 have, format_size(SYMBOLIZE_MAX_INFLATED_SECTION, max,
                                   sizeof max));
        else
            note(lk, "DWARF skipped: .debug_%s inflates to %s, more than "
                 "the %s left of the %s a crash report inflates",
                 sec_names[i], have, size_text(left, max, sizeof max),
                 format_size(SYMBOLIZE_MAX_INFLATED_TOTAL, total, sizeof total));
        return d->data[i];          /* not tried: the note comes again */
    }
    d->tried[i] = true;
    d->inflated += want;
    if (want && (d->gnu_compressed[i] ? elf_compress_gnu(d->scn[i], 0, 0)
                                      : elf_compress(d->scn[i], 0, 0)) < 0)
        return d->data[i];
    Elf_Data *data = elf_getdata(d->scn[i], NULL);
    if (data && data->d_buf && data->d_size)
        d->data[i] = (struct span){ data->d_buf, data->d_size };
    return d->data[i];
}

/* ---- Cursors ---------------------------------------------------------- */

struct cur {
    const uint8_t *p, *end;
    bool bad;
};

/* An absent section is a NULL span: no arithmetic on its pointer (found
 * by fuzz_elf: UBSan's pointer-overflow check). */
static struct cur cur_at(struct span s, uint64_t off)
{
    if (!s.p || off > s.size)
        return (struct cur){ NULL, NULL, true };
    return (struct cur){ s.p + off, s.p + s.size, false };
}

static bool need(struct cur *c, uint64_t n)
{
    if (c->bad || n > (uint64_t)(c->end - c->p)) {
        c->bad = true;
        c->p = c->end;
        return false;
    }
    return true;
}

static void skip(struct cur *c, uint64_t n)
{
    if (need(c, n))
        c->p += n;
}

static uint64_t fixed(struct cur *c, unsigned n)    /* little-endian, n <= 8 */
{
    uint64_t v = 0;

    if (!need(c, n))
        return 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static uint8_t u8(struct cur *c) { return (uint8_t)fixed(c, 1); }
static uint16_t u16(struct cur *c) { return (uint16_t)fixed(c, 2); }

/* A LEB128 longer than 10 bytes is malformed; its extra bytes are read
 * and ignored, so the cursor still moves past it. */
static uint64_t uleb(struct cur *c)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;

    do {
        b = u8(c);
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while ((b & 0x80) && !c->bad);
    return v;
}

static int64_t sleb(struct cur *c)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;

    do {
        b = u8(c);
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while ((b & 0x80) && !c->bad);
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

/* A NUL-terminated string inside the cursor's section, or NULL. */
static const char *cstr(struct cur *c)
{
    if (c->bad)
        return NULL;
    const uint8_t *nul = memchr(c->p, 0, (size_t)(c->end - c->p));
    if (!nul) {
        need(c, (uint64_t)(c->end - c->p) + 1);
        return NULL;
    }
    const char *s = (const char *)c->p;
    c->p = nul + 1;
    return s;
}

/* A unit's initial length: 32-bit, or 0xffffffff and 64-bit.  Returns a
 * cursor over exactly the unit's contents (bad when it overruns). */
static struct cur unit_body(struct cur *c, bool *is64, uint64_t *length)
{
    uint64_t len = fixed(c, 4);

    *is64 = len == 0xffffffff;
    if (*is64)
        len = fixed(c, 8);
    else if (len >= 0xfffffff0)
        c->bad = true;                  /* reserved values */
    *length = len;
    struct cur body = { c->p, c->p, c->bad };
    if (need(c, len)) {
        body.end = c->p + len;
        c->p += len;
    }
    body.bad = c->bad;
    return body;
}

static const char *str_at(struct lookup *lk, enum sec i, uint64_t off)
{
    struct cur c = cur_at(section(lk, i), off);
    return cstr(&c);
}

static const char *basename_of(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    const char *base = slash ? slash + 1 : path;
    return base && *base ? base : NULL;
}

/* ---- Attribute forms -------------------------------------------------- */

/* What the size of a form depends on: the unit's (or line table's)
 * version, address size and offset size. */
struct form_ctx {
    uint16_t version;
    uint8_t addr_size;
    bool is64;
};

struct val {
    uint64_t form;          /* 0: attribute absent */
    uint64_t u;             /* the number, offset or index */
    const char *s;          /* DW_FORM_string */
};

static unsigned off_size(const struct form_ctx *fc)
{
    return fc->is64 ? 8 : 4;
}

/* Fixed-size forms: their size, or 0 for the others. */
static unsigned fixed_form_size(const struct form_ctx *fc, uint64_t form)
{
    switch (form) {
    case DW_FORM_addr:
        return fc->addr_size;
    case DW_FORM_data1: case DW_FORM_ref1: case DW_FORM_flag:
    case DW_FORM_strx1: case DW_FORM_addrx1:
        return 1;
    case DW_FORM_data2: case DW_FORM_ref2: case DW_FORM_strx2:
    case DW_FORM_addrx2:
        return 2;
    case DW_FORM_strx3: case DW_FORM_addrx3:
        return 3;
    case DW_FORM_data4: case DW_FORM_ref4: case DW_FORM_ref_sup4:
    case DW_FORM_strx4: case DW_FORM_addrx4:
        return 4;
    case DW_FORM_data8: case DW_FORM_ref8: case DW_FORM_ref_sig8:
    case DW_FORM_ref_sup8:
        return 8;
    case DW_FORM_strp: case DW_FORM_line_strp: case DW_FORM_sec_offset:
    case DW_FORM_strp_sup: case DW_FORM_GNU_ref_alt: case DW_FORM_GNU_strp_alt:
        return off_size(fc);
    case DW_FORM_ref_addr:
        return fc->version <= 2 ? fc->addr_size : off_size(fc);
    default:
        return 0;
    }
}

/* Reads one attribute value of form at c into *v.  False for a form this
 * reader does not know (the rest of the entry cannot be found then). */
static bool form_value(const struct form_ctx *fc, struct cur *c, uint64_t form,
                       int64_t implicit, struct val *v)
{
    unsigned n = fixed_form_size(fc, form);

    *v = (struct val){ .form = form };
    if (form == DW_FORM_indirect) {
        form = uleb(c);         /* once: an indirect indirect is refused */
        v->form = form;
        n = fixed_form_size(fc, form);
        if (form == DW_FORM_indirect || form == DW_FORM_implicit_const)
            return false;
    }
    if (n) {
        v->u = fixed(c, n);
        return !c->bad;
    }
    switch (form) {
    case DW_FORM_sdata:
        v->u = (uint64_t)sleb(c);
        break;
    case DW_FORM_udata: case DW_FORM_ref_udata: case DW_FORM_strx:
    case DW_FORM_addrx: case DW_FORM_loclistx: case DW_FORM_rnglistx:
    case DW_FORM_GNU_addr_index: case DW_FORM_GNU_str_index:
        v->u = uleb(c);
        break;
    case DW_FORM_string:
        v->s = cstr(c);
        break;
    case DW_FORM_block1: skip(c, fixed(c, 1)); break;
    case DW_FORM_block2: skip(c, fixed(c, 2)); break;
    case DW_FORM_block4: skip(c, fixed(c, 4)); break;
    case DW_FORM_block: case DW_FORM_exprloc: skip(c, uleb(c)); break;
    case DW_FORM_data16: skip(c, 16); break;
    case DW_FORM_flag_present: v->u = 1; break;
    case DW_FORM_implicit_const: v->u = (uint64_t)implicit; break;
    default:
        return false;
    }
    return !c->bad;
}

static bool is_strx(uint64_t form)
{
    return form == DW_FORM_strx || form == DW_FORM_strx1 ||
           form == DW_FORM_strx2 || form == DW_FORM_strx3 ||
           form == DW_FORM_strx4 || form == DW_FORM_GNU_str_index;
}

static bool is_addrx(uint64_t form)
{
    return form == DW_FORM_addrx || form == DW_FORM_addrx1 ||
           form == DW_FORM_addrx2 || form == DW_FORM_addrx3 ||
           form == DW_FORM_addrx4 || form == DW_FORM_GNU_addr_index;
}

static bool is_constant(uint64_t form)
{
    return form == DW_FORM_data1 || form == DW_FORM_data2 ||
           form == DW_FORM_data4 || form == DW_FORM_data8 ||
           form == DW_FORM_udata || form == DW_FORM_sdata ||
           form == DW_FORM_implicit_const;
}

/* Entry idx of a table of size-byte entries at base in section i. */
static bool table_entry(struct lookup *lk, enum sec i, uint64_t base,
                        uint64_t idx, unsigned size, uint64_t *out)
{
    uint64_t off;

    if (__builtin_mul_overflow(idx, size, &off) ||
        __builtin_add_overflow(off, base, &off))
        return false;
    struct cur c = cur_at(section(lk, i), off);
    *out = fixed(&c, size);
    return !c.bad;
}

/* A string attribute; bases are the unit's DW_AT_str_offsets_base (or
 * UINT64_MAX when it has none). */
static const char *form_string(struct lookup *lk, const struct form_ctx *fc,
                               uint64_t str_base, const struct val *v)
{
    uint64_t off;

    if (v->form == DW_FORM_string)
        return v->s;
    if (v->form == DW_FORM_strp)
        return str_at(lk, SEC_STR, v->u);
    if (v->form == DW_FORM_line_strp)
        return str_at(lk, SEC_LINE_STR, v->u);
    if (is_strx(v->form) && str_base != UINT64_MAX &&
        table_entry(lk, SEC_STR_OFFSETS, str_base, v->u, off_size(fc), &off))
        return str_at(lk, SEC_STR, off);
    return NULL;                /* supplementary files are not read */
}

/* ---- Line programs ---------------------------------------------------- */

struct line_prog {
    struct form_ctx fc;
    struct cur ops;             /* the opcodes, to the end of the unit */
    struct cur files;           /* the directory and file tables */
    const uint8_t *std_len;     /* opcode_base - 1 operand counts */
    uint8_t min_inst, max_ops, opcode_base, line_range;
    int8_t line_base;
};

struct row {
    uint64_t addr, file;
    int64_t line;
};

/* Reads the header of the line program whose contents body covers. */
static bool line_header(struct cur body, bool is64, struct line_prog *lp)
{
    memset(lp, 0, sizeof *lp);
    lp->fc.is64 = is64;
    lp->fc.version = u16(&body);
    lp->fc.addr_size = 8;
    if (lp->fc.version < 2 || lp->fc.version > 5)
        return false;
    if (lp->fc.version >= 5) {
        lp->fc.addr_size = u8(&body);
        if (u8(&body) != 0)             /* segment selectors: not x86 */
            return false;
    }
    uint64_t hlen = fixed(&body, off_size(&lp->fc));
    if (!need(&body, hlen))
        return false;
    struct cur hdr = { body.p, body.p + hlen, false };
    lp->ops = (struct cur){ body.p + hlen, body.end, false };
    lp->min_inst = u8(&hdr);
    lp->max_ops = lp->fc.version >= 4 ? u8(&hdr) : 1;
    u8(&hdr);                   /* default_is_stmt: every row counts */
    lp->line_base = (int8_t)u8(&hdr);
    lp->line_range = u8(&hdr);
    lp->opcode_base = u8(&hdr);
    lp->std_len = hdr.p;
    if (lp->opcode_base > 0)
        skip(&hdr, lp->opcode_base - 1u);
    lp->files = hdr;
    /* line_range divides; opcode 0 is always the extended escape. */
    return !hdr.bad && lp->line_range != 0 && lp->opcode_base != 0 &&
           (lp->fc.addr_size == 4 || lp->fc.addr_size == 8);
}

static bool step(struct lookup *lk)
{
    if (lk->steps == 0)
        return false;
    lk->steps--;
    return true;
}

/* Skips one DWARF 5 entry (a directory or a file) of the given formats,
 * keeping its DW_LNCT_path. */
static bool v5_entry(struct lookup *lk, const struct line_prog *lp,
                     struct cur fmt, uint8_t nfmt, struct cur *c,
                     struct val *path)
{
    if (!step(lk))              /* an entry of no fields costs a step too */
        return false;
    for (uint8_t k = 0; k < nfmt; k++) {
        uint64_t content = uleb(&fmt), form = uleb(&fmt);
        struct val v;
        if (!step(lk) || !form_value(&lp->fc, c, form, 0, &v))
            return false;
        if (content == DW_LNCT_path)
            *path = v;
    }
    return !fmt.bad;
}

/* The format list at c: its count and a cursor at its pairs. */
static uint8_t v5_formats(struct cur *c, struct cur *fmt)
{
    uint8_t n = u8(c);

    *fmt = *c;
    for (uint8_t k = 0; k < n && !c->bad; k++) {
        uleb(c);
        uleb(c);
    }
    return n;
}

static const char *v5_file(struct lookup *lk, const struct line_prog *lp,
                           uint64_t index)
{
    struct cur c = lp->files, fmt;
    struct val path = { 0 };
    uint8_t nfmt = v5_formats(&c, &fmt);

    for (uint64_t n = uleb(&c), k = 0; k < n; k++)     /* directories */
        if (!v5_entry(lk, lp, fmt, nfmt, &c, &path))
            return NULL;
    nfmt = v5_formats(&c, &fmt);
    uint64_t n = uleb(&c);
    for (uint64_t k = 0; k < n && k <= index; k++) {
        path = (struct val){ 0 };
        if (!v5_entry(lk, lp, fmt, nfmt, &c, &path))
            return NULL;
        if (k == index)
            return form_string(lk, &lp->fc, UINT64_MAX, &path);
    }
    return NULL;
}

/* DWARF 2-4: directories, then files numbered from 1. */
static const char *v4_file(struct lookup *lk, const struct line_prog *lp,
                           uint64_t index)
{
    struct cur c = lp->files;
    const char *s;

    while ((s = cstr(&c)) && *s)
        if (!step(lk))
            return NULL;
    for (uint64_t k = 1; (s = cstr(&c)) && *s && step(lk); k++) {
        if (k == index)
            return s;
        uleb(&c);               /* directory, time, size */
        uleb(&c);
        uleb(&c);
    }
    return NULL;                /* DW_LNE_define_file files are not kept */
}

static const char *line_file(struct lookup *lk, const struct line_prog *lp,
                             uint64_t index)
{
    return lp->fc.version >= 5 ? v5_file(lk, lp, index)
                               : v4_file(lk, lp, index);
}

/* The unit's own source file, to name it in a note: file 0 in DWARF 5,
 * file 1 before. */
static const char *line_unit_name(struct lookup *lk, const struct line_prog *lp)
{
    return basename_of(line_file(lk, lp, lp->fc.version >= 5 ? 0 : 1));
}

struct state {
    uint64_t addr, file, op_index;
    int64_t line;
};

static void advance(const struct line_prog *lp, struct state *st, uint64_t n)
{
    if (lp->max_ops <= 1) {
        st->addr += lp->min_inst * n;
        return;
    }
    st->addr += lp->min_inst * ((st->op_index + n) / lp->max_ops);
    st->op_index = (st->op_index + n) % lp->max_ops;
}

/* An extended opcode; true when it ended the sequence. */
static bool extended_op(struct cur *c, struct state *st)
{
    uint64_t len = uleb(c);

    if (len == 0 || !need(c, len))
        return false;
    struct cur e = { c->p, c->p + len, false };
    c->p += len;
    uint8_t sub = u8(&e);
    if (sub == DW_LNE_end_sequence)
        return true;
    if (sub == DW_LNE_set_address && len - 1 <= 8) {
        st->addr = fixed(&e, (unsigned)(len - 1));
        st->op_index = 0;
    }
    return false;
}

/* A standard opcode other than copy (which emits a row). */
static void standard_op(const struct line_prog *lp, struct cur *c,
                        struct state *st, uint8_t op)
{
    switch (op) {
    case DW_LNS_advance_pc: advance(lp, st, uleb(c)); break;
    case DW_LNS_advance_line: st->line += sleb(c); break;
    case DW_LNS_set_file: st->file = uleb(c); break;
    case DW_LNS_const_add_pc:
        advance(lp, st, (255u - lp->opcode_base) / lp->line_range);
        break;
    case DW_LNS_fixed_advance_pc:
        st->addr += u16(c);
        st->op_index = 0;
        break;
    case DW_LNS_negate_stmt: case DW_LNS_set_basic_block:
    case DW_LNS_set_prologue_end: case DW_LNS_set_epilogue_begin:
        break;
    default:                    /* set_column, set_isa, unknown ones */
        for (uint8_t k = 0; k < lp->std_len[op - 1] && !c->bad; k++)
            uleb(c);
    }
}

/* Runs the line program as a stream: a row covers [its address, the next
 * row's) within its sequence; the first row covering target wins (the
 * last of several rows at one address, as libdw picks).  No memory per
 * row: only the previous row is kept. */
static bool find_row(const struct line_prog *lp, uint64_t target,
                     struct row *hit)
{
    struct cur c = lp->ops;
    struct state st = { .file = 1, .line = 1 };
    struct row prev;
    bool have_prev = false;

    while (c.p < c.end && !c.bad) {
        uint8_t op = u8(&c);
        bool end = false;
        if (op >= lp->opcode_base) {
            unsigned adj = op - lp->opcode_base;
            advance(lp, &st, adj / lp->line_range);
            st.line += lp->line_base + (int)(adj % lp->line_range);
        } else if (op == 0) {
            end = extended_op(&c, &st);
            if (!end)
                continue;
        } else if (op != DW_LNS_copy) {
            standard_op(lp, &c, &st, op);
            continue;
        }
        if (have_prev && prev.addr <= target && target < st.addr) {
            *hit = prev;
            return true;
        }
        prev = (struct row){ st.addr, st.file, st.line };
        have_prev = !end;
        if (end)
            st = (struct state){ .file = 1, .line = 1 };
    }
    return false;
}

/* ---- Units and DIEs --------------------------------------------------- */

struct unit {
    struct form_ctx fc;
    const uint8_t *base;            /* .debug_info */
    uint64_t off, end;              /* [off, end) in .debug_info */
    struct cur dies;                /* from the first DIE to the end */
    struct span abbrev;             /* the table, to the section's end */
    struct cur scan;                /* how far the table has been indexed */
    uint32_t index[DW_ABBREV_INDEX]; /* code -> offset of its tag + 1 */
    uint64_t str_base, addr_base;   /* UINT64_MAX: none */
};

struct die {
    uint64_t off, tag;
    bool children;
    struct val name, low, high, stmt_list, origin, spec, sibling;
    struct val str_base, addr_base;
};

static struct val *die_slot(struct die *d, uint64_t at)
{
    switch (at) {
    case DW_AT_name: return &d->name;
    case DW_AT_low_pc: return &d->low;
    case DW_AT_high_pc: return &d->high;
    case DW_AT_stmt_list: return &d->stmt_list;
    case DW_AT_abstract_origin: return &d->origin;
    case DW_AT_specification: return &d->spec;
    case DW_AT_sibling: return &d->sibling;
    case DW_AT_str_offsets_base: return &d->str_base;
    case DW_AT_addr_base: case DW_AT_GNU_addr_base: return &d->addr_base;
    default: return NULL;
    }
}

/* Skips an abbreviation's attribute specifications, one step each. */
static bool skip_specs(struct lookup *lk, struct cur *c)
{
    for (;;) {
        uint64_t at = uleb(c), form = uleb(c);
        if (form == DW_FORM_implicit_const)
            sleb(c);
        if (c->bad || !step(lk))
            return false;
        if (at == 0 && form == 0)
            return true;
    }
}

/* The abbreviation for code: a cursor at its tag.  The table is indexed
 * as far as needed, once per unit; a code past the index is found by a
 * scan of the whole table. */
static bool find_abbrev(struct lookup *lk, struct unit *u, uint64_t code,
                        struct cur *out)
{
    if (code < DW_ABBREV_INDEX && u->index[code]) {
        *out = (struct cur){ u->abbrev.p + u->index[code] - 1,
                             u->abbrev.p + u->abbrev.size, false };
        return true;
    }
    bool indexing = !u->scan.bad;
    struct cur c = indexing ? u->scan : cur_at(u->abbrev, 0);
    for (;;) {
        uint64_t found = uleb(&c);
        size_t at = (size_t)(c.p - u->abbrev.p);
        if (found == 0 || c.bad || !step(lk))
            break;
        if (indexing && found < DW_ABBREV_INDEX && !u->index[found] &&
            at < UINT32_MAX)
            u->index[found] = (uint32_t)at + 1;
        *out = c;
        uleb(&c);               /* tag, children */
        u8(&c);
        if (!skip_specs(lk, &c))
            break;
        if (indexing)
            u->scan = c;
        if (found == code)
            return true;
    }
    if (indexing)
        u->scan.bad = true;     /* indexed to its end (or its break) */
    return false;
}

/* Reads the DIE at c (tag 0: a null entry, the end of a sibling list). */
static bool read_die(struct lookup *lk, struct unit *u, struct cur *c,
                     struct die *d)
{
    struct cur a;

    memset(d, 0, sizeof *d);
    d->off = (uint64_t)(c->p - u->base);
    uint64_t code = uleb(c);
    if (c->bad || !step(lk))
        return false;
    if (code == 0)
        return true;
    if (!find_abbrev(lk, u, code, &a))
        return false;
    d->tag = uleb(&a);
    d->children = u8(&a) == DW_CHILDREN_yes;
    for (;;) {
        uint64_t at = uleb(&a), form = uleb(&a);
        int64_t implicit = form == DW_FORM_implicit_const ? sleb(&a) : 0;
        struct val v, *slot;
        if (a.bad || !step(lk))
            return false;
        if (at == 0 && form == 0)
            return d->tag != 0;
        if (!form_value(&u->fc, c, form, implicit, &v))
            return false;
        if ((slot = die_slot(d, at)))
            *slot = v;
    }
}

/* The unit whose header is at off in .debug_info, with its first DIE
 * (the unit DIE) read into *cu. */
static bool unit_at(struct lookup *lk, uint64_t off, struct unit *u,
                    struct die *cu)
{
    struct span info = section(lk, SEC_INFO);
    struct cur c = cur_at(info, off);
    uint64_t len, abbrev_off;

    memset(u, 0, sizeof *u);
    u->base = info.p;
    u->off = off;
    u->end = info.size;
    if (off >= info.size)
        return false;
    struct cur body = unit_body(&c, &u->fc.is64, &len);
    u->end = (uint64_t)(c.p - info.p);
    u->fc.version = u16(&body);
    if (u->fc.version >= 5) {
        uint8_t type = u8(&body);
        u->fc.addr_size = u8(&body);
        abbrev_off = fixed(&body, off_size(&u->fc));
        if (type == DW_UT_skeleton || type == DW_UT_split_compile)
            skip(&body, 8);
        else if (type == DW_UT_type || type == DW_UT_split_type)
            skip(&body, 8 + off_size(&u->fc));
    } else {
        abbrev_off = fixed(&body, off_size(&u->fc));
        u->fc.addr_size = u8(&body);
    }
    struct span ab = section(lk, SEC_ABBREV);
    if (body.bad || u->fc.version < 2 || u->fc.version > 5 ||
        (u->fc.addr_size != 4 && u->fc.addr_size != 8) || !ab.p ||
        abbrev_off > ab.size)
        return false;
    u->dies = body;
    u->abbrev = (struct span){ ab.p + abbrev_off, ab.size - abbrev_off };
    u->scan = cur_at(u->abbrev, 0);
    struct cur at = body;
    if (!read_die(lk, u, &at, cu) || cu->tag == 0)
        return false;
    u->str_base = cu->str_base.form ? cu->str_base.u : UINT64_MAX;
    u->addr_base = cu->addr_base.form ? cu->addr_base.u : UINT64_MAX;
    return true;
}

static bool die_addr(struct lookup *lk, const struct unit *u,
                     const struct val *v, uint64_t *out)
{
    if (v->form == DW_FORM_addr) {
        *out = v->u;
        return true;
    }
    return is_addrx(v->form) && u->addr_base != UINT64_MAX &&
           table_entry(lk, SEC_ADDR, u->addr_base, v->u, u->fc.addr_size, out);
}

/* [low, high) of a DIE with DW_AT_low_pc and DW_AT_high_pc (an address,
 * or since DWARF 4 a length). */
static bool die_pc(struct lookup *lk, const struct unit *u,
                   const struct die *d, uint64_t *low, uint64_t *high)
{
    if (!die_addr(lk, u, &d->low, low))
        return false;
    if (is_constant(d->high.form)) {
        *high = *low + d->high.u;
        return true;
    }
    return die_addr(lk, u, &d->high, high);
}

/* The .debug_info offset a reference names, if inside this unit. */
static bool ref_target(const struct unit *u, const struct val *v,
                       uint64_t *off)
{
    switch (v->form) {
    case DW_FORM_ref1: case DW_FORM_ref2: case DW_FORM_ref4:
    case DW_FORM_ref8: case DW_FORM_ref_udata:
        *off = u->off + v->u;
        break;
    case DW_FORM_ref_addr:
        *off = v->u;
        break;
    default:
        return false;
    }
    return *off > u->off && *off < u->end;
}

/* A DIE's name, through DW_AT_abstract_origin and DW_AT_specification
 * (an out-of-line copy of an inline function, a definition of a
 * declaration), at most four links deep. */
static const char *die_name(struct lookup *lk, struct unit *u, struct die d)
{
    for (int hops = 0; hops < 4; hops++) {
        uint64_t off;
        if (d.name.form) {
            const char *s = form_string(lk, &u->fc, u->str_base, &d.name);
            return s && *s ? s : NULL;
        }
        if (!ref_target(u, d.origin.form ? &d.origin : &d.spec, &off))
            return NULL;
        struct cur c = cur_at(section(lk, SEC_INFO), off);
        if (!read_die(lk, u, &c, &d))
            return NULL;
    }
    return NULL;
}

/* The top-level DW_TAG_subprogram of the unit whose DW_AT_low_pc and
 * DW_AT_high_pc hold addr.  Children are skipped through DW_AT_sibling
 * when it points forward, else walked. */
static const char *unit_function(struct lookup *lk, struct unit *u,
                                 const struct die *cu, uint64_t addr,
                                 uint64_t *low)
{
    struct cur c = u->dies;
    struct die d;
    uint64_t depth = 0, lo, hi;

    if (!read_die(lk, u, &c, &d) || !cu->children)
        return NULL;            /* the unit DIE itself, read again */
    while (c.p < c.end && read_die(lk, u, &c, &d)) {
        if (d.tag == 0) {
            if (depth-- == 0)
                return NULL;    /* the end of the unit's children */
            continue;
        }
        if (depth == 0 && d.tag == DW_TAG_subprogram &&
            die_pc(lk, u, &d, &lo, &hi) && lo <= addr && addr < hi) {
            const char *name = die_name(lk, u, d);
            if (name) {
                *low = lo;
                return name;
            }
        }
        uint64_t next;
        if (d.children && depth == 0 && ref_target(u, &d.sibling, &next) &&
            next > (uint64_t)(c.p - u->base))
            c.p = u->base + next;
        else if (d.children)
            depth++;
    }
    return NULL;
}

/* ---- From an address to its unit ------------------------------------- */

/* The .debug_info offset of the unit .debug_aranges gives for addr. */
static bool aranges_unit(struct lookup *lk, uint64_t addr, uint64_t *info_off)
{
    struct span ar = section(lk, SEC_ARANGES);
    struct cur c = cur_at(ar, 0);

    if (ar.size > DW_ARANGES_MAX)
        return false;           /* the line tables are searched instead */
    while (c.p < c.end && !c.bad) {
        const uint8_t *set = c.p;
        bool is64;
        uint64_t len;
        struct cur body = unit_body(&c, &is64, &len);
        u16(&body);             /* version 2 */
        uint64_t off = fixed(&body, is64 ? 8 : 4);
        uint8_t as = u8(&body), seg = u8(&body);
        if (body.bad || (as != 4 && as != 8) || seg != 0)
            continue;
        /* Tuples start at a multiple of their size from the set's start. */
        size_t used = (size_t)(body.p - set), tuple = (size_t)2 * as;
        skip(&body, (tuple - used % tuple) % tuple);
        while (!body.bad) {
            uint64_t start = fixed(&body, as), size = fixed(&body, as);
            if (body.bad || (start == 0 && size == 0))
                break;
            if (addr - start < size) {
                *info_off = off;
                return true;
            }
        }
    }
    return false;
}

/* The unit whose DW_AT_stmt_list is line_off, by reading every unit DIE
 * (used without .debug_aranges; steps bound it). */
static bool unit_of_lines(struct lookup *lk, uint64_t line_off,
                          struct unit *u, struct die *cu)
{
    struct span info = section(lk, SEC_INFO);

    for (uint64_t off = 0; off < info.size; off = u->end) {
        bool ok = unit_at(lk, off, u, cu);
        if (ok && cu->stmt_list.form && cu->stmt_list.u == line_off)
            return true;
        if (!ok && (lk->steps == 0 || u->end <= off))
            return false;
    }
    return false;
}

/* ---- Lookups ---------------------------------------------------------- */

struct line_hit {
    const char *file;
    int line;
    uint64_t unit;              /* .debug_line offset of its program */
};

static void size_note(struct lookup *lk, const char *what, const char *name,
                      uint64_t have, uint64_t max)
{
    char h[32], m[32];

    note(lk, "source lines skipped: the line table of %s%s is %s, more "
         "than the %s a crash report decodes", what, name,
         size_text(have, h, sizeof h), format_size(max, m, sizeof m));
}

enum lines_result { LINES_NOT_HERE, LINES_FOUND, LINES_TOO_BIG, LINES_BUDGET };

/* What each unit costs the scan besides the program it decodes, so that a
 * section of empty units is bounded too. */
#define UNIT_CHARGE 16

/* Looks for addr in the line program at off; *next is the offset after
 * it, *left what the lookup may still decode (the program is charged). */
static enum lines_result lines_at(struct lookup *lk, uint64_t off,
                                  uint64_t addr, uint64_t *next,
                                  uint64_t *left, struct line_hit *hit)
{
    struct span sec = section(lk, SEC_LINE);
    struct cur c = cur_at(sec, off);
    struct line_prog lp;
    struct row row;
    bool is64;
    uint64_t len;
    char where[48];

    struct cur body = unit_body(&c, &is64, &len);
    *next = c.bad ? sec.size : (uint64_t)(c.p - sec.p);
    if (c.bad || !line_header(body, is64, &lp))
        return LINES_NOT_HERE;
    if (len > DW_LINE_UNIT_MAX) {
        const char *name = line_unit_name(lk, &lp);
        snprintf(where, sizeof where, "the unit at .debug_line+0x%llx",
                 (unsigned long long)off);
        size_note(lk, name ? "unit " : "", name ? name : where, len,
                  DW_LINE_UNIT_MAX);
        return LINES_TOO_BIG;
    }
    if (len > *left)
        return LINES_BUDGET;
    *left -= len;
    if (!find_row(&lp, addr, &row) || row.line <= 0 || row.line > INT32_MAX)
        return LINES_NOT_HERE;
    const char *file = basename_of(line_file(lk, &lp, row.file));
    if (!file)
        return LINES_NOT_HERE;
    *hit = (struct line_hit){ file, (int)row.line, off };
    return LINES_FOUND;
}

static void budget_note(struct lookup *lk, uint64_t addr)
{
    char have[32], max[32];

    note(lk, "source lines skipped: finding 0x%llx in .debug_line (%s) "
         "needs more than the %s of line tables a crash report decodes "
         "per address", (unsigned long long)addr,
         size_text(section(lk, SEC_LINE).size, have, sizeof have),
         format_size(DW_LINE_SCAN_MAX, max, sizeof max));
}

/* Every line program in .debug_line, in order, within DW_LINE_SCAN_MAX. */
static bool scan_lines(struct lookup *lk, uint64_t addr, uint64_t left,
                       struct line_hit *hit)
{
    struct span sec = section(lk, SEC_LINE);
    uint64_t next;

    for (uint64_t off = 0; off < sec.size; off = next) {
        enum lines_result r = lines_at(lk, off, addr, &next, &left, hit);
        if (r == LINES_FOUND)
            return true;
        if (r == LINES_BUDGET || left < UNIT_CHARGE) {
            budget_note(lk, addr);
            return false;
        }
        left -= UNIT_CHARGE;
    }
    return false;
}

/* cu is NULL when the steps ran out before the unit DIE was read. */
static void steps_note(struct lookup *lk, struct unit *u, const struct die *cu,
                       uint64_t addr)
{
    char where[48];
    const char *name = NULL;

    lk->steps = DW_STEPS_MAX;       /* for reading the unit's name */
    if (cu)
        name = basename_of(form_string(lk, &u->fc, u->str_base, &cu->name));
    if (!name) {
        snprintf(where, sizeof where, "at .debug_info+0x%llx",
                 (unsigned long long)u->off);
        name = where;
    }
    note(lk, "function name skipped: finding 0x%llx in the DIEs of unit %s "
         "takes more than the %u steps a crash report takes per address",
         (unsigned long long)addr, name, DW_STEPS_MAX);
}

/* The DWARF function for addr, from the unit aranges named, else from the
 * unit whose line program held addr. */
static void find_function(struct lookup *lk, uint64_t addr, struct unit *u,
                          struct die *cu, bool have_unit,
                          const struct line_hit *hit, struct dw_answer *out)
{
    if (!have_unit && hit)
        have_unit = unit_of_lines(lk, hit->unit, u, cu);
    if (have_unit)
        out->function = unit_function(lk, u, cu, addr, &out->function_low);
    if (!out->function && lk->steps == 0)
        steps_note(lk, u, have_unit ? cu : NULL, addr);
}

void dw_lookup(struct dwarf *d, uint64_t addr, bool want_function,
               struct dw_answer *out)
{
    char line_note[DW_NOTE_MAX] = "", fn_note[DW_NOTE_MAX] = "";
    struct lookup lk = { d, DW_STEPS_MAX, line_note };
    struct unit u = { .off = 0 };      /* steps_note may name it */
    struct die cu;
    struct line_hit hit;
    uint64_t info_off, left = DW_LINE_SCAN_MAX, next;
    enum lines_result r = LINES_NOT_HERE;

    memset(out, 0, sizeof *out);
    if (!d)
        return;
    bool have_unit = aranges_unit(&lk, addr, &info_off) &&
                     unit_at(&lk, info_off, &u, &cu);
    if (have_unit && cu.stmt_list.form)
        r = lines_at(&lk, cu.stmt_list.u, addr, &next, &left, &hit);
    /* A unit too big to decode is the answer's unit: no other can hold
     * addr, as the aranges say.  Without them, or when they lie, every
     * line program is searched. */
    if (r == LINES_NOT_HERE && scan_lines(&lk, addr, left, &hit))
        r = LINES_FOUND;
    if (r == LINES_FOUND) {
        out->file = hit.file;
        out->line = hit.line;
    }
    if (want_function) {
        lk = (struct lookup){ d, DW_STEPS_MAX, fn_note };
        find_function(&lk, addr, &u, &cu, have_unit,
                      r == LINES_FOUND ? &hit : NULL, out);
    }
    snprintf(out->note, sizeof out->note, "%s",
             r != LINES_FOUND && line_note[0] ? line_note : fn_note);
}
