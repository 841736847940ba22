/* The exit handler without KVM: port devices, exit ports, bad reports,
 * and the system-call port's decode and resume (linux/ does the call). */
#include "tests/support/fake_vm.h"

#include <sys/syscall.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>


static uint8_t *data_area(struct fake_fixture *f)
{
    return (uint8_t *)f->vm->run + FAKE_VM_DATA;
}

static enum exit_result dispatch(struct fake_fixture *f)
{
    memset(&f->res, 0, sizeof f->res);
    memset(&f->err, 0, sizeof f->err);
    return exit_dispatch(f->vm, &f->res, &f->err);
}

static void expect_output(struct fake_fixture *f, const char *want)
{
    char got[256] = { 0 };
    assert_int_equal(console_flush(&f->vm->console, &f->err), 0);
    ssize_t n = read(f->pipe[0], got, sizeof got - 1);
    assert_int_equal(n, (ssize_t)strlen(want));
    assert_string_equal(got, want);
}

static void test_rep_outsb_to_uart(void **state)
{
    struct fake_fixture *f = *state;
    memcpy(data_area(f), "hello\n", 6);
    fake_vm_io(f->vm, true, KVMELF_PORT_COM1, 1, 6, FAKE_VM_DATA);
    assert_int_equal(dispatch(f), EXIT_RESUME);
    expect_output(f, "hello\n");
}

static void test_exit_port(void **state)
{
    struct fake_fixture *f = *state;
    uint32_t status = 0x1234;
    memcpy(data_area(f), &status, sizeof status);
    fake_vm_io(f->vm, true, KVMELF_PORT_EXIT, 4, 1, FAKE_VM_DATA);
    assert_int_equal(dispatch(f), EXIT_ENDED);
    assert_int_equal(f->res.outcome, RUN_EXITED);
    assert_int_equal(f->res.status, 0x34);
}

/* Reads from an unknown port give all ones, element by element, and one
 * warning for the port. */
static void test_unknown_port_string_read(void **state)
{
    struct fake_fixture *f = *state;
    fake_vm_io(f->vm, false, 0x80, 2, 4, FAKE_VM_DATA);
    assert_int_equal(dispatch(f), EXIT_RESUME);
    for (int i = 0; i < 8; i++)
        assert_int_equal(data_area(f)[i], 0xff);
    assert_int_equal(data_area(f)[8], 0);
    assert_int_equal(f->warnings, 1);
    assert_non_null(strstr(f->last_warning, "2-byte read from unknown port 0x80"));
    assert_int_equal(dispatch(f), EXIT_RESUME);
    assert_int_equal(f->warnings, 1);
}

static void test_strict_io_ends_run(void **state)
{
    struct fake_fixture *f = *state;
    f->opts.strict_io = true;
    fake_vm_io(f->vm, true, KVMELF_PORT_COM1, 2, 1, FAKE_VM_DATA);
    assert_int_equal(dispatch(f), EXIT_ENDED);
    assert_int_equal(f->res.outcome, RUN_CRASHED);
    assert_int_equal(f->res.crash.kind, CRASH_BAD_IO);
    assert_non_null(strstr(f->res.crash.what, "2-byte write to the UART at"));
}

/* Regression (fuzz/regressions/exit/data-area-overlaps-run-header): a
 * string read whose data area was the kvm_run header rewrote its own
 * size and count through the 0xff fill and ran off the run page. */
static void test_data_area_inside_header_refused(void **state)
{
    struct fake_fixture *f = *state;
    fake_vm_io(f->vm, false, 0xfdfa, 1, 255, 0);
    assert_int_equal(dispatch(f), EXIT_ERROR);
    assert_non_null(strstr(f->err.msg, "impossible port access"));
    assert_int_equal(f->vm->run->io.count, 255);
    assert_int_equal(f->vm->run->io.size, 1);
}

static void test_impossible_accesses_refused(void **state)
{
    struct fake_fixture *f = *state;
    const struct { uint8_t size; uint32_t count; uint64_t offset; } bad[] = {
        { 3, 1, FAKE_VM_DATA },                       /* size */
        { 1, 0, FAKE_VM_DATA },                       /* count */
        { 4, UINT32_MAX, FAKE_VM_DATA },              /* past the page */
        { 1, 1, FAKE_VM_RUN_SIZE },                   /* offset at end */
        { 1, 2, FAKE_VM_RUN_SIZE - 1 },               /* straddles end */
        { 4, 1, UINT64_MAX - 1 },                     /* wraps */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        fake_vm_io(f->vm, true, KVMELF_PORT_COM1, bad[i].size, bad[i].count,
                   bad[i].offset);
        assert_int_equal(dispatch(f), EXIT_ERROR);
        assert_non_null(strstr(f->err.msg, "impossible port access"));
    }
}

static void test_other_exits(void **state)
{
    struct fake_fixture *f = *state;
    f->vm->run->exit_reason = KVM_EXIT_HLT;
    assert_int_equal(dispatch(f), EXIT_ENDED);
    assert_int_equal(f->res.outcome, RUN_EXITED);
    assert_int_equal(f->res.status, 0);

    f->vm->run->exit_reason = KVM_EXIT_SHUTDOWN;
    assert_int_equal(dispatch(f), EXIT_ENDED);
    assert_int_equal(f->res.crash.kind, CRASH_TRIPLE_FAULT);

    f->vm->run->exit_reason = KVM_EXIT_MMIO;
    f->vm->run->mmio.phys_addr = 1ULL << 40;
    f->vm->run->mmio.len = 4;
    assert_int_equal(dispatch(f), EXIT_ENDED);
    assert_int_equal(f->res.crash.kind, CRASH_MMIO);
    assert_int_equal(f->res.crash.detail, 1ULL << 40);

    f->vm->run->exit_reason = KVM_EXIT_INTR;
    assert_int_equal(dispatch(f), EXIT_RESUME);

    f->vm->run->exit_reason = 1000;
    assert_int_equal(dispatch(f), EXIT_ERROR);
    assert_non_null(strstr(f->err.msg, "unexpected KVM exit reason 1000"));
}

/* A stub report as KVM_GET_REGS would show it: RIP in the stub pages, RSP
 * at a trap frame written into guest RAM at frame_gpa. */
static enum exit_result report_trap(struct fake_fixture *f, gpa_t frame_gpa,
                       const struct kvmelf_trap_frame *frame)
{
    struct kvm_regs regs = { .rip = KVMELF_STUB_ADDR + 0x1004,
                             .rsp = frame_gpa, .rbx = 0xb0b };
    memcpy(guest_mem_ptr(f->vm->gm, frame_gpa, sizeof *frame), frame,
           sizeof *frame);
    memset(&f->res, 0, sizeof f->res);
    return trap_report(f->vm, &regs, &f->res);
}

/* Regression (fuzz/regressions/exit/trap-frame-misaligned): a --ring0
 * guest may report with any RSP; the frame is read and edited unaligned. */
static void test_user_cli_skipped_misaligned_frame(void **state)
{
    struct fake_fixture *f = *state;
    const gpa_t code = 0x1000, frame_gpa = 0x2003;
    struct kvmelf_trap_frame frame = {
        .vector = X86_VEC_GP, .rip = code, .cs = KVMELF_SEL_USER_CS,
        .ss = KVMELF_SEL_USER_DS, .rsp = 0x3000,
    };
    *(uint8_t *)guest_mem_ptr(f->vm->gm, code, 1) = 0xfa;   /* cli */
    assert_int_equal(report_trap(f, frame_gpa, &frame), EXIT_RESUME);
    memcpy(&frame, guest_mem_ptr(f->vm->gm, frame_gpa, sizeof frame),
           sizeof frame);
    assert_int_equal(frame.rip, code + 1);
}

static void test_page_fault_report(void **state)
{
    struct fake_fixture *f = *state;
    struct kvmelf_trap_frame frame = {
        .vector = X86_VEC_PF, .error_code = 6, .rip = 0x401234, .rax = 7,
        .cs = KVMELF_SEL_USER_CS, .ss = KVMELF_SEL_USER_DS, .rsp = 0x7ff0,
    };
    assert_int_equal(report_trap(f, 0x1000, &frame), EXIT_ENDED);
    assert_int_equal(f->res.outcome, RUN_CRASHED);
    assert_int_equal(f->res.crash.kind, CRASH_EXCEPTION);
    assert_int_equal(f->res.crash.vector, X86_VEC_PF);
    assert_int_equal(f->res.crash.error_code, 6);
    assert_true(f->res.crash.from_user);
    assert_int_equal(f->res.regs.rip, 0x401234);
    assert_int_equal(f->res.regs.rax, 7);
    assert_int_equal(f->res.regs.rbx, 0xb0b);
}

static void test_report_from_outside_stubs_refused(void **state)
{
    struct fake_fixture *f = *state;
    struct kvm_regs regs = { .rip = 0x400000, .rsp = 0x1000 };
    assert_int_equal(trap_report(f->vm, &regs, &f->res), EXIT_ENDED);
    assert_int_equal(f->res.crash.kind, CRASH_BAD_FRAME);
    regs = (struct kvm_regs){ .rip = KVMELF_STUB_ADDR, .rsp = FAKE_VM_RAM - 8 };
    assert_int_equal(trap_report(f->vm, &regs, &f->res), EXIT_ENDED);
    assert_int_equal(f->res.crash.kind, CRASH_BAD_FRAME);
}

/* System call nr through the entry page's port of a Linux process's
 * vCPU, dispatched. */
static enum exit_result syscall_via_port(struct fake_fixture *f, uint32_t nr,
                                         const uint64_t args[6])
{
    assert_int_equal(fake_vm_linux(f->vm, &f->opts, &f->err), 0);
    fake_vm_syscall(f->vm, nr, args);
    return dispatch(f);
}

/* Left for the next KVM_RUN (or vm_run's end): at the caller's RCX. */
static void expect_regs_at_caller(struct fake_fixture *f)
{
    assert_int_equal(f->vm->run->s.regs.regs.rip, FAKE_VM_TEXT);
    assert_true(f->vm->run->kvm_dirty_regs & KVM_SYNC_X86_REGS);
}

/* A SYSCALL through the entry page's port: the guest resumes at RCX with
 * the result in RAX, the registers going back through kvm_run. */
static void test_syscall_port_resumes_at_rcx(void **state)
{
    struct fake_fixture *f = *state;
    const uint64_t args[6] = { 0 };

    assert_int_equal(syscall_via_port(f, SYS_getpid, args), EXIT_RESUME);
    assert_int_equal(f->vm->run->s.regs.regs.rax, 1);
    expect_regs_at_caller(f);
}

/* exit_group ends the run; the registers are left at the caller, for
 * vm_run to apply at the end (the final --regs). */
static void test_syscall_port_exit_group(void **state)
{
    struct fake_fixture *f = *state;
    const uint64_t args[6] = { 300 };

    assert_int_equal(syscall_via_port(f, SYS_exit_group, args), EXIT_ENDED);
    assert_int_equal(f->res.outcome, RUN_EXITED);
    assert_int_equal(f->res.status, 300 & 0xff);
    expect_regs_at_caller(f);
}

/* The port written from anywhere but the entry page is no system call:
 * an unknown port. */
static void test_syscall_port_elsewhere_is_unknown(void **state)
{
    struct fake_fixture *f = *state;
    const uint64_t args[6] = { 0 };

    assert_int_equal(fake_vm_linux(f->vm, &f->opts, &f->err), 0);
    fake_vm_syscall(f->vm, SYS_getpid, args);
    f->vm->run->s.regs.regs.rip = FAKE_VM_TEXT;
    assert_int_equal(dispatch(f), EXIT_RESUME);
    assert_int_equal(f->warnings, 1);
    assert_non_null(strstr(f->last_warning, "unknown port 0x520"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        fake_fixture_test(test_rep_outsb_to_uart),
        fake_fixture_test(test_exit_port),
        fake_fixture_test(test_unknown_port_string_read),
        fake_fixture_test(test_strict_io_ends_run),
        fake_fixture_test(test_data_area_inside_header_refused),
        fake_fixture_test(test_impossible_accesses_refused),
        fake_fixture_test(test_other_exits),
        fake_fixture_test(test_user_cli_skipped_misaligned_frame),
        fake_fixture_test(test_page_fault_report),
        fake_fixture_test(test_report_from_outside_stubs_refused),
        fake_fixture_test(test_syscall_port_resumes_at_rcx),
        fake_fixture_test(test_syscall_port_exit_group),
        fake_fixture_test(test_syscall_port_elsewhere_is_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
