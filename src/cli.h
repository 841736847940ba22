/* The CLI's own pieces: exit statuses and the crash report. */
#ifndef KVMELF_CLI_H
#define KVMELF_CLI_H

#include "loader/loader.h"
#include "vcpu/vcpu.h"

#include <stdio.h>

/* kvmelf's exit statuses (README, docs/abi.md); the guest's own status
 * (0-255) passes through otherwise. */
enum {
    STATUS_TIMEOUT     = 124,   /* --timeout expired, as timeout(1)      */
    STATUS_CANNOT_RUN  = 125,   /* usage error, unreadable or bad ELF     */
    STATUS_NO_KVM      = 126,   /* the host cannot run guests             */
    STATUS_SIGNAL_BASE = 128,   /* + the signal: crash, SIGINT, SIGTERM  */
};

/* The signal a native program would get for this crash. */
int crash_signal(const struct crash_info *crash);

/* Writes the crash report ("guest crashed: ..." lines, each prefixed with
 * prefix) to f, with symbols from syms. */
void report_crash(FILE *f, const char *prefix, const struct crash_info *crash,
                  const struct symtab *syms, bool ring0);

void report_regs(FILE *f, const struct guest_regs *regs);

#endif
