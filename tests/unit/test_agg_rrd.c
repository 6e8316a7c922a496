/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator's RRD files, written directly through librrd and read back
 * with rrd_info/rrd_fetch: data sources and RRAs as documented, and for
 * every entity the sum over steps of AVERAGE x step equals the counts fed
 * in, exactly; across a restart in the middle of the stream (no spike, no
 * double write), and across a gap (unknown, not zero and not a spike).
 */
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/agg_testlib.h"
#include "tests/xorshift.h"

#define STEP 300
#define T0 1700000100000ull /* a multiple of 300 s, in ms */

static char tmpdir[128];

struct truth {
    char name[64];
    uint64_t v[AGG_NCTR];
};

static struct truth truths[64];
static size_t ntruths;

static void truth_add(const char *name, int dir, uint64_t oct, uint64_t pk)
{
    size_t i;
    for (i = 0; i < ntruths; i++)
        if (strcmp(truths[i].name, name) == 0)
            break;
    if (i == ntruths) {
        if (ntruths == sizeof truths / sizeof truths[0])
            return;
        snprintf(truths[ntruths++].name, sizeof truths[0].name, "%s", name);
    }
    truths[i].v[AGG_IN_OCTETS + dir] += oct;
    truths[i].v[AGG_IN_PACKETS + dir] += pk;
    truths[i].v[AGG_IN_FLOWS + dir] += 1;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    return xorshift64(&rnd_state);
}

static struct agg *start(struct obs *o)
{
    struct agg_conf c;
    char err[200], line[300];
    struct agg *a;
    static const char *const lines[] = {
        "local-network 10.2.0.0/16", "local-network 2001:db8:1::/48",
        "service web tcp/80 tcp/443", "service dns udp/53 tcp/53", "step 300", "grace 300",
    };

    agg_conf_init(&c);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        conf_line(&c, lines[i], err, sizeof err);
    snprintf(line, sizeof line, "rrd-dir %s/rrd", tmpdir);
    conf_line(&c, line, err, sizeof err);
    snprintf(line, sizeof line, "state-file %s/state", tmpdir);
    conf_line(&c, line, err, sizeof err);
    agg_conf_finish(&c, err, sizeof err);
    c.step_hook = o ? obs_hook : NULL;
    c.step_hook_arg = o;
    a = agg_new(&c, (uint64_t)time(NULL) * 1000, err, sizeof err);
    if (!a)
        diag("agg_new: %s", err);
    agg_conf_fini(&c);
    return a;
}

/*
 * Feeds n flows ending between from_ms and to_ms (in time order, with a
 * little disorder), each to or from one of 12 local hosts, and adds them to
 * the truth by a direct sum.
 */
static void feed(struct agg *a, int n, uint64_t from_ms, uint64_t to_ms)
{
    struct agg_exporter_id x = mkexp("192.0.2.254", 0);
    char ip[64], name[80];

    for (int i = 0; i < n; i++) {
        uint64_t last = from_ms + (to_ms - from_ms) * (uint64_t)i / (uint64_t)n + rnd() % 20000;
        uint64_t dur = rnd() % 3 ? rnd() % 60000 : rnd() % 900000;
        uint64_t first = last > from_ms + dur ? last - dur : from_ms;
        uint64_t oct = 40 + rnd() % 3000000, pk = 1 + rnd() % 2000;
        int h = (int)(rnd() % 12), in = (int)(rnd() % 2);
        uint16_t port = rnd() % 2 ? 443 : 53;
        uint8_t proto = rnd() % 3 ? 6 : 17;
        struct fsn_flow f;

        if (last >= to_ms)
            last = to_ms - 1;
        if (h == 11)
            snprintf(ip, sizeof ip, "2001:db8:1::%x", 0xa0 + h);
        else
            snprintf(ip, sizeof ip, "10.2.0.%d", 1 + h);
        if (h == 11)
            f = in ? mkflow("2001:db8:9::1", 5555, ip, port, proto, first, last, pk, oct)
                   : mkflow(ip, port, "2001:db8:9::1", 5555, proto, first, last, pk, oct);
        else
            f = in ? mkflow("198.51.100.7", 5555, ip, port, proto, first, last, pk, oct)
                   : mkflow(ip, port, "198.51.100.7", 5555, proto, first, last, pk, oct);
        agg_add(a, &f, &x);
        int dir = in ? 0 : 1;
        truth_add("total", dir, oct, pk);
        snprintf(name, sizeof name, "host/%s", ip);
        truth_add(name, dir, oct, pk);
        truth_add(proto == 6 ? "proto/tcp" : "proto/udp", dir, oct, pk);
        if (proto == 6 && port == 443)
            truth_add("service/web", dir, oct, pk);
        if (port == 53)
            truth_add("service/dns", dir, oct, pk);
        truth_add("exporter/192.0.2.254-0", dir, oct, pk);
        if (i % 200 == 0)
            agg_tick(a, (uint64_t)time(NULL) * 1000, 50);
    }
}

struct fetched {
    uint64_t sum[AGG_NCTR];
    int nan_inside;     /* unknown steps between the first and the last known one */
    int nan_after_data; /* unknown steps in [gap_from, gap_to) */
    double max_step;    /* largest value x step seen, over all data sources */
    int ok;
};

static struct fetched fetch(const char *name, time_t from, time_t to, time_t gap_from,
                            time_t gap_to)
{
    struct fetched r;
    char path[300];
    time_t s = from, e = to;
    unsigned long step = STEP, nds; /* the resolution asked for: in and out */
    char **names;
    rrd_value_t *data;
    long first = -1, last = -1;

    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "%s/rrd/%s.rrd", tmpdir, name);
    if (rrd_fetch_r(path, "AVERAGE", &s, &e, &step, &nds, &names, &data) != 0) {
        diag("fetch %s: %s", path, rrd_get_error());
        rrd_clear_error();
        return r;
    }
    r.ok = step == STEP && nds == AGG_NCTR;
    for (unsigned long i = 0; i < nds; i++) {
        r.ok &= strcmp(names[i], i == 0 ? "in_octets" : i == 1 ? "out_octets" : i == 2 ? "in_packets"
                                  : i == 3 ? "out_packets" : i == 4 ? "in_flows" : "out_flows") == 0;
        free(names[i]);
    }
    free(names);
    long rows = (long)((e - s) / (time_t)step);
    for (long row = 0; row < rows; row++) {
        bool known = !isnan(data[row * (long)nds]);
        time_t t = s + (time_t)step * (row + 1); /* the row's end */
        if (known) {
            if (first < 0)
                first = row;
            last = row;
        } else if (t > gap_from && t <= gap_to) {
            r.nan_after_data++;
        }
        for (unsigned long d = 0; d < nds; d++) {
            double v = data[row * (long)nds + (long)d];
            if (isnan(v))
                continue;
            r.sum[d] += (uint64_t)llround(v * (double)step);
            if (v * (double)step > r.max_step)
                r.max_step = v * (double)step;
        }
    }
    for (long row = first; first >= 0 && row <= last; row++) {
        time_t t = s + (time_t)step * (row + 1);
        if (isnan(data[row * (long)nds]) && !(t > gap_from && t <= gap_to))
            r.nan_inside++;
    }
    if (r.sum[0] == 0)
        diag("fetch %s: s=%ld e=%ld step=%lu rows=%ld first=%ld", name, (long)s, (long)e, step,
             rows, first);
    free(data);
    return r;
}

static void check_all(const char *when, time_t from, time_t to, time_t gap_from, time_t gap_to)
{
    for (size_t i = 0; i < ntruths; i++) {
        struct fetched f = fetch(truths[i].name, from, to, gap_from, gap_to);
        int same = f.ok;
        for (int d = 0; d < AGG_NCTR; d++)
            same &= f.sum[d] == truths[i].v[d];
        ok(same, "%.10s: %.40s: sum of AVERAGE x step == counts fed in", when, truths[i].name);
        if (!same)
            for (int d = 0; d < AGG_NCTR; d++)
                diag("  ds %d: rrd %ju, truth %ju", d, (uintmax_t)f.sum[d],
                     (uintmax_t)truths[i].v[d]);
        is_int(f.nan_inside, 0, "%.10s: %.40s: no unknown step inside the data", when,
               truths[i].name);
        ok(f.max_step <= (double)truths[i].v[AGG_IN_OCTETS] + (double)truths[i].v[AGG_OUT_OCTETS],
           "%.10s: %.40s: no spike", when, truths[i].name);
    }
}

static void check_info(void)
{
    char path[300];
    rrd_info_t *info, *p;
    int found = 0, nrra = 0;
    static const struct {
        const char *key;
        const char *str;
        unsigned long cnt;
    } want[] = {
        {"step", NULL, 300},
        {"ds[in_octets].type", "ABSOLUTE", 0},
        {"ds[out_flows].type", "ABSOLUTE", 0},
        {"ds[in_octets].minimal_heartbeat", NULL, 300},
        {"rra[0].cf", "AVERAGE", 0},
        {"rra[0].pdp_per_row", NULL, 1},
        {"rra[0].rows", NULL, 600},
        {"rra[1].pdp_per_row", NULL, 6},
        {"rra[1].rows", NULL, 700},
        {"rra[2].pdp_per_row", NULL, 24},
        {"rra[2].rows", NULL, 775},
        {"rra[3].pdp_per_row", NULL, 288},
        {"rra[3].rows", NULL, 797},
        {"rra[4].cf", "MAX", 0},
        {"rra[7].cf", "MAX", 0},
        {"rra[7].pdp_per_row", NULL, 288},
    };

    snprintf(path, sizeof path, "%s/rrd/total.rrd", tmpdir);
    info = rrd_info_r(path);
    ok(info != NULL, "rrd_info total.rrd");
    for (p = info; p; p = p->next) {
        if (strncmp(p->key, "rra[", 4) == 0 && strstr(p->key, "].cf"))
            nrra++;
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            if (strcmp(p->key, want[i].key) != 0)
                continue;
            if (want[i].str)
                found += p->type == RD_I_STR && strcmp(p->value.u_str, want[i].str) == 0;
            else
                found += p->type == RD_I_CNT && p->value.u_cnt == want[i].cnt;
        }
    }
    is_int(found, (int)(sizeof want / sizeof want[0]), "total.rrd: DS and RRAs as documented");
    is_int(nrra, 8, "total.rrd: 8 RRAs (4 resolutions x AVERAGE, MAX)");
    rrd_info_free(info);
}

int main(void)
{
    struct agg *a;
    struct obs o = {0};
    time_t from = (time_t)(T0 / 1000) - 3600, to;
    struct agg_stats st;

    snprintf(tmpdir, sizeof tmpdir, "%s/agg-rrd.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }

    /* Run 1: three hours of flows, then a clean stop in the middle of the stream. */
    a = start(&o);
    if (!a)
        return tap_done();
    feed(a, 4000, T0, T0 + 3 * 3600 * 1000);
    agg_flush(a, (uint64_t)time(NULL) * 1000);
    agg_get_stats(a, &st);
    is_uint(st.rrd_errors, 0, "run 1: no RRD errors");
    ok(st.rrd_created >= 18, "run 1: files created (%ju)", (uintmax_t)st.rrd_created);
    agg_free(a);
    check_info();
    to = (time_t)(T0 / 1000) + 3 * 3600 + 3600;
    check_all("run 1", from, to, 0, 0);
    {
        /* The hook saw the same steps that went to the files. */
        struct fetched f = fetch("total", from, to, 0, 0);
        is_uint(obs_sum(&o, "total", AGG_IN_OCTETS, 0), f.sum[AGG_IN_OCTETS],
                "run 1: observer and file agree");
    }

    /*
     * Run 2 continues the stream where run 1 stopped: records for the step
     * that run 1 wrote at shutdown are late and go to the next step.
     */
    a = start(NULL);
    if (!a)
        return tap_done();
    feed(a, 2000, T0 + 3 * 3600 * 1000 - 60000, T0 + 5 * 3600 * 1000);
    agg_flush(a, (uint64_t)time(NULL) * 1000);
    agg_get_stats(a, &st);
    is_uint(st.rrd_errors, 0, "run 2: no RRD errors (nothing written twice)");
    ok(st.late > 0, "run 2: records for the step written at shutdown counted late (%ju)",
       (uintmax_t)st.late);
    agg_free(a);
    to = (time_t)(T0 / 1000) + 5 * 3600 + 3600;
    check_all("restart", from, to, 0, 0);

    /* Run 3, after a 4-hour silence: the gap is unknown, and the sums still exact. */
    a = start(NULL);
    if (!a)
        return tap_done();
    feed(a, 1000, T0 + 9 * 3600 * 1000, T0 + 10 * 3600 * 1000);
    agg_flush(a, (uint64_t)time(NULL) * 1000);
    agg_free(a);
    to = (time_t)(T0 / 1000) + 10 * 3600 + 3600;
    {
        time_t gf = (time_t)(T0 / 1000) + 5 * 3600, gt = (time_t)(T0 / 1000) + 9 * 3600 + 600;
        struct fetched f = fetch("total", from, to, gf, gt);
        ok(f.nan_after_data > 30, "gap: unknown steps in the silence (%d)", f.nan_after_data);
        check_all("gap", from, to, gf, gt);
    }
    {
        char cmd[300];
        if (getenv("KEEP"))
            return tap_done();
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            diag("could not remove %s", tmpdir);
    }
    free(o.rows);
    return tap_done();
}
