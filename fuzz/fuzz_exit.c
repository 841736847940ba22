/*
 * libFuzzer target: the exit handler.  Whatever a guest (or a confused
 * KVM) leaves in the shared kvm_run page, exit_dispatch() must give a
 * defined outcome - resume, run ended with a valid result, or a monitor
 * error with a one-line message - and never read or write
 * outside the run page or guest RAM.  The run page sits between
 * inaccessible guard pages, so a stray access faults.
 *
 * Input: FUZZ_DATA_BYTES for the data area KVM normally uses (the page
 * after the kvm_run header), then records of FUZZ_RECORD_BYTES, each laid
 * over the kvm_run header from exit_reason on: exit reason, flags, then
 * the exit union (io: direction, size, port, count, data_offset; mmio...).
 * Records are handled in order until one ends the run.  The first input
 * byte also picks --strict-io (bit 0) and trap mode (bit 1): then the
 * input after the data area is an exception stub's report instead -
 * RIP and RSP as KVM_GET_REGS would give them, then bytes for the guest's
 * ring-0 stack page below KVMELF_KSTACK_TOP, where a trap frame lives.
 * Bit 2 picks system-call mode: no vCPU at all, linux_syscall() itself
 * over a fake guest (tests/support/fake_guest: real page tables), the data
 * area the start of its data page (paths, iovecs, timespecs), and each
 * record a call number and six arguments, until one ends the process or
 * fails.  (The port's decode and resume are test_exit.c's.)
 */
#include "common/stop.h"
#include "tests/support/fake_guest.h"
#include "tests/support/fake_vm.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FUZZ_DATA_BYTES    256
#define FUZZ_RECORD_OFFSET offsetof(struct kvm_run, exit_reason)
#define FUZZ_RECORD_BYTES  (offsetof(struct kvm_run, io) + 24 - FUZZ_RECORD_OFFSET)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "fuzz_exit: contract broken: %s (line %d)\n", #cond, \
            __LINE__); abort(); } } while (0)

static void ignore_warning(void *ctx, const char *msg)
{
    (void)ctx;
    CHECK(strchr(msg, '\n') == NULL);
}

#define FUZZ_TRAP_STACK_BYTES 1024

static void fuzz_trap(struct vm *vm, const uint8_t *data, size_t size)
{
    struct kvm_regs regs = { 0 };
    struct run_result res = { 0 };

    if (size < 2 * sizeof(uint64_t))
        return;
    memcpy(&regs.rip, data, sizeof regs.rip);
    memcpy(&regs.rsp, data + 8, sizeof regs.rsp);
    data += 16;
    size -= 16;
    if (size > FUZZ_TRAP_STACK_BYTES)
        size = FUZZ_TRAP_STACK_BYTES;
    uint8_t *stack = guest_mem_ptr(vm->gm, KVMELF_KSTACK_TOP - FUZZ_TRAP_STACK_BYTES,
                                   FUZZ_TRAP_STACK_BYTES);
    CHECK(stack != NULL);
    memset(stack, 0, FUZZ_TRAP_STACK_BYTES);
    memcpy(stack, data, size);
    enum exit_result r = trap_report(vm, &regs, &res);
    CHECK(r == EXIT_RESUME || r == EXIT_ENDED);
    if (r == EXIT_ENDED)
        CHECK(res.outcome == RUN_EXITED || res.outcome == RUN_CRASHED);
}

#define FUZZ_SYSCALL_RECORD (7 * sizeof(uint64_t))
/* The table has fewer numbers; the rest are unsupported alike. */
#define FUZZ_SYSCALL_NRS 512

/* Calls that may sleep until a deadline or a stop (there is no stop
 * here): nanosleep, clock_nanosleep, and futex's FUTEX_WAIT(_BITSET). */
static bool sleeps(uint32_t nr, const uint64_t args[6])
{
    enum { NANOSLEEP = 35, FUTEX = 202, CLOCK_NANOSLEEP = 230 };
    enum { CMD_MASK = 0x7f, WAIT = 0, WAIT_BITSET = 9 };
    uint64_t cmd = args[1] & CMD_MASK;

    return nr == NANOSLEEP || nr == CLOCK_NANOSLEEP ||
           (nr == FUTEX && (cmd == WAIT || cmd == WAIT_BITSET));
}

static void check_call(enum linux_result r, const struct linux_call *c,
                       const struct kerr *err)
{
    CHECK(r == LINUX_RESUME || r == LINUX_EXIT || r == LINUX_SIGNAL ||
          r == LINUX_ERROR);
    if (r == LINUX_ERROR) {
        size_t len = strnlen(err->msg, sizeof err->msg);
        CHECK(len > 0 && len < sizeof err->msg && !strchr(err->msg, '\n'));
    }
    if (r == LINUX_EXIT)
        CHECK(c->status >= 0 && c->status <= 255);
    if (r == LINUX_SIGNAL)
        CHECK(c->signal > 0 && c->signal < 65);
}

static void fuzz_syscalls(int out_fd, const uint8_t *area,
                          const uint8_t *data, size_t size)
{
    struct fake_guest *fg = fake_guest_new(out_fd);
    /* There is no --timeout here: with a stop pending, every call that
     * waits (poll, select, a read of an empty pipe, a write to a full one)
     * returns EINTR at once instead of waiting forever. */
    stop_request_for_test(SIGTERM);
    uint8_t *page = guest_mem_ptr(&fg->gm, FAKE_VM_USER_DATA, FUZZ_DATA_BYTES);

    CHECK(page != NULL);
    memcpy(page, area, FUZZ_DATA_BYTES);
    for (; size >= FUZZ_SYSCALL_RECORD; data += FUZZ_SYSCALL_RECORD,
                                        size -= FUZZ_SYSCALL_RECORD) {
        uint64_t w[7];
        struct linux_call call;
        memcpy(w, data, sizeof w);
        uint32_t nr = (uint32_t)(w[0] % FUZZ_SYSCALL_NRS);
        if (sleeps(nr, w + 1))
            continue;
        /* The guest's fds 1 and 2 are the fuzzer's; stdout is /dev/null
         * (below), stderr carries the fuzzer's reports. */
        if ((nr == SYS_write || nr == SYS_writev) && w[1] == STDERR_FILENO)
            w[1] = STDOUT_FILENO;
        memset(&fg->err, 0, sizeof fg->err);
        enum linux_result r = fake_guest_call(fg, nr, w + 1, &call);
        check_call(r, &call, &fg->err);
        CHECK(fg->console.len <= sizeof fg->console.data);
        if (r != LINUX_RESUME)
            break;
    }
}

static void check_result(enum exit_result r, const struct run_result *res,
                         const struct kerr *err)
{
    CHECK(r == EXIT_RESUME || r == EXIT_ENDED || r == EXIT_ERROR);
    if (r == EXIT_ERROR) {
        size_t len = strnlen(err->msg, sizeof err->msg);
        CHECK(len > 0 && len < sizeof err->msg && !strchr(err->msg, '\n'));
    }
    if (r == EXIT_ENDED) {
        CHECK(res->outcome == RUN_EXITED || res->outcome == RUN_CRASHED ||
              res->outcome == RUN_GUEST_SIGNAL);
        CHECK(res->status >= 0 && res->status <= 255);
        CHECK(memchr(res->crash.what, '\0', sizeof res->crash.what));
    }
}

/* One exit through the handler; its outcome must be a defined one. */
static enum exit_result dispatch_checked(struct vm *vm)
{
    struct run_result res = { 0 };
    struct kerr err = { 0 };
    enum exit_result r = exit_dispatch(vm, &res, &err);

    check_result(r, &res, &err);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int null_fd = -1;
    struct run_options opts = { .warn = ignore_warning };

    if (size < FUZZ_DATA_BYTES)
        return 0;
    if (null_fd < 0) {
        null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        CHECK(null_fd >= 0 && dup2(null_fd, STDOUT_FILENO) == STDOUT_FILENO);
    }
    opts.strict_io = data[0] & 1;
    struct vm *vm = fake_vm(&opts, null_fd);
    uint8_t *run_page = (uint8_t *)vm->run;
    memcpy(run_page + FAKE_VM_DATA, data, FUZZ_DATA_BYTES);
    bool trap_mode = data[0] & 2, syscall_mode = data[0] & 4;
    const uint8_t *area = data;
    data += FUZZ_DATA_BYTES;
    size -= FUZZ_DATA_BYTES;
    if (trap_mode) {
        fuzz_trap(vm, data, size);
        return 0;
    }
    if (syscall_mode) {
        fuzz_syscalls(null_fd, area, data, size);
        return 0;
    }

    for (; size >= FUZZ_RECORD_BYTES; data += FUZZ_RECORD_BYTES,
                                      size -= FUZZ_RECORD_BYTES) {
        memcpy(run_page + FUZZ_RECORD_OFFSET, data, FUZZ_RECORD_BYTES);
        if (dispatch_checked(vm) != EXIT_RESUME)
            break;
    }
    CHECK(vm->console.len <= sizeof vm->console.data);
    return 0;
}
