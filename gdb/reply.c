/* Stop replies (GDB manual, "Stop Reply Packets") and the queries that
 * need nothing but the stub's own description. */
#include "gdb/gdb.h"
#include "common/common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The stop reasons' names in a T reply; a watchpoint's carries the address. */
static const struct {
    const char *name;
    bool has_addr;
} stop_reasons[] = {
    [GDB_STOP_SIGNAL]  = { NULL, false },
    [GDB_STOP_SWBREAK] = { "swbreak", false },
    [GDB_STOP_HWBREAK] = { "hwbreak", false },
    [GDB_STOP_WATCH]   = { "watch", true },
    [GDB_STOP_RWATCH]  = { "rwatch", true },
    [GDB_STOP_AWATCH]  = { "awatch", true },
};

int gdb_reply_stop(uint8_t *buf, size_t cap, const struct gdb_stop *s)
{
    struct gdb_out o;

    if ((size_t)s->why >= ARRAY_SIZE(stop_reasons))
        return -EINVAL;
    gdb_out_begin(&o, buf, cap);
    gdb_out_str(&o, "T");
    gdb_out_hex(&o, &s->signal, 1);
    if (s->thread > 0) {
        gdb_out_str(&o, "thread:");
        gdb_out_thread(&o, s->thread);
        gdb_out_str(&o, ";");
    }
    if (stop_reasons[s->why].name) {
        gdb_out_str(&o, stop_reasons[s->why].name);
        gdb_out_str(&o, ":");
        if (stop_reasons[s->why].has_addr)
            gdb_out_hex64(&o, s->addr);
        gdb_out_str(&o, ";");
    }
    return gdb_out_end(&o);
}

void gdb_out_thread(struct gdb_out *o, int64_t thread)
{
    gdb_out_str(o, "p");
    gdb_out_hex64(o, GDB_PID);
    gdb_out_str(o, ".");
    gdb_out_hex64(o, (uint64_t)thread);
}

/* "S05", and for the ends "W07;process:1" (which process: gdb then
 * names it "process 1"). */
static int reply_letter_byte(uint8_t *buf, size_t cap, const char *letter,
                             uint8_t v)
{
    struct gdb_out o;
    gdb_out_begin(&o, buf, cap);
    gdb_out_str(&o, letter);
    gdb_out_hex(&o, &v, 1);
    if (letter[0] != 'S') {
        gdb_out_str(&o, ";process:");
        gdb_out_hex64(&o, GDB_PID);
    }
    return gdb_out_end(&o);
}

int gdb_reply_signal(uint8_t *buf, size_t cap, uint8_t sig)
{
    return reply_letter_byte(buf, cap, "S", sig);
}

int gdb_reply_exited(uint8_t *buf, size_t cap, uint8_t status)
{
    return reply_letter_byte(buf, cap, "W", status);
}

int gdb_reply_killed(uint8_t *buf, size_t cap, uint8_t sig)
{
    return reply_letter_byte(buf, cap, "X", sig);
}

/* ---- Queries ------------------------------------------------------------- */

/* What the stub offers.  PacketSize is hex, like every number in the
 * protocol.  vContSupported+: gdb may trust the actions vCont? lists.
 * exec-file only when there is one: gdb takes an advertised read that
 * then answers empty as a protocol error. */
static int reply_supported(struct gdb_out *o, const struct gdb_target *t)
{
    char size[32];
    snprintf(size, sizeof size, "PacketSize=%x;", GDB_PACKET_MAX);
    gdb_out_str(o, size);
    gdb_out_str(o, "qXfer:features:read+;QStartNoAckMode+;"
                   "swbreak+;hwbreak+;vContSupported+;multiprocess+");
    if (t->exec_file)
        gdb_out_str(o, ";qXfer:exec-file:read+");
    return gdb_out_end(o);
}

/* A qXfer read of [offset, offset + len) of a document whose first
 * `have` bytes from offset are in chunk: 'm' when more follows, 'l' with
 * the last piece (or at or past the end). */
static int reply_window(struct gdb_out *o, const char *chunk, size_t have,
                        size_t total, uint64_t offset)
{
    gdb_out_str(o, offset + have < total ? "m" : "l");
    gdb_out_bytes(o, chunk, have);
    return gdb_out_end(o);
}

static size_t window_len(uint64_t offset, uint64_t want, size_t total)
{
    if (offset >= total)
        return 0;
    return total - offset < want ? (size_t)(total - offset) : (size_t)want;
}

static int reply_xfer_features(struct gdb_out *o, const struct gdb_target *t,
                               const struct gdb_request *req)
{
    char chunk[GDB_PACKET_MAX];
    size_t want = req->len < sizeof chunk ? (size_t)req->len : sizeof chunk;
    size_t total = gdb_target_xml(t, req->offset, chunk, want);

    return reply_window(o, chunk, window_len(req->offset, want, total),
                        total, req->offset);
}

static int reply_xfer_exec(struct gdb_out *o, const struct gdb_target *t,
                           const struct gdb_request *req)
{
    size_t total = strlen(t->exec_file);
    size_t n = window_len(req->offset, req->len, total);

    return reply_window(o, n ? t->exec_file + req->offset : "", n, total,
                        req->offset);
}

int gdb_answer_query(uint8_t *buf, size_t cap, const struct gdb_target *t,
                     const struct gdb_request *req)
{
    struct gdb_out o;

    gdb_out_begin(&o, buf, cap);
    switch (req->cmd) {
    case GDB_CMD_SUPPORTED:
        return reply_supported(&o, t);
    case GDB_CMD_XFER_FEATURES:
        return reply_xfer_features(&o, t, req);
    case GDB_CMD_XFER_EXEC_FILE:
        if (!t->exec_file)
            return gdb_out_end(&o);         /* not offered: empty */
        return reply_xfer_exec(&o, t, req);
    case GDB_CMD_NO_ACK_MODE:
        gdb_out_str(&o, "OK");
        return gdb_out_end(&o);
    case GDB_CMD_VCONT_QUERY:
        gdb_out_str(&o, "vCont;c;C;s;S");
        return gdb_out_end(&o);
    case GDB_CMD_ATTACHED:
        gdb_out_str(&o, "1");
        return gdb_out_end(&o);
    case GDB_CMD_OFFSETS:
        gdb_out_str(&o, "Text=0;Data=0;Bss=0");
        return gdb_out_end(&o);
    case GDB_CMD_UNKNOWN:
    case GDB_CMD_MUST_REPLY_EMPTY:
        return gdb_out_end(&o);
    default:
        return 0;
    }
}
