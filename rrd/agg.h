/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator: counts every decoded flow record per local host, per
 * service, per IP protocol, per exporter and in total, bucketed by flow time
 * into steps; writes one RRD file per entity (through librrd or rrdcached);
 * publishes cumulative counters into the state file (lib/state.h).
 *
 * The counting rules are in docs/counting.md, the RRD layout in
 * docs/rrd-files.md, the state file in docs/state-file.md.
 *
 * Threading: one thread owns a struct agg and calls every function on it
 * (in flowcollectd, the aggregator thread of collector/coll_aggq.c).
 * When rrdcached is configured, agg_new() ignores SIGPIPE for the process,
 * because librrd's client writes to the daemon's socket and a daemon restart
 * would otherwise kill the collector.
 */
#ifndef FSN_RRD_AGG_H
#define FSN_RRD_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/conf.h"
#include "lib/flow.h"
#include "lib/state.h"

#define AGG_NAME_MAX 32          /* service and network names, NUL included */
#define AGG_SERVICE_RANGES_MAX 16 /* PROTO/PORT[-PORT] items per service */
#define AGG_SERVICES_MAX 1024
#define AGG_NETS_MAX 1024
#define AGG_EXPORTERS_MAX 1024   /* exporter+domain rows; more are counted in the globals only */
#define AGG_PATH_MAX 1024
#define AGG_HOST_SERVICES_MAX 10000000 /* max-host-services */
#define AGG_HOST_SERVICES_PER_HOST 8   /* max-host-services by default: per host row, */
#define AGG_HOST_SERVICES_DEFAULT 40000 /* and at most this many (about 450 bytes a cell) */
#define AGG_OTHER_NAME "other"         /* reserved: the "other" cell of a host (not a service) */

/* Counter indexes, in the order of struct fsn_state_ctr and of the RRD data sources. */
enum agg_ctr_idx {
    AGG_IN_OCTETS,
    AGG_OUT_OCTETS,
    AGG_IN_PACKETS,
    AGG_OUT_PACKETS,
    AGG_IN_FLOWS,
    AGG_OUT_FLOWS,
    AGG_NCTR
};

struct agg_port_range {
    uint8_t proto;   /* IP protocol number */
    uint16_t lo, hi; /* inclusive */
};

struct agg_service {
    char name[AGG_NAME_MAX];
    unsigned nranges;
    struct agg_port_range r[AGG_SERVICE_RANGES_MAX];
};

struct agg_net {
    struct fsn_cidr cidr;
    char name[AGG_NAME_MAX];
};

/*
 * The aggregator's configuration. agg_conf_init() sets the defaults,
 * the directive handlers fill it, agg_conf_finish() validates it and
 * supplies the default services and local networks when none were given.
 * It owns its arrays; agg_conf_fini() frees them.
 */
struct agg_conf {
    struct agg_net *nets;
    size_t nnets;
    struct agg_service *services;
    size_t nservices;
    uint32_t step;        /* seconds, default 300 */
    uint32_t grace;       /* seconds, default 60 */
    bool prorate;         /* default yes */
    uint32_t max_hosts;   /* default 10000 */
    uint32_t host_services;     /* cells per host row; 0 (default): every service */
    uint32_t max_host_services; /* cells in all; 0: no hosts x services table */
    bool max_host_services_set; /* else agg_conf_finish() sets 8 per host row, at most 40000 */
    bool host_service_rrds;     /* an RRD file per cell (default yes) */
    char rrd_dir[AGG_PATH_MAX];    /* empty: no RRD files */
    char rrdcached[AGG_PATH_MAX];  /* empty: write files directly */
    char state_file[AGG_PATH_MAX]; /* empty: no state file */
    bool nets_set, services_set;   /* given in the config (else defaults) */
    /*
     * Optional observer, called for every entity and closed step as the
     * step is written (tests, debugging): `name` is the entity's file name
     * relative to rrd-dir without ".rrd" ("total", "host/192.0.2.1", ...),
     * `t_end` the step's end (Unix seconds), `v` its counts. Not part of the
     * config file.
     */
    void (*step_hook)(void *arg, const char *name, uint64_t t_end, const uint64_t v[AGG_NCTR]);
    void *step_hook_arg;
};

/* Sets the defaults into a caller-owned struct. */
void agg_conf_init(struct agg_conf *c);

/* Frees the arrays a conf owns (not the struct itself). */
void agg_conf_fini(struct agg_conf *c);

/*
 * Validates a filled conf and fills in the defaults for what the config did
 * not set (built-in services, private-address local networks). Returns 0 or
 * a negative FSN_E_* code with a message in err.
 */
int agg_conf_finish(struct agg_conf *c, char *err, size_t errlen);

/*
 * The directives for the collector's config table (names are a contract):
 * local-network, service, step, grace, pro-rate, max-hosts, host-services,
 * max-host-services, host-service-rrds, rrd-dir, rrdcached, state-file. The handlers take as ctx a pointer to a struct
 * agg_conf, or to a struct whose first member is a struct agg_conf.
 */
extern const struct fsn_conf_directive agg_conf_directives[];
extern const size_t agg_conf_ndirectives;

/* Directive parsers, also usable on their own (argv as in fsn_conf_handler). */
int agg_conf_service(struct agg_conf *c, int argc, char **argv, char *err, size_t errlen);
int agg_conf_local_network(struct agg_conf *c, int argc, char **argv, char *err, size_t errlen);

/* Name of an IP protocol ("tcp", "ipv6-icmp", ...) or its number as text, into buf. */
const char *agg_proto_name(uint8_t proto, char *buf, size_t len);

/* Parses a protocol name or number; returns 0 or FSN_E_SYNTAX. */
int agg_proto_parse(const char *s, uint8_t *out);

/* Who sent a record: exporter address and observation domain (v5: engine). */
struct agg_exporter_id {
    uint8_t family;   /* FSN_FAMILY_IPV4 or FSN_FAMILY_IPV6 */
    uint8_t addr[16];
    uint32_t domain;
    uint8_t version;  /* 5, 9 or 10 */
};

/*
 * Per-exporter counters from the collector, as increments since its last
 * call (the aggregator keeps them cumulative and persistent), except
 * `templates` and `last_seen` which are current values.
 */
struct agg_exporter_delta {
    uint64_t datagrams;
    uint64_t records;
    uint64_t records_lost;
    uint64_t malformed;
    uint64_t no_template;
    uint32_t templates;
    uint64_t last_seen;  /* Unix seconds, wall clock */
};

/* Counters of the aggregator's own work, for logs and tests. */
struct agg_stats {
    uint64_t flows;          /* records given to agg_add */
    uint64_t late;           /* records with a part in a step already written */
    uint64_t future;         /* records ahead of the wall clock or before 2000 (also late) */
    uint64_t hosts_evicted;
    uint64_t other_flows;    /* flows (each local end) counted in the "other" row */
    uint64_t hs_cells;       /* hosts x services cells in use */
    uint64_t hs_created;     /* cells created */
    uint64_t hs_evicted;     /* idle cells that gave way to a new one (its counts to "other") */
    uint64_t hs_overflow;    /* service matches of a host with a row but no room for its cell */
    uint64_t steps_closed;
    uint64_t steps_skipped;  /* empty steps not written (gap longer than the fill limit) */
    uint64_t rrd_created;
    uint64_t rrd_updates;    /* values written (one per entity and step) */
    uint64_t rrd_errors;     /* failed create/update calls */
    uint64_t rrd_dropped;    /* values given up (queue bound, or a slot reused meanwhile) */
    uint64_t rrd_pending;    /* closed steps not yet written everywhere */
    uint64_t publishes;
};

struct agg;

/*
 * Creates an aggregator from a finished conf (copied; the caller keeps
 * its own). Opens or creates the state file and loads its counters, so
 * every cumulative counter continues where it was. Returns NULL with a
 * message in err. `now_ms` is the wall clock (Unix ms). The caller frees
 * the result with agg_free().
 */
struct agg *agg_new(const struct agg_conf *conf, uint64_t now_ms, char *err, size_t errlen);

/*
 * Writes the final state (publish, writer_pid = 0) and frees everything.
 * It does not write open steps to RRD: call agg_flush() first for that.
 * agg_free(NULL) is a no-op.
 */
void agg_free(struct agg *a);

/*
 * What the aggregator reads of a flow record (72 bytes instead of struct
 * fsn_flow's 136), so that records can be queued compactly between the
 * thread that decodes and the one that aggregates. Addresses are zero-padded
 * to 16 bytes; `family` is FSN_FAMILY_IPV4 or FSN_FAMILY_IPV6 (others are
 * counted as transit).
 */
struct agg_rec {
    uint8_t src[16];
    uint8_t dst[16];
    uint64_t octets;
    uint64_t packets;
    uint64_t first_ms;
    uint64_t last_ms;
    uint16_t sport;
    uint16_t dport;
    uint8_t proto;
    uint8_t family;
};

/* Fills a compact record from a decoded flow (inline: the receive thread does it per record). */
static inline void agg_rec_from_flow(struct agg_rec *r, const struct fsn_flow *f)
{
    memcpy(r->src, f->key.src, sizeof r->src);
    memcpy(r->dst, f->key.dst, sizeof r->dst);
    r->octets = f->octets;
    r->packets = f->packets;
    r->first_ms = f->first_ms;
    r->last_ms = f->last_ms;
    r->sport = f->key.sport;
    r->dport = f->key.dport;
    r->proto = f->key.proto;
    r->family = f->key.family;
}

/*
 * Counts one flow record sent by exporter `e` (NULL when unknown). The
 * record is not kept. May close steps (in memory) when its end time moves
 * the newest flow time on; the RRD writes happen in agg_tick()/agg_flush().
 */
void agg_add(struct agg *a, const struct fsn_flow *f, const struct agg_exporter_id *e);

/*
 * Counts `n` records of exporter `e` (NULL when unknown), in order: the
 * same as agg_add() on each. The records stay the caller's.
 */
void agg_add_batch(struct agg *a, const struct agg_rec *r, size_t n,
                   const struct agg_exporter_id *e);

/*
 * Adds an exporter's counters (see struct agg_exporter_delta) to its row and
 * to the global scalars (records, records_lost, malformed, no_template).
 * With e == NULL (a datagram too broken to tell its domain), the globals only.
 */
void agg_exporter_stats(struct agg *a, const struct agg_exporter_id *e,
                        const struct agg_exporter_delta *d);

/*
 * Periodic work, to call at least once a second (and after each batch of
 * records), `now_ms` the wall clock: closes the steps that are due by
 * flow time, writes pending RRD updates for at most `budget_ms` of wall time
 * (0: no limit), retries rrdcached after a failure, and publishes the state
 * file when a step closed or a second passed. Returns the number of closed
 * steps still waiting to be written everywhere. A budget of a few tens of
 * milliseconds bounds how long records wait meanwhile (in flowcollectd
 * they queue, then the receive thread waits and the socket buffers fill):
 * the first step after
 * start-up may have thousands of files to create (seconds of work), which
 * then spreads over many calls.
 */
size_t agg_tick(struct agg *a, uint64_t now_ms, unsigned budget_ms);

/*
 * Shutdown: closes every open step (also the partial one), writes them to
 * RRD (one attempt per file), and publishes the state file. Records that
 * arrive afterwards for those steps count as late. See docs/counting.md
 * ("Shutdown and restart") for why this keeps every count exactly once.
 */
void agg_flush(struct agg *a, uint64_t now_ms);

/* Copies the counters of the state file into the mapped file now. */
void agg_publish(struct agg *a, uint64_t now_ms);

/* The aggregator's own counters. */
void agg_get_stats(const struct agg *a, struct agg_stats *out);

#endif
