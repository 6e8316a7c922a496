/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowfilegen: writes a flow file (lib/flowfile) for tests and benchmarks.
 *
 *   flowfilegen -o FILE [options] [SPEC]      records from a text spec (or stdin)
 *   flowfilegen -o FILE -r SEED -n COUNT      random records, printed as a spec
 *
 * A spec line is
 *   START_MS END_MS PROTO SRC SPORT DST DPORT PACKETS BYTES EXPORTER [KEY=VALUE...]
 * with optional keys domain, version, flags, tos, vlan, in, out, srcas,
 * dstas, sampling, nexthop, smask, dmask, reason. '#' starts a comment.
 * Random mode prints the records it wrote in exactly this form (ground truth
 * for tests, which compute expected results from it with awk), unless -q.
 *
 * Options: -b BYTES block payload size; -i START_MS,END_MS the header's
 * interval; -T leave out the trailer (a writer that crashed); -B FILE write
 * the block map ("block INDEX OFFSET LENGTH RECORDS FIRST_INDEX" per line);
 * -H N hosts in random mode (default 1000); -6 PCT percent IPv6 (default 20).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/flowfile.h"

struct gen {
    FILE *out;
    FILE *map;
    struct fsn_ff_builder *b;
    uint64_t offset;
    uint64_t index;
    uint64_t nblocks;
};

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "flowfilegen: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void put(struct gen *g, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, g->out) != n)
        die("write: %s", strerror(errno));
    g->offset += n;
}

static void flush_block(struct gen *g)
{
    const uint8_t *data;
    size_t len;
    uint32_t n = fsn_ff_builder_records(g->b);

    fsn_ff_builder_finish(g->b, &data, &len);
    if (!len)
        return;
    if (g->map)
        fprintf(g->map, "block %" PRIu64 " %" PRIu64 " %zu %u %" PRIu64 "\n", g->nblocks, g->offset,
                len, n, g->index - n);
    g->nblocks++;
    put(g, data, len);
}

static void add(struct gen *g, const struct fsn_flow *f, const struct fsn_ff_exporter *x)
{
    int ret = fsn_ff_builder_add(g->b, f, x);

    if (ret == FSN_E_SPACE) {
        flush_block(g);
        ret = fsn_ff_builder_add(g->b, f, x);
    }
    if (ret != 0)
        die("add: %s", fsn_strerror(ret));
    g->index++;
}

static int parse_addr(const char *s, uint8_t *family, uint8_t *a)
{
    memset(a, 0, 16);
    if (inet_pton(AF_INET, s, a) == 1) {
        *family = FSN_FAMILY_IPV4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, a) == 1) {
        *family = FSN_FAMILY_IPV6;
        return 0;
    }
    return -1;
}

static uint64_t num(const char *s, uint64_t max, const char *what)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v > max)
        die("bad %s: %s", what, s);
    return v;
}

/* Parses one spec line; returns 0 when it holds a record, 1 for a blank line. */
static int parse_line(char *line, struct fsn_flow *f, struct fsn_ff_exporter *x)
{
    char *tok[40];
    int n = 0;
    char *save = NULL, *t;
    uint8_t fam2;

    if ((t = strchr(line, '#')))
        *t = 0;
    for (t = strtok_r(line, " \t\r\n", &save); t && n < 40; t = strtok_r(NULL, " \t\r\n", &save))
        tok[n++] = t;
    if (n == 0)
        return 1;
    if (n < 10)
        die("spec line needs 10 columns: %s", tok[0]);
    memset(f, 0, sizeof *f);
    memset(x, 0, sizeof *x);
    f->first_ms = num(tok[0], UINT64_MAX, "start");
    f->last_ms = num(tok[1], UINT64_MAX, "end");
    f->key.proto = (uint8_t)num(tok[2], 255, "proto");
    if (parse_addr(tok[3], &f->key.family, f->key.src) != 0)
        die("bad address %s", tok[3]);
    f->key.sport = (uint16_t)num(tok[4], 65535, "sport");
    if (parse_addr(tok[5], &fam2, f->key.dst) != 0 || fam2 != f->key.family)
        die("bad or mixed-family address %s", tok[5]);
    f->key.dport = (uint16_t)num(tok[6], 65535, "dport");
    f->packets = num(tok[7], UINT64_MAX, "packets");
    f->octets = num(tok[8], UINT64_MAX, "bytes");
    if (parse_addr(tok[9], &x->addr.family, x->addr.a) != 0)
        die("bad exporter %s", tok[9]);
    x->version = 10;
    f->sampling = 1;
    for (int i = 10; i < n; i++) {
        char *v = strchr(tok[i], '=');
        if (!v)
            die("expected KEY=VALUE: %s", tok[i]);
        *v++ = 0;
        if (!strcmp(tok[i], "domain"))
            x->domain = (uint32_t)num(v, UINT32_MAX, "domain");
        else if (!strcmp(tok[i], "version"))
            x->version = (uint8_t)num(v, 255, "version");
        else if (!strcmp(tok[i], "flags"))
            f->tcp_flags = (uint8_t)num(v, 255, "flags");
        else if (!strcmp(tok[i], "tos"))
            f->key.tos = (uint8_t)num(v, 255, "tos");
        else if (!strcmp(tok[i], "vlan"))
            f->key.vlan = (uint16_t)num(v, 65535, "vlan");
        else if (!strcmp(tok[i], "in"))
            f->key.in_if = (uint32_t)num(v, UINT32_MAX, "in");
        else if (!strcmp(tok[i], "out"))
            f->out_if = (uint32_t)num(v, UINT32_MAX, "out");
        else if (!strcmp(tok[i], "srcas"))
            f->src_as = (uint32_t)num(v, UINT32_MAX, "srcas");
        else if (!strcmp(tok[i], "dstas"))
            f->dst_as = (uint32_t)num(v, UINT32_MAX, "dstas");
        else if (!strcmp(tok[i], "sampling"))
            f->sampling = (uint32_t)num(v, UINT32_MAX, "sampling");
        else if (!strcmp(tok[i], "smask"))
            f->src_mask = (uint8_t)num(v, 128, "smask");
        else if (!strcmp(tok[i], "dmask"))
            f->dst_mask = (uint8_t)num(v, 128, "dmask");
        else if (!strcmp(tok[i], "reason"))
            f->end_reason = (uint8_t)num(v, 255, "reason");
        else if (!strcmp(tok[i], "nexthop")) {
            if (parse_addr(v, &fam2, f->nexthop) != 0 || fam2 != f->key.family)
                die("bad nexthop %s", v);
        } else
            die("unknown key %s", tok[i]);
    }
    return 0;
}

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static void print_addr(FILE *o, uint8_t family, const uint8_t *a)
{
    char s[INET6_ADDRSTRLEN];
    inet_ntop(family == FSN_FAMILY_IPV6 ? AF_INET6 : AF_INET, a, s, sizeof s);
    fputs(s, o);
}

/* A random record from a population of `hosts` hosts, `v6pct` percent IPv6. */
static void rnd_record(struct fsn_flow *f, struct fsn_ff_exporter *x, uint64_t base, uint64_t hosts,
                       unsigned v6pct)
{
    static const uint8_t protos[] = {6, 6, 6, 6, 17, 17, 17, 1, 58, 47};
    static const uint16_t ports[] = {80, 443, 53, 22, 25, 123, 8080, 993};
    uint64_t h1 = rnd() % hosts, h2 = rnd() % hosts;
    bool v6 = rnd() % 100 < v6pct;
    unsigned e = (unsigned)(rnd() % 3);

    memset(f, 0, sizeof *f);
    memset(x, 0, sizeof *x);
    f->key.family = v6 ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
    if (v6) {
        static const uint8_t prefix[4] = {0x20, 0x01, 0x0d, 0xb8}; /* 2001:db8::/32 */
        memcpy(f->key.src, prefix, 4);
        memcpy(f->key.dst, prefix, 4);
        for (int i = 0; i < 4; i++) {
            f->key.src[15 - i] = (uint8_t)(h1 >> (8 * i));
            f->key.dst[15 - i] = (uint8_t)(h2 >> (8 * i));
        }
        f->key.src[8] = 1;
    } else {
        f->key.src[0] = 10;
        f->key.dst[0] = 10;
        for (int i = 0; i < 3; i++) {
            f->key.src[3 - i] = (uint8_t)(h1 >> (8 * i));
            f->key.dst[3 - i] = (uint8_t)(h2 >> (8 * i));
        }
    }
    f->key.proto = protos[rnd() % sizeof protos];
    if (v6 && f->key.proto == 1)
        f->key.proto = 58;
    if (!v6 && f->key.proto == 58)
        f->key.proto = 1;
    if (f->key.proto == 6 || f->key.proto == 17) {
        f->key.sport = (uint16_t)(1024 + rnd() % 64000);
        f->key.dport = ports[rnd() % (sizeof ports / sizeof ports[0])];
        if (rnd() % 4 == 0) {
            uint16_t t = f->key.sport;
            f->key.sport = f->key.dport;
            f->key.dport = t;
        }
    } else if (f->key.proto == 1 || f->key.proto == 58) {
        f->key.dport = (uint16_t)(rnd() % 2 ? 0x0800 : 0x0303);
    }
    f->packets = 1 + rnd() % (rnd() % 8 == 0 ? 100000 : 20);
    f->octets = f->packets * (40 + rnd() % 1460);
    f->last_ms = base + rnd() % 300000;
    f->first_ms = f->last_ms - rnd() % 120000;
    f->tcp_flags = f->key.proto == 6 ? (uint8_t)(rnd() & 0x3f) : 0;
    f->key.in_if = 1 + (uint32_t)(rnd() % 4);
    f->out_if = 1 + (uint32_t)(rnd() % 4);
    f->sampling = 1;
    f->end_reason = (uint8_t)(1 + rnd() % 4);
    x->addr.family = FSN_FAMILY_IPV4;
    x->addr.a[0] = 192; /* 192.0.2.1 .. 192.0.2.3 */
    x->addr.a[2] = 2;
    x->addr.a[3] = (uint8_t)(1 + e);
    x->domain = e;
    x->version = e == 0 ? 5 : e == 1 ? 9 : 10;
}

static void print_record(FILE *o, const struct fsn_flow *f, const struct fsn_ff_exporter *x)
{
    fprintf(o, "%" PRIu64 " %" PRIu64 " %u ", f->first_ms, f->last_ms, f->key.proto);
    print_addr(o, f->key.family, f->key.src);
    fprintf(o, " %u ", f->key.sport);
    print_addr(o, f->key.family, f->key.dst);
    fprintf(o, " %u %" PRIu64 " %" PRIu64 " ", f->key.dport, f->packets, f->octets);
    print_addr(o, x->addr.family, x->addr.a);
    fprintf(o, " domain=%u version=%u flags=%u in=%u out=%u reason=%u\n", x->domain, x->version,
            f->tcp_flags, f->key.in_if, f->out_if, f->end_reason);
}

int main(int argc, char **argv)
{
    struct gen g = {0};
    const char *outname = NULL, *mapname = NULL;
    struct fsn_ff_header h = {0};
    struct fsn_ff_trailer t;
    uint8_t hb[FSN_FF_HEADER_SIZE], tb[FSN_FF_TRAILER_SIZE];
    uint64_t count = 0, hosts = 1000, base = 1700000100000ULL;
    unsigned v6pct = 20;
    size_t block = 0;
    bool trailer = true, random_mode = false, quiet = false, have_interval = false;
    int c;

    while ((c = getopt(argc, argv, "o:b:i:TB:r:n:H:6:qt:")) != -1) {
        switch (c) {
        case 'o':
            outname = optarg;
            break;
        case 'b':
            block = (size_t)num(optarg, FSN_FF_BLOCK_MAX, "block size");
            break;
        case 'i':
            if (sscanf(optarg, "%" SCNu64 ",%" SCNu64, &h.start_ms, &h.end_ms) != 2)
                die("bad interval %s", optarg);
            have_interval = true;
            break;
        case 'T':
            trailer = false;
            break;
        case 'B':
            mapname = optarg;
            break;
        case 'r':
            rng = num(optarg, UINT64_MAX, "seed") * 0x9e3779b97f4a7c15ULL + 1;
            random_mode = true;
            break;
        case 'n':
            count = num(optarg, UINT64_MAX, "count");
            break;
        case 'H':
            hosts = num(optarg, 1u << 24, "host count");
            if (!hosts)
                die("%s", "host count must be positive");
            break;
        case '6':
            v6pct = (unsigned)num(optarg, 100, "percent");
            break;
        case 't':
            base = num(optarg, UINT64_MAX, "base time");
            break;
        case 'q':
            quiet = true;
            break;
        default:
            fprintf(stderr, "usage: flowfilegen -o FILE [-b BYTES] [-i START,END] [-T] [-B MAP] "
                            "[SPEC | -r SEED -n COUNT [-H HOSTS] [-6 PCT] [-t BASE_MS] [-q]]\n");
            return 2;
        }
    }
    if (!outname)
        die("%s", "-o FILE is required");
    if (!(g.out = fopen(outname, "wb")))
        die("cannot create file: %s", strerror(errno));
    if (mapname && !(g.map = fopen(mapname, "w")))
        die("cannot create block map: %s", strerror(errno));
    if (!(g.b = fsn_ff_builder_new(block)))
        die("%s", "bad block size");
    if (!have_interval) {
        h.start_ms = base;
        h.end_ms = h.start_ms + 300000;
    }
    h.created_ms = h.start_ms;
    fsn_ff_header_encode(&h, hb);
    put(&g, hb, sizeof hb);

    struct fsn_flow f;
    struct fsn_ff_exporter x;
    if (random_mode) {
        for (uint64_t i = 0; i < count; i++) {
            rnd_record(&f, &x, base, hosts, v6pct);
            add(&g, &f, &x);
            if (!quiet)
                print_record(stdout, &f, &x);
        }
    } else {
        FILE *in = optind < argc ? fopen(argv[optind], "r") : stdin;
        char line[4096];
        if (!in)
            die("cannot open spec: %s", strerror(errno));
        while (fgets(line, sizeof line, in))
            if (parse_line(line, &f, &x) == 0)
                add(&g, &f, &x);
        if (in != stdin)
            fclose(in);
    }
    flush_block(&g);
    fsn_ff_builder_trailer(g.b, h.end_ms, &t);
    fsn_ff_trailer_encode(&t, tb);
    if (trailer)
        put(&g, tb, sizeof tb);
    if (fclose(g.out) != 0)
        die("close: %s", strerror(errno));
    if (g.map)
        fclose(g.map);
    fsn_ff_builder_free(g.b);
    return 0;
}
