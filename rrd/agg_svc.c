/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Service matching: builds the per-protocol port maps that agg_svc_match()
 * reads (rrd/agg_svc.h).
 */
#include "rrd/agg_svc.h"

#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

/* Appends the set `list[0..n)` unless it equals the last one; returns its id, 0 on failure. */
static uint16_t add_set(struct agg_svc *m, const uint16_t *list, size_t n, uint16_t prev)
{
    /* Ranges make runs of equal sets: reuse the last set when it is equal. */
    if (prev && m->off[prev] - m->off[prev - 1] == n &&
        memcmp(m->mem + m->off[prev - 1], list, n * sizeof *list) == 0)
        return prev;
    if (m->nsets >= 65534)
        return 0;
    uint32_t *off = realloc(m->off, (m->nsets + 2) * sizeof *off);
    if (!off)
        return 0;
    m->off = off;
    uint16_t *mem = realloc(m->mem, (m->len + n) * sizeof *mem);
    if (!mem)
        return 0;
    m->mem = mem;
    memcpy(m->mem + m->len, list, n * sizeof *list);
    m->len += n;
    m->nsets++;
    m->off[m->nsets] = (uint32_t)m->len;
    return (uint16_t)m->nsets;
}

int agg_svc_init(struct agg_svc *m, const struct agg_service *s, size_t ns)
{
    uint16_t *list = calloc(ns + 1, sizeof *list);
    uint16_t prev = 0;
    int ret = FSN_E_NOMEM;

    memset(m, 0, sizeof *m);
    m->nservices = ns;
    if (!list)
        return FSN_E_NOMEM;
    m->off = calloc(1, sizeof *m->off);
    if (!m->off)
        goto out;
    for (unsigned proto = 0; proto < 256; proto++) {
        bool used = false;
        for (size_t i = 0; i < ns && !used; i++)
            for (unsigned r = 0; r < s[i].nranges; r++)
                used |= s[i].r[r].proto == proto;
        if (!used)
            continue;
        m->map[proto] = calloc(65536, sizeof *m->map[proto]);
        m->any[proto] = calloc(65536 / 64, sizeof *m->any[proto]);
        if (!m->map[proto] || !m->any[proto])
            goto out;
        for (unsigned port = 0; port < 65536; port++) {
            size_t n = 0;
            for (size_t i = 0; i < ns; i++)
                for (unsigned r = 0; r < s[i].nranges; r++) {
                    const struct agg_port_range *pr = &s[i].r[r];
                    if (pr->proto == proto && port >= pr->lo && port <= pr->hi) {
                        list[n++] = (uint16_t)i;
                        break;
                    }
                }
            if (n == 0)
                continue;
            prev = add_set(m, list, n, prev);
            if (!prev)
                goto out;
            m->map[proto][port] = prev;
            m->any[proto][port / 64] |= 1ull << (port % 64);
        }
    }
    ret = 0;
out:
    free(list);
    if (ret != 0)
        agg_svc_fini(m);
    return ret;
}

void agg_svc_fini(struct agg_svc *m)
{
    for (int i = 0; i < 256; i++) {
        free(m->map[i]);
        free(m->any[i]);
        m->map[i] = NULL;
        m->any[i] = NULL;
    }
    free(m->off);
    free(m->mem);
    m->off = NULL;
    m->mem = NULL;
    m->len = m->nsets = 0;
}
