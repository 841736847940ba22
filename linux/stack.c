/* The initial process stack as Linux builds it for a static program
 * (System V x86-64 psABI, 3.4.1 "Initial Stack and Register State"). */
#include "internal.h"

#include <elf.h>
#include <string.h>

/* AT_* entries written, AT_NULL included. */
#define AUXV_ENTRIES ((size_t)20)
/* AT_MINSIGSTKSZ: Linux's minimum signal stack for x86-64 without AVX-512
 * state; no signal is ever delivered, but libc sizes stacks by it. */
#define LINUX_MINSIGSTKSZ 2048

struct stack_writer {
    const struct guest_mem *gm;
    gpa_t low;               /* bytes used: [low, the stack top) */
    gpa_t limit;             /* low may not go below this (stack bottom) */
};

/* Pushes len bytes; returns their guest address, 0 when full. */
static gpa_t push_bytes(struct stack_writer *w, const void *data, size_t len)
{
    if (w->low - w->limit < len)
        return 0;
    w->low -= len;
    memcpy(guest_mem_ptr(w->gm, w->low, len), data, len);
    return w->low;
}

static gpa_t push_string(struct stack_writer *w, const char *s)
{
    return push_bytes(w, s, strlen(s) + 1);
}

static size_t put_auxv(uint64_t *v, const struct linux_stack_params *p,
                       gpa_t random, gpa_t platform, gpa_t execfn)
{
    const uint64_t pairs[][2] = {
        { AT_PHDR, p->phdr },       { AT_PHENT, p->phnum ? p->phent : 0 },
        { AT_PHNUM, p->phnum },     { AT_PAGESZ, KVMELF_PAGE_SIZE },
        { AT_BASE, 0 },             { AT_FLAGS, 0 },
        { AT_ENTRY, p->entry },     { AT_UID, 0 },
        { AT_EUID, 0 },             { AT_GID, 0 },
        { AT_EGID, 0 },             { AT_SECURE, 0 },
        { AT_HWCAP, p->hwcap },     { AT_CLKTCK, LINUX_CLKTCK },
        { AT_RANDOM, random },      { AT_PLATFORM, platform },
        { AT_EXECFN, execfn },      { AT_HWCAP2, 0 },
        { AT_MINSIGSTKSZ, LINUX_MINSIGSTKSZ },   { AT_NULL, 0 },
    };
    _Static_assert(sizeof pairs / sizeof pairs[0] == AUXV_ENTRIES,
                   "AUXV_ENTRIES");
    memcpy(v, pairs, sizeof pairs);
    return 2 * AUXV_ENTRIES;
}

/* What argv and envp take as Linux counts it against its limit
 * (fs/exec.c): every string with its NUL, and a pointer each (argc counts
 * at least 1). */
static uint64_t args_bytes(const struct linux_stack_params *p, size_t argc)
{
    uint64_t n = ((argc ? argc : 1) + p->envc) * sizeof(uint64_t);

    for (size_t i = 0; i < argc; i++)
        n += strlen(p->argv[i]) + 1;
    for (size_t i = 0; i < p->envc; i++)
        n += strlen(p->envp[i]) + 1;
    return n;
}

/* argv joined by spaces ("" without arguments). */
static gpa_t push_cmdline(struct stack_writer *w, char *const *argv,
                          size_t argc)
{
    uint64_t len = 1;

    for (size_t i = 0; i < argc; i++)
        len += strlen(argv[i]) + (i > 0);
    if (w->low - w->limit < len)
        return 0;
    w->low -= len;
    char *c = guest_mem_ptr(w->gm, w->low, len);
    for (size_t i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (i > 0)
            *c++ = ' ';
        memcpy(c, argv[i], n);
        c += n;
    }
    *c = '\0';
    return w->low;
}

static int too_big(const struct linux_stack_params *p, uint64_t need,
                   uint64_t may, struct kerr *err)
{
    char need_s[32], may_s[32], stack_s[32];

    return kerr_set(err, "arguments and environment take %s (strings and "
                    "pointers); at most %s fit with a %s stack (Linux's "
                    "rule: a quarter of the stack, at least 128 KiB; more "
                    "with --stack)",
                    format_size(need, need_s, sizeof need_s),
                    format_size(may, may_s, sizeof may_s),
                    format_size(p->stack_size, stack_s, sizeof stack_s));
}

int linux_write_stack(const struct guest_mem *gm,
                      const struct linux_stack_params *p,
                      struct linux_stack_result *out, struct kerr *err)
{
    size_t argc = p->argc > 0 ? (size_t)p->argc : 0;
    struct stack_writer w = { .gm = gm, .low = p->stack_top,
                              .limit = p->stack_bottom };
    uint64_t need = args_bytes(p, argc);

    if (!guest_mem_ptr(gm, p->stack_bottom, p->stack_top - p->stack_bottom) ||
        p->stack_bottom > p->stack_top || p->stack_top % 16)
        return kerr_set(err, "stack [0x%llx, 0x%llx) is not inside guest RAM",
                        (unsigned long long)p->stack_bottom,
                        (unsigned long long)p->stack_top);
    if (need > p->args_max)
        return too_big(p, need, p->args_max, err);

    gpa_t random = push_bytes(&w, p->random, sizeof p->random);
    gpa_t platform = push_string(&w, LINUX_PLATFORM);
    gpa_t execfn = p->execfn ? push_string(&w, p->execfn) : 0;
    bool execfn_ok = !p->execfn || execfn;
    gpa_t cmdline = push_cmdline(&w, p->argv, argc);
    gpa_t strs = w.low;
    for (size_t i = argc; i-- > 0 && strs;)
        strs = push_string(&w, p->argv[i]);
    gpa_t argv0 = strs;      /* argv[0]: the last string pushed */
    for (size_t i = p->envc; i-- > 0 && strs;)
        strs = push_string(&w, p->envp[i]);

    /* argc, argv[argc + 1], envp[envc + 1], auxv: RSP 16-byte aligned. */
    size_t words = 1 + (argc + 1) + (p->envc + 1) + 2 * AUXV_ENTRIES;
    gpa_t base = (w.low - words * 8) & ~(gpa_t)15;
    if (!random || !platform || !execfn_ok || !cmdline || !strs ||
        w.low - w.limit < words * 8 + 16 || base < w.limit) {
        char stack_s[32];
        return kerr_set(err, "arguments and environment do not fit the "
                        "guest's %s stack with the process entry (more with "
                        "--stack)", format_size(p->stack_size, stack_s,
                                                sizeof stack_s));
    }

    uint64_t *v = guest_mem_ptr(gm, base, words * 8);
    size_t n = 0;
    v[n++] = argc;
    /* Strings were pushed last-first: walk them back upward. */
    gpa_t s = argv0;
    for (size_t i = 0; i < argc; i++) {
        v[n++] = s;
        s += strlen(p->argv[i]) + 1;
    }
    v[n++] = 0;
    s = w.low;
    for (size_t i = 0; i < p->envc; i++) {
        v[n++] = s;
        s += strlen(p->envp[i]) + 1;
    }
    v[n++] = 0;
    if (!p->execfn)
        execfn = argc ? argv0 : 0;
    put_auxv(v + n, p, random, platform, execfn);
    *out = (struct linux_stack_result){ .rsp = base, .argv = base + 8,
                                        .cmdline = cmdline };
    return 0;
}
