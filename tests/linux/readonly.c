/* readonly DIR: every way a program tries to change a read-only
 * directory, one line per result, then what it can still read there.
 * test_grants runs it in a :ro grant, and natively on a read-only bind
 * mount when it can make one, and compares.  DIR holds file.txt
 * ("hello\n"), sub/inner.txt ("inner\n"), empty/ and link -> file.txt.
 *
 * Where Linux checks more than one thing, the order is its order: a new
 * name that exists already is EEXIST before EROFS (filename_create), an
 * entry to remove is EROFS before anyone looks for it (do_unlinkat,
 * do_rmdir and do_renameat2 take mnt_want_write first), a change to an
 * object finds it first (ENOENT). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define SHOW_WIDTH 32        /* the expected output's column */
#include "errname.h"

/* An open's result without its fd number (closed at once). */
static void show_open(const char *what, int fd)
{
    show(what, fd < 0 ? fd : close(fd));
}

static void show_file(const char *path)
{
    char buf[64] = "";
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

    if (fd >= 0)
        close(fd);
    printf("%-32s %s", path, n < 0 ? errname(errno) : buf);
}

int main(int argc, char **argv)
{
    if (argc != 2 || chdir(argv[1]) < 0) {
        fprintf(stderr, "usage: readonly DIR (a directory)\n");
        return 2;
    }
    printf("-- open\n");
    show_open("O_WRONLY", open("file.txt", O_WRONLY));
    show_open("O_RDWR", open("file.txt", O_RDWR));
    show_open("O_WRONLY|O_APPEND", open("file.txt", O_WRONLY | O_APPEND));
    show_open("O_RDONLY|O_TRUNC", open("file.txt", O_RDONLY | O_TRUNC));
    show_open("O_CREAT new", open("new.txt", O_CREAT | O_WRONLY, 0644));
    show_open("O_CREAT|O_EXCL existing",
              open("file.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
    /* Nothing to create and nothing written: Linux lets it open. */
    show_open("O_CREAT|O_RDONLY existing",
              open("file.txt", O_CREAT | O_RDONLY, 0644));
    show_open("O_CREAT in a missing dir",
              open("nodir/new.txt", O_CREAT | O_WRONLY, 0644));
    show_open("O_WRONLY missing", open("missing", O_WRONLY));
    show_open("O_WRONLY through a link", open("link", O_WRONLY));
    show_open("O_WRONLY a directory", open("sub", O_WRONLY));
    show_open("O_RDONLY", open("file.txt", O_RDONLY));
    show_open("creat", creat("made.txt", 0644));
    show_open("creat existing", creat("file.txt", 0644));

    printf("-- names\n");
    show("mkdir new", mkdir("newdir", 0755));
    show("mkdir existing", mkdir("sub", 0755));
    show("mkdir in a missing dir", mkdir("nodir/x", 0755));
    show("rmdir empty", rmdir("empty"));
    show("rmdir missing", rmdir("missing"));
    show("unlink", unlink("file.txt"));
    show("unlink missing", unlink("missing"));
    show("unlink a link", unlink("link"));
    show("rename", rename("file.txt", "moved.txt"));
    show("rename missing", rename("missing", "moved.txt"));
    show("rename into sub", rename("file.txt", "sub/file.txt"));
    show("symlink new", symlink("file.txt", "link2"));
    show("symlink existing", symlink("file.txt", "link"));
    show("link new", link("file.txt", "hard.txt"));
    show("link existing", link("file.txt", "sub/inner.txt"));
    show("link missing", link("missing", "hard.txt"));

    printf("-- objects\n");
    show("truncate", truncate("file.txt", 0));
    show("truncate missing", truncate("missing", 0));
    show("chmod", chmod("file.txt", 0600));
    show("chmod missing", chmod("missing", 0600));
    show("chmod a directory", chmod("sub", 0700));
    show("fchmodat", fchmodat(AT_FDCWD, "file.txt", 0600, 0));
    show("utimensat", utimensat(AT_FDCWD, "file.txt", NULL, 0));
    show("utimes missing", utimes("missing", NULL));
    show("access W_OK", access("file.txt", W_OK));
    show("access W_OK a directory", access("sub", W_OK));
    show("access W_OK missing", access("missing", W_OK));
    show("access R_OK", access("file.txt", R_OK));

    printf("-- fds\n");
    int fd = open("file.txt", O_RDONLY);
    show("write on O_RDONLY", write(fd, "x", 1));
    show("ftruncate on O_RDONLY", ftruncate(fd, 0));
    show("fchmod", fchmod(fd, 0600));
    show("futimens", futimens(fd, NULL));
    close(fd);
    fd = open(".", O_RDONLY | O_DIRECTORY);
    show("mkdirat", mkdirat(fd, "x", 0755));
    show("unlinkat", unlinkat(fd, "file.txt", 0));
    show("renameat2 NOREPLACE",
         syscall(SYS_renameat2, fd, "file.txt", fd, "y", 1 /* NOREPLACE */));
    close(fd);

    printf("-- reads still work\n");
    show_file("file.txt");
    show_file("sub/inner.txt");
    show_file("link");
    struct stat st;
    show("stat file.txt size", stat("file.txt", &st) < 0 ? -1 : st.st_size);
    char target[64];
    ssize_t n = readlink("link", target, sizeof target);
    printf("%-32s %.*s\n", "readlink", (int)(n > 0 ? n : 0), target);
    DIR *d = opendir(".");
    int entries = 0;
    while (d && readdir(d))
        entries++;
    if (d)
        closedir(d);
    show("entries in .", entries);
    return 0;
}
