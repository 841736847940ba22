/* Guest path strings, normalized lexically (fs.h says why). */
#include "fs.h"

#include <errno.h>
#include <string.h>

/* Appends the components of s to out (length *len), resolving "." and
 * ".." as it goes; ".." at "/" stays at "/", as the kernel does. */
static int add_components(char *out, size_t *len, const char *s,
                          bool *last_dir)
{
    while (*s) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        const char *end = strchr(s, '/');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        *last_dir = end != NULL;
        if (n > FS_NAME_MAX)
            return -ENAMETOOLONG;
        if (n == 1 && s[0] == '.') {
            *last_dir = true;
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            while (*len > 0 && out[*len - 1] != '/')
                (*len)--;
            if (*len > 1)
                (*len)--;            /* the slash before it */
            else
                *len = 1;
            *last_dir = true;
        } else {
            bool root = *len == 1;
            if (*len + !root + n >= FS_PATH_MAX)
                return -ENAMETOOLONG;
            if (!root)
                out[(*len)++] = '/';
            memcpy(out + *len, s, n);
            *len += n;
            out[*len] = '\0';
        }
        s += n;
    }
    return 0;
}

int fs_path_normalize(const char *base, const char *path,
                      char out[FS_PATH_MAX], bool *dir_only)
{
    size_t len = 1;
    bool last_dir = false;

    if (!*path)
        return -ENOENT;
    if (strnlen(path, FS_PATH_MAX) >= FS_PATH_MAX)
        return -ENAMETOOLONG;
    out[0] = '/';
    int r = 0;
    if (path[0] != '/')
        r = add_components(out, &len, base, &last_dir);
    last_dir = false;
    if (r == 0)
        r = add_components(out, &len, path, &last_dir);
    if (r < 0)
        return r;
    out[len] = '\0';
    if (dir_only) {
        size_t n = strlen(path);
        *dir_only = last_dir || path[n - 1] == '/';
    }
    return 0;
}

bool fs_path_within(const char *abs, const char *prefix)
{
    size_t n = strlen(prefix);

    if (n == 1)
        return true;                 /* "/" holds everything */
    return strncmp(abs, prefix, n) == 0 && (abs[n] == '\0' || abs[n] == '/');
}

const char *fs_path_name(const char *abs, size_t *parent_len)
{
    const char *slash = strrchr(abs, '/');
    size_t n = (size_t)(slash - abs);

    *parent_len = n ? n : 1;
    return slash + 1;
}
