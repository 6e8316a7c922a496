/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/dec (NetFlow v5 and v9, and what every format shares:
 * sessions, sequence-loss accounting, data kept until its template,
 * caps, template persistence). IPFIX is in test_dec_ipfix.c, real captures
 * in test_dec_pcap.c. Every datagram here is built by hand, field by field
 * as RFC 3954 draws it, and the expected values are computed in comments.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/dec.h"
#include "lib/error.h"
#include "tests/tap.h"
#include "tests/unit/dec_build.h"

#define SECS 1700000000u
#define EXPORT_MS (SECS * 1000ull)

static struct fsn_dec_session *sess_lim(const struct fsn_dec_limits *lim, uint8_t ver,
                                        uint32_t dom)
{
    struct fsn_addr a = test_exporter(1);
    return fsn_dec_session_new(lim, &a, ver, dom);
}

static struct fsn_dec_session *sess(uint8_t ver, uint32_t dom)
{
    return sess_lim(NULL, ver, dom);
}

static int feed(struct fsn_dec_session *s, const struct bld *b, uint64_t now, struct cap *c)
{
    return fsn_dec_datagram(s, b->d, b->n, now, c ? cap_emit : NULL, c);
}

static bool addr_is(const uint8_t *got, const uint8_t *want, size_t n)
{
    return memcmp(got, want, n) == 0;
}

/* ---------------------------------------------------------------- v5 */

struct v5rec {
    const uint8_t *src, *dst, *nh;
    uint16_t in, out;
    uint32_t pkts, octs, first, last;
    uint16_t sport, dport;
    uint8_t flags, proto, tos;
    uint16_t sas, das;
    uint8_t smask, dmask;
};

static void v5_hdr(struct bld *b, uint16_t count, uint32_t uptime, uint32_t secs, uint32_t nsecs,
                   uint32_t seq, uint8_t etype, uint8_t eid, uint16_t sampling)
{
    b->n = 0;
    b16(b, 5);
    b16(b, count);
    b32(b, uptime);
    b32(b, secs);
    b32(b, nsecs);
    b32(b, seq);
    b8(b, etype);
    b8(b, eid);
    b16(b, sampling);
}

static void v5_rec(struct bld *b, const struct v5rec *r)
{
    bbytes(b, r->src, 4);
    bbytes(b, r->dst, 4);
    bbytes(b, r->nh, 4);
    b16(b, r->in);
    b16(b, r->out);
    b32(b, r->pkts);
    b32(b, r->octs);
    b32(b, r->first);
    b32(b, r->last);
    b16(b, r->sport);
    b16(b, r->dport);
    b8(b, 0);
    b8(b, r->flags);
    b8(b, r->proto);
    b8(b, r->tos);
    b16(b, r->sas);
    b16(b, r->das);
    b8(b, r->smask);
    b8(b, r->dmask);
    b16(b, 0);
}

/* A two-record v5 datagram: header sampling mode 1, interval 10; uptime 100 s. */
static void v5_sample(struct bld *b, uint32_t seq)
{
    struct v5rec r1 = {ip4(10, 0, 0, 1), ip4(192, 0, 2, 80), ip4(10, 0, 0, 254), 3, 4, 5, 600,
                       90000, 99000, 40000, 443, 0x1b, 6, 0x10, 64500, 64501, 24, 16};
    struct v5rec r2 = {ip4(10, 0, 0, 2), ip4(10, 0, 0, 3), ip4(0, 0, 0, 0), 1, 2, 1, 84,
                       0xfffff000u, 99500, 0, 0x0800, 0, 1, 0, 0, 0, 0, 0};

    v5_hdr(b, 2, 100000, SECS, 500000000, seq, 1, 2, 1 << 14 | 10);
    v5_rec(b, &r1);
    v5_rec(b, &r2);
}

static void test_v5(void)
{
    struct fsn_dec_session *s = sess(FSN_DEC_V5, 1 << 8 | 2);
    struct bld b;
    struct cap c = {0};
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    /* Export time: unix_secs * 1000 + unix_nsecs / 10^6. */
    const uint64_t exp = EXPORT_MS + 500;

    v5_sample(&b, 1000);
    is_int(feed(s, &b, 0, &c), 0, "v5: decodes");
    is_uint(c.n, 2, "v5: two records");
    ok(c.f[0].key.family == FSN_FAMILY_IPV4 && addr_is(c.f[0].key.src, ip4(10, 0, 0, 1), 16) &&
           addr_is(c.f[0].key.dst, ip4(192, 0, 2, 80), 16) &&
           addr_is(c.f[0].nexthop, ip4(10, 0, 0, 254), 16),
       "v5: addresses and next hop");
    is_uint(c.f[0].key.in_if, 3, "v5: input");
    is_uint(c.f[0].out_if, 4, "v5: output");
    /* Sampling 1:10 from the header: counts multiplied, the interval kept. */
    is_uint(c.f[0].packets, 50, "v5: packets x 10");
    is_uint(c.f[0].octets, 6000, "v5: octets x 10");
    is_uint(c.f[0].sampling, 10, "v5: sampling interval kept");
    /* first = export - (uptime - First) = exp - 10000; last = exp - 1000. */
    is_uint(c.f[0].first_ms, exp - 10000, "v5: first from sysUptime");
    is_uint(c.f[0].last_ms, exp - 1000, "v5: last from sysUptime");
    is_uint(c.f[0].key.sport, 40000, "v5: sport");
    is_uint(c.f[0].key.dport, 443, "v5: dport");
    is_uint(c.f[0].tcp_flags, 0x1b, "v5: tcp flags");
    is_uint(c.f[0].key.proto, 6, "v5: proto");
    is_uint(c.f[0].key.tos, 0x10, "v5: tos");
    is_uint(c.f[0].src_as, 64500, "v5: src as");
    is_uint(c.f[0].dst_as, 64501, "v5: dst as");
    is_uint(c.f[0].src_mask, 24, "v5: src mask");
    is_uint(c.f[0].dst_mask, 16, "v5: dst mask");
    is_uint(c.f[0].key.vlan, 0, "v5: no vlan");
    is_uint(c.m[0].version, 5, "v5: meta version");
    is_uint(c.m[0].domain, 258, "v5: meta domain = engine type << 8 | id");
    is_uint(c.m[0].export_ms, exp, "v5: meta export time");
    ok(!c.m[0].buffered && c.m[0].direction == FSN_DEC_FORWARD && c.m[0].template_id == 0,
       "v5: meta flags");
    ok(c.m[0].exporter && c.m[0].exporter->a[3] == 1, "v5: meta exporter");
    /* First = 0xfffff000 lies before the uptime wrapped: 100000 + 4096 ms before export. */
    is_uint(c.f[1].first_ms, exp - 104096, "v5: first across the uptime wrap");
    is_uint(c.f[1].last_ms, exp - 500, "v5: last");
    is_uint(c.f[1].key.dport, 0x0800, "v5: icmp type/code in dport");
    is_uint(c.f[1].packets, 10, "v5: second record packets");
    is_uint(k->datagrams, 1, "v5: datagrams counted");
    is_uint(k->records, 2, "v5: records counted");
    is_uint(k->malformed, 0, "v5: nothing malformed");

    /* An interval of 0 or 1 means unsampled. */
    v5_sample(&b, 1002);
    b.d[22] = 0x40;
    b.d[23] = 0x00;
    c.n = 0;
    feed(s, &b, 0, &c);
    ok(c.f[0].sampling == 1 && c.f[0].packets == 5, "v5: interval 0 is unsampled");
    fsn_dec_session_free(s);
}

static void test_v5_malformed(void)
{
    struct fsn_dec_session *s = sess(FSN_DEC_V5, 258);
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    struct bld b, full;
    struct cap c = {0};
    size_t bad = 0;

    /* count 0 */
    v5_hdr(&b, 0, 1, SECS, 0, 0, 1, 2, 0);
    is_int(feed(s, &b, 0, &c), FSN_E_MALFORMED, "v5: count 0 is malformed");
    /* count 31 with 31 records */
    v5_hdr(&b, 31, 1, SECS, 0, 0, 1, 2, 0);
    for (int i = 0; i < 31; i++) {
        struct v5rec r = {ip4(1, 1, 1, 1), ip4(2, 2, 2, 2), ip4(0, 0, 0, 0), 0, 0, 1, 40,
                          1, 1, 1, 2, 0, 17, 0, 0, 0, 0, 0};
        v5_rec(&b, &r);
    }
    is_int(feed(s, &b, 0, &c), FSN_E_MALFORMED, "v5: count 31 is malformed");
    /* one byte more and one byte less than 24 + 48 * count */
    v5_sample(&full, 5);
    b = full;
    b8(&b, 0);
    is_int(feed(s, &b, 0, &c), FSN_E_MALFORMED, "v5: a byte too many is malformed");
    b = full;
    b.n--;
    is_int(feed(s, &b, 0, &c), FSN_E_MALFORMED, "v5: a byte short is malformed");
    is_uint(c.n, 0, "v5: no record from malformed datagrams");
    is_uint(k->malformed, 4, "v5: four malformed counted");

    /* Truncated at every offset: under 2 bytes the version is unknown (not counted). */
    for (size_t cut = 0; cut < full.n; cut++) {
        int r = fsn_dec_datagram(s, full.d, cut, 0, cap_emit, &c);
        if (cut < 2 ? r == FSN_E_BADVER : r == FSN_E_MALFORMED)
            bad++;
    }
    is_uint(bad, full.n, "v5: every truncation rejected");
    is_uint(k->malformed, 4 + full.n - 2, "v5: every countable truncation counted");
    is_uint(c.n, 0, "v5: no records from truncations");
    is_uint(k->lost + k->seq_resets, 0, "v5: malformed datagrams do not touch the sequence");
    fsn_dec_session_free(s);
}

static void v5_one(struct bld *b, uint32_t seq, uint16_t count)
{
    v5_hdr(b, count, 1000, SECS, 0, seq, 0, 0, 0);
    for (uint16_t i = 0; i < count; i++) {
        struct v5rec r = {ip4(1, 1, 1, 1), ip4(2, 2, 2, 2), ip4(0, 0, 0, 0), 0, 0, 1, 40,
                          1, 1, 1, 2, 0, 17, 0, 0, 0, 0, 0};
        v5_rec(b, &r);
    }
}

/* v5 sequence numbers count flows: each datagram's seq is that of its first record. */
static void test_v5_loss(void)
{
    struct fsn_dec_session *s = sess(FSN_DEC_V5, 0);
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    struct bld b;
    static const struct {
        uint32_t seq;
        uint16_t count;
        uint64_t lost, reordered, resets;
        const char *what;
    } steps[] = {
        {100, 1, 0, 0, 0, "first datagram synchronizes"},
        {101, 1, 0, 0, 0, "in order"},
        {104, 1, 2, 0, 0, "102 and 103 missing: 2 lost"},
        {102, 1, 1, 1, 0, "102 arrives late: taken back"},
        {103, 1, 0, 2, 0, "103 arrives late: no loss left"},
        {105, 1, 0, 2, 0, "in order after the late ones"},
        {105, 1, 0, 2, 1, "a duplicate is a reset, not a loss"},
        {106, 1, 0, 2, 1, "in order"},
        {5, 1, 0, 2, 2, "restart to a small number: reset"},
        {6, 30, 0, 2, 2, "30 records"},
        {66, 1, 30, 2, 2, "30 records missing"},
        {0xffffffffu, 1, 30, 2, 3, "far back: reset"},
        {0, 1, 30, 2, 3, "in order across the 2^32 wrap"},
        {2, 1, 31, 2, 3, "one missing after the wrap"},
        {1, 1, 30, 3, 3, "late after the wrap"},
    };

    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        v5_one(&b, steps[i].seq, steps[i].count);
        feed(s, &b, 0, NULL);
        ok(k->lost == steps[i].lost && k->reordered == steps[i].reordered &&
               k->seq_resets == steps[i].resets,
           "v5 loss: seq %u: %s", steps[i].seq, steps[i].what);
        if (k->lost != steps[i].lost || k->reordered != steps[i].reordered ||
            k->seq_resets != steps[i].resets)
            diag("lost %ju reordered %ju resets %ju", (uintmax_t)k->lost,
                 (uintmax_t)k->reordered, (uintmax_t)k->seq_resets);
    }
    fsn_dec_session_free(s);
}

/* ---------------------------------------------------------------- v9 */

struct fspec {
    uint16_t type, len;
};

static void v9_tmpl(struct bld *b, uint16_t id, const struct fspec *f, size_t n)
{
    b16(b, id);
    b16(b, n);
    for (size_t i = 0; i < n; i++) {
        b16(b, f[i].type);
        b16(b, f[i].len);
    }
}

/* Template 256: IPv4 with every element the decoder maps; one field of length 0 inside. */
static const struct fspec T256[] = {
    {8, 4},  {12, 4}, {15, 4}, {7, 2},  {11, 2}, {4, 1},  {5, 1},   {6, 1},
    {10, 2}, {82, 0}, {14, 4}, {58, 2}, {16, 4}, {17, 2}, {9, 1},   {13, 1},
    {1, 8},  {2, 4},  {22, 4}, {21, 4}, {136, 1}, {61, 1},
};
#define T256_LEN 57 /* 4+4+4+2+2+1+1+1+2+0+4+2+4+2+1+1+8+4+4+4+1+1 */

/* Template 257: IPv6, ICMPv6 type/code element, absolute milliseconds. */
static const struct fspec T257[] = {
    {27, 16}, {28, 16}, {62, 16}, {29, 1}, {30, 1}, {4, 1}, {139, 2},
    {7, 2},   {11, 2},  {1, 4},   {2, 4},  {152, 8}, {153, 8},
};

static void t256_rec(struct bld *b, uint16_t sport)
{
    bbytes(b, ip4(10, 1, 2, 3), 4);
    bbytes(b, ip4(10, 4, 5, 6), 4);
    bbytes(b, ip4(10, 0, 0, 1), 4);
    b16(b, sport);
    b16(b, 80);
    b8(b, 6);
    b8(b, 0x28);
    b8(b, 0x12);
    b16(b, 7);
    b32(b, 70000);
    b16(b, 100);
    b32(b, 4200000000u);
    b16(b, 65000);
    b8(b, 8);
    b8(b, 30);
    b64(b, 0x100000000ull);
    b32(b, 3);
    b32(b, 0xfffffc18u); /* -1000 modulo 2^32: a second before the uptime wrapped */
    b32(b, 2500);
    b8(b, 2);
    b8(b, 1);
}

static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t NH6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};

static void t257_rec(struct bld *b)
{
    bbytes(b, SRC6, 16);
    bbytes(b, DST6, 16);
    bbytes(b, NH6, 16);
    b8(b, 48);
    b8(b, 64);
    b8(b, 58);
    b16(b, 128 << 8 | 0); /* echo request */
    b16(b, 0);
    b16(b, 0);
    b32(b, 104);
    b32(b, 1);
    b64(b, EXPORT_MS - 30000);
    b64(b, EXPORT_MS - 29000);
}

/*
 * One v9 datagram: templates 256 and 257 in one flowset, a reserved flowset
 * (id 5), two records of 256 with 2 bytes of padding, one record of 257.
 * Header: uptime 3000 ms, unix_secs SECS, sequence `seq`, source id 42.
 */
static size_t v9_sample(struct bld *b, uint32_t seq, size_t *tmpl_end)
{
    size_t at;

    v9_hdr(b, 5, 3000, SECS, seq, 42);
    at = set_begin(b, 0);
    v9_tmpl(b, 256, T256, sizeof T256 / sizeof T256[0]);
    v9_tmpl(b, 257, T257, sizeof T257 / sizeof T257[0]);
    set_end(b, at);
    if (tmpl_end)
        *tmpl_end = b->n;
    at = set_begin(b, 5);
    b32(b, 0xdeadbeef);
    set_end(b, at);
    at = set_begin(b, 256);
    t256_rec(b, 1234);
    t256_rec(b, 1235);
    b16(b, 0); /* padding to 4 bytes: 4 + 2 * 57 + 2 = 120 */
    set_end(b, at);
    at = set_begin(b, 257);
    t257_rec(b);
    set_end(b, at);
    return 3;
}

static void test_v9_fields(void)
{
    struct fsn_dec_session *s = sess(FSN_DEC_V9, 42);
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    struct bld b;
    struct cap c = {0};

    v9_sample(&b, 7, NULL);
    is_int(feed(s, &b, 0, &c), 0, "v9: decodes");
    is_uint(c.n, 3, "v9: three records");
    ok(addr_is(c.f[0].key.src, ip4(10, 1, 2, 3), 16) && addr_is(c.f[0].key.dst, ip4(10, 4, 5, 6), 16),
       "v9: IPv4 addresses");
    ok(addr_is(c.f[0].nexthop, ip4(10, 0, 0, 1), 16), "v9: next hop");
    is_uint(c.f[0].key.family, 4, "v9: family");
    is_uint(c.f[0].key.sport, 1234, "v9: sport");
    is_uint(c.f[1].key.sport, 1235, "v9: sport of the second record");
    is_uint(c.f[0].key.dport, 80, "v9: dport");
    is_uint(c.f[0].key.proto, 6, "v9: proto");
    is_uint(c.f[0].key.tos, 0x28, "v9: tos");
    is_uint(c.f[0].tcp_flags, 0x12, "v9: tcp flags");
    is_uint(c.f[0].key.in_if, 7, "v9: input (2 bytes)");
    is_uint(c.f[0].out_if, 70000, "v9: output (4 bytes)");
    is_uint(c.f[0].key.vlan, 100, "v9: vlan");
    is_uint(c.f[0].src_as, 4200000000u, "v9: src as (4 bytes)");
    is_uint(c.f[0].dst_as, 65000, "v9: dst as (2 bytes)");
    is_uint(c.f[0].src_mask, 8, "v9: src mask");
    is_uint(c.f[0].dst_mask, 30, "v9: dst mask");
    is_uint(c.f[0].octets, 0x100000000ull, "v9: 8-byte octets");
    is_uint(c.f[0].packets, 3, "v9: packets");
    is_uint(c.f[0].sampling, 1, "v9: unsampled");
    /* uptime 3000: FIRST = -1000 mod 2^32 is 4000 ms before export, LAST 2500 is 500. */
    is_uint(c.f[0].first_ms, EXPORT_MS - 4000, "v9: first across the uptime wrap");
    is_uint(c.f[0].last_ms, EXPORT_MS - 500, "v9: last");
    is_uint(c.f[0].end_reason, 2, "v9: end reason");
    is_uint(c.m[0].template_id, 256, "v9: meta template");
    is_uint(c.m[0].domain, 42, "v9: meta source id");
    is_uint(c.m[0].version, 9, "v9: meta version");
    is_uint(c.m[0].export_ms, EXPORT_MS, "v9: meta export time");

    is_uint(c.f[2].key.family, 6, "v9: IPv6 family");
    ok(addr_is(c.f[2].key.src, SRC6, 16) && addr_is(c.f[2].key.dst, DST6, 16) &&
           addr_is(c.f[2].nexthop, NH6, 16),
       "v9: IPv6 addresses and next hop");
    is_uint(c.f[2].src_mask, 48, "v9: IPv6 src mask");
    is_uint(c.f[2].dst_mask, 64, "v9: IPv6 dst mask");
    is_uint(c.f[2].key.dport, 0x8000, "v9: ICMPv6 type/code into dport");
    is_uint(c.f[2].key.sport, 0, "v9: ICMPv6 sport 0");
    is_uint(c.f[2].first_ms, EXPORT_MS - 30000, "v9: absolute first (152)");
    is_uint(c.f[2].last_ms, EXPORT_MS - 29000, "v9: absolute last (153)");
    is_uint(k->templates, 2, "v9: two templates known");
    is_uint(k->unknown_sets, 1, "v9: reserved flowset skipped and counted");
    is_uint(k->records, 3, "v9: records counted");
    is_uint(k->malformed, 0, "v9: nothing malformed");
    fsn_dec_session_free(s);
}

/* Runs one datagram in a fresh session; returns the malformed count. */
static uint64_t v9_one(const struct bld *b, size_t *records, uint64_t *templates)
{
    struct fsn_dec_session *s = sess(FSN_DEC_V9, 42);
    struct cap c = {0};
    uint64_t m;

    feed(s, b, 0, &c);
    m = fsn_dec_counters(s)->malformed;
    if (records)
        *records = c.n;
    if (templates)
        *templates = fsn_dec_counters(s)->templates;
    fsn_dec_session_free(s);
    return m;
}

static void test_v9_malformed(void)
{
    struct bld b, full;
    size_t at, n, tmpl_end, bad = 0, rec_ok = 0;
    uint64_t t;
    static const struct fspec one[] = {{8, 4}};
    static const struct fspec zeros[] = {{8, 0}, {12, 0}};

    v9_hdr(&b, 1, 1, SECS, 0, 42);
    at = set_begin(&b, 0);
    v9_tmpl(&b, 300, NULL, 0);
    set_end(&b, at);
    ok(v9_one(&b, NULL, &t) == 1 && t == 0, "v9: template with 0 fields is malformed");

    v9_hdr(&b, 1, 1, SECS, 0, 42);
    at = set_begin(&b, 0);
    v9_tmpl(&b, 255, one, 1);
    set_end(&b, at);
    ok(v9_one(&b, NULL, &t) == 1 && t == 0, "v9: template id 255 is malformed");

    v9_hdr(&b, 1, 1, SECS, 0, 42);
    at = set_begin(&b, 0);
    v9_tmpl(&b, 300, zeros, 2);
    set_end(&b, at);
    ok(v9_one(&b, NULL, &t) == 1 && t == 0, "v9: template of only 0-length fields is malformed");

    v9_hdr(&b, 1, 1, SECS, 0, 42);
    at = set_begin(&b, 0);
    v9_tmpl(&b, 300, one, 1);
    set_end(&b, at);
    b.d[at + 4 + 3] = 2; /* field count 2, one field present */
    ok(v9_one(&b, NULL, &t) == 1 && t == 0, "v9: field count beyond the flowset is malformed");

    /* A first valid template, then a broken one: the first stays. */
    v9_hdr(&b, 1, 1, SECS, 0, 42);
    at = set_begin(&b, 0);
    v9_tmpl(&b, 300, one, 1);
    v9_tmpl(&b, 301, NULL, 0);
    set_end(&b, at);
    ok(v9_one(&b, NULL, &t) == 1 && t == 1, "v9: templates before a bad record are kept");

    v9_sample(&full, 1, &tmpl_end);
    b = full;
    bpatch16(&b, 20 + 2, 3);
    ok(v9_one(&b, &n, &t) == 1 && n == 0 && t == 0, "v9: flowset length 3 stops the datagram");
    b = full;
    bpatch16(&b, 20 + 2, b.n);
    ok(v9_one(&b, &n, &t) == 1 && n == 0, "v9: flowset length past the datagram");
    b = full;
    bpatch16(&b, tmpl_end + 8 + 120 + 2, b.n - (tmpl_end + 8 + 120) + 4); /* the last set */
    ok(v9_one(&b, &n, &t) == 1 && t == 2 && n == 2,
       "v9: last flowset too long: malformed, what came before it kept");
    b = full;
    b16(&b, 0x0102);
    ok(v9_one(&b, &n, NULL) == 1 && n == 3, "v9: 2 stray bytes at the end: malformed, records kept");
    b = full;
    b16(&b, 0);
    ok(v9_one(&b, &n, NULL) == 0 && n == 3, "v9: 2 zero bytes at the end are padding");

    /* Options template: scope length not a multiple of 4; no fields at all. */
    v9_hdr(&b, 1, 1, SECS, 0, 42);
    at = set_begin(&b, 1);
    b16(&b, 400);
    b16(&b, 2);
    b16(&b, 4);
    b32(&b, 0x00010002);
    b16(&b, 0x0022);
    set_end(&b, at);
    ok(v9_one(&b, NULL, &t) == 1 && t == 0, "v9: option scope length 2 is malformed");
    v9_hdr(&b, 1, 1, SECS, 0, 42);
    at = set_begin(&b, 1);
    b16(&b, 400);
    b16(&b, 0);
    b16(&b, 0);
    b16(&b, 0x0102);
    set_end(&b, at);
    ok(v9_one(&b, NULL, &t) == 1 && t == 0, "v9: options template without fields is malformed");
    v9_hdr(&b, 1, 1, SECS, 0, 42);
    at = set_begin(&b, 1);
    b16(&b, 400);
    b16(&b, 4);
    b16(&b, 8);
    set_end(&b, at);
    ok(v9_one(&b, NULL, &t) == 1 && t == 0, "v9: option lengths past the flowset are malformed");

    /*
     * Truncated at every offset. Cuts that fall on a flowset boundary (the
     * header alone, after the templates, after the reserved flowset, after
     * the 256 data) leave a shorter valid datagram, and so do cuts 1..3
     * bytes after one when those bytes are zero (trailing zeros shorter
     * than a flowset header are taken as padding); every other cut is
     * malformed. Records only come from data flowsets that are whole.
     */
    for (size_t cut = 2; cut <= full.n; cut++) {
        const size_t bounds[] = {20, tmpl_end, tmpl_end + 8, tmpl_end + 8 + 120, full.n};
        struct bld tb = full;
        size_t want_recs;
        uint64_t want_bad = 1;
        tb.n = cut;
        for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
            bool zero = true;
            for (size_t j = bounds[i]; j < cut; j++)
                zero = zero && full.d[j] == 0;
            if (cut >= bounds[i] && cut - bounds[i] < 4 && zero)
                want_bad = 0;
        }
        want_recs = cut >= tmpl_end + 8 + 120 ? 2 + (cut == full.n) : 0;
        if (v9_one(&tb, &n, NULL) == want_bad)
            bad++;
        if (n == want_recs)
            rec_ok++;
    }
    is_uint(bad, full.n - 1, "v9: every truncation malformed unless on a flowset boundary");
    is_uint(rec_ok, full.n - 1, "v9: truncations emit only whole flowsets' records");
}

/* Options: sampling from options data, with and without sampler ids (RFC 3954 §6.2). */
static void test_v9_sampling(void)
{
    struct fsn_dec_session *s = sess(FSN_DEC_V9, 42);
    struct bld b;
    struct cap c = {0};
    size_t at;
    static const struct fspec data[] = {{8, 4}, {12, 4}, {48, 1}, {1, 4}, {2, 4}};
    static const struct fspec plain[] = {{8, 4}, {12, 4}, {1, 4}, {2, 4}};
    static const struct fspec own[] = {{8, 4}, {12, 4}, {34, 2}, {1, 4}, {2, 4}};

    /*
     * Options template 260: scope of type 34 (not a real scope type: if the
     * decoder read scope fields as elements it would take 5 as the
     * interval), option SAMPLING_ALGORITHM only. Options template 261:
     * scope System, FLOW_SAMPLER_ID, FLOW_SAMPLER_MODE, _RANDOM_INTERVAL.
     * Options template 262: scope System, SAMPLING_INTERVAL.
     */
    v9_hdr(&b, 1, 1000, SECS, 0, 42);
    at = set_begin(&b, 1);
    b16(&b, 260);
    b16(&b, 4);
    b16(&b, 4);
    b16(&b, 34);
    b16(&b, 4);
    b16(&b, 35);
    b16(&b, 1);
    b16(&b, 261);
    b16(&b, 4);
    b16(&b, 12);
    b16(&b, 1);
    b16(&b, 4);
    b16(&b, 48);
    b16(&b, 1);
    b16(&b, 49);
    b16(&b, 1);
    b16(&b, 50);
    b16(&b, 4);
    b16(&b, 262);
    b16(&b, 4);
    b16(&b, 4);
    b16(&b, 1);
    b16(&b, 4);
    b16(&b, 34);
    b16(&b, 4);
    b16(&b, 0); /* padding */
    set_end(&b, at);
    at = set_begin(&b, 0);
    v9_tmpl(&b, 300, data, 5);
    v9_tmpl(&b, 301, plain, 4);
    v9_tmpl(&b, 302, own, 5);
    set_end(&b, at);
    at = set_begin(&b, 260);
    b32(&b, 5);
    b8(&b, 2);
    b8(&b, 0);
    b16(&b, 0);
    set_end(&b, at);
    at = set_begin(&b, 261); /* sampler 1: 1:50, sampler 2: 1:1000 (announced last) */
    b32(&b, 0);
    b8(&b, 1);
    b8(&b, 2);
    b32(&b, 50);
    b32(&b, 0);
    b8(&b, 2);
    b8(&b, 2);
    b32(&b, 1000);
    b16(&b, 0);
    set_end(&b, at);
    is_int(feed(s, &b, 0, &c), 0, "v9 sampling: options decode");
    is_uint(fsn_dec_counters(s)->options_records, 3, "v9 sampling: three options records");
    is_uint(fsn_dec_sampling(s), 0, "v9 sampling: scope fields are not read as elements");

    v9_hdr(&b, 1, 1000, SECS, 1, 42);
    at = set_begin(&b, 300);
    for (uint8_t id = 1; id <= 3; id++) {
        bbytes(&b, ip4(10, 0, 0, id), 4);
        bbytes(&b, ip4(10, 0, 1, id), 4);
        b8(&b, id == 3 ? 9 : id);
        b32(&b, 100);
        b32(&b, 2);
    }
    set_end(&b, at);
    at = set_begin(&b, 301);
    bbytes(&b, ip4(10, 0, 0, 4), 4);
    bbytes(&b, ip4(10, 0, 1, 4), 4);
    b32(&b, 100);
    b32(&b, 2);
    set_end(&b, at);
    at = set_begin(&b, 302);
    bbytes(&b, ip4(10, 0, 0, 5), 4);
    bbytes(&b, ip4(10, 0, 1, 5), 4);
    b16(&b, 20);
    b32(&b, 100);
    b32(&b, 2);
    set_end(&b, at);
    c.n = 0;
    feed(s, &b, 0, &c);
    is_uint(c.n, 5, "v9 sampling: five records");
    ok(c.f[0].sampling == 50 && c.f[0].packets == 100 && c.f[0].octets == 5000,
       "v9 sampling: sampler 1 gives 1:50");
    ok(c.f[1].sampling == 1000 && c.f[1].packets == 2000, "v9 sampling: sampler 2 gives 1:1000");
    is_uint(c.f[2].sampling, 1000, "v9 sampling: unknown sampler 9 -> the one announced last");
    is_uint(c.f[3].sampling, 1000, "v9 sampling: no sampler id -> the one announced last");
    ok(c.f[4].sampling == 20 && c.f[4].packets == 40, "v9 sampling: the record's own interval");

    /* Now an interval without sampler id (options 262): the default for records without one. */
    v9_hdr(&b, 1, 1000, SECS, 2, 42);
    at = set_begin(&b, 262);
    b32(&b, 0);
    b32(&b, 100);
    set_end(&b, at);
    at = set_begin(&b, 301);
    bbytes(&b, ip4(10, 0, 0, 4), 4);
    bbytes(&b, ip4(10, 0, 1, 4), 4);
    b32(&b, 7);
    b32(&b, 1);
    set_end(&b, at);
    at = set_begin(&b, 300);
    bbytes(&b, ip4(10, 0, 0, 3), 4);
    bbytes(&b, ip4(10, 0, 1, 3), 4);
    b8(&b, 9);
    b32(&b, 7);
    b32(&b, 1);
    set_end(&b, at);
    c.n = 0;
    feed(s, &b, 0, &c);
    is_uint(fsn_dec_sampling(s), 100, "v9 sampling: default interval learnt");
    ok(c.n == 2 && c.f[0].sampling == 100 && c.f[0].octets == 700,
       "v9 sampling: records without sampler id use the default");
    is_uint(c.f[1].sampling, 100, "v9 sampling: unknown sampler id uses the default");
    fsn_dec_session_free(s);
}

/* v9 sequence numbers count export packets (RFC 3954 §5.1). */
static void test_v9_loss(void)
{
    struct fsn_dec_session *s = sess(FSN_DEC_V9, 42);
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    struct bld b;
    static const struct {
        uint32_t seq;
        uint64_t lost, reordered, resets;
    } steps[] = {
        {10, 0, 0, 0}, {11, 0, 0, 0}, {13, 1, 0, 0}, {12, 0, 1, 0},
        /* 0 is not inside the gap 15..19: a restart, not a late datagram. */
        {14, 0, 1, 0}, {20, 5, 1, 0}, {0, 5, 1, 1}, {1, 5, 1, 1},
    };

    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        v9_hdr(&b, 0, 1000, SECS, steps[i].seq, 42);
        feed(s, &b, 0, NULL);
        ok(k->lost == steps[i].lost && k->reordered == steps[i].reordered &&
               k->seq_resets == steps[i].resets,
           "v9 loss: seq %u -> lost %ju reordered %ju resets %ju", steps[i].seq,
           (uintmax_t)steps[i].lost, (uintmax_t)steps[i].reordered, (uintmax_t)steps[i].resets);
    }
    fsn_dec_session_free(s);
}

/* ---------------------------------------------------- before template */

static const struct fspec T300[] = {{8, 4}, {12, 4}, {1, 4}, {2, 4}, {22, 4}, {21, 4}};

static void t300_data(struct bld *b, uint8_t n)
{
    size_t at = set_begin(b, 300);
    for (uint8_t i = 0; i < n; i++) {
        bbytes(b, ip4(10, 0, 0, (uint8_t)(i + 1)), 4);
        bbytes(b, ip4(10, 9, 9, 9), 4);
        b32(b, 100u + i);
        b32(b, 1u + i);
        b32(b, 9000);
        b32(b, 9500);
    }
    set_end(b, at);
}

static void t300_tmpl(struct bld *b)
{
    size_t at = set_begin(b, 0);
    v9_tmpl(b, 300, T300, 6);
    set_end(b, at);
}

static void test_buffered(void)
{
    struct fsn_dec_session *s = sess(FSN_DEC_V9, 42);
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    struct fsn_dec_limits lim;
    struct bld b;
    struct cap c = {0};
    size_t mem0, per_set;

    /* Datagram A (uptime 10 s, SECS): data of template 300, which is unknown. */
    v9_hdr(&b, 2, 10000, SECS, 1, 42);
    t300_data(&b, 2);
    is_int(feed(s, &b, 1000, &c), 0, "buffered: data without template is not an error");
    ok(c.n == 0 && k->notmpl_sets == 1 && k->buffered_sets == 1, "buffered: kept, counted");
    /* Datagram B, 10 s later, other header times: the template. */
    v9_hdr(&b, 1, 20000, SECS + 10, 2, 42);
    t300_tmpl(&b);
    feed(s, &b, 11000, &c);
    is_uint(c.n, 2, "buffered: both records emitted when the template arrives");
    ok(c.m[0].buffered && c.m[1].buffered, "buffered: meta says buffered");
    is_uint(c.m[0].export_ms, EXPORT_MS, "buffered: export time of the datagram that carried it");
    /* Times relative to datagram A's header: 10000 - 9000 = 1000 ms before SECS. */
    is_uint(c.f[0].first_ms, EXPORT_MS - 1000, "buffered: first relative to its own header");
    is_uint(c.f[0].last_ms, EXPORT_MS - 500, "buffered: last relative to its own header");
    ok(c.f[0].octets == 100 && c.f[1].octets == 101 && c.f[1].packets == 2,
       "buffered: values of each record");
    ok(k->records == 2 && k->buffered_records == 2 && k->buffered_drops == 0,
       "buffered: counters");
    is_uint(fsn_dec_memory(s) > 0, 1, "buffered: memory reported");

    /* Data then its template in the same datagram. */
    c.n = 0;
    fsn_dec_session_free(s);
    s = sess(FSN_DEC_V9, 42);
    k = fsn_dec_counters(s);
    v9_hdr(&b, 2, 10000, SECS, 1, 42);
    t300_data(&b, 1);
    t300_tmpl(&b);
    feed(s, &b, 0, &c);
    ok(c.n == 1 && c.m[0].buffered && k->buffered_records == 1,
       "buffered: data before its template in one datagram");
    c.n = 0;
    v9_hdr(&b, 2, 10000, SECS, 2, 42);
    t300_data(&b, 1);
    feed(s, &b, 0, &c);
    ok(c.n == 1 && !c.m[0].buffered, "buffered: later data decoded at once");

    /* Too old: max age 1000 ms, template 1001 ms after the data. */
    fsn_dec_session_free(s);
    fsn_dec_limits_default(&lim);
    lim.max_buffer_age_ms = 1000;
    s = sess_lim(&lim, FSN_DEC_V9, 42);
    k = fsn_dec_counters(s);
    c.n = 0;
    v9_hdr(&b, 2, 10000, SECS, 1, 42);
    t300_data(&b, 1);
    feed(s, &b, 5000, &c);
    v9_hdr(&b, 2, 10000, SECS, 2, 42);
    t300_tmpl(&b);
    feed(s, &b, 6001, &c);
    ok(c.n == 0 && k->buffered_drops == 1, "buffered: data older than the limit dropped");
    v9_hdr(&b, 2, 10000, SECS, 3, 42);
    t300_data(&b, 1);
    bpatch16(&b, 20, 301); /* data of 301: never defined */
    feed(s, &b, 7000, &c);
    fsn_dec_expire(s, 7500);
    is_uint(k->buffered_drops, 1, "buffered: expire keeps young data");
    fsn_dec_expire(s, 8001);
    is_uint(k->buffered_drops, 2, "buffered: expire drops old data");

    /* Byte cap: room for one set. Measure what one set costs first. */
    fsn_dec_session_free(s);
    s = sess(FSN_DEC_V9, 42);
    mem0 = fsn_dec_memory(s);
    v9_hdr(&b, 2, 10000, SECS, 1, 42);
    t300_data(&b, 2);
    feed(s, &b, 0, NULL);
    per_set = fsn_dec_memory(s) - mem0;
    fsn_dec_session_free(s);
    fsn_dec_limits_default(&lim);
    lim.max_buffered_bytes = (uint32_t)(per_set + per_set / 2);
    s = sess_lim(&lim, FSN_DEC_V9, 42);
    k = fsn_dec_counters(s);
    c.n = 0;
    v9_hdr(&b, 2, 10000, SECS, 1, 42);
    t300_data(&b, 2);
    feed(s, &b, 0, &c);
    v9_hdr(&b, 2, 10000, SECS + 1, 2, 42);
    t300_data(&b, 2);
    b.d[20 + 4 + 8 + 3] = 0x77; /* this set's first record: 0x77 octets instead of 100 */
    feed(s, &b, 0, &c);
    ok(k->buffered_sets == 2 && k->buffered_drops == 1, "buffered: cap drops the oldest set");
    v9_hdr(&b, 2, 10000, SECS + 2, 3, 42);
    t300_data(&b, 30); /* bigger than the whole cap */
    feed(s, &b, 0, &c);
    is_uint(k->buffered_drops, 2, "buffered: a set bigger than the cap is dropped");
    ok(fsn_dec_memory(s) - mem0 <= lim.max_buffered_bytes, "buffered: memory within the cap");
    v9_hdr(&b, 2, 10000, SECS + 3, 4, 42);
    t300_tmpl(&b);
    feed(s, &b, 0, &c);
    ok(c.n == 2 && c.f[0].octets == 0x77 && c.m[0].export_ms == EXPORT_MS + 1000,
       "buffered: the newest set survived the cap");

    /* Buffering off. */
    fsn_dec_session_free(s);
    fsn_dec_limits_default(&lim);
    lim.max_buffered_bytes = 0;
    s = sess_lim(&lim, FSN_DEC_V9, 42);
    k = fsn_dec_counters(s);
    v9_hdr(&b, 2, 10000, SECS, 1, 42);
    t300_data(&b, 1);
    feed(s, &b, 0, NULL);
    ok(k->notmpl_sets == 1 && k->buffered_sets == 0 && k->buffered_drops == 1,
       "buffered: max_buffered_bytes 0 keeps nothing");
    fsn_dec_session_free(s);
}

/* ---------------------------------------------------------------- caps */

static void test_caps(void)
{
    struct fsn_dec_limits lim;
    struct fsn_dec_session *s;
    const struct fsn_dec_counters *k;
    struct bld b;
    struct cap c = {0};
    size_t at;
    static const struct fspec f3[] = {{8, 4}, {12, 4}, {2, 4}};
    static const struct fspec f4[] = {{8, 4}, {12, 4}, {2, 4}, {1, 4}};

    fsn_dec_limits_default(&lim);
    lim.max_templates = 2;
    lim.max_fields = 3;
    s = sess_lim(&lim, FSN_DEC_V9, 42);
    k = fsn_dec_counters(s);
    v9_hdr(&b, 4, 1, SECS, 0, 42);
    at = set_begin(&b, 0);
    v9_tmpl(&b, 256, f3, 3);
    v9_tmpl(&b, 257, f4, 4); /* over max_fields */
    v9_tmpl(&b, 258, f3, 3);
    v9_tmpl(&b, 259, f3, 3); /* over max_templates */
    set_end(&b, at);
    is_int(feed(s, &b, 0, &c), 0, "caps: refusing templates is not malformed");
    is_uint(k->templates, 2, "caps: two templates kept");
    is_uint(k->template_drops, 2, "caps: one refused for fields, one for the table");
    v9_hdr(&b, 4, 1, SECS, 1, 42);
    at = set_begin(&b, 0);
    v9_tmpl(&b, 256, f4 + 1, 3); /* 256 redefined: replacing is always allowed */
    set_end(&b, at);
    at = set_begin(&b, 256);
    bbytes(&b, ip4(1, 2, 3, 4), 4);
    b32(&b, 5);
    b32(&b, 600);
    set_end(&b, at);
    at = set_begin(&b, 259);
    b32(&b, 0);
    b32(&b, 0);
    b32(&b, 0);
    set_end(&b, at);
    feed(s, &b, 0, &c);
    ok(k->templates == 2 && c.n == 1 && c.f[0].packets == 5 && c.f[0].octets == 600 &&
           addr_is(c.f[0].key.dst, ip4(1, 2, 3, 4), 4),
       "caps: a template can be replaced at the cap, with its new layout");
    is_uint(k->notmpl_sets, 1, "caps: data of a refused template has no template");
    fsn_dec_session_free(s);
}

/* ------------------------------------------------------- persistence */

static bool flow_same(const struct fsn_flow *a, const struct fsn_flow *b)
{
    return memcmp(&a->key, &b->key, sizeof a->key) == 0 && a->packets == b->packets &&
           a->octets == b->octets && a->first_ms == b->first_ms && a->last_ms == b->last_ms &&
           a->out_if == b->out_if && a->src_as == b->src_as && a->dst_as == b->dst_as &&
           a->sampling == b->sampling && memcmp(a->nexthop, b->nexthop, 16) == 0 &&
           a->tcp_flags == b->tcp_flags && a->src_mask == b->src_mask &&
           a->dst_mask == b->dst_mask && a->end_reason == b->end_reason;
}

static void test_persist(void)
{
    struct fsn_dec_session *a = sess(FSN_DEC_V9, 42), *bs = sess(FSN_DEC_V9, 42), *other;
    struct fsn_dec_limits lim;
    struct bld b, data;
    struct cap ca = {0}, cb = {0};
    uint8_t blob[4096], bad[4096];
    size_t len = 0, at, len2;
    struct fsn_addr exp;
    uint8_t ver;
    uint32_t dom;
    struct fsn_addr ea = test_exporter(1);

    /* Session a learns 256/257, options template 262 and a default interval of 4. */
    v9_sample(&b, 1, NULL);
    feed(a, &b, 0, NULL);
    v9_hdr(&b, 1, 1000, SECS, 2, 42);
    at = set_begin(&b, 1);
    b16(&b, 262);
    b16(&b, 4);
    b16(&b, 4);
    b16(&b, 1);
    b16(&b, 4);
    b16(&b, 34);
    b16(&b, 4);
    b16(&b, 0);
    set_end(&b, at);
    at = set_begin(&b, 262);
    b32(&b, 0);
    b32(&b, 4);
    set_end(&b, at);
    feed(a, &b, 0, NULL);
    is_uint(fsn_dec_counters(a)->templates, 3, "persist: three templates learnt");

    is_int(fsn_dec_save(a, 0, blob, 10, &len), FSN_E_SPACE, "persist: save into a small buffer");
    is_int(fsn_dec_save(a, 0, blob, sizeof blob, &len), 0, "persist: save");
    is_uint(len, fsn_dec_save_size(a), "persist: size as announced");
    ok(fsn_dec_saved_key(blob, len, &exp, &ver, &dom) == 0 && ver == 9 && dom == 42 &&
           exp.family == 4 && memcmp(exp.a, ea.a, 16) == 0,
       "persist: key read back");
    is_int(fsn_dec_restore(bs, blob, len), 0, "persist: restore");
    is_uint(fsn_dec_counters(bs)->templates, 3, "persist: templates restored");
    is_uint(fsn_dec_sampling(bs), 4, "persist: sampling restored");

    /* The same data decoded by both sessions gives the same flows. */
    v9_sample(&data, 3, NULL);
    {
        size_t tmpl_end;
        struct bld d2;
        v9_sample(&d2, 3, &tmpl_end);
        /* Keep the header and what follows the templates: data only. */
        memcpy(data.d, d2.d, 20);
        memcpy(data.d + 20, d2.d + tmpl_end, d2.n - tmpl_end);
        data.n = 20 + d2.n - tmpl_end;
    }
    feed(a, &data, 0, &ca);
    feed(bs, &data, 0, &cb);
    ok(ca.n == 3 && cb.n == 3 && flow_same(&ca.f[0], &cb.f[0]) &&
           flow_same(&ca.f[1], &cb.f[1]) && flow_same(&ca.f[2], &cb.f[2]),
       "persist: restored session decodes as the original");
    ok(cb.f[0].sampling == 4 && cb.f[0].packets == 12, "persist: restored sampling applied");
    is_uint(fsn_dec_counters(bs)->notmpl_sets, 0, "persist: no data without template");

    /* Errors leave the target unchanged. */
    other = sess(FSN_DEC_V9, 43);
    is_int(fsn_dec_restore(other, blob, len), FSN_E_RANGE, "persist: other domain refused");
    memcpy(bad, blob, len);
    bad[len / 2] ^= 0x40;
    is_int(fsn_dec_restore(other, bad, len), FSN_E_BADFILE, "persist: corrupted byte refused");
    for (len2 = 0; len2 < len; len2++)
        if (fsn_dec_restore(bs, blob, len2) != FSN_E_BADFILE)
            break;
    is_uint(len2, len, "persist: every truncation refused");
    memcpy(bad, blob, len);
    bad[4] = 0;
    bad[5] = 3; /* format 3: unknown */
    is_int(fsn_dec_restore(bs, bad, len), FSN_E_BADFILE, "persist: unknown format refused");
    fsn_dec_limits_default(&lim);
    lim.max_templates = 2;
    fsn_dec_session_free(other);
    other = sess_lim(&lim, FSN_DEC_V9, 42);
    is_int(fsn_dec_restore(other, blob, len), FSN_E_LIMIT, "persist: over max_templates refused");
    is_uint(fsn_dec_counters(other)->templates, 0, "persist: refused restore changes nothing");
    is_uint(fsn_dec_counters(bs)->templates, 3, "persist: failed restores kept the templates");
    cb.n = 0;
    feed(bs, &data, 0, &cb);
    is_uint(cb.n, 3, "persist: and they still decode");
    fsn_dec_session_free(other);
    fsn_dec_session_free(a);
    fsn_dec_session_free(bs);
}

/* ------------------------------------------------------- peek, keys */

static void test_peek(void)
{
    struct bld b;
    uint8_t v = 0;
    uint32_t d = 0;
    struct fsn_dec_session *s = sess(FSN_DEC_V9, 42);

    v5_sample(&b, 1);
    ok(fsn_dec_peek(b.d, b.n, &v, &d) == 0 && v == 5 && d == 258, "peek: v5 engine");
    v9_hdr(&b, 0, 1, SECS, 0, 0x01020304);
    ok(fsn_dec_peek(b.d, b.n, &v, &d) == 0 && v == 9 && d == 0x01020304, "peek: v9 source id");
    ipfix_hdr(&b, SECS, 0, 77);
    ipfix_end(&b);
    ok(fsn_dec_peek(b.d, b.n, &v, &d) == 0 && v == 10 && d == 77, "peek: IPFIX domain");
    is_int(fsn_dec_peek(b.d, 15, &v, &d), FSN_E_TRUNC, "peek: short IPFIX header");
    is_int(fsn_dec_peek(b.d, 1, &v, &d), FSN_E_TRUNC, "peek: one byte");
    b.d[1] = 8;
    is_int(fsn_dec_peek(b.d, b.n, &v, &d), FSN_E_BADVER, "peek: version 8");

    v9_hdr(&b, 0, 1, SECS, 0, 43);
    is_int(feed(s, &b, 0, NULL), FSN_E_RANGE, "session: other domain refused");
    v5_sample(&b, 1);
    is_int(feed(s, &b, 0, NULL), FSN_E_BADVER, "session: other version refused");
    is_uint(fsn_dec_counters(s)->datagrams, 0, "session: refused datagrams not counted");
    ok(fsn_dec_session_new(NULL, NULL, 8, 0) == NULL, "session: version 8 refused");
    fsn_dec_session_free(NULL);
    fsn_dec_session_free(s);
}

int main(void)
{
    test_v5();
    test_v5_malformed();
    test_v5_loss();
    test_v9_fields();
    test_v9_malformed();
    test_v9_sampling();
    test_v9_loss();
    test_buffered();
    test_caps();
    test_persist();
    test_peek();
    return tap_done();
}
