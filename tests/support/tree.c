/* Host directory trees for tests; see tree.h. */
#include "tests/support/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHOWN_BYTES 240

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);    /* not the locale's */
}

static int skip_dots(const struct dirent *d)
{
    return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* The names in dir (not "." or ".."), sorted; their count, or -1. */
static int list(const char *dir, struct dirent ***names)
{
    return scandir(dir, names, skip_dots, by_name);
}

static void free_list(struct dirent **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int join(char *out, const char *a, const char *b)
{
    if ((size_t)snprintf(out, PATH_MAX, "%s/%s", a, b) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* ---- Copy --------------------------------------------------------------- */

static int copy_file(const char *src, const char *dst, mode_t mode)
{
    char buf[65536];
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, r = -1;
    ssize_t n;

    if (in < 0)
        return -1;
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        goto done;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            goto done;
    /* The bits as they were, whatever the umask took off. */
    if (n == 0 && fchmod(out, mode & 07777) == 0)
        r = 0;
done:
    if (out >= 0 && close(out) < 0)
        r = -1;
    close(in);
    return r;
}

int tree_copy(const char *src, const char *dst)
{
    struct dirent **names;
    struct stat st;
    int n, r = 0;

    if (stat(src, &st) < 0 || mkdir(dst, 0700) < 0)
        return -1;
    if ((n = list(src, &names)) < 0)
        return -1;
    for (int i = 0; i < n && r == 0; i++) {
        char from[PATH_MAX], to[PATH_MAX], target[PATH_MAX];
        struct stat e;
        if ((r = join(from, src, names[i]->d_name)) < 0 ||
            (r = join(to, dst, names[i]->d_name)) < 0 ||
            (r = lstat(from, &e)) < 0)
            break;
        if (S_ISDIR(e.st_mode)) {
            r = tree_copy(from, to);
        } else if (S_ISREG(e.st_mode)) {
            r = copy_file(from, to, e.st_mode);
        } else if (S_ISLNK(e.st_mode)) {
            ssize_t len = readlink(from, target, sizeof target - 1);
            if (len < 0) {
                r = -1;
                break;
            }
            target[len] = '\0';
            r = symlink(target, to);
        } else {
            errno = EINVAL;                  /* nothing a fixture needs */
            r = -1;
        }
    }
    free_list(names, n);
    if (r == 0 && chmod(dst, st.st_mode & 07777) < 0)
        r = -1;
    return r;
}

/* ---- Describe ----------------------------------------------------------- */

static void put_escaped(FILE *out, const unsigned char *p, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = p[i];
        if (ch == '\n')
            fputs("\\n", out);
        else if (ch == '\t')
            fputs("\\t", out);
        else if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            fprintf(out, "\\x%02x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

/* The file's bytes: the first SHOWN_BYTES escaped, then for a longer one
 * its FNV-1a hash, so that a change anywhere shows. */
static int describe_file(FILE *out, const char *path)
{
    unsigned char buf[65536], head[SHOWN_BYTES];
    uint64_t hash = 0xcbf29ce484222325ULL;
    size_t total = 0, kept = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            hash = (hash ^ buf[i]) * 0x100000001b3ULL;
            if (kept < sizeof head)
                head[kept++] = buf[i];
        }
        total += (size_t)n;
    }
    close(fd);
    if (n < 0)
        return -1;
    put_escaped(out, head, kept);
    if (total > kept)
        fprintf(out, "... (%zu bytes, fnv1a %016llx)", total,
                (unsigned long long)hash);
    return 0;
}

static int describe(FILE *out, const char *dir, const char *rel)
{
    struct dirent **names;
    int n, r = 0;

    if ((n = list(dir, &names)) < 0)
        return -1;
    for (int i = 0; i < n && r == 0; i++) {
        char path[PATH_MAX], name[PATH_MAX], target[PATH_MAX];
        struct stat st;
        if ((r = join(path, dir, names[i]->d_name)) < 0)
            break;
        if (*rel)
            r = join(name, rel, names[i]->d_name);
        else
            snprintf(name, sizeof name, "%s", names[i]->d_name);
        if (r < 0 || (r = lstat(path, &st)) < 0)
            break;
        unsigned mode = (unsigned)(st.st_mode & 07777);
        if (S_ISLNK(st.st_mode)) {
            ssize_t len = readlink(path, target, sizeof target - 1);
            if (len < 0) {
                r = -1;
                break;
            }
            target[len] = '\0';
            fprintf(out, "l %s -> %s\n", name, target);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            fprintf(out, "d %04o %s", mode, name);
        } else if (S_ISREG(st.st_mode)) {
            fprintf(out, "f %04o %lld %s ", mode, (long long)st.st_size, name);
            r = describe_file(out, path);
        } else {
            fprintf(out, "%c %04o %s", S_ISFIFO(st.st_mode) ? 'p' : '?', mode,
                    name);
        }
        if (st.st_mtime < TREE_SET_TIME_BEFORE)
            fprintf(out, " mtime=%lld", (long long)st.st_mtime);
        fputc('\n', out);
        if (r == 0 && S_ISDIR(st.st_mode))
            r = describe(out, path, name);
    }
    free_list(names, n);
    return r;
}

char *tree_describe(const char *dir, size_t *len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    if (!out)
        return NULL;
    int r = describe(out, dir, "");
    int saved = errno;
    if (fclose(out) != 0 && r == 0) {
        r = -1;
        saved = errno;
    }
    if (r < 0) {
        free(text);
        errno = saved;
        return NULL;
    }
    if (len)
        *len = size;
    return text;
}

/* ---- Times, removal ----------------------------------------------------- */

int tree_set_times(const char *dir, time_t t)
{
    const struct timespec times[2] = { { t, 0 }, { t, 0 } };
    struct dirent **names;
    int n, r = 0;

    if ((n = list(dir, &names)) < 0)
        return -1;
    for (int i = 0; i < n && r == 0; i++) {
        char path[PATH_MAX];
        struct stat st;
        if ((r = join(path, dir, names[i]->d_name)) < 0 ||
            (r = lstat(path, &st)) < 0)
            break;
        if (S_ISDIR(st.st_mode))
            r = tree_set_times(path, t);
        else
            r = utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
    }
    free_list(names, n);
    /* Last: setting the entries' times did not touch the directory's, but
     * creating them did. */
    return r < 0 ? r : utimensat(AT_FDCWD, dir, times, 0);
}

static int make_entry(int dir, const struct tree_entry *e)
{
    switch (e->type) {
    case 'd':
        return mkdirat(dir, e->path, 0755);
    case 'l':
        return symlinkat(e->data, dir, e->path);
    case 'f': {
        int fd = openat(dir, e->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                        0644);
        size_t len = strlen(e->data);
        if (fd < 0)
            return -1;
        ssize_t n = write(fd, e->data, len);
        int r = n == (ssize_t)len ? 0 : -1;
        if (n >= 0 && r < 0)
            errno = EIO;
        return close(fd) < 0 ? -1 : r;
    }
    }
    errno = EINVAL;
    return -1;
}

int tree_make(const char *dir, const struct tree_entry *entries, size_t n,
              const char **failed)
{
    int d = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (d < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (make_entry(d, &entries[i]) < 0) {
            int e = errno;
            if (failed)
                *failed = entries[i].path;
            close(d);
            errno = e;
            return -1;
        }
    close(d);
    return 0;
}

int tree_remove(const char *path)
{
    struct dirent **names;
    struct stat st;
    int n, r = 0;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    /* A directory the program made unreadable is made readable first. */
    if ((st.st_mode & 0700) != 0700)
        chmod(path, st.st_mode | 0700);
    if ((n = list(path, &names)) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char sub[PATH_MAX];
        if (join(sub, path, names[i]->d_name) < 0 || tree_remove(sub) < 0)
            r = -1;
    }
    free_list(names, n);
    return rmdir(path) < 0 ? -1 : r;
}
