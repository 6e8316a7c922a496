/* SPDX-License-Identifier: BSD-2-Clause */
#include "probe/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

int ring_init(struct ring *r, uint32_t nslot, size_t slot_size)
{
    memset(r, 0, sizeof *r);
    if (nslot == 0 || slot_size == 0)
        return FSN_E_RANGE;
    /* Slots start on cache lines, so neighbouring slots never share one. */
    r->slot_size = (slot_size + 63) & ~(size_t)63;
    r->nslot = nslot;
    r->mem = aligned_alloc(64, r->slot_size * nslot);
    if (!r->mem)
        return FSN_E_NOMEM;
    memset(r->mem, 0, r->slot_size * nslot);
    if (sem_init(&r->free_slots, 0, nslot) != 0) {
        free(r->mem);
        r->mem = NULL;
        return FSN_E_NOMEM;
    }
    if (sem_init(&r->full_slots, 0, 0) != 0) {
        sem_destroy(&r->free_slots);
        free(r->mem);
        r->mem = NULL;
        return FSN_E_NOMEM;
    }
    return 0;
}

void ring_fini(struct ring *r)
{
    if (!r->mem)
        return;
    sem_destroy(&r->free_slots);
    sem_destroy(&r->full_slots);
    free(r->mem);
    r->mem = NULL;
}

/* sem_wait() returns early when a signal handler runs; the wait goes on. */
static void wait_sem(sem_t *s)
{
    while (sem_wait(s) != 0 && errno == EINTR)
        ;
}

void *ring_acquire(struct ring *r)
{
    wait_sem(&r->free_slots);
    return r->mem + (size_t)r->prod * r->slot_size;
}

void ring_publish(struct ring *r)
{
    r->prod = r->prod + 1 == r->nslot ? 0 : r->prod + 1;
    sem_post(&r->full_slots);
}

void *ring_take(struct ring *r)
{
    wait_sem(&r->full_slots);
    return r->mem + (size_t)r->cons * r->slot_size;
}

void ring_release(struct ring *r)
{
    r->cons = r->cons + 1 == r->nslot ? 0 : r->cons + 1;
    sem_post(&r->free_slots);
}
