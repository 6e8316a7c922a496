/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The benchmark's reference point: a bare libpcap read of a capture file
 * that touches every packet's first bytes and does nothing else. No probe
 * can read a file faster than this. The file is opened as flowprobe opens
 * it (common/pcapfile: stdio with a 256 KiB buffer, handed to libpcap), so
 * that the two read it the same way. pcap_loop against pcap_dispatch or
 * pcap_next_ex made no measurable difference here.
 * Usage: pcapread FILE   (prints packets, bytes and packets/s)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/pcapfile.h"

struct acc {
    uint64_t packets, bytes, sum;
};

static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct acc *a = (struct acc *)arg;
    a->packets++;
    a->bytes += h->len;
    if (h->caplen > 0)
        a->sum += bytes[0];
}

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct acc a = {0, 0, 0};
    struct timespec t0, t1;
    pcap_t *p;
    char *buf;
    double secs;

    if (argc != 2) {
        fprintf(stderr, "usage: pcapread FILE\n");
        return 2;
    }
    p = pcapfile_open(argv[1], &buf, errbuf);
    if (!p) {
        fprintf(stderr, "pcapread: %s\n", errbuf);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (pcap_loop(p, -1, on_packet, (u_char *)&a) == PCAP_ERROR)
        fprintf(stderr, "pcapread: %s\n", pcap_geterr(p));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("packets %llu bytes %llu seconds %.3f pps %.0f (check %llu)\n",
           (unsigned long long)a.packets, (unsigned long long)a.bytes, secs,
           secs > 0 ? (double)a.packets / secs : 0.0, (unsigned long long)a.sum);
    pcap_close(p);
    free(buf);
    return 0;
}
