/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bounded cross table (lib/xtab.h): lookups and creation, both bounds,
 * eviction of idle cells only (row LRU, table sweep), the callback before
 * a cell goes, removal, the row lists; and a random run checked against a
 * plain model (every (row, col) -> cell mapping, counts per row).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xtab.h"
#include "tests/tap.h"
#include "tests/xorshift.h"

struct seen {
    uint32_t n;
    uint32_t cells[64];
    uint32_t rows[64], cols[64];
    struct fsn_xtab *t;
};

static void on_evict(void *arg, uint32_t c)
{
    struct seen *s = arg;
    if (s->n < 64) {
        s->cells[s->n] = c;
        s->rows[s->n] = s->t->cells[c].row;
        s->cols[s->n] = s->t->cells[c].col;
    }
    s->n++;
}

static uint32_t row_len(const struct fsn_xtab *t, uint32_t row)
{
    uint32_t n = 0;
    for (uint32_t c = fsn_xtab_first(t, row); c != FSN_XTAB_NONE; c = fsn_xtab_next(t, c))
        n++;
    return n;
}

static void test_basic(void)
{
    struct fsn_xtab t;
    struct seen s = {0};

    is_int(fsn_xtab_init(&t, 4, 6, 3, on_evict, &s), 0, "init");
    s.t = &t;
    uint32_t a = fsn_xtab_get(&t, 0, 7, 100, 50);
    uint32_t b = fsn_xtab_get(&t, 0, 8, 100, 50);
    ok(a != FSN_XTAB_NONE && b != FSN_XTAB_NONE && a != b, "two cells in row 0");
    is_uint(fsn_xtab_get(&t, 0, 7, 110, 50), a, "same key, same cell");
    is_uint(fsn_xtab_find(&t, 0, 8), b, "find");
    is_uint(fsn_xtab_find(&t, 1, 8), FSN_XTAB_NONE, "other row: not there");
    is_uint(t.cells[a].last, 110, "lookup stamps the cell");
    ok(fsn_xtab_get(&t, 0, 9, 120, 50) != FSN_XTAB_NONE, "third cell of row 0");
    /* Row 0 is at per_row = 3; every cell was used within the idle time. */
    is_uint(fsn_xtab_get(&t, 0, 10, 130, 50), FSN_XTAB_NONE, "row full, nothing idle");
    is_uint(t.stats.row_full, 1, "row_full counted");
    is_uint(s.n, 0, "no eviction");
    /* At 161, cell (0,8) (last 100) is idle for 61 >= 50; (0,7) last 110: 51 also idle, but 8 is older. */
    uint32_t c = fsn_xtab_get(&t, 0, 10, 161, 50);
    ok(c != FSN_XTAB_NONE, "row full, least recently used idle cell gives way");
    is_uint(s.n, 1, "callback once");
    is_uint(s.cols[0], 8, "the least recently used cell went");
    is_uint(fsn_xtab_find(&t, 0, 8), FSN_XTAB_NONE, "evicted cell is gone");
    is_uint(row_len(&t, 0), 3, "row list has 3 cells");
    is_uint(t.count[0], 3, "row count 3");
    /* Fill the table: 3 in row 0, 3 more in rows 1 and 2. */
    ok(fsn_xtab_get(&t, 1, 1, 200, 50) != FSN_XTAB_NONE, "row 1 cell");
    ok(fsn_xtab_get(&t, 1, 2, 200, 50) != FSN_XTAB_NONE, "row 1 cell 2");
    ok(fsn_xtab_get(&t, 2, 1, 200, 50) != FSN_XTAB_NONE, "row 2 cell");
    is_uint(t.nused, 6, "table full");
    /* Row 3 is empty but the table is full; every cell used at 200 or later. */
    fsn_xtab_get(&t, 0, 7, 200, 50);
    fsn_xtab_get(&t, 0, 9, 230, 50);
    fsn_xtab_get(&t, 0, 10, 230, 50);
    s.n = 0;
    is_uint(fsn_xtab_get(&t, 3, 5, 205, 50), FSN_XTAB_NONE, "table full, nothing idle yet");
    is_uint(t.stats.table_full, 1, "table_full counted");
    c = fsn_xtab_get(&t, 3, 5, 251, 50);
    ok(c != FSN_XTAB_NONE, "table full, an idle cell gives way");
    is_uint(s.n, 1, "callback once");
    ok(s.rows[0] != 0 || s.cols[0] == 7, "the idle cell was one last used at 200");
    is_uint(t.nused, 6, "still 6 in use");
    is_uint(row_len(&t, 0), 2, "row 0 has 2 left");
    /* Removal and re-creation. */
    fsn_xtab_remove(&t, c);
    is_uint(fsn_xtab_find(&t, 3, 5), FSN_XTAB_NONE, "removed");
    is_uint(row_len(&t, 3), 0, "row 3 empty");
    is_uint(fsn_xtab_add(&t, 3, 6, 300), c, "add takes the freed cell");
    is_uint(fsn_xtab_add(&t, 3, 7, 300), FSN_XTAB_NONE, "add never evicts");
    is_uint(fsn_xtab_get(&t, 9, 1, 300, 50), FSN_XTAB_NONE, "row out of range");
    fsn_xtab_fini(&t);
}

static void test_no_evict(void)
{
    struct fsn_xtab t;

    is_int(fsn_xtab_init(&t, 2, 2, 0, NULL, NULL), 0, "init without callback, no row bound");
    ok(fsn_xtab_get(&t, 0, 1, 0, 0) != FSN_XTAB_NONE, "cell 1");
    ok(fsn_xtab_get(&t, 0, 2, 0, 0) != FSN_XTAB_NONE, "cell 2");
    is_uint(fsn_xtab_get(&t, 1, 1, 1000000, 0), FSN_XTAB_NONE, "without a callback, never evicts");
    fsn_xtab_fini(&t);
}

/* Random operations against a model: key -> cell, and per-row counts. */
static void test_model(void)
{
    enum { ROWS = 20, COLS = 30, CAP = 150, PER = 12 };
    static uint32_t model[ROWS][COLS];
    struct fsn_xtab t;
    struct seen s = {0};
    uint64_t rng = 12345;
    bool good = true;
    uint64_t now = 0;

    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++)
            model[r][c] = FSN_XTAB_NONE;
    fsn_xtab_init(&t, ROWS, CAP, PER, on_evict, &s);
    s.t = &t;
    for (int i = 0; i < 200000 && good; i++) {
        uint32_t r = (uint32_t)(xorshift64(&rng) % ROWS), c = (uint32_t)(xorshift64(&rng) % COLS);
        uint32_t op = (uint32_t)(xorshift64(&rng) % 10);
        now += xorshift64(&rng) % 3;
        if (op == 0) {
            if (model[r][c] != FSN_XTAB_NONE) {
                fsn_xtab_remove(&t, model[r][c]);
                model[r][c] = FSN_XTAB_NONE;
            }
            continue;
        }
        s.n = 0;
        uint32_t got = fsn_xtab_get(&t, r, c, now, 200);
        if (s.n > 1)
            good = false;
        if (s.n == 1)
            model[s.rows[0]][s.cols[0]] = FSN_XTAB_NONE;
        if (model[r][c] != FSN_XTAB_NONE && got != model[r][c])
            good = false;
        if (got != FSN_XTAB_NONE)
            model[r][c] = got;
    }
    ok(good, "200000 random operations agree with the model");
    uint32_t total = 0;
    good = true;
    for (uint32_t r = 0; r < ROWS; r++) {
        uint32_t n = 0;
        for (uint32_t c = 0; c < COLS; c++)
            if (model[r][c] != FSN_XTAB_NONE) {
                n++;
                good &= fsn_xtab_find(&t, r, c) == model[r][c];
            }
        good &= n == t.count[r] && n == row_len(&t, r) && n <= PER;
        total += n;
    }
    ok(good, "every cell found, row counts and lists agree, per-row bound held");
    is_uint(total, t.nused, "cells in use agree");
    ok(t.nused <= CAP, "table bound held");
    ok(t.stats.evicted > 0 && t.stats.row_full + t.stats.table_full > 0,
       "the run reached both eviction and refusal");
    fsn_xtab_fini(&t);
}

int main(void)
{
    test_basic();
    test_no_evict();
    test_model();
    return tap_done();
}
