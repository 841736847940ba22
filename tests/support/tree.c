/* Directory trees as text, and their removal; see tree.h. */
#include "tests/support/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHOWN_BYTES 64

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the directory fd (taken), without "." and "..", sorted:
 * a malloc'd array of *n malloc'd names, or NULL with errno. */
static char **sorted_names(int fd, size_t *n)
{
    DIR *d = fdopendir(fd);
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;

    *n = 0;
    if (!d) {
        close(fd);
        return NULL;
    }
    while ((errno = 0, e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown)
                break;
            names = grown;
        }
        if (!(names[*n] = strdup(e->d_name)))
            break;
        (*n)++;
    }
    int e_read = errno;
    closedir(d);
    if (e_read) {
        while (*n)
            free(names[--*n]);
        free(names);
        errno = e_read;
        return NULL;
    }
    if (*n)
        qsort(names, *n, sizeof *names, by_name);
    return names ? names : calloc(1, sizeof *names);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The first bytes of the file name in dir, quoted, after its size. */
static void describe_bytes(FILE *out, int dir, const char *name, off_t size)
{
    unsigned char buf[SHOWN_BYTES];
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);

    if (fd >= 0)
        close(fd);
    fprintf(out, " %lld ", (long long)size);
    if (n < 0) {
        fprintf(out, "(unreadable: %s)", strerror(errno));
        return;
    }
    fputc('"', out);
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n')
            fputc('|', out);
        else if (buf[i] < 0x20 || buf[i] >= 0x7f || buf[i] == '"' ||
                 buf[i] == '\\' || buf[i] == '|')
            fprintf(out, "\\x%02x", buf[i]);
        else
            fputc(buf[i], out);
    }
    fputc('"', out);
    if (size > n)
        fputs("...", out);
}

/* Describes what the directory fd (kept) holds, its path prefix. */
static int describe(FILE *out, int dir, const char *prefix)
{
    size_t n;
    int dup_fd = dup(dir);
    char **names = dup_fd < 0 ? NULL : sorted_names(dup_fd, &n);

    if (!names)
        return -1;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        struct stat st;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path - 1, "%s%s", prefix,
                             names[i]) >= sizeof path - 1) {
            errno = ENAMETOOLONG;
            r = -1;
            break;
        }
        if (fstatat(dir, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            r = -1;
            break;
        }
        unsigned mode = (unsigned)(st.st_mode & 07777);
        if (S_ISDIR(st.st_mode)) {
            fprintf(out, "d %s %04o\n", path, mode);
            int sub = openat(dir, names[i], O_RDONLY | O_DIRECTORY |
                             O_NOFOLLOW | O_CLOEXEC);
            strcat(path, "/");          /* room kept above */
            r = sub < 0 ? -1 : describe(out, sub, path);
            if (sub >= 0)
                close(sub);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t len = readlinkat(dir, names[i], target,
                                     sizeof target - 1);
            target[len < 0 ? 0 : len] = '\0';
            fprintf(out, "l %s -> %s\n", path, target);
        } else if (S_ISREG(st.st_mode)) {
            fprintf(out, "f %s %04o", path, mode);
            describe_bytes(out, dir, names[i], st.st_size);
            fputc('\n', out);
        } else {
            fprintf(out, "? %s %04o type %o\n", path, mode,
                    (unsigned)(st.st_mode & S_IFMT));
        }
    }
    free_names(names, n);
    return r;
}

char *tree_describe(const char *dir)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (!out) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    int r = fd < 0 ? -1 : describe(out, fd, "");
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (fclose(out) != 0 || r < 0) {
        free(text);
        errno = r < 0 ? e : errno;
        return NULL;
    }
    return text;
}

/* Removes what the directory fd (kept) holds. */
static int empty_dir(int dir)
{
    size_t n;
    int dup_fd = dup(dir);
    char **names = dup_fd < 0 ? NULL : sorted_names(dup_fd, &n);
    int r = 0, first = 0;

    if (!names)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (fstatat(dir, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISDIR(st.st_mode)) {
            fchmodat(dir, names[i], 0700, 0);
            int sub = openat(dir, names[i], O_RDONLY | O_DIRECTORY |
                             O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                if (empty_dir(sub) < 0 && !first)
                    first = errno;
                close(sub);
            }
            if (unlinkat(dir, names[i], AT_REMOVEDIR) < 0 && !first)
                first = errno;
        } else if (unlinkat(dir, names[i], 0) < 0 && !first) {
            first = errno;
        }
    }
    free_names(names, n);
    if (first) {
        errno = first;
        r = -1;
    }
    return r;
}

int tree_remove(const char *dir)
{
    chmod(dir, 0700);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = empty_dir(fd);
    int e = errno;
    close(fd);
    if (rmdir(dir) < 0)
        return -1;
    errno = e;
    return r;
}
