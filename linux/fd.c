/* Open file descriptions and the fd table (fs.h). */
#include "fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The table grows in steps, so a guest near its limit does not make the
 * monitor copy it on every open. */
#define FD_TABLE_STEP 64

struct lfile *lfile_new(enum lfile_kind kind, unsigned flags,
                        const char *path)
{
    struct lfile *f = calloc(1, sizeof *f);

    if (!f)
        return NULL;
    f->refs = 1;
    f->kind = kind;
    f->host_fd = -1;
    f->flags = flags;
    if (path && !(f->path = strdup(path))) {
        free(f);
        return NULL;
    }
    return f;
}

void lfile_put(struct lfile *f)
{
    if (!f || --f->refs)
        return;
    if (f->kind == LF_HOST && f->host_fd >= 0)
        close(f->host_fd);
    free(f->path);
    free(f);
}

static int grow(struct fd_table *t, size_t need)
{
    if (need <= t->cap)
        return 0;
    size_t cap = (need + FD_TABLE_STEP - 1) / FD_TABLE_STEP * FD_TABLE_STEP;
    struct fd_slot *s = realloc(t->slots, cap * sizeof *s);
    if (!s)
        return -ENOMEM;
    memset(s + t->cap, 0, (cap - t->cap) * sizeof *s);
    t->slots = s;
    t->cap = cap;
    return 0;
}

int fd_install(struct fd_table *t, int min, uint64_t limit, struct lfile *f,
               bool cloexec)
{
    size_t fd = min < 0 ? 0 : (size_t)min;

    while (fd < t->cap && t->slots[fd].f)
        fd++;
    if (fd >= limit)
        return -EMFILE;
    if (grow(t, fd + 1) < 0)
        return -ENOMEM;
    t->slots[fd] = (struct fd_slot){ f, cloexec };
    return (int)fd;
}

int fd_install_at(struct fd_table *t, int fd, uint64_t limit,
                  struct lfile *f, bool cloexec)
{
    if (fd < 0 || (uint64_t)fd >= limit)
        return -EBADF;
    if (grow(t, (size_t)fd + 1) < 0)
        return -ENOMEM;
    struct lfile *old = t->slots[fd].f;
    t->slots[fd] = (struct fd_slot){ f, cloexec };
    lfile_put(old);
    return fd;
}

struct fd_slot *fd_get(struct fd_table *t, int64_t fd)
{
    if (fd < 0 || (uint64_t)fd >= t->cap || !t->slots[fd].f)
        return NULL;
    return &t->slots[fd];
}

int fd_close(struct fd_table *t, int64_t fd)
{
    struct fd_slot *s = fd_get(t, fd);

    if (!s)
        return -EBADF;
    struct lfile *f = s->f;
    s->f = NULL;
    s->cloexec = false;
    lfile_put(f);
    return 0;
}

void fd_close_range(struct fd_table *t, uint64_t lo, uint64_t hi,
                    bool cloexec_only)
{
    for (uint64_t fd = lo; fd <= hi && fd < t->cap; fd++) {
        if (!t->slots[fd].f)
            continue;
        if (cloexec_only)
            t->slots[fd].cloexec = true;
        else
            fd_close(t, (int64_t)fd);
    }
}

void fd_table_free(struct fd_table *t)
{
    for (size_t fd = 0; fd < t->cap; fd++)
        lfile_put(t->slots[fd].f);
    free(t->slots);
    t->slots = NULL;
    t->cap = 0;
}

size_t fd_list(const struct fd_table *t, int *fds, size_t max)
{
    size_t n = 0;

    for (size_t fd = 0; fd < t->cap; fd++)
        if (t->slots[fd].f) {
            if (n < max)
                fds[n] = (int)fd;
            n++;
        }
    return n;
}
