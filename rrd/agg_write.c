/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Closing steps and writing them to RRD files.
 *
 * Closing a step copies every entity's bucket of that step into a snapshot
 * (cheap, in agg_add's path when flow time moves on); agg_tick() then writes
 * the snapshots to the files within a time budget, one update call per file
 * carrying every pending step of that file, so that the collector's receive
 * loop never waits long. Each file's last update time is checked once per
 * run (rrd_last / rrdcached LAST), so a step is never written twice and
 * updates stay in time order even across restarts. When rrdcached cannot
 * be reached the snapshots stay (bounded by AGG_SNAP_BYTES_MAX; the oldest
 * are given up and counted) and the writes are retried every few seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "rrd/agg_priv.h"

#define FILE_RETRY_MS 60000

enum { WR_OK, WR_STOP };

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void agg__entity_name(const struct agg *a, size_t e, char *buf, size_t len)
{
    char t[FSN_ADDR_STRLEN];

    if (e >= a->pair0) {
        agg__hs_name(a, e, buf, len);
    } else if (e == AGG_ENT_TOTAL) {
        snprintf(buf, len, "total");
    } else if (e == AGG_ENT_OTHER) {
        snprintf(buf, len, "other");
    } else if (e < a->proto0) {
        snprintf(buf, len, "service/%s", a->conf.services[e - a->svc0].name);
    } else if (e < a->exp0) {
        snprintf(buf, len, "proto/%s", agg_proto_name((uint8_t)(e - a->proto0), t, sizeof t));
    } else if (e < a->host0) {
        const struct agg_exporter *x = &a->exps[e - a->exp0];
        snprintf(buf, len, "exporter/%s-%u", fsn_addr_format(x->id.family, x->id.addr, t, sizeof t),
                 x->id.domain);
    } else {
        const struct agg_host *h = &a->hosts[e - a->host0];
        snprintf(buf, len, "host/%s", fsn_addr_format(h->family, h->addr, t, sizeof t));
    }
}

static void entity_path(const struct agg *a, size_t e, char *buf, size_t len)
{
    char name[128];
    agg__entity_name(a, e, name, sizeof name);
    if (snprintf(buf, len, "%s/%s.rrd", a->conf.rrd_dir, name) < 0)
        buf[0] = '\0';
}

static void note_error(struct agg *a, uint64_t now_ms)
{
    a->stats.rrd_errors++;
    if (a->last_err_log_ms == 0 || now_ms >= a->last_err_log_ms + 60000) {
        log_warn("rrd: %s (%ju errors so far)", a->w.err, (uintmax_t)a->stats.rrd_errors);
        a->last_err_log_ms = now_ms ? now_ms : 1;
    }
}

static size_t snap_size(const struct agg_snap *s)
{
    return s->n * (sizeof *s->ent + AGG_NCTR * sizeof *s->v) + sizeof *s;
}

static void free_snap(struct agg *a, size_t i)
{
    a->snap_bytes -= snap_size(&a->snaps[i]);
    free(a->snaps[i].ent);
    free(a->snaps[i].v);
    memmove(a->snaps + i, a->snaps + i + 1, (a->nsnaps - i - 1) * sizeof *a->snaps);
    a->nsnaps--;
}

/* The counts of entity e in a snapshot, or NULL when it had none. */
static uint64_t *snap_find(const struct agg_snap *s, size_t e)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ent[mid] < e)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->ent[lo] == e ? s->v + lo * AGG_NCTR : NULL;
}

/*
 * The `w` counts from entity e on (w / AGG_NCTR entities) into out;
 * returns whether any is not zero.
 */
static bool snap_get(const struct agg_snap *s, size_t e, int w, uint64_t *out)
{
    bool nz = false;

    for (int j = 0; j < w / AGG_NCTR; j++) {
        const uint64_t *v = snap_find(s, e + (size_t)j);
        for (int i = 0; i < AGG_NCTR; i++) {
            out[j * AGG_NCTR + i] = v ? v[i] : 0;
            nz |= out[j * AGG_NCTR + i] != 0;
        }
    }
    return nz;
}

static bool snap_nonzero(const struct agg_snap *s, size_t e, int w)
{
    uint64_t v[2 * AGG_NCTR];
    return snap_get(s, e, w, v);
}

static void write_some(struct agg *a, uint64_t now_ms, unsigned budget_ms);

static int grow_snaps(struct agg *a)
{
    size_t cap = a->snaps_cap ? a->snaps_cap * 2 : 8;
    struct agg_snap *n = realloc(a->snaps, cap * sizeof *n);

    if (!n)
        return -1;
    a->snaps = n;
    a->snaps_cap = cap;
    return 0;
}

static bool bucket_nonzero(const uint64_t *b)
{
    return (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) != 0;
}

static void push_snap(struct agg *a, int64_t k)
{
    struct agg_snap s;
    size_t slot = (size_t)(((k % (int64_t)a->ring) + (int64_t)a->ring) % (int64_t)a->ring);
    size_t n = 0;

    for (size_t e = 0; e < a->nents; e++)
        n += bucket_nonzero(a->bk + (e * a->ring + slot) * AGG_NCTR);
    s.k = k;
    s.n = n;
    while (a->nsnaps > 0 && (a->snap_bytes + snap_size(&s) > AGG_SNAP_BYTES_MAX ||
                             a->nsnaps >= AGG_SNAPS_MAX)) {
        if (a->conf.rrd_dir[0]) {
            /*
             * Writing fell that far behind (a replay runs through hours of flow
             * time in seconds, or the disk is slow): write now, however long
             * it takes, rather than give up a step.
             */
            size_t before = a->nsnaps;
            write_some(a, a->wall_ms, 0);
            if (a->nsnaps < before)
                continue;
        }
        /* Still full (rrdcached unreachable): the oldest step is given up, and counted. */
        a->stats.rrd_dropped += a->snaps[0].n;
        free_snap(a, 0);
        if (a->cursor_snaps)
            a->cursor_snaps--;
    }
    s.ent = malloc((n ? n : 1) * sizeof *s.ent);
    s.v = malloc((n ? n : 1) * AGG_NCTR * sizeof *s.v);
    if (!s.ent || !s.v || (a->nsnaps == a->snaps_cap && grow_snaps(a) != 0)) {
        free(s.ent);
        free(s.v);
        a->stats.rrd_dropped += n;
        return;
    }
    n = 0;
    for (size_t e = 0; e < a->nents; e++) {
        const uint64_t *b = a->bk + (e * a->ring + slot) * AGG_NCTR;
        if (!bucket_nonzero(b))
            continue;
        s.ent[n] = (uint32_t)e;
        memcpy(s.v + n * AGG_NCTR, b, AGG_NCTR * sizeof *s.v);
        n++;
    }
    a->snaps[a->nsnaps++] = s;
    a->snap_bytes += snap_size(&s);
}

/*
 * Closes the oldest open step. An empty step is kept as zeros, up to
 * fill_max in a row; a longer quiet spell (collector or exporters down, a
 * gap in a replayed capture) is skipped, and the files show it as unknown.
 * `force` (shutdown) closes the step whatever it holds.
 */
void agg__close_step(struct agg *a, bool force)
{
    int64_t k = a->open_lo;
    size_t slot = (size_t)(((k % (int64_t)a->ring) + (int64_t)a->ring) % (int64_t)a->ring);

    if (!a->touched[slot] && !force) {
        if (a->empty_run >= a->fill_max) {
            int64_t next = agg__first_not_due(a);
            for (size_t j = 0; j < a->ring; j++) {
                if (!a->touched[j])
                    continue;
                int64_t off = ((int64_t)j - k % (int64_t)a->ring + 2 * (int64_t)a->ring) %
                              (int64_t)a->ring;
                if (k + off < next)
                    next = k + off;
            }
            if (next <= k)
                next = k + 1;
            a->stats.steps_skipped += (uint64_t)(next - k);
            a->open_lo = next;
            return;
        }
        a->empty_run++;
    } else {
        a->empty_run = 0;
    }
    if (a->conf.step_hook) {
        char name[128];
        for (size_t e = 0; e < a->nents; e++) {
            const uint64_t *v = a->bk + (e * a->ring + slot) * AGG_NCTR;
            if (!a->ents[e].in_use)
                continue;
            /* Cells: only the steps with data (there are many cells, most of them quiet). */
            if (e >= a->pair0 && e < a->pair1 && !(v[0] | v[1] | v[2] | v[3] | v[4] | v[5]))
                continue;
            agg__entity_name(a, e, name, sizeof name);
            if (e >= a->pair0 && e < a->pair1) {
                size_t l = strlen(name);
                snprintf(name + l, sizeof name - l, "/%s", (e - a->pair0) & 1 ? "uses" : "provides");
            }
            a->conf.step_hook(a->conf.step_hook_arg, name, (uint64_t)(k + 1) * a->conf.step, v);
        }
    }
    if (a->conf.rrd_dir[0])
        push_snap(a, k);
    for (size_t e = 0; e < a->nents; e++)
        memset(a->bk + (e * a->ring + slot) * AGG_NCTR, 0, AGG_NCTR * sizeof *a->bk);
    a->touched[slot] = false;
    a->open_lo = k + 1;
    a->stats.steps_closed++;
    a->closed_since_pub = true;
}


static int write_entity(struct agg *a, size_t e, uint64_t now_ms);

/* One update string: "T:v:v:..." with w values, or unknowns when v is NULL. */
#define UPD_LEN (24 + 2 * AGG_NCTR * 21)
static void format_update(char *p, time_t t, const uint64_t *v, int w)
{
    size_t off = (size_t)snprintf(p, UPD_LEN, "%jd", (intmax_t)t);

    for (int i = 0; i < w && off < UPD_LEN; i++) {
        int k = v ? snprintf(p + off, UPD_LEN - off, ":%ju", (uintmax_t)v[i])
                  : snprintf(p + off, UPD_LEN - off, ":U");
        off += k > 0 ? (size_t)k : 0;
    }
}

/*
 * Before a host's slot is reused, its closed but unwritten steps go to its
 * file now (eviction is rare: a new host when the table is full), so its
 * file keeps them. Only what cannot be written is given up, and counted.
 */
void agg__forget_pending(struct agg *a, size_t e)
{
    const int w = agg__ent_width(a, e);
    /* A pair's values are both entities', also when it has no file. */
    const int nv = e >= a->pair0 && e < a->pair1 ? 2 * AGG_NCTR : AGG_NCTR;

    if (a->conf.rrd_dir[0] && a->nsnaps && a->ents[e].in_use && w > 0)
        write_entity(a, e, a->wall_ms);
    for (size_t i = 0; i < a->nsnaps; i++) {
        time_t t_end = (time_t)((uint64_t)(a->snaps[i].k + 1) * a->conf.step);
        bool written = a->ents[e].file_exists && a->ents[e].file_last >= t_end;
        if (w > 0 && !written && snap_nonzero(&a->snaps[i], e, w))
            a->stats.rrd_dropped++;
        /* The slot's next host must not inherit these values. */
        for (size_t j = 0; j < (size_t)nv / AGG_NCTR; j++) {
            uint64_t *v = snap_find(&a->snaps[i], e + j);
            if (v)
                memset(v, 0, AGG_NCTR * sizeof *v);
        }
    }
    a->ents[e].file_known = false;
    a->ents[e].file_exists = false;
}

void agg__drop_pending(struct agg *a)
{
    while (a->nsnaps)
        free_snap(a, a->nsnaps - 1);
    free(a->snaps);
    a->snaps = NULL;
    a->snaps_cap = 0;
    a->snap_bytes = 0;
}

/* Writes every pending step of one entity's file in one update call. */
static int write_entity(struct agg *a, size_t e, uint64_t now_ms)
{
    struct agg_ent *ent = &a->ents[e];
    const uint64_t step = a->conf.step;
    const int w = agg__ent_width(a, e);
    char path[AGG_PATH_MAX + 128];
    char *buf = NULL;
    const char **argv = NULL;
    size_t i0 = 0;
    int n = 0, ret = WR_OK;
    time_t prev;

    if (now_ms < ent->fail_until_ms)
        return WR_OK;
    entity_path(a, e, path, sizeof path);
    if (!ent->file_known) {
        time_t last = 0;
        int r = agg__rrdw_last(&a->w, path, now_ms, &last);
        if (r < 0) {
            if (a->w.cached && !a->w.connected)
                return WR_STOP;
            note_error(a, now_ms);
            ent->fail_until_ms = now_ms + FILE_RETRY_MS;
            return WR_OK;
        }
        ent->file_known = true;
        ent->file_exists = r == 1;
        ent->file_last = last;
    }
    if (!ent->file_exists) {
        /* Created lazily, starting at the beginning of its first step with data. */
        while (i0 < a->nsnaps && !snap_nonzero(&a->snaps[i0], e, w))
            i0++;
        if (i0 == a->nsnaps)
            return WR_OK;
        time_t start = (time_t)((uint64_t)a->snaps[i0].k * step);
        if (agg__rrdw_create(&a->w, path, step, start, w,
                             w == AGG_NCTR ? agg__ds_names : agg__hs_ds_names, now_ms) != 0) {
            if (a->w.cached && !a->w.connected)
                return WR_STOP;
            note_error(a, now_ms);
            ent->file_known = false;
            ent->fail_until_ms = now_ms + FILE_RETRY_MS;
            return WR_OK;
        }
        a->stats.rrd_created++;
        ent->file_exists = true;
        ent->file_last = start;
    }
    buf = malloc((a->nsnaps - i0) * 2 * UPD_LEN);
    argv = malloc((a->nsnaps - i0) * 2 * sizeof *argv);
    if (!buf || !argv) {
        ret = WR_OK;
        goto out;
    }
    prev = ent->file_last;
    for (size_t i = i0; i < a->nsnaps; i++) {
        uint64_t v[2 * AGG_NCTR];
        time_t t_end = (time_t)((uint64_t)(a->snaps[i].k + 1) * step);
        char *p = buf + (size_t)n * UPD_LEN;
        if (t_end <= prev)
            continue; /* already in the file: an earlier pass, or before a restart */
        if (t_end - (time_t)step > prev) {
            /* A gap (skipped steps or lost updates): unknown, not spread over. */
            format_update(p, t_end - (time_t)step, NULL, w);
            argv[n++] = p;
            p += UPD_LEN;
        }
        snap_get(&a->snaps[i], e, w, v);
        format_update(p, t_end, v, w);
        argv[n++] = p;
        prev = t_end;
    }
    if (n == 0)
        goto out;
    if (agg__rrdw_update(&a->w, path, n, argv, now_ms) != 0) {
        if (a->w.cached && !a->w.connected) {
            ret = WR_STOP;
            goto out;
        }
        note_error(a, now_ms);
        ent->file_known = false; /* look at the file again next time */
        ent->fail_until_ms = now_ms + FILE_RETRY_MS;
        goto out;
    }
    a->stats.rrd_updates += (uint64_t)n;
    ent->file_last = prev;
out:
    free(buf);
    free(argv);
    return ret;
}

static bool snap_written(const struct agg *a, const struct agg_snap *sn)
{
    time_t t_end = (time_t)((uint64_t)(sn->k + 1) * a->conf.step);

    for (size_t e = 0; e < a->nents; e++) {
        const struct agg_ent *ent = &a->ents[e];
        int w = agg__ent_width(a, e);
        if (w > 0 && ent->in_use && snap_nonzero(sn, e, w) &&
            !(ent->file_exists && ent->file_last >= t_end))
            return false;
    }
    return true;
}

/*
 * One pass writes every entity's pending steps. A pass may span several
 * calls (time budget); the snapshots that existed when it began are freed
 * when it ends, the newer ones wait for the next pass (entities already
 * past them skip them by their file's last update time).
 */
static void write_some(struct agg *a, uint64_t now_ms, unsigned budget_ms)
{
    uint64_t deadline = budget_ms ? mono_ms() + budget_ms : 0;

    if (a->nsnaps == 0) {
        a->cursor = 0;
        return;
    }
    if (!agg__rrdw_ready(&a->w, now_ms)) {
        if (a->w.err[0] && now_ms >= a->last_err_log_ms + 60000) {
            log_warn("rrd: %s; %zu steps waiting", a->w.err, a->nsnaps);
            a->last_err_log_ms = now_ms ? now_ms : 1;
        }
        return;
    }
    if (a->cursor == 0)
        a->cursor_snaps = a->nsnaps;
    while (a->cursor < a->nents) {
        size_t e = a->cursor;
        if (a->ents[e].in_use && agg__ent_width(a, e) > 0 && write_entity(a, e, now_ms) == WR_STOP)
            return;
        a->cursor++;
        if (deadline && (a->cursor & 31) == 0 && mono_ms() >= deadline)
            return;
    }
    /*
     * A snapshot goes once every entity with data in it has it in its file.
     * An entity that came into use behind the cursor while the pass spanned
     * several calls has not: the snapshot stays for the next pass.
     */
    while (a->cursor_snaps > 0 && snap_written(a, &a->snaps[0])) {
        free_snap(a, 0);
        a->cursor_snaps--;
    }
    a->cursor_snaps = 0;
    a->cursor = 0;
}

void agg__init_written(struct agg *a, uint64_t now_ms)
{
    char path[AGG_PATH_MAX + 128];
    time_t last = 0;

    entity_path(a, AGG_ENT_TOTAL, path, sizeof path);
    if (agg__rrdw_last(&a->w, path, now_ms, &last) == 1 && last > 0)
        a->written_until_s = (uint64_t)last;
}

size_t agg_tick(struct agg *a, uint64_t now_ms, unsigned budget_ms)
{
    a->wall_ms = now_ms;
    agg__close_due(a);
    if (a->conf.rrd_dir[0])
        write_some(a, now_ms, budget_ms);
    if (a->have_sf && (a->closed_since_pub || now_ms >= a->last_pub_ms + AGG_PUBLISH_MS ||
                       now_ms < a->last_pub_ms))
        agg_publish(a, now_ms);
    return a->nsnaps;
}

void agg_flush(struct agg *a, uint64_t now_ms)
{
    a->wall_ms = now_ms;
    agg__start_deferred(a);
    if (a->started) {
        agg__close_due(a);
        int64_t last = agg__step_of(a, a->newest_ms);
        while (a->open_lo <= last)
            agg__close_step(a, true);
    }
    if (a->conf.rrd_dir[0]) {
        /* Finish the pass in progress, then one more for what it left. */
        write_some(a, now_ms, 0);
        write_some(a, now_ms, 0);
        a->w.retry_at_ms = 0;
    }
    if (a->have_sf)
        agg_publish(a, now_ms);
}
