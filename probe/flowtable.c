/* SPDX-License-Identifier: BSD-2-Clause */
#include "probe/flowtable.h"

#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

#define TCP_FIN 0x01
#define TCP_RST 0x04

/* The entry array starts small and doubles up to the bound. */
#define FT_INITIAL_CAP 4096

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

int ft_init(struct ft *t, uint32_t max_flows, const struct ft_timeouts *to, ft_emit_fn emit,
            void *arg)
{
    uint32_t nb = 1024;

    memset(t, 0, sizeof *t);
    if (max_flows == 0 || max_flows >= FT_NIL)
        return FSN_E_RANGE;
    /* About one bucket per flow at the bound keeps chains short. */
    while (nb < max_flows && nb < (1u << 31))
        nb <<= 1;
    t->bucket = malloc((size_t)nb * sizeof *t->bucket);
    t->cap = max_flows < FT_INITIAL_CAP ? max_flows : FT_INITIAL_CAP;
    t->e = malloc((size_t)t->cap * sizeof *t->e);
    if (!t->bucket || !t->e) {
        free(t->bucket);
        free(t->e);
        return FSN_E_NOMEM;
    }
    memset(t->bucket, 0xff, (size_t)nb * sizeof *t->bucket);
    t->nbucket_mask = nb - 1;
    t->max = max_flows;
    t->free_head = FT_NIL;
    for (int c = 0; c < FT_NCLASS; c++)
        t->lhead[c] = t->ltail[c] = FT_NIL;
    t->chead = t->ctail = FT_NIL;
    t->seed = 0x5bd1e995u;
    t->to = *to;
    t->emit = emit;
    t->emit_arg = arg;
    return 0;
}

void ft_fini(struct ft *t)
{
    free(t->e);
    free(t->bucket);
    t->e = NULL;
    t->bucket = NULL;
}

size_t ft_memory(const struct ft *t)
{
    return (size_t)t->cap * sizeof *t->e + ((size_t)t->nbucket_mask + 1) * sizeof *t->bucket;
}

/* Class list (by last activity) operations. */
static void lunlink(struct ft *t, uint32_t i)
{
    struct ft_entry *e = &t->e[i];

    if (e->lprev != FT_NIL)
        t->e[e->lprev].lnext = e->lnext;
    else
        t->lhead[e->cls] = e->lnext;
    if (e->lnext != FT_NIL)
        t->e[e->lnext].lprev = e->lprev;
    else
        t->ltail[e->cls] = e->lprev;
}

static void lappend(struct ft *t, uint32_t i)
{
    struct ft_entry *e = &t->e[i];

    e->lnext = FT_NIL;
    e->lprev = t->ltail[e->cls];
    if (e->lprev != FT_NIL)
        t->e[e->lprev].lnext = i;
    else
        t->lhead[e->cls] = i;
    t->ltail[e->cls] = i;
}

/* Removes entry i from every structure and hands it back to the free list. */
static void release(struct ft *t, uint32_t i)
{
    struct ft_entry *e = &t->e[i];
    uint32_t *pp = &t->bucket[fsn_flow_key_hash(&e->key, t->seed) & t->nbucket_mask];

    while (*pp != i)
        pp = &t->e[*pp].hnext;
    *pp = e->hnext;
    lunlink(t, i);
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

/* Forces out the least recently active flow of any class. */
static void evict_least_active(struct ft *t)
{
    uint32_t victim = FT_NIL;

    for (int c = 0; c < FT_NCLASS; c++) {
        uint32_t h = t->lhead[c];
        if (h != FT_NIL && (victim == FT_NIL || t->e[h].last_ms < t->e[victim].last_ms))
            victim = h;
    }
    if (victim != FT_NIL)
        expire_one(t, victim, FSN_END_LACK);
}

static uint32_t alloc_entry(struct ft *t)
{
    uint32_t i;

    if (t->free_head != FT_NIL) {
        i = t->free_head;
        t->free_head = t->e[i].hnext;
        return i;
    }
    if (t->used == t->cap) {
        uint32_t ncap = t->cap > t->max / 2 ? t->max : t->cap * 2;
        struct ft_entry *ne = realloc(t->e, (size_t)ncap * sizeof *ne);
        if (!ne)
            return FT_NIL;
        t->e = ne;
        t->cap = ncap;
    }
    return t->used++;
}

void ft_add(struct ft *t, const struct fsn_flow_key *k, uint64_t packets, uint64_t octets,
            uint8_t tcp_flags, uint64_t ts_ms)
{
    uint32_t h = fsn_flow_key_hash(k, t->seed) & t->nbucket_mask;
    uint32_t i;
    struct ft_entry *e;
    uint8_t cls;

    if (ts_ms > t->now_ms)
        t->now_ms = ts_ms;
    ts_ms = t->now_ms;

    for (i = t->bucket[h]; i != FT_NIL; i = t->e[i].hnext)
        if (fsn_flow_key_eq(&t->e[i].key, k))
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
        } else if (e->last_ms + t->to.idle_ms[e->cls] <= ts_ms) {
            expire_one(t, i, e->cls == FT_CLASS_TCP_END ? FSN_END_EOF : FSN_END_IDLE);
            i = FT_NIL;
        }
    }

    if (i == FT_NIL) {
        if (t->st.active >= t->max)
            evict_least_active(t);
        i = alloc_entry(t);
        if (i == FT_NIL) {
            /* Out of memory below the bound: make room the same way. */
            evict_least_active(t);
            i = alloc_entry(t);
            if (i == FT_NIL)
                return;
        }
        e = &t->e[i];
        memset(e, 0, sizeof *e);
        e->key = *k;
        e->first_ms = ts_ms;
        e->cls = ft_class_of(k, tcp_flags);
        e->hnext = t->bucket[h];
        t->bucket[h] = i;
        e->cnext = FT_NIL;
        e->cprev = t->ctail;
        if (e->cprev != FT_NIL)
            t->e[e->cprev].cnext = i;
        else
            t->chead = i;
        t->ctail = i;
        lappend(t, i);
        t->st.created++;
        if (++t->st.active > t->st.peak)
            t->st.peak = t->st.active;
    } else {
        e = &t->e[i];
        cls = e->cls == FT_CLASS_TCP_END ? FT_CLASS_TCP_END : ft_class_of(k, tcp_flags);
        /* Move to the tail of its (possibly new) class list: it is the most recent now. */
        lunlink(t, i);
        e->cls = cls;
        lappend(t, i);
    }
    e->packets += packets;
    e->octets += octets;
    e->last_ms = ts_ms;
    e->tcp_flags |= tcp_flags;
}

void ft_expire(struct ft *t, uint64_t now_ms)
{
    if (now_ms > t->now_ms)
        t->now_ms = now_ms;
    now_ms = t->now_ms;

    for (int c = 0; c < FT_NCLASS; c++) {
        uint64_t idle = t->to.idle_ms[c];
        uint8_t reason = c == FT_CLASS_TCP_END ? FSN_END_EOF : FSN_END_IDLE;
        while (t->lhead[c] != FT_NIL && t->e[t->lhead[c]].last_ms + idle <= now_ms)
            expire_one(t, t->lhead[c], reason);
    }
    while (t->chead != FT_NIL && t->e[t->chead].first_ms + t->to.active_ms <= now_ms)
        expire_one(t, t->chead, FSN_END_ACTIVE);
}

void ft_flush(struct ft *t, uint8_t reason)
{
    while (t->chead != FT_NIL)
        expire_one(t, t->chead, reason);
}
