/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator's thread and the queue that feeds it. The receive thread
 * (the producer) decodes and writes flow files; it hands each record, in
 * compact form and in batches, through a bounded single-producer,
 * single-consumer ring to the aggregator thread, which owns the struct agg
 * entirely from coll_aggq_start() to coll_aggq_stop(): counting, exporter
 * counters, ticks (step closing, RRD writes, state-file publishing) and the
 * final flush. Everything the collector tells the aggregator goes through
 * the same ring, so the aggregator sees it in the order it happened.
 *
 * Nothing is dropped: when the ring is full the producer waits (counted in
 * full_waits). No locks on the record path: head and tail are C11 atomics;
 * an idle aggregator thread sleeps on an eventfd that the producer writes
 * only when the thread said it was going to sleep.
 */
#ifndef COLL_AGGQ_H
#define COLL_AGGQ_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rrd/agg.h"

#define COLL_AGGQ_BATCH 256 /* records per message */
#define COLL_AGGQ_SLOTS 512 /* messages in the ring by default: 131,072 records */

enum coll_aggq_type {
    COLL_AGGQ_RECS,   /* n records of exporter x */
    COLL_AGGQ_XSTATS, /* agg_exporter_stats(x or NULL, d) */
    COLL_AGGQ_TICK,   /* agg_tick(wall_ms, budget_ms) */
    COLL_AGGQ_FLUSH,  /* agg_flush(wall_ms), then the thread ends */
    COLL_AGGQ_QUIT,   /* the thread ends without flushing */
};

/* One message of the ring; written by the producer, read by the aggregator thread. */
struct coll_aggq_msg {
    enum coll_aggq_type type;
    bool has_x;
    uint32_t n;
    struct agg_exporter_id x;
    struct agg_exporter_delta d;
    uint64_t wall_ms;
    unsigned budget_ms;
    struct agg_rec r[COLL_AGGQ_BATCH];
};

/* The queue's own counters (read by the producer's thread). */
struct coll_aggq_stats {
    uint64_t batches;    /* record messages sent */
    uint64_t full_waits; /* times the producer found the ring full and waited */
};

/*
 * The queue and the thread. Allocated by coll_aggq_new, freed by
 * coll_aggq_free; the producer's functions are called from one thread only.
 */
struct coll_aggq {
    /* Producer's side. */
    _Alignas(64) _Atomic uint64_t head; /* messages published */
    uint64_t tail_seen;                 /* the consumer's tail, last read */
    struct coll_aggq_msg *cur;          /* the record batch being filled, or NULL */
    const struct agg_exporter_id *cur_x; /* its exporter as the producer passed it */
    struct coll_aggq_stats st;
    /* Consumer's side. */
    _Alignas(64) _Atomic uint64_t tail; /* messages processed */
    _Atomic int sleeping;               /* the consumer waits on efd */
    /* Shared, set up before the thread starts. */
    _Alignas(64) struct agg *agg; /* the aggregator thread's while it runs */
    struct coll_aggq_msg *ring;
    uint64_t slots; /* messages in the ring, a power of two */
    int efd;
    pthread_t thread;
    bool running;
    /* The aggregator's counters as of its last tick, for the producer's logs. */
    pthread_mutex_t mu;
    struct agg_stats agg_st;
};

/*
 * Allocates a ring of `slots` messages (a power of two; 0: COLL_AGGQ_SLOTS)
 * and starts the aggregator thread, which owns `agg` until coll_aggq_stop().
 * Returns NULL with a message in err (agg stays the caller's then).
 */
struct coll_aggq *coll_aggq_new(struct agg *agg, unsigned slots, char *err, size_t errlen);

/*
 * The slot for the next record of exporter x (its id must stay unchanged
 * until the next coll_aggq_push or other message); the caller fills it.
 * Waits while the ring is full.
 */
static inline struct agg_rec *coll_aggq_rec(struct coll_aggq *q, const struct agg_exporter_id *x);

/* Publishes the record batch being filled, if any (e.g. after each receive batch). */
void coll_aggq_push(struct coll_aggq *q);

/* Sends agg_exporter_stats(x, d) (x NULL: the global counters only); x and d are copied. */
void coll_aggq_exporter_stats(struct coll_aggq *q, const struct agg_exporter_id *x,
                              const struct agg_exporter_delta *d);

/* Sends agg_tick(wall_ms, budget_ms). */
void coll_aggq_tick(struct coll_aggq *q, uint64_t wall_ms, unsigned budget_ms);

/*
 * Sends the last message (agg_flush(wall_ms) when `flush`) and waits for
 * the thread to end, after which the caller owns the aggregator again
 * (coll_aggq_agg). Idempotent.
 */
void coll_aggq_stop(struct coll_aggq *q, bool flush, uint64_t wall_ms);

/* The aggregator's counters: as of its last tick while the thread runs, current after. */
void coll_aggq_agg_stats(struct coll_aggq *q, struct agg_stats *out);

/* The aggregator, for the caller once the thread has stopped (NULL before). */
struct agg *coll_aggq_agg(struct coll_aggq *q);

/* Stops the thread without flushing if it still runs, frees the queue and the aggregator. */
void coll_aggq_free(struct coll_aggq *q);

/* ---- inline record path ---- */

struct coll_aggq_msg *coll_aggq__begin(struct coll_aggq *q);

static inline struct agg_rec *coll_aggq_rec(struct coll_aggq *q, const struct agg_exporter_id *x)
{
    struct coll_aggq_msg *m = q->cur;

    if (!m || q->cur_x != x || m->n == COLL_AGGQ_BATCH) {
        if (m)
            coll_aggq_push(q);
        m = coll_aggq__begin(q);
        m->type = COLL_AGGQ_RECS;
        m->n = 0;
        m->has_x = x != NULL;
        if (x)
            m->x = *x;
        q->cur_x = x;
    }
    /*
     * The slots were last read by the aggregator thread, on another core:
     * claim them for writing a few records ahead.
     */
    if (m->n + 4 < COLL_AGGQ_BATCH)
        __builtin_prefetch(&m->r[m->n + 4], 1);
    return &m->r[m->n++];
}

#endif
