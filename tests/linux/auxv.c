/* auxv: prints what the Linux process entry gave the program, checked
 * against what the program knows about itself. */
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

extern char **environ;
extern const ElfW(Ehdr) __ehdr_start;
void _start(void);

int main(int argc, char **argv)
{
    const uint8_t *rnd = (const uint8_t *)getauxval(AT_RANDOM);
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
    unsigned long phnum = getauxval(AT_PHNUM);
    int load = 0;

    printf("pagesz %lu\n", getauxval(AT_PAGESZ));
    printf("phent %lu phnum-matches %d\n", getauxval(AT_PHENT),
           phnum == __ehdr_start.e_phnum);
    printf("phdr-matches %d\n",
           ph == (const void *)((const char *)&__ehdr_start +
                                __ehdr_start.e_phoff));
    for (unsigned long i = 0; i < phnum; i++)
        load += ph[i].p_type == PT_LOAD;
    printf("phdr-loads %d\n", load > 0);
    printf("entry-matches %d\n", getauxval(AT_ENTRY) == (unsigned long)_start);
    printf("ids %lu %lu %lu %lu secure %lu\n", getauxval(AT_UID),
           getauxval(AT_EUID), getauxval(AT_GID), getauxval(AT_EGID),
           getauxval(AT_SECURE));
    printf("clktck %lu hwcap-nonzero %d\n", getauxval(AT_CLKTCK),
           getauxval(AT_HWCAP) != 0);
    printf("platform %s\n", (const char *)getauxval(AT_PLATFORM));
    /* Linux's AT_EXECFN is the path execve was given, its own copy. */
    if (argc > 1 && strcmp(argv[1], "execfn") == 0)
        printf("execfn %s argv0 %s\n", (const char *)getauxval(AT_EXECFN),
               argv[0]);
    else
        printf("execfn-equals-argv0 %d\n",
               strcmp((const char *)getauxval(AT_EXECFN), argv[0]) == 0);
    printf("argv-null %d env-after-argv %d\n", argv[argc] == NULL,
           environ == argv + argc + 1);
    printf("random ");
    int nonzero = 0;
    for (int i = 0; i < 16; i++) {
        printf("%02x", rnd[i]);
        nonzero |= rnd[i];
    }
    printf("\nrandom-nonzero %d\n", nonzero != 0);
    /* The strings are the program's to change (getopt permutes argv). */
    argv[0][0] = 'X';
    printf("argv0-writable %d\n", argv[0][0] == 'X');
    return 0;
}
