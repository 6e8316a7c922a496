/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The encoders' entry points, the template refresh schedule, and the
 * packing of data records into sets shared by NetFlow v9 (RFC 3954) and
 * IPFIX (RFC 7011). The format specifics live in lib/enc_v5.c,
 * lib/enc_v9.c and lib/enc_ipfix.c.
 */
#include "lib/enc.h"

#include <string.h>

#include "lib/enc_int.h"
#include "lib/error.h"

/* IPFIX's Length field is 16 bits (RFC 7011 section 3.1); v9 has none, UDP caps both. */
#define MAX_DATAGRAM 65535u

void fsn_enc_init(struct fsn_enc *e, int version, uint32_t domain, uint32_t sampling,
                  uint64_t boot_ms)
{
    memset(e, 0, sizeof *e);
    e->version = version;
    e->domain = domain;
    e->sampling = sampling ? sampling : 1;
    e->routing = true;
    e->boot_ms = boot_ms;
    e->tmpl_refresh_pkts = 20;
    e->tmpl_refresh_ms = 60000;
}

bool fsn_enc_templates_due(const struct fsn_enc *e, uint64_t now_ms)
{
    if (e->version != FSN_FMT_V9 && e->version != FSN_FMT_IPFIX)
        return false;
    if (!e->tmpl_sent)
        return true;
    /* RFC 3954 section 9 and RFC 7011 section 8.4: over UDP, resend periodically. */
    if (e->tmpl_refresh_pkts && e->pkts_since_tmpl >= e->tmpl_refresh_pkts)
        return true;
    /* A clock that went backwards also resends: harmless, and the safe side. */
    if (e->tmpl_refresh_ms &&
        (now_ms < e->tmpl_sent_ms || now_ms - e->tmpl_sent_ms >= e->tmpl_refresh_ms))
        return true;
    return false;
}

void fsn__enc_sent(struct fsn_enc *e, bool with_templates, unsigned nrec, uint64_t now_ms)
{
    e->datagrams++;
    e->records += nrec;
    if (with_templates) {
        e->tmpl_sent = true;
        e->tmpl_sent_ms = now_ms;
        /* This datagram is the first of the next refresh period. */
        e->pkts_since_tmpl = 1;
    } else if (e->pkts_since_tmpl < UINT32_MAX) {
        e->pkts_since_tmpl++;
    }
}

uint64_t fsn__wire_count(const struct fsn_enc *e, uint64_t count)
{
    uint64_t n = e->sampling, v;

    if (n <= 1)
        return count;
    /* Nearest integer; a flow that saw something never reports nothing. */
    v = count / n + (count % n >= n - n / 2 ? 1 : 0);
    return v == 0 && count > 0 ? 1 : v;
}

size_t fsn__kind_len(uint8_t kind)
{
    switch (kind) {
    case FSN__K_OCTETS:
    case FSN__K_PACKETS:
    case FSN__K_FIRST_MS:
    case FSN__K_LAST_MS:
        return 8;
    case FSN__K_FIRST_UP:
    case FSN__K_LAST_UP:
    case FSN__K_SRC4:
    case FSN__K_DST4:
    case FSN__K_NH4:
    case FSN__K_IN_IF:
    case FSN__K_OUT_IF:
    case FSN__K_SRC_AS:
    case FSN__K_DST_AS:
        return 4;
    case FSN__K_SRC6:
    case FSN__K_DST6:
    case FSN__K_NH6:
        return 16;
    case FSN__K_SPORT:
    case FSN__K_DPORT:
    case FSN__K_ICMP:
    case FSN__K_VLAN:
    case FSN__K_FLAGS2:
        return 2;
    default:
        return 1;
    }
}

size_t fsn__tmpl_reclen(const struct fsn__tmpl *t)
{
    size_t len = 0;

    for (size_t i = 0; i < t->nfields; i++)
        len += fsn__kind_len(t->fields[i].kind);
    return len;
}

void fsn__put_tmpl(struct fsn_wr *w, const struct fsn__tmpl *t)
{
    fsn_wr_u16(w, t->id);
    fsn_wr_u16(w, t->nfields);
    for (size_t i = 0; i < t->nfields; i++) {
        fsn_wr_u16(w, t->fields[i].ie);
        fsn_wr_u16(w, (uint16_t)fsn__kind_len(t->fields[i].kind));
    }
}

static bool is_icmp(const struct fsn_flow *f)
{
    return f->key.proto == FSN_PROTO_ICMP || f->key.proto == FSN_PROTO_ICMPV6;
}

static void store64(uint8_t *p, uint64_t v)
{
    fsn_store32(p, (uint32_t)(v >> 32));
    fsn_store32(p + 4, (uint32_t)v);
}

/*
 * The space of the whole record is checked once, against the length that
 * its fields add up to (fsn__tmpl_reclen); the fields are then stored
 * without a check each, which is most of the cost of encoding.
 */
void fsn__put_record(struct fsn_wr *w, const struct fsn__tmpl *t, size_t reclen,
                     const struct fsn_enc *e, const struct fsn_flow *f)
{
    uint8_t *p = w->p;

    if (fsn_wr_left(w) < reclen) {
        w->overflow = true;
        return;
    }
    for (size_t i = 0; i < t->nfields; i++) {
        switch (t->fields[i].kind) {
        case FSN__K_OCTETS:
            store64(p, fsn__wire_count(e, f->octets));
            p += 8;
            break;
        case FSN__K_PACKETS:
            store64(p, fsn__wire_count(e, f->packets));
            p += 8;
            break;
        case FSN__K_FIRST_UP:
            fsn_store32(p, fsn__uptime(e, f->first_ms));
            p += 4;
            break;
        case FSN__K_LAST_UP:
            fsn_store32(p, fsn__uptime(e, f->last_ms));
            p += 4;
            break;
        case FSN__K_FIRST_MS:
            store64(p, f->first_ms);
            p += 8;
            break;
        case FSN__K_LAST_MS:
            store64(p, f->last_ms);
            p += 8;
            break;
        case FSN__K_SRC4:
            memcpy(p, f->key.src, 4);
            p += 4;
            break;
        case FSN__K_DST4:
            memcpy(p, f->key.dst, 4);
            p += 4;
            break;
        case FSN__K_NH4:
            memcpy(p, f->nexthop, 4);
            p += 4;
            break;
        case FSN__K_SRC6:
            memcpy(p, f->key.src, 16);
            p += 16;
            break;
        case FSN__K_DST6:
            memcpy(p, f->key.dst, 16);
            p += 16;
            break;
        case FSN__K_NH6:
            memcpy(p, f->nexthop, 16);
            p += 16;
            break;
        case FSN__K_IN_IF:
            fsn_store32(p, f->key.in_if);
            p += 4;
            break;
        case FSN__K_OUT_IF:
            fsn_store32(p, f->out_if);
            p += 4;
            break;
        case FSN__K_SRC_AS:
            fsn_store32(p, f->src_as);
            p += 4;
            break;
        case FSN__K_DST_AS:
            fsn_store32(p, f->dst_as);
            p += 4;
            break;
        case FSN__K_SPORT:
            fsn_store16(p, f->key.sport);
            p += 2;
            break;
        case FSN__K_DPORT:
            fsn_store16(p, f->key.dport);
            p += 2;
            break;
        case FSN__K_ICMP:
            /* The key already holds type << 8 | code in dport for ICMP (lib/flow.h). */
            fsn_store16(p, is_icmp(f) ? f->key.dport : 0);
            p += 2;
            break;
        case FSN__K_VLAN:
            fsn_store16(p, f->key.vlan);
            p += 2;
            break;
        case FSN__K_PROTO:
            *p++ = f->key.proto;
            break;
        case FSN__K_TOS:
            *p++ = f->key.tos;
            break;
        case FSN__K_FLAGS1:
            *p++ = f->tcp_flags;
            break;
        case FSN__K_FLAGS2:
            fsn_store16(p, f->tcp_flags);
            p += 2;
            break;
        case FSN__K_SRC_MASK:
            *p++ = f->src_mask;
            break;
        case FSN__K_DST_MASK:
            *p++ = f->dst_mask;
            break;
        case FSN__K_END_REASON:
            *p++ = f->end_reason;
            break;
        default:
            /* Unreachable: the templates are our own constant tables. */
            w->overflow = true;
            return;
        }
    }
    w->p = p;
}

static const struct fsn__tfmt *tfmt_of(int version)
{
    if (version == FSN_FMT_V9)
        return &fsn__v9;
    if (version == FSN_FMT_IPFIX)
        return &fsn__ipfix;
    return NULL;
}

/* Pads the set that starts at `set` to 4 bytes if the format wants it, then patches its length. */
static void close_set(const struct fsn__tfmt *fmt, struct fsn_wr *w, uint8_t *set)
{
    size_t len = (size_t)(w->p - set);

    if (fmt->pad4) {
        /* RFC 3954 section 5.3: padding to a 4-byte boundary, zeros. */
        static const uint8_t zeros[3];
        size_t pad = (4 - len % 4) % 4;
        fsn_wr_bytes(w, zeros, pad);
        len += pad;
    }
    fsn_store16(set + 2, (uint16_t)len);
}

/*
 * The template-based encoder (v9 and IPFIX): a header, the templates when
 * due, then data sets with as many records as fit, a new set whenever the
 * address family (and so the template) changes. RFC 3954 section 5 and
 * RFC 7011 section 3 give the message layout.
 */
static int enc_tmpl_datagram(struct fsn_enc *e, const struct fsn__tfmt *fmt,
                             const struct fsn_flow *flows, size_t n, uint64_t now_ms,
                             uint8_t *buf, size_t cap, size_t *len, size_t *consumed)
{
    struct fsn_wr w;
    const struct fsn__tmpl *cur = NULL, *sized = NULL;
    uint8_t *set = NULL;
    unsigned ntmpl = 0, nopt = 0, nrec = 0;
    size_t reclen = 0;
    bool due = fsn_enc_templates_due(e, now_ms);
    size_t i = 0;

    *len = 0;
    *consumed = 0;
    if (cap > MAX_DATAGRAM)
        cap = MAX_DATAGRAM;
    w = fsn_wr_make(buf, cap);
    if (fsn_wr_left(&w) < fmt->hdrlen)
        return FSN_E_SPACE;
    memset(buf, 0, fmt->hdrlen);
    w.p += fmt->hdrlen;
    if (due) {
        fmt->templates(&w, e, &ntmpl, &nopt);
        if (w.overflow)
            return FSN_E_SPACE;
    }

    for (; i < n; i++) {
        const struct fsn_flow *f = &flows[i];
        const struct fsn__tmpl *t = fsn__tmpl_of(fmt, e, f->key.family);
        size_t setlen, pad;

        if (!t) {
            /* Neither IPv4 nor IPv6: no template can carry it. */
            e->skipped++;
            continue;
        }
        if (t != sized) {
            reclen = fsn__tmpl_reclen(t);
            sized = t;
        }
        if (t != cur && set) {
            close_set(fmt, &w, set);
            set = NULL;
        }
        setlen = (set ? (size_t)(w.p - set) : 4) + reclen;
        pad = fmt->pad4 ? (4 - setlen % 4) % 4 : 0;
        if (fsn_wr_left(&w) < (set ? 0 : 4) + reclen + pad)
            break;
        if (!set) {
            /* Data set header: set id = template id (RFC 3954 5.3, RFC 7011 3.3.2). */
            set = w.p;
            cur = t;
            fsn_wr_u16(&w, t->id);
            fsn_wr_u16(&w, 0);
        }
        fsn__put_record(&w, t, reclen, e, f);
        nrec++;
    }
    if (set)
        close_set(fmt, &w, set);
    if (w.overflow)
        return FSN_E_SPACE; /* cannot happen: every write was checked above */

    if (nrec == 0 && i < n) {
        /*
         * Not even one record fits. Without templates the cap is simply too
         * small. With templates, send them alone and the records next time,
         * unless templates are due in every datagram: then nothing fits ever.
         */
        if (!due || e->tmpl_refresh_pkts == 1)
            return FSN_E_SPACE;
    }
    if (nrec == 0 && !due) {
        /* Nothing to send: no flows, or only flows the format cannot carry. */
        *consumed = i;
        return 0;
    }

    *len = fsn_wr_len(&w);
    *consumed = i;
    fmt->header(e, buf, *len, ntmpl + nopt + nrec, now_ms);
    e->seq = fmt->next_seq(e->seq, nrec, nopt);
    fsn__enc_sent(e, due, nrec, now_ms);
    return 0;
}

int fsn_enc_datagram(struct fsn_enc *e, const struct fsn_flow *flows, size_t n, uint64_t now_ms,
                     uint8_t *buf, size_t cap, size_t *len, size_t *consumed)
{
    const struct fsn__tfmt *fmt;

    if (e->version == FSN_FMT_V5)
        return fsn__enc_v5(e, flows, n, now_ms, buf, cap, len, consumed);
    fmt = tfmt_of(e->version);
    if (!fmt) {
        *len = 0;
        *consumed = 0;
        return FSN_E_BADVER;
    }
    return enc_tmpl_datagram(e, fmt, flows, n, now_ms, buf, cap, len, consumed);
}

int fsn_enc_templates(struct fsn_enc *e, uint64_t now_ms, uint8_t *buf, size_t cap, size_t *len)
{
    const struct fsn__tfmt *fmt;
    struct fsn_wr w;
    unsigned ntmpl = 0, nopt = 0;

    *len = 0;
    if (e->version == FSN_FMT_V5)
        return 0;
    fmt = tfmt_of(e->version);
    if (!fmt)
        return FSN_E_BADVER;
    if (cap > MAX_DATAGRAM)
        cap = MAX_DATAGRAM;
    w = fsn_wr_make(buf, cap);
    if (fsn_wr_left(&w) < fmt->hdrlen)
        return FSN_E_SPACE;
    memset(buf, 0, fmt->hdrlen);
    w.p += fmt->hdrlen;
    fmt->templates(&w, e, &ntmpl, &nopt);
    if (w.overflow)
        return FSN_E_SPACE;
    *len = fsn_wr_len(&w);
    fmt->header(e, buf, *len, ntmpl + nopt, now_ms);
    e->seq = fmt->next_seq(e->seq, 0, nopt);
    fsn__enc_sent(e, true, 0, now_ms);
    return 0;
}
