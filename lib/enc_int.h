/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals shared by the encoders (lib/enc*.c): the field kinds that the
 * v9 and IPFIX templates are built from, the per-format hooks of the
 * template-based encoder, and the helpers every format uses. Not part of
 * the library's interface.
 */
#ifndef FSN_ENC_INT_H
#define FSN_ENC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/enc.h"
#include "lib/flow.h"

/*
 * What a template field carries, and so how many bytes it takes. The IE
 * numbers of v9 (RFC 3954 section 8) and IPFIX (RFC 7012 / IANA registry)
 * coincide for everything we send, so a field is an IE number plus a kind.
 */
enum fsn__kind {
    FSN__K_OCTETS,      /* 8 bytes, wire count (see fsn__wire_count) */
    FSN__K_PACKETS,     /* 8 bytes */
    FSN__K_FIRST_UP,    /* 4 bytes, sysUpTime ms at the first packet (v9) */
    FSN__K_LAST_UP,     /* 4 bytes */
    FSN__K_FIRST_MS,    /* 8 bytes, Unix ms (IPFIX dateTimeMilliseconds) */
    FSN__K_LAST_MS,     /* 8 bytes */
    FSN__K_SRC4,        /* 4 bytes */
    FSN__K_DST4,
    FSN__K_NH4,
    FSN__K_SRC6,        /* 16 bytes */
    FSN__K_DST6,
    FSN__K_NH6,
    FSN__K_IN_IF,       /* 4 bytes */
    FSN__K_OUT_IF,
    FSN__K_SRC_AS,      /* 4 bytes */
    FSN__K_DST_AS,
    FSN__K_SPORT,       /* 2 bytes */
    FSN__K_DPORT,
    FSN__K_ICMP,        /* 2 bytes, type * 256 + code for ICMP/ICMPv6, else 0 */
    FSN__K_VLAN,        /* 2 bytes */
    FSN__K_PROTO,       /* 1 byte */
    FSN__K_TOS,
    FSN__K_FLAGS1,      /* TCP flags in 1 byte (v9) */
    FSN__K_FLAGS2,      /* TCP flags in 2 bytes (IPFIX tcpControlBits, RFC 7125) */
    FSN__K_SRC_MASK,    /* 1 byte */
    FSN__K_DST_MASK,
    FSN__K_END_REASON,  /* 1 byte, IPFIX flowEndReason */
};

struct fsn__field {
    uint16_t ie;
    uint8_t kind; /* enum fsn__kind */
};

/* A flow template: its id, the address family it carries, its fields. */
struct fsn__tmpl {
    uint16_t id;
    uint8_t family;
    uint8_t nfields;
    const struct fsn__field *fields;
};

/* Template ids: 256 and 257 for flows, 258 for the sampling options. */
#define FSN__TMPL_V4 256
#define FSN__TMPL_V6 257
#define FSN__TMPL_OPT 258

/*
 * What differs between v9 and IPFIX for the template-based encoder in
 * lib/enc.c; each format file defines one of these.
 */
struct fsn__tfmt {
    size_t hdrlen;
    bool pad4; /* pad each set to 4 bytes (v9, RFC 3954 section 5.3) */
    const struct fsn__tmpl *t4;
    const struct fsn__tmpl *t6;
    const struct fsn__tmpl *t4p; /* the same without a router's fields (fsn_enc.routing) */
    const struct fsn__tmpl *t6p;
    /*
     * Writes the template set(s) and, when sampling > 1, the options
     * template and its data record. Adds the template records written
     * (options template included) to *ntmpl and the options data records
     * to *nopt. Overflow is flagged in w.
     */
    void (*templates)(struct fsn_wr *w, const struct fsn_enc *e, unsigned *ntmpl, unsigned *nopt);
    /* Fills the header at buf for a datagram of len bytes and `records` records in all. */
    void (*header)(const struct fsn_enc *e, uint8_t *buf, size_t len, unsigned records,
                   uint64_t now_ms);
    /* The sequence number of the datagram after one with nrec data and nopt options records. */
    uint32_t (*next_seq)(uint32_t seq, unsigned nrec, unsigned nopt);
};

/* The template of a flow of `family` (NULL: none can carry it). */
static inline const struct fsn__tmpl *fsn__tmpl_of(const struct fsn__tfmt *fmt,
                                                   const struct fsn_enc *e, uint8_t family)
{
    if (family == FSN_FAMILY_IPV4)
        return e->routing ? fmt->t4 : fmt->t4p;
    if (family == FSN_FAMILY_IPV6)
        return e->routing ? fmt->t6 : fmt->t6p;
    return NULL;
}

extern const struct fsn__tfmt fsn__v9;
extern const struct fsn__tfmt fsn__ipfix;

/* Bytes a field of this kind takes on the wire. */
size_t fsn__kind_len(uint8_t kind);

/* Bytes one data record of this template takes. */
size_t fsn__tmpl_reclen(const struct fsn__tmpl *t);

/* Writes a template record (RFC 3954 section 5.2, RFC 7011 section 3.4.1). */
void fsn__put_tmpl(struct fsn_wr *w, const struct fsn__tmpl *t);

/* Writes one data record of flow f after template t, of reclen = fsn__tmpl_reclen(t) bytes. */
void fsn__put_record(struct fsn_wr *w, const struct fsn__tmpl *t, size_t reclen,
                     const struct fsn_enc *e, const struct fsn_flow *f);

/*
 * Scales a count held in a flow (already multiplied by the sampling
 * interval, see lib/flow.h) back to what the observation point saw, which is
 * what the formats carry: collectors multiply by the announced interval.
 */
uint64_t fsn__wire_count(const struct fsn_enc *e, uint64_t count);

/* sysUpTime in ms at time t (Unix ms), modulo 2^32 as v5/v9 carry it. */
static inline uint32_t fsn__uptime(const struct fsn_enc *e, uint64_t t_ms)
{
    return (uint32_t)(t_ms - e->boot_ms);
}

/* The NetFlow v5 encoder (lib/enc_v5.c); same contract as fsn_enc_datagram. */
int fsn__enc_v5(struct fsn_enc *e, const struct fsn_flow *flows, size_t n, uint64_t now_ms,
                uint8_t *buf, size_t cap, size_t *len, size_t *consumed);

/* Records the datagram just encoded in e's counters and template schedule. */
void fsn__enc_sent(struct fsn_enc *e, bool with_templates, unsigned nrec, uint64_t now_ms);

#endif
