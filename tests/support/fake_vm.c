#include "fake_vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct vm the_vm;
static uint8_t *run_page;
static struct guest_mem ram;
static struct linux_process *process;

static void allocate(void)
{
    const size_t page = 4096;
    struct kerr err;

    uint8_t *base = mmap(NULL, FAKE_VM_RUN_SIZE + 2 * page, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED ||
        mprotect(base + page, FAKE_VM_RUN_SIZE, PROT_READ | PROT_WRITE) ||
        guest_mem_init(&ram, FAKE_VM_RAM, &err) < 0) {
        fprintf(stderr, "fake_vm: out of memory\n");
        abort();
    }
    run_page = base + page;
}

struct vm *fake_vm(const struct run_options *opts, int out_fd)
{
    if (!run_page)
        allocate();
    linux_process_free(process);    /* the last Linux process */
    process = NULL;
    memset(&the_vm, 0, sizeof the_vm);
    memset(run_page, 0, FAKE_VM_RUN_SIZE);
    memset(ram.host, 0, 0x10000);   /* what the tests write */
    the_vm.kvm_fd = the_vm.vm_fd = the_vm.vcpu_fd = -1;
    the_vm.run = (struct kvm_run *)run_page;
    the_vm.run_size = FAKE_VM_RUN_SIZE;
    the_vm.gm = &ram;
    devices_init(&the_vm, opts, out_fd);
    the_vm.console.input_eof = true;     /* stdin is not the test's */
    return &the_vm;
}

int fake_vm_linux(struct vm *vm, struct run_options *opts, struct kerr *err)
{
    struct cpu_tables tables;
    struct linux_config cfg;

    if (fake_guest_image(&ram, &tables, &cfg, err) < 0)
        return -1;
    linux_process_free(process);
    process = linux_process_new(&cfg);
    if (!process)
        return kerr_set(err, "out of memory");
    opts->process = process;
    vm->caps.nx = true;
    vm->cr3 = tables.cr3;
    vm->sys.sync_regs = true;
    vm->run->s.regs.sregs.cr3 = tables.cr3;
    vm->run->s.regs.sregs.cs.selector = KVMELF_SEL_USER_CS;
    return 0;
}

void fake_vm_syscall(struct vm *vm, uint32_t nr, const uint64_t args[6])
{
    struct kvm_regs *r = &vm->run->s.regs.regs;

    memset(r, 0, sizeof *r);
    /* As the entry page leaves them (boot/syscall_entry.S). */
    r->rip = boot_syscall_report_rip();
    r->rax = ((uint64_t)nr << KVMELF_SYSCALL_NR_SHIFT) | (args[2] & 0xffff);
    r->rdx = (args[2] & ~0xffffULL) | KVMELF_PORT_SYSCALL;
    r->rdi = args[0];
    r->rsi = args[1];
    r->r10 = args[3];
    r->r8 = args[4];
    r->r9 = args[5];
    r->rcx = FAKE_VM_TEXT;          /* where SYSCALL would return to */
    r->r11 = X86_RFLAGS_FIXED;
    vm->run->kvm_dirty_regs = 0;
    fake_vm_io(vm, true, KVMELF_PORT_SYSCALL, 4, 1, FAKE_VM_DATA);
}

void fake_vm_io(struct vm *vm, bool out, uint16_t port, uint8_t size,
                uint32_t count, uint64_t data_offset)
{
    vm->run->exit_reason = KVM_EXIT_IO;
    vm->run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
    vm->run->io.port = port;
    vm->run->io.size = size;
    vm->run->io.count = count;
    vm->run->io.data_offset = data_offset;
}

static void record_warning(void *ctx, const char *msg)
{
    struct fake_fixture *f = ctx;
    f->warnings++;
    snprintf(f->last_warning, sizeof f->last_warning, "%s", msg);
}

int fake_fixture_setup(void **state)
{
    static struct fake_fixture f;

    memset(&f, 0, sizeof f);
    if (pipe(f.pipe) < 0)
        return -1;
    f.opts.warn = record_warning;
    f.opts.warn_ctx = &f;
    f.vm = fake_vm(&f.opts, f.pipe[1]);
    *state = &f;
    return 0;
}

int fake_fixture_teardown(void **state)
{
    struct fake_fixture *f = *state;
    close(f->pipe[0]);
    close(f->pipe[1]);
    return 0;
}
