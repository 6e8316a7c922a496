/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals shared by the aggregator's files (rrd/agg*.c): the RRD writer,
 * the state file, and address helpers. Not for other components.
 */
#ifndef FSN_RRD_AGG_INT_H
#define FSN_RRD_AGG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/addr.h"
#include "lib/state.h"

/* ---- RRD writer (agg_rrd.c) ---- */

/* Data source names, in counter order; those of a hosts x services cell (provides, uses). */
extern const char *const agg__ds_names[6];
extern const char *const agg__hs_ds_names[12];

/*
 * One writer: librrd directly, or rrdcached when `daemon` is non-empty.
 * Owns its connection state; one per aggregator.
 */
struct agg_rrdw {
    char daemon[1024];
    bool cached;
    bool connected;
    uint64_t retry_at_ms;   /* no daemon calls before this (after a failure) */
    char err[512];          /* last error text */
};

void agg__rrdw_init(struct agg_rrdw *w, const char *daemon);
void agg__rrdw_fini(struct agg_rrdw *w);

/* True when the writer may talk to its backend now (connects when needed). */
bool agg__rrdw_ready(struct agg_rrdw *w, uint64_t now_ms);

/*
 * Last update time of an RRD file: returns 1 and sets *last when it exists,
 * 0 when it does not, -1 on another error (daemon gone: then the writer
 * backs off until retry_at_ms).
 */
int agg__rrdw_last(struct agg_rrdw *w, const char *path, uint64_t now_ms, time_t *last);

/* Creates an RRD file (its directory too) with the `nds` data sources `ds` and our RRAs; 0 or -1. */
int agg__rrdw_create(struct agg_rrdw *w, const char *path, unsigned long step, time_t start,
                     int nds, const char *const *ds, uint64_t now_ms);

/* Writes `n` update strings ("T:v:v:v:v:v:v") in time order; 0 or -1. */
int agg__rrdw_update(struct agg_rrdw *w, const char *path, int n, const char **vals,
                     uint64_t now_ms);

/* Builds the RRA definitions for a step (MRTG's four resolutions, AVERAGE and MAX). */
int agg__rrd_defs(unsigned long step, int nds, const char *const *ds, char defs[][64], int max);

/* ---- State file (agg_state.c) ---- */

/*
 * An open state file. `hdr` is the mapping we publish into. When the file
 * on disk could be reused as it is, `prev` is NULL and `hdr` holds the old
 * counters; otherwise `hdr` is a new file under a temporary name (renamed
 * over the path by agg__sf_commit) and `prev`, when not NULL, is the old
 * file mapped read-only so that its counters can be loaded.
 */
struct agg_sf {
    char path[1024];
    char tmp[1100];
    struct fsn_state_hdr *hdr;
    size_t size;
    int fd;                 /* of hdr's file, locked (flock) while we write it */
    const struct fsn_state_hdr *prev;
    size_t prev_size;
    bool renamed_aside;     /* an unreadable file was moved to path.bad-* */
};

/*
 * Opens the state file `path` for writing with the given capacities.
 * Returns 0 or -1 with a message in err.
 */
int agg__sf_open(struct agg_sf *sf, const char *path, const struct fsn_state_caps *caps,
                 uint32_t step, uint64_t now_s, char *err, size_t errlen);

/* Makes a new file visible under its name (rename) and drops `prev`; 0 or -1. */
int agg__sf_commit(struct agg_sf *sf, char *err, size_t errlen);

/* Unmaps everything. */
void agg__sf_close(struct agg_sf *sf);

#endif
