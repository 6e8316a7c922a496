/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared by the aggregator's unit tests (test_agg_*.c): flows,
 * a config, a step observer, and reading the state file the way a reader
 * (flowagentx) does. Expected values are always computed in the tests.
 */
#ifndef FSN_TESTS_AGG_TESTLIB_H
#define FSN_TESTS_AGG_TESTLIB_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/flow.h"
#include "lib/state.h"
#include "rrd/agg.h"
#include "tests/tap.h"

static inline struct fsn_flow mkflow(const char *src, uint16_t sport, const char *dst,
                                     uint16_t dport, uint8_t proto, uint64_t first_ms,
                                     uint64_t last_ms, uint64_t packets, uint64_t octets)
{
    struct fsn_flow f;

    memset(&f, 0, sizeof f);
    if (strchr(src, ':')) {
        f.key.family = FSN_FAMILY_IPV6;
        inet_pton(AF_INET6, src, f.key.src);
        inet_pton(AF_INET6, dst, f.key.dst);
    } else {
        f.key.family = FSN_FAMILY_IPV4;
        inet_pton(AF_INET, src, f.key.src);
        inet_pton(AF_INET, dst, f.key.dst);
    }
    f.key.sport = sport;
    f.key.dport = dport;
    f.key.proto = proto;
    f.first_ms = first_ms;
    f.last_ms = last_ms;
    f.packets = packets;
    f.octets = octets;
    f.sampling = 1;
    return f;
}

static inline struct agg_exporter_id mkexp(const char *addr, uint32_t domain)
{
    struct agg_exporter_id e;

    memset(&e, 0, sizeof e);
    e.family = FSN_FAMILY_IPV4;
    inet_pton(AF_INET, addr, e.addr);
    e.domain = domain;
    e.version = 10;
    return e;
}

/* Runs a directive handler from the table by name, as the config parser would. */
static inline int conf_line(struct agg_conf *c, const char *line, char *err, size_t errlen)
{
    char buf[512];
    char *argv[FSN_CONF_MAX_ARGS];
    int argc = 0;
    char *save = NULL, *key;

    snprintf(buf, sizeof buf, "%s", line);
    key = strtok_r(buf, " ", &save);
    for (char *t = strtok_r(NULL, " ", &save); t && argc < FSN_CONF_MAX_ARGS;
         t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    for (size_t i = 0; i < agg_conf_ndirectives; i++) {
        const struct fsn_conf_directive *d = &agg_conf_directives[i];
        if (strcmp(d->name, key) != 0)
            continue;
        if (argc < d->min_args || (d->max_args >= 0 && argc > d->max_args)) {
            snprintf(err, errlen, "wrong number of arguments");
            return -1;
        }
        return d->handler(c, argc, argv, err, errlen);
    }
    snprintf(err, errlen, "unknown directive %s", key);
    return -1;
}

/* ---- step observer: every (entity, step) the aggregator closes ---- */

struct obs_row {
    char name[64];
    uint64_t t_end;
    uint64_t v[AGG_NCTR];
};

struct obs {
    struct obs_row *rows;
    size_t n, cap;
    bool cells; /* also keep the hosts x services rows (names ending in /provides or /uses) */
};

static inline bool obs_is_cell(const char *name)
{
    size_t n = strlen(name);
    return (n > 9 && strcmp(name + n - 9, "/provides") == 0) ||
           (n > 5 && strcmp(name + n - 5, "/uses") == 0);
}

static inline void obs_hook(void *arg, const char *name, uint64_t t_end, const uint64_t v[AGG_NCTR])
{
    struct obs *o = arg;

    if (!o->cells && obs_is_cell(name))
        return;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 256;
        o->rows = realloc(o->rows, o->cap * sizeof *o->rows);
    }
    snprintf(o->rows[o->n].name, sizeof o->rows[o->n].name, "%s", name);
    o->rows[o->n].t_end = t_end;
    memcpy(o->rows[o->n].v, v, sizeof o->rows[o->n].v);
    o->n++;
}

/* Sum of counter `i` of entity `name` over all closed steps (or one step when t_end != 0). */
static inline uint64_t obs_sum(const struct obs *o, const char *name, int i, uint64_t t_end)
{
    uint64_t s = 0;
    for (size_t r = 0; r < o->n; r++)
        if (strcmp(o->rows[r].name, name) == 0 && (t_end == 0 || o->rows[r].t_end == t_end))
            s += o->rows[r].v[i];
    return s;
}

/* Number of times step t_end of entity `name` was closed (each step must close once). */
static inline int obs_count(const struct obs *o, const char *name, uint64_t t_end)
{
    int c = 0;
    for (size_t r = 0; r < o->n; r++)
        if (strcmp(o->rows[r].name, name) == 0 && o->rows[r].t_end == t_end)
            c++;
    return c;
}

/* ---- the state file, read as a reader does ---- */

struct statemap {
    struct fsn_state_hdr *h;
    size_t size;
};

static inline int state_map(const char *path, struct statemap *m)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    void *p;

    m->h = NULL;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -1;
    m->h = p;
    m->size = (size_t)st.st_size;
    if (fsn_state_check(m->h, m->size) != 0) {
        munmap(p, m->size);
        m->h = NULL;
        return -1;
    }
    return 0;
}

static inline void state_unmap(struct statemap *m)
{
    if (m->h)
        munmap(m->h, m->size);
    m->h = NULL;
}

static inline struct fsn_state_scalars state_scalars(struct statemap *m)
{
    struct fsn_state_scalars s;
    fsn_state_read(fsn_state_scalars(m->h), &s, sizeof s, 1000);
    return s;
}

/* The host row of an address (family 0 and NULL: the "other" row); false when absent. */
static inline bool state_host(struct statemap *m, const char *addr, struct fsn_state_host *out)
{
    uint8_t a[16] = {0};
    uint8_t fam = 0;

    if (addr) {
        fam = strchr(addr, ':') ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
        inet_pton(fam == FSN_FAMILY_IPV6 ? AF_INET6 : AF_INET, addr, a);
    }
    for (uint32_t i = 0; i < m->h->host_cap; i++) {
        fsn_state_read(fsn_state_host(m->h, i), out, sizeof *out, 1000);
        if (out->in_use && out->family == fam && memcmp(out->addr, a, 16) == 0)
            return true;
    }
    memset(out, 0, sizeof *out);
    return false;
}

static inline bool state_service(struct statemap *m, const char *name,
                                 struct fsn_state_service *out)
{
    for (uint32_t i = 0; i < m->h->service_cap; i++) {
        fsn_state_read(fsn_state_service(m->h, i), out, sizeof *out, 1000);
        if (out->in_use && strcmp(out->name, name) == 0)
            return true;
    }
    memset(out, 0, sizeof *out);
    return false;
}

static inline struct fsn_state_proto state_proto(struct statemap *m, uint8_t p)
{
    struct fsn_state_proto r;
    fsn_state_read(fsn_state_proto(m->h, p), &r, sizeof r, 1000);
    return r;
}

/* Sums of the host rows (the "other" row included), for rows + other == total. */
static inline struct fsn_state_ctr state_host_sum(struct statemap *m, uint32_t *rows)
{
    struct fsn_state_ctr s;
    memset(&s, 0, sizeof s);
    *rows = 0;
    for (uint32_t i = 0; i < m->h->host_cap; i++) {
        struct fsn_state_host r;
        fsn_state_read(fsn_state_host(m->h, i), &r, sizeof r, 1000);
        if (!r.in_use)
            continue;
        (*rows)++;
        s.in_octets += r.c.in_octets;
        s.out_octets += r.c.out_octets;
        s.in_packets += r.c.in_packets;
        s.out_packets += r.c.out_packets;
        s.in_flows += r.c.in_flows;
        s.out_flows += r.c.out_flows;
    }
    return s;
}

static inline bool ctr_eq(const struct fsn_state_ctr *a, const struct fsn_state_ctr *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

#endif
