/* SPDX-License-Identifier: BSD-2-Clause */
#include "collector/coll_exp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

int coll_exptab_init(struct coll_exptab *t, size_t max, const struct fsn_dec_limits *lim)
{
    size_t nb = 64;

    memset(t, 0, sizeof *t);
    /* About two buckets per session, so that chains stay short at the bound. */
    while (nb < 2 * max && nb < ((size_t)1 << 20))
        nb *= 2;
    t->bucket = calloc(nb, sizeof *t->bucket);
    t->abucket = calloc(nb, sizeof *t->abucket);
    t->list = calloc(max ? max : 1, sizeof *t->list);
    if (!t->bucket || !t->abucket || !t->list) {
        free(t->bucket);
        free(t->abucket);
        free(t->list);
        memset(t, 0, sizeof *t);
        return FSN_E_NOMEM;
    }
    t->nbuckets = nb;
    t->max = max;
    t->max_per_addr = UINT32_MAX;
    t->lim = *lim;
    return 0;
}

void coll_exptab_bounds(struct coll_exptab *t, uint32_t per_addr, uint32_t tmpl_per_addr,
                        uint64_t tmpl_bytes)
{
    t->max_per_addr = per_addr;
    t->tmpl_per_addr = tmpl_per_addr;
    t->pool.max_bytes = tmpl_bytes;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (struct coll_expaddr *ea = t->abucket[i]; ea; ea = ea->next)
            ea->pool.max_templates = tmpl_per_addr;
}

void coll_exptab_fini(struct coll_exptab *t)
{
    for (size_t i = 0; i < t->n; i++) {
        fsn_dec_session_free(t->list[i]->s);
        free(t->list[i]);
    }
    for (size_t i = 0; i < t->nbuckets; i++)
        while (t->abucket[i]) {
            struct coll_expaddr *ea = t->abucket[i];
            t->abucket[i] = ea->next;
            free(ea);
        }
    free(t->bucket);
    free(t->abucket);
    free(t->list);
    memset(t, 0, sizeof *t);
}

static size_t addr_len(const struct fsn_addr *a)
{
    return a->family == FSN_FAMILY_IPV6 ? 16 : 4;
}

static bool addr_eq(const struct fsn_addr *x, const struct fsn_addr *y)
{
    return x->family == y->family && memcmp(x->a, y->a, addr_len(x)) == 0;
}

/* FNV-1a over an address's bytes, continued from h. */
static uint32_t addr_hash(const struct fsn_addr *a, uint32_t h)
{
    for (size_t i = 0; i < addr_len(a); i++)
        h = (h ^ a->a[i]) * 16777619u;
    return h;
}

/* FNV-1a over the key's bytes. */
static size_t key_hash(const struct fsn_addr *a, uint8_t version, uint32_t domain)
{
    uint32_t h = addr_hash(a, 2166136261u);

    h = (h ^ version) * 16777619u;
    for (int i = 0; i < 4; i++)
        h = (h ^ ((domain >> (8 * i)) & 0xff)) * 16777619u;
    return h;
}

static bool key_eq(const struct coll_exporter *e, const struct fsn_addr *a, uint8_t version,
                   uint32_t domain)
{
    return e->version == version && e->domain == domain && addr_eq(&e->addr, a);
}

static struct coll_expaddr **addr_slot(const struct coll_exptab *t, const struct fsn_addr *a)
{
    struct coll_expaddr **pp = &t->abucket[addr_hash(a, 2166136261u) & (t->nbuckets - 1)];

    while (*pp && !addr_eq(&(*pp)->addr, a))
        pp = &(*pp)->next;
    return pp;
}

/* The address's entry, made when missing; NULL when out of memory. */
static struct coll_expaddr *addr_get(struct coll_exptab *t, const struct fsn_addr *a)
{
    struct coll_expaddr **pp = addr_slot(t, a), *ea = *pp;

    if (ea || !(ea = calloc(1, sizeof *ea)))
        return ea;
    ea->addr.family = a->family;
    memcpy(ea->addr.a, a->a, addr_len(a));
    ea->pool.max_templates = t->tmpl_per_addr;
    ea->pool.parent = &t->pool;
    *pp = ea;
    t->naddr++;
    return ea;
}

static void lru_unlink(struct coll_explru *l, struct coll_exporter *e)
{
    if (e->older)
        e->older->newer = e->newer;
    else
        l->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        l->newest = e->older;
    e->older = e->newer = NULL;
}

static void lru_append(struct coll_explru *l, struct coll_exporter *e)
{
    e->newer = NULL;
    e->older = l->newest;
    if (l->newest)
        l->newest->newer = e;
    else
        l->oldest = e;
    l->newest = e;
}

static struct coll_explru *lru_of(struct coll_exptab *t, const struct coll_exporter *e)
{
    return e->proven ? &t->proven : &t->fresh;
}

struct coll_exporter *coll_exptab_find(struct coll_exptab *t, const struct fsn_addr *a,
                                       uint8_t version, uint32_t domain)
{
    struct coll_exporter *e = t->last;

    if (e && key_eq(e, a, version, domain))
        return e;
    for (e = t->bucket[key_hash(a, version, domain) & (t->nbuckets - 1)]; e; e = e->next)
        if (key_eq(e, a, version, domain)) {
            t->last = e;
            return e;
        }
    return NULL;
}

static void addr_release(struct coll_exptab *t, struct coll_expaddr *ea)
{
    struct coll_expaddr **pp;

    if (ea->sessions > 0)
        return;
    pp = addr_slot(t, &ea->addr);
    *pp = ea->next;
    t->naddr--;
    free(ea);
}

struct coll_exporter *coll_exptab_add(struct coll_exptab *t, const struct fsn_addr *a,
                                      uint8_t version, uint32_t domain)
{
    struct coll_expaddr *ea = *addr_slot(t, a);
    struct coll_exporter *e;
    size_t b;

    if (t->n >= t->max || (ea && ea->sessions >= t->max_per_addr))
        return NULL;
    if (!(ea = addr_get(t, a)) || !(e = calloc(1, sizeof *e))) {
        if (ea)
            addr_release(t, ea);
        t->nomem++;
        return NULL;
    }
    e->addr.family = a->family;
    memcpy(e->addr.a, a->a, addr_len(a));
    e->version = version;
    e->domain = domain;
    e->allowed = true;
    if (!(e->s = fsn_dec_session_new(&t->lim, &e->addr, version, domain))) {
        free(e);
        addr_release(t, ea);
        t->nomem++;
        return NULL;
    }
    fsn_dec_set_pool(e->s, &ea->pool);
    e->ea = ea;
    e->addr_next = ea->first;
    ea->first = e;
    ea->sessions++;
    lru_append(&t->fresh, e);
    t->created++;
    e->ffx.addr = e->addr;
    e->ffx.domain = domain;
    e->ffx.version = version;
    e->aggx.family = e->addr.family;
    memcpy(e->aggx.addr, e->addr.a, sizeof e->aggx.addr);
    e->aggx.domain = domain;
    e->aggx.version = version;
    b = key_hash(&e->addr, version, domain) & (t->nbuckets - 1);
    e->next = t->bucket[b];
    t->bucket[b] = e;
    t->list[t->n++] = e;
    t->last = e;
    return e;
}

/* Silent for idle_ms at now_ms (never heard from in this run counts as silent). */
static bool idle(const struct coll_exporter *e, uint64_t now_ms, uint64_t idle_ms)
{
    return !e->last_ms || (now_ms >= e->last_ms && now_ms - e->last_ms >= idle_ms);
}

/* Of an address's sessions: the unproven one heard from least recently, else the idlest. */
static struct coll_exporter *addr_victim(const struct coll_expaddr *ea, uint64_t now_ms,
                                         uint64_t idle_ms)
{
    struct coll_exporter *fresh = NULL, *any = NULL;

    for (struct coll_exporter *e = ea->first; e; e = e->addr_next) {
        if (!e->proven && (!fresh || e->last_ms < fresh->last_ms))
            fresh = e;
        if (!any || e->last_ms < any->last_ms)
            any = e;
    }
    if (fresh)
        return fresh;
    return any && idle(any, now_ms, idle_ms) ? any : NULL;
}

enum coll_src_why coll_exptab_room(const struct coll_exptab *t, const struct fsn_addr *a,
                                   uint64_t now_ms, uint64_t idle_ms, struct coll_exporter **victim)
{
    const struct coll_expaddr *ea = *addr_slot(t, a);

    *victim = NULL;
    if (ea && ea->sessions >= t->max_per_addr) {
        *victim = addr_victim(ea, now_ms, idle_ms);
        return *victim ? COLL_SRC_NWHY : COLL_SRC_SOURCE_FULL;
    }
    if (t->n < t->max)
        return COLL_SRC_NWHY;
    if (t->fresh.oldest)
        *victim = t->fresh.oldest;
    else if (t->proven.oldest && idle(t->proven.oldest, now_ms, idle_ms))
        *victim = t->proven.oldest;
    return *victim ? COLL_SRC_NWHY : COLL_SRC_TABLE_FULL;
}

void coll_exptab_heard(struct coll_exptab *t, struct coll_exporter *e, uint64_t now_ms)
{
    struct coll_explru *l = lru_of(t, e);

    if (!e->first_ms)
        e->first_ms = now_ms;
    if (now_ms > e->last_ms)
        e->last_ms = now_ms;
    if (l->newest != e) {
        lru_unlink(l, e);
        lru_append(l, e);
    }
}

void coll_exptab_prove(struct coll_exptab *t, struct coll_exporter *e)
{
    if (e->proven)
        return;
    lru_unlink(&t->fresh, e);
    e->proven = true;
    lru_append(&t->proven, e);
}

void coll_exptab_remove(struct coll_exptab *t, struct coll_exporter *e)
{
    struct coll_exporter **pp =
        &t->bucket[key_hash(&e->addr, e->version, e->domain) & (t->nbuckets - 1)];
    struct coll_expaddr *ea = e->ea;

    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp)
        *pp = e->next;
    for (size_t i = 0; i < t->n; i++)
        if (t->list[i] == e) {
            t->list[i] = t->list[--t->n];
            break;
        }
    for (pp = &ea->first; *pp && *pp != e; pp = &(*pp)->addr_next)
        ;
    if (*pp)
        *pp = e->addr_next;
    lru_unlink(lru_of(t, e), e);
    if (t->last == e)
        t->last = NULL;
    /* The session gives its templates back to the address's pool before that may go. */
    fsn_dec_session_free(e->s);
    free(e);
    ea->sessions--;
    addr_release(t, ea);
}

char *coll_exporter_name(const struct coll_exporter *e, char *buf, size_t len)
{
    char a[FSN_ADDR_STRLEN];

    snprintf(buf, len, "%s v%u domain %u", fsn_addr_format(e->addr.family, e->addr.a, a, sizeof a),
             e->version, e->domain);
    return buf;
}

void coll_srctab_init(struct coll_srctab *t)
{
    memset(t, 0, sizeof *t);
}

/* Adds row r into the catch-all row 0 and empties it. */
static void fold(struct coll_srctab *t, struct coll_source *r)
{
    struct coll_source *o = &t->row[0];
    uint64_t sum = 0;

    for (int w = 0; w < COLL_SRC_NWHY; w++) {
        o->n[w] += r->n[w];
        sum += r->n[w];
    }
    /* What row r had logged counts as logged in row 0 too. */
    o->logged += r->logged <= sum ? r->logged : sum;
    if (r->last_ms > o->last_ms)
        o->last_ms = r->last_ms;
    o->order = r->order > o->order ? r->order : o->order;
    memset(r, 0, sizeof *r);
    t->folded++;
}

struct coll_source *coll_srctab_count(struct coll_srctab *t, const struct fsn_addr *a,
                                      enum coll_src_why why, uint64_t now_ms)
{
    struct coll_source *r = NULL;

    for (size_t i = 1; i <= t->n; i++)
        if (addr_eq(&t->row[i].addr, a)) {
            r = &t->row[i];
            break;
        }
    if (!r && t->n < COLL_SOURCES_MAX)
        r = &t->row[++t->n];
    if (!r) {
        /* Full: the source dropped from least recently gives its row up. */
        r = &t->row[1];
        for (size_t i = 2; i <= t->n; i++)
            if (t->row[i].order < r->order)
                r = &t->row[i];
        fold(t, r);
    }
    if (!r->addr.family) {
        r->addr.family = a->family;
        memcpy(r->addr.a, a->a, addr_len(a));
    }
    r->n[why]++;
    r->last_ms = now_ms;
    r->order = ++t->counted;
    t->total[why]++;
    return r;
}

const char *coll_src_why_name(enum coll_src_why why)
{
    switch (why) {
    case COLL_SRC_NOT_ALLOWED:
        return "not-allowed";
    case COLL_SRC_NOT_NETFLOW:
        return "not-netflow";
    case COLL_SRC_MALFORMED:
        return "malformed";
    case COLL_SRC_TABLE_FULL:
        return "table-full";
    case COLL_SRC_SOURCE_FULL:
        return "source-full";
    default:
        return "?";
    }
}
