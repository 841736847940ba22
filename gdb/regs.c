/* The x86-64 registers as gdb's "i386:x86-64" description has them, from
 * one table: it gives the target description's <reg> lines, the 'g'
 * layout and the p/P numbers, so the three cannot disagree.  gdb numbers
 * the registers of a description in document order (GDB manual, "Target
 * Description Format", the regnum attribute); the features and types
 * follow gdb's own gdb/features/i386/64bit-{core,sse,segments,avx}.xml,
 * so gdb's i386 code finds every register it requires by name. */
#include "gdb/gdb.h"
#include "common/common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum feature { FEAT_CORE, FEAT_SSE, FEAT_SEGMENTS, FEAT_AVX, FEAT_COUNT };

struct reg_desc {
    const char *name;
    const char *type;
    const char *group;          /* NULL: gdb's default for the type */
    size_t offset;              /* in struct gdb_regs */
    unsigned bits;
    enum feature feature;
};

#define R(f, bits, type, group, feat) \
    { #f, type, group, offsetof(struct gdb_regs, f), bits, feat }
#define GPR(f, type)  R(f, 64, type, NULL, FEAT_CORE)
#define SEG(f)        R(f, 32, "int32", NULL, FEAT_CORE)
#define FPU(f)        R(f, 32, "int", "float", FEAT_CORE)
#define ARR(name, f, i, bits, type, feat) \
    { name, type, NULL, \
      offsetof(struct gdb_regs, f) + (i) * sizeof(((struct gdb_regs *)0)->f[0]), \
      bits, feat }
#define ST(i)   ARR("st" #i, st, i, 80, "i387_ext", FEAT_CORE)
#define XMM(i)  ARR("xmm" #i, xmm, i, 128, "vec128", FEAT_SSE)
#define YMMH(i) ARR("ymm" #i "h", ymmh, i, 128, "uint128", FEAT_AVX)

/* In gdb's order: the index is gdb's register number. */
static const struct reg_desc regs[] = {
    GPR(rax, "int64"), GPR(rbx, "int64"), GPR(rcx, "int64"), GPR(rdx, "int64"),
    GPR(rsi, "int64"), GPR(rdi, "int64"),
    GPR(rbp, "data_ptr"), GPR(rsp, "data_ptr"),
    GPR(r8, "int64"), GPR(r9, "int64"), GPR(r10, "int64"), GPR(r11, "int64"),
    GPR(r12, "int64"), GPR(r13, "int64"), GPR(r14, "int64"), GPR(r15, "int64"),
    GPR(rip, "code_ptr"),
    R(eflags, 32, "i386_eflags", NULL, FEAT_CORE),
    SEG(cs), SEG(ss), SEG(ds), SEG(es), SEG(fs), SEG(gs),
    ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
    FPU(fctrl), FPU(fstat), FPU(ftag), FPU(fiseg),
    FPU(fioff), FPU(foseg), FPU(fooff), FPU(fop),
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
    R(mxcsr, 32, "i386_mxcsr", "vector", FEAT_SSE),
    R(fs_base, 64, "int", NULL, FEAT_SEGMENTS),
    R(gs_base, 64, "int", NULL, FEAT_SEGMENTS),
    YMMH(0), YMMH(1), YMMH(2), YMMH(3), YMMH(4), YMMH(5), YMMH(6), YMMH(7),
    YMMH(8), YMMH(9), YMMH(10), YMMH(11), YMMH(12), YMMH(13), YMMH(14), YMMH(15),
};

_Static_assert(ARRAY_SIZE(regs) == GDB_REGS_AVX, "register table and count");

unsigned gdb_reg_count(const struct gdb_target *t)
{
    return t->avx ? GDB_REGS_AVX : GDB_REGS_NO_AVX;
}

const char *gdb_reg_name(unsigned regno)
{
    return regno < ARRAY_SIZE(regs) ? regs[regno].name : NULL;
}

size_t gdb_reg_size(unsigned regno)
{
    return regno < ARRAY_SIZE(regs) ? regs[regno].bits / 8 : 0;
}

/* x86 is little-endian and so is gdb's view of it: the struct's bytes are
 * the wire's bytes, no swapping. */
static const uint8_t *reg_bytes(const struct gdb_regs *r, unsigned regno)
{
    return (const uint8_t *)r + regs[regno].offset;
}

static size_t layout_size(const struct gdb_target *t)
{
    size_t n = 0;
    for (unsigned i = 0; i < gdb_reg_count(t); i++)
        n += gdb_reg_size(i);
    return n;
}

int gdb_reply_regs(uint8_t *buf, size_t cap, const struct gdb_target *t,
                   const struct gdb_regs *r)
{
    struct gdb_out o;

    gdb_out_begin(&o, buf, cap);
    for (unsigned i = 0; i < gdb_reg_count(t); i++)
        gdb_out_hex(&o, reg_bytes(r, i), gdb_reg_size(i));
    return gdb_out_end(&o);
}

int gdb_regs_from_bytes(struct gdb_regs *r, const struct gdb_target *t,
                        const uint8_t *bytes, size_t n)
{
    if (n != layout_size(t))
        return -EINVAL;
    for (unsigned i = 0; i < gdb_reg_count(t); i++) {
        memcpy((uint8_t *)r + regs[i].offset, bytes, gdb_reg_size(i));
        bytes += gdb_reg_size(i);
    }
    return 0;
}

int gdb_reply_reg(uint8_t *buf, size_t cap, const struct gdb_target *t,
                  const struct gdb_regs *r, unsigned regno)
{
    struct gdb_out o;

    if (regno >= gdb_reg_count(t))
        return -ERANGE;
    gdb_out_begin(&o, buf, cap);
    gdb_out_hex(&o, reg_bytes(r, regno), gdb_reg_size(regno));
    return gdb_out_end(&o);
}

int gdb_reg_set(struct gdb_regs *r, const struct gdb_target *t,
                unsigned regno, const uint8_t *bytes, size_t n)
{
    if (regno >= gdb_reg_count(t))
        return -ERANGE;
    if (n != gdb_reg_size(regno))
        return -EINVAL;
    memcpy((uint8_t *)r + regs[regno].offset, bytes, n);
    return 0;
}

/* ---- The target description ------------------------------------------------ */

/* Each feature's name and the types its registers use that gdb does not
 * predefine (the flags and the vector union, as in gdb's own files). */
static const struct {
    const char *name;
    const char *types;
} features[FEAT_COUNT] = {
    [FEAT_CORE] = { "org.gnu.gdb.i386.core",
        "<flags id=\"i386_eflags\" size=\"4\">"
        "<field name=\"CF\" start=\"0\" end=\"0\"/>"
        "<field name=\"\" start=\"1\" end=\"1\"/>"
        "<field name=\"PF\" start=\"2\" end=\"2\"/>"
        "<field name=\"AF\" start=\"4\" end=\"4\"/>"
        "<field name=\"ZF\" start=\"6\" end=\"6\"/>"
        "<field name=\"SF\" start=\"7\" end=\"7\"/>"
        "<field name=\"TF\" start=\"8\" end=\"8\"/>"
        "<field name=\"IF\" start=\"9\" end=\"9\"/>"
        "<field name=\"DF\" start=\"10\" end=\"10\"/>"
        "<field name=\"OF\" start=\"11\" end=\"11\"/>"
        "<field name=\"NT\" start=\"14\" end=\"14\"/>"
        "<field name=\"RF\" start=\"16\" end=\"16\"/>"
        "<field name=\"VM\" start=\"17\" end=\"17\"/>"
        "<field name=\"AC\" start=\"18\" end=\"18\"/>"
        "<field name=\"VIF\" start=\"19\" end=\"19\"/>"
        "<field name=\"VIP\" start=\"20\" end=\"20\"/>"
        "<field name=\"ID\" start=\"21\" end=\"21\"/>"
        "</flags>\n" },
    [FEAT_SSE] = { "org.gnu.gdb.i386.sse",
        "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
        "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
        "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
        "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
        "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
        "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
        "<union id=\"vec128\">"
        "<field name=\"v4_float\" type=\"v4f\"/>"
        "<field name=\"v2_double\" type=\"v2d\"/>"
        "<field name=\"v16_int8\" type=\"v16i8\"/>"
        "<field name=\"v8_int16\" type=\"v8i16\"/>"
        "<field name=\"v4_int32\" type=\"v4i32\"/>"
        "<field name=\"v2_int64\" type=\"v2i64\"/>"
        "<field name=\"uint128\" type=\"uint128\"/>"
        "</union>\n"
        "<flags id=\"i386_mxcsr\" size=\"4\">"
        "<field name=\"IE\" start=\"0\" end=\"0\"/>"
        "<field name=\"DE\" start=\"1\" end=\"1\"/>"
        "<field name=\"ZE\" start=\"2\" end=\"2\"/>"
        "<field name=\"OE\" start=\"3\" end=\"3\"/>"
        "<field name=\"UE\" start=\"4\" end=\"4\"/>"
        "<field name=\"PE\" start=\"5\" end=\"5\"/>"
        "<field name=\"DAZ\" start=\"6\" end=\"6\"/>"
        "<field name=\"IM\" start=\"7\" end=\"7\"/>"
        "<field name=\"DM\" start=\"8\" end=\"8\"/>"
        "<field name=\"ZM\" start=\"9\" end=\"9\"/>"
        "<field name=\"OM\" start=\"10\" end=\"10\"/>"
        "<field name=\"UM\" start=\"11\" end=\"11\"/>"
        "<field name=\"PM\" start=\"12\" end=\"12\"/>"
        "<field name=\"FZ\" start=\"15\" end=\"15\"/>"
        "</flags>\n" },
    [FEAT_SEGMENTS] = { "org.gnu.gdb.i386.segments", "" },
    [FEAT_AVX] = { "org.gnu.gdb.i386.avx", "" },
};

static const char xml_head[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386:x86-64</architecture>\n";
static const char xml_tail[] = "</target>\n";

/* Writes the window [offset, offset + cap) of a document produced piece
 * by piece, and counts the whole: the description is never held whole. */
struct window {
    uint64_t offset;
    char *out;
    size_t cap;
    uint64_t pos;
};

static void win_put(struct window *w, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, w->pos++)
        if (w->pos >= w->offset && w->pos - w->offset < w->cap)
            w->out[w->pos - w->offset] = s[i];
}

static void win_str(struct window *w, const char *s)
{
    win_put(w, s, strlen(s));
}

static void win_reg(struct window *w, unsigned regno)
{
    const struct reg_desc *d = &regs[regno];
    char line[160];
    int n = snprintf(line, sizeof line,
                     "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\"%s%s%s/>\n",
                     d->name, d->bits, d->type, d->group ? " group=\"" : "",
                     d->group ? d->group : "", d->group ? "\"" : "");
    win_put(w, line, (size_t)n);
}

size_t gdb_target_xml(const struct gdb_target *t, uint64_t offset,
                      char *out, size_t cap)
{
    struct window w = { .offset = offset, .out = out, .cap = cap };
    unsigned n = gdb_reg_count(t);
    unsigned i = 0;

    win_str(&w, xml_head);
    for (int f = 0; f < FEAT_COUNT && i < n; f++) {
        win_str(&w, "<feature name=\"");
        win_str(&w, features[f].name);
        win_str(&w, "\">\n");
        win_str(&w, features[f].types);
        /* The table is sorted by feature: its registers follow. */
        for (; i < n && regs[i].feature == (enum feature)f; i++)
            win_reg(&w, i);
        win_str(&w, "</feature>\n");
    }
    win_str(&w, xml_tail);
    return (size_t)w.pos;
}
