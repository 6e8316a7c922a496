/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The exporter table: one decoder session (lib/dec.h) per (source address,
 * export version, observation domain), found by hash, bounded by
 * max-exporters and, per source address, by max-exporters-per-source; the
 * templates of one address share a pool (max-templates-per-source), and
 * all of them one more (template-memory). Sessions that never decoded
 * anything are the first to make room. And the source table: per source
 * address, the datagrams that reached no session (not allowed, not NetFlow,
 * malformed, table or source full), bounded too, with one catch-all row.
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

struct coll_exporter;

/* One source address of the table: its sessions and the pool of their templates. */
struct coll_expaddr {
    struct fsn_addr addr;
    uint32_t sessions;           /* sessions of this address in the table */
    struct coll_exporter *first; /* they, chained by addr_next */
    struct fsn_dec_pool pool;    /* their templates; parent: the table's pool */
    struct coll_expaddr *next;   /* hash chain */
};

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
    /*
     * Proven: decoded something (a record, a template, options data) in
     * this run. The others, restored sessions not heard from included,
     * are the first to make room.
     */
    bool proven;
    struct coll_expaddr *ea;             /* its source address */
    struct coll_exporter *next;          /* hash chain */
    struct coll_exporter *addr_next;     /* the address's sessions */
    struct coll_exporter *older, *newer; /* its list (fresh or proven), by last datagram */
};

/* Sessions in the order their latest datagram came: `oldest` first. */
struct coll_explru {
    struct coll_exporter *oldest, *newest;
};

struct coll_exptab {
    struct coll_exporter **bucket;
    size_t nbuckets;             /* a power of two */
    struct coll_exporter **list; /* in no particular order */
    size_t n, max;
    struct coll_expaddr **abucket; /* source addresses, nbuckets of them */
    size_t naddr;
    uint32_t max_per_addr;    /* sessions per source address */
    uint32_t tmpl_per_addr;   /* templates per source address; 0: no bound */
    struct fsn_dec_pool pool; /* every session's templates (template-memory) */
    struct coll_explru fresh, proven;
    struct fsn_dec_limits lim;
    struct coll_exporter *last; /* the latest hit: datagrams come in runs */
    uint64_t created;           /* sessions made */
    uint64_t refused;           /* datagrams of new sessions refused: table or source full */
    uint64_t evicted;           /* sessions given up to make room (the caller counts) */
    uint64_t nomem;             /* sessions that could not be allocated */
};

/*
 * Sets up an empty table for at most `max` sessions whose decoders get
 * `lim`, with no bound per address and none on templates beyond `lim`'s
 * (coll_exptab_bounds sets them). Returns 0 or FSN_E_NOMEM. The caller owns
 * the struct, which must not move, and calls coll_exptab_fini().
 */
int coll_exptab_init(struct coll_exptab *t, size_t max, const struct fsn_dec_limits *lim);

/*
 * Sets the bounds per source address (sessions; templates, 0: none) and of
 * all templates together (bytes, 0: none), for the sessions there are and
 * those to come. Templates held beyond a lowered bound stay.
 */
void coll_exptab_bounds(struct coll_exptab *t, uint32_t per_addr, uint32_t tmpl_per_addr,
                        uint64_t tmpl_bytes);

/* Frees every session. */
void coll_exptab_fini(struct coll_exptab *t);

/* The session for a key, or NULL. */
struct coll_exporter *coll_exptab_find(struct coll_exptab *t, const struct fsn_addr *a,
                                       uint8_t version, uint32_t domain);

/*
 * Creates the session for a key that coll_exptab_find() did not find, as
 * the newest unproven one. Returns NULL when the table or the address is
 * full (t->refused is not touched: the caller counts per datagram; see
 * coll_exptab_room) or memory ran out (t->nomem++).
 */
struct coll_exporter *coll_exptab_add(struct coll_exptab *t, const struct fsn_addr *a,
                                      uint8_t version, uint32_t domain);

/* Why a datagram reached no session. */
enum coll_src_why {
    COLL_SRC_NOT_ALLOWED, /* the source matches no allow prefix */
    COLL_SRC_NOT_NETFLOW, /* shorter than a header, or version not 5, 9 or 10 */
    COLL_SRC_TABLE_FULL,  /* a new session, and max-exporters reached */
    COLL_SRC_MALFORMED,   /* a new session's datagram whose framing is broken (fsn_dec_check) */
    COLL_SRC_SOURCE_FULL, /* a new session, and its address has max-exporters-per-source */
    COLL_SRC_NWHY
};

/*
 * Whether a new session of address `a` may be made at `now_ms`, and which
 * session must make room for it first. Returns COLL_SRC_NWHY when it may,
 * with *victim the session to remove first or NULL; else the reason it may
 * not (COLL_SRC_SOURCE_FULL, COLL_SRC_TABLE_FULL). The victim, when the
 * address has its max_per_addr sessions, is one of them: the unproven one
 * heard from least recently, else the one heard from least recently if
 * that was at least `idle_ms` ago. When the table is full, the same among
 * all sessions.
 */
enum coll_src_why coll_exptab_room(const struct coll_exptab *t, const struct fsn_addr *a,
                                   uint64_t now_ms, uint64_t idle_ms,
                                   struct coll_exporter **victim);

/* A datagram of `e` came at `now_ms`: its times, and its place in its list. */
void coll_exptab_heard(struct coll_exptab *t, struct coll_exporter *e, uint64_t now_ms);

/* `e` decoded something: it moves to the proven sessions. */
void coll_exptab_prove(struct coll_exptab *t, struct coll_exporter *e);

/* Removes a session from the table and frees it (with its templates and buffered data). */
void coll_exptab_remove(struct coll_exptab *t, struct coll_exporter *e);

/* Formats "192.0.2.1 v9 domain 3" into buf; returns buf. */
char *coll_exporter_name(const struct coll_exporter *e, char *buf, size_t len);

#define COLL_SOURCES_MAX 256

struct coll_source {
    struct fsn_addr addr;      /* family 0: the catch-all row */
    uint64_t n[COLL_SRC_NWHY]; /* datagrams, per reason */
    uint64_t last_ms;
    uint64_t logged; /* sum of n[] when last logged */
    uint64_t order;  /* when last counted, in counts of the table (orders rows exactly) */
};

/*
 * Sources whose datagrams were dropped: COLL_SOURCES_MAX rows, then row 0
 * for the rest. When every row is taken, the row dropped from least
 * recently is added into row 0 and given to the new source, so that the
 * sources dropping now keep their names.
 */
struct coll_srctab {
    struct coll_source row[COLL_SOURCES_MAX + 1];
    size_t n; /* rows used after row 0 */
    uint64_t total[COLL_SRC_NWHY];
    uint64_t counted; /* datagrams counted: the clock of `order` */
    uint64_t folded;  /* rows added into row 0 to make room */
};

void coll_srctab_init(struct coll_srctab *t);

/* Counts one dropped datagram of `a` for `why`; returns its row. */
struct coll_source *coll_srctab_count(struct coll_srctab *t, const struct fsn_addr *a,
                                      enum coll_src_why why, uint64_t now_ms);

/* The reason's name as the log and the man page spell it ("not-allowed", ...). */
const char *coll_src_why_name(enum coll_src_why why);

#endif
