/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Decoder sessions: creation, the datagram entry point, sequence-loss
 * accounting, data kept until its template arrives, and NetFlow v5.
 * v9 is in dec_v9.c, IPFIX in dec_ipfix.c, records in dec_rec.c, the
 * template cache in dec_tmpl.c.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/dec_int.h"
#include "lib/error.h"

#define V5_HDR_LEN 24
#define V5_REC_LEN 48
#define V5_MAX_COUNT 30
#define V9_HDR_LEN 20
#define IPFIX_HDR_LEN 16

void fsn_dec_limits_default(struct fsn_dec_limits *l)
{
    l->max_templates = 256;
    l->max_fields = 128;
    l->max_buffered_bytes = 65536;
    l->max_buffer_age_ms = 300000;
    l->reorder_window = 1024;
}

int fsn_dec_peek(const uint8_t *data, size_t len, uint8_t *version, uint32_t *domain)
{
    uint16_t v;

    if (len < 2)
        return FSN_E_TRUNC;
    v = fsn_load16(data);
    switch (v) {
    case FSN_DEC_V5:
        /* RFC-less Cisco format: engine_type and engine_id at offsets 20, 21. */
        if (len < V5_HDR_LEN)
            return FSN_E_TRUNC;
        *domain = (uint32_t)data[20] << 8 | data[21];
        break;
    case FSN_DEC_V9:
        /* RFC 3954 §5.1: Source ID at offset 16. */
        if (len < V9_HDR_LEN)
            return FSN_E_TRUNC;
        *domain = fsn_load32(data + 16);
        break;
    case FSN_DEC_IPFIX:
        /* RFC 7011 §3.1: Observation Domain ID at offset 12. */
        if (len < IPFIX_HDR_LEN)
            return FSN_E_TRUNC;
        *domain = fsn_load32(data + 12);
        break;
    default:
        return FSN_E_BADVER;
    }
    *version = (uint8_t)v;
    return 0;
}

/*
 * True when sets (v9 flowsets) of at least 4 bytes tile r, as the decoders
 * walk them; what is left must be empty, or with `pad` 1..3 zero bytes.
 */
static bool sets_tile(struct fsn_rd r, bool pad)
{
    while (fsn_rd_left(&r) >= 4) {
        uint16_t id = 0, len = 0;
        fsn_rd_u16(&r, &id);
        fsn_rd_u16(&r, &len);
        if (len < 4 || !fsn_rd_skip(&r, (size_t)len - 4))
            return false;
    }
    return pad ? fsn__all_zero(&r) : fsn_rd_left(&r) == 0;
}

int fsn_dec_check(const uint8_t *data, size_t len)
{
    uint8_t version;
    uint32_t domain;
    uint16_t n;
    int ret = fsn_dec_peek(data, len, &version, &domain);

    if (ret != 0)
        return ret;
    n = fsn_load16(data + 2);
    switch (version) {
    case FSN_DEC_V5:
        ret = n >= 1 && n <= V5_MAX_COUNT && len == V5_HDR_LEN + (size_t)V5_REC_LEN * n;
        break;
    case FSN_DEC_V9:
        /* RFC 3954 §5: flowsets to the end of the datagram (exporters pad with 1..3 zeros). */
        ret = sets_tile(fsn_rd_make(data + V9_HDR_LEN, len - V9_HDR_LEN), true);
        break;
    default:
        /* RFC 7011 §3.1, §3.3.1: sets to the message length, which the datagram must hold. */
        ret = n >= IPFIX_HDR_LEN && n <= len &&
              sets_tile(fsn_rd_make(data + IPFIX_HDR_LEN, (size_t)n - IPFIX_HDR_LEN), false);
        break;
    }
    return ret ? 0 : FSN_E_MALFORMED;
}

struct fsn_dec_session *fsn_dec_session_new(const struct fsn_dec_limits *lim,
                                            const struct fsn_addr *exporter, uint8_t version,
                                            uint32_t domain)
{
    struct fsn_dec_session *s;
    struct fsn_dec_limits def;

    if (version != FSN_DEC_V5 && version != FSN_DEC_V9 && version != FSN_DEC_IPFIX)
        return NULL;
    if (!(s = calloc(1, sizeof *s)))
        return NULL;
    fsn_dec_limits_default(&def);
    s->lim = lim ? *lim : def;
    if (!s->lim.max_templates)
        s->lim.max_templates = def.max_templates;
    if (!s->lim.max_fields)
        s->lim.max_fields = def.max_fields;
    if (s->lim.max_fields > 65535)
        s->lim.max_fields = 65535;
    if (!s->lim.max_buffer_age_ms)
        s->lim.max_buffer_age_ms = def.max_buffer_age_ms;
    if (!s->lim.reorder_window)
        s->lim.reorder_window = def.reorder_window;
    /* max_buffered_bytes == 0 is taken as given: buffering off. */
    if (!lim)
        s->lim.max_buffered_bytes = def.max_buffered_bytes;
    if (exporter)
        s->exporter = *exporter;
    s->version = version;
    s->domain = domain;
    return s;
}

static void pend_unlink_head(struct fsn_dec_session *s)
{
    struct fsn__dec_pending *p = s->pend_head;

    s->pend_head = p->next;
    if (!s->pend_head)
        s->pend_tail = NULL;
    s->pend_bytes -= sizeof *p + p->len;
    free(p);
}

void fsn_dec_session_free(struct fsn_dec_session *s)
{
    if (!s)
        return;
    while (s->pend_head)
        pend_unlink_head(s);
    fsn__tmpl_clear(s);
    free(s);
}

const struct fsn_dec_counters *fsn_dec_counters(const struct fsn_dec_session *s)
{
    return &s->c;
}

size_t fsn_dec_memory(const struct fsn_dec_session *s)
{
    return sizeof *s + s->tmpl_cap * sizeof *s->tmpl + s->tmpl_bytes + s->pend_bytes;
}

uint32_t fsn_dec_sampling(const struct fsn_dec_session *s)
{
    return s->sampling;
}

bool fsn_dec_seq_known(const struct fsn_dec_session *s)
{
    return s->seq_valid;
}

void fsn_dec_expire(struct fsn_dec_session *s, uint64_t now_ms)
{
    while (s->pend_head && now_ms > s->pend_head->recv_ms &&
           now_ms - s->pend_head->recv_ms > s->lim.max_buffer_age_ms) {
        pend_unlink_head(s);
        s->c.buffered_drops++;
    }
}

/*
 * Keeps a data set whose template has not arrived yet. The byte cap counts
 * the entry's bookkeeping too; to make room the oldest entries go first,
 * since the newest data is the likeliest to see its template soon.
 */
static void pend_add(struct fsn__dec_ctx *x, uint16_t set_id, struct fsn_rd body)
{
    struct fsn_dec_session *s = x->s;
    size_t len = fsn_rd_left(&body);
    size_t need = sizeof(struct fsn__dec_pending) + len;
    struct fsn__dec_pending *p;

    if (need > s->lim.max_buffered_bytes) {
        s->c.buffered_drops++;
        return;
    }
    while (s->pend_head && s->pend_bytes + need > s->lim.max_buffered_bytes) {
        pend_unlink_head(s);
        s->c.buffered_drops++;
    }
    if (!(p = malloc(need))) {
        s->c.buffered_drops++;
        x->err = FSN_E_NOMEM;
        return;
    }
    p->next = NULL;
    p->recv_ms = x->now_ms;
    p->hdr = x->hdr;
    p->set_id = set_id;
    p->len = (uint32_t)len;
    memcpy(p->data, body.p, len);
    if (s->pend_tail)
        s->pend_tail->next = p;
    else
        s->pend_head = p;
    s->pend_tail = p;
    s->pend_bytes += need;
    s->c.buffered_sets++;
}

void fsn__data_set(struct fsn__dec_ctx *x, uint16_t set_id, struct fsn_rd body)
{
    const struct fsn__dec_tmpl *t = fsn__tmpl_find(x->s, set_id);

    if (!t) {
        x->s->c.notmpl_sets++;
        x->count_unknown = true;
        pend_add(x, set_id, body);
        return;
    }
    x->nrecords += fsn__set_decode(x, t, body);
}

void fsn__pending_release(struct fsn__dec_ctx *x, uint16_t id)
{
    struct fsn_dec_session *s = x->s;
    struct fsn__dec_pending **pp = &s->pend_head, *prev = NULL;
    struct fsn__dec_hdr hdr = x->hdr;
    bool buffered = x->buffered;

    while (*pp) {
        struct fsn__dec_pending *p = *pp;
        const struct fsn__dec_tmpl *t;
        if (p->set_id != id) {
            prev = p;
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        if (s->pend_tail == p)
            s->pend_tail = prev;
        s->pend_bytes -= sizeof *p + p->len;
        /* The template was just stored; decode as of the datagram that carried the data. */
        if ((t = fsn__tmpl_find(s, id)) != NULL) {
            x->hdr = p->hdr;
            x->buffered = true;
            fsn__set_decode(x, t, fsn_rd_make(p->data, p->len));
        }
        free(p);
    }
    x->hdr = hdr;
    x->buffered = buffered;
}

/*
 * Sequence-loss accounting, wrap-safe modulo 2^32. `n` is what this
 * datagram adds to the sequence: its records (v5, IPFIX RFC 7011 §3.1) or
 * 1 (v9, RFC 3954 §5.1 counts export packets). W is the reorder window.
 *  - in order (seq == expected): nothing lost;
 *  - ahead by d <= W: d units lost; they stay "outstanding" (at most W
 *    of them) in case they arrive late;
 *  - behind, inside the gaps seen lately (at or after the start of the
 *    outstanding gaps, within W, ending before the expected number) and no
 *    bigger than what is outstanding: a late datagram; its units come off
 *    `lost`, the expected number stays;
 *  - ahead by more than W (a jump) or any other step back (a reset): the
 *    datagram leaves the line. The sequence follows it, but the number the
 *    line expected is kept, and the next datagram decides: if it follows
 *    the new line (in order, or ahead by at most W), the step was the
 *    exporter's and a jump's units count as lost now; if it follows the old
 *    line instead, the datagram that left it was no part of the exporter's
 *    sequence (a duplicate, a spoofed or corrupted number): `off_sequence`,
 *    nothing lost, and the old line goes on. So one stray datagram can
 *    neither add to `lost` nor, by moving the line, make the next genuine
 *    datagram look like a gap. A datagram that follows neither line leaves
 *    again (the unconfirmed line counts as off-sequence).
 * With the count unknown (IPFIX data without template) the next datagram
 * resynchronizes without counting.
 */
static void seq_update(struct fsn_dec_session *s, uint32_t seq, uint32_t n, bool n_known)
{
    uint32_t w = s->lim.reorder_window;
    uint32_t ahead = seq - s->seq_next;

    if (!s->seq_valid) {
        s->seq_left = false;
        goto follow;
    }
    if (s->seq_left) {
        uint32_t back = seq - s->seq_prev;
        /* An exact continuation of either line wins over a near one of the other. */
        if (ahead == 0 || (back != 0 && ahead <= w)) {
            s->c.lost += s->seq_held;
            s->seq_left = false;
        } else if (back <= w) {
            s->c.off_sequence++;
            s->seq_next = s->seq_prev;
            s->seq_left = false;
            ahead = seq - s->seq_next;
        }
    }
    if (ahead == 0) {
        /* In order. */
    } else if (ahead <= w) {
        uint64_t out = (uint64_t)s->seq_outstanding + ahead;
        if (s->seq_outstanding == 0)
            s->seq_gap_lo = s->seq_next;
        s->c.lost += ahead;
        s->seq_outstanding = out > w ? w : (uint32_t)out;
    } else {
        uint32_t lag = s->seq_next - seq;
        uint32_t span = s->seq_next - s->seq_gap_lo;
        uint32_t d;
        if (ahead >= 0x80000000u && n_known && lag <= w && lag <= span && n <= lag &&
            n <= s->seq_outstanding) {
            s->c.lost -= n;
            s->seq_outstanding -= n;
            s->c.reordered++;
            return;
        }
        /* Leave the line, remembering the last one a datagram followed. */
        if (s->seq_left)
            s->c.off_sequence++;
        else
            s->seq_prev = s->seq_next;
        d = seq - s->seq_prev;
        if (d < 0x80000000u) {
            s->c.seq_jumps++;
            s->seq_held = d;
        } else {
            s->c.seq_resets++;
            s->seq_held = 0;
        }
        s->seq_left = true;
        s->seq_outstanding = 0;
    }
follow:
    s->seq_valid = n_known;
    s->seq_next = seq + n;
}

/*
 * Reads the v5 flow record at p: 48 bytes, taken by the caller through a
 * checked sub-cursor of exactly that length, so the fixed offsets below
 * stay inside it (one check per record instead of one per field).
 */
static void v5_record(struct fsn__dec_ctx *x, const uint8_t *p, uint32_t sampling,
                      const struct fsn_dec_meta *m)
{
    struct fsn_flow f;
    uint32_t first = fsn_load32(p + 24), last = fsn_load32(p + 28);

    memset(&f, 0, sizeof f);
    f.key.family = FSN_FAMILY_IPV4;
    memcpy(f.key.src, p, 4);
    memcpy(f.key.dst, p + 4, 4);
    memcpy(f.nexthop, p + 8, 4);
    f.key.in_if = fsn_load16(p + 12);
    f.out_if = fsn_load16(p + 14);
    f.packets = (uint64_t)fsn_load32(p + 16) * sampling;
    f.octets = (uint64_t)fsn_load32(p + 20) * sampling;
    f.key.sport = fsn_load16(p + 32);
    f.key.dport = fsn_load16(p + 34);
    /* p[36] is padding. */
    f.tcp_flags = p[37];
    f.key.proto = p[38];
    f.key.tos = p[39];
    f.src_as = fsn_load16(p + 40);
    f.dst_as = fsn_load16(p + 42);
    f.src_mask = p[44];
    f.dst_mask = p[45];
    /* p[46..47] are padding. */
    f.sampling = sampling;
    f.first_ms = fsn__uptime_ms(&x->hdr, first);
    f.last_ms = fsn__uptime_ms(&x->hdr, last);
    if (f.first_ms > f.last_ms)
        f.first_ms = f.last_ms;

    x->s->c.records++;
    if (x->emit)
        x->emit(x->arg, &f, m);
}

/*
 * NetFlow v5 (Cisco's format; no RFC): a 24-byte header, then `count`
 * 48-byte records, 1 <= count <= 30. Anything else is malformed as a whole:
 * a v5 datagram has no inner structure to resynchronize on.
 */
static void v5_decode(struct fsn__dec_ctx *x, struct fsn_rd r, size_t len)
{
    uint16_t version = 0, count = 0, sampling = 0;
    uint32_t uptime = 0, secs = 0, nsecs = 0, seq = 0, interval;
    uint8_t engine_type = 0, engine_id = 0;
    struct fsn_dec_meta m;

    fsn_rd_u16(&r, &version);
    fsn_rd_u16(&r, &count);
    fsn_rd_u32(&r, &uptime);
    fsn_rd_u32(&r, &secs);
    fsn_rd_u32(&r, &nsecs);
    fsn_rd_u32(&r, &seq);
    fsn_rd_u8(&r, &engine_type);
    fsn_rd_u8(&r, &engine_id);
    fsn_rd_u16(&r, &sampling);
    if (count < 1 || count > V5_MAX_COUNT || len != V5_HDR_LEN + (size_t)V5_REC_LEN * count) {
        x->malformed = true;
        return;
    }
    x->hdr.uptime_ms = uptime;
    x->hdr.export_ms = (uint64_t)secs * 1000 + (nsecs < 1000000000u ? nsecs / 1000000 : 0);
    /* The top 2 bits are the sampling mode, the low 14 the interval; any interval > 1 applies. */
    interval = sampling & 0x3fff;
    if (interval < 1)
        interval = 1;
    memset(&m, 0, sizeof m);
    m.exporter = &x->s->exporter;
    m.domain = x->s->domain;
    m.version = FSN_DEC_V5;
    m.direction = FSN_DEC_FORWARD;
    m.export_ms = x->hdr.export_ms;
    for (uint16_t i = 0; i < count; i++) {
        struct fsn_rd rec;
        if (!fsn_rd_sub(&r, V5_REC_LEN, &rec)) {
            x->malformed = true; /* not reached: the length was checked against count */
            return;
        }
        v5_record(x, rec.p, interval, &m);
    }
    x->have_seq = true;
    x->seq = seq;
    x->nrecords = count;
}

int fsn_dec_datagram(struct fsn_dec_session *s, const uint8_t *data, size_t len, uint64_t now_ms,
                     fsn_dec_emit_fn emit, void *arg)
{
    struct fsn__dec_ctx x;
    uint8_t version;
    uint32_t domain;
    int ret = fsn_dec_peek(data, len, &version, &domain);

    if (ret == FSN_E_TRUNC && len >= 2 && fsn_load16(data) == s->version) {
        /* Our version, but too short to hold its header. */
        s->c.datagrams++;
        s->c.malformed++;
        return FSN_E_MALFORMED;
    }
    if (ret != 0 || version != s->version)
        return FSN_E_BADVER;
    if (domain != s->domain)
        return FSN_E_RANGE;
    s->c.datagrams++;
    fsn_dec_expire(s, now_ms);

    memset(&x, 0, sizeof x);
    x.s = s;
    x.hdr.version = version;
    x.now_ms = now_ms;
    x.emit = emit;
    x.arg = arg;
    switch (version) {
    case FSN_DEC_V5:
        v5_decode(&x, fsn_rd_make(data, len), len);
        break;
    case FSN_DEC_V9:
        fsn__v9_decode(&x, fsn_rd_make(data, len));
        x.nrecords = 1;
        x.count_unknown = false;
        break;
    default:
        fsn__ipfix_decode(&x, fsn_rd_make(data, len));
        if (x.malformed)
            x.count_unknown = true;
        break;
    }
    if (x.have_seq)
        seq_update(s, x.seq, x.nrecords, !x.count_unknown);
    if (x.malformed)
        s->c.malformed++;
    if (x.err)
        return x.err;
    return x.malformed ? FSN_E_MALFORMED : 0;
}
