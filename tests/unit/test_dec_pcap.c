/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/dec against the real captures of /work/shared/data (MANIFEST.md):
 * every NetFlow/IPFIX datagram is fed, in capture-time order, to one
 * session per (exporter address, version, domain), as the collector will.
 * Records, packets and octets per exporter are compared with tshark's
 * decode of the same file (an independent decoder), computed once with
 *
 *     tests/unit/dec_tshark.py FILE [-d udp.port==PORT,cflow]
 *
 * which runs `tshark -r FILE -T pdml [-d udp.port==PORT,cflow]` and adds up
 * each record's cflow.packets / cflow.octets (docs/decoding.md and the
 * script say which counter is taken when a record has several). tshark
 * shows raw counts, so the comparison is on raw counts (packets / sampling);
 * the sampling interval of each exporter's records is checked separately.
 * Where tshark cannot decode and we can, the figure comes from
 * tests/unit/dec_byhand.py (a minimal v9 walker) and the comment says so.
 * Skips when the capture directory is absent.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/dec.h"
#include "lib/error.h"
#include "tests/tap.h"
#include "tests/unit/pcap_read.h"

struct want {
    const char *exporter;
    uint8_t version;
    uint32_t domain;
    uint64_t datagrams, records, packets, octets; /* raw, forward records */
    uint64_t reverse, rpackets, roctets;          /* RFC 5103 reverse records */
    uint64_t options;                             /* options data records */
    uint32_t sampling;                            /* interval on every record */
    uint64_t malformed, notmpl, buffered;         /* our analysis, see comments */
};

struct capture {
    const char *file;
    uint16_t port;
    const struct want *want;
    size_t nwant;
    uint64_t unroutable; /* datagrams whose header cannot even be peeked */
};

#define W(...) {__VA_ARGS__}

/*
 * tshark: graylog_nf5_router.pcap -> 192.168.1.1 v5: 3 datagrams, 4 records,
 * 5 packets, 817 octets; header sampling mode 1, rate 100
 * (tshark -T fields -e cflow.samplingmode -e cflow.samplerate).
 */
static const struct want graylog_nf5[] = {
    W("192.168.1.1", 5, 0, 3, 4, 5, 817, 0, 0, 0, 0, 100, 0, 0, 0),
};

/*
 * tshark: 18 records, 20 packets, 6887 octets. tshark stops at the header's
 * record count, which this exporter sets too low (frame 1 says 1 and holds
 * two templates, an options template, options data and data), so it misses
 * template 2048 and the data after the first flowset of frame 1. By hand
 * (dec_byhand.py graylog_nf9_router.pcap frame): frame 1 set 1024 holds 1
 * record (1 packet, 235 octets), frames 7 and 9 one 2048 record each (1
 * packet, 72 and 108 octets): 21 records, 23 packets, 7302 octets, and 1
 * options record, SAMPLING_INTERVAL 0x64 = 100 (scope: interface).
 */
static const struct want graylog_nf9[] = {
    W("192.168.1.1", 9, 0, 9, 21, 23, 7302, 0, 0, 0, 1, 100, 0, 0, 0),
};

/* tshark: as below; v5 and v9 from the same address are separate sessions. */
static const struct want graylog_nprobe[] = {
    W("172.17.0.1", 5, 0, 5, 150, 11281, 15062820, 0, 0, 0, 0, 1, 0, 0, 0),
    W("172.17.0.1", 9, 104, 2, 1, 2, 110, 0, 0, 0, 1, 1, 0, 0, 0),
    W("172.17.0.5", 9, 104, 2, 1, 2, 110, 0, 0, 0, 1, 1, 0, 0, 0),
};

/* tshark -d udp.port==9990,cflow: engine type 0, id 3. */
static const struct want akv_nf5[] = {
    W("10.19.144.41", 5, 3, 1, 29, 78, 88345, 0, 0, 0, 0, 1, 0, 0, 0),
};

/*
 * tshark (file order, template first): 4 records, 4 packets, 5848 octets.
 * In capture-time order the data (frame 2) comes 62 s before its template:
 * it is kept and decoded when the template arrives (4 buffered records).
 */
static const struct want akv_tmpl_then_data[] = {
    W("192.0.2.100", 9, 0, 2, 4, 4, 5848, 0, 0, 0, 0, 1, 0, 1, 4),
};

/*
 * tshark: 10 records, 48 packets, 54592 octets, 1 options record
 * (SAMPLING_INTERVAL 100); the first flowset (template 257) comes before
 * template 257 in the same datagram and tshark leaves it undecoded. By hand
 * (dec_byhand.py ... frame --twice): 11 more records of 60 bytes, 18
 * packets, 3737 octets: 21, 66, 58329. All are decoded after the options
 * record, so all carry 1:100.
 */
static const struct want akv_same_pkt[] = {
    W("102.102.144.1", 9, 17170432, 1, 21, 66, 58329, 0, 0, 0, 1, 100, 0, 1, 11),
};

/* tshark: 4 options records (sampler 1, 1:30000); the data comes first in time. */
static const struct want akv_options[] = {
    W("192.0.2.100", 9, 0, 2, 0, 0, 0, 0, 0, 0, 4, 1, 0, 1, 0),
};

static const struct want akv_srv6[] = {
    W("10.0.0.15", 10, 65536, 2, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0),
};

/* tshark -d udp.port==4739,cflow: reverse counters listed as "(Reverse Type ...)". */
static const struct want akv_biflow[] = {
    W("127.0.0.1", 10, 1, 2, 4, 34, 24268, 2, 26, 1674, 0, 1, 0, 0, 0),
};

static const struct want akv_datalink[] = {
    W("49.49.49.49", 10, 16843264, 2, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0),
};

/* tshark -d udp.port==9991,cflow: two observation domains. */
static const struct want pmacct_ipfix[] = {
    W("138.187.0.13", 10, 851968, 3, 8, 19, 13502, 0, 0, 0, 0, 1, 0, 0, 0),
    W("138.187.0.13", 10, 917504, 3, 4, 15, 20670, 0, 0, 0, 0, 1, 0, 0, 0),
};

/* tshark -d udp.port==9991,cflow: FLOW_SAMPLER_ID in the data, but no options: 1. */
static const struct want pmacct_nf9[] = {
    W("10.10.0.33", 9, 2081, 17, 29, 33, 2394, 0, 0, 0, 0, 1, 0, 0, 0),
    W("10.10.0.33", 9, 2193, 8, 6, 74, 5200, 0, 0, 0, 0, 1, 0, 0, 0),
};

/*
 * tshark -d udp.port==9992,cflow: options record selectorId 1, samplingSize
 * 1, samplingPopulation 256; data records name selector 1: 1:256.
 */
static const struct want pmacct_v6[] = {
    W("2a02:a90:4007:700::54", 10, 0, 5, 3, 121, 10632, 0, 0, 0, 1, 256, 0, 0, 0),
};

/* tshark -d udp.port==9991,cflow (the BMP TCP session is not UDP). */
static const struct want pmacct_bmp[] = {
    W("203.0.113.91", 10, 33312, 277, 109, 58241, 10947666, 0, 0, 0, 338, 1, 0, 0, 0),
};

static const struct want fritzbox[] = {
    W("192.168.0.1", 10, 262400, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0),
};

static const struct want ls_nf5[] = {
    W("192.0.2.11", 5, 0, 12, 30, 230, 18684, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.12", 5, 0, 1, 30, 160, 40812, 0, 0, 0, 0, 1, 0, 0, 0),
};

/*
 * tshark for all but 192.0.2.18. .15 (Cisco ASA) has only BYTES_TOTAL (85,
 * cflow.permanent_octets). .24 has 6 data sets of templates 259/262 that
 * never come (tshark: undecoded). .18 (H3C): tshark throws at element 43
 * of length 2 in the first record; by hand (dec_byhand.py ...
 * 'ip.src==192.0.2.18'): 16 records of 80 bytes, 6113 packets, 8729687
 * octets. .17 and .16 send options data with an interval of 1.
 */
static const struct want ls_nf9[] = {
    W("192.0.2.14", 9, 0, 1, 7, 13, 1128, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.15", 9, 0, 2, 14, 0, 888, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.16", 9, 2177, 6, 21, 531, 208031, 0, 0, 0, 19, 1, 0, 0, 0),
    W("192.0.2.17", 9, 1, 3, 1, 3, 152, 0, 0, 0, 1, 1, 0, 0, 0),
    W("192.0.2.18", 9, 2816, 2, 16, 6113, 8729687, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.19", 9, 0, 2, 1, 4, 200, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.20", 9, 1, 2, 8, 8, 617, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.21", 9, 0, 3, 16, 114, 20418, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.22", 9, 147, 2, 1, 2, 200, 0, 0, 0, 1, 1, 0, 0, 0),
    W("192.0.2.23", 9, 0, 1, 7, 13, 1128, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.24", 9, 0, 1, 12, 74, 7598, 0, 0, 0, 0, 1, 0, 6, 0),
    W("192.0.2.25", 9, 0, 2, 4, 28, 7295, 0, 0, 0, 0, 1, 0, 0, 0),
};

/*
 * tshark: .40 (NetScaler) has one set of template 280, never defined.
 * .41 (YAF) is a biflow with octet/packetTotalCount and their reverse
 * elements (tshark: cflow.permanent_octets "(Reverse Type 85 ...)").
 */
static const struct want ls_ipfix[] = {
    W("192.0.2.39", 10, 0, 3, 12, 54, 13279, 0, 0, 0, 1, 1, 0, 0, 0),
    W("192.0.2.40", 10, 0, 2, 3, 5, 3106, 0, 0, 0, 0, 1, 0, 1, 0),
    W("192.0.2.41", 10, 0, 5, 2, 6, 304, 2, 4, 292, 1, 1, 0, 0, 0),
    W("192.0.2.42", 10, 42, 2, 26, 209, 99323, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.43", 10, 0, 3, 46, 253, 103235, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.44", 10, 0, 2, 8, 4, 388, 0, 0, 0, 0, 1, 0, 0, 0),
    W("192.0.2.45", 10, 2228226, 2, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0),
};

/*
 * MANIFEST: an invalid v5 datagram, an invalid v9 one, a template with
 * 0-length fields. .52: count 55582 (not 1..30) and a length that fits no
 * count: malformed, nothing decoded (tshark decodes 30 records of it
 * anyway). .53: the graylog exporter's datagram again: every flowset
 * length lands on the end, only the header count (2) is wrong and we do not
 * use it; tshark stops after 2 flowsets. By hand (dec_byhand.py ...
 * 'ip.src==192.0.2.53'): 1 options record (1:100), 2 records, 2 packets,
 * 96 + 98 octets. .54: tshark, 0-length fields skipped.
 */
static const struct want ls_edge[] = {
    W("192.0.2.52", 5, 67, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("192.0.2.53", 9, 0, 1, 2, 2, 194, 0, 0, 0, 1, 100, 0, 0, 0),
    W("192.0.2.54", 9, 0, 1, 10, 2, 64, 0, 0, 0, 0, 1, 0, 0, 0),
};

/* MANIFEST: 3 malformed (template records with 0 fields; their data has no template). */
static const struct want lnf9_mal1[] = {
    W("127.0.0.1", 9, 104, 3, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 0),
};

/*
 * MANIFEST: 16 malformed: each datagram ends in a flowset of length 1. The
 * options records before it (tshark: 12) are decoded.
 */
static const struct want lnf9_mal2[] = {
    W("127.0.0.1", 9, 104, 16, 0, 0, 0, 0, 0, 0, 12, 1, 16, 0, 0),
};

/*
 * The 15 libFuzzer seeds, one exporter each. Frame 3 is one byte: no
 * header (unroutable). Frame 5 is a bare 20-byte header: valid. The other
 * 13 are malformed (checked with an independent walk of the flowsets):
 * 1, 4: 1 and 3 stray bytes after the header; 2, 9, 11: 2 stray bytes
 * after empty reserved flowsets; 6, 7, 8: a flowset length past the end;
 * 10: 3 stray bytes; 12: flowset length 1; 13: an options template with
 * no fields (then data of its id: no template); 14: a template with 0
 * fields (then data: no template); 15: two templates, an options template
 * and its record (tshark: 1), then a flowset of length 0.
 */
static const struct want lnf9_fuzz[] = {
    W("203.0.113.1", 9, 8, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("203.0.113.2", 9, 1048580, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("203.0.113.4", 9, 150994944, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("203.0.113.5", 9, 655104, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0),
    W("203.0.113.6", 9, 1048580, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("203.0.113.7", 9, 1048580, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("203.0.113.8", 9, 150994944, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("203.0.113.9", 9, 917508, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("203.0.113.10", 9, 1048580, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("203.0.113.11", 9, 1114116, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("203.0.113.12", 9, 1048580, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
    W("203.0.113.13", 9, 104, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0),
    W("203.0.113.14", 9, 104, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0),
    W("203.0.113.15", 9, 104, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0),
};

#define CAP(file, port, w, unroutable) {file, port, w, sizeof w / sizeof w[0], unroutable}

static const struct capture captures[] = {
    CAP("graylog_nf5_router.pcap", 2055, graylog_nf5, 0),
    CAP("graylog_nf9_router.pcap", 2055, graylog_nf9, 0),
    CAP("graylog_nprobe_nf5_nf9.pcap", 2055, graylog_nprobe, 0),
    CAP("akvorado_nf5_29rec.pcap", 9990, akv_nf5, 0),
    CAP("akvorado_nf9_tmpl_then_data.pcap", 2055, akv_tmpl_then_data, 0),
    CAP("akvorado_nf9_tmpl_and_data_same_pkt.pcap", 2055, akv_same_pkt, 0),
    CAP("akvorado_nf9_options_sampling.pcap", 2055, akv_options, 0),
    CAP("akvorado_ipfix_srv6.pcap", 2055, akv_srv6, 0),
    CAP("akvorado_ipfix_ipfixprobe_biflow.pcap", 4739, akv_biflow, 0),
    CAP("akvorado_ipfix_datalink_varlen.pcap", 2055, akv_datalink, 0),
    CAP("pmacct_ipfix_cisco.pcap", 9991, pmacct_ipfix, 0),
    CAP("pmacct_nf9_cisco_sampling.pcap", 9991, pmacct_nf9, 0),
    CAP("pmacct_ipfix_cisco_ipv6_options.pcap", 9992, pmacct_v6, 0),
    CAP("pmacct_ipfix_bmp_srv6_mixed.pcap", 9991, pmacct_bmp, 0),
    CAP("ndpi_ipfix_fritzbox.pcap", 2055, fritzbox, 0),
    CAP("ls_nf5_vendors_dev.pcap", 2055, ls_nf5, 0),
    CAP("ls_nf9_vendors_dev.pcap", 2055, ls_nf9, 0),
    CAP("ls_ipfix_vendors_dev.pcap", 4739, ls_ipfix, 0),
    CAP("ls_edgecases_dev.pcap", 2055, ls_edge, 0),
    CAP("libnetflow9_malformed_1.pcapng", 6543, lnf9_mal1, 0),
    CAP("libnetflow9_malformed_2.pcapng", 6543, lnf9_mal2, 0),
    CAP("libnetflow9_fuzz_corpus.pcap", 2055, lnf9_fuzz, 1),
};

/* One session and what it emitted. */
struct ent {
    struct fsn_addr addr;
    uint8_t version;
    uint32_t domain;
    struct fsn_dec_session *s;
    uint64_t records, packets, octets, reverse, rpackets, roctets, buffered;
    uint32_t sampling;   /* interval of the first record */
    uint64_t mixed;      /* records with another interval, or counts not a multiple of it */
};

#define MAX_ENT 32

struct replay {
    struct ent e[MAX_ENT];
    size_t n;
    uint64_t unroutable;
    uint64_t overflow;
};

static void emit(void *arg, const struct fsn_flow *f, const struct fsn_dec_meta *m)
{
    struct ent *e = arg;
    uint32_t n = f->sampling ? f->sampling : 1;

    if (e->records + e->reverse == 0)
        e->sampling = n;
    if (n != e->sampling || f->packets % n || f->octets % n)
        e->mixed++;
    if (m->direction == FSN_DEC_REVERSE) {
        e->reverse++;
        e->rpackets += f->packets / n;
        e->roctets += f->octets / n;
    } else {
        e->records++;
        e->packets += f->packets / n;
        e->octets += f->octets / n;
    }
    if (m->buffered)
        e->buffered++;
}

struct frame {
    struct pcap_pkt pk;
    size_t index;
};

/* Capture-time order; frames with equal times keep their file order. */
static int by_time(const void *a, const void *b)
{
    const struct frame *x = a, *y = b;

    if (x->pk.ts_ms != y->pk.ts_ms)
        return x->pk.ts_ms < y->pk.ts_ms ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static struct ent *find(struct replay *rp, const struct fsn_addr *a, uint8_t v, uint32_t d)
{
    for (size_t i = 0; i < rp->n; i++)
        if (rp->e[i].version == v && rp->e[i].domain == d &&
            rp->e[i].addr.family == a->family && memcmp(rp->e[i].addr.a, a->a, 16) == 0)
            return &rp->e[i];
    return NULL;
}

/* Feeds every UDP datagram to `port`; returns -1 when the file cannot be read. */
static int replay(const char *path, uint16_t port, struct replay *rp)
{
    struct pcap_file f;
    struct pcap_pkt pk;
    struct frame *fr = NULL;
    size_t n = 0, cap = 0;
    int r;

    memset(rp, 0, sizeof *rp);
    if (pcap_open(&f, path) != 0)
        return -1;
    while ((r = pcap_next(&f, &pk)) == 1) {
        if (n == cap) {
            struct frame *g = realloc(fr, (cap = cap ? cap * 2 : 64) * sizeof *fr);
            if (!g)
                break;
            fr = g;
        }
        fr[n].pk = pk;
        fr[n].index = n;
        n++;
    }
    qsort(fr, n, sizeof *fr, by_time);
    for (size_t i = 0; i < n; i++) {
        struct udp_dgram u;
        struct ent *e;
        uint8_t v;
        uint32_t d;
        if (!pcap_udp(&fr[i].pk, &u) || u.dport != port)
            continue;
        if (fsn_dec_peek(u.payload, u.len, &v, &d) != 0) {
            rp->unroutable++;
            continue;
        }
        if (!(e = find(rp, &u.src, v, d))) {
            if (rp->n == MAX_ENT) {
                rp->overflow++;
                continue;
            }
            e = &rp->e[rp->n++];
            e->addr = u.src;
            e->version = v;
            e->domain = d;
            e->s = fsn_dec_session_new(NULL, &u.src, v, d);
        }
        fsn_dec_datagram(e->s, u.payload, u.len, fr[i].pk.ts_ms, emit, e);
    }
    free(fr);
    pcap_close(&f);
    return 0;
}

static void check_capture(const char *path, const struct capture *c)
{
    struct replay rp;

    if (replay(path, c->port, &rp) != 0) {
        ok(0, "%s: readable", c->file);
        return;
    }
    is_uint(rp.n, c->nwant, "%s: sessions", c->file);
    is_uint(rp.unroutable, c->unroutable, "%s: datagrams without a header", c->file);
    for (size_t i = 0; i < c->nwant; i++) {
        const struct want *w = &c->want[i];
        struct fsn_addr a;
        const struct ent *e;
        const struct fsn_dec_counters *k;

        memset(&a, 0, sizeof a);
        a.family = strchr(w->exporter, ':') ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
        inet_pton(a.family == FSN_FAMILY_IPV6 ? AF_INET6 : AF_INET, w->exporter, a.a);
        if (!(e = find(&rp, &a, w->version, w->domain))) {
            ok(0, "%s: %s v%u domain %u seen", c->file, w->exporter, w->version, w->domain);
            continue;
        }
        k = fsn_dec_counters(e->s);
#define ONE(got, want, what)                                                                \
    is_uint(got, want, "%s: %s v%u/%u " what, c->file, w->exporter, w->version, w->domain)
        ONE(k->datagrams, w->datagrams, "datagrams");
        ONE(e->records, w->records, "records");
        ONE(k->records, w->records, "records counted");
        ONE(e->packets, w->packets, "packets (raw)");
        ONE(e->octets, w->octets, "octets (raw)");
        ONE(e->reverse, w->reverse, "reverse records");
        ONE(e->rpackets, w->rpackets, "reverse packets (raw)");
        ONE(e->roctets, w->roctets, "reverse octets (raw)");
        ONE(k->options_records, w->options, "options records");
        if (e->records)
            ONE(e->sampling, w->sampling, "sampling interval");
        ONE(e->mixed, 0, "records with another interval");
        ONE(k->malformed, w->malformed, "malformed");
        ONE(k->notmpl_sets, w->notmpl, "sets without template");
        ONE(e->buffered, w->buffered, "records decoded from buffered data");
#undef ONE
    }
    for (size_t i = 0; i < rp.n; i++)
        fsn_dec_session_free(rp.e[i].s);
}

int main(void)
{
    const char *root = getenv("FSN_ROOT");
    const char *shared = getenv("FSN_SHARED");
    char dir[1024];
    struct stat st;

    if (shared)
        snprintf(dir, sizeof dir, "%s/data", shared);
    else
        snprintf(dir, sizeof dir, "%s/../shared/data", root ? root : ".");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("1..0 # SKIP capture directory %s is absent\n", dir);
        return 0;
    }
    for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++) {
        char path[1100];
        snprintf(path, sizeof path, "%s/%s", dir, captures[i].file);
        if (stat(path, &st) != 0) {
            diag("skip %s: absent", captures[i].file);
            continue;
        }
        check_capture(path, &captures[i]);
    }
    return tap_done();
}
