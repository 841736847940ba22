/* The exit handler without KVM: port devices, exit ports, bad reports. */
#include "tests/support/fake_vm.h"

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

static int dispatch(struct fake_fixture *f)
{
    memset(&f->res, 0, sizeof f->res);
    memset(&f->err, 0, sizeof f->err);
    return exit_dispatch(f->vm, &f->res, &f->err);
}

static void expect_output(struct fake_fixture *f, const char *want)
{
    char got[256] = { 0 };
    assert_int_equal(out_flush(f->vm, &f->err), 0);
    ssize_t n = read(f->pipe[0], got, sizeof got - 1);
    assert_int_equal(n, (ssize_t)strlen(want));
    assert_string_equal(got, want);
}

static void test_rep_outsb_to_uart(void **state)
{
    struct fake_fixture *f = *state;
    memcpy(data_area(f), "hello\n", 6);
    fake_vm_io(f->vm, true, KVMELF_PORT_COM1, 1, 6, FAKE_VM_DATA);
    assert_int_equal(dispatch(f), 0);
    expect_output(f, "hello\n");
}

static void test_exit_port(void **state)
{
    struct fake_fixture *f = *state;
    uint32_t status = 0x1234;
    memcpy(data_area(f), &status, sizeof status);
    fake_vm_io(f->vm, true, KVMELF_PORT_EXIT, 4, 1, FAKE_VM_DATA);
    assert_int_equal(dispatch(f), 1);
    assert_int_equal(f->res.outcome, RUN_EXITED);
    assert_int_equal(f->res.status, 0x34);
}

/* Reads from an unknown port give all ones, element by element, and one
 * warning for the port. */
static void test_unknown_port_string_read(void **state)
{
    struct fake_fixture *f = *state;
    fake_vm_io(f->vm, false, 0x80, 2, 4, FAKE_VM_DATA);
    assert_int_equal(dispatch(f), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(data_area(f)[i], 0xff);
    assert_int_equal(data_area(f)[8], 0);
    assert_int_equal(f->warnings, 1);
    assert_non_null(strstr(f->last_warning, "2-byte read from unknown port 0x80"));
    assert_int_equal(dispatch(f), 0);
    assert_int_equal(f->warnings, 1);
}

static void test_strict_io_ends_run(void **state)
{
    struct fake_fixture *f = *state;
    f->opts.strict_io = true;
    fake_vm_io(f->vm, true, KVMELF_PORT_COM1, 2, 1, FAKE_VM_DATA);
    assert_int_equal(dispatch(f), 1);
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
    assert_int_equal(dispatch(f), -1);
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
        assert_int_equal(dispatch(f), -1);
        assert_non_null(strstr(f->err.msg, "impossible port access"));
    }
}

static void test_other_exits(void **state)
{
    struct fake_fixture *f = *state;
    f->vm->run->exit_reason = KVM_EXIT_HLT;
    assert_int_equal(dispatch(f), 1);
    assert_int_equal(f->res.outcome, RUN_EXITED);
    assert_int_equal(f->res.status, 0);

    f->vm->run->exit_reason = KVM_EXIT_SHUTDOWN;
    assert_int_equal(dispatch(f), 1);
    assert_int_equal(f->res.crash.kind, CRASH_TRIPLE_FAULT);

    f->vm->run->exit_reason = KVM_EXIT_MMIO;
    f->vm->run->mmio.phys_addr = 1ULL << 40;
    f->vm->run->mmio.len = 4;
    assert_int_equal(dispatch(f), 1);
    assert_int_equal(f->res.crash.kind, CRASH_MMIO);
    assert_int_equal(f->res.crash.detail, 1ULL << 40);

    f->vm->run->exit_reason = KVM_EXIT_INTR;
    assert_int_equal(dispatch(f), 0);

    f->vm->run->exit_reason = 1000;
    assert_int_equal(dispatch(f), -1);
    assert_non_null(strstr(f->err.msg, "unexpected KVM exit reason 1000"));
}

/* A stub report as KVM_GET_REGS would show it: RIP in the stub pages, RSP
 * at a trap frame written into guest RAM at frame_gpa. */
static int report_trap(struct fake_fixture *f, gpa_t frame_gpa,
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
    assert_int_equal(report_trap(f, frame_gpa, &frame), 0);
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
    assert_int_equal(report_trap(f, 0x1000, &frame), 1);
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
    assert_int_equal(trap_report(f->vm, &regs, &f->res), 1);
    assert_int_equal(f->res.crash.kind, CRASH_BAD_FRAME);
    regs = (struct kvm_regs){ .rip = KVMELF_STUB_ADDR, .rsp = FAKE_VM_RAM - 8 };
    assert_int_equal(trap_report(f->vm, &regs, &f->res), 1);
    assert_int_equal(f->res.crash.kind, CRASH_BAD_FRAME);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
