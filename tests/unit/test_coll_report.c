/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for flowreport's modules: statistics (every key, ordering,
 * top N) against sums computed by direct loops over the records; the time
 * window (parsing and reading a real file through it with a filter); time
 * formats and human units.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector/report.h"
#include "lib/error.h"
#include "tests/tap.h"

#define N 5000

static struct fsn_flow recs[N];
static struct fsn_ff_exporter exps[N];
static uint64_t rng = 12345;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static void make_records(void)
{
    static const uint8_t protos[] = {6, 17, 1, 58, 47, 132};
    for (int i = 0; i < N; i++) {
        struct fsn_flow *f = &recs[i];
        memset(f, 0, sizeof *f);
        f->key.family = rnd() % 4 ? FSN_FAMILY_IPV4 : FSN_FAMILY_IPV6;
        f->key.src[0] = 10;
        f->key.src[15] = (uint8_t)(rnd() % 7);
        f->key.dst[0] = 10;
        f->key.dst[15] = (uint8_t)(rnd() % 7); /* src == dst now and then */
        if (f->key.family == FSN_FAMILY_IPV4) {
            f->key.src[3] = f->key.src[15];
            f->key.dst[3] = f->key.dst[15];
            f->key.src[15] = f->key.dst[15] = 0;
        }
        f->key.proto = protos[rnd() % sizeof protos];
        f->key.sport = (uint16_t)(rnd() % 5);
        f->key.dport = (uint16_t)(rnd() % 5); /* sport == dport now and then */
        /* Few distinct sizes, so that ties in the ordering occur. */
        f->packets = 1 + rnd() % 3;
        f->octets = 100 * (1 + rnd() % 4);
        f->last_ms = 1700000000000ULL + rnd() % 600000;
        f->first_ms = f->last_ms - rnd() % 10000;
        f->sampling = 1;
        memset(&exps[i], 0, sizeof exps[i]);
        exps[i].addr.family = FSN_FAMILY_IPV4;
        exps[i].addr.a[0] = 192;
        exps[i].addr.a[3] = (uint8_t)(1 + rnd() % 3);
        exps[i].domain = (uint32_t)(rnd() % 2);
        exps[i].version = 10;
    }
}

/* Does record i count for key value k under `key`? (the reference definition) */
static bool counts_for(enum rep_key key, int i, const struct rep_kval *k)
{
    const struct fsn_flow *f = &recs[i];
    bool ports = f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132;
    bool src = k->family == f->key.family && memcmp(k->addr, f->key.src, 16) == 0;
    bool dst = k->family == f->key.family && memcmp(k->addr, f->key.dst, 16) == 0;

    switch (key) {
    case REP_TOTAL:
        return true;
    case REP_SRCIP:
        return src;
    case REP_DSTIP:
        return dst;
    case REP_IP:
        return src || dst;
    case REP_SRCPORT:
        return ports && f->key.sport == k->port;
    case REP_DSTPORT:
        return ports && f->key.dport == k->port;
    case REP_PORT:
        return ports && (f->key.sport == k->port || f->key.dport == k->port);
    case REP_PROTO:
        return f->key.proto == k->proto;
    case REP_EXPORTER:
        return k->family == exps[i].addr.family && memcmp(k->addr, exps[i].addr.a, 4) == 0 &&
               k->domain == exps[i].domain && k->version == exps[i].version;
    }
    return false;
}

static uint64_t by(const struct rep_counts *c, enum rep_order o)
{
    return o == REP_BY_BYTES ? c->bytes : o == REP_BY_PACKETS ? c->packets : c->flows;
}

static void test_key(enum rep_key key, enum rep_order order)
{
    struct rep_stats *st = rep_stats_new(key);
    struct rep_row *rows, *top;
    long n, nt;
    size_t bad_sum = 0, bad_order = 0, expect_keys = 0;
    uint64_t flows_without_ports = 0;

    for (int i = 0; i < N; i++)
        rep_stats_add(st, &recs[i], &exps[i]);
    rep_stats_finish(st);
    n = rep_stats_rows(st, order, 0, &rows);

    /* Every row's sums, recomputed by a loop over all records. */
    for (long r = 0; r < n; r++) {
        struct rep_counts c = {0, 0, 0};
        for (int i = 0; i < N; i++) {
            if (counts_for(key, i, &rows[r].k)) {
                c.flows++;
                c.packets += recs[i].packets;
                c.bytes += recs[i].octets;
            }
        }
        if (memcmp(&c, &rows[r].c, sizeof c) != 0 || c.flows == 0)
            bad_sum++;
        if (r > 0) {
            uint64_t a = by(&rows[r - 1].c, order), b = by(&rows[r].c, order);
            if (a < b)
                bad_order++;
        }
    }
    /* The number of distinct keys, counted directly. */
    for (int i = 0; i < N; i++) {
        bool ports = recs[i].key.proto == 6 || recs[i].key.proto == 17 || recs[i].key.proto == 132;
        if ((key == REP_SRCPORT || key == REP_DSTPORT || key == REP_PORT) && !ports)
            flows_without_ports++;
    }
    switch (key) {
    case REP_TOTAL:
        expect_keys = 1;
        break;
    case REP_SRCIP:
    case REP_DSTIP:
    case REP_IP:
        expect_keys = 14; /* 7 IPv4 and 7 IPv6 addresses, each seen as both ends */
        break;
    case REP_SRCPORT:
    case REP_DSTPORT:
    case REP_PORT:
        expect_keys = 5;
        break;
    case REP_PROTO:
        expect_keys = 6;
        break;
    case REP_EXPORTER:
        expect_keys = 6;
        break;
    }
    is_uint(n, expect_keys, "-s %s: %zu rows", rep_key_name(key), expect_keys);
    is_uint(bad_sum, 0, "-s %s: every row's flows/packets/bytes equal a direct sum",
            rep_key_name(key));
    is_uint(bad_order, 0, "-s %s/%s: rows in descending order", rep_key_name(key),
            rep_order_name(order));
    is_uint(rep_stats_skipped(st), flows_without_ports, "-s %s: flows without ports skipped",
            rep_key_name(key));
    is_uint(rep_stats_total(st).flows, N - flows_without_ports, "-s %s: total flows",
            rep_key_name(key));

    /* Top 3 is the first 3 of the full ordering, ties included. */
    nt = rep_stats_rows(st, order, 3, &top);
    ok(nt == (n < 3 ? n : 3) && memcmp(top, rows, (size_t)nt * sizeof *top) == 0,
       "-s %s/%s -n 3: the first rows of the full ordering", rep_key_name(key),
       rep_order_name(order));
    free(top);
    free(rows);
    rep_stats_free(st);
}

static void test_ties(void)
{
    struct rep_stats *st = rep_stats_new(REP_SRCPORT);
    struct fsn_flow f;
    struct fsn_ff_exporter x;
    struct rep_row *rows;
    long n;

    memset(&f, 0, sizeof f);
    memset(&x, 0, sizeof x);
    f.key.family = FSN_FAMILY_IPV4;
    f.key.proto = 6;
    f.packets = 1;
    f.octets = 100;
    /* Ports 9, 3, 7 with equal bytes, port 5 with more: 5 first, then 3, 7, 9. */
    uint16_t ports[] = {9, 3, 7, 5, 5};
    for (int i = 0; i < 5; i++) {
        f.key.sport = ports[i];
        rep_stats_add(st, &f, &x);
    }
    rep_stats_finish(st);
    n = rep_stats_rows(st, REP_BY_BYTES, 0, &rows);
    ok(n == 4 && rows[0].k.port == 5 && rows[1].k.port == 3 && rows[2].k.port == 7 &&
           rows[3].k.port == 9,
       "ties are ordered by key, ascending");
    free(rows);
    n = rep_stats_rows(st, REP_BY_BYTES, 2, &rows);
    ok(n == 2 && rows[0].k.port == 5 && rows[1].k.port == 3, "top 2 with ties");
    free(rows);
    rep_stats_free(st);
}

static void test_parse(void)
{
    enum rep_key k;
    enum rep_order o;

    ok(rep_stats_parse("srcip", &k, &o) == 0 && k == REP_SRCIP && o == REP_BY_BYTES, "-s srcip");
    ok(rep_stats_parse("port/packets", &k, &o) == 0 && k == REP_PORT && o == REP_BY_PACKETS,
       "-s port/packets");
    ok(rep_stats_parse("exporter/flows", &k, &o) == 0 && k == REP_EXPORTER && o == REP_BY_FLOWS,
       "-s exporter/flows");
    ok(rep_stats_parse("ip/bytes", &k, &o) == 0 && k == REP_IP && o == REP_BY_BYTES, "-s ip/bytes");
    ok(rep_stats_parse("srcipx", &k, &o) != 0, "unknown key refused");
    ok(rep_stats_parse("srcip/octets", &k, &o) != 0, "unknown order refused");
    ok(rep_stats_parse("src", &k, &o) != 0, "prefix of a key refused");
}

static void test_time(void)
{
    int64_t t;
    uint64_t s, e;
    char err[200], buf[64];
    const int64_t now = 1704164645000LL; /* 2024-01-02 03:04:05 UTC (date -u -d @1704164645) */

    setenv("TZ", "UTC", 1);
    tzset();
    ok(rep_time_parse("1700000000", now, &t, err, sizeof err) == 0 && t == 1700000000000LL,
       "Unix seconds");
    ok(rep_time_parse("1700000000.25", now, &t, err, sizeof err) == 0 && t == 1700000000250LL,
       "Unix seconds with a fraction");
    ok(rep_time_parse("2024-01-02 03:04:05", now, &t, err, sizeof err) == 0 && t == 1704164645000LL,
       "YYYY-MM-DD HH:MM:SS in TZ=UTC");
    ok(rep_time_parse("2024-01-02 03:04", now, &t, err, sizeof err) == 0 && t == 1704164640000LL,
       "YYYY-MM-DD HH:MM");
    ok(rep_time_parse("2024-01-02T03:04:05", now, &t, err, sizeof err) == 0 && t == 1704164645000LL,
       "ISO 8601 with T");
    ok(rep_time_parse("2024-01-02", now, &t, err, sizeof err) == 0 && t == 1704153600000LL,
       "a date alone is midnight");
    ok(rep_time_parse("2024-02-29T12:00:00.5Z", now, &t, err, sizeof err) == 0 &&
           t == 1709208000500LL,
       "Z and milliseconds, leap day");
    ok(rep_time_parse("2024-01-02T12:04:05+09:00", now, &t, err, sizeof err) == 0 &&
           t == 1704164645000LL,
       "explicit +09:00 offset");
    ok(rep_time_parse("2024-01-01T22:04:05-0500", now, &t, err, sizeof err) == 0 &&
           t == 1704164645000LL,
       "explicit -0500 offset");
    ok(rep_time_parse("-1h", now, &t, err, sizeof err) == 0 && t == now - 3600000, "-1h");
    ok(rep_time_parse("-90s", now, &t, err, sizeof err) == 0 && t == now - 90000, "-90s");
    ok(rep_time_parse("-2d", now, &t, err, sizeof err) == 0 && t == now - 2 * 86400000LL, "-2d");
    ok(rep_time_parse("now", now, &t, err, sizeof err) == 0 && t == now, "now");

    /* The same wall-clock text in another zone (POSIX TZ, no tzdata needed). */
    setenv("TZ", "JST-9", 1);
    tzset();
    ok(rep_time_parse("2024-01-02 12:04:05", now, &t, err, sizeof err) == 0 && t == 1704164645000LL,
       "local time follows TZ (JST-9)");
    rep_time_local(1704164645123ULL, buf, sizeof buf);
    is_str(buf, "2024-01-02 12:04:05.123", "local time stamp in JST-9");
    rep_time_iso(1704164645123ULL, buf, sizeof buf);
    is_str(buf, "2024-01-02T03:04:05.123Z", "ISO stamp is UTC whatever TZ says");
    setenv("TZ", "UTC", 1);
    tzset();

    ok(rep_time_parse("2024-13-01", now, &t, err, sizeof err) != 0 &&
           strcmp(err, "bad time '2024-13-01': a field is out of range") == 0,
       "month 13 refused: %s", err);
    ok(rep_time_parse("2023-02-29", now, &t, err, sizeof err) != 0, "29 February 2023 refused");
    ok(rep_time_parse("yesterday", now, &t, err, sizeof err) != 0 &&
           strstr(err, "bad time 'yesterday' (expected") == err,
       "words refused: %s", err);
    ok(rep_time_parse("-1y", now, &t, err, sizeof err) != 0, "unknown unit refused");

    ok(rep_time_window("1700000000,1700000060", now, &s, &e, err, sizeof err) == 0 &&
           s == 1700000000000ULL && e == 1700000060000ULL,
       "window START,END");
    ok(rep_time_window("1700000000", now, &s, &e, err, sizeof err) == 0 && s == 1700000000000ULL &&
           e == UINT64_MAX,
       "window START alone is open-ended");
    ok(rep_time_window(",1700000060", now, &s, &e, err, sizeof err) == 0 && s == 0 &&
           e == 1700000060000ULL,
       "window ,END");
    ok(rep_time_window("2024-01-02 03:00,+5m", now, &s, &e, err, sizeof err) == 0 &&
           s == 1704164400000ULL && e == 1704164700000ULL,
       "window START,+DURATION");
    ok(rep_time_window("-1h,now", now, &s, &e, err, sizeof err) == 0 &&
           s == (uint64_t)(now - 3600000) && e == (uint64_t)now,
       "window -1h,now");
    ok(rep_time_window("1700000060,1700000000", now, &s, &e, err, sizeof err) != 0 &&
           strcmp(err, "empty time window: the end is not after the start") == 0,
       "reversed window refused");
}

static void test_human(void)
{
    char b[32];

    rep_human(999, false, b, sizeof b);
    is_str(b, "999", "999");
    rep_human(1000, false, b, sizeof b);
    is_str(b, "1.0 k", "1000 = 1.0 k (powers of 1000)");
    rep_human(999949, false, b, sizeof b);
    is_str(b, "999.9 k", "999949");
    rep_human(999950, false, b, sizeof b);
    is_str(b, "1.0 M", "999950 rounds up to 1.0 M");
    rep_human(1234567890, false, b, sizeof b);
    is_str(b, "1.2 G", "1234567890");
    rep_human(UINT64_MAX, false, b, sizeof b);
    is_str(b, "18.4 E", "2^64-1");
    rep_human(1234567890, true, b, sizeof b);
    is_str(b, "1234567890", "raw");
}

/* The reader over a real file: time window and filter, against direct loops. */
struct got {
    uint64_t flows, bytes;
};

static int collect(void *arg, const struct fsn_flow *f, const struct fsn_ff_exporter *x)
{
    struct got *g = arg;
    (void)x;
    g->flows++;
    g->bytes += f->octets;
    return 0;
}

static int by_end(const void *a, const void *b)
{
    uint64_t x = recs[*(const int *)a].last_ms, y = recs[*(const int *)b].last_ms;
    return x < y ? -1 : x > y;
}

static void test_reader(void)
{
    static int order[N];
    char path[] = "/tmp/test_coll_report.XXXXXX";
    int fd = mkstemp(path);
    struct fsn_ff_builder *b = fsn_ff_builder_new(FSN_FF_BLOCK_MIN); /* many small blocks */
    struct fsn_ff_header h = {.start_ms = 1700000000000ULL, .end_ms = 1700000600000ULL};
    uint8_t hb[FSN_FF_HEADER_SIZE], tb[FSN_FF_TRAILER_SIZE];
    struct fsn_ff_trailer t;
    const uint8_t *data;
    size_t len;
    struct rep_files fl;
    struct rep_reader r;
    struct got g = {0, 0};
    char err[200];
    struct fsn_filter *filter;
    const uint64_t ws = 1700000100000ULL, we = 1700000400000ULL;
    uint64_t want_flows = 0, want_bytes = 0;
    bool writes_ok = true;

    /* In end-time order, as a collector mostly writes them, so blocks cover short spans. */
    for (int i = 0; i < N; i++)
        order[i] = i;
    qsort(order, N, sizeof order[0], by_end);
    fsn_ff_header_encode(&h, hb);
    writes_ok &= write(fd, hb, sizeof hb) == (ssize_t)sizeof hb;
    for (int j = 0; j < N; j++) {
        int i = order[j];
        if (fsn_ff_builder_add(b, &recs[i], &exps[i]) == FSN_E_SPACE) {
            fsn_ff_builder_finish(b, &data, &len);
            writes_ok &= write(fd, data, len) == (ssize_t)len;
            fsn_ff_builder_add(b, &recs[i], &exps[i]);
        }
    }
    fsn_ff_builder_finish(b, &data, &len);
    writes_ok &= write(fd, data, len) == (ssize_t)len;
    fsn_ff_builder_trailer(b, 0, &t);
    fsn_ff_trailer_encode(&t, tb);
    writes_ok &= write(fd, tb, sizeof tb) == (ssize_t)sizeof tb;
    close(fd);
    fsn_ff_builder_free(b);
    ok(writes_ok, "test file written");

    /* Expected: end time in [ws, we), TCP, and 10.0.0.3 or its IPv6 twin at either end. */
    for (int i = 0; i < N; i++) {
        const struct fsn_flow *f = &recs[i];
        bool host = f->key.family == FSN_FAMILY_IPV4 ? (f->key.src[3] == 3 || f->key.dst[3] == 3)
                                                     : (f->key.src[15] == 3 || f->key.dst[15] == 3);
        if (f->last_ms >= ws && f->last_ms < we && f->key.proto == 6 && host) {
            want_flows++;
            want_bytes += f->octets;
        }
    }
    is_int(fsn_filter_compile("tcp and (host 10.0.0.3 or host a00::3)", &filter, err, sizeof err,
                              NULL),
           0, "filter compiles");
    memset(&r, 0, sizeof r);
    r.start_ms = ws;
    r.end_ms = we;
    r.filter = filter;
    r.fn = collect;
    r.arg = &g;
    is_int(rep_files_collect(path, &fl), 0, "file listed");
    is_int(rep_read_files(&r, &fl), 0, "file read");
    ok(want_flows > 50, "the test selects %ju flows", (uintmax_t)want_flows);
    is_uint(g.flows, want_flows, "window + filter: flows as a direct loop counts");
    is_uint(g.bytes, want_bytes, "window + filter: bytes as a direct loop sums");
    ok(r.st.blocks_skipped > 0, "%ju blocks skipped by their time range without decoding",
       (uintmax_t)r.st.blocks_skipped);
    is_uint(r.st.bad_blocks + r.st.damaged_bytes + r.st.unclosed, 0, "no damage reported");
    rep_files_free(&fl);
    rep_reader_fini(&r);
    fsn_filter_free(filter);
    unlink(path);
}

int main(void)
{
    static const enum rep_key keys[] = {REP_TOTAL,   REP_SRCIP, REP_DSTIP, REP_IP,      REP_SRCPORT,
                                        REP_DSTPORT, REP_PORT,  REP_PROTO, REP_EXPORTER};
    make_records();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        test_key(keys[i], (enum rep_order)(i % 3));
    test_key(REP_SRCIP, REP_BY_PACKETS);
    test_key(REP_PORT, REP_BY_FLOWS);
    test_ties();
    test_parse();
    test_time();
    test_human();
    test_reader();
    return tap_done();
}
