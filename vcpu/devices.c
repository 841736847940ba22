/* Port devices: 16550 COM1, the debug console, the exit ports. */
#include "internal.h"

#include <errno.h>
#include <poll.h>
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
    vm->out.capped = false;
    vm->out.total = 0;
    memset(&vm->uart, 0, sizeof vm->uart);
}

/* Writes [p, p + len) to fd, returning in *done how much went out.  EPIPE
 * marks the output closed (the run ends); a write blocked on a full pipe
 * gives up when a stop (timeout, SIGINT, SIGTERM) interrupts it, so a
 * reader that never reads cannot defeat --timeout. */
static int write_fully(struct outbuf *o, int fd, const uint8_t *p,
                       size_t len, size_t *done, struct kerr *err)
{
    *done = 0;
    while (*done < len && !o->closed) {
        ssize_t n = write(fd, p + *done, len - *done);
        int e = n < 0 ? errno : 0;
        if (n > 0) {
            *done += (size_t)n;
        } else if (e == EPIPE) {
            o->closed = true;
        } else if (e == EAGAIN || e == EINTR) {
            if (run_stop_requested())
                break;
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
    /* Too big to buffer, or stderr: what came before goes out first. */
    if (out_flush(vm, err) < 0)
        return -1;
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

/* Warns once per port; with --strict-io the guest ends instead. */
static int bad_port(struct vm *vm, const struct kvm_run *run, const char *why,
                    struct run_result *res, struct kerr *err)
{
    uint16_t port = run->io.port;
    char msg[80];
    const char *dir = run->io.direction == KVM_EXIT_IO_OUT ? "write to"
                                                           : "read from";

    snprintf(msg, sizeof msg, "%u-byte %s %s port 0x%x", run->io.size, dir,
             why, port);
    if (vm->opts->strict_io) {
        res->outcome = RUN_CRASHED;
        res->crash.kind = CRASH_BAD_IO;
        res->crash.detail = port;
        memcpy(res->crash.what, msg, sizeof msg);
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
        char line[160];
        snprintf(line, sizeof line, "guest: %s (%s)", msg,
                 vm->nwarned == WARNED_PORTS ? "further ports not reported"
                 : "reads give all ones, writes are ignored");
        vm->opts->warn(vm->opts->warn_ctx, line);
    }
    return 0;
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
static int port_access(struct vm *vm, uint8_t *data, struct run_result *res,
                       struct kerr *err)
{
    const struct kvm_run *run = vm->run;
    uint16_t port = run->io.port;
    unsigned size = run->io.size;
    bool out = run->io.direction == KVM_EXIT_IO_OUT;

    if (port >= KVMELF_PORT_COM1 && port <= KVMELF_PORT_COM1_LAST) {
        if (size != 1)
            return bad_port(vm, run, "the UART at", res, err);
        unsigned reg = port - KVMELF_PORT_COM1;
        return out ? uart_write(vm, reg, data[0], err)
                   : uart_read(vm, reg, data, err);
    }
    if (port == KVMELF_PORT_DEBUGCON && size == 1) {
        if (!out)
            data[0] = KVMELF_PORT_DEBUGCON;  /* Bochs: presence check */
        return out ? out_byte(vm, data[0], err) : 0;
    }
    if (port == KVMELF_PORT_EXIT && out && size == 4) {
        end_with(res, load_le(data, size));
        return 1;
    }
    if (port == KVMELF_PORT_QEMU_EXIT && out) {
        end_with(res, load_le(data, size) << 1 | 1);
        return 1;
    }
    if (!out)
        memset(data, 0xff, size);
    return bad_port(vm, run, port == KVMELF_PORT_EXIT ? "the exit" : "unknown",
                    res, err);
}

int io_exit(struct vm *vm, struct run_result *res, struct kerr *err)
{
    struct kvm_run *run = vm->run;
    unsigned size = run->io.size;
    uint64_t bytes;

    /* KVM fills these, but a bad value must not make us read past the
     * shared page. */
    if ((size != 1 && size != 2 && size != 4) || run->io.count == 0 ||
        __builtin_mul_overflow((uint64_t)size, run->io.count, &bytes) ||
        !range_within(run->io.data_offset, bytes, vm->run_size))
        return kerr_set(err, "KVM reported an impossible port access: port "
                        "0x%x size %u count %u offset 0x%llx", run->io.port,
                        size, run->io.count,
                        (unsigned long long)run->io.data_offset);

    if (run->io.port == KVMELF_PORT_TRAP)
        return trap_exit(vm, res, err);
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    for (uint32_t i = 0; i < run->io.count; i++) {
        int r = port_access(vm, data + (uint64_t)i * size, res, err);
        if (r != 0)
            return r;
    }
    return 0;
}
