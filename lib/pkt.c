/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet parser: link layer -> IPv4/IPv6 -> the first bytes of the
 * transport header, for the flow key. This is the probe's hot path, so it
 * allocates nothing, walks each header once, and reads bytes only after an
 * explicit length check (then fsn_load16/32 without a second check).
 *
 * Conventions inside this file: `f` is the frame, `cap` the number of bytes
 * captured from where a function starts reading, `off` an offset into the
 * frame. A link-layer function returns 4 or 6 (the IP version the link says
 * follows) and leaves the IP header's offset in *offp, or returns a negative
 * FSN_E_* code.
 */
#include "lib/pkt.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"

/* EtherType values (IEEE 802.3 clause 3.2.6, IANA ieee-802-numbers). */
#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd
#define ET_VLAN 0x8100     /* IEEE 802.1Q C-tag */
#define ET_QINQ 0x88a8     /* IEEE 802.1ad S-tag */
#define ET_QINQ_OLD 0x9100 /* pre-802.1ad vendor S-tag */
#define ET_MPLS 0x8847
#define ET_MPLS_MC 0x8848
#define ET_PPPOE_SESS 0x8864
#define ET_MAX_LEN 1500    /* type/length values up to here are 802.3 lengths */
#define ET_MIN_TYPE 1536   /* values from here on are EtherTypes */

/* Linux SLL/SLL2 protocol values below ET_MIN_TYPE (if_ether.h ETH_P_*). */
#define SLL_P_802_2 0x0004 /* 802.2 LLC frame follows, no MAC header */

/* ARPHRD_* types whose SLL protocol field is not an EtherType (if_arp.h). */
#define ARPHRD_FRAD 770
#define ARPHRD_IEEE80211 801
#define ARPHRD_IEEE80211_PRISM 802
#define ARPHRD_IEEE80211_RADIOTAP 803
#define ARPHRD_NETLINK 824

/* BSD address families seen in DLT_NULL/DLT_LOOP headers (pcap/dlt.h). */
#define BSD_AF_INET 2
#define BSD_AF_INET6_BSD 24     /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28 /* FreeBSD, DragonFly */
#define BSD_AF_INET6_DARWIN 30  /* macOS, iOS */

/* IP protocol numbers (IANA protocol-numbers). */
#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_ 51
#define IPPROTO_DSTOPTS_ 60
#define IPPROTO_NONE_ 59
#define IPPROTO_MOBILITY_ 135
#define IPPROTO_HIP_ 139
#define IPPROTO_SHIM6_ 140
#define IPPROTO_SCTP_ 132
#define IPPROTO_UDPLITE_ 136

/*
 * At most this many IPv6 extension headers are walked before the upper
 * layer. RFC 8200 sets no limit, but a real chain holds a handful; a longer
 * one is counted as malformed instead of being walked on.
 */
#define IPV6_MAX_EXT 16

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/*
 * The transport fields of the key, from the first bytes of the L4 header
 * at `l4` (`avail` bytes that are both captured and inside the IP packet).
 * Only what the key needs is required: 4 bytes for ports, 14 for the TCP
 * flags, 2 for the ICMP type and code. `icmp` is the ICMP protocol number
 * of the packet's IP version (1 or 58); the other one gets ports 0.
 * TCP: RFC 9293 section 3.1; UDP: RFC 768; SCTP: RFC 9260 section 3.1;
 * UDP-Lite: RFC 3828 section 3.1; ICMP: RFC 792; ICMPv6: RFC 4443 section 2.1.
 */
static int parse_l4(const uint8_t *l4, uint32_t avail, uint8_t proto, uint8_t icmp,
                    struct fsn_pkt *out)
{
    out->key.proto = proto;
    switch (proto) {
    case FSN_PROTO_TCP:
        if (avail < 14)
            return FSN_E_MALFORMED;
        out->key.sport = fsn_load16(l4);
        out->key.dport = fsn_load16(l4 + 2);
        out->tcp_flags = l4[13];
        return 0;
    case FSN_PROTO_UDP:
    case IPPROTO_SCTP_:
    case IPPROTO_UDPLITE_:
        if (avail < 4)
            return FSN_E_MALFORMED;
        out->key.sport = fsn_load16(l4);
        out->key.dport = fsn_load16(l4 + 2);
        return 0;
    default:
        if (proto != icmp)
            return 0;
        if (avail < 2)
            return FSN_E_MALFORMED;
        /* type << 8 | code, read as one big-endian 16-bit value. */
        out->key.dport = fsn_load16(l4);
        return 0;
    }
}

/*
 * IPv4 header (RFC 791 section 3.1) at `ip`: `cap` bytes captured, `wire`
 * bytes on the wire from the header on. The total length is what NetFlow
 * counts; bytes beyond it (Ethernet padding, trailers) are not IP. A total
 * length of 0 is what captures of TCP segmentation offload show (the NIC
 * fills it in later), so the bytes on the wire are counted instead.
 */
static int parse_ipv4(const uint8_t *ip, uint32_t cap, uint32_t wire, struct fsn_pkt *out)
{
    uint32_t ihl, tot, frag;

    if (cap < 20 || (ip[0] & 0xf0) != 0x40 || (ip[0] & 0x0f) < 5)
        return FSN_E_MALFORMED;
    ihl = (uint32_t)(ip[0] & 0x0f) * 4;
    if (ihl > cap)
        return FSN_E_MALFORMED;
    tot = fsn_load16(ip + 2);
    if (tot == 0)
        tot = wire;
    if (tot < ihl || tot > wire)
        return FSN_E_MALFORMED;

    out->key.family = FSN_FAMILY_IPV4;
    out->key.tos = ip[1];
    memcpy(out->key.src, ip + 12, 4);
    memcpy(out->key.dst, ip + 16, 4);
    out->ip_len = tot;
    out->frag_id = fsn_load16(ip + 4);

    /* Flags and fragment offset: 0x2000 is MF, 0x1fff the offset (0x4000, DF, is ignored). */
    frag = fsn_load16(ip + 6);
    if (frag & 0x3fff) {
        if (frag & 0x1fff) {
            out->frag = FSN_FRAG_LATER;
            out->key.proto = ip[9];
            return 0;
        }
        out->frag = FSN_FRAG_FIRST;
    }
    return parse_l4(ip + ihl, min_u32(cap, tot) - ihl, ip[9], FSN_PROTO_ICMP, out);
}

/*
 * IPv6 header (RFC 8200 section 3) and its extension headers (section 4),
 * then the upper-layer header. The extension headers that share the generic
 * layout (next header, length in 8-octet units not counting the first) are
 * those of RFC 7045's list: hop-by-hop, routing, destination options,
 * mobility (RFC 6275 section 6.1), HIP (RFC 7401 section 5.1) and shim6
 * (RFC 5533 section 5). AH (RFC 4302 section 2.2) counts its length in
 * 4-octet units, minus 2. ESP (RFC 4303) and "no next header" end the walk
 * with that value as the protocol, as there is no port to read.
 */
static int parse_ipv6(const uint8_t *ip, uint32_t cap, uint32_t wire, struct fsn_pkt *out)
{
    const uint8_t *p;
    uint32_t len, avail, hl, fo;
    uint8_t nh;

    if (cap < 40 || (ip[0] & 0xf0) != 0x60)
        return FSN_E_MALFORMED;
    len = 40 + (uint32_t)fsn_load16(ip + 4);
    nh = ip[6];
    /*
     * A payload length of 0 with something to carry is a jumbogram (RFC 2675
     * section 2; the real length sits in a hop-by-hop option) or a capture of
     * Linux BIG TCP / segmentation offload, which leaves it 0: count the bytes
     * on the wire, as for an IPv4 total length of 0.
     */
    if (len == 40 && nh != IPPROTO_NONE_)
        len = wire;
    if (len > wire)
        return FSN_E_MALFORMED;

    out->key.family = FSN_FAMILY_IPV6;
    out->key.tos = (uint8_t)(fsn_load16(ip) >> 4);
    memcpy(out->key.src, ip + 8, 16);
    memcpy(out->key.dst, ip + 24, 16);
    out->ip_len = len;

    p = ip + 40;
    avail = min_u32(cap, len) - 40;
    for (int n_ext = 0;; n_ext++) {
        switch (nh) {
        case IPPROTO_HOPOPTS_:
        case IPPROTO_ROUTING_:
        case IPPROTO_DSTOPTS_:
        case IPPROTO_MOBILITY_:
        case IPPROTO_HIP_:
        case IPPROTO_SHIM6_:
            if (avail < 2)
                return FSN_E_MALFORMED;
            hl = ((uint32_t)p[1] + 1) * 8;
            break;
        case IPPROTO_AH_:
            if (avail < 2)
                return FSN_E_MALFORMED;
            hl = ((uint32_t)p[1] + 2) * 4;
            break;
        case IPPROTO_FRAGMENT_:
            /* RFC 8200 section 4.5: offset in the top 13 bits, M in bit 0. */
            if (avail < 8)
                return FSN_E_MALFORMED;
            fo = fsn_load16(p + 2);
            out->frag_id = fsn_load32(p + 4);
            if (fo & 0xfff8) {
                out->frag = FSN_FRAG_LATER;
                out->key.proto = p[0];
                return 0;
            }
            /* Offset 0 without M is an atomic fragment (RFC 6946): a whole packet. */
            if (fo & 1)
                out->frag = FSN_FRAG_FIRST;
            hl = 8;
            break;
        default:
            return parse_l4(p, avail, nh, FSN_PROTO_ICMPV6, out);
        }
        if (hl > avail || n_ext == IPV6_MAX_EXT)
            return FSN_E_MALFORMED;
        nh = p[0];
        p += hl;
        avail -= hl;
    }
}

/* The IP version a raw IP packet announces in its first nibble. */
static int raw_ip(const uint8_t *f, uint32_t cap)
{
    if (cap < 1)
        return FSN_E_MALFORMED;
    switch (f[0] >> 4) {
    case 4:
        return 4;
    case 6:
        return 6;
    default:
        return FSN_E_MALFORMED;
    }
}

/*
 * An 802.2 LLC header at *offp (IEEE 802.2; SNAP as RFC 1042 uses it).
 * Only SNAP with an encapsulated-Ethernet OUI (00-00-00, RFC 1042, or
 * 00-00-F8, 802.1H) and an IP EtherType carries IP; everything else (STP,
 * CDP, NetBIOS, IPX ...) is not IP.
 */
static int llc(const uint8_t *f, uint32_t caplen, uint32_t *offp)
{
    uint32_t off = *offp;
    const uint8_t *p = f + off;
    uint32_t et;

    if (caplen - off < 3)
        return FSN_E_MALFORMED;
    if (p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03)
        return FSN_E_NOTIP;
    if (caplen - off < 8)
        return FSN_E_MALFORMED;
    if (p[3] != 0 || p[4] != 0 || (p[5] != 0 && p[5] != 0xf8))
        return FSN_E_NOTIP;
    et = fsn_load16(p + 6);
    *offp = off + 8;
    return et == ET_IPV4 ? 4 : et == ET_IPV6 ? 6 : FSN_E_NOTIP;
}

static inline int is_vlan_tpid(uint32_t et)
{
    return et == ET_VLAN || et == ET_QINQ || et == ET_QINQ_OLD;
}

/*
 * Everything after an EtherType field at *offp - 2, whose value is `et`:
 * VLAN tags (IEEE 802.1Q clause 9.6; any number, in any mix of the three
 * TPIDs; the outermost VLAN id goes to the key), then an 802.3 length and
 * LLC, IP, MPLS or PPPoE session.
 */
static int ethertype(const uint8_t *f, uint32_t caplen, uint32_t *offp, uint32_t et,
                     struct fsn_pkt *out)
{
    uint32_t off = *offp;
    const uint8_t *p;

    if (is_vlan_tpid(et)) {
        if (caplen - off < 4)
            return FSN_E_MALFORMED;
        out->key.vlan = fsn_load16(f + off) & 0x0fff;
        et = fsn_load16(f + off + 2);
        off += 4;
        while (is_vlan_tpid(et)) {
            if (caplen - off < 4)
                return FSN_E_MALFORMED;
            et = fsn_load16(f + off + 2);
            off += 4;
        }
    }
    *offp = off;

    switch (et) {
    case ET_IPV4:
        return 4;
    case ET_IPV6:
        return 6;
    case ET_MPLS:
    case ET_MPLS_MC:
        /*
         * RFC 3032 section 2.1: 4-byte label stack entries, bottom of stack
         * in bit 8. What follows has no type field; an IP header is known by
         * its version nibble. Anything else (a pseudowire control word,
         * RFC 4385, or an Ethernet frame) is not parsed.
         */
        do {
            if (caplen - off < 4)
                return FSN_E_MALFORMED;
            off += 4;
        } while (!(f[off - 2] & 0x01));
        *offp = off;
        if (caplen - off < 1)
            return FSN_E_MALFORMED;
        return (f[off] >> 4) == 4 ? 4 : (f[off] >> 4) == 6 ? 6 : FSN_E_NOTIP;
    case ET_PPPOE_SESS:
        /*
         * RFC 2516 section 4: version/type 0x11, code, session id, length;
         * then the PPP protocol field (RFC 1661 section 2), 1 byte when
         * compressed (RFC 1661 section 6.5: an odd first byte).
         */
        if (caplen - off < 7)
            return FSN_E_MALFORMED;
        p = f + off;
        if (p[0] != 0x11)
            return FSN_E_UNSUP;
        if (p[6] & 0x01) {
            et = p[6];
            *offp = off + 7;
        } else {
            if (caplen - off < 8)
                return FSN_E_MALFORMED;
            et = fsn_load16(p + 6);
            *offp = off + 8;
        }
        return et == 0x0021 ? 4 : et == 0x0057 ? 6 : FSN_E_NOTIP;
    default:
        if (et <= ET_MAX_LEN)
            return llc(f, caplen, offp);
        return FSN_E_NOTIP;
    }
}

/*
 * Linux cooked captures, v1 and v2 (LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2
 * at tcpdump.org/linktypes): the protocol field is the EtherType, except
 * for small values that name a Linux ETH_P_* pseudo-protocol (only 802.2
 * LLC can lead to IP) and for device types whose protocol field means
 * something else (netlink family) or whose payload starts with a header of
 * its own (802.11, radiotap, frame relay).
 */
static int sll(const uint8_t *f, uint32_t caplen, uint32_t *offp, uint32_t hatype,
               uint32_t proto, struct fsn_pkt *out)
{
    switch (hatype) {
    case ARPHRD_NETLINK:
        return FSN_E_NOTIP;
    case ARPHRD_FRAD:
    case ARPHRD_IEEE80211:
    case ARPHRD_IEEE80211_PRISM:
    case ARPHRD_IEEE80211_RADIOTAP:
        return FSN_E_UNSUP;
    default:
        break;
    }
    if (proto < ET_MIN_TYPE)
        return proto == SLL_P_802_2 ? llc(f, caplen, offp) : FSN_E_NOTIP;
    return ethertype(f, caplen, offp, proto, out);
}

/*
 * BSD loopback: a 4-byte address family. DLT_NULL writes it in the
 * capturing host's byte order, so both orders are accepted (the families
 * are small numbers, so the two readings cannot be confused); DLT_LOOP
 * writes it in network order.
 */
static int loop_af(uint32_t af)
{
    switch (af) {
    case BSD_AF_INET:
        return 4;
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        return 6;
    default:
        return FSN_E_NOTIP;
    }
}

/* Finds the IP header: returns 4 or 6 with its offset in *offp, or an error. */
static int link_layer(int dlt, const uint8_t *f, uint32_t caplen, uint32_t *offp,
                      struct fsn_pkt *out)
{
    uint32_t af;

    switch (dlt) {
    case FSN_DLT_EN10MB:
        /* Ethernet II / IEEE 802.3: destination, source, type or length. */
        if (caplen < 14)
            return FSN_E_MALFORMED;
        *offp = 14;
        return ethertype(f, caplen, offp, fsn_load16(f + 12), out);
    case FSN_DLT_LINUX_SLL:
        /* Packet type, ARPHRD type, address length, 8 address bytes, protocol. */
        if (caplen < 16)
            return FSN_E_MALFORMED;
        *offp = 16;
        return sll(f, caplen, offp, fsn_load16(f + 2), fsn_load16(f + 14), out);
    case FSN_DLT_LINUX_SLL2:
        /* Protocol, reserved, interface index, ARPHRD type, packet type, address. */
        if (caplen < 20)
            return FSN_E_MALFORMED;
        *offp = 20;
        return sll(f, caplen, offp, fsn_load16(f + 8), fsn_load16(f), out);
    case FSN_DLT_RAW:
    case FSN_DLT_RAW_BSD:
    case FSN_LINKTYPE_RAW:
        *offp = 0;
        return raw_ip(f, caplen);
    case FSN_DLT_IPV4:
        *offp = 0;
        return 4;
    case FSN_DLT_IPV6:
        *offp = 0;
        return 6;
    case FSN_DLT_NULL:
        if (caplen < 4)
            return FSN_E_MALFORMED;
        *offp = 4;
        af = fsn_load32(f);
        if (af > 0xffff)
            af = af >> 24 | (af >> 8 & 0xff00) | (af << 8 & 0xff0000) | af << 24;
        return loop_af(af);
    case FSN_DLT_LOOP:
        if (caplen < 4)
            return FSN_E_MALFORMED;
        *offp = 4;
        return loop_af(fsn_load32(f));
    default:
        return FSN_E_UNSUP;
    }
}

int fsn_pkt_parse(int dlt, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                  struct fsn_pkt *out)
{
    uint32_t off = 0;
    int v;

    memset(out, 0, sizeof *out);
    if (wirelen < caplen)
        wirelen = caplen;
    v = link_layer(dlt, frame, caplen, &off, out);
    if (v < 0)
        return v;
    /* Only a frame of 64 KiB of stacked headers could overflow l3_offset. */
    if (off > UINT16_MAX)
        return FSN_E_MALFORMED;
    out->l3_offset = (uint16_t)off;
    if (v == 4)
        return parse_ipv4(frame + off, caplen - off, wirelen - off, out);
    return parse_ipv6(frame + off, caplen - off, wirelen - off, out);
}

int fsn_pkt_dlt_supported(int dlt)
{
    switch (dlt) {
    case FSN_DLT_NULL:
    case FSN_DLT_EN10MB:
    case FSN_DLT_RAW:
    case FSN_DLT_RAW_BSD:
    case FSN_LINKTYPE_RAW:
    case FSN_DLT_LOOP:
    case FSN_DLT_LINUX_SLL:
    case FSN_DLT_IPV4:
    case FSN_DLT_IPV6:
    case FSN_DLT_LINUX_SLL2:
        return 1;
    default:
        return 0;
    }
}
