/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v5. There is no RFC; the layout is Cisco's "NetFlow Export
 * Datagram Format" (NetFlow Services Solutions Guide), which RFC 3954
 * section 1 refers to as the fixed format that v9 replaced: a 24-byte
 * header and up to 30 records of 48 bytes, IPv4 only, 32-bit counters.
 */
#include <string.h>

#include "lib/enc_int.h"
#include "lib/error.h"

#define V5_HDRLEN 24
#define V5_RECLEN 48
#define V5_MAXREC 30
/* The sampling_interval field: 2 bits of mode, 14 bits of interval. */
#define V5_SAMPLING_MODE_PACKET (1u << 14)
#define V5_SAMPLING_MAX 0x3fffu
/* RFC 6793 section 9: AS_TRANS stands in for a 4-byte AS in a 2-byte field. */
#define AS_TRANS 23456u

static uint16_t clamp16(uint32_t v)
{
    return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

static uint16_t as16(uint32_t as)
{
    return as > UINT16_MAX ? (uint16_t)AS_TRANS : (uint16_t)as;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

/*
 * The next part of a flow whose wire counts may exceed 32 bits, given
 * what was sent already. With k = the records still needed for the larger
 * count, each part takes ceil(rest / k) of each count: every part fits in
 * 32 bits, the parts sum to the totals exactly, and as long as there are
 * at least k packets left each part carries at least one packet.
 */
static void next_part(uint64_t rp, uint64_t ro, uint32_t *p, uint32_t *o)
{
    uint64_t k = div_up(rp, UINT32_MAX);
    uint64_t ko = div_up(ro, UINT32_MAX);

    if (ko > k)
        k = ko;
    if (k == 0)
        k = 1;
    *p = (uint32_t)div_up(rp, k);
    *o = (uint32_t)div_up(ro, k);
}

static void put_record(struct fsn_wr *w, const struct fsn_enc *e, const struct fsn_flow *f,
                       uint32_t pkts, uint32_t octs)
{
    fsn_wr_bytes(w, f->key.src, 4);
    fsn_wr_bytes(w, f->key.dst, 4);
    fsn_wr_bytes(w, f->nexthop, 4);
    fsn_wr_u16(w, clamp16(f->key.in_if));
    fsn_wr_u16(w, clamp16(f->out_if));
    fsn_wr_u32(w, pkts);
    fsn_wr_u32(w, octs);
    fsn_wr_u32(w, fsn__uptime(e, f->first_ms));
    fsn_wr_u32(w, fsn__uptime(e, f->last_ms));
    fsn_wr_u16(w, f->key.sport);
    fsn_wr_u16(w, f->key.dport); /* ICMP: type << 8 | code, as the key holds it */
    fsn_wr_u8(w, 0);
    fsn_wr_u8(w, f->tcp_flags);
    fsn_wr_u8(w, f->key.proto);
    fsn_wr_u8(w, f->key.tos);
    fsn_wr_u16(w, as16(f->src_as));
    fsn_wr_u16(w, as16(f->dst_as));
    fsn_wr_u8(w, f->src_mask);
    fsn_wr_u8(w, f->dst_mask);
    fsn_wr_u16(w, 0);
}

int fsn__enc_v5(struct fsn_enc *e, const struct fsn_flow *flows, size_t n, uint64_t now_ms,
                uint8_t *buf, size_t cap, size_t *len, size_t *consumed)
{
    struct fsn_wr w;
    size_t room, i = 0;
    unsigned nrec = 0;
    uint64_t done_p = e->v5_done_packets, done_o = e->v5_done_octets;
    uint16_t sampling = 0;

    *len = 0;
    *consumed = 0;
    if (cap < V5_HDRLEN + V5_RECLEN)
        return FSN_E_SPACE;
    room = (cap - V5_HDRLEN) / V5_RECLEN;
    if (room > V5_MAXREC)
        room = V5_MAXREC;
    w = fsn_wr_make(buf, V5_HDRLEN + room * V5_RECLEN);
    w.p += V5_HDRLEN;

    while (i < n && nrec < room) {
        const struct fsn_flow *f = &flows[i];
        uint64_t tp, to;
        uint32_t p, o;

        if (f->key.family != FSN_FAMILY_IPV4) {
            /* v5 has 4-byte addresses only. */
            e->skipped++;
            i++;
            done_p = done_o = 0;
            continue;
        }
        tp = fsn__wire_count(e, f->packets);
        to = fsn__wire_count(e, f->octets);
        if (done_p > tp || done_o > to)
            done_p = done_o = 0; /* the caller passed another flow: start it afresh */
        next_part(tp - done_p, to - done_o, &p, &o);
        put_record(&w, e, f, p, o);
        nrec++;
        done_p += p;
        done_o += o;
        if (done_p == tp && done_o == to) {
            i++;
            done_p = done_o = 0;
        }
    }
    e->v5_done_packets = done_p;
    e->v5_done_octets = done_o;
    *consumed = i;
    if (nrec == 0)
        return 0; /* no flows, or only IPv6 ones: nothing to send */

    /* Header. */
    if (e->sampling > 1) {
        uint32_t s = e->sampling > V5_SAMPLING_MAX ? V5_SAMPLING_MAX : e->sampling;
        sampling = (uint16_t)(V5_SAMPLING_MODE_PACKET | s);
    }
    fsn_store16(buf, 5);
    fsn_store16(buf + 2, (uint16_t)nrec);
    fsn_store32(buf + 4, fsn__uptime(e, now_ms));
    fsn_store32(buf + 8, (uint32_t)(now_ms / 1000));
    fsn_store32(buf + 12, (uint32_t)(now_ms % 1000 * 1000000));
    /* flow_sequence: the flows (records) exported before this datagram. */
    fsn_store32(buf + 16, e->seq);
    buf[20] = 0;                     /* engine_type */
    buf[21] = (uint8_t)(e->domain & 0xff); /* engine_id */
    fsn_store16(buf + 22, sampling);
    *len = fsn_wr_len(&w);
    e->seq += nrec;
    fsn__enc_sent(e, false, nrec, now_ms);
    return 0;
}
