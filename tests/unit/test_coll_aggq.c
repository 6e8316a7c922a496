/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator thread's queue (collector/coll_aggq.c): the same sequence
 * of records, exporter counters, ticks and the final flush, given to one
 * aggregator directly and to another through the queue, must produce the
 * same closed steps (every entity, every counter, in the same order), the
 * same state file and the same counters, whatever the ring's size (a ring
 * of 2 messages makes the producer wait for the aggregator thread often).
 * The direct path is the one test_agg_*.c check against hand-computed
 * truths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/coll_aggq.h"
#include "tests/tap.h"
#include "tests/unit/agg_testlib.h"
#include "tests/xorshift.h"

#define NREC 60000
#define NEXP 3

static char tmpdir[256];

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
    return xorshift64(&rnd_state);
}

static void make_conf(struct agg_conf *c, struct obs *o, const char *state)
{
    char err[200], line[400];
    static const char *const lines[] = {
        "local-network 10.0.0.0/8 lan", "local-network 2001:db8:1::/48",
        "service web tcp/80 tcp/443",   "service dns udp/53 tcp/53",
        "step 60",                      "grace 10",
        "max-hosts 40",
    };

    agg_conf_init(c);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (conf_line(c, lines[i], err, sizeof err) != 0)
            diag("%s: %s", lines[i], err);
    snprintf(line, sizeof line, "state-file %s/%s", tmpdir, state);
    if (conf_line(c, line, err, sizeof err) != 0)
        diag("%s: %s", line, err);
    if (agg_conf_finish(c, err, sizeof err) != 0)
        diag("finish: %s", err);
    c->step_hook = obs_hook;
    c->step_hook_arg = o;
}

/*
 * A mix over about 25 minutes of flow time: inbound, outbound, local,
 * transit and IPv6 flows of 60 local hosts (more than max-hosts), flows
 * spanning steps (pro-rated), a few late and a few far in the future.
 */
static void make_records(struct fsn_flow *f, unsigned *xi, uint64_t t0)
{
    char a[64], b[64];

    for (unsigned i = 0; i < NREC; i++) {
        uint64_t r = rnd();
        uint64_t last = t0 + (uint64_t)i * 25 + r % 5000;
        uint64_t dur = r >> 40 & 1 ? (r >> 20) % 150000 : (r >> 20) % 2000;
        unsigned kind = (unsigned)(r >> 8) % 10;
        if (kind == 9 && i % 7 == 0)
            last -= 600000; /* late */
        if (kind == 9 && i % 11 == 0)
            last += 86400000; /* ahead of the wall clock: future */
        snprintf(a, sizeof a, "10.0.%u.%u", (unsigned)(r >> 16) % 3, (unsigned)(r >> 24) % 20);
        snprintf(b, sizeof b, "192.0.2.%u", (unsigned)(r >> 32) % 200);
        switch (kind % 5) {
        case 0:
            f[i] = mkflow(b, 40000, a, 80, 6, last - dur, last, r % 50 + 1, r % 60000 + 40);
            break;
        case 1:
            f[i] = mkflow(a, 53, b, 5353, 17, last - dur, last, r % 9 + 1, r % 900 + 40);
            break;
        case 2:
            f[i] = mkflow(a, 1234, "10.9.9.9", 443, 6, last - dur, last, r % 7 + 1, r % 700 + 40);
            break;
        case 3:
            f[i] = mkflow(b, 1, "198.51.100.1", 2, 47, last - dur, last, 3, 300);
            break;
        default:
            snprintf(a, sizeof a, "2001:db8:1::%x", (unsigned)(r >> 16) % 16);
            f[i] = mkflow("2001:db8:2::1", 0, a, 0, 58, last - dur, last, 2, 200);
            break;
        }
        xi[i] = (unsigned)(r >> 50) % NEXP;
    }
}

struct run {
    struct obs o;
    struct agg_stats st;
    struct fsn_state_scalars sc;
    uint64_t full_waits;
};

/* The collector's sequence of calls; through the queue when slots != 0. */
static void feed(struct run *out, const struct fsn_flow *f, const unsigned *xi, uint64_t wall,
                 unsigned slots, const char *state)
{
    struct agg_conf c;
    struct agg *a;
    struct coll_aggq *q = NULL;
    struct agg_exporter_id x[NEXP];
    char err[256], path[400];
    struct statemap m;

    memset(out, 0, sizeof *out);
    make_conf(&c, &out->o, state);
    for (unsigned e = 0; e < NEXP; e++)
        x[e] = mkexp(e == 2 ? "192.0.2.253" : "192.0.2.254", e);
    a = agg_new(&c, wall, err, sizeof err);
    if (!a) {
        diag("agg_new: %s", err);
        agg_conf_fini(&c);
        return;
    }
    if (slots && !(q = coll_aggq_new(a, slots, err, sizeof err))) {
        diag("coll_aggq_new: %s", err);
        agg_free(a);
        agg_conf_fini(&c);
        return;
    }
    for (unsigned i = 0; i < NREC; i++) {
        if (q)
            agg_rec_from_flow(coll_aggq_rec(q, &x[xi[i]]), &f[i]);
        else
            agg_add(a, &f[i], &x[xi[i]]);
        if (i % 997 == 996) {
            struct agg_exporter_delta d = {.datagrams = 40, .records = 997, .records_lost = i % 3,
                                           .templates = 2, .last_seen = wall / 1000};
            struct agg_exporter_delta bad = {.malformed = 1};
            if (q) {
                coll_aggq_push(q);
                coll_aggq_exporter_stats(q, &x[i % NEXP], &d);
                coll_aggq_exporter_stats(q, NULL, &bad);
            } else {
                agg_exporter_stats(a, &x[i % NEXP], &d);
                agg_exporter_stats(a, NULL, &bad);
            }
        }
        if (i % 5000 == 4999) {
            wall += 30000;
            if (q)
                coll_aggq_tick(q, wall, 0);
            else
                agg_tick(a, wall, 0);
        }
    }
    if (q) {
        coll_aggq_stop(q, true, wall);
        ok(coll_aggq_agg(q) == a, "ring of %u: the aggregator is the caller's after the stop",
           slots);
        coll_aggq_agg_stats(q, &out->st);
        out->full_waits = q->st.full_waits;
        coll_aggq_free(q); /* frees a */
    } else {
        agg_flush(a, wall);
        agg_get_stats(a, &out->st);
        agg_free(a);
    }
    agg_conf_fini(&c);
    snprintf(path, sizeof path, "%s/%s", tmpdir, state);
    if (state_map(path, &m) == 0) {
        out->sc = state_scalars(&m);
        state_unmap(&m);
    } else {
        diag("cannot read %s", path);
    }
}

static bool same_rows(const struct obs *a, const struct obs *b, size_t *first_diff)
{
    if (a->n != b->n) {
        *first_diff = a->n < b->n ? a->n : b->n;
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->rows[i].name, b->rows[i].name) != 0 || a->rows[i].t_end != b->rows[i].t_end ||
            memcmp(a->rows[i].v, b->rows[i].v, sizeof a->rows[i].v) != 0) {
            *first_diff = i;
            return false;
        }
    }
    return true;
}

static void compare(const struct run *ref, const struct run *q, unsigned slots)
{
    size_t d = 0;

    bool same = same_rows(&ref->o, &q->o, &d);

    ok(same, "ring of %u: the same %zu closed (entity, step) rows", slots, ref->o.n);
    if (!same && d < ref->o.n && d < q->o.n)
        diag("first difference at row %zu: %s %llu", d, ref->o.rows[d].name,
             (unsigned long long)ref->o.rows[d].t_end);
    is_uint(q->st.flows, ref->st.flows, "ring of %u: flows", slots);
    is_uint(q->st.late, ref->st.late, "ring of %u: late", slots);
    is_uint(q->st.future, ref->st.future, "ring of %u: future", slots);
    is_uint(q->st.steps_closed, ref->st.steps_closed, "ring of %u: steps closed", slots);
    is_uint(q->st.hosts_evicted, ref->st.hosts_evicted, "ring of %u: hosts evicted", slots);
    is_uint(q->st.other_flows, ref->st.other_flows, "ring of %u: other flows", slots);
    ok(memcmp(&q->sc.transit, &ref->sc.transit, sizeof q->sc.transit) == 0 &&
           memcmp(&q->sc.local, &ref->sc.local, sizeof q->sc.local) == 0,
       "ring of %u: state file transit and local counters", slots);
    is_uint(q->sc.records, ref->sc.records, "ring of %u: state file records", slots);
    is_uint(q->sc.records_lost, ref->sc.records_lost, "ring of %u: state file records lost",
            slots);
    is_uint(q->sc.malformed, ref->sc.malformed, "ring of %u: state file malformed", slots);
    is_uint(q->sc.late, ref->sc.late, "ring of %u: state file late", slots);
    diag("ring of %u: the producer found it full %llu times", slots,
         (unsigned long long)q->full_waits);
}

int main(void)
{
    static struct fsn_flow f[NREC];
    static unsigned xi[NREC];
    uint64_t wall = (uint64_t)time(NULL) * 1000;
    uint64_t t0 = wall - wall % 60000 - 1800000;
    struct run ref, q;
    static const unsigned sizes[] = {2, 8, 0};
    char err[100];

    snprintf(tmpdir, sizeof tmpdir, "%s/coll-aggq.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }
    make_records(f, xi, t0);
    feed(&ref, f, xi, wall, 0, "direct.state");
    /* The mix must reach what it is meant to test. */
    ok(ref.st.steps_closed >= 20 && ref.st.late > 0 && ref.st.future > 0 &&
           ref.st.hosts_evicted + ref.st.other_flows > 0,
       "direct: %llu steps, %llu late, %llu future, %llu evicted, %llu other",
       (unsigned long long)ref.st.steps_closed, (unsigned long long)ref.st.late,
       (unsigned long long)ref.st.future, (unsigned long long)ref.st.hosts_evicted,
       (unsigned long long)ref.st.other_flows);
    is_uint(ref.st.flows, NREC, "direct: every record counted");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "queued-%u.state", sizes[i]);
        feed(&q, f, xi, wall, sizes[i], name);
        compare(&ref, &q, sizes[i] ? sizes[i] : COLL_AGGQ_SLOTS);
        free(q.o.rows);
    }
    {
        struct coll_aggq *bad = coll_aggq_new(NULL, 3, err, sizeof err);
        ok(bad == NULL, "a ring of 3 is refused: %s", err);
    }
    free(ref.o.rows);
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            diag("could not remove %s", tmpdir);
    }
    return tap_done();
}
