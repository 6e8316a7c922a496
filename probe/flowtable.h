/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The probe's flow table: packets in, expired flows out.
 *
 * Entries live in one growable array and are found through a chained hash
 * table of 32-bit indexes, which doubles as the table fills. Each entry sits
 * on two doubly linked lists: the list of all entries in order of creation
 * (the active timeout is a scan from its head; when the table is full its
 * head, the oldest flow, is forced out) and one slot of a timer wheel of
 * one-second slots, by the time its inactive timeout would end.
 * A packet does not move its entry on the wheel (that would touch two more
 * entries per packet): when a slot comes due, an entry that has been active
 * since it was placed moves on to the slot of its new expiry time. So each
 * flow is handled about once per inactive timeout, whatever its packet rate,
 * and a flow expires within one second of its timeout (a packet that comes
 * after the timeout always starts a new record).
 *
 * Time is the packet time, clamped to never go backwards, so that a replayed
 * capture expires flows on its own timeline.
 */
#ifndef PROBE_FLOWTABLE_H
#define PROBE_FLOWTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/flow.h"

/* Timeout classes: each has its own inactive timeout. */
enum ft_class {
    FT_CLASS_OTHER = 0,
    FT_CLASS_TCP,
    FT_CLASS_TCP_END,  /* TCP flow that has seen FIN or RST */
    FT_CLASS_UDP,
    FT_CLASS_ICMP,
    FT_NCLASS
};

struct ft_timeouts {
    uint32_t active_ms;            /* longest a flow runs before a record is exported */
    uint32_t idle_ms[FT_NCLASS];   /* inactive timeout per class */
};

struct ft_entry {
    /* What a lookup reads, first: the hash and chain link, then the key. */
    uint32_t hash;         /* of the key, so lookups and removals need not rehash */
    uint32_t hnext;        /* next entry in the hash chain, or FT_NIL */
    struct fsn_flow_key key;
    uint64_t packets;
    uint64_t octets;
    uint64_t first_ms;
    uint64_t last_ms;
    uint32_t wprev, wnext; /* neighbours in the timer wheel slot */
    uint32_t cprev, cnext; /* neighbours on the creation list */
    uint32_t wslot;        /* the wheel slot the entry is in */
    uint8_t tcp_flags;
    uint8_t cls;           /* enum ft_class */
    uint8_t pad[2];
};

#define FT_NIL UINT32_MAX
#define FT_WHEEL 4096      /* one-second slots; longer timeouts take several turns */

/* Receives each flow that leaves the table; the entry is valid only during the call. */
typedef void (*ft_emit_fn)(void *arg, const struct ft_entry *e, uint8_t end_reason);

struct ft_stats {
    uint64_t created;
    uint64_t expired[8];   /* by enum fsn_end_reason */
    uint64_t active;       /* entries in the table now */
    uint64_t peak;         /* most entries at once */
};

struct ft {
    struct ft_entry *e;    /* entries [0, used) of capacity `cap` */
    uint32_t used, cap, max;
    uint32_t free_head;
    uint32_t *bucket;
    uint32_t nbucket_mask;
    uint32_t nbucket_max;  /* the hash table stops doubling here */
    uint32_t wheel[FT_WHEEL];
    uint64_t wheel_done_s; /* slots of seconds before this one have been handled */
    uint32_t chead, ctail;
    uint32_t seed;
    uint64_t now_ms;
    struct ft_timeouts to;
    ft_emit_fn emit;
    void *emit_arg;
    struct ft_stats st;
};


/* Sets up a table for at most `max_flows` entries; returns 0 or FSN_E_NOMEM. */
int ft_init(struct ft *t, uint32_t max_flows, const struct ft_timeouts *to, ft_emit_fn emit,
            void *arg);

/* Frees the table's memory (without emitting its flows: call ft_flush first). */
void ft_fini(struct ft *t);

/*
 * Accounts `packets` packets of `octets` IP-layer bytes with TCP flags
 * `tcp_flags` to the flow `k` at time `ts_ms` (Unix ms), creating the flow
 * when needed. May emit the oldest flow when the table is full, and the
 * flow itself when its timeout had passed before this packet.
 */
void ft_add(struct ft *t, const struct fsn_flow_key *k, uint64_t packets, uint64_t octets,
            uint8_t tcp_flags, uint64_t ts_ms);

/* The same, for a caller that computed the key's hash with ft_hash() (to prefetch). */
void ft_add_hashed(struct ft *t, const struct fsn_flow_key *k, uint32_t hash, uint64_t packets,
                   uint64_t octets, uint8_t tcp_flags, uint64_t ts_ms);

/*
 * Helpers for a caller that keeps a few packets in flight: hash the key,
 * prefetch its hash bucket, and some packets later the first entry of the
 * chain, so that ft_add_hashed() finds both in the cache.
 */
static inline uint32_t ft_hash(const struct ft *t, const struct fsn_flow_key *k)
{
    return fsn_flow_key_hash(k, t->seed);
}

static inline void ft_prefetch_bucket(const struct ft *t, uint32_t hash)
{
    __builtin_prefetch(&t->bucket[hash & t->nbucket_mask]);
}

static inline void ft_prefetch_entry(const struct ft *t, uint32_t hash)
{
    uint32_t i = t->bucket[hash & t->nbucket_mask];
    if (i != FT_NIL) {
        /*
         * An entry spans two or three cache lines (112 bytes, not aligned to
         * lines): a lookup reads the first 56 bytes, and an update for a
         * flow that is found reads and writes the counts, times and flags
         * after them. All of it is fetched.
         */
        const char *e = (const char *)&t->e[i];
        __builtin_prefetch(e);
        __builtin_prefetch(e + 64);
        __builtin_prefetch(e + sizeof t->e[i] - 1);
    }
}

/*
 * Emits every flow whose active timeout has passed at `now_ms`, and every
 * flow whose inactive timeout ended in a second before the current one.
 */
void ft_expire(struct ft *t, uint64_t now_ms);

/* Emits every flow with `reason` (end of capture, shutdown) and empties the table. */
void ft_flush(struct ft *t, uint8_t reason);

/* Bytes the table uses now (entries, hash buckets). */
size_t ft_memory(const struct ft *t);

/* The timeout class of a key and its TCP flags. */
uint8_t ft_class_of(const struct fsn_flow_key *k, uint8_t tcp_flags);

#endif
