/*
 * sandbox: what confines kvmelf itself, against a guest (or an ELF file)
 * that found a bug in it.
 *
 * process_harden() at startup: no core dumps (RLIMIT_CORE 0, not
 * dumpable), a closed fd 0-2 replaced by /dev/null, every inherited fd
 * above 2 closed.
 *
 * sandbox_confine() once setup is over (the ELF read, the VM and vCPU
 * created, /dev/kvm closed, the VM and vCPU fds moved to SANDBOX_VM_FD and
 * SANDBOX_VCPU_FD with vm_move_fds): installs the seccomp filter that
 * allows only what the run, the crash report and the teardown need.  The
 * allowlist is filter_gen.c's, compiled into BPF at build time
 * (docs/security.md).  A refused call prints one line naming it and the
 * process dies of SIGSYS.  Cannot be undone.
 */
#ifndef KVMELF_SANDBOX_H
#define KVMELF_SANDBOX_H

#include "common/common.h"

/* The fds the filter names (it is compiled in advance): the lowest after
 * stdio, free once the /dev/kvm fd is closed. */
#define SANDBOX_VM_FD   3
#define SANDBOX_VCPU_FD 4

int process_harden(struct kerr *err);
int sandbox_confine(struct kerr *err);
/* Test hook (KVMELF_TEST_SANDBOX_PROBE): makes one call no allowlist has. */
void sandbox_probe(void);

#endif
