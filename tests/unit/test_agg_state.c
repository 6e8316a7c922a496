/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The state file across aggregator restarts: counters continue (never
 * decrease), creation and discontinuity times stay; a change of capacity
 * keeps the counters; an incompatible or damaged file is moved aside and a
 * new one starts from zero with a new discontinuity time; one writer only.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/agg_testlib.h"

#define W1 1700000000000ull  /* wall clock of the first run, ms */
#define T0 1700000100000ull  /* flow times */

static char tmpdir[128];
static char path[200];

static struct agg *start(unsigned max_hosts, uint64_t now_ms, char *err, size_t errlen)
{
    struct agg_conf c;
    char line[300];
    struct agg *a;

    agg_conf_init(&c);
    conf_line(&c, "local-network 10.0.0.0/8", err, errlen);
    conf_line(&c, "service web tcp/80", err, errlen);
    conf_line(&c, "step 60", err, errlen);
    snprintf(line, sizeof line, "state-file %s", path);
    conf_line(&c, line, err, errlen);
    snprintf(line, sizeof line, "max-hosts %u", max_hosts);
    conf_line(&c, line, err, errlen);
    agg_conf_finish(&c, err, errlen);
    a = agg_new(&c, now_ms, err, errlen);
    agg_conf_fini(&c);
    return a;
}

/* Flows to 10.0.0.1..n: host i gets i * 100 octets, i packets, per call. */
static void feed(struct agg *a, int n, uint64_t t)
{
    char ip[32];
    for (int i = 1; i <= n; i++) {
        snprintf(ip, sizeof ip, "10.0.0.%d", i);
        struct fsn_flow f = mkflow("192.0.2.1", 1000, ip, 80, 6, t, t + 10, (uint64_t)i,
                                   (uint64_t)i * 100);
        agg_add(a, &f, NULL);
    }
}

static int count_aside(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, "p.state.bad-", 12) == 0;
    closedir(d);
    return n;
}

int main(void)
{
    char err[200];
    struct agg *a, *b;
    struct statemap m;
    struct fsn_state_scalars sc;
    struct fsn_state_host h;
    uint64_t created, disc, gen;
    uint32_t rows;
    struct fsn_state_ctr sum;

    snprintf(tmpdir, sizeof tmpdir, "%s/agg-state.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/p.state", tmpdir);

    /* Run 1: 8 hosts, 3600 octets in total (100 * (1 + ... + 8)). */
    a = start(10000, W1, err, sizeof err);
    ok(a != NULL, "run 1 starts (%s)", a ? "" : err);
    if (!a)
        return tap_done();
    feed(a, 8, T0);
    agg_free(a);
    ok(state_map(path, &m) == 0, "run 1: file checks");
    if (!m.h)
        return tap_done();
    sc = state_scalars(&m);
    is_uint(sc.total.in_octets, 3600, "run 1: total");
    is_uint(sc.hosts_in_use, 8, "run 1: hosts");
    is_uint(m.h->writer_pid, 0, "run 1: writer_pid 0 after a clean stop");
    is_uint(m.h->created, W1 / 1000, "run 1: created");
    is_uint(m.h->discontinuity, W1 / 1000, "run 1: discontinuity = creation");
    is_uint(m.h->step, 60, "run 1: step in the header");
    created = m.h->created;
    disc = m.h->discontinuity;
    gen = m.h->generation;
    state_unmap(&m);

    /* Run 2 continues; a second writer on the same file is refused. */
    a = start(10000, W1 + 60000, err, sizeof err);
    ok(a != NULL, "run 2 starts");
    if (!a)
        return tap_done();
    b = start(10000, W1 + 60000, err, sizeof err);
    ok(b == NULL, "a second writer is refused (%s)", b ? "started" : err);
    agg_free(b);
    feed(a, 10, T0 + 60000);
    agg_publish(a, W1 + 61000);
    state_map(path, &m);
    sc = state_scalars(&m);
    is_uint(sc.total.in_octets, 3600 + 5500, "run 2: total continues");
    is_uint(sc.total.in_flows, 8 + 10, "run 2: flows continue");
    state_host(&m, "10.0.0.3", &h);
    is_uint(h.c.in_octets, 600, "run 2: host row continues");
    state_host(&m, "10.0.0.9", &h);
    is_uint(h.c.in_octets, 900, "run 2: new host");
    is_uint(m.h->created, created, "run 2: same creation time");
    is_uint(m.h->discontinuity, disc, "run 2: no discontinuity");
    is_uint(m.h->writer_pid, (uint64_t)getpid(), "run 2: writer_pid while running");
    ok(m.h->generation > gen, "run 2: generation moved on (rows added)");
    state_unmap(&m);
    agg_free(a);

    /* A writer that died inside a row left its seq odd: the next run takes the row. */
    {
        int fd = open(path, O_RDWR);
        struct fsn_state_hdr hh;
        if (fd >= 0 && pread(fd, &hh, sizeof hh, 0) == (ssize_t)sizeof hh) {
            uint32_t odd = 7;
            if (pwrite(fd, &odd, sizeof odd, (off_t)(hh.hosts_off + sizeof(struct fsn_state_host)))
                != (ssize_t)sizeof odd)
                diag("pwrite failed");
        }
        if (fd >= 0)
            close(fd);
    }

    /* Run 3 with a smaller host table: a new file, the same counters. */
    a = start(5, W1 + 120000, err, sizeof err);
    ok(a != NULL, "run 3 (max-hosts 5) starts");
    if (!a)
        return tap_done();
    agg_publish(a, W1 + 121000);
    state_map(path, &m);
    sc = state_scalars(&m);
    is_uint(m.h->host_cap, 6, "run 3: file has the new capacity");
    is_uint(sc.total.in_octets, 9100, "run 3: total kept");
    is_uint(sc.hosts_in_use, 5, "run 3: five host rows");
    sum = state_host_sum(&m, &rows);
    ok(ctr_eq(&sum, &sc.total), "run 3: rows + other == total (the rest in other)");
    is_uint(m.h->created, created, "run 3: same creation time");
    is_uint(m.h->discontinuity, disc, "run 3: no discontinuity");
    is_int(count_aside(), 0, "run 3: nothing moved aside");
    state_unmap(&m);
    agg_free(a);

    /* An incompatible file (another version): moved aside, counters from zero. */
    {
        int fd = open(path, O_RDWR);
        uint32_t v = 99;
        if (fd < 0 || pwrite(fd, &v, sizeof v, 8) != (ssize_t)sizeof v)
            diag("cannot damage the file");
        if (fd >= 0)
            close(fd);
    }
    a = start(5, W1 + 5000000, err, sizeof err);
    ok(a != NULL, "run 4 starts over an incompatible file");
    if (!a)
        return tap_done();
    feed(a, 2, T0 + 120000);
    agg_free(a);
    is_int(count_aside(), 1, "run 4: the old file moved aside");
    state_map(path, &m);
    sc = state_scalars(&m);
    is_uint(sc.total.in_octets, 300, "run 4: counters restart from zero");
    is_uint(m.h->discontinuity, (W1 + 5000000) / 1000, "run 4: new discontinuity time");
    ok(m.h->discontinuity > disc, "run 4: discontinuity moved forward");
    state_unmap(&m);

    /* A file too short to hold a header: moved aside as well. */
    {
        FILE *f = fopen(path, "w");
        if (f) {
            fputs("garbage", f);
            fclose(f);
        }
    }
    a = start(5, W1 + 6000000, err, sizeof err);
    ok(a != NULL, "run 5 starts over a damaged file");
    agg_free(a);
    is_int(count_aside(), 2, "run 5: moved aside");
    ok(state_map(path, &m) == 0, "run 5: new file checks");
    state_unmap(&m);

    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            diag("could not remove %s", tmpdir);
    }
    return tap_done();
}
