/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The subagent's view of the collector's state file (lib/state.h): a
 * read-only shared mapping that follows the file as the collector creates,
 * replaces or grows it, and that keeps the last good mapping when the file
 * disappears or turns invalid (the figures are then stale, and
 * flowLastUpdate says so).
 *
 * Row pointers are computed from a copy of the header validated when the
 * file was mapped, never from the live header, so that a writer that
 * rewrites the header in place cannot send a reader outside the mapping.
 */
#ifndef AGX_STATE_H
#define AGX_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/log.h"
#include "lib/state.h"

/* One mapping of one state file. id is 0 when nothing is mapped. */
struct agx_map {
    const unsigned char *mem;
    size_t size;
    uint64_t id;                /* new for each mapping: tables rebuild when it changes */
    dev_t dev;
    ino_t ino;
    struct fsn_state_hdr hdr;   /* the header as validated at mapping time */
};

struct agx_state {
    char *path;                 /* owned */
    struct agx_map map;
    uint64_t last_id;
    uint64_t last_refresh_ms;   /* monotonic */
    bool bad;                   /* a SIGBUS hit the mapping: drop it at the next refresh */
    struct log_limit lim_missing, lim_invalid, lim_busy;
};

/* Sets up st for the file at path (copied); maps nothing yet. Returns 0 or -1 (no memory). */
int agx_state_init(struct agx_state *st, const char *path);
/* Unmaps and frees what st holds. */
void agx_state_fini(struct agx_state *st);

/*
 * Looks at the file again: maps it when it (re)appears valid, remaps it
 * when it was replaced (another inode), grew or changed its layout, drops
 * the mapping when it shrank (to avoid SIGBUS). A missing or invalid file
 * keeps the current mapping. Complaints are logged, rate-limited.
 * Returns true when the mapping changed.
 */
bool agx_state_refresh(struct agx_state *st);

/* Calls agx_state_refresh() when interval_ms passed since the last refresh. */
void agx_state_poll(struct agx_state *st, unsigned interval_ms);

/* Reads a 64-bit header field of the live mapping (written by the collector). */
uint64_t agx_map_hdr_u64(const struct agx_map *m, size_t offset);

/* Capacity and row address of each array; slot must be below the capacity. */
uint32_t agx_map_cap(const struct agx_map *m, int kind);
const void *agx_map_row(const struct agx_map *m, int kind, uint32_t slot);

enum agx_kind_id {
    AGX_SCALARS,
    AGX_EXPORTERS,
    AGX_HOSTS,
    AGX_SERVICES,
    AGX_PROTOS,
    AGX_HOSTSVC,
};

/*
 * Copies a row consistently (seqlock, lib/state.h) into out; returns false
 * (and logs, rate-limited) when the writer kept it busy too long.
 */
bool agx_state_read(struct agx_state *st, const void *row, void *out, size_t len);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t agx_now_ms(void);

#endif
