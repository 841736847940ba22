#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_size(const char *text, uint64_t *out, struct kerr *err)
{
    static const struct { const char *suffix; unsigned shift; } units[] = {
        { "", 0 }, { "B", 0 },
        { "K", 10 }, { "KB", 10 }, { "KiB", 10 },
        { "M", 20 }, { "MB", 20 }, { "MiB", 20 },
        { "G", 30 }, { "GB", 30 }, { "GiB", 30 },
        { "T", 40 }, { "TB", 40 }, { "TiB", 40 },
    };
    char *end;

    if (!text || !isdigit((unsigned char)text[0]))
        return kerr_set(err, "'%s' is not a size (expected e.g. 64M, 1G, "
                        "4096)", text ? text : "");
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno == ERANGE)
        return kerr_set(err, "size '%s' is too large", text);
    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        if (strcasecmp(end, units[i].suffix) != 0)
            continue;
        if (units[i].shift && n > (~0ULL >> units[i].shift))
            return kerr_set(err, "size '%s' is too large", text);
        *out = (uint64_t)n << units[i].shift;
        return 0;
    }
    return kerr_set(err, "'%s' has an unknown unit '%s' (use K, M or G)",
                    text, end);
}

const char *format_size(uint64_t bytes, char *buf, size_t buflen)
{
    static const char *const names[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
    unsigned i = 0;
    uint64_t v = bytes;

    while (i + 1 < ARRAY_SIZE(names) && v && v % 1024 == 0) {
        v /= 1024;
        i++;
    }
    snprintf(buf, buflen, "%llu %s", (unsigned long long)v, names[i]);
    return buf;
}
