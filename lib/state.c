/* SPDX-License-Identifier: BSD-2-Clause */
#include "lib/state.h"

#include <stdatomic.h>
#include <string.h>

#include "lib/error.h"

static size_t align64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

struct layout {
    size_t scalars, exporters, hosts, services, protos, xt[FSN_STATE_XT_NKINDS], end;
};

static const size_t xt_row_size[FSN_STATE_XT_NKINDS] = {
    [FSN_STATE_XT_HOSTSVC] = sizeof(struct fsn_state_hostsvc),
};

static struct layout lay_out(const struct fsn_state_caps *c)
{
    struct layout l;

    l.scalars = FSN_STATE_HDR_SIZE;
    l.exporters = align64(l.scalars + sizeof(struct fsn_state_scalars));
    l.hosts = align64(l.exporters + (size_t)c->exporters * sizeof(struct fsn_state_exporter));
    l.services = align64(l.hosts + (size_t)c->hosts * sizeof(struct fsn_state_host));
    l.protos = align64(l.services + (size_t)c->services * sizeof(struct fsn_state_service));
    l.end = align64(l.protos + FSN_STATE_NPROTO * sizeof(struct fsn_state_proto));
    for (int k = 0; k < FSN_STATE_XT_NKINDS; k++) {
        l.xt[k] = c->xt[k] ? l.end : 0;
        l.end = align64(l.end + (size_t)c->xt[k] * xt_row_size[k]);
    }
    return l;
}

size_t fsn_state_size(const struct fsn_state_caps *caps)
{
    return lay_out(caps).end;
}

int fsn_state_format(void *mem, size_t size, const struct fsn_state_caps *caps, uint64_t now,
                     const char *software)
{
    struct fsn_state_hdr *h = mem;
    struct layout l = lay_out(caps);

    _Static_assert(sizeof(struct fsn_state_hdr) <= FSN_STATE_HDR_SIZE, "header fits");
    if (size < l.end)
        return FSN_E_SPACE;
    memcpy(h->magic, FSN_STATE_MAGIC, sizeof h->magic);
    h->version = FSN_STATE_VERSION;
    h->hdr_size = FSN_STATE_HDR_SIZE;
    h->file_size = l.end;
    h->created = now;
    h->discontinuity = now;
    h->updated = now;
    h->generation = 1;
    h->exporter_cap = caps->exporters;
    h->host_cap = caps->hosts;
    h->service_cap = caps->services;
    h->proto_cap = FSN_STATE_NPROTO;
    h->scalars_off = l.scalars;
    h->exporters_off = l.exporters;
    h->hosts_off = l.hosts;
    h->services_off = l.services;
    h->protos_off = l.protos;
    for (int k = 0; k < FSN_STATE_XT_NKINDS; k++) {
        h->xt[k].cap = caps->xt[k];
        h->xt[k].row_size = caps->xt[k] ? (uint32_t)xt_row_size[k] : 0;
        h->xt[k].off = l.xt[k];
    }
    if (software) {
        strncpy(h->software, software, sizeof h->software - 1);
        h->software[sizeof h->software - 1] = '\0';
    }
    return 0;
}

int fsn_state_check(const void *mem, size_t size)
{
    const struct fsn_state_hdr *h = mem;
    struct fsn_state_caps caps;
    struct layout l;

    if (size < FSN_STATE_HDR_SIZE || memcmp(h->magic, FSN_STATE_MAGIC, sizeof h->magic) != 0)
        return FSN_E_BADFILE;
    if (h->version != FSN_STATE_VERSION || h->hdr_size != FSN_STATE_HDR_SIZE)
        return FSN_E_BADVER;
    caps.exporters = h->exporter_cap;
    caps.hosts = h->host_cap;
    caps.services = h->service_cap;
    if (caps.exporters > (1u << 24) || caps.hosts > (1u << 26) || caps.services > (1u << 20) ||
        h->proto_cap != FSN_STATE_NPROTO)
        return FSN_E_BADFILE;
    for (int k = 0; k < FSN_STATE_XT_NKINDS; k++) {
        caps.xt[k] = h->xt[k].cap;
        if (caps.xt[k] > (1u << 26) ||
            h->xt[k].row_size != (caps.xt[k] ? xt_row_size[k] : 0))
            return FSN_E_BADFILE;
    }
    /* Kinds this code does not know must be absent: their rows would not be in the layout. */
    for (int k = FSN_STATE_XT_NKINDS; k < FSN_STATE_XT_MAX; k++)
        if (h->xt[k].cap || h->xt[k].row_size || h->xt[k].off)
            return FSN_E_BADFILE;
    l = lay_out(&caps);
    if (h->file_size != l.end || size < l.end || h->scalars_off != l.scalars ||
        h->exporters_off != l.exporters || h->hosts_off != l.hosts ||
        h->services_off != l.services || h->protos_off != l.protos)
        return FSN_E_BADFILE;
    for (int k = 0; k < FSN_STATE_XT_NKINDS; k++)
        if (h->xt[k].off != l.xt[k])
            return FSN_E_BADFILE;
    return 0;
}

struct fsn_state_scalars *fsn_state_scalars(struct fsn_state_hdr *h)
{
    return (struct fsn_state_scalars *)((char *)h + h->scalars_off);
}

struct fsn_state_exporter *fsn_state_exporter(struct fsn_state_hdr *h, uint32_t i)
{
    return (struct fsn_state_exporter *)((char *)h + h->exporters_off) + i;
}

struct fsn_state_host *fsn_state_host(struct fsn_state_hdr *h, uint32_t i)
{
    return (struct fsn_state_host *)((char *)h + h->hosts_off) + i;
}

struct fsn_state_service *fsn_state_service(struct fsn_state_hdr *h, uint32_t i)
{
    return (struct fsn_state_service *)((char *)h + h->services_off) + i;
}

struct fsn_state_proto *fsn_state_proto(struct fsn_state_hdr *h, uint32_t i)
{
    return (struct fsn_state_proto *)((char *)h + h->protos_off) + i;
}

void *fsn_state_xrow(struct fsn_state_hdr *h, enum fsn_state_xt_kind k, uint32_t i)
{
    return (char *)h + h->xt[k].off + (size_t)i * h->xt[k].row_size;
}

/*
 * The counters live in a shared mapping that another process reads, so they
 * are accessed as atomics; the fences order the row's plain stores between
 * the two counter updates (the classic seqlock recipe).
 */
void fsn_state_write_begin(uint32_t *seq)
{
    _Atomic uint32_t *s = (_Atomic uint32_t *)seq;
    atomic_store_explicit(s, atomic_load_explicit(s, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

void fsn_state_write_end(uint32_t *seq)
{
    _Atomic uint32_t *s = (_Atomic uint32_t *)seq;
    atomic_store_explicit(s, atomic_load_explicit(s, memory_order_relaxed) + 1,
                          memory_order_release);
}

int fsn_state_read(const void *row, void *out, size_t len, unsigned max_tries)
{
    const _Atomic uint32_t *s = (const _Atomic uint32_t *)row;

    for (unsigned i = 0; i < max_tries; i++) {
        uint32_t a = atomic_load_explicit(s, memory_order_acquire);
        if (a & 1)
            continue;
        memcpy(out, row, len);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(s, memory_order_relaxed) == a)
            return 0;
    }
    return FSN_E_LIMIT;
}
