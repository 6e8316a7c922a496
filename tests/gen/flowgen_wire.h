/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowgen, part 2 of 3 (included once, by tests/gen/flowgen.c): building
 * frames in the output buffer (Ethernet, 802.1Q, IPv4 with fragments, IPv6,
 * checksums, padding, pcap records), the payload of each kind of traffic,
 * and the ground-truth line written when a flow sends its last packet.
 */
#ifndef FLOWGEN_WIRE_H
#define FLOWGEN_WIRE_H

#include "tests/gen/flowgen_model.h"

/* ---- payloads ---- */

static const char *const dn1[] = {"www",   "api",    "cdn",  "mail", "img", "static",
                                  "login", "update", "time", "edge", "m",   "app"};
static const char *const dn2[] = {"example", "sample", "acme",  "cloudy", "media", "shop",
                                  "news",    "stream", "files", "video",  "maps",  "social"};
static const char *const dn3[] = {"com", "net", "org", "io", "de", "fr"};

static size_t dns_label(uint8_t *p, const char *s, unsigned num)
{
    size_t n = strlen(s);
    memcpy(p + 1, s, n);
    if (num >= 10)
        p[1 + n++] = (uint8_t)('0' + num / 10);
    if (num)
        p[1 + n++] = (uint8_t)('0' + num % 10);
    p[0] = (uint8_t)n;
    return n + 1;
}

/*
 * The DNS message of round r (RFC 1035 §4.1, EDNS OPT RFC 6891 §6): a
 * query, or its answer (A, AAAA, none for HTTPS, NXDOMAIN now and then, or
 * ntxt 255-byte TXT strings: the big answers that IPv4 fragments).
 */
static size_t dns_msg(const struct conn *c, uint32_t r, bool resp, uint8_t *p)
{
    uint64_t h = mix64(c->seed ^ 0xd15);
    uint32_t qtype = c->ntxt            ? 16
                     : c->rounds == 2   ? (r ? 28 : 1)
                     : (h & 0x300) == 0 ? 65
                     : (h & 0x400)      ? 28
                                        : 1;
    bool nx = resp && !c->ntxt && (h >> 12) % 32 == 0;
    unsigned nans = 0;
    size_t n = 12;
    if (resp && !nx)
        nans = qtype == 1    ? 1 + (h >> 20) % 4
               : qtype == 28 ? 1 + (h >> 22) % 2
               : qtype == 16 ? c->ntxt
                             : 0;
    put16(p, (uint32_t)(h >> 32) + r);
    put16(p + 2, resp ? (nx ? 0x8183 : 0x8180) : 0x0100);
    put16(p + 4, 1);
    put16(p + 6, nans);
    put16(p + 8, 0);
    put16(p + 10, 1);
    n += dns_label(p + n, dn1[h % 12], 0);
    n += dns_label(p + n, dn2[(h >> 4) % 12], (unsigned)(h >> 8) % 100);
    n += dns_label(p + n, dn3[(h >> 16) % 6], 0);
    p[n++] = 0;
    put16(p + n, qtype);
    put16(p + n + 2, 1);
    n += 4;
    for (unsigned k = 0; k < nans; k++) {
        put16(p + n, 0xc00c); /* the question's name */
        put16(p + n + 2, qtype);
        put16(p + n + 4, 1);
        put32(p + n + 6, 300);
        n += 10;
        if (qtype == 1) {
            put16(p + n, 4);
            put32(p + n + 2, (198u << 24 | 18u << 16) + (uint32_t)((h >> 24) + k * 97) % PEERS4);
            n += 6;
        } else if (qtype == 28) {
            put16(p + n, 16);
            remote_addr((uint32_t)(h >> 24) + k, FSN_FAMILY_IPV6, 1, p + n + 2);
            n += 18;
        } else {
            put16(p + n, 256);
            p[n + 2] = 255;
            for (unsigned i = 0; i < 255; i++)
                p[n + 3 + i] = (uint8_t)('a' + (h + k * 31 + i) % 26);
            n += 258;
        }
    }
    p[n] = 0; /* OPT: root name, type 41, 4096-byte payload, no flags */
    put16(p + n + 1, 41);
    put16(p + n + 3, 4096);
    put32(p + n + 5, 0);
    put16(p + n + 9, 0);
    return n + 11;
}

/* ---- frames ---- */

static void flush_out(struct gen *g)
{
    if (g->out_len && fwrite(g->out, 1, g->out_len, g->pf) != g->out_len) {
        perror("flowgen: writing the capture");
        exit(1);
    }
    g->out_len = 0;
}

static uint64_t pseudo(const struct conn *c, const struct side *s, size_t len)
{
    size_t al = c->family == FSN_FAMILY_IPV4 ? 4 : 16;
    return csum_acc(csum_acc(0, s->src, al), s->dst, al) + s->proto + len;
}

/* Payload from the random pool (at an even offset of the checksummed data); returns its sum. */
static uint64_t pay_pool(struct gen *g, uint8_t *dst, size_t len)
{
    size_t off = 2 * (size_t)rng_below(&g->rng, (POOL_SIZE - FRAME_MAX) / 2);
    uint64_t s = g->pref[(off + len) / 2] - g->pref[off / 2];
    memcpy(dst, g->pool + off, len);
    if (len & 1)
        s += (uint32_t)g->pool[off + len - 1] << 8;
    return s;
}

/* Starts a frame of direction d in the output buffer: Ethernet, 802.1Q; returns the L4 start. */
static uint8_t *frame_start(struct gen *g, const struct conn *c, int d)
{
    const struct side *s = &c->sd[d];
    uint8_t *f;
    size_t n = 12;
    if (g->out_len + 16 + FRAME_MAX > OUT_CAP)
        flush_out(g);
    f = g->out + g->out_len + 16;
    if (c->kind == K_ND &&
        d == 0) { /* 33:33 + the low 32 bits of the multicast group (RFC 2464 §7) */
        f[0] = f[1] = 0x33;
        memcpy(f + 2, s->dst + 12, 4);
    } else {
        memcpy(f, c->sd[1 - d].mac, 6);
    }
    memcpy(f + 6, s->mac, 6);
    if (c->vlan) {
        put16(f + 12, 0x8100);
        put16(f + 14, c->vlan);
        n = 16;
    }
    put16(f + n, c->family == FSN_FAMILY_IPV4 ? 0x0800 : 0x86dd);
    g->l3 = f + n + 2;
    return g->l3 + (c->family == FSN_FAMILY_IPV4 ? 20 : 40);
}

static char *fmt_u64(char *p, uint64_t v)
{
    char t[24];
    int n = 0;
    do
        t[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *p++ = t[--n];
    *p++ = ' ';
    return p;
}

/* Writes the truth line of direction d, whose last packet was just emitted. */
static void truth_line(struct gen *g, const struct conn *c, int d)
{
    static const char hex[] = "0123456789abcdef";
    const struct side *s = &c->sd[d];
    int af = c->family == FSN_FAMILY_IPV4 ? AF_INET : AF_INET6;
    char line[256], *p = line;
    *p++ = c->family == FSN_FAMILY_IPV4 ? '4' : '6';
    *p++ = ' ';
    for (int k = 0; k < 2; k++) {
        const uint8_t *a = k ? s->dst : s->src;
        if (af == AF_INET) { /* inet_ntop() goes through printf: 4 numbers are quicker by hand */
            for (int b = 0; b < 4; b++)
                p = fmt_u64(p, a[b]), p[-1] = b < 3 ? '.' : ' ';
        } else {
            inet_ntop(af, a, p, 64);
            p += strlen(p);
            *p++ = ' ';
        }
    }
    p = fmt_u64(p, s->sport);
    p = fmt_u64(p, s->dport);
    p = fmt_u64(p, s->proto);
    p = fmt_u64(p, c->vlan);
    p = fmt_u64(p, s->packets);
    p = fmt_u64(p, s->bytes);
    p = fmt_u64(p, s->first_us / 1000);
    p = fmt_u64(p, s->last_us / 1000);
    *p++ = '0';
    *p++ = 'x';
    *p++ = hex[s->flags >> 4];
    *p++ = hex[s->flags & 15];
    *p++ = '\n';
    g->flows[fam_ix(c->family)]++;
    if (g->tf)
        fwrite(line, 1, (size_t)(p - line), g->tf);
}

/*
 * Finishes the frame: IP header for l4len bytes (frag < 0: not a fragment,
 * else the IPv4 flags/offset word and id fid), padding to the Ethernet
 * minimum, the pcap record header; then counts it.
 */
static void frame_finish(struct gen *g, struct conn *c, int d, size_t l4len, int frag, uint16_t fid)
{
    struct side *s = &c->sd[d];
    uint8_t *ip = g->l3, *f = g->out + g->out_len + 16;
    size_t iplen, len, incl;
    int fx = fam_ix(c->family);
    if (c->family == FSN_FAMILY_IPV4) {
        iplen = 20 + l4len;
        ip[0] = 0x45;
        ip[1] = 0;
        put16(ip + 2, (uint32_t)iplen);
        if (frag < 0) {
            put16(ip + 4, (*s->ipidp)++);
            put16(ip + 6, s->proto == FSN_PROTO_TCP ? 0x4000 : 0); /* DF on TCP, as stacks do */
        } else {
            put16(ip + 4, fid);
            put16(ip + 6, (uint32_t)frag);
            g->frags++;
        }
        ip[8] = s->ttl;
        ip[9] = s->proto;
        put16(ip + 10, 0);
        memcpy(ip + 12, s->src, 4);
        memcpy(ip + 16, s->dst, 4);
        put16(ip + 10, csum_fold(csum_acc(0, ip, 20)));
    } else {
        iplen = 40 + l4len;
        put32(ip, 0x60000000u | ((uint32_t)(c->seed >> (d ? 20 : 40)) & 0xfffff));
        put16(ip + 4, (uint32_t)l4len);
        ip[6] = s->proto;
        ip[7] = s->ttl;
        memcpy(ip + 8, s->src, 16);
        memcpy(ip + 24, s->dst, 16);
    }
    len = (size_t)(ip - f) + iplen;
    if (len < 60) {
        memset(f + len, 0, 60 - len);
        len = 60;
        g->padded++;
    }
    incl = len < g->o.snaplen ? len : g->o.snaplen;
    put32le(f - 16, (uint32_t)(g->now_us / 1000000));
    put32le(f - 12, (uint32_t)(g->now_us % 1000000));
    put32le(f - 8, (uint32_t)incl);
    put32le(f - 4, (uint32_t)len);
    g->out_len += 16 + incl;

    if (s->packets++ == 0)
        s->first_us = g->now_us;
    s->last_us = g->now_us;
    s->bytes += iplen;
    s->flags |= g->cur_flags;
    g->cur_flags = 0;
    g->pkts[fx]++;
    g->bytes[fx] += iplen;
    if (c->vlan)
        g->vlan_pkts++;
    if (s->left == 0) {
        fprintf(stderr, "flowgen: internal error: unplanned packet (kind %u)\n", c->kind);
        abort();
    }
    if (--s->left == 0)
        truth_line(g, c, d);
}

static void udp_finish(struct gen *g, struct conn *c, int d, uint8_t *l4, size_t paylen,
                       uint64_t paysum)
{
    struct side *s = &c->sd[d];
    size_t len = 8 + paylen;
    uint16_t ck;
    put16(l4, s->sport);
    put16(l4 + 2, s->dport);
    put16(l4 + 4, (uint32_t)len);
    put16(l4 + 6, 0);
    ck = csum_fold(paysum + csum_acc(0, l4, 8) + pseudo(c, s, len));
    put16(l4 + 6, ck ? ck : 0xffff);
    frame_finish(g, c, d, len, -1, 0);
}

static void icmp_finish(struct gen *g, struct conn *c, int d, uint8_t *l4, size_t len)
{
    uint64_t sum = csum_acc(0, l4, len);
    if (c->family == FSN_FAMILY_IPV6)
        sum += pseudo(c, &c->sd[d], len);
    put16(l4 + 2, csum_fold(sum));
    frame_finish(g, c, d, len, -1, 0);
}

/* ---- packets of each kind ---- */

/* Overwrites n payload bytes at off, keeping the payload's checksum sum up to date. */
static void patch(uint8_t *p, size_t off, const uint8_t *src, size_t n, uint64_t *sum)
{
    for (size_t k = 0; k < n; k++) {
        unsigned sh = ((off + k) & 1) ? 0 : 8;
        *sum += ((uint64_t)src[k] << sh) - ((uint64_t)p[off + k] << sh); /* exact modulo 2^64 */
        p[off + k] = src[k];
    }
}

/*
 * Frames a message as TLS application data records (RFC 8446 §5.1), which
 * may straddle segments: each segment overwrites the header bytes that fall
 * into it. Records hold at most 16384 bytes and never leave a tail shorter
 * than a header.
 */
static void tls_frame(struct conn *c, int d, uint8_t *p, size_t len, uint64_t *sum)
{
    size_t pos = 0;
    while (pos < len) {
        if (c->rec_pos[d] == 5 && c->rec_left[d]) {
            size_t k = c->rec_left[d] < len - pos ? c->rec_left[d] : len - pos;
            pos += k;
            c->rec_left[d] -= (uint32_t)k;
            c->msg_left[d] -= (uint32_t)k;
            continue;
        }
        if (c->rec_pos[d] == 5) {
            c->rec_len[d] = (uint16_t)(c->msg_left[d] - 5 <= 16384 ? c->msg_left[d] - 5 : 16000);
            c->rec_pos[d] = 0;
        }
        uint8_t h[5] = {0x17, 3, 3, (uint8_t)(c->rec_len[d] >> 8), (uint8_t)c->rec_len[d]};
        patch(p, pos++, h + c->rec_pos[d], 1, sum);
        c->msg_left[d]--;
        if (++c->rec_pos[d] == 5)
            c->rec_left[d] = c->rec_len[d];
    }
}

static void send_tcp(struct gen *g, struct conn *c, int d, uint8_t flags, size_t paylen)
{
    struct side *s = &c->sd[d], *o = &c->sd[1 - d];
    uint8_t *l4 = frame_start(g, c, d);
    size_t hl = (flags & TH_SYN) ? 24 : 20;
    uint64_t sum;
    put16(l4, s->sport);
    put16(l4 + 2, s->dport);
    put32(l4 + 4, s->seq);
    put32(l4 + 8, (flags & TH_ACK) ? o->seq : 0);
    l4[12] = (uint8_t)(hl / 4 << 4);
    l4[13] = flags;
    put16(l4 + 14, (flags & TH_RST) ? 0 : 64240);
    put32(l4 + 16, 0);
    if (flags & TH_SYN) { /* MSS option (RFC 9293 §3.2) */
        l4[20] = 2;
        l4[21] = 4;
        put16(l4 + 22, c->mss);
    }
    sum = paylen ? pay_pool(g, l4 + hl, paylen) : 0;
    if (g->pre_len)
        patch(l4 + hl, 0, (const uint8_t *)g->pre, g->pre_len, &sum);
    if (g->tls_dir)
        tls_frame(c, g->tls_dir - 1, l4 + hl, paylen, &sum);
    g->pre_len = 0;
    g->tls_dir = 0;
    put16(l4 + 16, csum_fold(sum + csum_acc(0, l4, hl) + pseudo(c, s, hl + paylen)));
    s->seq += (uint32_t)paylen + ((flags & (TH_SYN | TH_FIN)) ? 1u : 0u);
    g->cur_flags = flags;
    frame_finish(g, c, d, hl + paylen, -1, 0);
}

/*
 * HTTP/1.1 message head (RFC 9112) for a message of `total` bytes whose
 * first segment has `seg`: a GET padded to the segment, or a POST / 200
 * response whose Content-Length covers the rest (random bytes).
 */
static void http_head(struct gen *g, int d, size_t total, size_t seg)
{
    int n = 0;
    if (d == 0 && total == seg) {
        n = snprintf(g->pre, sizeof g->pre, "GET /%u HTTP/1.1\r\nHost: www.example.com\r\nX-Pad: ",
                     rng_below(&g->rng, 100000));
        memset(g->pre + n, 'x', seg - (size_t)n - 4);
        memcpy(g->pre + seg - 4, "\r\n\r\n", 4);
        g->pre_len = seg;
        return;
    }
    for (int k = 0; k < 3; k++) /* the header's length depends on the length it announces */
        n = d ? snprintf(g->pre, sizeof g->pre, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
                         total - (size_t)n)
              : snprintf(
                    g->pre, sizeof g->pre,
                    "POST /up HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: %zu\r\n\r\n",
                    total - (size_t)n);
    g->pre_len = (size_t)n;
}

/* Segment i of an n-segment message: full segments, then the last one. */
static void tcp_data(struct gen *g, struct conn *c, int d, uint32_t i, uint32_t n)
{
    size_t len = i + 1 < n ? c->mss : c->last_len[d],
           total = (size_t)(n - 1) * c->mss + c->last_len[d];
    if (c->http && i == 0)
        http_head(g, d, total, len);
    if (c->tls) {
        if (i == 0) {
            c->msg_left[d] = (uint32_t)total;
            c->rec_left[d] = 0;
            c->rec_pos[d] = 5;
        }
        g->tls_dir = d + 1;
    }
    send_tcp(g, c, d, (uint8_t)(TH_ACK | (i + 1 == n ? TH_PSH : 0)), len);
}

/* QUIC (RFC 9000 §17): long headers in the handshake rounds, short headers after. */
static void send_quic(struct gen *g, struct conn *c, int d, uint32_t i, uint32_t n, bool ack)
{
    uint8_t *l4 = frame_start(g, c, d), *p = l4 + 8;
    uint64_t cid[2] = {mix64(c->seed ^ 1), mix64(c->seed ^ 2)}; /* client's, server's */
    struct rng *r = &g->rng;
    size_t hn, len;
    if (!ack && (c->r == 0 || (c->r == 1 && d == 0 && i == 0))) {
        bool initial = c->r == 0;
        len = d == 0 ? (initial ? 1250 : rng_range(r, 80, 150))
                     : (i + 1 < n ? rng_range(r, 1200, 1252) : rng_range(r, 200, 1000));
        p[0] = initial ? 0xc3 : 0xe2; /* Initial, 4-byte PN; Handshake, 3-byte PN */
        put32(p + 1, 1);
        p[5] = 8;
        put32(p + 6, (uint32_t)(cid[1 - d] >> 32));
        put32(p + 10, (uint32_t)cid[1 - d]);
        p[14] = 8;
        put32(p + 15, (uint32_t)(cid[d] >> 32));
        put32(p + 19, (uint32_t)cid[d]);
        hn = 23;
        if (initial)
            p[hn++] = 0; /* no token */
        put16(p + hn, 0x4000 | (uint32_t)(len - hn - 2));
        hn += 2;
        put32(p + hn, c->sd[d].seq++);
        hn += initial ? 4 : 3;
    } else {
        if (ack)
            len = rng_range(r, 30, 45);
        else if (d == 0)
            len = rng_range(r, 40, 400);
        else
            len = i + 1 < n ? rng_range(r, 1200, 1350) : rng_range(r, 50, 1200);
        p[0] = 0x42; /* short header, 3-byte PN */
        put32(p + 1, (uint32_t)(cid[1 - d] >> 32));
        put32(p + 5, (uint32_t)cid[1 - d]);
        put32(p + 9, c->sd[d].seq++ << 8);
        hn = 12;
    }
    udp_finish(g, c, d, l4, len, csum_acc(0, p, hn) + pay_pool(g, p + hn, len - hn));
}

static void send_dns(struct gen *g, struct conn *c, int d, uint32_t i)
{
    struct side *s = &c->sd[d];
    uint8_t *l4, *u = g->scratch;
    size_t n, off, chunk;
    if (d == 0 || c->frags == 1) {
        l4 = frame_start(g, c, d);
        n = dns_msg(c, c->r, d == 1, l4 + 8);
        udp_finish(g, c, d, l4, n, csum_acc(0, l4 + 8, n));
        return;
    }
    /* Fragment i of a big answer (RFC 791 §2.3): the whole datagram, then a slice of it. */
    n = 8 + dns_msg(c, c->r, true, u + 8);
    put16(u, s->sport);
    put16(u + 2, s->dport);
    put16(u + 4, (uint32_t)n);
    put16(u + 6, 0);
    put16(u + 6, csum_fold(csum_acc(0, u, n) + pseudo(c, s, n)));
    if (i == 0)
        c->frag_id = (*s->ipidp)++;
    off = (size_t)i * 1480;
    chunk = n - off < 1480 ? n - off : 1480;
    l4 = frame_start(g, c, d);
    memcpy(l4, u + off, chunk);
    frame_finish(g, c, d, chunk, (int)(off / 8 | (off + chunk < n ? 0x2000u : 0)), c->frag_id);
}

static void put_ntp_ts(uint8_t *p, uint64_t us)
{
    put32(p, (uint32_t)(us / 1000000 + 2208988800u));
    put32(p + 4, (uint32_t)((us % 1000000 << 32) / 1000000));
}

/* NTPv4 client request and server answer (RFC 5905 §7.3). */
static void send_ntp(struct gen *g, struct conn *c, int d)
{
    uint8_t *l4 = frame_start(g, c, d), *p = l4 + 8;
    memset(p, 0, 48);
    p[2] = 6;
    if (d == 0) {
        p[0] = 0x23; /* version 4, client */
        p[3] = 0xe9;
        put_ntp_ts(p + 40, g->now_us);
        memcpy(&c->aux, p + 40, 8);
    } else {
        p[0] = 0x24; /* version 4, server */
        p[1] = 2;
        p[3] = 0xe7;
        put32(p + 4, 0x00000180);
        put32(p + 8, 0x00000240);
        memcpy(p + 12, c->sd[1].src, 4);
        put_ntp_ts(p + 16, g->now_us - 16000000);
        memcpy(p + 24, &c->aux, 8);
        put_ntp_ts(p + 32, g->now_us - 40);
        put_ntp_ts(p + 40, g->now_us - 20);
    }
    udp_finish(g, c, d, l4, 48, csum_acc(0, p, 48));
}

/* ESP in UDP (RFC 3948 §2.2): SPI, sequence number, ciphertext. */
static void send_esp(struct gen *g, struct conn *c, int d)
{
    uint8_t *l4 = frame_start(g, c, d), *p = l4 + 8;
    size_t len = rng_range(&g->rng, 60, 1300);
    put32(p, (uint32_t)mix64(c->seed ^ (uint64_t)d) | 0x100);
    put32(p + 4, ++c->sd[d].seq);
    udp_finish(g, c, d, l4, len, csum_acc(0, p, 8) + pay_pool(g, p + 8, len - 8));
}

/* BSD syslog line (RFC 3164 §4.1), one way. */
static void send_syslog(struct gen *g, struct conn *c)
{
    uint8_t *l4 = frame_start(g, c, 0), *p = l4 + 8;
    size_t len = rng_range(&g->rng, 60, 300);
    int n = snprintf((char *)p, 64,
                     "<%u>Jan  1 00:00:00 host%u app[%u]: ", 128 + (unsigned)(c->seed % 8),
                     (unsigned)(c->seed >> 8) % 1000, (unsigned)(c->seed >> 20) % 30000);
    for (size_t k = (size_t)n; k < len; k++)
        p[k] = (uint8_t)('a' + (k * 7 + c->r) % 26);
    udp_finish(g, c, 0, l4, len, csum_acc(0, p, len));
}

/* A probe to a closed UDP port; kept so that the ICMP error can quote it. */
static void send_probe(struct gen *g, struct conn *c)
{
    uint8_t *l4 = frame_start(g, c, 0), *p = l4 + 8;
    for (unsigned k = 0; k < 32; k++)
        p[k] = (uint8_t)(0x40 + k);
    udp_finish(g, c, 0, l4, 32, csum_acc(0, p, 32));
    c->orig_len = c->family == FSN_FAMILY_IPV4 ? 28 : 80;
    memcpy(c->orig, g->l3, c->orig_len);
}

/* Port unreachable (RFC 792; RFC 4443 §3.1) quoting the probe. */
static void send_unreach(struct gen *g, struct conn *c)
{
    uint8_t *l4 = frame_start(g, c, 1);
    l4[0] = c->family == FSN_FAMILY_IPV4 ? 3 : 1;
    l4[1] = c->family == FSN_FAMILY_IPV4 ? 3 : 4;
    put16(l4 + 2, 0);
    put32(l4 + 4, 0);
    memcpy(l4 + 8, c->orig, c->orig_len);
    icmp_finish(g, c, 1, l4, 8 + (size_t)c->orig_len);
}

/* Echo request / reply (RFC 792; RFC 4443 §4) with ping's 56 data bytes. */
static void send_echo(struct gen *g, struct conn *c, int d)
{
    uint8_t *l4 = frame_start(g, c, d);
    bool v4 = c->family == FSN_FAMILY_IPV4;
    l4[0] = d == 0 ? (v4 ? 8 : 128) : (v4 ? 0 : 129);
    l4[1] = 0;
    put16(l4 + 2, 0);
    put16(l4 + 4, (uint32_t)c->seed);
    put16(l4 + 6, c->r + 1);
    for (unsigned k = 0; k < 56; k++)
        l4[8 + k] = (uint8_t)(0x10 + k);
    icmp_finish(g, c, d, l4, 64);
}

/* Neighbor solicitation to the solicited-node group, advertisement back (RFC 4861 §4.3-4.4). */
static void send_nd(struct gen *g, struct conn *c, int d)
{
    uint8_t *l4 = frame_start(g, c, d);
    l4[0] = d == 0 ? 135 : 136;
    l4[1] = 0;
    put16(l4 + 2, 0);
    put32(l4 + 4, d == 0 ? 0 : 0x60000000u); /* NA: solicited, override */
    memcpy(l4 + 8, c->sd[1].src, 16);        /* target: the server */
    l4[24] = d == 0 ? 1 : 2;                 /* source / target link-layer address option */
    l4[25] = 1;
    memcpy(l4 + 26, c->sd[d].mac, 6);
    icmp_finish(g, c, d, l4, 32);
}

static void send_data(struct gen *g, struct conn *c, int d, uint32_t i, uint32_t n)
{
    switch (c->kind) {
    case K_TCP:
        tcp_data(g, c, d, i, n);
        break;
    case K_DNS:
        send_dns(g, c, d, i);
        break;
    case K_NTP:
        send_ntp(g, c, d);
        break;
    case K_QUIC:
        send_quic(g, c, d, i, n, false);
        break;
    case K_ESP:
        send_esp(g, c, d);
        break;
    case K_SYSLOG:
        send_syslog(g, c);
        break;
    case K_TRACE:
        d == 0 ? send_probe(g, c) : send_unreach(g, c);
        break;
    case K_PING:
        send_echo(g, c, d);
        break;
    default:
        send_nd(g, c, d);
        break;
    }
}

static void send_ack(struct gen *g, struct conn *c, int d)
{
    if (c->kind == K_TCP)
        send_tcp(g, c, d, TH_ACK, 0);
    else
        send_quic(g, c, d, 0, 0, true);
}

#endif
