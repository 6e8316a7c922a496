/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowreport statistics: flows, packets and bytes per key, streamed record
 * by record. Ports and protocols use direct arrays; addresses and exporters
 * an open-addressing hash table that doubles at half load. Top N is a
 * bounded heap, so a short report over millions of keys sorts only N rows.
 * The hostservice key counts here too (its groups of counters are keys of
 * the hash table); report_hostsvc.c makes the matrix of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/report.h"
#include "common/bigmem.h"

_Static_assert(sizeof(struct rep_kval) == 32, "statistics key has no hidden padding");

struct entry {
    struct rep_kval k;
    struct rep_counts c;
    uint64_t used;
};

/* A record waiting for its table slot, which was prefetched when it came in. */
struct pending {
    struct rep_kval k;
    uint64_t hash;
    uint64_t packets;
    uint64_t bytes;
};

#define PIPE 16 /* records in flight: enough to overlap the cache misses */

struct rep_stats {
    enum rep_key key;
    const struct rep_local *local; /* hostservice */
    struct rep_counts total;
    uint64_t skipped;
    struct rep_counts *ports;  /* [65536] for the port keys */
    struct rep_counts *protos; /* [256] for proto */
    struct entry *tab;
    size_t cap;             /* slots, a power of two */
    size_t n;               /* keys in use */
    struct pending q[PIPE]; /* ring of records not yet in the table */
    unsigned qhead, qn;
};

static const char *const key_names[] = {"total",   "srcip", "dstip", "ip",       "srcport",
                                        "dstport", "port",  "proto", "exporter", "hostservice"};
/* The spelling of the issue and the man page: one key, although it has a slash. */
static const char hostservice_alias[] = "host/service";
static const char *const order_names[] = {"bytes", "packets", "flows"};

const char *rep_key_name(enum rep_key key)
{
    return key_names[key];
}

const char *rep_order_name(enum rep_order order)
{
    return order_names[order];
}

int rep_stats_parse(const char *s, enum rep_key *key, enum rep_order *order, char *err,
                    size_t errlen)
{
    const size_t na = sizeof hostservice_alias - 1;
    const char *slash;
    size_t n, i;

    if (strncmp(s, hostservice_alias, na) == 0 && (s[na] == '\0' || s[na] == '/')) {
        i = REP_HOSTSVC;
        slash = s[na] ? s + na : NULL;
    } else {
        slash = strchr(s, '/');
        n = slash ? (size_t)(slash - s) : strlen(s);
        for (i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
            if (strlen(key_names[i]) == n && strncmp(s, key_names[i], n) == 0)
                break;
        if (i == sizeof key_names / sizeof key_names[0]) {
            snprintf(err, errlen,
                     "unknown key '%.*s' (total, srcip, dstip, ip, srcport, dstport, port, proto, "
                     "exporter, hostservice or host/service)",
                     (int)(n > 64 ? 64 : n), s);
            return -1;
        }
    }
    *key = (enum rep_key)i;
    *order = REP_BY_BYTES;
    if (!slash)
        return 0;
    for (i = 0; i < sizeof order_names / sizeof order_names[0]; i++) {
        if (strcmp(slash + 1, order_names[i]) == 0) {
            *order = (enum rep_order)i;
            return 0;
        }
    }
    snprintf(err, errlen, "unknown order '%.64s' (bytes, packets or flows)", slash + 1);
    return -1;
}

/*
 * Tables of 2 MiB and more are mapped with transparent huge pages where the
 * kernel offers them: with millions of keys, each record costs a random
 * access to the table, and 4 KiB pages would add a TLB miss to each.
 */
static struct entry *table_alloc(size_t cap)
{
    size_t bytes = cap * sizeof(struct entry);

    if (bytes < (2u << 20))
        return calloc(cap, sizeof(struct entry));
    return bigmem_alloc(bytes);
}

static void table_free(struct entry *t, size_t cap)
{
    if (!t)
        return;
    if (cap * sizeof(struct entry) < (2u << 20))
        free(t);
    else
        bigmem_free(t, cap * sizeof(struct entry));
}

struct rep_stats *rep_stats_new(enum rep_key key, const struct rep_local *local)
{
    struct rep_stats *st = calloc(1, sizeof *st);

    if (!st || (key == REP_HOSTSVC && !local)) {
        free(st);
        return NULL;
    }
    st->key = key;
    st->local = local;
    if (key == REP_SRCPORT || key == REP_DSTPORT || key == REP_PORT)
        st->ports = calloc(65536, sizeof *st->ports);
    else if (key == REP_PROTO)
        st->protos = calloc(256, sizeof *st->protos);
    else if (key != REP_TOTAL) {
        st->cap = 1024;
        st->tab = table_alloc(st->cap);
    }
    if (!st->ports && !st->protos && !st->tab && key != REP_TOTAL) {
        rep_stats_free(st);
        return NULL;
    }
    return st;
}

void rep_stats_free(struct rep_stats *st)
{
    if (!st)
        return;
    free(st->ports);
    free(st->protos);
    table_free(st->tab, st->cap);
    free(st);
}

/*
 * Each word with its own odd multiplier, then the splitmix64 finalizer, so
 * that every key bit reaches the low bits that index the table (a weaker
 * mix clustered IPv4 keys, whose varying bytes all sit in one word).
 */
static uint64_t hash_key(const struct rep_kval *k)
{
    uint64_t w[4], h;

    memcpy(w, k, sizeof w);
    h = w[0] * 0x9e3779b97f4a7c15ULL ^ w[1] * 0xc2b2ae3d27d4eb4fULL ^ w[2] * 0x165667b19e3779f9ULL ^
        w[3] * 0xd6e8feb86659fd93ULL;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

static int grow(struct rep_stats *st)
{
    size_t cap = st->cap * 2;
    struct entry *t = table_alloc(cap);

    if (!t)
        return -1;
    for (size_t i = 0; i < st->cap; i++) {
        if (!st->tab[i].used)
            continue;
        size_t j = hash_key(&st->tab[i].k) & (cap - 1);
        while (t[j].used)
            j = (j + 1) & (cap - 1);
        t[j] = st->tab[i];
    }
    table_free(st->tab, st->cap);
    st->tab = t;
    st->cap = cap;
    return 0;
}

static int insert(struct rep_stats *st, const struct pending *r)
{
    size_t i;

    if ((st->n + 1) * 2 > st->cap && grow(st) != 0)
        return -1;
    i = r->hash & (st->cap - 1);
    while (st->tab[i].used && memcmp(&st->tab[i].k, &r->k, sizeof r->k) != 0)
        i = (i + 1) & (st->cap - 1);
    if (!st->tab[i].used) {
        st->tab[i].used = 1;
        st->tab[i].k = r->k;
        st->n++;
    }
    st->tab[i].c.flows++;
    st->tab[i].c.packets += r->packets;
    st->tab[i].c.bytes += r->bytes;
    return 0;
}

/*
 * Queues a key: its slot is prefetched now and updated PIPE records later,
 * so that the memory accesses of several records overlap instead of each
 * waiting for its own cache miss (the table outgrows the caches with
 * millions of keys). rep_stats_finish() drains the queue.
 */
static int count(struct rep_stats *st, const struct rep_kval *k, const struct fsn_flow *f)
{
    struct pending *p;

    if (st->qn == PIPE) {
        if (insert(st, &st->q[st->qhead]) != 0)
            return -1;
        st->qhead = (st->qhead + 1) % PIPE;
        st->qn--;
    }
    p = &st->q[(st->qhead + st->qn) % PIPE];
    p->k = *k;
    p->hash = hash_key(k);
    p->packets = f->packets;
    p->bytes = f->octets;
    __builtin_prefetch(&st->tab[p->hash & (st->cap - 1)], 1);
    st->qn++;
    return 0;
}

int rep_stats_finish(struct rep_stats *st)
{
    while (st->qn) {
        if (insert(st, &st->q[st->qhead]) != 0)
            return -1;
        st->qhead = (st->qhead + 1) % PIPE;
        st->qn--;
    }
    return 0;
}

static void add_counts(struct rep_counts *c, const struct fsn_flow *f)
{
    c->flows++;
    c->packets += f->packets;
    c->bytes += f->octets;
}

/* Protocols whose flows carry ports (as lib/filter.c's `port`). */
static bool has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

static void addr_key(struct rep_kval *k, uint8_t family, const uint8_t *a)
{
    memset(k, 0, sizeof *k);
    k->family = family;
    memcpy(k->addr, a, 16);
}

/* The counters of a cell for a role and a direction (0 in, 1 out). */
static uint8_t cell_group(bool provides, int dir)
{
    return (uint8_t)((provides ? REP_HS_PROV_IN : REP_HS_USED_IN) + dir);
}

/*
 * Hosts x services (docs/counting.md): for each local end, its row, and one
 * cell: its primary service's (its own port's before the other end's, the
 * first configured among equals) in the end's role (provides: its own port
 * matched), or, when the flow matches no service, the other cell. A flow without
 * a local end is skipped (counted).
 */
static int count_hostservice(struct rep_stats *st, const struct fsn_flow *f)
{
    const struct fsn_flow_key *fk = &f->key;
    const struct rep_local *l = st->local;
    uint16_t svc[2 * AGG_SERVICES_MAX];
    uint8_t how[2 * AGG_SERVICES_MAX];
    bool local[2] = {rep_local_is(l, fk->family, fk->dst), rep_local_is(l, fk->family, fk->src)};
    struct rep_kval k;
    size_t n;

    if (!local[0] && !local[1]) {
        st->skipped++;
        return 0;
    }
    n = agg_svc_match(&l->svc, fk->proto, fk->sport, fk->dport, svc, how);
    for (int dir = 0; dir < 2; dir++) {
        if (!local[dir])
            continue;
        addr_key(&k, fk->family, dir == 0 ? fk->dst : fk->src);
        k.group = (uint8_t)(REP_HS_ROW_IN + dir);
        if (count(st, &k, f) != 0)
            return -1;
        if (n == 0) {
            k.service = REP_HS_OTHER;
            k.group =
                cell_group(agg_svc_provides_unmatched(fk->proto, fk->sport, fk->dport, dir), dir);
            if (count(st, &k, f) != 0)
                return -1;
        }
        if (n > 0) {
            /* One cell per local end: its primary service (rrd/agg_svc.h). */
            size_t pi = n > 1 ? agg_svc_primary(svc, how, n, dir) : 0;
            k.service = svc[pi];
            k.group = cell_group(agg_svc_provides(how[pi], dir), dir);
            if (count(st, &k, f) != 0)
                return -1;
        }
    }
    return 0;
}

int rep_stats_add(struct rep_stats *st, const struct fsn_flow *f, const struct fsn_ff_exporter *x)
{
    const struct fsn_flow_key *fk = &f->key;
    struct rep_kval k;

    switch (st->key) {
    case REP_TOTAL:
        break;
    case REP_SRCIP:
        addr_key(&k, fk->family, fk->src);
        if (count(st, &k, f) != 0)
            return -1;
        break;
    case REP_DSTIP:
        addr_key(&k, fk->family, fk->dst);
        if (count(st, &k, f) != 0)
            return -1;
        break;
    case REP_IP:
        /* Each end counts; a record from an address to itself counts once. */
        addr_key(&k, fk->family, fk->src);
        if (count(st, &k, f) != 0)
            return -1;
        if (memcmp(fk->src, fk->dst, 16) != 0) {
            addr_key(&k, fk->family, fk->dst);
            if (count(st, &k, f) != 0)
                return -1;
        }
        break;
    case REP_SRCPORT:
    case REP_DSTPORT:
    case REP_PORT:
        if (!has_ports(fk->proto)) {
            st->skipped++;
            return 0;
        }
        if (st->key != REP_DSTPORT)
            add_counts(&st->ports[fk->sport], f);
        if (st->key == REP_DSTPORT || (st->key == REP_PORT && fk->dport != fk->sport))
            add_counts(&st->ports[fk->dport], f);
        break;
    case REP_PROTO:
        add_counts(&st->protos[fk->proto], f);
        break;
    case REP_EXPORTER:
        memset(&k, 0, sizeof k);
        k.family = x->addr.family;
        memcpy(k.addr, x->addr.a, fsn_family_addrlen(x->addr.family));
        k.domain = x->domain;
        k.version = x->version;
        if (count(st, &k, f) != 0)
            return -1;
        break;
    case REP_HOSTSVC:
        if (count_hostservice(st, f) != 0)
            return -1;
        break;
    }
    add_counts(&st->total, f);
    return 0;
}

struct rep_counts rep_stats_total(const struct rep_stats *st)
{
    return st->total;
}

uint64_t rep_stats_skipped(const struct rep_stats *st)
{
    return st->skipped;
}

size_t rep_stats_keys(const struct rep_stats *st)
{
    size_t n = 0;

    if (st->ports) {
        for (size_t i = 0; i < 65536; i++)
            n += st->ports[i].flows > 0;
    } else if (st->protos) {
        for (size_t i = 0; i < 256; i++)
            n += st->protos[i].flows > 0;
    } else if (st->key == REP_TOTAL) {
        n = 1;
    } else {
        n = st->n;
    }
    return n;
}

size_t rep_stats_memory(const struct rep_stats *st)
{
    return sizeof *st + (st->ports ? 65536 * sizeof *st->ports : 0) +
           (st->protos ? 256 * sizeof *st->protos : 0) + st->cap * sizeof *st->tab;
}

/* ---- Ordering ---- */

int rep_kval_cmp(const struct rep_kval *a, const struct rep_kval *b)
{
    int c;

    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    if ((c = memcmp(a->addr, b->addr, 16)) != 0)
        return c;
    if (a->domain != b->domain)
        return a->domain < b->domain ? -1 : 1;
    if (a->version != b->version)
        return a->version < b->version ? -1 : 1;
    if (a->proto != b->proto)
        return a->proto < b->proto ? -1 : 1;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    if (a->service != b->service)
        return a->service < b->service ? -1 : 1;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    return 0;
}

static uint64_t metric(const struct rep_row *r, enum rep_order o)
{
    return o == REP_BY_BYTES ? r->c.bytes : o == REP_BY_PACKETS ? r->c.packets : r->c.flows;
}

/* Negative when a ranks before b: larger metric first, then smaller key. */
static int rank(const struct rep_row *a, const struct rep_row *b, enum rep_order o)
{
    uint64_t x = metric(a, o), y = metric(b, o);

    if (x != y)
        return x > y ? -1 : 1;
    return rep_kval_cmp(&a->k, &b->k);
}

static int rank_bytes(const void *a, const void *b)
{
    return rank(a, b, REP_BY_BYTES);
}

static int rank_packets(const void *a, const void *b)
{
    return rank(a, b, REP_BY_PACKETS);
}

static int rank_flows(const void *a, const void *b)
{
    return rank(a, b, REP_BY_FLOWS);
}

/* Keeps the `top` best rows seen in a heap whose root is the worst of them. */
struct topn {
    struct rep_row *h;
    size_t n, top;
    enum rep_order o;
};

static void sift_down(struct topn *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < t->n && rank(&t->h[l], &t->h[w], t->o) > 0)
            w = l;
        if (r < t->n && rank(&t->h[r], &t->h[w], t->o) > 0)
            w = r;
        if (w == i)
            return;
        struct rep_row tmp = t->h[i];
        t->h[i] = t->h[w];
        t->h[w] = tmp;
        i = w;
    }
}

static void offer(struct topn *t, const struct rep_row *r)
{
    if (t->n < t->top) {
        size_t i = t->n++;
        t->h[i] = *r;
        while (i > 0 && rank(&t->h[(i - 1) / 2], &t->h[i], t->o) < 0) {
            struct rep_row tmp = t->h[i];
            t->h[i] = t->h[(i - 1) / 2];
            t->h[(i - 1) / 2] = tmp;
            i = (i - 1) / 2;
        }
    } else if (rank(r, &t->h[0], t->o) < 0) {
        t->h[0] = *r;
        sift_down(t, 0);
    }
}

/* Hands every row of the table to `fn`, in table order. */
static void each_row(const struct rep_stats *st, void (*fn)(void *, const struct rep_row *),
                     void *arg)
{
    struct rep_row r;

    memset(&r, 0, sizeof r);
    if (st->key == REP_TOTAL) {
        r.c = st->total;
        fn(arg, &r);
    } else if (st->ports) {
        for (size_t i = 0; i < 65536; i++) {
            if (!st->ports[i].flows)
                continue;
            r.k.port = (uint16_t)i;
            r.c = st->ports[i];
            fn(arg, &r);
        }
    } else if (st->protos) {
        for (size_t i = 0; i < 256; i++) {
            if (!st->protos[i].flows)
                continue;
            r.k.proto = (uint8_t)i;
            r.c = st->protos[i];
            fn(arg, &r);
        }
    } else {
        for (size_t i = 0; i < st->cap; i++) {
            if (!st->tab[i].used)
                continue;
            r.k = st->tab[i].k;
            r.c = st->tab[i].c;
            fn(arg, &r);
        }
    }
}

static void offer_fn(void *t, const struct rep_row *r)
{
    offer(t, r);
}

struct all {
    struct rep_row *v;
    size_t n;
};

static void append_fn(void *arg, const struct rep_row *r)
{
    struct all *a = arg;

    a->v[a->n++] = *r;
}

long rep_stats_all(const struct rep_stats *st, struct rep_row **rows)
{
    struct all a = {.v = calloc(rep_stats_keys(st) + 1, sizeof *a.v)};

    *rows = a.v;
    if (!a.v)
        return -1;
    each_row(st, append_fn, &a);
    return (long)a.n;
}

long rep_stats_rows(const struct rep_stats *st, enum rep_order order, size_t top,
                    struct rep_row **rows)
{
    size_t keys = rep_stats_keys(st);
    struct topn t = {.top = top && top < keys ? top : keys, .o = order};

    *rows = NULL;
    if (!(t.h = calloc(t.top ? t.top : 1, sizeof *t.h)))
        return -1;
    each_row(st, offer_fn, &t);
    qsort(t.h, t.n, sizeof *t.h,
          order == REP_BY_BYTES     ? rank_bytes
          : order == REP_BY_PACKETS ? rank_packets
                                    : rank_flows);
    *rows = t.h;
    return (long)t.n;
}
