/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011/7012) encoders.
 * Pure: the caller passes the time and owns every buffer; the encoder only
 * keeps the export state that the formats require (sequence numbers,
 * template refresh schedule).
 */
#ifndef FSN_ENC_H
#define FSN_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/flow.h"

#define FSN_FMT_V5 5
#define FSN_FMT_V9 9
#define FSN_FMT_IPFIX 10

/* Export state of one exporter (one observation domain). Owned by the caller. */
struct fsn_enc {
    int version;                /* FSN_FMT_* */
    uint32_t domain;            /* v9 source id / IPFIX observation domain; v5 engine id (low byte) */
    uint32_t sampling;          /* 1:N interval announced; 1 = unsampled */
    /*
     * v9/IPFIX: the templates carry a router's fields (next hop, egress
     * interface, AS numbers, prefix lengths). fsn_enc_init sets it; a probe,
     * which knows none of them, clears it and sends records a quarter
     * smaller. Not to be changed once a datagram has been encoded.
     */
    bool routing;
    uint64_t boot_ms;           /* sysUpTime origin for v5/v9, Unix ms */
    uint32_t seq;               /* sequence number the next datagram carries */
    uint32_t tmpl_refresh_pkts; /* v9/IPFIX: resend templates after this many datagrams */
    uint32_t tmpl_refresh_ms;   /* ... or after this much export time, whichever first */
    uint64_t tmpl_sent_ms;      /* export time templates were last sent */
    uint32_t pkts_since_tmpl;
    bool tmpl_sent;             /* templates sent at least once */
    uint64_t v5_done_packets;   /* v5: part of flows[0] already sent (counts above 2^32 are split) */
    uint64_t v5_done_octets;
    uint64_t datagrams;         /* datagrams encoded */
    uint64_t records;           /* flow data records encoded */
    uint64_t skipped;           /* flows the format cannot carry (IPv6 in v5) */
};

/* Sets up an encoder; the defaults refresh templates every 20 datagrams or 60 s. */
void fsn_enc_init(struct fsn_enc *e, int version, uint32_t domain, uint32_t sampling,
                  uint64_t boot_ms);

/*
 * Encodes one datagram of at most `cap` bytes into `buf` at export time
 * `now_ms`, taking flows from the front of flows[0..n). Templates (and the
 * sampling options record when sampling > 1) come first when they are due.
 * On success returns 0, sets *len to the datagram length and *consumed to the
 * number of flows fully handled (sent or skipped); call again with the rest.
 * A v5 flow whose counts exceed 32 bits is split over several records; the
 * encoder remembers the part already sent, so the caller passes the same
 * flow again until it is consumed. FSN_E_SPACE when `cap` cannot hold a
 * header and one record.
 */
int fsn_enc_datagram(struct fsn_enc *e, const struct fsn_flow *flows, size_t n, uint64_t now_ms,
                     uint8_t *buf, size_t cap, size_t *len, size_t *consumed);

/* Encodes a datagram holding only the templates (v9/IPFIX); *len = 0 for v5. */
int fsn_enc_templates(struct fsn_enc *e, uint64_t now_ms, uint8_t *buf, size_t cap, size_t *len);

/* True when templates are due at `now_ms` (v9/IPFIX), so an idle exporter can refresh them. */
bool fsn_enc_templates_due(const struct fsn_enc *e, uint64_t now_ms);

#endif
