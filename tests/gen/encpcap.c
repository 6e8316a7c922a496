/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * encpcap: encodes a deterministic set of flows with lib/enc into NetFlow
 * v5, v9 or IPFIX datagrams, writes them as a classic pcap file
 * (Ethernet/IPv4/UDP to 127.0.0.1) and/or sends them over UDP, and prints
 * the ground truth on stdout, for tests that check what peers (tshark,
 * nfcapd/nfdump) make of our datagrams.
 *
 * Usage: encpcap -f 5|9|10 [-S sampling] [-n flows] [-b batch] [-c cap]
 *                [-R refresh_pkts] [-T refresh_ms] [-u uptime_ms_at_start]
 *                [-o FILE.pcap] [-p port] [-s HOST:PORT] [-w usec]
 *
 * Ground truth, one line each, fields separated by spaces:
 *   flow FAMILY SRC DST SPORT DPORT PROTO PACKETS OCTETS FIRST LAST WPACKETS WOCTETS
 *     for every flow the format carries: PACKETS/OCTETS as a collector
 *     should report them (sampling applied), WPACKETS/WOCTETS as they are
 *     on the wire (what tshark shows), FIRST/LAST as UTC
 *     "YYYY-MM-DD HH:MM:SS.mmm" with the space replaced by 'T'. ICMP ports:
 *     SPORT 0, DPORT type.code as nfdump prints it.
 *   skip FAMILY SRC DST ...   for flows the format cannot carry (IPv6 in v5)
 *   total KEY VALUE ...       flows, records (data records on the wire,
 *     split v5 records counted), packets, octets, wpackets, woctets,
 *     datagrams, tmpl_datagrams (datagrams carrying templates), skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/enc.h"
#include "lib/error.h"
#include "lib/flow.h"

/* 2023-11-14 22:13:20 UTC: the capture's clock, a fixed point so runs are identical. */
#define T0_MS 1700000000000ULL

struct opts {
    int fmt;
    uint32_t sampling;
    size_t nflows;
    size_t batch;
    size_t cap;
    uint32_t refresh_pkts;
    uint32_t refresh_ms;
    uint64_t uptime0;
    const char *pcap;
    uint16_t port;
    const char *send;
    unsigned wait_us;
};

struct out {
    FILE *pcap;
    int sock;
    struct sockaddr_in dst;
    uint16_t port;
    unsigned wait_us;
    uint64_t datagrams;
    uint64_t tmpl_datagrams;
    uint16_t ip_id;
};

static void usage(void)
{
    fprintf(stderr, "usage: encpcap -f 5|9|10 [-S sampling] [-n flows] [-b batch] [-c cap]\n"
                    "               [-R refresh_pkts] [-T refresh_ms] [-u uptime_ms]\n"
                    "               [-o FILE.pcap] [-p port] [-s HOST:PORT] [-w usec]\n");
    exit(2);
}

static unsigned long long num(const char *s)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || *end || end == s)
        usage();
    return v;
}

/* The i-th flow of the set; `sampling` scales counts the way a sampling probe does. */
static void make_flow(size_t i, uint32_t sampling, uint64_t export_ms, struct fsn_flow *f)
{
    uint32_t x = (uint32_t)i;
    uint64_t raw_p, size;

    memset(f, 0, sizeof *f);
    f->key.family = i % 4 == 3 ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
    switch (i % 5) {
    case 3:
        f->key.proto = FSN_PROTO_UDP;
        break;
    case 4:
        f->key.proto = f->key.family == FSN_FAMILY_IPV4 ? FSN_PROTO_ICMP : FSN_PROTO_ICMPV6;
        break;
    default:
        f->key.proto = FSN_PROTO_TCP;
        break;
    }
    if (f->key.family == FSN_FAMILY_IPV4) {
        uint8_t s[4] = {10, (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
        uint8_t d[4] = {192, 168, (uint8_t)(x % 7), (uint8_t)(1 + x % 200)};
        uint8_t nh[4] = {10, 255, 0, 1};
        memcpy(f->key.src, s, 4);
        memcpy(f->key.dst, d, 4);
        memcpy(f->nexthop, nh, 4);
        f->src_mask = 8;
        f->dst_mask = 24;
    } else {
        uint8_t s[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
                         (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
        uint8_t d[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                         (uint8_t)(1 + x % 200)};
        uint8_t nh[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        memcpy(f->key.src, s, 16);
        memcpy(f->key.dst, d, 16);
        memcpy(f->nexthop, nh, 16);
        f->src_mask = 32;
        f->dst_mask = 64;
    }
    if (f->key.proto == FSN_PROTO_ICMP) {
        /* echo request, or port unreachable */
        f->key.dport = i % 2 ? (uint16_t)(8 << 8) : (uint16_t)(3 << 8 | 3);
    } else if (f->key.proto == FSN_PROTO_ICMPV6) {
        /* echo request, or port unreachable */
        f->key.dport = i % 2 ? (uint16_t)(128 << 8) : (uint16_t)(1 << 8 | 4);
    } else {
        f->key.sport = (uint16_t)(1024 + i % 60000);
        f->key.dport = f->key.proto == FSN_PROTO_UDP ? 53 : (i % 3 ? 443 : 80);
        if (f->key.proto == FSN_PROTO_TCP)
            f->tcp_flags = (uint8_t)(i % 2 ? 0x1b : 0x12);
    }
    f->key.tos = (uint8_t)(i % 3 ? 0 : 0xb8);
    f->key.vlan = (uint16_t)(i % 6 ? 0 : 100 + i % 50);
    f->key.in_if = i % 10 == 7 ? 70000 : (uint32_t)(1 + i % 4);
    f->out_if = (uint32_t)(5 + i % 3);
    f->src_as = i % 9 == 0 ? 4200000000u : (uint32_t)(64500 + i % 10);
    f->dst_as = (uint32_t)(64510 + i % 5);

    /* Mostly small flows; every 50th is huge so that v5 has to split it. */
    raw_p = 1 + (uint64_t)(x * 7919u % 1000);
    size = 40 + x * 31u % 1400;
    if (i % 50 == 17) {
        raw_p = 5000000000ULL + i;
        size = 1000;
    }
    f->packets = raw_p * sampling;
    f->octets = raw_p * size * sampling;
    f->sampling = sampling;

    /* Times before the export time, at least T0, with millisecond parts. */
    f->last_ms = export_ms - 1 - (x * 13u % 4000);
    f->first_ms = f->last_ms - (x * 101u % 55000);
    if (f->first_ms < T0_MS)
        f->first_ms = T0_MS;
    f->end_reason = (uint8_t)(1 + i % 4);
}

/* v5 records a flow needs: 32-bit counters, so ceil(count / (2^32 - 1)) for the larger count. */
static uint64_t v5_records(uint64_t wp, uint64_t wo)
{
    uint64_t m = wp > wo ? wp : wo;
    uint64_t k = (m + UINT32_MAX - 1) / UINT32_MAX;
    return k ? k : 1;
}

static void fmt_time(uint64_t ms, char *buf, size_t len)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&s, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03u", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

static void print_flow(const char *tag, const struct fsn_flow *f, uint64_t wp, uint64_t wo)
{
    char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN], ts[64], te[64], dp[16];
    int af = f->key.family == FSN_FAMILY_IPV4 ? AF_INET : AF_INET6;
    bool icmp = f->key.proto == FSN_PROTO_ICMP || f->key.proto == FSN_PROTO_ICMPV6;

    inet_ntop(af, f->key.src, sa, sizeof sa);
    inet_ntop(af, f->key.dst, da, sizeof da);
    fmt_time(f->first_ms, ts, sizeof ts);
    fmt_time(f->last_ms, te, sizeof te);
    if (icmp)
        snprintf(dp, sizeof dp, "%u.%u", f->key.dport >> 8, f->key.dport & 0xff);
    else
        snprintf(dp, sizeof dp, "%u", f->key.dport);
    printf("%s %u %s %s %u %s %u %" PRIu64 " %" PRIu64 " %s %s %" PRIu64 " %" PRIu64 "\n", tag,
           f->key.family, sa, da, f->key.sport, dp, f->key.proto, f->packets, f->octets, ts, te,
           wp, wo);
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (len % 2)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

/* Writes one datagram as an Ethernet/IPv4/UDP frame, 127.0.0.1:40000 -> 127.0.0.1:port. */
static void write_pcap(struct out *o, const uint8_t *dg, size_t len, uint64_t now_ms)
{
    uint8_t hdr[14 + 20 + 8];
    uint8_t rec[16];
    struct fsn_wr w = fsn_wr_make(hdr, sizeof hdr);
    uint8_t *ip, *udp;
    uint32_t sum;

    /* Ethernet: locally administered MACs, type IPv4. */
    fsn_wr_bytes(&w, "\x02\x00\x00\x00\x00\x02", 6);
    fsn_wr_bytes(&w, "\x02\x00\x00\x00\x00\x01", 6);
    fsn_wr_u16(&w, 0x0800);
    ip = w.p;
    fsn_wr_u8(&w, 0x45);
    fsn_wr_u8(&w, 0);
    fsn_wr_u16(&w, (uint16_t)(20 + 8 + len));
    fsn_wr_u16(&w, o->ip_id++);
    fsn_wr_u16(&w, 0x4000); /* DF */
    fsn_wr_u8(&w, 64);
    fsn_wr_u8(&w, 17);
    fsn_wr_u16(&w, 0);
    fsn_wr_bytes(&w, "\x7f\x00\x00\x01\x7f\x00\x00\x01", 8);
    fsn_store16(ip + 10, csum_fold(csum_add(0, ip, 20)));
    udp = w.p;
    fsn_wr_u16(&w, 40000);
    fsn_wr_u16(&w, o->port);
    fsn_wr_u16(&w, (uint16_t)(8 + len));
    fsn_wr_u16(&w, 0);
    /* UDP checksum over the pseudo-header, the UDP header and the payload (RFC 768). */
    sum = csum_add(0, ip + 12, 8);
    sum += 17 + (uint32_t)(8 + len);
    sum = csum_add(sum, udp, 8);
    sum = csum_add(sum, dg, len);
    {
        uint16_t c = csum_fold(sum);
        fsn_store16(udp + 6, c ? c : 0xffff);
    }

    w = fsn_wr_make(rec, sizeof rec);
    /* pcap record header, little-endian as the file header's magic says. */
    {
        uint32_t v[4] = {(uint32_t)(now_ms / 1000), (uint32_t)(now_ms % 1000 * 1000),
                         (uint32_t)(sizeof hdr + len), (uint32_t)(sizeof hdr + len)};
        for (int k = 0; k < 4; k++)
            for (int b = 0; b < 4; b++)
                rec[k * 4 + b] = (uint8_t)(v[k] >> (8 * b));
    }
    fwrite(rec, 1, sizeof rec, o->pcap);
    fwrite(hdr, 1, sizeof hdr, o->pcap);
    fwrite(dg, 1, len, o->pcap);
}

static void emit(struct out *o, const uint8_t *dg, size_t len, uint64_t now_ms, bool tmpl)
{
    o->datagrams++;
    if (tmpl)
        o->tmpl_datagrams++;
    if (o->pcap)
        write_pcap(o, dg, len, now_ms);
    if (o->sock >= 0) {
        if (sendto(o->sock, dg, len, 0, (struct sockaddr *)&o->dst, sizeof o->dst) < 0) {
            perror("encpcap: sendto");
            exit(1);
        }
        if (o->wait_us) {
            struct timespec ts = {0, (long)o->wait_us * 1000};
            nanosleep(&ts, NULL);
        }
    }
}

static void open_out(const struct opts *op, struct out *o)
{
    memset(o, 0, sizeof *o);
    o->sock = -1;
    o->port = op->port;
    o->wait_us = op->wait_us;
    if (op->pcap) {
        /* Classic pcap file header: magic, 2.4, no tz, snaplen 65535, Ethernet. */
        static const uint8_t fh[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                       0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
        o->pcap = fopen(op->pcap, "wb");
        if (!o->pcap) {
            perror(op->pcap);
            exit(1);
        }
        fwrite(fh, 1, sizeof fh, o->pcap);
    }
    if (op->send) {
        char host[64];
        const char *colon = strrchr(op->send, ':');
        size_t hl = colon ? (size_t)(colon - op->send) : 0;

        if (!colon || hl == 0 || hl >= sizeof host)
            usage();
        memcpy(host, op->send, hl);
        host[hl] = 0;
        o->dst.sin_family = AF_INET;
        o->dst.sin_port = htons((uint16_t)num(colon + 1));
        if (inet_pton(AF_INET, host, &o->dst.sin_addr) != 1)
            usage();
        o->sock = socket(AF_INET, SOCK_DGRAM, 0);
        if (o->sock < 0) {
            perror("encpcap: socket");
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    struct opts op = {0, 1, 600, 23, 1400, 7, 60000, 86400123, NULL, 2055, NULL, 100};
    struct out o;
    struct fsn_enc e;
    struct fsn_flow *flows;
    uint8_t dg[65536];
    uint64_t tot_p = 0, tot_o = 0, tot_wp = 0, tot_wo = 0, nflows = 0, nskip = 0, nrec = 0;
    int c, ret;

    while ((c = getopt(argc, argv, "f:S:n:b:c:R:T:u:o:p:s:w:")) != -1) {
        switch (c) {
        case 'f': op.fmt = (int)num(optarg); break;
        case 'S': op.sampling = (uint32_t)num(optarg); break;
        case 'n': op.nflows = (size_t)num(optarg); break;
        case 'b': op.batch = (size_t)num(optarg); break;
        case 'c': op.cap = (size_t)num(optarg); break;
        case 'R': op.refresh_pkts = (uint32_t)num(optarg); break;
        case 'T': op.refresh_ms = (uint32_t)num(optarg); break;
        case 'u': op.uptime0 = num(optarg); break;
        case 'o': op.pcap = optarg; break;
        case 'p': op.port = (uint16_t)num(optarg); break;
        case 's': op.send = optarg; break;
        case 'w': op.wait_us = (unsigned)num(optarg); break;
        default: usage();
        }
    }
    if ((op.fmt != FSN_FMT_V5 && op.fmt != FSN_FMT_V9 && op.fmt != FSN_FMT_IPFIX) ||
        op.sampling == 0 || op.batch == 0 || op.cap > sizeof dg || op.uptime0 > T0_MS)
        usage();
    if (!op.pcap && !op.send)
        usage();
    open_out(&op, &o);
    flows = calloc(op.batch, sizeof *flows);
    if (!flows)
        return 1;

    fsn_enc_init(&e, op.fmt, 0x01020304, op.sampling, T0_MS - op.uptime0);
    e.tmpl_refresh_pkts = op.refresh_pkts;
    e.tmpl_refresh_ms = op.refresh_ms;

    for (size_t b = 0; b * op.batch < op.nflows; b++) {
        /* One export round every 4.5 s, the first a minute after T0. */
        uint64_t now = T0_MS + 60000 + b * 4500 + b % 7;
        size_t nb = op.nflows - b * op.batch < op.batch ? op.nflows - b * op.batch : op.batch;
        size_t done = 0, len, used;

        for (size_t k = 0; k < nb; k++) {
            struct fsn_flow *f = &flows[k];
            make_flow(b * op.batch + k, op.sampling, now, f);
            if (op.fmt == FSN_FMT_V5 && f->key.family != FSN_FAMILY_IPV4) {
                print_flow("skip", f, 0, 0);
                nskip++;
                continue;
            }
            {
                uint64_t wp = op.sampling > 1 ? f->packets / op.sampling : f->packets;
                uint64_t wo = op.sampling > 1 ? f->octets / op.sampling : f->octets;
                print_flow("flow", f, wp, wo);
                nflows++;
                tot_p += f->packets;
                tot_o += f->octets;
                tot_wp += wp;
                tot_wo += wo;
                nrec += op.fmt == FSN_FMT_V5 ? v5_records(wp, wo) : 1;
            }
        }
        /* Every third round, an idle-style refresh: templates on their own when due. */
        if (b % 3 == 2 && fsn_enc_templates_due(&e, now)) {
            ret = fsn_enc_templates(&e, now, dg, op.cap, &len);
            if (ret) {
                fprintf(stderr, "encpcap: templates: %s\n", fsn_strerror(ret));
                return 1;
            }
            emit(&o, dg, len, now, true);
        }
        while (done < nb) {
            bool tmpl = fsn_enc_templates_due(&e, now);
            ret = fsn_enc_datagram(&e, flows + done, nb - done, now, dg, op.cap, &len, &used);
            if (ret) {
                fprintf(stderr, "encpcap: encode: %s\n", fsn_strerror(ret));
                return 1;
            }
            if (len)
                emit(&o, dg, len, now, tmpl);
            done += used;
            now += 1; /* a datagram a millisecond */
        }
    }
    printf("total flows %" PRIu64 " records %" PRIu64 " packets %" PRIu64 " octets %" PRIu64
           " wpackets %" PRIu64 " woctets %" PRIu64 " datagrams %" PRIu64
           " tmpl_datagrams %" PRIu64 " skipped %" PRIu64 "\n",
           nflows, nrec, tot_p, tot_o, tot_wp, tot_wo, o.datagrams, o.tmpl_datagrams, nskip);
    if (e.skipped != nskip || e.datagrams != o.datagrams || e.records != nrec) {
        fprintf(stderr,
                "encpcap: encoder counted %" PRIu64 " skipped, %" PRIu64 " datagrams, %" PRIu64
                " records\n",
                e.skipped, e.datagrams, e.records);
        return 1;
    }
    free(flows);
    if (o.pcap && fclose(o.pcap) != 0) {
        perror(op.pcap);
        return 1;
    }
    if (o.sock >= 0)
        close(o.sock);
    return 0;
}
