/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPFIX (RFC 7011, Information Elements from RFC 7012 and the IANA
 * registry): message header, templates 256 (IPv4) and 257 (IPv6), and the
 * sampling options template 258 with its data record. The packing of
 * records into sets is shared with v9 in lib/enc.c.
 */
#include "lib/enc_int.h"

/* RFC 7011 section 3.1: version, length, export time, sequence, observation domain. */
#define IPFIX_HDRLEN 16
/* RFC 7011 section 3.3.2: set ids of template and options template sets. */
#define IPFIX_SET_TMPL 2
#define IPFIX_SET_OPT 3

/* Information Elements of the sampling announcement. */
#define IE_OBSERVATION_DOMAIN_ID 149  /* RFC 7012 / IANA: the scope */
#define IE_SAMPLING_PACKET_INTERVAL 305 /* RFC 5477 section 8.2.2 */
#define IE_SAMPLING_PACKET_SPACE 306  /* RFC 5477 section 8.2.3 */
#define IE_SAMPLING_INTERVAL 34       /* deprecated (RFC 7270), still read by collectors */
#define IE_SAMPLING_ALGORITHM 35      /* deprecated (RFC 7270), 1 = deterministic */

/*
 * Eight-byte fields first, then four, two and one, as in v9. Counters are
 * delta counts (RFC 7012 section 5.10: a record reports what the flow did
 * since the previous record of the same flow). Times are absolute
 * dateTimeMilliseconds; tcpControlBits takes two bytes (RFC 7125).
 */
static const struct fsn__field ipfix_fields4[] = {
    {1, FSN__K_OCTETS},      /* octetDeltaCount */
    {2, FSN__K_PACKETS},     /* packetDeltaCount */
    {152, FSN__K_FIRST_MS},  /* flowStartMilliseconds */
    {153, FSN__K_LAST_MS},   /* flowEndMilliseconds */
    {8, FSN__K_SRC4},        /* sourceIPv4Address */
    {12, FSN__K_DST4},       /* destinationIPv4Address */
    {15, FSN__K_NH4},        /* ipNextHopIPv4Address */
    {10, FSN__K_IN_IF},      /* ingressInterface */
    {14, FSN__K_OUT_IF},     /* egressInterface */
    {16, FSN__K_SRC_AS},     /* bgpSourceAsNumber */
    {17, FSN__K_DST_AS},     /* bgpDestinationAsNumber */
    {7, FSN__K_SPORT},       /* sourceTransportPort */
    {11, FSN__K_DPORT},      /* destinationTransportPort */
    {32, FSN__K_ICMP},       /* icmpTypeCodeIPv4 */
    {58, FSN__K_VLAN},       /* vlanId */
    {6, FSN__K_FLAGS2},      /* tcpControlBits */
    {4, FSN__K_PROTO},       /* protocolIdentifier */
    {5, FSN__K_TOS},         /* ipClassOfService */
    {9, FSN__K_SRC_MASK},    /* sourceIPv4PrefixLength */
    {13, FSN__K_DST_MASK},   /* destinationIPv4PrefixLength */
    {136, FSN__K_END_REASON}, /* flowEndReason */
};

static const struct fsn__field ipfix_fields6[] = {
    {1, FSN__K_OCTETS},      /* octetDeltaCount */
    {2, FSN__K_PACKETS},     /* packetDeltaCount */
    {152, FSN__K_FIRST_MS},  /* flowStartMilliseconds */
    {153, FSN__K_LAST_MS},   /* flowEndMilliseconds */
    {27, FSN__K_SRC6},       /* sourceIPv6Address */
    {28, FSN__K_DST6},       /* destinationIPv6Address */
    {62, FSN__K_NH6},        /* ipNextHopIPv6Address */
    {10, FSN__K_IN_IF},      /* ingressInterface */
    {14, FSN__K_OUT_IF},     /* egressInterface */
    {16, FSN__K_SRC_AS},     /* bgpSourceAsNumber */
    {17, FSN__K_DST_AS},     /* bgpDestinationAsNumber */
    {7, FSN__K_SPORT},       /* sourceTransportPort */
    {11, FSN__K_DPORT},      /* destinationTransportPort */
    {139, FSN__K_ICMP},      /* icmpTypeCodeIPv6 */
    {58, FSN__K_VLAN},       /* vlanId */
    {6, FSN__K_FLAGS2},      /* tcpControlBits */
    {4, FSN__K_PROTO},       /* protocolIdentifier */
    {5, FSN__K_TOS},         /* ipClassOfService */
    {29, FSN__K_SRC_MASK},   /* sourceIPv6PrefixLength */
    {30, FSN__K_DST_MASK},   /* destinationIPv6PrefixLength */
    {136, FSN__K_END_REASON}, /* flowEndReason */
};

static const struct fsn__tmpl ipfix_t4 = {FSN__TMPL_V4, FSN_FAMILY_IPV4,
                                          (uint8_t)(sizeof ipfix_fields4 / sizeof ipfix_fields4[0]),
                                          ipfix_fields4};
static const struct fsn__tmpl ipfix_t6 = {FSN__TMPL_V6, FSN_FAMILY_IPV6,
                                          (uint8_t)(sizeof ipfix_fields6 / sizeof ipfix_fields6[0]),
                                          ipfix_fields6};

/*
 * A probe's templates: the fields above less a router's (next hop, egress
 * interface, AS numbers, prefix lengths), which a probe cannot know.
 */
static const struct fsn__field ipfix_fields4p[] = {
    {1, FSN__K_OCTETS},      /* octetDeltaCount */
    {2, FSN__K_PACKETS},     /* packetDeltaCount */
    {152, FSN__K_FIRST_MS},  /* flowStartMilliseconds */
    {153, FSN__K_LAST_MS},   /* flowEndMilliseconds */
    {8, FSN__K_SRC4},        /* sourceIPv4Address */
    {12, FSN__K_DST4},       /* destinationIPv4Address */
    {10, FSN__K_IN_IF},      /* ingressInterface */
    {7, FSN__K_SPORT},       /* sourceTransportPort */
    {11, FSN__K_DPORT},      /* destinationTransportPort */
    {32, FSN__K_ICMP},       /* icmpTypeCodeIPv4 */
    {58, FSN__K_VLAN},       /* vlanId */
    {6, FSN__K_FLAGS2},      /* tcpControlBits */
    {4, FSN__K_PROTO},       /* protocolIdentifier */
    {5, FSN__K_TOS},         /* ipClassOfService */
    {136, FSN__K_END_REASON}, /* flowEndReason */
};

static const struct fsn__field ipfix_fields6p[] = {
    {1, FSN__K_OCTETS},      /* octetDeltaCount */
    {2, FSN__K_PACKETS},     /* packetDeltaCount */
    {152, FSN__K_FIRST_MS},  /* flowStartMilliseconds */
    {153, FSN__K_LAST_MS},   /* flowEndMilliseconds */
    {27, FSN__K_SRC6},       /* sourceIPv6Address */
    {28, FSN__K_DST6},       /* destinationIPv6Address */
    {10, FSN__K_IN_IF},      /* ingressInterface */
    {7, FSN__K_SPORT},       /* sourceTransportPort */
    {11, FSN__K_DPORT},      /* destinationTransportPort */
    {139, FSN__K_ICMP},      /* icmpTypeCodeIPv6 */
    {58, FSN__K_VLAN},       /* vlanId */
    {6, FSN__K_FLAGS2},      /* tcpControlBits */
    {4, FSN__K_PROTO},       /* protocolIdentifier */
    {5, FSN__K_TOS},         /* ipClassOfService */
    {136, FSN__K_END_REASON}, /* flowEndReason */
};

static const struct fsn__tmpl ipfix_t4p = {FSN__TMPL_V4, FSN_FAMILY_IPV4,
                                           (uint8_t)(sizeof ipfix_fields4p / sizeof ipfix_fields4p[0]),
                                           ipfix_fields4p};
static const struct fsn__tmpl ipfix_t6p = {FSN__TMPL_V6, FSN_FAMILY_IPV6,
                                           (uint8_t)(sizeof ipfix_fields6p / sizeof ipfix_fields6p[0]),
                                           ipfix_fields6p};

static void set_len(struct fsn_wr *w, uint8_t *set)
{
    if (!w->overflow)
        fsn_store16(set + 2, (uint16_t)(w->p - set));
}

static void ipfix_templates(struct fsn_wr *w, const struct fsn_enc *e, unsigned *ntmpl,
                            unsigned *nopt)
{
    uint8_t *set = w->p;

    /* RFC 7011 section 3.4.1: one Template Set holding both templates. */
    fsn_wr_u16(w, IPFIX_SET_TMPL);
    fsn_wr_u16(w, 0);
    fsn__put_tmpl(w, e->routing ? &ipfix_t4 : &ipfix_t4p);
    fsn__put_tmpl(w, e->routing ? &ipfix_t6 : &ipfix_t6p);
    set_len(w, set);
    *ntmpl += 2;
    if (e->sampling <= 1)
        return;

    /*
     * RFC 7011 section 3.4.2.2: Options Template Record, scoped to the
     * observation domain (section 3.4.2.1 needs at least one scope field).
     * It announces 1-in-N systematic count-based sampling with the older
     * samplingInterval/samplingAlgorithm pair, which many collectors read,
     * and as RFC 5477 (interval 1, space N - 1), which nfcapd 1.7.1 reads.
     * nfcapd reads samplingInterval into the same slot as
     * samplingPacketSpace, the last one winning, so 305/306 come last.
     * selectorAlgorithm (304) stays out: with it, nfcapd 1.7.1 expects a
     * selectorId in every flow record and applies nothing.
     */
    set = w->p;
    fsn_wr_u16(w, IPFIX_SET_OPT);
    fsn_wr_u16(w, 0);
    fsn_wr_u16(w, FSN__TMPL_OPT);
    fsn_wr_u16(w, 5); /* field count, scope included */
    fsn_wr_u16(w, 1); /* scope field count */
    fsn_wr_u16(w, IE_OBSERVATION_DOMAIN_ID);
    fsn_wr_u16(w, 4);
    fsn_wr_u16(w, IE_SAMPLING_INTERVAL);
    fsn_wr_u16(w, 4);
    fsn_wr_u16(w, IE_SAMPLING_ALGORITHM);
    fsn_wr_u16(w, 1);
    fsn_wr_u16(w, IE_SAMPLING_PACKET_INTERVAL);
    fsn_wr_u16(w, 4);
    fsn_wr_u16(w, IE_SAMPLING_PACKET_SPACE);
    fsn_wr_u16(w, 4);
    set_len(w, set);
    *ntmpl += 1;

    /* RFC 7011 section 3.4.3: the Options Data Record in a data set with id 258. */
    set = w->p;
    fsn_wr_u16(w, FSN__TMPL_OPT);
    fsn_wr_u16(w, 0);
    fsn_wr_u32(w, e->domain);
    fsn_wr_u32(w, e->sampling);
    fsn_wr_u8(w, 1); /* deterministic */
    fsn_wr_u32(w, 1);
    fsn_wr_u32(w, e->sampling - 1);
    set_len(w, set);
    *nopt += 1;
}

/* RFC 7011 section 3.1: the Message Header. */
static void ipfix_header(const struct fsn_enc *e, uint8_t *buf, size_t len, unsigned records,
                         uint64_t now_ms)
{
    (void)records;
    fsn_store16(buf, 10);
    fsn_store16(buf + 2, (uint16_t)len);
    fsn_store32(buf + 4, (uint32_t)(now_ms / 1000));
    fsn_store32(buf + 8, e->seq);
    fsn_store32(buf + 12, e->domain);
}

/*
 * RFC 7011 section 3.1: the sequence number counts the Data Records
 * (options data records included, section 2) sent in this domain *before*
 * this message; template records do not count.
 */
static uint32_t ipfix_next_seq(uint32_t seq, unsigned nrec, unsigned nopt)
{
    return seq + nrec + nopt;
}

const struct fsn__tfmt fsn__ipfix = {
    IPFIX_HDRLEN, false, &ipfix_t4, &ipfix_t6, &ipfix_t4p, &ipfix_t6p, ipfix_templates, ipfix_header, ipfix_next_seq,
};
