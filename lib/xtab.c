/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bounded cross table (lib/xtab.h): an open-addressing index from
 * (row, col) to a cell, the cells of each row in a list (so that a row's
 * cells can be found without a scan of the table), and a free list.
 */
#include "lib/xtab.h"

#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

/* The same hash as fsn_xtab_slot() (lib/xtab.h). */
static uint32_t key_hash(uint32_t row, uint32_t col)
{
    uint64_t h = ((uint64_t)row << 32 | col) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32);
}

int fsn_xtab_init(struct fsn_xtab *t, uint32_t nrows, uint32_t cap, uint32_t per_row,
                  fsn_xtab_evict_fn evict, void *evict_arg)
{
    size_t hsize = 1;

    memset(t, 0, sizeof *t);
    if (cap >= FSN_XTAB_NONE || nrows >= FSN_XTAB_NONE)
        return FSN_E_RANGE;
    t->nrows = nrows;
    t->cap = cap;
    t->per_row = per_row;
    t->evict = evict;
    t->evict_arg = evict_arg;
    /* At most half full, so that probes stay short. */
    while (hsize < 2 * (size_t)cap + 2)
        hsize <<= 1;
    t->mask = hsize - 1;
    t->cells = calloc(cap ? cap : 1, sizeof *t->cells);
    t->head = malloc((nrows ? nrows : 1) * sizeof *t->head);
    t->count = calloc(nrows ? nrows : 1, sizeof *t->count);
    t->idx = calloc(hsize, sizeof *t->idx);
    t->free_cells = malloc((cap ? cap : 1) * sizeof *t->free_cells);
    if (!t->cells || !t->head || !t->count || !t->idx || !t->free_cells) {
        fsn_xtab_fini(t);
        return FSN_E_NOMEM;
    }
    for (uint32_t r = 0; r < nrows; r++)
        t->head[r] = FSN_XTAB_NONE;
    for (uint32_t i = 0; i < cap; i++)
        t->free_cells[i] = cap - 1 - i; /* cell 0 first */
    t->nfree = cap;
    return 0;
}

void fsn_xtab_fini(struct fsn_xtab *t)
{
    free(t->cells);
    free(t->head);
    free(t->count);
    free(t->idx);
    free(t->free_cells);
    memset(t, 0, sizeof *t);
}

uint32_t fsn_xtab_find(const struct fsn_xtab *t, uint32_t row, uint32_t col)
{
    uint32_t h = key_hash(row, col);

    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint64_t v = t->idx[i];
        if (v == 0)
            return FSN_XTAB_NONE;
        if ((uint32_t)(v >> 32) != h)
            continue;
        uint32_t c = (uint32_t)v - 1;
        if (t->cells[c].row == row && t->cells[c].col == col)
            return c;
    }
}

static void index_insert(struct fsn_xtab *t, uint32_t c)
{
    uint32_t h = key_hash(t->cells[c].row, t->cells[c].col);
    size_t i = h & t->mask;

    while (t->idx[i] != 0)
        i = (i + 1) & t->mask;
    t->idx[i] = (uint64_t)h << 32 | (c + 1);
}

/* Linear probing: delete by shifting back the entries that follow. */
static void index_remove(struct fsn_xtab *t, uint32_t c)
{
    size_t i = key_hash(t->cells[c].row, t->cells[c].col) & t->mask;

    while ((uint32_t)t->idx[i] != c + 1)
        i = (i + 1) & t->mask;
    t->idx[i] = 0;
    for (size_t j = (i + 1) & t->mask; t->idx[j] != 0; j = (j + 1) & t->mask) {
        size_t home = (size_t)(t->idx[j] >> 32) & t->mask;
        /* Move entry j to the hole i when its home is not in (i, j] cyclically. */
        bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            t->idx[i] = t->idx[j];
            t->idx[j] = 0;
            i = j;
        }
    }
}

void fsn_xtab_remove(struct fsn_xtab *t, uint32_t c)
{
    struct fsn_xtab_cell *x = &t->cells[c];

    if (!x->in_use)
        return;
    index_remove(t, c);
    if (x->prev != FSN_XTAB_NONE)
        t->cells[x->prev].next = x->next;
    else
        t->head[x->row] = x->next;
    if (x->next != FSN_XTAB_NONE)
        t->cells[x->next].prev = x->prev;
    t->count[x->row]--;
    x->in_use = false;
    t->free_cells[t->nfree++] = c;
    t->nused--;
}

static uint32_t create(struct fsn_xtab *t, uint32_t row, uint32_t col, uint64_t now)
{
    uint32_t c = t->free_cells[--t->nfree];
    struct fsn_xtab_cell *x = &t->cells[c];

    x->row = row;
    x->col = col;
    x->last = now;
    x->in_use = true;
    x->prev = FSN_XTAB_NONE;
    x->next = t->head[row];
    if (x->next != FSN_XTAB_NONE)
        t->cells[x->next].prev = c;
    t->head[row] = c;
    t->count[row]++;
    t->nused++;
    index_insert(t, c);
    t->stats.created++;
    return c;
}

static void evict(struct fsn_xtab *t, uint32_t c)
{
    if (t->evict)
        t->evict(t->evict_arg, c);
    fsn_xtab_remove(t, c);
    t->stats.evicted++;
}

static bool idle_since(const struct fsn_xtab_cell *x, uint64_t now, uint64_t idle)
{
    return x->last + idle <= now;
}

/* The row's least recently used cell, when it has been idle long enough. */
static uint32_t row_victim(const struct fsn_xtab *t, uint32_t row, uint64_t now, uint64_t idle)
{
    uint32_t best = FSN_XTAB_NONE;

    for (uint32_t c = t->head[row]; c != FSN_XTAB_NONE; c = t->cells[c].next)
        if (best == FSN_XTAB_NONE || t->cells[c].last < t->cells[best].last)
            best = c;
    return best != FSN_XTAB_NONE && idle_since(&t->cells[best], now, idle) ? best
                                                                          : FSN_XTAB_NONE;
}

/* An idle cell of a full table: a sweep of at most FSN_XTAB_SWEEP cells from the hand. */
static uint32_t table_victim(struct fsn_xtab *t, uint64_t now, uint64_t idle)
{
    for (unsigned n = 0; n < FSN_XTAB_SWEEP && n < t->cap; n++) {
        uint32_t c = t->hand;
        t->hand = t->hand + 1 == t->cap ? 0 : t->hand + 1;
        if (t->cells[c].in_use && idle_since(&t->cells[c], now, idle))
            return c;
    }
    return FSN_XTAB_NONE;
}

uint32_t fsn_xtab_add(struct fsn_xtab *t, uint32_t row, uint32_t col, uint64_t now)
{
    uint32_t c = fsn_xtab_find(t, row, col);

    if (c != FSN_XTAB_NONE)
        return c;
    if (row >= t->nrows || t->nfree == 0 || (t->per_row && t->count[row] >= t->per_row))
        return FSN_XTAB_NONE;
    return create(t, row, col, now);
}

uint32_t fsn_xtab_get(struct fsn_xtab *t, uint32_t row, uint32_t col, uint64_t now,
                      uint64_t idle)
{
    uint32_t c = fsn_xtab_find(t, row, col);

    if (c != FSN_XTAB_NONE) {
        if (now > t->cells[c].last)
            t->cells[c].last = now;
        return c;
    }
    if (row >= t->nrows)
        return FSN_XTAB_NONE;
    if (t->per_row && t->count[row] >= t->per_row) {
        uint32_t v = t->evict ? row_victim(t, row, now, idle) : FSN_XTAB_NONE;
        if (v == FSN_XTAB_NONE) {
            t->stats.row_full++;
            return FSN_XTAB_NONE;
        }
        evict(t, v);
    } else if (t->nfree == 0) {
        uint32_t v = t->evict ? table_victim(t, now, idle) : FSN_XTAB_NONE;
        if (v == FSN_XTAB_NONE) {
            t->stats.table_full++;
            return FSN_XTAB_NONE;
        }
        evict(t, v);
    }
    return create(t, row, col, now);
}
