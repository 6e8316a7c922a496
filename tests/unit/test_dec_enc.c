/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Round trip: flows encoded with lib/enc (fsn_enc_*) and decoded with
 * lib/dec come back field for field, in every format, unsampled and 1:100,
 * with templates refreshed on the way and no loss counted. What a format
 * cannot carry is said per format: v5 has no IPv6, no VLAN, no end
 * reason, 16-bit interfaces and AS numbers; v9 has no end reason.
 */
#include <string.h>

#include "lib/dec.h"
#include "lib/enc.h"
#include "lib/error.h"
#include "tests/tap.h"
#include "tests/unit/dec_build.h"

#define NOW 1700000123456ull
#define NFLOWS 40
#define RCAP 256

struct got {
    size_t n;
    struct fsn_flow f[RCAP];
    struct fsn_dec_meta m[RCAP];
};

static void got_emit(void *arg, const struct fsn_flow *f, const struct fsn_dec_meta *m)
{
    struct got *g = arg;

    if (g->n < RCAP) {
        g->f[g->n] = *f;
        g->m[g->n] = *m;
    }
    g->n++;
}

/* Flows of every kind the probe makes; counts multiples of 100 so that 1:100 is exact. */
static void make_flows(struct fsn_flow *fl, size_t n, bool v4_only, bool small)
{
    for (size_t i = 0; i < n; i++) {
        struct fsn_flow *f = &fl[i];
        bool six = !v4_only && i % 3 == 2;
        memset(f, 0, sizeof *f);
        f->key.family = six ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
        if (six) {
            f->key.src[0] = 0x20;
            f->key.src[1] = 0x01;
            f->key.src[15] = (uint8_t)i;
            f->key.dst[0] = 0x20;
            f->key.dst[1] = 0x01;
            f->key.dst[14] = 1;
            f->key.dst[15] = (uint8_t)(i * 7);
            f->nexthop[0] = 0xfe;
            f->nexthop[1] = 0x80;
            f->nexthop[15] = 1;
            f->src_mask = 48;
            f->dst_mask = 64;
        } else {
            f->key.src[0] = 10;
            f->key.src[3] = (uint8_t)i;
            f->key.dst[0] = 192;
            f->key.dst[1] = 0;
            f->key.dst[2] = 2;
            f->key.dst[3] = (uint8_t)(i * 3);
            f->nexthop[0] = 10;
            f->nexthop[3] = 254;
            f->src_mask = 8;
            f->dst_mask = 24;
        }
        switch (i % 4) {
        case 0:
            f->key.proto = FSN_PROTO_TCP;
            f->key.sport = (uint16_t)(40000 + i);
            f->key.dport = 443;
            f->tcp_flags = 0x1b;
            break;
        case 1:
            f->key.proto = FSN_PROTO_UDP;
            f->key.sport = 53;
            f->key.dport = (uint16_t)(30000 + i);
            break;
        default:
            f->key.proto = six ? FSN_PROTO_ICMPV6 : FSN_PROTO_ICMP;
            f->key.dport = six ? 128 << 8 : 8 << 8; /* echo request */
            break;
        }
        f->key.tos = (uint8_t)(i * 4);
        f->key.vlan = v4_only ? 0 : (uint16_t)(i % 5 == 0 ? 0 : 100 + i);
        f->key.in_if = (uint32_t)(i + 1);
        f->out_if = (uint32_t)(i + 100);
        f->src_as = small ? 64512 : 4200000000u + (uint32_t)i;
        f->dst_as = small ? (uint32_t)(65000 + i) : 65000 + (uint32_t)i;
        f->packets = 100 * (uint64_t)(i + 1);
        f->octets = 100 * (uint64_t)(i + 1) * 1400;
        if (!small && i == 7)
            f->octets = 100ull * 6000000000ull; /* beyond 32 bits */
        f->first_ms = NOW - 60000 + i * 1000;
        f->last_ms = NOW - 30000 + i * 500;
        f->sampling = 1;
        f->end_reason = v4_only ? 0 : (uint8_t)(1 + i % 5);
    }
}

static bool same_key(const struct fsn_flow_key *a, const struct fsn_flow_key *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/*
 * Encodes flows[] in datagrams of at most `cap` bytes (several, so that
 * templates are refreshed on the way), decodes them in order, checks that
 * every flow comes back once, equal, with its counts scaled by `sampling`.
 * Without `routing` (a probe's templates) the router's fields must come
 * back as zero: they are not on the wire. Returns the datagrams it took.
 */
static size_t round_trip(int fmt, uint32_t sampling, const char *name, bool v4_only, bool small,
                         bool with_vlan, bool with_end, bool routing)
{
    struct fsn_flow fl[NFLOWS];
    struct fsn_enc e;
    struct fsn_dec_session *s;
    struct fsn_addr exporter = test_exporter(9);
    static struct got g;
    uint8_t buf[1400];
    size_t off = 0, len, used, matched = 0, rounds = 0, dgrams = 0;
    uint32_t dom = fmt == FSN_FMT_V5 ? 3 : 77;
    int err = 0;

    make_flows(fl, NFLOWS, v4_only, small);
    for (size_t i = 0; i < NFLOWS; i++)
        fl[i].sampling = sampling;
    fsn_enc_init(&e, fmt, dom, sampling, NOW - 3600000);
    e.tmpl_refresh_pkts = 3;
    e.routing = routing;
    s = fsn_dec_session_new(NULL, &exporter, (uint8_t)fmt, dom);
    memset(&g, 0, sizeof g);
    while (off < NFLOWS && rounds++ < 100) {
        uint64_t now = NOW + rounds * 10;
        if (fsn_enc_datagram(&e, fl + off, NFLOWS - off, now, buf, 700, &len, &used) != 0) {
            err = 1;
            break;
        }
        if (len && fsn_dec_datagram(s, buf, len, now, got_emit, &g) != 0)
            err = 1;
        dgrams += len > 0;
        off += used;
    }
    ok(!err && off == NFLOWS, "%s: encoded and decoded without error", name);
    is_uint(fsn_dec_counters(s)->malformed, 0, "%s: nothing malformed", name);
    is_uint(fsn_dec_counters(s)->lost + fsn_dec_counters(s)->seq_resets, 0,
            "%s: no loss, no reset: sequence numbers agree", name);
    is_uint(fsn_dec_counters(s)->notmpl_sets, 0, "%s: templates came first", name);
    is_uint(g.n, NFLOWS, "%s: one record per flow", name);
    for (size_t i = 0; i < NFLOWS && i < g.n; i++) {
        struct fsn_flow want = fl[i];
        const struct fsn_flow *f = &g.f[i];
        if (!with_vlan)
            want.key.vlan = 0;
        if (!with_end)
            want.end_reason = 0;
        if (!routing) {
            want.out_if = 0;
            want.src_as = want.dst_as = 0;
            want.src_mask = want.dst_mask = 0;
            memset(want.nexthop, 0, sizeof want.nexthop);
        }
        if (same_key(&f->key, &want.key) && f->packets == want.packets &&
            f->octets == want.octets && f->sampling == sampling &&
            f->first_ms == want.first_ms && f->last_ms == want.last_ms &&
            f->out_if == want.out_if && f->src_as == want.src_as && f->dst_as == want.dst_as &&
            memcmp(f->nexthop, want.nexthop, 16) == 0 && f->tcp_flags == want.tcp_flags &&
            f->src_mask == want.src_mask && f->dst_mask == want.dst_mask &&
            f->end_reason == want.end_reason && g.m[i].version == fmt && g.m[i].domain == dom &&
            !g.m[i].buffered)
            matched++;
        else if (i - matched < 3) /* say what differs, for the first few */
            diag("%s flow %zu: got pk %ju oc %ju first %ju last %ju samp %u sport %u dport %u "
                 "vlan %u end %u as %u/%u", name, i, (uintmax_t)f->packets,
                 (uintmax_t)f->octets, (uintmax_t)f->first_ms, (uintmax_t)f->last_ms,
                 f->sampling, f->key.sport, f->key.dport, f->key.vlan, f->end_reason,
                 f->src_as, f->dst_as);
    }
    is_uint(matched, NFLOWS, "%s: every field of every flow", name);
    fsn_dec_session_free(s);
    return dgrams;
}

int main(void)
{
    /* v5: IPv4 only, 16-bit AS and interfaces, no VLAN or end reason. */
    size_t full, probe;

    round_trip(FSN_FMT_V5, 1, "v5", true, true, false, false, true);
    round_trip(FSN_FMT_V5, 100, "v5 1:100", true, true, false, false, true);
    full = round_trip(FSN_FMT_V9, 1, "v9", false, false, true, false, true);
    round_trip(FSN_FMT_V9, 100, "v9 1:100", false, false, true, false, true);
    probe = round_trip(FSN_FMT_V9, 1, "v9 probe", false, false, true, false, false);
    round_trip(FSN_FMT_V9, 100, "v9 probe 1:100", false, false, true, false, false);
    ok(probe < full, "v9: a probe's records are smaller: %zu datagrams instead of %zu", probe, full);
    full = round_trip(FSN_FMT_IPFIX, 1, "IPFIX", false, false, true, true, true);
    round_trip(FSN_FMT_IPFIX, 100, "IPFIX 1:100", false, false, true, true, true);
    probe = round_trip(FSN_FMT_IPFIX, 1, "IPFIX probe", false, false, true, true, false);
    round_trip(FSN_FMT_IPFIX, 100, "IPFIX probe 1:100", false, false, true, true, false);
    ok(probe < full, "IPFIX: a probe's records are smaller: %zu datagrams instead of %zu", probe, full);

    /*
     * A probe's templates alone: header, set header, then two templates of
     * 4 + 4 bytes per field (RFC 3954 section 5.2, RFC 7011 section 3.4.1):
     * v9 20 + 4 + 2 * (4 + 14 * 4), IPFIX 16 + 4 + 2 * (4 + 15 * 4).
     */
    for (int i = 0; i < 2; i++) {
        struct fsn_enc e;
        uint8_t buf[1400];
        size_t len = 0;
        int fmt = i ? FSN_FMT_IPFIX : FSN_FMT_V9;
        fsn_enc_init(&e, fmt, 1, 1, NOW - 3600000);
        e.routing = false;
        fsn_enc_templates(&e, NOW, buf, sizeof buf, &len);
        is_uint(len, i ? 148 : 144, "%s: a probe's templates take %u bytes", i ? "IPFIX" : "v9",
                i ? 148u : 144u);
    }
    return tap_done();
}
