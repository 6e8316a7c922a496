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
    uint64_t records;      /* records added */
    uint64_t blocks;       /* blocks written whole */
    uint64_t bytes;        /* bytes written to flow files */
    uint64_t files;        /* files closed and renamed */
    uint64_t lost;         /* records that could not be written (I/O errors, no file) */
    uint64_t write_errors; /* failed write, fsync, open or rename calls */
    uint64_t expired;      /* files deleted by retention */
    uint64_t expired_bytes;
    uint64_t recovered; /* leftover .tmp files renamed at start */
};

/* The writer. Owned by the caller (coll_store_open/_close). */
struct coll_store {
    int dirfd;
    char dir[1024];
    uint64_t rotate_ms;
    int fd;                         /* -1: no file open */
    char name[COLL_STORE_NAME_MAX]; /* final name of the open file */
    char tmpname[COLL_STORE_NAME_MAX + 8];
    uint64_t start_ms, end_ms; /* the open file's interval */
    uint64_t file_lost;        /* records of the open file not written */
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
 * Records that cannot be written are counted in st.lost.
 */
void coll_store_add(struct coll_store *s, const struct fsn_flow *f, const struct fsn_ff_exporter *x,
                    uint64_t now_ms);

/*
 * Periodic work at `now_ms`: writes the partial block (so that a crash
 * loses at most about a second) and closes the file when its interval is
 * over. With `eager`, also opens the file of the current interval when none
 * is open, so that a file exists for every interval the collector ran.
 * Returns true when a file was closed (the caller then saves the templates
 * and applies retention).
 */
bool coll_store_tick(struct coll_store *s, uint64_t now_ms, bool eager);

/* Closes the open file, if any: last block, trailer, fsync, rename. True if one was closed. */
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
