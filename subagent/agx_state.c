/* SPDX-License-Identifier: BSD-2-Clause */
#include "subagent/agx_state.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"

/* How long a complaint about the file stays quiet before it may repeat. */
#define AGX_LOG_INTERVAL 60

/*
 * The seqlock reader spins in rounds of AGX_READ_TRIES attempts, yielding
 * between rounds, for up to AGX_READ_BUDGET_MS. A writer holds a row for
 * well under a microsecond, but it may be preempted in the middle; a row
 * that stays busy for the whole budget belongs to a writer that died in
 * the middle of an update.
 */
#define AGX_READ_TRIES 1000
#define AGX_READ_BUDGET_MS 100

uint64_t agx_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int agx_state_init(struct agx_state *st, const char *path)
{
    memset(st, 0, sizeof *st);
    st->path = strdup(path);
    return st->path ? 0 : -1;
}

static void unmap(struct agx_map *m)
{
    if (m->mem)
        munmap((void *)m->mem, m->size);
    memset(m, 0, sizeof *m);
}

void agx_state_fini(struct agx_state *st)
{
    unmap(&st->map);
    free(st->path);
    st->path = NULL;
}

uint64_t agx_map_hdr_u64(const struct agx_map *m, size_t offset)
{
    const _Atomic uint64_t *p = (const _Atomic uint64_t *)(const void *)(m->mem + offset);

    return atomic_load_explicit(p, memory_order_acquire);
}

/*
 * True when the live header still describes the file that was validated:
 * the same layout, and the same creation time (a writer that re-creates
 * the file in place, rather than replacing it, changes that).
 */
static bool layout_same(const struct agx_map *m)
{
    const struct fsn_state_hdr *live = (const struct fsn_state_hdr *)(const void *)m->mem;
    const struct fsn_state_hdr *h = &m->hdr;

    return memcmp(live->magic, h->magic, sizeof h->magic) == 0 && live->version == h->version &&
           agx_map_hdr_u64(m, offsetof(struct fsn_state_hdr, created)) == h->created &&
           live->file_size == h->file_size && live->exporter_cap == h->exporter_cap &&
           live->host_cap == h->host_cap && live->service_cap == h->service_cap &&
           live->proto_cap == h->proto_cap && live->scalars_off == h->scalars_off &&
           live->exporters_off == h->exporters_off && live->hosts_off == h->hosts_off &&
           live->services_off == h->services_off && live->protos_off == h->protos_off;
}

/*
 * Maps the file at st->path into *out when it is a valid state file.
 * Returns 0, or -1 with the reason in why.
 */
static int try_map(struct agx_state *st, struct agx_map *out, char *why, size_t whylen)
{
    struct stat sb;
    void *mem = MAP_FAILED;
    int fd, ret = -1, err;

    fd = open(st->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size < FSN_STATE_HDR_SIZE) {
        snprintf(why, whylen, "not a state file (%lld bytes)", (long long)sb.st_size);
        goto out;
    }
    mem = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
        snprintf(why, whylen, "mmap: %s", strerror(errno));
        goto out;
    }
    memset(out, 0, sizeof *out);
    out->mem = mem;
    out->size = (size_t)sb.st_size;
    /*
     * Check, copy, check again and compare: the copy that row addresses
     * come from is then one that passed the check, even if a writer was
     * rewriting the header meanwhile.
     */
    err = fsn_state_check(mem, out->size);
    if (err == 0) {
        memcpy(&out->hdr, mem, sizeof out->hdr);
        err = fsn_state_check(mem, out->size);
        if (err == 0 && !layout_same(out))
            err = FSN_E_BADFILE;
    }
    if (err < 0) {
        snprintf(why, whylen, "%s", fsn_strerror(err));
        goto out;
    }
    out->dev = sb.st_dev;
    out->ino = sb.st_ino;
    out->id = ++st->last_id;
    mem = MAP_FAILED;
    ret = 0;
out:
    if (mem != MAP_FAILED) {
        munmap(mem, (size_t)sb.st_size);
        memset(out, 0, sizeof *out);
    }
    close(fd);
    return ret;
}

bool agx_state_refresh(struct agx_state *st)
{
    struct agx_map m;
    struct stat sb;
    bool changed = false;
    char why[160];

    st->last_refresh_ms = agx_now_ms();
    if (st->bad) {
        log_warn("%s: the file was truncated under its mapping; dropping it", st->path);
        unmap(&st->map);
        st->bad = false;
        changed = true;
    }
    if (stat(st->path, &sb) != 0) {
        log_ratelimited(&st->lim_missing, AGX_LOG_INTERVAL, LOG_WARNING, "%s: %s%s", st->path,
                        errno == ENOENT ? "does not exist (yet)" : strerror(errno),
                        st->map.id ? "; serving the last figures" : "");
        return changed;
    }
    if (st->map.id && sb.st_dev == st->map.dev && sb.st_ino == st->map.ino) {
        if ((size_t)sb.st_size == st->map.size && layout_same(&st->map))
            return changed;
        if ((size_t)sb.st_size < st->map.size) {
            /* Touching pages past the new end would raise SIGBUS. */
            log_warn("%s: shrank from %zu to %lld bytes; dropping the mapping", st->path,
                     st->map.size, (long long)sb.st_size);
            unmap(&st->map);
            changed = true;
        }
    }
    if (try_map(st, &m, why, sizeof why) < 0) {
        log_ratelimited(&st->lim_invalid, AGX_LOG_INTERVAL, LOG_WARNING, "%s: %s%s", st->path,
                        why,
                        st->map.id ? "; serving the last good figures" : "");
        return changed;
    }
    if (st->map.id)
        log_info("%s: the state file changed; following the new one", st->path);
    unmap(&st->map);
    st->map = m;
    log_info("%s: mapped (%zu bytes; capacity %u exporters, %u hosts, %u services)", st->path,
             m.size, m.hdr.exporter_cap, m.hdr.host_cap, m.hdr.service_cap);
    return true;
}

void agx_state_poll(struct agx_state *st, unsigned interval_ms)
{
    if (st->bad || agx_now_ms() - st->last_refresh_ms >= interval_ms)
        agx_state_refresh(st);
}

uint32_t agx_map_cap(const struct agx_map *m, int kind)
{
    if (!m->id)
        return 0;
    switch (kind) {
    case AGX_SCALARS:
        return 1;
    case AGX_EXPORTERS:
        return m->hdr.exporter_cap;
    case AGX_HOSTS:
        return m->hdr.host_cap;
    case AGX_SERVICES:
        return m->hdr.service_cap;
    case AGX_PROTOS:
        return m->hdr.proto_cap;
    case AGX_HOSTSVC:
        return m->hdr.xt[FSN_STATE_XT_HOSTSVC].cap;
    default:
        return 0;
    }
}

const void *agx_map_row(const struct agx_map *m, int kind, uint32_t slot)
{
    const struct fsn_state_hdr *h = &m->hdr;

    switch (kind) {
    case AGX_SCALARS:
        return m->mem + h->scalars_off;
    case AGX_EXPORTERS:
        return m->mem + h->exporters_off + (size_t)slot * sizeof(struct fsn_state_exporter);
    case AGX_HOSTS:
        return m->mem + h->hosts_off + (size_t)slot * sizeof(struct fsn_state_host);
    case AGX_SERVICES:
        return m->mem + h->services_off + (size_t)slot * sizeof(struct fsn_state_service);
    case AGX_PROTOS:
        return m->mem + h->protos_off + (size_t)slot * sizeof(struct fsn_state_proto);
    case AGX_HOSTSVC:
        return m->mem + h->xt[FSN_STATE_XT_HOSTSVC].off +
               (size_t)slot * sizeof(struct fsn_state_hostsvc);
    default:
        return NULL;
    }
}

bool agx_state_read(struct agx_state *st, const void *row, void *out, size_t len)
{
    uint64_t start;

    if (fsn_state_read(row, out, len, AGX_READ_TRIES) == 0)
        return true;
    start = agx_now_ms();
    do {
        sched_yield();
        if (fsn_state_read(row, out, len, AGX_READ_TRIES) == 0)
            return true;
    } while (agx_now_ms() - start < AGX_READ_BUDGET_MS);
    log_ratelimited(&st->lim_busy, AGX_LOG_INTERVAL, LOG_WARNING,
                    "%s: a row stayed busy (odd sequence) for %d ms; is the writer stuck?",
                    st->path, AGX_READ_BUDGET_MS);
    return false;
}
