/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Replay: the UDP datagrams of a pcap or pcapng capture (libpcap), any
 * port, IPv4 and IPv6, on the link types lib/pkt.h handles (Ethernet with
 * VLAN tags, Linux SLL/SLL2, raw IP, loopback). Frames that carry no whole
 * UDP datagram are counted by reason and skipped.
 */
#ifndef COLL_PCAP_H
#define COLL_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

/* One UDP datagram of the capture; `data` is valid until the next call. */
struct coll_dgram {
    struct fsn_addr src;
    uint16_t sport, dport;
    const uint8_t *data;
    size_t len;
    uint64_t ts_ms; /* the frame's capture time, Unix ms */
};

struct coll_pcap_stats {
    uint64_t frames;      /* frames read */
    uint64_t datagrams;   /* UDP datagrams handed out */
    uint64_t not_ip;      /* frames without IP (ARP, LLDP, ...) */
    uint64_t not_udp;     /* IP packets of another protocol (TCP, ICMP, ...) */
    uint64_t fragments;   /* IP fragments (not reassembled) */
    uint64_t truncated;   /* IP or UDP cut short by the snap length or inconsistent lengths */
    uint64_t unsupported; /* link types or encapsulations the parser does not handle */
};

/* An open capture. Owned by the caller (coll_pcap_open/_close). */
struct coll_pcap {
    void *p;       /* pcap_t */
    char *filebuf; /* the file's stdio buffer, freed after the pcap_t */
    int dlt;
    struct coll_pcap_stats st;
    char error[256]; /* set when reading stopped on a damaged file */
};

/* Opens a capture file; returns 0, or -1 with a message in err. */
int coll_pcap_open(struct coll_pcap *c, const char *path, char *err, size_t errlen);

/*
 * The next UDP datagram: returns 1 and fills *d, 0 at the end of the file,
 * -1 when the file is damaged beyond that point (c->error says why; the
 * datagrams before it were handed out).
 */
int coll_pcap_next(struct coll_pcap *c, struct coll_dgram *d);

void coll_pcap_close(struct coll_pcap *c);

/*
 * The UDP datagram in the IP packet at ip[0..cap): finds the UDP header
 * after the IPv4 header or the IPv6 extension headers. `family` and
 * `ip_len` as fsn_pkt_parse() found them. Returns 0 and sets *off (from ip)
 * and *len (payload bytes), or FSN_E_MALFORMED. Pure; exposed for tests.
 */
int coll_pcap_udp(const uint8_t *ip, uint32_t cap, uint8_t family, uint32_t ip_len, size_t *off,
                  size_t *len);

#endif
