/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowreport's hosts x services matrix (-s hostservice): the local networks
 * and services from the collector's config, the matrix made of the counters
 * that report_stats.c keeps per (host, service, role, direction), and its
 * output. The counting rules are the aggregator's (docs/counting.md, "Hosts
 * x services"); the service matching is its code (rrd/agg_svc.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "collector/coll_conf.h"
#include "collector/report.h"
#include "lib/addr.h"
#include "lib/error.h"

/* ---- Local networks and services ---- */

int rep_local_load(struct rep_local *l, const char *path, char *err, size_t errlen)
{
    static const char *const keep[] = {"local-network", "service", NULL};
    char msg[400];
    int ret;

    memset(l, 0, sizeof *l);
    agg_conf_init(&l->conf);
    if (path && coll_conf_load_only(path, keep, &l->conf, err, errlen) < 0)
        return -1;
    if (agg_conf_finish(&l->conf, msg, sizeof msg) < 0) {
        snprintf(err, errlen, "%s%s%s", path ? path : "", path ? ": " : "", msg);
        return -1;
    }
    ret = agg_svc_init(&l->svc, l->conf.services, l->conf.nservices);
    if (ret < 0) {
        snprintf(err, errlen, "%s", fsn_strerror(ret));
        return -1;
    }
    return 0;
}

void rep_local_fini(struct rep_local *l)
{
    agg_svc_fini(&l->svc);
    agg_conf_fini(&l->conf);
}

bool rep_local_is(const struct rep_local *l, uint8_t family, const uint8_t *addr)
{
    for (size_t i = 0; i < l->conf.nnets; i++)
        if (fsn_cidr_match(&l->conf.nets[i].cidr, family, addr))
            return true;
    return false;
}

/* ---- The matrix ---- */

/*
 * Rows grouped by host, then service, then group, so that a host's rows are
 * together (the other fields of a hostservice key are zero).
 */
static int by_cell(const void *a, const void *b)
{
    return rep_kval_cmp(&((const struct rep_row *)a)->k, &((const struct rep_row *)b)->k);
}

static uint64_t pick(const struct rep_counts *c, enum rep_order o)
{
    return o == REP_BY_BYTES ? c->bytes : o == REP_BY_PACKETS ? c->packets : c->flows;
}

/* Hosts by total, ties by address. */
static int host_rank(const void *pa, const void *pb)
{
    const struct rep_hs_host *a = pa, *b = pb;

    if (a->total != b->total)
        return a->total > b->total ? -1 : 1;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->addr, b->addr, 16);
}

/* Service cells by total, ties by name; the other cell last. */
static int cell_rank(const void *pa, const void *pb)
{
    const struct rep_hs_cell *a = pa, *b = pb;

    if ((a->service == REP_HS_OTHER) != (b->service == REP_HS_OTHER))
        return a->service == REP_HS_OTHER ? 1 : -1;
    if (a->total != b->total)
        return a->total > b->total ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* The cell of `service` at the end of the host's cells, made when it is not there yet. */
static struct rep_hs_cell *cell_of(struct rep_hs_host *h, const struct rep_local *l,
                                   uint16_t service)
{
    struct rep_hs_cell *c;

    if (h->ncells > 0 && h->cells[h->ncells - 1].service == service)
        return &h->cells[h->ncells - 1];
    c = &h->cells[h->ncells++];
    memset(c, 0, sizeof *c);
    c->service = service;
    c->name = service == REP_HS_OTHER ? "other" : l->conf.services[service].name;
    return c;
}

/* The ordering figures of a host and its cells. */
static void set_totals(struct rep_hs_host *h, enum rep_order o)
{
    h->total = pick(&h->row[0], o) + pick(&h->row[1], o);
    for (size_t j = 0; j < h->ncells; j++) {
        h->cells[j].total = 0;
        for (int g = 0; g < REP_HS_CELL_GROUPS; g++)
            h->cells[j].total += pick(&h->cells[j].c[g], o);
    }
}

int rep_hs_build(const struct rep_stats *st, const struct rep_local *l, enum rep_order order,
                 size_t top, struct rep_hs_matrix *m)
{
    struct rep_row *rows = NULL;
    struct rep_hs_host *h = NULL;
    long n = rep_stats_all(st, &rows);
    size_t nh = 0;
    int ret = -1;

    memset(m, 0, sizeof *m);
    if (n < 0)
        goto out;
    qsort(rows, (size_t)n, sizeof *rows, by_cell);
    /*
     * Each host has at least one row of its own (ROW_IN or ROW_OUT) and one
     * of a cell, so there are at most n / 2 hosts, and at most n cells with
     * the other cells that no row made.
     */
    m->hosts = calloc((size_t)n / 2 + 1, sizeof *m->hosts);
    m->cellv = calloc((size_t)n + 1, sizeof *m->cellv);
    if (!m->hosts || !m->cellv)
        goto out;
    for (long i = 0; i < n; i++) {
        const struct rep_kval *k = &rows[i].k;
        if (!h || h->family != k->family || memcmp(h->addr, k->addr, 16) != 0) {
            /* Every host has an other cell: its rows sort last (REP_HS_OTHER is the largest). */
            if (h)
                cell_of(h, l, REP_HS_OTHER);
            h = &m->hosts[nh++];
            h->family = k->family;
            memcpy(h->addr, k->addr, 16);
            h->cells = h == m->hosts ? m->cellv : h[-1].cells + h[-1].ncells;
        }
        if (k->group >= REP_HS_ROW_IN)
            h->row[k->group - REP_HS_ROW_IN] = rows[i].c;
        else
            cell_of(h, l, k->service)->c[k->group] = rows[i].c;
    }
    if (h)
        cell_of(h, l, REP_HS_OTHER);
    m->nhosts = nh;
    for (size_t i = 0; i < nh; i++)
        set_totals(&m->hosts[i], order);
    qsort(m->hosts, nh, sizeof *m->hosts, host_rank);
    m->n = top && top < nh ? top : nh;
    for (size_t i = 0; i < m->n; i++)
        qsort(m->hosts[i].cells, m->hosts[i].ncells, sizeof *m->hosts[i].cells, cell_rank);
    ret = 0;
out:
    free(rows);
    if (ret != 0)
        rep_hs_free(m);
    return ret;
}

void rep_hs_free(struct rep_hs_matrix *m)
{
    free(m->hosts);
    free(m->cellv);
    memset(m, 0, sizeof *m);
}

/* ---- Output ---- */

#define NCOLS (3 * REP_HS_CELL_GROUPS) /* flows, packets, bytes per group */

static const char *const group_names[REP_HS_CELL_GROUPS] = {"provided_in", "provided_out",
                                                            "used_in", "used_out"};
static const char *const group_titles[REP_HS_CELL_GROUPS] = {"provided in", "provided out",
                                                             "used in", "used out"};
static const char *const count_names[3] = {"flows", "packets", "bytes"};

static void cell_values(const struct rep_hs_cell *c, uint64_t v[NCOLS])
{
    for (int g = 0; g < REP_HS_CELL_GROUPS; g++) {
        v[3 * g] = c->c[g].flows;
        v[3 * g + 1] = c->c[g].packets;
        v[3 * g + 2] = c->c[g].bytes;
    }
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

/*
 * Two header lines (the groups, then their columns), a line per cell with
 * the host on every line (so that grep finds a host's cells), and the summary.
 */
static void hostsvc_text(struct rep_out *o, enum rep_order order, const struct rep_hs_matrix *m,
                         const struct rep_stats *st)
{
    int hw = 4, sw = 7, w[NCOLS]; /* "host", "service" */
    char a[FSN_ADDR_STRLEN], num[32];
    uint64_t v[NCOLS];
    struct rep_counts tot = rep_stats_total(st);

    for (int c = 0; c < NCOLS; c++)
        w[c] = (int)strlen(count_names[c % 3]);
    for (size_t i = 0; i < m->n; i++) {
        const struct rep_hs_host *h = &m->hosts[i];
        fsn_addr_format(h->family, h->addr, a, sizeof a);
        hw = max_int(hw, (int)strlen(a));
        for (size_t j = 0; j < h->ncells; j++) {
            sw = max_int(sw, (int)strlen(h->cells[j].name));
            cell_values(&h->cells[j], v);
            for (int c = 0; c < NCOLS; c++) {
                rep_human(v[c], o->raw, num, sizeof num);
                w[c] = max_int(w[c], (int)strlen(num));
            }
        }
    }
    /* A group's title, right-aligned over its three columns, which it may widen. */
    for (int g = 0; g < REP_HS_CELL_GROUPS; g++) {
        int span = w[3 * g] + 2 + w[3 * g + 1] + 2 + w[3 * g + 2];
        int title = (int)strlen(group_titles[g]);
        if (title > span)
            w[3 * g] += title - span;
    }
    fprintf(o->fp, "%-*s  %-*s", hw, "", sw, "");
    for (int g = 0; g < REP_HS_CELL_GROUPS; g++)
        fprintf(o->fp, "   %*s", w[3 * g] + 2 + w[3 * g + 1] + 2 + w[3 * g + 2], group_titles[g]);
    fprintf(o->fp, "\n%-*s  %-*s", hw, "host", sw, "service");
    for (int c = 0; c < NCOLS; c++)
        fprintf(o->fp, "%s%*s", c % 3 ? "  " : "   ", w[c], count_names[c % 3]);
    fprintf(o->fp, "\n");
    for (size_t i = 0; i < m->n; i++) {
        const struct rep_hs_host *h = &m->hosts[i];
        fsn_addr_format(h->family, h->addr, a, sizeof a);
        for (size_t j = 0; j < h->ncells; j++) {
            fprintf(o->fp, "%-*s  %-*s", hw, a, sw, h->cells[j].name);
            cell_values(&h->cells[j], v);
            for (int c = 0; c < NCOLS; c++) {
                rep_human(v[c], o->raw, num, sizeof num);
                fprintf(o->fp, "%s%*s", c % 3 ? "  " : "   ", w[c], num);
            }
            fprintf(o->fp, "\n");
        }
    }
    {
        char f[32], p[32], b[32];
        rep_human(tot.flows, o->raw, f, sizeof f);
        rep_human(tot.packets, o->raw, p, sizeof p);
        rep_human(tot.bytes, o->raw, b, sizeof b);
        fprintf(o->fp,
                "\nSummary: %s flows, %s packets, %s bytes; top %zu of %zu local hosts by %s", f, p,
                b, m->n, m->nhosts, rep_order_name(order));
        if (rep_stats_skipped(st))
            fprintf(o->fp, "; %" PRIu64 " flows without a local end not in the matrix",
                    rep_stats_skipped(st));
        fprintf(o->fp, "\n");
    }
}

void rep_out_hostsvc(struct rep_out *o, enum rep_order order, const struct rep_hs_matrix *m,
                     const struct rep_stats *st)
{
    char a[FSN_ADDR_STRLEN];
    uint64_t v[NCOLS];
    size_t rows = 0;

    if (o->fmt == REP_TEXT) {
        hostsvc_text(o, order, m, st);
        return;
    }
    if (o->fmt == REP_CSV) {
        fprintf(o->fp, "host,service");
        for (int c = 0; c < NCOLS; c++)
            fprintf(o->fp, ",%s_%s", group_names[c / 3], count_names[c % 3]);
        fprintf(o->fp, "\n");
    } else {
        fprintf(o->fp, "[");
    }
    for (size_t i = 0; i < m->n; i++) {
        const struct rep_hs_host *h = &m->hosts[i];
        fsn_addr_format(h->family, h->addr, a, sizeof a);
        for (size_t j = 0; j < h->ncells; j++, rows++) {
            const char *name = h->cells[j].name;
            cell_values(&h->cells[j], v);
            if (o->fmt == REP_CSV) {
                /* Service names are [A-Za-z0-9._+-]: nothing to quote. */
                fprintf(o->fp, "%s,%s", a, name);
                for (int c = 0; c < NCOLS; c++)
                    fprintf(o->fp, ",%" PRIu64, v[c]);
                fprintf(o->fp, "\n");
                continue;
            }
            fprintf(o->fp, "%s\n{\"host\": \"%s\", \"service\": \"%s\"", rows ? "," : "", a, name);
            for (int c = 0; c < NCOLS; c++)
                fprintf(o->fp, ", \"%s_%s\": %" PRIu64, group_names[c / 3], count_names[c % 3],
                        v[c]);
            fprintf(o->fp, "}");
        }
    }
    if (o->fmt == REP_JSON)
        fprintf(o->fp, "%s]\n", rows ? "\n" : "");
}
