/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowreport's modules (collector/report_*.c, prefix rep_): reading flow
 * files, time windows, statistics, the hosts x services matrix and output.
 * They are linked into flowcollectd too (every collector module is), so they
 * use nothing but lib/, common/, libc and, for the matrix, the aggregator's
 * config and service matching (rrd/agg_conf.c, rrd/agg_svc.h) and the
 * collector's config table (collector/coll_conf.c).
 */
#ifndef FSN_COLL_REPORT_H
#define FSN_COLL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/filter.h"
#include "lib/flow.h"
#include "lib/flowfile.h"
#include "rrd/agg.h"
#include "rrd/agg_svc.h"

/* ---- Time (report_time.c) ---- */

/*
 * Parses one point in time into Unix ms: Unix seconds ("1700000000",
 * "1700000000.5"), "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.fff]]" or with 'T'
 * instead of the space, optionally followed by "Z" or "+HH:MM"/"-HHMM"
 * (otherwise local time, as the TZ variable says), "now", or relative to
 * now: "-90s", "-30m", "-1h", "-2d", "-1w". `now_ms` is the current time.
 * Returns 0, or -1 with a message in err.
 */
int rep_time_parse(const char *s, int64_t now_ms, int64_t *out, char *err, size_t errlen);

/*
 * Parses "-t START[,END]" into [*start, *end): either side may be empty
 * (open); END may be "+DURATION" ("+1h") counted from START. Returns 0 or -1
 * with a message in err.
 */
int rep_time_window(const char *arg, int64_t now_ms, uint64_t *start, uint64_t *end, char *err,
                    size_t errlen);

/* "YYYY-MM-DD HH:MM:SS.mmm" in local time (per TZ). */
void rep_time_local(uint64_t ms, char *buf, size_t len);

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (ISO 8601, UTC). */
void rep_time_iso(uint64_t ms, char *buf, size_t len);

/* ---- Statistics (report_stats.c) ---- */

enum rep_key {
    REP_TOTAL,
    REP_SRCIP,
    REP_DSTIP,
    REP_IP,
    REP_SRCPORT,
    REP_DSTPORT,
    REP_PORT,
    REP_PROTO,
    REP_EXPORTER,
    REP_HOSTSVC, /* hosts x services (report_hostsvc.c) */
};

enum rep_order { REP_BY_BYTES, REP_BY_PACKETS, REP_BY_FLOWS };

struct rep_counts {
    uint64_t flows;
    uint64_t packets;
    uint64_t bytes;
};

/*
 * The counters a hostservice table keeps per local host: its row (each
 * flow once per direction, as in flowHostTable), and per cell (host,
 * service) the provided and used role, each in and out.
 */
enum rep_hs_group {
    REP_HS_PROV_IN,
    REP_HS_PROV_OUT,
    REP_HS_USED_IN,
    REP_HS_USED_OUT,
    REP_HS_ROW_IN,
    REP_HS_ROW_OUT,
};
#define REP_HS_CELL_GROUPS 4    /* the groups of a cell: REP_HS_PROV_IN .. REP_HS_USED_OUT */
#define REP_HS_OTHER UINT16_MAX /* the service of the other cell (flows that match none) */

/* The value of a statistics key; every byte is set (keys are hashed as bytes). */
struct rep_kval {
    uint8_t family;   /* srcip/dstip/ip/exporter; hostservice: the host's */
    uint8_t version;  /* exporter: export format */
    uint8_t proto;    /* proto */
    uint8_t group;    /* hostservice: enum rep_hs_group */
    uint16_t port;    /* srcport/dstport/port */
    uint16_t service; /* hostservice cells: index into the services, or REP_HS_OTHER */
    uint32_t domain;  /* exporter */
    uint32_t pad3;
    uint8_t addr[16];
};

struct rep_row {
    struct rep_kval k;
    struct rep_counts c;
};

struct rep_stats;

/*
 * Parses "KEY[/ORDER]" (e.g. "srcip/packets"); the key hostservice may also
 * be written host/service ("host/service/packets"). Returns 0, or -1 with a
 * message in err.
 */
int rep_stats_parse(const char *s, enum rep_key *key, enum rep_order *order, char *err,
                    size_t errlen);

/* The name of a key, as -s and the CSV/JSON column take it ("srcip"). */
const char *rep_key_name(enum rep_key key);
const char *rep_order_name(enum rep_order order);

struct rep_local;

/*
 * A table for `key`; the caller frees it with rep_stats_free(). NULL when
 * out of memory. `local` (the local networks and services) is needed by
 * REP_HOSTSVC only, NULL for the other keys; it must outlive the table.
 */
struct rep_stats *rep_stats_new(enum rep_key key, const struct rep_local *local);
void rep_stats_free(struct rep_stats *st);

/* Counts one record. Returns 0, or -1 when out of memory. */
int rep_stats_add(struct rep_stats *st, const struct fsn_flow *f, const struct fsn_ff_exporter *x);

/*
 * Completes the counting after the last rep_stats_add() (records are
 * queued a little while to overlap memory accesses); call it before the
 * functions below. Returns 0, or -1 when out of memory.
 */
int rep_stats_finish(struct rep_stats *st);

/*
 * The rows, ordered by `order` (descending; ties by key ascending), at most
 * `top` of them (0 = all). *rows is allocated; the caller frees it. Returns
 * the row count, or -1 when out of memory.
 */
long rep_stats_rows(const struct rep_stats *st, enum rep_order order, size_t top,
                    struct rep_row **rows);

/*
 * The order of keys, as ties are ranked: family, address, domain, version,
 * protocol, port, service, group. Negative, 0 or positive as for qsort.
 */
int rep_kval_cmp(const struct rep_kval *a, const struct rep_kval *b);

/* Every row, in no particular order, as rep_stats_rows() allocates them. */
long rep_stats_all(const struct rep_stats *st, struct rep_row **rows);

/* Sum over the records counted (each record once, whatever the key). */
struct rep_counts rep_stats_total(const struct rep_stats *st);

/*
 * Distinct keys, records not counted (port keys: protocols without ports;
 * hostservice: flows without a local end), bytes of memory.
 */
size_t rep_stats_keys(const struct rep_stats *st);
uint64_t rep_stats_skipped(const struct rep_stats *st);
size_t rep_stats_memory(const struct rep_stats *st);

/* ---- Output (report_output.c) ---- */

enum rep_format { REP_TEXT, REP_CSV, REP_JSON };

struct rep_out {
    FILE *fp;
    enum rep_format fmt;
    bool raw;      /* -N: plain numbers in text output */
    uint64_t rows; /* records written so far (listing) */
};

/* Formats a count for text output: "999", "1.2 k", "3.4 M" (powers of 1000), or raw. */
void rep_human(uint64_t v, bool raw, char *buf, size_t len);

/* Protocol name ("tcp", "ipv6-icmp") or its number as text. */
void rep_proto_name(uint8_t proto, char *buf, size_t len);

/* Writes the statistics table: rows[0..n), with the total of all counted records. */
void rep_out_stats(struct rep_out *o, enum rep_key key, enum rep_order order,
                   const struct rep_row *rows, size_t n, const struct rep_stats *st);

/* Record listing: a header, one line (or object) per record, and the end. */
void rep_out_records_begin(struct rep_out *o);
void rep_out_record(struct rep_out *o, const struct fsn_flow *f, const struct fsn_ff_exporter *x);
void rep_out_records_end(struct rep_out *o, const struct rep_counts *total);

/* ---- Hosts x services (report_hostsvc.c) ---- */

/* The local networks and the services, as the collector's aggregator has them. */
struct rep_local {
    struct agg_conf conf;
    struct agg_svc svc; /* the services' port maps */
};

/*
 * Fills `l` from the local-network and service lines of the flowsnmp.conf
 * at `path`; every other directive of flowcollectd's (and flowagentx's
 * agentx-* lines) is accepted and ignored. With path NULL, or for what the
 * file does not name, the aggregator's defaults: private networks, built-in
 * services. Returns 0, or -1 with "FILE:LINE: message" (or "FILE: message")
 * in err. Either way, rep_local_fini() frees what `l` holds.
 */
int rep_local_load(struct rep_local *l, const char *path, char *err, size_t errlen);
void rep_local_fini(struct rep_local *l);

/* True when the address is in one of the local networks. */
bool rep_local_is(const struct rep_local *l, uint8_t family, const uint8_t *addr);

/* One cell of the matrix: a host's counters for a service (or for other). */
struct rep_hs_cell {
    uint16_t service; /* index into l->conf.services, or REP_HS_OTHER */
    const char *name; /* the service's name (owned by the rep_local), or "other" */
    uint64_t total;   /* the ordering figure: provided + used, in + out */
    struct rep_counts c[REP_HS_CELL_GROUPS];
};

struct rep_hs_host {
    uint8_t family;
    uint8_t addr[16];
    struct rep_counts row[2];  /* in, out: the host's row, each flow once */
    uint64_t total;            /* the ordering figure: in + out of the row */
    struct rep_hs_cell *cells; /* service cells by total, then the other cell (always there) */
    size_t ncells;
};

struct rep_hs_matrix {
    struct rep_hs_host *hosts; /* the top hosts by total (in + out) */
    size_t n;
    size_t nhosts;             /* local hosts counted, top or not */
    struct rep_hs_cell *cellv; /* storage of the cells */
};

/*
 * Builds the matrix from a REP_HOSTSVC table (after rep_stats_finish()):
 * the `top` hosts (0 = all) with the largest in + out `order` figure, ties
 * by address; within a host the service cells by their total (provided +
 * used, in + out), ties by service name, then its other cell. The caller
 * frees it with rep_hs_free(). Returns 0, or -1 when out of memory.
 */
int rep_hs_build(const struct rep_stats *st, const struct rep_local *l, enum rep_order order,
                 size_t top, struct rep_hs_matrix *m);
void rep_hs_free(struct rep_hs_matrix *m);

/* Writes the matrix: one row per cell, in text, CSV or JSON, and the summary (text). */
void rep_out_hostsvc(struct rep_out *o, enum rep_order order, const struct rep_hs_matrix *m,
                     const struct rep_stats *st);

/* ---- Input (report_input.c) ---- */

struct rep_file {
    char *path;
    uint64_t start_ms; /* header interval start, for ordering */
    uint64_t created_ms;
};

struct rep_files {
    struct rep_file *v;
    size_t n;
    size_t temporary;  /* temporary files (being written) left out */
    size_t unreadable; /* files that could not be opened or are not flow files */
};

/* Counters over a whole run, for warnings, the summary and -v. */
struct rep_scan_stats {
    uint64_t files;
    uint64_t bytes;
    uint64_t blocks;
    uint64_t blocks_skipped; /* outside the time window, not decoded */
    uint64_t bad_blocks;     /* failed their checksum or content checks */
    uint64_t damaged_bytes;  /* skipped as no valid block */
    uint64_t truncated;      /* files that end in an incomplete block */
    uint64_t unclosed;       /* files without a trailer */
    uint64_t records;        /* records decoded */
    uint64_t in_window;      /* ... of those, within the time window */
    uint64_t matched;        /* ... and matching the filter */
    uint64_t failed_files;   /* files that could not be read at all */
    uint64_t damaged_files;  /* files with a missing or bad header (read as far as possible) */
};

/* Called for each record that is inside the window and matches the filter. */
typedef int (*rep_record_fn)(void *arg, const struct fsn_flow *f, const struct fsn_ff_exporter *x);

struct rep_reader {
    uint64_t start_ms, end_ms;       /* time window on record end times: [start, end) */
    const struct fsn_filter *filter; /* NULL: every record */
    rep_record_fn fn;
    void *arg;
    bool progress; /* a progress line on stderr */
    bool verbose;
    struct rep_scan_stats st;
    /* internal */
    uint8_t *buf;
    size_t cap;
    void *iter;
    uint64_t total_bytes; /* of all files, for the progress line */
    uint64_t start_mono_ms;
    size_t file_index, file_count;
};

/*
 * Lists the flow files under `path`: the file itself, or every complete
 * flow file ("*.fsn") in the directory and its subdirectories (8 levels at
 * most), sorted by interval start. Temporary files ("*.fsn.tmp") are
 * counted in `temporary`, not listed. Returns 0, or -1 when `path` cannot
 * be read (message printed).
 */
int rep_files_collect(const char *path, struct rep_files *out);
void rep_files_free(struct rep_files *fl);

/* Reads every file in order, calling r->fn per record. Returns 0, or -1 when fn failed. */
int rep_read_files(struct rep_reader *r, const struct rep_files *fl);

/* Frees the reader's buffers. */
void rep_reader_fini(struct rep_reader *r);

#endif
