/*
 * A struct vm without KVM, for driving the exit handler directly (unit
 * tests and fuzz/fuzz_exit.c): the kvm_run page is ordinary memory between
 * inaccessible guard pages, the fds are -1 (every ioctl fails with EBADF),
 * output goes to out_fd, stdin is at EOF.
 */
#ifndef KVMELF_TESTS_FAKE_VM_H
#define KVMELF_TESTS_FAKE_VM_H

#include "vcpu/internal.h"

#define FAKE_VM_RUN_SIZE  (3 * 4096)  /* KVM_GET_VCPU_MMAP_SIZE here */
#define FAKE_VM_DATA      4096        /* where KVM puts port data     */
#define FAKE_VM_RAM       (2u << 20)

/* Returns the vm, reset to a fresh state; aborts if memory is short.
 * The run page and guest RAM are allocated once and reused. */
struct vm *fake_vm(const struct run_options *opts, int out_fd);

/* Sets up vm->run as a port exit of count elements of size bytes. */
void fake_vm_io(struct vm *vm, bool out, uint16_t port, uint8_t size,
                uint32_t count, uint64_t data_offset);

#endif
