/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the IPFIX decoder (RFC 7011/7012, RFC 5103 biflows):
 * every time element, reduced-size integers, variable-length and
 * enterprise fields, biflows, withdrawals, padding, sampling options,
 * sequence loss and malformed messages. Messages are built by hand as
 * RFC 7011 draws them; expected values are computed in comments.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/dec.h"
#include "lib/error.h"
#include "tests/tap.h"
#include "tests/unit/dec_build.h"

#define SECS 1700000000u
#define EXPORT_MS (SECS * 1000ull)
#define NTP_OFFSET 2208988800ull
#define REV 29305 /* RFC 5103 reverse PEN */

struct ie {
    uint16_t id, len;
    uint32_t pen;
};

static void tmpl(struct bld *b, uint16_t id, const struct ie *f, size_t n)
{
    b16(b, id);
    b16(b, n);
    for (size_t i = 0; i < n; i++) {
        b16(b, f[i].pen ? f[i].id | 0x8000 : f[i].id);
        b16(b, f[i].len);
        if (f[i].pen)
            b32(b, f[i].pen);
    }
}

static void otmpl(struct bld *b, uint16_t id, uint16_t nscope, const struct ie *f, size_t n)
{
    b16(b, id);
    b16(b, n);
    b16(b, nscope);
    for (size_t i = 0; i < n; i++) {
        b16(b, f[i].pen ? f[i].id | 0x8000 : f[i].id);
        b16(b, f[i].len);
        if (f[i].pen)
            b32(b, f[i].pen);
    }
}

static struct fsn_dec_session *sess(void)
{
    struct fsn_addr a = test_exporter(7);
    return fsn_dec_session_new(NULL, &a, FSN_DEC_IPFIX, 1);
}

static int feed(struct fsn_dec_session *s, const struct bld *b, struct cap *c)
{
    return fsn_dec_datagram(s, b->d, b->n, 0, c ? cap_emit : NULL, c);
}

static void addrs(struct bld *b, uint8_t last)
{
    bbytes(b, ip4(10, 0, 0, last), 4);
    bbytes(b, ip4(10, 0, 1, last), 4);
}

static bool addr_is4(const struct fsn_flow *f)
{
    return f->key.family == FSN_FAMILY_IPV4 && memcmp(f->key.src, ip4(10, 0, 0, 1), 16) == 0 &&
           memcmp(f->key.dst, ip4(10, 0, 1, 1), 16) == 0;
}

static uint64_t ntp(uint64_t unix_secs, uint32_t frac)
{
    return (unix_secs + NTP_OFFSET) << 32 | frac;
}

/* Every time element (RFC 7012 §5.9, RFC 7011 §6.1.7-6.1.10). */
static void test_times(void)
{
    struct fsn_dec_session *s = sess(), *s2 = sess();
    struct bld b;
    struct cap c = {0};
    size_t at;
    static const struct ie t400[] = {{8, 4, 0}, {12, 4, 0}, {150, 4, 0}, {151, 4, 0}};
    static const struct ie t401[] = {{8, 4, 0}, {12, 4, 0}, {152, 8, 0}, {153, 8, 0}};
    static const struct ie t402[] = {{8, 4, 0}, {12, 4, 0}, {154, 8, 0}, {155, 8, 0}};
    static const struct ie t403[] = {{8, 4, 0}, {12, 4, 0}, {156, 8, 0}, {157, 8, 0}};
    static const struct ie t404[] = {{8, 4, 0}, {12, 4, 0}, {158, 4, 0}, {159, 4, 0}};
    static const struct ie t405[] = {{8, 4, 0}, {12, 4, 0}, {22, 4, 0}, {21, 4, 0}};
    static const struct ie t406[] = {{8, 4, 0}, {12, 4, 0}, {160, 8, 0}, {22, 4, 0}, {21, 4, 0}};
    static const struct ie t407[] = {{8, 4, 0}, {12, 4, 0}, {152, 8, 0}, {161, 4, 0}};
    static const struct ie t408[] = {{8, 4, 0}, {12, 4, 0}, {153, 8, 0}, {162, 4, 0}};
    static const struct ie t409[] = {{8, 4, 0}, {12, 4, 0}, {1, 4, 0}};
    static const struct ie t410[] = {{8, 4, 0}, {12, 4, 0}, {150, 4, 0}, {152, 8, 0}, {151, 4, 0}, {153, 8, 0}};
    static const struct ie t411[] = {{8, 4, 0}, {12, 4, 0}, {323, 8, 0}};
    static const struct ie o420[] = {{149, 4, 0}, {160, 8, 0}};

    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    tmpl(&b, 400, t400, 4);
    tmpl(&b, 401, t401, 4);
    tmpl(&b, 402, t402, 4);
    tmpl(&b, 403, t403, 4);
    tmpl(&b, 404, t404, 4);
    tmpl(&b, 405, t405, 4);
    tmpl(&b, 406, t406, 5);
    tmpl(&b, 407, t407, 4);
    tmpl(&b, 408, t408, 4);
    tmpl(&b, 409, t409, 3);
    tmpl(&b, 410, t410, 6);
    tmpl(&b, 411, t411, 3);
    set_end(&b, at);
    at = set_begin(&b, 3);
    otmpl(&b, 420, 1, o420, 2);
    b16(&b, 0); /* padding */
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, NULL), 0, "times: templates");
    feed(s2, &b, NULL);

    /* Records, one set each, in the order of the expectations below. */
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 400);
    addrs(&b, 1);
    b32(&b, SECS - 20);
    b32(&b, SECS - 10);
    set_end(&b, at);
    at = set_begin(&b, 401);
    addrs(&b, 2);
    b64(&b, EXPORT_MS - 1234);
    b64(&b, EXPORT_MS - 234);
    set_end(&b, at);
    at = set_begin(&b, 402);
    addrs(&b, 3);
    b64(&b, ntp(SECS - 5, 0x80000000u)); /* .5 s */
    b64(&b, ntp(SECS - 1, 0x40000000u)); /* .25 s */
    set_end(&b, at);
    at = set_begin(&b, 403);
    addrs(&b, 4);
    b64(&b, ntp(SECS - 2, 0x00418938u)); /* 4294968 / 2^32 s = 1.0000001 ms */
    b64(&b, ntp(SECS - 2, 0xc0000000u)); /* .75 s */
    set_end(&b, at);
    at = set_begin(&b, 404);
    addrs(&b, 5);
    b32(&b, 3000000); /* 3 s before export */
    b32(&b, 1500999); /* 1500.999 ms: whole ms, 1500 */
    set_end(&b, at);
    at = set_begin(&b, 420); /* system init: an hour before export */
    b32(&b, 1);
    b64(&b, EXPORT_MS - 3600000);
    set_end(&b, at);
    at = set_begin(&b, 405);
    addrs(&b, 6);
    b32(&b, 3590000);
    b32(&b, 3595000);
    set_end(&b, at);
    at = set_begin(&b, 406);
    addrs(&b, 7);
    b64(&b, EXPORT_MS - 1000000);
    b32(&b, 100);
    b32(&b, 200);
    set_end(&b, at);
    at = set_begin(&b, 407);
    addrs(&b, 8);
    b64(&b, EXPORT_MS - 9000);
    b32(&b, 4000);
    set_end(&b, at);
    at = set_begin(&b, 408);
    addrs(&b, 9);
    b64(&b, EXPORT_MS - 100);
    b32(&b, 2500000);
    set_end(&b, at);
    at = set_begin(&b, 409);
    addrs(&b, 10);
    b32(&b, 1);
    set_end(&b, at);
    at = set_begin(&b, 410);
    addrs(&b, 11);
    b32(&b, SECS - 100);
    b64(&b, EXPORT_MS - 77);
    b32(&b, SECS - 50);
    b64(&b, EXPORT_MS - 7);
    set_end(&b, at);
    at = set_begin(&b, 411);
    addrs(&b, 12);
    b64(&b, EXPORT_MS - 4242);
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, &c), 0, "times: records");
    is_uint(c.n, 12, "times: twelve flow records");
    ok(c.f[0].first_ms == EXPORT_MS - 20000 && c.f[0].last_ms == EXPORT_MS - 10000,
       "times: flowStart/EndSeconds (150/151)");
    ok(c.f[1].first_ms == EXPORT_MS - 1234 && c.f[1].last_ms == EXPORT_MS - 234,
       "times: flowStart/EndMilliseconds (152/153)");
    ok(c.f[2].first_ms == EXPORT_MS - 4500 && c.f[2].last_ms == EXPORT_MS - 750,
       "times: flowStart/EndMicroseconds, NTP format (154/155)");
    ok(c.f[3].first_ms == EXPORT_MS - 1999 && c.f[3].last_ms == EXPORT_MS - 1250,
       "times: flowStart/EndNanoseconds, NTP format (156/157)");
    ok(c.f[4].first_ms == EXPORT_MS - 3000 && c.f[4].last_ms == EXPORT_MS - 1500,
       "times: flowStart/EndDeltaMicroseconds (158/159)");
    /* init = export - 3600 s; + 3590 s and + 3595 s */
    ok(c.f[5].first_ms == EXPORT_MS - 10000 && c.f[5].last_ms == EXPORT_MS - 5000,
       "times: sysUpTime (22/21) + systemInitTimeMilliseconds from options");
    ok(c.f[6].first_ms == EXPORT_MS - 1000000 + 100 && c.f[6].last_ms == EXPORT_MS - 1000000 + 200,
       "times: systemInitTimeMilliseconds in the record itself");
    ok(c.f[7].first_ms == EXPORT_MS - 9000 && c.f[7].last_ms == EXPORT_MS - 5000,
       "times: start + flowDurationMilliseconds (161)");
    ok(c.f[8].first_ms == EXPORT_MS - 2600 && c.f[8].last_ms == EXPORT_MS - 100,
       "times: end - flowDurationMicroseconds (162)");
    ok(c.f[9].first_ms == EXPORT_MS && c.f[9].last_ms == EXPORT_MS,
       "times: none: the export time");
    ok(c.f[10].first_ms == EXPORT_MS - 77 && c.f[10].last_ms == EXPORT_MS - 7,
       "times: milliseconds preferred over seconds");
    ok(c.f[11].first_ms == EXPORT_MS - 4242 && c.f[11].last_ms == EXPORT_MS - 4242,
       "times: observationTimeMilliseconds (323) alone");
    is_uint(fsn_dec_counters(s)->options_records, 1, "times: one options record");
    is_uint(fsn_dec_counters(s)->records, 12, "times: records counted");

    /*
     * Without systemInitTimeMilliseconds: the latest stamp is taken as the
     * export time (first = export - 5 s, last = export).
     */
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 405);
    addrs(&b, 6);
    b32(&b, 3590000);
    b32(&b, 3595000);
    set_end(&b, at);
    at = set_begin(&b, 411);
    addrs(&b, 12);
    b64(&b, EXPORT_MS - 4242);
    set_end(&b, at);
    ipfix_end(&b);
    c.n = 0;
    feed(s2, &b, &c);
    ok(c.n == 2 && c.f[0].first_ms == EXPORT_MS - 5000 && c.f[0].last_ms == EXPORT_MS,
       "times: sysUpTime without init time anchors at the export time");
    fsn_dec_session_free(s);
    fsn_dec_session_free(s2);
}

/* Element mapping, reduced-size integers (RFC 7011 §6.2), counter preferences. */
static void test_fields(void)
{
    struct fsn_dec_session *s = sess();
    struct bld b;
    struct cap c = {0};
    size_t at;
    static const struct ie t430[] = {
        {8, 4, 0}, {12, 4, 0}, {7, 2, 0}, {11, 2, 0}, {4, 1, 0}, {1, 3, 0}, {2, 1, 0}, {10, 2, 0}, {14, 1, 0}, {6, 2, 0},
        {243, 2, 0}, {18, 4, 0}, {16, 2, 0}, {17, 4, 0}, {9, 1, 0}, {13, 1, 0}, {136, 1, 0}, {5, 1, 0},
    };
    static const struct ie t431[] = {{8, 4, 0}, {12, 4, 0}, {85, 8, 0}, {86, 8, 0}, {252, 4, 0}, {253, 4, 0}};
    static const struct ie t432[] = {{8, 4, 0}, {12, 4, 0}, {85, 8, 0}, {1, 4, 0}, {2, 2, 0}, {86, 8, 0}};
    static const struct ie t433[] = {{8, 4, 0}, {12, 4, 0}, {23, 4, 0}, {24, 4, 0}};
    static const struct ie t434[] = {{8, 4, 0}, {12, 4, 0}, {4, 1, 0}, {32, 2, 0}};
    static const struct ie t435[] = {{8, 4, 0}, {12, 4, 0}, {4, 1, 0}, {176, 1, 0}, {177, 1, 0}};
    static const struct ie t436[] = {{27, 16, 0}, {28, 16, 0}, {8, 4, 0}, {12, 4, 0}};

    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    tmpl(&b, 430, t430, sizeof t430 / sizeof t430[0]);
    tmpl(&b, 431, t431, 6);
    tmpl(&b, 432, t432, 6);
    tmpl(&b, 433, t433, 4);
    tmpl(&b, 434, t434, 4);
    tmpl(&b, 435, t435, 5);
    tmpl(&b, 436, t436, 4);
    set_end(&b, at);
    at = set_begin(&b, 430);
    addrs(&b, 1);
    b16(&b, 5353);
    b16(&b, 53);
    b8(&b, 17);
    bn(&b, 0x123456, 3);
    bn(&b, 200, 1);
    b16(&b, 1001);
    b8(&b, 254);
    b16(&b, 0x0212); /* tcpControlBits in 2 bytes: the low 8 are the classic flags */
    b16(&b, 42);
    bbytes(&b, ip4(192, 0, 2, 254), 4);
    b16(&b, 65001);
    b32(&b, 4200000001u);
    b8(&b, 24);
    b8(&b, 25);
    b8(&b, 3);
    b8(&b, 0xb8);
    b8(&b, 0); /* padding */
    set_end(&b, at);
    at = set_begin(&b, 431);
    addrs(&b, 2);
    b64(&b, 5000000000ull);
    b64(&b, 4000000);
    b32(&b, 11);
    b32(&b, 12);
    set_end(&b, at);
    at = set_begin(&b, 432);
    addrs(&b, 3);
    b64(&b, 999999);
    b32(&b, 1500);
    b16(&b, 3);
    b64(&b, 888888);
    set_end(&b, at);
    at = set_begin(&b, 433);
    addrs(&b, 4);
    b32(&b, 640);
    b32(&b, 10);
    set_end(&b, at);
    at = set_begin(&b, 434);
    addrs(&b, 5);
    b8(&b, 1);
    b16(&b, 3 << 8 | 3); /* port unreachable */
    set_end(&b, at);
    at = set_begin(&b, 435);
    addrs(&b, 6);
    b8(&b, 1);
    b8(&b, 11);
    b8(&b, 0); /* time exceeded */
    set_end(&b, at);
    at = set_begin(&b, 436); /* both families; the IPv4 pair is zero */
    for (int i = 0; i < 16; i++)
        b8(&b, i == 0 ? 0x20 : i == 15 ? 1 : 0);
    for (int i = 0; i < 16; i++)
        b8(&b, i == 0 ? 0x20 : i == 15 ? 2 : 0);
    b32(&b, 0);
    b32(&b, 0);
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, &c), 0, "fields: decodes");
    is_uint(c.n, 7, "fields: seven records");
    ok(addr_is4(&c.f[0]), "fields: family and addresses");
    is_uint(c.f[0].key.sport, 5353, "fields: sport");
    is_uint(c.f[0].key.dport, 53, "fields: dport");
    is_uint(c.f[0].key.proto, 17, "fields: proto");
    is_uint(c.f[0].octets, 0x123456, "fields: octets in 3 bytes");
    is_uint(c.f[0].packets, 200, "fields: packets in 1 byte");
    is_uint(c.f[0].key.in_if, 1001, "fields: ingress in 2 bytes");
    is_uint(c.f[0].out_if, 254, "fields: egress in 1 byte");
    is_uint(c.f[0].tcp_flags, 0x12, "fields: 2-byte tcp flags");
    is_uint(c.f[0].key.vlan, 42, "fields: dot1qVlanId when vlanId is absent");
    ok(memcmp(c.f[0].nexthop, ip4(192, 0, 2, 254), 16) == 0, "fields: BGP next hop when no IP one");
    is_uint(c.f[0].src_as, 65001, "fields: src AS");
    is_uint(c.f[0].dst_as, 4200000001u, "fields: dst AS");
    ok(c.f[0].src_mask == 24 && c.f[0].dst_mask == 25, "fields: masks");
    is_uint(c.f[0].end_reason, 3, "fields: flowEndReason");
    is_uint(c.f[0].key.tos, 0xb8, "fields: tos");
    ok(c.f[1].octets == 5000000000ull && c.f[1].packets == 4000000,
       "fields: total counters when no delta");
    ok(c.f[1].key.in_if == 11 && c.f[1].out_if == 12, "fields: physical interfaces as fallback");
    ok(c.f[2].octets == 1500 && c.f[2].packets == 3, "fields: delta preferred over total");
    ok(c.f[3].octets == 640 && c.f[3].packets == 10, "fields: post counters as last resort");
    ok(c.f[4].key.dport == 0x0303 && c.f[4].key.sport == 0, "fields: icmpTypeCodeIPv4 to dport");
    is_uint(c.f[5].key.dport, 11 << 8, "fields: icmpTypeIPv4 + icmpCodeIPv4 to dport");
    ok(c.f[6].key.family == 6 && c.f[6].key.src[15] == 1 && c.f[6].key.dst[15] == 2,
       "fields: IPv6 chosen when the IPv4 pair is zero");
    fsn_dec_session_free(s);
}

/* Variable-length (RFC 7011 §7) and enterprise-specific fields (§3.2). */
static void test_varlen(void)
{
    struct fsn_dec_session *s = sess();
    struct bld b, ok_msg;
    struct cap c = {0};
    size_t at, data_at;
    static const struct ie t440[] = {
        {8, 4, 0}, {82, 65535, 0}, {100, 4, 9}, {12, 4, 0}, {83, 65535, 0}, {1, 4, 0}, {2, 4, 0},
    };
    char desc[300];

    memset(desc, 'x', sizeof desc);
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    tmpl(&b, 440, t440, 7);
    set_end(&b, at);
    data_at = set_begin(&b, 440);
    bbytes(&b, ip4(10, 0, 0, 1), 4);
    b8(&b, 4);
    bbytes(&b, "eth0", 4);
    b32(&b, 0xdeadbeef);
    bbytes(&b, ip4(10, 0, 1, 1), 4);
    b8(&b, 0); /* empty description */
    b32(&b, 1000);
    b32(&b, 10);
    bbytes(&b, ip4(10, 0, 0, 2), 4);
    b8(&b, 0);
    b32(&b, 0);
    bbytes(&b, ip4(10, 0, 1, 2), 4);
    b8(&b, 255); /* 3-byte length form: 255 then 300 */
    b16(&b, 300);
    bbytes(&b, desc, 300);
    b32(&b, 2000);
    b32(&b, 20);
    set_end(&b, data_at);
    ipfix_end(&b);
    ok_msg = b;
    is_int(feed(s, &b, &c), 0, "varlen: decodes");
    is_uint(c.n, 2, "varlen: two records");
    ok(c.f[0].key.dst[3] == 1 && c.f[0].octets == 1000 && c.f[0].packets == 10,
       "varlen: fields after 1-byte lengths and an enterprise field");
    ok(c.f[1].key.dst[3] == 2 && c.f[1].octets == 2000 && c.f[1].packets == 20,
       "varlen: fields after a 3-byte length of 300");

    /* The 300 claimed as 400: runs past the set. The first record stays. */
    b = ok_msg;
    /* set header 4, first record 26, then src 4, length 1, enterprise 4, dst 4, the 255 */
    bpatch16(&b, data_at + 4 + 26 + 4 + 1 + 4 + 4 + 1, 400);
    c.n = 0;
    is_int(feed(s, &b, &c), FSN_E_MALFORMED, "varlen: length past the set is malformed");
    ok(c.n == 1 && c.f[0].octets == 1000, "varlen: the record before it is emitted");
    /*
     * A set of exactly the minimum record length (22: 4 fixed + 1 length
     * byte + 4 + 4 + 1 + 4 + 4) whose first value claims 20 bytes in the
     * 3-byte form, with 15 left. (A set shorter than 22 would be padding.)
     */
    ipfix_hdr(&b, SECS, 1, 1);
    at = set_begin(&b, 440);
    bbytes(&b, ip4(10, 0, 0, 1), 4);
    b8(&b, 255);
    b16(&b, 20);
    for (int i = 0; i < 15; i++)
        b8(&b, 0);
    set_end(&b, at);
    ipfix_end(&b);
    c.n = 0;
    is_int(feed(s, &b, &c), FSN_E_MALFORMED, "varlen: 3-byte length past the set");
    is_uint(c.n, 0, "varlen: nothing emitted");
    fsn_dec_session_free(s);
}

/* RFC 5103: reverse elements (PEN 29305) give a second, reverse record. */
static void test_biflow(void)
{
    struct fsn_dec_session *s = sess();
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    struct bld b;
    struct cap c = {0};
    size_t at;
    static const struct ie t450[] = {
        {8, 4, 0},       {12, 4, 0},      {7, 2, 0},  {11, 2, 0},       {4, 1, 0},        {1, 8, 0},
        {2, 4, 0},       {1, 8, REV},  {2, 4, REV}, {6, 1, 0},    {6, 1, REV},   {152, 8, 0},
        {153, 8, 0},     {152, 8, REV}, {153, 8, REV}, {10, 4, 0}, {14, 4, 0},      {16, 4, 0},
        {17, 4, 0},      {9, 1, 0},       {13, 1, 0},
    };
    static const struct ie t451[] = {{8, 4, 0}, {12, 4, 0}, {231, 4, 0}, {232, 4, 0}, {298, 4, 0}, {299, 4, 0}};

    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    tmpl(&b, 450, t450, sizeof t450 / sizeof t450[0]);
    tmpl(&b, 451, t451, 6);
    set_end(&b, at);
    at = set_begin(&b, 450);
    for (int i = 0; i < 2; i++) {
        addrs(&b, (uint8_t)(1 + i));
        b16(&b, 50000);
        b16(&b, 443);
        b8(&b, 6);
        b64(&b, 1200);
        b32(&b, 10);
        b64(&b, i == 0 ? 48000 : 0); /* second record: nothing came back */
        b32(&b, i == 0 ? 40 : 0);
        b8(&b, 0x02);
        b8(&b, 0x12);
        b64(&b, EXPORT_MS - 5000);
        b64(&b, EXPORT_MS - 1000);
        b64(&b, EXPORT_MS - 4900);
        b64(&b, EXPORT_MS - 1100);
        b32(&b, 1);
        b32(&b, 2);
        b32(&b, 64512);
        b32(&b, 64513);
        b8(&b, 24);
        b8(&b, 16);
    }
    set_end(&b, at);
    at = set_begin(&b, 451);
    addrs(&b, 3);
    b32(&b, 700);
    b32(&b, 9000);
    b32(&b, 7);
    b32(&b, 9);
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, &c), 0, "biflow: decodes");
    is_uint(c.n, 5, "biflow: 2 + 1 + 2 records");
    ok(c.m[0].direction == FSN_DEC_FORWARD && c.m[1].direction == FSN_DEC_REVERSE,
       "biflow: forward then reverse");
    ok(c.f[0].octets == 1200 && c.f[0].packets == 10 && c.f[0].tcp_flags == 0x02,
       "biflow: forward counts and flags");
    ok(c.f[0].first_ms == EXPORT_MS - 5000 && c.f[0].last_ms == EXPORT_MS - 1000,
       "biflow: forward times");
    ok(c.f[1].octets == 48000 && c.f[1].packets == 40 && c.f[1].tcp_flags == 0x12,
       "biflow: reverse counts and flags");
    ok(c.f[1].key.src[3] == 1 && c.f[1].key.src[2] == 1 && c.f[1].key.dst[2] == 0 &&
           c.f[1].key.sport == 443 && c.f[1].key.dport == 50000,
       "biflow: reverse addresses and ports swapped");
    ok(c.f[1].key.in_if == 2 && c.f[1].out_if == 1 && c.f[1].src_as == 64513 &&
           c.f[1].dst_as == 64512 && c.f[1].src_mask == 16 && c.f[1].dst_mask == 24,
       "biflow: reverse interfaces, AS and masks swapped");
    ok(c.f[1].first_ms == EXPORT_MS - 4900 && c.f[1].last_ms == EXPORT_MS - 1100,
       "biflow: reverse times from the reverse elements");
    ok(c.m[2].direction == FSN_DEC_FORWARD && c.f[2].key.src[3] == 2 &&
           c.m[3].direction == FSN_DEC_FORWARD,
       "biflow: no reverse record when the reverse counts are zero");
    ok(c.f[3].octets == 700 && c.f[3].packets == 7 && c.f[4].octets == 9000 &&
           c.f[4].packets == 9 && c.m[4].direction == FSN_DEC_REVERSE,
       "biflow: initiator/responder counters");
    ok(k->records == 3 && k->reverse_records == 2, "biflow: counters");
    fsn_dec_session_free(s);
}

/* Template withdrawal (RFC 7011 §8.1) and template validation. */
static void test_withdraw(void)
{
    struct fsn_dec_session *s = sess();
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    struct bld b;
    struct cap c = {0};
    size_t at;
    static const struct ie t[] = {{8, 4, 0}, {12, 4, 0}, {2, 4, 0}};
    static const struct ie o[] = {{149, 4, 0}, {34, 4, 0}};

    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    tmpl(&b, 256, t, 3);
    tmpl(&b, 257, t, 3);
    b16(&b, 0); /* padding in a template set */
    set_end(&b, at);
    at = set_begin(&b, 3);
    otmpl(&b, 258, 1, o, 2);
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, NULL), 0, "withdraw: templates with padding");
    is_uint(k->templates, 3, "withdraw: three templates");

    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    b16(&b, 256);
    b16(&b, 0);
    set_end(&b, at);
    at = set_begin(&b, 3);
    b16(&b, 257); /* a data template withdrawn in an options set: not the kind, kept */
    b16(&b, 0);
    set_end(&b, at);
    at = set_begin(&b, 256);
    addrs(&b, 1);
    b32(&b, 5);
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, &c), 0, "withdraw: one template");
    ok(k->templates == 2 && k->withdrawals == 2 && c.n == 0 && k->notmpl_sets == 1,
       "withdraw: 256 gone, its data has no template");

    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    b16(&b, 2); /* all data templates */
    b16(&b, 0);
    set_end(&b, at);
    ipfix_end(&b);
    feed(s, &b, NULL);
    ok(k->templates == 1 && k->withdrawals == 3, "withdraw: all data templates, options kept");
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 3);
    b16(&b, 3); /* all options templates */
    b16(&b, 0);
    set_end(&b, at);
    ipfix_end(&b);
    feed(s, &b, NULL);
    ok(k->templates == 0 && k->withdrawals == 4, "withdraw: all options templates");
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    b16(&b, 100);
    b16(&b, 0);
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, NULL), FSN_E_MALFORMED, "withdraw: id 100 is malformed");

    /* Validation: a broken redefinition leaves the old template in place. */
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    tmpl(&b, 256, t, 3);
    set_end(&b, at);
    ipfix_end(&b);
    feed(s, &b, NULL);
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    b16(&b, 256);
    b16(&b, 2);
    b16(&b, 8 | 0x8000); /* enterprise bit, but the PEN is cut off */
    b16(&b, 4);
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, NULL), FSN_E_MALFORMED, "validate: truncated field specifier");
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 3);
    otmpl(&b, 259, 0, o, 2); /* scope count 0 */
    otmpl(&b, 260, 3, o, 2); /* scope count above field count */
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, NULL), FSN_E_MALFORMED, "validate: options scope count 0");
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 3);
    otmpl(&b, 260, 3, o, 2);
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, NULL), FSN_E_MALFORMED, "validate: options scope count above field count");
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    tmpl(&b, 255, t, 3);
    set_end(&b, at);
    ipfix_end(&b);
    is_int(feed(s, &b, NULL), FSN_E_MALFORMED, "validate: template id 255");
    is_uint(k->templates, 1, "validate: only the good 256 is known");
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 256);
    addrs(&b, 9);
    b32(&b, 77);
    b8(&b, 0); /* padding in a data set */
    b8(&b, 0);
    b8(&b, 0);
    set_end(&b, at);
    ipfix_end(&b);
    c.n = 0;
    is_int(feed(s, &b, &c), 0, "validate: data with padding");
    ok(c.n == 1 && c.f[0].packets == 77, "validate: the old 256 still decodes");
    fsn_dec_session_free(s);
}

/* Sampling from options data: selectorId with RFC 5477 elements, or none. */
static void test_sampling(void)
{
    struct fsn_dec_session *s = sess();
    struct bld b;
    struct cap c = {0};
    size_t at;
    static const struct ie o1[] = {{302, 2, 0}, {305, 4, 0}, {306, 4, 0}};
    static const struct ie o2[] = {{302, 2, 0}, {309, 4, 0}, {310, 4, 0}};
    static const struct ie o3[] = {{149, 4, 0}, {34, 4, 0}};
    static const struct ie d1[] = {{8, 4, 0}, {12, 4, 0}, {302, 2, 0}, {2, 4, 0}};
    static const struct ie d2[] = {{8, 4, 0}, {12, 4, 0}, {2, 4, 0}};

    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 3);
    otmpl(&b, 500, 1, o1, 3);
    otmpl(&b, 501, 1, o2, 3);
    otmpl(&b, 502, 1, o3, 2);
    set_end(&b, at);
    at = set_begin(&b, 2);
    tmpl(&b, 510, d1, 4);
    tmpl(&b, 511, d2, 3);
    set_end(&b, at);
    at = set_begin(&b, 500); /* selector 5: 1 taken, 99 skipped: 1:100 */
    b16(&b, 5);
    b32(&b, 1);
    b32(&b, 99);
    set_end(&b, at);
    at = set_begin(&b, 501); /* selector 6: 1 out of 256 */
    b16(&b, 6);
    b32(&b, 1);
    b32(&b, 256);
    set_end(&b, at);
    at = set_begin(&b, 510);
    addrs(&b, 1);
    b16(&b, 5);
    b32(&b, 3);
    addrs(&b, 2);
    b16(&b, 6);
    b32(&b, 3);
    set_end(&b, at);
    at = set_begin(&b, 511);
    addrs(&b, 3);
    b32(&b, 3);
    set_end(&b, at);
    at = set_begin(&b, 502); /* a default without selector: 1:10 */
    b32(&b, 1);
    b32(&b, 10);
    set_end(&b, at);
    at = set_begin(&b, 511);
    addrs(&b, 4);
    b32(&b, 3);
    set_end(&b, at);
    ipfix_end(&b);
    feed(s, &b, &c);
    is_uint(c.n, 4, "sampling: four records");
    ok(c.f[0].sampling == 100 && c.f[0].packets == 300, "sampling: 305/306 give 1:100");
    ok(c.f[1].sampling == 256 && c.f[1].packets == 768, "sampling: 309/310 give 1:256");
    is_uint(c.f[2].sampling, 256, "sampling: no selector: the one announced last");
    ok(c.f[3].sampling == 10 && c.f[3].packets == 30, "sampling: the default once announced");
    fsn_dec_session_free(s);
}

/* IPFIX sequence numbers count data records before this message (RFC 7011 §3.1). */
static void test_loss(void)
{
    struct fsn_dec_session *s = sess();
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    struct bld b;
    size_t at;
    static const struct ie t[] = {{8, 4, 0}, {12, 4, 0}, {2, 4, 0}};
    static const struct {
        uint32_t seq;
        uint8_t nrec;  /* records of template 256 (0: templates only) */
        bool unknown;  /* plus a set of template 999, not defined */
        uint64_t lost, reordered, resets;
    } steps[] = {
        {0, 3, false, 0, 0, 0},
        {3, 2, false, 0, 0, 0},
        {10, 1, false, 5, 0, 0},  /* 5..9 missing */
        {5, 2, false, 3, 1, 0},   /* late: 5, 6 */
        {7, 3, false, 0, 2, 0},   /* late: 7, 8, 9 */
        {11, 1, false, 0, 2, 0},
        {12, 0, false, 0, 2, 0},  /* templates only: adds nothing */
        {12, 1, true, 0, 2, 0},   /* with data of an unknown template: count unknown */
        {40, 1, false, 0, 2, 0},  /* ... so this one resynchronizes */
        {45, 1, false, 4, 2, 0},
        {6, 1, false, 4, 2, 1},   /* far back, before the gap: restart */
    };

    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        ipfix_hdr(&b, SECS, steps[i].seq, 1);
        at = set_begin(&b, 2);
        tmpl(&b, 256, t, 3);
        set_end(&b, at);
        if (steps[i].nrec) {
            at = set_begin(&b, 256);
            for (uint8_t r = 0; r < steps[i].nrec; r++) {
                addrs(&b, r);
                b32(&b, 1);
            }
            set_end(&b, at);
        }
        if (steps[i].unknown) {
            at = set_begin(&b, 999);
            b32(&b, 0);
            set_end(&b, at);
        }
        ipfix_end(&b);
        feed(s, &b, NULL);
        ok(k->lost == steps[i].lost && k->reordered == steps[i].reordered &&
               k->seq_resets == steps[i].resets,
           "IPFIX loss: seq %u with %u records -> lost %ju reordered %ju resets %ju",
           steps[i].seq, steps[i].nrec, (uintmax_t)steps[i].lost,
           (uintmax_t)steps[i].reordered, (uintmax_t)steps[i].resets);
    }
    fsn_dec_session_free(s);
}

/* Message and set lengths (RFC 7011 §3.1, §3.3.1). */
static void test_malformed(void)
{
    struct fsn_dec_session *s;
    struct bld b, full;
    struct cap c = {0};
    size_t at, bad = 0, none = 0;
    static const struct ie t[] = {{8, 4, 0}, {12, 4, 0}, {2, 4, 0}};

    ipfix_hdr(&full, SECS, 0, 1);
    at = set_begin(&full, 2);
    tmpl(&full, 256, t, 3);
    set_end(&full, at);
    at = set_begin(&full, 4); /* reserved set id */
    set_end(&full, at);
    at = set_begin(&full, 256);
    addrs(&full, 1);
    b32(&full, 9);
    set_end(&full, at);
    ipfix_end(&full);

    s = sess();
    is_int(feed(s, &full, &c), 0, "malformed: the reference message is fine");
    ok(c.n == 1 && fsn_dec_counters(s)->unknown_sets == 1, "malformed: reserved set skipped");
    fsn_dec_session_free(s);

    s = sess();
    b = full;
    bpatch16(&b, 2, b.n + 1);
    c.n = 0;
    ok(feed(s, &b, &c) == FSN_E_MALFORMED && c.n == 0 && fsn_dec_counters(s)->templates == 0,
       "malformed: length past the datagram: nothing decoded");
    b = full;
    bpatch16(&b, 2, 15);
    ok(feed(s, &b, &c) == FSN_E_MALFORMED && c.n == 0, "malformed: length under the header");
    b = full;
    b16(&b, 0); /* two bytes beyond the message length */
    ok(feed(s, &b, &c) == FSN_E_MALFORMED && c.n == 1,
       "malformed: bytes after the message: malformed, the message decoded");
    b = full;
    b16(&b, 0);
    ipfix_end(&b); /* the two bytes inside the message: a stub set header */
    c.n = 0;
    ok(feed(s, &b, &c) == FSN_E_MALFORMED && c.n == 1, "malformed: stub at the end of a message");
    b = full;
    bpatch16(&b, 16 + 2, 3);
    c.n = 0;
    ok(feed(s, &b, &c) == FSN_E_MALFORMED && c.n == 0, "malformed: set length 3");
    b = full;
    bpatch16(&b, b.n - 16 + 2, 20); /* the 256 data set: 16 bytes, claims 20 */
    c.n = 0;
    ok(feed(s, &b, &c) == FSN_E_MALFORMED && c.n == 0, "malformed: last set past the message");
    is_uint(fsn_dec_counters(s)->malformed, 6, "malformed: each counted once");
    fsn_dec_session_free(s);

    /* Truncated at every offset: the length field no longer matches; nothing is decoded. */
    s = sess();
    for (size_t cut = 2; cut < full.n; cut++) {
        c.n = 0;
        if (fsn_dec_datagram(s, full.d, cut, 0, cap_emit, &c) == FSN_E_MALFORMED)
            bad++;
        if (c.n == 0)
            none++;
    }
    is_uint(bad, full.n - 2, "malformed: every truncation malformed");
    is_uint(none, full.n - 2, "malformed: no record from a truncation");
    is_uint(fsn_dec_counters(s)->templates, 0, "malformed: no template from a truncation");
    is_uint(fsn_dec_counters(s)->malformed, full.n - 2, "malformed: all counted");
    fsn_dec_session_free(s);
}


/* Save and restore templates with enterprise, reverse and variable-length fields. */
static void test_persist(void)
{
    struct fsn_dec_session *a = sess(), *r = sess();
    struct bld b, data;
    struct cap ca = {0}, cr = {0};
    uint8_t blob[2048];
    size_t len = 0, at;
    static const struct ie t[] = {
        {8, 4, 0}, {12, 4, 0}, {82, 65535, 0}, {100, 4, 9}, {1, 4, 0}, {1, 4, REV},
        {2, 4, 0}, {2, 4, REV}, {22, 4, 0}, {21, 4, 0},
    };
    static const struct ie o[] = {{149, 4, 0}, {160, 8, 0}, {34, 4, 0}};

    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 2);
    tmpl(&b, 600, t, 10);
    set_end(&b, at);
    at = set_begin(&b, 3);
    otmpl(&b, 601, 1, o, 3);
    set_end(&b, at);
    at = set_begin(&b, 601);
    b32(&b, 1);
    b64(&b, EXPORT_MS - 100000);
    b32(&b, 10);
    set_end(&b, at);
    ipfix_end(&b);
    feed(a, &b, NULL);
    ok(fsn_dec_save(a, 0, blob, sizeof blob, &len) == 0 && fsn_dec_restore(r, blob, len) == 0,
       "persist: IPFIX templates saved and restored");
    ok(fsn_dec_counters(r)->templates == 2 && fsn_dec_sampling(r) == 10,
       "persist: templates and sampling restored");

    ipfix_hdr(&data, SECS, 1, 1);
    at = set_begin(&data, 600);
    addrs(&data, 1);
    b8(&data, 3);
    bbytes(&data, "ge0", 3);
    b32(&data, 0xcafef00d);
    b32(&data, 1000);
    b32(&data, 3000);
    b32(&data, 4);
    b32(&data, 6);
    b32(&data, 1000);
    b32(&data, 2000);
    set_end(&data, at);
    ipfix_end(&data);
    feed(a, &data, &ca);
    feed(r, &data, &cr);
    ok(ca.n == 2 && cr.n == 2, "persist: a biflow from both sessions");
    ok(cr.f[0].octets == 10000 && cr.f[0].packets == 40 && cr.f[1].octets == 30000 &&
           cr.f[1].packets == 60 && cr.f[0].sampling == 10,
       "persist: counts, reverse counts and sampling from the restored session");
    /* systemInitTimeMilliseconds restored: init + 1000 and init + 2000. */
    ok(cr.f[0].first_ms == EXPORT_MS - 99000 && cr.f[0].last_ms == EXPORT_MS - 98000,
       "persist: system init time restored");
    ok(ca.f[0].first_ms == cr.f[0].first_ms && ca.f[1].octets == cr.f[1].octets &&
           memcmp(&ca.f[1].key, &cr.f[1].key, sizeof ca.f[1].key) == 0,
       "persist: same flows as the original session");
    fsn_dec_session_free(a);
    fsn_dec_session_free(r);
}

int main(void)
{
    test_times();
    test_fields();
    test_varlen();
    test_biflow();
    test_withdraw();
    test_sampling();
    test_loss();
    test_malformed();
    test_persist();
    return tap_done();
}
