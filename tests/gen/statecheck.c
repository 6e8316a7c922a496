/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * statecheck: reads a flowsnmp state file the way flowagentx does (mapped
 * read-only, rows copied under the seqlock) for the integration tests.
 *
 *   statecheck -d FILE             dump every row as text (see below)
 *   statecheck -c FILE [-t SECS] [-n MAX] [-u]
 *       check continuously, while a writer updates the file, that every row
 *       keeps the invariant the test's feed makes true: octets == 1000 x
 *       packets and flows <= packets, in and out. Stops when the writer has
 *       gone (writer_pid 0 after it was seen running), after SECS seconds
 *       (default 30) or MAX passes. -u reads rows without the seqlock, to
 *       show that the check can see torn rows at all.
 *       Prints "passes P rows R torn T retries Y updates U" (U: passes in
 *       which the total had changed since the previous one) and exits 1
 *       when a row broke the invariant (or nothing was checked).
 *
 * Dump lines: "hdr created C discontinuity D writer_pid P generation G step S"
 *             "total|local|transit|other|host ADDR|service NAME|proto NAME  io oo ip op if of"
 *             "scalars records R lost L malformed M late T hosts H evicted E"
 *             "exporter ADDR-DOMAIN datagrams D records R lost L"
 *             "hostsvc ADDR|- SERVICE  pio poo pip pop pif pof  uio uoo uip uop uif uof  created C"
 *               (a hosts x services cell: provided, then used; "-": the other host)
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/state.h"

static int map(const char *path, struct fsn_state_hdr **h, size_t *size)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    void *p;

    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(path);
        return -1;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        perror("mmap");
        return -1;
    }
    if (fsn_state_check(p, (size_t)st.st_size) != 0) {
        fprintf(stderr, "%s: not a state file\n", path);
        munmap(p, (size_t)st.st_size);
        return -1;
    }
    *h = p;
    *size = (size_t)st.st_size;
    return 0;
}

static void pctr(const char *what, const char *name, const struct fsn_state_ctr *c)
{
    printf("%s%s%s %ju %ju %ju %ju %ju %ju\n", what, name ? " " : "", name ? name : "",
           (uintmax_t)c->in_octets, (uintmax_t)c->out_octets, (uintmax_t)c->in_packets,
           (uintmax_t)c->out_packets, (uintmax_t)c->in_flows, (uintmax_t)c->out_flows);
}

static void addr_text(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
    if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
        snprintf(buf, len, "?");
}

static int dump(struct fsn_state_hdr *h)
{
    struct fsn_state_scalars s;
    char t[64];

    printf("hdr created %ju discontinuity %ju writer_pid %u generation %ju step %u\n",
           (uintmax_t)h->created, (uintmax_t)h->discontinuity, h->writer_pid,
           (uintmax_t)h->generation, h->step);
    if (fsn_state_read(fsn_state_scalars(h), &s, sizeof s, 100000) != 0)
        return 1;
    pctr("total", NULL, &s.total);
    pctr("local", NULL, &s.local);
    pctr("transit", NULL, &s.transit);
    printf("scalars records %ju lost %ju malformed %ju late %ju hosts %u evicted %ju\n",
           (uintmax_t)s.records, (uintmax_t)s.records_lost, (uintmax_t)s.malformed,
           (uintmax_t)s.late, s.hosts_in_use, (uintmax_t)s.hosts_evicted);
    for (uint32_t i = 0; i < h->host_cap; i++) {
        struct fsn_state_host r;
        if (fsn_state_read(fsn_state_host(h, i), &r, sizeof r, 100000) != 0 || !r.in_use)
            continue;
        if (r.family == 0) {
            pctr("other", NULL, &r.c);
            continue;
        }
        addr_text(r.family, r.addr, t, sizeof t);
        pctr("host", t, &r.c);
    }
    for (uint32_t i = 0; i < h->service_cap; i++) {
        struct fsn_state_service r;
        if (fsn_state_read(fsn_state_service(h, i), &r, sizeof r, 100000) != 0 || !r.in_use)
            continue;
        r.name[sizeof r.name - 1] = '\0';
        pctr("service", r.name, &r.c);
    }
    for (uint32_t i = 0; i < h->proto_cap; i++) {
        struct fsn_state_proto r;
        if (fsn_state_read(fsn_state_proto(h, i), &r, sizeof r, 100000) != 0 || !r.in_use)
            continue;
        r.name[sizeof r.name - 1] = '\0';
        pctr("proto", r.name, &r.c);
    }
    for (uint32_t i = 0; i < h->exporter_cap; i++) {
        struct fsn_state_exporter r;
        if (fsn_state_read(fsn_state_exporter(h, i), &r, sizeof r, 100000) != 0 || !r.in_use)
            continue;
        addr_text(r.family, r.addr, t, sizeof t);
        printf("exporter %s-%u datagrams %ju records %ju lost %ju\n", t, r.domain,
               (uintmax_t)r.datagrams, (uintmax_t)r.records, (uintmax_t)r.records_lost);
    }
    for (uint32_t i = 0; i < h->xt[FSN_STATE_XT_HOSTSVC].cap; i++) {
        struct fsn_state_hostsvc r;
        const struct fsn_state_ctr *c[2] = {&r.provided, &r.used};
        if (fsn_state_read(fsn_state_xrow(h, FSN_STATE_XT_HOSTSVC, i), &r, sizeof r, 100000) !=
                0 ||
            !r.in_use)
            continue;
        r.service[sizeof r.service - 1] = '\0';
        if (r.family)
            addr_text(r.family, r.addr, t, sizeof t);
        else
            snprintf(t, sizeof t, "-");
        printf("hostsvc %s %s", t, r.service);
        for (int k = 0; k < 2; k++)
            printf(" %ju %ju %ju %ju %ju %ju", (uintmax_t)c[k]->in_octets,
                   (uintmax_t)c[k]->out_octets, (uintmax_t)c[k]->in_packets,
                   (uintmax_t)c[k]->out_packets, (uintmax_t)c[k]->in_flows,
                   (uintmax_t)c[k]->out_flows);
        printf(" created %ju\n", (uintmax_t)r.created);
    }
    return 0;
}

static bool ctr_ok(const struct fsn_state_ctr *c)
{
    return c->in_octets == 1000 * c->in_packets && c->out_octets == 1000 * c->out_packets &&
           c->in_flows <= c->in_packets && c->out_flows <= c->out_packets;
}

struct tally {
    unsigned long rows, torn, retries;
};

/* Copies a row with the seqlock, or (unlocked) with a plain copy. */
static bool get(const void *row, void *out, size_t len, bool unlocked, struct tally *t)
{
    if (unlocked) {
        memcpy(out, row, len);
        return true;
    }
    for (unsigned i = 0; i < 1000; i++)
        if (fsn_state_read(row, out, len, 1) == 0)
            return true;
        else
            t->retries++;
    return false;
}

static int check(struct fsn_state_hdr *h, double secs, unsigned long max, bool unlocked)
{
    struct tally t = {0, 0, 0};
    struct timespec t0, now;
    unsigned long passes = 0, updates = 0;
    uint64_t last_total = 0;
    bool seen_writer = false;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (; passes < max; passes++) {
        struct fsn_state_scalars s;
        uint32_t pid = *(volatile uint32_t *)&h->writer_pid;

        if (pid)
            seen_writer = true;
        if (get(fsn_state_scalars(h), &s, sizeof s, unlocked, &t)) {
            t.rows++;
            if (!ctr_ok(&s.total))
                t.torn++;
            /* Progress seen while checking: the total changed since the last pass. */
            if (s.total.in_packets != last_total)
                updates++;
            last_total = s.total.in_packets;
        }
        for (uint32_t i = 0; i < h->host_cap; i++) {
            struct fsn_state_host r;
            if (!get(fsn_state_host(h, i), &r, sizeof r, unlocked, &t) || !r.in_use)
                continue;
            t.rows++;
            if (!ctr_ok(&r.c))
                t.torn++;
        }
        for (uint32_t i = 0; i < h->service_cap; i++) {
            struct fsn_state_service r;
            if (!get(fsn_state_service(h, i), &r, sizeof r, unlocked, &t) || !r.in_use)
                continue;
            t.rows++;
            if (!ctr_ok(&r.c))
                t.torn++;
        }
        for (uint32_t i = 0; i < h->proto_cap; i++) {
            struct fsn_state_proto r;
            if (!get(fsn_state_proto(h, i), &r, sizeof r, unlocked, &t) || !r.in_use)
                continue;
            t.rows++;
            if (!ctr_ok(&r.c))
                t.torn++;
        }
        if (seen_writer && pid == 0)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 > secs)
            break;
    }
    printf("passes %lu rows %lu torn %lu retries %lu updates %lu\n", passes, t.rows, t.torn,
           t.retries, updates);
    return t.torn == 0 && t.rows > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct fsn_state_hdr *h;
    size_t size;
    const char *file = NULL;
    int mode = 0, opt;
    double secs = 30;
    unsigned long max = 100000000;
    bool unlocked = false;

    while ((opt = getopt(argc, argv, "d:c:t:n:u")) != -1) {
        switch (opt) {
        case 'd': mode = 'd'; file = optarg; break;
        case 'c': mode = 'c'; file = optarg; break;
        case 't': secs = atof(optarg); break;
        case 'n': max = strtoul(optarg, NULL, 10); break;
        case 'u': unlocked = true; break;
        default: mode = 0; break;
        }
    }
    if (!mode || !file) {
        fprintf(stderr, "usage: statecheck -d FILE | -c FILE [-t SECS] [-n MAX] [-u]\n");
        return 2;
    }
    if (map(file, &h, &size) != 0)
        return 2;
    return mode == 'd' ? dump(h) : check(h, secs, max, unlocked);
}
