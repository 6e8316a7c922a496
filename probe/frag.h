/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fragment attribution: later IP fragments carry no ports, so the probe
 * remembers the ports of each datagram's first fragment (keyed by family,
 * addresses, protocol and fragment id) and gives them to the later
 * fragments, which then count toward the flow of their datagram.
 *
 * Fragments that arrive before their first fragment are held as pending
 * counts and added to the flow when the first fragment comes. When it never
 * comes (the slot times out or is needed for another datagram), the pending
 * counts go to the port-0 flow of the datagram's addresses, so nothing is
 * lost. The table has a fixed number of slots: no growth with input.
 */
#ifndef PROBE_FRAG_H
#define PROBE_FRAG_H

#include <stdint.h>

#include "lib/flow.h"
#include "lib/pkt.h"

struct frag_slot {
    struct fsn_flow_key key;   /* ports 0; identifies the datagram with `id` */
    uint32_t id;
    uint16_t sport, dport;
    uint8_t have_ports;
    uint8_t used;
    uint8_t pad[2];
    uint64_t pending_packets;
    uint64_t pending_octets;
    uint64_t seen_ms;
};

struct frag_stats {
    uint64_t first;        /* first fragments seen */
    uint64_t later;        /* later fragments seen */
    uint64_t attributed;   /* later fragments given their datagram's ports */
    uint64_t orphaned;     /* later fragments whose first fragment never came */
};

/* Called to account counts that the table releases: (key, packets, octets, time). */
typedef void (*frag_account_fn)(void *arg, const struct fsn_flow_key *k, uint64_t packets,
                                uint64_t octets, uint64_t ts_ms);

struct frag {
    struct frag_slot *slot;
    uint32_t mask;
    uint32_t nused;     /* slots in use */
    uint32_t sweep;     /* where the next expiry sweep starts */
    uint32_t timeout_ms;
    frag_account_fn account;
    void *arg;
    struct frag_stats st;
};

/* A table of `nslots` slots (rounded up to a power of two). Returns 0 or FSN_E_NOMEM. */
int frag_init(struct frag *f, uint32_t nslots, uint32_t timeout_ms, frag_account_fn account,
              void *arg);
void frag_fini(struct frag *f);

/*
 * Handles one fragment. For a first fragment the caller still accounts the
 * packet itself (its key has ports); for a later fragment this function
 * either rewrites p->key with the datagram's ports and returns 1 (the caller
 * accounts it), or holds its counts as pending and returns 0.
 */
int frag_packet(struct frag *f, struct fsn_pkt *p, uint64_t ts_ms);

/*
 * Releases slots idle for longer than the timeout (pending counts go to
 * port-0 flows). Sweeps a sixteenth of the table per call, so call it often
 * (the probe does once a second of flow time).
 */
void frag_expire(struct frag *f, uint64_t now_ms);

/* Releases every slot (end of capture). */
void frag_flush(struct frag *f);

#endif
