/* Crash reports and register dumps: the words a guest author reads. */
#include "cli.h"

#include <signal.h>
#include <string.h>

/* SDM Vol. 3A, 4.7: page-fault error code bits. */
#define PF_PRESENT (1u << 0)
#define PF_WRITE   (1u << 1)
#define PF_USER    (1u << 2)
#define PF_FETCH   (1u << 4)

/* Frames a report symbolizes: with the RIP looked up once, a report makes
 * at most 16 lookups, each bounded in time and memory (symbolize/dwarf.h). */
#define BACKTRACE_MAX 16

/* The notes a report has printed: each distinct one once, after the first
 * line whose location it explains. */
struct notes {
    char seen[BACKTRACE_MAX][SYMBOLIZE_NOTE_MAX];
    size_t n;
};

static void print_note(FILE *f, const struct crash_context *ctx,
                       struct notes *notes, const char *note)
{
    if (!note[0])
        return;
    for (size_t i = 0; i < notes->n; i++)
        if (strcmp(notes->seen[i], note) == 0)
            return;
    if (notes->n < BACKTRACE_MAX)
        snprintf(notes->seen[notes->n++], SYMBOLIZE_NOTE_MAX, "%s", note);
    fprintf(f, "%s  note: %s\n", ctx->prefix, note);
}

/* Why a page fault at cr2 happened, from the memory map the tables were
 * built from.  NULL when nothing more useful than the error code is known. */
static const char *page_fault_hint(const struct crash_context *ctx,
                                   uint64_t cr2, unsigned error, char *buf,
                                   size_t len)
{
    const struct guest_layout *l = ctx->layout;
    const struct mem_region *r = paging_region_at(ctx->map, cr2);
    char size[32];

    if (cr2 < KVMELF_PAGE_SIZE)
        return "NULL pointer dereference (page 0 is never mapped)";
    if (cr2 >= l->guard && cr2 < l->stack_bottom) {
        snprintf(buf, len, "stack overflow: the access hit the guard page "
                 "below the %s stack (more with --stack)",
                 format_size(l->stack_size, size, sizeof size));
        return buf;
    }
    if (cr2 >= l->ram_size)
        return "address beyond guest RAM (more with --mem)";
    if (cr2 < KVMELF_RESERVED_END && (!r || !(r->attrs & PAGE_USER)))
        return "address in the monitor's reserved first MiB";
    if (r && (error & PF_FETCH) && !(r->attrs & PAGE_EXEC))
        return "instruction fetch from a non-executable page (W^X: only "
               "text segments are executable)";
    if (r && (error & PF_WRITE) && !(r->attrs & PAGE_WRITE))
        return "write to read-only memory";
    return NULL;
}

static void print_page_fault(FILE *f, const struct run_result *res,
                             const struct crash_context *ctx)
{
    unsigned e = (unsigned)res->crash.error_code;
    uint64_t cr2 = res->sregs.cr2;
    const char *access = (e & PF_FETCH) ? "instruction fetch from"
                         : (e & PF_WRITE) ? "write to" : "read from";
    const struct mem_region *r = paging_region_at(ctx->map, cr2);

    fprintf(f, "%s  %s address 0x%llx (CR2) in %s: %s, %s mode\n",
            ctx->prefix, access, (unsigned long long)cr2,
            r ? r->what : "unmapped memory",
            (e & PF_PRESENT) ? "protection violation" : "page not present",
            (e & PF_USER) ? "user" : "kernel");
    char buf[160];
    const char *hint = page_fault_hint(ctx, cr2, e, buf, sizeof buf);
    if (hint)
        fprintf(f, "%s  hint: %s\n", ctx->prefix, hint);
}

static void print_headline(FILE *f, const struct crash_info *c, bool ring0)
{
    switch (c->kind) {
    case CRASH_EXCEPTION:
        fprintf(f, "%s in %s (vector %u", x86_vector_name(c->vector),
                c->from_user ? "ring 3" : "ring 0", c->vector);
        if (x86_vector_has_error_code(c->vector))
            fprintf(f, ", error code 0x%llx", (unsigned long long)c->error_code);
        fputc(')', f);
        break;
    case CRASH_PRIVILEGED:
        fprintf(f, "privileged instruction in ring 3 (%s); run with --ring0 "
                "if the guest manages the CPU itself", c->what);
        break;
    case CRASH_TRIPLE_FAULT:
        fprintf(f, "triple fault (the CPU shut down: an exception while "
                "handling an exception)");
        break;
    case CRASH_FAIL_ENTRY:
        fprintf(f, "KVM could not enter the guest (hardware reason 0x%llx): "
                "invalid CPU state", (unsigned long long)c->detail);
        break;
    case CRASH_EMULATION:
        fprintf(f, "KVM could not emulate an instruction (internal error, "
                "suberror %llu)%s", (unsigned long long)c->detail,
                ring0 ? "; ring-0 code is emulated on some hosts (kvm_pvm) "
                        "where instructions such as SSE fail: try without "
                        "--ring0" : "");
        break;
    case CRASH_MMIO:
        fprintf(f, "%s of guest-physical address 0x%llx, beyond guest RAM",
                c->what, (unsigned long long)c->detail);
        break;
    case CRASH_BAD_IO:
        fprintf(f, "%s (--strict-io)", c->what);
        break;
    case CRASH_BAD_FRAME:
        fprintf(f, "write to the monitor's exception port 0x%x outside an "
                "exception stub", KVMELF_PORT_TRAP);
        break;
    }
}

/* Follows saved RBP through guest memory (guests are built with frame
 * pointers); backtrace_fp stops at anything implausible.  Frame 0 is the
 * RIP the "at" line has already looked up (*at). */
static void print_backtrace(FILE *f, const struct run_result *res,
                            const struct crash_context *ctx,
                            const struct code_location *at,
                            struct notes *notes)
{
    uint64_t frames[BACKTRACE_MAX];
    size_t n = backtrace_fp(ctx->gm, res->crash.rip, res->regs.rbp,
                            res->regs.rsp, ctx->layout->ram_size, frames,
                            BACKTRACE_MAX);

    fprintf(f, "%s  backtrace:\n", ctx->prefix);
    for (size_t i = 0; i < n; i++) {
        struct code_location loc;
        char buf[256];
        if (i == 0)
            loc = *at;
        else
            symbolize(ctx->symbolizer, frames[i], true, &loc);
        fprintf(f, "%s    #%zu 0x%llx", ctx->prefix, i,
                (unsigned long long)frames[i]);
        if (loc.function || loc.file)
            fprintf(f, " %s", format_location(&loc, frames[i], buf, sizeof buf));
        fputc('\n', f);
        print_note(f, ctx, notes, loc.note);
    }
}

static void print_gprs(FILE *f, const char *indent, const struct guest_regs *r)
{
    const struct { const char *name; uint64_t value; } rows[] = {
        { "rax", r->rax }, { "rbx", r->rbx }, { "rcx", r->rcx },
        { "rdx", r->rdx }, { "rsi", r->rsi }, { "rdi", r->rdi },
        { "rbp", r->rbp }, { "rsp", r->rsp }, { "r8", r->r8 },
        { "r9", r->r9 }, { "r10", r->r10 }, { "r11", r->r11 },
        { "r12", r->r12 }, { "r13", r->r13 }, { "r14", r->r14 },
        { "r15", r->r15 }, { "rip", r->rip }, { "rflags", r->rflags },
    };

    for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
        fprintf(f, "%s%6s 0x%016llx%s", i % 3 ? "" : indent, rows[i].name,
                (unsigned long long)rows[i].value,
                i % 3 == 2 || i + 1 == ARRAY_SIZE(rows) ? "\n" : "  ");
}

void report_crash(FILE *f, const struct run_result *res,
                  const struct crash_context *ctx)
{
    const struct crash_info *c = &res->crash;
    struct code_location at;
    struct notes notes = { .n = 0 };
    char buf[256];

    fprintf(f, "%sguest crashed: ", ctx->prefix);
    print_headline(f, c, ctx->ring0);
    /* "main+0x3a (crash.c:42)" */
    symbolize(ctx->symbolizer, c->rip, false, &at);
    fprintf(f, "\n%s  at %s, RIP 0x%llx, RSP 0x%llx\n", ctx->prefix,
            format_location(&at, c->rip, buf, sizeof buf),
            (unsigned long long)c->rip, (unsigned long long)c->rsp);
    print_note(f, ctx, &notes, at.note);
    if (c->kind == CRASH_EXCEPTION && c->vector == X86_VEC_PF)
        print_page_fault(f, res, ctx);
    if (!res->have_regs)
        return;
    print_backtrace(f, res, ctx, &at, &notes);
    print_gprs(f, ctx->prefix, &res->regs);
}

struct bit_name { uint64_t bit; const char *name; };

static void print_bits(FILE *f, const char *reg, uint64_t value,
                       const struct bit_name *bits, size_t n)
{
    fprintf(f, "%6s 0x%016llx [", reg, (unsigned long long)value);
    const char *sep = "";
    for (size_t i = 0; i < n; i++) {
        if (value & bits[i].bit) {
            fprintf(f, "%s%s", sep, bits[i].name);
            sep = " ";
        }
    }
    fputs("]\n", f);
}

static void print_segment(FILE *f, const char *name,
                          const struct guest_segment *s)
{
    fprintf(f, "%6s 0x%04x dpl %u base 0x%llx\n", name, s->selector, s->dpl,
            (unsigned long long)s->base);
}

void report_regs(FILE *f, const struct run_result *res)
{
    static const struct bit_name cr0[] = {
        { X86_CR0_PE, "PE" }, { X86_CR0_MP, "MP" }, { X86_CR0_ET, "ET" },
        { X86_CR0_NE, "NE" }, { X86_CR0_WP, "WP" }, { X86_CR0_PG, "PG" },
    };
    static const struct bit_name cr4[] = {
        { X86_CR4_PAE, "PAE" }, { X86_CR4_OSFXSR, "OSFXSR" },
        { X86_CR4_OSXMMEXCPT, "OSXMMEXCPT" }, { X86_CR4_OSXSAVE, "OSXSAVE" },
    };
    static const struct bit_name efer[] = {
        { X86_EFER_SCE, "SCE" }, { X86_EFER_LME, "LME" },
        { X86_EFER_LMA, "LMA" }, { X86_EFER_NXE, "NXE" },
    };
    const struct guest_sregs *s = &res->sregs;

    if (res->have_regs)
        print_gprs(f, "", &res->regs);
    if (!res->have_sregs)
        return;
    print_bits(f, "cr0", s->cr0, cr0, ARRAY_SIZE(cr0));
    fprintf(f, "%6s 0x%016llx\n%6s 0x%016llx\n", "cr2",
            (unsigned long long)s->cr2, "cr3", (unsigned long long)s->cr3);
    print_bits(f, "cr4", s->cr4, cr4, ARRAY_SIZE(cr4));
    print_bits(f, "efer", s->efer, efer, ARRAY_SIZE(efer));
    print_segment(f, "cs", &s->cs);
    print_segment(f, "ss", &s->ss);
    print_segment(f, "ds", &s->ds);
    print_segment(f, "es", &s->es);
    print_segment(f, "fs", &s->fs);
    print_segment(f, "gs", &s->gs);
    print_segment(f, "tr", &s->tr);
    fprintf(f, "%6s base 0x%llx limit 0x%x\n%6s base 0x%llx limit 0x%x\n",
            "gdt", (unsigned long long)s->gdt_base, s->gdt_limit,
            "idt", (unsigned long long)s->idt_base, s->idt_limit);
}
