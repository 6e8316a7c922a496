/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/enc: NetFlow v5, v9 (RFC 3954) and IPFIX (RFC 7011).
 * Every datagram is read back by a small parser of this file's own, written
 * from the RFCs and the v5 layout (not by lib's decoders), and checked field
 * by field against values worked out by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/enc.h"
#include "lib/error.h"
#include "lib/flow.h"
#include "tests/tap.h"

#define M32 4294967295ULL

/* ---- a parser of our own ---------------------------------------------------------------- */

static uint64_t be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

struct ptmpl {
    bool known;
    bool options;
    unsigned nscope;   /* options templates: scope fields first */
    unsigned nf;
    uint16_t ie[32];
    uint16_t len[32];
};

struct prec {
    uint16_t tmpl;
    uint8_t family;
    uint8_t src[16], dst[16], nh[16];
    uint64_t pkts, octs;
    uint64_t first, last; /* sysUpTime ms (v5, v9) or Unix ms (IPFIX) */
    uint32_t in_if, out_if, src_as, dst_as;
    uint16_t sport, dport, icmp, vlan, flags;
    uint8_t proto, tos, smask, dmask, end_reason;
    unsigned icmp_ie;
};

/* A collector session: templates persist across datagrams. */
struct sess {
    struct ptmpl t[512];
};

struct pdg {
    bool ok;
    unsigned version, count, length;
    uint32_t uptime, secs, nsecs, seq, domain;
    unsigned engine_type, engine_id, sampling_field;
    unsigned ntmpl_rec;       /* template records (options templates included) */
    unsigned nopt_tmpl_rec;   /* options template records */
    unsigned ntmpl_sets;      /* template and options template sets */
    bool tmpl256, tmpl257;
    unsigned nopt_data;       /* options data records */
    uint64_t opt_scope, opt_34, opt_35, opt_305, opt_306;
    unsigned nrec;
    struct prec rec[64];
    size_t last_set_off;      /* offset of the last data set, its length and template */
    size_t last_set_len;
    uint16_t last_set_id;
    bool sets_aligned;        /* every set length a multiple of 4 */
};

static void parse_v5(const uint8_t *b, size_t len, struct pdg *d)
{
    d->count = (unsigned)be(b + 2, 2);
    d->uptime = (uint32_t)be(b + 4, 4);
    d->secs = (uint32_t)be(b + 8, 4);
    d->nsecs = (uint32_t)be(b + 12, 4);
    d->seq = (uint32_t)be(b + 16, 4);
    d->engine_type = b[20];
    d->engine_id = b[21];
    d->sampling_field = (unsigned)be(b + 22, 2);
    if (len != 24 + 48 * (size_t)d->count || d->count > 30 || d->count > 64)
        return;
    for (unsigned i = 0; i < d->count; i++) {
        const uint8_t *r = b + 24 + 48 * i;
        struct prec *p = &d->rec[d->nrec++];
        p->family = 4;
        memcpy(p->src, r, 4);
        memcpy(p->dst, r + 4, 4);
        memcpy(p->nh, r + 8, 4);
        p->in_if = (uint32_t)be(r + 12, 2);
        p->out_if = (uint32_t)be(r + 14, 2);
        p->pkts = be(r + 16, 4);
        p->octs = be(r + 20, 4);
        p->first = be(r + 24, 4);
        p->last = be(r + 28, 4);
        p->sport = (uint16_t)be(r + 32, 2);
        p->dport = (uint16_t)be(r + 34, 2);
        if (r[36] != 0 || r[46] != 0 || r[47] != 0)
            return; /* pad bytes must be zero */
        p->flags = r[37];
        p->proto = r[38];
        p->tos = r[39];
        p->src_as = (uint32_t)be(r + 40, 2);
        p->dst_as = (uint32_t)be(r + 42, 2);
        p->smask = r[44];
        p->dmask = r[45];
    }
    d->ok = true;
}

static void take_field(struct prec *p, uint16_t ie, const uint8_t *v, uint16_t len)
{
    uint64_t x = len <= 8 ? be(v, len) : 0;

    switch (ie) {
    case 1: p->octs = x; break;
    case 2: p->pkts = x; break;
    case 4: p->proto = (uint8_t)x; break;
    case 5: p->tos = (uint8_t)x; break;
    case 6: p->flags = (uint16_t)x; break;
    case 7: p->sport = (uint16_t)x; break;
    case 8: p->family = 4; memcpy(p->src, v, 4); break;
    case 9: case 29: p->smask = (uint8_t)x; break;
    case 10: p->in_if = (uint32_t)x; break;
    case 11: p->dport = (uint16_t)x; break;
    case 12: memcpy(p->dst, v, 4); break;
    case 13: case 30: p->dmask = (uint8_t)x; break;
    case 14: p->out_if = (uint32_t)x; break;
    case 15: memcpy(p->nh, v, 4); break;
    case 16: p->src_as = (uint32_t)x; break;
    case 17: p->dst_as = (uint32_t)x; break;
    case 21: case 153: p->last = x; break;
    case 22: case 152: p->first = x; break;
    case 27: p->family = 6; memcpy(p->src, v, 16); break;
    case 28: memcpy(p->dst, v, 16); break;
    case 62: memcpy(p->nh, v, 16); break;
    case 32: case 139: p->icmp = (uint16_t)x; p->icmp_ie = ie; break;
    case 58: p->vlan = (uint16_t)x; break;
    case 136: p->end_reason = (uint8_t)x; break;
    default: break;
    }
}

/* v9 (RFC 3954 sections 5, 6) and IPFIX (RFC 7011 section 3) share this walk over sets. */
static void parse_sets(struct sess *s, const uint8_t *b, size_t len, size_t off, struct pdg *d)
{
    bool ipfix = d->version == 10;
    uint16_t set_tmpl = ipfix ? 2 : 0, set_opt = ipfix ? 3 : 1;

    d->sets_aligned = true;
    while (off < len) {
        size_t sl, end, p;
        uint16_t id;

        if (len - off < 4)
            return;
        id = (uint16_t)be(b + off, 2);
        sl = be(b + off + 2, 2);
        if (sl < 4 || sl > len - off)
            return;
        if (sl % 4)
            d->sets_aligned = false;
        end = off + sl;
        p = off + 4;
        if (id == set_tmpl) {
            d->ntmpl_sets++;
            while (end - p >= 4) {
                uint16_t tid = (uint16_t)be(b + p, 2), nf = (uint16_t)be(b + p + 2, 2);
                struct ptmpl *t;
                if (tid < 256 || nf > 32 || end - p < 4 + 4 * (size_t)nf)
                    return;
                t = &s->t[tid];
                memset(t, 0, sizeof *t);
                t->known = true;
                t->nf = nf;
                for (unsigned i = 0; i < nf; i++) {
                    t->ie[i] = (uint16_t)be(b + p + 4 + 4 * i, 2);
                    t->len[i] = (uint16_t)be(b + p + 6 + 4 * i, 2);
                }
                d->tmpl256 |= tid == 256;
                d->tmpl257 |= tid == 257;
                d->ntmpl_rec++;
                p += 4 + 4 * (size_t)nf;
            }
        } else if (id == set_opt) {
            uint16_t tid = (uint16_t)be(b + p, 2);
            struct ptmpl *t = &s->t[tid];
            unsigned nscope, nf;
            d->ntmpl_sets++;
            if (ipfix) {
                /* RFC 7011 3.4.2.2: field count, scope field count, then specifiers. */
                nf = (unsigned)be(b + p + 2, 2);
                nscope = (unsigned)be(b + p + 4, 2);
            } else {
                /* RFC 3954 6.1: scope length and option length in bytes. */
                nscope = (unsigned)be(b + p + 2, 2) / 4;
                nf = nscope + (unsigned)be(b + p + 4, 2) / 4;
            }
            if (nf > 32 || end - p < 6 + 4 * (size_t)nf)
                return;
            memset(t, 0, sizeof *t);
            t->known = true;
            t->options = true;
            t->nscope = nscope;
            t->nf = nf;
            for (unsigned i = 0; i < nf; i++) {
                t->ie[i] = (uint16_t)be(b + p + 6 + 4 * i, 2);
                t->len[i] = (uint16_t)be(b + p + 8 + 4 * i, 2);
            }
            d->ntmpl_rec++;
            d->nopt_tmpl_rec++;
        } else if (id >= 256) {
            struct ptmpl *t = &s->t[id];
            size_t rl = 0;
            if (!t->known)
                return;
            for (unsigned i = 0; i < t->nf; i++)
                rl += t->len[i];
            if (!t->options) {
                d->last_set_off = off;
                d->last_set_len = sl;
                d->last_set_id = id;
            }
            /* Records while a whole one remains; the rest is padding (RFC 3954 5.3, 7011 3.3.1). */
            while (end - p >= rl) {
                if (t->options) {
                    size_t q = p;
                    for (unsigned i = 0; i < t->nf; i++) {
                        uint64_t x = be(b + q, t->len[i]);
                        if (i < t->nscope)
                            d->opt_scope = x;
                        else if (t->ie[i] == 34)
                            d->opt_34 = x;
                        else if (t->ie[i] == 35)
                            d->opt_35 = x;
                        else if (t->ie[i] == 305)
                            d->opt_305 = x;
                        else if (t->ie[i] == 306)
                            d->opt_306 = x;
                        q += t->len[i];
                    }
                    d->nopt_data++;
                } else {
                    struct prec *r;
                    size_t q = p;
                    if (d->nrec >= 64)
                        return;
                    r = &d->rec[d->nrec++];
                    memset(r, 0, sizeof *r);
                    r->tmpl = id;
                    for (unsigned i = 0; i < t->nf; i++) {
                        take_field(r, t->ie[i], b + q, t->len[i]);
                        q += t->len[i];
                    }
                }
                p += rl;
            }
            for (; p < end; p++)
                if (b[p] != 0)
                    return; /* padding must be zero */
        } else {
            return;
        }
        off = end;
    }
    d->ok = true;
}

static struct pdg parse(struct sess *s, const uint8_t *b, size_t len)
{
    struct pdg d;

    memset(&d, 0, sizeof d);
    if (len < 16)
        return d;
    d.version = (unsigned)be(b, 2);
    if (d.version == 5 && len >= 24) {
        parse_v5(b, len, &d);
    } else if (d.version == 9 && len >= 20) {
        d.count = (unsigned)be(b + 2, 2);
        d.uptime = (uint32_t)be(b + 4, 4);
        d.secs = (uint32_t)be(b + 8, 4);
        d.seq = (uint32_t)be(b + 12, 4);
        d.domain = (uint32_t)be(b + 16, 4);
        parse_sets(s, b, len, 20, &d);
    } else if (d.version == 10) {
        d.length = (unsigned)be(b + 2, 2);
        d.secs = (uint32_t)be(b + 4, 4);
        d.seq = (uint32_t)be(b + 8, 4);
        d.domain = (uint32_t)be(b + 12, 4);
        if (d.length == len)
            parse_sets(s, b, len, 16, &d);
    }
    return d;
}

/* ---- flows ------------------------------------------------------------------------------- */

#define BOOT 1699990000500ULL /* not on a whole second */
#define NOW 1700000000250ULL

static struct fsn_flow flow4(uint8_t last_octet, uint8_t proto, uint64_t pkts, uint64_t octs)
{
    struct fsn_flow f;

    memset(&f, 0, sizeof f);
    f.key.family = FSN_FAMILY_IPV4;
    f.key.src[0] = 10, f.key.src[1] = 1, f.key.src[2] = 2, f.key.src[3] = last_octet;
    f.key.dst[0] = 192, f.key.dst[1] = 0, f.key.dst[2] = 2, f.key.dst[3] = 7;
    f.nexthop[0] = 10, f.nexthop[3] = 254;
    f.key.proto = proto;
    if (proto == FSN_PROTO_ICMP) {
        f.key.dport = 3 << 8 | 1; /* host unreachable */
    } else {
        f.key.sport = 40000;
        f.key.dport = 443;
    }
    f.key.tos = 0x28;
    f.key.vlan = 42;
    f.key.in_if = 70000; /* beyond v5's 16 bits */
    f.out_if = 3;
    f.src_as = 4200000001u; /* 4-byte AS */
    f.dst_as = 64512;
    f.packets = pkts;
    f.octets = octs;
    f.first_ms = NOW - 30123;
    f.last_ms = NOW - 1007;
    f.sampling = 1;
    f.tcp_flags = proto == FSN_PROTO_TCP ? 0x1b : 0;
    f.src_mask = 16;
    f.dst_mask = 24;
    f.end_reason = FSN_END_IDLE;
    return f;
}

static struct fsn_flow flow6(uint8_t last_octet, uint8_t proto, uint64_t pkts, uint64_t octs)
{
    struct fsn_flow f = flow4(last_octet, proto, pkts, octs);
    static const uint8_t s[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    memset(f.key.src, 0, 16);
    memset(f.key.dst, 0, 16);
    memset(f.nexthop, 0, 16);
    f.key.family = FSN_FAMILY_IPV6;
    memcpy(f.key.src, s, 16);
    f.key.src[15] = last_octet;
    memcpy(f.key.dst, s, 16);
    f.key.dst[5] = 1;
    f.key.dst[15] = 9;
    f.nexthop[0] = 0xfe, f.nexthop[1] = 0x80, f.nexthop[15] = 1;
    if (proto == FSN_PROTO_ICMPV6) {
        f.key.sport = 0;
        f.key.dport = 128 << 8; /* echo request */
    }
    f.src_mask = 48;
    f.dst_mask = 64;
    f.end_reason = FSN_END_EOF;
    return f;
}

/* ---- NetFlow v5 -------------------------------------------------------------------------- */

static void test_v5_fields(void)
{
    struct fsn_enc e;
    struct fsn_flow fl[3] = {flow4(1, FSN_PROTO_TCP, 10, 5000), flow4(2, FSN_PROTO_UDP, 1, 76),
                             flow4(3, FSN_PROTO_ICMP, 2, 112)};
    uint8_t buf[1500];
    size_t len, used;
    struct sess s;
    struct pdg d;
    const struct prec *r;

    fsn_enc_init(&e, FSN_FMT_V5, 0x1234, 1, BOOT);
    is_int(fsn_enc_datagram(&e, fl, 3, NOW, buf, sizeof buf, &len, &used), 0, "v5: encodes");
    is_uint(len, 24 + 3 * 48, "v5: 24-byte header + 3 records of 48");
    is_uint(used, 3, "v5: all 3 flows consumed");
    d = parse(&s, buf, len);
    ok(d.ok, "v5: parses");
    is_uint(d.version, 5, "v5: version");
    is_uint(d.count, 3, "v5: count");
    is_uint(d.uptime, 10000000 - 250, "v5: sysUptime = now - boot");
    is_uint(d.secs, 1700000000, "v5: unix_secs");
    is_uint(d.nsecs, 250000000, "v5: unix_nsecs carries the ms");
    is_uint(d.seq, 0, "v5: first flow_sequence is 0");
    is_uint(d.engine_type, 0, "v5: engine_type 0");
    is_uint(d.engine_id, 0x34, "v5: engine_id = low byte of the domain");
    is_uint(d.sampling_field, 0, "v5: no sampling announced");
    r = &d.rec[0];
    ok(memcmp(r->src, "\x0a\x01\x02\x01", 4) == 0 && memcmp(r->dst, "\xc0\x00\x02\x07", 4) == 0,
       "v5: addresses");
    ok(memcmp(r->nh, "\x0a\x00\x00\xfe", 4) == 0, "v5: nexthop");
    is_uint(r->in_if, 65535, "v5: input clamps to 16 bits");
    is_uint(r->out_if, 3, "v5: output");
    is_uint(r->pkts, 10, "v5: dPkts");
    is_uint(r->octs, 5000, "v5: dOctets");
    is_uint(r->first, 10000000 - 250 - 30123, "v5: first = sysUptime at the first packet");
    is_uint(r->last, 10000000 - 250 - 1007, "v5: last = sysUptime at the last packet");
    is_uint(r->sport, 40000, "v5: srcport");
    is_uint(r->dport, 443, "v5: dstport");
    is_uint(r->flags, 0x1b, "v5: tcp_flags");
    is_uint(r->proto, 6, "v5: prot");
    is_uint(r->tos, 0x28, "v5: tos");
    is_uint(r->src_as, 23456, "v5: 4-byte src_as becomes AS_TRANS");
    is_uint(r->dst_as, 64512, "v5: dst_as");
    is_uint(r->smask, 16, "v5: src_mask");
    is_uint(r->dmask, 24, "v5: dst_mask");
    is_uint(d.rec[2].sport, 0, "v5: ICMP srcport 0");
    is_uint(d.rec[2].dport, 0x0301, "v5: ICMP type.code in dstport");
    is_uint(e.seq, 3, "v5: next flow_sequence = 3");
    is_uint(e.records, 3, "v5: 3 records counted");
    is_uint(e.datagrams, 1, "v5: 1 datagram counted");
    ok(!fsn_enc_templates_due(&e, NOW), "v5: never any templates");
    is_int(fsn_enc_templates(&e, NOW, buf, sizeof buf, &len), 0, "v5: templates call succeeds");
    is_uint(len, 0, "v5: ... with nothing to send");
}

static void test_v5_sequence_and_ipv6(void)
{
    struct fsn_enc e;
    struct fsn_flow fl[7] = {flow4(1, 6, 1, 40), flow6(2, 6, 1, 60), flow4(3, 6, 1, 40),
                             flow4(4, 6, 1, 40), flow6(5, 6, 1, 60), flow4(6, 6, 1, 40),
                             flow4(7, 6, 1, 40)};
    uint8_t buf[1500];
    size_t len, used, done = 0;
    unsigned k = 0;
    uint32_t want_seq[] = {0, 2, 4}, want_count[] = {2, 2, 1};
    struct sess s;

    fsn_enc_init(&e, FSN_FMT_V5, 1, 1, BOOT);
    /* Room for two records (24 + 2 * 48 = 120) */
    while (done < 7 && k < 5) {
        struct pdg d;
        is_int(fsn_enc_datagram(&e, fl + done, 7 - done, NOW + k, buf, 130, &len, &used), 0,
               "v5 seq: datagram %u encodes", k);
        d = parse(&s, buf, len);
        ok(d.ok && k < 3, "v5 seq: datagram %u parses", k);
        if (k < 3) {
            is_uint(d.seq, want_seq[k], "v5 seq: datagram %u flow_sequence = flows before it", k);
            is_uint(d.count, want_count[k], "v5 seq: datagram %u count", k);
        }
        done += used;
        k++;
    }
    is_uint(k, 3, "v5 seq: 3 datagrams for 5 IPv4 flows, 2 per datagram");
    is_uint(e.skipped, 2, "v5 seq: both IPv6 flows skipped and counted");
    is_uint(e.records, 5, "v5 seq: 5 records");

    /* Only IPv6: nothing to send, everything consumed. */
    fsn_enc_init(&e, FSN_FMT_V5, 1, 1, BOOT);
    is_int(fsn_enc_datagram(&e, fl + 1, 1, NOW, buf, sizeof buf, &len, &used), 0,
           "v5: an IPv6 flow alone");
    ok(len == 0 && used == 1 && e.skipped == 1 && e.datagrams == 0 && e.seq == 0,
       "v5: ... is skipped, no datagram, sequence unchanged");
    is_int(fsn_enc_datagram(&e, fl, 1, NOW, buf, 71, &len, &used), FSN_E_SPACE,
           "v5: cap 71 cannot hold a header and a record");

    /* Never more than 30 records, however large the cap. */
    {
        struct fsn_flow many[40];
        uint8_t big[4000];
        for (unsigned i = 0; i < 40; i++)
            many[i] = flow4((uint8_t)i, 6, 1, 40);
        fsn_enc_init(&e, FSN_FMT_V5, 1, 1, BOOT);
        fsn_enc_datagram(&e, many, 40, NOW, big, sizeof big, &len, &used);
        ok(len == 24 + 30 * 48 && used == 30 && be(big + 2, 2) == 30,
           "v5: at most 30 records in a datagram");
    }
}

/* Encodes flows until consumed with the given cap, summing what the parser reads back. */
struct sums {
    uint64_t pkts, octs, recs, dgrams;
    bool all_ok, min_one_pkt, fits32;
};

static struct sums v5_drain(struct fsn_enc *e, const struct fsn_flow *fl, size_t n, size_t cap)
{
    struct sums t = {0, 0, 0, 0, true, true, true};
    uint8_t buf[1500];
    size_t done = 0, len, used;
    struct sess s;

    for (unsigned k = 0; done < n && k < 10000; k++) {
        struct pdg d;
        if (fsn_enc_datagram(e, fl + done, n - done, NOW, buf, cap, &len, &used) != 0) {
            t.all_ok = false;
            break;
        }
        d = parse(&s, buf, len);
        if (len && (!d.ok || len > cap || d.seq != (uint32_t)(e->seq - d.count)))
            t.all_ok = false;
        for (unsigned i = 0; i < d.nrec; i++) {
            t.pkts += d.rec[i].pkts;
            t.octs += d.rec[i].octs;
            t.min_one_pkt &= d.rec[i].pkts >= 1;
        }
        t.recs += d.nrec;
        t.dgrams += len > 0;
        done += used;
    }
    t.all_ok &= done == n;
    return t;
}

static void test_v5_split(void)
{
    struct fsn_enc e;
    /* 3 * 2^32 + 5 packets, 10^13 octets: octets need ceil(10^13 / (2^32 - 1)) = 2329 records. */
    struct fsn_flow fl[3] = {flow4(1, 6, 7, 700), flow4(2, 6, 3 * (M32 + 1) + 5, 10000000000000ULL),
                             flow4(3, 6, 9, 900)};
    struct fsn_flow odd = flow4(4, 17, 3, 5 * (M32 + 1));
    struct sums t;

    fsn_enc_init(&e, FSN_FMT_V5, 1, 1, BOOT);
    t = v5_drain(&e, fl, 3, 24 + 7 * 48);
    ok(t.all_ok, "v5 split: every datagram parses, sequence = records before it");
    is_uint(t.recs, 1 + 2329 + 1, "v5 split: 2329 records for the big flow, 1 each for the others");
    is_uint(t.pkts, 7 + 3 * (M32 + 1) + 5 + 9, "v5 split: packets sum exactly");
    is_uint(t.octs, 700 + 10000000000000ULL + 900, "v5 split: octets sum exactly");
    ok(t.min_one_pkt, "v5 split: every record carries at least one packet");
    is_uint(t.dgrams, (2331 + 6) / 7, "v5 split: records packed 7 per datagram");
    is_uint(e.seq, 2331, "v5 split: sequence counts records");
    ok(e.v5_done_packets == 0 && e.v5_done_octets == 0, "v5 split: no progress left over");

    /* More records needed for octets than there are packets: totals still exact. */
    fsn_enc_init(&e, FSN_FMT_V5, 1, 1, BOOT);
    t = v5_drain(&e, &odd, 1, 1500);
    ok(t.all_ok && t.recs == 6 && t.pkts == 3 && t.octs == 5 * (M32 + 1),
       "v5 split: 3 packets over 6 records sum exactly");
}

static void test_v5_sampling(void)
{
    struct fsn_enc e;
    struct fsn_flow f = flow4(1, 6, 1000, 64000);
    uint8_t buf[200];
    size_t len, used;
    struct sess s;
    struct pdg d;

    f.sampling = 100;
    fsn_enc_init(&e, FSN_FMT_V5, 1, 100, BOOT);
    fsn_enc_datagram(&e, &f, 1, NOW, buf, sizeof buf, &len, &used);
    d = parse(&s, buf, len);
    is_uint(d.sampling_field, 0x4000 | 100, "v5 sampling: mode 01 and interval 100");
    ok(d.rec[0].pkts == 10 && d.rec[0].octs == 640,
       "v5 sampling: counts as sampled (collectors multiply by 100)");
    fsn_enc_init(&e, FSN_FMT_V5, 1, 20000, BOOT);
    fsn_enc_datagram(&e, &f, 1, NOW, buf, sizeof buf, &len, &used);
    d = parse(&s, buf, len);
    is_uint(d.sampling_field, 0x4000 | 0x3fff, "v5 sampling: interval clamps to 14 bits");
}

/* ---- v9 and IPFIX ------------------------------------------------------------------------ */

struct fspec {
    uint16_t ie, len;
};

/* The templates as specified (RFC 3954 section 8; RFC 7012 / IANA for IPFIX), in our order. */
static const struct fspec v9_256[] = {{1, 8}, {2, 8}, {22, 4}, {21, 4}, {8, 4}, {12, 4}, {15, 4},
                                      {10, 4}, {14, 4}, {16, 4}, {17, 4}, {7, 2}, {11, 2}, {32, 2},
                                      {58, 2}, {4, 1}, {5, 1}, {6, 1}, {9, 1}, {13, 1}};
static const struct fspec v9_257[] = {{1, 8}, {2, 8}, {22, 4}, {21, 4}, {27, 16}, {28, 16},
                                      {62, 16}, {10, 4}, {14, 4}, {16, 4}, {17, 4}, {7, 2},
                                      {11, 2}, {32, 2}, {58, 2}, {4, 1}, {5, 1}, {6, 1}, {29, 1},
                                      {30, 1}};
static const struct fspec ipfix_256[] = {{1, 8}, {2, 8}, {152, 8}, {153, 8}, {8, 4}, {12, 4},
                                         {15, 4}, {10, 4}, {14, 4}, {16, 4}, {17, 4}, {7, 2},
                                         {11, 2}, {32, 2}, {58, 2}, {6, 2}, {4, 1}, {5, 1},
                                         {9, 1}, {13, 1}, {136, 1}};
static const struct fspec ipfix_257[] = {{1, 8}, {2, 8}, {152, 8}, {153, 8}, {27, 16}, {28, 16},
                                         {62, 16}, {10, 4}, {14, 4}, {16, 4}, {17, 4}, {7, 2},
                                         {11, 2}, {139, 2}, {58, 2}, {6, 2}, {4, 1}, {5, 1},
                                         {29, 1}, {30, 1}, {136, 1}};

static bool tmpl_is(const struct ptmpl *t, const struct fspec *f, size_t n)
{
    if (!t->known || t->options || t->nf != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (t->ie[i] != f[i].ie || t->len[i] != f[i].len)
            return false;
    return true;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static size_t reclen(const struct fspec *f, size_t n)
{
    size_t l = 0;
    for (size_t i = 0; i < n; i++)
        l += f[i].len;
    return l;
}

static void test_tmpl_fields(int fmt)
{
    const char *name = fmt == FSN_FMT_V9 ? "v9" : "ipfix";
    bool v9 = fmt == FSN_FMT_V9;
    struct fsn_enc e;
    struct fsn_flow fl[3] = {flow4(1, FSN_PROTO_TCP, 10, 5000), flow6(2, FSN_PROTO_ICMPV6, 4, 416),
                             flow4(3, FSN_PROTO_ICMP, 2, 112)};
    uint8_t buf[1500];
    size_t len, used;
    struct sess s;
    struct pdg d;
    const struct prec *r;

    memset(&s, 0, sizeof s);
    fsn_enc_init(&e, fmt, 0x01020304, 1, BOOT);
    is_int(fsn_enc_datagram(&e, fl, 3, NOW, buf, sizeof buf, &len, &used), 0, "%s: encodes", name);
    is_uint(used, 3, "%s: 3 flows consumed", name);
    d = parse(&s, buf, len);
    ok(d.ok, "%s: parses", name);
    is_uint(d.version, v9 ? 9 : 10, "%s: version", name);
    is_uint(d.domain, 0x01020304, "%s: source id / observation domain", name);
    is_uint(d.seq, 0, "%s: first sequence number 0", name);
    ok(d.tmpl256 && d.tmpl257 && d.ntmpl_sets == 1, "%s: one template set with 256 and 257", name);
    ok(tmpl_is(&s.t[256], v9 ? v9_256 : ipfix_256, v9 ? N_OF(v9_256) : N_OF(ipfix_256)),
       "%s: template 256 has the specified fields", name);
    ok(tmpl_is(&s.t[257], v9 ? v9_257 : ipfix_257, v9 ? N_OF(v9_257) : N_OF(ipfix_257)),
       "%s: template 257 has the specified fields", name);
    is_uint(d.nopt_tmpl_rec + d.nopt_data, 0, "%s: no sampling options when unsampled", name);
    is_uint(d.nrec, 3, "%s: 3 data records", name);
    if (v9) {
        is_uint(d.count, 2 + 3, "v9: count = 2 template records + 3 data records");
        /* The export time is whole seconds; sysUpTime is taken at that second. */
        is_uint(d.secs, 1700000000, "v9: unix_secs");
        is_uint(d.uptime, 1700000000000ULL - BOOT, "v9: sysUpTime at unix_secs");
        ok(d.sets_aligned, "v9: every FlowSet padded to 4 bytes");
    } else {
        is_uint(d.length, len, "ipfix: length = message length");
        is_uint(d.secs, 1700000000, "ipfix: export time");
    }
    r = &d.rec[0];
    is_uint(r->tmpl, 256, "%s: IPv4 flow in template 256", name);
    ok(memcmp(r->src, "\x0a\x01\x02\x01", 4) == 0 && memcmp(r->dst, "\xc0\x00\x02\x07", 4) == 0 &&
           memcmp(r->nh, "\x0a\x00\x00\xfe", 4) == 0,
       "%s: IPv4 addresses and next hop", name);
    ok(r->pkts == 10 && r->octs == 5000, "%s: counts", name);
    ok(r->in_if == 70000 && r->out_if == 3, "%s: 4-byte interfaces", name);
    ok(r->src_as == 4200000001u && r->dst_as == 64512, "%s: 4-byte AS numbers", name);
    ok(r->sport == 40000 && r->dport == 443 && r->icmp == 0, "%s: ports, no ICMP type", name);
    ok(r->proto == 6 && r->tos == 0x28 && r->flags == 0x1b && r->vlan == 42, "%s: proto tos flags vlan",
       name);
    ok(r->smask == 16 && r->dmask == 24, "%s: masks", name);
    if (v9) {
        /* A collector's reconstruction: boot = secs * 1000 - sysUpTime, then + FIRST_SWITCHED. */
        uint64_t boot = (uint64_t)d.secs * 1000 - d.uptime;
        is_uint(boot + r->first, NOW - 30123, "v9: FIRST_SWITCHED gives the first time to the ms");
        is_uint(boot + r->last, NOW - 1007, "v9: LAST_SWITCHED gives the last time to the ms");
    } else {
        is_uint(r->first, NOW - 30123, "ipfix: flowStartMilliseconds absolute");
        is_uint(r->last, NOW - 1007, "ipfix: flowEndMilliseconds absolute");
        is_uint(r->end_reason, FSN_END_IDLE, "ipfix: flowEndReason");
    }
    r = &d.rec[1];
    is_uint(r->tmpl, 257, "%s: IPv6 flow in template 257", name);
    ok(r->family == 6 && r->src[0] == 0x20 && r->src[15] == 2 && r->dst[5] == 1 &&
           r->dst[15] == 9 && r->nh[0] == 0xfe && r->nh[15] == 1,
       "%s: IPv6 addresses and next hop", name);
    ok(r->smask == 48 && r->dmask == 64, "%s: IPv6 prefix lengths", name);
    ok(r->icmp == (128 << 8) && r->dport == (128 << 8) && r->sport == 0,
       "%s: ICMPv6 type * 256 + code, also in dport", name);
    is_uint(r->icmp_ie, v9 ? 32 : 139, "%s: ICMPv6 type/code element", name);
    r = &d.rec[2];
    ok(r->icmp == 0x0301 && r->icmp_ie == 32, "%s: ICMP type * 256 + code in element 32", name);
}

/* Sequence numbers and template refresh over many datagrams. */
static void test_tmpl_sequence(int fmt, uint32_t sampling)
{
    const char *name = fmt == FSN_FMT_V9 ? "v9" : "ipfix";
    bool v9 = fmt == FSN_FMT_V9;
    struct fsn_enc e;
    struct fsn_flow fl[40];
    uint8_t buf[1500];
    size_t len, used, done = 0;
    uint64_t data_before = 0, now = NOW;
    unsigned k, with_tmpl = 0, bad_seq = 0, bad_tmpl = 0, bad_count = 0, bad_opt = 0;
    struct sess s;

    memset(&s, 0, sizeof s);
    for (unsigned i = 0; i < 40; i++)
        fl[i] = i % 3 ? flow4((uint8_t)i, 17, 10, 1000) : flow6((uint8_t)i, 6, 10, 1000);
    fsn_enc_init(&e, fmt, 77, sampling, BOOT);
    e.tmpl_refresh_pkts = 3;
    e.tmpl_refresh_ms = 0; /* by count only here */
    /* Three records a datagram: cap = room for templates + 3 IPv6 records. */
    for (k = 0; done < 40 && k < 100; k++) {
        bool due = fsn_enc_templates_due(&e, now);
        struct pdg d;
        size_t cap = sizeof buf;
        fsn_enc_datagram(&e, fl + done, 3 < 40 - done ? 3 : 40 - done, now, buf, cap, &len, &used);
        d = parse(&s, buf, len);
        if (!d.ok)
            break;
        /* v9 counts packets (RFC 3954 5.1); IPFIX counts data records before this message (RFC 7011 3.1). */
        if (d.seq != (v9 ? k : data_before))
            bad_seq++;
        if ((k % 3 == 0) != (d.ntmpl_sets > 0) || due != (d.ntmpl_sets > 0))
            bad_tmpl++;
        if (v9 && d.count != d.ntmpl_rec + d.nopt_data + d.nrec)
            bad_count++;
        if (d.ntmpl_sets && ((sampling > 1) != (d.nopt_tmpl_rec == 1 && d.nopt_data == 1)))
            bad_opt++;
        if (d.ntmpl_sets == 0 && d.nopt_data)
            bad_opt++;
        with_tmpl += d.ntmpl_sets > 0;
        data_before += d.nrec + d.nopt_data;
        done += used;
        now += 10;
    }
    is_uint(done, 40, "%s S=%u: all flows sent", name, sampling);
    is_uint(k, 14, "%s S=%u: 14 datagrams of up to 3 records", name, sampling);
    is_uint(bad_seq, 0, "%s S=%u: sequence numbers as the RFC counts them", name, sampling);
    is_uint(bad_tmpl, 0, "%s S=%u: templates in datagrams 0, 3, 6, ... and only when due", name,
            sampling);
    is_uint(with_tmpl, 5, "%s S=%u: 5 datagrams carry templates", name, sampling);
    is_uint(bad_count, 0, "%s S=%u: v9 count = template + options + data records", name, sampling);
    is_uint(bad_opt, 0, "%s S=%u: options template and record with the templates iff sampled", name,
            sampling);
    is_uint(e.records, 40, "%s S=%u: 40 data records counted", name, sampling);

    /* A templates-only datagram, e.g. for an idle exporter. */
    {
        uint32_t seq0 = e.seq;
        struct pdg d;
        is_int(fsn_enc_templates(&e, now, buf, sizeof buf, &len), 0, "%s S=%u: templates only",
               name, sampling);
        d = parse(&s, buf, len);
        ok(d.ok && d.tmpl256 && d.tmpl257 && d.nrec == 0, "%s S=%u: ... 256 and 257, no data",
           name, sampling);
        is_uint(d.seq, seq0, "%s S=%u: ... with the next sequence number", name, sampling);
        is_uint(e.seq - seq0, v9 ? 1 : (sampling > 1 ? 1 : 0),
                "%s S=%u: ... which then moves by 1 packet (v9) / options records (IPFIX)", name,
                sampling);
        if (v9)
            is_uint(d.count, sampling > 1 ? 4 : 2, "v9 S=%u: ... count", sampling);
        if (sampling > 1) {
            ok(d.opt_scope == 77 && d.opt_34 == sampling && d.opt_35 == 1 && d.opt_305 == 1 &&
                   d.opt_306 == sampling - 1,
               "%s S=%u: options record: scope = domain, interval N, algorithm 1, 1 in N", name,
               sampling);
            is_uint(s.t[258].nscope, 1, "%s S=%u: one scope field", name, sampling);
            is_uint(s.t[258].ie[0], v9 ? 1 : 149, "%s S=%u: scope System / observationDomainId",
                    name, sampling);
        }
        ok(!fsn_enc_templates_due(&e, now), "%s S=%u: not due right after", name, sampling);
    }
}

static void test_tmpl_refresh_time(int fmt)
{
    const char *name = fmt == FSN_FMT_V9 ? "v9" : "ipfix";
    struct fsn_enc e;
    struct fsn_flow f = flow4(1, 6, 1, 40);
    uint8_t buf[1500];
    size_t len, used;
    struct sess s;
    struct pdg d;

    fsn_enc_init(&e, fmt, 1, 1, BOOT);
    is_uint(e.tmpl_refresh_pkts, 20, "%s: default refresh every 20 datagrams", name);
    is_uint(e.tmpl_refresh_ms, 60000, "%s: ... or 60 s", name);
    ok(fsn_enc_templates_due(&e, NOW), "%s: due before the first datagram", name);
    fsn_enc_datagram(&e, &f, 1, NOW, buf, sizeof buf, &len, &used);
    ok(!fsn_enc_templates_due(&e, NOW + 59999), "%s: not due at 59.999 s", name);
    fsn_enc_datagram(&e, &f, 1, NOW + 59999, buf, sizeof buf, &len, &used);
    d = parse(&s, buf, len);
    is_uint(d.ntmpl_sets, 0, "%s: no templates at 59.999 s", name);
    ok(fsn_enc_templates_due(&e, NOW + 60000), "%s: due at 60 s", name);
    fsn_enc_datagram(&e, &f, 1, NOW + 60000, buf, sizeof buf, &len, &used);
    d = parse(&s, buf, len);
    is_uint(d.ntmpl_sets, 1, "%s: templates again at 60 s", name);
    ok(fsn_enc_templates_due(&e, NOW + 1000), "%s: due when the clock went backwards", name);
}

/* Caps: none exceeded, as many records as fit, and the smallest cap that works as computed. */
static void test_caps(int fmt, uint32_t sampling)
{
    const char *name = fmt == FSN_FMT_V5 ? "v5" : fmt == FSN_FMT_V9 ? "v9" : "ipfix";
    bool v9 = fmt == FSN_FMT_V9;
    struct fsn_flow fl[25];
    uint8_t buf[1500];
    size_t min_cap, first_ok = 0, fails_above = 0, over = 0, loose = 0, bad = 0;
    uint64_t want_p = 0, want_o = 0;
    size_t r4, r6;

    for (unsigned i = 0; i < 25; i++) {
        uint64_t p = (i + 1) * sampling, o = (i + 1) * 100 * (uint64_t)sampling;
        fl[i] = i % 4 == 1 || i % 4 == 2 ? flow6((uint8_t)i, 17, p, o) : flow4((uint8_t)i, 6, p, o);
        if (i == 20)
            fl[i] = flow4(20, 6, 6 * (M32 + 1) * sampling, 7 * (M32 + 1) * sampling);
        if (fmt != FSN_FMT_V5 || fl[i].key.family == FSN_FAMILY_IPV4) {
            want_p += fl[i].packets / sampling;
            want_o += fl[i].octets / sampling;
        }
    }
    /*
     * Smallest datagram that makes progress: v5 a header and a record; v9 and
     * IPFIX the header and the templates (sent alone when no record fits too).
     * v9: 20 + template FlowSet 4 + 2 * (4 + 20 * 4) = 192, and with sampling
     * the options template FlowSet 4 + 6 + 5 * 4 = 30 -> 32 padded plus the
     * options data FlowSet 4 + 17 = 21 -> 24. IPFIX: 16 + 4 + 2 * (4 + 21 * 4)
     * = 196, plus 30 + 21 with sampling.
     */
    if (fmt == FSN_FMT_V5)
        min_cap = 24 + 48;
    else if (v9)
        min_cap = sampling > 1 ? 192 + 32 + 24 : 192;
    else
        min_cap = sampling > 1 ? 196 + 30 + 21 : 196;
    r4 = v9 ? reclen(v9_256, N_OF(v9_256)) : reclen(ipfix_256, N_OF(ipfix_256));
    r6 = v9 ? reclen(v9_257, N_OF(v9_257)) : reclen(ipfix_257, N_OF(ipfix_257));

    for (size_t cap = 20; cap <= 1500; cap++) {
        struct fsn_enc e;
        struct sess s;
        size_t done = 0, len, used;
        uint64_t p = 0, o = 0;
        int ret = 0;

        memset(&s, 0, sizeof s);
        fsn_enc_init(&e, fmt, 5, sampling, BOOT);
        for (unsigned k = 0; done < 25 && k < 5000; k++) {
            struct pdg d;
            ret = fsn_enc_datagram(&e, fl + done, 25 - done, NOW + k, buf, cap, &len, &used);
            if (ret)
                break;
            d = parse(&s, buf, len);
            if (len > cap)
                over++;
            if (!d.ok)
                bad++;
            for (unsigned i = 0; i < d.nrec; i++)
                p += d.rec[i].pkts, o += d.rec[i].octs;
            done += used;
            /* Could the next flow's record have fit? Then the packing was loose. */
            if (done < 25 && len > 0) {
                const struct fsn_flow *nx = &fl[done];
                if (fmt == FSN_FMT_V5) {
                    if (d.count < 30 && len + 48 <= cap)
                        loose++;
                } else if (d.nrec > 0) {
                    size_t rl = nx->key.family == FSN_FAMILY_IPV4 ? r4 : r6;
                    uint16_t tid = nx->key.family == FSN_FAMILY_IPV4 ? 256 : 257;
                    size_t need, setlen;
                    if (tid == d.last_set_id) {
                        size_t unpadded = 4 + (d.last_set_len - 4) / rl * rl;
                        setlen = unpadded + rl;
                        need = d.last_set_off + setlen;
                    } else {
                        setlen = 4 + rl;
                        need = len + setlen;
                    }
                    if (v9)
                        need += (4 - setlen % 4) % 4;
                    if (need <= cap)
                        loose++;
                }
            }
        }
        if (ret == FSN_E_SPACE && first_ok == 0)
            continue;
        if (first_ok == 0)
            first_ok = cap;
        if (ret != 0 || done != 25 || p != want_p || o != want_o)
            fails_above++;
    }
    is_uint(first_ok, min_cap, "%s S=%u: smallest working cap is %zu", name, sampling, min_cap);
    is_uint(fails_above, 0, "%s S=%u: every cap from there to 1500 sends all, totals exact", name,
            sampling);
    is_uint(over, 0, "%s S=%u: no datagram exceeds its cap", name, sampling);
    is_uint(bad, 0, "%s S=%u: every datagram parses", name, sampling);
    is_uint(loose, 0, "%s S=%u: every datagram holds as many records as fit", name, sampling);
}

static void test_tmpl_edges(int fmt)
{
    const char *name = fmt == FSN_FMT_V9 ? "v9" : "ipfix";
    struct fsn_enc e;
    struct fsn_flow f = flow6(1, 6, 1, 60);
    uint8_t buf[1500];
    size_t len, used, tmpl_len = fmt == FSN_FMT_V9 ? 192 : 196;
    struct sess s;
    struct pdg d;

    memset(&s, 0, sizeof s);
    /* Templates fit, templates + record do not: templates go alone, the record next. */
    fsn_enc_init(&e, fmt, 1, 1, BOOT);
    is_int(fsn_enc_datagram(&e, &f, 1, NOW, buf, tmpl_len + 20, &len, &used), 0,
           "%s: small cap: templates alone", name);
    d = parse(&s, buf, len);
    ok(d.ok && used == 0 && d.ntmpl_sets == 1 && d.nrec == 0, "%s: ... no record, none consumed",
       name);
    is_int(fsn_enc_datagram(&e, &f, 1, NOW, buf, tmpl_len + 20, &len, &used), 0,
           "%s: ... then the record", name);
    d = parse(&s, buf, len);
    ok(d.ok && used == 1 && d.ntmpl_sets == 0 && d.nrec == 1, "%s: ... alone", name);
    /* When every datagram must carry templates, such a cap can never carry a record. */
    fsn_enc_init(&e, fmt, 1, 1, BOOT);
    e.tmpl_refresh_pkts = 1;
    is_int(fsn_enc_datagram(&e, &f, 1, NOW, buf, tmpl_len + 20, &len, &used), FSN_E_SPACE,
           "%s: templates in every datagram and no room for a record: SPACE", name);
    /* No flows: templates when due, else nothing. */
    fsn_enc_init(&e, fmt, 1, 1, BOOT);
    is_int(fsn_enc_datagram(&e, &f, 0, NOW, buf, sizeof buf, &len, &used), 0, "%s: no flows", name);
    ok(len > 0 && e.tmpl_sent, "%s: ... sends the due templates", name);
    is_int(fsn_enc_datagram(&e, &f, 0, NOW, buf, sizeof buf, &len, &used), 0, "%s: again", name);
    is_uint(len, 0, "%s: ... nothing when none are due", name);
    /* A flow of neither family is skipped. */
    f.key.family = 0;
    is_int(fsn_enc_datagram(&e, &f, 1, NOW, buf, sizeof buf, &len, &used), 0, "%s: odd family", name);
    ok(len == 0 && used == 1 && e.skipped == 1, "%s: ... skipped and counted", name);
    is_int(fsn_enc_datagram(&e, &f, 1, NOW, buf, 10, &len, &used), FSN_E_SPACE,
           "%s: cap below a header: SPACE", name);
}

static void test_times(void)
{
    struct fsn_enc e;
    struct fsn_flow f = flow4(1, 6, 1, 40);
    uint8_t buf[1500];
    size_t len, used;
    struct sess s;
    struct pdg d;
    uint64_t boot = NOW - 5000000000ULL; /* sysUpTime has wrapped once */

    memset(&s, 0, sizeof s);
    fsn_enc_init(&e, FSN_FMT_V5, 1, 1, boot);
    fsn_enc_datagram(&e, &f, 1, NOW, buf, sizeof buf, &len, &used);
    d = parse(&s, buf, len);
    is_uint(d.uptime, 5000000000ULL - M32 - 1, "v5: sysUptime modulo 2^32");
    is_uint((uint32_t)(d.uptime - d.rec[0].first), 30123, "v5: first is wrap-safe");
    is_uint((uint32_t)(d.uptime - d.rec[0].last), 1007, "v5: last is wrap-safe");

    /* v9 in the first second after boot: that second began before boot. */
    fsn_enc_init(&e, FSN_FMT_V9, 1, 1, 1700000000500ULL);
    f.first_ms = 1700000000600ULL;
    f.last_ms = 1700000000650ULL;
    fsn_enc_datagram(&e, &f, 1, 1700000000700ULL, buf, sizeof buf, &len, &used);
    d = parse(&s, buf, len);
    ok(d.secs == 1700000001 && d.uptime == 500, "v9: claims the next second, sysUpTime does not wrap");
    is_uint((uint64_t)d.secs * 1000 - d.uptime + d.rec[0].first, f.first_ms,
            "v9: first time still exact");
}

static void test_misc(void)
{
    struct fsn_enc e;
    uint8_t buf[100];
    size_t len, used;

    fsn_enc_init(&e, 7, 1, 1, BOOT);
    is_int(fsn_enc_datagram(&e, NULL, 0, NOW, buf, sizeof buf, &len, &used), FSN_E_BADVER,
           "unknown version: BADVER");
    is_int(fsn_enc_templates(&e, NOW, buf, sizeof buf, &len), FSN_E_BADVER,
           "unknown version: templates BADVER");
    fsn_enc_init(&e, FSN_FMT_V9, 1, 0, BOOT);
    is_uint(e.sampling, 1, "sampling 0 means unsampled");
    is_int(fsn_enc_templates(&e, NOW, buf, sizeof buf, &len), FSN_E_SPACE,
           "templates-only into 100 bytes: SPACE");
}

int main(void)
{
    test_v5_fields();
    test_v5_sequence_and_ipv6();
    test_v5_split();
    test_v5_sampling();
    test_tmpl_fields(FSN_FMT_V9);
    test_tmpl_fields(FSN_FMT_IPFIX);
    test_tmpl_sequence(FSN_FMT_V9, 1);
    test_tmpl_sequence(FSN_FMT_V9, 64);
    test_tmpl_sequence(FSN_FMT_IPFIX, 1);
    test_tmpl_sequence(FSN_FMT_IPFIX, 64);
    test_tmpl_refresh_time(FSN_FMT_V9);
    test_tmpl_refresh_time(FSN_FMT_IPFIX);
    test_tmpl_edges(FSN_FMT_V9);
    test_tmpl_edges(FSN_FMT_IPFIX);
    for (uint32_t sampling = 1; sampling <= 10; sampling += 9) {
        test_caps(FSN_FMT_V5, sampling);
        test_caps(FSN_FMT_V9, sampling);
        test_caps(FSN_FMT_IPFIX, sampling);
    }
    test_times();
    test_misc();
    return tap_done();
}
