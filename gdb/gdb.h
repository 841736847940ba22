/*
 * The GDB remote serial protocol, without KVM and without sockets: framing
 * of packets in both directions, the decoding of a packet into a request,
 * the x86-64 register layout gdb expects for "i386:x86-64" with its target
 * description, and the replies a stub sends.  The transport (a TCP or Unix
 * socket, a pipe) and the target (vcpu/) belong to the caller; this module
 * only turns bytes into requests and answers into bytes.  It allocates
 * nothing: the receiver owns one fixed buffer, replies go into the
 * caller's buffer.
 *
 * A caller's loop (vcpu/ will be one):
 *
 *     struct gdb_conn c;  gdb_conn_init(&c);
 *     for each chunk read from the transport:
 *         while (chunk not used up) {
 *             n = gdb_conn_next(&c, p, left, &ev);  p += n; left -= n;
 *             send ev.ack if it is not 0;
 *             GDB_EV_PACKET:    answer ev.req (gdb_answer_query() does the
 *                               queries that need no target), send the reply
 *             GDB_EV_INTERRUPT: stop the guest, send a stop reply
 *             GDB_EV_RESEND:    send the last reply again
 *         }
 *
 * The Remote Protocol appendix of the GDB manual is the reference ("Packets",
 * "Stop Reply Packets", "General Query Packets", "Target Description Format").
 */
#ifndef KVMELF_GDB_H
#define KVMELF_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet either side sends, in bytes between '$' and '#':
 * advertised to gdb as PacketSize (in hex, as the protocol wants), and the
 * receiver's fixed buffer.  Reply buffers of GDB_REPLY_MAX always suffice
 * for the replies this module builds (a 'g' reply with AVX is 1208 bytes). */
#define GDB_PACKET_MAX 4096
#define GDB_REPLY_MAX  (GDB_PACKET_MAX + 4)     /* '$' data '#' two digits */

/* The most bytes one 'm' request reads: its hex reply fills a packet.  A
 * larger request is cut to this; gdb accepts a short read and asks again. */
#define GDB_MEM_MAX    (GDB_PACKET_MAX / 2)

/* ---- The receiver ---------------------------------------------------------- */

/* What gdb_conn_next() found.  ev.ack is the byte to send before anything
 * else ('+' good packet, '-' bad one), or 0 in no-ack mode or for events
 * that need none. */
enum gdb_event_kind {
    GDB_EV_NONE,        /* every byte consumed, no event yet */
    GDB_EV_PACKET,      /* a packet with a good checksum, decoded into ev.req */
    GDB_EV_BAD_PACKET,  /* checksum mismatch, a broken escape or RLE, or a
                           packet over GDB_PACKET_MAX: discarded (ack '-') */
    GDB_EV_INTERRUPT,   /* 0x03 between packets: gdb's Ctrl-C */
    GDB_EV_RESEND,      /* gdb sent '-' for our last reply: send it again */
};

enum gdb_rx_state { GDB_RX_IDLE, GDB_RX_DATA, GDB_RX_ESCAPE, GDB_RX_CSUM1,
                    GDB_RX_CSUM2 };

/* Incremental packet receiver.  Fields are private to gdb/. */
struct gdb_rx {
    enum gdb_rx_state state;
    uint8_t data[GDB_PACKET_MAX];   /* the packet, unescaped, RLE expanded */
    size_t len;
    size_t raw;                     /* bytes received between '$' and '#' */
    uint8_t sum;                    /* checksum of those bytes */
    uint8_t want;                   /* checksum the packet states */
    bool bad;                       /* oversized, or a broken escape/RLE */
    bool rle;                       /* the last byte was '*' */
};

/* ---- Requests ----------------------------------------------------------------- */

enum gdb_cmd {
    GDB_CMD_UNKNOWN,        /* reply empty: "not supported" */
    GDB_CMD_SUPPORTED,      /* qSupported[:features] */
    GDB_CMD_HALT_REASON,    /* ? */
    GDB_CMD_READ_REGS,      /* g */
    GDB_CMD_WRITE_REGS,     /* G hex: data, data_len */
    GDB_CMD_READ_REG,       /* p n: regno */
    GDB_CMD_WRITE_REG,      /* P n=hex: regno, data, data_len */
    GDB_CMD_READ_MEM,       /* m addr,len: len cut to GDB_MEM_MAX */
    GDB_CMD_WRITE_MEM,      /* M addr,len:hex and X addr,len:binary */
    GDB_CMD_CONTINUE,       /* c [addr] */
    GDB_CMD_STEP,           /* s [addr] */
    GDB_CMD_VCONT_QUERY,    /* vCont? */
    GDB_CMD_VCONT,          /* vCont;action[:tid]...: actions, n_actions */
    GDB_CMD_INSERT_POINT,   /* Z type,addr,kind */
    GDB_CMD_REMOVE_POINT,   /* z type,addr,kind */
    GDB_CMD_KILL,           /* k */
    GDB_CMD_VKILL,          /* vKill;pid (multiprocess): reply OK */
    GDB_CMD_DETACH,         /* D [;pid] */
    GDB_CMD_SET_THREAD,     /* Hg tid / Hc tid: thread_op, thread */
    GDB_CMD_THREAD_ALIVE,   /* T tid */
    GDB_CMD_CURRENT_THREAD, /* qC */
    GDB_CMD_THREADS_FIRST,  /* qfThreadInfo */
    GDB_CMD_THREADS_NEXT,   /* qsThreadInfo */
    GDB_CMD_ATTACHED,       /* qAttached[:pid] */
    GDB_CMD_XFER_FEATURES,  /* qXfer:features:read:target.xml:off,len */
    GDB_CMD_XFER_EXEC_FILE, /* qXfer:exec-file:read:[pid]:off,len */
    GDB_CMD_OFFSETS,        /* qOffsets */
    GDB_CMD_NO_ACK_MODE,    /* QStartNoAckMode */
    GDB_CMD_MUST_REPLY_EMPTY, /* vMustReplyEmpty: reply empty */
    GDB_CMD_COUNT
};

/* kvmelf's guest is one process (GDB_PID) of one thread; ids go out in
 * the multiprocess form "p1.1", which gdb then shows as "process 1". */
#define GDB_PID 1

/* A thread id as gdb writes it: -1 all threads, 0 any thread, else the id. */
#define GDB_THREAD_ALL (-1)
#define GDB_THREAD_ANY 0

/* Z/z types, as numbered in the protocol. */
enum gdb_point {
    GDB_POINT_SW = 0, GDB_POINT_HW = 1, GDB_POINT_WRITE = 2,
    GDB_POINT_READ = 3, GDB_POINT_ACCESS = 4,
};

#define GDB_VCONT_MAX 8     /* actions in one vCont; more is an error */

struct gdb_vcont_action {
    char action;            /* 'c', 's', 't', 'C' or 'S' */
    uint8_t signal;         /* for 'C' and 'S' */
    int64_t thread;         /* GDB_THREAD_ALL when the action names none */
};

/* gdb's own features, from qSupported (a stub may use a stop reason only
 * when gdb said it understands it). */
#define GDB_FEATURE_SWBREAK (1u << 0)
#define GDB_FEATURE_HWBREAK (1u << 1)

/* One decoded request.  data points into the receiver's buffer (hex is
 * decoded in place there) and is valid until the next gdb_conn_next(). */
struct gdb_request {
    enum gdb_cmd cmd;
    uint64_t addr;          /* m M X Z z, and c s when has_addr */
    uint64_t len;           /* m M X; qXfer's length */
    uint64_t offset;        /* qXfer */
    uint64_t kind;          /* Z z: breakpoint kind or watched length */
    enum gdb_point point;   /* Z z */
    bool has_addr;          /* c s */
    unsigned regno;         /* p P: gdb's register number (XML order) */
    char thread_op;         /* H: 'g' or 'c' */
    int64_t thread;         /* H T; D's pid (0 when absent) */
    unsigned features;      /* qSupported: GDB_FEATURE_* */
    const uint8_t *data;    /* G P M X: the bytes to write */
    size_t data_len;
    unsigned n_actions;     /* vCont */
    struct gdb_vcont_action actions[GDB_VCONT_MAX];
};

/* Decodes one packet (as gdb_conn_next() delivers it; the bytes may be
 * rewritten: hex payloads are decoded in place).  Returns 0 and *req, or
 * a negative errno for a packet that is recognised but malformed: -EINVAL
 * (bad hex, missing field, trailing bytes), -ERANGE (a number or an address
 * range that overflows 64 bits, or a register number out of range),
 * -E2BIG (more vCont actions than GDB_VCONT_MAX), -ENOENT (a qXfer of
 * features for another annex than target.xml).  An unrecognised packet
 * is not an error: req->cmd = GDB_CMD_UNKNOWN. */
int gdb_decode(uint8_t *pkt, size_t len, struct gdb_request *req);

/* ---- The connection ----------------------------------------------------------- */

struct gdb_conn {
    struct gdb_rx rx;
    bool no_ack;            /* after QStartNoAckMode: no '+'/'-' either way */
};

struct gdb_event {
    enum gdb_event_kind kind;
    char ack;               /* '+', '-' or 0: send before anything else */
    int error;              /* GDB_EV_PACKET: gdb_decode()'s result */
    struct gdb_request req; /* GDB_EV_PACKET with error 0 */
};

void gdb_conn_init(struct gdb_conn *c);

/* Consumes bytes of in[0..len) until one event (or the end of the input)
 * and returns how many it consumed; the caller calls again with the rest.
 * Bytes between packets other than '$', 0x03, '+' and '-' are ignored,
 * as is a '+' (gdb's ack of our reply).  A '$' inside a packet starts a
 * new packet (the first was cut short).  A good QStartNoAckMode packet is
 * still acked, then the connection is in no-ack mode. */
size_t gdb_conn_next(struct gdb_conn *c, const uint8_t *in, size_t len,
                     struct gdb_event *ev);

/* ---- Replies --------------------------------------------------------------- */

/* A reply being framed into the caller's buffer: '$', the escaped bytes,
 * '#' and the checksum.  Every writer escapes '$', '#', '}' and '*' (the
 * last starts run-length encoding in gdb's reader), so binary data is
 * safe.  A reply that does not fit marks the writer full; gdb_out_end()
 * then fails and nothing partial is sent. */
struct gdb_out {
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint8_t sum;
    bool full;
};

void gdb_out_begin(struct gdb_out *o, uint8_t *buf, size_t cap);
void gdb_out_bytes(struct gdb_out *o, const void *p, size_t n);
void gdb_out_str(struct gdb_out *o, const char *s);
void gdb_out_hex(struct gdb_out *o, const void *p, size_t n);  /* 2 digits a byte */
void gdb_out_hex64(struct gdb_out *o, uint64_t v);            /* "1f", no padding */
/* A thread id of GDB_PID: "p1.ID". */
void gdb_out_thread(struct gdb_out *o, int64_t thread);
/* Returns the length of the framed reply in o->buf, or -ENOSPC. */
int gdb_out_end(struct gdb_out *o);

/* The common short replies, each a whole framed packet into buf. */
int gdb_reply_ok(uint8_t *buf, size_t cap);                /* "OK" */
int gdb_reply_empty(uint8_t *buf, size_t cap);             /* "" */
/* "Enn" with nn the errno value (gdb shows it, never interprets it). */
int gdb_reply_error(uint8_t *buf, size_t cap, int err);

/* ---- Stop replies -------------------------------------------------------- */

/* gdb's own signal numbers (include/gdb/signals.def), which the protocol
 * uses.  They are not Linux's: gdb's SIGBUS is 10 (7 is SIGEMT). */
enum gdb_signal {
    GDB_SIGNAL_0 = 0, GDB_SIGNAL_INT = 2, GDB_SIGNAL_QUIT = 3,
    GDB_SIGNAL_ILL = 4, GDB_SIGNAL_TRAP = 5, GDB_SIGNAL_ABRT = 6,
    GDB_SIGNAL_EMT = 7, GDB_SIGNAL_FPE = 8, GDB_SIGNAL_KILL = 9,
    GDB_SIGNAL_BUS = 10, GDB_SIGNAL_SEGV = 11, GDB_SIGNAL_SYS = 12,
    GDB_SIGNAL_ALRM = 14, GDB_SIGNAL_TERM = 15,
};

enum gdb_stop_why {
    GDB_STOP_SIGNAL,        /* just the signal */
    GDB_STOP_SWBREAK,       /* "swbreak:": a software breakpoint (int3) */
    GDB_STOP_HWBREAK,       /* "hwbreak:": a hardware breakpoint */
    GDB_STOP_WATCH,         /* "watch:ADDR", write watchpoint */
    GDB_STOP_RWATCH,        /* "rwatch:ADDR" */
    GDB_STOP_AWATCH,        /* "awatch:ADDR" */
};

struct gdb_stop {
    uint8_t signal;         /* enum gdb_signal */
    enum gdb_stop_why why;
    uint64_t addr;          /* the watched address, for the watch reasons */
    int64_t thread;         /* > 0: add "thread:ID;" */
};

/* "T05thread:1;swbreak:;" and the like. */
int gdb_reply_stop(uint8_t *buf, size_t cap, const struct gdb_stop *s);
int gdb_reply_signal(uint8_t *buf, size_t cap, uint8_t sig);     /* "S05" */
int gdb_reply_exited(uint8_t *buf, size_t cap, uint8_t status);  /* "W00" */
int gdb_reply_killed(uint8_t *buf, size_t cap, uint8_t sig);     /* "X09" */

/* ---- x86-64 registers ------------------------------------------------------ */

/* The registers gdb's "i386:x86-64" target description names, as values.
 * Field order is not gdb's order (gdb puts rbp before rsp): the encoding
 * goes through one table (gdb/regs.c) that also writes the XML, so the
 * 'g' layout, the p/P numbers and the description cannot disagree. */
struct gdb_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip;
    uint32_t eflags;
    uint32_t cs, ss, ds, es, fs, gs;
    uint8_t st[8][10];                  /* x87 80-bit values, little-endian */
    uint32_t fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop;
    uint8_t xmm[16][16];
    uint32_t mxcsr;
    uint64_t fs_base, gs_base;
    uint8_t ymmh[16][16];               /* upper halves of ymm0-15 (AVX) */
};

/* gdb's numbers for some registers (the XML order), for callers and tests. */
enum gdb_regno {
    GDB_REG_RAX = 0, GDB_REG_RSP = 7, GDB_REG_RIP = 16, GDB_REG_EFLAGS = 17,
    GDB_REG_ST0 = 24, GDB_REG_FCTRL = 32, GDB_REG_XMM0 = 40,
    GDB_REG_MXCSR = 56, GDB_REG_FS_BASE = 57, GDB_REG_GS_BASE = 58,
    GDB_REG_YMM0H = 59,
    GDB_REGS_NO_AVX = 59,               /* register count without AVX */
    GDB_REGS_AVX = 75,                  /* and with */
};

/* The target: what the description and the register layout include. */
struct gdb_target {
    bool avx;                           /* describe and transfer ymm0h-15h */
    const char *exec_file;              /* served by qXfer:exec-file, or NULL */
};

unsigned gdb_reg_count(const struct gdb_target *t);

/* The 'g' reply: every register in number order, little-endian hex. */
int gdb_reply_regs(uint8_t *buf, size_t cap, const struct gdb_target *t,
                   const struct gdb_regs *r);
/* 'G': bytes (decoded hex) in the same layout into *r.  Returns 0, or
 * -EINVAL when n is not the exact size of the layout. */
int gdb_regs_from_bytes(struct gdb_regs *r, const struct gdb_target *t,
                        const uint8_t *bytes, size_t n);
/* 'p': one register by gdb's number; -ERANGE for a number past the last. */
int gdb_reply_reg(uint8_t *buf, size_t cap, const struct gdb_target *t,
                  const struct gdb_regs *r, unsigned regno);
/* 'P': -ERANGE for a bad number, -EINVAL when n is not its size. */
int gdb_reg_set(struct gdb_regs *r, const struct gdb_target *t,
                unsigned regno, const uint8_t *bytes, size_t n);

/* The register's name and size in bytes as the description has them
 * (NULL / 0 past the last). */
const char *gdb_reg_name(unsigned regno);
size_t gdb_reg_size(unsigned regno);

/* The target description, [offset, offset + cap) of it into out; returns
 * the description's full length (so a caller can see the end). */
size_t gdb_target_xml(const struct gdb_target *t, uint64_t offset,
                      char *out, size_t cap);

/* ---- Queries answered without the target ------------------------------- */

/* Builds the reply to a request that needs nothing but the description:
 * qSupported, qXfer:features:read and qXfer:exec-file:read (windowed: 'm'
 * more / 'l' last; exec-file only offered when t->exec_file is set),
 * QStartNoAckMode, vMustReplyEmpty, vCont?, qAttached ("1": kvmelf's
 * guest is never a process gdb started), qOffsets (a static image is
 * not relocated), and unknown packets (empty).  Returns the reply's
 * length, 0 when the request needs the target (registers, memory, run
 * control, threads), or -ENOSPC. */
int gdb_answer_query(uint8_t *buf, size_t cap, const struct gdb_target *t,
                     const struct gdb_request *req);

#endif
