/* SPDX-License-Identifier: BSD-2-Clause */
#include "collector/coll_pcap.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pcapfile.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/pkt.h"

#define MAX_EXT 16

int coll_pcap_udp(const uint8_t *ip, uint32_t cap, uint8_t family, uint32_t ip_len, size_t *off,
                  size_t *len)
{
    uint32_t end = ip_len < cap ? ip_len : cap, o, ulen;
    uint8_t nh;

    if (family == FSN_FAMILY_IPV4) {
        if (end < 20)
            return FSN_E_MALFORMED;
        o = (uint32_t)(ip[0] & 0x0f) * 4;
        nh = ip[9];
    } else {
        /* RFC 8200 section 4: hop-by-hop, routing, destination options, atomic fragment, AH. */
        if (end < 40)
            return FSN_E_MALFORMED;
        nh = ip[6];
        o = 40;
        for (int n = 0; nh != 17; n++) {
            uint32_t hl;
            if (n == MAX_EXT || end - o < 8)
                return FSN_E_MALFORMED;
            switch (nh) {
            case 0:
            case 43:
            case 60:
                hl = ((uint32_t)ip[o + 1] + 1) * 8;
                break;
            case 44:
                hl = 8;
                break;
            case 51:
                hl = ((uint32_t)ip[o + 1] + 2) * 4;
                break;
            default:
                return FSN_E_MALFORMED;
            }
            if (hl > end - o)
                return FSN_E_MALFORMED;
            nh = ip[o];
            o += hl;
        }
    }
    if (nh != 17 || o > end || end - o < 8)
        return FSN_E_MALFORMED;
    /* RFC 768: the length covers header and data; it must fit the IP packet as captured. */
    ulen = fsn_load16(ip + o + 4);
    if (ulen < 8 || ulen > end - o)
        return FSN_E_MALFORMED;
    *off = o + 8;
    *len = ulen - 8;
    return 0;
}

int coll_pcap_open(struct coll_pcap *c, const char *path, char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE];
    pcap_t *p;

    memset(c, 0, sizeof *c);
    if (!(p = pcapfile_open(path, &c->filebuf, perr))) {
        snprintf(err, errlen, "%s", perr);
        return -1;
    }
    c->p = p;
    c->dlt = pcap_datalink(p);
    if (!fsn_pkt_dlt_supported(c->dlt)) {
        snprintf(err, errlen, "%s: link type %s (%d) not supported", path,
                 pcap_datalink_val_to_name(c->dlt) ? pcap_datalink_val_to_name(c->dlt) : "?",
                 c->dlt);
        coll_pcap_close(c);
        return -1;
    }
    return 0;
}

int coll_pcap_next(struct coll_pcap *c, struct coll_dgram *d)
{
    struct pcap_pkthdr *h;
    const u_char *frame;
    int r;

    while ((r = pcap_next_ex(c->p, &h, &frame)) == 1) {
        struct fsn_pkt pk;
        size_t off, len;
        int pr;

        c->st.frames++;
        pr = fsn_pkt_parse(c->dlt, frame, h->caplen, h->len, &pk);
        if (pr == FSN_E_NOTIP) {
            c->st.not_ip++;
            continue;
        }
        if (pr == FSN_E_UNSUP) {
            c->st.unsupported++;
            continue;
        }
        if (pr != 0) {
            c->st.truncated++;
            continue;
        }
        if (pk.frag != FSN_FRAG_NONE) {
            c->st.fragments++;
            continue;
        }
        if (pk.key.proto != FSN_PROTO_UDP) {
            c->st.not_udp++;
            continue;
        }
        if (coll_pcap_udp(frame + pk.l3_offset, h->caplen - pk.l3_offset, pk.key.family, pk.ip_len,
                          &off, &len) != 0) {
            c->st.truncated++;
            continue;
        }
        memset(&d->src, 0, sizeof d->src);
        d->src.family = pk.key.family;
        memcpy(d->src.a, pk.key.src, sizeof d->src.a);
        d->sport = pk.key.sport;
        d->dport = pk.key.dport;
        d->data = frame + pk.l3_offset + off;
        d->len = len;
        d->ts_ms = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
        c->st.datagrams++;
        return 1;
    }
    if (r == PCAP_ERROR_BREAK)
        return 0;
    snprintf(c->error, sizeof c->error, "%s", pcap_geterr(c->p));
    return -1;
}

void coll_pcap_close(struct coll_pcap *c)
{
    if (c->p)
        pcap_close(c->p);
    c->p = NULL;
    free(c->filebuf);
    c->filebuf = NULL;
}
