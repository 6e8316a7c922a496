/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator's counting rules (docs/counting.md): direction, local to
 * local, transit, services (either port, two services at once), protocol
 * names, pro-rating (exact integer split), step closing by flow time with
 * grace, late records, the host bound with eviction, the config directives.
 * Every expected value is computed here by hand or by a direct sum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/agg_testlib.h"
#include "tests/xorshift.h"

#define T0 1699999980000ull /* a multiple of 60 s, in ms */
#define K0 (T0 / 1000)      /* the same in seconds */

static char tmpdir[128];

static uint64_t wall_ms(void)
{
    return (uint64_t)time(NULL) * 1000;
}

static void base_conf(struct agg_conf *c, unsigned step, unsigned grace, const char *state)
{
    char err[200], line[300];
    static const char *const lines[] = {
        "local-network 10.0.0.0/8 lan",     "local-network 2001:db8:1::/48",
        "service web tcp/80 tcp/443",      "service tls tcp/443 udp/443",
        "service dns udp/53 tcp/53",        "service alt tcp/8000-8080",
    };

    agg_conf_init(c);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (conf_line(c, lines[i], err, sizeof err) != 0)
            diag("%s: %s", lines[i], err);
    snprintf(line, sizeof line, "step %u", step);
    conf_line(c, line, err, sizeof err);
    snprintf(line, sizeof line, "grace %u", grace);
    conf_line(c, line, err, sizeof err);
    if (state) {
        snprintf(line, sizeof line, "state-file %s/%s", tmpdir, state);
        conf_line(c, line, err, sizeof err);
    }
    if (agg_conf_finish(c, err, sizeof err) != 0)
        diag("finish: %s", err);
}

static void check_ctr(const struct fsn_state_ctr *c, uint64_t io, uint64_t ip, uint64_t iflows,
                      uint64_t oo, uint64_t op, uint64_t oflows, const char *what)
{
    is_uint(c->in_octets, io, "%s in_octets", what);
    is_uint(c->in_packets, ip, "%s in_packets", what);
    is_uint(c->in_flows, iflows, "%s in_flows", what);
    is_uint(c->out_octets, oo, "%s out_octets", what);
    is_uint(c->out_packets, op, "%s out_packets", what);
    is_uint(c->out_flows, oflows, "%s out_flows", what);
}

static void test_rules(void)
{
    struct agg_conf c;
    struct obs o = {0};
    struct agg *a;
    char err[200], path[300];
    struct statemap m;
    struct fsn_state_host h;
    struct fsn_state_service s;
    struct fsn_state_scalars sc;
    struct agg_exporter_id x = mkexp("192.0.2.254", 7);
    uint64_t t1 = T0 + 1000, t2 = T0 + 2000;
    struct fsn_flow flows[] = {
        mkflow("192.0.2.1", 40000, "10.0.0.1", 80, 6, t1, t2, 10, 1000),   /* a: in */
        mkflow("10.0.0.1", 80, "192.0.2.1", 40000, 6, t1, t2, 5, 500),     /* b: out */
        mkflow("10.0.0.2", 5353, "10.0.0.3", 53, 17, t1, t2, 2, 200),      /* c: local */
        mkflow("192.0.2.1", 1, "198.51.100.1", 2, 6, t1, t2, 7, 700),      /* d: transit */
        mkflow("2001:db8:2::1", 0, "2001:db8:1::5", 0, 58, t1, t2, 3, 300), /* e: v6 in */
        mkflow("10.0.0.1", 0, "192.0.2.9", 0, 47, t1, t2, 4, 400),         /* f: gre out */
        mkflow("10.0.0.1", 443, "192.0.2.1", 50000, 6, t1, t2, 6, 600),    /* g: web+tls */
        mkflow("192.0.2.7", 8080, "10.0.0.5", 33333, 6, t1, t2, 8, 800),   /* h: alt sport */
        mkflow("192.0.2.7", 80, "10.0.0.5", 34000, 17, t1, t2, 9, 900),    /* i: udp/80 */
        mkflow("10.0.0.6", 1, "192.0.2.1", 2, 253, t1, t2, 1, 100),        /* j: proto 253 */
    };
    struct agg_exporter_delta d = {.datagrams = 3, .records = 10, .records_lost = 2,
                                   .malformed = 1, .templates = 2, .last_seen = 1700000000};

    base_conf(&c, 60, 60, "rules.state");
    c.step_hook = obs_hook;
    c.step_hook_arg = &o;
    a = agg_new(&c, wall_ms(), err, sizeof err);
    ok(a != NULL, "agg_new (%s)", a ? "ok" : err);
    if (!a)
        return;
    for (size_t i = 0; i < sizeof flows / sizeof flows[0]; i++)
        agg_add(a, &flows[i], &x);
    agg_exporter_stats(a, &x, &d);
    agg_publish(a, wall_ms());

    snprintf(path, sizeof path, "%s/rules.state", tmpdir);
    ok(state_map(path, &m) == 0, "state file maps and checks");
    if (!m.h)
        goto out;
    sc = state_scalars(&m);
    check_ctr(&sc.total, 3200, 32, 5, 1800, 18, 5, "total");
    check_ctr(&sc.local, 200, 2, 1, 200, 2, 1, "local-to-local");
    check_ctr(&sc.transit, 700, 7, 1, 0, 0, 0, "transit");
    is_uint(sc.records, 10, "records from exporter stats");
    is_uint(sc.records_lost, 2, "records lost");
    is_uint(sc.malformed, 1, "malformed");
    is_uint(sc.hosts_in_use, 6, "six local hosts");
    state_host(&m, "10.0.0.1", &h);
    check_ctr(&h.c, 1000, 10, 1, 1500, 15, 3, "host 10.0.0.1");
    state_host(&m, "10.0.0.2", &h);
    check_ctr(&h.c, 0, 0, 0, 200, 2, 1, "host 10.0.0.2");
    state_host(&m, "10.0.0.3", &h);
    check_ctr(&h.c, 200, 2, 1, 0, 0, 0, "host 10.0.0.3");
    state_host(&m, "10.0.0.5", &h);
    check_ctr(&h.c, 1700, 17, 2, 0, 0, 0, "host 10.0.0.5");
    ok(state_host(&m, "2001:db8:1::5", &h), "IPv6 host row");
    check_ctr(&h.c, 300, 3, 1, 0, 0, 0, "host 2001:db8:1::5");
    ok(!state_host(&m, "192.0.2.1", &h), "no row for a remote host");
    ok(!state_host(&m, "198.51.100.1", &h), "no row for a transit host");
    {
        uint32_t rows;
        struct fsn_state_ctr sum = state_host_sum(&m, &rows);
        ok(ctr_eq(&sum, &sc.total), "host rows + other == total");
        is_uint(rows, 7, "six host rows and the other row");
    }
    state_service(&m, "web", &s);
    check_ctr(&s.c, 1000, 10, 1, 1100, 11, 2, "service web (tcp/80 tcp/443)");
    is_str(s.ports, "tcp/80 tcp/443", "web port list");
    state_service(&m, "tls", &s);
    check_ctr(&s.c, 0, 0, 0, 600, 6, 1, "service tls (a flow counts for two services)");
    state_service(&m, "dns", &s);
    check_ctr(&s.c, 200, 2, 1, 200, 2, 1, "service dns (local-to-local both ways)");
    state_service(&m, "alt", &s);
    check_ctr(&s.c, 800, 8, 1, 0, 0, 0, "service alt (source port in range)");
    {
        struct fsn_state_proto p = state_proto(&m, 6);
        is_str(p.name, "tcp", "protocol 6 is tcp");
        check_ctr(&p.c, 1800, 18, 2, 1100, 11, 2, "proto tcp");
        p = state_proto(&m, 17);
        check_ctr(&p.c, 1100, 11, 2, 200, 2, 1, "proto udp");
        p = state_proto(&m, 58);
        is_str(p.name, "ipv6-icmp", "protocol 58 name");
        check_ctr(&p.c, 300, 3, 1, 0, 0, 0, "proto ipv6-icmp");
        p = state_proto(&m, 47);
        is_str(p.name, "gre", "protocol 47 name");
        is_uint(p.c.out_octets, 400, "proto gre out");
        p = state_proto(&m, 253);
        is_str(p.name, "253", "unnamed protocol by number");
        ok(p.in_use && p.c.out_octets == 100, "proto 253 out");
        p = state_proto(&m, 1);
        ok(!p.in_use, "icmp never seen: not in use");
    }
    {
        struct fsn_state_exporter e;
        fsn_state_read(fsn_state_exporter(m.h, 0), &e, sizeof e, 1000);
        ok(e.in_use && e.domain == 7 && e.family == 4, "exporter row");
        is_uint(e.datagrams, 3, "exporter datagrams");
        is_uint(e.records_lost, 2, "exporter records lost");
        is_uint(e.templates, 2, "exporter templates");
    }
    state_unmap(&m);

    agg_flush(a, wall_ms());
    is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, 0), 3200, "steps: total in");
    is_uint(obs_sum(&o, "total", AGG_OUT_OCTETS, 0), 1800, "steps: total out");
    is_uint(obs_sum(&o, "exporter/192.0.2.254-7", AGG_IN_OCTETS, 0), 3200, "steps: exporter in");
    is_uint(obs_sum(&o, "exporter/192.0.2.254-7", AGG_OUT_FLOWS, 0), 5, "steps: exporter out flows");
    is_uint(obs_sum(&o, "service/web", AGG_OUT_OCTETS, 0), 1100, "steps: web out");
    is_uint(obs_sum(&o, "proto/ipv6-icmp", AGG_IN_PACKETS, 0), 3, "steps: ipv6-icmp in packets");
    is_uint(obs_sum(&o, "host/2001:db8:1::5", AGG_IN_OCTETS, 0), 300, "steps: v6 host in");
    is_uint(obs_sum(&o, "proto/253", AGG_OUT_OCTETS, 0), 100, "steps: proto 253");
out:
    agg_free(a);
    agg_conf_fini(&c);
    free(o.rows);
}

/* A step closes once the newest flow time passes its end plus the grace, not before. */
static void test_grace(void)
{
    struct agg_conf c;
    struct obs o = {0};
    struct agg *a;
    char err[200];
    uint64_t end1 = T0 + 120000; /* end of the step [T0 + 60 s, T0 + 120 s) */
    struct fsn_flow fa = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, T0 + 70000, T0 + 110000, 1, 10);
    struct fsn_flow fb = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, T0 + 125000, end1 + 29999, 2, 20);
    struct fsn_flow fc = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, end1 + 30000, end1 + 30000, 4, 40);

    base_conf(&c, 60, 30, NULL);
    c.step_hook = obs_hook;
    c.step_hook_arg = &o;
    a = agg_new(&c, wall_ms(), err, sizeof err);
    if (!a) {
        ok(0, "agg_new: %s", err);
        return;
    }
    agg_add(a, &fa, NULL);
    agg_add(a, &fb, NULL);
    agg_tick(a, wall_ms(), 0);
    is_int(obs_count(&o, "total", end1 / 1000), 0, "step not closed at end + grace - 1 ms");
    agg_add(a, &fc, NULL);
    is_int(obs_count(&o, "total", end1 / 1000), 1, "step closed at end + grace");
    is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, end1 / 1000), 10, "closed step holds only its flow");
    agg_flush(a, wall_ms());
    is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, end1 / 1000 + 60), 60, "next step at shutdown");
    is_int(obs_count(&o, "total", end1 / 1000 + 60), 1, "closed once");
    agg_free(a);
    agg_conf_fini(&c);
    free(o.rows);
}

static void test_prorate(bool prorate)
{
    struct agg_conf c;
    struct obs o = {0};
    struct agg *a;
    char err[200];
    /* P1 covers steps 10, 11, 12 (after T0) fully; P2 half of 10, all of 11, half of 12. */
    struct fsn_flow p1 = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, T0 + 600000, T0 + 779999, 10, 1000);
    struct fsn_flow p2 = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, T0 + 630000, T0 + 749999, 4, 100);
    uint64_t e10 = K0 + 660, e11 = K0 + 720, e12 = K0 + 780;

    base_conf(&c, 60, 600, NULL);
    c.prorate = prorate;
    c.step_hook = obs_hook;
    c.step_hook_arg = &o;
    a = agg_new(&c, wall_ms(), err, sizeof err);
    if (!a) {
        ok(0, "agg_new: %s", err);
        return;
    }
    agg_add(a, &p1, NULL);
    agg_add(a, &p2, NULL);
    agg_flush(a, wall_ms());
    if (prorate) {
        /* 1000 * 60/180 = 333.33 each: 333, 333, and the unit left over to the later step. */
        is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, e10), 333 + 25, "pro-rate step 10 octets");
        is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, e11), 333 + 50, "pro-rate step 11 octets");
        is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, e12), 334 + 25, "pro-rate step 12 octets");
        is_uint(obs_sum(&o, "total", AGG_IN_PACKETS, e10), 3 + 1, "pro-rate step 10 packets");
        is_uint(obs_sum(&o, "total", AGG_IN_PACKETS, e11), 3 + 2, "pro-rate step 11 packets");
        is_uint(obs_sum(&o, "total", AGG_IN_PACKETS, e12), 4 + 1, "pro-rate step 12 packets");
    } else {
        is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, e10), 0, "no pro-rate: step 10 empty");
        is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, e12), 1100, "no pro-rate: all in the end step");
        is_uint(obs_sum(&o, "total", AGG_IN_PACKETS, e12), 14, "no pro-rate: packets");
    }
    is_uint(obs_sum(&o, "total", AGG_IN_FLOWS, e12), 2, "flows go to the step of their end");
    is_uint(obs_sum(&o, "total", AGG_IN_FLOWS, e11), 0, "no flow count in a middle step");
    agg_free(a);
    agg_conf_fini(&c);
    free(o.rows);
}

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    return xorshift64(&rnd_state);
}

/* Random flows: for every entity, the steps sum to the direct totals exactly. */
static void test_random_exact(void)
{
    enum { NF = 3000, NH = 40 };
    struct agg_conf c;
    struct obs o = {0};
    struct agg *a;
    char err[200], ip[32], name[64];
    uint64_t tin_o = 0, tin_p = 0, tout_o = 0, tout_p = 0, tin_f = 0, tout_f = 0;
    uint64_t web_in = 0, web_out = 0;
    static uint64_t hin[NH + 1], hout[NH + 1], hpin[NH + 1];
    int dups = 0, mism = 0;

    base_conf(&c, 60, 600, NULL);
    c.step_hook = obs_hook;
    c.step_hook_arg = &o;
    a = agg_new(&c, wall_ms(), err, sizeof err);
    if (!a) {
        ok(0, "agg_new: %s", err);
        return;
    }
    for (int i = 0; i < NF; i++) {
        uint64_t last = T0 + 3600000 + (uint64_t)i * 400 + rnd() % 20000;
        uint64_t dur = rnd() % 3 == 0 ? rnd() % 900000 : rnd() % 2 ? rnd() % 300000 : rnd() % 5000;
        uint64_t oct = rnd() % (1ull << 40), pk = 1 + rnd() % (1u << 20);
        int h = 1 + (int)(rnd() % NH), in = (int)(rnd() % 2);
        uint16_t port = rnd() % 3 == 0 ? 80 : (uint16_t)(1024 + rnd() % 60000);
        uint8_t proto = rnd() % 4 ? 6 : 17;
        struct fsn_flow f;
        snprintf(ip, sizeof ip, "10.1.0.%d", h);
        if (in)
            f = mkflow("203.0.113.9", 40000, ip, port, proto, last - dur, last, pk, oct);
        else
            f = mkflow(ip, port, "203.0.113.9", 40000, proto, last - dur, last, pk, oct);
        agg_add(a, &f, NULL);
        if (in) {
            tin_o += oct, tin_p += pk, tin_f++, hin[h] += oct, hpin[h] += pk;
            if (proto == 6 && port == 80)
                web_in += oct;
        } else {
            tout_o += oct, tout_p += pk, tout_f++, hout[h] += oct;
            if (proto == 6 && port == 80)
                web_out += oct;
        }
        if (i % 500 == 0)
            agg_tick(a, wall_ms(), 0);
    }
    agg_flush(a, wall_ms());
    is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, 0), tin_o, "random: total in octets exact");
    is_uint(obs_sum(&o, "total", AGG_IN_PACKETS, 0), tin_p, "random: total in packets exact");
    is_uint(obs_sum(&o, "total", AGG_IN_FLOWS, 0), tin_f, "random: total in flows exact");
    is_uint(obs_sum(&o, "total", AGG_OUT_OCTETS, 0), tout_o, "random: total out octets exact");
    is_uint(obs_sum(&o, "total", AGG_OUT_PACKETS, 0), tout_p, "random: total out packets exact");
    is_uint(obs_sum(&o, "total", AGG_OUT_FLOWS, 0), tout_f, "random: total out flows exact");
    is_uint(obs_sum(&o, "service/web", AGG_IN_OCTETS, 0), web_in, "random: web in exact");
    is_uint(obs_sum(&o, "service/web", AGG_OUT_OCTETS, 0), web_out, "random: web out exact");
    for (int h = 1; h <= NH; h++) {
        snprintf(name, sizeof name, "host/10.1.0.%d", h);
        if (obs_sum(&o, name, AGG_IN_OCTETS, 0) != hin[h] ||
            obs_sum(&o, name, AGG_OUT_OCTETS, 0) != hout[h] ||
            obs_sum(&o, name, AGG_IN_PACKETS, 0) != hpin[h])
            mism++;
    }
    is_int(mism, 0, "random: every host's steps sum to its direct totals");
    for (size_t r = 0; r < o.n; r++)
        if (strcmp(o.rows[r].name, "total") == 0 && obs_count(&o, "total", o.rows[r].t_end) != 1)
            dups++;
    is_int(dups, 0, "random: each step closed once");
    {
        struct agg_stats st;
        agg_get_stats(a, &st);
        ok(st.steps_closed > 20, "random: many steps (%ju)", (uintmax_t)st.steps_closed);
        ok(st.late > 0, "random: some records partly late (%ju of %d), still exact",
           (uintmax_t)st.late, NF);
    }
    agg_free(a);
    agg_conf_fini(&c);
    free(o.rows);
}

/* A record for a step already written is counted late and lands in the oldest open step. */
static void test_late(void)
{
    struct agg_conf c;
    struct obs o = {0};
    struct agg *a;
    char err[200], path[300];
    struct statemap m;
    uint64_t k = T0 + 60000;
    struct fsn_flow fa = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, k + 1000, k + 2000, 1, 10);
    struct fsn_flow fb = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, k + 61000, k + 62000, 1, 20);
    struct fsn_flow fl = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, k + 3000, k + 4000, 1, 40);

    base_conf(&c, 60, 0, "late.state");
    c.step_hook = obs_hook;
    c.step_hook_arg = &o;
    a = agg_new(&c, wall_ms(), err, sizeof err);
    if (!a) {
        ok(0, "agg_new: %s", err);
        return;
    }
    agg_add(a, &fa, NULL);
    agg_add(a, &fb, NULL); /* closes step k (grace 0) */
    is_int(obs_count(&o, "total", (k + 60000) / 1000), 1, "late: step k written");
    agg_add(a, &fl, NULL); /* belongs to step k: late */
    agg_flush(a, wall_ms());
    is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, (k + 60000) / 1000), 10, "late: step k unchanged");
    is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, (k + 120000) / 1000), 60,
            "late: record added to the oldest open step");
    is_uint(obs_sum(&o, "total", AGG_IN_FLOWS, (k + 120000) / 1000), 2, "late: its flow too");
    snprintf(path, sizeof path, "%s/late.state", tmpdir);
    if (state_map(path, &m) == 0) {
        struct fsn_state_scalars sc = state_scalars(&m);
        is_uint(sc.late, 1, "late: counted in the state file");
        is_uint(sc.total.in_octets, 70, "late: still in the total");
        state_unmap(&m);
    } else {
        ok(0, "late: state file");
    }
    agg_free(a);
    agg_conf_fini(&c);
    free(o.rows);
}

/* max-hosts: beyond the bound into "other"; idle hosts age out into "other". */
static void test_evict(void)
{
    struct agg_conf c;
    struct obs o = {0};
    struct agg *a;
    char err[200], path[300];
    struct statemap m;
    struct fsn_state_host h;
    struct fsn_state_scalars sc;
    struct agg_stats st;
    uint32_t rows;
    struct fsn_state_ctr sum;
    uint64_t t = T0 + 1000, t2 = T0 + 3600000 + 2000;
    struct fsn_flow f1 = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, t, t, 1, 100);
    struct fsn_flow f2 = mkflow("192.0.2.1", 1, "10.0.0.2", 2, 6, t, t, 2, 200);
    struct fsn_flow f3 = mkflow("192.0.2.1", 1, "10.0.0.3", 2, 6, t, t, 3, 300);
    struct fsn_flow f4 = mkflow("192.0.2.1", 1, "10.0.0.4", 2, 6, t2, t2, 4, 400);
    int bad = 0;

    base_conf(&c, 60, 0, "evict.state");
    c.max_hosts = 2;
    c.step_hook = obs_hook;
    c.step_hook_arg = &o;
    a = agg_new(&c, wall_ms(), err, sizeof err);
    if (!a) {
        ok(0, "agg_new: %s", err);
        return;
    }
    agg_add(a, &f1, NULL);
    agg_add(a, &f2, NULL);
    agg_add(a, &f3, NULL);
    agg_publish(a, wall_ms());
    snprintf(path, sizeof path, "%s/evict.state", tmpdir);
    if (state_map(path, &m) != 0) {
        ok(0, "evict: state file");
        goto out;
    }
    sc = state_scalars(&m);
    is_uint(sc.hosts_in_use, 2, "evict: two host rows");
    state_host(&m, NULL, &h);
    is_uint(h.c.in_octets, 300, "evict: third host counted in other");
    sum = state_host_sum(&m, &rows);
    ok(ctr_eq(&sum, &sc.total), "evict: rows + other == total (table full)");
    state_unmap(&m);

    agg_add(a, &f4, NULL); /* an hour later: 10.0.0.1, the least recently seen, gives way */
    agg_publish(a, wall_ms());
    state_map(path, &m);
    sc = state_scalars(&m);
    ok(!state_host(&m, "10.0.0.1", &h), "evict: idle host aged out");
    ok(state_host(&m, "10.0.0.4", &h) && h.c.in_octets == 400, "evict: new host has a row");
    ok(state_host(&m, "10.0.0.2", &h) && h.c.in_octets == 200, "evict: other host kept");
    state_host(&m, NULL, &h);
    is_uint(h.c.in_octets, 400, "evict: evicted host's counts moved to other");
    is_uint(h.c.in_packets, 4, "evict: other packets");
    sum = state_host_sum(&m, &rows);
    ok(ctr_eq(&sum, &sc.total), "evict: rows + other == total after eviction");
    is_uint(sc.total.in_octets, 1000, "evict: total");
    is_uint(sc.hosts_evicted, 1, "evict: counted");
    state_unmap(&m);
    agg_flush(a, wall_ms());
    agg_get_stats(a, &st);
    is_uint(st.hosts_evicted, 1, "evict: stats");
    /* Per step too: host rows + other == total for every closed step. */
    for (size_t r = 0; r < o.n; r++) {
        if (strcmp(o.rows[r].name, "total") != 0)
            continue;
        uint64_t s = 0, tot = o.rows[r].v[AGG_IN_OCTETS];
        for (size_t q = 0; q < o.n; q++)
            if (o.rows[q].t_end == o.rows[r].t_end &&
                ((strncmp(o.rows[q].name, "host/", 5) == 0 && !strchr(o.rows[q].name + 5, '/')) ||
                 strcmp(o.rows[q].name, "other") == 0))
                s += o.rows[q].v[AGG_IN_OCTETS];
        bad += s != tot;
    }
    is_int(bad, 0, "evict: every step's host rows + other == total");
out:
    agg_free(a);
    agg_conf_fini(&c);
    free(o.rows);
}

/* Records with no real time (0) or far in the future do not move flow time: late, not lost. */
static void test_badtime(void)
{
    struct agg_conf c;
    struct obs o = {0};
    struct agg *a;
    char err[200];
    struct agg_stats st;
    uint64_t w = wall_ms();
    struct fsn_flow f0 = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, 0, 0, 5, 50);
    struct fsn_flow f1 = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, T0 + 1000, T0 + 1000, 1, 10);
    struct fsn_flow f2 = mkflow("192.0.2.1", 1, "10.0.0.1", 2, 6, w + 7200000, w + 7200000, 1, 7);

    base_conf(&c, 60, 60, NULL);
    c.step_hook = obs_hook;
    c.step_hook_arg = &o;
    a = agg_new(&c, w, err, sizeof err);
    if (!a) {
        ok(0, "agg_new: %s", err);
        return;
    }
    agg_add(a, &f0, NULL); /* before any real time: waits */
    agg_add(a, &f1, NULL); /* places the window: the oldest open step ends at T0 */
    agg_add(a, &f2, NULL);
    agg_flush(a, w);
    agg_get_stats(a, &st);
    is_uint(st.future, 2, "bad times: two records");
    is_uint(st.late, 2, "bad times: counted late");
    is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, T0 / 1000), 57, "bad times: in the oldest open step");
    is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, T0 / 1000 + 60), 10, "bad times: good record in its step");
    is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, 0), 67, "bad times: nothing lost");
    agg_free(a);
    agg_conf_fini(&c);
    free(o.rows);
}

static void test_conf(void)
{
    struct agg_conf c;
    char err[200], pn[16];
    uint8_t p;
    bool found[5] = {0};
    static const char *const want[5] = {"http", "https", "domain", "ssh", "imaps"};

    agg_conf_init(&c);
    is_int(conf_line(&c, "step 5m", err, sizeof err), 0, "step 5m");
    is_uint(c.step, 300, "step in seconds");
    is_int(conf_line(&c, "pro-rate no", err, sizeof err), 0, "pro-rate no");
    ok(!c.prorate, "pro-rate off");
    ok(conf_line(&c, "service x tcp/99999", err, sizeof err) < 0, "port out of range refused");
    ok(conf_line(&c, "service x bogus/1", err, sizeof err) < 0, "unknown protocol refused");
    ok(conf_line(&c, "service a/b tcp/1", err, sizeof err) < 0, "service name with / refused");
    ok(conf_line(&c, "local-network 10.0.0.1/8", err, sizeof err) < 0, "host bits refused");
    ok(conf_line(&c, "max-hosts 0", err, sizeof err) < 0, "max-hosts 0 refused");
    is_int(agg_conf_finish(&c, err, sizeof err), 0, "finish with defaults");
    ok(c.nservices >= 30, "built-in services (%zu)", c.nservices);
    for (size_t i = 0; i < c.nservices; i++)
        for (int j = 0; j < 5; j++)
            if (strcmp(c.services[i].name, want[j]) == 0)
                found[j] = true;
    for (int j = 0; j < 5; j++)
        ok(found[j], "built-in service %s", want[j]);
    ok(c.nnets == 4, "default local networks: private ranges");
    agg_conf_fini(&c);

    is_str(agg_proto_name(58, pn, sizeof pn), "ipv6-icmp", "name of 58");
    is_str(agg_proto_name(50, pn, sizeof pn), "esp", "name of 50");
    is_str(agg_proto_name(200, pn, sizeof pn), "200", "unnamed 200");
    ok(agg_proto_parse("udp", &p) == 0 && p == 17, "parse udp");
    ok(agg_proto_parse("132", &p) == 0 && p == 132, "parse number");
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/agg-count.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }
    test_conf();
    test_rules();
    test_grace();
    test_prorate(true);
    test_prorate(false);
    test_random_exact();
    test_late();
    test_evict();
    test_badtime();
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            diag("could not remove %s", tmpdir);
    }
    return tap_done();
}
