/* Packet framing both ways (GDB manual, "Overview" of the Remote Protocol:
 * "$data#cs", '}' escapes, '*' run-length encoding, acks). */
#include "gdb/gdb.h"
#include "gdb/internal.h"

#include <errno.h>
#include <string.h>

#define GDB_CH_START     '$'
#define GDB_CH_END       '#'
#define GDB_CH_ESCAPE    '}'
#define GDB_CH_RLE       '*'
#define GDB_CH_INTERRUPT 0x03
#define GDB_ESCAPE_XOR   0x20
/* "*c" repeats the previous byte c - 29 more times (c is printable). */
#define GDB_RLE_BIAS     29
#define GDB_RLE_MIN      ' '
#define GDB_RLE_MAX      '~'

static const char hex_digits[] = "0123456789abcdef";

int gdb_hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ---- Receiving ------------------------------------------------------------ */

static void rx_start(struct gdb_rx *rx)
{
    rx->state = GDB_RX_DATA;
    rx->len = 0;
    rx->raw = 0;
    rx->sum = 0;
    rx->bad = false;
    rx->rle = false;
}

static void rx_put(struct gdb_rx *rx, uint8_t b)
{
    if (rx->len >= sizeof rx->data) {
        rx->bad = true;                  /* oversized: keep reading to '#' */
        return;
    }
    rx->data[rx->len++] = b;
}

/* The repeat count byte after '*'.  gdb never sends RLE to a stub, but
 * the protocol allows it; a count with nothing to repeat is an error. */
static void rx_repeat(struct gdb_rx *rx, uint8_t c)
{
    if (rx->len == 0 || c < GDB_RLE_MIN || c > GDB_RLE_MAX) {
        rx->bad = true;
        return;
    }
    uint8_t prev = rx->data[rx->len - 1];
    for (int n = c - GDB_RLE_BIAS; n > 0 && !rx->bad; n--)
        rx_put(rx, prev);
}

/* One byte between '$' and '#'. */
static void rx_data(struct gdb_rx *rx, uint8_t c)
{
    if (++rx->raw > GDB_PACKET_MAX)
        rx->bad = true;
    rx->sum = (uint8_t)(rx->sum + c);
    if (rx->bad)
        return;
    if (rx->state == GDB_RX_ESCAPE) {
        rx->state = GDB_RX_DATA;
        rx_put(rx, c ^ GDB_ESCAPE_XOR);
    } else if (rx->rle) {
        rx->rle = false;
        rx_repeat(rx, c);
    } else if (c == GDB_CH_ESCAPE) {
        rx->state = GDB_RX_ESCAPE;
    } else if (c == GDB_CH_RLE) {
        rx->rle = true;
    } else {
        rx_put(rx, c);
    }
}

/* Feeds one byte; returns the event it completes, or GDB_EV_NONE. */
static enum gdb_event_kind rx_byte(struct gdb_rx *rx, uint8_t c)
{
    int v;

    switch (rx->state) {
    case GDB_RX_IDLE:
        if (c == GDB_CH_START)
            rx_start(rx);
        else if (c == GDB_CH_INTERRUPT)
            return GDB_EV_INTERRUPT;
        else if (c == '-')
            return GDB_EV_RESEND;
        return GDB_EV_NONE;                 /* '+' and line noise */
    case GDB_RX_DATA:
    case GDB_RX_ESCAPE:
        if (c == GDB_CH_START) {
            rx_start(rx);                   /* the last packet was cut */
        } else if (c == GDB_CH_END) {
            /* '#' always ends the frame, as in gdb's reader; an escape
             * left open before it is a broken packet. */
            rx->bad |= rx->state == GDB_RX_ESCAPE;
            rx->state = GDB_RX_CSUM1;
        } else {
            rx_data(rx, c);
        }
        return GDB_EV_NONE;
    case GDB_RX_CSUM1:
        v = gdb_hex_value(c);
        rx->want = (uint8_t)(v < 0 ? 0 : v << 4);
        rx->bad |= v < 0;
        rx->state = GDB_RX_CSUM2;
        return GDB_EV_NONE;
    case GDB_RX_CSUM2:
        v = gdb_hex_value(c);
        rx->want = (uint8_t)(rx->want | (v < 0 ? 0 : v));
        rx->bad |= v < 0 || rx->rle || rx->want != rx->sum;
        rx->state = GDB_RX_IDLE;
        return rx->bad ? GDB_EV_BAD_PACKET : GDB_EV_PACKET;
    }
    return GDB_EV_NONE;
}

/* ---- The connection ------------------------------------------------------- */

void gdb_conn_init(struct gdb_conn *c)
{
    memset(c, 0, sizeof *c);
    c->rx.state = GDB_RX_IDLE;
}

size_t gdb_conn_next(struct gdb_conn *c, const uint8_t *in, size_t len,
                     struct gdb_event *ev)
{
    size_t i = 0;

    memset(ev, 0, sizeof *ev);
    while (i < len && ev->kind == GDB_EV_NONE) {
        ev->kind = rx_byte(&c->rx, in[i++]);
        /* In no-ack mode neither side acks; a stray '-' is noise, and
         * NONE must keep meaning "all consumed". */
        if (ev->kind == GDB_EV_RESEND && c->no_ack)
            ev->kind = GDB_EV_NONE;
    }

    switch (ev->kind) {
    case GDB_EV_PACKET:
        ev->ack = c->no_ack ? 0 : '+';
        ev->error = gdb_decode(c->rx.data, c->rx.len, &ev->req);
        if (ev->error == 0 && ev->req.cmd == GDB_CMD_NO_ACK_MODE)
            c->no_ack = true;
        break;
    case GDB_EV_BAD_PACKET:
        ev->ack = c->no_ack ? 0 : '-';
        break;
    default:
        break;
    }
    return i;
}

/* ---- Sending ------------------------------------------------------------------ */

static void out_raw(struct gdb_out *o, uint8_t b)
{
    if (o->len >= o->cap) {
        o->full = true;
        return;
    }
    o->buf[o->len++] = b;
}

static void out_byte(struct gdb_out *o, uint8_t b)
{
    if (b == GDB_CH_START || b == GDB_CH_END || b == GDB_CH_ESCAPE ||
        b == GDB_CH_RLE) {
        out_raw(o, GDB_CH_ESCAPE);
        o->sum = (uint8_t)(o->sum + GDB_CH_ESCAPE);
        b ^= GDB_ESCAPE_XOR;
    }
    out_raw(o, b);
    o->sum = (uint8_t)(o->sum + b);
}

void gdb_out_begin(struct gdb_out *o, uint8_t *buf, size_t cap)
{
    *o = (struct gdb_out){ .buf = buf, .cap = cap };
    out_raw(o, GDB_CH_START);
}

void gdb_out_bytes(struct gdb_out *o, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n && !o->full; i++)
        out_byte(o, b[i]);
}

void gdb_out_str(struct gdb_out *o, const char *s)
{
    gdb_out_bytes(o, s, strlen(s));
}

void gdb_out_hex(struct gdb_out *o, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n && !o->full; i++) {
        out_byte(o, (uint8_t)hex_digits[b[i] >> 4]);
        out_byte(o, (uint8_t)hex_digits[b[i] & 0xf]);
    }
}

void gdb_out_hex64(struct gdb_out *o, uint64_t v)
{
    int shift = 60;
    while (shift > 0 && (v >> shift) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        out_byte(o, (uint8_t)hex_digits[(v >> shift) & 0xf]);
}

int gdb_out_end(struct gdb_out *o)
{
    uint8_t sum = o->sum;
    out_raw(o, GDB_CH_END);
    out_raw(o, (uint8_t)hex_digits[sum >> 4]);
    out_raw(o, (uint8_t)hex_digits[sum & 0xf]);
    /* A reply over the packet size gdb was promised is as bad as one
     * over the buffer: gdb's reader would be right to drop it. */
    if (o->full || o->len > GDB_REPLY_MAX)
        return -ENOSPC;
    return (int)o->len;
}

static int reply_str(uint8_t *buf, size_t cap, const char *s)
{
    struct gdb_out o;
    gdb_out_begin(&o, buf, cap);
    gdb_out_str(&o, s);
    return gdb_out_end(&o);
}

int gdb_reply_ok(uint8_t *buf, size_t cap)
{
    return reply_str(buf, cap, "OK");
}

int gdb_reply_empty(uint8_t *buf, size_t cap)
{
    return reply_str(buf, cap, "");
}

int gdb_reply_error(uint8_t *buf, size_t cap, int err)
{
    struct gdb_out o;
    uint8_t nn = (uint8_t)(err < 0 ? -err : err);

    gdb_out_begin(&o, buf, cap);
    gdb_out_str(&o, "E");
    gdb_out_hex(&o, &nn, 1);
    return gdb_out_end(&o);
}
