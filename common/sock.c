/* SPDX-License-Identifier: BSD-2-Clause */
/* recvmmsg(), sendmmsg() and struct mmsghdr are GNU extensions. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/sock.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/flow.h"

/* Control buffer per datagram: room for SO_RXQ_OVFL's counter and then some. */
#define CTL_SIZE CMSG_SPACE(4 * sizeof(uint64_t))

int sock_resolve(const char *hostport, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
                 size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    char host[256], port[8];
    uint16_t p;
    int rc;

    if (fsn_hostport_split(hostport, host, sizeof host, &p) < 0) {
        snprintf(err, errlen,
                 "'%s': expected HOST:PORT, IPV4:PORT or [IPV6]:PORT with a port of 0 to 65535",
                 hostport ? hostport : "");
        return -1;
    }
    snprintf(port, sizeof port, "%u", p);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    /* The port is numeric already; an address in brackets must be a literal. */
    hints.ai_flags = AI_NUMERICSERV | (hostport[0] == '[' ? AI_NUMERICHOST : 0);
    if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
        snprintf(err, errlen, "'%s': %s", hostport,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    if (res->ai_addrlen > sizeof *ss) {
        freeaddrinfo(res);
        snprintf(err, errlen, "'%s': address too long", hostport);
        return -1;
    }
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

char *sock_format(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    socklen_t sl =
        ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

    if (len == 0)
        return buf;
    if ((ss->ss_family != AF_INET && ss->ss_family != AF_INET6) ||
        getnameinfo((const struct sockaddr *)ss, sl, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(buf, len, "(address family %d)", ss->ss_family);
        return buf;
    }
    snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
    return buf;
}

int sock_to_addr(const struct sockaddr_storage *ss, struct fsn_addr *addr, uint16_t *port)
{
    memset(addr, 0, sizeof *addr);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        addr->family = FSN_FAMILY_IPV4;
        memcpy(addr->a, &sin->sin_addr, 4);
        *port = ntohs(sin->sin_port);
        return 0;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            addr->family = FSN_FAMILY_IPV4;
            memcpy(addr->a, sin6->sin6_addr.s6_addr + 12, 4);
        } else {
            addr->family = FSN_FAMILY_IPV6;
            memcpy(addr->a, &sin6->sin6_addr, 16);
        }
        *port = ntohs(sin6->sin6_port);
        return 0;
    }
    return -1;
}

uint16_t sock_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    struct fsn_addr a;
    uint16_t port;

    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 || sock_to_addr(&ss, &a, &port) != 0)
        return 0;
    return port;
}

static int get_rcvbuf(int fd)
{
    int v = 0;
    socklen_t sl = sizeof v;

    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &sl) != 0)
        return 0;
    return v / 2;
}

int sock_udp_bind(const struct sockaddr_storage *ss, socklen_t sslen, int rcvbuf, int *eff_rcvbuf,
                  char *err, size_t errlen)
{
    char name[SOCK_ADDRSTRLEN];
    int fd, one = 1;

    sock_format(ss, name, sizeof name);
    if ((fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP)) < 0) {
        snprintf(err, errlen, "socket for %s: %s", name, strerror(errno));
        return -1;
    }
    /*
     * No SO_REUSEADDR: UDP has no TIME_WAIT for it to help with, and on Linux
     * it lets a second process bind the same address and port without an
     * error and take the datagrams away from the first.
     */
    if (ss->ss_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
        snprintf(err, errlen, "socket options for %s: %s", name, strerror(errno));
        goto fail;
    }
    /* The drop counter is informative: a kernel without it is no reason to fail. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    if (rcvbuf > 0) {
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
            snprintf(err, errlen, "receive buffer of %d bytes for %s: %s", rcvbuf, name,
                     strerror(errno));
            goto fail;
        }
        /* Capped by net.core.rmem_max: the privileged option ignores that cap. */
        if (get_rcvbuf(fd) < rcvbuf)
            (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
    }
    if (bind(fd, (const struct sockaddr *)ss, sslen) != 0) {
        snprintf(err, errlen, "bind %s: %s", name, strerror(errno));
        goto fail;
    }
    if (eff_rcvbuf)
        *eff_rcvbuf = get_rcvbuf(fd);
    return fd;
fail:
    close(fd);
    return -1;
}

int sock_udp_listen(const char *hostport, int rcvbuf, int *eff_rcvbuf, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl;

    if (sock_resolve(hostport, &ss, &sl, err, errlen) < 0)
        return -1;
    return sock_udp_bind(&ss, sl, rcvbuf, eff_rcvbuf, err, errlen);
}

int sock_wait(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, timeout_ms);

    if (r < 0)
        return errno == EINTR ? 0 : -1;
    if (r > 0 && (p.revents & POLLNVAL)) {
        errno = EBADF;
        return -1;
    }
    return r > 0 ? 1 : 0;
}

int sock_batch_init(struct sock_batch *b, unsigned cap, size_t bufsize)
{
    memset(b, 0, sizeof *b);
    if (cap == 0 || bufsize == 0 || bufsize > SIZE_MAX / cap)
        return -1;
    b->cap = cap;
    b->bufsize = bufsize;
    b->data = malloc((size_t)cap * bufsize);
    b->len = calloc(cap, sizeof *b->len);
    b->from = calloc(cap, sizeof *b->from);
    b->msgs = calloc(cap, sizeof(struct mmsghdr));
    b->iov = calloc(cap, sizeof(struct iovec));
    b->ctl = calloc(cap, CTL_SIZE);
    if (!b->data || !b->len || !b->from || !b->msgs || !b->iov || !b->ctl) {
        sock_batch_fini(b);
        return -1;
    }
    return 0;
}

void sock_batch_fini(struct sock_batch *b)
{
    free(b->data);
    free(b->len);
    free(b->from);
    free(b->msgs);
    free(b->iov);
    free(b->ctl);
    memset(b, 0, sizeof *b);
}

int sock_batch_recv(int fd, struct sock_batch *b)
{
    struct mmsghdr *m = b->msgs;
    struct iovec *iov = b->iov;
    int r;

    /* The kernel rewrites lengths and flags on return: reset them every call. */
    for (unsigned i = 0; i < b->cap; i++) {
        iov[i].iov_base = b->data + (size_t)i * b->bufsize;
        iov[i].iov_len = b->bufsize;
        memset(&m[i], 0, sizeof m[i]);
        m[i].msg_hdr.msg_name = &b->from[i];
        m[i].msg_hdr.msg_namelen = sizeof b->from[i];
        m[i].msg_hdr.msg_iov = &iov[i];
        m[i].msg_hdr.msg_iovlen = 1;
        m[i].msg_hdr.msg_control = b->ctl + (size_t)i * CTL_SIZE;
        m[i].msg_hdr.msg_controllen = CTL_SIZE;
    }
    r = recvmmsg(fd, m, b->cap, MSG_DONTWAIT, NULL);
    if (r < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    for (int i = 0; i < r; i++) {
        struct msghdr *h = &m[i].msg_hdr;
        b->len[i] = m[i].msg_len;
        if (h->msg_flags & MSG_TRUNC)
            b->truncated++;
        /* The kernel attaches the counter once it is non-zero (see socket(7)). */
        for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
                c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
                memcpy(&b->drops, CMSG_DATA(c), sizeof b->drops);
                b->drops_valid = true;
            }
        }
    }
    return r;
}

int sock_sender_open(struct sock_sender *s, const char *hostport, int sndbuf, char *err,
                     size_t errlen)
{
    char name[SOCK_ADDRSTRLEN];

    memset(s, 0, sizeof *s);
    s->fd = -1;
    if (sock_resolve(hostport, &s->dst, &s->dstlen, err, errlen) < 0)
        return -1;
    sock_format(&s->dst, name, sizeof name);
    if ((s->fd = socket(s->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP)) < 0) {
        snprintf(err, errlen, "socket for %s: %s", name, strerror(errno));
        return -1;
    }
    if (sndbuf > 0 && setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0) {
        snprintf(err, errlen, "send buffer of %d bytes for %s: %s", sndbuf, name, strerror(errno));
        goto fail;
    }
    if (connect(s->fd, (const struct sockaddr *)&s->dst, s->dstlen) != 0) {
        snprintf(err, errlen, "connect %s: %s", name, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    close(s->fd);
    s->fd = -1;
    return -1;
}

unsigned sock_sender_send(struct sock_sender *s, const struct iovec *dgrams, unsigned n)
{
    struct mmsghdr m[SOCK_SEND_BATCH];
    struct iovec v[SOCK_SEND_BATCH];
    unsigned done = 0, sent = 0;
    bool retried = false;

    if (s->fd < 0) {
        s->failed += n;
        s->last_errno = EBADF;
        return 0;
    }
    while (done < n) {
        unsigned k = n - done < SOCK_SEND_BATCH ? n - done : SOCK_SEND_BATCH;
        int r;

        memset(m, 0, k * sizeof m[0]);
        for (unsigned i = 0; i < k; i++) {
            v[i] = dgrams[done + i];
            m[i].msg_hdr.msg_iov = &v[i];
            m[i].msg_hdr.msg_iovlen = 1;
        }
        r = sendmmsg(s->fd, m, k, 0);
        if (r > 0) {
            done += (unsigned)r;
            sent += (unsigned)r;
            s->sent += (unsigned)r;
            retried = false;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        s->last_errno = r < 0 ? errno : EIO;
        if (s->last_errno == ECONNREFUSED) {
            /* The error belongs to an earlier datagram; this one was not sent yet. */
            s->refused++;
            if (!retried) {
                retried = true;
                continue;
            }
        } else if (s->last_errno == ENOBUFS || s->last_errno == EAGAIN ||
                   s->last_errno == EWOULDBLOCK) {
            s->nobufs++;
        }
        s->failed++;
        done++;
        retried = false;
    }
    return sent;
}

int sock_path_mtu(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int mtu = -1;
    socklen_t mlen = sizeof mtu;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET && getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &mlen) == 0)
        return mtu;
    if (ss.ss_family == AF_INET6 && getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &mlen) == 0)
        return mtu;
    return -1;
}

void sock_sender_close(struct sock_sender *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}
