/* A packet -> struct gdb_request, through one table of the packets
 * kvmelf's stub knows (GDB manual, "Packets", "General Query Packets",
 * "Host I/O" not included).  Every number is parsed with overflow checks;
 * hex payloads are decoded in place, into the packet's own bytes. */
#include "gdb/gdb.h"
#include "gdb/internal.h"
#include "common/common.h"

#include <errno.h>
#include <string.h>

/* Bytes one qXfer reply carries at most: binary data may double when
 * escaped, and the reply also has its 'm'/'l'. */
#define GDB_XFER_MAX ((GDB_PACKET_MAX - 1) / 2)

struct cursor {
    uint8_t *p;
    uint8_t *end;
};

static bool at_end(const struct cursor *c)
{
    return c->p == c->end;
}

static int expect_end(const struct cursor *c)
{
    return at_end(c) ? 0 : -EINVAL;
}

static int expect(struct cursor *c, char ch)
{
    if (at_end(c) || *c->p != (uint8_t)ch)
        return -EINVAL;
    c->p++;
    return 0;
}

static bool skip_if(struct cursor *c, char ch)
{
    return expect(c, ch) == 0;
}

/* A hex number of at least one digit; -ERANGE past 64 bits. */
static int hex_u64(struct cursor *c, uint64_t *out)
{
    uint64_t v = 0;
    int d;
    const uint8_t *start = c->p;

    while (!at_end(c) && (d = gdb_hex_value(*c->p)) >= 0) {
        if (v >> 60)
            return -ERANGE;
        v = v << 4 | (uint64_t)d;
        c->p++;
    }
    if (c->p == start)
        return -EINVAL;
    *out = v;
    return 0;
}

static int plain_thread_id(struct cursor *c, int64_t *out);

/* "-1" (all), "0" (any) or a positive id; with the multiprocess
 * extensions "pPID.TID" or "pPID" (all its threads).  The PID is not
 * kept: there is one process (GDB_PID). */
static int thread_id(struct cursor *c, int64_t *out)
{
    int64_t pid;
    int rc;

    if (!skip_if(c, 'p'))
        return plain_thread_id(c, out);
    if ((rc = plain_thread_id(c, &pid)) < 0)
        return rc;
    if (!skip_if(c, '.')) {
        *out = GDB_THREAD_ALL;
        return 0;
    }
    return plain_thread_id(c, out);
}

static int plain_thread_id(struct cursor *c, int64_t *out)
{
    uint64_t v;
    int rc;

    if (skip_if(c, '-')) {
        if (expect(c, '1') < 0)
            return -EINVAL;
        *out = GDB_THREAD_ALL;
        return 0;
    }
    if ((rc = hex_u64(c, &v)) < 0)
        return rc;
    if (v > INT64_MAX)
        return -ERANGE;
    *out = (int64_t)v;
    return 0;
}

/* The rest of the packet as hex pairs, decoded in place. */
static int hex_payload(struct cursor *c, struct gdb_request *req)
{
    size_t n = (size_t)(c->end - c->p);
    uint8_t *dst = c->p;

    if (n % 2)
        return -EINVAL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = gdb_hex_value(c->p[2 * i]);
        int lo = gdb_hex_value(c->p[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        dst[i] = (uint8_t)(hi << 4 | lo);
    }
    req->data = dst;
    req->data_len = n / 2;
    c->p = c->end;
    return 0;
}

/* "addr,len": a range that must not wrap past 2^64. */
static int addr_len(struct cursor *c, struct gdb_request *req)
{
    uint64_t last;
    int rc;

    if ((rc = hex_u64(c, &req->addr)) < 0 || (rc = expect(c, ',')) < 0 ||
        (rc = hex_u64(c, &req->len)) < 0)
        return rc;
    if (req->len > 0 && __builtin_add_overflow(req->addr, req->len - 1, &last))
        return -ERANGE;
    return 0;
}

/* ---- One parser per packet; c is after the packet's name ---------------- */

typedef int (*parse_fn)(struct cursor *c, struct gdb_request *req);

static int parse_none(struct cursor *c, struct gdb_request *req)
{
    (void)req;
    return expect_end(c);
}

static int parse_hex_data(struct cursor *c, struct gdb_request *req)
{
    return hex_payload(c, req);
}

static int parse_read_reg(struct cursor *c, struct gdb_request *req)
{
    uint64_t n;
    int rc;

    if ((rc = hex_u64(c, &n)) < 0 || (rc = expect_end(c)) < 0)
        return rc;
    if (n >= GDB_REGS_AVX)
        return -ERANGE;
    req->regno = (unsigned)n;
    return 0;
}

static int parse_write_reg(struct cursor *c, struct gdb_request *req)
{
    uint64_t n;
    int rc;

    if ((rc = hex_u64(c, &n)) < 0 || (rc = expect(c, '=')) < 0)
        return rc;
    if (n >= GDB_REGS_AVX)
        return -ERANGE;
    req->regno = (unsigned)n;
    return hex_payload(c, req);
}

static int parse_read_mem(struct cursor *c, struct gdb_request *req)
{
    int rc = addr_len(c, req);
    if (rc < 0 || (rc = expect_end(c)) < 0)
        return rc;
    if (req->len > GDB_MEM_MAX)
        req->len = GDB_MEM_MAX;
    return 0;
}

static int parse_write_mem_hex(struct cursor *c, struct gdb_request *req)
{
    int rc = addr_len(c, req);
    if (rc < 0 || (rc = expect(c, ':')) < 0 || (rc = hex_payload(c, req)) < 0)
        return rc;
    return req->data_len == req->len ? 0 : -EINVAL;
}

/* X: the data is binary, already unescaped by the receiver. */
static int parse_write_mem_bin(struct cursor *c, struct gdb_request *req)
{
    int rc = addr_len(c, req);
    if (rc < 0 || (rc = expect(c, ':')) < 0)
        return rc;
    req->data = c->p;
    req->data_len = (size_t)(c->end - c->p);
    c->p = c->end;
    return req->data_len == req->len ? 0 : -EINVAL;
}

/* c and s: an optional address to resume at. */
static int parse_resume(struct cursor *c, struct gdb_request *req)
{
    int rc;

    if (at_end(c))
        return 0;
    req->has_addr = true;
    if ((rc = hex_u64(c, &req->addr)) < 0)
        return rc;
    return expect_end(c);
}

static int vcont_action(struct cursor *c, struct gdb_vcont_action *a)
{
    uint64_t sig;
    int rc;

    if (at_end(c))
        return -EINVAL;
    a->action = (char)*c->p++;
    a->thread = GDB_THREAD_ALL;
    if (a->action == 'C' || a->action == 'S') {
        if ((rc = hex_u64(c, &sig)) < 0)
            return rc;
        if (sig > UINT8_MAX)
            return -ERANGE;
        a->signal = (uint8_t)sig;
    } else if (a->action != 'c' && a->action != 's' && a->action != 't') {
        return -EINVAL;
    }
    if (skip_if(c, ':'))
        return thread_id(c, &a->thread);
    return 0;
}

/* vCont;action[:tid][;action[:tid]]... (c is after "vCont"). */
static int parse_vcont(struct cursor *c, struct gdb_request *req)
{
    int rc;

    if (at_end(c))
        return -EINVAL;
    while (!at_end(c)) {
        if ((rc = expect(c, ';')) < 0)
            return rc;
        if (req->n_actions == GDB_VCONT_MAX)
            return -E2BIG;
        if ((rc = vcont_action(c, &req->actions[req->n_actions++])) < 0)
            return rc;
    }
    return 0;
}

/* Z and z: type,addr,kind (no condition lists: not advertised). */
static int parse_point(struct cursor *c, struct gdb_request *req)
{
    if (at_end(c) || *c->p < '0' || *c->p > '4')
        return -EINVAL;
    req->point = (enum gdb_point)(*c->p++ - '0');
    int rc;
    if ((rc = expect(c, ',')) < 0 || (rc = hex_u64(c, &req->addr)) < 0 ||
        (rc = expect(c, ',')) < 0 || (rc = hex_u64(c, &req->kind)) < 0)
        return rc;
    return expect_end(c);
}

static int parse_set_thread(struct cursor *c, struct gdb_request *req)
{
    int rc;

    if (at_end(c) || (*c->p != 'g' && *c->p != 'c'))
        return -EINVAL;
    req->thread_op = (char)*c->p++;
    if ((rc = thread_id(c, &req->thread)) < 0)
        return rc;
    return expect_end(c);
}

static int parse_thread(struct cursor *c, struct gdb_request *req)
{
    int rc = thread_id(c, &req->thread);
    return rc < 0 ? rc : expect_end(c);
}

/* D, qAttached: an optional pid after a separator. */
static int parse_opt_pid(struct cursor *c, struct gdb_request *req, char sep)
{
    if (at_end(c))
        return 0;
    int rc = expect(c, sep);
    return rc < 0 ? rc : parse_thread(c, req);
}

static int parse_detach(struct cursor *c, struct gdb_request *req)
{
    return parse_opt_pid(c, req, ';');
}

static int parse_attached(struct cursor *c, struct gdb_request *req)
{
    return parse_opt_pid(c, req, ':');
}

static bool token_is(const uint8_t *p, size_t n, const char *name)
{
    return n == strlen(name) && memcmp(p, name, n) == 0;
}

/* qSupported[:gdbfeature[;gdbfeature]...]: only the features a stop
 * reply depends on are kept. */
static int parse_supported(struct cursor *c, struct gdb_request *req)
{
    if (at_end(c))
        return 0;
    int rc = expect(c, ':');
    if (rc < 0)
        return rc;
    while (!at_end(c)) {
        uint8_t *semi = memchr(c->p, ';', (size_t)(c->end - c->p));
        uint8_t *tok_end = semi ? semi : c->end;
        size_t n = (size_t)(tok_end - c->p);
        if (token_is(c->p, n, "swbreak+"))
            req->features |= GDB_FEATURE_SWBREAK;
        if (token_is(c->p, n, "hwbreak+"))
            req->features |= GDB_FEATURE_HWBREAK;
        c->p = semi ? semi + 1 : c->end;
    }
    return 0;
}

/* ":off,len" of a qXfer read, after its annex. */
static int xfer_window(struct cursor *c, struct gdb_request *req)
{
    int rc;

    if ((rc = expect(c, ':')) < 0 || (rc = hex_u64(c, &req->offset)) < 0 ||
        (rc = expect(c, ',')) < 0 || (rc = hex_u64(c, &req->len)) < 0 ||
        (rc = expect_end(c)) < 0)
        return rc;
    if (req->len > GDB_XFER_MAX)
        req->len = GDB_XFER_MAX;
    return 0;
}

/* The one document the stub describes itself with; another annex is
 * "not found" (a description that xi:includes files would need more). */
static int parse_xfer_features(struct cursor *c, struct gdb_request *req)
{
    static const char annex[] = "target.xml";
    size_t n = sizeof annex - 1;

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, annex, n) != 0)
        return -ENOENT;
    c->p += n;
    if (!at_end(c) && *c->p != ':')
        return -ENOENT;
    return xfer_window(c, req);
}

/* qXfer:exec-file:read:[pid]:off,len */
static int parse_xfer_exec(struct cursor *c, struct gdb_request *req)
{
    int rc;

    if (!at_end(c) && *c->p != ':' && (rc = thread_id(c, &req->thread)) < 0)
        return rc;
    return xfer_window(c, req);
}

/* ---- The table ---------------------------------------------------------------- */

enum match { MATCH_EXACT, MATCH_PREFIX };

struct packet_kind {
    const char *name;
    enum match match;
    enum gdb_cmd cmd;
    parse_fn parse;
};

/* First match wins; no prefix here is a prefix of a later name that
 * should win over it (test_gdb.c decodes every entry). */
static const struct packet_kind packets[] = {
    { "?",                      MATCH_EXACT,  GDB_CMD_HALT_REASON,   parse_none },
    { "g",                      MATCH_EXACT,  GDB_CMD_READ_REGS,     parse_none },
    { "G",                      MATCH_PREFIX, GDB_CMD_WRITE_REGS,    parse_hex_data },
    { "p",                      MATCH_PREFIX, GDB_CMD_READ_REG,      parse_read_reg },
    { "P",                      MATCH_PREFIX, GDB_CMD_WRITE_REG,     parse_write_reg },
    { "m",                      MATCH_PREFIX, GDB_CMD_READ_MEM,      parse_read_mem },
    { "M",                      MATCH_PREFIX, GDB_CMD_WRITE_MEM,     parse_write_mem_hex },
    { "X",                      MATCH_PREFIX, GDB_CMD_WRITE_MEM,     parse_write_mem_bin },
    { "c",                      MATCH_PREFIX, GDB_CMD_CONTINUE,      parse_resume },
    { "s",                      MATCH_PREFIX, GDB_CMD_STEP,          parse_resume },
    { "vCont?",                 MATCH_EXACT,  GDB_CMD_VCONT_QUERY,   parse_none },
    { "vCont",                  MATCH_PREFIX, GDB_CMD_VCONT,         parse_vcont },
    { "vMustReplyEmpty",        MATCH_EXACT,  GDB_CMD_MUST_REPLY_EMPTY, parse_none },
    { "Z",                      MATCH_PREFIX, GDB_CMD_INSERT_POINT,  parse_point },
    { "z",                      MATCH_PREFIX, GDB_CMD_REMOVE_POINT,  parse_point },
    { "k",                      MATCH_EXACT,  GDB_CMD_KILL,          parse_none },
    { "vKill",                  MATCH_PREFIX, GDB_CMD_VKILL,         parse_detach },
    { "D",                      MATCH_PREFIX, GDB_CMD_DETACH,        parse_detach },
    { "H",                      MATCH_PREFIX, GDB_CMD_SET_THREAD,    parse_set_thread },
    { "T",                      MATCH_PREFIX, GDB_CMD_THREAD_ALIVE,  parse_thread },
    { "qC",                     MATCH_EXACT,  GDB_CMD_CURRENT_THREAD, parse_none },
    { "qfThreadInfo",           MATCH_EXACT,  GDB_CMD_THREADS_FIRST, parse_none },
    { "qsThreadInfo",           MATCH_EXACT,  GDB_CMD_THREADS_NEXT,  parse_none },
    { "qAttached",              MATCH_PREFIX, GDB_CMD_ATTACHED,      parse_attached },
    { "qSupported",             MATCH_PREFIX, GDB_CMD_SUPPORTED,     parse_supported },
    { "qXfer:features:read:",   MATCH_PREFIX, GDB_CMD_XFER_FEATURES, parse_xfer_features },
    { "qXfer:exec-file:read:",  MATCH_PREFIX, GDB_CMD_XFER_EXEC_FILE, parse_xfer_exec },
    { "qOffsets",               MATCH_EXACT,  GDB_CMD_OFFSETS,       parse_none },
    { "QStartNoAckMode",        MATCH_EXACT,  GDB_CMD_NO_ACK_MODE,   parse_none },
};

static bool name_matches(const struct packet_kind *k, const uint8_t *pkt,
                         size_t len)
{
    size_t n = strlen(k->name);
    if (len < n || memcmp(pkt, k->name, n) != 0)
        return false;
    return k->match == MATCH_PREFIX || len == n;
}

int gdb_decode(uint8_t *pkt, size_t len, struct gdb_request *req)
{
    memset(req, 0, sizeof *req);
    for (size_t i = 0; i < ARRAY_SIZE(packets); i++) {
        const struct packet_kind *k = &packets[i];
        if (!name_matches(k, pkt, len))
            continue;
        struct cursor c = { pkt + strlen(k->name), pkt + len };
        req->cmd = k->cmd;
        return k->parse(&c, req);
    }
    req->cmd = GDB_CMD_UNKNOWN;
    return 0;
}
