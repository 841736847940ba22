/* The command line: usage texts, options, and the one-line errors (with a
 * hint where one helps) for a command line kvmelf cannot take. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Beyond this --timeout counts as this: about 115 days, far below what
 * setitimer takes. */
#define TIMEOUT_MAX_SEC 1e7
/* A misspelt command or option within this many edits gets a hint. */
#define SUGGEST_MAX_EDITS 2

static const char usage_text[] =
"Usage: kvmelf run [OPTIONS] FILE [ARG...]\n"
"       kvmelf info FILE [--mem SIZE] [--stack SIZE] [--allow-wx] [--dir ...]\n"
"Run the static x86-64 ELF program FILE in a fresh KVM virtual machine, in\n"
"64-bit long mode (ring 3 by default).  ARGs are passed to the guest, with\n"
"FILE as argv[0].  A FILE without a slash that is not in the current\n"
"directory is looked up in PATH.  FILE is either a static Linux program\n"
"(e.g. built with kvmelf-cc or musl-gcc -static): its system calls are\n"
"served by kvmelf, fds 0-2 are kvmelf's stdin, stdout and stderr, and the\n"
"only files it sees are the directories --dir grants, a private /tmp and\n"
"/dev's null, zero, full, random and urandom; or a freestanding guest using\n"
"kvmelf's ports: what it writes to COM1 (port 0x3f8) or port 0xe9 appears\n"
"on stdout, COM1 reads take stdin.\n"
"\n"
"Options (before FILE):\n"
"  --mem SIZE      guest RAM, K/M/G suffixes (default 64M, 2M to 64G,\n"
"                  a multiple of 4K)\n"
"  --stack SIZE    the guest's stack at the top of RAM (default 8M, Linux's,\n"
"                  or RAM/8 when --mem is below 64M; at least 16K)\n"
"  --timeout DURATION  stop the guest after DURATION, a number with an\n"
"                  optional unit s, m, h or d as timeout(1) takes it (exit\n"
"                  status 124); 0 means no limit\n"
"  --ring0         run the guest in ring 0, for guests that manage the CPU\n"
"                  themselves (slow where KVM emulates ring 0, e.g. kvm_pvm)\n"
"  --allow-wx      map segments that ask for write+execute, and let mmap/\n"
"                  mprotect ask for it (refused by default: every page is\n"
"                  writable or executable, not both)\n"
"  --dir HOST[:GUEST][:ro|:rw]\n"
"                  show the host directory HOST to the guest at GUEST (an\n"
"                  absolute path; default: HOST's own absolute path),\n"
"                  read-only unless :rw (repeatable; nothing else of the\n"
"                  host is visible)\n"
"  --cwd PATH      the guest's working directory (default: the first --dir's\n"
"                  GUEST, or /)\n"
"  --tmp SIZE      the most the guest's private in-memory /tmp holds, K/M/G\n"
"                  suffixes (default 64M; 0: no /tmp); gone when it ends\n"
"  --env NAME=VALUE  set NAME in the guest's environment (repeatable; a\n"
"                  later NAME replaces an earlier one; --env NAME passes\n"
"                  kvmelf's own value, if it has one; the environment is\n"
"                  empty otherwise)\n"
"  --strict-io     end the guest on an unknown port or bad access size\n"
"                  (default: warn once per port and go on)\n"
"  --regs          print the guest's final registers (general, control,\n"
"                  segment) on stderr\n"
"  --stats         print where the time went on stderr at the end: exec to\n"
"                  main, ELF load, VM creation, page tables, vCPU setup,\n"
"                  first KVM_RUN, run (with the exit count, the exits by\n"
"                  kind with kvmelf's time on each, and the system calls\n"
"                  made most), teardown; and the files granted and what\n"
"                  confined the run\n"
"  --max-output SIZE  stop the guest when it writes more than SIZE bytes\n"
"                  (stdout and stderr together, K/M/G suffixes; the first\n"
"                  SIZE bytes are written; exit status 153)\n"
"  --gdb PORT      wait for gdb on 127.0.0.1:PORT before the guest's first\n"
"                  instruction (it says the gdb command to type), then let\n"
"                  gdb debug it (breakpoints, steps, registers, memory)\n"
"  --gdb-socket PATH  the same on a new Unix socket at PATH\n"
"  --no-sandbox    do not confine kvmelf with its seccomp filter and\n"
"                  Landlock while the guest runs (for debugging kvmelf,\n"
"                  e.g. under strace/gdb)\n"
"  -h, --help      show this help;  --version  show the version\n"
"\n"
"Exit status: the guest's own status (a Linux guest's exit(n); exit port\n"
"0x500, isa-debug-exit 0xf4 as (v << 1) | 1, HLT = 0); 124 timeout; 125\n"
"kvmelf could not run the guest (usage, bad ELF); 126 this host cannot run\n"
"guests (no /dev/kvm, permission, API version, no seccomp); 128+N the guest\n"
"crashed with what a native program would get as signal N (139 SIGSEGV,\n"
"132 SIGILL, 136 SIGFPE, 133 SIGTRAP, 135 SIGBUS), or raised signal N\n"
"itself (134 abort()); 130/143 SIGINT/SIGTERM; 141 stdout was closed; 153\n"
"(128 + SIGXFSZ) --max-output reached; 159 (SIGSYS) kvmelf's sandbox\n"
"refused a system call (a kvmelf bug).\n"
"\n"
"Environment: KVMELF_KVM_DEVICE overrides /dev/kvm.\n"
"\n"
"kvmelf info FILE shows the memory map FILE would get (segments, heap, stack,\n"
"page sizes, entry point) and the files it would see, without running it;\n"
"see kvmelf info --help.\n"
"\n"
"Confinement: the guest reaches host files only beneath the --dir grants\n"
"(openat2 with RESOLVE_BENEATH from each grant's directory); while it runs,\n"
"Landlock lets kvmelf open files only in those trees (read-only ones for\n"
"reading), and a seccomp filter allows kvmelf only the system calls the run\n"
"needs; kvmelf never dumps core and closes inherited file descriptors above\n"
"2 at startup.  Where the kernel has no Landlock, kvmelf says so and goes\n"
"on without it.\n";

static const char info_usage_text[] =
"Usage: kvmelf info [OPTIONS] FILE [OPTIONS]\n"
"Show what `kvmelf run FILE` would set up, without opening /dev/kvm or\n"
"running anything: the ELF's loadable segments, the guest memory map as a\n"
"table and a to-scale picture (the monitor's area, each segment with its\n"
"rights, heap and mmap area, stack and guard page), the page sizes the page\n"
"tables would use, the entry point with its symbol, and the files: each\n"
"grant (host -> guest, read-only or read-write), the private /tmp and its\n"
"size, and whether Landlock would confine the run (this kernel's ABI\n"
"version).  A file or a --dir run would refuse gets the same one-line error\n"
"and exit status 125.\n"
"\n"
"Options (before or after FILE):\n"
"  --mem SIZE      guest RAM as for run (default 64M)\n"
"  --stack SIZE    the stack as for run (default 8M, or RAM/8 below 64M)\n"
"  --allow-wx      accept segments that ask for write+execute, as for run\n"
"  --dir HOST[:GUEST][:ro|:rw], --cwd PATH, --tmp SIZE\n"
"                  the guest's files, as for run\n"
"  -h, --help      show this help\n";

enum { OPT_MEM = 1, OPT_TIMEOUT, OPT_RING0, OPT_STRICT_IO, OPT_REGS,
       OPT_ALLOW_WX, OPT_ENV, OPT_STATS, OPT_MAX_OUTPUT, OPT_NO_SANDBOX,
       OPT_STACK, OPT_DIR, OPT_CWD, OPT_TMP, OPT_GDB, OPT_GDB_SOCKET };

static const struct option run_longopts[] = {
    { "mem", required_argument, NULL, OPT_MEM },
    { "stack", required_argument, NULL, OPT_STACK },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "ring0", no_argument, NULL, OPT_RING0 },
    { "strict-io", no_argument, NULL, OPT_STRICT_IO },
    { "regs", no_argument, NULL, OPT_REGS },
    { "allow-wx", no_argument, NULL, OPT_ALLOW_WX },
    { "env", required_argument, NULL, OPT_ENV },
    { "stats", no_argument, NULL, OPT_STATS },
    { "max-output", required_argument, NULL, OPT_MAX_OUTPUT },
    { "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
    { "dir", required_argument, NULL, OPT_DIR },
    { "cwd", required_argument, NULL, OPT_CWD },
    { "tmp", required_argument, NULL, OPT_TMP },
    { "gdb", required_argument, NULL, OPT_GDB },
    { "gdb-socket", required_argument, NULL, OPT_GDB_SOCKET },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* info takes only the options that change the memory map or the files. */
static const struct option info_longopts[] = {
    { "mem", required_argument, NULL, OPT_MEM },
    { "stack", required_argument, NULL, OPT_STACK },
    { "allow-wx", no_argument, NULL, OPT_ALLOW_WX },
    { "dir", required_argument, NULL, OPT_DIR },
    { "cwd", required_argument, NULL, OPT_CWD },
    { "tmp", required_argument, NULL, OPT_TMP },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

struct command {
    const char *name;                /* "run", "info" */
    const char *synopsis;            /* for "no ELF file given" */
    const char *usage;               /* its --help */
    const struct option *longopts;
    bool guest_args;                 /* ARGs after FILE go to the guest */
};

static const struct command commands[] = {
    [CLI_RUN] = { "run", "kvmelf run [OPTIONS] FILE [ARG...]", usage_text,
                  run_longopts, true },
    [CLI_INFO] = { "info", "kvmelf info [OPTIONS] FILE [OPTIONS]",
                   info_usage_text, info_longopts, false },
};

/* One line on stderr: "kvmelf: " and the formatted message. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    char msg[KVMELF_ERR_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cli_fail(STATUS_CANNOT_RUN, NULL, msg);
}

/* ---- Hints ---------------------------------------------------------------- */

/* Levenshtein distance, capped: anything beyond SUGGEST_MAX_EDITS + 1 is
 * as far as it gets. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAX_LEN = 32 };
    size_t la = strlen(a), lb = strlen(b), row[MAX_LEN + 1];

    if (la > MAX_LEN || lb > MAX_LEN)
        return SUGGEST_MAX_EDITS + 1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The long option of opts closest to name ("--timout"), or NULL. */
static const char *closest_option(const struct option *opts, const char *name)
{
    const char *best = NULL;
    size_t best_d = SUGGEST_MAX_EDITS + 1;

    if (strncmp(name, "--", 2) != 0)
        return NULL;
    name += 2;
    for (const struct option *o = opts; o->name; o++) {
        size_t d = edit_distance(name, o->name);
        if (d < best_d) {
            best_d = d;
            best = o->name;
        }
    }
    return best;
}

static bool is_option_of(const struct option *opts, const char *arg)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);

    if (strncmp(arg, "--", 2) != 0)
        return false;
    for (const struct option *o = opts; o->name; o++)
        if (len - 2 == strlen(o->name) && !strncmp(arg + 2, o->name, len - 2))
            return true;
    return false;
}

/* Appends word to buf, single-quoted when a shell would split or expand
 * it. */
static void append_word(char *buf, size_t len, const char *word)
{
    size_t n = strlen(buf);
    bool plain = *word && strspn(word, "abcdefghijklmnopqrstuvwxyz"
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_./:=@%+,-") == strlen(word);

    snprintf(buf + n, len - n, plain ? " %s" : " '%s'", word);
}

/* "kvmelf run ARGS..." for a hint. */
static const char *run_command_line(int argc, char **argv, char *buf,
                                    size_t len)
{
    snprintf(buf, len, "kvmelf run");
    for (int i = 1; i < argc; i++)
        append_word(buf, len, argv[i]);
    return buf;
}

/* What the user most likely meant by a first argument that is no command. */
static int unknown_command(int argc, char **argv)
{
    const char *arg = argv[1];
    char line[KVMELF_ERR_MAX / 2];
    struct stat st;

    if (is_option_of(run_longopts, arg))
        return usage_error("'%s' is an option of kvmelf run (did you mean: "
                           "%s?)", arg,
                           run_command_line(argc, argv, line, sizeof line));
    if (arg[0] == '-') {
        const char *near = closest_option(run_longopts, arg);
        if (!strcmp(arg, "-V") || !strcmp(arg, "-v") ||
            edit_distance(arg, "--version") <= SUGGEST_MAX_EDITS)
            return usage_error("unknown option '%s' (did you mean --version? "
                               "see kvmelf --help)", arg);
        if (near)
            return usage_error("unknown option '%s' (did you mean: kvmelf "
                               "run --%s? see kvmelf --help)", arg, near);
        return usage_error("unknown option '%s' (see kvmelf --help)", arg);
    }
    if (strchr(arg, '/') || strchr(arg, '.') || stat(arg, &st) == 0)
        return usage_error("'%s' is not a command (did you mean: %s?)", arg,
                           run_command_line(argc, argv, line, sizeof line));
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        if (edit_distance(arg, commands[i].name) <= SUGGEST_MAX_EDITS)
            return usage_error("unknown command '%s' (did you mean '%s'? see "
                               "kvmelf --help)", arg, commands[i].name);
    return usage_error("unknown command '%s' (the commands are run and info; "
                       "see kvmelf --help)", arg);
}

/* ---- Option values --------------------------------------------------------- */

static int parse_mem(const char *text, uint64_t *mem, struct kerr *err)
{
    char lo[32], hi[32];
    struct kerr why;

    if (parse_size(text, mem, &why) < 0)
        return kerr_set(err, "--mem: %s", why.msg);
    if (*mem < KVMELF_MEM_MIN || *mem > KVMELF_MEM_MAX)
        return kerr_set(err, "--mem %s is out of range: guest RAM must be "
                        "%s to %s", text,
                        format_size(KVMELF_MEM_MIN, lo, sizeof lo),
                        format_size(KVMELF_MEM_MAX, hi, sizeof hi));
    if (*mem % KVMELF_PAGE_SIZE)
        return kerr_set(err, "--mem %s is not a multiple of 4 KiB", text);
    return 0;
}

/* The rest of the layout's rules need the RAM size: paging_layout(). */
static int parse_stack(const char *text, uint64_t *stack, struct kerr *err)
{
    struct kerr why;

    if (parse_size(text, stack, &why) < 0)
        return kerr_set(err, "--stack: %s", why.msg);
    if (*stack < KVMELF_STACK_MIN || *stack % KVMELF_PAGE_SIZE)
        return kerr_set(err, "--stack %s must be a multiple of 4 KiB and at "
                        "least %u KiB", text, KVMELF_STACK_MIN >> 10);
    return 0;
}

/* timeout(1)'s DURATION: a floating-point number and an optional unit. */
static int parse_timeout(const char *text, double *out, struct kerr *err)
{
    static const struct { char unit; double seconds; } units[] = {
        { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
    };
    char *end;
    double t = strtod(text, &end);

    for (size_t i = 0; i < ARRAY_SIZE(units) && end != text; i++)
        if (*end == units[i].unit && end[1] == '\0') {
            t *= units[i].seconds;
            end++;
        }
    if (end == text || *end || isnan(t) || t < 0)
        return kerr_set(err, "--timeout '%s' is not a duration: a number of "
                        "seconds with an optional unit s, m, h or d (e.g. "
                        "1.5, 30s, 2m, 1.5h), or 0 for no limit", text);
    *out = t > TIMEOUT_MAX_SEC ? TIMEOUT_MAX_SEC : t;
    return 0;
}

static int parse_max_output(const char *text, uint64_t *out, struct kerr *err)
{
    struct kerr why;

    if (parse_size(text, out, &why) < 0)
        return kerr_set(err, "--max-output: %s", why.msg);
    if (*out == 0)
        return kerr_set(err, "--max-output '%s' must be at least 1 byte",
                        text);
    return 0;
}

/* --env NAME=VALUE sets NAME; --env NAME passes kvmelf's own value (none:
 * nothing is set, as docker's -e does).  A later NAME replaces an earlier
 * one where it stood, as env(1) does. */
static int add_env(struct options *o, const char *text, struct kerr *err)
{
    const char *eq = strchr(text, '=');
    size_t name_len = eq ? (size_t)(eq - text) : strlen(text);

    if (name_len == 0)
        return kerr_set(err, "--env '%s' is not NAME=VALUE or NAME", text);
    if (!eq) {
        if (!getenv(text))
            return 0;
        char *own = NULL;
        if (asprintf(&own, "%s=%s", text, getenv(text)) < 0)
            return kerr_set(err, "out of memory");
        o->owned[o->nowned++] = own;
        text = own;
    }
    /* o->env ends with a NULL: there is one more slot than arguments. */
    char **e = o->env;
    for (; *e; e++)
        if (!strncmp(*e, text, name_len) && (*e)[name_len] == '=') {
            *e = (char *)(uintptr_t)text;
            return 0;
        }
    *e = (char *)(uintptr_t)text;
    o->envc++;
    return 0;
}

/* The form every --dir error names. */
#define DIR_FORM "--dir HOST[:GUEST][:ro|:rw]"

static bool is_mode(const char *part, bool *rw)
{
    if (strcmp(part, "ro") != 0 && strcmp(part, "rw") != 0)
        return false;
    *rw = part[1] == 'w';
    return true;
}

/* docker -v's syntax split on ':': HOST, HOST:GUEST or HOST:MODE (when
 * the second part is ro or rw), HOST:GUEST:MODE.  Whether HOST is a
 * directory is linux_files_open's to say. */
static int add_grant(struct options *o, const char *text, struct kerr *err)
{
    char *copy = strdup(text);
    char *part[4] = { copy };
    size_t n = 1;

    if (!copy)
        return kerr_set(err, "out of memory");
    o->owned[o->nowned++] = copy;
    for (char *c = copy; *c && n < ARRAY_SIZE(part); c++)
        if (*c == ':') {
            *c = '\0';
            part[n++] = c + 1;
        }
    if (n == ARRAY_SIZE(part))
        return kerr_set(err, "--dir '%s' has more than 3 parts separated by "
                        "':' (the form is %s; a path with a ':' cannot be "
                        "granted)", text, DIR_FORM);
    struct linux_grant g = { .host = part[0] };
    if (!*g.host)
        return kerr_set(err, "--dir '%s': HOST is empty (the form is %s)",
                        text, DIR_FORM);
    if (n == 2 && !is_mode(part[1], &g.rw))
        g.guest = part[1];
    if (n == 3) {
        g.guest = part[1];
        if (!is_mode(part[2], &g.rw))
            return kerr_set(err, "--dir '%s': '%s' is not a mode: the last "
                            "part is ro (read-only, the default) or rw", text,
                            part[2]);
    }
    if (g.guest && !*g.guest)
        return kerr_set(err, "--dir '%s': GUEST is empty (leave it out, as in "
                        "--dir %s%s, and the guest sees HOST at its own "
                        "path)", text, g.host, n == 3 ? (g.rw ? ":rw" : ":ro")
                                                    : "");
    if (g.guest && g.guest[0] != '/')
        return kerr_set(err, "--dir '%s': GUEST '%s' is not an absolute path "
                        "(where the guest sees HOST, e.g. /data; the form is "
                        "%s)", text, g.guest, DIR_FORM);
    o->grants[o->ngrants++] = g;
    return 0;
}

/* A guest path: whether it exists is linux_files_open's to say. */
static int parse_cwd(const char *text, const char **cwd, struct kerr *err)
{
    if (text[0] != '/')
        return kerr_set(err, "--cwd '%s' is not an absolute path (a directory "
                        "the guest sees, e.g. / or a --dir's GUEST)", text);
    *cwd = text;
    return 0;
}

static int parse_tmp(const char *text, uint64_t *out, struct kerr *err)
{
    struct kerr why;

    if (parse_size(text, out, &why) < 0)
        return kerr_set(err, "--tmp: %s (0 for no /tmp)", why.msg);
    return 0;
}

#define GDB_PORT_MAX 65535

static int parse_gdb_port(const char *text, unsigned *port, struct kerr *err)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);

    if (errno || end == text || *end || text[0] == '-' || v == 0 ||
        v > GDB_PORT_MAX)
        return kerr_set(err, "--gdb '%s' is not a TCP port (1 to 65535; "
                        "--gdb-socket PATH for a Unix socket)", text);
    *port = (unsigned)v;
    return 0;
}

/* ---- Parsing ------------------------------------------------------------- */

/* FILE and what follows it; optind is at FILE. */
static int take_file(int argc, char **argv, const struct command *cmd,
                     struct options *o)
{
    if (optind >= argc)
        return usage_error("%s: no ELF file given (usage: %s)", cmd->name,
                           cmd->synopsis);
    if (!cmd->guest_args && optind + 1 < argc)
        return usage_error("%s: one FILE only, but '%s' follows it (usage: "
                           "%s)", cmd->name, argv[optind + 1], cmd->synopsis);
    o->path = o->file = argv[optind];
    o->guest_argv = argv + optind;
    o->guest_argc = cmd->guest_args ? argc - optind : 1;
    return -1;
}

static int bad_option(const struct command *cmd, const char *arg)
{
    const char *near = closest_option(cmd->longopts, arg);

    if (cmd->longopts != run_longopts && is_option_of(run_longopts, arg))
        return usage_error("'%s' is an option of kvmelf run, not of kvmelf "
                           "%s (see kvmelf %s --help)", arg, cmd->name,
                           cmd->name);
    if (near)
        return usage_error("unknown option '%s' (did you mean --%s? see "
                           "kvmelf %s --help)", arg, near, cmd->name);
    return usage_error("unknown option '%s' (see kvmelf %s --help)", arg,
                       cmd->name);
}

static int take_option(int c, const char *arg, struct options *o,
                       struct kerr *err)
{
    switch (c) {
    case OPT_MEM:        return parse_mem(arg, &o->mem, err);
    case OPT_STACK:      return parse_stack(arg, &o->stack, err);
    case OPT_TIMEOUT:
        o->timeout_text = arg;
        return parse_timeout(arg, &o->timeout, err);
    case OPT_MAX_OUTPUT: return parse_max_output(arg, &o->max_output, err);
    case OPT_ENV:        return add_env(o, arg, err);
    case OPT_DIR:        return add_grant(o, arg, err);
    case OPT_CWD:        return parse_cwd(arg, &o->cwd, err);
    case OPT_TMP:        return parse_tmp(arg, &o->tmp_size, err);
    case OPT_GDB:        return parse_gdb_port(arg, &o->gdb_port, err);
    case OPT_GDB_SOCKET: o->gdb_socket = arg; return 0;
    case OPT_RING0:      o->ring0 = true; return 0;
    case OPT_STRICT_IO:  o->strict_io = true; return 0;
    case OPT_REGS:       o->regs = true; return 0;
    case OPT_ALLOW_WX:   o->allow_wx = true; return 0;
    case OPT_STATS:      o->stats = true; return 0;
    case OPT_NO_SANDBOX: o->no_sandbox = true; return 0;
    }
    return kerr_set(err, "option %d has no handler", c);
}

int options_parse(enum cli_command which, int argc, char **argv,
                  struct options *o)
{
    const struct command *cmd = &commands[which];
    struct kerr err;
    int c;

    *o = (struct options){ .mem = KVMELF_MEM_DEFAULT,
                           .tmp_size = TMP_SIZE_DEFAULT };
    /* Every --env could be a NAME looked up on the host, every argument a
     * --dir (each makes one owned string at most). */
    o->env = calloc((size_t)argc + 1, sizeof(char *));
    o->owned = calloc((size_t)argc + 1, sizeof(char *));
    o->grants = calloc((size_t)argc + 1, sizeof *o->grants);
    if (!o->env || !o->owned || !o->grants)
        return usage_error("out of memory");
    opterr = 0;
    optind = 1;          /* argv[0] is the command */
    /* '+': for run, options end at FILE; what follows belongs to the
     * guest.  info has no guest arguments: its options may follow FILE
     * (getopt moves FILE behind them).
     * ':': a missing value is reported as such, not as unknown. */
    const char *optstring = cmd->guest_args ? "+:h" : ":h";
    while ((c = getopt_long(argc, argv, optstring, cmd->longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(cmd->usage, stdout);
            return cli_stdout_status();
        }
        if (c == ':')
            return usage_error("option '%s' needs a value (see kvmelf %s "
                               "--help)", argv[optind - 1], cmd->name);
        if (c == '?')
            return bad_option(cmd, argv[optind - 1]);
        if (take_option(c, optarg, o, &err) < 0)
            return cli_fail(STATUS_CANNOT_RUN, NULL, err.msg);
    }
    return take_file(argc, argv, cmd, o);
}

void options_free(struct options *o)
{
    for (size_t i = 0; o->owned && i < o->nowned; i++)
        free(o->owned[i]);
    free(o->owned);
    free(o->env);
    free(o->resolved);
    free(o->grants);
    o->grants = NULL;
    o->owned = NULL;
    o->env = NULL;
    o->resolved = NULL;
}

int options_top_level(int argc, char **argv)
{
    const char *arg = argc > 1 ? argv[1] : NULL;

    if (!arg)
        return usage_error("no command given (usage: %s, or %s; see kvmelf "
                           "--help)", commands[CLI_RUN].synopsis,
                           "kvmelf info FILE");
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h") || !strcmp(arg, "help")) {
        fputs(usage_text, stdout);
        return cli_stdout_status();
    }
    if (!strcmp(arg, "--version")) {
        printf("kvmelf %s (guest ABI %d)\n", KVMELF_VERSION,
               KVMELF_ABI_VERSION);
        return cli_stdout_status();
    }
    return unknown_command(argc, argv);
}

/* ---- FILE -------------------------------------------------------------- */

/* An executable regular file named name in one of PATH's directories. */
static char *search_path(const char *name)
{
    const char *path = getenv("PATH");

    for (const char *dir = path; dir && *dir;) {
        size_t len = strcspn(dir, ":");
        char *candidate = NULL;
        struct stat st;
        if (len && asprintf(&candidate, "%.*s/%s", (int)len, dir, name) >= 0 &&
            stat(candidate, &st) == 0 && S_ISREG(st.st_mode) &&
            access(candidate, X_OK) == 0)
            return candidate;
        free(candidate);
        dir += len + (dir[len] == ':');
    }
    return NULL;
}

int options_resolve_file(struct options *o, struct kerr *err)
{
    struct stat st;

    o->file = o->path;
    if (strchr(o->path, '/') || stat(o->path, &st) == 0 || errno != ENOENT)
        return 0;
    o->resolved = search_path(o->path);
    if (!o->resolved)
        return kerr_set(err, "no such file in the current directory, and "
                        "no executable of that name in PATH");
    o->file = o->resolved;
    return 0;
}
