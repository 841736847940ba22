/* Writes the tests' valid ELF image, every malformed case of
 * tests/support/elfgen.c and a small image with a line table into DIR, as
 * seeds for fuzz_elf. */
#include "tests/support/elfgen.h"

#include <stdio.h>

static int write_file(const char *dir, const char *name, const struct elfgen *g)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.elf", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(g->bytes, 1, g->size, f) != g->size || fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct elfgen g = { 0 };
    char name[256];

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    elfgen_valid(&g);
    int bad = write_file(argv[1], "elfgen-valid", &g);
    elfgen_free(&g);
    struct elfgen_lines lines = { .file = "seed.c", .nops = 16, .rows = 64 };
    elfgen_with_lines(&g, &lines);
    bad = bad || write_file(argv[1], "elfgen-lines", &g);
    elfgen_free(&g);
    for (size_t i = 0; i < bad_elf_case_count && !bad; i++) {
        struct elfgen c = { 0 };
        bad_elf_cases[i].make(&c);
        snprintf(name, sizeof name, "elfgen-bad-%s", bad_elf_cases[i].name);
        bad = write_file(argv[1], name, &c);
        elfgen_free(&c);
    }
    return bad ? 1 : 0;
}
