/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A bounded cross table: cells keyed by two small integers, a row (a host
 * slot, an interface slot, ...) and a column (a service, a host, ...). The
 * table hands out cell numbers below its capacity; what the caller keeps
 * per cell (counters) lives in the caller's arrays, indexed by them.
 *
 * Two bounds: at most `per_row` cells in one row and `cap` in all. When a
 * new cell would exceed a bound, a cell that has been idle for at least
 * the caller's idle time gives way (in the full row: its least recently
 * used cell; in a full table: the first idle cell a bounded sweep finds);
 * the caller is told first, through the eviction callback, so that it can
 * move the cell's counts to its "other" cells. When nothing may give way,
 * the lookup fails and the caller counts the record in "other" (the
 * counters of struct fsn_xtab_stats say how often).
 *
 * The time is the caller's (flow time in the aggregator): every lookup
 * stamps the cell. Pure: no clocks, no I/O. One thread owns a table.
 * The caller owns the struct; fsn_xtab_fini() frees what init allocated.
 */
#ifndef FSN_XTAB_H
#define FSN_XTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSN_XTAB_NONE UINT32_MAX
#define FSN_XTAB_SWEEP 64 /* cells a full table examines for an idle one, per new cell */

struct fsn_xtab_cell {
    uint32_t row, col;
    uint32_t next, prev; /* the row's cells, a doubly linked list (FSN_XTAB_NONE ends) */
    uint64_t last;       /* time of the last lookup */
    bool in_use;
};

struct fsn_xtab_stats {
    uint64_t created;
    uint64_t evicted;    /* idle cells that gave way */
    uint64_t row_full;   /* lookups that failed: the row at per_row, nothing idle */
    uint64_t table_full; /* lookups that failed: the table at cap, nothing idle found */
};

/* Called with a cell about to be removed to make room (its row and column still set). */
typedef void (*fsn_xtab_evict_fn)(void *arg, uint32_t cell);

struct fsn_xtab {
    uint32_t nrows, cap, per_row;
    struct fsn_xtab_cell *cells; /* cap */
    uint32_t *head, *count;      /* per row: first cell, cells in use */
    uint64_t *idx;               /* open addressing: hash << 32 | (cell + 1), 0 empty */
    size_t mask;
    uint32_t *free_cells, nfree, nused;
    uint32_t hand;               /* where the next sweep of a full table starts */
    fsn_xtab_evict_fn evict;
    void *evict_arg;
    struct fsn_xtab_stats stats;
};

/*
 * Sets up a table of `nrows` rows (row numbers below it), at most `cap`
 * cells, at most `per_row` in one row (0: no bound per row). `evict` may
 * be NULL (then nothing is ever evicted). Returns 0 or FSN_E_NOMEM /
 * FSN_E_RANGE.
 */
int fsn_xtab_init(struct fsn_xtab *t, uint32_t nrows, uint32_t cap, uint32_t per_row,
                  fsn_xtab_evict_fn evict, void *evict_arg);

/* Frees what init allocated; a zeroed struct is fine. */
void fsn_xtab_fini(struct fsn_xtab *t);

/* The cell of (row, col), or FSN_XTAB_NONE. */
uint32_t fsn_xtab_find(const struct fsn_xtab *t, uint32_t row, uint32_t col);

/*
 * The cell of (row, col), created when it does not exist and a bound
 * allows it, or when a cell idle since `now - idle` or earlier gives way
 * (evict callback first). Stamps the cell with `now`. FSN_XTAB_NONE when
 * there is no room (counted in stats).
 */
uint32_t fsn_xtab_get(struct fsn_xtab *t, uint32_t row, uint32_t col, uint64_t now,
                      uint64_t idle);

/*
 * Creates (row, col) if there is room, without evicting anything (loading
 * saved cells); returns the cell (an existing one too) or FSN_XTAB_NONE.
 */
uint32_t fsn_xtab_add(struct fsn_xtab *t, uint32_t row, uint32_t col, uint64_t now);

/* Removes one cell (no callback). */
void fsn_xtab_remove(struct fsn_xtab *t, uint32_t cell);

/* The index slot where (row, col) is looked up first (for fsn_xtab_prefetch). */
static inline const uint64_t *fsn_xtab_slot(const struct fsn_xtab *t, uint32_t row, uint32_t col)
{
    uint64_t h = ((uint64_t)row << 32 | col) * 0x9e3779b97f4a7c15ull;
    return &t->idx[(size_t)(h >> 32) & t->mask];
}

/* Starts loading what a lookup of (row, col) reads first, to look it up a little later. */
static inline void fsn_xtab_prefetch(const struct fsn_xtab *t, uint32_t row, uint32_t col)
{
    __builtin_prefetch(fsn_xtab_slot(t, row, col));
}

/* The first cell of a row, and the next one (FSN_XTAB_NONE at the end). */
static inline uint32_t fsn_xtab_first(const struct fsn_xtab *t, uint32_t row)
{
    return t->head[row];
}

static inline uint32_t fsn_xtab_next(const struct fsn_xtab *t, uint32_t cell)
{
    return t->cells[cell].next;
}

#endif
