/* One system call: the table (table.c) says which handler, the handler
 * does it; what the call ends in comes back as one named result. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct lfile *sys_file(struct sys_ctx *c, uint64_t fd)
{
    struct fd_slot *s = fd_get(&c->proc->fds, (int64_t)fd);
    return s ? s->f : NULL;
}

uint64_t sys_nofile(const struct linux_process *p)
{
    return p->limits[RLIMIT_NOFILE][0];
}

void *sys_user_ptr(struct sys_ctx *c, uint64_t addr, uint64_t len, bool write)
{
    return paging_user_ptr(c->g->gm, c->g->cr3, addr, len, write);
}

long sys_user_string(struct sys_ctx *c, uint64_t addr, size_t max,
                     const char **s)
{
    for (size_t n = 0; n < max; n++) {
        const char *ch = sys_user_ptr(c, addr + n, 1, false);
        if (!ch)
            return -EFAULT;
        if (*ch == '\0') {
            *s = sys_user_ptr(c, addr, n + 1, false);
            return 0;
        }
    }
    return -ENAMETOOLONG;
}

long sys_end_exit(struct sys_ctx *c, int status)
{
    c->call->status = status & 0xff;
    c->result = LINUX_EXIT;
    return 0;
}

long sys_end_signal(struct sys_ctx *c, int sig)
{
    c->call->signal = sig;
    c->result = LINUX_SIGNAL;
    return 0;
}

long sys_fail(struct sys_ctx *c)
{
    c->result = LINUX_ERROR;
    return 0;
}

/* True the first time nr is seen (and remembered); false after, or when
 * there is no room left to remember a large number. */
static bool first_sighting(struct linux_process *s, uint32_t nr)
{
    if (nr < SYS_WARNED_BITS) {
        uint64_t bit = 1ULL << (nr % 64);
        bool first = !(s->warned[nr / 64] & bit);
        s->warned[nr / 64] |= bit;
        return first;
    }
    for (unsigned i = 0; i < s->nwarned_large; i++)
        if (s->warned_large[i] == nr)
            return false;
    if (s->nwarned_large == SYS_WARNED_LARGE)
        return false;
    s->warned_large[s->nwarned_large++] = nr;
    return true;
}

/* Names an unsupported call on stderr, once per number. */
static void warn_unsupported(struct sys_ctx *c)
{
    unsigned nr = c->nr;
    const char *name = linux_syscall_name(nr);
    char line[96];

    if (!first_sighting(c->proc, nr))
        return;
    snprintf(line, sizeof line, "unsupported system call %u (%s)", nr,
             name ? name : "unknown");
    if (console_warn(c->g->console, line, c->err) < 0)
        sys_fail(c);
}

static long dispatch(struct sys_ctx *c, const uint64_t a[6])
{
    const struct sys_entry *e =
        c->nr < sys_table_size ? &sys_table[c->nr] : NULL;

    if (e && e->fn)
        return e->fn(c, a);
    warn_unsupported(c);
    return -ENOSYS;
}

enum linux_result linux_syscall(struct linux_process *p,
                                struct linux_guest *g, struct linux_call *call,
                                struct kerr *err)
{
    struct sys_ctx c = { .proc = p, .g = g, .call = call, .err = err,
                         .result = LINUX_RESUME, .nr = call->nr };

    call->bases_changed = false;
    call->tlb_stale = false;
    call->ret = dispatch(&c, call->args);
    return c.result;
}

const char *linux_syscall_name(unsigned nr)
{
    return nr < sys_table_size ? sys_table[nr].name : NULL;
}

struct linux_process *linux_process_new(const struct linux_config *cfg)
{
    struct linux_process *p = calloc(1, sizeof *p);

    if (!p)
        return NULL;
    p->cfg = *cfg;
    p->pt = cfg->pt;
    mm_init(&p->mm, cfg->heap_start, cfg->heap_end);
    sys_limits_init(p);
    snprintf(p->cwd, sizeof p->cwd, "/");
    p->umask = 022;              /* what a login shell leaves */
    static const unsigned std_flags[] = { O_RDONLY, O_WRONLY, O_WRONLY };
    for (int fd = 0; fd < 3; fd++) {
        struct lfile *f = lfile_new(LF_CONSOLE, std_flags[fd], NULL);
        if (!f || fd_install(&p->fds, fd, SYS_NOFILE_SOFT, f, false) < 0) {
            lfile_put(f);
            linux_process_free(p);
            return NULL;
        }
        f->std = fd;
    }
    return p;
}

void linux_process_free(struct linux_process *p)
{
    if (!p)
        return;
    mm_fini(&p->mm);
    fd_table_free(&p->fds);
    fs_tree_free(&p->tree);
    free(p);
}
