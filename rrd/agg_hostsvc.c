/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosts x services: the cells (local host, service) of the aggregator, each
 * with the host's two roles (docs/counting.md, "Hosts x services").
 *
 * Every cell is a pair of entities, provides then uses, so that steps,
 * pro-rating, late records and RRD writing work as for every other entity;
 * a pair has one RRD file with both roles' data sources. Three ranges of
 * pairs follow the host entities:
 *
 *   hso0: per host slot, the host's "other" cell (flows with no service,
 *         and service flows whose cell did not fit);
 *   hsx0: per service, the "other host" cell (the service's traffic at
 *         hosts without a cell for it: hosts without a row, overflow);
 *   hsc0: the cells, numbered by lib/xtab (row: host slot, column: service).
 *
 * So that per host, cells + other cell == the host's row, and per service,
 * cells + other host == the service's row, a cell that goes (an idle one
 * giving way, or its host's row going) moves its counts to the other cells:
 * to both when only the cell goes, to the service's other host when the
 * host's row goes too. The counting itself is in agg.c (count_cells).
 *
 * State-file rows (FSN_STATE_XT_HOSTSVC): first the other host of service
 * i (row i, for service_cap rows), then the other cell of host slot s
 * (row service_cap + s), then cell c (row service_cap + max_hosts + c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "rrd/agg_priv.h"

/* ---- moving counts between entities ---- */

/* Adds entity `from`'s cumulative counters and open steps to `to`'s. */
void agg__ent_add(struct agg *a, size_t from, size_t to)
{
    for (int i = 0; i < AGG_NCTR; i++)
        a->ents[to].cum[i] += a->ents[from].cum[i];
    a->ents[to].dirty = true;
    for (size_t r = 0; r < a->ring; r++) {
        const uint64_t *src = a->bk + (from * a->ring + r) * AGG_NCTR;
        uint64_t *dst = a->bk + (to * a->ring + r) * AGG_NCTR;
        for (int i = 0; i < AGG_NCTR; i++)
            dst[i] += src[i];
    }
}

/* Zeroes an entity's counters and open steps and takes it out of use. */
void agg__ent_clear(struct agg *a, size_t e)
{
    struct agg_ent *ent = &a->ents[e];

    memset(ent->cum, 0, sizeof ent->cum);
    memset(a->bk + e * a->ring * AGG_NCTR, 0, a->ring * AGG_NCTR * sizeof *a->bk);
    ent->in_use = false;
    ent->dirty = true;
    ent->file_known = false;
    ent->file_exists = false;
    ent->fail_until_ms = 0;
}

static void pair_start(struct agg *a, size_t base)
{
    for (size_t e = base; e < base + 2; e++) {
        agg__ent_clear(a, e);
        a->ents[e].in_use = true;
    }
    a->gen_dirty = true;
}

/* ---- cells ---- */

static size_t cell_base(const struct agg *a, uint32_t c)
{
    return a->hsc0 + 2 * (size_t)c;
}

/*
 * lib/xtab's callback: an idle cell gives way to a new one. Its counts go
 * to the host's other cell and to the service's other host, so both sums
 * hold; its unwritten steps go to its file first.
 */
static void on_cell_evict(void *arg, uint32_t c)
{
    struct agg *a = arg;
    const struct fsn_xtab_cell *x = &a->hs.cells[c];
    size_t base = cell_base(a, c);

    agg__forget_pending(a, base);
    for (size_t r = 0; r < 2; r++) {
        agg__ent_add(a, base + r, a->hso0 + 2 * (size_t)x->row + r);
        agg__ent_add(a, base + r, a->hsx0 + 2 * (size_t)x->col + r);
        agg__ent_clear(a, base + r);
    }
    a->stats.hs_evicted++;
    a->gen_dirty = true;
}

size_t agg__hs_cell(struct agg *a, uint32_t slot, uint16_t svc)
{
    uint32_t c = fsn_xtab_get(&a->hs, slot, svc, a->newest_ms, a->evict_idle_ms);

    if (c == FSN_XTAB_NONE)
        return AGG_NONE;
    size_t base = cell_base(a, c);
    if (!a->ents[base].in_use) {
        pair_start(a, base);
        a->hs_created[c] = a->wall_ms / 1000;
        a->stats.hs_created++;
    }
    return base;
}

void agg__hs_host_placed(struct agg *a, uint32_t s)
{
    if (!a->hs_on)
        return;
    pair_start(a, a->hso0 + 2 * (size_t)s);
    a->hso_created[s] = a->wall_ms / 1000;
}

/*
 * A host's row goes (eviction): its cells' counts go to the services'
 * other hosts (the host's own counts go to the host table's other row, in
 * agg.c); its other cell ends. Unwritten steps go to the files first.
 */
void agg__hs_host_gone(struct agg *a, uint32_t s)
{
    uint32_t c, next;

    if (!a->hs_on)
        return;
    for (c = fsn_xtab_first(&a->hs, s); c != FSN_XTAB_NONE; c = next) {
        size_t base = cell_base(a, c);
        next = fsn_xtab_next(&a->hs, c);
        agg__forget_pending(a, base);
        for (size_t r = 0; r < 2; r++) {
            agg__ent_add(a, base + r, a->hsx0 + 2 * (size_t)a->hs.cells[c].col + r);
            agg__ent_clear(a, base + r);
        }
        fsn_xtab_remove(&a->hs, c);
    }
    size_t o = a->hso0 + 2 * (size_t)s;
    agg__forget_pending(a, o);
    agg__ent_clear(a, o);
    agg__ent_clear(a, o + 1);
    a->gen_dirty = true;
}

/* ---- lifecycle ---- */

int agg__hs_init(struct agg *a)
{
    const struct agg_conf *c = &a->conf;

    if (!a->hs_on)
        return 0;
    if (fsn_xtab_init(&a->hs, c->max_hosts, c->max_host_services, c->host_services,
                      on_cell_evict, a) != 0)
        return FSN_E_NOMEM;
    a->hs_created = calloc(c->max_host_services, sizeof *a->hs_created);
    a->hso_created = calloc(c->max_hosts, sizeof *a->hso_created);
    if (!a->hs_created || !a->hso_created)
        return FSN_E_NOMEM;
    for (size_t i = 0; i < c->nservices; i++)
        pair_start(a, a->hsx0 + 2 * i);
    return 0;
}

void agg__hs_fini(struct agg *a)
{
    fsn_xtab_fini(&a->hs);
    free(a->hs_created);
    free(a->hso_created);
    a->hs_created = a->hso_created = NULL;
}

/* ---- names (RRD files, step hook) ---- */

void agg__hs_name(const struct agg *a, size_t e, char *buf, size_t len)
{
    char t[FSN_ADDR_STRLEN];
    size_t i = (e - a->pair0) / 2 * 2 + a->pair0;

    if (i >= a->hsc0) {
        const struct fsn_xtab_cell *x = &a->hs.cells[(i - a->hsc0) / 2];
        const struct agg_host *h = &a->hosts[x->row];
        snprintf(buf, len, "host/%s/%s", fsn_addr_format(h->family, h->addr, t, sizeof t),
                 a->conf.services[x->col].name);
    } else if (i >= a->hsx0) {
        snprintf(buf, len, "%s/%s", AGG_OTHER_NAME, a->conf.services[(i - a->hsx0) / 2].name);
    } else {
        const struct agg_host *h = &a->hosts[(i - a->hso0) / 2];
        snprintf(buf, len, "host/%s/%s", fsn_addr_format(h->family, h->addr, t, sizeof t),
                 AGG_OTHER_NAME);
    }
}

/* ---- state file ---- */

uint32_t agg__hs_rows(const struct agg *a, uint32_t service_cap)
{
    if (!a->hs_on)
        return 0;
    return service_cap + a->conf.max_hosts + a->conf.max_host_services;
}

static void put_ctrs(const struct agg *a, size_t base, struct fsn_state_hostsvc *r)
{
    agg__ctr_to_state(a->ents[base].cum, &r->provided);
    agg__ctr_to_state(a->ents[base + 1].cum, &r->used);
}

/* The pair of entities behind state-file row `row` (AGG_NONE: no pair there). */
static size_t row_pair(const struct agg *a, uint32_t row, uint32_t scap)
{
    if (row < scap)
        return row < a->conf.nservices ? a->hsx0 + 2 * (size_t)row : AGG_NONE;
    row -= scap;
    if (row < a->conf.max_hosts)
        return a->hso0 + 2 * (size_t)row;
    row -= a->conf.max_hosts;
    return row < a->conf.max_host_services ? cell_base(a, row) : AGG_NONE;
}

/* Fills the key and times of the row of pair `base` (in use). */
static void row_key(const struct agg *a, size_t base, struct fsn_state_hostsvc *r)
{
    const struct agg_host *h = NULL;
    const char *name;

    if (base >= a->hsc0) {
        uint32_t c = (uint32_t)((base - a->hsc0) / 2);
        h = &a->hosts[a->hs.cells[c].row];
        name = a->conf.services[a->hs.cells[c].col].name;
        r->created = a->hs_created[c];
    } else if (base >= a->hsx0) {
        name = a->conf.services[(base - a->hsx0) / 2].name;
        r->created = a->sf.hdr ? a->sf.hdr->discontinuity : 0;
    } else {
        size_t s = (base - a->hso0) / 2;
        h = &a->hosts[s];
        name = AGG_OTHER_NAME;
        r->created = a->hso_created[s];
    }
    if (h) {
        r->family = h->family;
        memcpy(r->addr, h->addr, sizeof r->addr);
    }
    snprintf(r->service, sizeof r->service, "%s", name);
}

void agg__hs_publish(struct agg *a, struct fsn_state_hdr *h, bool full,
                     void (*put_row)(void *row, const void *src, size_t len))
{
    uint32_t cap = h->xt[FSN_STATE_XT_HOSTSVC].cap, scap = h->service_cap;

    if (!a->hs_on || cap < agg__hs_rows(a, scap))
        return;
    for (uint32_t row = 0; row < cap; row++) {
        struct fsn_state_hostsvc r;
        size_t base = row_pair(a, row, scap);

        if (!full && (base == AGG_NONE || (!a->ents[base].dirty && !a->ents[base + 1].dirty)))
            continue;
        memset(&r, 0, sizeof r);
        if (base != AGG_NONE) {
            if (a->ents[base].in_use) {
                r.in_use = 1;
                row_key(a, base, &r);
                put_ctrs(a, base, &r);
            }
            a->ents[base].dirty = a->ents[base + 1].dirty = false;
        }
        put_row(fsn_state_xrow(h, FSN_STATE_XT_HOSTSVC, row), &r, sizeof r);
    }
}

static int service_index(const struct agg *a, const char *name)
{
    for (size_t i = 0; i < a->conf.nservices; i++)
        if (strcmp(a->conf.services[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void add_ctrs(struct agg *a, size_t base, const struct fsn_state_hostsvc *r)
{
    uint64_t v[AGG_NCTR];

    agg__ctr_from_state(&r->provided, v);
    for (int i = 0; i < AGG_NCTR; i++)
        a->ents[base].cum[i] += v[i];
    agg__ctr_from_state(&r->used, v);
    for (int i = 0; i < AGG_NCTR; i++)
        a->ents[base + 1].cum[i] += v[i];
    a->ents[base].dirty = a->ents[base + 1].dirty = true;
}

/*
 * Loads the cells of a previous run (after the hosts are placed). A cell
 * whose host has no row any more goes to the service's other host; one
 * whose service is gone, or that does not fit, to the host's other cell
 * (and the service's other host), so both sums still hold.
 */
void agg__hs_load(struct agg *a, struct fsn_state_hdr *src,
                  void (*read_row)(void *row, void *out, size_t len))
{
    uint32_t cap = src->xt[FSN_STATE_XT_HOSTSVC].cap;

    if (!a->hs_on)
        return;
    for (uint32_t i = 0; i < cap; i++) {
        struct fsn_state_hostsvc r;
        read_row(fsn_state_xrow(src, FSN_STATE_XT_HOSTSVC, i), &r, sizeof r);
        if (!r.in_use)
            continue;
        r.service[sizeof r.service - 1] = '\0';
        bool other_cell = strcmp(r.service, AGG_OTHER_NAME) == 0;
        int svc = other_cell ? -1 : service_index(a, r.service);
        uint32_t s = r.family ? agg__host_slot(a, r.family, r.addr) : AGG_NONE;
        if (s == AGG_NONE) {
            if (svc >= 0)
                add_ctrs(a, a->hsx0 + 2 * (size_t)svc, &r);
            continue;
        }
        size_t base = AGG_NONE;
        if (svc >= 0) {
            uint32_t c = fsn_xtab_add(&a->hs, s, (uint32_t)svc, a->hosts[s].last_ms);
            if (c != FSN_XTAB_NONE) {
                base = cell_base(a, c);
                if (!a->ents[base].in_use) {
                    pair_start(a, base);
                    a->hs_created[c] = r.created;
                }
            } else {
                add_ctrs(a, a->hsx0 + 2 * (size_t)svc, &r);
            }
        }
        if (base == AGG_NONE) {
            base = a->hso0 + 2 * (size_t)s;
            if (other_cell)
                a->hso_created[s] = r.created;
        }
        add_ctrs(a, base, &r);
    }
}
