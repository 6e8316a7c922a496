/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The receive loop's nap (collector/coll_net.c): taken only when the last
 * recvmmsg call of every socket left it empty, and as long as the rate of
 * the last second allows: the arithmetic with hand-computed figures, and
 * the rule with a real loopback socket (a datagram sent to it is queued
 * before sendto returns, so the counts are exact).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collector/coll_net.h"
#include "tests/tap.h"

/* A loop over one socket that is not opened: only the counters the tick reads. */
static void tick_case(int rcvbuf, uint64_t ms, uint64_t dgrams, uint64_t bytes, unsigned want,
                      const char *what)
{
    struct coll_net net;

    memset(&net, 0, sizeof net);
    net.n = 1;
    net.s[0].rcvbuf = rcvbuf;
    coll_net_tick(&net, 5000);
    net.s[0].datagrams = dgrams;
    net.s[0].bytes = bytes;
    coll_net_tick(&net, 5000 + ms);
    is_int(net.nap_us, want, "%s", what);
}

static void test_tick(void)
{
    struct coll_net net;

    memset(&net, 0, sizeof net);
    net.n = 1;
    net.s[0].rcvbuf = 32 << 20;
    coll_net_tick(&net, 0);
    is_int(net.nap_us, COLL_NAP_MAX_US, "before any rate, 32 MiB: a full nap");
    /* 1 GB/s and 700,000 datagrams/s hold (2e9 + 1024 * 7e5) / 1000 = 2,716,800 B a ms. */
    net.s[0].rcvbuf = 1 << 20;
    coll_net_tick(&net, 0);
    is_int(net.nap_us, 262144 * 1000 / 2716800, "before any rate, 1 MiB: 96 us");
    /* 2000 datagrams of 1464 bytes in 1 s: (2 * 2,928,000 + 1024 * 2000) / 1000 = 7904 B a ms. */
    tick_case(64 << 10, 1000, 2000, 2000 * 1464, COLL_NAP_MAX_US,
              "2000 datagrams/s, 64 KiB: 7904 B a ms fit 16 KiB, a full nap");
    /* 20,000 a second: 79,040 B a ms, 16,384 of them in 207 us. */
    tick_case(64 << 10, 1000, 20000, 20000 * 1464, 16384 * 1000 / 79040,
              "20,000 datagrams/s, 64 KiB: 207 us");
    tick_case(64 << 10, 2000, 40000, 40000 * 1464, 16384 * 1000 / 79040,
              "the rate is per ms of the interval (40,000 in 2 s)");
    tick_case(64 << 10, 1000, 0, 0, COLL_NAP_MAX_US, "no traffic: a full nap");
}

static void test_rule(void)
{
    struct coll_conf c;
    struct coll_net net;
    struct sockaddr_storage ss;
    socklen_t sl;
    char err[256], dst[64];
    uint8_t d[100];
    int fd;
    uint16_t port;

    coll_conf_init(&c);
    snprintf(c.listen[0], sizeof c.listen[0], "127.0.0.1:0");
    c.nlisten = 1;
    c.socket_buffer = 1 << 20;
    if (coll_net_open(&net, &c, err, sizeof err) != 0) {
        ok(0, "open a loopback socket");
        diag("%s", err);
        coll_conf_fini(&c);
        return;
    }
    port = sock_local_port(net.s[0].fd);
    snprintf(dst, sizeof dst, "127.0.0.1:%u", port);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    ok(fd >= 0 && sock_resolve(dst, &ss, &sl, err, sizeof err) == 0, "a sender to %s", dst);
    memset(d, 0, sizeof d);
    for (int i = 0; i < COLL_BATCH + 6; i++)
        sendto(fd, d, sizeof d, 0, (struct sockaddr *)&ss, sl);
    net.nap_us = 1; /* the rule, not the length, is under test */
    coll_net_nap(&net);
    is_int(net.naps, 1, "a loop that has read nothing yet is idle: it naps");
    is_int(coll_net_recv(&net, 0), COLL_BATCH, "a full batch");
    coll_net_nap(&net);
    is_int(net.naps, 1, "after a full batch (more may wait): no nap");
    is_int(coll_net_recv(&net, 0), 6, "the rest");
    coll_net_nap(&net);
    is_int(net.naps, 2, "after a short batch (the socket is empty): a nap");
    is_int(net.s[0].batches, 2, "two batches counted");
    is_int(coll_net_recv(&net, 0), 0, "nothing left");
    is_int(net.s[0].batches, 2, "an empty call is not a batch");
    net.nap_us = 0;
    coll_net_nap(&net);
    is_int(net.naps, 2, "a nap of 0 us is none");
    close(fd);
    coll_net_close(&net);
    coll_conf_fini(&c);
}

int main(void)
{
    test_tick();
    test_rule();
    return tap_done();
}
