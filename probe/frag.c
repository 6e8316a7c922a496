/* SPDX-License-Identifier: BSD-2-Clause */
#include "probe/frag.h"

#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

int frag_init(struct frag *f, uint32_t nslots, uint32_t timeout_ms, frag_account_fn account,
              void *arg)
{
    uint32_t n = 64;

    memset(f, 0, sizeof *f);
    while (n < nslots && n < (1u << 24))
        n <<= 1;
    f->slot = malloc(n * sizeof *f->slot);
    if (!f->slot)
        return FSN_E_NOMEM;
    /*
     * Written now rather than left to calloc's zero pages: the first write
     * to a page that lookups had only read is a copy-on-write fault whose
     * TLB flush interrupts the other thread's CPU. explicit_bzero, because
     * the compiler turns malloc and memset into calloc.
     */
    explicit_bzero(f->slot, n * sizeof *f->slot);
    f->mask = n - 1;
    f->timeout_ms = timeout_ms;
    f->account = account;
    f->arg = arg;
    return 0;
}

void frag_fini(struct frag *f)
{
    free(f->slot);
    f->slot = NULL;
}

/* Gives a slot's pending counts to the port-0 flow and frees the slot. */
static void release(struct frag *f, struct frag_slot *s)
{
    if (s->pending_packets) {
        f->st.orphaned += s->pending_packets;
        f->account(f->arg, &s->key, s->pending_packets, s->pending_octets, s->seen_ms);
    }
    memset(s, 0, sizeof *s);
    f->nused--;
}

/*
 * Slots are grouped in sets of FRAG_WAYS: a datagram may use any slot of
 * its set, and when the set is full the slot seen longest ago gives way, so
 * that two busy datagrams that hash alike do not evict each other.
 */
#define FRAG_WAYS 4

static struct frag_slot *lookup(struct frag *f, const struct fsn_pkt *p, bool *found)
{
    struct fsn_flow_key k = p->key;
    struct frag_slot *set, *s;

    k.sport = k.dport = 0;
    set = &f->slot[(fsn_flow_key_hash(&k, p->frag_id) ^ p->frag_id) & f->mask & ~(uint32_t)(FRAG_WAYS - 1)];
    for (int w = 0; w < FRAG_WAYS; w++) {
        if (set[w].used && set[w].id == p->frag_id && fsn_flow_key_eq(&set[w].key, &k)) {
            *found = true;
            return &set[w];
        }
    }
    /* A free slot of the set, else the one seen longest ago. */
    s = &set[0];
    for (int w = 0; w < FRAG_WAYS; w++) {
        if (!set[w].used) {
            s = &set[w];
            break;
        }
        if (set[w].seen_ms < s->seen_ms)
            s = &set[w];
    }
    *found = false;
    if (s->used)
        release(f, s);
    s->key = k;
    s->id = p->frag_id;
    s->used = 1;
    f->nused++;
    return s;
}

int frag_packet(struct frag *f, struct fsn_pkt *p, uint64_t ts_ms)
{
    bool found;
    struct frag_slot *s = lookup(f, p, &found);

    s->seen_ms = ts_ms;
    if (p->frag == FSN_FRAG_FIRST) {
        f->st.first++;
        s->sport = p->key.sport;
        s->dport = p->key.dport;
        s->have_ports = 1;
        if (s->pending_packets) {
            struct fsn_flow_key k = p->key;
            f->st.attributed += s->pending_packets;
            f->account(f->arg, &k, s->pending_packets, s->pending_octets, ts_ms);
            s->pending_packets = s->pending_octets = 0;
        }
        return 1;
    }
    f->st.later++;
    if (s->have_ports) {
        p->key.sport = s->sport;
        p->key.dport = s->dport;
        f->st.attributed++;
        return 1;
    }
    s->pending_packets++;
    s->pending_octets += p->ip_len;
    return 0;
}

void frag_expire(struct frag *f, uint64_t now_ms)
{
    /* A sixteenth of the table per call: a slot waits at most 16 calls too long. */
    uint32_t n = (f->mask + 1) / 16;

    if (f->nused == 0)
        return;
    for (uint32_t k = 0; k < n; k++) {
        struct frag_slot *s = &f->slot[f->sweep++ & f->mask];
        if (s->used && s->seen_ms + f->timeout_ms <= now_ms)
            release(f, s);
    }
}

void frag_flush(struct frag *f)
{
    for (uint32_t i = 0; i <= f->mask; i++)
        if (f->slot[i].used)
            release(f, &f->slot[i]);
}
