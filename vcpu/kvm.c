/* VM and vCPU creation and the long-mode entry state (KVM API:
 * Documentation/virt/kvm/api.rst; CPU state: SDM Vol. 3A 9.8.5). */
#include "internal.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define KVM_API_EXPECTED   12
#define CPUID_MAX_ENTRIES  256

/* CPUID bits (SDM Vol. 2A, CPUID; AMD APM Vol. 3, appendix E). */
#define CPUID1_ECX_VMX       (1u << 5)
#define CPUID1_ECX_FMA       (1u << 12)
#define CPUID1_ECX_XSAVE     (1u << 26)
#define CPUID1_ECX_OSXSAVE   (1u << 27)
#define CPUID1_ECX_AVX       (1u << 28)
#define CPUID1_ECX_F16C      (1u << 29)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID7_EBX_AVX2      (1u << 5)
#define CPUID7_EBX_AVX512F   (1u << 16)
#define CPUIDX1_ECX_SVM      (1u << 2)
#define CPUIDX1_EDX_NX       (1u << 20)
#define CPUIDX1_EDX_PAGE1GB  (1u << 26)

#define XCR0_X87     (1ULL << 0)
#define XCR0_SSE     (1ULL << 1)
#define XCR0_AVX     (1ULL << 2)
#define XCR0_AVX512  (7ULL << 5)   /* opmask, ZMM_Hi256, Hi16_ZMM */

#define FPU_FCW_DEFAULT    0x37f   /* after FNINIT */
#define MXCSR_DEFAULT      0x1f80  /* all SSE exceptions masked */

int kvm_ioctl_named(int fd, unsigned long req, void *arg, const char *name,
                    struct kerr *err)
{
    int r;

    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return kerr_errno(err, errno, "%s failed", name);
    return r;
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c,
                                           uint32_t fn, uint32_t index)
{
    for (uint32_t i = 0; i < c->nent; i++)
        if (c->entries[i].function == fn && c->entries[i].index == index)
            return &c->entries[i];
    return NULL;
}

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

static uint32_t host_cpuid(uint32_t leaf, enum cpuid_reg reg)
{
    unsigned r[4] = { 0 };
    __get_cpuid_count(leaf, 0, &r[CPUID_EAX], &r[CPUID_EBX], &r[CPUID_ECX],
                      &r[CPUID_EDX]);
    return r[reg];
}

/* XSAVE state the guest gets: x87+SSE+AVX when KVM's leaf 0xD allows it
 * (kvm_pvm lists it there while leaf 1 hides XSAVE), AVX-512 state only
 * when KVM also reports AVX512F. */
static uint64_t choose_xcr0(struct kvm_cpuid2 *c, bool have_xcrs)
{
    struct kvm_cpuid_entry2 *d = cpuid_find(c, 0xd, 0);
    struct kvm_cpuid_entry2 *l7 = cpuid_find(c, 7, 0);
    const uint64_t base = XCR0_X87 | XCR0_SSE | XCR0_AVX;

    if (!have_xcrs || !d || (d->eax & base) != base)
        return 0;
    uint64_t xcr0 = base;
    if (l7 && (l7->ebx & CPUID7_EBX_AVX512F) &&
        (d->eax & XCR0_AVX512) == XCR0_AVX512)
        xcr0 |= XCR0_AVX512;
    return xcr0;
}

static int read_caps(struct vm *vm, struct kerr *err)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof *c + CPUID_MAX_ENTRIES *
                                  sizeof(struct kvm_cpuid_entry2));
    if (!c)
        return kerr_set(err, "out of memory");
    c->nent = CPUID_MAX_ENTRIES;
    vm->cpuid = c;
    if (KVM_IOCTL(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c, err) < 0)
        return -1;

    struct kvm_cpuid_entry2 *ext = cpuid_find(c, 0x80000001, 0);
    vm->caps.nx = ext && (ext->edx & CPUIDX1_EDX_NX);
    vm->caps.huge_1g = ext && (ext->edx & CPUIDX1_EDX_PAGE1GB);
    struct kvm_cpuid_entry2 *l1 = cpuid_find(c, 1, 0);
    vm->caps.hwcap = l1 ? l1->edx : 0;
    bool xcrs = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
    vm->caps.xcr0 = choose_xcr0(c, xcrs);
    return 0;
}

static int open_error(const char *dev, const char *named_by, int e,
                      struct kerr *err)
{
    struct device_facts f;
    char hint[512], by[64] = "";

    if (named_by)
        snprintf(by, sizeof by, " (named by %s)", named_by);
    if (e == ENOENT)
        return kerr_set(err, "%s%s does not exist: this host has no KVM "
                        "(load kvm-intel/kvm-amd, or run on a machine with "
                        "virtualization)", dev, by);
    if (e != EACCES && e != EPERM)
        return kerr_errno(err, e, "cannot open %s%s", dev, by);
    vm_device_facts(dev, &f);
    return kerr_set(err, "cannot open %s%s: %s; %s", dev, by, strerror(e),
                    vm_device_hint(&f, hint, sizeof hint));
}

int vm_open(struct vm **out, const char *dev, const char *named_by,
            struct kerr *err)
{
    struct vm *vm = calloc(1, sizeof *vm);
    struct stat st;
    char by[64] = "";

    *out = NULL;
    if (!vm)
        return kerr_set(err, "out of memory");
    vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
    *out = vm;
    if (named_by)
        snprintf(by, sizeof by, " (named by %s)", named_by);

    vm->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0)
        return open_error(dev, named_by, errno, err);
    if (fstat(vm->kvm_fd, &st) == 0 && !S_ISCHR(st.st_mode))
        return kerr_set(err, "%s%s is not a KVM device: it is not even a "
                        "character device", dev, by);
    int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (api < 0)
        return kerr_errno(err, errno, "%s%s is not a KVM device "
                          "(KVM_GET_API_VERSION failed)", dev, by);
    if (api != KVM_API_EXPECTED)
        return kerr_set(err, "%s%s speaks KVM API version %d; kvmelf needs "
                        "%d", dev, by, api, KVM_API_EXPECTED);
    if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
        return kerr_set(err, "KVM lacks KVM_CAP_IMMEDIATE_EXIT (Linux 4.11+)");
    int fd = KVM_IOCTL(vm->kvm_fd, KVM_CREATE_VM, (void *)0, err);
    if (fd < 0)
        return -1;
    vm->vm_fd = fd;
    return read_caps(vm, err);
}

const struct vm_caps *vm_caps(const struct vm *vm)
{
    return &vm->caps;
}

int vm_attach_ram(struct vm *vm, const struct guest_mem *gm, struct kerr *err)
{
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = gm->size,
        .userspace_addr = (uint64_t)(uintptr_t)gm->host,
    };

    vm->gm = gm;
    /* Only needed for real mode on VMX without unrestricted guest; KVM
     * puts a private 3-page slot there, so it must lie outside RAM. */
    const uint64_t tss_addr = 0xfffbd000;
    if (gm->size <= tss_addr &&
        ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
        KVM_IOCTL(vm->vm_fd, KVM_SET_TSS_ADDR, (void *)tss_addr, err) < 0)
        return -1;
    return KVM_IOCTL(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region, err) < 0
               ? -1 : 0;
}

/* Guest CPUID = KVM's supported set, with the hypervisor bit, without
 * VMX/SVM, and agreeing with the XSAVE state vm_setup_vcpu enables. */
static void edit_cpuid(struct vm *vm)
{
    struct kvm_cpuid2 *c = vm->cpuid;
    struct kvm_cpuid_entry2 *l1 = cpuid_find(c, 1, 0);
    struct kvm_cpuid_entry2 *l7 = cpuid_find(c, 7, 0);
    struct kvm_cpuid_entry2 *ext = cpuid_find(c, 0x80000001, 0);
    struct kvm_cpuid_entry2 *xs = cpuid_find(c, 0xd, 0);
    uint64_t xcr0 = vm->caps.xcr0;

    if (l1) {
        l1->ecx |= CPUID1_ECX_HYPERVISOR;
        l1->ecx &= ~CPUID1_ECX_VMX;
    }
    if (ext)
        ext->ecx &= ~CPUIDX1_ECX_SVM;
    if (xs) {
        xs->eax = (uint32_t)xcr0;
        xs->edx = (uint32_t)(xcr0 >> 32);
    }
    if (!(xcr0 & XCR0_AVX) || !l1)
        return;
    /* The AVX family runs natively in ring 3 once XCR0 enables YMM state;
     * announce the members the host CPU really has. */
    uint32_t host1 = host_cpuid(1, CPUID_ECX);
    l1->ecx |= CPUID1_ECX_XSAVE | CPUID1_ECX_OSXSAVE | CPUID1_ECX_AVX;
    l1->ecx |= host1 & (CPUID1_ECX_FMA | CPUID1_ECX_F16C);
    if (l7)
        l7->ebx |= host_cpuid(7, CPUID_EBX) & CPUID7_EBX_AVX2;
}

static void to_kvm_segment(struct kvm_segment *out, enum segment_id id)
{
    const struct x86_segment *s = boot_segment(id);

    *out = (struct kvm_segment){
        .base = s->base,
        .limit = s->g ? (s->limit << 12) | 0xfff : s->limit,
        .selector = s->selector,
        .type = s->type, .present = s->present, .dpl = s->dpl,
        .db = s->db, .s = s->s, .l = s->l, .g = s->g, .avl = s->avl,
        .unusable = !s->present,
    };
}

void vm_caller_segments(const struct vm *vm, struct kvm_sregs *sr)
{
    to_kvm_segment(&sr->cs, vm->ring0 ? SEG_KERNEL_CODE : SEG_USER_CODE);
    to_kvm_segment(&sr->ss, vm->ring0 ? SEG_KERNEL_DATA : SEG_USER_DATA);
}

/* The page tables live in guest RAM, written by the monitor from the host
 * side, which KVM does not track: under a shadow MMU (kvm_pvm) the shadow
 * pages built from the old entries stay in use, and a KVM_SET_SREGS with a
 * different CR3 was measured not to drop them (docs/architecture.md).
 * Removing and re-adding the memory slot makes any KVM zap every
 * translation of it, shadow or EPT, and flush the TLB. */
int vm_flush_tlb(struct vm *vm, struct kerr *err)
{
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = 0,
        .userspace_addr = (uint64_t)(uintptr_t)vm->gm->host,
    };

    /* A vm without a VM has no translations to drop: the fake vCPU of the
     * unit tests and fuzz_exit (tests/support/fake_vm.c). */
    if (vm->vm_fd < 0)
        return 0;
    if (KVM_IOCTL(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region, err) < 0)
        return -1;
    region.memory_size = vm->gm->size;
    return KVM_IOCTL(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region, err) < 0
               ? -1 : 0;
}

static int set_sregs(struct vm *vm, const struct cpu_tables *t, bool ring0,
                     struct kerr *err)
{
    struct kvm_sregs sr;
    enum segment_id code = ring0 ? SEG_KERNEL_CODE : SEG_USER_CODE;
    enum segment_id data = ring0 ? SEG_KERNEL_DATA : SEG_USER_DATA;

    if (KVM_IOCTL(vm->vcpu_fd, KVM_GET_SREGS, &sr, err) < 0)
        return -1;
    to_kvm_segment(&sr.cs, code);
    to_kvm_segment(&sr.ss, data);
    to_kvm_segment(&sr.ds, data);
    to_kvm_segment(&sr.es, data);
    to_kvm_segment(&sr.fs, data);
    to_kvm_segment(&sr.gs, data);
    to_kvm_segment(&sr.tr, SEG_TSS);
    sr.ldt = (struct kvm_segment){ .unusable = 1 };
    sr.gdt = (struct kvm_dtable){ .base = t->gdt_base, .limit = t->gdt_limit };
    sr.idt = (struct kvm_dtable){ .base = t->idt_base, .limit = t->idt_limit };
    sr.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
             X86_CR0_PG;
    sr.cr3 = t->cr3;
    vm->cr3 = t->cr3;
    sr.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    if (vm->caps.xcr0)
        sr.cr4 |= X86_CR4_OSXSAVE;
    sr.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE;
    if (vm->caps.nx)
        sr.efer |= X86_EFER_NXE;
    return KVM_IOCTL(vm->vcpu_fd, KVM_SET_SREGS, &sr, err) < 0 ? -1 : 0;
}

static int set_fpu_and_xcr0(struct vm *vm, struct kerr *err)
{
    struct kvm_fpu fpu = { .fcw = FPU_FCW_DEFAULT, .mxcsr = MXCSR_DEFAULT };

    if (KVM_IOCTL(vm->vcpu_fd, KVM_SET_FPU, &fpu, err) < 0)
        return -1;
    if (!vm->caps.xcr0)
        return 0;
    struct kvm_xcrs xcrs = { .nr_xcrs = 1,
                             .xcrs = { { .xcr = 0, .value = vm->caps.xcr0 } } };
    return KVM_IOCTL(vm->vcpu_fd, KVM_SET_XCRS, &xcrs, err) < 0 ? -1 : 0;
}

/* SYSCALL MSRs (SDM Vol. 3A, 5.8.8).  STAR's SYSRET half is filled in
 * for completeness: kvmelf never executes SYSRET. */
#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_FMASK  0xc0000084
#define STAR_SYSCALL_CS_SHIFT 32
#define STAR_SYSRET_CS_SHIFT  48
/* SYSRET loads CS = base + 16 and SS = base + 8, both with RPL 3. */
#define STAR_SYSRET_BASE   (KVMELF_SEL_USER_DS - 8)
/* Cleared at entry: TF, IF, DF, NT, AC (as Linux does). */
#define SYSCALL_FLAGS_MASK 0x44700

static int set_syscall_msrs(struct vm *vm, struct kerr *err)
{
    static const char *const names[] = { "STAR", "LSTAR", "FMASK" };
    /* Header and entries in one buffer (entries[] is a flexible array). */
    _Alignas(struct kvm_msrs) uint8_t buf[sizeof(struct kvm_msrs) +
                                          3 * sizeof(struct kvm_msr_entry)];
    struct kvm_msrs *m = (struct kvm_msrs *)buf;
    struct kvm_msr_entry *e = m->entries;

    memset(buf, 0, sizeof buf);
    m->nmsrs = 3;

    e[0] = (struct kvm_msr_entry){ .index = MSR_STAR,
        .data = (uint64_t)STAR_SYSRET_BASE << STAR_SYSRET_CS_SHIFT |
                (uint64_t)KVMELF_SEL_KERNEL_CS << STAR_SYSCALL_CS_SHIFT };
    e[1] = (struct kvm_msr_entry){ .index = MSR_LSTAR,
                                     .data = KVMELF_SYSCALL_ENTRY_ADDR };
    e[2] = (struct kvm_msr_entry){ .index = MSR_FMASK,
                                     .data = SYSCALL_FLAGS_MASK };
    int n = KVM_IOCTL(vm->vcpu_fd, KVM_SET_MSRS, m, err);
    if (n < 0)
        return -1;
    /* KVM_SET_MSRS stops at the first MSR it refuses. */
    if (n < 3)
        return kerr_set(err, "KVM refused the %s MSR (0x%x) that SYSCALL "
                        "needs", names[n], e[n].index);
    return 0;
}

int vm_setup_vcpu(struct vm *vm, const struct cpu_tables *tables,
                  const struct vcpu_entry *entry, struct kerr *err)
{
    int fd = KVM_IOCTL(vm->vm_fd, KVM_CREATE_VCPU, (void *)0, err);
    if (fd < 0)
        return -1;
    vm->vcpu_fd = fd;
    vm->ring0 = entry->ring0;

    int size = KVM_IOCTL(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, (void *)0, err);
    if (size < 0)
        return -1;
    if ((size_t)size < sizeof(struct kvm_run))
        return kerr_set(err, "KVM_GET_VCPU_MMAP_SIZE returned %d bytes, "
                        "less than struct kvm_run", size);
    vm->run_size = (size_t)size;
    vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   fd, 0);
    if (vm->run == MAP_FAILED) {
        vm->run = NULL;
        return kerr_errno(err, errno, "cannot map the vCPU's kvm_run");
    }

    edit_cpuid(vm);
    if (KVM_IOCTL(fd, KVM_SET_CPUID2, vm->cpuid, err) < 0 ||
        set_sregs(vm, tables, entry->ring0, err) < 0 ||
        set_fpu_and_xcr0(vm, err) < 0 || set_syscall_msrs(vm, err) < 0)
        return -1;

    struct kvm_regs regs = {
        .rip = entry->rip, .rsp = entry->rsp, .rdi = entry->rdi,
        .rflags = X86_RFLAGS_FIXED,
    };
    if (KVM_IOCTL(fd, KVM_SET_REGS, &regs, err) < 0)
        return -1;
    /* With KVM_CAP_SYNC_REGS every exit leaves the registers in kvm_run,
     * which saves a system call two ioctls (GET_REGS, GET_SREGS). */
    const int want = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
    int sync = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
    if (sync > 0 && (sync & want) == want && !getenv("KVMELF_NO_SYNC_REGS")) {
        vm->sys.sync_regs = true;
        vm->run->kvm_valid_regs = (uint64_t)want;
    }
    return 0;
}

void vm_close(struct vm *vm)
{
    if (!vm)
        return;
    if (vm->run)
        munmap(vm->run, vm->run_size);
    if (vm->vcpu_fd >= 0)
        close(vm->vcpu_fd);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    free(vm->cpuid);
    free(vm);
}

void vm_end_setup(struct vm *vm)
{
    /* The system fd is only for setup.  The VM fd stays: the Linux
     * personality's mprotect re-adds the RAM slot through it. */
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    vm->kvm_fd = -1;
}

/* Moves *fd to want, which must be free; a foreign file there is left
 * alone. */
static int move_fd(int *fd, int want, struct kerr *err)
{
    if (*fd == want)
        return 0;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, want);
    if (moved != want) {
        if (moved >= 0)
            close(moved);
        return kerr_set(err, "sandbox: cannot move fd %d to %d, which the "
                        "seccomp filter expects (a kvmelf bug; --no-sandbox "
                        "runs without the filter)", *fd, want);
    }
    close(*fd);
    *fd = moved;
    return 0;
}

int vm_move_fds(struct vm *vm, int vm_fd, int vcpu_fd, struct kerr *err)
{
    if (move_fd(&vm->vm_fd, vm_fd, err) < 0 ||
        move_fd(&vm->vcpu_fd, vcpu_fd, err) < 0)
        return -1;
    return 0;
}
