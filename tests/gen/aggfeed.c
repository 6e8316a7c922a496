/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * aggfeed: drives the aggregator (rrd/agg*.c) with flows read as text, for
 * the integration tests and until flowcollectd feeds it itself.
 *
 *   aggfeed -c CONF [-P N] [-W SECS] [-x] < FLOWS
 *
 * CONF holds the aggregator's directives (local-network, service, step,
 * grace, pro-rate, max-hosts, rrd-dir, rrdcached, state-file), one per line.
 * FLOWS has one flow per line:
 *   FIRST_MS LAST_MS PROTO SRC SPORT DST DPORT PACKETS OCTETS [EXPORTER DOMAIN]
 * -P N     publish the state file every N records (default: once a second)
 * -W SECS  after the input, keep retrying RRD writes for up to SECS seconds
 *          until every closed step is written (rrdcached coming back)
 * -x       exit without agg_flush (the open steps are not written: a crash)
 * Prints "input done" on stderr when the input is consumed, and its
 * counters at the end. Exit status 0, or 1 on a usage or start-up error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/conffile.h"
#include "rrd/agg.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int load_conf(const char *file, struct agg_conf *c)
{
    char err[512];

    if (conffile_load(file, agg_conf_directives, agg_conf_ndirectives, c, err, sizeof err) != 0 ||
        agg_conf_finish(c, err, sizeof err) != 0) {
        fprintf(stderr, "aggfeed: %s\n", err);
        return -1;
    }
    return 0;
}

static int parse_addr(const char *s, uint8_t *fam, uint8_t *out)
{
    if (inet_pton(AF_INET, s, out) == 1) {
        *fam = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *fam = 6;
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    struct agg_conf conf;
    struct agg *a;
    const char *cfile = NULL;
    unsigned long pub_every = 0, wait_s = 0;
    int crash = 0, opt;
    char line[512], err[256];
    unsigned long n = 0, bad = 0;
    struct agg_stats st;

    while ((opt = getopt(argc, argv, "c:P:W:x")) != -1) {
        switch (opt) {
        case 'c': cfile = optarg; break;
        case 'P': pub_every = strtoul(optarg, NULL, 10); break;
        case 'W': wait_s = strtoul(optarg, NULL, 10); break;
        case 'x': crash = 1; break;
        default:
            fprintf(stderr, "usage: aggfeed -c CONF [-P N] [-W SECS] [-x] < FLOWS\n");
            return 1;
        }
    }
    if (!cfile) {
        fprintf(stderr, "usage: aggfeed -c CONF [-P N] [-W SECS] [-x] < FLOWS\n");
        return 1;
    }
    agg_conf_init(&conf);
    if (load_conf(cfile, &conf) != 0)
        return 1;
    a = agg_new(&conf, now_ms(), err, sizeof err);
    agg_conf_fini(&conf);
    if (!a) {
        fprintf(stderr, "aggfeed: %s\n", err);
        return 1;
    }
    while (fgets(line, sizeof line, stdin)) {
        char src[64], dst[64], xs[64] = "";
        unsigned long long first, last, pk, oct;
        unsigned proto, sport, dport, dom = 0;
        struct fsn_flow f;
        struct agg_exporter_id x;
        int k = sscanf(line, "%llu %llu %u %63s %u %63s %u %llu %llu %63s %u", &first, &last,
                       &proto, src, &sport, dst, &dport, &pk, &oct, xs, &dom);
        uint8_t fam2;

        if (k < 9) {
            bad++;
            continue;
        }
        memset(&f, 0, sizeof f);
        memset(&x, 0, sizeof x);
        if (parse_addr(src, &f.key.family, f.key.src) != 0 ||
            parse_addr(dst, &fam2, f.key.dst) != 0 || fam2 != f.key.family ||
            (k == 11 && parse_addr(xs, &x.family, x.addr) != 0)) {
            bad++;
            continue;
        }
        f.first_ms = first;
        f.last_ms = last;
        f.key.proto = (uint8_t)proto;
        f.key.sport = (uint16_t)sport;
        f.key.dport = (uint16_t)dport;
        f.packets = pk;
        f.octets = oct;
        f.sampling = 1;
        x.domain = dom;
        x.version = 10;
        agg_add(a, &f, k == 11 ? &x : NULL);
        if (k == 11) {
            struct agg_exporter_delta d = {.records = 1, .last_seen = now_ms() / 1000};
            agg_exporter_stats(a, &x, &d);
        }
        n++;
        if (pub_every && n % pub_every == 0)
            agg_publish(a, now_ms());
        if (n % 256 == 0)
            agg_tick(a, now_ms(), 20);
    }
    fprintf(stderr, "input done\n");
    if (crash) {
        /* Leave like a crash would: nothing flushed, the state as last published. */
        fprintf(stderr, "aggfeed: %lu records, exiting without flush\n", n);
        _exit(0);
    }
    agg_flush(a, now_ms());
    for (unsigned long i = 0; i < wait_s * 10; i++) {
        if (agg_tick(a, now_ms(), 0) == 0)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    agg_get_stats(a, &st);
    fprintf(stderr,
            "aggfeed: records %lu bad %lu late %ju future %ju evicted %ju steps %ju skipped %ju "
            "created %ju updates %ju rrd_errors %ju dropped %ju pending %ju\n",
            n, bad, (uintmax_t)st.late, (uintmax_t)st.future, (uintmax_t)st.hosts_evicted,
            (uintmax_t)st.steps_closed, (uintmax_t)st.steps_skipped, (uintmax_t)st.rrd_created,
            (uintmax_t)st.rrd_updates, (uintmax_t)st.rrd_errors, (uintmax_t)st.rrd_dropped,
            (uintmax_t)st.rrd_pending);
    agg_free(a);
    return 0;
}
