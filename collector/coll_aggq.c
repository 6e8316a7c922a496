/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator thread and its ring (see coll_aggq.h).
 *
 * Memory order: the producer fills a message, then stores head + 1 with
 * release; the consumer loads head with acquire before reading the
 * message, and stores tail + 1 with release once it no longer needs it;
 * the producer loads tail with acquire before reusing the slot. Sleeping:
 * the consumer sets `sleeping`, then looks at head once more before
 * blocking on the eventfd; the producer stores head, then looks at
 * `sleeping` and writes the eventfd when it is set. These four accesses are
 * sequentially consistent (not fences, which ThreadSanitizer cannot check),
 * so one of the two always sees the other's store: no wake-up is lost.
 */
#include "collector/coll_aggq.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/*
 * A sleeping consumer is woken once this many record messages wait (or at
 * any other message): a wake-up per batch would cost the producer a system
 * call and both threads a context switch per 256 records. Records queued
 * below this wait at most until the next tick, which is behind them in the
 * ring anyway.
 */
#define WAKE_BATCHES 16
#define IDLE_WAIT_MS 1000  /* the consumer's sleep when woken by no one (a safety net) */
#define FULL_WAIT_NS 20000 /* the producer's sleep while the ring is full */

static void wake(struct coll_aggq *q, bool now)
{
    uint64_t one = 1;

    if (atomic_load_explicit(&q->sleeping, memory_order_seq_cst) &&
        (now || atomic_load_explicit(&q->head, memory_order_relaxed) -
                        atomic_load_explicit(&q->tail, memory_order_relaxed) >=
                    WAKE_BATCHES)) {
        /* A full counter (EAGAIN) still wakes the reader: nothing to do then. */
        ssize_t r = write(q->efd, &one, sizeof one);
        (void)r;
    }
}

/* Waits until the ring has room for one more message and returns its slot. */
struct coll_aggq_msg *coll_aggq__begin(struct coll_aggq *q)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed);

    if (h - q->tail_seen >= q->slots) {
        q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
        if (h - q->tail_seen >= q->slots) {
            struct timespec ts = {0, FULL_WAIT_NS};
            q->st.full_waits++;
            do {
                wake(q, true);
                nanosleep(&ts, NULL);
                q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
            } while (h - q->tail_seen >= q->slots);
        }
    }
    q->cur = &q->ring[h & (q->slots - 1)];
    return q->cur;
}

static void publish(struct coll_aggq *q)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    bool records = q->cur->type == COLL_AGGQ_RECS;

    atomic_store_explicit(&q->head, h + 1, memory_order_seq_cst);
    q->cur = NULL;
    q->cur_x = NULL;
    wake(q, !records);
}

void coll_aggq_push(struct coll_aggq *q)
{
    if (!q->cur)
        return;
    q->st.batches++;
    publish(q);
}

/* A message other than records: the open batch goes first, so that order is kept. */
static struct coll_aggq_msg *control(struct coll_aggq *q, enum coll_aggq_type type)
{
    struct coll_aggq_msg *m;

    coll_aggq_push(q);
    m = coll_aggq__begin(q);
    m->type = type;
    m->n = 0;
    m->has_x = false;
    return m;
}

void coll_aggq_exporter_stats(struct coll_aggq *q, const struct agg_exporter_id *x,
                              const struct agg_exporter_delta *d)
{
    struct coll_aggq_msg *m = control(q, COLL_AGGQ_XSTATS);

    m->has_x = x != NULL;
    if (x)
        m->x = *x;
    m->d = *d;
    publish(q);
}

void coll_aggq_tick(struct coll_aggq *q, uint64_t wall_ms, unsigned budget_ms)
{
    struct coll_aggq_msg *m = control(q, COLL_AGGQ_TICK);

    m->wall_ms = wall_ms;
    m->budget_ms = budget_ms;
    publish(q);
}

static void snapshot(struct coll_aggq *q)
{
    struct agg_stats s;

    agg_get_stats(q->agg, &s);
    pthread_mutex_lock(&q->mu);
    q->agg_st = s;
    pthread_mutex_unlock(&q->mu);
}

/* Processes one message; false when it was the last. */
static bool handle(struct coll_aggq *q, const struct coll_aggq_msg *m)
{
    switch (m->type) {
    case COLL_AGGQ_RECS:
        agg_add_batch(q->agg, m->r, m->n, m->has_x ? &m->x : NULL);
        return true;
    case COLL_AGGQ_XSTATS:
        agg_exporter_stats(q->agg, m->has_x ? &m->x : NULL, &m->d);
        return true;
    case COLL_AGGQ_TICK:
        agg_tick(q->agg, m->wall_ms, m->budget_ms);
        snapshot(q);
        return true;
    case COLL_AGGQ_FLUSH:
        agg_flush(q->agg, m->wall_ms);
        return false;
    case COLL_AGGQ_QUIT:
        return false;
    }
    return false;
}

/* Blocks until the producer publishes (or the safety timeout passes). */
static void idle(struct coll_aggq *q, uint64_t t)
{
    struct pollfd p = {.fd = q->efd, .events = POLLIN, .revents = 0};
    uint64_t v;

    atomic_store_explicit(&q->sleeping, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&q->head, memory_order_seq_cst) == t &&
        poll(&p, 1, IDLE_WAIT_MS) > 0) {
        ssize_t r = read(q->efd, &v, sizeof v);
        (void)r;
    }
    atomic_store_explicit(&q->sleeping, 0, memory_order_relaxed);
}

static void *run(void *arg)
{
    struct coll_aggq *q = arg;
    uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);

    for (;;) {
        if (atomic_load_explicit(&q->head, memory_order_acquire) == t) {
            idle(q, t);
            continue;
        }
        bool more = handle(q, &q->ring[t & (q->slots - 1)]);
        atomic_store_explicit(&q->tail, ++t, memory_order_release);
        if (!more)
            break;
    }
    return NULL;
}

struct coll_aggq *coll_aggq_new(struct agg *agg, unsigned slots, char *err, size_t errlen)
{
    struct coll_aggq *q;
    sigset_t all, old;
    int r;

    if (slots == 0)
        slots = COLL_AGGQ_SLOTS;
    if (slots & (slots - 1)) {
        snprintf(err, errlen, "aggregator queue: %u slots is not a power of two", slots);
        return NULL;
    }
    if (posix_memalign((void **)&q, 64, sizeof *q) != 0) {
        snprintf(err, errlen, "out of memory for the aggregator queue");
        return NULL;
    }
    memset(q, 0, sizeof *q);
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    atomic_init(&q->sleeping, 0);
    q->agg = agg;
    q->slots = slots;
    q->efd = -1;
    if (posix_memalign((void **)&q->ring, 64, slots * sizeof *q->ring) != 0) {
        q->ring = NULL;
        snprintf(err, errlen, "out of memory for the aggregator queue");
        goto fail;
    }
    if ((q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    pthread_mutex_init(&q->mu, NULL);
    agg_get_stats(agg, &q->agg_st);
    /* Signals are the receive thread's: the aggregator thread blocks them all. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r = pthread_create(&q->thread, NULL, run, q);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        snprintf(err, errlen, "starting the aggregator thread: %s", strerror(r));
        pthread_mutex_destroy(&q->mu);
        goto fail;
    }
    q->running = true;
    return q;
fail:
    if (q->efd >= 0)
        close(q->efd);
    free(q->ring);
    free(q);
    return NULL;
}

void coll_aggq_stop(struct coll_aggq *q, bool flush, uint64_t wall_ms)
{
    struct coll_aggq_msg *m;

    if (!q->running)
        return;
    m = control(q, flush ? COLL_AGGQ_FLUSH : COLL_AGGQ_QUIT);
    m->wall_ms = wall_ms;
    publish(q);
    pthread_join(q->thread, NULL);
    q->running = false;
}

void coll_aggq_agg_stats(struct coll_aggq *q, struct agg_stats *out)
{
    if (!q->running) {
        agg_get_stats(q->agg, out);
        return;
    }
    pthread_mutex_lock(&q->mu);
    *out = q->agg_st;
    pthread_mutex_unlock(&q->mu);
}

struct agg *coll_aggq_agg(struct coll_aggq *q)
{
    return q->running ? NULL : q->agg;
}

void coll_aggq_free(struct coll_aggq *q)
{
    if (!q)
        return;
    coll_aggq_stop(q, false, 0);
    agg_free(q->agg);
    pthread_mutex_destroy(&q->mu);
    close(q->efd);
    free(q->ring);
    free(q);
}
