/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * recvbare: the collector benchmark's limit: a bare receiver that reads
 * datagrams with recvmmsg (the same common/sock.h batches as flowcollectd)
 * and only counts them and the flows their headers announce (v5: count;
 * IPFIX: unknown, so datagrams only). No collector can be lossless at a
 * rate where this one is not.
 *
 *   recvbare -l HOST:PORT [-B RCVBUF]
 *
 * Runs until SIGTERM/SIGINT, then prints
 *   "received datagrams D bytes B v5flows F kernel-drops K"
 * and writes "ready" on stderr once bound.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sock.h"
#include "lib/buf.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    const char *listen = NULL;
    int opt, rcvbuf = 64 << 20, eff = 0, fd;
    struct sock_batch b;
    struct sigaction sa;
    uint64_t dgrams = 0, bytes = 0, v5flows = 0, drops = 0;
    uint32_t seen = 0;
    char err[256];

    while ((opt = getopt(argc, argv, "l:B:")) != -1) {
        switch (opt) {
        case 'l':
            listen = optarg;
            break;
        case 'B':
            rcvbuf = atoi(optarg);
            break;
        default:
            fprintf(stderr, "usage: recvbare -l HOST:PORT [-B RCVBUF]\n");
            return 2;
        }
    }
    if (!listen) {
        fprintf(stderr, "usage: recvbare -l HOST:PORT [-B RCVBUF]\n");
        return 2;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if ((fd = sock_udp_listen(listen, rcvbuf, &eff, err, sizeof err)) < 0 ||
        sock_batch_init(&b, 64, 65536) != 0) {
        fprintf(stderr, "recvbare: %s\n", fd < 0 ? err : "out of memory");
        return 1;
    }
    fprintf(stderr, "ready (receive buffer %d)\n", eff);
    while (!stop) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int k;
        if (poll(&p, 1, 1000) <= 0)
            continue;
        while ((k = sock_batch_recv(fd, &b)) > 0) {
            for (int i = 0; i < k; i++) {
                const uint8_t *d = b.data + (size_t)i * b.bufsize;
                bytes += b.len[i];
                if (b.len[i] >= 4 && fsn_load16(d) == 5)
                    v5flows += fsn_load16(d + 2);
            }
            dgrams += (uint64_t)k;
            if (b.drops_valid) {
                drops += (uint32_t)(b.drops - seen);
                seen = b.drops;
            }
        }
    }
    printf("received datagrams %llu bytes %llu v5flows %llu kernel-drops %llu\n",
           (unsigned long long)dgrams, (unsigned long long)bytes, (unsigned long long)v5flows,
           (unsigned long long)drops);
    close(fd);
    sock_batch_fini(&b);
    return 0;
}
