/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * aggbench: the aggregator's speed (issue 4, "Speed").
 *
 *   aggbench -R DIR [-d DAEMON] [-H HOSTS] [-S SERVICES] [-N FLOWS] [-A]
 *
 * (-A: part 1 only, for profiling agg_add and agg_add_batch.)
 * 1. records per second that agg_add() counts (one core, no RRD files):
 *    FLOWS random flows over HOSTS local hosts, SERVICES services and all
 *    256 IP protocols; without the hosts x services table
 *    (max-host-services 0) and with it (the default bounds), and the cost
 *    of the table per record;
 * 2. the time to close one step with every one of those entities in it
 *    (HOSTS + SERVICES + 256 protocols + total + exporter RRD files, and two
 *    hosts x services cells per host), written directly, or through
 *    rrdcached at DAEMON: the first step (files created) and the next ones
 *    (updates only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rrd/agg.h"
#include "tests/xorshift.h"

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void)
{
    return xorshift64(&rs);
}

static void host_addr(unsigned h, uint8_t *a)
{
    a[0] = 10;
    a[1] = (uint8_t)(h >> 16);
    a[2] = (uint8_t)(h >> 8);
    a[3] = (uint8_t)h;
}

static int make_conf(struct agg_conf *c, unsigned hosts, unsigned services, const char *dir,
                     const char *daemon, bool matrix)
{
    char err[256], name[32], r1[32], r2[32];
    char *argv[3];

    agg_conf_init(c);
    {
        char net[] = "10.0.0.0/8";
        char *nv[1] = {net};
        agg_conf_local_network(c, 1, nv, err, sizeof err);
    }
    for (unsigned s = 0; s < services; s++) {
        snprintf(name, sizeof name, "svc%u", s);
        snprintf(r1, sizeof r1, "tcp/%u", 1000 + s);
        snprintf(r2, sizeof r2, "udp/%u", 1000 + s);
        argv[0] = name;
        argv[1] = r1;
        argv[2] = r2;
        if (agg_conf_service(c, 3, argv, err, sizeof err) != 0) {
            fprintf(stderr, "aggbench: %s\n", err);
            return -1;
        }
    }
    c->step = 300;
    c->grace = 0;
    c->max_hosts = hosts + 16;
    if (!matrix) {
        c->max_host_services = 0;
        c->max_host_services_set = true;
    }
    if (dir)
        snprintf(c->rrd_dir, sizeof c->rrd_dir, "%s", dir);
    if (daemon)
        snprintf(c->rrdcached, sizeof c->rrdcached, "%s", daemon);
    if (agg_conf_finish(c, err, sizeof err) != 0) {
        fprintf(stderr, "aggbench: %s\n", err);
        return -1;
    }
    return 0;
}

static void random_flow(struct fsn_flow *f, unsigned hosts, unsigned services, uint64_t t)
{
    uint64_t r = rnd();
    memset(f, 0, sizeof *f);
    f->key.family = FSN_FAMILY_IPV4;
    f->key.proto = (r & 3) ? ((r & 4) ? 6 : 17) : (uint8_t)(r >> 8);
    unsigned h = (unsigned)(rnd() % hosts);
    if (r & (1u << 16)) {
        host_addr(h, f->key.dst);
        f->key.src[0] = 198, f->key.src[1] = 51, f->key.src[2] = 100, f->key.src[3] = (uint8_t)r;
    } else {
        host_addr(h, f->key.src);
        f->key.dst[0] = 198, f->key.dst[1] = 51, f->key.dst[2] = 100, f->key.dst[3] = (uint8_t)r;
    }
    /*
     * Half the records are of one of the host's three services (a host uses
     * a handful of the 100), the rest of none: 30,000 hosts x services cells.
     */
    if (rnd() & 1)
        f->key.sport = (uint16_t)(1000 + (h * 7 + (unsigned)(rnd() % 3) * 13) % services);
    else
        f->key.sport = (uint16_t)(1000 + services + rnd() % 1000);
    f->key.dport = (uint16_t)(30000 + (r >> 20) % 30000);
    f->last_ms = t;
    f->first_ms = t - rnd() % 120000;
    f->packets = 1 + rnd() % 100;
    f->octets = f->packets * (40 + rnd() % 1400);
}

/*
 * Two flows for each host, of two services (two hosts x services cells),
 * and every service and protocol, all in the step before `t`.
 */
static void fill_step(struct agg *a, unsigned hosts, unsigned services, uint64_t t,
                      const struct agg_exporter_id *x)
{
    struct fsn_flow f;
    for (unsigned h = 0; h < hosts; h++) {
        for (unsigned k = 0; k < 2; k++) {
            random_flow(&f, hosts, services, t);
            host_addr(h, f.key.dst);
            f.key.src[0] = 198;
            f.key.sport = (uint16_t)(1000 + (h + k * 37) % services);
            f.key.proto = k ? 17 : h % 3 == 0 ? 6 : h % 3 == 1 ? 17 : (uint8_t)(h % 256);
            f.first_ms = t - 1000;
            agg_add(a, &f, x);
        }
    }
}

/* Part 1 for one configuration: records/s of agg_add and of agg_add_batch. */
static int add_rates(const struct agg_conf *c, const struct fsn_flow *flows,
                     const struct agg_rec *recs, unsigned long nflows,
                     const struct agg_exporter_id *x, uint64_t now, double rate[2])
{
    char err[256];
    struct agg_stats st;
    struct agg *a;
    double t0, t1;

    for (int pass = 0; pass < 2; pass++) {
        a = agg_new(c, now, err, sizeof err);
        if (!a) {
            fprintf(stderr, "aggbench: %s\n", err);
            return -1;
        }
        t0 = mono();
        if (pass == 0)
            for (unsigned long i = 0; i < nflows; i++)
                agg_add(a, &flows[i], x);
        else
            for (unsigned long i = 0; i < nflows; i += 256)
                agg_add_batch(a, recs + i, nflows - i < 256 ? nflows - i : 256, x);
        t1 = mono();
        rate[pass] = (double)nflows / (t1 - t0);
        agg_get_stats(a, &st);
        printf("  %s: %lu records in %.3f s: %.0f records/s, %.0f ns each%s", 
               pass ? "agg_add_batch (256)" : "agg_add", nflows, t1 - t0, rate[pass],
               1e9 / rate[pass], c->max_host_services ? "" : "\n");
        if (c->max_host_services)
            printf(" (%ju cells, %ju evicted, %ju overflows)\n", (uintmax_t)st.hs_cells,
                   (uintmax_t)st.hs_evicted, (uintmax_t)st.hs_overflow);
        agg_free(a);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *daemon = NULL;
    unsigned hosts = 10000, services = 100;
    unsigned long nflows = 2000000;
    int add_only = 0;
    struct agg_conf c;
    struct agg *a;
    char err[256];
    struct fsn_flow *flows;
    struct agg_rec *recs;
    struct agg_exporter_id x;
    int opt;
    double t0, t1, rate[2][2];
    uint64_t now = (uint64_t)time(NULL) * 1000;
    uint64_t base = (now / 300000 - 576) * 300000; /* two days back, on a step boundary */

    while ((opt = getopt(argc, argv, "R:d:H:S:N:A")) != -1) {
        switch (opt) {
        case 'R': dir = optarg; break;
        case 'd': daemon = optarg; break;
        case 'H': hosts = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'S': services = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'N': nflows = strtoul(optarg, NULL, 10); break;
        case 'A': add_only = 1; break;
        default:
            fprintf(stderr, "usage: aggbench -R DIR [-d DAEMON] [-H HOSTS] [-S SERVICES] [-N FLOWS] [-A]\n");
            return 2;
        }
    }
    if (!dir || hosts < 1 || services < 1 || services > 900) {
        fprintf(stderr, "usage: aggbench -R DIR [-d DAEMON] [-H HOSTS] [-S SERVICES] [-N FLOWS] [-A]\n");
        return 2;
    }
    memset(&x, 0, sizeof x);
    x.family = FSN_FAMILY_IPV4;
    x.addr[0] = 192, x.addr[1] = 0, x.addr[2] = 2, x.addr[3] = 1;

    /* 1. agg_add throughput, no RRD files (steps close in memory only). */
    flows = malloc(nflows * sizeof *flows);
    recs = malloc(nflows * sizeof *recs);
    if (!flows || !recs)
        return 1;
    for (unsigned long i = 0; i < nflows; i++)
        random_flow(&flows[i], hosts, services, base + i * (3600000ull * 6 / nflows));
    /* agg_add_batch takes compact records, as flowcollectd's aggregator thread does. */
    for (unsigned long i = 0; i < nflows; i++)
        agg_rec_from_flow(&recs[i], &flows[i]);
    for (int m = 0; m < 2; m++) {
        if (make_conf(&c, hosts, services, NULL, NULL, m == 1) != 0)
            return 1;
        printf("%s (%u hosts, %u services, all protocols, pro-rating on%s):\n",
               m ? "with hosts x services" : "without hosts x services", hosts, services,
               m ? ", default bounds" : "");
        if (m)
            printf("  max-host-services %u\n", c.max_host_services);
        if (add_rates(&c, flows, recs, nflows, &x, now, rate[m]) != 0)
            return 1;
        agg_conf_fini(&c);
    }
    printf("hosts x services: CPU per record %+.0f %% (agg_add), %+.0f %% (agg_add_batch)\n",
           (rate[0][0] / rate[1][0] - 1) * 100, (rate[0][1] / rate[1][1] - 1) * 100);
    free(recs);
    free(flows);
    if (add_only)
        return 0;

    /* 2. Closing a step with every entity in it, written to RRD files. */
    if (make_conf(&c, hosts, services, dir, daemon, true) != 0)
        return 1;
    a = agg_new(&c, now, err, sizeof err);
    if (!a) {
        fprintf(stderr, "aggbench: %s\n", err);
        return 1;
    }
    for (int step = 0; step < 4; step++) {
        uint64_t t = base + 7 * 3600000ull + (uint64_t)step * 300000 + 299000;
        struct fsn_flow closer;
        struct agg_stats st;
        size_t left;

        fill_step(a, hosts, services, t, &x);
        random_flow(&closer, hosts, services, t + 1000); /* the next step: closes this one */
        agg_add(a, &closer, &x);
        t0 = mono();
        left = agg_tick(a, now, 0);
        t1 = mono();
        agg_get_stats(a, &st);
        printf("step close %d (%s%s): %.3f s, %ju files, %ju updates so far, %ju errors, %zu left, "
               "%ju hosts x services cells\n",
               step + 1, daemon ? "rrdcached" : "direct", step == 0 ? ", files created" : "",
               t1 - t0, (uintmax_t)st.rrd_created, (uintmax_t)st.rrd_updates,
               (uintmax_t)st.rrd_errors, left, (uintmax_t)st.hs_cells);
    }
    agg_free(a);
    agg_conf_fini(&c);
    return 0;
}
