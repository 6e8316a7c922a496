/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the probe's reader -> metering ring (probe/ring.c): a
 * producer thread fills slots with a known sequence, the consumer checks
 * that every slot arrives, in order, with the contents it was given.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/error.h"
#include "probe/ring.h"
#include "tests/tap.h"

#define SLOT_WORDS 100   /* 800-byte slots: not a multiple of the 64-byte alignment */
#define NSLOTS 50000

struct slot {
    uint64_t seq;
    uint64_t words[SLOT_WORDS];
    int last;
};

struct run {
    struct ring r;
    uint32_t slow_every; /* the producer pauses now and then, so the consumer waits too */
};

static void *producer(void *arg)
{
    struct run *run = arg;

    for (uint64_t i = 0; i < NSLOTS; i++) {
        struct slot *s = ring_acquire(&run->r);
        s->seq = i;
        for (int w = 0; w < SLOT_WORDS; w++)
            s->words[w] = i * 1000003u + (uint64_t)w;
        s->last = i + 1 == NSLOTS;
        ring_publish(&run->r);
        if (run->slow_every && i % run->slow_every == 0)
            sched_yield();
    }
    return NULL;
}

/* Takes every slot; returns the number that came out of order or with wrong contents. */
static uint64_t consume(struct run *run, uint64_t *taken, uint32_t slow_every)
{
    uint64_t bad = 0, n = 0;
    int last;

    do {
        const struct slot *s = ring_take(&run->r);
        if (s->seq != n)
            bad++;
        for (int w = 0; w < SLOT_WORDS; w++)
            if (s->words[w] != s->seq * 1000003u + (uint64_t)w)
                bad++;
        last = s->last;
        ring_release(&run->r);
        n++;
        if (slow_every && n % slow_every == 0)
            sched_yield();
    } while (!last && n < 2 * NSLOTS);
    *taken = n;
    return bad;
}

static void one_run(uint32_t nslot, uint32_t prod_slow, uint32_t cons_slow, const char *what)
{
    struct run run = {.slow_every = prod_slow};
    pthread_t t;
    uint64_t taken = 0, bad;

    ok(ring_init(&run.r, nslot, sizeof(struct slot)) == 0, "%s: ring of %u slots", what, nslot);
    ok(((uintptr_t)run.r.mem & 63) == 0 && run.r.slot_size % 64 == 0,
       "%s: slots start on cache lines", what);
    ok(pthread_create(&t, NULL, producer, &run) == 0, "%s: producer started", what);
    bad = consume(&run, &taken, cons_slow);
    pthread_join(t, NULL);
    is_int(taken, NSLOTS, "%s: every slot arrived", what);
    is_int(bad, 0, "%s: in order, with the contents written", what);
    ring_fini(&run.r);
}

int main(void)
{
    struct ring r;

    one_run(8, 0, 0, "both at full speed");
    one_run(2, 0, 97, "slow consumer, small ring");
    one_run(16, 89, 0, "slow producer");
    one_run(1, 0, 0, "one slot");
    ok(ring_init(&r, 0, 64) == FSN_E_RANGE, "zero slots refused");
    ok(ring_init(&r, 4, 0) == FSN_E_RANGE, "zero-sized slots refused");
    return tap_done();
}
