/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Export: expired flows are queued, encoded into NetFlow v5/v9/IPFIX
 * datagrams by lib/enc, and sent to every configured collector (each
 * collector gets every datagram). Sending is batched (sendmmsg) and,
 * when a rate is set, paced with a token bucket so that an offline replay
 * does not overrun a collector that keeps up with a real link.
 */
#ifndef PROBE_EXPORT_H
#define PROBE_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "common/sock.h"
#include "lib/enc.h"
#include "lib/flow.h"

#define EXPORT_MAX_COLLECTORS 8
#define EXPORT_QUEUE 1024   /* flows encoded at once */
#define EXPORT_BATCH SOCK_SEND_BATCH /* datagrams sent per sendmmsg */
#define EXPORT_DGRAM_MAX 9000
#define EXPORT_MTU_DEFAULT 1400 /* fits any path, and every collector's buffer */
/*
 * Default pacing of a file replay, in payload bytes per second: 20,000
 * datagrams of 1,400 bytes, about 480,000 IPFIX records (more than a busy
 * link's flows). A collector socket of the kernel's default size (212992
 * bytes, about 90 such datagrams) then rides out 4 ms without being run.
 */
#define EXPORT_PACE_BYTES 28000000u
#define EXPORT_PACE_BURST (64u * 1400u) /* bytes a paced export sends at once */

struct export_collector {
    char name[300];                /* as configured, for messages */
    struct sock_sender s;          /* the connected socket and its counters */
    struct sockaddr_storage local; /* our bound source address, so we can skip our own export */
    socklen_t locallen;
};

struct export_stats {
    uint64_t flows;       /* flow records encoded */
    uint64_t datagrams;   /* datagrams encoded */
    uint64_t skipped;     /* flows the format cannot carry (IPv6 in v5) */
    uint64_t send_errors; /* datagrams not sent, over all collectors */
};

struct exporter {
    struct fsn_enc enc;
    struct export_collector col[EXPORT_MAX_COLLECTORS];
    int ncol;
    uint32_t mtu;             /* largest datagram payload */
    uint32_t rate;            /* datagrams per second per collector, 0 = unpaced */
    double tokens;
    uint64_t last_refill_ns;
    struct fsn_flow queue[EXPORT_QUEUE];
    uint32_t nqueue;
    uint8_t (*dgram)[EXPORT_DGRAM_MAX]; /* EXPORT_BATCH datagram buffers */
    uint32_t dlen[EXPORT_BATCH];
    uint32_t ndgram;
    uint64_t now_ms;          /* export time: the newest flow time seen */
    struct export_stats st;
};

/*
 * Sets up the exporter (format, domain, sampling, sysUpTime origin `boot_ms`).
 * Returns 0 or a negative code with a message in err.
 */
int export_init(struct exporter *x, int version, uint32_t domain, uint32_t sampling,
                uint64_t boot_ms, uint32_t mtu, uint32_t rate, char *err, size_t errlen);

/* Resolves "host:port" / "[v6]:port" and opens a socket to it. Returns 0 or -1 with err. */
int export_add_collector(struct exporter *x, const char *hostport, char *err, size_t errlen);

/*
 * Warns about each collector whose route (as the kernel knows it) has an
 * MTU too small for datagrams of x->mtu bytes with IP and UDP headers:
 * they would be fragmented.
 */
void export_check_mtu(const struct exporter *x);

/* True when a packet with this key is one of our own export datagrams. */
bool export_is_own(const struct exporter *x, const struct fsn_flow_key *k);

/* Queues one flow; encodes and sends when the queue is full. */
void export_flow(struct exporter *x, const struct fsn_flow *f);

/*
 * The same in two steps, without a copy: export_slot() returns the queue's
 * next record, zeroed, for the caller to fill; export_commit() queues it.
 */
static inline struct fsn_flow *export_slot(struct exporter *x)
{
    struct fsn_flow *f = &x->queue[x->nqueue];
    memset(f, 0, sizeof *f);
    return f;
}

void export_commit(struct exporter *x);

/* Encodes and sends everything queued, plus templates when an idle exporter owes them. */
void export_flush(struct exporter *x, uint64_t now_ms);

void export_fini(struct exporter *x);

#endif
