/* Port devices: 16550 COM1, the debug console, the exit ports. */
#include "internal.h"
#include "common/stop.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define UART_IER   1
#define UART_LCR   3
#define UART_LCR_DLAB 0x80
#define UART_IIR_NO_INTERRUPT 0x01
#define UART_IIR   2
#define UART_MSR   6
/* Clear to send, data set ready, carrier detect: a cable is present. */
#define UART_MSR_CONNECTED 0xb0

/* Two LSR reads in a row without a THR write between them mean the guest
 * is polling for input, so output it printed (a prompt) must be shown. */
#define INPUT_POLL_READS 2

void devices_init(struct vm *vm)
{
    vm->out.fd = STDOUT_FILENO;
    vm->out.len = 0;
    vm->out.closed = false;
    vm->have_stdout_desc = false;
    vm->out.capped = false;
    vm->out.total = 0;
    memset(&vm->uart, 0, sizeof vm->uart);
}

/* Writes [p, p + len) to fd, returning in *done how much went out.  EPIPE
 * marks the output closed (the run ends); a write blocked on a full pipe
 * gives up when a stop (timeout, SIGINT, SIGTERM) says so (common/stop.h),
 * so a reader that never reads cannot defeat --timeout. */
static int write_fully(struct outbuf *o, int fd, const uint8_t *p,
                       size_t len, size_t *done, struct kerr *err)
{
    /* A stop signal that lands during write(2) may only shorten it (the
     * bytes already queued count), so the deadline is asked after every
     * return, not just after an EINTR. */
    struct stop_attempt attempt;

    stop_attempt_begin(&attempt);
    *done = 0;
    while (*done < len && !o->closed) {
        if (stop_attempt_over(&attempt))
            break;
        ssize_t n = write(fd, p + *done, len - *done);
        int e = n < 0 ? errno : 0;
        if (n > 0) {
            *done += (size_t)n;
        } else if (e == EPIPE && fd != o->fd) {
            break;               /* stderr's reader is gone: drop it */
        } else if (e == EPIPE) {
            o->closed = true;
        } else if (e == EAGAIN || e == EINTR) {
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            if (e == EAGAIN)
                (void)poll(&pfd, 1, -1);
        } else {
            return kerr_errno(err, n < 0 ? e : EIO,
                              "cannot write the guest's output");
        }
    }
    return 0;
}

/* The one place guest output is counted against --max-output: how many
 * of len bytes may go out.  Once the cap is passed the output is marked
 * capped and the run loop ends the run; nothing more is accepted. */
static size_t output_allowed(struct vm *vm, size_t len)
{
    struct outbuf *o = &vm->out;
    uint64_t cap = vm->opts ? vm->opts->max_output : 0;

    if (o->capped)
        return 0;
    if (cap && len > cap - o->total) {
        len = (size_t)(cap - o->total);
        o->capped = true;
    }
    o->total += len;
    return len;
}

/* Writes everything buffered. */
int out_flush(struct vm *vm, struct kerr *err)
{
    struct outbuf *o = &vm->out;
    size_t done;

    if (write_fully(o, o->fd, o->data, o->len, &done, err) < 0)
        return -1;
    memmove(o->data, o->data + done, o->len - done);
    o->len -= done;
    return 0;
}

int out_write(struct vm *vm, int fd, const uint8_t *data, size_t len,
              struct kerr *err)
{
    struct outbuf *o = &vm->out;
    size_t done;

    len = output_allowed(vm, len);
    if (o->closed || len == 0)
        return 0;
    if (fd == o->fd && len <= sizeof o->data - o->len) {
        memcpy(o->data + o->len, data, len);   /* one write(2) for both */
        o->len += len;
        return out_flush(vm, err);
    }
    /* Too big to buffer, or stderr: what came before goes out first (and
     * if a stop cut that short, nothing overtakes it). */
    if (out_flush(vm, err) < 0)
        return -1;
    if (o->len)
        return 0;
    return write_fully(o, fd, data, len, &done, err);
}

static int out_byte(struct vm *vm, uint8_t byte, struct kerr *err)
{
    struct outbuf *o = &vm->out;

    if (o->closed || output_allowed(vm, 1) == 0)
        return 0;
    if (o->len == sizeof o->data && out_flush(vm, err) < 0)
        return -1;
    if (o->len == sizeof o->data)
        return 0;            /* interrupted by a stop request */
    o->data[o->len++] = byte;
    /* Line by line, to a terminal or a pipe alike: a byte-wise port exit
     * costs far more than the write(2) per line, and a reader such as
     * `| tee log` sees each line as the guest prints it. */
    if (byte == '\n')
        return out_flush(vm, err);
    return 0;
}

/* Fills the input buffer from stdin without blocking. */
static void uart_poll_input(struct vm *vm)
{
    struct uart *u = &vm->uart;
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

    if (u->in_pos < u->in_len || u->input_eof)
        return;
    if (poll(&p, 1, 0) <= 0)
        return;
    if (p.revents & POLLNVAL) {
        u->input_eof = true;
        return;
    }
    ssize_t n = read(STDIN_FILENO, u->in, sizeof u->in);
    if (n > 0) {
        u->in_pos = 0;
        u->in_len = (size_t)n;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        u->input_eof = true;
    }
}

static uint8_t uart_lsr(struct vm *vm)
{
    struct uart *u = &vm->uart;
    uint8_t lsr = KVMELF_UART_LSR_THR_EMPTY | KVMELF_UART_LSR_TX_EMPTY;

    uart_poll_input(vm);
    if (u->in_pos < u->in_len)
        lsr |= KVMELF_UART_LSR_DATA_READY;
    else if (u->input_eof)
        lsr |= KVMELF_UART_LSR_BREAK;
    return lsr;
}

static int uart_read(struct vm *vm, unsigned reg, uint8_t *val,
                     struct kerr *err)
{
    struct uart *u = &vm->uart;
    bool dlab = u->regs[UART_LCR] & UART_LCR_DLAB;

    if (dlab && reg <= UART_IER) {
        *val = u->divisor[reg];
        return 0;
    }
    switch (reg) {
    case KVMELF_UART_RBR_THR:
        if (out_flush(vm, err) < 0)
            return -1;
        uart_poll_input(vm);
        *val = u->in_pos < u->in_len ? u->in[u->in_pos++] : 0;
        return 0;
    case UART_IIR:
        *val = UART_IIR_NO_INTERRUPT;
        return 0;
    case KVMELF_UART_LSR:
        if (++u->idle_lsr_reads >= INPUT_POLL_READS && vm->out.len &&
            out_flush(vm, err) < 0)
            return -1;
        *val = uart_lsr(vm);
        return 0;
    case UART_MSR:
        *val = UART_MSR_CONNECTED;
        return 0;
    default:
        *val = u->regs[reg];
        return 0;
    }
}

static int uart_write(struct vm *vm, unsigned reg, uint8_t val,
                      struct kerr *err)
{
    struct uart *u = &vm->uart;
    bool dlab = u->regs[UART_LCR] & UART_LCR_DLAB;

    if (dlab && reg <= UART_IER) {
        u->divisor[reg] = val;
        return 0;
    }
    if (reg == KVMELF_UART_RBR_THR) {
        u->idle_lsr_reads = 0;
        return out_byte(vm, val, err);
    }
    u->regs[reg] = val;      /* read back as written; no interrupts */
    return 0;
}

/* One port access as KVM reported it, read once from the run page. */
struct port_io {
    uint16_t port;
    uint8_t size;            /* 1, 2 or 4 bytes */
    bool out;
};

/* Warns once per port (msg, then why the guest goes on); with --strict-io
 * the guest ends instead. */
static int bad_access(struct vm *vm, uint16_t port, const char *msg,
                      const char *goes_on, struct run_result *res,
                      struct kerr *err)
{
    if (vm->opts->strict_io) {
        res->outcome = RUN_CRASHED;
        res->crash.kind = CRASH_BAD_IO;
        res->crash.detail = port;
        snprintf(res->crash.what, sizeof res->crash.what, "%s", msg);
        return 1;
    }
    for (unsigned i = 0; i < vm->nwarned; i++)
        if (vm->warned[i] == port)
            return 0;
    if (vm->nwarned == WARNED_PORTS)
        return 0;            /* the last warning said so */
    vm->warned[vm->nwarned++] = port;
    if (out_flush(vm, err) < 0)
        return -1;
    if (vm->opts->warn) {
        char line[256];
        snprintf(line, sizeof line, "guest: %s (%s)", msg,
                 vm->nwarned == WARNED_PORTS ? "further ports not reported"
                                             : goes_on);
        vm->opts->warn(vm->opts->warn_ctx, line);
    }
    return 0;
}

static int bad_port(struct vm *vm, const struct port_io *io, const char *why,
                    struct run_result *res, struct kerr *err)
{
    char msg[80];
    const char *dir = io->out ? "write to" : "read from";

    snprintf(msg, sizeof msg, "%u-byte %s %s port 0x%x", io->size, dir,
             why, io->port);
    return bad_access(vm, io->port, msg,
                      "reads give all ones, writes are ignored", res, err);
}

/* Guest memory the bulk-write port may use: for a ring-3 guest only what
 * ring 3 itself could touch, so the port cannot read or write the
 * monitor's area (GDT, TSS and its I/O bitmap, stubs) on its behalf. */
static void *guest_buffer(const struct vm *vm, gpa_t addr, uint64_t len,
                          bool write)
{
    return vm->ring0 ? guest_mem_ptr(vm->gm, addr, len)
                     : vm_user_ptr(vm->gm, vm->cr3, addr, len, write);
}

/* Reads and checks the descriptor at gpa: NULL with *d, *data and *host
 * (the descriptor in guest RAM) set, or what is wrong with it (in why). */
static const char *write_desc_check(const struct vm *vm, gpa_t gpa,
                                    struct kvmelf_write_desc *d,
                                    const uint8_t **data, uint8_t **host,
                                    char *why, size_t whylen)
{
    uint8_t *p = guest_buffer(vm, gpa, sizeof *d, true);

    *host = p;
    if (!p) {
        snprintf(why, whylen, "descriptor address 0x%llx is outside the "
                 "guest's writable memory", (unsigned long long)gpa);
        return why;
    }
    memcpy(d, p, sizeof *d);
    *data = guest_buffer(vm, d->addr, d->len, false);
    if (d->flags & ~(uint32_t)KVMELF_WRITE_REGISTER)
        snprintf(why, whylen, "descriptor at 0x%llx has unknown flags 0x%x",
                 (unsigned long long)gpa, d->flags);
    else if (!*data)
        snprintf(why, whylen, "descriptor at 0x%llx names 0x%llx + %u bytes, "
                 "outside the guest's readable memory", (unsigned long long)gpa,
                 (unsigned long long)d->addr, d->len);
    else
        return NULL;
    return why;
}

/* Writes the descriptor's bytes, then consumes them (len = 0 in guest RAM):
 * the run may stop before the guest resumes to reset len itself, and the
 * end-of-run flush must not write the same bytes again. */
static int desc_write(struct vm *vm, const struct kvmelf_write_desc *d,
                      const uint8_t *data, uint8_t *host, struct kerr *err)
{
    const uint32_t consumed = 0;
    int r = out_write(vm, STDOUT_FILENO, data, d->len, err);

    memcpy(host + offsetof(struct kvmelf_write_desc, len), &consumed,
           sizeof consumed);
    return r;
}

/* KVMELF_PORT_WRITE: one descriptor, one out_write. */
static int bulk_write(struct vm *vm, uint32_t gpa, struct run_result *res,
                      struct kerr *err)
{
    struct kvmelf_write_desc d;
    const uint8_t *data;
    uint8_t *host;
    char why[160], msg[192];

    if (write_desc_check(vm, gpa, &d, &data, &host, why, sizeof why)) {
        snprintf(msg, sizeof msg, "bulk write to port 0x%x: %s",
                 KVMELF_PORT_WRITE, why);
        return bad_access(vm, KVMELF_PORT_WRITE, msg, "nothing is written",
                          res, err);
    }
    if (d.flags & KVMELF_WRITE_REGISTER) {
        vm->stdout_desc = gpa;
        vm->have_stdout_desc = true;
    }
    vm->uart.idle_lsr_reads = 0;
    return desc_write(vm, &d, data, host, err);
}

int out_flush_guest_buffer(struct vm *vm, struct kerr *err)
{
    struct kvmelf_write_desc d;
    const uint8_t *data;
    uint8_t *host;
    char why[160];

    if (!vm->have_stdout_desc || vm->out.closed)
        return 0;
    if (write_desc_check(vm, vm->stdout_desc, &d, &data, &host, why,
                         sizeof why)) {
        if (vm->opts && vm->opts->warn) {
            char line[256];
            snprintf(line, sizeof line, "guest: its stdout buffer is lost: "
                     "%s", why);
            if (out_flush(vm, err) < 0)
                return -1;
            vm->opts->warn(vm->opts->warn_ctx, line);
        }
        return 0;
    }
    vm->have_stdout_desc = false;
    return desc_write(vm, &d, data, host, err);
}

static uint32_t load_le(const uint8_t *p, unsigned size)
{
    uint32_t v = 0;
    memcpy(&v, p, size);     /* x86 host: little-endian like the guest */
    return v;
}

static void end_with(struct run_result *res, uint32_t status)
{
    res->outcome = RUN_EXITED;
    res->status = (int)(status & 0xff);
}

/* One element of a (possibly string) port access.  Returns 0, 1 (ended),
 * or -1. */
static int port_access(struct vm *vm, const struct port_io *io, uint8_t *data,
                       struct run_result *res, struct kerr *err)
{
    uint16_t port = io->port;
    unsigned size = io->size;
    bool out = io->out;

    if (!out)                /* what a bad access reads (docs/abi.md) */
        memset(data, 0xff, size);
    if (port >= KVMELF_PORT_COM1 && port <= KVMELF_PORT_COM1_LAST) {
        if (size != 1)
            return bad_port(vm, io, "the UART at", res, err);
        unsigned reg = port - KVMELF_PORT_COM1;
        return out ? uart_write(vm, reg, data[0], err)
                   : uart_read(vm, reg, data, err);
    }
    if (port == KVMELF_PORT_DEBUGCON && size == 1) {
        if (!out)
            data[0] = KVMELF_PORT_DEBUGCON;  /* Bochs: presence check */
        return out ? out_byte(vm, data[0], err) : 0;
    }
    if (port == KVMELF_PORT_WRITE && out && size == 4)
        return bulk_write(vm, load_le(data, size), res, err);
    if (port == KVMELF_PORT_EXIT && out && size == 4) {
        end_with(res, load_le(data, size));
        return 1;
    }
    if (port == KVMELF_PORT_QEMU_EXIT && out) {
        end_with(res, load_le(data, size) << 1 | 1);
        return 1;
    }
    return bad_port(vm, io, port == KVMELF_PORT_EXIT ? "the exit"
                            : port == KVMELF_PORT_WRITE ? "the bulk-write"
                            : "unknown", res, err);
}

int io_exit(struct vm *vm, struct run_result *res, struct kerr *err)
{
    /* One snapshot, checked once: the data area is in the same shared
     * page, so a string access that wrote through a field it re-read
     * could change its own size or count (found by fuzz/fuzz_exit.c). */
    const struct kvm_run *run = vm->run;
    const struct port_io io = {
        .port = run->io.port, .size = run->io.size,
        .out = run->io.direction == KVM_EXIT_IO_OUT,
    };
    const uint32_t count = run->io.count;
    const uint64_t offset = run->io.data_offset;
    uint64_t bytes;

    /* KVM puts the data after the kvm_run header; anything else would
     * make us read or write outside the data area. */
    if ((io.size != 1 && io.size != 2 && io.size != 4) || count == 0 ||
        __builtin_mul_overflow((uint64_t)io.size, count, &bytes) ||
        offset < sizeof *run || !range_within(offset, bytes, vm->run_size))
        return kerr_set(err, "KVM reported an impossible port access: port "
                        "0x%x size %u count %u offset 0x%llx", io.port,
                        io.size, count, (unsigned long long)offset);

    if (io.port == KVMELF_PORT_TRAP)
        return trap_exit(vm, res, err);
    if (io.port == KVMELF_PORT_SYSCALL) {
        int r = syscall_exit(vm, res, err);
        if (r != SYSCALL_NOT_FROM_ENTRY)
            return r;
    }
    uint8_t *data = (uint8_t *)vm->run + offset;
    for (uint32_t i = 0; i < count; i++) {
        int r = port_access(vm, &io, data + (uint64_t)i * io.size, res, err);
        if (r != 0)
            return r;
    }
    return 0;
}
