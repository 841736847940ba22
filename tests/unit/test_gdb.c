/* gdb/: framing, the request decoder, the register layout and the
 * target description, stop replies.  tests/gdb/check-gdb.sh runs a real
 * gdb against the same module. */
#include "gdb/gdb.h"
#include "common/common.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* ---- Helpers: framing written independently of gdb/packet.c ------------ */

static uint8_t sum_of(const uint8_t *p, size_t n)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return (uint8_t)s;
}

/* "$" payload "#" checksum into out (payload taken as it is, unescaped). */
static size_t frame(const void *payload, size_t n, uint8_t *out)
{
    out[0] = '$';
    memcpy(out + 1, payload, n);
    sprintf((char *)out + 1 + n, "#%02x", sum_of(out + 1, n));
    return n + 4;
}

static size_t frame_str(const char *payload, uint8_t *out)
{
    return frame(payload, strlen(payload), out);
}

/* A framed reply's payload, unescaped, NUL-terminated; fails the test on
 * a bad frame or checksum. */
static size_t unframe(const uint8_t *buf, int n, uint8_t *out)
{
    assert_true(n >= 4);
    assert_int_equal(buf[0], '$');
    assert_int_equal(buf[n - 3], '#');
    unsigned want;
    char digits[3] = { (char)buf[n - 2], (char)buf[n - 1], 0 };
    assert_int_equal(sscanf(digits, "%2x", &want), 1);
    assert_int_equal(sum_of(buf + 1, (size_t)n - 4), want);
    size_t len = 0;
    for (int i = 1; i < n - 3; i++) {
        assert_int_not_equal(buf[i], '$');
        assert_int_not_equal(buf[i], '#');
        assert_int_not_equal(buf[i], '*');
        out[len++] = buf[i] == '}' ? buf[++i] ^ 0x20 : buf[i];
    }
    out[len] = 0;
    return len;
}

#define EV_MAX 16

/* Feeds all of in[] (in pieces of `step` bytes) and collects the events. */
static size_t feed(struct gdb_conn *c, const void *in, size_t len, size_t step,
                   struct gdb_event *evs)
{
    const uint8_t *p = in;
    size_t n_ev = 0;

    for (size_t off = 0; off < len;) {
        size_t piece = len - off < step ? len - off : step;
        size_t used_piece = 0;
        while (used_piece < piece) {
            struct gdb_event ev;
            size_t used = gdb_conn_next(c, p + off + used_piece,
                                        piece - used_piece, &ev);
            assert_true(used > 0 && used <= piece - used_piece);
            used_piece += used;
            if (ev.kind != GDB_EV_NONE) {
                assert_true(n_ev < EV_MAX);
                evs[n_ev++] = ev;
            }
        }
        off += piece;
    }
    return n_ev;
}

static size_t feed_str(struct gdb_conn *c, const char *s, struct gdb_event *evs)
{
    return feed(c, s, strlen(s), strlen(s), evs);
}

/* ---- Framing ------------------------------------------------------------------ */

static void test_packet_checksums(void **state)
{
    (void)state;
    struct gdb_conn c;
    struct gdb_event ev[EV_MAX];
    uint8_t buf[64];

    gdb_conn_init(&c);
    /* gdb's own bytes for two packets (checksums from its manual/traces). */
    assert_int_equal(feed_str(&c, "$g#67$?#3f", ev), 2);
    assert_int_equal(ev[0].kind, GDB_EV_PACKET);
    assert_int_equal(ev[0].ack, '+');
    assert_int_equal(ev[0].req.cmd, GDB_CMD_READ_REGS);
    assert_int_equal(ev[1].req.cmd, GDB_CMD_HALT_REASON);

    /* Upper-case digits are hex too. */
    size_t n = frame_str("vMustReplyEmpty", buf);
    for (size_t i = n - 2; i < n; i++)
        buf[i] = (uint8_t)(buf[i] >= 'a' ? buf[i] - 32 : buf[i]);
    assert_int_equal(feed(&c, buf, n, n, ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_PACKET);

    /* Wrong checksum, non-hex checksum: NAK, nothing decoded. */
    const char *bad[] = { "$g#68", "$g#6x", "$g#g7", "$?#00" };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(feed_str(&c, bad[i], ev), 1);
        assert_int_equal(ev[0].kind, GDB_EV_BAD_PACKET);
        assert_int_equal(ev[0].ack, '-');
    }
    /* And the receiver is back in step. */
    assert_int_equal(feed_str(&c, "$g#67", ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_PACKET);
}

static void test_packet_escapes(void **state)
{
    (void)state;
    struct gdb_conn c;
    struct gdb_event ev[EV_MAX];
    uint8_t buf[64];
    /* X with the data bytes '}', '#', '$', '*' and 0x03, escaped. */
    const uint8_t payload[] = "X10,5:}\x5d}\x03}\x04}\x0a\x03";
    const uint8_t want[] = { 0x7d, 0x23, 0x24, 0x2a, 0x03 };

    gdb_conn_init(&c);
    size_t n = frame(payload, sizeof payload - 1, buf);
    assert_int_equal(feed(&c, buf, n, n, ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_PACKET);
    assert_int_equal(ev[0].error, 0);
    assert_int_equal(ev[0].req.cmd, GDB_CMD_WRITE_MEM);
    assert_int_equal(ev[0].req.data_len, sizeof want);
    assert_memory_equal(ev[0].req.data, want, sizeof want);

    /* An escape left open at '#' is a broken packet. */
    n = frame("X10,1:}", 7, buf);
    assert_int_equal(feed(&c, buf, n, n, ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_BAD_PACKET);
}

static void test_packet_rle(void **state)
{
    (void)state;
    struct gdb_conn c;
    struct gdb_event ev[EV_MAX];
    uint8_t buf[GDB_PACKET_MAX + 16];

    gdb_conn_init(&c);
    /* "0* " is "0000" (' ' is 29 + 3 more). */
    size_t n = frame_str("m10* ,4", buf);
    assert_int_equal(feed(&c, buf, n, n, ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_PACKET);
    assert_int_equal(ev[0].req.cmd, GDB_CMD_READ_MEM);
    assert_int_equal(ev[0].req.addr, 0x10000);
    assert_int_equal(ev[0].req.len, 4);

    /* Nothing to repeat, a count outside ' '..'~', '*' at the end. */
    const char *bad[] = { "* ", "m1*\x1f", "m1*" };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        n = frame_str(bad[i], buf);
        assert_int_equal(feed(&c, buf, n, n, ev), 1);
        assert_int_equal(ev[0].kind, GDB_EV_BAD_PACKET);
    }

    /* Expansion past the buffer: a few raw bytes must not grow it. */
    char big[2048];
    size_t k = 0;
    while (k + 2 < sizeof big - 1) {
        big[k++] = 'a';
        big[k++] = '*';
        big[k++] = '~';                  /* 97 more 'a's */
    }
    big[k] = 0;
    n = frame_str(big, buf);
    assert_int_equal(feed(&c, buf, n, n, ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_BAD_PACKET);
}

static void test_interrupt_and_noise(void **state)
{
    (void)state;
    struct gdb_conn c;
    struct gdb_event ev[EV_MAX];
    static const char stream[] = "junk+\r\n$g#67\x03+$?#3f-\x03";
    const enum gdb_event_kind want[] = {
        GDB_EV_PACKET, GDB_EV_INTERRUPT, GDB_EV_PACKET, GDB_EV_RESEND,
        GDB_EV_INTERRUPT,
    };

    /* Whole, and a byte at a time: the same events. */
    for (size_t step = 1; step <= sizeof stream; step += sizeof stream - 1) {
        gdb_conn_init(&c);
        assert_int_equal(feed(&c, stream, sizeof stream - 1, step, ev),
                         ARRAY_SIZE(want));
        for (size_t i = 0; i < ARRAY_SIZE(want); i++)
            assert_int_equal(ev[i].kind, want[i]);
        assert_int_equal(ev[1].ack, 0);
    }

    /* Inside a packet 0x03 is data (binary X), not an interrupt. */
    uint8_t buf[32];
    gdb_conn_init(&c);
    size_t n = frame("X0,1:\x03", 6, buf);
    assert_int_equal(feed(&c, buf, n, n, ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_PACKET);
    assert_int_equal(ev[0].req.data[0], 0x03);

    /* A '$' inside a packet starts it again (the first was cut short). */
    assert_int_equal(feed_str(&c, "$m12$g#67", ev), 1);
    assert_int_equal(ev[0].req.cmd, GDB_CMD_READ_REGS);
}

static void test_oversized_packet(void **state)
{
    (void)state;
    struct gdb_conn c;
    struct gdb_event ev[EV_MAX];
    static uint8_t buf[3 * GDB_PACKET_MAX];
    static char payload[2 * GDB_PACKET_MAX];

    /* The receiver is its one fixed buffer. */
    assert_true(sizeof(struct gdb_conn) < GDB_PACKET_MAX + 128);

    gdb_conn_init(&c);
    /* Exactly the limit is a packet, one more byte is not. */
    payload[0] = 'G';
    memset(payload + 1, '0', GDB_PACKET_MAX - 1);
    size_t n = frame(payload, GDB_PACKET_MAX, buf);
    assert_int_equal(feed(&c, buf, n, 512, ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_PACKET);
    assert_int_equal(ev[0].req.cmd, GDB_CMD_WRITE_REGS);

    memset(payload + 1, '0', sizeof payload - 1);
    n = frame(payload, GDB_PACKET_MAX + 1, buf);
    assert_int_equal(feed(&c, buf, n, 512, ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_BAD_PACKET);
    assert_int_equal(ev[0].ack, '-');
    n = frame(payload, sizeof payload, buf);
    assert_int_equal(feed(&c, buf, n, n, ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_BAD_PACKET);

    assert_int_equal(feed_str(&c, "$g#67", ev), 1);
    assert_int_equal(ev[0].kind, GDB_EV_PACKET);
}

static void test_no_ack_mode(void **state)
{
    (void)state;
    struct gdb_conn c;
    struct gdb_event ev[EV_MAX];
    uint8_t buf[64];

    gdb_conn_init(&c);
    size_t n = frame_str("QStartNoAckMode", buf);
    assert_int_equal(feed(&c, buf, n, n, ev), 1);
    assert_int_equal(ev[0].req.cmd, GDB_CMD_NO_ACK_MODE);
    assert_int_equal(ev[0].ack, '+');            /* this one still acked */
    /* gdb's '+' for our OK, then packets without acks either way. */
    assert_int_equal(feed_str(&c, "+$g#67$g#00-", ev), 2);
    assert_int_equal(ev[0].kind, GDB_EV_PACKET);
    assert_int_equal(ev[0].ack, 0);
    assert_int_equal(ev[1].kind, GDB_EV_BAD_PACKET);
    assert_int_equal(ev[1].ack, 0);

    /* A '-' it ignores does not end the call early: GDB_EV_NONE means
     * every byte was used (fuzz/regressions/gdb/noack-dash-then-packet). */
    static const char dash_then_g[] = "-$g#67";
    struct gdb_event one;
    assert_int_equal(gdb_conn_next(&c, (const uint8_t *)dash_then_g,
                                   sizeof dash_then_g - 1, &one),
                     sizeof dash_then_g - 1);
    assert_int_equal(one.kind, GDB_EV_PACKET);
    assert_int_equal(gdb_conn_next(&c, (const uint8_t *)"-", 1, &one), 1);
    assert_int_equal(one.kind, GDB_EV_NONE);
}

/* ---- Encoding ------------------------------------------------------------------ */

static void test_encoder(void **state)
{
    (void)state;
    uint8_t buf[600], out[600];
    uint8_t all[256];
    struct gdb_out o;

    /* Every byte value survives, and '$', '#', '}', '*' never appear raw. */
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    gdb_out_begin(&o, buf, sizeof buf);
    gdb_out_bytes(&o, all, sizeof all);
    int n = gdb_out_end(&o);
    assert_int_equal(n, 1 + 256 + 4 + 3);          /* four escapes */
    assert_int_equal(unframe(buf, n, out), 256);
    assert_memory_equal(out, all, 256);

    /* Our own receiver reads what we send (an X packet, binary). */
    struct gdb_conn c;
    struct gdb_event ev[EV_MAX];
    gdb_out_begin(&o, buf, sizeof buf);
    gdb_out_str(&o, "X1000,100:");
    gdb_out_bytes(&o, all, sizeof all);
    n = gdb_out_end(&o);
    gdb_conn_init(&c);
    assert_int_equal(feed(&c, buf, (size_t)n, (size_t)n, ev), 1);
    assert_int_equal(ev[0].error, 0);
    assert_int_equal(ev[0].req.data_len, 256);
    assert_memory_equal(ev[0].req.data, all, 256);

    gdb_out_begin(&o, buf, sizeof buf);
    gdb_out_hex64(&o, 0);
    gdb_out_str(&o, ",");
    gdb_out_hex64(&o, UINT64_MAX);
    gdb_out_str(&o, ",");
    gdb_out_hex(&o, "\x01\xab", 2);
    n = gdb_out_end(&o);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "0,ffffffffffffffff,01ab");

    /* Too small: an error, never a cut packet. */
    assert_int_equal(gdb_reply_ok(buf, 5), -ENOSPC);
    assert_int_equal(gdb_reply_ok(buf, 6), 6);
    assert_memory_equal(buf, "$OK#9a", 6);
    assert_int_equal(gdb_reply_empty(buf, sizeof buf), 4);
    assert_memory_equal(buf, "$#00", 4);
    n = gdb_reply_error(buf, sizeof buf, -EINVAL);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "E16");
}

/* ---- Decoding ------------------------------------------------------------------ */

static int decode(const char *s, struct gdb_request *req)
{
    static uint8_t pkt[GDB_PACKET_MAX];
    size_t n = strlen(s);
    memcpy(pkt, s, n);
    return gdb_decode(pkt, n, req);
}

static void test_decode_each_command(void **state)
{
    (void)state;
    const struct { const char *pkt; enum gdb_cmd cmd; } ok[] = {
        { "qSupported", GDB_CMD_SUPPORTED },
        { "qSupported:multiprocess+;swbreak+;xmlRegisters=i386", GDB_CMD_SUPPORTED },
        { "?", GDB_CMD_HALT_REASON }, { "g", GDB_CMD_READ_REGS },
        { "G0011", GDB_CMD_WRITE_REGS }, { "p10", GDB_CMD_READ_REG },
        { "P10=0010400000000000", GDB_CMD_WRITE_REG },
        { "m401000,8", GDB_CMD_READ_MEM }, { "M401000,2:9090", GDB_CMD_WRITE_MEM },
        { "X401000,0:", GDB_CMD_WRITE_MEM }, { "c", GDB_CMD_CONTINUE },
        { "c401000", GDB_CMD_CONTINUE }, { "s", GDB_CMD_STEP },
        { "vCont?", GDB_CMD_VCONT_QUERY }, { "vCont;c", GDB_CMD_VCONT },
        { "Z0,401000,1", GDB_CMD_INSERT_POINT }, { "z2,7ffd0000,8", GDB_CMD_REMOVE_POINT },
        { "k", GDB_CMD_KILL }, { "vKill;1", GDB_CMD_VKILL },
        { "D", GDB_CMD_DETACH }, { "D;1", GDB_CMD_DETACH },
        { "Hg1", GDB_CMD_SET_THREAD }, { "Hc-1", GDB_CMD_SET_THREAD },
        { "T1", GDB_CMD_THREAD_ALIVE }, { "qC", GDB_CMD_CURRENT_THREAD },
        { "qfThreadInfo", GDB_CMD_THREADS_FIRST }, { "qsThreadInfo", GDB_CMD_THREADS_NEXT },
        { "qAttached", GDB_CMD_ATTACHED }, { "qAttached:1", GDB_CMD_ATTACHED },
        { "qXfer:features:read:target.xml:0,ffb", GDB_CMD_XFER_FEATURES },
        { "qXfer:exec-file:read::0,ffb", GDB_CMD_XFER_EXEC_FILE },
        { "qXfer:exec-file:read:1:0,ffb", GDB_CMD_XFER_EXEC_FILE },
        { "qOffsets", GDB_CMD_OFFSETS }, { "QStartNoAckMode", GDB_CMD_NO_ACK_MODE },
        { "vMustReplyEmpty", GDB_CMD_MUST_REPLY_EMPTY },
        /* Not known: empty reply, not an error. */
        { "qTStatus", GDB_CMD_UNKNOWN }, { "vFile:open:x", GDB_CMD_UNKNOWN },
        { "", GDB_CMD_UNKNOWN }, { "qCRC:0,1", GDB_CMD_UNKNOWN },
        { "QStartNoAckModeX", GDB_CMD_UNKNOWN }, { "gg", GDB_CMD_UNKNOWN },
        { "k1", GDB_CMD_UNKNOWN }, { "?x", GDB_CMD_UNKNOWN },
    };
    struct gdb_request req;

    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        int rc = decode(ok[i].pkt, &req);
        if (rc != 0 || req.cmd != ok[i].cmd)
            fail_msg("'%s': rc %d cmd %d, want cmd %d", ok[i].pkt, rc,
                     req.cmd, ok[i].cmd);
    }
}

static void test_decode_fields(void **state)
{
    (void)state;
    struct gdb_request q;

    assert_int_equal(decode("m401000,8", &q), 0);
    assert_int_equal(q.addr, 0x401000);
    assert_int_equal(q.len, 8);
    assert_int_equal(decode("mffffffffffffffff,1", &q), 0);
    assert_int_equal(decode("m1,ffffffffffffffff", &q), 0);   /* ends at 2^64 */
    assert_int_equal(decode("m0,100000", &q), 0);
    assert_int_equal(q.len, GDB_MEM_MAX);                /* cut, not refused */

    assert_int_equal(decode("M401000,3:90CCc3", &q), 0);
    assert_int_equal(q.data_len, 3);
    assert_memory_equal(q.data, "\x90\xcc\xc3", 3);

    assert_int_equal(decode("P11=46020000", &q), 0);
    assert_int_equal(q.regno, GDB_REG_EFLAGS);
    assert_memory_equal(q.data, "\x46\x02\x00\x00", 4);

    assert_int_equal(decode("c", &q), 0);
    assert_false(q.has_addr);
    assert_int_equal(decode("s401005", &q), 0);
    assert_true(q.has_addr);
    assert_int_equal(q.addr, 0x401005);

    assert_int_equal(decode("vCont;s:1;c", &q), 0);
    assert_int_equal(q.n_actions, 2);
    assert_int_equal(q.actions[0].action, 's');
    assert_int_equal(q.actions[0].thread, 1);
    assert_int_equal(q.actions[1].action, 'c');
    assert_int_equal(q.actions[1].thread, GDB_THREAD_ALL);
    assert_int_equal(decode("vCont;C0b:-1;t:2a;S05", &q), 0);
    assert_int_equal(q.actions[0].action, 'C');
    assert_int_equal(q.actions[0].signal, GDB_SIGNAL_SEGV);
    assert_int_equal(q.actions[0].thread, GDB_THREAD_ALL);
    assert_int_equal(q.actions[1].thread, 0x2a);
    assert_int_equal(q.actions[2].signal, GDB_SIGNAL_TRAP);

    assert_int_equal(decode("Z1,401000,1", &q), 0);
    assert_int_equal(q.point, GDB_POINT_HW);
    assert_int_equal(q.addr, 0x401000);
    assert_int_equal(q.kind, 1);
    assert_int_equal(decode("z4,7ffd0008,4", &q), 0);
    assert_int_equal(q.point, GDB_POINT_ACCESS);
    assert_int_equal(q.kind, 4);

    assert_int_equal(decode("Hg0", &q), 0);
    assert_int_equal(q.thread_op, 'g');
    assert_int_equal(q.thread, GDB_THREAD_ANY);
    assert_int_equal(decode("Hc-1", &q), 0);
    assert_int_equal(q.thread_op, 'c');
    assert_int_equal(q.thread, GDB_THREAD_ALL);
    assert_int_equal(decode("D;2a", &q), 0);
    assert_int_equal(q.thread, 0x2a);

    assert_int_equal(decode("qSupported:multiprocess+;swbreak+;hwbreak-;x", &q), 0);
    assert_int_equal(q.features, GDB_FEATURE_SWBREAK);
    assert_int_equal(decode("qSupported:hwbreak+;swbreak+", &q), 0);
    assert_int_equal(q.features, GDB_FEATURE_SWBREAK | GDB_FEATURE_HWBREAK);
    assert_int_equal(decode("qSupported:swbreak+x", &q), 0);
    assert_int_equal(q.features, 0);

    assert_int_equal(decode("qXfer:features:read:target.xml:1f,40", &q), 0);
    assert_int_equal(q.offset, 0x1f);
    assert_int_equal(q.len, 0x40);
    assert_int_equal(decode("qXfer:features:read:target.xml:0,100000", &q), 0);
    assert_true(q.len < GDB_PACKET_MAX / 2);              /* bounded */
}

static void test_decode_malformed(void **state)
{
    (void)state;
    const struct { const char *pkt; int rc; } bad[] = {
        { "m", -EINVAL }, { "m401000", -EINVAL }, { "m401000,", -EINVAL },
        { "m,8", -EINVAL }, { "mxyz,8", -EINVAL }, { "m10,8x", -EINVAL },
        { "m10000000000000000,1", -ERANGE },          /* 65 bits */
        { "mffffffffffffffff,2", -ERANGE },            /* wraps */
        { "m2,ffffffffffffffff", -ERANGE },
        { "M10,2:901", -EINVAL }, { "M10,2:90", -EINVAL }, { "M10,1:9g", -EINVAL },
        { "M10,1", -EINVAL }, { "X10,2:a", -EINVAL }, { "X10,1", -EINVAL },
        { "G0", -EINVAL }, { "G0x", -EINVAL },
        { "p", -EINVAL }, { "p4b", -ERANGE }, { "pffffffffffffffffff", -ERANGE },
        { "p1=", -EINVAL }, { "P10", -EINVAL }, { "P10=0", -EINVAL },
        { "P4b=00", -ERANGE }, { "cxyz", -EINVAL }, { "s10,", -EINVAL },
        { "vCont", -EINVAL }, { "vCont;", -EINVAL }, { "vCont;x", -EINVAL },
        { "vCont;C", -EINVAL }, { "vCont;C100", -ERANGE }, { "vCont;c:", -EINVAL },
        { "vCont;c:-2", -EINVAL }, { "vCont;cc", -EINVAL },
        { "vCont;c;c;c;c;c;c;c;c;c", -E2BIG },
        { "Z5,10,1", -EINVAL }, { "Z0,10", -EINVAL }, { "Z0,10,1;X1,0", -EINVAL },
        { "Z0", -EINVAL }, { "z", -EINVAL },
        { "Hx1", -EINVAL }, { "Hg", -EINVAL }, { "H", -EINVAL },
        { "Hg8000000000000000", -ERANGE }, { "T", -EINVAL }, { "Tz", -EINVAL },
        { "D1", -EINVAL }, { "D;", -EINVAL }, { "qAttached:", -EINVAL },
        { "qSupportedX", -EINVAL },
        { "qXfer:features:read:other.xml:0,10", -ENOENT },
        { "qXfer:features:read:target.xmlx:0,10", -ENOENT },
        { "qXfer:features:read:target.xml", -EINVAL },
        { "qXfer:features:read:target.xml:0", -EINVAL },
        { "qXfer:features:read:target.xml:0,", -EINVAL },
        { "qXfer:features:read:target.xml:0,10,", -EINVAL },
        { "qXfer:exec-file:read:zz:0,10", -EINVAL },
    };
    struct gdb_request q;

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        int rc = decode(bad[i].pkt, &q);
        if (rc != bad[i].rc)
            fail_msg("'%s': rc %d, want %d", bad[i].pkt, rc, bad[i].rc);
    }
}

/* ---- Registers and the description ------------------------------------------- */

static void fill_regs(struct gdb_regs *r)
{
    uint8_t *p = (uint8_t *)r;
    for (size_t i = 0; i < sizeof *r; i++)
        p[i] = (uint8_t)(i * 7 + 3);
}

/* A 'g' reply decoded by the test, then fed back as 'G'. */
static void test_regs_round_trip(void **state)
{
    (void)state;
    static uint8_t buf[GDB_REPLY_MAX], hex[GDB_REPLY_MAX], pkt[GDB_REPLY_MAX];
    const struct gdb_target targets[] = { { .avx = false }, { .avx = true } };

    for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
        struct gdb_regs r, back;
        struct gdb_request q;
        fill_regs(&r);
        int n = gdb_reply_regs(buf, sizeof buf, &targets[t], &r);
        assert_true(n > 0);
        size_t len = unframe(buf, n, hex);
        /* 16*8 + 8 + 4 + 6*4 + 8*10 + 8*4 + 16*16 + 4 + 2*8 (+ 16*16) bytes */
        size_t want = 128 + 8 + 4 + 24 + 80 + 32 + 256 + 4 + 16 + (targets[t].avx ? 256 : 0);
        assert_int_equal(len, 2 * want);
        /* rax first, little-endian; rip at byte 128 (gdb's offsets). */
        char rax[17], rip[17];
        snprintf(rax, sizeof rax, "%02x%02x", ((uint8_t *)&r.rax)[0], ((uint8_t *)&r.rax)[1]);
        assert_memory_equal(hex, rax, 4);
        snprintf(rip, sizeof rip, "%02x", ((uint8_t *)&r.rip)[0]);
        assert_memory_equal(hex + 2 * 128, rip, 2);

        pkt[0] = 'G';
        memcpy(pkt + 1, hex, len);
        assert_int_equal(gdb_decode(pkt, len + 1, &q), 0);
        memset(&back, 0, sizeof back);
        if (!targets[t].avx)
            memcpy(back.ymmh, r.ymmh, sizeof r.ymmh);   /* not transferred */
        assert_int_equal(gdb_regs_from_bytes(&back, &targets[t], q.data, q.data_len), 0);
        assert_memory_equal(&back, &r, sizeof r);
        assert_int_equal(gdb_regs_from_bytes(&back, &targets[t], q.data, q.data_len - 1),
                         -EINVAL);
    }
}

/* The names gdb's features files give, in order: the p/P numbers. */
static const char *const gdb_names[] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
    "st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7",
    "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop",
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
    "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
    "mxcsr", "fs_base", "gs_base",
    "ymm0h", "ymm1h", "ymm2h", "ymm3h", "ymm4h", "ymm5h", "ymm6h", "ymm7h",
    "ymm8h", "ymm9h", "ymm10h", "ymm11h", "ymm12h", "ymm13h", "ymm14h", "ymm15h",
};

static char xml[16384];

/* The register's <reg> line lies inside the named <feature>. */
static bool reg_in_feature(const char *doc, const char *reg, const char *feature)
{
    char open[80], line[64];
    snprintf(open, sizeof open, "<feature name=\"%s\">", feature);
    snprintf(line, sizeof line, "<reg name=\"%s\" ", reg);
    const char *f = strstr(doc, open);
    const char *end = f ? strstr(f, "</feature>") : NULL;
    const char *r = strstr(doc, line);
    return f && end && r && r > f && r < end;
}

static void test_reg_numbers_match_xml(void **state)
{
    (void)state;
    const struct gdb_target t = { .avx = true };
    size_t total = gdb_target_xml(&t, 0, xml, sizeof xml - 1);

    assert_true(total < sizeof xml - 1);
    xml[total] = 0;
    assert_int_equal(ARRAY_SIZE(gdb_names), GDB_REGS_AVX);
    assert_int_equal(gdb_reg_count(&t), GDB_REGS_AVX);
    assert_non_null(strstr(xml, "<architecture>i386:x86-64</architecture>"));

    /* The n-th <reg> of the document is register n, by name and size. */
    const char *p = xml;
    for (unsigned i = 0; i < GDB_REGS_AVX; i++) {
        char name[32];
        unsigned bits;
        p = strstr(p, "<reg name=\"");
        assert_non_null(p);
        assert_int_equal(sscanf(p, "<reg name=\"%31[^\"]\" bitsize=\"%u\"", name, &bits), 2);
        assert_string_equal(name, gdb_names[i]);
        assert_string_equal(gdb_reg_name(i), gdb_names[i]);
        assert_int_equal(bits, 8 * gdb_reg_size(i));
        p++;
    }
    assert_null(strstr(p, "<reg "));
    assert_null(gdb_reg_name(GDB_REGS_AVX));

    /* Features in gdb's order; the fixed numbers gdb's own files use. */
    const char *core = strstr(xml, "org.gnu.gdb.i386.core");
    const char *sse = strstr(xml, "org.gnu.gdb.i386.sse");
    const char *seg = strstr(xml, "org.gnu.gdb.i386.segments");
    const char *avx = strstr(xml, "org.gnu.gdb.i386.avx");
    assert_true(core && sse && seg && avx && core < sse && sse < seg && seg < avx);
    /* gdb's i386 code looks each register up in its own feature. */
    const struct { const char *reg, *feature; } homes[] = {
        { "rax", "org.gnu.gdb.i386.core" }, { "gs", "org.gnu.gdb.i386.core" },
        { "st7", "org.gnu.gdb.i386.core" }, { "fop", "org.gnu.gdb.i386.core" },
        { "xmm0", "org.gnu.gdb.i386.sse" }, { "mxcsr", "org.gnu.gdb.i386.sse" },
        { "fs_base", "org.gnu.gdb.i386.segments" },
        { "gs_base", "org.gnu.gdb.i386.segments" },
        { "ymm0h", "org.gnu.gdb.i386.avx" }, { "ymm15h", "org.gnu.gdb.i386.avx" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(homes); i++)
        if (!reg_in_feature(xml, homes[i].reg, homes[i].feature))
            fail_msg("%s is not in %s", homes[i].reg, homes[i].feature);
    /* The types gdb does not predefine are defined before use. */
    assert_true(strstr(xml, "<flags id=\"i386_eflags\"") <
                strstr(xml, "type=\"i386_eflags\""));
    assert_true(strstr(xml, "<union id=\"vec128\">") < strstr(xml, "type=\"vec128\""));
    assert_true(strstr(xml, "<flags id=\"i386_mxcsr\"") < strstr(xml, "type=\"i386_mxcsr\""));
    assert_string_equal(gdb_reg_name(GDB_REG_XMM0), "xmm0");
    assert_string_equal(gdb_reg_name(GDB_REG_MXCSR), "mxcsr");
    assert_string_equal(gdb_reg_name(GDB_REG_RSP), "rsp");
    assert_string_equal(gdb_reg_name(GDB_REG_FS_BASE), "fs_base");
    assert_string_equal(gdb_reg_name(GDB_REG_YMM0H), "ymm0h");

    /* Without AVX: no avx feature, 59 registers. */
    const struct gdb_target no = { .avx = false };
    total = gdb_target_xml(&no, 0, xml, sizeof xml - 1);
    xml[total] = 0;
    assert_null(strstr(xml, "i386.avx"));
    assert_null(strstr(xml, "ymm"));
    assert_int_equal(gdb_reg_count(&no), GDB_REGS_NO_AVX);
}

/* p and P reach the field the number names, nothing else. */
static void test_reg_p_and_P(void **state)
{
    (void)state;
    const struct gdb_target t = { .avx = true };
    uint8_t buf[128], out[128];
    struct gdb_regs r;

    for (unsigned i = 0; i < GDB_REGS_AVX; i++) {
        struct gdb_regs before;
        uint8_t val[16];
        size_t size = gdb_reg_size(i);
        memset(&r, 0, sizeof r);
        for (size_t k = 0; k < size; k++)
            val[k] = (uint8_t)(0x10 + i + k);
        assert_int_equal(gdb_reg_set(&r, &t, i, val, size), 0);
        assert_int_equal(gdb_reg_set(&r, &t, i, val, size + 1), -EINVAL);
        int n = gdb_reply_reg(buf, sizeof buf, &t, &r, i);
        assert_int_equal(unframe(buf, n, out), 2 * size);
        for (size_t k = 0; k < size; k++) {
            char two[3];
            snprintf(two, sizeof two, "%02x", val[k]);
            assert_memory_equal(out + 2 * k, two, 2);
        }
        /* Exactly `size` bytes of the struct changed. */
        memset(&before, 0, sizeof before);
        size_t changed = 0;
        for (size_t k = 0; k < sizeof r; k++)
            changed += ((uint8_t *)&r)[k] != ((uint8_t *)&before)[k];
        assert_int_equal(changed, size);
    }
    /* Named fields by number. */
    memset(&r, 0, sizeof r);
    r.rsp = 0x7ffd0000;
    r.rip = 0x401000;
    r.gs_base = 0x1234;
    int n = gdb_reply_reg(buf, sizeof buf, &t, &r, GDB_REG_RSP);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "0000fd7f00000000");
    n = gdb_reply_reg(buf, sizeof buf, &t, &r, GDB_REG_RIP);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "0010400000000000");
    n = gdb_reply_reg(buf, sizeof buf, &t, &r, GDB_REG_GS_BASE);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "3412000000000000");

    const struct gdb_target no = { .avx = false };
    assert_int_equal(gdb_reply_reg(buf, sizeof buf, &no, &r, GDB_REG_YMM0H), -ERANGE);
    assert_int_equal(gdb_reg_set(&r, &no, GDB_REG_YMM0H, out, 16), -ERANGE);
    assert_int_equal(gdb_reply_reg(buf, sizeof buf, &t, &r, GDB_REGS_AVX), -ERANGE);
}

/* qXfer reads in windows put the description back together. */
static void test_xfer_windows(void **state)
{
    (void)state;
    const struct gdb_target t = { .avx = true };
    static uint8_t buf[GDB_REPLY_MAX], out[GDB_REPLY_MAX];
    static char whole[16384], joined[16384];
    size_t total = gdb_target_xml(&t, 0, whole, sizeof whole);
    const uint64_t sizes[] = { 1, 97, 1000, 0xffb };

    assert_true(total > 1000 && total < sizeof whole);
    for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
        size_t off = 0, window = 0;
        for (;;) {
            char pkt[80];
            struct gdb_request q;
            snprintf(pkt, sizeof pkt, "qXfer:features:read:target.xml:%zx,%" PRIx64,
                     off, sizes[s]);
            assert_int_equal(decode(pkt, &q), 0);
            int n = gdb_answer_query(buf, sizeof buf, &t, &q);
            size_t len = unframe(buf, n, out);
            assert_true(len >= 1 && len - 1 <= sizes[s]);
            memcpy(joined + off, out + 1, len - 1);
            off += len - 1;
            if (out[0] == 'l')
                break;
            assert_int_equal(out[0], 'm');
            /* Every 'm' is a full window (the stub may cut a large one). */
            if (window == 0)
                window = len - 1;
            assert_int_equal(len - 1, window);
            assert_true(window == sizes[s] || sizes[s] > 1000);
        }
        assert_int_equal(off, total);
        assert_memory_equal(joined, whole, total);
    }
    /* At and past the end: "l" with nothing. */
    struct gdb_request q = { .cmd = GDB_CMD_XFER_FEATURES, .offset = total, .len = 10 };
    int n = gdb_answer_query(buf, sizeof buf, &t, &q);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "l");
    q.offset = UINT64_MAX;
    n = gdb_answer_query(buf, sizeof buf, &t, &q);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "l");
}

static void test_queries(void **state)
{
    (void)state;
    struct gdb_target t = { .avx = false };
    uint8_t buf[GDB_REPLY_MAX], out[GDB_REPLY_MAX];
    struct gdb_request q;
    int n;

    assert_int_equal(decode("qSupported:swbreak+", &q), 0);
    n = gdb_answer_query(buf, sizeof buf, &t, &q);
    unframe(buf, n, out);
    assert_non_null(strstr((char *)out, "PacketSize=1000;"));   /* hex 4096 */
    assert_non_null(strstr((char *)out, "qXfer:features:read+"));
    assert_non_null(strstr((char *)out, "QStartNoAckMode+"));
    assert_null(strstr((char *)out, "exec-file"));

    /* exec-file: offered and served only when there is one. */
    assert_int_equal(decode("qXfer:exec-file:read::0,ffb", &q), 0);
    n = gdb_answer_query(buf, sizeof buf, &t, &q);
    assert_int_equal(n, 4);                                      /* empty */
    t.exec_file = "/bin/a#b*c";
    n = gdb_answer_query(buf, sizeof buf, &t, &q);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "l/bin/a#b*c");
    assert_int_equal(decode("qXfer:exec-file:read:1:4,2", &q), 0);
    n = gdb_answer_query(buf, sizeof buf, &t, &q);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "m/a");
    assert_int_equal(decode("qSupported", &q), 0);
    n = gdb_answer_query(buf, sizeof buf, &t, &q);
    unframe(buf, n, out);
    assert_non_null(strstr((char *)out, "qXfer:exec-file:read+"));

    const struct { const char *pkt; const char *reply; } simple[] = {
        { "QStartNoAckMode", "OK" }, { "vMustReplyEmpty", "" },
        { "vCont?", "vCont;c;C;s;S" }, { "qAttached", "1" },
        { "qOffsets", "Text=0;Data=0;Bss=0" }, { "qTStatus", "" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(simple); i++) {
        assert_int_equal(decode(simple[i].pkt, &q), 0);
        n = gdb_answer_query(buf, sizeof buf, &t, &q);
        unframe(buf, n, out);
        assert_string_equal((char *)out, simple[i].reply);
    }
    /* The target's own requests are left to the caller. */
    const char *target_cmds[] = { "g", "m0,1", "c", "?", "qC", "Hg1", "k" };
    for (size_t i = 0; i < ARRAY_SIZE(target_cmds); i++) {
        assert_int_equal(decode(target_cmds[i], &q), 0);
        assert_int_equal(gdb_answer_query(buf, sizeof buf, &t, &q), 0);
    }
}

/* ---- Stop replies ------------------------------------------------------------ */

static void test_stop_replies(void **state)
{
    (void)state;
    uint8_t buf[64], out[64];
    const struct { struct gdb_stop s; const char *want; } stops[] = {
        { { GDB_SIGNAL_TRAP, GDB_STOP_SIGNAL, 0, 0 }, "T05" },
        { { GDB_SIGNAL_TRAP, GDB_STOP_SWBREAK, 0, 1 }, "T05thread:p1.1;swbreak:;" },
        { { GDB_SIGNAL_TRAP, GDB_STOP_HWBREAK, 0, 0x2a }, "T05thread:p1.2a;hwbreak:;" },
        { { GDB_SIGNAL_TRAP, GDB_STOP_WATCH, 0x7ffd0008, 1 }, "T05thread:p1.1;watch:7ffd0008;" },
        { { GDB_SIGNAL_TRAP, GDB_STOP_RWATCH, 0x10, 0 }, "T05rwatch:10;" },
        { { GDB_SIGNAL_TRAP, GDB_STOP_AWATCH, 0, 0 }, "T05awatch:0;" },
        { { GDB_SIGNAL_SEGV, GDB_STOP_SIGNAL, 0, 1 }, "T0bthread:p1.1;" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(stops); i++) {
        int n = gdb_reply_stop(buf, sizeof buf, &stops[i].s);
        unframe(buf, n, out);
        assert_string_equal((char *)out, stops[i].want);
    }
    struct gdb_stop bad = { .why = (enum gdb_stop_why)99 };
    assert_int_equal(gdb_reply_stop(buf, sizeof buf, &bad), -EINVAL);

    int n = gdb_reply_signal(buf, sizeof buf, GDB_SIGNAL_INT);
    assert_int_equal(n, 7);
    assert_memory_equal(buf, "$S02#b5", 7);
    n = gdb_reply_exited(buf, sizeof buf, 0);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "W00;process:1");
    n = gdb_reply_exited(buf, sizeof buf, 255);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "Wff;process:1");
    n = gdb_reply_killed(buf, sizeof buf, GDB_SIGNAL_KILL);
    unframe(buf, n, out);
    assert_string_equal((char *)out, "X09;process:1");

    /* gdb's numbers (include/gdb/signals.def), not Linux's. */
    assert_int_equal(GDB_SIGNAL_INT, 2);
    assert_int_equal(GDB_SIGNAL_ILL, 4);
    assert_int_equal(GDB_SIGNAL_TRAP, 5);
    assert_int_equal(GDB_SIGNAL_ABRT, 6);
    assert_int_equal(GDB_SIGNAL_FPE, 8);
    assert_int_equal(GDB_SIGNAL_BUS, 10);
    assert_int_equal(GDB_SIGNAL_SEGV, 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_checksums),
        cmocka_unit_test(test_packet_escapes),
        cmocka_unit_test(test_packet_rle),
        cmocka_unit_test(test_interrupt_and_noise),
        cmocka_unit_test(test_oversized_packet),
        cmocka_unit_test(test_no_ack_mode),
        cmocka_unit_test(test_encoder),
        cmocka_unit_test(test_decode_each_command),
        cmocka_unit_test(test_decode_fields),
        cmocka_unit_test(test_decode_malformed),
        cmocka_unit_test(test_regs_round_trip),
        cmocka_unit_test(test_reg_numbers_match_xml),
        cmocka_unit_test(test_reg_p_and_P),
        cmocka_unit_test(test_xfer_windows),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_stop_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
