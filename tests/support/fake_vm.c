#include "fake_vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct vm the_vm;
static uint8_t *run_page;
static struct guest_mem ram;

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
    mm_fini(&the_vm.sys.mm);        /* the last Linux process's mappings */
    memset(&the_vm, 0, sizeof the_vm);
    memset(run_page, 0, FAKE_VM_RUN_SIZE);
    memset(ram.host, 0, 0x10000);   /* what the tests write */
    the_vm.kvm_fd = the_vm.vm_fd = the_vm.vcpu_fd = -1;
    the_vm.run = (struct kvm_run *)run_page;
    the_vm.run_size = FAKE_VM_RUN_SIZE;
    the_vm.gm = &ram;
    the_vm.opts = opts;
    devices_init(&the_vm);
    the_vm.out.fd = out_fd;
    the_vm.uart.input_eof = true;
    return &the_vm;
}

int fake_vm_linux(struct vm *vm, struct kerr *err)
{
    static const struct segment_perm segs[] = {
        { FAKE_VM_TEXT, FAKE_VM_TEXT + FAKE_VM_PAGE, PAGE_EXEC, 0 },
        { FAKE_VM_USER_DATA, FAKE_VM_USER_DATA + FAKE_VM_PAGE, PAGE_WRITE, 1 },
    };
    static struct guest_layout layout;
    const struct paging_config cfg = {
        .layout = &layout, .nx = true, .segs = segs,
        .nsegs = sizeof segs / sizeof segs[0],
    };
    struct memory_map map;
    struct cpu_tables tables;

    if (paging_layout(FAKE_VM_RAM, 0, &layout, err) < 0)
        return -1;
    paging_layout_set_heap(&layout, FAKE_VM_USER_DATA + FAKE_VM_PAGE);
    const struct linux_config linux_cfg = {
        .heap_start = layout.heap_start, .heap_end = layout.guard,
        .stack_bottom = layout.stack_bottom, .stack_size = layout.stack_size,
    };
    memset(ram.host, 0, FAKE_VM_RAM);   /* the last process's tables too */
    if (paging_memory_map(&cfg, &map, err) < 0 ||
        paging_setup(&ram, &cfg, &map, &tables, err) < 0)
        return -1;
    vm->caps.nx = true;
    vm->cr3 = tables.cr3;
    syscall_init(vm, &tables);
    syscall_configure(vm, &linux_cfg);
    vm->sys.sync_regs = true;
    vm->run->s.regs.sregs.cr3 = tables.cr3;
    vm->run->s.regs.sregs.cs.selector = KVMELF_SEL_USER_CS;
    return 0;
}

void fake_vm_syscall(struct vm *vm, uint32_t nr, const uint64_t args[6])
{
    struct kvm_regs *r = &vm->run->s.regs.regs;

    memset(r, 0, sizeof *r);
    /* As the entry page leaves them (paging/syscall_entry.S). */
    r->rip = paging_syscall_report_rip();
    r->rax = ((uint64_t)nr << 16) | (args[2] & 0xffff);
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
