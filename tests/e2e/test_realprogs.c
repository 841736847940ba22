/*
 * Real programs nobody wrote for kvmelf, on files (issue 12's "done
 * when"): Debian's busybox-static ($KVMELF_BUSYBOX, a static glibc
 * program) and a Lua 5.4 interpreter built with kvmelf-cc ($KVMELF_LUA,
 * mk/thirdparty.mk).  Every case runs the same file twice, natively and
 * as `kvmelf run`, over the same tree (a copy of tests/e2e/realprogs plus
 * what git cannot hold: an empty directory, symlinks, modes, old times,
 * a long file), and the two runs must agree byte for byte: stdout,
 * stderr, exit status and, where the program writes, the tree it leaves.
 * Each case also says what status and output it expects, so that two
 * runs that fail the same way do not pass.
 *
 * Natively the program runs with `env -i -C DIR TZ=UTC0`: the empty
 * environment kvmelf gives a guest, with one zone for both (the guest
 * sees nothing of the host's /etc, so no /etc/localtime either).
 * Read-only cases share one tree, granted as `--dir DIR` (at its own
 * path, so the working directory's name agrees too) with `--cwd DIR`;
 * writing ones get two copies made the same way, the native run's A and
 * kvmelf's B granted as `--dir B:A:rw`, and the two trees afterwards are
 * compared (tests/support/tree.h).
 *
 * Debian's busybox-static ash forks for every command that is not a
 * shell builtin, and a kvmelf guest has no processes: the shell scripts
 * use builtins only, and the writing applets (mkdir, mv, rm, touch...)
 * run one process each, in steps over one tree.
 *
 * A missing program (no busybox-static, or no network to fetch Lua's
 * source) skips its cases, saying what is missing and how to get it;
 * with $KVMELF_REALPROGS_REQUIRED set (.ci/run) it fails them instead.
 * Under `make check-valgrind` every case runs (about a second a run,
 * some forty seconds in all).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/e2e.h"
#include "tests/support/tree.h"

#define MAX_ARGS 16
/* 2001-02-03 04:05:06 UTC: every entry of a fresh tree, so that `ls -l`
 * shows a date and not the time of day of the run, and so that a time a
 * program keeps (cp -a) shows in the tree's description. */
#define FIXTURE_TIME ((time_t)981173106)
#define BIG_LINES 3000

enum prog { BUSYBOX, LUA };

struct realprog_case {
    const char *name;
    enum prog prog;
    bool rw;                     /* two copies, writable, trees compared */
    const char *args[MAX_ARGS];  /* after the program */
    const char *input;           /* stdin; NULL: /dev/null */
    int status;                  /* what both runs exit with */
    const char *out_has;         /* what both print (NULL: not checked) */
};

/* ---- The programs and the trees ----------------------------------------- */

/* The tree under test, for the teardown. */
static char base_dir[PATH_MAX];

static int realprogs_teardown(void **state)
{
    if (*base_dir && tree_remove(base_dir) < 0)
        fprintf(stderr, "cannot remove %s: %s\n", base_dir, strerror(errno));
    *base_dir = '\0';
    return e2e_teardown(state);
}

/* Whether the ELF file at path asks for an interpreter (PT_INTERP). */
static bool dynamically_linked(const char *path)
{
    unsigned char eh[64], ph[56];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool dynamic = false;

    if (fd < 0)
        return false;
    if (pread(fd, eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
        memcmp(eh, "\177ELF\2", 5) == 0) {      /* 64-bit: the offsets below */
        uint64_t phoff;
        uint16_t phentsize, phnum;
        memcpy(&phoff, eh + 32, 8);
        memcpy(&phentsize, eh + 54, 2);
        memcpy(&phnum, eh + 56, 2);
        for (unsigned i = 0; i < phnum && !dynamic; i++) {
            uint32_t type;
            if (pread(fd, ph, sizeof ph, (off_t)(phoff + i * phentsize)) !=
                (ssize_t)sizeof ph)
                break;
            memcpy(&type, ph, 4);
            dynamic = type == 3;                /* PT_INTERP */
        }
    }
    close(fd);
    return dynamic;
}

/* A skip, or a failure where the programs must be there (CI sets
 * $KVMELF_REALPROGS_REQUIRED: there a skip would pass unnoticed). */
#define MISSING(...) do {                                                \
        const char *req = getenv("KVMELF_REALPROGS_REQUIRED");           \
        if (req && *req)                                                 \
            fail_msg(__VA_ARGS__);                                       \
        e2e_skip(__VA_ARGS__);                                           \
    } while (0)

/* The program's absolute path (the native run starts in another
 * directory); skips, saying what is missing and how to get it. */
static const char *need_prog(enum prog prog)
{
    const char *var = prog == BUSYBOX ? "KVMELF_BUSYBOX" : "KVMELF_LUA";
    const char *path = getenv(var);
    char abs[PATH_MAX];

    if (!path || !*path)
        MISSING("%s is not set: `make check` sets it (mk/thirdparty.mk)",
                var);
    if (prog == BUSYBOX && access(path, X_OK) != 0)
        MISSING("no %s: busybox-static is not installed; as root run: "
                "apt-get install busybox-static", path);
    if (prog == LUA && access(path, X_OK) != 0) {
        const char *howto = getenv("KVMELF_LUA_HOWTO");
        MISSING("no Lua interpreter at %s: Lua's source (Debian's lua5.4) "
                "was not fetched; run: %s", path,
                howto && *howto ? howto : "make thirdparty");
    }
    if (dynamically_linked(path))
        MISSING("%s is dynamically linked (Debian's busybox, not "
                "busybox-static): kvmelf runs static programs; as root "
                "run: apt-get install busybox-static", path);
    if (!realpath(path, abs))
        fail_msg("realpath %s: %s", path, strerror(errno));
    e2e_need_kvm();
    return e2e_owned(strdup(abs));
}

static const char *src_dir(void)
{
    const char *d = getenv("KVMELF_REALPROGS_SRC");
    return d && *d ? d : "tests/e2e/realprogs";
}

#define CHECK_OS(call, what) do {                                        \
        if ((call) < 0)                                                  \
            fail_msg("%s: %s", (what), strerror(errno));                 \
    } while (0)

/* dir made from tests/e2e/realprogs and the rest (the top comment): the
 * same calls in the same order every time. */
static void make_tree(const char *dir)
{
    char path[PATH_MAX];
    FILE *f;

    CHECK_OS(tree_copy(src_dir(), dir), src_dir());
    snprintf(path, sizeof path, "%s/empty", dir);
    CHECK_OS(mkdir(path, 0755), path);
    snprintf(path, sizeof path, "%s/link", dir);
    CHECK_OS(symlink("fruits.txt", path), path);
    snprintf(path, sizeof path, "%s/dirlink", dir);
    CHECK_OS(symlink("sub", path), path);
    snprintf(path, sizeof path, "%s/dangling", dir);
    CHECK_OS(symlink("nowhere", path), path);
    snprintf(path, sizeof path, "%s/sub/nonl", dir);
    CHECK_OS(chmod(path, 0600), path);
    /* Long enough for several reads, and for glibc's qsort (busybox
     * sort) to ask sysinfo(2) how much memory there is. */
    snprintf(path, sizeof path, "%s/big.txt", dir);
    if (!(f = fopen(path, "w")))
        fail_msg("%s: %s", path, strerror(errno));
    for (unsigned i = 1; i <= BIG_LINES; i++)
        fprintf(f, "%u item-%05u\n", i * 7919 % 1009, i);
    if (fclose(f) != 0)
        fail_msg("%s: %s", path, strerror(errno));
    CHECK_OS(tree_set_times(dir, FIXTURE_TIME), dir);
}

/* A fresh directory for this test's trees, removed by the teardown; by
 * its real path, which is what --dir shows the guest. */
static const char *new_base(void)
{
    if (!realpath(e2e_tmpdir("realprogs"), base_dir))
        fail_msg("realpath: %s", strerror(errno));
    return base_dir;
}

/* ---- One program, twice ------------------------------------------------- */

struct pair {
    const char *prog;
    const char *native_dir;      /* where the native run works */
    const char *guest_dir;       /* what kvmelf grants there (the same
                                    directory, or the other copy) */
    bool rw;
    const char *vg_tmp;          /* under valgrind: a /tmp to grant */
};

/* A pair of runs over one tree, or over two copies. */
static struct pair new_pair(enum prog prog, bool rw)
{
    const char *base = new_base();
    struct pair p = { .prog = need_prog(prog), .rw = rw };

    p.native_dir = e2e_printf("%s/A", base);
    make_tree(p.native_dir);
    p.guest_dir = p.native_dir;
    if (rw) {
        p.guest_dir = e2e_printf("%s/B", base);
        make_tree(p.guest_dir);
    }
    /* kvmelf runs --tmp 0 under valgrind (mk/security.mk: valgrind 3.19
     * notes every mount API call on stderr), so Lua's os.tmpname gets a
     * /tmp from a grant instead of the private one. */
    const char *vg = getenv("KVMELF_UNDER_VALGRIND");
    if (vg && *vg) {
        p.vg_tmp = e2e_printf("%s/vgtmp", base);
        CHECK_OS(mkdir(p.vg_tmp, 01777), p.vg_tmp);
    }
    return p;
}

/* Runs prog args natively and under kvmelf and checks that both agree and
 * end with status, out_has in their stdout.  Leaves kvmelf's run as the
 * latest. */
static void run_pair(const struct pair *p, const char *const *args,
                     const char *input, int status, const char *out_has)
{
    const char *argv[MAX_ARGS + 8], *kargs[MAX_ARGS + 16];
    size_t n = 0, k = 0;
    struct proc_result native;
    const struct proc_opts o = { .input = input,
                                 .input_len = input ? strlen(input) : 0 };

    argv[n++] = "/usr/bin/env";
    argv[n++] = "-i";
    argv[n++] = "-C";
    argv[n++] = p->native_dir;
    argv[n++] = "TZ=UTC0";
    argv[n++] = p->prog;
    kargs[k++] = "run";
    kargs[k++] = "--env";
    kargs[k++] = "TZ=UTC0";
    kargs[k++] = "--dir";
    kargs[k++] = p->rw ? e2e_printf("%s:%s:rw", p->guest_dir, p->native_dir)
                       : p->native_dir;
    if (p->vg_tmp) {
        kargs[k++] = "--dir";
        kargs[k++] = e2e_printf("%s:/tmp:rw", p->vg_tmp);
    }
    kargs[k++] = "--cwd";
    kargs[k++] = p->native_dir;
    kargs[k++] = p->prog;
    for (size_t i = 0; args[i]; i++) {
        if (i == MAX_ARGS)
            fail_msg("more than %d arguments", MAX_ARGS);
        argv[n++] = args[i];
        kargs[k++] = args[i];
    }
    argv[n] = NULL;
    kargs[k] = NULL;

    e2e_run_argv(argv, &o);
    e2e_take(&native);
    e2e_owned(native.out);
    e2e_owned(native.err);
    e2e_run(kargs, &o);
    const struct proc_result *r = e2e_last();
    bool same_out = proc_same_output("native", native.out, native.out_len,
                                     "kvmelf", r->out, r->out_len);
    E2E_CHECK(same_out, "stdout differs from the native run's:\n%s",
              native.out);
    bool same_err = proc_same_output("native", native.err, native.err_len,
                                     "kvmelf", r->err, r->err_len);
    E2E_CHECK(same_err, "stderr differs from the native run's:\n%s",
              native.err);
    E2E_CHECK(r->status == native.status, "status %d, natively %d",
              r->status, native.status);
    E2E_CHECK(r->status == status, "both ended with status %d, not %d",
              r->status, status);
    E2E_CHECK(!out_has || strstr(r->out, out_has),
              "both printed no \"%s\"", out_has);
}

/* After a writing run: both trees the same. */
static void check_trees(const struct pair *p)
{
    size_t a_len, b_len;
    char *a = tree_describe(p->native_dir, &a_len);

    if (!a)
        fail_msg("describing %s: %s", p->native_dir, strerror(errno));
    e2e_owned(a);
    char *b = tree_describe(p->guest_dir, &b_len);
    if (!b)
        fail_msg("describing %s: %s", p->guest_dir, strerror(errno));
    e2e_owned(b);
    if (!proc_same_output("native", a, a_len, "kvmelf", b, b_len))
        fail_msg("the trees differ; natively:\n%s\nunder kvmelf:\n%s", a, b);
}

/* ---- The cases ---------------------------------------------------------- */

#define BB(...) .prog = BUSYBOX, .args = { __VA_ARGS__ }
#define LUA_(...) .prog = LUA, .args = { __VA_ARGS__ }

static const char numbers_in[] = "5\nnot a number\n7\n";
static const char words_in[] =
    "zeta\nalpha\nmid dle\nalpha\nneedle in stdin\n";

/* Read-only cases over one tree; rw cases over two. */
static const struct realprog_case cases[] = {
    /* cat: files, one missing (an error, then the rest), stdin. */
    { "cat_files", BB("cat", "fruits.txt", "sub/a.txt", "sub/nonl"),
      .out_has = "banana 10\nalpha\n" },
    { "cat_missing", BB("cat", "nope", "fruits.txt", "sub"), .status = 1,
      .out_has = "kiwi 7" },
    { "cat_stdin", BB("cat", "-n", "sub/a.txt", "-", "dirlink/a.txt"),
      .input = words_in, .out_has = "mid dle" },
    /* ls -n: numeric owners.  With -l alone the owner column differs,
     * and not by a bug: natively glibc finds "root" in /etc/passwd, the
     * guest is shown no /etc (only its grants), so ls prints the number
     * there; -n prints the number both ways. */
    { "ls_ln", BB("ls", "-ln"), .out_has = "Feb  3  2001 fruits.txt" },
    { "ls_lnR", BB("ls", "-lnRa", "sub", "pkg"), .out_has = "n.conf" },
    /* "dirlink/": a trailing slash follows the link (lstat). */
    { "ls_links", BB("ls", "-lnF", "link", "dangling", "dirlink/", "empty"),
      .out_has = "a.txt" },
    /* sort: by key, reversed, unique, from stdin; big.txt is long enough
     * for glibc's qsort to ask sysinfo(2) about memory. */
    { "sort_file", BB("sort", "fruits.txt"), .out_has = "apple 1\napple 10" },
    { "sort_keys", BB("sort", "-k2,2nr", "-k1,1", "fruits.txt"),
      .out_has = "apple 10\nbanana 10" },
    { "sort_big", BB("sort", "-n", "-s", "big.txt"),
      .out_has = "1008 item-" },
    { "sort_stdin", BB("sort", "-u", "-r"), .input = words_in,
      .out_has = "zeta\nneedle in stdin\nmid dle\nalpha\n" },
    /* find: the whole tree, then filters (no -exec: it forks). */
    { "find_all", BB("find", "."), .out_has = "./sub/deep/n.conf" },
    { "find_filters", BB("find", ".", "-type", "f", "-name", "*.txt",
                         "-size", "-2k"), .out_has = "./sub/a.txt" },
    { "find_follow", BB("find", "-L", "dirlink", "-type", "f"),
      .out_has = "dirlink/deep/n.conf" },
    /* grep -r: line numbers, names only, ignoring case, errors. */
    { "grep_r", BB("grep", "-rn", "needle", "."),
      .out_has = "./sub/deep/n.conf:3:needle = here" },
    { "grep_r_names", BB("grep", "-r", "-i", "-l", "-e", "NEEDLE", "-e",
                         "alpha", "sub", "notes.txt"),
      .out_has = "notes.txt" },
    { "grep_missing", BB("grep", "-c", "apple", "fruits.txt", "nope"),
      .status = 2, .out_has = "fruits.txt:2" },
    { "grep_stdin", BB("grep", "-v", "-n", "alpha"), .input = words_in,
      .out_has = "1:zeta" },
    /* printf: widths, bases, floats, %c, %b, a number that is not one. */
    { "printf", BB("printf", "%5s|%-4d|%x|%o|%5.2f|%c|%b|%s\n", "ab", "42",
                   "255", "8", "3.14159", "xyz", "a\\tb", "end"),
      .out_has = "   ab|42  |ff|10| 3.14|x|a\tb|end\n" },
    { "printf_error", BB("printf", "%d\n", "12", "x"), .status = 1,
      .out_has = "12\n" },
    /* head and wc: files (head names them), stdin. */
    { "head_files", BB("head", "-n", "3", "big.txt", "fruits.txt"),
      .out_has = "==> fruits.txt <==\npear 3" },
    { "head_stdin", BB("head", "-c", "12"), .input = words_in,
      .out_has = "zeta\nalpha\nm" },
    { "wc_files", BB("wc", "fruits.txt", "big.txt", "sub/nonl"),
      .out_has = "total" },
    { "wc_stdin", BB("wc", "-l", "-w"), .input = words_in,
      .out_has = "5         8\n" },
    /* sh: while read over a file and over stdin (a pipe), a script. */
    { "sh_read_file",
      BB("sh", "-c", "n=0; while IFS=' ' read -r name qty; do "
         "n=$((n + qty)); printf '%s=%s\\n' \"$name\" \"$qty\"; "
         "done < fruits.txt; echo \"total $n\""),
      .out_has = "kiwi=7\nbanana=10\ntotal 33\n" },
    { "sh_read_stdin",
      BB("sh", "-c", "n=0; while IFS= read -r line; do n=$((n + 1)); "
         "printf '%d:%s\\n' \"$n\" \"$line\"; done; echo \"$n lines\""),
      .input = words_in, .out_has = "3:mid dle\n" },
    { "sh_script", BB("sh", "script.sh", "one", "two words"),
      .input = "5\nneedle in stdin\n7\n", .status = 3,
      .out_has = "from fd 3: alpha beta" },
    { "sh_script_stdin", BB("sh", "-s", "x", "y z"),
      .input = "for a; do echo \"arg $a\"; done\n"
               "while read -r w; do echo \"word $w\"; done < sub/a.txt\n"
               "echo \"$0 done\" >&2; exit 4\n",
      .status = 4, .out_has = "arg y z\nword alpha\n" },
    /* Writing: builtins and redirections in a writable grant. */
    { "sh_write", BB("sh", "write.sh"), .rw = true,
      .out_has = "first numbered: 1: first" },
    /* Lua: modules from the working directory, io and os on files. */
    { "lua_main", LUA_("main.lua", "one", "two"), .rw = true,
      .input = numbers_in, .status = 3, .out_has = "stdin | 3 | 12" },
    { "lua_errors", LUA_("errors.lua"), .rw = true,
      .input = "12.5 rest of line\n", .status = 1,
      .out_has = "nope.txt: No such file or directory | 2" },
};

static void test_case(void **state)
{
    const struct realprog_case *c = *state;
    struct pair p = new_pair(c->prog, c->rw);

    run_pair(&p, c->args, c->input, c->status, c->out_has);
    if (c->rw)
        check_trees(&p);
}

/* busybox's writing applets, one process each, over one tree: every step
 * agrees with its native twin, and so do the trees after the last. */
struct step {
    const char *args[8];
    const char *input;
    int status;
    const char *out_has;
};

static const struct step steps[] = {
    { .args = { "mkdir", "-p", "made/a/b" } },
    { .args = { "touch", "made/a/b/new.txt" } },
    { .args = { "touch", "-d", "2001-02-03 04:05:07", "made/a/old" } },
    { .args = { "mv", "fruits.txt", "made/" } },
    { .args = { "mv", "sub/a.txt", "sub/b.txt" } },
    { .args = { "cp", "-a", "sub", "copy" } },
    { .args = { "cp", "notes.txt", "copy/notes-copy.txt" } },
    { .args = { "rm", "-r", "copy/deep" } },
    { .args = { "ln", "-s", "made/fruits.txt", "flink" } },
    { .args = { "sed", "-i", "s/apple/APPLE/", "made/fruits.txt" } },
    { .args = { "sort", "-o", "sorted.txt", "flink" } },
    { .args = { "chmod", "600", "sorted.txt" } },
    { .args = { "rmdir", "empty" } },
    { .args = { "rm", "link", "dangling" } },
    { .args = { "tee", "teed.txt" }, .input = "through tee\n",
      .out_has = "through tee\n" },
    { .args = { "rm", "nope" }, .status = 1 },
    { .args = { "rmdir", "made" }, .status = 1 },
    { .args = { "mkdir", "sub" }, .status = 1 },
    { .args = { "mv", "dirlink/", "renamed" }, .status = 1 },
    { .args = { "ls", "-R" }, .out_has = "sorted.txt" },
};

static void test_busybox_steps(void **state)
{
    struct pair p = new_pair(BUSYBOX, true);

    (void)state;
    for (size_t i = 0; i < E2E_LEN(steps); i++)
        run_pair(&p, steps[i].args, steps[i].input, steps[i].status,
                 steps[i].out_has);
    check_trees(&p);
}

/* busybox tar over an archive the native busybox made (an archive
 * kvmelf's made would differ: tar stores the owner's name, which the
 * guest cannot look up without /etc): listed, extracted (modes, times,
 * owners, links restored in a writable grant), one member to stdout. */
static void test_busybox_tar(void **state)
{
    struct pair p = new_pair(BUSYBOX, true);
    const char *tar = e2e_printf("%s/t.tar", p.native_dir);
    const char *const make[] = { p.prog, "tar", "-cf", tar, "-C",
                                 p.native_dir, "sub", "pkg", "link",
                                 "dirlink", NULL };
    static const struct step tar_steps[] = {
        { .args = { "tar", "-tvf", "t.tar" },
          .out_has = "2001-02-03 04:05:06 sub/deep/n.conf" },
        { .args = { "tar", "-xf", "t.tar", "-C", "empty" } },
        { .args = { "tar", "-xOf", "t.tar", "sub/a.txt" },
          .out_has = "alpha\nbeta\n" },
        { .args = { "tar", "-xvf", "t.tar", "-C", "empty", "pkg" } },
        { .args = { "tar", "-xf", "t.tar", "nope" }, .status = 1 },
        { .args = { "tar", "-xf", "missing.tar" }, .status = 1 },
    };

    (void)state;
    e2e_run_argv(make, NULL);
    e2e_check_status(0);
    CHECK_OS(tree_set_times(p.native_dir, FIXTURE_TIME), p.native_dir);
    const char *const copy[] = { "/bin/cp", "-p", tar, p.guest_dir, NULL };
    e2e_run_argv(copy, NULL);
    e2e_check_status(0);
    for (size_t i = 0; i < E2E_LEN(tar_steps); i++)
        run_pair(&p, tar_steps[i].args, tar_steps[i].input,
                 tar_steps[i].status, tar_steps[i].out_has);
    check_trees(&p);
    E2E_ASSERT(strstr(e2e_last()->err, "missing.tar"),
               "tar says nothing of missing.tar");
}

int main(void)
{
    struct CMUnitTest tests[E2E_LEN(cases) + 2];
    size_t n = E2E_ADD_CASES(tests, 0, cases, test_case);

    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_busybox_steps);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_busybox_tar);
    for (size_t i = 0; i < n; i++)
        tests[i].teardown_func = realprogs_teardown;
    umask(022);                  /* the modes the trees are compared by */
    e2e_init(E2E_RUNS_GUESTS);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
