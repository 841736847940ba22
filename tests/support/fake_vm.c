#include "fake_vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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
