/*
 * A stub with a fixed target, for a real gdb: `target remote | fixed_stub`
 * (gdb's pipe target: the stub's stdin and stdout are the connection).
 * It serves one thread, the registers below and 64 bytes of memory at
 * STUB_MEM_ADDR, all through gdb/, so tests/gdb/check-gdb.sh can see
 * whether gdb accepts the target description and the register layout.
 * A resume stops at once with SIGTRAP (a step) or at the "breakpoint".
 * Host-only: no KVM.  With -a the description includes AVX.
 */
#include "gdb/gdb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STUB_MEM_ADDR 0x401000u
#define STUB_MEM_SIZE 64
#define STUB_THREAD   1

static struct gdb_target target;
static struct gdb_regs regs;
static uint8_t mem[STUB_MEM_SIZE];
static uint8_t reply[GDB_REPLY_MAX];
static int reply_len;

static void fixed_state(void)
{
    regs.rax = 0x1111111111111111; regs.rbx = 0x2222; regs.rcx = 0x3333;
    regs.rdx = 0x4444; regs.rsi = 0x5555; regs.rdi = 0x6666;
    regs.rbp = 0x7ffe0000; regs.rsp = 0x7ffd0000; regs.r15 = 0xf15;
    regs.rip = 0x401000;
    regs.eflags = 0x246;                    /* IF ZF PF */
    regs.cs = 0x33; regs.ss = 0x2b;
    regs.fctrl = 0x37f; regs.mxcsr = 0x1f80;
    regs.fs_base = 0x7f0000001000; regs.gs_base = 0x7f0000002000;
    /* st0 = 1.0: exponent 0x3fff, explicit integer bit. */
    regs.st[0][7] = 0x80; regs.st[0][8] = 0xff; regs.st[0][9] = 0x3f;
    for (int i = 0; i < 16; i++) {
        regs.xmm[1][i] = (uint8_t)(i + 1);
        regs.ymmh[2][i] = (uint8_t)(0xa0 + i);
    }
    for (int i = 0; i < STUB_MEM_SIZE; i++)
        mem[i] = (uint8_t)i;
}

static int send_all(const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static uint8_t *mem_at(uint64_t addr, uint64_t len)
{
    if (addr < STUB_MEM_ADDR || addr - STUB_MEM_ADDR > STUB_MEM_SIZE ||
        len > STUB_MEM_SIZE - (addr - STUB_MEM_ADDR))
        return NULL;
    return mem + (addr - STUB_MEM_ADDR);
}

static int read_mem(const struct gdb_request *q)
{
    const uint8_t *p = mem_at(q->addr, q->len);
    struct gdb_out o;

    if (!p)
        return gdb_reply_error(reply, sizeof reply, EFAULT);
    gdb_out_begin(&o, reply, sizeof reply);
    gdb_out_hex(&o, p, q->len);
    return gdb_out_end(&o);
}

static int write_mem(const struct gdb_request *q)
{
    uint8_t *p = mem_at(q->addr, q->len);
    if (!p)
        return gdb_reply_error(reply, sizeof reply, EFAULT);
    memcpy(p, q->data, q->data_len);
    return gdb_reply_ok(reply, sizeof reply);
}

static int stopped(void)
{
    struct gdb_stop s = { .signal = GDB_SIGNAL_TRAP, .thread = STUB_THREAD };
    return gdb_reply_stop(reply, sizeof reply, &s);
}

static int ok_or_error(int rc)
{
    return rc < 0 ? gdb_reply_error(reply, sizeof reply, rc)
                  : gdb_reply_ok(reply, sizeof reply);
}

static int thread_list(const char *s)
{
    struct gdb_out o;
    gdb_out_begin(&o, reply, sizeof reply);
    gdb_out_str(&o, s);
    return gdb_out_end(&o);
}

/* The requests that need the (fixed) target.  Returns the reply's length. */
static int answer(const struct gdb_request *q, int *done)
{
    int n = gdb_answer_query(reply, sizeof reply, &target, q);
    if (n != 0)
        return n;
    switch (q->cmd) {
    case GDB_CMD_READ_REGS:
        return gdb_reply_regs(reply, sizeof reply, &target, &regs);
    case GDB_CMD_WRITE_REGS:
        return ok_or_error(gdb_regs_from_bytes(&regs, &target, q->data, q->data_len));
    case GDB_CMD_READ_REG:
        n = gdb_reply_reg(reply, sizeof reply, &target, &regs, q->regno);
        return n < 0 ? gdb_reply_error(reply, sizeof reply, n) : n;
    case GDB_CMD_WRITE_REG:
        return ok_or_error(gdb_reg_set(&regs, &target, q->regno, q->data, q->data_len));
    case GDB_CMD_READ_MEM:
        return read_mem(q);
    case GDB_CMD_WRITE_MEM:
        return write_mem(q);
    case GDB_CMD_HALT_REASON:
    case GDB_CMD_CONTINUE:
    case GDB_CMD_STEP:
    case GDB_CMD_VCONT:
        return stopped();
    case GDB_CMD_CURRENT_THREAD:
        return thread_list("QCp1.1");
    case GDB_CMD_THREADS_FIRST:
        return thread_list("mp1.1");
    case GDB_CMD_THREADS_NEXT:
        return thread_list("l");
    case GDB_CMD_SET_THREAD:
    case GDB_CMD_THREAD_ALIVE:
        return gdb_reply_ok(reply, sizeof reply);
    case GDB_CMD_KILL:
    case GDB_CMD_VKILL:
    case GDB_CMD_DETACH:
        *done = 1;
        return gdb_reply_ok(reply, sizeof reply);
    default:
        return gdb_reply_empty(reply, sizeof reply);
    }
}

static int handle(const struct gdb_event *ev, int *done)
{
    if (ev->ack && send_all(&ev->ack, 1) < 0)
        return -1;
    switch (ev->kind) {
    case GDB_EV_PACKET:
        reply_len = ev->error < 0 ? gdb_reply_error(reply, sizeof reply, ev->error)
                                  : answer(&ev->req, done);
        break;
    case GDB_EV_INTERRUPT:
        reply_len = gdb_reply_signal(reply, sizeof reply, GDB_SIGNAL_INT);
        break;
    case GDB_EV_RESEND:
        break;                              /* the last reply, again */
    default:
        return 0;
    }
    return reply_len > 0 ? send_all(reply, (size_t)reply_len) : -1;
}

int main(int argc, char **argv)
{
    struct gdb_conn c;
    uint8_t in[1024];
    int done = 0;

    target.avx = argc > 1 && strcmp(argv[1], "-a") == 0;
    target.exec_file = "/fixed/stub/program";
    fixed_state();
    gdb_conn_init(&c);
    while (!done) {
        ssize_t n = read(STDIN_FILENO, in, sizeof in);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;                       /* gdb went away */
        for (size_t off = 0; off < (size_t)n && !done;) {
            struct gdb_event ev;
            off += gdb_conn_next(&c, in + off, (size_t)n - off, &ev);
            if (handle(&ev, &done) < 0)
                return 1;
        }
    }
    return 0;
}
