/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decbench: the record decode rate on one core, from memory (issue 3,
 * "Speed"): a pool of NetFlow v5, v9 or IPFIX datagrams encoded once with
 * lib/enc, then decoded again and again by one lib/dec session, with an
 * emit callback that only adds up the counts.
 *
 *   decbench -f 5|9|10 [-n FLOWS]      prints "decode vN: R records/s (...)"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/dec.h"
#include "lib/enc.h"

#define POOL 2048
#define CAP 1464

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void emit(void *arg, const struct fsn_flow *f, const struct fsn_dec_meta *m)
{
    uint64_t *sum = arg;
    (void)m;
    *sum += f->packets + f->octets;
}

int main(int argc, char **argv)
{
    static uint8_t pool[POOL][CAP];
    static size_t len[POOL];
    struct fsn_enc e;
    struct fsn_flow flows[32];
    struct fsn_dec_session *s;
    struct fsn_addr src;
    uint64_t want = 20000000, records = 0, sum = 0, now = (uint64_t)time(NULL) * 1000;
    uint64_t x = 88172645463325252ull;
    int fmt = 5, opt;
    double t0, secs;
    size_t n = 0;

    while ((opt = getopt(argc, argv, "f:n:")) != -1) {
        switch (opt) {
        case 'f':
            fmt = atoi(optarg);
            break;
        case 'n':
            want = strtoull(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr, "usage: decbench -f 5|9|10 [-n FLOWS]\n");
            return 2;
        }
    }
    fsn_enc_init(&e, fmt, 1, 1, now - 3600000);
    e.tmpl_refresh_pkts = POOL;
    while (n < POOL) {
        size_t consumed = 0, used;
        for (size_t i = 0; i < 32; i++) {
            struct fsn_flow *f = &flows[i];
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            memset(f, 0, sizeof *f);
            f->key.family = FSN_FAMILY_IPV4;
            f->key.src[0] = 10, f->key.src[2] = (uint8_t)(x >> 8), f->key.src[3] = (uint8_t)x;
            f->key.dst[0] = 198, f->key.dst[1] = 18, f->key.dst[3] = (uint8_t)(x >> 16);
            f->key.proto = 6;
            f->key.sport = (uint16_t)(x >> 24);
            f->key.dport = 443;
            f->packets = 1 + (x >> 40) % 100;
            f->octets = f->packets * 500;
            f->last_ms = now - (x >> 48) % 1000;
            f->first_ms = f->last_ms - 1000;
            f->sampling = 1;
        }
        while (consumed < 32 && n < POOL) {
            if (fsn_enc_datagram(&e, flows + consumed, 32 - consumed, now, pool[n], CAP, &len[n],
                                 &used) != 0)
                return 1;
            consumed += used;
            n++;
        }
    }
    memset(&src, 0, sizeof src);
    src.family = FSN_FAMILY_IPV4;
    src.a[0] = 127, src.a[3] = 1;
    s = fsn_dec_session_new(NULL, &src, (uint8_t)fmt, fmt == 5 ? 1 : 1);
    if (!s)
        return 1;
    /* Warm up: templates learned, caches filled. */
    for (size_t i = 0; i < POOL; i++)
        fsn_dec_datagram(s, pool[i], len[i], now, emit, &sum);
    t0 = mono();
    while (records < want) {
        uint64_t before = fsn_dec_counters(s)->records;
        for (size_t i = 0; i < POOL; i++)
            fsn_dec_datagram(s, pool[i], len[i], now, emit, &sum);
        records += fsn_dec_counters(s)->records - before;
    }
    secs = mono() - t0;
    printf("decode v%d: %.0f records/s (%llu records in %.2f s, %.1f ns each; check %llu)\n", fmt,
           (double)records / secs, (unsigned long long)records, secs, secs * 1e9 / (double)records,
           (unsigned long long)(sum & 0xffff));
    fsn_dec_session_free(s);
    return 0;
}
