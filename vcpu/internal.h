/* Private to vcpu/: the VM object and the device model. */
#ifndef KVMELF_VCPU_INTERNAL_H
#define KVMELF_VCPU_INTERNAL_H

#include "vcpu.h"

#include <linux/kvm.h>
#include <stddef.h>

/* ioctl with EINTR retry; on failure fills err with the request's name
 * ("KVM_SET_SREGS: Invalid argument") and returns -1. */
#define KVM_IOCTL(fd, req, arg, err) \
    kvm_ioctl_named((fd), (req), (arg), #req, (err))
int kvm_ioctl_named(int fd, unsigned long req, void *arg, const char *name,
                    struct kerr *err);

#define OUTBUF_SIZE  (64 * 1024)
#define INBUF_SIZE   4096

/* Guest output on its way to stdout. */
struct outbuf {
    int fd;
    bool closed;             /* EPIPE seen: the reader is gone */
    bool capped;             /* run_options.max_output reached: run ends */
    uint64_t total;          /* guest bytes accepted, for max_output */
    size_t len;
    uint8_t data[OUTBUF_SIZE];
};

/* 16550 state the guest can observe; stdin feeds RBR. */
struct uart {
    uint8_t regs[8];         /* what the guest wrote, for read-back */
    uint8_t divisor[2];      /* DLL/DLM when LCR.DLAB is set */
    bool input_eof;
    unsigned idle_lsr_reads; /* LSR reads since the last THR write */
    size_t in_pos, in_len;
    uint8_t in[INBUF_SIZE];
};

#define WARNED_PORTS 64

struct vm {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    const struct guest_mem *gm;
    struct vm_caps caps;
    struct kvm_cpuid2 *cpuid;    /* supported, then edited for the guest */
    bool ring0;

    struct outbuf out;
    struct uart uart;
    const struct run_options *opts;
    uint16_t warned[WARNED_PORTS];
    unsigned nwarned;
};

/* devices.c: port I/O.  Returns 0 to continue, 1 when the run ended
 * (res filled), -1 on a monitor error. */
int io_exit(struct vm *vm, struct run_result *res, struct kerr *err);
int out_flush(struct vm *vm, struct kerr *err);
/* Guest output that arrives as a whole buffer (a write(2), a bulk write):
 * fd 1 goes out after what is buffered, in one write(2) when it fits the
 * buffer; another fd (stderr) gets the buffered stdout first.  Never keeps
 * data back, so output is in order and nothing waits for a newline. */
int out_write(struct vm *vm, int fd, const uint8_t *data, size_t len,
              struct kerr *err);
void devices_init(struct vm *vm);

/* trap.c: a report from the exception stubs (KVMELF_PORT_TRAP). */
int trap_exit(struct vm *vm, struct run_result *res, struct kerr *err);

/* run.c: a timeout or signal asked the run to stop. */
bool run_stop_requested(void);

/* Register helpers shared by run.c and trap.c. */
void regs_from_kvm(struct guest_regs *out, const struct kvm_regs *in);

#endif
