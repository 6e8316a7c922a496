/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator against a model: random records (IPv4 and IPv6, in, out,
 * local to local, transit, several services, many protocols, two
 * exporters, flows over several steps, late records, a host table that
 * fills up and evicts) go into the aggregator and into a plain model
 * written here from docs/counting.md; every (entity, step) the aggregator
 * closes must hold exactly the model's counts, and no step may be missing.
 *
 * The model shares no code with rrd/agg*.c: it matches networks bit by bit,
 * services by scanning their ranges, keeps hosts in a plain array with
 * last-seen stamps, and splits counts with 128-bit arithmetic and a sort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/agg_testlib.h"
#include "tests/xorshift.h"

__extension__ typedef unsigned __int128 u128;

#define T0 1699999980000ull /* a multiple of 60 s, in ms */
#define STEP 60u

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    return xorshift64(&rs);
}

/* ---- expected counts: (name, step end) -> counters, a small hash table ---- */

struct cell {
    char name[64];
    uint64_t t_end;
    uint64_t v[AGG_NCTR];
    bool used;
};

struct table {
    struct cell *c;
    size_t cap;
};

static uint64_t cell_hash(const char *name, uint64_t t_end)
{
    uint64_t h = 1469598103934665603ull ^ t_end;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    return h;
}

static struct cell *cell_find(const struct table *t, const char *name, uint64_t t_end)
{
    size_t i = (size_t)cell_hash(name, t_end) & (t->cap - 1);
    for (; t->c[i].used; i = (i + 1) & (t->cap - 1))
        if (t->c[i].t_end == t_end && strcmp(t->c[i].name, name) == 0)
            return &t->c[i];
    return NULL;
}

static struct cell *cell_get(struct table *t, const char *name, uint64_t t_end)
{
    size_t i = (size_t)cell_hash(name, t_end) & (t->cap - 1);
    while (t->c[i].used && !(t->c[i].t_end == t_end && strcmp(t->c[i].name, name) == 0))
        i = (i + 1) & (t->cap - 1);
    if (!t->c[i].used) {
        t->c[i].used = true;
        snprintf(t->c[i].name, sizeof t->c[i].name, "%s", name);
        t->c[i].t_end = t_end;
    }
    return &t->c[i];
}

/* ---- the configuration, also as the model sees it ---- */

struct mnet {
    int fam;
    uint8_t a[16];
    unsigned len;
};

static const struct mnet nets[] = {
    {4, {10}, 8},
    {4, {172, 16}, 12},
    {4, {192, 168, 5}, 24},
    {6, {0x20, 0x01, 0x0d, 0xb8, 0, 1}, 48},
};

struct msvc {
    const char *name;
    uint8_t proto[3];
    uint16_t lo[3], hi[3];
    int n;
};

static const struct msvc svcs[] = {
    {"web", {6, 6}, {80, 443}, {80, 443}, 2},
    {"tls", {6, 17}, {443, 443}, {443, 443}, 2},
    {"dns", {17, 6}, {53, 53}, {53, 53}, 2},
    {"alt", {6}, {8000}, {8080}, 1},
    {"ping", {1}, {2048}, {2048}, 1},
};
#define NSVC (sizeof svcs / sizeof svcs[0])

static bool m_local(int fam, const uint8_t *addr)
{
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        bool eq = nets[i].fam == fam;
        for (unsigned b = 0; eq && b < nets[i].len; b++)
            eq = ((addr[b / 8] >> (7 - b % 8)) & 1) == ((nets[i].a[b / 8] >> (7 - b % 8)) & 1);
        if (eq)
            return true;
    }
    return false;
}

/* ---- the model ---- */

struct mhost {
    uint8_t fam, addr[16];
    uint64_t last_ms, stamp;
};

struct model {
    struct table t;
    bool prorate, started;
    uint64_t grace_ms, newest, idle_ms;
    int64_t lo;
    struct mhost *h;
    size_t nh, max;
    uint64_t stamp, late, evicted, other;
};

static void m_name_host(const struct mhost *h, char *buf, size_t len)
{
    char t[64];
    inet_ntop(h->fam == 4 ? AF_INET : AF_INET6, h->addr, t, sizeof t);
    snprintf(buf, len, "host/%s", t);
}

/* The row a local address counts in: its host's, or "other"; evicts as the rules say. */
static void m_host(struct model *m, int fam, const uint8_t *addr, uint64_t last, char *name,
                   size_t len)
{
    size_t n = fam == 4 ? 4 : 16;
    size_t i;

    for (i = 0; i < m->nh; i++)
        if (m->h[i].fam == fam && memcmp(m->h[i].addr, addr, n) == 0)
            break;
    if (i == m->nh) {
        if (m->nh == m->max) {
            size_t old = 0;
            for (size_t j = 1; j < m->nh; j++)
                if (m->h[j].stamp < m->h[old].stamp)
                    old = j;
            if (m->h[old].last_ms + m->idle_ms <= m->newest) {
                /* Its open steps move to "other"; its closed ones stay under its name. */
                char hn[80];
                m_name_host(&m->h[old], hn, sizeof hn);
                for (size_t c = 0; c < m->t.cap; c++) {
                    struct cell *ce = &m->t.c[c];
                    if (!ce->used || strcmp(ce->name, hn) != 0 ||
                        ce->t_end <= (uint64_t)m->lo * STEP)
                        continue;
                    struct cell *o = cell_get(&m->t, "other", ce->t_end);
                    ce = &m->t.c[c];
                    for (int k = 0; k < AGG_NCTR; k++) {
                        o->v[k] += ce->v[k];
                        ce->v[k] = 0;
                    }
                }
                m->h[old] = m->h[--m->nh];
                m->evicted++;
            }
        }
        if (m->nh == m->max) {
            m->other++;
            snprintf(name, len, "other");
            return;
        }
        memset(&m->h[i = m->nh++], 0, sizeof m->h[0]);
        m->h[i].fam = (uint8_t)fam;
        memcpy(m->h[i].addr, addr, n);
    }
    m->h[i].stamp = ++m->stamp;
    if (last > m->h[i].last_ms)
        m->h[i].last_ms = last;
    m_name_host(&m->h[i], name, len);
}

struct mpart {
    int64_t k;
    uint64_t w, oct, pkt, roct, rpkt;
};

/* floor(x * w / d) each, then one unit to the largest remainders, the later step on ties. */
static void m_split(struct mpart *p, size_t n, uint64_t d, uint64_t x, bool oct)
{
    size_t order[80];
    uint64_t given = 0;

    for (size_t i = 0; i < n; i++) {
        u128 prod = (u128)x * p[i].w;
        uint64_t q = (uint64_t)(prod / d), r = (uint64_t)(prod % d);
        if (oct)
            p[i].oct = q, p[i].roct = r;
        else
            p[i].pkt = q, p[i].rpkt = r;
        given += q;
        order[i] = i;
    }
    for (size_t i = 1; i < n; i++) /* insertion sort: remainder down, then step down */
        for (size_t j = i; j > 0; j--) {
            size_t a = order[j - 1], b = order[j];
            uint64_t ra = oct ? p[a].roct : p[a].rpkt, rb = oct ? p[b].roct : p[b].rpkt;
            if (ra > rb || (ra == rb && p[a].k > p[b].k))
                break;
            order[j - 1] = b, order[j] = a;
        }
    for (size_t i = 0; i < x - given; i++) {
        if (oct)
            p[order[i]].oct++;
        else
            p[order[i]].pkt++;
    }
}

static void m_count(struct model *m, const char *name, int dir, const struct mpart *p, size_t n,
                    int64_t kflow)
{
    for (size_t i = 0; i < n; i++) {
        struct cell *c = cell_get(&m->t, name, (uint64_t)(p[i].k + 1) * STEP);
        c->v[AGG_IN_OCTETS + dir] += p[i].oct;
        c->v[AGG_IN_PACKETS + dir] += p[i].pkt;
    }
    cell_get(&m->t, name, (uint64_t)(kflow + 1) * STEP)->v[AGG_IN_FLOWS + dir]++;
}

static void m_add(struct model *m, const struct fsn_flow *f, const struct agg_exporter_id *x)
{
    uint64_t first = f->first_ms < f->last_ms ? f->first_ms : f->last_ms, last = f->last_ms;
    uint64_t s = STEP * 1000ull;
    int fam = f->key.family == FSN_FAMILY_IPV4 ? 4 : 6;
    struct mpart p[80];
    size_t n = 0;
    char name[80], t[64];

    if (last > m->newest || !m->started) {
        if (last > m->newest)
            m->newest = last;
        int64_t due = (int64_t)((m->newest - m->grace_ms) / s);
        if (!m->started || due > m->lo)
            m->lo = due;
        m->started = true;
    }
    bool dl = m_local(fam, f->key.dst), sl = m_local(fam, f->key.src);
    if (!dl && !sl)
        return;
    int64_t kf = (int64_t)(first / s), kl = (int64_t)(last / s), lo = m->lo;
    if (kl < lo || (m->prorate && kf < lo))
        m->late++;
    if (!m->prorate || kf == kl || kl <= lo) {
        p[0].k = kl < lo ? lo : kl;
        p[0].oct = f->octets;
        p[0].pkt = f->packets;
        n = 1;
    } else {
        for (int64_t k = kf < lo ? lo : kf; k <= kl; k++) {
            uint64_t ks = (uint64_t)k * s, ke = ks + s;
            uint64_t from = first > ks ? first : ks, to = last + 1 < ke ? last + 1 : ke;
            p[n].k = k;
            p[n].w = to - from;
            if (k == lo && kf < lo)
                p[n].w += ks - first; /* the late time before the window */
            n++;
        }
        m_split(p, n, last - first + 1, f->octets, true);
        m_split(p, n, last - first + 1, f->packets, false);
    }
    int64_t kflow = kl < lo ? lo : kl;
    for (int dir = 0; dir < 2; dir++) {
        const uint8_t *addr = dir == 0 ? f->key.dst : f->key.src;
        if (!(dir == 0 ? dl : sl))
            continue;
        m_count(m, "total", dir, p, n, kflow);
        m_host(m, fam, addr, last, name, sizeof name);
        m_count(m, name, dir, p, n, kflow);
        snprintf(name, sizeof name, "proto/%s", agg_proto_name(f->key.proto, t, sizeof t));
        m_count(m, name, dir, p, n, kflow);
        for (size_t i = 0; i < NSVC; i++) {
            bool hit = false;
            for (int r = 0; r < svcs[i].n; r++)
                hit |= svcs[i].proto[r] == f->key.proto &&
                       ((f->key.sport >= svcs[i].lo[r] && f->key.sport <= svcs[i].hi[r]) ||
                        (f->key.dport >= svcs[i].lo[r] && f->key.dport <= svcs[i].hi[r]));
            if (hit) {
                snprintf(name, sizeof name, "service/%s", svcs[i].name);
                m_count(m, name, dir, p, n, kflow);
            }
        }
        if (x) {
            inet_ntop(AF_INET, x->addr, t, sizeof t);
            snprintf(name, sizeof name, "exporter/%s-%u", t, x->domain);
            m_count(m, name, dir, p, n, kflow);
        }
    }
}

/* ---- random records ---- */

static void rnd_addr(int fam, bool local, unsigned host, uint8_t *a)
{
    memset(a, 0, 16);
    if (fam == 6) {
        static const uint8_t loc[6] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
        static const uint8_t rem[6] = {0x20, 0x01, 0x0d, 0xb8, 0, 2};
        memcpy(a, local ? loc : rem, 6);
        a[14] = (uint8_t)(host >> 8), a[15] = (uint8_t)host;
        return;
    }
    if (!local) {
        /* Remote, some of them next to the local networks (same first bits). */
        static const uint8_t rem[4][3] = {{198, 51, 100}, {172, 32, 0}, {192, 168, 6}, {11, 0, 0}};
        memcpy(a, rem[host % 4], 3);
        a[3] = (uint8_t)(host / 4);
        return;
    }
    switch (host % 3) {
    case 0: a[0] = 10, a[1] = 1, a[2] = (uint8_t)(host >> 8), a[3] = (uint8_t)host; break;
    case 1: a[0] = 172, a[1] = (uint8_t)(16 + host % 16), a[2] = 0, a[3] = (uint8_t)host; break;
    default: a[0] = 192, a[1] = 168, a[2] = 5, a[3] = (uint8_t)host; break;
    }
}

static void rnd_flow(struct fsn_flow *f, uint64_t *clock, unsigned nhosts, unsigned gap)
{
    static const uint8_t protos[] = {6, 6, 6, 17, 17, 1, 58, 47, 253};
    static const uint16_t ports[] = {80, 443, 53, 8000, 8080, 8081, 22, 2048, 7999};
    int fam = rnd() % 4 == 0 ? 6 : 4;
    unsigned kind = (unsigned)(rnd() % 10); /* 0-3 in, 4-7 out, 8 local-local, 9 transit */
    /* Hosts drift with time, so that old ones go idle and new ones come. */
    unsigned phase = (unsigned)((*clock - T0) / 1200000);
    unsigned h1 = (unsigned)(phase * 7 + rnd() % nhosts), h2 = (unsigned)(phase * 7 + rnd() % nhosts);

    memset(f, 0, sizeof *f);
    f->key.family = fam == 4 ? FSN_FAMILY_IPV4 : FSN_FAMILY_IPV6;
    rnd_addr(fam, kind >= 4 && kind <= 8, h1, f->key.src);
    rnd_addr(fam, kind <= 3 || kind == 8, h2, f->key.dst);
    f->key.proto = protos[rnd() % sizeof protos];
    f->key.sport = rnd() % 2 ? ports[rnd() % 9] : (uint16_t)(1024 + rnd() % 60000);
    f->key.dport = rnd() % 2 ? ports[rnd() % 9] : (uint16_t)(1024 + rnd() % 60000);
    *clock += rnd() % gap;
    f->last_ms = *clock - rnd() % 3000;
    switch (rnd() % 8) {
    case 0: f->last_ms = *clock - rnd() % 1800000; break; /* late by up to 30 min */
    case 1: f->first_ms = f->last_ms - rnd() % 1200000; break; /* many steps */
    case 2: f->first_ms = f->last_ms + 5; break;                /* first > last */
    default: f->first_ms = f->last_ms - rnd() % 90000; break;
    }
    f->packets = rnd() % 5 == 0 ? rnd() % (1ull << 40) : 1 + rnd() % 1000;
    f->octets = rnd() % 5 == 0 ? rnd() % (1ull << 62) : f->packets * (40 + rnd() % 1460);
    f->sampling = 1;
}

static void scenario(const char *what, unsigned grace, bool prorate, unsigned max_hosts,
                     unsigned nhosts, int nflows, unsigned gap)
{
    struct agg_conf c;
    struct obs o = {0};
    struct model m;
    struct agg *a;
    struct agg_stats st;
    struct table seen;
    char err[200], line[200];
    static const char *const lines[] = {
        "local-network 10.0.0.0/8",      "local-network 172.16.0.0/12",
        "local-network 192.168.5.0/24",  "local-network 2001:db8:1::/48",
        "service web tcp/80 tcp/443",    "service tls tcp/443 udp/443",
        "service dns udp/53 tcp/53",     "service alt tcp/8000-8080",
        "service ping icmp/2048",
    };
    struct agg_exporter_id x[2] = {mkexp("192.0.2.7", 3), mkexp("192.0.2.8", 0)};
    uint64_t clock = T0 + 600000;
    size_t bad = 0, missing = 0;

    agg_conf_init(&c);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (conf_line(&c, lines[i], err, sizeof err) != 0)
            diag("%s: %s", lines[i], err);
    snprintf(line, sizeof line, "step %u", STEP);
    conf_line(&c, line, err, sizeof err);
    snprintf(line, sizeof line, "grace %u", grace);
    conf_line(&c, line, err, sizeof err);
    snprintf(line, sizeof line, "max-hosts %u", max_hosts);
    conf_line(&c, line, err, sizeof err);
    conf_line(&c, prorate ? "pro-rate yes" : "pro-rate no", err, sizeof err);
    if (agg_conf_finish(&c, err, sizeof err) != 0)
        diag("finish: %s", err);
    c.step_hook = obs_hook;
    c.step_hook_arg = &o;
    a = agg_new(&c, (uint64_t)time(NULL) * 1000, err, sizeof err);
    if (!a) {
        ok(0, "%s: agg_new: %s", what, err);
        agg_conf_fini(&c);
        return;
    }
    memset(&m, 0, sizeof m);
    m.t.cap = 1u << 18;
    m.t.c = calloc(m.t.cap, sizeof *m.t.c);
    m.prorate = prorate;
    m.grace_ms = grace * 1000ull;
    m.idle_ms = 3600000; /* max(4 steps, 1 h) */
    m.max = max_hosts;
    m.h = calloc(max_hosts, sizeof *m.h);
    for (int i = 0; i < nflows; i++) {
        struct fsn_flow f;
        const struct agg_exporter_id *xp = rnd() % 5 == 0 ? NULL : &x[rnd() % 2];
        rnd_flow(&f, &clock, nhosts, gap);
        agg_add(a, &f, xp);
        m_add(&m, &f, xp);
        if (i % 997 == 0)
            agg_tick(a, (uint64_t)time(NULL) * 1000, 0);
    }
    agg_flush(a, (uint64_t)time(NULL) * 1000);
    agg_get_stats(a, &st);

    seen.cap = 1u << 18;
    seen.c = calloc(seen.cap, sizeof *seen.c);
    for (size_t r = 0; r < o.n; r++) {
        struct cell *s = cell_get(&seen, o.rows[r].name, o.rows[r].t_end);
        for (int k = 0; k < AGG_NCTR; k++)
            s->v[k] += o.rows[r].v[k];
    }
    for (size_t i = 0; i < seen.cap; i++) {
        const struct cell *s = &seen.c[i];
        if (!s->used)
            continue;
        const struct cell *e = cell_get(&m.t, s->name, s->t_end);
        if (memcmp(s->v, e->v, sizeof s->v) != 0 && bad++ < 5)
            diag("%s: %s at %ju: in %ju/%ju/%ju out %ju/%ju/%ju, model in %ju/%ju/%ju "
                 "out %ju/%ju/%ju", what, s->name, (uintmax_t)s->t_end, (uintmax_t)s->v[0],
                 (uintmax_t)s->v[2], (uintmax_t)s->v[4], (uintmax_t)s->v[1], (uintmax_t)s->v[3],
                 (uintmax_t)s->v[5], (uintmax_t)e->v[0], (uintmax_t)e->v[2], (uintmax_t)e->v[4],
                 (uintmax_t)e->v[1], (uintmax_t)e->v[3], (uintmax_t)e->v[5]);
    }
    for (size_t i = 0; i < m.t.cap; i++) {
        const struct cell *e = &m.t.c[i];
        static const uint64_t zero[AGG_NCTR];
        if (!e->used || memcmp(e->v, zero, sizeof zero) == 0)
            continue;
        if (!cell_find(&seen, e->name, e->t_end) && missing++ < 5)
            diag("%s: model has %s at %ju, the aggregator not", what, e->name, (uintmax_t)e->t_end);
    }
    is_uint(bad, 0, "%s: every closed (entity, step) as the model (%zu rows)", what, o.n);
    is_uint(missing, 0, "%s: every step of the model closed", what);
    is_uint(st.late, m.late, "%s: late records as the model", what);
    is_uint(st.hosts_evicted, m.evicted, "%s: evictions as the model", what);
    is_uint(st.other_flows, m.other, "%s: flows in \"other\" as the model", what);
    diag("%s: %ju late, %ju evicted, %ju in other, %ju steps", what, (uintmax_t)m.late,
         (uintmax_t)m.evicted, (uintmax_t)m.other, (uintmax_t)st.steps_closed);
    agg_free(a);
    agg_conf_fini(&c);
    free(o.rows);
    free(m.t.c);
    free(m.h);
    free(seen.c);
}

int main(void)
{
    scenario("wide window", 600, true, 2000, 300, 20000, 800);
    scenario("small table", 0, true, 40, 120, 20000, 4000);
    scenario("no pro-rating", 120, false, 60, 150, 15000, 3000);
    scenario("one host row", 60, true, 1, 20, 5000, 800);
    return tap_done();
}
