/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nfsend: the collector benchmark's sender. Encodes a pool of NetFlow v5 or
 * IPFIX datagrams once (lib/enc), then sends them round and round with
 * sendmmsg to one collector, paced at a given rate in flows per second,
 * with correct sequence numbers (v5: flows, IPFIX: data records before the
 * message), or writes them into a pcap file for replays.
 *
 *   nfsend -f 5|10 -s HOST:PORT [-r FLOWS_PER_S] [-t SECONDS | -n FLOWS]
 *          [-H HOSTS] [-P PORTS] [-A ACTIVE_S] [-b BATCH] [-S SNDBUF] [-Q FIRST_SEQ]
 *   nfsend -f 5|10 -w FILE.pcap -n FLOWS [-H HOSTS] [-P PORTS] [-A ACTIVE_S]
 *
 * -r 0 sends as fast as it can; -Q starts the sequence numbers there (to continue
 * an earlier run). Flows go between HOSTS local hosts (10/8) and remote ones;
 * the server port is 443 (TCP) or 53 (UDP), or with -P one of PORTS ports
 * from 1000 on. By default a flow lasts up to 30 s and ended up to 5 s
 * before the start; -A gives the durations a probe with that active timeout
 * exports: 60 % of the flows shorter than a second, 30 % up to a sixth of
 * the timeout, 10 % cut by it (exactly ACTIVE_S long), ending up to a second
 * before the start. Prints one line:
 *   "sent flows F datagrams D seconds S rate R failed X packets P"
 * (R in flows/s; X datagrams the kernel refused; P packets the flows count). Exit 0, 1 on errors, 2 on usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/sock.h"
#include "lib/buf.h"
#include "lib/enc.h"
#include "lib/flow.h"
#include "tests/xorshift.h"

#define POOL 4096      /* datagrams encoded once and sent round and round */
#define DGRAM_CAP 1464 /* fits an Ethernet MTU with IP and UDP headers */

struct dgram {
    uint8_t b[DGRAM_CAP];
    size_t len;
    uint32_t nrec;    /* data records in it */
    uint64_t packets; /* packets its records count */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    return xorshift64(&rs);
}

static void usage(void)
{
    fprintf(stderr, "usage: nfsend -f 5|10 (-s HOST:PORT | -w FILE) [-r FLOWS_PER_S] [-t SECONDS]\n"
                    "              [-n FLOWS] [-H HOSTS] [-P PORTS] [-A ACTIVE_S] [-b BATCH]\n"
                    "              [-S SNDBUF] [-Q FIRST_SEQ]\n");
    exit(2);
}

/* The shape of the flows in the pool (see the options above). */
struct shape {
    unsigned hosts;    /* local hosts */
    unsigned ports;    /* server ports from 1000 on; 0: 443 and 53 */
    unsigned active_s; /* the probe's active timeout; 0: the old fixed spread */
};

/* A flow between one of the local hosts (10/8) and a remote one (198.18/15). */
static void make_flow(struct fsn_flow *f, const struct shape *sh, uint64_t now_ms)
{
    uint64_t r = rnd();
    unsigned h = (unsigned)(r % sh->hosts), rem = (unsigned)(r >> 20) & 0x1ffff;
    uint8_t local[4] = {10, (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h};
    uint8_t remote[4] = {198, (uint8_t)(18 + (rem >> 16)), (uint8_t)(rem >> 8), (uint8_t)rem};
    bool in = (r >> 40) & 1;

    memset(f, 0, sizeof *f);
    f->key.family = FSN_FAMILY_IPV4;
    memcpy(in ? f->key.dst : f->key.src, local, 4);
    memcpy(in ? f->key.src : f->key.dst, remote, 4);
    f->key.proto = (r >> 41) % 4 == 0 ? FSN_PROTO_UDP : FSN_PROTO_TCP;
    f->key.sport = (uint16_t)(1024 + (r >> 44) % 60000);
    if (sh->ports)
        f->key.dport = (uint16_t)(1000 + (r >> 12) % sh->ports);
    else
        f->key.dport = f->key.proto == FSN_PROTO_UDP ? 53 : 443;
    if (in) {
        uint16_t t = f->key.sport;
        f->key.sport = f->key.dport;
        f->key.dport = t;
    }
    f->key.in_if = 1;
    f->out_if = 2;
    f->packets = 1 + (r >> 50) % 100;
    f->octets = f->packets * (40 + (r >> 8) % 1400);
    if (sh->active_s) {
        /* A second random word: the first one's bits are all taken. */
        uint64_t q = rnd();
        unsigned kind = (unsigned)(q % 10);
        uint64_t active_ms = (uint64_t)sh->active_s * 1000, dur;
        if (kind < 6)
            dur = (q >> 8) % 1000;
        else if (kind < 9)
            dur = (q >> 8) % (active_ms / 6 + 1);
        else
            dur = active_ms;
        f->last_ms = now_ms - (q >> 40) % 1000;
        f->first_ms = f->last_ms - dur;
    } else {
        f->last_ms = now_ms - (r >> 30) % 5000;
        f->first_ms = f->last_ms - (r >> 36) % 30000;
    }
    f->tcp_flags = f->key.proto == FSN_PROTO_TCP ? 0x1b : 0;
    f->sampling = 1;
}

/*
 * Fills the pool; returns the number of datagrams. Flows that did not fit
 * one datagram start the next, so that every datagram is full, as an
 * exporter under load sends them (v5: 30 records).
 */
static size_t encode_pool(struct dgram *pool, int fmt, const struct shape *sh)
{
    struct fsn_enc e;
    struct fsn_flow flows[64];
    uint64_t now = (uint64_t)time(NULL) * 1000;
    size_t n = 0, have = 0;

    fsn_enc_init(&e, fmt, 1, 1, now - 3600000);
    /* Templates once per pool round, in the first datagram. */
    e.tmpl_refresh_pkts = POOL;
    e.tmpl_refresh_ms = 0;
    while (n < POOL) {
        size_t used = 0;
        uint32_t before = (uint32_t)e.records;
        for (; have < 64; have++)
            make_flow(&flows[have], sh, now);
        if (fsn_enc_datagram(&e, flows, have, now, pool[n].b, DGRAM_CAP, &pool[n].len, &used) !=
                0 ||
            used == 0) {
            fprintf(stderr, "nfsend: encoding failed\n");
            exit(1);
        }
        /* Counts stay far below 2^32: a flow is never split over datagrams. */
        for (size_t k = 0; k < used; k++)
            pool[n].packets += flows[k].packets;
        pool[n].nrec = (uint32_t)e.records - before;
        memmove(flows, flows + used, (have - used) * sizeof *flows);
        have -= used;
        n++;
    }
    return n;
}

/* Sets the sequence number of a datagram about to be sent (RFC 3954 does not apply: v5, IPFIX). */
static void set_seq(struct dgram *d, int fmt, uint32_t seq)
{
    fsn_store32(d->b + (fmt == FSN_FMT_V5 ? 16 : 8), seq);
}

static void write_pcap(const char *path, struct dgram *pool, size_t npool, int fmt, uint64_t nflows)
{
    static const uint8_t fh[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0,   0, 0, 0,
                                   0,    0,    0,    0,    0xff, 0xff, 0, 0, 101, 0, 0, 0};
    FILE *f = fopen(path, "wb");
    uint64_t flows = 0, dgrams = 0;
    uint32_t seq = 0;
    time_t t0 = time(NULL);

    if (!f) {
        perror(path);
        exit(1);
    }
    fwrite(fh, 1, sizeof fh, f);
    for (size_t i = 0; flows < nflows; i = (i + 1) % npool) {
        struct dgram *d = &pool[i];
        uint8_t hdr[28], rec[16];
        uint32_t v[4];
        uint64_t us = dgrams * 10;

        set_seq(d, fmt, seq);
        seq += d->nrec;
        memset(hdr, 0, sizeof hdr);
        hdr[0] = 0x45;
        fsn_store16(hdr + 2, (uint16_t)(28 + d->len));
        hdr[8] = 64;
        hdr[9] = 17;
        hdr[12] = 127, hdr[15] = 1, hdr[16] = 127, hdr[19] = 1;
        fsn_store16(hdr + 20, 40000);
        fsn_store16(hdr + 22, 2055);
        fsn_store16(hdr + 24, (uint16_t)(8 + d->len));
        v[0] = (uint32_t)(t0 + (time_t)(us / 1000000));
        v[1] = (uint32_t)(us % 1000000);
        v[2] = v[3] = (uint32_t)(28 + d->len);
        for (int k = 0; k < 4; k++)
            for (int b = 0; b < 4; b++)
                rec[k * 4 + b] = (uint8_t)(v[k] >> (8 * b));
        fwrite(rec, 1, sizeof rec, f);
        fwrite(hdr, 1, sizeof hdr, f);
        fwrite(d->b, 1, d->len, f);
        flows += d->nrec;
        dgrams++;
    }
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    printf("wrote flows %llu datagrams %llu\n", (unsigned long long)flows,
           (unsigned long long)dgrams);
}

int main(int argc, char **argv)
{
    const char *dst = NULL, *out = NULL;
    int fmt = 0, opt, sndbuf = 4 << 20;
    double rate = 0, secs = 0, t0, elapsed;
    uint64_t nflows = 0, flows = 0, dgrams = 0, packets = 0;
    unsigned batch = 64;
    struct shape sh = {4096, 0, 0};
    struct dgram *pool;
    size_t npool, i = 0;
    struct sock_sender s;
    uint32_t seq = 0;
    char err[256];

    while ((opt = getopt(argc, argv, "f:s:w:r:t:n:H:P:A:b:S:Q:")) != -1) {
        switch (opt) {
        case 'f':
            fmt = atoi(optarg);
            break;
        case 's':
            dst = optarg;
            break;
        case 'w':
            out = optarg;
            break;
        case 'r':
            rate = atof(optarg);
            break;
        case 't':
            secs = atof(optarg);
            break;
        case 'n':
            nflows = strtoull(optarg, NULL, 10);
            break;
        case 'H':
            sh.hosts = (unsigned)atoi(optarg);
            break;
        case 'P':
            sh.ports = (unsigned)atoi(optarg);
            break;
        case 'A':
            sh.active_s = (unsigned)atoi(optarg);
            break;
        case 'b':
            batch = (unsigned)atoi(optarg);
            break;
        case 'S':
            sndbuf = atoi(optarg);
            break;
        case 'Q':
            seq = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        default:
            usage();
        }
    }
    if ((fmt != FSN_FMT_V5 && fmt != FSN_FMT_IPFIX) || (!dst && !out) || sh.hosts == 0 ||
        sh.ports > 64000 || batch == 0 || batch > SOCK_SEND_BATCH || (out && !nflows) ||
        (!out && !secs && !nflows))
        usage();
    if (!(pool = calloc(POOL, sizeof *pool)))
        return 1;
    npool = encode_pool(pool, fmt, &sh);
    if (out) {
        write_pcap(out, pool, npool, fmt, nflows);
        return 0;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (sock_sender_open(&s, dst, sndbuf, err, sizeof err) != 0) {
        fprintf(stderr, "nfsend: %s\n", err);
        return 1;
    }
    t0 = mono();
    while (!stop) {
        struct iovec v[SOCK_SEND_BATCH];
        uint64_t bflows = 0;
        double now = mono();

        if ((secs && now - t0 >= secs) || (nflows && flows >= nflows))
            break;
        if (rate > 0) {
            /* Pacing: this batch is due when the flows sent so far fill the time at `rate`. */
            double due = t0 + (double)flows / rate;
            /* Sleep rather than spin: the receiver may need this core's spare time. */
            while (now < due && !stop) {
                struct timespec ts = {0, (long)((due - now) * 1e9)};
                nanosleep(&ts, NULL);
                now = mono();
            }
        }
        for (unsigned k = 0; k < batch; k++) {
            struct dgram *d = &pool[i];
            set_seq(d, fmt, seq);
            seq += d->nrec;
            bflows += d->nrec;
            packets += d->packets;
            v[k].iov_base = d->b;
            v[k].iov_len = d->len;
            i = (i + 1) % npool;
        }
        sock_sender_send(&s, v, batch);
        flows += bflows;
        dgrams += batch;
    }
    elapsed = mono() - t0;
    printf("sent flows %llu datagrams %llu seconds %.3f rate %.0f failed %llu packets %llu\n",
           (unsigned long long)flows, (unsigned long long)dgrams, elapsed,
           elapsed > 0 ? (double)flows / elapsed : 0.0, (unsigned long long)s.failed,
           (unsigned long long)packets);
    sock_sender_close(&s);
    free(pool);
    return 0;
}
