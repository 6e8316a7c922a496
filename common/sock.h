/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UDP sockets for NetFlow/IPFIX: resolving "host:port" text, a receiving
 * socket with a large buffer and the kernel's drop counter, a batched
 * receiver (recvmmsg) and a batched sender (sendmmsg) to one collector.
 * Functions that can fail return 0 (or a descriptor, or a count) and -1
 * with a message in the caller's err buffer; none of them logs or exits.
 */
#ifndef FSN_COMMON_SOCK_H
#define FSN_COMMON_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "lib/addr.h"

/* Enough for "[IPv6 text%scope]:65535" plus NUL. */
#define SOCK_ADDRSTRLEN 80

/*
 * Resolves "host:port", "[v6addr]:port" or "v4addr:port" (the forms of
 * fsn_hostport_split) with getaddrinfo() into *ss, taking the first
 * result. Returns 0, or -1 with a message in err.
 */
int sock_resolve(const char *hostport, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
                 size_t errlen);

/* Writes "192.0.2.1:2055" or "[2001:db8::1]:4739" into buf and returns buf. */
char *sock_format(const struct sockaddr_storage *ss, char *buf, size_t len);

/*
 * Converts a socket address into the library's form; IPv4-mapped IPv6
 * addresses become IPv4. Returns 0, or -1 for a family other than IPv4/6.
 */
int sock_to_addr(const struct sockaddr_storage *ss, struct fsn_addr *addr, uint16_t *port);

/* The port a socket is bound to (e.g. after binding port 0), or 0 on error. */
uint16_t sock_local_port(int fd);

/*
 * Opens a UDP socket bound to `ss`: IPV6_V6ONLY for IPv6 (so that an
 * IPv4 and an IPv6 socket can share a port), SO_RXQ_OVFL for the drop
 * counter; no SO_REUSEADDR, so that a second instance on the same port
 * fails with "Address already in use" instead of stealing datagrams. When rcvbuf > 0, asks for that
 * receive buffer size and, when the kernel caps it (net.core.rmem_max), retries with SO_RCVBUFFORCE
 * (works with CAP_NET_ADMIN). *eff_rcvbuf (if not NULL) gets the size in
 * effect, in the request's terms (getsockopt's value halved: the kernel
 * doubles a request for its bookkeeping). Returns the descriptor (blocking,
 * close-on-exec; the caller closes it), or -1 with a message in err.
 */
int sock_udp_bind(const struct sockaddr_storage *ss, socklen_t sslen, int rcvbuf, int *eff_rcvbuf,
                  char *err, size_t errlen);

/* sock_resolve() then sock_udp_bind(). */
int sock_udp_listen(const char *hostport, int rcvbuf, int *eff_rcvbuf, char *err, size_t errlen);

/*
 * Waits up to timeout_ms (-1: forever) for fd to become readable. Returns 1
 * when readable, 0 on timeout or when a signal interrupted the wait (so the
 * caller can look at its signal flags), -1 on error.
 */
int sock_wait(int fd, int timeout_ms);

/*
 * Receive buffers for up to `cap` datagrams per call. The caller owns the
 * struct (sock_batch_init/_fini); the arrays belong to it. After
 * sock_batch_recv() returns k > 0, datagram i < k is
 * data + i * bufsize, len[i] bytes long, from from[i].
 */
struct sock_batch {
    unsigned cap;                  /* datagrams per call */
    size_t bufsize;                /* bytes per datagram buffer */
    uint8_t *data;                 /* cap * bufsize bytes */
    size_t *len;                   /* length of each datagram received */
    struct sockaddr_storage *from; /* source of each datagram received */
    uint64_t truncated;            /* datagrams longer than bufsize (cut to bufsize) */
    uint32_t drops;                /* kernel's count of datagrams dropped (SO_RXQ_OVFL) */
    bool drops_valid;              /* a drop counter has been seen */
    /* Internal: the recvmmsg() vectors and control buffers. */
    void *msgs;
    void *iov;
    uint8_t *ctl;
};

/* Allocates buffers for `cap` datagrams of up to `bufsize` bytes. Returns 0 or -1. */
int sock_batch_init(struct sock_batch *b, unsigned cap, size_t bufsize);

/* Frees the buffers; the struct may be initialised again. Safe on a zeroed struct. */
void sock_batch_fini(struct sock_batch *b);

/*
 * Receives what is waiting on fd, up to b->cap datagrams, without blocking.
 * Returns the number received (0: nothing waiting or interrupted), or -1
 * with errno set. b->drops is updated from the kernel's counter: it counts
 * since the socket was opened and wraps at 2^32; subtract to get a delta.
 */
int sock_batch_recv(int fd, struct sock_batch *b);

/* Maximum datagrams per sendmmsg() call (larger sends are split). */
#define SOCK_SEND_BATCH 64

/*
 * A connected UDP socket sending to one collector, with counts of what
 * failed: sending never aborts on a collector that is down or a full queue.
 * The caller owns the struct; sock_sender_close() closes the socket.
 */
struct sock_sender {
    int fd;
    struct sockaddr_storage dst;
    socklen_t dstlen;
    uint64_t sent;    /* datagrams handed to the kernel */
    uint64_t failed;  /* datagrams not sent because of an error */
    uint64_t refused; /* ECONNREFUSED reports: nothing listened at the collector */
    uint64_t nobufs;  /* ENOBUFS / EAGAIN: the local queue was full */
    int last_errno;   /* errno of the latest failure, 0 if none */
};

/*
 * Opens a UDP socket connected to `hostport` (sndbuf > 0: SO_SNDBUF).
 * Returns 0, or -1 with a message in err (s->fd is then -1).
 */
int sock_sender_open(struct sock_sender *s, const char *hostport, int sndbuf, char *err,
                     size_t errlen);

/*
 * Sends n datagrams, dgrams[i] each (the caller keeps ownership). An error
 * is counted and the datagram it hit is skipped; after ECONNREFUSED (an
 * ICMP error left by an earlier datagram) the datagram is tried once more.
 * Returns the number of datagrams sent.
 */
unsigned sock_sender_send(struct sock_sender *s, const struct iovec *dgrams, unsigned n);

/* Closes the socket (the counters stay readable). Safe to call twice. */
void sock_sender_close(struct sock_sender *s);

/*
 * The MTU the kernel knows for the route of a connected socket (IP_MTU or
 * IPV6_MTU): 65535 or 65536 to an address of this host, the interface's
 * MTU otherwise. Returns -1 when the kernel does not say.
 */
int sock_path_mtu(int fd);

#endif
