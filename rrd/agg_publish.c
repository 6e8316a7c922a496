/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator's side of the state file: load the cumulative counters at
 * start (so that they continue where they were), and publish them, row by
 * row under the seqlock, at least once a second and whenever a step closes.
 *
 * Rows: host row 0 is the "other" row (family 0), host slot s is row s + 1;
 * service row i is the i-th configured service; protocol row p is IP
 * protocol p; exporter rows in order of first appearance.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "lib/error.h"
#include "rrd/agg_priv.h"

void agg__ctr_to_state(const uint64_t *v, struct fsn_state_ctr *c)
{
    c->in_octets = v[AGG_IN_OCTETS];
    c->out_octets = v[AGG_OUT_OCTETS];
    c->in_packets = v[AGG_IN_PACKETS];
    c->out_packets = v[AGG_OUT_PACKETS];
    c->in_flows = v[AGG_IN_FLOWS];
    c->out_flows = v[AGG_OUT_FLOWS];
}

void agg__ctr_from_state(const struct fsn_state_ctr *c, uint64_t *v)
{
    v[AGG_IN_OCTETS] = c->in_octets;
    v[AGG_OUT_OCTETS] = c->out_octets;
    v[AGG_IN_PACKETS] = c->in_packets;
    v[AGG_OUT_PACKETS] = c->out_packets;
    v[AGG_IN_FLOWS] = c->in_flows;
    v[AGG_OUT_FLOWS] = c->out_flows;
}

static void ctr_fold(const struct fsn_state_ctr *c, uint64_t *v)
{
    uint64_t t[AGG_NCTR];
    agg__ctr_from_state(c, t);
    for (int i = 0; i < AGG_NCTR; i++)
        v[i] += t[i];
}

/*
 * Reads a row of a file nobody else writes (a previous run's): a row left
 * odd by a writer that died inside it is still taken, since its counters
 * were stored before the crash; made even again so our seqlock works.
 */
static void read_row(void *row, void *out, size_t len)
{
    uint32_t *seq = row;
    if (*seq & 1)
        (*seq)++;
    memcpy(out, row, len);
}

struct loaded_host {
    uint32_t row;
    struct fsn_state_host h;
};

static int by_last_seen(const void *x, const void *y)
{
    const struct loaded_host *a = x, *b = y;
    if (a->h.last_seen != b->h.last_seen)
        return a->h.last_seen < b->h.last_seen ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

/* True when a host after position j of the list has `row` in the file. */
static bool row_wanted(const struct loaded_host *list, size_t n, size_t j, uint32_t row)
{
    for (size_t i = j + 1; i < n; i++)
        if (list[i].row == row)
            return true;
    return false;
}

static void place_loaded(struct agg *a, uint32_t s, const struct fsn_state_host *h)
{
    agg__host_place(a, s, h->family, h->addr);
    a->hosts[s].first_seen = h->first_seen;
    a->hosts[s].last_seen = h->last_seen;
    a->hosts[s].last_ms = h->last_seen * 1000;
    agg__ctr_from_state(&h->c, a->ents[a->host0 + s].cum);
}

static void load_hosts(struct agg *a, struct fsn_state_hdr *src, bool in_place)
{
    struct loaded_host *list = calloc(src->host_cap ? src->host_cap : 1, sizeof *list);
    size_t n = 0;
    uint32_t next = 0;

    for (uint32_t i = 0; i < src->host_cap; i++) {
        struct fsn_state_host h;
        read_row(fsn_state_host(src, i), &h, sizeof h);
        if (!h.in_use)
            continue;
        if (!list || h.family == 0 || !fsn_family_addrlen(h.family)) {
            ctr_fold(&h.c, a->ents[AGG_ENT_OTHER].cum);
            continue;
        }
        list[n].row = i;
        list[n].h = h;
        n++;
    }
    /* Oldest first, so that the most recently seen host ends at the LRU head. */
    if (n)
        qsort(list, n, sizeof *list, by_last_seen);
    for (size_t j = 0; j < n; j++) {
        const struct fsn_state_host *h = &list[j].h;
        uint32_t s = list[j].row - 1;

        if (agg__host_known(a, h->family, h->addr)) {
            /* A duplicate row (damaged file): its counts go to "other". */
            ctr_fold(&h->c, a->ents[AGG_ENT_OTHER].cum);
            continue;
        }
        /* In place, a host keeps its row, so readers' indexes stay valid. */
        if (!in_place || list[j].row == 0 || s >= a->conf.max_hosts || a->hosts[s].in_use) {
            /* Rows reserved in place for hosts still to come are skipped. */
            while (next < a->conf.max_hosts &&
                   (a->hosts[next].in_use || (in_place && row_wanted(list, n, j, next + 1))))
                next++;
            if (next >= a->conf.max_hosts) {
                /* No room (max-hosts lowered): the counts go to "other". */
                ctr_fold(&h->c, a->ents[AGG_ENT_OTHER].cum);
                continue;
            }
            s = next;
        }
        place_loaded(a, s, h);
    }
    agg__host_rebuild_free(a);
    free(list);
}

static void load_counters(struct agg *a, struct fsn_state_hdr *src, bool in_place)
{
    struct fsn_state_scalars sc;

    read_row(fsn_state_scalars(src), &sc, sizeof sc);
    a->sc = sc;
    a->sc.seq = 0;
    agg__ctr_from_state(&sc.total, a->ents[AGG_ENT_TOTAL].cum);
    load_hosts(a, src, in_place);
    agg__hs_load(a, src, read_row);
    for (uint32_t i = 0; i < src->service_cap; i++) {
        struct fsn_state_service r;
        read_row(fsn_state_service(src, i), &r, sizeof r);
        if (!r.in_use)
            continue;
        r.name[sizeof r.name - 1] = '\0';
        /* Services are matched by name: a renamed or removed service starts anew. */
        for (size_t s = 0; s < a->conf.nservices; s++)
            if (strcmp(a->conf.services[s].name, r.name) == 0)
                agg__ctr_from_state(&r.c, a->ents[a->svc0 + s].cum);
    }
    for (uint32_t p = 0; p < src->proto_cap && p < 256; p++) {
        struct fsn_state_proto r;
        read_row(fsn_state_proto(src, p), &r, sizeof r);
        if (!r.in_use)
            continue;
        agg__ctr_from_state(&r.c, a->ents[a->proto0 + p].cum);
        a->ents[a->proto0 + p].in_use = true;
    }
    for (uint32_t i = 0; i < src->exporter_cap; i++) {
        struct fsn_state_exporter r;
        struct agg_exporter_id id;
        size_t slot;
        read_row(fsn_state_exporter(src, i), &r, sizeof r);
        if (!r.in_use || !fsn_family_addrlen(r.family))
            continue;
        memset(&id, 0, sizeof id);
        id.family = r.family;
        memcpy(id.addr, r.addr, sizeof id.addr);
        id.domain = r.domain;
        id.version = r.version;
        slot = agg__exporter_slot(a, &id);
        if (slot == AGG_NONE)
            continue;
        struct agg_exporter *x = &a->exps[slot];
        x->datagrams = r.datagrams;
        x->records = r.records;
        x->records_lost = r.records_lost;
        x->malformed = r.malformed;
        x->no_template = r.no_template;
        x->templates = r.templates;
        x->first_seen = r.first_seen;
        x->last_seen = r.last_seen;
    }
}

int agg__load_state(struct agg *a, uint64_t now_ms, char *err, size_t errlen)
{
    struct fsn_state_caps caps;
    struct fsn_state_hdr *src = NULL;
    bool in_place = false;

    caps.exporters = AGG_EXPORTERS_MAX;
    caps.hosts = a->conf.max_hosts + 1;
    /* Room for a few more services, so that adding one keeps the file as it is. */
    caps.services = (uint32_t)((a->conf.nservices + 64) / 64 * 64);
    memset(caps.xt, 0, sizeof caps.xt);
    caps.xt[FSN_STATE_XT_HOSTSVC] = agg__hs_rows(a, caps.services);
    if (agg__sf_open(&a->sf, a->conf.state_file, &caps, a->conf.step, now_ms / 1000, err,
                     errlen) != 0)
        return -1;
    a->have_sf = true;
    if (a->sf.renamed_aside)
        log_warn("state file %s was unreadable or of another version: moved aside, counters "
                 "start from zero (new discontinuity time)", a->conf.state_file);
    if (a->sf.prev) {
        src = (struct fsn_state_hdr *)a->sf.prev;
    } else if (!a->sf.tmp[0]) {
        src = a->sf.hdr;
        in_place = true;
    }
    if (src)
        load_counters(a, src, in_place);
    a->full_publish = true;
    agg_publish(a, now_ms);
    if (agg__sf_commit(&a->sf, err, errlen) != 0)
        return -1;
    return 0;
}

static void ports_text(const struct agg_service *s, char *buf, size_t len)
{
    size_t off = 0;
    char pn[16];

    buf[0] = '\0';
    for (unsigned i = 0; i < s->nranges && off < len; i++) {
        const struct agg_port_range *r = &s->r[i];
        int w;
        agg_proto_name(r->proto, pn, sizeof pn);
        if (r->lo == r->hi)
            w = snprintf(buf + off, len - off, "%s%s/%u", i ? " " : "", pn, r->lo);
        else
            w = snprintf(buf + off, len - off, "%s%s/%u-%u", i ? " " : "", pn, r->lo, r->hi);
        if (w < 0 || (size_t)w >= len - off) {
            buf[off] = '\0';
            break;
        }
        off += (size_t)w;
    }
}

/* Copies `len` bytes of `src` over a row, except its leading seq, inside the seqlock. */
static void put_row(void *row, const void *src, size_t len)
{
    fsn_state_write_begin((uint32_t *)row);
    memcpy((char *)row + sizeof(uint32_t), (const char *)src + sizeof(uint32_t),
           len - sizeof(uint32_t));
    fsn_state_write_end((uint32_t *)row);
}

void agg_publish(struct agg *a, uint64_t now_ms)
{
    struct fsn_state_hdr *h = a->sf.hdr;
    const bool full = a->full_publish;

    if (!a->have_sf || !h)
        return;
    {
        struct fsn_state_scalars s = a->sc;
        s.hosts_in_use = a->nhosts;
        agg__ctr_to_state(a->ents[AGG_ENT_TOTAL].cum, &s.total);
        put_row(fsn_state_scalars(h), &s, sizeof s);
    }
    for (uint32_t i = 0; i < h->service_cap; i++) {
        struct fsn_state_service r;
        struct agg_ent *e = i < a->conf.nservices ? &a->ents[a->svc0 + i] : NULL;
        if (!full && !(e && e->dirty))
            continue;
        memset(&r, 0, sizeof r);
        if (e) {
            r.in_use = 1;
            snprintf(r.name, sizeof r.name, "%s", a->conf.services[i].name);
            ports_text(&a->conf.services[i], r.ports, sizeof r.ports);
            agg__ctr_to_state(e->cum, &r.c);
            e->dirty = false;
        }
        put_row(fsn_state_service(h, i), &r, sizeof r);
    }
    for (uint32_t p = 0; p < 256 && p < h->proto_cap; p++) {
        struct fsn_state_proto r;
        struct agg_ent *e = &a->ents[a->proto0 + p];
        if (!full && !e->dirty)
            continue;
        memset(&r, 0, sizeof r);
        r.in_use = e->in_use;
        agg_proto_name((uint8_t)p, r.name, sizeof r.name);
        agg__ctr_to_state(e->cum, &r.c);
        e->dirty = false;
        put_row(fsn_state_proto(h, p), &r, sizeof r);
    }
    for (uint32_t i = 0; i < h->exporter_cap; i++) {
        struct fsn_state_exporter r;
        struct agg_ent *e = i < a->nexps ? &a->ents[a->exp0 + i] : NULL;
        if (!full && !(e && e->dirty))
            continue;
        memset(&r, 0, sizeof r);
        if (e) {
            const struct agg_exporter *x = &a->exps[i];
            r.in_use = 1;
            r.family = x->id.family;
            r.version = x->id.version;
            memcpy(r.addr, x->id.addr, sizeof r.addr);
            r.domain = x->id.domain;
            r.templates = x->templates;
            r.datagrams = x->datagrams;
            r.records = x->records;
            r.records_lost = x->records_lost;
            r.malformed = x->malformed;
            r.no_template = x->no_template;
            r.first_seen = x->first_seen;
            r.last_seen = x->last_seen;
            e->dirty = false;
        }
        put_row(fsn_state_exporter(h, i), &r, sizeof r);
    }
    for (uint32_t row = 0; row < h->host_cap && row <= a->conf.max_hosts; row++) {
        struct fsn_state_host r;
        size_t e = row == 0 ? AGG_ENT_OTHER : a->host0 + row - 1;
        struct agg_ent *ent = &a->ents[e];
        if (!full && !ent->dirty)
            continue;
        memset(&r, 0, sizeof r);
        if (row == 0) {
            r.in_use = 1;
            r.family = 0;
        } else if (a->hosts[row - 1].in_use) {
            const struct agg_host *hh = &a->hosts[row - 1];
            r.in_use = 1;
            r.family = hh->family;
            memcpy(r.addr, hh->addr, sizeof r.addr);
            r.first_seen = hh->first_seen;
            r.last_seen = hh->last_seen;
        }
        if (r.in_use)
            agg__ctr_to_state(ent->cum, &r.c);
        ent->dirty = false;
        put_row(fsn_state_host(h, row), &r, sizeof r);
    }
    agg__hs_publish(a, h, full, put_row);
    if (a->gen_dirty || full)
        atomic_fetch_add_explicit((_Atomic uint64_t *)&h->generation, 1, memory_order_release);
    h->step = a->conf.step;
    h->updated = now_ms / 1000;
    h->writer_pid = (uint32_t)getpid();
    a->full_publish = false;
    a->gen_dirty = false;
    a->sc_dirty = false;
    a->closed_since_pub = false;
    a->last_pub_ms = now_ms;
    a->stats.publishes++;
}

void agg__close_state(struct agg *a)
{
    char err[256];

    if (!a->have_sf)
        return;
    if (a->sf.hdr) {
        agg_publish(a, a->wall_ms);
        if (a->sf.tmp[0] && agg__sf_commit(&a->sf, err, sizeof err) != 0)
            log_err("%s", err);
        a->sf.hdr->writer_pid = 0;
    }
    agg__sf_close(&a->sf);
    a->have_sf = false;
}
