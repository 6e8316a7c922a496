/* SPDX-License-Identifier: BSD-2-Clause */
#include "collector/coll_net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

int coll_net_open(struct coll_net *net, const struct coll_conf *c, char *err, size_t errlen)
{
    int rcv = c->socket_buffer > (uint64_t)(1u << 30) ? 1 << 30 : (int)c->socket_buffer;

    memset(net, 0, sizeof *net);
    if (sock_batch_init(&net->batch, COLL_BATCH, COLL_DGRAM_MAX) != 0) {
        snprintf(err, errlen, "out of memory for the receive buffers");
        return -1;
    }
    for (size_t i = 0; i < c->nlisten; i++) {
        struct coll_sock *s = &net->s[i];
        struct sockaddr_storage ss;
        socklen_t sl;

        if (sock_resolve(c->listen[i], &ss, &sl, err, errlen) != 0)
            goto fail;
        sock_format(&ss, s->name, sizeof s->name);
        if ((s->fd = sock_udp_bind(&ss, sl, rcv, &s->rcvbuf, err, errlen)) < 0)
            goto fail;
        net->n++;
        if (s->rcvbuf < rcv)
            log_warn("%s: receive buffer %d bytes, not %d: raise net.core.rmem_max or start "
                     "as root",
                     s->name, s->rcvbuf, rcv);
    }
    return 0;
fail:
    coll_net_close(net);
    return -1;
}

int coll_net_recv(struct coll_net *net, size_t i)
{
    struct coll_sock *s = &net->s[i];
    struct sock_batch *b = &net->batch;
    int k;

    /* The batch is shared: only a counter this call saw belongs to this socket. */
    b->drops_valid = false;
    k = sock_batch_recv(s->fd, b);
    if (k < 0) {
        s->errors++;
        return 0;
    }
    if (b->drops_valid) {
        /* The kernel's counter is 32 bits and counts since the socket opened. */
        s->drops += (uint32_t)(b->drops - s->drops_seen);
        s->drops_seen = b->drops;
    }
    s->datagrams += (uint64_t)k;
    for (int j = 0; j < k; j++)
        s->bytes += b->len[j];
    return k;
}

void coll_net_close(struct coll_net *net)
{
    for (size_t i = 0; i < net->n; i++)
        if (net->s[i].fd >= 0)
            close(net->s[i].fd);
    net->n = 0;
    sock_batch_fini(&net->batch);
}
