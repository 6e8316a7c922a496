/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for flowreport's modules: statistics (every key, ordering,
 * top N) against sums computed by direct loops over the records; the hosts
 * x services matrix against a direct implementation of the counting rules
 * (docs/counting.md) over the services' port ranges, and the config it
 * reads; the time window (parsing and reading a real file through it with
 * a filter); time formats and human units.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector/report.h"
#include "lib/error.h"
#include "tests/tap.h"

#define N 5000

static struct fsn_flow recs[N];
static struct fsn_ff_exporter exps[N];
static uint64_t rng = 12345;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static void make_records(void)
{
    static const uint8_t protos[] = {6, 17, 1, 58, 47, 132};
    for (int i = 0; i < N; i++) {
        struct fsn_flow *f = &recs[i];
        memset(f, 0, sizeof *f);
        f->key.family = rnd() % 4 ? FSN_FAMILY_IPV4 : FSN_FAMILY_IPV6;
        f->key.src[0] = 10;
        f->key.src[15] = (uint8_t)(rnd() % 7);
        f->key.dst[0] = 10;
        f->key.dst[15] = (uint8_t)(rnd() % 7); /* src == dst now and then */
        if (f->key.family == FSN_FAMILY_IPV4) {
            f->key.src[3] = f->key.src[15];
            f->key.dst[3] = f->key.dst[15];
            f->key.src[15] = f->key.dst[15] = 0;
        }
        f->key.proto = protos[rnd() % sizeof protos];
        f->key.sport = (uint16_t)(rnd() % 5);
        f->key.dport = (uint16_t)(rnd() % 5); /* sport == dport now and then */
        /* Few distinct sizes, so that ties in the ordering occur. */
        f->packets = 1 + rnd() % 3;
        f->octets = 100 * (1 + rnd() % 4);
        f->last_ms = 1700000000000ULL + rnd() % 600000;
        f->first_ms = f->last_ms - rnd() % 10000;
        f->sampling = 1;
        memset(&exps[i], 0, sizeof exps[i]);
        exps[i].addr.family = FSN_FAMILY_IPV4;
        exps[i].addr.a[0] = 192;
        exps[i].addr.a[3] = (uint8_t)(1 + rnd() % 3);
        exps[i].domain = (uint32_t)(rnd() % 2);
        exps[i].version = 10;
    }
}

/* Does record i count for key value k under `key`? (the reference definition) */
static bool counts_for(enum rep_key key, int i, const struct rep_kval *k)
{
    const struct fsn_flow *f = &recs[i];
    bool ports = f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132;
    bool src = k->family == f->key.family && memcmp(k->addr, f->key.src, 16) == 0;
    bool dst = k->family == f->key.family && memcmp(k->addr, f->key.dst, 16) == 0;

    switch (key) {
    case REP_TOTAL:
        return true;
    case REP_SRCIP:
        return src;
    case REP_DSTIP:
        return dst;
    case REP_IP:
        return src || dst;
    case REP_SRCPORT:
        return ports && f->key.sport == k->port;
    case REP_DSTPORT:
        return ports && f->key.dport == k->port;
    case REP_PORT:
        return ports && (f->key.sport == k->port || f->key.dport == k->port);
    case REP_PROTO:
        return f->key.proto == k->proto;
    case REP_EXPORTER:
        return k->family == exps[i].addr.family && memcmp(k->addr, exps[i].addr.a, 4) == 0 &&
               k->domain == exps[i].domain && k->version == exps[i].version;
    case REP_HOSTSVC: /* test_hostsvc() */
        break;
    }
    return false;
}

static uint64_t by(const struct rep_counts *c, enum rep_order o)
{
    return o == REP_BY_BYTES ? c->bytes : o == REP_BY_PACKETS ? c->packets : c->flows;
}

static void test_key(enum rep_key key, enum rep_order order)
{
    struct rep_stats *st = rep_stats_new(key, NULL);
    struct rep_row *rows, *top;
    long n, nt;
    size_t bad_sum = 0, bad_order = 0, expect_keys = 0;
    uint64_t flows_without_ports = 0;

    for (int i = 0; i < N; i++)
        rep_stats_add(st, &recs[i], &exps[i]);
    rep_stats_finish(st);
    n = rep_stats_rows(st, order, 0, &rows);

    /* Every row's sums, recomputed by a loop over all records. */
    for (long r = 0; r < n; r++) {
        struct rep_counts c = {0, 0, 0};
        for (int i = 0; i < N; i++) {
            if (counts_for(key, i, &rows[r].k)) {
                c.flows++;
                c.packets += recs[i].packets;
                c.bytes += recs[i].octets;
            }
        }
        if (memcmp(&c, &rows[r].c, sizeof c) != 0 || c.flows == 0)
            bad_sum++;
        if (r > 0) {
            uint64_t a = by(&rows[r - 1].c, order), b = by(&rows[r].c, order);
            if (a < b)
                bad_order++;
        }
    }
    /* The number of distinct keys, counted directly. */
    for (int i = 0; i < N; i++) {
        bool ports = recs[i].key.proto == 6 || recs[i].key.proto == 17 || recs[i].key.proto == 132;
        if ((key == REP_SRCPORT || key == REP_DSTPORT || key == REP_PORT) && !ports)
            flows_without_ports++;
    }
    switch (key) {
    case REP_TOTAL:
        expect_keys = 1;
        break;
    case REP_SRCIP:
    case REP_DSTIP:
    case REP_IP:
        expect_keys = 14; /* 7 IPv4 and 7 IPv6 addresses, each seen as both ends */
        break;
    case REP_SRCPORT:
    case REP_DSTPORT:
    case REP_PORT:
        expect_keys = 5;
        break;
    case REP_PROTO:
        expect_keys = 6;
        break;
    case REP_EXPORTER:
        expect_keys = 6;
        break;
    case REP_HOSTSVC:
        break;
    }
    is_uint(n, expect_keys, "-s %s: %zu rows", rep_key_name(key), expect_keys);
    is_uint(bad_sum, 0, "-s %s: every row's flows/packets/bytes equal a direct sum",
            rep_key_name(key));
    is_uint(bad_order, 0, "-s %s/%s: rows in descending order", rep_key_name(key),
            rep_order_name(order));
    is_uint(rep_stats_skipped(st), flows_without_ports, "-s %s: flows without ports skipped",
            rep_key_name(key));
    is_uint(rep_stats_total(st).flows, N - flows_without_ports, "-s %s: total flows",
            rep_key_name(key));

    /* Top 3 is the first 3 of the full ordering, ties included. */
    nt = rep_stats_rows(st, order, 3, &top);
    ok(nt == (n < 3 ? n : 3) && memcmp(top, rows, (size_t)nt * sizeof *top) == 0,
       "-s %s/%s -n 3: the first rows of the full ordering", rep_key_name(key),
       rep_order_name(order));
    free(top);
    free(rows);
    rep_stats_free(st);
}

static void test_ties(void)
{
    struct rep_stats *st = rep_stats_new(REP_SRCPORT, NULL);
    struct fsn_flow f;
    struct fsn_ff_exporter x;
    struct rep_row *rows;
    long n;

    memset(&f, 0, sizeof f);
    memset(&x, 0, sizeof x);
    f.key.family = FSN_FAMILY_IPV4;
    f.key.proto = 6;
    f.packets = 1;
    f.octets = 100;
    /* Ports 9, 3, 7 with equal bytes, port 5 with more: 5 first, then 3, 7, 9. */
    uint16_t ports[] = {9, 3, 7, 5, 5};
    for (int i = 0; i < 5; i++) {
        f.key.sport = ports[i];
        rep_stats_add(st, &f, &x);
    }
    rep_stats_finish(st);
    n = rep_stats_rows(st, REP_BY_BYTES, 0, &rows);
    ok(n == 4 && rows[0].k.port == 5 && rows[1].k.port == 3 && rows[2].k.port == 7 &&
           rows[3].k.port == 9,
       "ties are ordered by key, ascending");
    free(rows);
    n = rep_stats_rows(st, REP_BY_BYTES, 2, &rows);
    ok(n == 2 && rows[0].k.port == 5 && rows[1].k.port == 3, "top 2 with ties");
    free(rows);
    rep_stats_free(st);
}

static void test_parse(void)
{
    enum rep_key k;
    enum rep_order o;
    char e[200];

    ok(rep_stats_parse("srcip", &k, &o, e, sizeof e) == 0 && k == REP_SRCIP && o == REP_BY_BYTES,
       "-s srcip");
    ok(rep_stats_parse("port/packets", &k, &o, e, sizeof e) == 0 && k == REP_PORT &&
           o == REP_BY_PACKETS,
       "-s port/packets");
    ok(rep_stats_parse("exporter/flows", &k, &o, e, sizeof e) == 0 && k == REP_EXPORTER &&
           o == REP_BY_FLOWS,
       "-s exporter/flows");
    ok(rep_stats_parse("ip/bytes", &k, &o, e, sizeof e) == 0 && k == REP_IP && o == REP_BY_BYTES,
       "-s ip/bytes");
    ok(rep_stats_parse("hostservice", &k, &o, e, sizeof e) == 0 && k == REP_HOSTSVC &&
           o == REP_BY_BYTES,
       "-s hostservice");
    ok(rep_stats_parse("hostservice/flows", &k, &o, e, sizeof e) == 0 && k == REP_HOSTSVC &&
           o == REP_BY_FLOWS,
       "-s hostservice/flows");
    ok(rep_stats_parse("host/service", &k, &o, e, sizeof e) == 0 && k == REP_HOSTSVC &&
           o == REP_BY_BYTES,
       "-s host/service: the same key");
    ok(rep_stats_parse("host/service/packets", &k, &o, e, sizeof e) == 0 && k == REP_HOSTSVC &&
           o == REP_BY_PACKETS,
       "-s host/service/packets");
    ok(rep_stats_parse("srcipx", &k, &o, e, sizeof e) != 0, "unknown key refused");
    is_str(
        e,
        "unknown key 'srcipx' (total, srcip, dstip, ip, srcport, dstport, port, proto, exporter, "
        "hostservice or host/service)",
        "... saying which keys there are");
    ok(rep_stats_parse("srcip/octets", &k, &o, e, sizeof e) != 0, "unknown order refused");
    is_str(e, "unknown order 'octets' (bytes, packets or flows)",
           "... saying which orders there are");
    ok(rep_stats_parse("src", &k, &o, e, sizeof e) != 0, "prefix of a key refused");
    ok(rep_stats_parse("host/nosuch", &k, &o, e, sizeof e) != 0, "-s host/nosuch refused");
    is_str(e,
           "unknown key 'host' (total, srcip, dstip, ip, srcport, dstport, port, proto, exporter, "
           "hostservice or host/service)",
           "... as an unknown key 'host'");
    ok(rep_stats_parse("host/services", &k, &o, e, sizeof e) != 0, "-s host/services refused");
    ok(rep_stats_parse("host/service/octets", &k, &o, e, sizeof e) != 0 &&
           strstr(e, "unknown order 'octets'"),
       "-s host/service/octets: unknown order");
    ok(rep_stats_parse("hostservicex", &k, &o, e, sizeof e) != 0, "-s hostservicex refused");
    ok(rep_stats_parse("host/service/", &k, &o, e, sizeof e) != 0, "-s host/service/ refused");
}

/* ---- Hosts x services ---- */

/* Writes `text` into a new temporary file; its name into path (a "/tmp/...XXXXXX" template). */
static void write_conf(char *path, const char *text)
{
    int fd = mkstemp(path);
    size_t n = strlen(text);

    ok(fd >= 0 && write(fd, text, n) == (ssize_t)n, "config %s written", path);
    if (fd >= 0)
        close(fd);
}

/* The reference: is `port` of `proto` in one of service s's ranges? */
static bool in_service(const struct agg_service *s, uint8_t proto, uint16_t port)
{
    for (unsigned r = 0; r < s->nranges; r++)
        if (s->r[r].proto == proto && port >= s->r[r].lo && port <= s->r[r].hi)
            return true;
    return false;
}

static bool ref_local(const struct agg_conf *c, uint8_t family, const uint8_t *a)
{
    for (size_t i = 0; i < c->nnets; i++)
        if (fsn_cidr_match(&c->nets[i].cidr, family, a))
            return true;
    return false;
}

/*
 * The reference counters of a cell (host, service; REP_HS_OTHER for other)
 * in the order of the CSV columns, and of a host's row (in, out), by a
 * loop over every record that applies the rules of docs/counting.md
 * directly to the services' ranges.
 */
static void ref_cell(const struct agg_conf *c, uint8_t family, const uint8_t *host, uint16_t svc,
                     struct rep_counts cell[REP_HS_CELL_GROUPS], struct rep_counts row[2])
{
    memset(cell, 0, REP_HS_CELL_GROUPS * sizeof *cell);
    memset(row, 0, 2 * sizeof *row);
    for (int i = 0; i < N; i++) {
        const struct fsn_flow *f = &recs[i];
        for (int dir = 0; dir < 2; dir++) {
            const uint8_t *me = dir == 0 ? f->key.dst : f->key.src;
            uint16_t own = dir == 0 ? f->key.dport : f->key.sport;
            uint16_t peer = dir == 0 ? f->key.sport : f->key.dport;
            uint8_t p = f->key.proto;
            bool matched = false, prov = false, counts = false;
            int mine = -1, theirs = -1;
            if (f->key.family != family || memcmp(me, host, 16) != 0 || !ref_local(c, family, me))
                continue;
            /* One cell per end: the first service of its own port, else of the other end's. */
            for (size_t s = 0; s < c->nservices; s++) {
                if (mine < 0 && in_service(&c->services[s], p, own))
                    mine = (int)s;
                if (theirs < 0 && in_service(&c->services[s], p, peer))
                    theirs = (int)s;
            }
            matched = mine >= 0 || theirs >= 0;
            if (matched && (mine >= 0 ? mine : theirs) == (int)svc) {
                counts = true;
                prov = mine >= 0;
            }
            if (svc == REP_HS_OTHER && !matched) {
                counts = true;
                prov = (p == 6 || p == 17 || p == 132 || p == 136) && own <= peer;
            }
            row[dir].flows++;
            row[dir].packets += f->packets;
            row[dir].bytes += f->octets;
            if (!counts)
                continue;
            struct rep_counts *x = &cell[(prov ? REP_HS_PROV_IN : REP_HS_USED_IN) + dir];
            x->flows++;
            x->packets += f->packets;
            x->bytes += f->octets;
        }
    }
}

static void test_hostsvc_order(const struct rep_hs_matrix *m, enum rep_order order)
{
    size_t bad_hosts = 0, bad_cells = 0;

    for (size_t i = 0; i < m->n; i++) {
        const struct rep_hs_host *h = &m->hosts[i];
        if (i &&
            (m->hosts[i - 1].total < h->total ||
             (m->hosts[i - 1].total == h->total && memcmp(m->hosts[i - 1].addr, h->addr, 16) >= 0 &&
              m->hosts[i - 1].family == h->family)))
            bad_hosts++;
        if (h->total != by(&h->row[0], order) + by(&h->row[1], order))
            bad_hosts++;
        if (h->ncells == 0 || h->cells[h->ncells - 1].service != REP_HS_OTHER)
            bad_cells++;
        for (size_t j = 1; j + 1 < h->ncells; j++)
            if (h->cells[j - 1].total < h->cells[j].total ||
                (h->cells[j - 1].total == h->cells[j].total &&
                 strcmp(h->cells[j - 1].name, h->cells[j].name) >= 0))
                bad_cells++;
    }
    is_uint(bad_hosts, 0, "hostservice/%s: hosts by in + out, ties by address",
            rep_order_name(order));
    is_uint(bad_cells, 0, "hostservice/%s: cells by total, ties by name, other last",
            rep_order_name(order));
}

static void test_hostsvc(void)
{
    /*
     * The records' ports are 0-4 and their addresses 10.0.0.0-6 and
     * a00::0-6: hosts 0-3 are local. Service b overlaps a on tcp/1 (a
     * flow to it counts for both); c has UDP and SCTP; icmp0 makes ICMP
     * flows match a service.
     */
    char path[] = "/tmp/test_coll_report.conf.XXXXXX";
    struct rep_local l;
    struct rep_stats *st;
    struct rep_hs_matrix m, m2;
    char err[400];
    size_t bad = 0, bad_rows = 0, cells = 0, want_cells = 0, hosts = 0;
    uint64_t transit = 0;

    write_conf(path, "listen 127.0.0.1:2055\nspool /nonexistent\nagentx-socket /x\n"
                     "local-network 10.0.0.0/30\nstep 60\nlocal-network a00::/126 six\n"
                     "service a tcp/1 udp/1\nservice b tcp/1-2\nservice c udp/3 sctp/3-4\n"
                     "service icmp0 icmp/0\nrotate 1h\n");
    is_int(rep_local_load(&l, path, err, sizeof err), 0, "config with collector directives read");
    unlink(path);
    is_uint(l.conf.nnets, 2, "two local networks");
    is_uint(l.conf.nservices, 4, "four services");
    st = rep_stats_new(REP_HOSTSVC, &l);
    for (int i = 0; i < N; i++)
        rep_stats_add(st, &recs[i], &exps[i]);
    rep_stats_finish(st);
    is_int(rep_hs_build(st, &l, REP_BY_BYTES, 0, &m), 0, "matrix built");

    /* Every cell the matrix has, and the host rows, equal the reference. */
    for (size_t i = 0; i < m.n; i++) {
        const struct rep_hs_host *h = &m.hosts[i];
        struct rep_counts want[REP_HS_CELL_GROUPS], row[2];
        for (size_t j = 0; j < h->ncells; j++, cells++) {
            ref_cell(&l.conf, h->family, h->addr, h->cells[j].service, want, row);
            if (memcmp(want, h->cells[j].c, sizeof want) != 0)
                bad++;
            if (memcmp(row, h->row, sizeof row) != 0)
                bad_rows++;
        }
    }
    /* The cells the reference finds non-empty: each local host, services and other. */
    for (int fam = 0; fam < 2; fam++)
        for (uint8_t a = 0; a < 7; a++) {
            uint8_t addr[16] = {10};
            struct rep_counts want[REP_HS_CELL_GROUPS], row[2];
            uint8_t family = fam ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
            addr[fam ? 15 : 3] = a;
            if (!ref_local(&l.conf, family, addr))
                continue;
            hosts++;
            want_cells++; /* other, always there */
            for (uint16_t s = 0; s < l.conf.nservices; s++) {
                ref_cell(&l.conf, family, addr, s, want, row);
                want_cells += want[0].flows + want[1].flows + want[2].flows + want[3].flows > 0;
            }
        }
    for (int i = 0; i < N; i++)
        transit += !ref_local(&l.conf, recs[i].key.family, recs[i].key.src) &&
                   !ref_local(&l.conf, recs[i].key.family, recs[i].key.dst);
    is_uint(m.nhosts, hosts, "hostservice: %zu local hosts", hosts);
    is_uint(cells, want_cells, "hostservice: %zu cells, as the reference finds", want_cells);
    is_uint(bad, 0, "hostservice: every cell's 12 counters equal the reference");
    is_uint(bad_rows, 0, "hostservice: every host's row equals the reference");
    ok(transit > 100, "%ju flows without a local end", (uintmax_t)transit);
    is_uint(rep_stats_skipped(st), transit, "flows without a local end: skipped, counted");
    is_uint(rep_stats_total(st).flows, N, "every record in the total");
    test_hostsvc_order(&m, REP_BY_BYTES);

    /* Top 3 by flows: the first 3 hosts of the full ordering by flows. */
    rep_hs_free(&m);
    is_int(rep_hs_build(st, &l, REP_BY_FLOWS, 0, &m), 0, "matrix by flows");
    test_hostsvc_order(&m, REP_BY_FLOWS);
    is_int(rep_hs_build(st, &l, REP_BY_FLOWS, 3, &m2), 0, "top 3 by flows");
    ok(m2.n == 3 && m2.nhosts == m.nhosts, "top 3 of %zu hosts", m.nhosts);
    for (size_t i = 0; i < m2.n && i < m.n; i++)
        ok(m2.hosts[i].family == m.hosts[i].family &&
               memcmp(m2.hosts[i].addr, m.hosts[i].addr, 16) == 0 &&
               m2.hosts[i].ncells == m.hosts[i].ncells,
           "top 3: host %zu is the full ordering's, with all its cells", i);
    rep_hs_free(&m2);
    rep_hs_free(&m);
    rep_stats_free(st);
    rep_local_fini(&l);
}

/* The config: defaults without one; errors name the file and line. */
static void test_hostsvc_conf(void)
{
    char path[] = "/tmp/test_coll_report.conf.XXXXXX";
    struct rep_local l;
    char err[400], want[600];

    is_int(rep_local_load(&l, NULL, err, sizeof err), 0, "no config: defaults");
    is_uint(l.conf.nnets, 4, "default local networks: 10/8, 172.16/12, 192.168/16, fc00::/7");
    ok(l.conf.nservices > 30 && strcmp(l.conf.services[0].name, "ftp-data") == 0,
       "default services: the built-in list");
    rep_local_fini(&l);

    write_conf(path, "# a flowsnmp.conf\nspool /s\nservice web tcp/80\n\nservice dns udp/99999\n");
    is_int(rep_local_load(&l, path, err, sizeof err), -1, "bad service line refused");
    snprintf(want, sizeof want, "%s:5: service: ", path);
    ok(strncmp(err, want, strlen(want)) == 0, "... naming file and line: %.150s", err);
    rep_local_fini(&l);
    unlink(path);

    strcpy(path, "/tmp/test_coll_report.conf.XXXXXX");
    write_conf(path, "spool /s\nlocal-netwrok 10.0.0.0/8\n");
    is_int(rep_local_load(&l, path, err, sizeof err), -1, "unknown directive refused");
    snprintf(want, sizeof want, "%s:2: unknown directive 'local-netwrok'", path);
    ok(strncmp(err, want, strlen(want)) == 0, "... naming file and line: %.150s", err);
    rep_local_fini(&l);
    unlink(path);

    strcpy(path, "/tmp/test_coll_report.conf.XXXXXX");
    write_conf(path, "spool /s\nrotate 1h\nrotate 2h\n");
    is_int(rep_local_load(&l, path, err, sizeof err), -1,
           "a collector directive given twice: refused as flowcollectd does");
    rep_local_fini(&l);
    unlink(path);

    strcpy(path, "/tmp/test_coll_report.conf.XXXXXX");
    write_conf(path, "rotate notanumber\nlocal-network 192.0.2.0/24\n");
    is_int(rep_local_load(&l, path, err, sizeof err), 0,
           "the values of the collector's own directives are not looked at");
    ok(l.conf.nnets == 1 && l.conf.nservices > 30, "one network, the default services");
    rep_local_fini(&l);
    unlink(path);

    is_int(rep_local_load(&l, "/nonexistent/flowsnmp.conf", err, sizeof err), -1,
           "a missing config is an error");
    ok(strncmp(err, "/nonexistent/flowsnmp.conf: ", 28) == 0, "... naming it: %.150s", err);
    rep_local_fini(&l);
}

static void test_time(void)
{
    int64_t t;
    uint64_t s, e;
    char err[200], buf[64];
    const int64_t now = 1704164645000LL; /* 2024-01-02 03:04:05 UTC (date -u -d @1704164645) */

    setenv("TZ", "UTC", 1);
    tzset();
    ok(rep_time_parse("1700000000", now, &t, err, sizeof err) == 0 && t == 1700000000000LL,
       "Unix seconds");
    ok(rep_time_parse("1700000000.25", now, &t, err, sizeof err) == 0 && t == 1700000000250LL,
       "Unix seconds with a fraction");
    ok(rep_time_parse("2024-01-02 03:04:05", now, &t, err, sizeof err) == 0 && t == 1704164645000LL,
       "YYYY-MM-DD HH:MM:SS in TZ=UTC");
    ok(rep_time_parse("2024-01-02 03:04", now, &t, err, sizeof err) == 0 && t == 1704164640000LL,
       "YYYY-MM-DD HH:MM");
    ok(rep_time_parse("2024-01-02T03:04:05", now, &t, err, sizeof err) == 0 && t == 1704164645000LL,
       "ISO 8601 with T");
    ok(rep_time_parse("2024-01-02", now, &t, err, sizeof err) == 0 && t == 1704153600000LL,
       "a date alone is midnight");
    ok(rep_time_parse("2024-02-29T12:00:00.5Z", now, &t, err, sizeof err) == 0 &&
           t == 1709208000500LL,
       "Z and milliseconds, leap day");
    ok(rep_time_parse("2024-01-02T12:04:05+09:00", now, &t, err, sizeof err) == 0 &&
           t == 1704164645000LL,
       "explicit +09:00 offset");
    ok(rep_time_parse("2024-01-01T22:04:05-0500", now, &t, err, sizeof err) == 0 &&
           t == 1704164645000LL,
       "explicit -0500 offset");
    ok(rep_time_parse("-1h", now, &t, err, sizeof err) == 0 && t == now - 3600000, "-1h");
    ok(rep_time_parse("-90s", now, &t, err, sizeof err) == 0 && t == now - 90000, "-90s");
    ok(rep_time_parse("-2d", now, &t, err, sizeof err) == 0 && t == now - 2 * 86400000LL, "-2d");
    ok(rep_time_parse("now", now, &t, err, sizeof err) == 0 && t == now, "now");

    /* The same wall-clock text in another zone (POSIX TZ, no tzdata needed). */
    setenv("TZ", "JST-9", 1);
    tzset();
    ok(rep_time_parse("2024-01-02 12:04:05", now, &t, err, sizeof err) == 0 && t == 1704164645000LL,
       "local time follows TZ (JST-9)");
    rep_time_local(1704164645123ULL, buf, sizeof buf);
    is_str(buf, "2024-01-02 12:04:05.123", "local time stamp in JST-9");
    rep_time_iso(1704164645123ULL, buf, sizeof buf);
    is_str(buf, "2024-01-02T03:04:05.123Z", "ISO stamp is UTC whatever TZ says");
    setenv("TZ", "UTC", 1);
    tzset();

    ok(rep_time_parse("2024-13-01", now, &t, err, sizeof err) != 0 &&
           strcmp(err, "bad time '2024-13-01': a field is out of range") == 0,
       "month 13 refused: %s", err);
    ok(rep_time_parse("2023-02-29", now, &t, err, sizeof err) != 0, "29 February 2023 refused");
    ok(rep_time_parse("yesterday", now, &t, err, sizeof err) != 0 &&
           strstr(err, "bad time 'yesterday' (expected") == err,
       "words refused: %s", err);
    ok(rep_time_parse("-1y", now, &t, err, sizeof err) != 0, "unknown unit refused");

    ok(rep_time_window("1700000000,1700000060", now, &s, &e, err, sizeof err) == 0 &&
           s == 1700000000000ULL && e == 1700000060000ULL,
       "window START,END");
    ok(rep_time_window("1700000000", now, &s, &e, err, sizeof err) == 0 && s == 1700000000000ULL &&
           e == UINT64_MAX,
       "window START alone is open-ended");
    ok(rep_time_window(",1700000060", now, &s, &e, err, sizeof err) == 0 && s == 0 &&
           e == 1700000060000ULL,
       "window ,END");
    ok(rep_time_window("2024-01-02 03:00,+5m", now, &s, &e, err, sizeof err) == 0 &&
           s == 1704164400000ULL && e == 1704164700000ULL,
       "window START,+DURATION");
    ok(rep_time_window("-1h,now", now, &s, &e, err, sizeof err) == 0 &&
           s == (uint64_t)(now - 3600000) && e == (uint64_t)now,
       "window -1h,now");
    ok(rep_time_window("1700000060,1700000000", now, &s, &e, err, sizeof err) != 0 &&
           strcmp(err, "empty time window: the end is not after the start") == 0,
       "reversed window refused");
}

static void test_human(void)
{
    char b[32];

    rep_human(999, false, b, sizeof b);
    is_str(b, "999", "999");
    rep_human(1000, false, b, sizeof b);
    is_str(b, "1.0 k", "1000 = 1.0 k (powers of 1000)");
    rep_human(999949, false, b, sizeof b);
    is_str(b, "999.9 k", "999949");
    rep_human(999950, false, b, sizeof b);
    is_str(b, "1.0 M", "999950 rounds up to 1.0 M");
    rep_human(1234567890, false, b, sizeof b);
    is_str(b, "1.2 G", "1234567890");
    rep_human(UINT64_MAX, false, b, sizeof b);
    is_str(b, "18.4 E", "2^64-1");
    rep_human(1234567890, true, b, sizeof b);
    is_str(b, "1234567890", "raw");
}

/* The reader over a real file: time window and filter, against direct loops. */
struct got {
    uint64_t flows, bytes;
};

static int collect(void *arg, const struct fsn_flow *f, const struct fsn_ff_exporter *x)
{
    struct got *g = arg;
    (void)x;
    g->flows++;
    g->bytes += f->octets;
    return 0;
}

static int by_end(const void *a, const void *b)
{
    uint64_t x = recs[*(const int *)a].last_ms, y = recs[*(const int *)b].last_ms;
    return x < y ? -1 : x > y;
}

static void test_reader(void)
{
    static int order[N];
    char path[] = "/tmp/test_coll_report.XXXXXX";
    int fd = mkstemp(path);
    struct fsn_ff_builder *b = fsn_ff_builder_new(FSN_FF_BLOCK_MIN); /* many small blocks */
    struct fsn_ff_header h = {.start_ms = 1700000000000ULL, .end_ms = 1700000600000ULL};
    uint8_t hb[FSN_FF_HEADER_SIZE], tb[FSN_FF_TRAILER_SIZE];
    struct fsn_ff_trailer t;
    const uint8_t *data;
    size_t len;
    struct rep_files fl;
    struct rep_reader r;
    struct got g = {0, 0};
    char err[200];
    struct fsn_filter *filter;
    const uint64_t ws = 1700000100000ULL, we = 1700000400000ULL;
    uint64_t want_flows = 0, want_bytes = 0;
    bool writes_ok = true;

    /* In end-time order, as a collector mostly writes them, so blocks cover short spans. */
    for (int i = 0; i < N; i++)
        order[i] = i;
    qsort(order, N, sizeof order[0], by_end);
    fsn_ff_header_encode(&h, hb);
    writes_ok &= write(fd, hb, sizeof hb) == (ssize_t)sizeof hb;
    for (int j = 0; j < N; j++) {
        int i = order[j];
        if (fsn_ff_builder_add(b, &recs[i], &exps[i]) == FSN_E_SPACE) {
            fsn_ff_builder_finish(b, &data, &len);
            writes_ok &= write(fd, data, len) == (ssize_t)len;
            fsn_ff_builder_add(b, &recs[i], &exps[i]);
        }
    }
    fsn_ff_builder_finish(b, &data, &len);
    writes_ok &= write(fd, data, len) == (ssize_t)len;
    fsn_ff_builder_trailer(b, 0, &t);
    fsn_ff_trailer_encode(&t, tb);
    writes_ok &= write(fd, tb, sizeof tb) == (ssize_t)sizeof tb;
    close(fd);
    fsn_ff_builder_free(b);
    ok(writes_ok, "test file written");

    /* Expected: end time in [ws, we), TCP, and 10.0.0.3 or its IPv6 twin at either end. */
    for (int i = 0; i < N; i++) {
        const struct fsn_flow *f = &recs[i];
        bool host = f->key.family == FSN_FAMILY_IPV4 ? (f->key.src[3] == 3 || f->key.dst[3] == 3)
                                                     : (f->key.src[15] == 3 || f->key.dst[15] == 3);
        if (f->last_ms >= ws && f->last_ms < we && f->key.proto == 6 && host) {
            want_flows++;
            want_bytes += f->octets;
        }
    }
    is_int(fsn_filter_compile("tcp and (host 10.0.0.3 or host a00::3)", &filter, err, sizeof err,
                              NULL),
           0, "filter compiles");
    memset(&r, 0, sizeof r);
    r.start_ms = ws;
    r.end_ms = we;
    r.filter = filter;
    r.fn = collect;
    r.arg = &g;
    is_int(rep_files_collect(path, &fl), 0, "file listed");
    is_int(rep_read_files(&r, &fl), 0, "file read");
    ok(want_flows > 50, "the test selects %ju flows", (uintmax_t)want_flows);
    is_uint(g.flows, want_flows, "window + filter: flows as a direct loop counts");
    is_uint(g.bytes, want_bytes, "window + filter: bytes as a direct loop sums");
    ok(r.st.blocks_skipped > 0, "%ju blocks skipped by their time range without decoding",
       (uintmax_t)r.st.blocks_skipped);
    is_uint(r.st.bad_blocks + r.st.damaged_bytes + r.st.unclosed, 0, "no damage reported");
    rep_files_free(&fl);
    rep_reader_fini(&r);
    fsn_filter_free(filter);
    unlink(path);
}

int main(void)
{
    static const enum rep_key keys[] = {REP_TOTAL,   REP_SRCIP, REP_DSTIP, REP_IP,      REP_SRCPORT,
                                        REP_DSTPORT, REP_PORT,  REP_PROTO, REP_EXPORTER};
    make_records();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        test_key(keys[i], (enum rep_order)(i % 3));
    test_key(REP_SRCIP, REP_BY_PACKETS);
    test_key(REP_PORT, REP_BY_FLOWS);
    test_ties();
    test_parse();
    test_hostsvc();
    test_hostsvc_conf();
    test_time();
    test_human();
    test_reader();
    return tap_done();
}
