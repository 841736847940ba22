/*
 * A Linux guest without KVM or a vCPU, for calling linux_syscall()
 * directly (tests/unit/test_syscalls.c, fuzz/fuzz_exit.c): guest RAM with
 * the ABI's real page tables for one text page and one data page (the
 * heap above them), a fresh linux_process, and a console whose stdout is
 * a pipe the test can read back and whose warnings are counted.
 */
#ifndef KVMELF_TESTS_FAKE_GUEST_H
#define KVMELF_TESTS_FAKE_GUEST_H

#include "boot/boot.h"
#include "console/console.h"
#include "linux/linux.h"
#include "paging/paging.h"

#define FAKE_VM_RAM       (2u << 20)
#define FAKE_VM_PAGE      4096u
/* The program: one text page, one data page, the heap above. */
#define FAKE_VM_TEXT      0x100000u
#define FAKE_VM_USER_DATA 0x101000u

/* Writes the tables of that program into gm (cleared first) and fills
 * *cfg as a run would for it.  -1 with err only if paging fails. */
int fake_guest_image(const struct guest_mem *gm, struct cpu_tables *tables,
                     struct linux_config *cfg, struct kerr *err);

struct fake_guest {
    struct guest_mem gm;
    struct cpu_tables tables;
    struct linux_process *proc;
    struct console console;
    struct linux_guest g;
    int pipe[2];             /* the console's stdout: [0] to read back */
    unsigned warnings;
    char last_warning[256];
    struct kerr err;
};

/* The one fake guest, fresh: guest RAM (allocated once) rebuilt, a new
 * process, a console whose stdout is out_fd, or a pipe of its own when
 * out_fd < 0 (pipe[0] reads it back).  Aborts when memory is short. */
struct fake_guest *fake_guest_new(int out_fd);

/* cmocka setup and teardown: *state is fake_guest_new(-1). */
int fake_guest_setup(void **state);
int fake_guest_teardown(void **state);
#define fake_guest_test(test) \
    cmocka_unit_test_setup_teardown(test, fake_guest_setup, \
                                    fake_guest_teardown)

/* System call nr with args, as linux_syscall() returns it; *call holds
 * the rest (ret, status, signal). */
enum linux_result fake_guest_call(struct fake_guest *fg, unsigned nr,
                                  const uint64_t args[6],
                                  struct linux_call *call);

#endif
