/* SPDX-License-Identifier: BSD-2-Clause */
#include "collector/coll_net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
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
        s->drained = true;
        net->n++;
        if (s->rcvbuf < rcv)
            log_warn("%s: receive buffer %d bytes, not %d: raise net.core.rmem_max or start "
                     "as root",
                     s->name, s->rcvbuf, rcv);
    }
    coll_net_tick(net, 0);
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
    s->drained = k < (int)b->cap;
    if (k < 0) {
        s->errors++;
        return 0;
    }
    if (k > 0)
        s->batches++;
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

void coll_net_nap(struct coll_net *net)
{
    struct timespec ts = {0, 0};

    if (net->nap_us == 0)
        return;
    for (size_t i = 0; i < net->n; i++)
        if (!net->s[i].drained)
            return;
    ts.tv_nsec = (long)net->nap_us * 1000;
    net->naps++;
    nanosleep(&ts, NULL);
}

/*
 * What the kernel holds for the datagrams and bytes of one millisecond:
 * twice the payload and 1 KiB more each is above its accounting (truesize)
 * for datagrams of 64 bytes to 64 KiB.
 */
static uint64_t held_per_ms(uint64_t dgrams, uint64_t bytes, uint64_t ms)
{
    return (2 * bytes + 1024 * dgrams) / ms;
}

void coll_net_tick(struct coll_net *net, uint64_t now_ms)
{
    uint64_t dgrams = 0, bytes = 0, need;
    int rcvbuf = 0;

    for (size_t i = 0; i < net->n; i++) {
        dgrams += net->s[i].datagrams;
        bytes += net->s[i].bytes;
        if (i == 0 || net->s[i].rcvbuf < rcvbuf)
            rcvbuf = net->s[i].rcvbuf;
    }
    if (net->rate_ms != 0 && now_ms > net->rate_ms)
        need = held_per_ms(dgrams - net->rate_dgrams, bytes - net->rate_bytes,
                           now_ms - net->rate_ms);
    else
        need = held_per_ms(COLL_NAP_RATE_DGRAMS, COLL_NAP_RATE_BYTES, 1000); /* no rate yet */
    /* The kernel allows twice the size asked for: an eighth of it is rcvbuf / 4. */
    if (need == 0 || (uint64_t)rcvbuf / 4 >= need)
        net->nap_us = COLL_NAP_MAX_US;
    else
        net->nap_us = (unsigned)((uint64_t)rcvbuf / 4 * 1000 / need);
    net->rate_ms = now_ms;
    net->rate_dgrams = dgrams;
    net->rate_bytes = bytes;
}

void coll_net_close(struct coll_net *net)
{
    for (size_t i = 0; i < net->n; i++)
        if (net->s[i].fd >= 0)
            close(net->s[i].fd);
    net->n = 0;
    sock_batch_fini(&net->batch);
}
