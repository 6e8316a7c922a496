/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowcollectd's own pieces that take untrusted or external input: the UDP
 * extractor of the replay (hand-built IPv4/IPv6 packets, every truncation),
 * flow file names (the retention only ever deletes names it recognises),
 * the exporter and source tables at their bounds, and config loading
 * (agentx-* lines left to flowagentx).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/coll_conf.h"
#include "collector/coll_exp.h"
#include "collector/coll_pcap.h"
#include "collector/coll_store.h"
#include "lib/error.h"
#include "tests/tap.h"

/* IPv4 header (20 bytes) + UDP header + `plen` payload bytes; returns the length. */
static size_t ipv4_udp(uint8_t *p, size_t plen, uint16_t udp_len)
{
    memset(p, 0, 28 + plen);
    p[0] = 0x45;
    p[2] = (uint8_t)((28 + plen) >> 8);
    p[3] = (uint8_t)(28 + plen);
    p[8] = 64;
    p[9] = 17;
    p[24] = (uint8_t)(udp_len >> 8);
    p[25] = (uint8_t)udp_len;
    for (size_t i = 0; i < plen; i++)
        p[28 + i] = (uint8_t)i;
    return 28 + plen;
}

static void test_udp(void)
{
    uint8_t p[256];
    size_t off = 0, len = 0, n = ipv4_udp(p, 10, 18);

    ok(coll_pcap_udp(p, (uint32_t)n, 4, (uint32_t)n, &off, &len) == 0 && off == 28 && len == 10,
       "IPv4: payload at 28, 10 bytes");
    /* Every capture length shorter than the datagram fails, none reads past it. */
    {
        int bad = 0;
        for (uint32_t cap = 0; cap < n; cap++)
            if (coll_pcap_udp(p, cap, 4, (uint32_t)n, &off, &len) == 0)
                bad++;
        is_int(bad, 0, "IPv4: every truncation is refused");
    }
    n = ipv4_udp(p, 10, 40);
    ok(coll_pcap_udp(p, (uint32_t)n, 4, (uint32_t)n, &off, &len) == FSN_E_MALFORMED,
       "IPv4: a UDP length beyond the packet is refused");
    n = ipv4_udp(p, 10, 7);
    ok(coll_pcap_udp(p, (uint32_t)n, 4, (uint32_t)n, &off, &len) == FSN_E_MALFORMED,
       "IPv4: a UDP length under 8 is refused");
    n = ipv4_udp(p, 10, 12);
    ok(coll_pcap_udp(p, (uint32_t)n, 4, (uint32_t)n, &off, &len) == 0 && len == 4,
       "IPv4: the UDP length wins over trailing bytes");
    /* IPv4 with options: IHL 6. */
    memset(p, 0, sizeof p);
    p[0] = 0x46;
    p[9] = 17;
    p[24 + 4] = 0, p[24 + 5] = 8 + 3;
    ok(coll_pcap_udp(p, 24 + 11, 4, 24 + 11, &off, &len) == 0 && off == 32 && len == 3,
       "IPv4 with options: payload after the options");

    /* IPv6: hop-by-hop (8 bytes), destination options (16 bytes), then UDP. */
    memset(p, 0, sizeof p);
    p[0] = 0x60;
    p[6] = 0;      /* hop-by-hop */
    p[40] = 60;    /* next: destination options */
    p[40 + 1] = 0; /* 8 bytes */
    p[48] = 17;    /* next: UDP */
    p[48 + 1] = 1; /* 16 bytes */
    p[64 + 4] = 0, p[64 + 5] = 8 + 5;
    ok(coll_pcap_udp(p, 64 + 13, 6, 64 + 13, &off, &len) == 0 && off == 72 && len == 5,
       "IPv6: payload after two extension headers");
    {
        int bad = 0;
        for (uint32_t cap = 0; cap < 64 + 13; cap++)
            if (coll_pcap_udp(p, cap, 6, 64 + 13, &off, &len) == 0)
                bad++;
        is_int(bad, 0, "IPv6: every truncation is refused");
    }
    p[48] = 6; /* TCP after the options */
    ok(coll_pcap_udp(p, 64 + 13, 6, 64 + 13, &off, &len) == FSN_E_MALFORMED,
       "IPv6: another upper layer is refused");
    /* A chain that never ends: 17 hop-by-hop headers. */
    memset(p, 0, sizeof p);
    p[0] = 0x60;
    ok(coll_pcap_udp(p, 40 + 17 * 8, 6, 40 + 17 * 8, &off, &len) == FSN_E_MALFORMED,
       "IPv6: an endless extension header chain is refused");
}

static void test_names(void)
{
    uint64_t ms = 0;

    ok(coll_store_parse_name("flows-20231114-221300.fsn", &ms) && ms == 1699999980000ull,
       "flows-20231114-221300.fsn is 1699999980 s");
    ok(coll_store_parse_name("flows-20231114-221300-12.fsn", &ms) && ms == 1699999980000ull,
       "a restart's -12 suffix is ours too");
    ok(!coll_store_parse_name("flows-20231114-221300.fsn.tmp", &ms), "a .tmp file is not complete");
    ok(!coll_store_parse_name("flows-20231114-221300-1234.fsn", &ms),
       "a 4-digit suffix is not ours");
    ok(!coll_store_parse_name("flows-20231314-221300.fsn", &ms), "month 13 is not a name of ours");
    ok(!coll_store_parse_name("flows-2023111-4221300.fsn", &ms), "misplaced dash");
    ok(!coll_store_parse_name("notes.fsn", &ms), "another file");
    ok(!coll_store_parse_name("flows-20231114-221300.fsnx", &ms), "another suffix");
    ok(!coll_store_parse_name("flows-20231114-221300-.fsn", &ms), "an empty suffix");
}

static void test_tables(void)
{
    struct coll_exptab t;
    struct coll_srctab *s = malloc(sizeof *s);
    struct fsn_dec_limits lim;
    struct fsn_addr a;
    int made = 0;

    fsn_dec_limits_default(&lim);
    ok(coll_exptab_init(&t, 3, &lim) == 0, "exporter table of 3");
    memset(&a, 0, sizeof a);
    a.family = 4;
    a.a[0] = 192, a.a[3] = 1;
    for (uint32_t d = 0; d < 5; d++)
        if (!coll_exptab_find(&t, &a, 10, d) && coll_exptab_add(&t, &a, 10, d))
            made++;
    is_int(made, 3, "only 3 sessions are made");
    ok(coll_exptab_find(&t, &a, 10, 2) != NULL, "session (192.0.0.1, 10, 2) found");
    ok(coll_exptab_find(&t, &a, 9, 2) == NULL, "the version is part of the key");
    ok(coll_exptab_find(&t, &a, 10, 3) == NULL, "the refused one is not there");
    coll_exptab_fini(&t);

    coll_srctab_init(s);
    for (unsigned i = 0; i < COLL_SOURCES_MAX + 10; i++) {
        a.a[2] = (uint8_t)(i >> 8), a.a[3] = (uint8_t)i;
        coll_srctab_count(s, &a, COLL_SRC_NOT_ALLOWED, 1);
        coll_srctab_count(s, &a, COLL_SRC_NOT_ALLOWED, 1);
    }
    is_uint(s->n, COLL_SOURCES_MAX, "source table stops at its bound");
    is_uint(s->row[0].n[COLL_SRC_NOT_ALLOWED], 20, "the rest is counted in the catch-all row");
    is_uint(s->total[COLL_SRC_NOT_ALLOWED], 2 * (COLL_SOURCES_MAX + 10), "totals count everything");
    is_uint(s->folded, 10, "the 10 sources dropped from least recently gave their rows up");
    {
        /* The newest source has a row of its own, the first one none. */
        int newest = 0, first = 0;
        for (size_t i = 1; i <= s->n; i++) {
            if (s->row[i].addr.a[2] == (COLL_SOURCES_MAX + 9) >> 8 &&
                s->row[i].addr.a[3] == (uint8_t)(COLL_SOURCES_MAX + 9))
                newest = s->row[i].n[COLL_SRC_NOT_ALLOWED] == 2;
            if (s->row[i].addr.a[2] == 0 && s->row[i].addr.a[3] == 0)
                first = 1;
        }
        ok(newest && !first, "the sources dropping now keep their names");
    }
    free(s);
}

/* A session of 192.0.2.ADDR, version 10, domain DOM. */
static struct coll_exporter *mk(struct coll_exptab *t, uint8_t addr, uint32_t dom, uint64_t now)
{
    struct fsn_addr a;
    struct coll_exporter *e;

    memset(&a, 0, sizeof a);
    a.family = 4;
    a.a[0] = 192, a.a[2] = 2, a.a[3] = addr;
    if ((e = coll_exptab_add(t, &a, 10, dom)) != NULL)
        coll_exptab_heard(t, e, now);
    return e;
}

static enum coll_src_why room(struct coll_exptab *t, uint8_t addr, uint64_t now,
                              struct coll_exporter **victim)
{
    struct fsn_addr a;

    memset(&a, 0, sizeof a);
    a.family = 4;
    a.a[0] = 192, a.a[2] = 2, a.a[3] = addr;
    return coll_exptab_room(t, &a, now, 1000, victim);
}

/* Who makes room: unproven sessions first, per address and in the whole table. */
static void test_room(void)
{
    struct coll_exptab t;
    struct fsn_dec_limits lim;
    struct coll_exporter *a0, *a1, *b0, *b1, *v;

    fsn_dec_limits_default(&lim);
    coll_exptab_init(&t, 4, &lim);
    coll_exptab_bounds(&t, 2, 0, 0);
    a0 = mk(&t, 1, 0, 10);
    a1 = mk(&t, 1, 1, 20);
    ok(a0 && a1 && !mk(&t, 1, 2, 30), "per address: a third session of 192.0.2.1 is refused");
    ok(room(&t, 1, 30, &v) == COLL_SRC_NWHY && v == a0,
       "per address: the unproven one heard from least recently makes room");
    coll_exptab_prove(&t, a0);
    ok(room(&t, 1, 30, &v) == COLL_SRC_NWHY && v == a1, "per address: ... even if it is newer");
    coll_exptab_prove(&t, a1);
    ok(room(&t, 1, 30, &v) == COLL_SRC_SOURCE_FULL && !v,
       "per address: both proven and heard from lately: source full");
    ok(room(&t, 1, 1010, &v) == COLL_SRC_NWHY && v == a0,
       "per address: once one is silent for the timeout, it makes room");
    ok(room(&t, 2, 30, &v) == COLL_SRC_NWHY && !v, "another address: room without a victim");

    b0 = mk(&t, 2, 0, 40);
    b1 = mk(&t, 2, 1, 50);
    coll_exptab_heard(&t, b0, 60);
    ok(b0 && b1 && room(&t, 3, 60, &v) == COLL_SRC_NWHY && v == b1,
       "table full: the unproven session heard from least recently makes room");
    coll_exptab_remove(&t, b1);
    is_uint(t.n, 3, "removed: 3 sessions left");
    ok(mk(&t, 3, 0, 70) != NULL && room(&t, 4, 70, &v) == COLL_SRC_NWHY && v == b0,
       "table full again: the older unproven one goes next");
    coll_exptab_prove(&t, b0);
    coll_exptab_prove(&t, t.fresh.oldest);
    ok(room(&t, 4, 70, &v) == COLL_SRC_TABLE_FULL && !v,
       "every session proven and heard from lately: table full");
    ok(room(&t, 4, 1015, &v) == COLL_SRC_NWHY && v == a0,
       "... until the one heard from least recently is silent for the timeout");
    is_uint(t.naddr, 3, "three addresses in the table");
    coll_exptab_remove(&t, a0);
    coll_exptab_remove(&t, a1);
    is_uint(t.naddr, 2, "an address goes with its last session");
    coll_exptab_fini(&t);
}

static void test_conf(void)
{
    char path[] = "/tmp/test_coll_daemon.XXXXXX", err[512] = "";
    struct coll_conf c;
    int fd = mkstemp(path);
    const char *text = "spool /var/spool/x\n"
                       "agentx-socket tcp:127.0.0.1:705\n"
                       "allow 192.0.2.0/24 2001:db8::/32\n"
                       "allow 198.51.100.7\n"
                       "max-buffered 0\n"
                       "local-network 10.0.0.0/8 lan\n";
    uint8_t v4[16] = {192, 0, 2, 9}, v4b[16] = {198, 51, 100, 8}, v6[16] = {0x20, 0x01, 0x0d, 0xb8};

    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        ok(0, "temporary config");
        return;
    }
    close(fd);
    coll_conf_init(&c);
    ok(coll_conf_load(&c, path, err, sizeof err) == 0, "config with an agentx- line loads");
    if (err[0])
        diag("%.200s", err);
    is_uint(c.nallow, 3, "three allowed prefixes");
    ok(coll_conf_allowed(&c, 4, v4), "192.0.2.9 allowed");
    ok(!coll_conf_allowed(&c, 4, v4b), "198.51.100.8 not allowed");
    ok(coll_conf_allowed(&c, 6, v6), "2001:db8:: allowed");
    is_uint(c.max_buffered, 0, "max-buffered 0 (buffering off)");
    is_uint(c.nlisten, 1, "default listen");
    is_str(c.listen[0], "0.0.0.0:2055", "... 0.0.0.0:2055");
    is_uint(c.agg.nnets, 1, "the aggregator's directive reached its conf");
    coll_conf_fini(&c);
    unlink(path);
}

int main(void)
{
    test_udp();
    test_names();
    test_tables();
    test_room();
    test_conf();
    return tap_done();
}
