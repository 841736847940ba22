/* The CLI's own pieces: exit statuses, the crash report, kvmelf info. */
#ifndef KVMELF_CLI_H
#define KVMELF_CLI_H

#include "linux/linux.h"
#include "loader/loader.h"
#include "paging/paging.h"
#include "sandbox/sandbox.h"
#include "symbolize/symbolize.h"
#include "vcpu/vcpu.h"

#include <signal.h>
#include <stdio.h>

/* kvmelf's exit statuses (README, docs/abi.md); the guest's own status
 * (0-255) passes through otherwise. */
enum {
    STATUS_TIMEOUT     = 124,   /* --timeout expired, as timeout(1)      */
    STATUS_CANNOT_RUN  = 125,   /* usage error, unreadable or bad ELF     */
    STATUS_NO_KVM      = 126,   /* the host cannot run guests             */
    STATUS_SIGNAL_BASE = 128,   /* + the signal: crash, SIGINT, SIGTERM  */
    /* --max-output: what a native program gets at RLIMIT_FSIZE, SIGXFSZ. */
    STATUS_OUTPUT_LIMIT = STATUS_SIGNAL_BASE + SIGXFSZ,
};

#define KVMELF_VERSION "0.1.0"

/* ---- The command line (src/options.c) ---------------------------------- */

enum cli_command { CLI_RUN, CLI_INFO };

/* --tmp's default: the private /tmp holds at most this much. */
#define TMP_SIZE_DEFAULT (64ULL << 20)

struct options {
    uint64_t mem;
    uint64_t stack;          /* --stack; 0: the default for mem */
    double timeout;          /* seconds; 0: none */
    const char *timeout_text;   /* as given, for the message */
    uint64_t max_output;     /* 0: unlimited */
    bool ring0, strict_io, regs, allow_wx, stats, no_sandbox;
    const char *path;        /* FILE as given: the guest's argv[0] */
    const char *file;        /* what is loaded: path, or where PATH had it */
    char *resolved;          /* owned: file when found through PATH */
    int guest_argc;
    char **guest_argv;       /* argv[0] = path */
    size_t envc;
    char **env;              /* "NAME=VALUE", in order; owned array */
    char **owned;            /* the strings --env NAME and --dir made */
    size_t nowned;
    struct linux_grant *grants;  /* --dir, in order; owned array */
    size_t ngrants;
    const char *cwd;         /* --cwd; NULL: the first grant's, or / */
    uint64_t tmp_size;       /* --tmp; 0: no /tmp */
    unsigned gdb_port;       /* --gdb PORT on 127.0.0.1; 0: none */
    const char *gdb_socket;  /* --gdb-socket PATH; NULL: none */
};

/* --gdb/--gdb-socket (gdbwait.c): listens, says where on stderr, accepts
 * gdb's connection into *conn.  0, or -1 (err: a bad option, a path or
 * port in use, a stop while waiting). */
int gdb_wait(const struct options *o, int *conn, struct kerr *err);

/* Parses `kvmelf run|info ...` (argv[0] is the command).  Returns -1 to go
 * on with *o filled, or the status to exit with: 0 after --help, 125 after
 * the one error line it printed.  options_free() in every case. */
int options_parse(enum cli_command cmd, int argc, char **argv,
                  struct options *o);
void options_free(struct options *o);
/* `kvmelf` with no known command: --help, --version, or one error line
 * with a hint ("did you mean: kvmelf run hello.elf?").  The status. */
int options_top_level(int argc, char **argv);
/* FILE without a slash that is not in the current directory is looked up
 * in PATH, as env(1) finds a program: sets o->file. */
int options_resolve_file(struct options *o, struct kerr *err);

/* ---- Messages (src/messages.c) ----------------------------------------- */

/* "kvmelf: [what: ]msg" on msgs(), the one format every error uses;
 * returns status. */
int cli_fail(int status, const char *what, const char *msg);
/* Where kvmelf's messages go: stderr, or after messages_collect() memory,
 * written at the end by messages_write() as one stop-bounded write (a run
 * with --timeout, or one a signal stopped or will stop, must end within
 * its grace even when stderr is a pipe nobody reads). */
FILE *msgs(void);
void messages_collect(void);
void messages_write(void);
/* After writing to stdout: 0, 141 when its reader is gone (as a native
 * program killed by SIGPIPE), 125 on another error. */
int cli_stdout_status(void);

/* What a crash report draws on besides the run result. */
struct crash_context {
    const char *prefix;              /* "kvmelf: FILE: " */
    const struct symbolizer *symbolizer;   /* NULL: addresses only */
    const struct memory_map *map;    /* as the page tables were built */
    const struct guest_mem *gm;      /* for the backtrace */
    const struct guest_layout *layout;   /* stack, guard, RAM size */
    bool ring0;
};

/* Writes the crash report: what happened, where (symbol), why (a hint from
 * the memory map), a frame-pointer backtrace and the registers. */
void report_crash(FILE *f, const struct run_result *res,
                  const struct crash_context *ctx);

/* --stats: where a run's time went.  Points are CLOCK_MONOTONIC times
 * (0: not reached); exec-to-main is the CPU time the process had used when
 * main began (exec, dynamic linking, libc start-up). */
enum stat_point {
    STAT_MAIN,           /* cmd_run began                                 */
    STAT_LOADED,         /* ELF read and checked, memory map              */
    STAT_VM,             /* /dev/kvm opened, VM created, CPUID read       */
    STAT_TABLES,         /* guest RAM mapped, page tables and descriptors */
    STAT_IMAGE,          /* segments copied, boot info, symbols indexed   */
    STAT_VCPU,           /* RAM slot, vCPU created and its state loaded   */
    STAT_FIRST_EXIT,     /* the first KVM_RUN returned                    */
    STAT_RAN,            /* the guest ended and its output is written     */
    STAT_REPORTED,       /* crash report / --regs printed                 */
    STAT_END,            /* VM closed, memory unmapped                    */
    STAT_COUNT
};

struct run_stats {
    uint64_t cpu_before_main_ns;
    uint64_t at[STAT_COUNT];
    uint64_t exits;              /* KVM_RUN returns */
    struct exit_stats by_kind;   /* ... what caused them (run_options) */
    uint64_t page_table_bytes;
    char *files;                 /* print_files' lines, owned (NULL: none) */
};

/* All do nothing for stats == NULL. */
void stats_start(struct run_stats *stats);
void stats_mark(struct run_stats *stats, enum stat_point point);
void stats_run_result(struct run_stats *stats, uint64_t first_run_ns,
                      uint64_t exits);
void stats_print(FILE *f, const struct run_stats *stats);
/* Keeps the files' lines for stats_print (formatted before the guest
 * runs: what they name is gone by the end). */
struct files_report;
void stats_files(struct run_stats *stats, const struct files_report *r);
void stats_free(struct run_stats *stats);

/* What of the host the guest sees and what confines kvmelf
 * (src/files.c), for --stats and kvmelf info. */
struct files_report {
    const struct linux_tree *trees;   /* linux_files_trees() */
    size_t ntrees;
    uint64_t tmp_size;       /* --tmp */
    const char *note;        /* linux_files_note(), or NULL */
    bool sandbox;            /* false: --no-sandbox */
    int landlock_abi;        /* > 0: the ABI that confines (run) or would
                                (info); else none */
    int landlock_errno;      /* with none: why (ENOSYS, EOPNOTSUPP) */
};

/* One line per grant ("HOST -> GUEST (read-only)"), one for /tmp, one for
 * the confinement, each after prefix. */
void print_files(FILE *f, const char *prefix, const struct files_report *r);

/* The trees of p in a new array (*n of them); NULL with *n 0 when there
 * are none or no memory. */
struct linux_tree *files_trees(const struct linux_process *p, size_t *n);

/* --regs: general registers, then control and segment registers decoded. */
void report_regs(FILE *f, const struct run_result *res);

/* ---- kvmelf info (src/info.c) ---------------------------------------- */

/* What run's stages produced before they would open /dev/kvm. */
struct info_request {
    const char *path;
    const struct load_plan *plan;
    const struct paging_config *paging;   /* as the map stage made it */
    const struct memory_map *map;
    const struct symbolizer *symbolizer;  /* for the entry point */
    const struct files_report *files;     /* the guest's files */
};

/* Prints the segments, the memory map as an aligned table and a to-scale
 * picture, the page sizes the tables would use, the entry point and the
 * files.  The
 * page tables and boot info are built in a scratch copy of the monitor's
 * area (never KVM), so the numbers are run's own.  Returns 0, or -1 with
 * err when the scratch area cannot be built. */
int print_info(FILE *f, const struct info_request *req, struct kerr *err);

#endif
