/* SPDX-License-Identifier: BSD-2-Clause */
#include "collector/coll_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/coll_tmpl.h"
#include "lib/dec.h"
#include "lib/error.h"

/* Templates are saved within this long of a change (and at each rotation and at exit). */
#define TMPL_SAVE_MS 10000

static void limits_from(const struct coll_conf *conf, struct fsn_dec_limits *l)
{
    fsn_dec_limits_default(l);
    l->max_templates = conf->max_templates;
    l->max_buffered_bytes = conf->max_buffered;
    l->max_buffer_age_ms = conf->buffer_age * 1000;
}

static bool restore_allowed(void *arg, const struct fsn_addr *a)
{
    const struct coll_conf *conf = arg;
    return coll_conf_allowed(conf, a->family, a->a);
}

int coll_init(struct coll *c, const struct coll_conf *conf, bool replay, uint64_t now_ms,
              uint64_t wall_ms, char *err, size_t errlen)
{
    struct fsn_dec_limits lim;
    struct coll_tmpl_result tr;
    char msg[512];

    memset(c, 0, sizeof *c);
    c->store.dirfd = -1;
    c->store.fd = -1;
    c->conf = conf;
    c->replay = replay;
    c->log_ms = now_ms;
    limits_from(conf, &lim);
    coll_srctab_init(&c->src);
    if (coll_exptab_init(&c->ex, conf->max_exporters, &lim) != 0) {
        snprintf(err, errlen, "out of memory for %u exporters", conf->max_exporters);
        return -1;
    }
    coll_exptab_bounds(&c->ex, conf->max_exporters_per_source, conf->max_templates_per_source,
                       conf->template_memory);
    if (coll_store_open(&c->store, conf->spool, conf->rotate, err, errlen) != 0)
        goto fail;
    coll_store_recover(&c->store);
    coll_store_expire(&c->store, now_ms, conf->expire_age, conf->expire_size);
    if (coll_tmpl_restore(c->store.dirfd, &c->ex, restore_allowed, (void *)conf, &tr, msg,
                          sizeof msg) != 0)
        log_warn("%s/%s: %s; starting without saved templates", conf->spool, COLL_TMPL_FILE, msg);
    else if (tr.sessions || tr.rejected)
        log_info("restored %u templates of %u exporter sessions from %s/%s (%u not restored; "
                 "%u with their sequence numbers)",
                 tr.templates, tr.sessions, conf->spool, COLL_TMPL_FILE, tr.rejected, tr.sequences);
    if (tr.sequences) {
        /*
         * The sequence numbers are good once: rewrite the file without them, so that
         * after a crash the records received meanwhile do not count as a gap.
         */
        if (coll_tmpl_save(c->store.dirfd, &c->ex, false, msg, sizeof msg) != 0 &&
            unlinkat(c->store.dirfd, COLL_TMPL_FILE, 0) != 0)
            log_err("%s/%s: %s, and it cannot be removed: after a crash, the sequence numbers "
                    "it holds would be taken as current",
                    conf->spool, COLL_TMPL_FILE, msg);
    }
    c->tmpl_sig = 0;
    if (conf->agg.rrd_dir[0] || conf->agg.state_file[0]) {
        struct agg *a = agg_new(&conf->agg, wall_ms, err, errlen);
        if (!a)
            goto fail;
        if (!(c->aq = coll_aggq_new(a, 0, err, errlen))) {
            agg_free(a);
            goto fail;
        }
    }
    return 0;
fail:
    coll_fini(c, now_ms);
    return -1;
}

static void report_exporter(struct coll *c, struct coll_exporter *e);

/* The decoder's callback: one flow record of the exporter c->cur. */
static void emit(void *arg, const struct fsn_flow *f, const struct fsn_dec_meta *m)
{
    struct coll *c = arg;
    struct coll_exporter *e = c->cur;

    (void)m;
    c->st.records++;
    e->stored++;
    if (f->key.family != FSN_FAMILY_IPV4 && f->key.family != FSN_FAMILY_IPV6) {
        /*
         * A record without IP addresses (layer-2 or MPLS-only templates): kept,
         * as 0.0.0.0 -> 0.0.0.0, so that nothing accepted disappears.
         */
        struct fsn_flow g = *f;
        memset(g.key.src, 0, sizeof g.key.src);
        memset(g.key.dst, 0, sizeof g.key.dst);
        memset(g.nexthop, 0, sizeof g.nexthop);
        g.key.family = FSN_FAMILY_IPV4;
        c->st.noaddr++;
        coll_store_add(&c->store, &g, &e->ffx, c->now_ms);
        if (c->aq)
            agg_rec_from_flow(coll_aggq_rec(c->aq, &e->aggx), &g);
        return;
    }
    coll_store_add(&c->store, f, &e->ffx, c->now_ms);
    if (c->aq)
        agg_rec_from_flow(coll_aggq_rec(c->aq, &e->aggx), f);
}

void coll_push(struct coll *c)
{
    if (c->aq)
        coll_aggq_push(c->aq);
}

static void drop(struct coll *c, const struct fsn_addr *src, enum coll_src_why why, uint8_t version,
                 uint32_t domain, uint64_t now_ms)
{
    char a[FSN_ADDR_STRLEN] = "";

    coll_srctab_count(&c->src, src, why, now_ms);
    /* The reasons below that log name the source. */
    if (why != COLL_SRC_NOT_ALLOWED && why != COLL_SRC_NOT_NETFLOW)
        fsn_addr_format(src->family, src->a, a, sizeof a);
    switch (why) {
    case COLL_SRC_NOT_NETFLOW:
    case COLL_SRC_MALFORMED:
        /* No session to count it: the aggregator's global count, handed over each tick. */
        c->malformed_pending++;
        if (why == COLL_SRC_MALFORMED)
            log_ratelimited(&c->lim_badnew, 60, LOG_WARNING,
                            "malformed datagram from %s (v%u domain %u), which has no session: "
                            "none is made for it",
                            a, version, domain);
        break;
    case COLL_SRC_TABLE_FULL:
        c->ex.refused++;
        log_ratelimited(&c->lim_full, 60, LOG_WARNING,
                        "exporter table full (max-exporters %u): datagram from %s dropped",
                        c->conf->max_exporters, a);
        break;
    case COLL_SRC_SOURCE_FULL:
        c->ex.refused++;
        log_ratelimited(&c->lim_srcfull, 60, LOG_WARNING,
                        "%s has max-exporters-per-source (%u) sessions: its datagram of v%u "
                        "domain %u dropped",
                        a, c->conf->max_exporters_per_source, version, domain);
        break;
    default:
        break;
    }
}

/* Gives up a session to make room for a new one (its counters handed over first). */
static void evict(struct coll *c, struct coll_exporter *old)
{
    char name[96];

    /* Data waiting for a template is lost with the session: counted as without template. */
    fsn_dec_expire(old->s, UINT64_MAX);
    report_exporter(c, old);
    coll_exporter_name(old, name, sizeof name);
    if (old->proven)
        log_ratelimited(&c->lim_evict, 60, LOG_INFO,
                        "exporter %s silent for %u s or more: its session makes room", name,
                        c->conf->exporter_timeout);
    else
        log_ratelimited(&c->lim_evict_fresh, 60, LOG_INFO,
                        "exporter %s never decoded anything: its session makes room", name);
    /* Queued records name their exporter by its address in memory. */
    coll_push(c);
    coll_exptab_remove(&c->ex, old);
    c->ex.evicted++;
}

/* Ends a window of "new exporter" lines: says how many were held back. */
static void newlog_roll(struct coll *c, uint64_t now_ms)
{
    if (now_ms >= c->newlog_ms && now_ms - c->newlog_ms < COLL_NEWLOG_MS)
        return;
    if (c->newlog_held)
        log_info("%llu more new exporter sessions in %u s, not logged one by one (%zu sessions "
                 "now)",
                 (unsigned long long)c->newlog_held, COLL_NEWLOG_MS / 1000, c->ex.n);
    c->newlog_ms = now_ms;
    c->newlog_n = 0;
    c->newlog_held = 0;
}

static void log_new(struct coll *c, const struct coll_exporter *e, uint64_t now_ms)
{
    char name[96];

    newlog_roll(c, now_ms);
    if (c->newlog_n >= COLL_NEWLOG_BURST) {
        c->newlog_held++;
        return;
    }
    if (++c->newlog_n == COLL_NEWLOG_BURST)
        log_info("new exporter %s (the last one logged for %u s)",
                 coll_exporter_name(e, name, sizeof name), COLL_NEWLOG_MS / 1000);
    else
        log_info("new exporter %s", coll_exporter_name(e, name, sizeof name));
}

/* The session for a datagram of a key that has none, or NULL when the datagram is dropped. */
static struct coll_exporter *new_session(struct coll *c, const struct fsn_addr *src,
                                         const uint8_t *data, size_t len, uint8_t version,
                                         uint32_t domain, uint64_t now_ms)
{
    struct coll_exporter *e, *old;
    enum coll_src_why why;

    if (!coll_conf_allowed(c->conf, src->family, src->a)) {
        drop(c, src, COLL_SRC_NOT_ALLOWED, version, domain, now_ms);
        return NULL;
    }
    /* Validate before any state is made: a broken header makes no session. */
    if (fsn_dec_check(data, len) != 0) {
        drop(c, src, COLL_SRC_MALFORMED, version, domain, now_ms);
        return NULL;
    }
    why = coll_exptab_room(&c->ex, src, now_ms, (uint64_t)c->conf->exporter_timeout * 1000, &old);
    if (why != COLL_SRC_NWHY) {
        drop(c, src, why, version, domain, now_ms);
        return NULL;
    }
    if (old)
        evict(c, old);
    if (!(e = coll_exptab_add(&c->ex, src, version, domain))) {
        drop(c, src, COLL_SRC_TABLE_FULL, version, domain, now_ms);
        return NULL;
    }
    log_new(c, e, now_ms);
    return e;
}

/* Logs templates that the bounds of the address or of all sessions refused just now. */
static void log_refused(struct coll *c, const struct coll_exporter *e, uint64_t src_was,
                        uint64_t mem_was)
{
    char name[96];

    if (e->ea->pool.refused != src_was) {
        c->st.tmpl_source_full += e->ea->pool.refused - src_was;
        log_ratelimited(&c->lim_tmpl_src, 60, LOG_WARNING,
                        "exporter %s: template refused: its address holds "
                        "max-templates-per-source (%u) templates",
                        coll_exporter_name(e, name, sizeof name),
                        c->conf->max_templates_per_source);
    }
    if (c->ex.pool.refused != mem_was) {
        c->st.tmpl_memory_full += c->ex.pool.refused - mem_was;
        log_ratelimited(&c->lim_tmpl_mem, 60, LOG_WARNING,
                        "exporter %s: template refused: the templates of all exporters hold "
                        "template-memory (%llu bytes)",
                        coll_exporter_name(e, name, sizeof name),
                        (unsigned long long)c->conf->template_memory);
    }
}

void coll_datagram(struct coll *c, const struct fsn_addr *src, const uint8_t *data, size_t len,
                   uint64_t now_ms)
{
    struct coll_exporter *e;
    const struct fsn_dec_counters *k;
    uint64_t src_refused, mem_refused;
    uint8_t version = 0;
    uint32_t domain = 0;
    int r;

    c->st.datagrams++;
    c->st.bytes += len;
    if (fsn_dec_peek(data, len, &version, &domain) != 0) {
        /* Too broken to tell its session. */
        drop(c, src,
             coll_conf_allowed(c->conf, src->family, src->a) ? COLL_SRC_NOT_NETFLOW
                                                             : COLL_SRC_NOT_ALLOWED,
             0, 0, now_ms);
        return;
    }
    if (!(e = coll_exptab_find(&c->ex, src, version, domain))) {
        if (!(e = new_session(c, src, data, len, version, domain, now_ms)))
            return;
    } else if (!e->allowed) {
        e->dropped++;
        drop(c, src, COLL_SRC_NOT_ALLOWED, version, domain, now_ms);
        return;
    }
    coll_exptab_heard(&c->ex, e, now_ms);
    c->cur = e;
    c->now_ms = now_ms;
    src_refused = e->ea->pool.refused;
    mem_refused = c->ex.pool.refused;
    r = fsn_dec_datagram(e->s, data, len, now_ms, emit, c);
    k = fsn_dec_counters(e->s);
    if (!e->proven && (k->records || k->template_updates || k->options_records))
        coll_exptab_prove(&c->ex, e);
    if (e->ea->pool.refused != src_refused || c->ex.pool.refused != mem_refused)
        log_refused(c, e, src_refused, mem_refused);
    if (r == FSN_E_MALFORMED) {
        char name[96];
        log_ratelimited(&c->lim_malformed, 60, LOG_WARNING, "malformed datagram from %s",
                        coll_exporter_name(e, name, sizeof name));
    }
}

/* Template activity of all sessions: changes when something worth saving may have changed. */
static uint64_t tmpl_signature(const struct coll *c)
{
    uint64_t sig = c->ex.n;

    for (size_t i = 0; i < c->ex.n; i++) {
        const struct fsn_dec_counters *k = fsn_dec_counters(c->ex.list[i]->s);
        sig += k->template_updates + k->withdrawals + k->options_records;
    }
    return sig;
}

/*
 * Saves the templates when they changed (or with `force`); with `final`
 * (a clean stop) the sequence state too.
 */
static void save_templates(struct coll *c, uint64_t now_ms, bool force, bool final)
{
    uint64_t sig = tmpl_signature(c);
    char msg[512];

    if (!force && sig == c->tmpl_sig)
        return;
    c->tmpl_sig = sig;
    c->tmpl_saved_ms = now_ms;
    if (coll_tmpl_save(c->store.dirfd, &c->ex, final, msg, sizeof msg) != 0) {
        c->st.template_save_errors++;
        log_ratelimited(&c->lim_store, 60, LOG_ERR, "%s: saving templates: %s", c->conf->spool,
                        msg);
        return;
    }
    c->st.template_saves++;
}

/* Hands the aggregator what changed in one exporter's counters since the last call. */
static void report_exporter(struct coll *c, struct coll_exporter *e)
{
    const struct fsn_dec_counters *k = fsn_dec_counters(e->s);
    struct agg_exporter_delta d;
    uint64_t records = k->records + k->reverse_records;
    /*
     * The decoder takes loss back when a late datagram fills a gap; the
     * aggregator's counters only grow, so what was reported stays.
     */
    uint64_t lost = k->lost > e->rep_lost ? k->lost : e->rep_lost;

    if (!e->first_ms)
        return; /* restored from the template file, not heard from in this run */
    memset(&d, 0, sizeof d);
    d.datagrams = k->datagrams - e->rep_datagrams;
    d.records = records - e->rep_records;
    d.records_lost = lost - e->rep_lost;
    d.malformed = k->malformed - e->rep_malformed;
    d.no_template = k->buffered_drops - e->rep_notmpl;
    d.templates = (uint32_t)k->templates;
    d.last_seen = e->last_ms / 1000;
    if (e->reported && !d.datagrams && !d.records && !d.records_lost && !d.malformed &&
        !d.no_template && d.templates == e->rep_templates && e->last_ms == e->rep_last_ms)
        return;
    if (c->aq)
        coll_aggq_exporter_stats(c->aq, &e->aggx, &d);
    if (d.records_lost) {
        char name[96];
        log_ratelimited(&c->lim_lost, 60, LOG_WARNING, "exporter %s: %llu %s lost (sequence gap)",
                        coll_exporter_name(e, name, sizeof name),
                        (unsigned long long)d.records_lost,
                        e->version == FSN_DEC_V9 ? "export packets" : "records");
    }
    if (d.no_template) {
        char name[96];
        log_ratelimited(&c->lim_notmpl, 60, LOG_WARNING,
                        "exporter %s: %llu data sets dropped without their template",
                        coll_exporter_name(e, name, sizeof name),
                        (unsigned long long)d.no_template);
    }
    e->rep_datagrams = k->datagrams;
    e->rep_records = records;
    e->rep_lost = lost;
    e->rep_malformed = k->malformed;
    e->rep_notmpl = k->buffered_drops;
    e->rep_templates = d.templates;
    e->rep_last_ms = e->last_ms;
    e->reported = true;
}

static void report_all(struct coll *c)
{
    for (size_t i = 0; i < c->ex.n; i++)
        report_exporter(c, c->ex.list[i]);
    if (c->malformed_pending && c->aq) {
        struct agg_exporter_delta d;
        memset(&d, 0, sizeof d);
        d.malformed = c->malformed_pending;
        coll_aggq_exporter_stats(c->aq, NULL, &d);
    }
    c->malformed_pending = 0;
}

void coll_tick(struct coll *c, uint64_t now_ms, uint64_t wall_ms, unsigned budget_ms)
{
    coll_store_tick(&c->store, now_ms, !c->replay);
    if (c->store.st.files != c->files_seen) {
        /* A file was closed: the moment to persist templates and apply retention. */
        c->files_seen = c->store.st.files;
        save_templates(c, now_ms, true, false);
        coll_store_expire(&c->store, now_ms, c->conf->expire_age, c->conf->expire_size);
    } else if (now_ms >= c->tmpl_saved_ms + TMPL_SAVE_MS || now_ms < c->tmpl_saved_ms) {
        save_templates(c, now_ms, false, false);
    }
    for (size_t i = 0; i < c->ex.n; i++)
        fsn_dec_expire(c->ex.list[i]->s, now_ms);
    report_all(c);
    newlog_roll(c, now_ms);
    if (c->aq)
        coll_aggq_tick(c->aq, wall_ms, budget_ms);
    if (!c->replay && c->conf->stats_interval &&
        (now_ms >= c->log_ms + (uint64_t)c->conf->stats_interval * 1000 || now_ms < c->log_ms)) {
        c->log_ms = now_ms;
        coll_log_report(c, false, "stats");
    }
}

void coll_reload(struct coll *c, const struct coll_conf *conf)
{
    struct fsn_dec_limits lim;
    unsigned disallowed = 0;

    c->conf = conf;
    limits_from(conf, &lim);
    c->ex.lim = lim;
    if (conf->max_exporters > c->ex.max) {
        struct coll_exporter **grown = realloc(c->ex.list, conf->max_exporters * sizeof *grown);
        if (grown) {
            c->ex.list = grown;
            c->ex.max = conf->max_exporters;
        } else {
            log_err("out of memory: max-exporters stays %zu", c->ex.max);
        }
    } else {
        c->ex.max = conf->max_exporters;
    }
    coll_exptab_bounds(&c->ex, conf->max_exporters_per_source, conf->max_templates_per_source,
                       conf->template_memory);
    for (size_t i = 0; i < c->ex.n; i++) {
        struct coll_exporter *e = c->ex.list[i];
        e->allowed = coll_conf_allowed(conf, e->addr.family, e->addr.a);
        if (!e->allowed)
            disallowed++;
    }
    if (disallowed)
        log_info("%u known exporter sessions are no longer allowed: their datagrams are dropped",
                 disallowed);
}

static void log_exporter(const struct coll_exporter *e, const char *tag)
{
    const struct fsn_dec_counters *k = fsn_dec_counters(e->s);
    char name[96];

    log_info("%s: exporter %s: datagrams %llu records %llu lost %llu malformed %llu "
             "no-template %llu templates %llu buffered %llu options %llu reordered %llu "
             "resets %llu jumps %llu off-sequence %llu template-drops %llu withdrawals %llu "
             "unknown-sets %llu dropped %llu last-seen %llu",
             tag, coll_exporter_name(e, name, sizeof name), (unsigned long long)k->datagrams,
             (unsigned long long)(k->records + k->reverse_records), (unsigned long long)k->lost,
             (unsigned long long)k->malformed, (unsigned long long)k->buffered_drops,
             (unsigned long long)k->templates, (unsigned long long)k->buffered_records,
             (unsigned long long)k->options_records, (unsigned long long)k->reordered,
             (unsigned long long)k->seq_resets, (unsigned long long)k->seq_jumps,
             (unsigned long long)k->off_sequence, (unsigned long long)k->template_drops,
             (unsigned long long)k->withdrawals, (unsigned long long)k->unknown_sets,
             (unsigned long long)e->dropped, (unsigned long long)(e->last_ms / 1000));
}

void coll_log_report(struct coll *c, bool all, const char *tag)
{
    const struct coll_store_stats *s = &c->store.st;
    const uint64_t *dr = c->src.total;

    log_info(
        "%s: datagrams %llu records %llu stored %llu store-lost %llu no-address %llu "
        "files %llu expired %llu exporters %zu/%zu created %llu evicted %llu "
        "not-allowed %llu not-netflow %llu malformed %llu table-full %llu source-full %llu "
        "templates %llu template-bytes %llu tmpl-source-full %llu tmpl-memory-full %llu",
        tag, (unsigned long long)c->st.datagrams, (unsigned long long)c->st.records,
        (unsigned long long)(s->records - s->lost), (unsigned long long)s->lost,
        (unsigned long long)c->st.noaddr, (unsigned long long)s->files,
        (unsigned long long)s->expired, c->ex.n, c->ex.max, (unsigned long long)c->ex.created,
        (unsigned long long)c->ex.evicted, (unsigned long long)dr[COLL_SRC_NOT_ALLOWED],
        (unsigned long long)dr[COLL_SRC_NOT_NETFLOW], (unsigned long long)dr[COLL_SRC_MALFORMED],
        (unsigned long long)dr[COLL_SRC_TABLE_FULL], (unsigned long long)dr[COLL_SRC_SOURCE_FULL],
        (unsigned long long)c->ex.pool.templates, (unsigned long long)c->ex.pool.bytes,
        (unsigned long long)c->st.tmpl_source_full, (unsigned long long)c->st.tmpl_memory_full);
    for (size_t i = 0; i < c->ex.n; i++) {
        struct coll_exporter *e = c->ex.list[i];
        uint64_t dg = fsn_dec_counters(e->s)->datagrams;
        if (all ? e->first_ms != 0 || dg : dg != e->log_datagrams)
            log_exporter(e, tag);
        e->log_datagrams = dg;
    }
    for (size_t i = 0; i <= c->src.n; i++) {
        struct coll_source *r = &c->src.row[i];
        char a[FSN_ADDR_STRLEN], line[256];
        size_t used = 0;
        uint64_t sum = 0;
        for (int w = 0; w < COLL_SRC_NWHY; w++) {
            sum += r->n[w];
            used += (size_t)snprintf(line + used, sizeof line - used, " %s %llu",
                                     coll_src_why_name((enum coll_src_why)w),
                                     (unsigned long long)r->n[w]);
        }
        if (sum == 0 || (!all && sum == r->logged))
            continue;
        log_info("%s: dropped from %s:%s", tag,
                 r->addr.family ? fsn_addr_format(r->addr.family, r->addr.a, a, sizeof a)
                                : "other sources",
                 line);
        r->logged = sum;
    }
    if (c->aq) {
        struct agg_stats a;
        coll_aggq_agg_stats(c->aq, &a);
        log_info("%s: aggregator: flows %llu late %llu future %llu steps %llu rrd-updates %llu "
                 "rrd-errors %llu rrd-dropped %llu rrd-pending %llu hosts-evicted %llu "
                 "host-services %llu host-services-evicted %llu host-services-overflow %llu "
                 "queue-batches %llu queue-full-waits %llu",
                 tag, (unsigned long long)a.flows, (unsigned long long)a.late,
                 (unsigned long long)a.future, (unsigned long long)a.steps_closed,
                 (unsigned long long)a.rrd_updates, (unsigned long long)a.rrd_errors,
                 (unsigned long long)a.rrd_dropped, (unsigned long long)a.rrd_pending,
                 (unsigned long long)a.hosts_evicted, (unsigned long long)a.hs_cells,
                 (unsigned long long)a.hs_evicted, (unsigned long long)a.hs_overflow,
                 (unsigned long long)c->aq->st.batches,
                 (unsigned long long)c->aq->st.full_waits);
    }
}

void coll_finish(struct coll *c, uint64_t now_ms, uint64_t wall_ms)
{
    /* Data still waiting for a template is lost now: count it before the last report. */
    for (size_t i = 0; i < c->ex.n; i++)
        fsn_dec_expire(c->ex.list[i]->s, UINT64_MAX);
    if (coll_store_close(&c->store, now_ms))
        coll_store_expire(&c->store, now_ms, c->conf->expire_age, c->conf->expire_size);
    save_templates(c, now_ms, true, true);
    report_all(c);
    newlog_roll(c, UINT64_MAX);
    if (c->aq)
        coll_aggq_stop(c->aq, true, wall_ms);
}

void coll_fini(struct coll *c, uint64_t now_ms)
{
    coll_store_fini(&c->store, now_ms);
    coll_aggq_free(c->aq);
    c->aq = NULL;
    coll_exptab_fini(&c->ex);
}
