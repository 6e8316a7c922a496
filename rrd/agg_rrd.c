/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The RRD writer: creates and updates the aggregator's RRD files, through
 * librrd directly or through rrdcached. One writer per aggregator, and a
 * file is only ever written one way (notes, section 6: mixing direct writes
 * with rrdcached silently loses the cached values). Only the rrdc_* calls
 * that librrd 1.7 actually exports are used (connect/last/create/update).
 */
#include <errno.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rrd/agg_int.h"

#define RETRY_MS 5000

const char *const agg__ds_names[6] = {"in_octets",  "out_octets", "in_packets",
                                      "out_packets", "in_flows",  "out_flows"};
const char *const agg__hs_ds_names[12] = {
    "p_in_octets", "p_out_octets", "p_in_packets", "p_out_packets", "p_in_flows", "p_out_flows",
    "u_in_octets", "u_out_octets", "u_in_packets", "u_out_packets", "u_in_flows", "u_out_flows"};

/*
 * Data sources are ABSOLUTE with the heartbeat equal to the step: we write
 * each step's count exactly at the step's end, rrdtool divides it by the
 * elapsed time (exactly one step), so AVERAGE x step gives the count back
 * (doubles: exact up to 2^53). A missing step makes the next interval longer
 * than the heartbeat, so it shows as unknown, never as a spike; and since
 * we never hand rrdtool a running counter, a restart cannot make one either.
 *
 * RRAs: MRTG's resolutions (the step, 30 min, 2 h, 1 day) and spans (600
 * rows of 5 min, 700 of 30 min, 775 of 2 h, 797 of 1 day), AVERAGE and MAX.
 */
int agg__rrd_defs(unsigned long step, int nds, const char *const *ds, char defs[][64], int max)
{
    static const unsigned long res[4] = {0, 1800, 7200, 86400};
    static const unsigned long span[4] = {600ul * 300, 700ul * 1800, 775ul * 7200,
                                          797ul * 86400};
    static const char *const cf[2] = {"AVERAGE", "MAX"};
    unsigned long pdp[4];
    int n = 0, nres = 0;

    for (int i = 0; i < nds && n < max; i++)
        snprintf(defs[n++], 64, "DS:%s:ABSOLUTE:%lu:0:U", ds[i], step);
    for (int i = 0; i < 4; i++) {
        unsigned long p = i == 0 ? 1 : (res[i] + step / 2) / step;
        if (p < 1)
            p = 1;
        if (nres > 0 && p <= pdp[nres - 1])
            continue;
        pdp[nres++] = p;
    }
    for (int c = 0; c < 2; c++)
        for (int i = 0, j = 0; i < 4 && j < nres; i++) {
            unsigned long p = i == 0 ? 1 : (res[i] + step / 2) / step;
            if (p < 1)
                p = 1;
            if (p != pdp[j])
                continue;
            if (n < max) {
                unsigned long rows = (span[i] + p * step - 1) / (p * step);
                snprintf(defs[n++], 64, "RRA:%s:0.5:%lu:%lu", cf[c], p, rows < 2 ? 2 : rows);
            }
            j++;
        }
    return n;
}

void agg__rrdw_init(struct agg_rrdw *w, const char *daemon)
{
    memset(w, 0, sizeof *w);
    if (daemon && *daemon) {
        snprintf(w->daemon, sizeof w->daemon, "%s", daemon);
        w->cached = true;
    }
}

void agg__rrdw_fini(struct agg_rrdw *w)
{
    if (w->cached && w->connected)
        rrdc_disconnect();
    w->connected = false;
}

static void take_error(struct agg_rrdw *w, const char *what, const char *path)
{
    const char *e = rrd_get_error();

    if (snprintf(w->err, sizeof w->err, "%s %s: %s", what, path, e && *e ? e : "failed") < 0)
        w->err[0] = '\0';
    rrd_clear_error();
}

/* After a failed daemon call: when the connection is gone, back off before retrying. */
static void check_daemon(struct agg_rrdw *w, uint64_t now_ms)
{
    if (w->cached && !rrdc_is_any_connected()) {
        w->connected = false;
        w->retry_at_ms = now_ms + RETRY_MS;
    }
}

bool agg__rrdw_ready(struct agg_rrdw *w, uint64_t now_ms)
{
    if (!w->cached)
        return true;
    if (w->connected && rrdc_is_any_connected())
        return true;
    w->connected = false;
    if (now_ms < w->retry_at_ms)
        return false;
    if (rrdc_connect(w->daemon) != 0 || !rrdc_is_any_connected()) {
        take_error(w, "connect", w->daemon);
        w->retry_at_ms = now_ms + RETRY_MS;
        return false;
    }
    w->connected = true;
    return true;
}

/* Whether paths are ours to create directories for: direct files or a local daemon. */
static bool local_paths(const struct agg_rrdw *w)
{
    return !w->cached || strncmp(w->daemon, "unix:", 5) == 0 || w->daemon[0] == '/';
}

int agg__rrdw_last(struct agg_rrdw *w, const char *path, uint64_t now_ms, time_t *last)
{
    struct stat st;
    time_t t;

    if (local_paths(w) && stat(path, &st) != 0 && errno == ENOENT)
        return 0;
    if (!w->cached) {
        t = rrd_last_r(path);
        if (t < 0) {
            take_error(w, "last", path);
            return -1;
        }
        *last = t;
        return 1;
    }
    if (!agg__rrdw_ready(w, now_ms))
        return -1;
    t = rrdc_last(path);
    if (t < 0) {
        const char *e = rrd_get_error();
        bool missing = e && strstr(e, "No such file");
        take_error(w, "last", path);
        check_daemon(w, now_ms);
        return missing && w->connected ? 0 : -1;
    }
    *last = t;
    return 1;
}

/* mkdir -p of the directory part of `path`. */
static int make_dirs(const char *path)
{
    char buf[1200];
    size_t n = strlen(path);

    if (n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

int agg__rrdw_create(struct agg_rrdw *w, const char *path, unsigned long step, time_t start,
                     int nds, const char *const *ds, uint64_t now_ms)
{
    char defs[32][64];
    const char *argv[32];
    int n = agg__rrd_defs(step, nds, ds, defs, 32);
    int rc;

    for (int i = 0; i < n; i++)
        argv[i] = defs[i];
    if (local_paths(w) && make_dirs(path) != 0) {
        snprintf(w->err, sizeof w->err, "create %s: cannot make its directory: %s", path,
                 strerror(errno));
        return -1;
    }
    if (!w->cached) {
        rc = rrd_create_r2(path, step, start, 1, NULL, NULL, n, argv);
    } else {
        if (!agg__rrdw_ready(w, now_ms))
            return -1;
        rc = rrdc_create(path, step, start, 1, n, argv);
    }
    if (rc != 0) {
        take_error(w, "create", path);
        check_daemon(w, now_ms);
        return -1;
    }
    return 0;
}

int agg__rrdw_update(struct agg_rrdw *w, const char *path, int n, const char **vals,
                     uint64_t now_ms)
{
    int rc;

    if (!w->cached) {
        rc = rrd_update_r(path, NULL, n, vals);
    } else {
        if (!agg__rrdw_ready(w, now_ms))
            return -1;
        rc = rrdc_update(path, n, (const char *const *)vals);
    }
    if (rc != 0) {
        take_error(w, "update", path);
        check_daemon(w, now_ms);
        return -1;
    }
    return 0;
}
