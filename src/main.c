/* kvmelf's command line: parses options, runs the pipeline's stages in
 * order, and is the only place that prints errors and picks the exit
 * status. */
#include "cli.h"
#include "boot/boot.h"
#include "common/stop.h"
#include "linux/linux.h"
#include "loader/loader.h"
#include "paging/paging.h"
#include "sandbox/sandbox.h"
#include "symbolize/symbolize.h"
#include "vcpu/vcpu.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#define DEFAULT_KVM_DEVICE "/dev/kvm"

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
    struct guest_layout layout;     /* from RAM and stack size, once */
    struct linux_stack_result entry;   /* the process entry on the stack */
    struct linux_process *process;  /* its system calls' state */
    char *exe;                      /* the file's absolute path, owned */
    struct linux_tree *trees;       /* what of the host it reaches */
    size_t ntrees;
    struct sandbox_status sandbox;  /* what confined the run */
    bool sandbox_probe;             /* KVMELF_TEST_SANDBOX_PROBE=1 */
};

static void warn_line(void *ctx, const char *msg)
{
    const struct session *s = ctx;
    fprintf(msgs(), "kvmelf: %s: %s\n", s->opts->file, msg);
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
        .layout = &s->layout, .allow_wx = s->opts->allow_wx,
        .segs = s->perms, .nsegs = s->plan.nsegs,
    };
    return paging_memory_map(&s->paging, &s->map, err);
}

/* ELF file -> validated plan.  The file is read and checked before KVM is
 * touched, so a bad file is reported the same on any host. */
static int load_stage(struct session *s, struct kerr *err)
{
    const struct options *o = s->opts;

    if (paging_layout(o->mem, o->stack, &s->layout, err) < 0 ||
        loader_read_file(o->file, &s->file, err) < 0)
        return -1;
    struct load_window win = { .lo = KVMELF_RESERVED_END,
                               .hi = s->layout.guard,
                               .ram_size = o->mem,
                               .stack_size = s->layout.stack_size };
    if (loader_plan(s->file.bytes, s->file.size, &win, &s->plan, err) < 0)
        return -1;
    paging_layout_set_heap(&s->layout, s->plan.image_end);
    return map_stage(s, err);
}

/* The Linux process entry on the stack: argc, argv, envp, auxv. */
static int process_stack(struct session *s, struct kerr *err)
{
    const struct options *o = s->opts;
    struct linux_stack_params p = {
        .stack_top = s->layout.stack_top,
        .stack_bottom = s->layout.stack_bottom,
        .args_max = s->layout.args_max,
        .stack_size = s->layout.stack_size,
        .argc = o->guest_argc, .argv = o->guest_argv,
        .envc = o->envc, .envp = o->env, .execfn = o->file,
        .phdr = s->plan.phdr, .phent = s->plan.phent, .phnum = s->plan.phnum,
        .entry = s->plan.entry, .hwcap = vm_caps(s->vm)->hwcap,
    };

    if (getrandom(p.random, sizeof p.random, 0) != (ssize_t)sizeof p.random)
        return kerr_set(err, "cannot get random bytes for AT_RANDOM");
    return linux_write_stack(&s->gm, &p, &s->entry, err);
}

/* Guest memory image: monitor area, segments, boot info, process stack. */
static int image_stage(struct session *s, struct cpu_tables *tables,
                       struct kerr *err)
{
    s->paging.huge_1g = vm_caps(s->vm)->huge_1g;
    s->paging.nx = vm_caps(s->vm)->nx;
    if (guest_mem_init(&s->gm, s->opts->mem, err) < 0 ||
        boot_setup(&s->gm, &s->paging, &s->map, tables, err) < 0)
        return -1;
    stats_mark(s->stats, STAT_TABLES);
    if (loader_copy(&s->plan, s->file.bytes, s->file.size, &s->gm, err) < 0 ||
        process_stack(s, err) < 0)
        return -1;
    struct boot_params bp = {
        .layout = &s->layout, .argc = (uint64_t)s->opts->guest_argc,
        .argv = s->entry.argv, .cmdline = s->entry.cmdline,
        .ring0 = s->opts->ring0, .stdout_tty = isatty(STDOUT_FILENO) == 1,
    };
    if (boot_write_info(&s->gm, &bp, err) < 0)
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
    const char *path = s->opts->file;
    char msg[128];

    switch (r->outcome) {
    case RUN_EXITED:
        return r->status;
    case RUN_CRASHED: {
        char prefix[512];
        snprintf(prefix, sizeof prefix, "kvmelf: %s: ", path);
        struct crash_context ctx = {
            .prefix = prefix, .symbolizer = s->symbolizer, .map = &s->map,
            .gm = &s->gm, .layout = &s->layout, .ring0 = s->opts->ring0,
        };
        report_crash(msgs(), r, &ctx);
        return STATUS_SIGNAL_BASE + crash_signal(&r->crash);
    }
    case RUN_TIMED_OUT:
        snprintf(msg, sizeof msg, "timed out after %g s (--timeout %s)",
                 s->opts->timeout, s->opts->timeout_text);
        return cli_fail(STATUS_TIMEOUT, path, msg);
    case RUN_SIGNALED:
        /* SIGKILL is gdb's kill: no signal reaches kvmelf as that. */
        snprintf(msg, sizeof msg, r->signal == SIGKILL ? "killed from gdb" :
                 "stopped by %s", strsignal(r->signal));
        return cli_fail(STATUS_SIGNAL_BASE + r->signal, path, msg);
    case RUN_GUEST_SIGNAL: {
        const char *abbrev = sigabbrev_np(r->signal);
        snprintf(msg, sizeof msg, "ended by signal %d (SIG%s: %s) it raised",
                 r->signal, abbrev ? abbrev : "?", strsignal(r->signal));
        return cli_fail(STATUS_SIGNAL_BASE + r->signal, path, msg);
    }
    case RUN_STDOUT_CLOSED:
        return STATUS_SIGNAL_BASE + SIGPIPE;  /* quietly, as `| head` expects */
    case RUN_OUTPUT_LIMIT: {
        char sz[32];
        snprintf(msg, sizeof msg, "stopped: the guest wrote more than %s "
                 "(--max-output); its output ends there",
                 format_size(s->opts->max_output, sz, sizeof sz));
        return cli_fail(STATUS_OUTPUT_LIMIT, path, msg);
    }
    }
    return STATUS_CANNOT_RUN;
}

/* The Linux process the guest's system calls act on, as exec leaves it
 * (for kvmelf info, tables NULL: a process that never runs, for its
 * files). */
static int process_stage(struct session *s, const struct cpu_tables *tables,
                         struct kerr *err)
{
    const struct linux_config cfg = {
        .heap_start = s->layout.heap_start, .heap_end = s->layout.guard,
        .stack_size = s->layout.stack_size,
        .stack_bottom = s->layout.stack_bottom,
        .allow_wx = s->opts->allow_wx,
        .pt = { .cr3 = tables ? tables->cr3 : 0,
                .next_table = tables ? KVMELF_PT_ADDR +
                                       tables->page_table_bytes : 0,
                .nx = s->vm ? vm_caps(s->vm)->nx : true },
    };

    s->process = linux_process_new(&cfg);
    return s->process ? 0 : kerr_set(err, "out of memory");
}

/* What of the host the guest sees: the --dir grants (opened now, before
 * the sandbox: it lets kvmelf reach only what is open), the private /tmp,
 * the working directory.  A bad --dir, --cwd or --tmp fails here, with
 * linux_files_open's message. */
static int files_stage(struct session *s, struct kerr *err)
{
    const struct options *o = s->opts;

    /* /proc/self/exe names the file as Linux would: absolute, symlinks
     * resolved. */
    s->exe = realpath(o->file, NULL);
    const struct linux_files files = {
        .grants = o->grants, .ngrants = o->ngrants, .cwd = o->cwd,
        .tmp_size = o->tmp_size, .exe = s->exe ? s->exe : o->file,
    };
    if (linux_files_open(s->process, &files, err) < 0)
        return -1;
    const char *note = linux_files_note(s->process);
    if (note)
        warn_line(s, note);
    s->trees = files_trees(s->process, &s->ntrees);
    if (!s->trees && linux_files_trees(s->process, NULL, 0))
        return kerr_set(err, "out of memory");   /* Landlock would allow
                                                    nothing */
    return 0;
}

static struct files_report files_report(const struct session *s)
{
    return (struct files_report){
        .trees = s->trees, .ntrees = s->ntrees,
        .tmp_size = s->opts->tmp_size, .note = linux_files_note(s->process),
        .sandbox = !s->opts->no_sandbox,
        .landlock_abi = s->sandbox.landlock_abi,
        .landlock_errno = s->sandbox.landlock_errno,
    };
}

/* Landlock, then the seccomp filter (not with --no-sandbox).  A kernel
 * without Landlock is said once, when there are grants it would have
 * confined. */
static int sandbox_stage(struct session *s, struct kerr *err)
{
    if (s->opts->no_sandbox)
        return 0;
    if (sandbox_confine(s->trees, s->ntrees, &s->sandbox, err) < 0)
        return -1;
    if (!s->sandbox.landlock_abi && s->opts->ngrants) {
        char msg[256];
        snprintf(msg, sizeof msg, "note: this kernel has no Landlock (%s): "
                 "--dir grants are confined by openat2 and seccomp alone",
                 strerror(s->sandbox.landlock_errno));
        warn_line(s, msg);
    }
    return 0;
}

static int run_session(struct session *s)
{
    const struct options *o = s->opts;
    const char *dev = getenv("KVMELF_KVM_DEVICE");
    struct cpu_tables tables;
    struct run_result res;
    struct kerr err;

    if (load_stage(s, &err) < 0)
        return cli_fail(STATUS_CANNOT_RUN, o->file, err.msg);
    stats_mark(s->stats, STAT_LOADED);
    if (vm_open(&s->vm, dev && *dev ? dev : DEFAULT_KVM_DEVICE,
                dev && *dev ? "KVMELF_KVM_DEVICE" : NULL, &err) < 0)
        return cli_fail(STATUS_NO_KVM, NULL, err.msg);
    stats_mark(s->stats, STAT_VM);
    if (image_stage(s, &tables, &err) < 0)
        return cli_fail(STATUS_CANNOT_RUN, o->file, err.msg);
    stats_mark(s->stats, STAT_IMAGE);
    if (s->stats)
        s->stats->page_table_bytes = tables.page_table_bytes;

    struct vcpu_entry entry = { .rip = s->plan.entry, .ring0 = o->ring0,
                                .rsp = s->entry.rsp,
                                .rdi = KVMELF_BOOT_INFO_ADDR };
    if (vm_attach_ram(s->vm, &s->gm, &err) < 0 ||
        vm_setup_vcpu(s->vm, &tables, &entry, &err) < 0)
        return cli_fail(STATUS_NO_KVM, o->file, err.msg);
    stats_mark(s->stats, STAT_VCPU);
    if (process_stage(s, &tables, &err) < 0)
        return cli_fail(STATUS_CANNOT_RUN, o->file, err.msg);
    if (files_stage(s, &err) < 0)
        return cli_fail(STATUS_CANNOT_RUN, NULL, err.msg);   /* usage */
    vm_end_setup(s->vm);
    if (!o->no_sandbox &&
        vm_move_fds(s->vm, SANDBOX_VM_FD, SANDBOX_VCPU_FD, &err) < 0)
        return cli_fail(STATUS_NO_KVM, o->file, err.msg);
    /* gdb's connection now: after the fds the filter names, before the
     * filter, which allows no socket calls. */
    int gdb_fd = -1;
    if ((o->gdb_port || o->gdb_socket) && gdb_wait(o, &gdb_fd, &err) < 0)
        return cli_fail(STATUS_CANNOT_RUN, o->file, err.msg);
    if (sandbox_stage(s, &err) < 0)
        return cli_fail(STATUS_NO_KVM, o->file, err.msg);   /* host: no seccomp */
    if (s->sandbox_probe)
        sandbox_probe();
    struct files_report files = files_report(s);
    stats_files(s->stats, &files);

    struct run_options ro = { .timeout_sec = o->timeout,
                              .strict_io = o->strict_io,
                              .want_sregs = o->regs,
                              .max_output = o->max_output,
                              .warn = warn_line, .warn_ctx = s,
                              .process = s->process,
                              .gdb_fd = gdb_fd,
                              .gdb_exec_file = s->exe,
                              .exit_stats = s->stats ? &s->stats->by_kind
                                                     : NULL };
    int r = vm_run(s->vm, &ro, &res, &err);
    messages_collect();
    if (r < 0)
        return cli_fail(STATUS_CANNOT_RUN, o->file, err.msg);
    stats_mark(s->stats, STAT_RAN);
    stats_run_result(s->stats, res.first_run_ns, res.exits);
    int status = outcome_status(s, &res);
    if (o->regs)
        report_regs(msgs(), &res);
    return status;
}

static void session_free(struct session *s)
{
    free(s->trees);
    free(s->exe);
    linux_process_free(s->process);
    vm_close(s->vm);
    guest_mem_fini(&s->gm);
    symbolizer_close(s->symbolizer);
    loader_file_free(&s->file);
}

static int cmd_run(int argc, char **argv)
{
    struct options o;
    int status = options_parse(CLI_RUN, argc, argv, &o);
    if (status >= 0) {
        options_free(&o);
        return status;
    }

    /* From here on a stop signal never kills kvmelf (common/stop.h). */
    stop_install();
    struct kerr err;
    if (process_harden(&err) < 0 || options_resolve_file(&o, &err) < 0) {
        status = cli_fail(STATUS_CANNOT_RUN, o.file, err.msg);
        options_free(&o);
        return status;
    }
    /* Test hook, read before the filter exists: with it set, kvmelf makes
     * one forbidden call right after the filter is installed. */
    const char *probe = getenv("KVMELF_TEST_SANDBOX_PROBE");
    struct run_stats stats = { 0 };
    struct session s = { .opts = &o,
                         .stats = o.stats ? &stats : NULL,
                         .sandbox_probe = probe && strcmp(probe, "1") == 0 };
    stats_start(s.stats);
    status = run_session(&s);
    stats_mark(s.stats, STAT_REPORTED);
    session_free(&s);
    stats_mark(s.stats, STAT_END);
    stats_print(msgs(), s.stats);
    messages_write();
    stats_free(s.stats);
    options_free(&o);
    return status;
}

static int info_session(struct session *s, struct options *o)
{
    struct kerr err;

    if (options_resolve_file(o, &err) < 0 || load_stage(s, &err) < 0 ||
        process_stage(s, NULL, &err) < 0)
        return cli_fail(STATUS_CANNOT_RUN, o->file, err.msg);
    if (files_stage(s, &err) < 0)
        return cli_fail(STATUS_CANNOT_RUN, NULL, err.msg);
    if (!(s->symbolizer = symbolizer_adopt(&s->file)))
        return cli_fail(STATUS_CANNOT_RUN, o->file, "out of memory reading "
                        "symbols");
    /* What run would be confined by on this kernel; info confines
     * nothing. */
    int abi = sandbox_landlock_abi();
    s->sandbox = (struct sandbox_status){
        .landlock_abi = abi > 0 ? abi : 0, .landlock_errno = abi < 0 ? -abi : 0,
    };
    struct files_report files = files_report(s);
    struct info_request req = {
        .path = o->file, .plan = &s->plan, .paging = &s->paging,
        .map = &s->map, .symbolizer = s->symbolizer, .files = &files,
    };
    if (print_info(stdout, &req, &err) < 0)
        return cli_fail(STATUS_CANNOT_RUN, o->file, err.msg);
    int status = cli_stdout_status();
    if (status == STATUS_CANNOT_RUN)
        return cli_fail(status, o->file, "cannot write the memory map to "
                        "stdout");
    return status;
}

/* The same stages as run up to the memory map, then a picture of it
 * instead of /dev/kvm: a file run refuses fails here the same way. */
static int cmd_info(int argc, char **argv)
{
    struct options o;
    int status = options_parse(CLI_INFO, argc, argv, &o);

    if (status < 0) {
        struct session s = { .opts = &o };
        status = info_session(&s, &o);
        session_free(&s);
    }
    options_free(&o);
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

    /* A closed stdout or stderr is an EPIPE to handle, never a death:
     * only a closed stdout may give 141 (cli_stdout_status, the run's
     * RUN_STDOUT_CLOSED), and a closed stderr never changes the status. */
    signal(SIGPIPE, SIG_IGN);
    if (cmd && strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (cmd && strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    return options_top_level(argc, argv);
}
