/* The 16550 UART at COM1: what a guest that probes and polls one can
 * observe; the bytes themselves go through the console. */
#include "internal.h"

#define UART_IER   1
#define UART_IIR   2
#define UART_LCR   3
#define UART_MSR   6
#define UART_LCR_DLAB 0x80
#define UART_IIR_NO_INTERRUPT 0x01
/* Clear to send, data set ready, carrier detect: a cable is present. */
#define UART_MSR_CONNECTED 0xb0

/* Two LSR reads in a row without a THR write between them mean the guest
 * is polling for input, so output it printed (a prompt) must be shown. */
#define INPUT_POLL_READS 2

static uint8_t uart_lsr(struct vm *vm)
{
    uint8_t lsr = KVMELF_UART_LSR_THR_EMPTY | KVMELF_UART_LSR_TX_EMPTY;

    console_poll_input(&vm->console);
    if (console_has_input(&vm->console))
        lsr |= KVMELF_UART_LSR_DATA_READY;
    else if (console_at_eof(&vm->console))
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
    case KVMELF_UART_RBR_THR: {
        if (console_flush(&vm->console, err) < 0)
            return -1;
        console_poll_input(&vm->console);
        int c = console_getc(&vm->console);
        *val = c < 0 ? 0 : (uint8_t)c;
        return 0;
    }
    case UART_IIR:
        *val = UART_IIR_NO_INTERRUPT;
        return 0;
    case KVMELF_UART_LSR:
        if (++u->idle_lsr_reads >= INPUT_POLL_READS && vm->console.len &&
            console_flush(&vm->console, err) < 0)
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
        return console_putc(&vm->console, val, err);
    }
    u->regs[reg] = val;      /* read back as written; no interrupts */
    return 0;
}

enum exit_result uart_access(struct vm *vm, const struct port_io *io,
                             uint8_t *data, struct run_result *res,
                             struct kerr *err)
{
    unsigned reg = io->port - KVMELF_PORT_COM1;
    int r = io->out ? uart_write(vm, reg, data[0], err)
                    : uart_read(vm, reg, data, err);

    (void)res;
    return r < 0 ? EXIT_ERROR : EXIT_RESUME;
}
