/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v9 (RFC 3954): header, templates 256 (IPv4) and 257 (IPv6), and
 * the sampling options template 258 with its data record. The packing of
 * records into FlowSets is shared with IPFIX in lib/enc.c.
 */
#include <string.h>

#include "lib/enc_int.h"

/* RFC 3954 section 5.1: version, count, sysUpTime, UNIX secs, sequence, source id. */
#define V9_HDRLEN 20
/* RFC 3954 section 5.2 and 6.1: FlowSet ids of template and options template FlowSets. */
#define V9_SET_TMPL 0
#define V9_SET_OPT 1
/* RFC 3954 section 6.1: scope field type System. */
#define V9_SCOPE_SYSTEM 1
/* RFC 3954 section 8 field types for the sampling announcement. */
#define V9_SAMPLING_INTERVAL 34
#define V9_SAMPLING_ALGORITHM 35
/* SAMPLING_ALGORITHM 0x01: deterministic sampling (one packet in every N). */
#define V9_ALGO_DETERMINISTIC 1
/* IPFIX samplingPacketInterval and samplingPacketSpace (RFC 5477 sections 8.2.2, 8.2.3). */
#define V9_SAMPLING_PACKET_INTERVAL 305
#define V9_SAMPLING_PACKET_SPACE 306

/*
 * Field types from RFC 3954 section 8. Eight-byte counters first, then the
 * four-byte, two-byte and one-byte fields, so that the wider fields keep
 * their natural alignment within a record.
 */
static const struct fsn__field v9_fields4[] = {
    {1, FSN__K_OCTETS},     /* IN_BYTES, 8 bytes */
    {2, FSN__K_PACKETS},    /* IN_PKTS, 8 bytes */
    {22, FSN__K_FIRST_UP},  /* FIRST_SWITCHED */
    {21, FSN__K_LAST_UP},   /* LAST_SWITCHED */
    {8, FSN__K_SRC4},       /* IPV4_SRC_ADDR */
    {12, FSN__K_DST4},      /* IPV4_DST_ADDR */
    {15, FSN__K_NH4},       /* IPV4_NEXT_HOP */
    {10, FSN__K_IN_IF},     /* INPUT_SNMP, 4 bytes */
    {14, FSN__K_OUT_IF},    /* OUTPUT_SNMP, 4 bytes */
    {16, FSN__K_SRC_AS},    /* SRC_AS, 4 bytes */
    {17, FSN__K_DST_AS},    /* DST_AS, 4 bytes */
    {7, FSN__K_SPORT},      /* L4_SRC_PORT */
    {11, FSN__K_DPORT},     /* L4_DST_PORT */
    {32, FSN__K_ICMP},      /* ICMP_TYPE: type * 256 + code */
    {58, FSN__K_VLAN},      /* SRC_VLAN */
    {4, FSN__K_PROTO},      /* PROTOCOL */
    {5, FSN__K_TOS},        /* SRC_TOS */
    {6, FSN__K_FLAGS1},     /* TCP_FLAGS */
    {9, FSN__K_SRC_MASK},   /* SRC_MASK */
    {13, FSN__K_DST_MASK},  /* DST_MASK */
};

static const struct fsn__field v9_fields6[] = {
    {1, FSN__K_OCTETS},     /* IN_BYTES, 8 bytes */
    {2, FSN__K_PACKETS},    /* IN_PKTS, 8 bytes */
    {22, FSN__K_FIRST_UP},  /* FIRST_SWITCHED */
    {21, FSN__K_LAST_UP},   /* LAST_SWITCHED */
    {27, FSN__K_SRC6},      /* IPV6_SRC_ADDR */
    {28, FSN__K_DST6},      /* IPV6_DST_ADDR */
    {62, FSN__K_NH6},       /* IPV6_NEXT_HOP */
    {10, FSN__K_IN_IF},     /* INPUT_SNMP, 4 bytes */
    {14, FSN__K_OUT_IF},    /* OUTPUT_SNMP, 4 bytes */
    {16, FSN__K_SRC_AS},    /* SRC_AS, 4 bytes */
    {17, FSN__K_DST_AS},    /* DST_AS, 4 bytes */
    {7, FSN__K_SPORT},      /* L4_SRC_PORT */
    {11, FSN__K_DPORT},     /* L4_DST_PORT */
    {32, FSN__K_ICMP},      /* ICMP_TYPE: type * 256 + code (ICMPv6 too) */
    {58, FSN__K_VLAN},      /* SRC_VLAN */
    {4, FSN__K_PROTO},      /* PROTOCOL */
    {5, FSN__K_TOS},        /* SRC_TOS */
    {6, FSN__K_FLAGS1},     /* TCP_FLAGS */
    {29, FSN__K_SRC_MASK},  /* IPV6_SRC_MASK */
    {30, FSN__K_DST_MASK},  /* IPV6_DST_MASK */
};

static const struct fsn__tmpl v9_t4 = {FSN__TMPL_V4, FSN_FAMILY_IPV4,
                                       (uint8_t)(sizeof v9_fields4 / sizeof v9_fields4[0]),
                                       v9_fields4};
static const struct fsn__tmpl v9_t6 = {FSN__TMPL_V6, FSN_FAMILY_IPV6,
                                       (uint8_t)(sizeof v9_fields6 / sizeof v9_fields6[0]),
                                       v9_fields6};

/*
 * A probe's templates: the fields above less a router's (next hop, output
 * interface, AS numbers, prefix lengths), which a probe cannot know.
 */
static const struct fsn__field v9_fields4p[] = {
    {1, FSN__K_OCTETS},     /* IN_BYTES, 8 bytes */
    {2, FSN__K_PACKETS},    /* IN_PKTS, 8 bytes */
    {22, FSN__K_FIRST_UP},  /* FIRST_SWITCHED */
    {21, FSN__K_LAST_UP},   /* LAST_SWITCHED */
    {8, FSN__K_SRC4},       /* IPV4_SRC_ADDR */
    {12, FSN__K_DST4},      /* IPV4_DST_ADDR */
    {10, FSN__K_IN_IF},     /* INPUT_SNMP, 4 bytes */
    {7, FSN__K_SPORT},      /* L4_SRC_PORT */
    {11, FSN__K_DPORT},     /* L4_DST_PORT */
    {32, FSN__K_ICMP},      /* ICMP_TYPE: type * 256 + code */
    {58, FSN__K_VLAN},      /* SRC_VLAN */
    {4, FSN__K_PROTO},      /* PROTOCOL */
    {5, FSN__K_TOS},        /* SRC_TOS */
    {6, FSN__K_FLAGS1},     /* TCP_FLAGS */
};

static const struct fsn__field v9_fields6p[] = {
    {1, FSN__K_OCTETS},     /* IN_BYTES, 8 bytes */
    {2, FSN__K_PACKETS},    /* IN_PKTS, 8 bytes */
    {22, FSN__K_FIRST_UP},  /* FIRST_SWITCHED */
    {21, FSN__K_LAST_UP},   /* LAST_SWITCHED */
    {27, FSN__K_SRC6},      /* IPV6_SRC_ADDR */
    {28, FSN__K_DST6},      /* IPV6_DST_ADDR */
    {10, FSN__K_IN_IF},     /* INPUT_SNMP, 4 bytes */
    {7, FSN__K_SPORT},      /* L4_SRC_PORT */
    {11, FSN__K_DPORT},     /* L4_DST_PORT */
    {32, FSN__K_ICMP},      /* ICMP_TYPE: type * 256 + code (ICMPv6 too) */
    {58, FSN__K_VLAN},      /* SRC_VLAN */
    {4, FSN__K_PROTO},      /* PROTOCOL */
    {5, FSN__K_TOS},        /* SRC_TOS */
    {6, FSN__K_FLAGS1},     /* TCP_FLAGS */
};

static const struct fsn__tmpl v9_t4p = {FSN__TMPL_V4, FSN_FAMILY_IPV4,
                                        (uint8_t)(sizeof v9_fields4p / sizeof v9_fields4p[0]),
                                        v9_fields4p};
static const struct fsn__tmpl v9_t6p = {FSN__TMPL_V6, FSN_FAMILY_IPV6,
                                        (uint8_t)(sizeof v9_fields6p / sizeof v9_fields6p[0]),
                                        v9_fields6p};

static void pad4(struct fsn_wr *w, uint8_t *set)
{
    static const uint8_t zeros[3];
    size_t len = (size_t)(w->p - set);
    size_t pad = (4 - len % 4) % 4;

    fsn_wr_bytes(w, zeros, pad);
    if (!w->overflow)
        fsn_store16(set + 2, (uint16_t)(len + pad));
}

static void v9_templates(struct fsn_wr *w, const struct fsn_enc *e, unsigned *ntmpl,
                         unsigned *nopt)
{
    uint8_t *set = w->p;

    /* RFC 3954 section 5.2: one Template FlowSet holding both templates. */
    fsn_wr_u16(w, V9_SET_TMPL);
    fsn_wr_u16(w, 0);
    fsn__put_tmpl(w, e->routing ? &v9_t4 : &v9_t4p);
    fsn__put_tmpl(w, e->routing ? &v9_t6 : &v9_t6p);
    pad4(w, set);
    *ntmpl += 2;
    if (e->sampling <= 1)
        return;

    /*
     * RFC 3954 section 6.1: Options Template FlowSet, scope System (the
     * whole exporter, identified by the source id). RFC 3954 announces
     * sampling with SAMPLING_INTERVAL and SAMPLING_ALGORITHM; nfcapd 1.7.1
     * ignores those in v9 and reads only the IPFIX samplingPacketInterval
     * and samplingPacketSpace (RFC 5477), which v9 may carry too as they
     * share the field type space. It reads field 34 into the same slot as
     * 306, the last one winning, so 305/306 come last.
     */
    set = w->p;
    fsn_wr_u16(w, V9_SET_OPT);
    fsn_wr_u16(w, 0);
    fsn_wr_u16(w, FSN__TMPL_OPT);
    fsn_wr_u16(w, 4);  /* option scope length in bytes: one type/length pair */
    fsn_wr_u16(w, 16); /* option length in bytes: four type/length pairs */
    fsn_wr_u16(w, V9_SCOPE_SYSTEM);
    fsn_wr_u16(w, 4);
    fsn_wr_u16(w, V9_SAMPLING_INTERVAL);
    fsn_wr_u16(w, 4);
    fsn_wr_u16(w, V9_SAMPLING_ALGORITHM);
    fsn_wr_u16(w, 1);
    fsn_wr_u16(w, V9_SAMPLING_PACKET_INTERVAL);
    fsn_wr_u16(w, 4);
    fsn_wr_u16(w, V9_SAMPLING_PACKET_SPACE);
    fsn_wr_u16(w, 4);
    pad4(w, set);
    *ntmpl += 1;

    /* RFC 3954 section 6.2: the Options Data Record, in a data FlowSet with id 258. */
    set = w->p;
    fsn_wr_u16(w, FSN__TMPL_OPT);
    fsn_wr_u16(w, 0);
    fsn_wr_u32(w, e->domain);
    fsn_wr_u32(w, e->sampling);
    fsn_wr_u8(w, V9_ALGO_DETERMINISTIC);
    fsn_wr_u32(w, 1);               /* one packet selected ... */
    fsn_wr_u32(w, e->sampling - 1); /* ... then N - 1 skipped */
    pad4(w, set);
    *nopt += 1;
}

/*
 * RFC 3954 section 5.1. v9 carries the export time in whole seconds only,
 * so sysUpTime is taken at that same whole second: a collector that computes
 * boot = unix_secs * 1000 - sysUpTime then gets boot_ms exactly, and the
 * flow times it derives from FIRST/LAST_SWITCHED are exact to the ms.
 */
static void v9_header(const struct fsn_enc *e, uint8_t *buf, size_t len, unsigned records,
                      uint64_t now_ms)
{
    uint64_t secs = now_ms / 1000;

    (void)len;
    /*
     * Within the first second after boot_ms that second began before boot,
     * and sysUpTime would wrap: claim the next whole second instead.
     */
    if (secs * 1000 < e->boot_ms)
        secs++;
    fsn_store16(buf, 9);
    fsn_store16(buf + 2, (uint16_t)records);
    fsn_store32(buf + 4, fsn__uptime(e, secs * 1000));
    fsn_store32(buf + 8, (uint32_t)secs);
    fsn_store32(buf + 12, e->seq);
    fsn_store32(buf + 16, e->domain);
}

/* RFC 3954 section 5.1: "Incremental sequence counter of all Export Packets". */
static uint32_t v9_next_seq(uint32_t seq, unsigned nrec, unsigned nopt)
{
    (void)nrec;
    (void)nopt;
    return seq + 1;
}

const struct fsn__tfmt fsn__v9 = {
    V9_HDRLEN, true, &v9_t4, &v9_t6, &v9_t4p, &v9_t6p, v9_templates, v9_header, v9_next_seq,
};
