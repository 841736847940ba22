/* tmpfull DIR: fills DIR's file system (kvmelf's /tmp under --tmp 1M, or
 * a 1 MiB tmpfs natively) with a 2 MiB file and says where ENOSPC came;
 * then that space freed is space again.  One line per result; the bytes
 * written before ENOSPC on their own line, "wrote N", for the test to
 * check against the cap. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHOW_WIDTH 34        /* the expected output's column */
#include "errname.h"

#define CHUNK (64 * 1024)
#define WANT (2 * 1024 * 1024)

/* Writes up to want bytes to path in CHUNK writes; the bytes written. */
static long fill(const char *path, long want, int *err)
{
    static char chunk[CHUNK];
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    long done = 0;

    memset(chunk, 'x', sizeof chunk);
    *err = 0;
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    while (done < want) {
        ssize_t n = write(fd, chunk, CHUNK);
        if (n < 0) {
            *err = errno;
            break;
        }
        done += n;
    }
    close(fd);
    return done;
}

static void show_fill(const char *what, long n, int err)
{
    printf("%-34s %ld, %s\n", what, n, err ? errname(err) : "no error");
}

int main(int argc, char **argv)
{
    int err;

    if (argc != 2 || chdir(argv[1]) < 0) {
        fprintf(stderr, "usage: tmpfull DIR (a directory)\n");
        return 2;
    }
    printf("wrote %ld\n", fill("big", WANT, &err));
    printf("%-34s %s\n", "then", err ? errname(err) : "no error");
    struct stat st;
    show("size of big", stat("big", &st) < 0 ? -1 : st.st_size);
    int fd = open("big", O_WRONLY | O_APPEND);
    show("one more byte", (long)write(fd, "x", 1));
    /* An open fd keeps an unlinked file's space: close it first. */
    close(fd);
    long n = fill("small", 10, &err);
    show_fill("a new small file", n, err);

    /* stdio keeps the error for fflush and fclose to report. */
    FILE *f = fopen("stdio", "w");
    if (f) {
        for (int i = 0; i < 1000; i++)
            fputs("stdio bytes\n", f);
        show("fclose of a full stdio file", fclose(f) == 0 ? 0 : -1);
    }
    show("unlink big", unlink("big"));
    show("unlink small", unlink("small"));
    show("unlink stdio", unlink("stdio"));
    n = fill("again", 512 * 1024, &err);
    show_fill("512 KiB after the unlinks", n, err);
    n = fill("again2", WANT, &err);
    show_fill("2 MiB more stops short", n < WANT, err);
    show("truncate frees space", truncate("again2", 0));
    n = fill("again3", 256 * 1024, &err);
    show_fill("so 256 KiB fit", n, err);
    return 0;
}
