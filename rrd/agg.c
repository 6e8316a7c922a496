/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator's counting: entities, direction, services, pro-rating over
 * steps, late records, the bounded host table. The RRD writes are in
 * agg_write.c, the state file in agg_publish.c; docs/counting.md explains
 * the rules with examples.
 *
 * Entities live in one array: total, other, the services, 256 protocols,
 * the exporter slots, the host slots. Each has cumulative counters (since
 * the state file was created) and, for every open step, a bucket of the
 * step's counts. Open steps form a ring of R = grace/step + 2 steps.
 */
#include "rrd/agg_priv.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

__extension__ typedef unsigned __int128 u128;

/* ---- small helpers ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t agg__step_of(const struct agg *a, uint64_t t_ms)
{
    /* Times below 2^63 (all real ones) divide unsigned: the same quotient, cheaper. */
    if (t_ms <= (uint64_t)INT64_MAX)
        return (int64_t)(t_ms / a->step_ms);
    return floor_div((int64_t)t_ms, (int64_t)a->step_ms);
}

static size_t ring_slot_div(const struct agg *a, int64_t k)
{
    return (size_t)(((k % (int64_t)a->ring) + (int64_t)a->ring) % (int64_t)a->ring);
}

/*
 * The ring slot of step k: k mod ring. Steps of the open window are
 * found from the oldest open step's slot without a division.
 */
static size_t ring_slot(struct agg *a, int64_t k)
{
    if (a->lo_k != a->open_lo) {
        a->lo_k = a->open_lo;
        a->lo_slot = ring_slot_div(a, a->open_lo);
    }
    if (k >= a->open_lo && k - a->open_lo < (int64_t)a->ring) {
        size_t s = a->lo_slot + (size_t)(k - a->open_lo);
        return s >= a->ring ? s - a->ring : s;
    }
    return ring_slot_div(a, k);
}

static bool is_local_scan(const struct agg *a, uint8_t family, const uint8_t *addr)
{
    for (size_t i = 0; i < a->conf.nnets; i++)
        if (fsn_cidr_match(&a->conf.nets[i].cidr, family, addr))
            return true;
    return false;
}

static bool is_local(const struct agg *a, uint8_t family, const uint8_t *addr)
{
    if (family == FSN_FAMILY_IPV4) {
        unsigned p = (unsigned)addr[0] << 8 | addr[1];
        uint64_t bit = 1ull << (p & 63);
        if (a->v4_full[p >> 6] & bit)
            return true;
        if (!(a->v4_part[p >> 6] & bit))
            return false;
    }
    return is_local_scan(a, family, addr);
}

/*
 * Fills v4_full and v4_part (see struct agg). A network that does not
 * match its own address matches no address at all (host bits where the
 * prefix compares them), so it marks nothing; is_local_scan() agrees.
 */
static void build_v4_nets(struct agg *a)
{
    for (size_t i = 0; i < a->conf.nnets; i++) {
        const struct fsn_cidr *c = &a->conf.nets[i].cidr;
        unsigned p = (unsigned)c->a[0] << 8 | c->a[1];
        if (c->family != FSN_FAMILY_IPV4 || !fsn_cidr_match(c, c->family, c->a))
            continue;
        if (c->len > 16) {
            a->v4_part[p >> 6] |= 1ull << (p & 63);
            continue;
        }
        unsigned span = 1u << (16 - c->len);
        p &= ~(span - 1);
        for (unsigned q = p; q < p + span; q++)
            a->v4_full[q >> 6] |= 1ull << (q & 63);
    }
}

/* ---- hosts ---- */

static uint32_t host_hash(uint8_t family, const uint8_t *addr)
{
    /*
     * Multiplicative hashing of the address words; the table is internal,
     * so no seed is needed. The top bits of the product are the best mixed.
     */
    uint64_t h;
    if (family == FSN_FAMILY_IPV4) {
        uint32_t w;
        memcpy(&w, addr, 4);
        h = (w ^ 0x5bd1e995u) * 0x9e3779b97f4a7c15ull;
    } else {
        uint64_t w[2];
        memcpy(w, addr, 16);
        h = (w[0] * 0x9e3779b97f4a7c15ull ^ w[1]) * 0xc2b2ae3d27d4eb4full + family;
    }
    return (uint32_t)(h >> 32);
}

static bool addr_eq(uint8_t family, const uint8_t *x, const uint8_t *y)
{
    if (family == FSN_FAMILY_IPV4) {
        uint32_t u, v;
        memcpy(&u, x, 4);
        memcpy(&v, y, 4);
        return u == v;
    }
    return memcmp(x, y, fsn_family_addrlen(family)) == 0;
}

/*
 * Starts loading what counting for host slot s will touch (its row of
 * counters, its open steps), while the lookup still checks the address.
 */
static void host_prefetch(const struct agg *a, uint32_t s)
{
    size_t e = a->host0 + s;
    __builtin_prefetch(&a->ents[e], 1);
    __builtin_prefetch(a->bk + e * a->ring * AGG_NCTR, 1);
    __builtin_prefetch(a->bk + (e + 1) * a->ring * AGG_NCTR - 1, 1);
}

static uint32_t host_find_h(const struct agg *a, uint8_t family, const uint8_t *addr, uint32_t hash)
{
    for (size_t i = hash & a->hmask;; i = (i + 1) & a->hmask) {
        uint64_t v = a->hidx[i];
        if (v == 0)
            return AGG_NONE;
        if ((uint32_t)(v >> 32) != hash)
            continue;
        uint32_t s = (uint32_t)v - 1;
        host_prefetch(a, s);
        const struct agg_host *h = &a->hosts[s];
        if (h->family == family && addr_eq(family, h->addr, addr))
            return s;
    }
}

static uint32_t host_find(const struct agg *a, uint8_t family, const uint8_t *addr)
{
    return host_find_h(a, family, addr, host_hash(family, addr));
}

static void host_hash_insert(struct agg *a, uint32_t slot)
{
    const struct agg_host *h = &a->hosts[slot];
    uint32_t hash = host_hash(h->family, h->addr);
    size_t i = hash & a->hmask;
    while (a->hidx[i] != 0)
        i = (i + 1) & a->hmask;
    a->hidx[i] = (uint64_t)hash << 32 | (slot + 1);
}

/* Linear probing: delete by shifting back the entries that follow. */
static void host_hash_remove(struct agg *a, uint32_t slot)
{
    const struct agg_host *h = &a->hosts[slot];
    size_t i = host_hash(h->family, h->addr) & a->hmask;
    while ((uint32_t)a->hidx[i] != slot + 1)
        i = (i + 1) & a->hmask;
    a->hidx[i] = 0;
    for (size_t j = (i + 1) & a->hmask; a->hidx[j] != 0; j = (j + 1) & a->hmask) {
        size_t home = (size_t)(a->hidx[j] >> 32) & a->hmask;
        /* Move entry j to the hole i when its home is not in (i, j] cyclically. */
        bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            a->hidx[i] = a->hidx[j];
            a->hidx[j] = 0;
            i = j;
        }
    }
}

static bool lru_live(const struct agg *a, const struct agg_lru *q)
{
    const struct agg_host *h = &a->hosts[q->slot];
    return h->in_use && h->seq == q->seq;
}

/* Compacts the entries [from, to) of the queue array in place; returns how many stay. */
static size_t lru_squeeze(struct agg *a, size_t from, size_t to)
{
    size_t n = from;
    for (size_t i = from; i < to; i++)
        if (lru_live(a, &a->lru_q[i]))
            a->lru_q[n++] = a->lru_q[i];
    return n - from;
}

/*
 * Drops the stale entries of a full queue, keeping the order; at most
 * max_hosts live ones remain. The ring is full, so it is the array from
 * the head to the end, then from the start to the head: each part is
 * squeezed in place, and the first one moved to the end of the array.
 */
static void lru_compact(struct agg *a)
{
    size_t head = a->lru_head;
    size_t n1 = lru_squeeze(a, head, a->lru_cap);
    size_t n2 = lru_squeeze(a, 0, head);

    memmove(a->lru_q + a->lru_cap - n1, a->lru_q + head, n1 * sizeof *a->lru_q);
    a->lru_head = n1 ? a->lru_cap - n1 : 0;
    a->lru_len = n1 + n2;
}

static void lru_push(struct agg *a, uint32_t s)
{
    if (a->lru_len == a->lru_cap)
        lru_compact(a);
    size_t i = a->lru_head + a->lru_len;
    if (i >= a->lru_cap)
        i -= a->lru_cap;
    a->lru_q[i].slot = s;
    a->lru_q[i].seq = a->hosts[s].seq;
    a->lru_len++;
}

/*
 * Marks host s as the most recently seen one. The queue is kept only once
 * the order is needed (the table was full once): before, the stamps hold
 * the order, and lru_oldest() builds the queue from them.
 */
static void lru_touch(struct agg *a, uint32_t s)
{
    struct agg_host *h = &a->hosts[s];

    if (h->seq == a->lru_seq && a->lru_seq != 0)
        return; /* already the most recent */
    h->seq = ++a->lru_seq;
    if (a->lru_on)
        lru_push(a, s);
}

static int cmp_lru(const void *x, const void *y)
{
    const struct agg_lru *p = x, *q = y;
    return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* The least recently seen host, or AGG_NONE. */
static uint32_t lru_oldest(struct agg *a)
{
    if (!a->lru_on) {
        a->lru_head = a->lru_len = 0;
        for (uint32_t s = 0; s < a->conf.max_hosts; s++)
            if (a->hosts[s].in_use) {
                a->lru_q[a->lru_len].slot = s;
                a->lru_q[a->lru_len++].seq = a->hosts[s].seq;
            }
        qsort(a->lru_q, a->lru_len, sizeof *a->lru_q, cmp_lru);
        a->lru_on = true;
    }
    while (a->lru_len) {
        const struct agg_lru *q = &a->lru_q[a->lru_head];
        if (lru_live(a, q))
            return q->slot;
        a->lru_head = a->lru_head + 1 == a->lru_cap ? 0 : a->lru_head + 1;
        a->lru_len--;
    }
    return AGG_NONE;
}

/* Puts an address into host slot s (not taken from the free list: the caller's job). */
void agg__host_place(struct agg *a, uint32_t s, uint8_t family, const uint8_t *addr)
{
    struct agg_host *h = &a->hosts[s];
    struct agg_ent *e = &a->ents[a->host0 + s];

    memset(h, 0, sizeof *h);
    h->family = family;
    memcpy(h->addr, addr, fsn_family_addrlen(family));
    h->in_use = true;
    host_hash_insert(a, s);
    lru_touch(a, s);
    a->nhosts++;
    memset(e->cum, 0, sizeof e->cum);
    e->in_use = true;
    e->dirty = true;
    e->file_known = false;
    e->fail_until_ms = 0;
    a->gen_dirty = true;
    agg__hs_host_placed(a, s);
}

bool agg__host_known(const struct agg *a, uint8_t family, const uint8_t *addr)
{
    return host_find(a, family, addr) != AGG_NONE;
}

uint32_t agg__host_slot(const struct agg *a, uint8_t family, const uint8_t *addr)
{
    return fsn_family_addrlen(family) ? host_find(a, family, addr) : AGG_NONE;
}

/* Rebuilds the free list from the slots not in use, lowest slot handed out first. */
void agg__host_rebuild_free(struct agg *a)
{
    a->nfree = 0;
    for (uint32_t i = a->conf.max_hosts; i-- > 0;)
        if (!a->hosts[i].in_use)
            a->free_slots[a->nfree++] = i;
}

/* Takes a free host slot for an address; AGG_NONE when the table is full. */
uint32_t agg__host_new(struct agg *a, uint8_t family, const uint8_t *addr)
{
    uint32_t s;

    if (a->nfree == 0)
        return AGG_NONE;
    s = a->free_slots[--a->nfree];
    agg__host_place(a, s, family, addr);
    return s;
}

/*
 * Frees a host slot. Its counts are not lost: the cumulative ones and those
 * of the open steps move into the "other" row, so rows + other == total
 * still holds for the cumulative counters and for every step.
 */
static void host_evict(struct agg *a, uint32_t s)
{
    size_t e = a->host0 + s;
    struct agg_ent *ent = &a->ents[e];

    agg__hs_host_gone(a, s);
    agg__ent_add(a, e, AGG_ENT_OTHER);
    memset(a->bk + e * a->ring * AGG_NCTR, 0, a->ring * AGG_NCTR * sizeof *a->bk);
    agg__forget_pending(a, e);
    host_hash_remove(a, s);
    a->hosts[s].in_use = false; /* its queue entry is stale from now on */
    ent->in_use = false;
    ent->dirty = true;
    ent->file_known = false;
    memset(ent->cum, 0, sizeof ent->cum);
    a->free_slots[a->nfree++] = s;
    a->nhosts--;
    a->sc.hosts_evicted++;
    a->sc_dirty = true;
    a->stats.hosts_evicted++;
    a->gen_dirty = true;
}

/*
 * The entity of a local host, creating its row when there is room. When
 * the table is full, the least recently seen host gives way if it has been
 * idle for evict_idle_ms of flow time; otherwise the host goes to "other".
 */
static size_t host_entity(struct agg *a, uint8_t family, const uint8_t *addr, uint32_t hash,
                          uint64_t first_ms, uint64_t last_ms)
{
    uint32_t s = host_find_h(a, family, addr, hash);

    if (s == AGG_NONE) {
        uint32_t old = a->nfree == 0 ? lru_oldest(a) : AGG_NONE;
        if (old != AGG_NONE && a->hosts[old].last_ms + a->evict_idle_ms <= a->newest_ms)
            host_evict(a, old);
        s = agg__host_new(a, family, addr);
        if (s == AGG_NONE) {
            a->stats.other_flows++;
            return AGG_ENT_OTHER;
        }
        a->hosts[s].first_seen = first_ms / 1000;
    } else {
        lru_touch(a, s);
    }
    struct agg_host *h = &a->hosts[s];
    if (last_ms > h->last_ms)
        h->last_ms = last_ms;
    if (first_ms / 1000 < h->first_seen || h->first_seen == 0)
        h->first_seen = first_ms / 1000;
    if (last_ms / 1000 > h->last_seen)
        h->last_seen = last_ms / 1000;
    return a->host0 + s;
}

/* ---- exporters ---- */

static size_t exporter_entity(struct agg *a, const struct agg_exporter_id *id)
{
    size_t n = fsn_family_addrlen(id->family);

    if (a->exp_cache != AGG_NONE) {
        const struct agg_exporter *x = &a->exps[a->exp_cache];
        if (x->id.domain == id->domain && x->id.family == id->family &&
            memcmp(x->id.addr, id->addr, n) == 0)
            return a->exp0 + a->exp_cache;
    }
    for (uint32_t i = 0; i < a->nexps; i++) {
        const struct agg_exporter *x = &a->exps[i];
        if (x->id.domain == id->domain && x->id.family == id->family &&
            memcmp(x->id.addr, id->addr, n) == 0) {
            a->exp_cache = i;
            return a->exp0 + i;
        }
    }
    if (a->nexps >= AGG_EXPORTERS_MAX || n == 0)
        return AGG_NONE;
    struct agg_exporter *x = &a->exps[a->nexps];
    memset(x, 0, sizeof *x);
    x->id = *id;
    memset(x->id.addr + n, 0, sizeof x->id.addr - n);
    a->ents[a->exp0 + a->nexps].in_use = true;
    a->ents[a->exp0 + a->nexps].dirty = true;
    a->gen_dirty = true;
    a->exp_cache = a->nexps;
    return a->exp0 + a->nexps++;
}

size_t agg__exporter_slot(struct agg *a, const struct agg_exporter_id *id)
{
    size_t e = exporter_entity(a, id);
    return e == AGG_NONE ? AGG_NONE : e - a->exp0;
}

void agg_exporter_stats(struct agg *a, const struct agg_exporter_id *e,
                        const struct agg_exporter_delta *d)
{
    size_t slot = e ? agg__exporter_slot(a, e) : AGG_NONE;

    a->sc.records += d->records;
    a->sc.records_lost += d->records_lost;
    a->sc.malformed += d->malformed;
    a->sc.no_template += d->no_template;
    a->sc_dirty = true;
    if (slot == AGG_NONE)
        return;
    struct agg_exporter *x = &a->exps[slot];
    x->datagrams += d->datagrams;
    x->records += d->records;
    x->records_lost += d->records_lost;
    x->malformed += d->malformed;
    x->no_template += d->no_template;
    x->templates = d->templates;
    if (e->version)
        x->id.version = e->version;
    if (d->last_seen) {
        if (!x->first_seen)
            x->first_seen = d->last_seen;
        x->last_seen = d->last_seen;
    }
    a->ents[a->exp0 + slot].dirty = true;
}

/* ---- steps ---- */

/* The oldest step that is not due yet: its end plus the grace is after the newest flow time. */
int64_t agg__first_not_due(const struct agg *a)
{
    return floor_div((int64_t)a->newest_ms - (int64_t)a->grace_ms, (int64_t)a->step_ms);
}

/* Closes every step that is due by flow time: its end plus the grace has passed. */
void agg__close_due(struct agg *a)
{
    if (!a->started)
        return;
    while ((a->open_lo + 1) * (int64_t)a->step_ms + (int64_t)a->grace_ms <= (int64_t)a->newest_ms)
        agg__close_step(a, false);
}

/* Starts the open window on the first flow: nothing is due yet at `newest`. */
static void start_window(struct agg *a)
{
    int64_t k0 = agg__first_not_due(a);
    int64_t w = (int64_t)(a->written_until_s * 1000 / a->step_ms);

    a->open_lo = k0 > w ? k0 : w;
    a->started = true;
}

struct part {
    int64_t k;      /* step index */
    uint64_t w;     /* weight: milliseconds of the flow in the step */
    uint64_t oct, pkt;
};

/*
 * Splits `x` over the parts in proportion to their weights (which sum to
 * d): each gets floor(x * w / d), and what is left (fewer units than
 * there are parts) goes one unit each to the parts with the largest
 * remainders, the later step first on ties. The shares sum to x exactly.
 */
static void split(struct part *p, size_t n, uint64_t d, uint64_t x, bool octets)
{
    uint64_t rem[AGG_RING_MAX + 1];
    uint64_t sum = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t q;
        if (x <= UINT32_MAX && p[i].w <= UINT32_MAX) {
            /* The product fits 64 bits: the same quotient without 128-bit division. */
            uint64_t prod = x * p[i].w;
            q = prod / d;
            rem[i] = prod % d;
        } else {
            u128 prod = (u128)x * p[i].w;
            q = (uint64_t)(prod / d);
            rem[i] = (uint64_t)(prod % d);
        }
        if (octets)
            p[i].oct = q;
        else
            p[i].pkt = q;
        sum += q;
    }
    for (uint64_t left = x - sum; left > 0; left--) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (rem[i] >= rem[best])
                best = i;
        rem[best] = 0;
        if (octets)
            p[best].oct++;
        else
            p[best].pkt++;
    }
}

/*
 * The parts of a flow, one per open step it spans; the time before the
 * oldest open step (already written: late) is folded into that step.
 * Returns the number of parts and whether anything was late.
 */
static size_t parts_of(const struct agg *a, uint64_t first, uint64_t last, uint64_t octets,
                       uint64_t packets, struct part *p, bool *late, int64_t *klast)
{
    int64_t kf = agg__step_of(a, first), kl = agg__step_of(a, last);
    int64_t lo = a->open_lo;
    uint64_t d, s = a->step_ms;
    size_t n = 0;

    *klast = kl;
    *late = kl < lo || (a->conf.prorate && kf < lo);
    if (!a->conf.prorate || kf == kl || kl <= lo) {
        p[0].k = kl < lo ? lo : kl;
        p[0].oct = octets;
        p[0].pkt = packets;
        return 1;
    }
    /* The flow covers [first, last + 1) in milliseconds: the last one counts. */
    d = last - first + 1;
    for (int64_t k = kf < lo ? lo : kf; k <= kl; k++) {
        uint64_t ks = (uint64_t)k * s, ke = ks + s;
        uint64_t from = first > ks ? first : ks, to = last + 1 < ke ? last + 1 : ke;
        if (k == lo && kf < lo)
            from = first; /* the late time joins the oldest open step */
        p[n].k = k;
        p[n].w = to - from;
        n++;
    }
    split(p, n, d, octets, true);
    split(p, n, d, packets, false);
    return n;
}

/*
 * Adds a record's parts to entity e in direction dir: part i into ring
 * slot slot[i], the flow into slot kslot. A record within one step (n == 1,
 * the common case) touches one bucket.
 */
static void add_parts(struct agg *a, size_t e, int dir, const struct part *p, const size_t *slot,
                      size_t n, size_t kslot, uint64_t octets, uint64_t packets)
{
    struct agg_ent *ent = &a->ents[e];
    uint64_t *row = a->bk + e * a->ring * AGG_NCTR;

    if (n == 1) {
        uint64_t *b = row + kslot * AGG_NCTR;
        b[AGG_IN_OCTETS + dir] += octets;
        b[AGG_IN_PACKETS + dir] += packets;
        b[AGG_IN_FLOWS + dir] += 1;
    } else {
        for (size_t i = 0; i < n; i++) {
            uint64_t *b = row + slot[i] * AGG_NCTR;
            b[AGG_IN_OCTETS + dir] += p[i].oct;
            b[AGG_IN_PACKETS + dir] += p[i].pkt;
        }
        row[kslot * AGG_NCTR + AGG_IN_FLOWS + dir] += 1;
    }
    ent->cum[AGG_IN_OCTETS + dir] += octets;
    ent->cum[AGG_IN_PACKETS + dir] += packets;
    ent->cum[AGG_IN_FLOWS + dir] += 1;
    ent->dirty = true;
    ent->in_use = true;
}

static void ctr_add(struct fsn_state_ctr *c, int dir, uint64_t octets, uint64_t packets)
{
    if (dir == 0) {
        c->in_octets += octets;
        c->in_packets += packets;
        c->in_flows++;
    } else {
        c->out_octets += octets;
        c->out_packets += packets;
        c->out_flows++;
    }
}

static void add_flow(struct agg *a, const struct agg_rec *f, const struct agg_exporter_id *x);
static void replay_deferred(struct agg *a);
static void start_window(struct agg *a);

/* Places the step window at the wall clock for records that waited for a real time. */
void agg__start_deferred(struct agg *a)
{
    if (a->started || !a->ndeferred)
        return;
    if (a->wall_ms > a->newest_ms)
        a->newest_ms = a->wall_ms;
    start_window(a);
    a->stats.future -= a->ndeferred; /* counted again when replayed */
    replay_deferred(a);
}

void agg_add(struct agg *a, const struct fsn_flow *f, const struct agg_exporter_id *x)
{
    struct agg_rec r;

    agg_rec_from_flow(&r, f);
    a->stats.flows++;
    add_flow(a, &r, x);
}

void agg_add_batch(struct agg *a, const struct agg_rec *r, size_t n,
                   const struct agg_exporter_id *x)
{
    /*
     * Only the records themselves are fetched ahead. Fetching what later
     * records will look up (their ports' service map entries, host index
     * slots, hosts and counter rows) was measured with bench/aggbench.c:
     * 3-7 % slower than this loop.
     */
    a->stats.flows += n;
    for (size_t i = 0; i < n; i++) {
        /* The records come from another core's cache: ask for them ahead. */
        if (i + 4 < n)
            __builtin_prefetch(&r[i + 4]);
        add_flow(a, &r[i], x);
    }
}

/*
 * Records without a usable time that come before the first good one wait
 * here (bounded), so that they do not place the step window; once it is
 * placed, they are counted (as late) into its oldest step.
 */
static bool defer_flow(struct agg *a, const struct agg_rec *f, const struct agg_exporter_id *x)
{
    if (a->ndeferred >= AGG_DEFER_MAX)
        return false;
    a->deferred[a->ndeferred].f = *f;
    a->deferred[a->ndeferred].has_x = x != NULL;
    if (x)
        a->deferred[a->ndeferred].x = *x;
    a->ndeferred++;
    return true;
}

static void replay_deferred(struct agg *a)
{
    size_t n = a->ndeferred;

    a->ndeferred = 0;
    for (size_t i = 0; i < n; i++)
        add_flow(a, &a->deferred[i].f, a->deferred[i].has_x ? &a->deferred[i].x : NULL);
}

/*
 * Hosts x services for one local end of a flow (host entity he, direction
 * dir). The end counts in one cell: its primary service's (agg_svc_primary),
 * in its role there, or, when the host has no row or the cell no room, in
 * that service's other host (and, with a row, in the host's other cell); a
 * flow without a service in the host's other cell. The flow's other
 * services count in their other hosts, so that every service's cells +
 * other host == its row. See rrd/agg_hostsvc.c.
 */
static void count_cells(struct agg *a, size_t he, int dir, const struct agg_rec *f,
                        const uint16_t *svc, const uint8_t *how, size_t nsvc, size_t pi,
                        const struct part *p, const size_t *slot, size_t n, size_t kslot)
{
    const bool row = he != AGG_ENT_OTHER;
    const uint32_t hs = row ? (uint32_t)(he - a->host0) : 0;
    const size_t other = a->hso0 + 2 * (size_t)hs;
    size_t c;

    if (nsvc == 0) {
        if (row)
            add_parts(a, other + !agg_svc_provides_unmatched(f->proto, f->sport, f->dport, dir),
                      dir, p, slot, n, kslot, f->octets, f->packets);
        return;
    }
    c = row ? agg__hs_cell(a, hs, svc[pi]) : AGG_NONE;
    for (size_t i = 0; i < nsvc; i++) {
        const size_t role = !agg_svc_provides(how[i], dir);
        if (i == pi && c != AGG_NONE) {
            add_parts(a, c + role, dir, p, slot, n, kslot, f->octets, f->packets);
            continue;
        }
        if (i == pi && row) {
            a->stats.hs_overflow++;
            add_parts(a, other + role, dir, p, slot, n, kslot, f->octets, f->packets);
        }
        add_parts(a, a->hsx0 + 2 * (size_t)svc[i] + role, dir, p, slot, n, kslot, f->octets,
                  f->packets);
    }
}

static void add_flow(struct agg *a, const struct agg_rec *f, const struct agg_exporter_id *x)
{
    uint64_t first = f->first_ms, last = f->last_ms;
    const uint8_t fam = f->family;
    struct part p[AGG_RING_MAX + 1];
    size_t slot[AGG_RING_MAX + 1], kslot;
    uint32_t hash[2] = {0, 0};
    uint16_t svc[2 * AGG_SERVICES_MAX];
    uint8_t how[2 * AGG_SERVICES_MAX];
    size_t n, nsvc, xe = AGG_NONE;
    bool src_local, dst_local, late, bad_time;
    int64_t kflow;

    if (first > last)
        first = last;
    /*
     * A record far ahead of the wall clock (an exporter with a wrong clock),
     * or with no real time at all (before 2000), must not move flow time
     * on, or every later record would be late: it goes to the oldest open
     * step, as a late one.
     */
    bad_time = (a->wall_ms && last > a->wall_ms + AGG_FUTURE_MS) || last < AGG_MIN_TIME_MS;
    if (bad_time) {
        a->stats.future++;
        if (!a->started && a->wall_ms && defer_flow(a, f, x))
            return;
        first = last = a->started ? (uint64_t)a->open_lo * a->step_ms : a->wall_ms;
    }
    if (last > a->newest_ms || !a->started) {
        if (last > a->newest_ms)
            a->newest_ms = last;
        if (!a->started) {
            start_window(a);
            if (a->ndeferred) {
                a->stats.future -= a->ndeferred; /* counted again when replayed */
                replay_deferred(a);
            }
        }
        agg__close_due(a);
    }

    src_local = fsn_family_addrlen(fam) && is_local(a, fam, f->src);
    dst_local = fsn_family_addrlen(fam) && is_local(a, fam, f->dst);
    if (!src_local && !dst_local) {
        ctr_add(&a->sc.transit, 0, f->octets, f->packets);
        a->sc_dirty = true;
        return;
    }

    /* The host lookups miss the cache most: start them before the rest of the work. */
    if (dst_local) {
        hash[0] = host_hash(fam, f->dst);
        __builtin_prefetch(&a->hidx[hash[0] & a->hmask]);
    }
    if (src_local) {
        hash[1] = host_hash(fam, f->src);
        __builtin_prefetch(&a->hidx[hash[1] & a->hmask]);
    }
    n = parts_of(a, first, last, f->octets, f->packets, p, &late, &kflow);
    if (kflow < a->open_lo)
        kflow = a->open_lo;
    if (late || bad_time) {
        a->sc.late++;
        a->stats.late++;
        a->sc_dirty = true;
    }
    /* One part is always in the flow's step (see parts_of). */
    kslot = ring_slot(a, kflow);
    a->touched[kslot] = true;
    if (n > 1)
        for (size_t i = 0; i < n; i++) {
            slot[i] = ring_slot(a, p[i].k);
            a->touched[slot[i]] = true;
        }

    nsvc = agg_svc_match(&a->svc, f->proto, f->sport, f->dport, svc, how);
    if (x)
        xe = exporter_entity(a, x);
    if (src_local && dst_local) {
        ctr_add(&a->sc.local, 0, f->octets, f->packets);
        ctr_add(&a->sc.local, 1, f->octets, f->packets);
        a->sc_dirty = true;
    }
    for (int dir = 0; dir < 2; dir++) {
        const uint8_t *addr = dir == 0 ? f->dst : f->src;
        if (dir == 0 ? !dst_local : !src_local)
            continue;
        size_t he = host_entity(a, fam, addr, hash[dir], first, last);
        size_t pi = a->hs_on && nsvc > 1 ? agg_svc_primary(svc, how, nsvc, dir) : 0;
        /* The cell's lookup misses the cache: start it before the other entities' work. */
        if (a->hs_on && nsvc && he != AGG_ENT_OTHER)
            fsn_xtab_prefetch(&a->hs, (uint32_t)(he - a->host0), svc[pi]);
        add_parts(a, AGG_ENT_TOTAL, dir, p, slot, n, kslot, f->octets, f->packets);
        add_parts(a, he, dir, p, slot, n, kslot, f->octets, f->packets);
        add_parts(a, a->proto0 + f->proto, dir, p, slot, n, kslot, f->octets, f->packets);
        for (size_t i = 0; i < nsvc; i++)
            add_parts(a, a->svc0 + svc[i], dir, p, slot, n, kslot, f->octets, f->packets);
        if (xe != AGG_NONE)
            add_parts(a, xe, dir, p, slot, n, kslot, f->octets, f->packets);
        if (a->hs_on)
            count_cells(a, he, dir, f, svc, how, nsvc, pi, p, slot, n, kslot);
    }
}

/* ---- lifecycle ---- */

static int alloc_tables(struct agg *a)
{
    size_t hsize = 1;

    a->ring = a->conf.grace / a->conf.step + 2;
    a->svc0 = AGG_ENT_FIRST;
    a->proto0 = a->svc0 + a->conf.nservices;
    a->exp0 = a->proto0 + 256;
    a->host0 = a->exp0 + AGG_EXPORTERS_MAX;
    a->pair0 = a->hso0 = a->host0 + a->conf.max_hosts;
    a->hs_on = a->conf.max_host_services > 0;
    a->hsx0 = a->hso0 + (a->hs_on ? 2 * (size_t)a->conf.max_hosts : 0);
    a->hsc0 = a->hsx0 + (a->hs_on ? 2 * a->conf.nservices : 0);
    a->pair1 = a->hsc0 + (a->hs_on ? 2 * (size_t)a->conf.max_host_services : 0);
    a->nents = a->pair1;
    while (hsize < 2 * (size_t)a->conf.max_hosts)
        hsize <<= 1;
    a->hmask = hsize - 1;
    a->ents = calloc(a->nents, sizeof *a->ents);
    a->bk = calloc(a->nents * a->ring * AGG_NCTR, sizeof *a->bk);
    a->hosts = calloc(a->conf.max_hosts, sizeof *a->hosts);
    a->hidx = calloc(hsize, sizeof *a->hidx);
    a->lru_cap = 2 * (size_t)a->conf.max_hosts + 16;
    a->lru_q = calloc(a->lru_cap, sizeof *a->lru_q);
    a->free_slots = calloc(a->conf.max_hosts, sizeof *a->free_slots);
    a->exps = calloc(AGG_EXPORTERS_MAX, sizeof *a->exps);
    if (!a->ents || !a->bk || !a->hosts || !a->hidx || !a->lru_q || !a->free_slots || !a->exps)
        return FSN_E_NOMEM;
    for (uint32_t i = 0; i < a->conf.max_hosts; i++)
        a->free_slots[i] = a->conf.max_hosts - 1 - i; /* slot 0 first */
    a->nfree = a->conf.max_hosts;
    a->exp_cache = AGG_NONE;
    a->lo_k = INT64_MIN;
    build_v4_nets(a);
    a->ents[AGG_ENT_TOTAL].in_use = true;
    a->ents[AGG_ENT_OTHER].in_use = true;
    for (size_t i = 0; i < a->conf.nservices; i++)
        a->ents[a->svc0 + i].in_use = true;
    return agg__hs_init(a);
}

static int copy_conf(struct agg_conf *dst, const struct agg_conf *src)
{
    *dst = *src;
    dst->nets = NULL;
    dst->services = NULL;
    if (src->nnets) {
        dst->nets = malloc(src->nnets * sizeof *dst->nets);
        if (!dst->nets)
            return FSN_E_NOMEM;
        memcpy(dst->nets, src->nets, src->nnets * sizeof *dst->nets);
    }
    if (src->nservices) {
        dst->services = malloc(src->nservices * sizeof *dst->services);
        if (!dst->services)
            return FSN_E_NOMEM;
        memcpy(dst->services, src->services, src->nservices * sizeof *dst->services);
    }
    return 0;
}

struct agg *agg_new(const struct agg_conf *conf, uint64_t now_ms, char *err, size_t errlen)
{
    struct agg *a = calloc(1, sizeof *a);

    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->sf.fd = -1;
    if (copy_conf(&a->conf, conf) != 0 || conf->step == 0 ||
        conf->grace / conf->step + 2 > AGG_RING_MAX) {
        snprintf(err, errlen, "bad aggregator configuration (not finished?)");
        goto fail;
    }
    a->step_ms = (uint64_t)conf->step * 1000;
    a->grace_ms = (uint64_t)conf->grace * 1000;
    a->wall_ms = now_ms;
    a->evict_idle_ms = (uint64_t)(conf->step * 4 > 3600 ? conf->step * 4 : 3600) * 1000;
    a->fill_max = 3600 / conf->step > 12 ? 3600 / conf->step : 12;
    if (alloc_tables(a) != 0 || agg_svc_init(&a->svc, a->conf.services, a->conf.nservices) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    agg__rrdw_init(&a->w, conf->rrdcached);
    if (conf->rrdcached[0])
        signal(SIGPIPE, SIG_IGN);
    if (conf->state_file[0] && agg__load_state(a, now_ms, err, errlen) != 0)
        goto fail;
    if (conf->rrd_dir[0])
        agg__init_written(a, now_ms);
    return a;
fail:
    agg_free(a);
    return NULL;
}

void agg_free(struct agg *a)
{
    if (!a)
        return;
    agg__close_state(a);
    agg__drop_pending(a);
    agg__rrdw_fini(&a->w);
    agg_svc_fini(&a->svc);
    agg__hs_fini(a);
    free(a->ents);
    free(a->bk);
    free(a->hosts);
    free(a->hidx);
    free(a->lru_q);
    free(a->free_slots);
    free(a->exps);
    agg_conf_fini(&a->conf);
    free(a);
}

void agg_get_stats(const struct agg *a, struct agg_stats *out)
{
    *out = a->stats;
    out->rrd_pending = a->nsnaps;
    out->hs_cells = a->hs.nused;
}
