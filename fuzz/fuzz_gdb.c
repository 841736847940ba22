/*
 * libFuzzer target: gdb/, the GDB remote protocol layer.  Whatever bytes
 * arrive from a debugger's connection, the receiver must consume them in
 * bounded memory and give defined events, the decoder must give a request
 * whose fields are in range or an error, and every reply built from that
 * request must be a well-formed packet (checksum right, no raw '$', '#',
 * '*', at most GDB_REPLY_MAX bytes).
 *
 * Input: the first byte picks the size of the pieces the stream is fed in
 * (1..64 bytes, or all at once when 0); the rest is the stream, as gdb
 * would send it.  Then the same bytes (up to GDB_PACKET_MAX) are framed
 * by gdb_out as one packet and fed back: the receiver must return exactly
 * that packet, decoded as gdb_decode() decodes a copy.
 */
#include "gdb/gdb.h"
#include "common/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "fuzz_gdb: contract broken: %s (line %d)\n", #cond, \
            __LINE__); abort(); } } while (0)

static uint8_t reply[GDB_REPLY_MAX];

/* A reply is one whole packet with a correct checksum. */
static void check_reply(int n)
{
    if (n == -ENOSPC)
        return;
    CHECK(n >= 4 && (size_t)n <= GDB_REPLY_MAX);
    CHECK(reply[0] == '$' && reply[n - 3] == '#');
    unsigned sum = 0;
    for (int i = 1; i < n - 3; i++) {
        CHECK(reply[i] != '$' && reply[i] != '#' && reply[i] != '*');
        sum += reply[i];
    }
    char digits[3];
    snprintf(digits, sizeof digits, "%02x", sum & 0xff);
    CHECK(memcmp(reply + n - 2, digits, 2) == 0);
}

static void check_request(const struct gdb_request *q, const struct gdb_conn *c)
{
    CHECK(q->cmd < GDB_CMD_COUNT);
    CHECK(q->n_actions <= GDB_VCONT_MAX);
    if (q->cmd == GDB_CMD_READ_MEM)
        CHECK(q->len <= GDB_MEM_MAX);
    if (q->cmd == GDB_CMD_READ_MEM || q->cmd == GDB_CMD_WRITE_MEM)
        CHECK(q->len == 0 || q->addr + (q->len - 1) >= q->addr);
    if (q->cmd == GDB_CMD_READ_REG || q->cmd == GDB_CMD_WRITE_REG)
        CHECK(q->regno < GDB_REGS_AVX);
    if (q->data) {
        CHECK(q->data >= c->rx.data);
        CHECK(q->data + q->data_len <= c->rx.data + c->rx.len);
    }
}

/* Every reply a stub would build for the request. */
static void answer(const struct gdb_request *q)
{
    static const struct gdb_target targets[] = {
        { .avx = false }, { .avx = true, .exec_file = "/a$b#c}d*e" },
    };
    static struct gdb_regs regs;

    for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
        const struct gdb_target *tg = &targets[t];
        int n = gdb_answer_query(reply, sizeof reply, tg, q);
        if (n != 0)
            check_reply(n);
        check_reply(gdb_reply_regs(reply, sizeof reply, tg, &regs));
        n = gdb_reply_reg(reply, sizeof reply, tg, &regs, q->regno);
        CHECK(n > 0 || (n == -ERANGE && q->regno >= gdb_reg_count(tg)));
        if (n > 0)
            check_reply(n);
        if (q->cmd == GDB_CMD_WRITE_REGS)
            (void)gdb_regs_from_bytes(&regs, tg, q->data, q->data_len);
        if (q->cmd == GDB_CMD_WRITE_REG)
            (void)gdb_reg_set(&regs, tg, q->regno, q->data, q->data_len);
    }
    if (q->cmd == GDB_CMD_READ_MEM) {
        /* The hex reply of the largest read still fits. */
        static uint8_t mem[GDB_MEM_MAX];
        struct gdb_out o;
        gdb_out_begin(&o, reply, sizeof reply);
        gdb_out_hex(&o, mem, q->len);
        int n = gdb_out_end(&o);
        CHECK(n > 0);
        check_reply(n);
    }
    struct gdb_stop s = { .signal = (uint8_t)q->addr,
                          .why = (enum gdb_stop_why)(q->kind % 6),
                          .addr = q->addr, .thread = q->thread };
    check_reply(gdb_reply_stop(reply, sizeof reply, &s));
}

static void fuzz_stream(const uint8_t *in, size_t len, size_t step)
{
    static struct gdb_conn c;

    gdb_conn_init(&c);
    for (size_t off = 0; off < len;) {
        size_t piece = step && len - off > step ? step : len - off;
        struct gdb_event ev;
        size_t used = gdb_conn_next(&c, in + off, piece, &ev);
        CHECK(used > 0 && used <= piece);
        CHECK(ev.kind != GDB_EV_NONE || used == piece);
        off += used;
        if (ev.kind == GDB_EV_PACKET) {
            CHECK(c.rx.len <= GDB_PACKET_MAX);
            CHECK(ev.error <= 0);
            if (ev.error == 0) {
                check_request(&ev.req, &c);
                answer(&ev.req);
            } else {
                check_reply(gdb_reply_error(reply, sizeof reply, ev.error));
            }
        }
    }
}

/* The input as one packet, framed by gdb/ and read back by gdb/. */
static void fuzz_round_trip(const uint8_t *in, size_t len)
{
    static uint8_t frame[2 * GDB_PACKET_MAX + 8], copy[GDB_PACKET_MAX];
    static struct gdb_conn c;
    struct gdb_out o;
    struct gdb_request want;

    if (len > GDB_PACKET_MAX)
        len = GDB_PACKET_MAX;
    gdb_out_begin(&o, frame, sizeof frame);
    gdb_out_bytes(&o, in, len);
    int n = gdb_out_end(&o);
    if (n < 0)
        return;                        /* escapes made it too big to send */
    memcpy(copy, in, len);
    int want_rc = gdb_decode(copy, len, &want);

    gdb_conn_init(&c);
    struct gdb_event ev;
    size_t used = gdb_conn_next(&c, frame, (size_t)n, &ev);
    CHECK(used == (size_t)n);
    /* Raw bytes (escapes included) over the limit are refused whole. */
    if ((size_t)n - 4 > GDB_PACKET_MAX) {
        CHECK(ev.kind == GDB_EV_BAD_PACKET);
        return;
    }
    CHECK(ev.kind == GDB_EV_PACKET);
    CHECK(c.rx.len == len);
    CHECK(ev.error == want_rc);
    CHECK(ev.req.cmd == want.cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = data[0] % 65;
    fuzz_stream(data + 1, size - 1, step);
    fuzz_round_trip(data + 1, size - 1);
    return 0;
}
