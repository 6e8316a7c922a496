/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator's private state, shared by rrd/agg.c (counting),
 * rrd/agg_write.c (closing steps, RRD writes) and rrd/agg_publish.c (the
 * state file). Nothing outside these files looks inside a struct agg.
 */
#ifndef FSN_RRD_AGG_PRIV_H
#define FSN_RRD_AGG_PRIV_H

#include "rrd/agg.h"
#include "rrd/agg_int.h"
#include "rrd/agg_svc.h"
#include "lib/xtab.h"

#define AGG_NONE UINT32_MAX
#define AGG_RING_MAX 64
#define AGG_FUTURE_MS (3600ull * 1000)     /* records further ahead of the wall clock */
#define AGG_MIN_TIME_MS 946684800000ull    /* 2000-01-01: earlier flow times are not real */
#define AGG_SNAP_BYTES_MAX (64ull << 20)   /* memory for closed steps not yet written */
#define AGG_SNAPS_MAX 4096                 /* and at most this many of them */
#define AGG_PUBLISH_MS 1000
#define AGG_DEFER_MAX 256                  /* records without a usable time before the first */

enum { AGG_ENT_TOTAL = 0, AGG_ENT_OTHER = 1, AGG_ENT_FIRST = 2 };

/* One entity (a row of counters, and one RRD file). */
struct agg_ent {
    uint64_t cum[AGG_NCTR];  /* cumulative since the state file's discontinuity */
    bool in_use;
    bool dirty;              /* cum or key changed since the last publish */
    bool file_known;         /* file_exists/file_last checked in this run */
    bool file_exists;
    time_t file_last;        /* last update time of its RRD file */
    uint64_t fail_until_ms;  /* no RRD calls for this file before (after an error) */
};

struct agg_host {
    uint8_t family;
    uint8_t addr[16];
    bool in_use;
    uint64_t seq;            /* when last seen, in order of sightings (see struct agg_lru) */
    uint64_t last_ms;        /* newest flow end time seen (flow time) */
    uint64_t first_seen, last_seen; /* Unix seconds (flow time) */
};

struct agg_exporter {
    struct agg_exporter_id id;
    uint64_t datagrams, records, records_lost, malformed, no_template;
    uint32_t templates;
    uint64_t first_seen, last_seen;
};

/*
 * A closed step, kept until every entity's RRD file has it: the counts of
 * the entities that had any in that step (most cells are quiet in most
 * steps), by entity in ascending order; an entity not listed had zeros.
 */
struct agg_snap {
    int64_t k;               /* step index; it ends at (k + 1) * step */
    size_t n;
    uint32_t *ent;           /* n entity indexes, ascending */
    uint64_t *v;             /* n * AGG_NCTR counts */
};

struct agg {
    struct agg_conf conf;
    uint64_t step_ms, grace_ms, evict_idle_ms;
    uint64_t wall_ms;        /* wall clock at the last agg_new/agg_tick */
    uint64_t fill_max;       /* empty steps written as zeros before a gap is left unknown */

    /*
     * Entities: total, other, services, protocols, exporters, hosts; then
     * the pairs (provides, uses) of hosts x services from pair0 to pair1:
     * each host's other cell, each service's other host, the cells
     * (rrd/agg_hostsvc.c).
     */
    struct agg_ent *ents;
    size_t nents, svc0, proto0, exp0, host0;
    size_t pair0, pair1, hso0, hsx0, hsc0;

    /* Open steps: ring of `ring` steps starting at open_lo. */
    size_t ring;
    uint64_t *bk;            /* nents * ring * AGG_NCTR */
    bool touched[AGG_RING_MAX];
    bool started;
    int64_t open_lo;
    uint64_t newest_ms;
    uint64_t written_until_s; /* total.rrd's last update at start: steps before are written */
    uint64_t empty_run;      /* consecutive empty steps closed */
    struct {
        struct agg_rec f;
        struct agg_exporter_id x;
        bool has_x;
    } deferred[AGG_DEFER_MAX];
    size_t ndeferred;

    /* Services: (protocol, port) -> the services it counts for. */
    struct agg_svc svc;

    /* Hosts. */
    struct agg_host *hosts;
    uint64_t *hidx;          /* open addressing: hash << 32 | (slot + 1), 0 empty */
    size_t hmask;
    uint32_t *free_slots, nfree, nhosts;
    /*
     * The least recently seen host: every sighting stamps the host with
     * the next sequence number and, once the queue is on (lru_on: the
     * table was full once), appends (slot, seq) to it; the oldest queue
     * entry whose host still carries that stamp is the least recently seen
     * host. This orders hosts exactly as a move-to-front list would,
     * without touching other hosts' memory on every record.
     */
    struct agg_lru {
        uint32_t slot;
        uint64_t seq;
    } *lru_q;                /* a ring of lru_cap entries */
    size_t lru_cap, lru_head, lru_len;
    uint64_t lru_seq;
    bool lru_on;

    /*
     * Local IPv4 networks by the address's first 16 bits: a bit in
     * v4_full when a network of /16 or shorter covers the whole /16, in
     * v4_part when a longer network lies inside it (then the networks are
     * scanned).
     */
    uint64_t v4_full[1024], v4_part[1024];
    int64_t lo_k;            /* open_lo when lo_slot was computed */
    size_t lo_slot;          /* ring slot of lo_k */

    /* Hosts x services (rrd/agg_hostsvc.c). */
    bool hs_on;              /* max-host-services > 0 */
    struct fsn_xtab hs;      /* row: host slot, column: service */
    uint64_t *hs_created;    /* per cell: when its counters started (Unix s, wall clock) */
    uint64_t *hso_created;   /* per host slot: the same for the host's other cell */

    /* Exporters. */
    struct agg_exporter *exps;
    uint32_t nexps, exp_cache;

    /* Scalars of the state file (totals come from the entities). */
    struct fsn_state_scalars sc;
    bool sc_dirty, gen_dirty, full_publish;

    /* RRD writing. */
    struct agg_rrdw w;
    struct agg_snap *snaps;
    size_t nsnaps, snaps_cap;
    size_t snap_bytes;       /* memory the snapshots hold (bounded by AGG_SNAP_BYTES_MAX) */
    size_t cursor;           /* next entity to write in the current pass */
    size_t cursor_snaps;     /* snapshots that existed when the pass began */
    bool closed_since_pub;   /* a step closed since the last publish */
    uint64_t last_err_log_ms;

    /* State file. */
    struct agg_sf sf;
    bool have_sf;
    uint64_t last_pub_ms;

    struct agg_stats stats;
};

/*
 * Counters an entity's RRD file has: 6, 12 for the first of a hosts x
 * services pair (both roles), 0 for an entity without a file of its own
 * (the second of a pair, or every pair with host-service-rrds no).
 */
static inline int agg__ent_width(const struct agg *a, size_t e)
{
    if (e < a->pair0 || e >= a->pair1)
        return AGG_NCTR;
    if (((e - a->pair0) & 1) || !a->conf.host_service_rrds)
        return 0;
    return 2 * AGG_NCTR;
}

int64_t agg__step_of(const struct agg *a, uint64_t t_ms);
uint32_t agg__host_slot(const struct agg *a, uint8_t family, const uint8_t *addr);
uint32_t agg__host_new(struct agg *a, uint8_t family, const uint8_t *addr);
void agg__host_place(struct agg *a, uint32_t s, uint8_t family, const uint8_t *addr);
bool agg__host_known(const struct agg *a, uint8_t family, const uint8_t *addr);
void agg__host_rebuild_free(struct agg *a);
size_t agg__exporter_slot(struct agg *a, const struct agg_exporter_id *id);
void agg__close_due(struct agg *a);
void agg__start_deferred(struct agg *a);
int64_t agg__first_not_due(const struct agg *a);

/* agg_hostsvc.c */
void agg__ent_add(struct agg *a, size_t from, size_t to);
void agg__ent_clear(struct agg *a, size_t e);
int agg__hs_init(struct agg *a);
void agg__hs_fini(struct agg *a);
size_t agg__hs_cell(struct agg *a, uint32_t slot, uint16_t svc);
void agg__hs_host_placed(struct agg *a, uint32_t s);
void agg__hs_host_gone(struct agg *a, uint32_t s);
void agg__hs_name(const struct agg *a, size_t e, char *buf, size_t len);
uint32_t agg__hs_rows(const struct agg *a, uint32_t service_cap);
void agg__hs_publish(struct agg *a, struct fsn_state_hdr *h, bool full,
                     void (*put_row)(void *row, const void *src, size_t len));
void agg__hs_load(struct agg *a, struct fsn_state_hdr *src,
                  void (*read_row)(void *row, void *out, size_t len));

/* agg_write.c */
void agg__close_step(struct agg *a, bool force);
void agg__forget_pending(struct agg *a, size_t e);
void agg__drop_pending(struct agg *a);
void agg__init_written(struct agg *a, uint64_t now_ms);
void agg__entity_name(const struct agg *a, size_t e, char *buf, size_t len);

/* agg_publish.c */
int agg__load_state(struct agg *a, uint64_t now_ms, char *err, size_t errlen);
void agg__close_state(struct agg *a);
void agg__ctr_to_state(const uint64_t *v, struct fsn_state_ctr *c);
void agg__ctr_from_state(const struct fsn_state_ctr *c, uint64_t *v);

#endif
