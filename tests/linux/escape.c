/* escape MODE ...: a guest that tries to reach what it was not granted.
 * test_escape runs it under kvmelf and checks every line, the host tree
 * around the grant (unchanged) and that "SECRET", the bytes of every
 * file outside the grant, never shows.
 *
 *   escape attacks    in the grant (the working directory), laid out by
 *                     test_escape: every way out it knows, one result each
 *   escape race       opens swap/target.txt again and again while the test
 *                     swaps swap/ with a symlink that points out
 *   escape scopes DIR openat2's RESOLVE_BENEATH and RESOLVE_IN_ROOT from
 *                     DIR/d (compared with a native run)
 *   escape nested DIR a :rw grant at DIR with a :ro one at DIR/sub, reached
 *                     through links (compared with bind mounts natively)
 *
 * A read that returns bytes prints them, so a file read from outside
 * shows as its contents, "SECRET".  Results are errno names
 * (errname.h): the same with any libc. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SHOW_WIDTH 34        /* the expected output's column */
#include "errname.h"

/* musl has no <linux/openat2.h>. */
struct how2 {
    uint64_t flags, mode, resolve;
};
#define R_NO_SYMLINKS 0x04
#define R_BENEATH 0x08
#define R_IN_ROOT 0x10

static int openat2_(int dir, const char *path, uint64_t flags, uint64_t res)
{
    struct how2 how = { .flags = flags, .resolve = res };
    return (int)syscall(SYS_openat2, dir, path, &how, sizeof how);
}

/* An open's result: what reading it gives (a directory: "dir"). */
static void show_fd(const char *what, int fd)
{
    char buf[64];

    if (fd < 0) {
        show(what, -1);
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    int e = errno;
    close(fd);
    if (n < 0) {
        printf("%-*s opened, read %s\n", SHOW_WIDTH, what,
               e == EISDIR ? "dir" : errname(e));
        return;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    printf("%-*s opened, read \"%s\"\n", SHOW_WIDTH, what, buf);
}

static void show_stat(const char *what, const char *path, bool follow)
{
    struct stat st;
    int r = follow ? stat(path, &st) : lstat(path, &st);
    show(what, r < 0 ? -1 : (long)(st.st_size == 7 ? 7 : 0));
}

static void opens(void)
{
    printf("-- open\n");
    show_fd("inner.txt", open("inner.txt", O_RDONLY));
    show_fd("../secret.txt", open("../secret.txt", O_RDONLY));
    show_fd("../../../../secret.txt", open("../../../../secret.txt",
                                           O_RDONLY));
    show_fd("/work/../secret.txt", open("/work/../secret.txt", O_RDONLY));
    show_fd("up (-> ../secret.txt)", open("up", O_RDONLY));
    show_fd("updir/secret.txt", open("updir/secret.txt", O_RDONLY));
    show_fd("abs (-> host path)", open("abs", O_RDONLY));
    show_fd("absdir/etc/passwd", open("absdir/etc/passwd", O_RDONLY));
    show_fd("deep (-> sub/../../secret)", open("deep", O_RDONLY));
    show_fd("loop", open("loop", O_RDONLY));
    show_fd("loop1 (-> loop2 -> loop1)", open("loop1", O_RDONLY));
    show_fd("up O_NOFOLLOW", open("up", O_RDONLY | O_NOFOLLOW));
    show_fd("updir O_DIRECTORY", open("updir", O_RDONLY | O_DIRECTORY));
    show_fd("/proc/self/root/secret", open("/proc/self/root/secret.txt",
                                           O_RDONLY));
    show_fd("/proc/self/cwd/../secret", open("/proc/self/cwd/../secret.txt",
                                             O_RDONLY));
    show_fd("/proc/self/exe", open("/proc/self/exe", O_RDONLY));
    show_fd("/proc/1/root/etc/passwd", open("/proc/1/root/etc/passwd",
                                            O_RDONLY));
    show_fd("/etc/passwd", open("/etc/passwd", O_RDONLY));
    /* The kernel reads a path up to its NUL: what follows is not seen. */
    show_fd("NUL inside", (int)syscall(SYS_open, "inner.txt\0/../../up",
                                       O_RDONLY));
    show_stat("stat up", "up", true);
    show_stat("lstat up", "up", false);
    show_stat("stat updir/secret.txt", "updir/secret.txt", true);
}

static void writes(void)
{
    printf("-- writes\n");
    show("O_WRONLY|O_TRUNC up", open("up", O_WRONLY | O_TRUNC));
    show("O_CREAT updir/new", open("updir/new", O_CREAT | O_WRONLY, 0644));
    /* O_CREAT|O_EXCL never follows: the link is there, EEXIST. */
    show("O_CREAT|O_EXCL up", open("up", O_CREAT | O_EXCL | O_WRONLY, 0644));
    show("O_CREAT|O_EXCL dangling",
         open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0644));
    show("O_CREAT abs (dangling-ish)", open("abs", O_CREAT | O_WRONLY, 0644));
    show("mkdir updir/d", mkdir("updir/d", 0755));
    show("rename inner -> updir/moved", rename("inner.txt", "updir/moved"));
    show("rename up -> kept", rename("up", "kept"));
    show("rename kept -> up", rename("kept", "up"));
    show("linkat up (FOLLOW) -> hl",
         linkat(AT_FDCWD, "up", AT_FDCWD, "hl", AT_SYMLINK_FOLLOW));
    show("link up -> hl (the link itself)", link("up", "hl"));
    show("unlink hl", unlink("hl"));
    show("truncate up", truncate("up", 0));
    show("chmod up", chmod("up", 0777));
    show("symlink then open", symlink("../secret.txt", "mine") < 0 ? -1 :
         open("mine", O_RDONLY));
    show("unlink mine", unlink("mine"));
    show("utimensat updir/secret.txt",
         utimensat(AT_FDCWD, "updir/secret.txt", NULL, 0));
}

static void dirs_and_fds(void)
{
    char cwd[256];

    printf("-- directories and fds\n");
    show("chdir updir", chdir("updir"));
    show("chdir ..", chdir(".."));
    show("getcwd", getcwd(cwd, sizeof cwd) ? 0 : -1);
    printf("%-*s %s\n", SHOW_WIDTH, "cwd", cwd);
    show_fd("secret.txt from there", open("secret.txt", O_RDONLY));
    show("chdir /work", chdir("/work"));
    int kvmelf_fds = 0;
    for (int fd = 3; fd < 64; fd++) {
        struct stat st;
        char path[32];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        int o = open(path, O_RDONLY);
        if (fstat(fd, &st) == 0 || o >= 0)
            kvmelf_fds++;
        if (o >= 0)
            close(o);
    }
    show("fds 3..63 open (none of them)", kvmelf_fds);
    int d = open(".", O_RDONLY | O_DIRECTORY);
    show_fd("openat(/work fd, ../secret)", openat(d, "../secret.txt",
                                                 O_RDONLY));
    show_fd("fchdir then ../secret", fchdir(d) < 0 ? -1 :
            open("../secret.txt", O_RDONLY));
    close(d);
}

static void long_paths(void)
{
    static char path[8192];

    printf("-- long paths\n");
    memset(path, 'a', 5000);
    path[5000] = '\0';
    show("a 5000-byte path", open(path, O_RDONLY));
    memset(path, 'n', 256);
    path[256] = '\0';
    show("a 256-byte name", open(path, O_RDONLY));
    /* 1300 "./" and then the file: 2610 bytes, under PATH_MAX. */
    size_t n = 0;
    for (int i = 0; i < 1300; i++)
        n += (size_t)sprintf(path + n, "./");
    strcpy(path + n, "inner.txt");
    show_fd("1300 ./ then inner.txt", open(path, O_RDONLY));
    /* A link whose target holds a name longer than NAME_MAX: the host
     * stores it; following it is ENAMETOOLONG. */
    show_fd("longname (-> a 300-byte name)", open("longname", O_RDONLY));
    show_fd("longname/x", open("longname/x", O_RDONLY));
    /* One whose target is 3999 bytes ("./" and inner.txt): followed. */
    show_fd("longtarget (-> 3999 bytes)", open("longtarget", O_RDONLY));
}

static void nested_ro(void)
{
    printf("-- the :ro grant inside\n");
    show("ro/file O_WRONLY", open("ro/file", O_WRONLY));
    show("toro/file O_WRONLY", open("toro/file", O_WRONLY));
    show("dot/ro/file O_WRONLY", open("dot/ro/file", O_WRONLY));
    show("tofile O_WRONLY", open("tofile", O_WRONLY));
    show("unlink toro/file", unlink("toro/file"));
    show_fd("toro/file", open("toro/file", O_RDONLY));
}

static int attacks(void)
{
    opens();
    writes();
    dirs_and_fds();
    long_paths();
    nested_ro();
    return 0;
}

/* Until both outcomes were seen (the test swaps as long as this runs):
 * the file inside read, and the open refused while swap/ is the link
 * out.  Anything else, and the secret above all, is printed. */
static int race(void)
{
    long inside = 0, refused = 0, other = 0;

    while (inside < 100 || refused < 100) {
        char buf[16] = "";
        int fd = open("swap/target.txt", O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (n > 0 && strncmp(buf, "inside", 6) == 0)
            inside++;
        else if (fd < 0 && (e == EACCES || e == ENOENT))
            refused++;
        else if (other++ < 5)
            printf("unexpected: %s\n", n > 0 ? buf : errname(e));
    }
    printf("race over: other results %ld\n", other);
    return other != 0;
}

static int scopes(const char *dir)
{
    static const char *const paths[] = {
        "in", "lin", "up", "abs", "../top", "e/../in", "le/../in", "/in",
        "/d/in", "", "/", "..", "e/../../top", "/proc/self/exe", "nope",
        "e/", "lin/",
    };
    char at[512];
    snprintf(at, sizeof at, "%s/d", dir);
    int d = open(at, O_PATH | O_DIRECTORY);
    if (d < 0) {
        perror(at);
        return 2;
    }
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        char what[64];
        snprintf(what, sizeof what, "BENEATH %s", paths[i]);
        show_fd(what, openat2_(d, paths[i], O_RDONLY, R_BENEATH));
        snprintf(what, sizeof what, "IN_ROOT %s", paths[i]);
        show_fd(what, openat2_(d, paths[i], O_RDONLY, R_IN_ROOT));
    }
    show_fd("BENEATH|NO_SYMLINKS lin",
            openat2_(d, "lin", O_RDONLY, R_BENEATH | R_NO_SYMLINKS));
    show_fd("IN_ROOT up O_PATH|O_NOFOLLOW",
            openat2_(d, "up", O_PATH | O_NOFOLLOW, R_IN_ROOT));
    int made = openat2_(d, "abs", O_CREAT | O_WRONLY, R_IN_ROOT);
    show("IN_ROOT abs O_CREAT", made < 0 ? -1 : close(made));
    show_fd("IN_ROOT abs again", openat2_(d, "abs", O_RDONLY, R_IN_ROOT));
    show_fd("BENEATH bad fd", openat2_(99, "in", O_RDONLY, R_BENEATH));
    show_fd("BENEATH bad fd, /in", openat2_(99, "/in", O_RDONLY, R_BENEATH));
    if (fchdir(d) < 0)
        return 2;
    show_fd("cwd BENEATH in", openat2_(AT_FDCWD, "in", O_RDONLY, R_BENEATH));
    show_fd("cwd IN_ROOT ../top",
            openat2_(AT_FDCWD, "../top", O_RDONLY, R_IN_ROOT));
    return 0;
}

/* DIR is the :rw grant, DIR/sub the :ro one; s -> sub, dot -> ., lf ->
 * sub/f. */
static int nested(const char *dir)
{
    char cwd[512];

    if (chdir(dir) < 0) {
        perror(dir);
        return 2;
    }
    show("sub/f O_WRONLY", open("sub/f", O_WRONLY));
    show("s/f O_WRONLY", open("s/f", O_WRONLY));
    show("dot/sub/f O_WRONLY", open("dot/sub/f", O_WRONLY));
    show("lf O_WRONLY", open("lf", O_WRONLY));
    show("lf O_RDONLY", open("lf", O_RDONLY) >= 0 ? 0 : -1);
    show("O_CREAT s/new", open("s/new", O_CREAT | O_WRONLY, 0644));
    show("mkdir s/d", mkdir("s/d", 0755));
    show("unlink s/f", unlink("s/f"));
    show("rename s/f -> moved", rename("s/f", "moved"));
    show("chmod lf", chmod("lf", 0600));
    show("truncate lf", truncate("lf", 0));
    show("access lf W_OK", access("lf", W_OK));
    show("O_CREAT new (the :rw grant)", open("new", O_CREAT | O_WRONLY,
                                               0644) >= 0 ? 0 : -1);
    show("unlink new", unlink("new"));
    show("chdir s", chdir("s"));
    show("getcwd", getcwd(cwd, sizeof cwd) ? 0 : -1);
    printf("%-*s %s\n", SHOW_WIDTH, "cwd is DIR/sub",
           strncmp(cwd, dir, strlen(dir)) == 0 &&
           strcmp(cwd + strlen(dir), "/sub") == 0 ? "yes" : cwd);
    show("f O_WRONLY from there", open("f", O_WRONLY));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "attacks") == 0)
        return attacks();
    if (argc == 2 && strcmp(argv[1], "race") == 0)
        return race();
    if (argc == 3 && strcmp(argv[1], "scopes") == 0)
        return scopes(argv[2]);
    if (argc == 3 && strcmp(argv[1], "nested") == 0)
        return nested(argv[2]);
    fprintf(stderr, "usage: escape attacks|race|scopes DIR|nested DIR\n");
    return 2;
}
