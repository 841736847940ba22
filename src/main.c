/* kvmelf's command line: parses options, runs the pipeline's stages in
 * order, and is the only place that prints errors and picks the exit
 * status. */
#include "cli.h"
#include "loader/loader.h"
#include "paging/paging.h"
#include "vcpu/vcpu.h"

#include <elf.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KVMELF_VERSION "0.1.0"
#define DEFAULT_KVM_DEVICE "/dev/kvm"
#define TIMEOUT_MAX_SEC 1e7

static const char usage_text[] =
"Usage: kvmelf run [OPTIONS] FILE [ARG...]\n"
"Run the freestanding x86-64 ELF program FILE in a fresh KVM virtual machine,\n"
"in 64-bit long mode (ring 3 by default).  ARGs are passed to the guest,\n"
"with FILE as argv[0].  What the guest writes to COM1 (port 0x3f8) or to\n"
"port 0xe9 appears on stdout; COM1 reads take stdin.\n"
"\n"
"Options (before FILE):\n"
"  --mem SIZE      guest RAM, K/M/G suffixes (default 64M, 2M to 64G,\n"
"                  a multiple of 4K)\n"
"  --timeout SECS  stop the guest after SECS seconds (exit status 124)\n"
"  --ring0         run the guest in ring 0, for guests that manage the CPU\n"
"                  themselves (slow where KVM emulates ring 0, e.g. kvm_pvm)\n"
"  --allow-wx      map segments that ask for write+execute (refused by\n"
"                  default: every page is writable or executable, not both)\n"
"  --strict-io     end the guest on an unknown port or bad access size\n"
"                  (default: warn once per port and go on)\n"
"  --regs          print the guest's final registers (general, control,\n"
"                  segment) on stderr\n"
"  --max-output SIZE  stop the guest when it writes more than SIZE bytes\n"
"                  (stdout and stderr together, K/M/G suffixes; the first\n"
"                  SIZE bytes are written; exit status 153)\n"
"  --no-sandbox    do not confine kvmelf with its seccomp filter while the\n"
"                  guest runs (for debugging kvmelf, e.g. under strace/gdb)\n"
"  -h, --help      show this help;  --version  show the version\n"
"\n"
"Exit status: the guest's own status (exit port 0x500, isa-debug-exit 0xf4\n"
"as (v << 1) | 1, HLT = 0); 124 timeout; 125 kvmelf could not run the guest\n"
"(usage, bad ELF); 126 this host cannot run guests (no /dev/kvm, permission,\n"
"API version); 128+N the guest crashed with what a native program would get\n"
"as signal N (139 SIGSEGV, 132 SIGILL, 136 SIGFPE, 133 SIGTRAP, 135 SIGBUS);\n"
"130/143 SIGINT/SIGTERM;\n"
"141 stdout was closed; 153 (128 + SIGXFSZ) --max-output reached;\n"
"159 (SIGSYS) kvmelf's sandbox refused a system call (a kvmelf bug).\n"
"\n"
"Environment: KVMELF_KVM_DEVICE overrides /dev/kvm.\n"
"\n"
"Confinement: while the guest runs, a seccomp filter allows kvmelf only the\n"
"system calls the run needs; kvmelf never dumps core and closes inherited\n"
"file descriptors above 2 at startup.\n";

struct options {
    uint64_t mem;
    double timeout;
    uint64_t max_output;   /* 0: unlimited */
    bool ring0, strict_io, regs, allow_wx, no_sandbox;
    const char *path;
    int guest_argc;
    char **guest_argv;   /* argv[0] = path */
};

/* Prints "kvmelf: [what: ]msg" - the one format every error uses. */
static int fail(int status, const char *what, const char *msg)
{
    if (what)
        fprintf(stderr, "kvmelf: %s: %s\n", what, msg);
    else
        fprintf(stderr, "kvmelf: %s\n", msg);
    return status;
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
       OPT_ALLOW_WX, OPT_MAX_OUTPUT, OPT_NO_SANDBOX };

/* Returns -1 to continue, or the exit status to end with. */
static int parse_run_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        { "mem", required_argument, NULL, OPT_MEM },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "ring0", no_argument, NULL, OPT_RING0 },
        { "strict-io", no_argument, NULL, OPT_STRICT_IO },
        { "regs", no_argument, NULL, OPT_REGS },
        { "allow-wx", no_argument, NULL, OPT_ALLOW_WX },
        { "max-output", required_argument, NULL, OPT_MAX_OUTPUT },
        { "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct kerr err;
    int c;

    opterr = 0;
    optind = 1;          /* argv[0] is "run" */
    /* '+': options end at FILE; what follows belongs to the guest.
     * ':': a missing value is reported as such, not as unknown. */
    while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
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
        case OPT_MAX_OUTPUT:
            if (parse_max_output(optarg, &o->max_output, &err) < 0)
                return fail(STATUS_CANNOT_RUN, NULL, err.msg);
            break;
        case OPT_NO_SANDBOX: o->no_sandbox = true; break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case ':':
            snprintf(err.msg, sizeof err.msg, "option '%s' needs a value "
                     "(see kvmelf --help)", argv[optind - 1]);
            return fail(STATUS_CANNOT_RUN, NULL, err.msg);
        default:
            snprintf(err.msg, sizeof err.msg, "unknown option '%s' (see "
                     "kvmelf --help)", argv[optind - 1]);
            return fail(STATUS_CANNOT_RUN, NULL, err.msg);
        }
    }
    if (optind >= argc)
        return fail(STATUS_CANNOT_RUN, NULL, "run: no ELF file given "
                    "(usage: kvmelf run [OPTIONS] FILE [ARG...])");
    o->path = argv[optind];
    o->guest_argv = argv + optind;
    o->guest_argc = argc - optind;
    return -1;
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
    bool sandbox_probe;             /* KVMELF_TEST_SANDBOX_PROBE=1 */
};

static void warn_line(void *ctx, const char *msg)
{
    const struct session *s = ctx;
    fprintf(stderr, "kvmelf: %s: %s\n", s->opts->path, msg);
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
    s->symbolizer = symbolizer_open(s->file.bytes, s->file.size);
    if (!s->symbolizer)
        return kerr_set(err, "out of memory reading symbols");
    return 0;
}

/* Guest memory image: monitor area, segments, boot info. */
static int image_stage(struct session *s, struct cpu_tables *tables,
                       struct kerr *err)
{
    struct boot_params bp = {
        .ram_size = s->opts->mem, .image_end = s->plan.image_end,
        .argc = s->opts->guest_argc, .argv = s->opts->guest_argv,
        .ring0 = s->opts->ring0,
    };

    s->paging.huge_1g = vm_caps(s->vm)->huge_1g;
    s->paging.nx = vm_caps(s->vm)->nx;
    if (guest_mem_init(&s->gm, s->opts->mem, err) < 0 ||
        paging_setup(&s->gm, &s->paging, &s->map, tables, err) < 0 ||
        loader_copy(&s->plan, s->file.bytes, s->file.size, &s->gm, err) < 0 ||
        paging_write_boot_info(&s->gm, &bp, err) < 0)
        return -1;
    loader_file_free(&s->file);   /* everything needed is in guest RAM */
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
        report_crash(stderr, r, &ctx);
        return STATUS_SIGNAL_BASE + crash_signal(&r->crash);
    }
    case RUN_TIMED_OUT:
        snprintf(msg, sizeof msg, "timed out after %g s (--timeout)",
                 s->opts->timeout);
        return fail(STATUS_TIMEOUT, path, msg);
    case RUN_SIGNALED:
        snprintf(msg, sizeof msg, "stopped by %s", strsignal(r->signal));
        return fail(STATUS_SIGNAL_BASE + r->signal, path, msg);
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
    if (vm_open(&s->vm, dev && *dev ? dev : DEFAULT_KVM_DEVICE, &err) < 0)
        return fail(STATUS_NO_KVM, NULL, err.msg);
    if (image_stage(s, &tables, &err) < 0)
        return fail(STATUS_CANNOT_RUN, o->path, err.msg);

    struct vcpu_entry entry = { .rip = s->plan.entry, .ring0 = o->ring0,
                                .rsp = paging_stack_top(o->mem),
                                .rdi = KVMELF_BOOT_INFO_ADDR };
    if (vm_attach_ram(s->vm, &s->gm, &err) < 0 ||
        vm_setup_vcpu(s->vm, &tables, &entry, &err) < 0)
        return fail(STATUS_NO_KVM, o->path, err.msg);
    vm_end_setup(s->vm);
    if (!o->no_sandbox && vm_confine(s->vm, &err) < 0)
        return fail(STATUS_CANNOT_RUN, o->path, err.msg);
    if (s->sandbox_probe)
        sandbox_probe();

    struct run_options ro = { .timeout_sec = o->timeout,
                              .strict_io = o->strict_io,
                              .want_sregs = o->regs,
                              .max_output = o->max_output,
                              .warn = warn_line, .warn_ctx = s };
    if (vm_run(s->vm, &ro, &res, &err) < 0)
        return fail(STATUS_CANNOT_RUN, o->path, err.msg);
    int status = outcome_status(s, &res);
    if (o->regs)
        report_regs(stderr, &res);
    return status;
}

static int cmd_run(int argc, char **argv)
{
    struct options o = { .mem = KVMELF_MEM_DEFAULT };
    int status = parse_run_args(argc, argv, &o);
    if (status >= 0)
        return status;

    struct kerr err;
    if (process_harden(&err) < 0)
        return fail(STATUS_CANNOT_RUN, NULL, err.msg);
    /* Test hook, read before the filter exists: with it set, kvmelf makes
     * one forbidden call right after the filter is installed. */
    const char *probe = getenv("KVMELF_TEST_SANDBOX_PROBE");
    struct session s = { .opts = &o,
                         .sandbox_probe = probe && strcmp(probe, "1") == 0 };
    status = run_session(&s);
    vm_close(s.vm);
    guest_mem_fini(&s.gm);
    symbolizer_close(s.symbolizer);
    loader_file_free(&s.file);
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
