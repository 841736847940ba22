/*
 * A struct vm without KVM, for driving the exit handler directly (unit
 * tests and fuzz/fuzz_exit.c): the kvm_run page is ordinary memory between
 * inaccessible guard pages, the fds are -1 (every ioctl fails with EBADF;
 * a TLB flush has nothing to do), output goes to out_fd, stdin is at EOF.
 * With fake_vm_linux() the registers live in kvm_run, as with
 * KVM_CAP_SYNC_REGS, so system calls need no ioctl.
 */
#ifndef KVMELF_TESTS_FAKE_VM_H
#define KVMELF_TESTS_FAKE_VM_H

#include "tests/support/fake_guest.h"
#include "vcpu/internal.h"

#define FAKE_VM_RUN_SIZE  (3 * 4096)  /* KVM_GET_VCPU_MMAP_SIZE here */
#define FAKE_VM_DATA      4096        /* where KVM puts port data     */

/* Returns the vm, reset to a fresh state; aborts if memory is short.
 * The run page and guest RAM are allocated once and reused. */
struct vm *fake_vm(const struct run_options *opts, int out_fd);

/* Makes vm a Linux process's vCPU: the ABI's page tables in guest RAM for
 * fake_guest.h's program, registers in kvm_run as with KVM_CAP_SYNC_REGS,
 * and a fresh process in opts->process (freed by the next fake_vm()).
 * Guest RAM is cleared first.  -1 with err only if paging fails. */
int fake_vm_linux(struct vm *vm, struct run_options *opts, struct kerr *err);

/* Sets up vm->run as the entry page's report of system call nr with args
 * (RDI, RSI, RDX, R10, R8, R9), called from FAKE_VM_TEXT. */
void fake_vm_syscall(struct vm *vm, uint32_t nr, const uint64_t args[6]);

/* What the unit tests of the exit path share (cmocka state): a fake vm
 * whose output goes into a pipe the test reads back, its warnings
 * counted. */
struct fake_fixture {
    int pipe[2];
    unsigned warnings;
    char last_warning[256];
    struct run_options opts;
    struct vm *vm;
    struct run_result res;
    struct kerr err;
};

/* cmocka setup and teardown: *state is one static fake_fixture. */
int fake_fixture_setup(void **state);
int fake_fixture_teardown(void **state);
#define fake_fixture_test(test) \
    cmocka_unit_test_setup_teardown(test, fake_fixture_setup, \
                                    fake_fixture_teardown)

/* Sets up vm->run as a port exit of count elements of size bytes. */
void fake_vm_io(struct vm *vm, bool out, uint16_t port, uint8_t size,
                uint32_t count, uint64_t data_offset);

#endif
