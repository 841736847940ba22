/* The guest's files as --stats and kvmelf info show them: the grants, the
 * private /tmp and what confines the run. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct linux_tree *files_trees(const struct linux_process *p, size_t *n)
{
    size_t count = linux_files_trees(p, NULL, 0);
    struct linux_tree *trees = count ? calloc(count, sizeof *trees) : NULL;

    *n = trees ? linux_files_trees(p, trees, count) : 0;
    if (*n > count)          /* cannot grow between the calls; be safe */
        *n = count;
    return trees;
}

static void print_tmp(FILE *f, const char *prefix, const struct files_report *r)
{
    char size[32];

    for (size_t i = 0; i < r->ntrees; i++)
        if (r->trees[i].is_tmp) {
            fprintf(f, "%s%s: private, in memory, at most %s (--tmp), gone "
                    "at exit\n", prefix, r->trees[i].guest,
                    format_size(r->tmp_size, size, sizeof size));
            return;
        }
    if (r->tmp_size == 0)
        fprintf(f, "%s/tmp: none (--tmp 0)\n", prefix);
    else
        fprintf(f, "%s/tmp: none%s%s\n", prefix, r->note ? ": " : "",
                r->note ? r->note : "");
}

static void print_confinement(FILE *f, const char *prefix,
                              const struct files_report *r)
{
    if (!r->sandbox) {
        fprintf(f, "%sconfinement: none (--no-sandbox): no seccomp filter, "
                "no Landlock; openat2 beneath each grant only\n", prefix);
        return;
    }
    if (r->landlock_abi > 0 && !r->ntrees)
        fprintf(f, "%sconfinement: seccomp filter and Landlock (ABI %d): "
                "kvmelf opens no file\n", prefix, r->landlock_abi);
    else if (r->landlock_abi > 0)
        fprintf(f, "%sconfinement: seccomp filter and Landlock (ABI %d): "
                "kvmelf opens files only beneath the %zu tree%s above\n",
                prefix, r->landlock_abi, r->ntrees,
                r->ntrees == 1 ? "" : "s");
    else
        fprintf(f, "%sconfinement: seccomp filter; no Landlock on this "
                "kernel (%s): openat2 beneath each grant only\n", prefix,
                strerror(r->landlock_errno ? r->landlock_errno : ENOSYS));
}

void print_files(FILE *f, const char *prefix, const struct files_report *r)
{
    size_t grants = 0;

    for (size_t i = 0; i < r->ntrees; i++) {
        const struct linux_tree *t = &r->trees[i];
        if (t->is_tmp)
            continue;
        fprintf(f, "%s%s -> %s (%s)\n", prefix, t->host, t->guest,
                t->rw ? "read-write" : "read-only");
        grants++;
    }
    if (!grants)
        fprintf(f, "%sno host directory granted (--dir)\n", prefix);
    print_tmp(f, prefix, r);
    print_confinement(f, prefix, r);
}
