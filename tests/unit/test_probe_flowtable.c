/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the probe's flow table (probe/flowtable.c) and fragment table (probe/frag.c). */
#include <stdlib.h>
#include <string.h>

#include "probe/flowtable.h"
#include "probe/frag.h"
#include "tests/tap.h"

#define MAXREC 200000

struct rec {
    struct fsn_flow_key key;
    uint64_t packets, octets, first_ms, last_ms;
    uint8_t reason, tcp_flags;
};

static struct rec recs[MAXREC];
static size_t nrec;
static const struct ft *emit_table; /* to read the emission time */
static uint64_t emit_ms[MAXREC];

static void emit(void *arg, const struct ft_entry *e, uint8_t reason)
{
    (void)arg;
    if (nrec < MAXREC) {
        recs[nrec].key = e->key;
        recs[nrec].packets = e->packets;
        recs[nrec].octets = e->octets;
        recs[nrec].first_ms = e->first_ms;
        recs[nrec].last_ms = e->last_ms;
        recs[nrec].reason = reason;
        recs[nrec].tcp_flags = e->tcp_flags;
        emit_ms[nrec] = emit_table ? emit_table->now_ms : 0;
    }
    nrec++;
}

static struct fsn_flow_key key4(uint8_t proto, uint32_t src, uint16_t sport, uint16_t dport)
{
    struct fsn_flow_key k;
    memset(&k, 0, sizeof k);
    k.family = FSN_FAMILY_IPV4;
    k.proto = proto;
    k.src[0] = 10;
    k.src[1] = (uint8_t)(src >> 16);
    k.src[2] = (uint8_t)(src >> 8);
    k.src[3] = (uint8_t)src;
    k.dst[0] = 192;
    k.dst[3] = 1;
    k.sport = sport;
    k.dport = dport;
    return k;
}

static struct ft_timeouts timeouts(void)
{
    struct ft_timeouts to;
    to.active_ms = 60000;
    to.idle_ms[FT_CLASS_OTHER] = 15000;
    to.idle_ms[FT_CLASS_TCP] = 30000;
    to.idle_ms[FT_CLASS_TCP_END] = 5000;
    to.idle_ms[FT_CLASS_UDP] = 15000;
    to.idle_ms[FT_CLASS_ICMP] = 10000;
    return to;
}

static void test_timeouts(void)
{
    struct ft t;
    struct ft_timeouts to = timeouts();
    struct fsn_flow_key tcp = key4(6, 1, 1000, 80), udp = key4(17, 2, 1000, 53),
                        icmp = key4(1, 3, 0, 0x0800);
    uint64_t t0 = 1700000000000ull;

    nrec = 0;
    is_int(ft_init(&t, 100, &to, emit, NULL), 0, "init");
    ft_add(&t, &tcp, 1, 60, 0x02, t0);
    ft_add(&t, &udp, 1, 80, 0, t0);
    ft_add(&t, &icmp, 1, 84, 0, t0);
    ft_add(&t, &tcp, 1, 1500, 0x10, t0 + 1000);
    ft_expire(&t, t0 + 9999);
    is_uint(nrec, 0, "nothing expires before the shortest idle timeout");
    ft_expire(&t, t0 + 11000);
    is_uint(nrec, 1, "ICMP idles out within a second after its 10 s");
    ok(recs[0].reason == FSN_END_IDLE && recs[0].key.proto == 1, "the ICMP flow, as idle");
    ft_expire(&t, t0 + 16000);
    is_uint(nrec, 2, "UDP idles out within a second after its 15 s");
    ft_expire(&t, t0 + 30000);
    is_uint(nrec, 2, "TCP stays until 30 s after its last packet");
    ft_add(&t, &tcp, 1, 40, 0x11, t0 + 30500);
    is_uint(t.st.active, 1, "one flow left");
    ft_expire(&t, t0 + 35499);
    is_uint(nrec, 2, "FIN moves TCP to the tcp-end timeout (not yet)");
    ft_expire(&t, t0 + 36500);
    is_uint(nrec, 3, "tcp-end timeout 5 s after FIN, within a second");
    ok(recs[2].reason == FSN_END_EOF, "reason EOF");
    is_uint(recs[2].packets, 3, "TCP packets");
    is_uint(recs[2].octets, 1600, "TCP octets");
    is_uint(recs[2].tcp_flags, 0x13, "TCP flags OR-ed");
    is_uint(recs[2].first_ms, t0, "first time");
    is_uint(recs[2].last_ms, t0 + 30500, "last time");

    /* Active timeout: a flow busy every second is cut at 60 s. */
    nrec = 0;
    for (uint64_t s = 0; s <= 70; s++) {
        ft_add(&t, &udp, 1, 100, 0, t0 + 100000 + s * 1000);
        ft_expire(&t, t0 + 100000 + s * 1000);
    }
    is_uint(nrec, 1, "active timeout emits one record after 60 s");
    ok(nrec && recs[0].reason == FSN_END_ACTIVE, "reason ACTIVE");
    is_uint(recs[0].packets, 60, "the first 60 packets in the first record");
    ft_flush(&t, FSN_END_FORCED);
    is_uint(nrec, 2, "flush emits the rest");
    is_uint(recs[1].packets, 11, "the other 11 packets");
    is_uint(t.st.active, 0, "table empty after flush");
    ft_fini(&t);
}

static void test_bound_and_conservation(void)
{
    struct ft t;
    struct ft_timeouts to = timeouts();
    uint64_t want_pk = 0, want_oct = 0, got_pk = 0, got_oct = 0;
    uint32_t seed = 12345;
    uint64_t now = 1700000000000ull;

    nrec = 0;
    is_int(ft_init(&t, 1000, &to, emit, NULL), 0, "init bounded table");
    for (int i = 0; i < 100000; i++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t host = (seed >> 8) % 5000;
        struct fsn_flow_key k = key4(17, host, (uint16_t)(host & 0xff), 53);
        uint64_t len = 40 + (seed >> 20) % 1400;
        now += (seed >> 28) % 3;
        ft_add(&t, &k, 1, len, 0, now);
        want_pk++;
        want_oct += len;
        if (i % 1000 == 0)
            ft_expire(&t, now);
        if (t.st.active > 1000)
            break;
    }
    ok(t.st.active <= 1000, "the table never exceeds its bound");
    is_uint(t.st.peak, 1000, "the bound was reached");
    ok(t.st.expired[FSN_END_LACK] > 0, "table-full evictions counted (%llu)",
       (unsigned long long)t.st.expired[FSN_END_LACK]);
    ft_flush(&t, FSN_END_FORCED);
    for (size_t i = 0; i < nrec && i < MAXREC; i++) {
        got_pk += recs[i].packets;
        got_oct += recs[i].octets;
    }
    ok(nrec < MAXREC, "records fit the test buffer");
    is_uint(got_pk, want_pk, "every packet is in exactly one record");
    is_uint(got_oct, want_oct, "every octet is in exactly one record");
    is_uint(t.st.created, nrec, "one record per flow created");
    ok(ft_memory(&t) / 1000 <= 200, "memory per flow at the bound: %zu bytes",
       ft_memory(&t) / 1000);
    ft_fini(&t);
}

/* Fragment attribution. */
struct fr_ctx {
    struct ft *t;
};

static void frag_to_ft(void *arg, const struct fsn_flow_key *k, uint64_t packets,
                       uint64_t octets, uint64_t ts_ms)
{
    struct fr_ctx *c = arg;
    ft_add(c->t, k, packets, octets, 0, ts_ms);
}

static struct fsn_pkt frag_pkt(uint8_t frag, uint32_t id, uint16_t sport, uint16_t dport,
                               uint32_t len)
{
    struct fsn_pkt p;
    memset(&p, 0, sizeof p);
    p.key = key4(17, 7, sport, dport);
    p.frag = frag;
    p.frag_id = id;
    p.ip_len = len;
    return p;
}

static void account(struct ft *t, struct frag *f, struct fsn_pkt p, uint64_t ts)
{
    if (p.frag == FSN_FRAG_NONE || frag_packet(f, &p, ts))
        ft_add(t, &p.key, 1, p.ip_len, 0, ts);
}

static void test_frag(void)
{
    struct ft t;
    struct frag f;
    struct ft_timeouts to = timeouts();
    struct fr_ctx ctx = {&t};
    uint64_t t0 = 1700000000000ull;

    nrec = 0;
    ft_init(&t, 100, &to, emit, NULL);
    is_int(frag_init(&f, 64, 30000, frag_to_ft, &ctx), 0, "frag init");
    /* Datagram 1: first, then two later fragments. */
    account(&t, &f, frag_pkt(FSN_FRAG_FIRST, 1, 5000, 53, 1500), t0);
    account(&t, &f, frag_pkt(FSN_FRAG_LATER, 1, 0, 0, 1500), t0);
    account(&t, &f, frag_pkt(FSN_FRAG_LATER, 1, 0, 0, 300), t0);
    /* Datagram 2: later fragments before the first. */
    account(&t, &f, frag_pkt(FSN_FRAG_LATER, 2, 0, 0, 700), t0 + 1);
    account(&t, &f, frag_pkt(FSN_FRAG_FIRST, 2, 5001, 53, 1500), t0 + 2);
    /* Datagram 3: the first fragment never comes. */
    account(&t, &f, frag_pkt(FSN_FRAG_LATER, 3, 0, 0, 900), t0 + 3);
    for (int i = 0; i < 16; i++)
        frag_expire(&f, t0 + 40000); /* each call sweeps a sixteenth */
    ft_flush(&t, FSN_END_FORCED);
    is_uint(nrec, 3, "three flows: two datagrams' flows and one port-0 flow");
    for (size_t i = 0; i < nrec; i++) {
        if (recs[i].key.sport == 5000) {
            is_uint(recs[i].packets, 3, "datagram 1: all fragments in its flow");
            is_uint(recs[i].octets, 3300, "datagram 1 octets");
        } else if (recs[i].key.sport == 5001) {
            is_uint(recs[i].packets, 2, "datagram 2: early later-fragment joins its flow");
            is_uint(recs[i].octets, 2200, "datagram 2 octets");
        } else {
            ok(recs[i].key.sport == 0 && recs[i].key.dport == 0, "orphan goes to port 0");
            is_uint(recs[i].octets, 900, "orphan octets kept");
        }
    }
    is_uint(f.st.orphaned, 1, "one orphan fragment counted");
    is_uint(f.st.attributed, 3, "three later fragments attributed");
    frag_fini(&f);
    ft_fini(&t);
}

/* Idle expiry through the timer wheel: never early, at most a second late, also across jumps. */
static void test_wheel_timing(void)
{
    struct ft t;
    struct ft_timeouts to = timeouts();
    uint32_t seed = 99;
    uint64_t now = 1700000000000ull, early = 0, late = 0, idle_recs = 0;

    to.idle_ms[FT_CLASS_OTHER] = 5000000; /* longer than a turn of the wheel */
    nrec = 0;
    ft_init(&t, 100000, &to, emit, NULL);
    emit_table = &t;
    for (int i = 0; i < 200000; i++) {
        seed = seed * 1103515245u + 12345u;
        uint8_t proto = (uint8_t[]){6, 17, 1, 47}[(seed >> 5) & 3];
        struct fsn_flow_key k = key4(proto, (seed >> 10) % 3000, 1, 2);
        now += (seed >> 24) % 200;
        if (i == 100000)
            now += 5000000; /* a gap in the capture, longer than the wheel */
        ft_add(&t, &k, 1, 100, (seed & 0x10000) ? 0x01 : 0, now);
        if (i % 37 == 0)
            ft_expire(&t, now);
    }
    for (size_t i = 0; i < nrec && i < MAXREC; i++) {
        uint8_t cls;
        if (recs[i].reason != FSN_END_IDLE && recs[i].reason != FSN_END_EOF)
            continue;
        cls = recs[i].reason == FSN_END_EOF ? FT_CLASS_TCP_END : ft_class_of(&recs[i].key, 0);
        uint64_t end = recs[i].last_ms + to.idle_ms[cls];
        idle_recs++;
        if (emit_ms[i] < end)
            early++;
        else if (emit_ms[i] - end > 1000 + 200 * 37)
            late++;
    }
    ok(idle_recs > 1000, "many idle expiries (%llu)", (unsigned long long)idle_recs);
    is_uint(early, 0, "no flow expires before its inactive timeout");
    is_uint(late, 0, "none later than a second after it (plus the test's tick spacing)");
    emit_table = NULL;
    ft_flush(&t, FSN_END_FORCED);
    ft_fini(&t);
}

int main(void)
{
    test_timeouts();
    test_bound_and_conservation();
    test_frag();
    test_wheel_timing();
    return tap_done();
}
