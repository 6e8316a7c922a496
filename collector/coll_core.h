/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The collector's pipeline, independent of where datagrams come from
 * (sockets or a capture): source check, exporter session, decoding, flow
 * files, aggregator; and the periodic work (rotation, retention, template
 * persistence, counters for the aggregator and the log).
 *
 * Times: `now_ms` is the receive time (the wall clock live, the packet's
 * capture time in replay); `wall_ms` is always the wall clock (the
 * aggregator's idea of "now").
 */
#ifndef COLL_CORE_H
#define COLL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/coll_aggq.h"
#include "collector/coll_conf.h"
#include "collector/coll_exp.h"
#include "collector/coll_store.h"
#include "common/log.h"
#include "lib/addr.h"
#include "rrd/agg.h"

struct coll_stats {
    uint64_t datagrams;      /* datagrams given to coll_datagram() */
    uint64_t bytes;          /* their payload bytes */
    uint64_t records;        /* flow records decoded (a biflow gives two) */
    uint64_t noaddr;         /* of those, without IP addresses (stored as 0.0.0.0) */
    uint64_t template_saves; /* template files written */
    uint64_t template_save_errors;
    uint64_t tmpl_source_full; /* templates refused: max-templates-per-source */
    uint64_t tmpl_memory_full; /* templates refused: template-memory */
};

/* The "new exporter" lines: at most COLL_NEWLOG_BURST per COLL_NEWLOG_MS of receive time. */
#define COLL_NEWLOG_BURST 20
#define COLL_NEWLOG_MS 60000

/* The collector. Owned by the caller (coll_init/coll_fini). */
struct coll {
    const struct coll_conf *conf; /* the caller's; replaced by coll_reload() */
    struct coll_exptab ex;
    struct coll_srctab src;
    struct coll_store store;
    /*
     * The aggregator, on its own thread behind a queue; NULL when neither
     * rrd-dir nor state-file is configured.
     */
    struct coll_aggq *aq;
    struct coll_stats st;
    bool replay; /* files opened lazily; no periodic log */
    /* The datagram being decoded, for the emit callback. */
    struct coll_exporter *cur;
    uint64_t now_ms;
    /* Periodic work. */
    uint64_t files_seen; /* store.st.files at the last retention run */
    uint64_t tmpl_sig;   /* template activity at the last save */
    uint64_t tmpl_saved_ms;
    uint64_t log_ms; /* receive time of the last periodic report */
    uint64_t last_records_logged;
    /* Datagrams of no session counted malformed, not yet handed to the aggregator. */
    uint64_t malformed_pending;
    /* The window of "new exporter" lines: its start, lines in it, lines held back. */
    uint64_t newlog_ms;
    unsigned newlog_n;
    uint64_t newlog_held;
    struct log_limit lim_malformed, lim_full, lim_lost, lim_notmpl, lim_store, lim_evict,
        lim_evict_fresh, lim_srcfull, lim_badnew, lim_tmpl_src, lim_tmpl_mem;
};

/*
 * Sets up the exporter table, opens the spool directory (renaming what a
 * crash left, applying retention), restores the saved templates and creates
 * the aggregator when it has an output. `conf` must outlive `c` (or be
 * replaced with coll_reload). Returns 0, or -1 with a message in err.
 */
int coll_init(struct coll *c, const struct coll_conf *conf, bool replay, uint64_t now_ms,
              uint64_t wall_ms, char *err, size_t errlen);

/* Processes one datagram from `src` received at `now_ms`; the data stays the caller's. */
void coll_datagram(struct coll *c, const struct fsn_addr *src, const uint8_t *data, size_t len,
                   uint64_t now_ms);

/*
 * Hands the records decoded so far to the aggregator thread (they are
 * otherwise queued in batches): to call after each receive batch.
 */
void coll_push(struct coll *c);

/*
 * Periodic work, about once a second of receive time: flow file blocks and
 * rotation, retention and template saving after a rotation, buffered data
 * expiry, exporter counters to the aggregator, the aggregator's tick
 * (`budget_ms` of RRD writing, 0: unlimited), the periodic log.
 */
void coll_tick(struct coll *c, uint64_t now_ms, uint64_t wall_ms, unsigned budget_ms);

/*
 * Switches to a new configuration that parsed: the allow list (applied to
 * the known exporters too), bounds for new sessions, retention, intervals.
 * The caller keeps both confs alive until this returns.
 */
void coll_reload(struct coll *c, const struct coll_conf *conf);

/*
 * Logs the counters: a summary line, then one line per exporter (all of
 * them with `all`, else those active since the last report), the dropped
 * sources and the aggregator's figures. `tag` starts every line ("stats",
 * "final").
 */
void coll_log_report(struct coll *c, bool all, const char *tag);

/*
 * Shutdown, first part: closes and renames the open flow file, gives up
 * buffered data (counted as without template), saves the templates, hands
 * the final counters to the aggregator, has it flush (open steps written,
 * state file published) and waits for its thread to end. The counters stay
 * readable for a last report.
 */
void coll_finish(struct coll *c, uint64_t now_ms, uint64_t wall_ms);

/* Frees everything (after coll_finish, or after a failed coll_init's cleanup). */
void coll_fini(struct coll *c, uint64_t now_ms);

#endif
