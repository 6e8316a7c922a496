/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow files in the spool directory (format: lib/flowfile.h,
 * docs/flow-files.md): one file per rotation interval, aligned on
 * multiples of the interval since the epoch by receive time, written as
 * NAME.fsn.tmp and renamed to NAME.fsn when the interval closes; blocks are
 * written as they fill and at least every second, so a crash loses little;
 * retention by age and total size; leftovers of a crash renamed at start.
 */
#ifndef COLL_STORE_H
#define COLL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/flow.h"
#include "lib/flowfile.h"

#define COLL_STORE_NAME_MAX 64

struct coll_store_stats {
    uint64_t records;      /* records given to the store */
    uint64_t blocks;       /* blocks written whole */
    uint64_t bytes;        /* bytes written to flow files (and kept) */
    uint64_t files;        /* files closed and renamed to their final names */
    uint64_t lost;         /* of the records, those in no complete file (see coll_store_add) */
    uint64_t write_errors; /* failed write, fsync, open or rename calls */
    uint64_t expired;      /* files deleted by retention */
    uint64_t expired_bytes;
    uint64_t recovered; /* leftover .tmp files renamed at start */
};

/* The writer. Owned by the caller (coll_store_open/_close). */
struct coll_store {
    int dirfd; /* the spool; -1 while it is missing and could not be made again */
    char dir[1024];
    uint64_t rotate_ms;
    int fd;                         /* -1: no file open */
    char name[COLL_STORE_NAME_MAX]; /* final name of the open file */
    char tmpname[COLL_STORE_NAME_MAX + 8];
    uint64_t start_ms, end_ms; /* the open interval; end_ms 0: none */
    uint64_t off;              /* bytes of the open file that hold its header and whole blocks */
    uint64_t file_blocks;      /* blocks and records written to the open file */
    uint64_t file_records;
    uint64_t file_lost; /* records of the open interval not stored (the trailer's count) */
    uint64_t retry_ms;  /* no file for the open interval: when to try to make one again */
    struct fsn_ff_builder *b;
    struct coll_store_stats st;
    int last_errno;
};

/*
 * Opens the spool directory `dir` (made when missing: its parent must exist) for
 * files of `rotate_s` seconds. No file is opened yet. Returns 0, or -1 with
 * a message in err.
 */
int coll_store_open(struct coll_store *s, const char *dir, uint32_t rotate_s, char *err,
                    size_t errlen);

/*
 * Renames the temporary files a crashed collector left (NAME.fsn.tmp) to
 * free final names, so that readers include them (their missing trailer
 * still tells that they were not closed). Returns the number renamed.
 */
unsigned coll_store_recover(struct coll_store *s);

/*
 * Stores one record received at `now_ms`. Rotates first when `now_ms` is
 * past the open interval; opens the file of the interval when none is open.
 * A record is counted in st.lost when its block cannot be written (the
 * partial block is cut off again, so the file stays readable), when the
 * interval has no file (its header could not be written: the file is
 * removed and made again at most once a second), or when the file it went
 * into is lost before its rename (the spool was removed meanwhile).
 */
void coll_store_add(struct coll_store *s, const struct fsn_flow *f, const struct fsn_ff_exporter *x,
                    uint64_t now_ms);

/*
 * Periodic work at `now_ms`: makes the spool again if it was removed (the
 * records already in the open file are then lost, counted), writes the
 * partial block (so that a crash loses at most about a second), retries a
 * file that could not be made, and closes the file when its interval is
 * over. With `eager`, also opens the file of the current interval when none
 * is open, so that a file exists for every interval the collector ran.
 * Returns true when a file was closed (the caller then saves the templates
 * and applies retention).
 */
bool coll_store_tick(struct coll_store *s, uint64_t now_ms, bool eager);

/*
 * Closes the open interval, if any: last block, trailer, fsync, rename. A
 * trailer that cannot be written is left out (the file reads as not closed).
 * True when a file was renamed to its final name.
 */
bool coll_store_close(struct coll_store *s, uint64_t now_ms);

/*
 * Retention: deletes complete flow files (the collector's names only) whose
 * interval start plus one rotation is more than `max_age_s` before `now_ms`
 * (0: no limit), then the oldest while the complete files together exceed
 * `max_bytes` (0: no limit). The newest complete file is kept whatever its
 * size. The open file is never touched. Returns the number deleted.
 */
unsigned coll_store_expire(struct coll_store *s, uint64_t now_ms, uint64_t max_age_s,
                           uint64_t max_bytes);

/* Closes the open file and the directory; frees the builder. */
void coll_store_fini(struct coll_store *s, uint64_t now_ms);

/*
 * Reads the interval start (Unix ms) from a collector file name
 * "flows-YYYYMMDD-HHMMSS[-N].fsn"; false for any other name.
 */
bool coll_store_parse_name(const char *name, uint64_t *start_ms);

#endif
