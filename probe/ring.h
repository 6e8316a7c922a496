/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A bounded single-producer, single-consumer ring of fixed-size slots,
 * for handing batches of work from one thread to another in order.
 *
 * The producer fills a free slot and publishes it; the consumer takes the
 * oldest published slot and releases it when done. Two counting semaphores
 * (free slots, published slots) carry the hand-over: in the common case
 * each is one atomic operation, and a side only sleeps in the kernel when
 * the ring is full (producer) or empty (consumer). The semaphore operations
 * also order memory, so what the producer wrote into a slot before
 * publishing it is what the consumer reads. Each index is touched by one
 * side only, so there are no other shared variables and no locks.
 */
#ifndef PROBE_RING_H
#define PROBE_RING_H

#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>

struct ring {
    unsigned char *mem;    /* nslot slots of slot_size bytes */
    size_t slot_size;
    uint32_t nslot;
    uint32_t prod;         /* producer only: the next slot to fill */
    uint32_t cons;         /* consumer only: the next slot to take */
    sem_t free_slots;
    sem_t full_slots;
};

/*
 * Sets up a ring of `nslot` slots of `slot_size` bytes each (zeroed, aligned
 * to 64 bytes); the ring owns that memory. Returns 0 or FSN_E_NOMEM.
 */
int ring_init(struct ring *r, uint32_t nslot, size_t slot_size);

/* Frees the slots; no thread may use the ring any more. */
void ring_fini(struct ring *r);

/* Producer: waits for a free slot and returns it, for the producer to fill. */
void *ring_acquire(struct ring *r);

/* Producer: hands the slot from the last ring_acquire() to the consumer. */
void ring_publish(struct ring *r);

/* Consumer: waits for the oldest published slot and returns it. */
void *ring_take(struct ring *r);

/* Consumer: gives the slot from the last ring_take() back to the producer. */
void ring_release(struct ring *r);

#endif
