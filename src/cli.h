/* The CLI's own pieces: exit statuses and the crash report. */
#ifndef KVMELF_CLI_H
#define KVMELF_CLI_H

#include "loader/loader.h"
#include "paging/paging.h"
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

/* The signal a native program would get for this crash. */
int crash_signal(const struct crash_info *crash);

/* What a crash report draws on besides the run result. */
struct crash_context {
    const char *prefix;              /* "kvmelf: FILE: " */
    const struct symbolizer *symbolizer;   /* NULL: addresses only */
    const struct memory_map *map;    /* as the page tables were built */
    const struct guest_mem *gm;      /* for the backtrace */
    uint64_t ram_size;
    bool ring0;
};

/* Writes the crash report: what happened, where (symbol), why (a hint from
 * the memory map), a frame-pointer backtrace and the registers. */
void report_crash(FILE *f, const struct run_result *res,
                  const struct crash_context *ctx);

/* --regs: general registers, then control and segment registers decoded. */
void report_regs(FILE *f, const struct run_result *res);

#endif
