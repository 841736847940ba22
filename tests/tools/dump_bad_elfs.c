/* Writes the generated ELF files - the valid image and every malformed
 * case of tests/support/elfgen.c - into a directory, one file per case
 * (NAME.elf), as seeds for fuzzers and for looking at them with readelf.
 * Usage: dump-bad-elfs DIR */
#include "tests/support/elfgen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int dump(const char *dir, const char *name, const struct elfgen *g)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s.elf", dir, name);
    f = fopen(path, "wb");
    if (!f || (g->size && fwrite(g->bytes, 1, g->size, f) != g->size) ||
        fclose(f) != 0) {
        fprintf(stderr, "dump-bad-elfs: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct elfgen g = { 0 };
    int rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: dump-bad-elfs DIR\n");
        return 2;
    }
    elfgen_valid(&g);
    rc |= dump(argv[1], "valid", &g);
    elfgen_free(&g);
    for (size_t i = 0; i < bad_elf_case_count; i++) {
        bad_elf_cases[i].make(&g);
        rc |= dump(argv[1], bad_elf_cases[i].name, &g);
        elfgen_free(&g);
    }
    return rc ? 1 : 0;
}
