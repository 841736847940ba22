/* Crash reports and register dumps: the words a guest author reads. */
#include "cli.h"

#include <signal.h>

/* SDM Vol. 3A, 4.7: page-fault error code bits. */
#define PF_PRESENT (1u << 0)
#define PF_WRITE   (1u << 1)
#define PF_USER    (1u << 2)
#define PF_FETCH   (1u << 4)

int crash_signal(const struct crash_info *c)
{
    if (c->kind == CRASH_MMIO)
        return SIGBUS;
    if (c->kind == CRASH_EMULATION)
        return SIGILL;
    if (c->kind != CRASH_EXCEPTION)
        return SIGSEGV;
    switch (c->vector) {
    case X86_VEC_DE: case 16: case 19:   /* #DE, #MF, #XM */
        return SIGFPE;
    case X86_VEC_UD:
        return SIGILL;
    case X86_VEC_DB: case X86_VEC_BP:
        return SIGTRAP;
    case 17:                             /* #AC */
        return SIGBUS;
    default:
        return SIGSEGV;
    }
}

static void print_location(FILE *f, uint64_t rip, const struct symtab *syms)
{
    uint64_t off;
    const char *name = syms ? symtab_lookup(syms, rip, &off) : NULL;

    fprintf(f, "RIP 0x%llx", (unsigned long long)rip);
    if (name)
        fprintf(f, " (%s+0x%llx)", name, (unsigned long long)off);
}

static void print_page_fault(FILE *f, const char *prefix,
                             const struct crash_info *c)
{
    unsigned e = (unsigned)c->error_code;
    const char *access = (e & PF_FETCH) ? "instruction fetch from"
                         : (e & PF_WRITE) ? "write to" : "read from";

    fprintf(f, "%s  %s address 0x%llx (CR2): %s, %s mode%s\n", prefix, access,
            (unsigned long long)c->cr2,
            (e & PF_PRESENT) ? "protection violation" : "page not present",
            (e & PF_USER) ? "user" : "kernel",
            c->cr2 < KVMELF_PAGE_SIZE ? "; a NULL pointer dereference?" : "");
}

static void print_headline(FILE *f, const struct crash_info *c, bool ring0)
{
    switch (c->kind) {
    case CRASH_EXCEPTION:
        fprintf(f, "%s (vector %u", x86_vector_name(c->vector), c->vector);
        if (x86_vector_has_error_code(c->vector))
            fprintf(f, ", error code 0x%llx", (unsigned long long)c->error_code);
        fprintf(f, ") in %s", c->from_user ? "ring 3" : "ring 0");
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

void report_crash(FILE *f, const char *prefix, const struct crash_info *c,
                  const struct symtab *syms, bool ring0)
{
    fprintf(f, "%sguest crashed: ", prefix);
    print_headline(f, c, ring0);
    fprintf(f, "\n%s  at ", prefix);
    print_location(f, c->rip, syms);
    fprintf(f, ", RSP 0x%llx\n", (unsigned long long)c->rsp);
    if (c->kind == CRASH_EXCEPTION && c->vector == X86_VEC_PF)
        print_page_fault(f, prefix, c);
}

void report_regs(FILE *f, const struct guest_regs *r)
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
        fprintf(f, "%6s 0x%016llx%s", rows[i].name,
                (unsigned long long)rows[i].value,
                i % 3 == 2 || i + 1 == ARRAY_SIZE(rows) ? "\n" : "  ");
}
