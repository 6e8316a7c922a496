/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The exporter table: one decoder session (lib/dec.h) per (source address,
 * export version, observation domain), found by hash, bounded by
 * max-exporters; and the source table: per source address, the datagrams
 * that reached no session (not allowed, not NetFlow, table full), bounded
 * too, with one catch-all row for what does not fit.
 */
#ifndef COLL_EXP_H
#define COLL_EXP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/dec.h"
#include "lib/flowfile.h"
#include "rrd/agg.h"

/* One exporter session and what the collector knows about it. Owned by the table. */
struct coll_exporter {
    struct fsn_addr addr;
    uint8_t version; /* 5, 9, 10 */
    uint32_t domain; /* v5: engine_type << 8 | engine_id; v9: source id; IPFIX: domain */
    bool allowed;    /* false once a reload's allow list no longer matches */
    struct fsn_dec_session *s;
    struct fsn_ff_exporter ffx;  /* the same key, as the flow file wants it */
    struct agg_exporter_id aggx; /* ... and as the aggregator wants it */
    uint64_t first_ms, last_ms;  /* receive time of the first and latest datagram (0: none) */
    uint64_t stored;             /* records handed to the flow file writer */
    uint64_t dropped;            /* datagrams dropped after a reload disallowed the source */
    /* The decoder's counters as last given to the aggregator (deltas are sent). */
    uint64_t rep_datagrams, rep_records, rep_lost, rep_malformed, rep_notmpl;
    uint32_t rep_templates;
    uint64_t rep_last_ms;
    bool reported; /* given to the aggregator at least once */
    /* ... and as last logged by the periodic report. */
    uint64_t log_datagrams;
    struct coll_exporter *next; /* hash chain */
};

struct coll_exptab {
    struct coll_exporter **bucket;
    size_t nbuckets;             /* a power of two */
    struct coll_exporter **list; /* in order of creation */
    size_t n, max;
    struct fsn_dec_limits lim;
    struct coll_exporter *last; /* the latest hit: datagrams come in runs */
    uint64_t refused;           /* datagrams of new sessions refused: table full */
    uint64_t evicted;           /* idle sessions given up to make room */
    uint64_t nomem;             /* sessions that could not be allocated */
};

/*
 * Sets up an empty table for at most `max` sessions whose decoders get
 * `lim`. Returns 0 or FSN_E_NOMEM. The caller owns the struct and calls
 * coll_exptab_fini().
 */
int coll_exptab_init(struct coll_exptab *t, size_t max, const struct fsn_dec_limits *lim);

/* Frees every session. */
void coll_exptab_fini(struct coll_exptab *t);

/* The session for a key, or NULL. */
struct coll_exporter *coll_exptab_find(struct coll_exptab *t, const struct fsn_addr *a,
                                       uint8_t version, uint32_t domain);

/*
 * Creates the session for a key that coll_exptab_find() did not find.
 * Returns NULL when the table is full (t->refused is not touched: the
 * caller counts per datagram) or memory ran out (t->nomem++).
 */
struct coll_exporter *coll_exptab_add(struct coll_exptab *t, const struct fsn_addr *a,
                                      uint8_t version, uint32_t domain);

/*
 * The session heard from least recently (restored sessions never heard from
 * first) if it has been idle for at least `idle_ms` at `now_ms`, else NULL:
 * the one to give up when the table is full and a new exporter appears.
 */
struct coll_exporter *coll_exptab_idlest(const struct coll_exptab *t, uint64_t now_ms,
                                         uint64_t idle_ms);

/* Removes a session from the table and frees it (with its templates and buffered data). */
void coll_exptab_remove(struct coll_exptab *t, struct coll_exporter *e);

/* Formats "192.0.2.1 v9 domain 3" into buf; returns buf. */
char *coll_exporter_name(const struct coll_exporter *e, char *buf, size_t len);

/* Why a datagram reached no session. */
enum coll_src_why {
    COLL_SRC_NOT_ALLOWED, /* the source matches no allow prefix */
    COLL_SRC_NOT_NETFLOW, /* shorter than a header, or version not 5, 9 or 10 */
    COLL_SRC_TABLE_FULL,  /* a new session, and max-exporters reached */
    COLL_SRC_NWHY
};

#define COLL_SOURCES_MAX 256

struct coll_source {
    struct fsn_addr addr;      /* family 0: the catch-all row */
    uint64_t n[COLL_SRC_NWHY]; /* datagrams, per reason */
    uint64_t last_ms;
    uint64_t logged; /* sum of n[] when last logged */
};

/* Sources whose datagrams were dropped: COLL_SOURCES_MAX rows, then row 0 for the rest. */
struct coll_srctab {
    struct coll_source row[COLL_SOURCES_MAX + 1];
    size_t n; /* rows used after row 0 */
    uint64_t total[COLL_SRC_NWHY];
};

void coll_srctab_init(struct coll_srctab *t);

/* Counts one dropped datagram of `a` for `why`; returns its row. */
struct coll_source *coll_srctab_count(struct coll_srctab *t, const struct fsn_addr *a,
                                      enum coll_src_why why, uint64_t now_ms);

/* The reason's name as the log and the man page spell it ("not-allowed", ...). */
const char *coll_src_why_name(enum coll_src_why why);

#endif
