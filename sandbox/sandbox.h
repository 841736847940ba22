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
 * SANDBOX_VCPU_FD with vm_move_fds, the guest's granted directories open):
 * first Landlock, which leaves the process able to open files only beneath
 * the granted trees, with read-only or read-write rights, and nothing else
 * the kernel's Landlock ABI can refuse (no execution, device nodes, TCP,
 * signals or abstract sockets outside the process); then the seccomp
 * filter that allows only what the run, the guest's files, the crash
 * report and the teardown need.  The allowlist is filter_gen.c's,
 * compiled into BPF at build time (docs/security.md).  A refused call
 * prints one line naming it and the process dies of SIGSYS.  Cannot be
 * undone.
 */
#ifndef KVMELF_SANDBOX_H
#define KVMELF_SANDBOX_H

#include "common/common.h"
#include "linux/linux.h"

/* The fds the filter names (it is compiled in advance): the lowest after
 * stdio, free once the /dev/kvm fd is closed. */
#define SANDBOX_VM_FD   3
#define SANDBOX_VCPU_FD 4
/* Every fd kvmelf opens for the guest's files (linux/) is above those:
 * the filter lets the file calls act on this fd and up only. */
#define SANDBOX_FIRST_FILE_FD 5

int process_harden(struct kerr *err);

/* What confined the run, for the note and --stats. */
struct sandbox_status {
    int landlock_abi;        /* the Landlock ABI the run is confined by;
                                0: none */
    int landlock_errno;      /* with 0: ENOSYS (the kernel has none) or
                                EOPNOTSUPP (it is off at boot) */
};

/* Confines the process to trees[0 .. ntrees) (their fds stay open: each
 * rule names one) and installs the filter.  A kernel without Landlock is
 * no error: st says so and the filter still goes on.  0, or -1 with a
 * message that names what failed and --no-sandbox. */
int sandbox_confine(const struct linux_tree *trees, size_t ntrees,
                    struct sandbox_status *st, struct kerr *err);

/* The kernel's Landlock ABI version (> 0), or -ENOSYS / -EOPNOTSUPP when
 * it has none, or another -errno.  Only asks: confines nothing. */
int sandbox_landlock_abi(void);

/* Test hook (KVMELF_TEST_SANDBOX_PROBE): makes one call no allowlist has. */
void sandbox_probe(void);

#endif
