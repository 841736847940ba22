/* Port devices, from one static table: COM1 (uart.c), the debug console,
 * the bulk-write port, the exit ports, and the monitor's own trap and
 * system-call ports.  docs/abi.md, section 6, describes each. */
#include "internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SIZE_1   (1u << 1)
#define SIZE_4   (1u << 4)
#define SIZE_ANY (SIZE_1 | (1u << 2) | SIZE_4)
#define DIR_IN   1u
#define DIR_OUT  2u
#define DIR_ANY  (DIR_IN | DIR_OUT)

struct port_device {
    uint16_t first, last;
    unsigned sizes;          /* SIZE_n bits: the access sizes it takes */
    unsigned dirs;           /* DIR_IN, DIR_OUT */
    /* Called once for the whole exit, not per element of a string
     * access: the handler reads the vCPU itself.  EXIT_UNCLAIMED makes the
     * access an unknown port's. */
    bool whole_exit;
    port_fn *access;
    const char *name;        /* "the UART at": a bad size or direction's
                                message; NULL: reported as unknown */
};

void devices_init(struct vm *vm, const struct run_options *opts, int out_fd)
{
    vm->opts = opts;
    console_init(&vm->console, out_fd, opts->max_output, opts->warn,
                 opts->warn_ctx);
    memset(&vm->uart, 0, sizeof vm->uart);
    vm->have_stdout_desc = false;
    vm->nwarned = 0;
}

/* Warns once per port (msg, then why the guest goes on); with --strict-io
 * the guest ends instead. */
static enum exit_result bad_access(struct vm *vm, uint16_t port,
                                   const char *msg, const char *goes_on,
                                   struct run_result *res, struct kerr *err)
{
    char line[256];

    if (vm->opts->strict_io) {
        res->outcome = RUN_CRASHED;
        res->crash.kind = CRASH_BAD_IO;
        res->crash.detail = port;
        snprintf(res->crash.what, sizeof res->crash.what, "%s", msg);
        return EXIT_ENDED;
    }
    for (unsigned i = 0; i < vm->nwarned; i++)
        if (vm->warned[i] == port)
            return EXIT_RESUME;
    if (vm->nwarned == WARNED_PORTS)
        return EXIT_RESUME;  /* the last warning said so */
    vm->warned[vm->nwarned++] = port;
    snprintf(line, sizeof line, "guest: %s (%s)", msg,
             vm->nwarned == WARNED_PORTS ? "further ports not reported"
                                         : goes_on);
    return console_warn(&vm->console, line, err) < 0 ? EXIT_ERROR
                                                     : EXIT_RESUME;
}

static enum exit_result bad_port(struct vm *vm, const struct port_io *io,
                                 const char *why, struct run_result *res,
                                 struct kerr *err)
{
    char msg[80];
    const char *dir = io->out ? "write to" : "read from";

    snprintf(msg, sizeof msg, "%u-byte %s %s port 0x%x", io->size, dir,
             why, io->port);
    return bad_access(vm, io->port, msg,
                      "reads give all ones, writes are ignored", res, err);
}

static uint32_t load_le(const uint8_t *p, unsigned size)
{
    uint32_t v = 0;
    memcpy(&v, p, size);     /* x86 host: little-endian like the guest */
    return v;
}

/* Guest memory the bulk-write port may use: for a ring-3 guest only what
 * ring 3 itself could touch, so the port cannot read or write the
 * monitor's area (GDT, TSS and its I/O bitmap, stubs) on its behalf. */
static void *guest_buffer(const struct vm *vm, gpa_t addr, uint64_t len,
                          bool write)
{
    return vm->ring0 ? guest_mem_ptr(vm->gm, addr, len)
                     : paging_user_ptr(vm->gm, vm->cr3, addr, len, write);
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
    int r = console_write(&vm->console, STDOUT_FILENO, data, d->len, err);

    memcpy(host + offsetof(struct kvmelf_write_desc, len), &consumed,
           sizeof consumed);
    return r;
}

/* KVMELF_PORT_WRITE: one descriptor, one console write. */
static enum exit_result bulk_write(struct vm *vm, const struct port_io *io,
                                   uint8_t *data_in, struct run_result *res,
                                   struct kerr *err)
{
    uint32_t gpa = load_le(data_in, io->size);
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
    return desc_write(vm, &d, data, host, err) < 0 ? EXIT_ERROR : EXIT_RESUME;
}

int out_flush_guest_buffer(struct vm *vm, struct kerr *err)
{
    struct kvmelf_write_desc d;
    const uint8_t *data;
    uint8_t *host;
    char why[160];

    if (!vm->have_stdout_desc || vm->console.closed)
        return 0;
    if (write_desc_check(vm, vm->stdout_desc, &d, &data, &host, why,
                         sizeof why)) {
        char line[256];
        snprintf(line, sizeof line, "guest: its stdout buffer is lost: %s",
                 why);
        return console_warn(&vm->console, line, err);
    }
    vm->have_stdout_desc = false;
    return desc_write(vm, &d, data, host, err);
}

static enum exit_result end_with(struct run_result *res, uint32_t status)
{
    res->outcome = RUN_EXITED;
    res->status = (int)(status & 0xff);
    return EXIT_ENDED;
}

/* The exit port ends with the value; isa-debug-exit with (v << 1) | 1, as
 * QEMU's device gives. */
static enum exit_result exit_port(struct vm *vm, const struct port_io *io,
                                  uint8_t *data, struct run_result *res,
                                  struct kerr *err)
{
    uint32_t v = load_le(data, io->size);

    (void)vm;
    (void)err;
    return end_with(res, io->port == KVMELF_PORT_QEMU_EXIT ? v << 1 | 1 : v);
}

static enum exit_result debugcon(struct vm *vm, const struct port_io *io,
                                 uint8_t *data, struct run_result *res,
                                 struct kerr *err)
{
    (void)res;
    if (!io->out) {
        data[0] = KVMELF_PORT_DEBUGCON;      /* Bochs: presence check */
        return EXIT_RESUME;
    }
    return console_putc(&vm->console, data[0], err) < 0 ? EXIT_ERROR
                                                        : EXIT_RESUME;
}

static const struct port_device port_table[] = {
    { KVMELF_PORT_COM1, KVMELF_PORT_COM1_LAST, SIZE_1, DIR_ANY, false,
      uart_access, "the UART at" },
    { KVMELF_PORT_DEBUGCON, KVMELF_PORT_DEBUGCON, SIZE_1, DIR_ANY, false,
      debugcon, NULL },
    { KVMELF_PORT_WRITE, KVMELF_PORT_WRITE, SIZE_4, DIR_OUT, false,
      bulk_write, "the bulk-write" },
    { KVMELF_PORT_EXIT, KVMELF_PORT_EXIT, SIZE_4, DIR_OUT, false,
      exit_port, "the exit" },
    { KVMELF_PORT_QEMU_EXIT, KVMELF_PORT_QEMU_EXIT, SIZE_ANY, DIR_OUT, false,
      exit_port, NULL },
    /* Only 0x510 itself: the stubs write it (the I/O bitmap closes
     * 0x510-0x513 to ring 3). */
    { KVMELF_PORT_TRAP, KVMELF_PORT_TRAP, SIZE_ANY, DIR_ANY, true,
      trap_exit, NULL },
    { KVMELF_PORT_SYSCALL, KVMELF_PORT_SYSCALL, SIZE_ANY, DIR_ANY, true,
      syscall_exit, NULL },
};

static const struct port_device *port_device(uint16_t port)
{
    for (size_t i = 0; i < ARRAY_SIZE(port_table); i++)
        if (port >= port_table[i].first && port <= port_table[i].last)
            return &port_table[i];
    return NULL;
}

/* One element of a (possibly string) port access. */
static enum exit_result port_element(struct vm *vm,
                                     const struct port_device *dev,
                                     const struct port_io *io, uint8_t *data,
                                     struct run_result *res, struct kerr *err)
{
    if (!io->out)            /* what a bad access reads (docs/abi.md) */
        memset(data, 0xff, io->size);
    if (!dev)
        return bad_port(vm, io, "unknown", res, err);
    if (!(dev->sizes & (1u << io->size)) ||
        !(dev->dirs & (io->out ? DIR_OUT : DIR_IN)))
        return bad_port(vm, io, dev->name ? dev->name : "unknown", res, err);
    return dev->access(vm, io, data, res, err);
}

enum exit_result io_exit(struct vm *vm, struct run_result *res,
                         struct kerr *err)
{
    /* One snapshot, checked once: the data area is in the same shared
     * page, so a string access that wrote through a field it re-read
     * could change its own size or count (found by fuzz/fuzz_exit.c). */
    const struct kvm_run *run = vm->run;
    const uint8_t dir = run->io.direction;
    const struct port_io io = {
        .port = run->io.port, .size = run->io.size,
        .out = dir == KVM_EXIT_IO_OUT,
    };
    const uint32_t count = run->io.count;
    const uint64_t offset = run->io.data_offset;
    uint64_t bytes;

    /* KVM puts the data after the kvm_run header; anything else would
     * make us read or write outside the data area. */
    if ((io.size != 1 && io.size != 2 && io.size != 4) || count == 0 ||
        (dir != KVM_EXIT_IO_IN && dir != KVM_EXIT_IO_OUT) ||
        __builtin_mul_overflow((uint64_t)io.size, count, &bytes) ||
        offset < sizeof *run || !range_within(offset, bytes, vm->run_size)) {
        kerr_set(err, "KVM reported an impossible port access: port 0x%x "
                 "size %u count %u direction %u offset 0x%llx", io.port,
                 io.size, count, dir, (unsigned long long)offset);
        return EXIT_ERROR;
    }
    const struct port_device *dev = port_device(io.port);
    uint8_t *data = (uint8_t *)vm->run + offset;
    if (dev && dev->whole_exit) {
        enum exit_result r = dev->access(vm, &io, data, res, err);
        if (r != EXIT_UNCLAIMED)
            return r;
        dev = NULL;          /* not the device's: an unknown port */
    }
    for (uint32_t i = 0; i < count; i++) {
        enum exit_result r = port_element(vm, dev, &io,
                                          data + (uint64_t)i * io.size, res,
                                          err);
        if (r != EXIT_RESUME)
            return r;
    }
    return EXIT_RESUME;
}
