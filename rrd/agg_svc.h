/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Service matching: which configured services a flow counts for, and the
 * role each local end plays in it (docs/counting.md, "Services" and
 * "Hosts x services"). Shared by the aggregator and flowreport, so that
 * both count a flow for the same services in the same role.
 *
 * A flow counts for a service when its protocol matches and either port is
 * in one of the service's ranges. For a local end of the flow, the service
 * is one it *provides* when its own port is in the service's ranges (it is
 * the server), one it *uses* when only the other end's port is.
 *
 * Pure: no files, no clocks. The caller owns the struct; agg_svc_fini()
 * frees what agg_svc_init() allocated.
 */
#ifndef FSN_RRD_AGG_SVC_H
#define FSN_RRD_AGG_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rrd/agg.h"

/* Which port of the flow matched a service (bits of agg_svc_match's `how`). */
#define AGG_SVC_DPORT 1u /* the destination port is in the service's ranges */
#define AGG_SVC_SPORT 2u /* the source port is */

struct agg_svc {
    /* Per protocol, port -> set id (0: none); NULL for a protocol no service names. */
    uint16_t *map[256];
    /*
     * The same as one bit per port (8 KiB per protocol, so it stays in the
     * first-level cache): most ports have no service, and two random ports
     * would otherwise cost two misses into the 128-KiB map per record.
     */
    uint64_t *any[256];
    /* Set s (from 1) holds the service indexes mem[off[s - 1] .. off[s]). */
    uint32_t *off;
    uint16_t *mem;
    size_t len, nsets;
    size_t nservices;
};

/* Builds the port maps for `n` services (indexes into `s`). 0 or FSN_E_NOMEM. */
int agg_svc_init(struct agg_svc *m, const struct agg_service *s, size_t n);

/* Frees the maps; a zeroed or finished struct is fine. */
void agg_svc_fini(struct agg_svc *m);

/*
 * The services a flow counts for, into out[] (room for 2 * nservices), and
 * for each, in how[], which of its ports matched (AGG_SVC_DPORT,
 * AGG_SVC_SPORT or both). A service that matches on both ports is listed
 * once. Returns the number listed.
 */
static inline size_t agg_svc_match(const struct agg_svc *m, uint8_t proto, uint16_t sport,
                                   uint16_t dport, uint16_t *out, uint8_t *how)
{
    const uint16_t *map = m->map[proto];
    const uint64_t *any = m->any[proto];
    size_t n = 0;

    if (!map)
        return 0;
    bool bs = any[sport / 64] >> (sport % 64) & 1, bd = any[dport / 64] >> (dport % 64) & 1;
    if (!bs && !bd)
        return 0;
    uint16_t ss = bs ? map[sport] : 0, sd = bd ? map[dport] : 0;
    if (sd) {
        for (uint32_t i = m->off[sd - 1]; i < m->off[sd]; i++) {
            out[n] = m->mem[i];
            how[n++] = ss == sd ? AGG_SVC_DPORT | AGG_SVC_SPORT : AGG_SVC_DPORT;
        }
    }
    if (ss && ss != sd) {
        size_t nd = n;
        for (uint32_t i = m->off[ss - 1]; i < m->off[ss]; i++) {
            bool dup = false;
            for (size_t j = 0; j < nd; j++)
                if (out[j] == m->mem[i]) {
                    how[j] |= AGG_SVC_SPORT;
                    dup = true;
                }
            if (!dup) {
                out[n] = m->mem[i];
                how[n++] = AGG_SVC_SPORT;
            }
        }
    }
    return n;
}

/*
 * The role of a local end in a service the flow matched: true (provides)
 * when its own port matched. `dir` is 0 when the local end is the
 * destination (in), 1 when it is the source (out).
 */
static inline bool agg_svc_provides(uint8_t how, int dir)
{
    return (how & (dir == 0 ? AGG_SVC_DPORT : AGG_SVC_SPORT)) != 0;
}

/*
 * The one service of a matched flow that a local end's cell counts it
 * for (hosts x services): a service it provides (its own port's) before
 * one it uses, the first configured among equals. Returns the position in
 * the lists agg_svc_match() filled (n > 0).
 */
static inline size_t agg_svc_primary(const uint16_t *svc, const uint8_t *how, size_t n, int dir)
{
    size_t best = 0;
    bool bp = agg_svc_provides(how[0], dir);

    for (size_t i = 1; i < n; i++) {
        bool p = agg_svc_provides(how[i], dir);
        if ((p && !bp) || (p == bp && svc[i] < svc[best])) {
            best = i;
            bp = p;
        }
    }
    return best;
}

/*
 * The role of a local end in a flow that matched no service: for TCP,
 * UDP, SCTP and UDP-Lite, provides when its own port is lower than the
 * other end's or equal to it (a server's port is usually lower than a
 * client's ephemeral one); for protocols without ports, uses.
 */
static inline bool agg_svc_provides_unmatched(uint8_t proto, uint16_t sport, uint16_t dport,
                                              int dir)
{
    uint16_t own = dir == 0 ? dport : sport, peer = dir == 0 ? sport : dport;

    if (proto != 6 && proto != 17 && proto != 132 && proto != 136)
        return false;
    return own <= peer;
}

#endif
