/* The initial process stack as Linux builds it for a static program
 * (System V x86-64 psABI, 3.4.1 "Initial Stack and Register State"). */
#include "personality.h"

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
    gpa_t limit;             /* low may not go below this */
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

int linux_write_stack(const struct guest_mem *gm,
                      const struct linux_stack_params *p, gpa_t *rsp,
                      struct kerr *err)
{
    size_t argc = p->argc > 0 ? (size_t)p->argc : 0;
    struct stack_writer w = { .gm = gm, .low = p->stack_top };

    if (!guest_mem_ptr(gm, 0, p->stack_top) || p->stack_top % 16)
        return kerr_set(err, "stack top 0x%llx is not inside guest RAM",
                        (unsigned long long)p->stack_top);
    w.limit = p->stack_top > p->max_bytes ? p->stack_top - p->max_bytes : 0;

    gpa_t random = push_bytes(&w, p->random, sizeof p->random);
    gpa_t platform = push_string(&w, LINUX_PLATFORM);
    gpa_t strs = w.low;
    for (size_t i = argc; i-- > 0 && strs;)
        strs = push_string(&w, p->argv[i]);
    gpa_t execfn = strs;     /* argv[0]: the last string pushed */
    for (size_t i = p->envc; i-- > 0 && strs;)
        strs = push_string(&w, p->envp[i]);

    /* argc, argv[argc + 1], envp[envc + 1], auxv: RSP 16-byte aligned. */
    size_t words = 1 + (argc + 1) + (p->envc + 1) + 2 * AUXV_ENTRIES;
    gpa_t base = (w.low - words * 8) & ~(gpa_t)15;
    if (!random || !platform || !strs || w.low < words * 8 + 16 ||
        base < w.limit)
        return kerr_set(err, "arguments and environment do not fit the %llu "
                        "bytes of the guest's stack they may use",
                        (unsigned long long)p->max_bytes);

    uint64_t *v = guest_mem_ptr(gm, base, words * 8);
    size_t n = 0;
    v[n++] = argc;
    /* Strings were pushed last-first: walk them back upward. */
    gpa_t s = execfn;
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
    put_auxv(v + n, p, random, platform, argc ? execfn : 0);
    *rsp = base;
    return 0;
}
