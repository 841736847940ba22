/*
 * The floor: the least a program must do to run a ring-3 long-mode guest
 * under KVM and exit - open /dev/kvm, one VM, one vCPU, one 2 MiB page,
 * a GDT and a TSS whose I/O bitmap opens the ports, CPUID (KVM refuses
 * EFER.LME without it), registers, KVM_RUN until the exit port.  No ELF,
 * no checks beyond what keeps it from misbehaving.  kvmelf is measured
 * against it (bench/bench.c).
 *
 *   floor hello [MIB]    print "Hello, world!\n" (one bulk-write exit);
 *                        with MIB, the memory slot is that large (KVM's
 *                        cost per slot size), only 2 MiB of it mapped
 *   floor outs N         N single-byte OUTs to COM1
 *   floor repouts N      one rep outsb of N bytes to COM1
 */
#include "floor.h"

#include <kvmelf/abi.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

extern const uint8_t floor_guest_code[], floor_guest_end[];

static const char hello[] = "Hello, world!\n";

static uint8_t outbuf[65536];
static size_t outlen;

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
    int r = ioctl(fd, req, arg);
    if (r < 0)
        die(what);
    return r;
}

static void flush(void)
{
    if (outlen && write(STDOUT_FILENO, outbuf, outlen) < 0)
        die("write");
    outlen = 0;
}

/* Page tables, GDT, TSS with an all-open I/O bitmap. */
static void build_memory(uint8_t *ram)
{
    uint64_t *pml4 = (uint64_t *)(ram + FLOOR_PML4_GPA);
    uint64_t *pdpt = (uint64_t *)(ram + FLOOR_PDPT_GPA);
    uint64_t *pd = (uint64_t *)(ram + FLOOR_PD_GPA);
    const uint64_t p = 1, rw = 2, us = 4, ps = 0x80;

    pml4[0] = FLOOR_PDPT_GPA | p | rw | us;
    pdpt[0] = FLOOR_PD_GPA | p | rw | us;
    pd[0] = 0 | p | rw | us | ps;

    uint64_t *gdt = (uint64_t *)(ram + FLOOR_GDT_GPA);
    gdt[1] = 0x00af9b000000ffffULL;     /* kernel code */
    gdt[2] = 0x00cf93000000ffffULL;     /* kernel data */
    gdt[3] = 0x00cff3000000ffffULL;     /* user data, DPL 3 */
    gdt[4] = 0x00affb000000ffffULL;     /* user code, DPL 3, L */
    uint64_t tss = FLOOR_TSS_GPA, lim = 104 + 8192;
    gdt[5] = (lim & 0xffff) | (tss & 0xffffff) << 16 | 0x89ULL << 40 |
             ((tss >> 24) & 0xff) << 56;
    gdt[6] = tss >> 32;
    /* TSS: I/O map base at 104, bitmap all zero (every port open), then
     * the terminating 0xff byte */
    uint16_t iomap = 104;
    memcpy(ram + FLOOR_TSS_GPA + 102, &iomap, sizeof iomap);
    ram[FLOOR_TSS_GPA + 104 + 8192] = 0xff;

    memcpy(ram + FLOOR_MSG_GPA, hello, sizeof hello - 1);
    struct kvmelf_write_desc d = { .addr = FLOOR_MSG_GPA,
                                   .len = sizeof hello - 1 };
    memcpy(ram + FLOOR_DESC_GPA, &d, sizeof d);
    memcpy(ram + FLOOR_CODE_GPA, floor_guest_code,
           (size_t)(floor_guest_end - floor_guest_code));
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, uint8_t dpl,
                              uint8_t code)
{
    return (struct kvm_segment){ .base = 0, .limit = 0xffffffff,
        .selector = sel, .type = type, .present = 1, .dpl = dpl, .s = 1,
        .l = code, .db = !code, .g = 1 };
}

static void setup_vcpu(int kvm, int vcpu, uint64_t mode, uint64_t count)
{
    struct {
        struct kvm_cpuid2 c;
        struct kvm_cpuid_entry2 e[256];
    } cpuid = { .c.nent = 256 };
    xioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid, "KVM_GET_SUPPORTED_CPUID");
    xioctl(vcpu, KVM_SET_CPUID2, &cpuid, "KVM_SET_CPUID2");

    struct kvm_sregs sr;
    xioctl(vcpu, KVM_GET_SREGS, &sr, "KVM_GET_SREGS");
    sr.cs = seg(KVMELF_SEL_USER_CS, 11, 3, 1);
    sr.ss = sr.ds = sr.es = sr.fs = sr.gs = seg(KVMELF_SEL_USER_DS, 3, 3, 0);
    sr.tr = (struct kvm_segment){ .base = FLOOR_TSS_GPA, .limit = 104 + 8192,
        .selector = KVMELF_SEL_TSS, .type = 11, .present = 1 };
    sr.ldt = (struct kvm_segment){ .unusable = 1 };
    sr.gdt = (struct kvm_dtable){ .base = FLOOR_GDT_GPA, .limit = 7 * 8 - 1 };
    sr.cr3 = FLOOR_PML4_GPA;
    sr.cr4 = 1u << 5 | 1u << 9;                   /* PAE, OSFXSR */
    sr.cr0 = 1u << 0 | 1u << 4 | 1u << 5 | 1u << 16 | 1u << 31;
    sr.efer = 1u << 8 | 1u << 10;                 /* LME, LMA */
    xioctl(vcpu, KVM_SET_SREGS, &sr, "KVM_SET_SREGS");

    struct kvm_regs regs = { .rip = FLOOR_CODE_GPA, .rsp = FLOOR_RAM,
                             .rdi = mode, .rsi = count, .rflags = 2 };
    xioctl(vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

/* Returns the guest's exit status. */
static int run(int vcpu, struct kvm_run *r, uint8_t *ram)
{
    for (;;) {
        xioctl(vcpu, KVM_RUN, NULL, "KVM_RUN");
        if (r->exit_reason != KVM_EXIT_IO) {
            fprintf(stderr, "floor: exit reason %u\n", r->exit_reason);
            return 2;
        }
        uint8_t *data = (uint8_t *)r + r->io.data_offset;
        uint32_t v;
        switch (r->io.port) {
        case KVMELF_PORT_COM1:
            for (uint32_t i = 0; i < r->io.count; i++) {
                if (outlen == sizeof outbuf)
                    flush();
                outbuf[outlen++] = data[i];
            }
            break;
        case KVMELF_PORT_WRITE: {
            struct kvmelf_write_desc d;
            memcpy(&v, data, 4);
            memcpy(&d, ram + (v % FLOOR_RAM), sizeof d);
            if (d.addr < FLOOR_RAM && d.len <= FLOOR_RAM - d.addr) {
                flush();
                if (write(STDOUT_FILENO, ram + d.addr, d.len) < 0)
                    die("write");
            }
            break;
        }
        case KVMELF_PORT_EXIT:
            memcpy(&v, data, 4);
            flush();
            return (int)(v & 255);
        default:
            fprintf(stderr, "floor: port 0x%x\n", r->io.port);
            return 2;
        }
    }
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "hello";
    uint64_t mode = FLOOR_HELLO, count = argc > 2 ? strtoull(argv[2], 0, 0) : 0;
    if (strcmp(what, "outs") == 0)
        mode = FLOOR_OUTS;
    else if (strcmp(what, "repouts") == 0)
        mode = FLOOR_REPOUTS;
    else if (strcmp(what, "hello") != 0) {
        fprintf(stderr, "usage: floor hello | outs N | repouts N\n");
        return 2;
    }
    if (mode != FLOOR_HELLO && (count == 0 ||
        (mode == FLOOR_REPOUTS && count > FLOOR_DATA_MAX))) {
        fprintf(stderr, "floor: bad count\n");
        return 2;
    }

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("/dev/kvm");
    int vm = xioctl(kvm, KVM_CREATE_VM, NULL, "KVM_CREATE_VM");
    uint64_t ram_size = mode == FLOOR_HELLO && count > 2 ? count << 20
                                                         : FLOOR_RAM;
    uint8_t *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED)
        die("mmap");
    build_memory(ram);
    if (mode == FLOOR_REPOUTS)
        memset(ram + FLOOR_DATA_GPA, 'x', count);
    struct kvm_userspace_memory_region region = { .slot = 0,
        .memory_size = ram_size, .userspace_addr = (uintptr_t)ram };
    xioctl(vm, KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION");

    int vcpu = xioctl(vm, KVM_CREATE_VCPU, NULL, "KVM_CREATE_VCPU");
    int size = xioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL, "KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *r = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                             MAP_SHARED, vcpu, 0);
    if (r == MAP_FAILED)
        die("mmap kvm_run");
    setup_vcpu(kvm, vcpu, mode, count);
    return run(vcpu, r, ram);
}
