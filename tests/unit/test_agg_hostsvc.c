/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosts x services (docs/counting.md, "Hosts x services"): the roles
 * (provides: the host's own port is the service's; uses: the other end's;
 * both: provides once), the other cell's rule for flows without a service,
 * local-to-local flows, the two sums (per host: cells + other == the host
 * row; per service: cells + other host == the service row) in the state
 * file and for every closed step, both bounds, idle cells giving way, host
 * eviction, and a restart. Expected values come from a model written here
 * from the rules, not from the aggregator's code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/agg_testlib.h"
#include "tests/xorshift.h"

#define T0 1699999980000ull /* a multiple of 60 s, in ms */

static char tmpdir[128];

static uint64_t wall_ms(void)
{
    return (uint64_t)time(NULL) * 1000;
}

/* Services of the sums tests: no two share a port, so a flow matches at most one. */
static const char *const svc_lines[] = {
    "service web tcp/80 tcp/8080", "service dns udp/53 tcp/53", "service ssh tcp/22",
    "service ntp udp/123",
};
#define NSVC 4

static struct agg *make(struct agg_conf *c, const char *state, const char *const *extra,
                        size_t nextra, struct obs *o)
{
    char err[200], line[300];
    struct agg *a;

    agg_conf_init(c);
    conf_line(c, "local-network 10.0.0.0/8", err, sizeof err);
    conf_line(c, "local-network 2001:db8:1::/48", err, sizeof err);
    for (size_t i = 0; i < NSVC; i++)
        conf_line(c, svc_lines[i], err, sizeof err);
    conf_line(c, "step 60", err, sizeof err);
    conf_line(c, "grace 60", err, sizeof err);
    for (size_t i = 0; i < nextra; i++)
        if (conf_line(c, extra[i], err, sizeof err) != 0)
            diag("%s: %s", extra[i], err);
    snprintf(line, sizeof line, "state-file %s", state);
    conf_line(c, line, err, sizeof err);
    if (agg_conf_finish(c, err, sizeof err) != 0)
        diag("finish: %s", err);
    if (o) {
        c->step_hook = obs_hook;
        c->step_hook_arg = o;
        o->cells = true;
    }
    a = agg_new(c, wall_ms(), err, sizeof err);
    if (!a)
        diag("agg_new: %s", err);
    return a;
}

/* The cell row of (addr or NULL for the other host, service); false when absent. */
static bool cell(struct statemap *m, const char *addr, const char *svc,
                 struct fsn_state_hostsvc *out)
{
    uint8_t a[16] = {0}, fam = 0;
    uint32_t cap = m->h->xt[FSN_STATE_XT_HOSTSVC].cap;

    if (addr) {
        fam = strchr(addr, ':') ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
        inet_pton(fam == FSN_FAMILY_IPV6 ? AF_INET6 : AF_INET, addr, a);
    }
    for (uint32_t i = 0; i < cap; i++) {
        fsn_state_read(fsn_state_xrow(m->h, FSN_STATE_XT_HOSTSVC, i), out, sizeof *out, 1000);
        if (out->in_use && out->family == fam && memcmp(out->addr, a, 16) == 0 &&
            strcmp(out->service, svc) == 0)
            return true;
    }
    memset(out, 0, sizeof *out);
    return false;
}

static void ctr_acc(struct fsn_state_ctr *s, const struct fsn_state_ctr *c)
{
    s->in_octets += c->in_octets;
    s->out_octets += c->out_octets;
    s->in_packets += c->in_packets;
    s->out_packets += c->out_packets;
    s->in_flows += c->in_flows;
    s->out_flows += c->out_flows;
}

/*
 * Both sums over the whole state file: every host row equals its cells plus
 * its other cell, every service row its cells plus its other host. Returns
 * the number of rows that do not add up.
 */
static int sums_off(struct statemap *m)
{
    uint32_t cap = m->h->xt[FSN_STATE_XT_HOSTSVC].cap;
    int bad = 0;

    for (uint32_t i = 0; i < m->h->host_cap; i++) {
        struct fsn_state_host h;
        struct fsn_state_ctr s = {0};
        fsn_state_read(fsn_state_host(m->h, i), &h, sizeof h, 1000);
        if (!h.in_use || h.family == 0)
            continue;
        for (uint32_t j = 0; j < cap; j++) {
            struct fsn_state_hostsvc r;
            fsn_state_read(fsn_state_xrow(m->h, FSN_STATE_XT_HOSTSVC, j), &r, sizeof r, 1000);
            if (r.in_use && r.family == h.family && memcmp(r.addr, h.addr, 16) == 0) {
                ctr_acc(&s, &r.provided);
                ctr_acc(&s, &r.used);
            }
        }
        bad += !ctr_eq(&s, &h.c);
    }
    for (uint32_t i = 0; i < m->h->service_cap; i++) {
        struct fsn_state_service sv;
        struct fsn_state_ctr s = {0};
        fsn_state_read(fsn_state_service(m->h, i), &sv, sizeof sv, 1000);
        if (!sv.in_use)
            continue;
        for (uint32_t j = 0; j < cap; j++) {
            struct fsn_state_hostsvc r;
            fsn_state_read(fsn_state_xrow(m->h, FSN_STATE_XT_HOSTSVC, j), &r, sizeof r, 1000);
            if (r.in_use && strcmp(r.service, sv.name) == 0) {
                ctr_acc(&s, &r.provided);
                ctr_acc(&s, &r.used);
            }
        }
        bad += !ctr_eq(&s, &sv.c);
    }
    return bad;
}

/* The same per closed step, from the step observer: host/H == sum of host/H/<x>/<role>. */
static int step_sums_off(const struct obs *o)
{
    int bad = 0;

    for (size_t r = 0; r < o->n; r++) {
        const char *n = o->rows[r].name;
        char pre[80];
        uint64_t s[AGG_NCTR] = {0};
        bool is_svc = strncmp(n, "service/", 8) == 0;
        if (!(strncmp(n, "host/", 5) == 0 && !strchr(n + 5, '/')) && !is_svc)
            continue;
        for (size_t q = 0; q < o->n; q++) {
            const char *m = o->rows[q].name;
            if (o->rows[q].t_end != o->rows[r].t_end || !obs_is_cell(m))
                continue;
            bool hit;
            if (is_svc) {
                /* host/H/S/role or other/S/role */
                const char *svc = n + 8;
                size_t l = strlen(svc);
                const char *p = strrchr(m, '/'), *q0 = p;
                while (q0 > m && q0[-1] != '/')
                    q0--;
                hit = (size_t)(p - q0) == l && strncmp(q0, svc, l) == 0;
            } else {
                snprintf(pre, sizeof pre, "%s/", n);
                hit = strncmp(m, pre, strlen(pre)) == 0;
            }
            if (hit)
                for (int i = 0; i < AGG_NCTR; i++)
                    s[i] += o->rows[q].v[i];
        }
        bad += memcmp(s, o->rows[r].v, sizeof s) != 0;
    }
    return bad;
}

static void test_roles(void)
{
    char path[256];
    struct agg_conf c;
    struct obs o = {0};
    struct statemap m;
    struct fsn_state_hostsvc r;
    struct agg *a;
    static const char *const extra[] = {"service ftp tcp/21 tcp/20"};

    snprintf(path, sizeof path, "%s/roles.state", tmpdir);
    a = make(&c, path, extra, 1, &o);
    if (!a)
        return;
    struct fsn_flow fl[] = {
        /* A server: a remote client's request in, the answer out. */
        mkflow("192.0.2.1", 40000, "10.0.0.1", 80, 6, T0, T0 + 999, 10, 1000),
        mkflow("10.0.0.1", 80, "192.0.2.1", 40000, 6, T0, T0 + 999, 8, 5000),
        /* A client of a remote DNS server. */
        mkflow("10.0.0.1", 5555, "192.0.2.53", 53, 17, T0, T0, 1, 70),
        mkflow("192.0.2.53", 53, "10.0.0.1", 5555, 17, T0, T0, 1, 120),
        /* 53 <-> 53 between two local hosts: provides, once, for both. */
        mkflow("10.0.0.2", 53, "10.0.0.3", 53, 17, T0, T0, 2, 200),
        /* No service: own port 1234 < 9999: provides; then the client side. */
        mkflow("10.0.0.1", 1234, "192.0.2.9", 9999, 6, T0, T0, 3, 300),
        mkflow("10.0.0.1", 50000, "192.0.2.9", 9999, 6, T0, T0, 4, 400),
        /* No service, equal ports: provides. */
        mkflow("10.0.0.6", 7777, "192.0.2.9", 7777, 17, T0, T0, 1, 60),
        /* ICMP has no ports: uses. */
        mkflow("10.0.0.1", 0, "192.0.2.9", 2048, 1, T0, T0, 5, 500),
        /* ftp: 21 -> 20 both in the service's ranges: provides for both ends. */
        mkflow("10.0.0.4", 21, "10.0.0.5", 20, 6, T0, T0, 6, 600),
        /* IPv6 client of web. */
        mkflow("2001:db8:1::7", 33000, "2001:db8:ff::1", 8080, 6, T0, T0, 7, 700),
    };
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
        agg_add(a, &fl[i], NULL);
    agg_flush(a, wall_ms());
    if (state_map(path, &m) != 0) {
        ok(0, "roles: state file");
        agg_free(a);
        agg_conf_fini(&c);
        return;
    }
    ok(cell(&m, "10.0.0.1", "web", &r), "roles: 10.0.0.1 has a web cell");
    is_uint(r.provided.in_octets, 1000, "roles: server's request in: provided in");
    is_uint(r.provided.out_octets, 5000, "roles: server's answer out: provided out");
    is_uint(r.provided.in_flows + r.provided.out_flows, 2, "roles: two flows provided");
    is_uint(r.used.in_octets + r.used.out_octets, 0, "roles: nothing used of web");
    ok(cell(&m, "10.0.0.1", "dns", &r), "roles: 10.0.0.1 has a dns cell");
    is_uint(r.used.out_octets, 70, "roles: client's query out: used out");
    is_uint(r.used.in_octets, 120, "roles: client's answer in: used in");
    is_uint(r.provided.in_octets + r.provided.out_octets, 0, "roles: dns not provided");
    ok(cell(&m, "10.0.0.2", "dns", &r) && r.provided.out_octets == 200 && r.used.out_octets == 0,
       "roles: 53<->53 sender provides, once");
    ok(cell(&m, "10.0.0.3", "dns", &r) && r.provided.in_octets == 200 && r.used.in_octets == 0,
       "roles: 53<->53 receiver provides, once");
    ok(cell(&m, "10.0.0.1", "other", &r), "roles: 10.0.0.1 has an other cell");
    is_uint(r.provided.out_octets, 300, "roles: no service, lower own port: provided");
    is_uint(r.used.out_octets, 900, "roles: no service, higher own port and ICMP: used");
    is_uint(r.used.out_packets, 9, "roles: their packets");
    ok(cell(&m, "10.0.0.6", "other", &r) && r.provided.out_octets == 60 && r.used.out_octets == 0,
       "roles: no service, equal ports: provided");
    ok(cell(&m, "10.0.0.4", "ftp", &r) && r.provided.out_octets == 600,
       "roles: both ports in the service: provides (source)");
    ok(cell(&m, "10.0.0.5", "ftp", &r) && r.provided.in_octets == 600,
       "roles: both ports in the service: provides (destination)");
    ok(cell(&m, "2001:db8:1::7", "web", &r) && r.used.out_octets == 700 &&
           r.used.out_packets == 7 && r.used.out_flows == 1,
       "roles: IPv6 client uses web");
    ok(!cell(&m, NULL, "web", &r) || r.provided.in_octets + r.used.out_octets == 0,
       "roles: nothing in web's other host");
    ok(!cell(&m, "10.0.0.1", "ssh", &r), "roles: no cell without traffic");
    ok(cell(&m, "10.0.0.1", "web", &r) && r.created >= wall_ms() / 1000 - 60,
       "roles: created time is the collector's clock");
    is_int(sums_off(&m), 0, "roles: per host and per service, cells + other == row");
    is_int(step_sums_off(&o), 0, "roles: the same for every closed step");
    state_unmap(&m);
    agg_free(a);
    agg_conf_fini(&c);
    free(o.rows);
}

/* ---- a random run against a model of the rules ---- */

struct mcell {
    char key[80];
    struct fsn_state_ctr prov, used;
};

static struct mcell mc[4096];
static size_t nmc;

static struct mcell *mcell(const char *host, const char *svc)
{
    char key[80];
    snprintf(key, sizeof key, "%s %s", host, svc);
    for (size_t i = 0; i < nmc; i++)
        if (strcmp(mc[i].key, key) == 0)
            return &mc[i];
    if (nmc == sizeof mc / sizeof mc[0])
        return NULL;
    memset(&mc[nmc], 0, sizeof mc[nmc]);
    snprintf(mc[nmc].key, sizeof mc[nmc].key, "%s", key);
    return &mc[nmc++];
}

static void mctr(struct fsn_state_ctr *c, int dir, uint64_t oct, uint64_t pkt)
{
    if (dir == 0) {
        c->in_octets += oct;
        c->in_packets += pkt;
        c->in_flows++;
    } else {
        c->out_octets += oct;
        c->out_packets += pkt;
        c->out_flows++;
    }
}

struct msvc {
    const char *name;
    uint8_t proto;
    uint16_t lo, hi;
};

/* The ranges of svc_lines[] plus the overlapping one of test_model. */
static const struct msvc mranges[] = {
    {"web", 6, 80, 80},    {"web", 6, 8080, 8080}, {"dns", 17, 53, 53}, {"dns", 6, 53, 53},
    {"ssh", 6, 22, 22},    {"ntp", 17, 123, 123},  {"alt", 6, 8000, 8080},
};

static bool in_svc(const char *name, uint8_t proto, uint16_t port)
{
    for (size_t i = 0; i < sizeof mranges / sizeof mranges[0]; i++)
        if (strcmp(mranges[i].name, name) == 0 && mranges[i].proto == proto &&
            port >= mranges[i].lo && port <= mranges[i].hi)
            return true;
    return false;
}

static void model_flow(const struct fsn_flow *f, const char *src, const char *dst, bool sl,
                       bool dl)
{
    static const char *const names[] = {"web", "dns", "ssh", "ntp", "alt"};

    for (int dir = 0; dir < 2; dir++) {
        const char *h = dir == 0 ? dst : src;
        uint16_t own = dir == 0 ? f->key.dport : f->key.sport;
        uint16_t peer = dir == 0 ? f->key.sport : f->key.dport;
        int prov = -1, use = -1;
        if (dir == 0 ? !dl : !sl)
            continue;
        /* The end's one cell: the first service of its own port, else of the other end's. */
        for (int s = 0; s < (int)(sizeof names / sizeof names[0]); s++) {
            if (prov < 0 && in_svc(names[s], f->key.proto, own))
                prov = s;
            if (use < 0 && in_svc(names[s], f->key.proto, peer))
                use = s;
        }
        if (prov >= 0 || use >= 0) {
            struct mcell *x = mcell(h, names[prov >= 0 ? prov : use]);
            if (x)
                mctr(prov >= 0 ? &x->prov : &x->used, dir, f->octets, f->packets);
        } else {
            struct mcell *x = mcell(h, "other");
            bool ported = f->key.proto == 6 || f->key.proto == 17;
            if (x)
                mctr(ported && own <= peer ? &x->prov : &x->used, dir, f->octets, f->packets);
        }
    }
}

static void test_model(void)
{
    char path[256], src[32], dst[32];
    struct agg_conf c;
    struct statemap m;
    struct agg *a;
    static const char *const extra[] = {"service alt tcp/8000-8080"};
    static const uint16_t ports[] = {22, 53, 80, 123, 8000, 8080, 8443, 1024, 40000, 65535};
    uint64_t rng = 42, t = T0;
    int bad = 0, missing = 0;

    nmc = 0;
    snprintf(path, sizeof path, "%s/model.state", tmpdir);
    a = make(&c, path, extra, 1, NULL);
    if (!a)
        return;
    for (int i = 0; i < 20000; i++) {
        struct fsn_flow f;
        bool sl = xorshift64(&rng) % 3 != 0, dl = xorshift64(&rng) % 3 != 0;
        uint8_t protos[] = {6, 17, 1};
        snprintf(src, sizeof src, "%s.%u", sl ? "10.0.0" : "192.0.2",
                 (unsigned)(xorshift64(&rng) % 30 + 1));
        snprintf(dst, sizeof dst, "%s.%u", dl ? "10.0.0" : "198.51.100",
                 (unsigned)(xorshift64(&rng) % 30 + 1));
        t += xorshift64(&rng) % 500;
        f = mkflow(src, ports[xorshift64(&rng) % 10], dst, ports[xorshift64(&rng) % 10],
                   protos[xorshift64(&rng) % 3], t, t + xorshift64(&rng) % 200000,
                   xorshift64(&rng) % 50 + 1, xorshift64(&rng) % 100000 + 40);
        agg_add(a, &f, NULL);
        model_flow(&f, src, dst, sl, dl);
    }
    agg_flush(a, wall_ms());
    state_map(path, &m);
    for (size_t i = 0; i < nmc; i++) {
        char host[64], svc[40];
        struct fsn_state_hostsvc r;
        sscanf(mc[i].key, "%63s %39s", host, svc);
        if (!cell(&m, host, svc, &r)) {
            if (missing++ < 3)
                diag("model: no cell %s", mc[i].key);
            continue;
        }
        if ((!ctr_eq(&r.provided, &mc[i].prov) || !ctr_eq(&r.used, &mc[i].used)) && bad++ < 3)
            diag("model: %s: provided in %ju out %ju, used in %ju out %ju; model %ju %ju %ju %ju",
                 mc[i].key, (uintmax_t)r.provided.in_octets, (uintmax_t)r.provided.out_octets,
                 (uintmax_t)r.used.in_octets, (uintmax_t)r.used.out_octets,
                 (uintmax_t)mc[i].prov.in_octets, (uintmax_t)mc[i].prov.out_octets,
                 (uintmax_t)mc[i].used.in_octets, (uintmax_t)mc[i].used.out_octets);
    }
    ok(nmc > 100, "model: %zu cells in the model", nmc);
    is_int(missing, 0, "model: every cell of the model is in the state file");
    is_int(bad, 0, "model: every cell's 12 counters as the model (overlapping services too)");
    is_int(sums_off(&m), 0, "model: sums hold with overlapping services and two-service flows");
    state_unmap(&m);
    agg_free(a);
    agg_conf_fini(&c);
}

/* ---- bounds, eviction, restart ---- */

static void random_flows(struct agg *a, uint64_t *rng, int n, unsigned hosts, uint64_t *t)
{
    static const uint16_t ports[] = {22, 53, 80, 123, 8080, 1024, 40000};
    char src[32], dst[32];

    for (int i = 0; i < n; i++) {
        bool out = xorshift64(rng) & 1;
        snprintf(src, sizeof src, "10.0.0.%u", (unsigned)(xorshift64(rng) % hosts + 1));
        snprintf(dst, sizeof dst, "192.0.2.%u", (unsigned)(xorshift64(rng) % 50 + 1));
        *t += xorshift64(rng) % 2000;
        struct fsn_flow f = mkflow(out ? src : dst, ports[xorshift64(rng) % 7], out ? dst : src,
                                   ports[xorshift64(rng) % 7], xorshift64(rng) & 1 ? 6 : 17, *t,
                                   *t + xorshift64(rng) % 90000, xorshift64(rng) % 20 + 1,
                                   xorshift64(rng) % 5000 + 40);
        agg_add(a, &f, NULL);
    }
}

static void test_bounds(void)
{
    char path[256];
    struct agg_conf c;
    struct obs o = {0};
    struct statemap m;
    struct agg_stats st;
    struct agg *a;
    static const char *const extra[] = {"max-hosts 8", "host-services 2",
                                        "max-host-services 10"};
    uint64_t rng = 7, t = T0;
    uint32_t cells = 0;

    snprintf(path, sizeof path, "%s/bounds.state", tmpdir);
    a = make(&c, path, extra, 3, &o);
    if (!a)
        return;
    /* 20 hosts for 8 rows: host eviction after an hour of flow time; cells bounded. */
    random_flows(a, &rng, 3000, 20, &t);
    t += 2 * 3600000ull; /* everything idle: now hosts and cells give way */
    random_flows(a, &rng, 3000, 20, &t);
    agg_flush(a, wall_ms());
    agg_get_stats(a, &st);
    state_map(path, &m);
    for (uint32_t i = 0; i < m.h->xt[FSN_STATE_XT_HOSTSVC].cap; i++) {
        struct fsn_state_hostsvc r;
        fsn_state_read(fsn_state_xrow(m.h, FSN_STATE_XT_HOSTSVC, i), &r, sizeof r, 1000);
        cells += r.in_use && r.family != 0 && strcmp(r.service, "other") != 0;
    }
    ok(cells <= 10, "bounds: at most max-host-services cells (%u)", cells);
    is_uint(st.hs_cells, cells, "bounds: stats agree");
    ok(st.hs_overflow > 0, "bounds: overflow counted (%ju)", (uintmax_t)st.hs_overflow);
    ok(st.hs_evicted > 0, "bounds: idle cells gave way (%ju)", (uintmax_t)st.hs_evicted);
    ok(st.hosts_evicted > 0, "bounds: host rows were evicted (%ju)", (uintmax_t)st.hosts_evicted);
    is_int(sums_off(&m), 0, "bounds: per host and per service, cells + other == row");
    is_int(step_sums_off(&o), 0, "bounds: the same for every closed step");
    state_unmap(&m);
    agg_free(a);
    agg_conf_fini(&c);
    free(o.rows);
}

static void test_restart(void)
{
    char path[256];
    struct agg_conf c;
    struct statemap m;
    struct fsn_state_hostsvc r1, r2, o1, o2;
    struct agg *a;
    uint64_t rng = 99, t = T0;

    snprintf(path, sizeof path, "%s/restart.state", tmpdir);
    a = make(&c, path, NULL, 0, NULL);
    if (!a)
        return;
    random_flows(a, &rng, 2000, 10, &t);
    agg_flush(a, wall_ms());
    agg_free(a);
    agg_conf_fini(&c);
    state_map(path, &m);
    cell(&m, "10.0.0.3", "web", &r1);
    cell(&m, NULL, "dns", &o1);
    state_unmap(&m);

    /* The same config again: every cell continues. */
    a = make(&c, path, NULL, 0, NULL);
    if (!a)
        return;
    state_map(path, &m);
    ok(cell(&m, "10.0.0.3", "web", &r2) && ctr_eq(&r1.provided, &r2.provided) &&
           ctr_eq(&r1.used, &r2.used) && r1.created == r2.created,
       "restart: a cell continues where it was, same creation time");
    is_int(sums_off(&m), 0, "restart: sums hold after loading");
    state_unmap(&m);
    struct fsn_flow f = mkflow("10.0.0.3", 40000, "192.0.2.1", 80, 6, t, t, 1, 100);
    agg_add(a, &f, NULL);
    agg_flush(a, wall_ms());
    state_map(path, &m);
    cell(&m, "10.0.0.3", "web", &r2);
    is_uint(r2.used.out_octets, r1.used.out_octets + 100, "restart: and counts on");
    is_int(sums_off(&m), 0, "restart: sums hold afterwards");
    state_unmap(&m);
    agg_free(a);
    agg_conf_fini(&c);

    /* Fewer host rows and cells: what does not fit is folded, sums still hold, nothing lost. */
    static const char *const small[] = {"max-hosts 3", "max-host-services 2"};
    a = make(&c, path, small, 2, NULL);
    if (!a)
        return;
    state_map(path, &m);
    is_int(sums_off(&m), 0, "restart with smaller bounds: sums hold");
    cell(&m, NULL, "dns", &o2);
    ok(o2.used.in_octets >= o1.used.in_octets && o2.provided.in_octets >= o1.provided.in_octets,
       "restart with smaller bounds: the other host only grows");
    state_unmap(&m);
    agg_free(a);
    agg_conf_fini(&c);

    /* The table switched off: no rows. */
    static const char *const off[] = {"max-host-services 0"};
    a = make(&c, path, off, 1, NULL);
    state_map(path, &m);
    is_uint(m.h->xt[FSN_STATE_XT_HOSTSVC].cap, 0, "max-host-services 0: no table in the file");
    state_unmap(&m);
    agg_free(a);
    agg_conf_fini(&c);
}

static void test_conf(void)
{
    struct agg_conf c;
    char err[200];

    agg_conf_init(&c);
    ok(conf_line(&c, "service other tcp/1", err, sizeof err) != 0 && strstr(err, "reserved"),
       "conf: the service name 'other' is refused (%s)", err);
    ok(conf_line(&c, "host-services -1", err, sizeof err) != 0, "conf: host-services -1 refused");
    ok(conf_line(&c, "max-host-services 10000001", err, sizeof err) != 0,
       "conf: max-host-services over the bound refused");
    ok(conf_line(&c, "host-service-rrds maybe", err, sizeof err) != 0,
       "conf: host-service-rrds takes yes|no");
    conf_line(&c, "max-hosts 100", err, sizeof err);
    agg_conf_finish(&c, err, sizeof err);
    is_uint(c.max_host_services, 800, "conf: max-host-services defaults to 8 per host row");
    is_uint(c.host_services, 0, "conf: host-services defaults to every service");
    agg_conf_fini(&c);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_agg_hostsvc.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_conf();
    test_roles();
    test_model();
    test_bounds();
    test_restart();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        diag("could not remove %s", tmpdir);
    return tap_done();
}
