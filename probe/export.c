/* SPDX-License-Identifier: BSD-2-Clause */
#include "probe/export.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int export_init(struct exporter *x, int version, uint32_t domain, uint32_t sampling,
                uint64_t boot_ms, uint32_t mtu, uint32_t rate, char *err, size_t errlen)
{
    memset(x, 0, sizeof *x);
    if (version != FSN_FMT_V5 && version != FSN_FMT_V9 && version != FSN_FMT_IPFIX) {
        snprintf(err, errlen, "export version must be 5, 9 or 10, not %d", version);
        return -1;
    }
    if (mtu < 128 || mtu > EXPORT_DGRAM_MAX) {
        snprintf(err, errlen, "export datagram size must be 128..%d bytes", EXPORT_DGRAM_MAX);
        return -1;
    }
    x->dgram = malloc(EXPORT_BATCH * sizeof *x->dgram);
    if (!x->dgram) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    fsn_enc_init(&x->enc, version, domain, sampling, boot_ms);
    x->enc.routing = false; /* a probe has no next hop, AS numbers, masks or output interface */
    x->mtu = mtu;
    x->rate = rate;
    x->tokens = EXPORT_BATCH;
    x->last_refill_ns = mono_ns();
    x->now_ms = boot_ms;
    return 0;
}

int export_add_collector(struct exporter *x, const char *hostport, char *err, size_t errlen)
{
    struct export_collector *c;

    if (x->ncol == EXPORT_MAX_COLLECTORS) {
        snprintf(err, errlen, "at most %d collectors", EXPORT_MAX_COLLECTORS);
        return -1;
    }
    c = &x->col[x->ncol];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", hostport);
    if (sock_sender_open(&c->s, hostport, 4 << 20, err, errlen) != 0)
        return -1;
    c->locallen = sizeof c->local;
    getsockname(c->s.fd, (struct sockaddr *)&c->local, &c->locallen);
    x->ncol++;
    return 0;
}

void export_check_mtu(const struct exporter *x)
{
    for (int i = 0; i < x->ncol; i++) {
        int path = sock_path_mtu(x->col[i].s.fd);
        uint32_t hdr = x->col[i].s.dst.ss_family == AF_INET6 ? 40 + 8 : 20 + 8;
        if (path > 0 && x->mtu + hdr > (uint32_t)path)
            log_warn("export to %s: datagrams of up to %u bytes (export-mtu) exceed the route's "
                     "MTU of %d with their IP and UDP headers: they will be fragmented",
                     x->col[i].name, x->mtu, path);
    }
}

/* Extracts family, address bytes and port of a socket address. */
static bool sa_parts(const struct sockaddr_storage *ss, uint8_t *family, uint8_t addr[16],
                     uint16_t *port)
{
    memset(addr, 0, 16);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
        *family = FSN_FAMILY_IPV4;
        memcpy(addr, &s->sin_addr, 4);
        *port = ntohs(s->sin_port);
        return true;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
        *family = FSN_FAMILY_IPV6;
        memcpy(addr, &s->sin6_addr, 16);
        *port = ntohs(s->sin6_port);
        return true;
    }
    return false;
}

bool export_is_own(const struct exporter *x, const struct fsn_flow_key *k)
{
    if (k->proto != FSN_PROTO_UDP)
        return false;
    for (int i = 0; i < x->ncol; i++) {
        uint8_t fam, a[16], la[16];
        uint16_t port, lport;
        if (!sa_parts(&x->col[i].s.dst, &fam, a, &port) ||
            !sa_parts(&x->col[i].local, &fam, la, &lport))
            continue;
        if (k->family == fam && k->dport == port && k->sport == lport &&
            memcmp(k->dst, a, 16) == 0 && memcmp(k->src, la, 16) == 0)
            return true;
    }
    return false;
}

/*
 * Datagrams a paced export sends at once: EXPORT_PACE_BURST bytes' worth
 * (64 of 1400 bytes, 9 of 9000), so that larger datagrams do not make
 * larger bursts for a collector's socket buffer to absorb.
 */
static uint32_t pace_burst(const struct exporter *x)
{
    uint32_t b = EXPORT_PACE_BURST / x->mtu;
    return b < 1 ? 1 : b > EXPORT_BATCH ? EXPORT_BATCH : b;
}

/* Waits until the token bucket allows `n` (at most pace_burst()) more datagrams. */
static void pace(struct exporter *x, uint32_t n)
{
    uint64_t now;
    double burst = pace_burst(x);

    if (x->rate == 0)
        return;
    for (;;) {
        now = mono_ns();
        x->tokens += (double)(now - x->last_refill_ns) * x->rate / 1e9;
        x->last_refill_ns = now;
        if (x->tokens > burst)
            x->tokens = burst;
        if (x->tokens >= n)
            break;
        struct timespec ts = {0, (long)((n - x->tokens) * 1e9 / x->rate)};
        if (ts.tv_nsec > 999999999)
            ts.tv_nsec = 999999999;
        nanosleep(&ts, NULL);
    }
    x->tokens -= n;
}

static void send_batch(struct exporter *x)
{
    struct iovec iov[EXPORT_BATCH];
    uint32_t step;

    if (x->ndgram == 0 || x->ncol == 0) {
        x->ndgram = 0; /* metering only: nothing to send, nothing to pace */
        return;
    }
    for (uint32_t i = 0; i < x->ndgram; i++) {
        iov[i].iov_base = x->dgram[i];
        iov[i].iov_len = x->dlen[i];
    }
    step = x->rate ? pace_burst(x) : x->ndgram;
    for (uint32_t off = 0; off < x->ndgram; off += step) {
        uint32_t n = x->ndgram - off < step ? x->ndgram - off : step;
        pace(x, n);
        for (int c = 0; c < x->ncol; c++) {
            struct export_collector *col = &x->col[c];
            unsigned sent = sock_sender_send(&col->s, iov + off, n);
            if (sent < n) {
                static struct log_limit lim;
                x->st.send_errors += n - sent;
                log_ratelimited(&lim, 10, LOG_WARNING, "export to %s: %u of %u datagrams not sent: %s",
                                col->name, n - sent, n, strerror(col->s.last_errno));
            }
        }
    }
    x->ndgram = 0;
}

/* Encodes the queued flows into datagrams, sending each full batch. */
static void encode_queue(struct exporter *x)
{
    uint32_t off = 0;

    while (off < x->nqueue) {
        size_t len = 0, used = 0;
        uint64_t skipped = x->enc.skipped, records = x->enc.records;
        int rc = fsn_enc_datagram(&x->enc, x->queue + off, x->nqueue - off, x->now_ms,
                                  x->dgram[x->ndgram], x->mtu, &len, &used);
        if (rc != 0) {
            log_err("export: cannot encode: %d", rc);
            break;
        }
        x->st.skipped += x->enc.skipped - skipped;
        x->st.flows += x->enc.records - records;
        off += (uint32_t)used;
        if (len > 0) {
            x->dlen[x->ndgram++] = (uint32_t)len;
            x->st.datagrams++;
            if (x->ndgram == EXPORT_BATCH)
                send_batch(x);
        }
    }
    x->nqueue = 0;
}

void export_commit(struct exporter *x)
{
    const struct fsn_flow *f = &x->queue[x->nqueue++];

    if (f->last_ms > x->now_ms)
        x->now_ms = f->last_ms;
    if (x->nqueue == EXPORT_QUEUE)
        encode_queue(x);
}

void export_flow(struct exporter *x, const struct fsn_flow *f)
{
    *export_slot(x) = *f;
    export_commit(x);
}

void export_flush(struct exporter *x, uint64_t now_ms)
{
    if (now_ms > x->now_ms)
        x->now_ms = now_ms;
    encode_queue(x);
    if (fsn_enc_templates_due(&x->enc, x->now_ms)) {
        size_t len = 0;
        if (fsn_enc_templates(&x->enc, x->now_ms, x->dgram[x->ndgram], x->mtu, &len) == 0 &&
            len > 0) {
            x->dlen[x->ndgram++] = (uint32_t)len;
            x->st.datagrams++;
        }
    }
    send_batch(x);
}

void export_fini(struct exporter *x)
{
    for (int i = 0; i < x->ncol; i++)
        sock_sender_close(&x->col[i].s);
    free(x->dgram);
    x->dgram = NULL;
    x->ncol = 0;
}
