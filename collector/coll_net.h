/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The listening sockets: one UDP socket per `listen` address, with a large
 * receive buffer and the kernel's drop counter (SO_RXQ_OVFL), read in
 * batches with recvmmsg (common/sock.h).
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

struct coll_sock {
    int fd;
    char name[SOCK_ADDRSTRLEN];
    int rcvbuf;         /* receive buffer in effect */
    uint64_t datagrams; /* datagrams received */
    uint64_t bytes;
    uint64_t drops;      /* datagrams the kernel dropped (receive buffer full) */
    uint32_t drops_seen; /* the kernel's 32-bit counter as last seen */
    uint64_t errors;     /* failed recvmmsg calls */
};

/* The sockets and one receive batch shared by them. Owned by the caller. */
struct coll_net {
    struct coll_sock s[COLL_LISTEN_MAX];
    size_t n;
    struct sock_batch batch;
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

void coll_net_close(struct coll_net *net);

#endif
