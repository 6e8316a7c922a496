/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The flow record shared by every part of flowsnmp: the probe builds them
 * from packets and encodes them, the collector decodes them and stores
 * them, the aggregator counts them.
 */
#ifndef FSN_FLOW_H
#define FSN_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSN_FAMILY_IPV4 4
#define FSN_FAMILY_IPV6 6

#define FSN_PROTO_ICMP 1
#define FSN_PROTO_TCP 6
#define FSN_PROTO_UDP 17
#define FSN_PROTO_ICMPV6 58

/*
 * The flow key. Keys are hashed and compared as bytes, so every byte,
 * padding included, must be set: start from a zeroed key.
 * IPv4 addresses sit in the first 4 bytes of src/dst, the rest zero.
 * ICMP and ICMPv6 carry type << 8 | code in dport and 0 in sport, as
 * NetFlow v5 does and as collectors expect in v9/IPFIX.
 */
struct fsn_flow_key {
    uint8_t src[16];
    uint8_t dst[16];
    uint16_t sport;
    uint16_t dport;
    uint16_t vlan;   /* outermost 802.1Q VLAN id, 0 when untagged */
    uint8_t proto;   /* IP protocol (for IPv6 the upper-layer protocol) */
    uint8_t tos;     /* IPv4 ToS / IPv6 traffic class byte */
    uint8_t family;  /* FSN_FAMILY_IPV4 or FSN_FAMILY_IPV6 */
    uint8_t pad[3];  /* always zero */
    uint32_t in_if;  /* input interface index */
};

/* Why a flow record was emitted (IPFIX flowEndReason, RFC 5102 IE 136). */
enum fsn_end_reason {
    FSN_END_IDLE = 1,     /* inactive timeout */
    FSN_END_ACTIVE = 2,   /* active timeout */
    FSN_END_EOF = 3,      /* end of flow detected: TCP FIN/RST */
    FSN_END_FORCED = 4,   /* forced: end of capture, shutdown, table full */
    FSN_END_LACK = 5,     /* lack of resources (flow table bound) */
};

/*
 * One flow record. Times are Unix epoch milliseconds. Counts are what the
 * record says after sampling has been applied; `sampling` keeps the 1:N
 * interval that was applied (1 = unsampled), so raw = count / sampling.
 */
struct fsn_flow {
    struct fsn_flow_key key;
    uint64_t packets;
    uint64_t octets;      /* IP-layer bytes: IPv4 total length, IPv6 40 + payload */
    uint64_t first_ms;
    uint64_t last_ms;
    uint32_t out_if;
    uint32_t src_as;
    uint32_t dst_as;
    uint32_t sampling;
    uint8_t nexthop[16];  /* same family as the key, zero when unknown */
    uint8_t tcp_flags;    /* OR of the flags of every packet */
    uint8_t src_mask;
    uint8_t dst_mask;
    uint8_t end_reason;   /* enum fsn_end_reason, 0 when unknown */
};

/* Returns a 32-bit hash of a key, seeded so that tables can vary it. */
uint32_t fsn_flow_key_hash(const struct fsn_flow_key *k, uint32_t seed);

/* Returns true when both keys are equal byte for byte. */
bool fsn_flow_key_eq(const struct fsn_flow_key *a, const struct fsn_flow_key *b);

/* Address length in bytes for a family: 4, 16, or 0 when unknown. */
static inline size_t fsn_family_addrlen(uint8_t family)
{
    return family == FSN_FAMILY_IPV4 ? 4 : family == FSN_FAMILY_IPV6 ? 16 : 0;
}

#endif
