/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nfflood: the hostile IPFIX streams of issue 15, for the collector's flood
 * tests. Sends them over UDP from a chosen source address, or writes them
 * into a pcap file (raw IPv4, LINKTYPE_RAW) for a replay.
 *
 *   nfflood -m tiny|empty [-n DATAGRAMS] [-o FIRST] OUTPUT
 *   nfflood -m templates [-D DOMAINS] [-T TEMPLATES] [-F FIELDS] [-M BYTES] [-o FIRST] OUTPUT
 *   OUTPUT: -s HOST:PORT [-B SRCADDR]  |  -w FILE.pcap [-A SRCADDR] [-a ADDRS]
 *   (-w - writes the pcap to stdout, for flowcollectd -r -: a flood of 135 MB
 *   needs no disk then)
 *
 * tiny: 24-byte datagrams, an IPFIX header whose length claims 65535 bytes,
 *   observation domain (FIRST + i) * 2654435761 mod 2^32 for datagram i (all
 *   distinct: the factor is odd);
 * empty: the same domains in sound 16-byte messages with no set at all;
 * templates: for each of DOMAINS domains (FIRST, FIRST + 1, ...), TEMPLATES
 *   templates (ids 256...) of FIELDS fields each, packed into template sets of
 *   datagrams of at most BYTES (default 65000).
 * Sequence numbers are 0 (no data records). The pcap's frames go from
 * SRCADDR (default 192.0.2.66) port 40000 to 198.51.100.10:2055, 1 us apart
 * from 2023-11-14 22:13:20 UTC; with -a, datagram i comes from SRCADDR +
 * (i mod ADDRS) instead. Prints "datagrams D templates T bytes B" (on stderr
 * with -w -).
 * Exit 0, 1 on errors, 2 on usage.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/sock.h"
#include "lib/buf.h"

#define T0_S 1700000000u
#define DGRAM_MAX 65507

struct out {
    int fd;          /* UDP socket, or -1 */
    FILE *pcap;      /* or the pcap file */
    uint32_t src;    /* the pcap's first source address, host order */
    uint32_t nsrc;   /* ... and how many, used in turn */
    uint64_t frames; /* frames written: their time */
    uint64_t datagrams, bytes;
};

static void usage(void)
{
    fprintf(stderr,
            "usage: nfflood -m tiny|empty|templates [-n N] [-o FIRST] [-D DOMAINS]\n"
            "               [-T TEMPLATES] [-F FIELDS] [-M BYTES]\n"
            "               (-s HOST:PORT [-B SRCADDR] | -w FILE.pcap [-A SRCADDR] [-a N])\n");
    exit(2);
}

static unsigned long num(const char *s, unsigned long min, unsigned long max)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < min || v > max)
        usage();
    return v;
}

static void pcap_frame(struct out *o, const uint8_t *d, size_t len)
{
    uint8_t h[16 + 20 + 8];
    uint64_t us = o->frames++;
    uint32_t sec = T0_S + (uint32_t)(us / 1000000), usec = (uint32_t)(us % 1000000);
    uint32_t caplen = (uint32_t)(20 + 8 + len);
    uint32_t dst = htonl(0xc633640a); /* 198.51.100.10 */
    uint32_t src = htonl(o->src + (uint32_t)(o->datagrams % o->nsrc));

    /* Record header, little-endian as the file header says. */
    memcpy(h, &sec, 4);
    memcpy(h + 4, &usec, 4);
    memcpy(h + 8, &caplen, 4);
    memcpy(h + 12, &caplen, 4);
    memset(h + 16, 0, 28);
    h[16] = 0x45;
    fsn_store16(h + 18, (uint16_t)caplen);
    h[16 + 8] = 64;
    h[16 + 9] = 17;
    memcpy(h + 16 + 12, &src, 4);
    memcpy(h + 16 + 16, &dst, 4);
    fsn_store16(h + 36, 40000);
    fsn_store16(h + 38, 2055);
    fsn_store16(h + 40, (uint16_t)(8 + len));
    if (fwrite(h, 1, sizeof h, o->pcap) != sizeof h || fwrite(d, 1, len, o->pcap) != len) {
        perror("nfflood: pcap");
        exit(1);
    }
}

static void emit(struct out *o, const uint8_t *d, size_t len)
{
    if (o->pcap)
        pcap_frame(o, d, len);
    else if (send(o->fd, d, len, 0) != (ssize_t)len) {
        perror("nfflood: send");
        exit(1);
    }
    o->datagrams++;
    o->bytes += len;
}

static void header(uint8_t *d, uint16_t len, uint32_t domain)
{
    fsn_store16(d, 10);
    fsn_store16(d + 2, len);
    fsn_store32(d + 4, T0_S);
    fsn_store32(d + 8, 0);
    fsn_store32(d + 12, domain);
}

/* IPFIX information elements the decoder maps, then padding octets (IE 210) to FIELDS. */
static const uint16_t IES[][2] = {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {2, 8}, {1, 8}};

static uint64_t templates(struct out *o, uint32_t first, unsigned domains, unsigned ntmpl,
                          unsigned nfields, size_t max)
{
    static uint8_t d[DGRAM_MAX];
    size_t rec = 4 + 4 * (size_t)nfields;
    uint64_t sent = 0;

    if (max < 16 + 4 + rec) {
        fprintf(stderr, "nfflood: -M %zu cannot hold one template of %u fields\n", max, nfields);
        exit(2);
    }
    for (unsigned dom = 0; dom < domains; dom++) {
        unsigned t = 0;
        while (t < ntmpl) {
            size_t n = 20;
            for (; t < ntmpl && n + rec <= max; t++) {
                fsn_store16(d + n, (uint16_t)(256 + t));
                fsn_store16(d + n + 2, (uint16_t)nfields);
                n += 4;
                for (unsigned f = 0; f < nfields; f++, n += 4) {
                    uint16_t ie = 210, len = 1;
                    if (f < sizeof IES / sizeof IES[0]) {
                        ie = IES[f][0];
                        len = IES[f][1];
                    }
                    fsn_store16(d + n, ie);
                    fsn_store16(d + n + 2, len);
                }
                sent++;
            }
            header(d, (uint16_t)n, first + dom);
            fsn_store16(d + 16, 2); /* template set */
            fsn_store16(d + 18, (uint16_t)(n - 16));
            emit(o, d, n);
        }
    }
    return sent;
}

int main(int argc, char **argv)
{
    const char *mode = NULL, *dst = NULL, *file = NULL, *bind_to = NULL, *src = "192.0.2.66";
    unsigned long n = 1100, first = 0, domains = 1024, ntmpl = 256, nfields = 128, max = 65000;
    unsigned long nsrc = 1;
    struct out o;
    uint64_t tmpl = 0;
    int c;

    while ((c = getopt(argc, argv, "m:n:o:D:T:F:M:s:B:w:A:a:")) != -1) {
        switch (c) {
        case 'm':
            mode = optarg;
            break;
        case 'n':
            n = num(optarg, 0, 100000000);
            break;
        case 'o':
            first = num(optarg, 0, UINT32_MAX);
            break;
        case 'D':
            domains = num(optarg, 1, 1000000);
            break;
        case 'T':
            ntmpl = num(optarg, 1, 65279);
            break;
        case 'F':
            nfields = num(optarg, 1, 16000);
            break;
        case 'M':
            max = num(optarg, 40, DGRAM_MAX);
            break;
        case 's':
            dst = optarg;
            break;
        case 'B':
            bind_to = optarg;
            break;
        case 'w':
            file = optarg;
            break;
        case 'A':
            src = optarg;
            break;
        case 'a':
            nsrc = num(optarg, 1, 1u << 24);
            break;
        default:
            usage();
        }
    }
    if (!mode || !dst == !file || optind != argc)
        usage();
    memset(&o, 0, sizeof o);
    o.fd = -1;
    if (file) {
        /* Classic pcap, microseconds, snap length 65535, LINKTYPE_RAW (101). */
        uint32_t g[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 101};
        if (inet_pton(AF_INET, src, &o.src) != 1)
            usage();
        o.src = ntohl(o.src);
        o.nsrc = (uint32_t)nsrc;
        o.pcap = strcmp(file, "-") == 0 ? stdout : fopen(file, "wb");
        if (!o.pcap || fwrite(g, 1, sizeof g, o.pcap) != sizeof g) {
            perror(file);
            return 1;
        }
    } else {
        struct sockaddr_storage ss;
        socklen_t sl;
        char err[256];
        if (sock_resolve(dst, &ss, &sl, err, sizeof err) != 0 ||
            (o.fd = socket(ss.ss_family, SOCK_DGRAM, 0)) < 0) {
            fprintf(stderr, "nfflood: %s\n", err);
            return 1;
        }
        if (bind_to) {
            struct sockaddr_in b;
            memset(&b, 0, sizeof b);
            b.sin_family = AF_INET;
            if (inet_pton(AF_INET, bind_to, &b.sin_addr) != 1)
                usage();
            if (bind(o.fd, (struct sockaddr *)&b, sizeof b) != 0) {
                perror("nfflood: bind");
                return 1;
            }
        }
        if (connect(o.fd, (struct sockaddr *)&ss, sl) != 0) {
            perror("nfflood: connect");
            return 1;
        }
    }
    if (strcmp(mode, "tiny") == 0 || strcmp(mode, "empty") == 0) {
        bool tiny = mode[0] == 't';
        uint8_t d[24];
        memset(d, 0, sizeof d);
        for (unsigned long i = 0; i < n; i++) {
            header(d, tiny ? 65535 : 16, (uint32_t)((first + i) * 2654435761u));
            emit(&o, d, tiny ? 24 : 16);
        }
    } else if (strcmp(mode, "templates") == 0) {
        tmpl = templates(&o, (uint32_t)first, (unsigned)domains, (unsigned)ntmpl, (unsigned)nfields,
                         max);
    } else {
        usage();
    }
    if (o.pcap && fclose(o.pcap) != 0) {
        perror(file);
        return 1;
    }
    if (o.fd >= 0)
        close(o.fd);
    fprintf(o.pcap == stdout ? stderr : stdout, "datagrams %llu templates %llu bytes %llu\n",
            (unsigned long long)o.datagrams, (unsigned long long)tmpl, (unsigned long long)o.bytes);
    return 0;
}
