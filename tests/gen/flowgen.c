/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowgen: writes a synthetic Ethernet capture (classic pcap, microsecond
 * timestamps) and the ground truth of its flows, deterministic from a seed.
 *
 * The capture is streamed: a pool of concurrent "connections" (a TCP
 * connection, a DNS exchange, a ping session ...) sits in a heap ordered by
 * the virtual time of each one's next packet; the earliest emits one packet
 * and is rescheduled, a finished one is replaced by a new one. Each
 * connection is planned when it starts, so the number of packets each of its
 * two directions will send is known in advance: that gives an exact total
 * (-n) and lets a flow's truth line be written when its last packet leaves.
 * Virtual time is mapped onto the capture's time span (-t, -d) by a
 * piecewise-linear clock that is re-aimed every few thousand packets.
 *
 * A flow is one direction of one connection. Keys never repeat: a client's
 * ports come from a per-host bijective sequence, ICMP peers from a per-host
 * bijective walk through the remote address space (docs/flowgen.md).
 * Formats: pcap (https://wiki.wireshark.org/Development/LibpcapFileFormat),
 * IPv4 RFC 791, IPv6 RFC 8200, TCP RFC 9293, UDP RFC 768, ICMP RFC 792,
 * ICMPv6 RFC 4443, ND RFC 4861, DNS RFC 1035/6891, NTP RFC 5905,
 * QUIC RFC 9000 §17, ESP-in-UDP RFC 3948, syslog RFC 3164, 802.1Q.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/gen/flowgen_model.h"
#include "tests/gen/flowgen_wire.h"

/* ---- the conversation ---- */

static void begin_round(struct gen *g, struct conn *c)
{
    static const uint16_t sz[][4] = {/* request lo, hi; response lo, hi (0: the MSS) */
                                     [PR_WEB] = {200, 900, 100, 0},
                                     [PR_LONG] = {40, 300, 40, 600},
                                     [PR_INTER] = {36, 120, 36, 600},
                                     [PR_MAIL] = {10, 80, 20, 200},
                                     [PR_BULK] = {40, 120, 100, 0}};
    round_shape(c, c->r, &c->a, &c->b);
    for (int d = 0; c->kind == K_TCP && d < 2; d++) {
        uint32_t n = d ? c->b : c->a, lo = n > 1 ? 36 : sz[c->prof][2 * d],
                 hi = n > 1 ? 0 : sz[c->prof][2 * d + 1];
        c->last_len[d] = (uint16_t)rng_range(&g->rng, lo, hi ? hi : c->mss);
    }
    c->phase = PH_REQ;
    c->i = 0;
}

/* After the last packet of a round: the next round, the close, or the end. Returns the gap. */
static uint64_t end_round(struct gen *g, struct conn *c)
{
    if (++c->r < c->rounds) {
        begin_round(g, c);
        return rng_exp(&g->rng, c->think);
    }
    if (c->close != CL_NONE) {
        c->phase = PH_CLOSE1;
        return rng_exp(&g->rng, c->close_wait);
    }
    c->phase = PH_DONE;
    return 0;
}

/*
 * Emits the connection's next packet and schedules the one after. The order
 * of packets here must match plan_total() exactly. Returns false when done.
 */
static bool conn_step(struct gen *g, struct conn *c)
{
    struct rng *r = &g->rng;
    uint64_t gap = rng_range(r, 12000, 150000);            /* back to back: 12-150 us */
    int cd = c->close == CL_FIN_S || c->close == CL_RST_S; /* the side that closes */

    switch (c->phase) {
    case PH_SYN:
        send_tcp(g, c, 0, TH_SYN, 0);
        if (c->hs != HS_SILENT) {
            c->phase = PH_SYNACK;
            gap = c->rtt;
        } else if (++c->i < c->syn_n) {
            c->sd[0].seq--; /* a retransmission keeps its sequence number */
            gap = NS_S << (c->i - 1);
        } else {
            c->phase = PH_DONE;
        }
        break;
    case PH_SYNACK:
        if (c->hs == HS_REFUSED) {
            send_tcp(g, c, 1, TH_RST | TH_ACK, 0);
            c->phase = PH_DONE;
            break;
        }
        send_tcp(g, c, 1, TH_SYN | TH_ACK, 0);
        c->phase = PH_HSACK;
        break;
    case PH_HSACK:
        send_tcp(g, c, 0, TH_ACK, 0);
        begin_round(g, c);
        break;
    case PH_REQ:
        if (c->ack_due) {
            send_ack(g, c, 1);
            c->ack_due = 0;
        } else {
            send_data(g, c, 0, c->i, c->a);
            c->i++;
            c->ack_due = c->kind == K_TCP && c->i % 2 == 0 && c->i < c->a;
        }
        if (!c->ack_due && c->i == c->a) {
            if (c->b) {
                c->phase = PH_RESP;
                c->i = 0;
                gap = c->rtt + rng_exp(r, c->srv);
            } else {
                gap = end_round(g, c);
            }
        }
        break;
    case PH_RESP:
        if (c->ack_due) {
            send_ack(g, c, 0);
            c->ack_due = 0;
        } else {
            send_data(g, c, 1, c->i, c->b);
            c->i++;
            c->ack_due = acks_resp(c) && (c->i % 2 == 0 || c->i == c->b);
        }
        if (!c->ack_due && c->i == c->b)
            gap = end_round(g, c);
        break;
    case PH_CLOSE1:
        if (c->close == CL_RST_C || c->close == CL_RST_S) {
            send_tcp(g, c, cd, TH_RST | TH_ACK, 0);
            c->phase = PH_DONE;
            break;
        }
        send_tcp(g, c, cd, TH_FIN | TH_ACK, 0);
        c->phase = PH_CLOSE2;
        gap = c->rtt;
        break;
    case PH_CLOSE2:
        send_tcp(g, c, !cd, TH_FIN | TH_ACK, 0);
        c->phase = PH_CLOSE3;
        break;
    default:
        send_tcp(g, c, cd, TH_ACK, 0);
        c->phase = PH_DONE;
        break;
    }
    c->vt += gap ? gap : 1;
    return c->phase != PH_DONE;
}

/* ---- planning a new connection ---- */

static void tcp_plan(struct gen *g, struct conn *c, const struct svc *s)
{
    struct rng *r = &g->rng;
    unsigned u = rng_below(r, 100);
    c->kind = K_TCP;
    c->prof = s->prof;
    c->sd[0].seq = (uint32_t)rng_next(r);
    c->sd[1].seq = (uint32_t)rng_next(r);
    c->hs = u < 90 ? HS_FULL : u < 96 ? HS_REFUSED : HS_SILENT;
    if (c->hs == HS_REFUSED) {
        c->sd[1].seq = 0; /* a RST answering a SYN has sequence 0 */
        return;
    }
    if (c->hs == HS_SILENT) {
        c->syn_n = rng_range(r, 1, 3);
        return;
    }
    u = rng_below(r, 100);
    c->http = s->port == 80 || s->port == 8080;
    c->tls = s->port == 443 || s->port == 853 || s->port == 993 || s->port == 995 || s->port == 636;
    c->close = u < 60 ? CL_FIN_C : u < 85 ? CL_FIN_S : u < 95 ? CL_RST_C : CL_RST_S;
    switch (c->prof) {
    case PR_WEB:
        c->rounds = 1;
        while (c->rounds < 20 && rng_pct(r, 25))
            c->rounds++;
        c->think = 400 * NS_MS, c->close_wait = 3 * NS_S, c->srv = 8 * NS_MS;
        break;
    case PR_LONG:
        c->rounds = rng_range(r, 10, 80);
        c->think = 20 * NS_S, c->close_wait = NS_S, c->srv = 2 * NS_MS;
        break;
    case PR_INTER:
        c->rounds = rng_range(r, 5, 60), c->think = 2 * NS_S;
        c->close_wait = 500 * NS_MS, c->srv = NS_MS;
        break;
    case PR_MAIL:
        c->rounds = rng_range(r, 3, 12);
        c->think = 100 * NS_MS, c->close_wait = 50 * NS_MS, c->srv = 20 * NS_MS;
        break;
    default:
        c->rounds = rng_range(r, 1, 6);
        c->think = 200 * NS_MS, c->close_wait = 2 * NS_S, c->srv = 2 * NS_MS;
        break;
    }
}

static void dns_plan(struct gen *g, struct conn *c, bool txt, uint64_t budget)
{
    struct rng *r = &g->rng;
    c->kind = K_DNS;
    c->frags = 1;
    c->rounds = budget >= 16 && rng_pct(r, 35) ? 2 : 1; /* A then AAAA from one socket */
    for (uint32_t k = 0; k < c->rounds; k++)
        c->ans_mask |= (uint8_t)((budget >= 2 && rng_below(r, 100) < 97) << k);
    if (txt && budget >= 16 && rng_pct(r, 4)) {
        size_t n;
        c->rounds = 1;
        c->ans_mask = 1;
        c->ntxt = (uint8_t)rng_range(r, 6, 18);
        n = 8 + dns_msg(c, 0, true, g->scratch);
        c->frags = (uint8_t)(20 + n > 1500 ? (n + 1479) / 1480 : 1);
    }
    c->think = NS_MS;
    c->srv = 15 * NS_MS;
}

/* A resolver, NTP server, collector: one of a few hosts at the unpopular end of a population. */
static uint32_t service_host(const struct pop *p, uint32_t from, uint32_t span, struct rng *r)
{
    uint32_t k = from + rng_below(r, span);
    return p->perm[p->n - 1 - (k < p->n ? k : p->n - 1)];
}

/* A local host with ICMP peers left (each one once per capture keeps ICMP keys unique). */
static bool icmp_host(struct gen *g, uint32_t *h)
{
    *h = zipf_draw(&g->rng, &g->loc);
    return g->loc.icmp[*h] < PEERS4;
}

static void conn_plan(struct gen *g, struct conn *c, unsigned p, uint64_t budget)
{
    struct rng *r = &g->rng;
    struct pop *L = &g->loc, *R = &g->rem;
    const struct svc *s;
    uint8_t icmp = c->family == FSN_FAMILY_IPV4 ? FSN_PROTO_ICMP : FSN_PROTO_ICMPV6;
    bool v4 = c->family == FSN_FAMILY_IPV4;
    uint32_t cl = 0, sv, k;
    uint16_t sport;

    if ((p == P_TCP_LOCAL || p == P_DNS_LOCAL || p == P_ND) && L->n < 2)
        p = P_DNS_OUT;
    if ((p == P_TRACE_OUT || p == P_TRACE_IN || p == P_PING_OUT || p == P_PING_IN) &&
        !icmp_host(g, &cl))
        p = P_DNS_OUT;
    if (p == P_ND) {
        cl = zipf_draw(r, L);
        if (L->nd[cl] >= L->n - 1)
            p = P_DNS_OUT;
    }
    c->rtt = (uint64_t)((5 + 145 * pow(rng_unit(r), 2)) * (double)NS_MS);
    c->mss = v4 ? 1460 : 1440;
    c->srv = 100000;
    switch (p) {
    case P_TCP_OUT:
    case P_TCP_IN:
    case P_TCP_LOCAL:
        if (p == P_TCP_IN) {
            cl = take_client(g, R);
            end_remote(g, c, 0, cl);
            end_local(g, c, 1, zipf_draw(r, L));
            s = pick_svc(r, svc_in);
            set_ports(c, FSN_PROTO_TCP, client_port(g, R, cl), s->port);
        } else {
            cl = take_client(g, L);
            end_local(g, c, 0, cl);
            if (p == P_TCP_OUT) {
                end_remote(g, c, 1, zipf_draw(r, R));
                s = pick_svc(r, svc_out);
            } else {
                sv = zipf_draw(r, L);
                end_local(g, c, 1, sv == cl ? (sv + 1) % L->n : sv);
                s = pick_svc(r, svc_local);
                c->rtt = rng_range(r, 150, 900) * 1000ull;
            }
            set_ports(c, FSN_PROTO_TCP, client_port(g, L, cl), s->port);
        }
        tcp_plan(g, c, s);
        return;
    case P_DNS_IN:
        cl = take_client(g, R);
        end_remote(g, c, 0, cl);
        end_local(g, c, 1, service_host(L, 0, 1, r));
        set_ports(c, FSN_PROTO_UDP, client_port(g, R, cl), 53);
        dns_plan(g, c, false, budget);
        return;
    case P_DNS_LOCAL:
        cl = take_client(g, L);
        end_local(g, c, 0, cl);
        sv = service_host(L, 0, 1, r);
        end_local(g, c, 1, sv == cl ? service_host(L, 1, 1, r) : sv);
        set_ports(c, FSN_PROTO_UDP, client_port(g, L, cl), 53);
        c->rtt = rng_range(r, 150, 900) * 1000ull;
        dns_plan(g, c, false, budget);
        return;
    case P_ND:
        k = L->nd[cl]++;
        c->kind = K_ND;
        c->rounds = 1;
        c->ans_mask = rng_pct(r, 90);
        end_local(g, c, 0, cl);
        end_local(g, c, 1, (cl + 1 + k) % L->n);
        set_ports(c, icmp, 0, 0);
        set_icmp(&c->sd[0], icmp, 135, 0);
        set_icmp(&c->sd[1], icmp, 136, 0);
        memcpy(c->sd[0].dst, (const uint8_t[13]){0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff},
               13);
        c->sd[0].ttl = c->sd[1].ttl = 255;
        c->rtt = rng_range(r, 100, 500) * 1000ull;
        return;
    case P_TRACE_OUT:
    case P_TRACE_IN:
    case P_PING_OUT:
    case P_PING_IN: {
        int ld = p == P_TRACE_IN || p == P_PING_IN; /* the local side */
        k = L->icmp[cl]++;
        end_local(g, c, ld, cl);
        end_peer(c, !ld, cl, k);
        if (p == P_TRACE_OUT || p == P_TRACE_IN) {
            c->kind = K_TRACE;
            c->rounds = rng_range(r, 1, 3);
            c->think = 50 * NS_MS;
            /* Any source port keeps the key unique (the host pair is); 42000-43999 is one
               that no tshark dissector claims, so the probes stay plain UDP. Two draws in
               two statements: the order of evaluation of arguments is unspecified. */
            sport = (uint16_t)rng_range(r, 42000, 43999);
            set_ports(c, FSN_PROTO_UDP, sport, (uint16_t)rng_range(r, 33434, 33463));
            set_icmp(&c->sd[1], icmp, v4 ? 3 : 1, v4 ? 3 : 4);
        } else {
            c->kind = K_PING;
            c->rounds = rng_range(r, 1, 8);
            c->think = NS_S;
            c->lossy = rng_pct(r, 10);
            c->ans_mask = rng_pct(r, 95);
            set_ports(c, icmp, 0, 0);
            set_icmp(&c->sd[0], icmp, v4 ? 8 : 128, 0);
            set_icmp(&c->sd[1], icmp, v4 ? 0 : 129, 0);
        }
        return;
    }
    default:
        break;
    }
    /* The remaining ones: a local client talking UDP. */
    cl = take_client(g, L);
    end_local(g, c, 0, cl);
    if (p == P_DNS_OUT) {
        end_remote(g, c, 1, service_host(R, 0, 3, r));
        set_ports(c, FSN_PROTO_UDP, client_port(g, L, cl), 53);
        dns_plan(g, c, v4, budget);
    } else if (p == P_NTP) {
        end_remote(g, c, 1, service_host(R, 3, 4, r));
        set_ports(c, FSN_PROTO_UDP, client_port(g, L, cl), 123);
        c->kind = K_NTP;
        c->rounds = rng_range(r, 1, 4);
        c->think = 64 * NS_S;
    } else if (p == P_QUIC) {
        end_remote(g, c, 1, zipf_draw(r, R));
        set_ports(c, FSN_PROTO_UDP, client_port(g, L, cl), 443);
        c->kind = K_QUIC;
        c->rounds = 3;
        while (c->rounds < 20 && rng_pct(r, 30))
            c->rounds++;
        c->think = 300 * NS_MS;
        c->srv = 5 * NS_MS;
    } else if (p == P_ESP) {
        end_remote(g, c, 1, zipf_draw(r, R));
        set_ports(c, FSN_PROTO_UDP, client_port(g, L, cl), 4500);
        c->kind = K_ESP;
        c->rounds = rng_range(r, 3, 30);
        c->think = NS_S;
    } else {
        sv = service_host(L, 1, 1, r);
        if (rng_pct(r, 50))
            end_remote(g, c, 1, service_host(R, 7, 1, r));
        else
            end_local(g, c, 1, sv == cl ? service_host(L, 0, 1, r) : sv);
        set_ports(c, FSN_PROTO_UDP, client_port(g, L, cl), 514);
        c->kind = K_SYSLOG;
        c->rounds = rng_range(r, 1, 10);
        c->think = 2 * NS_S;
    }
}

/* Starts connection c at virtual time vt, within what is left of the packet budget. */
static void conn_start(struct gen *g, struct conn *c, uint64_t vt)
{
    struct rng *r = &g->rng;
    uint64_t budget = g->o.packets - g->committed, total;
    const uint16_t *w;
    unsigned p = 0, sum = 0, u;

    memset(c, 0, sizeof *c);
    c->id = g->next_id++;
    c->seed = rng_next(r);
    c->vt = vt;
    c->family =
        g->o.c6 && (!g->o.c4 || rng_below(r, 1000) < 100) ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
    w = c->family == FSN_FAMILY_IPV4 ? weight4 : weight6;
    for (unsigned k = 0; k < P_COUNT; k++)
        sum += w[k];
    for (u = rng_below(r, sum); u >= w[p]; p++)
        u -= w[p];
    conn_plan(g, c, budget < 16 ? P_DNS_OUT : p, budget);
    total = plan_total(c);
    while (total > budget && c->rounds > 1) {
        c->rounds /= 2;
        total = plan_total(c);
    }
    if (total > budget) { /* near the end of the budget: a one- or two-packet DNS exchange */
        uint64_t id = c->id, seed = c->seed;
        uint8_t fam = c->family;
        memset(c, 0, sizeof *c);
        c->id = id, c->seed = seed, c->vt = vt, c->family = fam;
        conn_plan(g, c, P_DNS_OUT, budget < 16 ? budget : 2);
        total = plan_total(c);
    }
    g->committed += total;
    if (c->hs != HS_NONE)
        c->phase = PH_SYN;
    else
        begin_round(g, c);
}

/*
 * The heap of connections, ordered by next packet time, then slot. Entries
 * carry their time, so that sifting does not touch the connections.
 */
static bool before(const struct hent *x, const struct hent *y)
{
    return x->vt < y->vt || (x->vt == y->vt && x->slot < y->slot);
}

static void heap_down(struct gen *g, uint32_t i)
{
    struct hent *h = g->heap, t;
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < g->nheap && before(&h[l], &h[m]))
            m = l;
        if (l + 1 < g->nheap && before(&h[l + 1], &h[m]))
            m = l + 1;
        if (m == i)
            return;
        t = h[i], h[i] = h[m], h[m] = t;
        i = m;
    }
}

static void heap_up(struct gen *g, uint32_t i)
{
    struct hent *h = g->heap, t;
    while (i > 0 && before(&h[i], &h[(i - 1) / 2])) {
        uint32_t p = (i - 1) / 2;
        t = h[i], h[i] = h[p], h[p] = t;
        i = p;
    }
}

/*
 * Maps virtual time onto the capture's span, so that packet k lands near
 * k/N of it: piecewise linear, with the slope re-aimed at each checkpoint
 * from a smoothed virtual time per packet, corrected for the drift so far.
 * A segment that still runs ahead (a lull in virtual time) is slowed at a cap.
 */
static void clock_at(struct gen *g, uint64_t vt)
{
    double real, per_pkt = 0.98 * g->span_us / (double)g->o.packets; /* 2% headroom at the end */
    uint64_t us;
    if (g->emitted >= g->ck_next) {
        real = g->emitted ? (double)(g->last_us - g->o.start * 1000000) : 0;
        if (g->emitted && vt > g->ck_vt) {
            double vpp = (double)(vt - g->ck_vt) / (double)g->ck_len;
            double err = real - per_pkt * (double)g->emitted; /* > 0: ahead of plan */
            double f;
            g->ck_len = g->ck_len < g->ck_max ? 2 * g->ck_len : g->ck_max;
            g->vpp = g->vpp > 0 ? 0.7 * g->vpp + 0.3 * vpp : vpp;
            f = 1 - err / (4 * per_pkt * (double)g->ck_len);
            f = f < 0.1 ? 0.1 : f > 4 ? 4 : f;
            g->scale = per_pkt / g->vpp * f;
        }
        g->seg_real = real;
        g->seg_vt = g->ck_vt = vt;
        g->ck_next = g->emitted + g->ck_len;
        g->ck_cap = per_pkt * (double)(g->ck_next + g->ck_len);
    }
    real = g->seg_real + (double)(vt - g->seg_vt) * g->scale;
    if (real > g->ck_cap) /* past the cap time slows down 64-fold, up to one more segment */
        real = fmin(g->ck_cap + (real - g->ck_cap) / 64, g->ck_cap + per_pkt * (double)g->ck_len);
    if (real > g->span_us - 1)
        real = g->span_us - 1;
    us = g->o.start * 1000000 + (uint64_t)real;
    g->now_us = g->last_us = us > g->last_us ? us : g->last_us;
}

/* ---- options, output, main ---- */

static double elapsed(const struct gen *g)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - g->t0.tv_sec) + (double)(t.tv_nsec - g->t0.tv_nsec) / 1e9;
}

static void progress(struct gen *g, bool last)
{
    double t = elapsed(g);
    static double shown;
    if (!last && t - shown < 0.5)
        return;
    shown = t;
    fprintf(stderr, "\rflowgen: %llu/%llu packets (%.0f%%) %.2f M packets/s%s",
            (unsigned long long)g->emitted, (unsigned long long)g->o.packets,
            100.0 * (double)g->emitted / (double)g->o.packets,
            t > 0 ? (double)g->emitted / t / 1e6 : 0.0, last ? "\n" : "");
}

/* Totals: "key value" lines for -G (sep ' ', end "\n"), " key=value" pairs in the truth file. */
static void write_totals(FILE *f, const struct gen *g, char sep, const char *lead, const char *end)
{
    const struct {
        const char *k;
        uint64_t v;
    } t[] = {{"flows", g->flows[0] + g->flows[1]},
             {"packets", g->pkts[0] + g->pkts[1]},
             {"bytes", g->bytes[0] + g->bytes[1]},
             {"flows4", g->flows[0]},
             {"packets4", g->pkts[0]},
             {"bytes4", g->bytes[0]},
             {"flows6", g->flows[1]},
             {"packets6", g->pkts[1]},
             {"bytes6", g->bytes[1]},
             {"fragments", g->frags},
             {"vlan_packets", g->vlan_pkts},
             {"padded_frames", g->padded}};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
        fprintf(f, "%s%s%c%llu%s", lead, t[k].k, sep, (unsigned long long)t[k].v, end);
}

static int parse_net(const char *arg, struct opts *o)
{
    char a[64];
    const char *sl = strchr(arg, '/');
    char *e;
    unsigned long bits;
    struct net n;
    size_t len = sl ? (size_t)(sl - arg) : 0;
    memset(&n, 0, sizeof n);
    if (!sl || len >= sizeof a)
        return -1;
    memcpy(a, arg, len);
    a[len] = 0;
    bits = strtoul(sl + 1, &e, 10);
    if (*e || sl[1] == 0)
        return -1;
    n.bits = (unsigned)bits;
    for (unsigned k = 0; k < 16; k++) /* keep the prefix bits only */
        if (k * 8 >= bits)
            n.addr[k] = 0;
    if (inet_pton(AF_INET, a, n.addr) == 1 && bits >= 8 && bits <= 30 && o->c4 < MAXNETS) {
        for (unsigned k = (unsigned)bits; k < 32; k++)
            n.addr[k / 8] &= (uint8_t) ~(0x80u >> (k % 8));
        o->n4[o->c4++] = n;
        return 0;
    }
    if (inet_pton(AF_INET6, a, n.addr) == 1 && bits >= 16 && bits <= 64 && o->c6 < MAXNETS) {
        for (unsigned k = (unsigned)bits; k < 128; k++)
            n.addr[k / 8] &= (uint8_t) ~(0x80u >> (k % 8));
        o->n6[o->c6++] = n;
        return 0;
    }
    return -1;
}

static void usage(FILE *f)
{
    fputs(
        "usage: flowgen -o FILE.pcap [-g TRUTH.txt] [-G SUMMARY.txt] [-s SEED] [-n PACKETS]\n"
        "               [-f CONCURRENT] [-t START_UNIX] [-d DURATION_S] [-l LOCAL_NET]...\n"
        "               [-H LOCAL_HOSTS] [-R REMOTE_HOSTS] [-S SNAPLEN] [--progress] [--summary]\n"
        "Writes a synthetic Ethernet capture (pcap, '-' for stdout) and its per-flow ground "
        "truth.\n"
        "Defaults: -s 1 -n 20000 -f 500 -t 1767225600 -d 3600 -H 1000 -R 20000 -S 65535\n"
        "          -l 10.1.0.0/16 -l 2001:db8:1::/48 (local); remote: 198.18.0.0/15, "
        "2001:db8:ff00::/40\n",
        f);
}

static uint64_t num(const char *s, uint64_t lo, uint64_t hi, const char *what)
{
    char *e;
    unsigned long long v = strtoull(s, &e, 0);
    if (*s == 0 || *e || *s == '-' || v < lo || v > hi) {
        fprintf(stderr, "flowgen: bad %s '%s' (%llu..%llu)\n", what, s, (unsigned long long)lo,
                (unsigned long long)hi);
        exit(2);
    }
    return v;
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
    static const struct option lo[] = {{"progress", no_argument, NULL, 'P'},
                                       {"summary", no_argument, NULL, 'U'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    bool nets = false;
    int ch;
    *o = (struct opts){.seed = 1,
                       .packets = 20000,
                       .start = 1767225600,
                       .duration = 3600,
                       .nloc = 1000,
                       .nrem = 20000,
                       .snaplen = 65535};
    while ((ch = getopt_long(argc, argv, "o:g:G:s:n:f:t:d:l:H:R:S:h", lo, NULL)) != -1) {
        switch (ch) {
        case 'o':
            o->out = optarg;
            break;
        case 'g':
            o->truth = optarg;
            break;
        case 'G':
            o->sumfile = optarg;
            break;
        case 's':
            o->seed = num(optarg, 0, UINT64_MAX, "seed");
            break;
        case 'n':
            o->packets = num(optarg, 1, 4000000000ull, "packet count");
            break;
        case 'f':
            o->conc = (uint32_t)num(optarg, 1, 1u << 22, "concurrency");
            break;
        case 't':
            o->start = num(optarg, 0, 4000000000ull, "start time");
            break;
        case 'd':
            o->duration = num(optarg, 1, 100u * 365 * 86400, "duration");
            break;
        case 'H':
            o->nloc = (uint32_t)num(optarg, 1, 1u << 20, "local host count");
            break;
        case 'R':
            o->nrem = (uint32_t)num(optarg, 8, PEERS4, "remote host count");
            break;
        case 'S':
            o->snaplen = (uint32_t)num(optarg, 64, 262144, "snap length");
            break;
        case 'P':
            o->progress = true;
            break;
        case 'U':
            o->summary = true;
            break;
        case 'l':
            if (!nets)
                o->c4 = o->c6 = 0;
            nets = true;
            if (parse_net(optarg, o) < 0) {
                fprintf(stderr, "flowgen: bad local network '%s' (IPv4 /8-/30, IPv6 /16-/64)\n",
                        optarg);
                exit(2);
            }
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            exit(2);
        }
    }
    if (!o->out || optind != argc) {
        usage(stderr);
        exit(2);
    }
    if (!o->conc)
        o->conc = o->packets / 100 < 16     ? 16
                  : o->packets / 100 > 5000 ? 5000
                                            : (uint32_t)(o->packets / 100);
    if (!nets) {
        parse_net("10.1.0.0/16", o);
        parse_net("2001:db8:1::/48", o);
    }
    if (o->c4) { /* every IPv4 local net must hold its share of the hosts */
        uint64_t cap = UINT32_MAX;
        for (unsigned k = 0; k < o->c4; k++)
            if ((1ull << (32 - o->n4[k].bits)) - 2 < cap)
                cap = (1ull << (32 - o->n4[k].bits)) - 2;
        if (o->nloc > cap * o->c4) {
            fprintf(stderr, "flowgen: local networks hold %llu hosts; using -H %llu\n",
                    (unsigned long long)(cap * o->c4), (unsigned long long)(cap * o->c4));
            o->nloc = (uint32_t)(cap * o->c4);
        }
    }
}

static FILE *open_out(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "flowgen: %s: ", path);
        perror(NULL);
        exit(1);
    }
    return f;
}

static int close_out(FILE *f, const char *path)
{
    if (!f)
        return 0;
    if (ferror(f) | (f == stdout ? fflush(f) : fclose(f))) {
        fprintf(stderr, "flowgen: writing %s failed\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct gen *g = calloc(1, sizeof *g);
    uint8_t hdr[24];
    uint64_t seed;
    int ret = 0;
    if (!g)
        return 1;
    parse_opts(&g->o, argc, argv);
    clock_gettime(CLOCK_MONOTONIC, &g->t0);
    eph_init(g);
    seed = g->o.seed;
    for (int k = 0; k < 4; k++)
        g->rng.s[k] = splitmix64(&seed);
    g->conns = calloc(g->o.conc, sizeof *g->conns);
    g->heap = calloc(g->o.conc, sizeof *g->heap);
    g->out = malloc(OUT_CAP);
    g->pool = malloc(POOL_SIZE);
    g->pref = malloc((POOL_SIZE / 2 + 1) * sizeof *g->pref);
    if (!g->conns || !g->heap || !g->out || !g->pool || !g->pref ||
        pop_init(&g->loc, g->o.nloc, 0.9, &g->rng) < 0 ||
        pop_init(&g->rem, g->o.nrem, 1.2, &g->rng) < 0) {
        fputs("flowgen: out of memory\n", stderr);
        return 1;
    }
    for (size_t k = 0; k < POOL_SIZE; k += 8) { /* random payload bytes and their prefix sums */
        uint64_t v = rng_next(&g->rng);
        for (int b = 0; b < 8; b++)
            g->pool[k + (size_t)b] = (uint8_t)(v >> (8 * b));
    }
    g->pref[0] = 0;
    for (size_t k = 0; k < POOL_SIZE / 2; k++)
        g->pref[k + 1] = g->pref[k] + ((uint32_t)g->pool[2 * k] << 8 | g->pool[2 * k + 1]);

    g->pf = open_out(g->o.out);
    if (g->o.truth) {
        g->tf = open_out(g->o.truth);
        fprintf(
            g->tf,
            "# flowgen seed=%llu packets=%llu concurrent=%u start=%llu duration=%llu\n"
            "# family src dst sport dport proto vlan packets bytes first_ms last_ms tcp_flags\n",
            (unsigned long long)g->o.seed, (unsigned long long)g->o.packets, g->o.conc,
            (unsigned long long)g->o.start, (unsigned long long)g->o.duration);
    }
    put32le(hdr, 0xa1b2c3d4); /* microsecond pcap, version 2.4, little-endian */
    put32le(hdr + 4, 2 | 4u << 16);
    put32le(hdr + 8, 0);
    put32le(hdr + 12, 0);
    put32le(hdr + 16, g->o.snaplen);
    put32le(hdr + 20, 1); /* LINKTYPE_ETHERNET */
    memcpy(g->out, hdr, 24);
    g->out_len = 24;
    g->show_progress = g->o.progress || (isatty(2) && g->o.packets >= 1000000);

    /* Virtual packet gaps average ~30 ms per connection: a first guess the clock then corrects. */
    g->span_us = (double)g->o.duration * 1e6;
    g->scale = g->span_us / (double)g->o.packets * g->o.conc / 30e6;
    g->ck_len = 32;
    g->ck_max = g->o.packets / 256 < 32     ? 32
                : g->o.packets / 256 > 4096 ? 4096
                                            : g->o.packets / 256;
    for (uint32_t k = 0; k < g->o.conc && g->committed < g->o.packets; k++) {
        conn_start(g, &g->conns[k], rng_below(&g->rng, 2000000000u));
        g->heap[g->nheap] = (struct hent){g->conns[k].vt, k};
        heap_up(g, g->nheap++);
    }
    while (g->nheap) {
        struct conn *c = &g->conns[g->heap[0].slot];
        clock_at(g, c->vt);
        if (!conn_step(g, c)) {
            if (g->committed < g->o.packets)
                conn_start(g, c, c->vt + rng_exp(&g->rng, NS_MS));
            else
                g->heap[0] = g->heap[--g->nheap];
        }
        if (g->nheap && g->heap[0].slot == (uint32_t)(c - g->conns))
            g->heap[0].vt = c->vt;
        heap_down(g, 0);
        /* The connection after next is one of the root's children: fetch them early
           (with a big pool, waiting for connection state from memory dominates). */
        for (uint32_t k = 1; k <= 2 && k < g->nheap; k++) {
            const char *n = (const char *)&g->conns[g->heap[k].slot];
            for (size_t b = 0; b < sizeof(struct conn); b += 64)
                __builtin_prefetch(n + b);
        }
        if ((++g->emitted & 0xffff) == 0 && g->show_progress)
            progress(g, false);
    }
    flush_out(g);
    if (g->show_progress)
        progress(g, true);
    if (g->tf) {
        fputs("# totals", g->tf);
        write_totals(g->tf, g, '=', " ", "");
        fputc('\n', g->tf);
    }
    ret |= close_out(g->pf, g->o.out);
    ret |= close_out(g->tf, g->o.truth);
    if (g->o.sumfile) {
        FILE *f = open_out(g->o.sumfile);
        write_totals(f, g, ' ', "", "\n");
        ret |= close_out(f, g->o.sumfile);
    }
    if (g->o.summary) {
        double t = elapsed(g), all = (double)(g->pkts[0] + g->pkts[1]);
        fprintf(stderr,
                "flowgen: %llu packets, %llu flows (%llu IPv4, %llu IPv6), %llu IP bytes\n"
                "flowgen: IPv6 %.1f%% of packets, VLAN-tagged %.1f%%, %llu IPv4 fragments, %llu "
                "padded\n"
                "flowgen: %.3f s, %.2f M packets/s\n",
                (unsigned long long)all, (unsigned long long)(g->flows[0] + g->flows[1]),
                (unsigned long long)g->flows[0], (unsigned long long)g->flows[1],
                (unsigned long long)(g->bytes[0] + g->bytes[1]), 100.0 * (double)g->pkts[1] / all,
                100.0 * (double)g->vlan_pkts / all, (unsigned long long)g->frags,
                (unsigned long long)g->padded, t, all / t / 1e6);
    }
    pop_free(&g->loc);
    pop_free(&g->rem);
    free(g->conns), free(g->heap), free(g->out), free(g->pool), free(g->pref), free(g);
    return ret;
}
