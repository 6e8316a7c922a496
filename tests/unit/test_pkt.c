/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/pkt: frames built byte by byte for every link type and
 * encapsulation, with the expected key written down by hand from what the
 * builder put in; truncation sweeps over every capture length; and real
 * captures from shared/data, read by a small pcap reader below, whose
 * totals are compared with tshark's (numbers and commands in the comments).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/pkt.h"
#include "tests/tap.h"

/* ---- Frame builder ---------------------------------------------------- */

struct frame {
    uint8_t b[4096];
    uint32_t n;
    uint32_t key_end; /* bytes needed for the key: shorter captures must fail */
};

static const uint8_t A4[4] = {192, 0, 2, 1};
static const uint8_t B4[4] = {198, 51, 100, 2};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd};

static void put(struct frame *f, const void *p, uint32_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void put8(struct frame *f, uint8_t v)
{
    f->b[f->n++] = v;
}

static void put16(struct frame *f, uint16_t v)
{
    fsn_store16(f->b + f->n, v);
    f->n += 2;
}

static void put32(struct frame *f, uint32_t v)
{
    fsn_store32(f->b + f->n, v);
    f->n += 4;
}

static void zeros(struct frame *f, uint32_t n)
{
    memset(f->b + f->n, 0, n);
    f->n += n;
}

/* Payload bytes that look like ports and flags, to catch reads from the wrong place. */
static void junk(struct frame *f, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        put8(f, (uint8_t)(0xe0 + i));
}

static void eth(struct frame *f, uint16_t type)
{
    static const uint8_t macs[12] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                                     0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
    memset(f, 0, sizeof *f);
    put(f, macs, sizeof macs);
    put16(f, type);
}

/* A VLAN tag after a TPID already written: TCI, then the next type. */
static void tag(struct frame *f, uint16_t tci, uint16_t next)
{
    put16(f, tci);
    put16(f, next);
}

/* IPv4 header A4 -> B4 with `opt_words` 32-bit words of options; total length patched by fix4. */
static uint32_t ip4(struct frame *f, uint8_t proto, uint8_t tos, uint16_t id, uint16_t frag,
                    uint8_t opt_words)
{
    uint32_t l3 = f->n;
    put8(f, (uint8_t)(0x45 + opt_words));
    put8(f, tos);
    put16(f, 0);
    put16(f, id);
    put16(f, frag);
    put8(f, 64);
    put8(f, proto);
    put16(f, 0);
    put(f, A4, 4);
    put(f, B4, 4);
    for (uint8_t i = 0; i < opt_words; i++)
        put32(f, 0x01010101); /* NOPs */
    f->key_end = f->n;
    return l3;
}

static void fix4(struct frame *f, uint32_t l3)
{
    fsn_store16(f->b + l3 + 2, (uint16_t)(f->n - l3));
}

/* IPv6 header A6 -> B6, traffic class `tc`, flow label 0xabcde; payload length patched by fix6. */
static uint32_t ip6(struct frame *f, uint8_t nh, uint8_t tc)
{
    uint32_t l3 = f->n;
    put32(f, 0x60000000u | (uint32_t)tc << 20 | 0xabcde);
    put16(f, 0);
    put8(f, nh);
    put8(f, 64);
    put(f, A6, 16);
    put(f, B6, 16);
    f->key_end = f->n;
    return l3;
}

static void fix6(struct frame *f, uint32_t l3)
{
    fsn_store16(f->b + l3 + 4, (uint16_t)(f->n - l3 - 40));
}

/* A generic extension header (hop-by-hop, routing, dest options ...) of 8 * (len + 1) bytes. */
static void ext6(struct frame *f, uint8_t nh, uint8_t len)
{
    put8(f, nh);
    put8(f, len);
    zeros(f, 6 + 8u * len);
    f->key_end = f->n;
}

static void frag6(struct frame *f, uint8_t nh, uint16_t offset, int more, uint32_t id)
{
    put8(f, nh);
    put8(f, 0);
    put16(f, (uint16_t)(offset << 3 | (more ? 1 : 0)));
    put32(f, id);
    f->key_end = f->n;
}

static void tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags)
{
    f->key_end = f->n + 14;
    put16(f, sport);
    put16(f, dport);
    put32(f, 1000);
    put32(f, 2000);
    put8(f, 0x50);
    put8(f, flags);
    put16(f, 65535);
    put32(f, 0);
}

/* UDP, SCTP and UDP-Lite share the port layout; 8 bytes here. */
static void ports(struct frame *f, uint16_t sport, uint16_t dport)
{
    f->key_end = f->n + 4;
    put16(f, sport);
    put16(f, dport);
    put32(f, 0x00080000);
}

static void icmp(struct frame *f, uint8_t type, uint8_t code)
{
    f->key_end = f->n + 2;
    put8(f, type);
    put8(f, code);
    put16(f, 0);
    put32(f, 0x12340001);
}

/* ---- Expectations ----------------------------------------------------- */

static struct fsn_pkt want4(uint8_t proto, uint16_t sport, uint16_t dport, uint8_t tos,
                            uint32_t ip_len, uint32_t l3)
{
    struct fsn_pkt w;
    memset(&w, 0, sizeof w);
    w.key.family = FSN_FAMILY_IPV4;
    memcpy(w.key.src, A4, 4);
    memcpy(w.key.dst, B4, 4);
    w.key.proto = proto;
    w.key.sport = sport;
    w.key.dport = dport;
    w.key.tos = tos;
    w.ip_len = ip_len;
    w.l3_offset = (uint16_t)l3;
    return w;
}

static struct fsn_pkt want6(uint8_t proto, uint16_t sport, uint16_t dport, uint8_t tc,
                            uint32_t ip_len, uint32_t l3)
{
    struct fsn_pkt w;
    memset(&w, 0, sizeof w);
    w.key.family = FSN_FAMILY_IPV6;
    memcpy(w.key.src, A6, 16);
    memcpy(w.key.dst, B6, 16);
    w.key.proto = proto;
    w.key.sport = sport;
    w.key.dport = dport;
    w.key.tos = tc;
    w.ip_len = ip_len;
    w.l3_offset = (uint16_t)l3;
    return w;
}

/* Parses into a struct full of garbage, so that a field left unset shows. */
static int parse(int dlt, const uint8_t *p, uint32_t caplen, uint32_t wirelen,
                 struct fsn_pkt *out)
{
    memset(out, 0xa5, sizeof *out);
    return fsn_pkt_parse(dlt, p, caplen, wirelen, out);
}

static void diff(const struct fsn_pkt *g, const struct fsn_pkt *w)
{
#define DIFF(field)                                                         \
    if (g->field != w->field)                                               \
        diag("  " #field ": got %ju, want %ju", (uintmax_t)g->field, (uintmax_t)w->field);
    DIFF(key.family) DIFF(key.proto) DIFF(key.sport) DIFF(key.dport) DIFF(key.tos)
    DIFF(key.vlan) DIFF(key.in_if) DIFF(ip_len) DIFF(frag) DIFF(frag_id) DIFF(tcp_flags)
    DIFF(l3_offset)
#undef DIFF
    if (memcmp(g->key.src, w->key.src, 16) || memcmp(g->key.dst, w->key.dst, 16))
        diag("  addresses differ");
    if (memcmp(g->key.pad, w->key.pad, sizeof g->key.pad))
        diag("  key padding not zero");
}

/* Parses the whole frame (wirelen 0 means wirelen = f->n) and compares every byte of the result. */
static void expect(const char *name, int dlt, const struct frame *f, uint32_t wirelen,
                   const struct fsn_pkt *want)
{
    struct fsn_pkt got;
    int ret = parse(dlt, f->b, f->n, wirelen ? wirelen : f->n, &got);

    if (ret != 0) {
        ok(0, "%s", name);
        diag("  returned %d (%s)", ret, fsn_strerror(ret));
        return;
    }
    if (!tap_ok(memcmp(&got, want, sizeof got) == 0, __FILE__, __LINE__, name))
        diff(&got, want);
}

static void expect_err(const char *name, int dlt, const struct frame *f, uint32_t wirelen,
                       int err)
{
    struct fsn_pkt got;
    is_int(parse(dlt, f->b, f->n, wirelen ? wirelen : f->n, &got), err, "%s", name);
}

/*
 * Parses every prefix of the frame, each from an exact-size heap copy (so
 * that the sanitizer build sees any read past the capture): shorter than
 * key_end must give FSN_E_MALFORMED, longer must give the full result.
 */
static void sweep(const char *name, int dlt, const struct frame *f, uint32_t wirelen)
{
    struct fsn_pkt full, got;
    int bad = 0;

    if (!wirelen)
        wirelen = f->n;
    if (parse(dlt, f->b, f->n, wirelen, &full) != 0) {
        ok(0, "sweep %s: full frame parses", name);
        return;
    }
    for (uint32_t cap = 0; cap <= f->n; cap++) {
        uint8_t *copy = malloc(cap ? cap : 1);
        int ret;
        memcpy(copy, f->b, cap);
        ret = parse(dlt, copy, cap, wirelen, &got);
        free(copy);
        if (cap < f->key_end ? ret != FSN_E_MALFORMED
                             : ret != 0 || memcmp(&got, &full, sizeof got) != 0) {
            if (bad++ < 3)
                diag("  caplen %u: returned %d", cap, ret);
        }
    }
    ok(bad == 0, "sweep %s: caplen 0..%u, key needs %u", name, f->n, f->key_end);
}

/* ---- Ethernet, IPv4, L4 ----------------------------------------------- */

static void test_ipv4(void)
{
    struct frame f;
    struct fsn_pkt w;
    uint32_t l3;

    eth(&f, 0x0800);
    l3 = ip4(&f, 6, 0x10, 0x1234, 0x4000, 0);
    tcp(&f, 1234, 80, 0xc2);
    junk(&f, 6);
    fix4(&f, l3);
    w = want4(6, 1234, 80, 0x10, 46, 14);
    w.tcp_flags = 0xc2;
    w.frag_id = 0x1234;
    expect("eth ipv4 tcp, DF is not a fragment", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("eth ipv4 tcp", FSN_DLT_EN10MB, &f, 0);

    f.b[l3 + 20 + 13] = 0xff;
    w.tcp_flags = 0xff;
    expect("all 8 tcp flag bits", FSN_DLT_EN10MB, &f, 0, &w);

    /* 60-byte minimum frame: 14 + 40 bytes of IP + 6 bytes of padding. */
    eth(&f, 0x0800);
    l3 = ip4(&f, 6, 0, 7, 0, 0);
    tcp(&f, 40000, 443, 0x10);
    fix4(&f, l3);
    zeros(&f, 6);
    ok(f.n == 60, "padded frame is 60 bytes");
    w = want4(6, 40000, 443, 0, 40, 14);
    w.tcp_flags = 0x10;
    w.frag_id = 7;
    expect("ethernet padding is not counted", FSN_DLT_EN10MB, &f, 0, &w);
    expect("nor is the FCS (wirelen 64)", FSN_DLT_EN10MB, &f, 64, &w);
    sweep("padded", FSN_DLT_EN10MB, &f, 0);

    /* TSO: total length 0, 128 bytes captured of a 9014-byte frame. */
    eth(&f, 0x0800);
    l3 = ip4(&f, 6, 0, 9, 0x4000, 0);
    tcp(&f, 5001, 33000, 0x18);
    junk(&f, 74);
    w = want4(6, 5001, 33000, 0, 9000, 14);
    w.tcp_flags = 0x18;
    w.frag_id = 9;
    expect("TSO total length 0 counts the wire bytes", FSN_DLT_EN10MB, &f, 9014, &w);
    sweep("TSO", FSN_DLT_EN10MB, &f, 9014);

    /* Inconsistent lengths. */
    eth(&f, 0x0800);
    l3 = ip4(&f, 17, 0, 1, 0, 0);
    ports(&f, 53, 53);
    fix4(&f, l3);
    fsn_store16(f.b + l3 + 2, 29);
    expect_err("total length beyond the wire bytes", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);
    fsn_store16(f.b + l3 + 2, 28);
    expect_err("total length equal to the wire bytes", FSN_DLT_EN10MB, &f, 0, 0);
    fsn_store16(f.b + l3 + 2, 19);
    expect_err("total length below the header length", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);
    fsn_store16(f.b + l3 + 2, 22);
    expect_err("total length cuts the UDP ports", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);
    fsn_store16(f.b + l3 + 2, 28);
    f.b[l3] = 0x44;
    expect_err("IHL 4", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);
    f.b[l3] = 0x55;
    expect_err("version 5", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);
    f.b[l3] = 0x65;
    expect_err("IPv6 version under the IPv4 ethertype", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);
    f.b[l3] = 0x4f;
    expect_err("IHL 15 beyond the packet", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);

    /* Options: the ports come after them. */
    eth(&f, 0x0800);
    l3 = ip4(&f, 17, 0xb8, 2, 0, 3);
    ports(&f, 5353, 5354);
    junk(&f, 4);
    fix4(&f, l3);
    w = want4(17, 5353, 5354, 0xb8, 44, 14);
    w.frag_id = 2;
    expect("ipv4 options + udp", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("ipv4 options + udp", FSN_DLT_EN10MB, &f, 0);

    /* ICMP: dport = type << 8 | code. */
    eth(&f, 0x0800);
    l3 = ip4(&f, 1, 0, 3, 0, 0);
    icmp(&f, 3, 3);
    fix4(&f, l3);
    w = want4(1, 0, 0x0303, 0, 28, 14);
    w.frag_id = 3;
    expect("icmp unreachable 3/3", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("icmp", FSN_DLT_EN10MB, &f, 0);
    f.b[l3 + 20] = 8;
    f.b[l3 + 21] = 0;
    w.key.dport = 0x0800;
    expect("icmp echo 8/0", FSN_DLT_EN10MB, &f, 0, &w);
    f.b[l3 + 9] = 58;
    w.key.proto = 58;
    w.key.dport = 0;
    expect("ICMPv6 over IPv4 gets no type/code", FSN_DLT_EN10MB, &f, 0, &w);

    /* SCTP, UDP-Lite: ports. GRE, IP-in-IP, ESP: not unwrapped, ports 0. */
    {
        static const uint8_t protos[] = {132, 136, 47, 4, 50};
        for (size_t i = 0; i < sizeof protos; i++) {
            int has_ports = protos[i] == 132 || protos[i] == 136;
            eth(&f, 0x0800);
            l3 = ip4(&f, protos[i], 0, 4, 0, 0);
            if (has_ports)
                ports(&f, 2905, 2906);
            else
                junk(&f, 24);
            fix4(&f, l3);
            w = want4(protos[i], has_ports ? 2905 : 0, has_ports ? 2906 : 0, 0,
                      has_ports ? 28 : 44, 14);
            w.frag_id = 4;
            expect(protos[i] == 132 ? "sctp" : protos[i] == 136 ? "udp-lite"
                   : protos[i] == 47 ? "gre counted as outer" : protos[i] == 4 ? "ipip outer"
                   : "esp", FSN_DLT_EN10MB, &f, 0, &w);
            if (!has_ports)
                sweep("proto without ports", FSN_DLT_EN10MB, &f, 0);
        }
    }
}

static void test_ipv4_frag(void)
{
    struct frame f;
    struct fsn_pkt w;
    uint32_t l3;

    eth(&f, 0x0800);
    l3 = ip4(&f, 6, 0, 0x4bc5, 0x2000, 0);
    tcp(&f, 1265, 21, 0x18);
    junk(&f, 20);
    fix4(&f, l3);
    w = want4(6, 1265, 21, 0, 60, 14);
    w.tcp_flags = 0x18;
    w.frag = FSN_FRAG_FIRST;
    w.frag_id = 0x4bc5;
    expect("ipv4 first fragment keeps ports", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("ipv4 first fragment", FSN_DLT_EN10MB, &f, 0);

    fsn_store16(f.b + l3 + 6, 0x2000 | 185);
    w = want4(6, 0, 0, 0, 60, 14);
    w.frag = FSN_FRAG_LATER;
    w.frag_id = 0x4bc5;
    expect("ipv4 middle fragment: no ports, no flags", FSN_DLT_EN10MB, &f, 0, &w);
    f.key_end = l3 + 20;
    sweep("ipv4 later fragment", FSN_DLT_EN10MB, &f, 0);
    fsn_store16(f.b + l3 + 6, 0x0000 | 370);
    expect("ipv4 last fragment (no MF)", FSN_DLT_EN10MB, &f, 0, &w);
    fsn_store16(f.b + l3 + 6, 0x4000 | 1);
    expect("ipv4 fragment at offset 8 bytes (DF set, offset 1)", FSN_DLT_EN10MB, &f, 0, &w);
    fsn_store16(f.b + l3 + 6, 0x1000);
    expect("ipv4 fragment at the highest offset bit", FSN_DLT_EN10MB, &f, 0, &w);

    /* A first fragment too short for the TCP flags (RFC 1858 tiny fragment). */
    eth(&f, 0x0800);
    l3 = ip4(&f, 6, 0, 5, 0x2000, 0);
    junk(&f, 8);
    fix4(&f, l3);
    expect_err("tiny first fragment", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);
}

/* ---- IPv6 --------------------------------------------------------------- */

static void test_ipv6(void)
{
    struct frame f;
    struct fsn_pkt w;
    uint32_t l3;

    eth(&f, 0x86dd);
    l3 = ip6(&f, 6, 0xb8);
    tcp(&f, 50000, 443, 0x02);
    fix6(&f, l3);
    w = want6(6, 50000, 443, 0xb8, 60, 14);
    w.tcp_flags = 0x02;
    expect("eth ipv6 tcp, traffic class", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("eth ipv6 tcp", FSN_DLT_EN10MB, &f, 0);

    eth(&f, 0x86dd);
    l3 = ip6(&f, 58, 0);
    icmp(&f, 128, 0);
    fix6(&f, l3);
    zeros(&f, 4);
    w = want6(58, 0, 0x8000, 0, 48, 14);
    expect("icmpv6 echo 128/0, padding not counted", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("icmpv6", FSN_DLT_EN10MB, &f, 0);
    f.b[l3 + 6] = 1;
    w.key.proto = 1;
    w.key.dport = 0;
    expect("ICMPv4 over IPv6 gets no type/code", FSN_DLT_EN10MB, &f, 0, &w);

    /* Hop-by-hop, routing, destination options, then UDP. */
    eth(&f, 0x86dd);
    l3 = ip6(&f, 0, 0);
    ext6(&f, 43, 0);
    ext6(&f, 60, 2);
    ext6(&f, 17, 1);
    ports(&f, 547, 546);
    junk(&f, 10);
    fix6(&f, l3);
    w = want6(17, 547, 546, 0, 40 + 8 + 24 + 16 + 8 + 10, 14);
    expect("hbh + routing + dstopts + udp", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("ext chain", FSN_DLT_EN10MB, &f, 0);
    fsn_store16(f.b + l3 + 4, 40);
    expect_err("payload length cuts the ext chain", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);
    fsn_store16(f.b + l3 + 4, (uint16_t)(f.n - l3 - 40 + 1));
    expect_err("payload length beyond the wire", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);

    /* AH: length in 4-byte units + 2; here 4 -> 24 bytes. Then mobility, no next header. */
    eth(&f, 0x86dd);
    l3 = ip6(&f, 51, 0);
    put8(&f, 6);
    put8(&f, 4);
    zeros(&f, 22);
    f.key_end = f.n;
    tcp(&f, 22, 61000, 0x11);
    fix6(&f, l3);
    w = want6(6, 22, 61000, 0, 84, 14);
    w.tcp_flags = 0x11;
    expect("AH + tcp", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("AH + tcp", FSN_DLT_EN10MB, &f, 0);

    eth(&f, 0x86dd);
    l3 = ip6(&f, 135, 0);
    ext6(&f, 59, 1);
    fix6(&f, l3);
    w = want6(59, 0, 0, 0, 56, 14);
    expect("mobility header then no next header", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("mobility", FSN_DLT_EN10MB, &f, 0);

    eth(&f, 0x86dd);
    l3 = ip6(&f, 50, 0);
    junk(&f, 30);
    fix6(&f, l3);
    w = want6(50, 0, 0, 0, 70, 14);
    expect("ESP ends the walk", FSN_DLT_EN10MB, &f, 0, &w);

    eth(&f, 0x86dd);
    l3 = ip6(&f, 59, 0);
    zeros(&f, 6);
    w = want6(59, 0, 0, 0, 40, 14);
    expect("no next header, payload length 0", FSN_DLT_EN10MB, &f, 0, &w);

    /* 16 extension headers are walked, 17 are not. */
    eth(&f, 0x86dd);
    l3 = ip6(&f, 60, 0);
    for (int i = 0; i < 15; i++)
        ext6(&f, 60, 0);
    ext6(&f, 17, 0);
    ports(&f, 1, 2);
    fix6(&f, l3);
    w = want6(17, 1, 2, 0, 40 + 16 * 8 + 8, 14);
    expect("16 extension headers", FSN_DLT_EN10MB, &f, 0, &w);
    eth(&f, 0x86dd);
    l3 = ip6(&f, 60, 0);
    for (int i = 0; i < 16; i++)
        ext6(&f, 60, 0);
    ext6(&f, 17, 0);
    ports(&f, 1, 2);
    fix6(&f, l3);
    expect_err("17 extension headers", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);

    /* Jumbogram (RFC 2675): payload length 0, jumbo option in hop-by-hop. */
    eth(&f, 0x86dd);
    l3 = ip6(&f, 0, 0);
    put8(&f, 6);
    put8(&f, 0);
    put8(&f, 0xc2);
    put8(&f, 4);
    put32(&f, 70028);
    f.key_end = f.n;
    tcp(&f, 80, 1024, 0x10);
    w = want6(6, 80, 1024, 0, 70068, 14);
    w.tcp_flags = 0x10;
    expect("jumbogram counts the wire bytes", FSN_DLT_EN10MB, &f, 14 + 40 + 70028, &w);
    sweep("jumbogram", FSN_DLT_EN10MB, &f, 14 + 40 + 70028);
    /* The same without the hop-by-hop header: Linux BIG TCP leaves the length 0. */
    eth(&f, 0x86dd);
    l3 = ip6(&f, 6, 0);
    tcp(&f, 80, 1024, 0x10);
    w = want6(6, 80, 1024, 0, 100000, 14);
    w.tcp_flags = 0x10;
    expect("payload length 0 over TCP counts the wire bytes", FSN_DLT_EN10MB, &f, 100014, &w);
}

static void test_ipv6_frag(void)
{
    struct frame f;
    struct fsn_pkt w;
    uint32_t l3;

    eth(&f, 0x86dd);
    l3 = ip6(&f, 44, 0);
    frag6(&f, 17, 0, 1, 0xdeadbeef);
    ports(&f, 53, 51851);
    junk(&f, 100);
    fix6(&f, l3);
    w = want6(17, 53, 51851, 0, 40 + 8 + 108, 14);
    w.frag = FSN_FRAG_FIRST;
    w.frag_id = 0xdeadbeef;
    expect("ipv6 first fragment", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("ipv6 first fragment", FSN_DLT_EN10MB, &f, 0);

    fsn_store16(f.b + l3 + 42, (uint16_t)(179 << 3 | 1));
    w = want6(17, 0, 0, 0, 156, 14);
    w.frag = FSN_FRAG_LATER;
    w.frag_id = 0xdeadbeef;
    expect("ipv6 middle fragment", FSN_DLT_EN10MB, &f, 0, &w);
    f.key_end = l3 + 48;
    sweep("ipv6 later fragment", FSN_DLT_EN10MB, &f, 0);
    fsn_store16(f.b + l3 + 42, (uint16_t)(358 << 3));
    expect("ipv6 last fragment", FSN_DLT_EN10MB, &f, 0, &w);
    fsn_store16(f.b + l3 + 42, 1 << 3);
    expect("ipv6 fragment at offset 8 bytes", FSN_DLT_EN10MB, &f, 0, &w);
    fsn_store16(f.b + l3 + 42, 6); /* the two reserved bits, offset 0, M clear */
    w = want6(17, 53, 51851, 0, 156, 14);
    w.frag_id = 0xdeadbeef;
    expect("ipv6 fragment reserved bits are ignored", FSN_DLT_EN10MB, &f, 0, &w);

    /* Atomic fragment (RFC 6946): offset 0, M clear: a whole packet. */
    fsn_store16(f.b + l3 + 42, 0);
    w = want6(17, 53, 51851, 0, 156, 14);
    w.frag_id = 0xdeadbeef;
    expect("ipv6 atomic fragment is not a fragment", FSN_DLT_EN10MB, &f, 0, &w);

    /* Hop-by-hop, fragment, destination options, TCP: the walk goes on after a first fragment. */
    eth(&f, 0x86dd);
    l3 = ip6(&f, 0, 0x20);
    ext6(&f, 44, 0);
    frag6(&f, 60, 0, 1, 77);
    ext6(&f, 6, 0);
    tcp(&f, 179, 40179, 0x18);
    fix6(&f, l3);
    w = want6(6, 179, 40179, 0x20, 40 + 8 + 8 + 8 + 20, 14);
    w.frag = FSN_FRAG_FIRST;
    w.frag_id = 77;
    w.tcp_flags = 0x18;
    expect("hbh + frag + dstopts + tcp", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("hbh + frag + dstopts + tcp", FSN_DLT_EN10MB, &f, 0);
}

/* ---- Ethernet encapsulations ------------------------------------------ */

static void test_vlan_mpls_pppoe(void)
{
    struct frame f;
    struct fsn_pkt w;
    uint32_t l3;

    eth(&f, 0x8100);
    tag(&f, 0xa064, 0x0800); /* PCP 5, VID 100 */
    l3 = ip4(&f, 17, 0, 1, 0, 0);
    ports(&f, 47808, 47808);
    fix4(&f, l3);
    w = want4(17, 47808, 47808, 0, 28, 18);
    w.key.vlan = 100;
    w.frag_id = 1;
    expect("802.1Q, VID without the PCP bits", FSN_DLT_EN10MB, &f, 0, &w);

    {
        static const uint16_t tpids[] = {0x88a8, 0x9100, 0x8100};
        for (size_t i = 0; i < 3; i++) {
            eth(&f, tpids[i]);
            tag(&f, 0x10c8, 0x8100); /* outer VID 200, DEI set */
            tag(&f, 0x0064, 0x86dd);
            l3 = ip6(&f, 17, 0);
            ports(&f, 9875, 9875);
            fix6(&f, l3);
            w = want6(17, 9875, 9875, 0, 48, 22);
            w.key.vlan = 200;
            expect(i == 0 ? "802.1ad QinQ: outer VID" : i == 1 ? "0x9100 QinQ" : "double 0x8100",
                   FSN_DLT_EN10MB, &f, 0, &w);
        }
    }
    sweep("QinQ ipv6", FSN_DLT_EN10MB, &f, 0);

    eth(&f, 0x88a8);
    tag(&f, 3000, 0x8100);
    tag(&f, 4095, 0x9100);
    tag(&f, 1, 0x8100);
    tag(&f, 2, 0x0800);
    l3 = ip4(&f, 1, 0, 0, 0, 0);
    icmp(&f, 0, 0);
    fix4(&f, l3);
    w = want4(1, 0, 0, 0, 28, 30);
    w.key.vlan = 3000;
    expect("4 tags deep", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("4 tags", FSN_DLT_EN10MB, &f, 0);

    eth(&f, 0x8100);
    tag(&f, 123, 0x0806);
    zeros(&f, 28);
    expect_err("VLAN + ARP", FSN_DLT_EN10MB, &f, 0, FSN_E_NOTIP);
    f.n = 16;
    expect_err("VLAN tag cut", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);

    /* MPLS: one label, IPv4. */
    eth(&f, 0x8847);
    put32(&f, 16000u << 12 | 0x100 | 64);
    l3 = ip4(&f, 6, 0x28, 0x99, 0, 0);
    tcp(&f, 33333, 80, 0x10);
    fix4(&f, l3);
    w = want4(6, 33333, 80, 0x28, 40, 18);
    w.tcp_flags = 0x10;
    w.frag_id = 0x99;
    expect("MPLS 1 label + ipv4", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("MPLS ipv4", FSN_DLT_EN10MB, &f, 0);

    /* VLAN + multicast MPLS, 3 labels, IPv6. */
    eth(&f, 0x8100);
    tag(&f, 42, 0x8848);
    put32(&f, 100u << 12 | 64);
    put32(&f, 200u << 12 | 64);
    put32(&f, 2u << 12 | 0x100 | 64);
    l3 = ip6(&f, 17, 0);
    ports(&f, 4789, 4790);
    fix6(&f, l3);
    w = want6(17, 4789, 4790, 0, 48, 30);
    w.key.vlan = 42;
    expect("VLAN + MPLS 3 labels + ipv6", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("VLAN MPLS ipv6", FSN_DLT_EN10MB, &f, 0);

    eth(&f, 0x8847);
    put32(&f, 300u << 12 | 0x100 | 64);
    put32(&f, 0); /* pseudowire control word */
    zeros(&f, 40);
    expect_err("MPLS pseudowire control word", FSN_DLT_EN10MB, &f, 0, FSN_E_NOTIP);
    eth(&f, 0x8847);
    put32(&f, 300u << 12 | 64);
    put32(&f, 301u << 12 | 64);
    expect_err("MPLS stack without bottom", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);

    /* PPPoE session: IPv4, IPv6, compressed protocol field, LCP, bad version. */
    eth(&f, 0x8864);
    put8(&f, 0x11);
    put8(&f, 0);
    put16(&f, 0x1234);
    put16(&f, 0);
    put16(&f, 0x0021);
    l3 = ip4(&f, 17, 0, 5, 0, 0);
    ports(&f, 123, 123);
    fix4(&f, l3);
    fsn_store16(f.b + 18, (uint16_t)(f.n - 20));
    w = want4(17, 123, 123, 0, 28, 22);
    w.frag_id = 5;
    expect("PPPoE ipv4", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("PPPoE ipv4", FSN_DLT_EN10MB, &f, 0);
    f.b[14] = 0x12;
    expect_err("PPPoE version 1 type 2", FSN_DLT_EN10MB, &f, 0, FSN_E_UNSUP);
    f.b[14] = 0x11;
    fsn_store16(f.b + 20, 0xc021);
    expect_err("PPPoE LCP", FSN_DLT_EN10MB, &f, 0, FSN_E_NOTIP);

    eth(&f, 0x8864);
    put8(&f, 0x11);
    put8(&f, 0);
    put16(&f, 0x1234);
    put16(&f, 0);
    put16(&f, 0x0057);
    l3 = ip6(&f, 6, 0);
    tcp(&f, 1, 2, 3);
    fix6(&f, l3);
    w = want6(6, 1, 2, 0, 60, 22);
    w.tcp_flags = 3;
    expect("PPPoE ipv6", FSN_DLT_EN10MB, &f, 0, &w);

    eth(&f, 0x8864);
    put8(&f, 0x11);
    put8(&f, 0);
    put16(&f, 0x1234);
    put16(&f, 0);
    put8(&f, 0x21);
    l3 = ip4(&f, 17, 0, 6, 0, 0);
    ports(&f, 7, 9);
    fix4(&f, l3);
    w = want4(17, 7, 9, 0, 28, 21);
    w.frag_id = 6;
    expect("PPPoE compressed protocol field", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("PPPoE compressed", FSN_DLT_EN10MB, &f, 0);

    eth(&f, 0x8863);
    zeros(&f, 30);
    expect_err("PPPoE discovery", FSN_DLT_EN10MB, &f, 0, FSN_E_NOTIP);
}

static void test_llc_notip(void)
{
    struct frame f;
    struct fsn_pkt w;
    uint32_t l3;

    /* 802.3 length + LLC/SNAP (RFC 1042) + IPv4. */
    eth(&f, 0);
    put8(&f, 0xaa);
    put8(&f, 0xaa);
    put8(&f, 0x03);
    put8(&f, 0);
    put8(&f, 0);
    put8(&f, 0);
    put16(&f, 0x0800);
    l3 = ip4(&f, 17, 0, 8, 0, 0);
    ports(&f, 161, 162);
    fix4(&f, l3);
    zeros(&f, 10);
    fsn_store16(f.b + 12, (uint16_t)(f.n - 14));
    w = want4(17, 161, 162, 0, 28, 22);
    w.frag_id = 8;
    expect("802.3 + SNAP + ipv4", FSN_DLT_EN10MB, &f, 0, &w);
    sweep("SNAP ipv4", FSN_DLT_EN10MB, &f, 0);
    f.b[19] = 0xf8;
    expect("802.1H SNAP OUI", FSN_DLT_EN10MB, &f, 0, &w);
    f.b[19] = 0x0c;
    expect_err("Cisco SNAP OUI", FSN_DLT_EN10MB, &f, 0, FSN_E_NOTIP);
    f.b[19] = 0;
    fsn_store16(f.b + 20, 0x0806);
    expect_err("SNAP ARP", FSN_DLT_EN10MB, &f, 0, FSN_E_NOTIP);

    eth(&f, 0x86dd);
    f.b[12] = 0;
    f.b[13] = 38;
    put(&f, "\xaa\xaa\x03\x00\x00\x00\x86\xdd", 8);
    l3 = ip6(&f, 59, 0);
    w = want6(59, 0, 0, 0, 40, 22);
    expect("802.3 + SNAP + ipv6", FSN_DLT_EN10MB, &f, 0, &w);

    eth(&f, 38);
    put(&f, "\x42\x42\x03", 3);
    zeros(&f, 35);
    expect_err("802.3 STP", FSN_DLT_EN10MB, &f, 0, FSN_E_NOTIP);
    f.n = 16;
    expect_err("LLC header cut", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);

    eth(&f, 0x05dd);
    zeros(&f, 46);
    expect_err("type/length 1501 is neither", FSN_DLT_EN10MB, &f, 0, FSN_E_NOTIP);
    eth(&f, 0x0806);
    zeros(&f, 46);
    expect_err("ARP", FSN_DLT_EN10MB, &f, 0, FSN_E_NOTIP);
    eth(&f, 0x88cc);
    zeros(&f, 46);
    expect_err("LLDP", FSN_DLT_EN10MB, &f, 0, FSN_E_NOTIP);
    f.n = 13;
    expect_err("ethernet header cut", FSN_DLT_EN10MB, &f, 0, FSN_E_MALFORMED);
}

/* ---- Other link types --------------------------------------------------- */

static void sll_hdr(struct frame *f, uint16_t hatype, uint16_t proto)
{
    memset(f, 0, sizeof *f);
    put16(f, 0);      /* sent to us */
    put16(f, hatype);
    put16(f, 6);
    put(f, "\x00\x11\x22\x33\x44\x55\x00\x00", 8);
    put16(f, proto);
}

static void sll2_hdr(struct frame *f, uint16_t hatype, uint16_t proto)
{
    memset(f, 0, sizeof *f);
    put16(f, proto);
    put16(f, 0);
    put32(f, 3);      /* interface index */
    put16(f, hatype);
    put8(f, 4);       /* outgoing */
    put8(f, 6);
    put(f, "\x00\x11\x22\x33\x44\x55\x00\x00", 8);
}

static void test_sll(void)
{
    struct frame f;
    struct fsn_pkt w;
    uint32_t l3;

    sll_hdr(&f, 1, 0x0800);
    l3 = ip4(&f, 6, 0, 11, 0, 0);
    tcp(&f, 51021, 8080, 0x18);
    fix4(&f, l3);
    w = want4(6, 51021, 8080, 0, 40, 16);
    w.tcp_flags = 0x18;
    w.frag_id = 11;
    expect("SLL ipv4 tcp", FSN_DLT_LINUX_SLL, &f, 0, &w);
    sweep("SLL ipv4", FSN_DLT_LINUX_SLL, &f, 0);

    /* libpcap puts the VLAN tag back after the SLL header. */
    sll_hdr(&f, 1, 0x8100);
    tag(&f, 7, 0x86dd);
    l3 = ip6(&f, 44, 0);
    frag6(&f, 17, 0, 1, 0x01020304);
    ports(&f, 53, 1053);
    fix6(&f, l3);
    w = want6(17, 53, 1053, 0, 56, 20);
    w.key.vlan = 7;
    w.frag = FSN_FRAG_FIRST;
    w.frag_id = 0x01020304;
    expect("SLL + VLAN + ipv6 first fragment", FSN_DLT_LINUX_SLL, &f, 0, &w);
    sweep("SLL VLAN ipv6 frag", FSN_DLT_LINUX_SLL, &f, 0);

    /* Protocol 0x0004: an 802.2 frame without MAC header. */
    sll_hdr(&f, 1, 0x0004);
    put(&f, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
    l3 = ip4(&f, 1, 0, 12, 0, 0);
    icmp(&f, 11, 0);
    fix4(&f, l3);
    w = want4(1, 0, 0x0b00, 0, 28, 24);
    w.frag_id = 12;
    expect("SLL 802.2 SNAP ipv4", FSN_DLT_LINUX_SLL, &f, 0, &w);

    /* IP GRE devices put the GRE protocol type (an EtherType) in the field. */
    sll_hdr(&f, 778, 0x0800);
    l3 = ip4(&f, 17, 0, 13, 0, 0);
    ports(&f, 1, 2);
    fix4(&f, l3);
    w = want4(17, 1, 2, 0, 28, 16);
    w.frag_id = 13;
    expect("SLL ARPHRD_IPGRE", FSN_DLT_LINUX_SLL, &f, 0, &w);
    fsn_store16(f.b + 2, 824);
    expect_err("SLL netlink", FSN_DLT_LINUX_SLL, &f, 0, FSN_E_NOTIP);
    fsn_store16(f.b + 2, 803);
    expect_err("SLL radiotap", FSN_DLT_LINUX_SLL, &f, 0, FSN_E_UNSUP);
    fsn_store16(f.b + 2, 1);
    fsn_store16(f.b + 14, 0x0806);
    expect_err("SLL ARP", FSN_DLT_LINUX_SLL, &f, 0, FSN_E_NOTIP);
    fsn_store16(f.b + 14, 0x000c);
    expect_err("SLL CAN", FSN_DLT_LINUX_SLL, &f, 0, FSN_E_NOTIP);
    f.n = 15;
    expect_err("SLL header cut", FSN_DLT_LINUX_SLL, &f, 0, FSN_E_MALFORMED);

    sll2_hdr(&f, 1, 0x86dd);
    l3 = ip6(&f, 6, 0x04);
    tcp(&f, 443, 50001, 0x14);
    fix6(&f, l3);
    w = want6(6, 443, 50001, 0x04, 60, 20);
    w.tcp_flags = 0x14;
    expect("SLL2 ipv6 tcp", FSN_DLT_LINUX_SLL2, &f, 0, &w);
    sweep("SLL2 ipv6", FSN_DLT_LINUX_SLL2, &f, 0);
    fsn_store16(f.b + 8, 824);
    expect_err("SLL2 netlink", FSN_DLT_LINUX_SLL2, &f, 0, FSN_E_NOTIP);
}

static void test_raw_loop(void)
{
    static const int raws[] = {FSN_DLT_RAW, FSN_DLT_RAW_BSD, FSN_LINKTYPE_RAW};
    struct frame f;
    struct fsn_pkt w;
    uint32_t l3;
    char name[64];

    for (size_t i = 0; i < 3; i++) {
        memset(&f, 0, sizeof f);
        l3 = ip4(&f, 17, 0, 14, 0, 0);
        ports(&f, 38472, 53);
        fix4(&f, l3);
        w = want4(17, 38472, 53, 0, 28, 0);
        w.frag_id = 14;
        snprintf(name, sizeof name, "raw ipv4, dlt %d", raws[i]);
        expect(name, raws[i], &f, 0, &w);
        sweep(name, raws[i], &f, 0);
        expect_err("... as DLT_IPV6", FSN_DLT_IPV6, &f, 0, FSN_E_MALFORMED);
        expect("... as DLT_IPV4", FSN_DLT_IPV4, &f, 0, &w);

        memset(&f, 0, sizeof f);
        l3 = ip6(&f, 17, 0);
        ports(&f, 38472, 53);
        fix6(&f, l3);
        w = want6(17, 38472, 53, 0, 48, 0);
        snprintf(name, sizeof name, "raw ipv6, dlt %d", raws[i]);
        expect(name, raws[i], &f, 0, &w);
        expect_err("... as DLT_IPV4", FSN_DLT_IPV4, &f, 0, FSN_E_MALFORMED);
        expect("... as DLT_IPV6", FSN_DLT_IPV6, &f, 0, &w);
        sweep("DLT_IPV6", FSN_DLT_IPV6, &f, 0);
        f.b[0] = 0x50;
        expect_err("raw version 5", raws[i], &f, 0, FSN_E_MALFORMED);
    }

    /* DLT_NULL: AF in the capturing host's order, both accepted. */
    {
        static const struct {
            uint8_t af[4];
            int v;
        } nulls[] = {
            {{2, 0, 0, 0}, 4}, {{0, 0, 0, 2}, 4}, {{24, 0, 0, 0}, 6}, {{0, 0, 0, 24}, 6},
            {{28, 0, 0, 0}, 6}, {{0, 0, 0, 28}, 6}, {{30, 0, 0, 0}, 6}, {{0, 0, 0, 30}, 6},
        };
        for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++) {
            memset(&f, 0, sizeof f);
            put(&f, nulls[i].af, 4);
            if (nulls[i].v == 4) {
                l3 = ip4(&f, 6, 0, 15, 0, 0);
                tcp(&f, 8, 9, 0x01);
                fix4(&f, l3);
                w = want4(6, 8, 9, 0, 40, 4);
                w.frag_id = 15;
            } else {
                l3 = ip6(&f, 6, 0);
                tcp(&f, 8, 9, 0x01);
                fix6(&f, l3);
                w = want6(6, 8, 9, 0, 60, 4);
            }
            w.tcp_flags = 0x01;
            snprintf(name, sizeof name, "DLT_NULL af %02x%02x%02x%02x", nulls[i].af[0],
                     nulls[i].af[1], nulls[i].af[2], nulls[i].af[3]);
            expect(name, FSN_DLT_NULL, &f, 0, &w);
            if (nulls[i].af[3]) {
                snprintf(name, sizeof name, "DLT_LOOP af %u", nulls[i].af[3]);
                expect(name, FSN_DLT_LOOP, &f, 0, &w);
            } else {
                snprintf(name, sizeof name, "DLT_LOOP af %u in host order", nulls[i].af[0]);
                expect_err(name, FSN_DLT_LOOP, &f, 0, FSN_E_NOTIP);
            }
        }
        sweep("DLT_NULL", FSN_DLT_NULL, &f, 0);
        sweep("DLT_LOOP", FSN_DLT_LOOP, &f, 0);
        memcpy(f.b, "\x07\x00\x00\x00", 4);
        expect_err("DLT_NULL AF_OSI", FSN_DLT_NULL, &f, 0, FSN_E_NOTIP);
        memcpy(f.b, "\x00\x00\x00\x0a", 4);
        expect_err("DLT_LOOP Linux AF_INET6 (10) is not a BSD family", FSN_DLT_LOOP, &f, 0,
                   FSN_E_NOTIP);
    }
}

static void test_misc(void)
{
    struct frame f;
    struct fsn_pkt w, got;
    uint32_t l3;
    static const int unsup[] = {-1, 9, 105, 127, 147, 101 + 1000, 65535};
    static const int sup[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};

    eth(&f, 0x0800);
    l3 = ip4(&f, 17, 0, 16, 0, 0);
    ports(&f, 1, 2);
    fix4(&f, l3);
    for (size_t i = 0; i < sizeof unsup / sizeof unsup[0]; i++) {
        is_int(parse(unsup[i], f.b, f.n, f.n, &got), FSN_E_UNSUP, "dlt %d unsupported",
               unsup[i]);
        is_int(fsn_pkt_dlt_supported(unsup[i]), 0, "dlt_supported(%d) = 0", unsup[i]);
    }
    for (size_t i = 0; i < sizeof sup / sizeof sup[0]; i++)
        is_int(fsn_pkt_dlt_supported(sup[i]), 1, "dlt_supported(%d) = 1", sup[i]);

    w = want4(17, 1, 2, 0, 28, 14);
    w.frag_id = 16;
    expect("wirelen below caplen is taken as caplen", FSN_DLT_EN10MB, &f, 10, &w);
    is_int(parse(FSN_DLT_EN10MB, f.b, 0, 0, &got), FSN_E_MALFORMED, "empty frame");
}

/* ---- Real captures, compared with tshark ------------------------------- */

struct totals {
    uint32_t frames, ip, notip, malformed, other;
    uint64_t ip_len, ports, tcp_flags, vlan;
    uint32_t first, later;
};

static uint32_t rd32(const uint8_t *p, int swap)
{
    uint32_t v = fsn_load32(p);
    return swap ? v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24 : v;
}

/*
 * Classic pcap file: 24-byte global header (magic a1b2c3d4 or a1b23c4d for
 * nanoseconds, in the writer's byte order; link type at offset 20), then
 * per packet a 16-byte header (seconds, fraction, captured length, wire
 * length) and the captured bytes. Returns 0, or -1 when unreadable.
 */
static int read_pcap(const char *path, struct totals *t)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    long size;
    uint32_t magic, linktype, pos;
    int swap, ret = -1;

    memset(t, 0, sizeof *t);
    if (!fp)
        return -1;
    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 24 || fseek(fp, 0, SEEK_SET) != 0)
        goto out;
    if (!(buf = malloc((size_t)size)) || fread(buf, 1, (size_t)size, fp) != (size_t)size)
        goto out;
    magic = fsn_load32(buf);
    if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
        swap = 0;
    else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
        swap = 1;
    else
        goto out;
    linktype = rd32(buf + 20, swap);
    for (pos = 24; (uint32_t)size - pos >= 16;) {
        uint32_t caplen = rd32(buf + pos + 8, swap), wirelen = rd32(buf + pos + 12, swap);
        struct fsn_pkt p;
        uint8_t *copy;
        int r;

        if (caplen > (uint32_t)size - pos - 16)
            goto out;
        copy = malloc(caplen ? caplen : 1);
        memcpy(copy, buf + pos + 16, caplen);
        r = fsn_pkt_parse((int)linktype, copy, caplen, wirelen, &p);
        free(copy);
        pos += 16 + caplen;
        t->frames++;
        if (r == FSN_E_NOTIP) {
            t->notip++;
        } else if (r == FSN_E_MALFORMED) {
            t->malformed++;
        } else if (r != 0) {
            t->other++;
        } else {
            t->ip++;
            t->ip_len += p.ip_len;
            t->ports += (uint64_t)p.key.sport + p.key.dport;
            t->tcp_flags += p.tcp_flags;
            t->vlan += p.key.vlan;
            t->first += p.frag == FSN_FRAG_FIRST;
            t->later += p.frag == FSN_FRAG_LATER;
        }
    }
    ret = pos == (uint32_t)size ? 0 : -1;
out:
    free(buf);
    fclose(fp);
    return ret;
}

/*
 * Expected totals, from tshark 4.0.17 (never from this parser), per file:
 *
 *   tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r FILE -T fields \
 *     -E occurrence=f -e ip.len -e ipv6.plen -e ip.proto -e ipv6.nxt -e ipv6.fraghdr.nxt \
 *     -e tcp.srcport -e tcp.dstport -e tcp.flags -e udp.srcport -e udp.dstport \
 *     -e icmp.type -e icmp.code -e icmpv6.type -e icmpv6.code -e vlan.id |
 *   perl -F'\t' -lane '$n++; @F=map{$_//""}@F[0..14];
 *     if($F[0] ne ""){$ip++;$s+=$F[0];$p=$F[2]}
 *     elsif($F[1] ne ""){$ip++;$s+=$F[1]+40;$p=($F[4] ne ""?$F[4]:$F[3])} else {$non++; next}
 *     $v+=$F[14] if $F[14] ne "";
 *     if($p==6){$ports+=$F[5]+$F[6]; $fl+=hex($F[7])} elsif($p==17){$ports+=$F[8]+$F[9]}
 *     elsif($p==1){$ports+=$F[10]*256+$F[11]} elsif($p==58){$ports+=$F[12]*256+$F[13]}
 *     END{print join " ", $n, $ip, $non+0, $s, $ports+0, $fl+0, $v+0}'
 *
 * prints: frames, IP frames, non-IP frames, sum of IP lengths (ip.len or
 * 40 + ipv6.plen of the outer header), sum of the transport key (TCP/UDP
 * ports, ICMP type*256+code; tshark shows none for non-first fragments),
 * sum of TCP flag bytes, sum of outer VLAN ids of IP frames.
 * Fragments: tshark -r FILE -Y 'ip.flags.mf==1 && ip.frag_offset==0' (first),
 * -Y 'ip.frag_offset>0' (later), and for IPv6 -Y 'ipv6.fraghdr.offset==0 &&
 * ipv6.fraghdr.more==1' and -Y 'ipv6.fraghdr.offset>0', counted with wc -l.
 * Malformed: tshark -r FILE -Y '_ws.malformed || _ws.short' finds only frame
 * 286 of ndpi_kakaotalk_sll.pcap, malformed in HTTP, above the layers the
 * key comes from; so none of these frames is malformed for the parser.
 * The last two files are malformed on purpose. In ndpi_badpackets.pcap every
 * IPv4 total length is larger than the bytes on the wire after the Ethernet
 * header: tshark -r FILE -T fields -e frame.len -e ip.len | awk '$2+14 > $1'
 * | wc -l gives 93 (of 93); tshark still counts them as IP, we count them as
 * malformed. zeek_trunc_ip4-trunc.pcap: tshark -r FILE -T fields -e
 * frame.cap_len gives 20, i.e. 6 bytes of the IPv4 header, and
 * -Y _ws.short matches that frame.
 */
static const struct {
    const char *file;
    struct totals want;
} captures[] = {
    /* frames ip notip malformed other  ip_len  ports  flags  vlan  first later */
    {"zeek_q-in-q.pcap", {5, 4, 1, 0, 0, 700, 230732, 0, 52, 0, 0}},
    {"zeek_icmp_dot1q.pcap", {15, 9, 6, 0, 0, 900, 10240, 0, 1107, 0, 0}},
    {"ndpi_kakaotalk_sll.pcap", {347, 347, 0, 0, 0, 66384, 14586756, 5757, 0, 0, 0}},
    {"ndpi_ocs_rawip.pcap", {946, 946, 0, 0, 0, 67385, 45630932, 14971, 0, 0, 0}},
    {"zeek_ipv6-fragmented-dns.pcap", {8, 8, 0, 0, 0, 4508, 259518, 0, 0, 1, 3}},
    {"zeek_ipv4_fragmented-3.pcap", {5, 5, 0, 0, 0, 7500, 1286, 24, 0, 1, 4}},
    {"ndpi_badpackets.pcap", {93, 0, 0, 93, 0, 0, 0, 0, 0, 0, 0}},
    {"zeek_trunc_ip4-trunc.pcap", {1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}},
};

static void test_captures(void)
{
    const char *root = getenv("FSN_ROOT");
    char path[1024];

    for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++) {
        const struct totals *w = &captures[i].want;
        struct totals t;
        const char *name = captures[i].file;
        FILE *probe;

        snprintf(path, sizeof path, "%s/../shared/data/%s", root ? root : ".", name);
        if (!(probe = fopen(path, "rb"))) {
            printf("ok %d # SKIP %s not found (%s)\n", ++tap_n, name, path);
            continue;
        }
        fclose(probe);
        if (!tap_ok(read_pcap(path, &t) == 0 && t.frames == w->frames && t.ip == w->ip &&
                        t.notip == w->notip && t.malformed == w->malformed &&
                        t.other == w->other && t.ip_len == w->ip_len && t.ports == w->ports &&
                        t.tcp_flags == w->tcp_flags && t.vlan == w->vlan &&
                        t.first == w->first && t.later == w->later,
                    __FILE__, __LINE__, name))
            diag("  got frames %u ip %u notip %u malformed %u other %u ip_len %ju ports %ju "
                 "flags %ju vlan %ju first %u later %u",
                 t.frames, t.ip, t.notip, t.malformed, t.other, (uintmax_t)t.ip_len,
                 (uintmax_t)t.ports, (uintmax_t)t.tcp_flags, (uintmax_t)t.vlan, t.first,
                 t.later);
    }
}

int main(void)
{
    test_ipv4();
    test_ipv4_frag();
    test_ipv6();
    test_ipv6_frag();
    test_vlan_mpls_pppoe();
    test_llc_notip();
    test_sll();
    test_raw_loop();
    test_misc();
    test_captures();
    return tap_done();
}
