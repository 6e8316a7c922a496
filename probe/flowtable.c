/* SPDX-License-Identifier: BSD-2-Clause */
#include "probe/flowtable.h"

#include <stdlib.h>
#include <string.h>

#include "common/bigmem.h"
#include "lib/error.h"

#define TCP_FIN 0x01
#define TCP_RST 0x04

/* The hash table starts small and doubles up to the bound. */
#define FT_INITIAL_BUCKETS 4096

uint8_t ft_class_of(const struct fsn_flow_key *k, uint8_t tcp_flags)
{
    switch (k->proto) {
    case FSN_PROTO_TCP:
        return (tcp_flags & (TCP_FIN | TCP_RST)) ? FT_CLASS_TCP_END : FT_CLASS_TCP;
    case FSN_PROTO_UDP:
        return FT_CLASS_UDP;
    case FSN_PROTO_ICMP:
    case FSN_PROTO_ICMPV6:
        return FT_CLASS_ICMP;
    default:
        return FT_CLASS_OTHER;
    }
}

/*
 * Table memory comes from common/bigmem: huge-page friendly, and the entry
 * array is reserved at the bound up front with only the pages used ever
 * touched, so it never has to be copied to grow.
 */
int ft_init(struct ft *t, uint32_t max_flows, const struct ft_timeouts *to, ft_emit_fn emit,
            void *arg)
{
    uint32_t nmax = FT_INITIAL_BUCKETS;

    memset(t, 0, sizeof *t);
    if (max_flows == 0 || max_flows >= FT_NIL)
        return FSN_E_RANGE;
    /* At the bound, two to four buckets per flow keep chains short. */
    while (nmax < max_flows * 2ull && nmax < (1u << 31))
        nmax <<= 1;
    t->nbucket_max = nmax;
    t->bucket = bigmem_alloc(FT_INITIAL_BUCKETS * sizeof *t->bucket);
    t->cap = max_flows;
    t->e = bigmem_alloc((size_t)t->cap * sizeof *t->e);
    if (!t->bucket || !t->e) {
        bigmem_free(t->bucket, FT_INITIAL_BUCKETS * sizeof *t->bucket);
        bigmem_free(t->e, (size_t)t->cap * sizeof *t->e);
        return FSN_E_NOMEM;
    }
    memset(t->bucket, 0xff, FT_INITIAL_BUCKETS * sizeof *t->bucket);
    memset(t->wheel, 0xff, sizeof t->wheel);
    t->nbucket_mask = FT_INITIAL_BUCKETS - 1;
    t->max = max_flows;
    t->free_head = FT_NIL;
    t->chead = t->ctail = FT_NIL;
    t->seed = 0x5bd1e995u;
    t->to = *to;
    t->emit = emit;
    t->emit_arg = arg;
    return 0;
}

void ft_fini(struct ft *t)
{
    bigmem_free(t->e, (size_t)t->cap * sizeof *t->e);
    bigmem_free(t->bucket, ((size_t)t->nbucket_mask + 1) * sizeof *t->bucket);
    t->e = NULL;
    t->bucket = NULL;
}

size_t ft_memory(const struct ft *t)
{
    return (size_t)t->used * sizeof *t->e + ((size_t)t->nbucket_mask + 1) * sizeof *t->bucket +
           sizeof t->wheel;
}

/* Doubles the hash table (when memory allows) and rehashes the entries in use. */
static void grow_buckets(struct ft *t)
{
    uint32_t n = (t->nbucket_mask + 1) * 2;
    uint32_t *nb = bigmem_alloc((size_t)n * sizeof *nb);

    if (!nb)
        return; /* longer chains, still correct */
    memset(nb, 0xff, (size_t)n * sizeof *nb);
    for (uint32_t i = t->chead; i != FT_NIL; i = t->e[i].cnext) {
        uint32_t h = t->e[i].hash & (n - 1);
        t->e[i].hnext = nb[h];
        nb[h] = i;
    }
    bigmem_free(t->bucket, ((size_t)t->nbucket_mask + 1) * sizeof *t->bucket);
    t->bucket = nb;
    t->nbucket_mask = n - 1;
}

/* Timer wheel: slot of the second in which an entry's inactive timeout ends. */
static uint64_t idle_end_ms(const struct ft *t, const struct ft_entry *e)
{
    return e->last_ms + t->to.idle_ms[e->cls];
}

/* Marks an entry that wheel_turn() has taken off the wheel. */
#define FT_OFF_WHEEL FT_WHEEL

static void wheel_unlink(struct ft *t, uint32_t i)
{
    struct ft_entry *e = &t->e[i];

    if (e->wslot == FT_OFF_WHEEL)
        return;
    if (e->wprev != FT_NIL)
        t->e[e->wprev].wnext = e->wnext;
    else
        t->wheel[e->wslot] = e->wnext;
    if (e->wnext != FT_NIL)
        t->e[e->wnext].wprev = e->wprev;
}

static void wheel_link(struct ft *t, uint32_t i)
{
    struct ft_entry *e = &t->e[i];
    uint64_t sec = idle_end_ms(t, e) / 1000;

    /* A slot already handled would not be seen again for a whole turn. */
    if (sec < t->wheel_done_s)
        sec = t->wheel_done_s;
    e->wslot = (uint32_t)(sec % FT_WHEEL);
    e->wprev = FT_NIL;
    e->wnext = t->wheel[e->wslot];
    if (e->wnext != FT_NIL)
        t->e[e->wnext].wprev = i;
    t->wheel[e->wslot] = i;
}

/* Removes entry i from every structure and hands it back to the free list. */
static void release(struct ft *t, uint32_t i)
{
    struct ft_entry *e = &t->e[i];
    uint32_t *pp = &t->bucket[e->hash & t->nbucket_mask];

    while (*pp != i)
        pp = &t->e[*pp].hnext;
    *pp = e->hnext;
    wheel_unlink(t, i);
    if (e->cprev != FT_NIL)
        t->e[e->cprev].cnext = e->cnext;
    else
        t->chead = e->cnext;
    if (e->cnext != FT_NIL)
        t->e[e->cnext].cprev = e->cprev;
    else
        t->ctail = e->cprev;
    e->hnext = t->free_head;
    t->free_head = i;
    t->st.active--;
}

static void expire_one(struct ft *t, uint32_t i, uint8_t reason)
{
    t->st.expired[reason & 7]++;
    t->emit(t->emit_arg, &t->e[i], reason);
    release(t, i);
}

static uint8_t idle_reason(uint8_t cls)
{
    return cls == FT_CLASS_TCP_END ? FSN_END_EOF : FSN_END_IDLE;
}

static uint32_t alloc_entry(struct ft *t)
{
    uint32_t i;

    if (t->free_head != FT_NIL) {
        i = t->free_head;
        t->free_head = t->e[i].hnext;
        /* The next new flow takes the next free entry: fetch it ahead. */
        if (t->free_head != FT_NIL) {
            __builtin_prefetch(&t->e[t->free_head], 1);
            __builtin_prefetch((const char *)&t->e[t->free_head] + sizeof *t->e - 1, 1);
        }
        return i;
    }
    if (t->used == t->cap)
        return FT_NIL;
    return t->used++;
}

void ft_add(struct ft *t, const struct fsn_flow_key *k, uint64_t packets, uint64_t octets,
            uint8_t tcp_flags, uint64_t ts_ms)
{
    ft_add_hashed(t, k, ft_hash(t, k), packets, octets, tcp_flags, ts_ms);
}

void ft_add_hashed(struct ft *t, const struct fsn_flow_key *k, uint32_t hash, uint64_t packets,
                   uint64_t octets, uint8_t tcp_flags, uint64_t ts_ms)
{
    uint32_t i;
    struct ft_entry *e;

    if (ts_ms > t->now_ms)
        t->now_ms = ts_ms;
    ts_ms = t->now_ms;

    for (i = t->bucket[hash & t->nbucket_mask]; i != FT_NIL; i = t->e[i].hnext)
        if (t->e[i].hash == hash && fsn_flow_key_eq(&t->e[i].key, k))
            break;

    /*
     * A flow whose timeout has passed ends here even if no expiry scan ran
     * since, so records do not depend on how often ft_expire() is called.
     */
    if (i != FT_NIL) {
        e = &t->e[i];
        if (e->first_ms + t->to.active_ms <= ts_ms) {
            expire_one(t, i, FSN_END_ACTIVE);
            i = FT_NIL;
        } else if (idle_end_ms(t, e) <= ts_ms) {
            expire_one(t, i, idle_reason(e->cls));
            i = FT_NIL;
        }
    }

    if (i == FT_NIL) {
        /* Table full: the oldest flow goes first. */
        if (t->st.active >= t->max && t->chead != FT_NIL)
            expire_one(t, t->chead, FSN_END_LACK);
        i = alloc_entry(t);
        /* Half full: a new flow's lookup walks its whole chain, each entry a likely miss. */
        if (t->st.active >= (t->nbucket_mask + 1) / 2 && t->nbucket_mask + 1 < t->nbucket_max)
            grow_buckets(t);
        e = &t->e[i];
        memset(e, 0, sizeof *e);
        e->key = *k;
        e->hash = hash;
        e->first_ms = ts_ms;
        e->last_ms = ts_ms;
        e->cls = ft_class_of(k, tcp_flags);
        e->hnext = t->bucket[hash & t->nbucket_mask];
        t->bucket[hash & t->nbucket_mask] = i;
        e->cnext = FT_NIL;
        e->cprev = t->ctail;
        if (e->cprev != FT_NIL)
            t->e[e->cprev].cnext = i;
        else
            t->chead = i;
        t->ctail = i;
        wheel_link(t, i);
        t->st.created++;
        if (++t->st.active > t->st.peak)
            t->st.peak = t->st.active;
    } else if (e->cls == FT_CLASS_TCP && (tcp_flags & (TCP_FIN | TCP_RST))) {
        /* The only class change: to the shorter tcp-end timeout, right away. */
        wheel_unlink(t, i);
        e->cls = FT_CLASS_TCP_END;
        e->last_ms = ts_ms;
        wheel_link(t, i);
    }
    e->packets += packets;
    e->octets += octets;
    e->last_ms = ts_ms;
    e->tcp_flags |= tcp_flags;
}

/* Handles one wheel slot: expired entries go, the others move to their new slot. */
static void wheel_turn(struct ft *t, uint32_t slot, uint64_t now_ms)
{
    uint32_t i = t->wheel[slot];

    t->wheel[slot] = FT_NIL;
    while (i != FT_NIL) {
        uint32_t next = t->e[i].wnext;
        struct ft_entry *e = &t->e[i];
        /*
         * Idle entries are cold. Fetch the next one while this one is
         * handled, and what removing this one touches (its neighbours on the
         * creation list, its hash bucket) all at once rather than in turn.
         */
        if (next != FT_NIL)
            __builtin_prefetch(&t->e[next]);
        if (e->cprev != FT_NIL)
            __builtin_prefetch(&t->e[e->cprev].cnext, 1);
        if (e->cnext != FT_NIL)
            __builtin_prefetch(&t->e[e->cnext].cprev, 1);
        __builtin_prefetch(&t->bucket[e->hash & t->nbucket_mask], 1);
        if (idle_end_ms(t, e) <= now_ms) {
            e->wslot = FT_OFF_WHEEL;
            expire_one(t, i, idle_reason(e->cls));
        } else {
            wheel_link(t, i);
        }
        i = next;
    }
}

void ft_expire(struct ft *t, uint64_t now_ms)
{
    uint64_t now_s;

    if (now_ms > t->now_ms)
        t->now_ms = now_ms;
    now_ms = t->now_ms;
    now_s = now_ms / 1000;

    while (t->chead != FT_NIL && t->e[t->chead].first_ms + t->to.active_ms <= now_ms)
        expire_one(t, t->chead, FSN_END_ACTIVE);

    /* Seconds that ended: their slots, at most one whole turn after a jump in time. */
    if (t->wheel_done_s == 0 || now_s - t->wheel_done_s > FT_WHEEL)
        t->wheel_done_s = now_s > FT_WHEEL ? now_s - FT_WHEEL : 0;
    while (t->wheel_done_s < now_s) {
        uint32_t slot = (uint32_t)(t->wheel_done_s % FT_WHEEL);
        t->wheel_done_s++;
        wheel_turn(t, slot, now_ms);
    }
}

void ft_flush(struct ft *t, uint8_t reason)
{
    while (t->chead != FT_NIL)
        expire_one(t, t->chead, reason);
}
