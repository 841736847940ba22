/* kvmelf's command line: parses options, runs the pipeline's stages in
 * order, and is the only place that prints errors and picks the exit
 * status. */
#include "cli.h"
#include "loader/loader.h"
#include "paging/paging.h"
#include "personality/personality.h"
#include "vcpu/vcpu.h"

#include <elf.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/time.h>

#define KVMELF_VERSION "0.1.0"
#define DEFAULT_KVM_DEVICE "/dev/kvm"
#define TIMEOUT_MAX_SEC 1e7
/* How long the messages after a bounded run may take to write. */
#define REPORT_GRACE_SEC 1

static const char usage_text[] =
"Usage: kvmelf run [OPTIONS] FILE [ARG...]\n"
"       kvmelf info FILE [--mem SIZE] [--allow-wx]\n"
"Run the static x86-64 ELF program FILE in a fresh KVM virtual machine, in\n"
"64-bit long mode (ring 3 by default).  ARGs are passed to the guest, with\n"
"FILE as argv[0].  FILE is either a static Linux program (e.g. built with\n"
"kvmelf-cc or musl-gcc -static): its system calls are served by kvmelf,\n"
"write(2) to fds 1/2 goes to stdout/stderr, read(2) from fd 0 takes stdin,\n"
"there are no files; or a freestanding guest using kvmelf's ports: what it\n"
"writes to COM1 (port 0x3f8) or port 0xe9 appears on stdout, COM1 reads\n"
"take stdin.\n"
"\n"
"Options (before FILE):\n"
"  --mem SIZE      guest RAM, K/M/G suffixes (default 64M, 2M to 64G,\n"
"                  a multiple of 4K)\n"
"  --timeout SECS  stop the guest after SECS seconds (exit status 124)\n"
"  --ring0         run the guest in ring 0, for guests that manage the CPU\n"
"                  themselves (slow where KVM emulates ring 0, e.g. kvm_pvm)\n"
"  --allow-wx      map segments that ask for write+execute, and let mmap/\n"
"                  mprotect ask for it (refused by default: every page is\n"
"                  writable or executable, not both)\n"
"  --env NAME=VALUE  add NAME=VALUE to the guest's environment (repeatable;\n"
"                  the environment is empty otherwise)\n"
"  --strict-io     end the guest on an unknown port or bad access size\n"
"                  (default: warn once per port and go on)\n"
"  --regs          print the guest's final registers (general, control,\n"
"                  segment) on stderr\n"
"  --stats         print where the time went on stderr at the end: exec to\n"
"                  main, ELF load, VM creation, page tables, vCPU setup,\n"
"                  first KVM_RUN, run (with the exit count), teardown\n"
"  --max-output SIZE  stop the guest when it writes more than SIZE bytes\n"
"                  (stdout and stderr together, K/M/G suffixes; the first\n"
"                  SIZE bytes are written; exit status 153)\n"
"  --no-sandbox    do not confine kvmelf with its seccomp filter while the\n"
"                  guest runs (for debugging kvmelf, e.g. under strace/gdb)\n"
"  -h, --help      show this help;  --version  show the version\n"
"\n"
"Exit status: the guest's own status (a Linux guest's exit(n); exit port 0x500,\n"
"isa-debug-exit 0xf4 as (v << 1) | 1, HLT = 0); 124 timeout; 125 kvmelf could\n"
"not run the guest (usage, bad ELF); 126 this host cannot run guests (no\n"
"/dev/kvm, permission, API version); 128+N the guest crashed with what a native\n"
"program would get as signal N (139 SIGSEGV, 132 SIGILL, 136 SIGFPE, 133\n"
"SIGTRAP, 135 SIGBUS), or raised signal N itself (134 abort()); 130/143\n"
"SIGINT/SIGTERM; 141 stdout was closed; 153 (128 + SIGXFSZ) --max-output\n"
"reached; 159 (SIGSYS) kvmelf's sandbox refused a system call (a kvmelf bug).\n"
"\n"
"Environment: KVMELF_KVM_DEVICE overrides /dev/kvm.\n"
"\n"
"kvmelf info FILE shows the memory map FILE would get (segments, heap, stack,\n"
"page sizes, entry point) without running it; see kvmelf info --help.\n"
"\n"
"Confinement: while the guest runs, a seccomp filter allows kvmelf only the\n"
"system calls the run needs; kvmelf never dumps core and closes inherited\n"
"file descriptors above 2 at startup.\n";

static const char info_usage_text[] =
"Usage: kvmelf info [OPTIONS] FILE [OPTIONS]\n"
"Show what `kvmelf run FILE` would set up, without opening /dev/kvm or\n"
"running anything: the ELF's loadable segments, the guest memory map as a\n"
"table and a to-scale picture (the monitor's area, each segment with its\n"
"rights, heap and mmap area, stack and guard page), the page sizes the page\n"
"tables would use, and the entry point with its symbol.  A file run would\n"
"refuse gets the same one-line error and exit status 125.\n"
"\n"
"Options (before or after FILE):\n"
"  --mem SIZE      guest RAM as for run (default 64M)\n"
"  --allow-wx      accept segments that ask for write+execute, as for run\n"
"  -h, --help      show this help\n";

struct options {
    uint64_t mem;
    double timeout;
    uint64_t max_output;   /* 0: unlimited */
    bool ring0, strict_io, regs, allow_wx, stats, no_sandbox;
    const char *path;
    int guest_argc;
    char **guest_argv;   /* argv[0] = path */
    size_t envc;
    char **env;          /* --env values, in order */
};

/* Prints "kvmelf: [what: ]msg" - the one format every error uses. */
/* kvmelf's messages go to stderr, except after a bounded run: see
 * messages_collect(). */
static FILE *collected;
static char *collected_text;
static size_t collected_len;
static volatile sig_atomic_t report_deadline_passed;

static FILE *msgs(void)
{
    return collected ? collected : stderr;
}

static int fail(int status, const char *what, const char *msg)
{
    if (what)
        fprintf(msgs(), "kvmelf: %s: %s\n", what, msg);
    else
        fprintf(msgs(), "kvmelf: %s\n", msg);
    return status;
}

/* A run with --timeout, or one a signal stopped, must end within its time
 * and the flush grace even when stderr is a pipe nobody reads (2>&1 into a
 * stuck reader): by then the run loop's timer is gone, so what kvmelf says
 * after the run is collected and written at the end under a deadline.
 * Without memory for it, messages go to stderr as before. */
static void messages_collect(void)
{
    collected = open_memstream(&collected_text, &collected_len);
}

static void on_report_deadline(int sig)
{
    (void)sig;
    report_deadline_passed = 1;
}

/* One write, or as many as a slow reader needs, until REPORT_GRACE_SEC
 * has passed.  The timer repeats, so a write that blocks just after the
 * check is interrupted too; a closed stderr loses the text, not the
 * status (SIGPIPE is ignored meanwhile). */
static void messages_write(void)
{
    if (!collected)
        return;
    int closed = fclose(collected);
    collected = NULL;
    struct sigaction alarm_sa = { .sa_handler = on_report_deadline };
    struct sigaction ignore = { .sa_handler = SIG_IGN };
    struct sigaction old_alarm, old_pipe;
    struct itimerval deadline = { { REPORT_GRACE_SEC, 0 },
                                  { REPORT_GRACE_SEC, 0 } };
    struct itimerval off = { { 0, 0 }, { 0, 0 } };

    sigemptyset(&alarm_sa.sa_mask);       /* no SA_RESTART: EINTR */
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGALRM, &alarm_sa, &old_alarm);
    sigaction(SIGPIPE, &ignore, &old_pipe);
    report_deadline_passed = 0;
    setitimer(ITIMER_REAL, &deadline, NULL);
    for (size_t done = 0; closed == 0 && done < collected_len &&
                          !report_deadline_passed;) {
        ssize_t n = write(STDERR_FILENO, collected_text + done,
                          collected_len - done);
        if (n <= 0 && errno != EINTR)
            break;
        done += n > 0 ? (size_t)n : 0;
    }
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    sigaction(SIGALRM, &old_alarm, NULL);
    free(collected_text);
    collected_text = NULL;
}

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

static int parse_timeout(const char *text, double *out, struct kerr *err)
{
    char *end;
    double t = strtod(text, &end);

    if (end == text || *end || !isfinite(t) || t <= 0 || t > TIMEOUT_MAX_SEC)
        return kerr_set(err, "--timeout '%s' is not a number of seconds "
                        "greater than 0 and at most %g", text, TIMEOUT_MAX_SEC);
    *out = t;
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

enum { OPT_MEM = 1, OPT_TIMEOUT, OPT_RING0, OPT_STRICT_IO, OPT_REGS,
       OPT_ALLOW_WX, OPT_ENV, OPT_STATS, OPT_MAX_OUTPUT, OPT_NO_SANDBOX };

/* --env NAME=VALUE: a name, then '='. */
static int add_env(struct options *o, const char *text, struct kerr *err)
{
    const char *eq = strchr(text, '=');

    if (!eq || eq == text)
        return kerr_set(err, "--env '%s' is not NAME=VALUE", text);
    if (!o->env)             /* only run takes --env (and allocates env) */
        return kerr_set(err, "--env is an option of kvmelf run");
    o->env[o->envc++] = (char *)(uintptr_t)text;
    return 0;
}

static const struct option run_longopts[] = {
    { "mem", required_argument, NULL, OPT_MEM },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "ring0", no_argument, NULL, OPT_RING0 },
    { "strict-io", no_argument, NULL, OPT_STRICT_IO },
    { "regs", no_argument, NULL, OPT_REGS },
    { "allow-wx", no_argument, NULL, OPT_ALLOW_WX },
    { "env", required_argument, NULL, OPT_ENV },
    { "stats", no_argument, NULL, OPT_STATS },
    { "max-output", required_argument, NULL, OPT_MAX_OUTPUT },
    { "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* info takes only the options that change the memory map. */
static const struct option info_longopts[] = {
    { "mem", required_argument, NULL, OPT_MEM },
    { "allow-wx", no_argument, NULL, OPT_ALLOW_WX },
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

static const struct command run_command = {
    "run", "kvmelf run [OPTIONS] FILE [ARG...]", usage_text, run_longopts,
    true,
};
static const struct command info_command = {
    "info", "kvmelf info [OPTIONS] FILE [OPTIONS]", info_usage_text, info_longopts,
    false,
};

/* FILE and what follows it; optind is at FILE. */
static int take_file(int argc, char **argv, const struct command *cmd,
                     struct options *o)
{
    char msg[KVMELF_ERR_MAX];

    if (optind >= argc) {
        snprintf(msg, sizeof msg, "%s: no ELF file given (usage: %s)",
                 cmd->name, cmd->synopsis);
        return fail(STATUS_CANNOT_RUN, NULL, msg);
    }
    if (!cmd->guest_args && optind + 1 < argc) {
        snprintf(msg, sizeof msg, "%s: one FILE only, but '%s' follows it "
                 "(usage: %s)", cmd->name, argv[optind + 1], cmd->synopsis);
        return fail(STATUS_CANNOT_RUN, NULL, msg);
    }
    o->path = argv[optind];
    o->guest_argv = argv + optind;
    o->guest_argc = cmd->guest_args ? argc - optind : 1;
    return -1;
}

/* Returns -1 to continue, or the exit status to end with. */
static int parse_args(int argc, char **argv, const struct command *cmd,
                      struct options *o)
{
    struct kerr err;
    int c;

    opterr = 0;
    optind = 1;          /* argv[0] is the command */
    /* '+': for run, options end at FILE; what follows belongs to the
     * guest.  info has no guest arguments: its options may follow FILE
     * (getopt moves FILE behind them).
     * ':': a missing value is reported as such, not as unknown. */
    const char *optstring = cmd->guest_args ? "+:h" : ":h";
    while ((c = getopt_long(argc, argv, optstring, cmd->longopts, NULL)) != -1) {
        switch (c) {
        case OPT_MEM:
            if (parse_mem(optarg, &o->mem, &err) < 0)
                return fail(STATUS_CANNOT_RUN, NULL, err.msg);
            break;
        case OPT_TIMEOUT:
            if (parse_timeout(optarg, &o->timeout, &err) < 0)
                return fail(STATUS_CANNOT_RUN, NULL, err.msg);
            break;
        case OPT_RING0: o->ring0 = true; break;
        case OPT_STRICT_IO: o->strict_io = true; break;
        case OPT_REGS: o->regs = true; break;
        case OPT_ALLOW_WX: o->allow_wx = true; break;
        case OPT_STATS: o->stats = true; break;
        case OPT_ENV:
            if (add_env(o, optarg, &err) < 0)
                return fail(STATUS_CANNOT_RUN, NULL, err.msg);
            break;
        case OPT_MAX_OUTPUT:
            if (parse_max_output(optarg, &o->max_output, &err) < 0)
                return fail(STATUS_CANNOT_RUN, NULL, err.msg);
            break;
        case OPT_NO_SANDBOX: o->no_sandbox = true; break;
        case 'h':
            fputs(cmd->usage, stdout);
            return 0;
        case ':':
            snprintf(err.msg, sizeof err.msg, "option '%s' needs a value "
                     "(see kvmelf %s --help)", argv[optind - 1], cmd->name);
            return fail(STATUS_CANNOT_RUN, NULL, err.msg);
        default:
            snprintf(err.msg, sizeof err.msg, "unknown option '%s' (see "
                     "kvmelf %s --help)", argv[optind - 1], cmd->name);
            return fail(STATUS_CANNOT_RUN, NULL, err.msg);
        }
    }
    return take_file(argc, argv, cmd, o);
}

struct session {
    const struct options *opts;
    struct loader_file file;
    struct load_plan plan;
    struct segment_perm perms[LOADER_MAX_SEGMENTS];
    struct paging_config paging;
    struct memory_map map;          /* built once: tables and reports */
    struct symbolizer *symbolizer;
    struct guest_mem gm;
    struct vm *vm;
    struct run_stats *stats;        /* NULL without --stats */
    gpa_t entry_rsp;                /* argc, as Linux starts a process */
    bool sandbox_probe;             /* KVMELF_TEST_SANDBOX_PROBE=1 */
};

static void warn_line(void *ctx, const char *msg)
{
    const struct session *s = ctx;
    fprintf(msgs(), "kvmelf: %s: %s\n", s->opts->path, msg);
}

/* The memory map from the plan: each segment's pages with its rights.
 * It also applies the W^X rule, a property of the file like the loader's
 * rules, so it runs before KVM is opened.  The host's paging features
 * (1 GiB pages, NX) matter only for the tables and are added later. */
static int map_stage(struct session *s, struct kerr *err)
{
    for (unsigned i = 0; i < s->plan.nsegs; i++) {
        const struct load_segment *seg = &s->plan.segs[i];
        s->perms[i] = (struct segment_perm){
            .start = seg->vaddr, .end = seg->vaddr + seg->memsz,
            .index = seg->index,
            .attrs = ((seg->flags & PF_W) ? PAGE_WRITE : 0u) |
                     ((seg->flags & PF_X) ? PAGE_EXEC : 0u),
        };
    }
    s->paging = (struct paging_config){
        .ram_size = s->opts->mem, .allow_wx = s->opts->allow_wx,
        .segs = s->perms, .nsegs = s->plan.nsegs,
    };
    return paging_memory_map(&s->paging, &s->map, err);
}

/* ELF file -> validated plan.  The file is read and checked before KVM is
 * touched, so a bad file is reported the same on any host. */
static int load_stage(struct session *s, struct kerr *err)
{
    struct load_window win = loader_window(s->opts->mem);

    if (loader_read_file(s->opts->path, &s->file, err) < 0 ||
        loader_plan(s->file.bytes, s->file.size, &win, &s->plan, err) < 0 ||
        map_stage(s, err) < 0)
        return -1;
    return 0;
}

/* The Linux process entry on the stack: argc, argv, envp, auxv. */
static int process_stack(struct session *s, struct kerr *err)
{
    const struct options *o = s->opts;
    struct linux_stack_params p = {
        .stack_top = paging_stack_top(o->mem),
        .max_bytes = KVMELF_STACK_ARGS_MAX,
        .argc = o->guest_argc, .argv = o->guest_argv,
        .envc = o->envc, .envp = o->env,
        .phdr = s->plan.phdr, .phent = s->plan.phent, .phnum = s->plan.phnum,
        .entry = s->plan.entry, .hwcap = vm_caps(s->vm)->hwcap,
    };

    if (getrandom(p.random, sizeof p.random, 0) != (ssize_t)sizeof p.random)
        return kerr_set(err, "cannot get random bytes for AT_RANDOM");
    return linux_write_stack(&s->gm, &p, &s->entry_rsp, err);
}

/* Guest memory image: monitor area, segments, boot info, process stack. */
static int image_stage(struct session *s, struct cpu_tables *tables,
                       struct kerr *err)
{
    struct boot_params bp = {
        .ram_size = s->opts->mem, .image_end = s->plan.image_end,
        .argc = s->opts->guest_argc, .argv = s->opts->guest_argv,
        .ring0 = s->opts->ring0, .stdout_tty = isatty(STDOUT_FILENO) == 1,
    };

    s->paging.huge_1g = vm_caps(s->vm)->huge_1g;
    s->paging.nx = vm_caps(s->vm)->nx;
    if (guest_mem_init(&s->gm, s->opts->mem, err) < 0 ||
        paging_setup(&s->gm, &s->paging, &s->map, tables, err) < 0)
        return -1;
    stats_mark(s->stats, STAT_TABLES);
    if (loader_copy(&s->plan, s->file.bytes, s->file.size, &s->gm, err) < 0 ||
        paging_write_boot_info(&s->gm, &bp, err) < 0 ||
        process_stack(s, err) < 0)
        return -1;
    /* The guest has its copy; crash reports keep the file's bytes (taken
     * over, not copied: a large ELF is read once and copied once). */
    s->symbolizer = symbolizer_adopt(&s->file);
    if (!s->symbolizer)
        return kerr_set(err, "out of memory reading symbols");
    return 0;
}

static int outcome_status(const struct session *s, const struct run_result *r)
{
    const char *path = s->opts->path;
    char msg[128];

    switch (r->outcome) {
    case RUN_EXITED:
        return r->status;
    case RUN_CRASHED: {
        char prefix[512];
        snprintf(prefix, sizeof prefix, "kvmelf: %s: ", path);
        struct crash_context ctx = {
            .prefix = prefix, .symbolizer = s->symbolizer, .map = &s->map,
            .gm = &s->gm, .ram_size = s->opts->mem, .ring0 = s->opts->ring0,
        };
        report_crash(msgs(), r, &ctx);
        return STATUS_SIGNAL_BASE + crash_signal(&r->crash);
    }
    case RUN_TIMED_OUT:
        snprintf(msg, sizeof msg, "timed out after %g s (--timeout)",
                 s->opts->timeout);
        return fail(STATUS_TIMEOUT, path, msg);
    case RUN_SIGNALED:
        snprintf(msg, sizeof msg, "stopped by %s", strsignal(r->signal));
        return fail(STATUS_SIGNAL_BASE + r->signal, path, msg);
    case RUN_GUEST_SIGNAL: {
        const char *abbrev = sigabbrev_np(r->signal);
        snprintf(msg, sizeof msg, "ended by signal %d (SIG%s: %s) it raised",
                 r->signal, abbrev ? abbrev : "?", strsignal(r->signal));
        return fail(STATUS_SIGNAL_BASE + r->signal, path, msg);
    }
    case RUN_STDOUT_CLOSED:
        return STATUS_SIGNAL_BASE + SIGPIPE;  /* quietly, as `| head` expects */
    case RUN_OUTPUT_LIMIT: {
        char sz[32];
        snprintf(msg, sizeof msg, "stopped: the guest wrote more than %s "
                 "(--max-output); its output ends there",
                 format_size(s->opts->max_output, sz, sizeof sz));
        return fail(STATUS_OUTPUT_LIMIT, path, msg);
    }
    }
    return STATUS_CANNOT_RUN;
}

static int run_session(struct session *s)
{
    const struct options *o = s->opts;
    const char *dev = getenv("KVMELF_KVM_DEVICE");
    struct cpu_tables tables;
    struct run_result res;
    struct kerr err;

    if (load_stage(s, &err) < 0)
        return fail(STATUS_CANNOT_RUN, o->path, err.msg);
    stats_mark(s->stats, STAT_LOADED);
    if (vm_open(&s->vm, dev && *dev ? dev : DEFAULT_KVM_DEVICE, &err) < 0)
        return fail(STATUS_NO_KVM, NULL, err.msg);
    stats_mark(s->stats, STAT_VM);
    if (image_stage(s, &tables, &err) < 0)
        return fail(STATUS_CANNOT_RUN, o->path, err.msg);
    stats_mark(s->stats, STAT_IMAGE);
    if (s->stats)
        s->stats->page_table_bytes = tables.page_table_bytes;

    struct vcpu_entry entry = { .rip = s->plan.entry, .ring0 = o->ring0,
                                .rsp = s->entry_rsp,
                                .rdi = KVMELF_BOOT_INFO_ADDR };
    if (vm_attach_ram(s->vm, &s->gm, &err) < 0 ||
        vm_setup_vcpu(s->vm, &tables, &entry, &err) < 0)
        return fail(STATUS_NO_KVM, o->path, err.msg);
    stats_mark(s->stats, STAT_VCPU);
    vm_end_setup(s->vm);
    if (!o->no_sandbox && vm_confine(s->vm, &err) < 0)
        return fail(STATUS_NO_KVM, o->path, err.msg);   /* host: no seccomp */
    if (s->sandbox_probe)
        sandbox_probe();

    /* The boot info's heap (paging_write_boot_info). */
    uint64_t heap_end = o->mem - KVMELF_TOP_RESERVE;
    uint64_t heap_start = s->plan.image_end < heap_end ? s->plan.image_end
                                                       : heap_end;
    struct run_options ro = { .timeout_sec = o->timeout,
                              .strict_io = o->strict_io,
                              .want_sregs = o->regs,
                              .max_output = o->max_output,
                              .warn = warn_line, .warn_ctx = s,
                              .linux_cfg = {
                                  .heap_start = heap_start,
                                  .heap_end = heap_end,
                                  .stack_size = KVMELF_STACK_SIZE,
                                  .allow_wx = o->allow_wx } };
    int r = vm_run(s->vm, &ro, &res, &err);
    if (o->timeout > 0 || res.outcome == RUN_TIMED_OUT ||
        res.outcome == RUN_SIGNALED)
        messages_collect();
    if (r < 0)
        return fail(STATUS_CANNOT_RUN, o->path, err.msg);
    stats_mark(s->stats, STAT_RAN);
    stats_run_result(s->stats, res.first_run_ns, res.exits);
    int status = outcome_status(s, &res);
    if (o->regs)
        report_regs(msgs(), &res);
    return status;
}

static void session_free(struct session *s)
{
    vm_close(s->vm);
    guest_mem_fini(&s->gm);
    symbolizer_close(s->symbolizer);
    loader_file_free(&s->file);
}

static int cmd_run(int argc, char **argv)
{
    struct options o = { .mem = KVMELF_MEM_DEFAULT,
                         .env = calloc((size_t)argc, sizeof(char *)) };
    if (!o.env)
        return fail(STATUS_CANNOT_RUN, NULL, "out of memory");
    int status = parse_args(argc, argv, &run_command, &o);
    if (status >= 0) {
        free(o.env);
        return status;
    }

    struct kerr err;
    if (process_harden(&err) < 0) {
        free(o.env);
        return fail(STATUS_CANNOT_RUN, NULL, err.msg);
    }
    /* Test hook, read before the filter exists: with it set, kvmelf makes
     * one forbidden call right after the filter is installed. */
    const char *probe = getenv("KVMELF_TEST_SANDBOX_PROBE");
    struct run_stats stats = { 0 };
    struct session s = { .opts = &o, .stats = o.stats ? &stats : NULL,
                         .sandbox_probe = probe && strcmp(probe, "1") == 0 };
    stats_start(s.stats);
    status = run_session(&s);
    stats_mark(s.stats, STAT_REPORTED);
    session_free(&s);
    stats_mark(s.stats, STAT_END);
    stats_print(msgs(), s.stats);
    messages_write();
    free(o.env);
    return status;
}

/* The same stages as run up to the memory map, then a picture of it
 * instead of /dev/kvm: a file run refuses fails here the same way. */
static int cmd_info(int argc, char **argv)
{
    struct options o = { .mem = KVMELF_MEM_DEFAULT };
    int status = parse_args(argc, argv, &info_command, &o);
    if (status >= 0)
        return status;

    struct session s = { .opts = &o };
    struct kerr err;
    status = 0;
    if (load_stage(&s, &err) < 0)
        status = fail(STATUS_CANNOT_RUN, o.path, err.msg);
    else if (!(s.symbolizer = symbolizer_adopt(&s.file)))
        status = fail(STATUS_CANNOT_RUN, o.path, "out of memory reading "
                      "symbols");
    else {
        struct info_request req = {
            .path = o.path, .plan = &s.plan, .paging = &s.paging,
            .map = &s.map, .symbolizer = s.symbolizer,
            .argc = o.guest_argc, .argv = o.guest_argv,
        };
        if (print_info(stdout, &req, &err) < 0)
            status = fail(STATUS_CANNOT_RUN, o.path, err.msg);
        else if (fflush(stdout) != 0 || ferror(stdout))
            status = fail(STATUS_CANNOT_RUN, o.path, "cannot write the "
                          "memory map to stdout");
    }
    session_free(&s);
    return status;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
/* ASan builds (make sanitize): LeakSanitizer's check at exit stops the
 * world with clone and ptrace, which the sandbox rightly refuses, so it is
 * off by default in kvmelf itself (the unit tests keep it; leaks of a
 * whole run are what `make check-valgrind` checks).  ASAN_OPTIONS=
 * detect_leaks=1 with --no-sandbox turns it back on. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    if (cmd && strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (cmd && strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (cmd && (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
                strcmp(cmd, "help") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (cmd && strcmp(cmd, "--version") == 0) {
        printf("kvmelf %s (guest ABI %d)\n", KVMELF_VERSION, KVMELF_ABI_VERSION);
        return 0;
    }
    fputs(usage_text, stderr);
    if (cmd)
        fprintf(stderr, "\nkvmelf: unknown command '%s'\n", cmd);
    return STATUS_CANNOT_RUN;
}
