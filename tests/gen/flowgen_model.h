/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowgen, part 1 of 3 (included once, by tests/gen/flowgen.c): the
 * random generator, byte and checksum helpers, the connection model
 * (structs, traffic mix, hosts and addresses) and the per-round shapes.
 */
#ifndef FLOWGEN_MODEL_H
#define FLOWGEN_MODEL_H

#include <arpa/inet.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/flow.h"

#define EPH_BASE 16384u   /* client ports 16384..65535; every service port is below */
#define PEERS4 (1u << 17) /* remote IPv4 space: 198.18.0.0/15 */
#define PEERS6 (1u << 24) /* remote IPv6 sites under 2001:db8:ff00::/40 */
#define POOL_SIZE (1u << 18)
#define OUT_CAP (4u << 20)
#define FRAME_MAX 1600u
#define MAXNETS 16
#define NS_MS 1000000ull
#define NS_S 1000000000ull
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/* xoshiro256** seeded through splitmix64 (Blackman and Vigna). */
struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t mix64(uint64_t x)
{
    return splitmix64(&x);
}
static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t res = rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = rotl(r->s[3], 45);
    return res;
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}
static uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}
static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1p-53;
}
static bool rng_pct(struct rng *r, unsigned pct)
{
    return rng_below(r, 100) < pct;
}

/* Exponentially distributed duration with the given mean, capped at 20 means. */
static uint64_t rng_exp(struct rng *r, uint64_t mean)
{
    double v = -log(1.0 - rng_unit(r));
    return (uint64_t)((v > 20 ? 20 : v) * (double)mean);
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}
static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Internet checksum (RFC 1071): 16-bit big-endian words summed wide, folded at the end. */
static uint64_t csum_acc(uint64_t s, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        s += (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
    for (; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < n)
        s += (uint32_t)p[i] << 8;
    return s;
}

static uint16_t csum_fold(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

enum kind { K_TCP, K_DNS, K_NTP, K_QUIC, K_ESP, K_SYSLOG, K_TRACE, K_PING, K_ND };
enum prof { PR_NONE, PR_WEB, PR_LONG, PR_INTER, PR_MAIL, PR_BULK };
enum phase {
    PH_SYN,
    PH_SYNACK,
    PH_HSACK,
    PH_REQ,
    PH_RESP,
    PH_CLOSE1,
    PH_CLOSE2,
    PH_CLOSE3,
    PH_DONE
};
enum hs { HS_NONE, HS_FULL, HS_REFUSED, HS_SILENT };
enum cl { CL_NONE, CL_FIN_C, CL_FIN_S, CL_RST_C, CL_RST_S };

/* Who talks to whom; each new connection draws one, with the weights below. */
enum pat {
    P_TCP_OUT,
    P_TCP_IN,
    P_TCP_LOCAL,
    P_DNS_OUT,
    P_DNS_LOCAL,
    P_DNS_IN,
    P_NTP,
    P_QUIC,
    P_ESP,
    P_SYSLOG,
    P_TRACE_OUT,
    P_TRACE_IN,
    P_PING_OUT,
    P_PING_IN,
    P_ND,
    P_COUNT
};
static const uint16_t weight4[P_COUNT] = {300, 50, 20, 380, 60, 40, 30, 50,
                                          5,   15, 10, 10,  25, 5,  0};
static const uint16_t weight6[P_COUNT] = {330, 40, 10, 340, 30, 10, 20, 80,
                                          0,   0,  20, 0,   30, 10, 80};

struct svc {
    uint16_t port;
    uint8_t prof;
    uint8_t weight;
};
/* Services whose dissectors in tshark accept what we send: TLS records, HTTP, SSH, SMTP. */
static const struct svc svc_out[] = {{443, PR_WEB, 54}, {443, PR_LONG, 3}, {80, PR_WEB, 18},
                                     {8080, PR_WEB, 2}, {853, PR_WEB, 1},  {22, PR_INTER, 2},
                                     {25, PR_MAIL, 2},  {587, PR_MAIL, 2}, {993, PR_MAIL, 5},
                                     {993, PR_LONG, 1}, {995, PR_MAIL, 1}, {0, 0, 0}};
static const struct svc svc_in[] = {{443, PR_WEB, 45}, {80, PR_WEB, 20},  {22, PR_INTER, 5},
                                    {22, PR_BULK, 2},  {25, PR_MAIL, 20}, {993, PR_MAIL, 5},
                                    {0, 0, 0}};
static const struct svc svc_local[] = {{22, PR_INTER, 15}, {22, PR_BULK, 20}, {443, PR_WEB, 30},
                                       {636, PR_MAIL, 15}, {80, PR_WEB, 20},  {0, 0, 0}};

/* One direction of a connection: one flow of the ground truth. */
struct side {
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint8_t proto, ttl, flags, mac[6];
    uint32_t left; /* packets this direction still sends */
    uint64_t packets, bytes, first_us, last_us;
    uint32_t seq;    /* TCP next sequence number; ESP sequence */
    uint16_t ipid;   /* IPv4 id counter of an endpoint outside the populations */
    uint16_t *ipidp; /* the id counter this endpoint uses */
};

struct conn {
    uint64_t vt, id, seed;
    uint64_t rtt, think, close_wait, srv; /* virtual ns */
    uint64_t aux;                         /* NTP: the client's transmit timestamp */
    struct side sd[2];                    /* 0: client, 1: server */
    uint32_t rounds, r, i, a, b, syn_n;
    uint16_t vlan, frag_id, mss,
        last_len[2];                   /* last_len: the last segment of this round's messages */
    uint32_t msg_left[2], rec_left[2]; /* TLS framing of the current message */
    uint16_t rec_len[2];
    uint8_t rec_pos[2]; /* header bytes written of the current record; 5: in its body */
    uint8_t http, tls, kind, prof, family, phase, hs, close, ack_due, ans_mask, ntxt, frags, lossy;
    uint8_t orig[96], orig_len; /* the last probe, quoted by an ICMP error */
};

/* A host population with Zipf-like popularity: rank k drawn with weight 1/(k+1)^s. */
struct pop {
    uint32_t n;
    double *cdf;
    uint32_t *perm;              /* rank -> host index */
    uint32_t *ports, *icmp, *nd; /* per host: client connections, ICMP peers, ND peers used */
    uint16_t *ipid;
};

struct net {
    uint8_t addr[16];
    unsigned bits;
};

struct opts {
    const char *out, *truth, *sumfile;
    uint64_t seed, packets, start, duration;
    uint32_t conc, nloc, nrem, snaplen;
    bool progress, summary;
    struct net n4[MAXNETS], n6[MAXNETS];
    unsigned c4, c6;
};

struct hent {
    uint64_t vt;   /* the connection's next packet time */
    uint32_t slot; /* the connection's index in gen.conns */
};

struct gen {
    struct opts o;
    struct rng rng;
    struct pop loc, rem;
    struct conn *conns;
    struct hent *heap;
    uint32_t nheap;
    uint16_t eph[65536 - EPH_BASE];
    uint32_t neph, eph_mul;
    uint64_t next_id, committed, emitted;
    /* Virtual-to-real clock: real = seg_real + (vt - seg_vt) * scale, re-aimed at checkpoints. */
    double scale, seg_real, span_us, ck_cap, vpp;
    uint64_t seg_vt, ck_vt, ck_next, ck_len, ck_max, now_us, last_us;
    FILE *pf, *tf;
    uint8_t *out, *pool, *l3, scratch[8192];
    uint64_t *pref;
    size_t out_len;
    uint8_t cur_flags;
    char pre[FRAME_MAX]; /* text that send_tcp() puts at the start of the next payload */
    size_t pre_len;
    int tls_dir; /* send_tcp(): frame the next payload as TLS records of direction tls_dir-1 */
    uint64_t flows[2], pkts[2], bytes[2], frags, vlan_pkts, padded;
    struct timespec t0;
    bool show_progress;
};

static const uint8_t router_mac[6] = {0x02, 0x52, 0x00, 0x00, 0x00, 0x01};

static int fam_ix(int family)
{
    return family == FSN_FAMILY_IPV6;
}

/* ---- hosts and addresses ---- */

static uint32_t zipf_draw(struct rng *r, const struct pop *p)
{
    double u = rng_unit(r);
    uint32_t lo = 0, hi = p->n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return p->perm[lo];
}

static int pop_init(struct pop *p, uint32_t n, double s, struct rng *r)
{
    double sum = 0;
    p->n = n;
    p->cdf = malloc(n * sizeof *p->cdf);
    p->perm = malloc(n * sizeof *p->perm);
    p->ports = calloc(n, sizeof *p->ports);
    p->icmp = calloc(n, sizeof *p->icmp);
    p->nd = calloc(n, sizeof *p->nd);
    p->ipid = malloc(n * sizeof *p->ipid);
    if (!p->cdf || !p->perm || !p->ports || !p->icmp || !p->nd || !p->ipid)
        return -1;
    for (uint32_t k = 0; k < n; k++) {
        sum += 1.0 / pow(k + 1.0, s);
        p->cdf[k] = sum;
        p->perm[k] = k;
        p->ipid[k] = (uint16_t)rng_next(r);
    }
    for (uint32_t k = 0; k < n; k++)
        p->cdf[k] /= sum;
    p->cdf[n - 1] = 1.0;
    for (uint32_t k = n - 1; k > 0; k--) { /* Fisher-Yates: popular hosts anywhere in the net */
        uint32_t j = rng_below(r, k + 1), t = p->perm[k];
        p->perm[k] = p->perm[j];
        p->perm[j] = t;
    }
    return 0;
}

static void pop_free(struct pop *p)
{
    free(p->cdf);
    free(p->perm);
    free(p->ports);
    free(p->icmp);
    free(p->nd);
    free(p->ipid);
}

/*
 * Client ports: 16384-65535 without the ports that tshark 4.0 decodes by
 * number (tcp.port/udp.port tables), so that the service port decides how
 * tshark reads a conversation (QUIC, only found by heuristics, lost to them).
 */
static const uint16_t eph_skip[][2] = {
    {17220, 17220}, {17500, 17500}, {17754, 17756}, {18246, 18246}, {19006, 19006}, {19042, 19043},
    {19132, 19132}, {19506, 19506}, {19543, 19543}, {19788, 19788}, {19948, 19948}, {19999, 20000},
    {20256, 20256}, {20561, 20561}, {21064, 21064}, {22222, 22222}, {23272, 23272}, {24576, 24577},
    {24800, 24800}, {25826, 25826}, {26000, 26000}, {27017, 27017}, {27036, 27036}, {27500, 27500},
    {27910, 27910}, {27950, 27953}, {27960, 27963}, {29418, 29418}, {30000, 30200}, {32000, 32000},
    {32512, 32512}, {34962, 34962}, {34980, 34980}, {37008, 37008}, {41170, 41170}, {44321, 44322},
    {44818, 44818}, {45564, 45564}, {47000, 47000}, {47808, 47808}, {48049, 48049}, {48898, 48898},
    {49999, 49999}, {54328, 54328}, {56000, 56001}, {56500, 56501}, {57000, 57001}, {57032, 57033},
    {57500, 57501}, {57532, 57533}, {59000, 59001}, {59032, 59033}, {59500, 59501}, {59532, 59533},
    {60001, 60001}};

static void eph_init(struct gen *g)
{
    size_t k = 0;
    for (uint32_t port = EPH_BASE; port <= 65535; port++) {
        while (k < sizeof eph_skip / sizeof eph_skip[0] && eph_skip[k][1] < port)
            k++;
        if (k == sizeof eph_skip / sizeof eph_skip[0] || port < eph_skip[k][0])
            g->eph[g->neph++] = (uint16_t)port;
    }
    for (g->eph_mul = 40507;; g->eph_mul += 2) { /* coprime with the count: a bijection */
        uint32_t a = g->eph_mul, b = g->neph;
        while (b) {
            uint32_t t = a % b;
            a = b;
            b = t;
        }
        if (a == 1)
            break;
    }
}

/*
 * A client host for a new connection: Zipf-popular, but never one that has
 * used all of its client ports (each port once per capture keeps keys unique).
 */
static uint32_t take_client(struct gen *g, struct pop *p)
{
    uint32_t h = zipf_draw(&g->rng, p);
    for (int t = 0; t < 8 && p->ports[h] >= g->neph; t++)
        h = zipf_draw(&g->rng, p);
    for (uint32_t k = 0; k < p->n && p->ports[h] >= g->neph; k++)
        h = (h + 1) % p->n;
    if (p->ports[h] >= g->neph) {
        fprintf(stderr, "flowgen: every host used all its client ports; raise -H/-R\n");
        exit(1);
    }
    return h;
}

/* The next client port of host h: a bijection of its connection count onto the client ports. */
static uint16_t client_port(const struct gen *g, struct pop *p, uint32_t h)
{
    uint64_t c = p->ports[h]++;
    return g->eph[(c * g->eph_mul + mix64(h) % g->neph) % g->neph];
}

static uint16_t vlan_of(uint32_t h)
{
    uint32_t v = (uint32_t)(mix64(h * 0x9e37u + 0x51u) % 100);
    return v < 72 ? 0 : v < 82 ? 10 : v < 90 ? 20 : v < 96 ? 30 : 100;
}

static void local_addr(const struct gen *g, uint32_t h, int family, uint8_t *a)
{
    memset(a, 0, 16);
    if (family == FSN_FAMILY_IPV4) {
        const struct net *n = &g->o.n4[h % g->o.c4];
        uint32_t v = ((uint32_t)n->addr[0] << 24 | (uint32_t)n->addr[1] << 16 |
                      (uint32_t)n->addr[2] << 8 | n->addr[3]) +
                     1 + h / g->o.c4;
        put32(a, v);
    } else {
        /* Interface id 0210:00ff:fe00:0000 | h: the low 24 bits (solicited-node group) are h. */
        static const uint8_t iid[8] = {0x02, 0x10, 0x00, 0xff, 0xfe, 0, 0, 0};
        memcpy(a, g->o.n6[h % g->o.c6].addr, 8);
        memcpy(a + 8, iid, 8);
        a[13] = (uint8_t)(h >> 16);
        a[14] = (uint8_t)(h >> 8);
        a[15] = (uint8_t)h;
    }
}

/* Remote address number x (< 2^17 for IPv4, < 2^24 for IPv6); iid 1 for servers, 2 for peers. */
static void remote_addr(uint32_t x, int family, uint8_t iid, uint8_t *a)
{
    memset(a, 0, 16);
    if (family == FSN_FAMILY_IPV4) {
        put32(a, (198u << 24 | 18u << 16) + (x & (PEERS4 - 1)));
    } else {
        static const uint8_t pfx[5] = {0x20, 0x01, 0x0d, 0xb8, 0xff};
        memcpy(a, pfx, 5);
        a[5] = (uint8_t)(x >> 16);
        a[6] = (uint8_t)(x >> 8);
        a[7] = (uint8_t)x;
        a[15] = iid;
    }
}

static void end_local(struct gen *g, struct conn *c, int d, uint32_t h)
{
    struct side *s = &c->sd[d];
    local_addr(g, h, c->family, s->src);
    s->mac[0] = 0x02;
    put32(s->mac + 2, h + 1);
    s->ttl = (h % 5 == 0) ? 128 : 64;
    s->ipidp = &g->loc.ipid[h];
    if (!c->vlan)
        c->vlan = vlan_of(h);
}

static void end_remote(struct gen *g, struct conn *c, int d, uint32_t h)
{
    struct side *s = &c->sd[d];
    remote_addr((h * 0x1a3b5u + 77) & (c->family == FSN_FAMILY_IPV4 ? PEERS4 - 1 : PEERS6 - 1),
                c->family, 1, s->src);
    memcpy(s->mac, router_mac, 6);
    s->ttl = (uint8_t)((h % 3 == 0 ? 128 : 64) - 6 - h % 17);
    s->ipidp = &g->rem.ipid[h];
}

/* The k-th ICMP peer of local host h: a bijective walk, so each (host, peer) pair occurs once. */
static void end_peer(struct conn *c, int d, uint32_t h, uint32_t k)
{
    struct side *s = &c->sd[d];
    uint32_t salt = (uint32_t)mix64(h ^ 0x5bd1e995u);
    if (c->family == FSN_FAMILY_IPV4)
        remote_addr((k * 0x2f5b7u + salt) & (PEERS4 - 1), c->family, 2, s->src);
    else
        remote_addr((k * 0x9e3779u + salt) & (PEERS6 - 1), c->family, 2, s->src);
    memcpy(s->mac, router_mac, 6);
    s->ttl = (uint8_t)(52 - k % 20);
    s->ipid = (uint16_t)(salt + k);
    s->ipidp = &s->ipid;
}

/* Mirrors the two directions' keys; ICMP kinds then overwrite their ports. */
static void set_ports(struct conn *c, uint8_t proto, uint16_t cport, uint16_t sport)
{
    memcpy(c->sd[0].dst, c->sd[1].src, 16);
    memcpy(c->sd[1].dst, c->sd[0].src, 16);
    c->sd[0].proto = c->sd[1].proto = proto;
    c->sd[0].sport = c->sd[1].dport = cport;
    c->sd[0].dport = c->sd[1].sport = sport;
}

static void set_icmp(struct side *s, uint8_t proto, unsigned type, unsigned code)
{
    s->proto = proto;
    s->sport = 0;
    s->dport = (uint16_t)(type << 8 | code);
}

static const struct svc *pick_svc(struct rng *r, const struct svc *t)
{
    unsigned sum = 0, k = 0;
    for (const struct svc *s = t; s->port; s++)
        sum += s->weight;
    unsigned u = rng_below(r, sum);
    for (; u >= t[k].weight; k++)
        u -= t[k].weight;
    return &t[k];
}

/* ---- plans ---- */

/* A heavy-tailed message size in packets: mostly 1-3, rarely hundreds. */
static uint32_t heavy(uint32_t y)
{
    uint32_t u = y % 1000, v = y / 1000;
    return u < 850 ? 1 + v % 2 : u < 980 ? 3 + v % 10 : u < 998 ? 13 + v % 48 : 100 + v % 300;
}

/*
 * Packets of round r: a from the client (the request), b from the server
 * (the response). A pure hash of the seed, so planning and emission agree.
 */
static void round_shape(const struct conn *c, uint32_t r, uint32_t *a, uint32_t *b)
{
    uint64_t h = mix64(c->seed + r * 0x9e3779b97f4a7c15ull);
    uint32_t x = (uint32_t)h, y = (uint32_t)(h >> 32);
    *a = 1;
    *b = 1;
    switch (c->kind) {
    case K_TCP:
        if (c->prof == PR_WEB) {
            *a = x % 16 == 0 ? 2 + y % 5 : 1;
            *b = heavy(y);
        } else if (c->prof == PR_LONG) {
            *b = 1 + (y % 3 == 0);
        } else if (c->prof == PR_INTER) {
            *b = y % 8 == 0 ? 1 + y % 4 : 1;
        } else if (c->prof == PR_MAIL) {
            *a = (r + 1 == c->rounds && x % 2) ? 2 + y % 8 : 1;
        } else {
            *b = 8 + y % 40;
        }
        break;
    case K_DNS:
        *b = (c->ans_mask >> r & 1) ? c->frags : 0;
        break;
    case K_QUIC:
        *a = r == 1 ? 2 : 1;
        *b = r == 0 ? 2 + y % 3 : r == 1 ? 1 : heavy(y);
        break;
    case K_ESP:
        *a = 1 + x % 3;
        *b = 1 + y % 3;
        break;
    case K_SYSLOG:
        *b = 0;
        break;
    case K_PING:
        *b = c->lossy ? (y % 10 < 7) : (c->ans_mask & 1);
        break;
    case K_ND:
        *b = c->ans_mask & 1;
        break;
    default:
        break;
    }
}

static bool acks_resp(const struct conn *c)
{
    return c->kind == K_TCP || c->kind == K_QUIC;
}

/* Plans how many packets each direction sends (fills left); returns their sum. */
static uint64_t plan_total(struct conn *c)
{
    uint32_t n0 = 0, n1 = 0, a, b;
    if (c->hs == HS_FULL) {
        n0 = 2; /* SYN, ACK */
        n1 = 1; /* SYN-ACK */
    } else if (c->hs == HS_REFUSED) {
        n0 = n1 = 1;
    } else if (c->hs == HS_SILENT) {
        n0 = c->syn_n;
    }
    if (c->hs == HS_NONE || c->hs == HS_FULL) {
        for (uint32_t r = 0; r < c->rounds; r++) {
            round_shape(c, r, &a, &b);
            n0 += a + (acks_resp(c) ? (b + 1) / 2 : 0);     /* client acks every 2nd and the last */
            n1 += b + (c->kind == K_TCP ? (a - 1) / 2 : 0); /* server acks every 2nd but the last */
        }
    }
    n0 += c->close == CL_FIN_C ? 2 : c->close == CL_FIN_S || c->close == CL_RST_C ? 1 : 0;
    n1 += c->close == CL_FIN_S ? 2 : c->close == CL_FIN_C || c->close == CL_RST_S ? 1 : 0;
    c->sd[0].left = n0;
    c->sd[1].left = n1;
    return (uint64_t)n0 + n1;
}

#endif
