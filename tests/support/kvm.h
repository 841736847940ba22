/*
 * Whether the integration tests can run guests: the KVM device
 * ($KVMELF_KVM_DEVICE, else /dev/kvm) opens read-write.  Tests that need it
 * skip, loudly, when it does not.
 */
#ifndef KVMELF_TESTS_KVM_H
#define KVMELF_TESTS_KVM_H

#include <stdbool.h>

/* Probes the device (once; later calls repeat the first answer).  NULL
 * when usable; otherwise the reason ("/dev/kvm unusable: ..."), after a
 * banner on stderr saying that every test that runs a guest is skipped. */
const char *kvm_probe(void);

/* For a test about to run a guest: false when KVM is usable; otherwise
 * prints "SKIPPED: <reason>" on stderr and returns true, and the caller
 * calls cmocka's skip(). */
bool kvm_missing(void);

#endif
