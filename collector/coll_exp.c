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
    t->list = calloc(max ? max : 1, sizeof *t->list);
    if (!t->bucket || !t->list) {
        free(t->bucket);
        free(t->list);
        memset(t, 0, sizeof *t);
        return FSN_E_NOMEM;
    }
    t->nbuckets = nb;
    t->max = max;
    t->lim = *lim;
    return 0;
}

void coll_exptab_fini(struct coll_exptab *t)
{
    for (size_t i = 0; i < t->n; i++) {
        fsn_dec_session_free(t->list[i]->s);
        free(t->list[i]);
    }
    free(t->bucket);
    free(t->list);
    memset(t, 0, sizeof *t);
}

/* FNV-1a over the key's bytes. */
static size_t key_hash(const struct fsn_addr *a, uint8_t version, uint32_t domain)
{
    uint32_t h = 2166136261u;
    size_t alen = a->family == FSN_FAMILY_IPV6 ? 16 : 4;

    for (size_t i = 0; i < alen; i++)
        h = (h ^ a->a[i]) * 16777619u;
    h = (h ^ version) * 16777619u;
    for (int i = 0; i < 4; i++)
        h = (h ^ ((domain >> (8 * i)) & 0xff)) * 16777619u;
    return h;
}

static bool key_eq(const struct coll_exporter *e, const struct fsn_addr *a, uint8_t version,
                   uint32_t domain)
{
    return e->version == version && e->domain == domain && e->addr.family == a->family &&
           memcmp(e->addr.a, a->a, a->family == FSN_FAMILY_IPV6 ? 16 : 4) == 0;
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

struct coll_exporter *coll_exptab_add(struct coll_exptab *t, const struct fsn_addr *a,
                                      uint8_t version, uint32_t domain)
{
    struct coll_exporter *e;
    size_t b;

    if (t->n >= t->max)
        return NULL;
    if (!(e = calloc(1, sizeof *e))) {
        t->nomem++;
        return NULL;
    }
    e->addr.family = a->family;
    memcpy(e->addr.a, a->a, a->family == FSN_FAMILY_IPV6 ? 16 : 4);
    e->version = version;
    e->domain = domain;
    e->allowed = true;
    if (!(e->s = fsn_dec_session_new(&t->lim, &e->addr, version, domain))) {
        free(e);
        t->nomem++;
        return NULL;
    }
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

struct coll_exporter *coll_exptab_idlest(const struct coll_exptab *t, uint64_t now_ms,
                                         uint64_t idle_ms)
{
    struct coll_exporter *best = NULL;

    for (size_t i = 0; i < t->n; i++) {
        struct coll_exporter *e = t->list[i];
        if (!best || e->last_ms < best->last_ms)
            best = e;
    }
    if (!best || (best->last_ms && (now_ms < best->last_ms || now_ms - best->last_ms < idle_ms)))
        return NULL;
    return best;
}

void coll_exptab_remove(struct coll_exptab *t, struct coll_exporter *e)
{
    struct coll_exporter **pp =
        &t->bucket[key_hash(&e->addr, e->version, e->domain) & (t->nbuckets - 1)];

    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp)
        *pp = e->next;
    for (size_t i = 0; i < t->n; i++)
        if (t->list[i] == e) {
            t->list[i] = t->list[--t->n];
            break;
        }
    if (t->last == e)
        t->last = NULL;
    t->evicted++;
    fsn_dec_session_free(e->s);
    free(e);
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

struct coll_source *coll_srctab_count(struct coll_srctab *t, const struct fsn_addr *a,
                                      enum coll_src_why why, uint64_t now_ms)
{
    size_t alen = a->family == FSN_FAMILY_IPV6 ? 16 : 4;
    struct coll_source *r = NULL;

    for (size_t i = 1; i <= t->n; i++)
        if (t->row[i].addr.family == a->family && memcmp(t->row[i].addr.a, a->a, alen) == 0) {
            r = &t->row[i];
            break;
        }
    if (!r && t->n < COLL_SOURCES_MAX) {
        r = &t->row[++t->n];
        r->addr.family = a->family;
        memcpy(r->addr.a, a->a, alen);
    }
    if (!r)
        r = &t->row[0];
    r->n[why]++;
    r->last_ms = now_ms;
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
    case COLL_SRC_TABLE_FULL:
        return "table-full";
    default:
        return "?";
    }
}
