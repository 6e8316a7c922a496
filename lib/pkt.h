/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet parser: one captured frame in, the flow key and the counts that
 * NetFlow needs out. Pure: no allocation, no state between packets.
 * docs/packet-parsing.md describes what is parsed and how it is counted.
 *
 * Link types are libpcap DLT_* numbers (the values libpcap returns from
 * pcap_datalink(), not the LINKTYPE_* file values where they differ); the
 * one LINKTYPE value that differs for a handled type, LINKTYPE_RAW (101),
 * is accepted as well, for callers that pass a savefile's header value.
 *
 * Tunnels are not unwrapped: GRE, IP-in-IP, IPv6-in-IPv4 and the like are
 * keyed and counted as their outer IP packet (proto 47, 4, 41, ...).
 */
#ifndef FSN_PKT_H
#define FSN_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/flow.h"

/* DLT values handled (see pcap/dlt.h). */
#define FSN_DLT_NULL 0        /* BSD loopback, host-order AF */
#define FSN_DLT_EN10MB 1      /* Ethernet, with 802.1Q/QinQ, MPLS, PPPoE session */
#define FSN_DLT_RAW 12        /* raw IP (Linux value; 14 on OpenBSD also accepted) */
#define FSN_DLT_RAW_BSD 14
#define FSN_LINKTYPE_RAW 101  /* raw IP, as written in savefile headers */
#define FSN_DLT_LOOP 108      /* OpenBSD loopback, network-order AF */
#define FSN_DLT_LINUX_SLL 113
#define FSN_DLT_IPV4 228
#define FSN_DLT_IPV6 229
#define FSN_DLT_LINUX_SLL2 276

enum fsn_frag {
    FSN_FRAG_NONE = 0,   /* not a fragment */
    FSN_FRAG_FIRST = 1,  /* offset 0, more fragments follow: carries the L4 header */
    FSN_FRAG_LATER = 2,  /* offset > 0: no L4 header; ports are 0 in the key */
};

/*
 * What the parser learned from one frame. Every field is set (the key is
 * zeroed first, so it can be hashed and compared as bytes).
 */
struct fsn_pkt {
    struct fsn_flow_key key;  /* in_if is left 0 for the caller to set */
    uint32_t ip_len;          /* octets NetFlow counts: IPv4 total length, IPv6 40 + payload
                                 length; link padding excluded (see docs for TSO/jumbo) */
    uint32_t frag_id;         /* IPv4 identification (every packet) or IPv6 fragment
                                 identification (0 without a fragment header); it identifies
                                 a datagram only together with src, dst and proto */
    uint8_t frag;             /* enum fsn_frag */
    uint8_t tcp_flags;        /* TCP flags byte (with CWR/ECE), 0 for other protocols and
                                 for FSN_FRAG_LATER */
    uint16_t l3_offset;       /* where the IP header starts in the frame */
};

/*
 * Parses one frame of link type `dlt`: `caplen` bytes captured of a frame
 * that was `wirelen` bytes long on the wire (a wirelen below caplen is taken
 * as caplen). The caller owns `frame` (read only, never kept) and `out`.
 * Returns 0 and fills *out for an IP packet; FSN_E_NOTIP for a well-formed
 * frame that carries no IP (ARP, LLDP, ...); FSN_E_UNSUP for a link type or
 * encapsulation the parser does not handle; FSN_E_MALFORMED for a frame that
 * is truncated or inconsistent where the flow key or the length lives.
 * On an error *out is zeroed or partly filled and must not be used.
 * Lengths are checked before every read; `frame` is never written.
 */
int fsn_pkt_parse(int dlt, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                  struct fsn_pkt *out);

/* Returns 1 when fsn_pkt_parse() handles the link type, else 0. */
int fsn_pkt_dlt_supported(int dlt);

#endif
