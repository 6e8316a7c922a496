/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small reader of capture files for the tests, independent of libpcap:
 * classic pcap (either byte order, µs or ns) and pcapng (section header,
 * interface description, enhanced and simple packet blocks), plus the
 * Ethernet (802.1Q/QinQ), Linux SLL and raw-IP framing around IPv4/IPv6
 * UDP datagrams. Whole file in memory; every length checked.
 */
#ifndef FSN_TEST_PCAP_READ_H
#define FSN_TEST_PCAP_READ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/buf.h"
#include "lib/flow.h"

#define PCAP_LINK_ETHERNET 1
#define PCAP_LINK_RAW 101
#define PCAP_LINK_SLL 113
#define PCAP_MAX_IFACES 16

struct pcap_file {
    uint8_t *buf;
    size_t len;
    size_t off;
    bool ng;
    bool swap;      /* file byte order differs from big-endian reading helpers */
    bool nsec;      /* classic pcap with nanosecond stamps */
    uint32_t link;  /* classic pcap link type */
    uint32_t nif;   /* pcapng interfaces of the current section */
    uint32_t if_link[PCAP_MAX_IFACES];
    uint64_t if_div[PCAP_MAX_IFACES]; /* ticks per ms */
};

struct pcap_pkt {
    const uint8_t *data;
    size_t caplen;
    uint32_t link;
    uint64_t ts_ms;
};

static inline uint32_t pf_u32(const struct pcap_file *f, const uint8_t *p)
{
    return f->swap ? (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]
                   : fsn_load32(p);
}

static inline uint16_t pf_u16(const struct pcap_file *f, const uint8_t *p)
{
    return f->swap ? (uint16_t)(p[1] << 8 | p[0]) : fsn_load16(p);
}

/* Loads a file; returns 0, -1 when it cannot be read, -2 when it is not a capture. */
static inline int pcap_open(struct pcap_file *f, const char *path)
{
    FILE *fp = fopen(path, "rb");
    long n;

    memset(f, 0, sizeof *f);
    if (!fp)
        return -1;
    if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
        !(f->buf = malloc(n ? (size_t)n : 1)) || fread(f->buf, 1, (size_t)n, fp) != (size_t)n) {
        fclose(fp);
        free(f->buf);
        f->buf = NULL;
        return -1;
    }
    fclose(fp);
    f->len = (size_t)n;
    if (f->len < 24)
        return -2;
    switch (fsn_load32(f->buf)) {
    case 0xa1b2c3d4: break;
    case 0xd4c3b2a1: f->swap = true; break;
    case 0xa1b23c4d: f->nsec = true; break;
    case 0x4d3cb2a1: f->swap = f->nsec = true; break;
    case 0x0a0d0d0a: f->ng = true; return 0;
    default: return -2;
    }
    f->link = pf_u32(f, f->buf + 20) & 0xffff;
    f->off = 24;
    return 0;
}

static inline void pcap_close(struct pcap_file *f)
{
    free(f->buf);
    f->buf = NULL;
}

/* Reads a pcapng interface's if_tsresol option into ticks per millisecond. */
static inline uint64_t pcapng_tsdiv(const struct pcap_file *f, const uint8_t *opt, size_t len)
{
    while (len >= 4) {
        uint16_t code = pf_u16(f, opt), olen = pf_u16(f, opt + 2);
        size_t padded = ((size_t)olen + 3) & ~(size_t)3;
        if (code == 0 || 4 + padded > len)
            break;
        if (code == 9 && olen >= 1) {
            uint8_t r = opt[4];
            uint64_t ticks = 1;
            if (r & 0x80)
                return (r & 0x7f) >= 10 ? 1 : (uint64_t)1 << (r & 0x7f); /* rare: base 2 */
            for (int i = 0; i < (r & 0x7f); i++)
                ticks *= 10;
            return ticks >= 1000 ? ticks / 1000 : 1;
        }
        opt += 4 + padded;
        len -= 4 + padded;
    }
    return 1000; /* default resolution: microseconds */
}

/* Next packet: 1, 0 at the end, -1 when the file is damaged (stops there). */
static inline int pcap_next(struct pcap_file *f, struct pcap_pkt *pk)
{
    if (!f->ng) {
        uint32_t caplen;
        const uint8_t *h = f->buf + f->off;
        if (f->off == f->len)
            return 0;
        if (f->len - f->off < 16)
            return -1;
        caplen = pf_u32(f, h + 8);
        if (caplen > f->len - f->off - 16)
            return -1;
        pk->data = h + 16;
        pk->caplen = caplen;
        pk->link = f->link;
        pk->ts_ms = (uint64_t)pf_u32(f, h) * 1000 + pf_u32(f, h + 4) / (f->nsec ? 1000000 : 1000);
        f->off += 16 + (size_t)caplen;
        return 1;
    }
    while (f->off < f->len) {
        const uint8_t *b = f->buf + f->off;
        uint32_t type, blen;
        if (f->len - f->off < 12)
            return -1;
        type = fsn_load32(b);
        if (type == 0x0a0d0d0a) {
            /* A section header: its byte-order magic decides how to read the rest. */
            uint32_t bom = fsn_load32(b + 8);
            if (bom == 0x1a2b3c4d)
                f->swap = false;
            else if (bom == 0x4d3c2b1a)
                f->swap = true;
            else
                return -1;
            f->nif = 0;
        } else if (f->swap) {
            type = pf_u32(f, b);
        }
        blen = pf_u32(f, b + 4);
        if (blen < 12 || blen % 4 || blen > f->len - f->off)
            return -1;
        f->off += blen;
        if (type == 1 && blen >= 20) { /* interface description */
            if (f->nif < PCAP_MAX_IFACES) {
                f->if_link[f->nif] = pf_u16(f, b + 8);
                f->if_div[f->nif] = pcapng_tsdiv(f, b + 16, blen - 20);
            }
            f->nif++;
        } else if (type == 6 && blen >= 32) { /* enhanced packet */
            uint32_t ifid = pf_u32(f, b + 8), caplen = pf_u32(f, b + 20);
            uint64_t ts = (uint64_t)pf_u32(f, b + 12) << 32 | pf_u32(f, b + 16);
            if (ifid >= f->nif || ifid >= PCAP_MAX_IFACES || caplen > blen - 32)
                return -1;
            pk->data = b + 28;
            pk->caplen = caplen;
            pk->link = f->if_link[ifid];
            pk->ts_ms = ts / f->if_div[ifid];
            return 1;
        } else if (type == 3 && blen >= 16) { /* simple packet: interface 0, no time */
            uint32_t orig = pf_u32(f, b + 8);
            if (f->nif == 0)
                return -1;
            pk->data = b + 12;
            pk->caplen = orig < blen - 16 ? orig : blen - 16;
            pk->link = f->if_link[0];
            pk->ts_ms = 0;
            return 1;
        }
    }
    return 0;
}

struct udp_dgram {
    struct fsn_addr src;
    uint16_t sport;
    uint16_t dport;
    const uint8_t *payload;
    size_t len;
};

/* Finds the UDP datagram in a frame; false for anything else (or a fragment). */
static inline bool pcap_udp(const struct pcap_pkt *pk, struct udp_dgram *u)
{
    struct fsn_rd r = fsn_rd_make(pk->data, pk->caplen);
    uint16_t etype = 0, ulen;
    uint8_t vihl, proto;

    memset(u, 0, sizeof *u);
    if (pk->link == PCAP_LINK_ETHERNET) {
        if (!fsn_rd_skip(&r, 12) || !fsn_rd_u16(&r, &etype))
            return false;
        while (etype == 0x8100 || etype == 0x88a8)
            if (!fsn_rd_skip(&r, 2) || !fsn_rd_u16(&r, &etype))
                return false;
    } else if (pk->link == PCAP_LINK_SLL) {
        if (!fsn_rd_skip(&r, 14) || !fsn_rd_u16(&r, &etype))
            return false;
    } else if (pk->link == PCAP_LINK_RAW) {
        if (fsn_rd_left(&r) < 1)
            return false;
        etype = (r.p[0] >> 4) == 6 ? 0x86dd : 0x0800;
    } else {
        return false;
    }
    if (etype == 0x0800) {
        uint16_t tot, frag;
        struct fsn_rd ip = r;
        if (!fsn_rd_u8(&ip, &vihl) || (vihl >> 4) != 4 || (vihl & 15) < 5 ||
            !fsn_rd_skip(&ip, 1) || !fsn_rd_u16(&ip, &tot) || !fsn_rd_skip(&ip, 2) ||
            !fsn_rd_u16(&ip, &frag) || !fsn_rd_skip(&ip, 1) || !fsn_rd_u8(&ip, &proto) ||
            !fsn_rd_skip(&ip, 2) || !fsn_rd_bytes(&ip, u->src.a, 4))
            return false;
        if (proto != 17 || (frag & 0x3fff) || tot < (vihl & 15) * 4u || tot > fsn_rd_left(&r))
            return false;
        u->src.family = FSN_FAMILY_IPV4;
        r.end = r.p + tot;
        fsn_rd_skip(&r, (size_t)(vihl & 15) * 4);
    } else if (etype == 0x86dd) {
        uint16_t plen;
        if (!fsn_rd_skip(&r, 4) || !fsn_rd_u16(&r, &plen) || !fsn_rd_u8(&r, &proto) ||
            !fsn_rd_skip(&r, 1) || !fsn_rd_bytes(&r, u->src.a, 16) || !fsn_rd_skip(&r, 16))
            return false;
        if (proto != 17 || plen > fsn_rd_left(&r))
            return false; /* extension headers are not needed for these captures */
        u->src.family = FSN_FAMILY_IPV6;
        r.end = r.p + plen;
    } else {
        return false;
    }
    if (!fsn_rd_u16(&r, &u->sport) || !fsn_rd_u16(&r, &u->dport) || !fsn_rd_u16(&r, &ulen) ||
        !fsn_rd_skip(&r, 2) || ulen < 8 || (size_t)ulen - 8 > fsn_rd_left(&r))
        return false;
    u->payload = r.p;
    u->len = (size_t)ulen - 8;
    return true;
}

#endif
