/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The listening sockets: one UDP socket per `listen` address, with a large
 * receive buffer and the kernel's drop counter (SO_RXQ_OVFL), read in
 * batches with recvmmsg (common/sock.h).
 *
 * Waking the receive thread costs more than reading a datagram (about
 * 16 us of CPU a wake-up on the project's VM, against 1.5 us to read and
 * decode a full v5 datagram), and an exporter sends its datagrams one at a
 * time. So when a datagram wakes a loop that had emptied every socket, the
 * loop first naps (coll_net_nap): up to COLL_NAP_MAX_US, less when the
 * datagrams arriving meanwhile at the last second's rate (before the first
 * second: COLL_NAP_RATE_*) could fill more than an eighth of the smallest
 * receive buffer. A busy loop, whose last batch was full, never naps.
 */
#ifndef COLL_NET_H
#define COLL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/coll_conf.h"
#include "common/sock.h"

#define COLL_BATCH 64        /* datagrams per recvmmsg call */
#define COLL_DGRAM_MAX 65536 /* bytes per datagram buffer: any UDP payload fits */
#define COLL_NAP_MAX_US 1000 /* the longest nap before reading a wake-up's datagrams */
/* Until the first tick measured it, the rate is taken as this (more than one thread reads). */
#define COLL_NAP_RATE_DGRAMS 700000u
#define COLL_NAP_RATE_BYTES 1000000000u

struct coll_sock {
    int fd;
    char name[SOCK_ADDRSTRLEN];
    int rcvbuf;         /* receive buffer in effect */
    uint64_t datagrams; /* datagrams received */
    uint64_t bytes;
    uint64_t drops;      /* datagrams the kernel dropped (receive buffer full) */
    uint32_t drops_seen; /* the kernel's 32-bit counter as last seen */
    uint64_t errors;     /* failed recvmmsg calls */
    uint64_t batches;    /* recvmmsg calls that returned datagrams */
    bool drained;        /* the last call left the socket empty (returned less than a batch) */
};

/* The sockets and one receive batch shared by them. Owned by the caller. */
struct coll_net {
    struct coll_sock s[COLL_LISTEN_MAX];
    size_t n;
    struct sock_batch batch;
    unsigned nap_us;      /* the nap in effect (coll_net_tick sets it) */
    uint64_t naps;        /* naps taken */
    uint64_t rate_ms;     /* time of the last coll_net_tick */
    uint64_t rate_dgrams; /* datagrams and bytes of every socket then */
    uint64_t rate_bytes;
};

/*
 * Binds every listen address of `c`. Returns 0, or -1 with a message in
 * err (then nothing stays open).
 */
int coll_net_open(struct coll_net *net, const struct coll_conf *c, char *err, size_t errlen);

/*
 * Receives one batch from socket i without blocking. Returns the number
 * of datagrams (in net->batch; 0 when nothing waits), and updates the
 * socket's counters, kernel drops included.
 */
int coll_net_recv(struct coll_net *net, size_t i);

/*
 * To call when poll() found a socket readable: naps for nap_us first when
 * the previous calls had left every socket empty (the loop was idle), so
 * that the datagrams that follow the one that woke it are read together.
 */
void coll_net_nap(struct coll_net *net);

/*
 * Sets the nap from the datagrams and bytes received since the last call
 * (at `now_ms`, monotonic; 0 at the start): about once a second.
 */
void coll_net_tick(struct coll_net *net, uint64_t now_ms);

void coll_net_close(struct coll_net *net);

#endif
