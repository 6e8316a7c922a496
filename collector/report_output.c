/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowreport output: an aligned text table with human units (powers of
 * 1000), CSV with a header line, or a JSON array of objects. CSV and JSON
 * carry raw numbers, protocol numbers and UTC times (ISO 8601).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "collector/report.h"
#include "lib/addr.h"

void rep_human(uint64_t v, bool raw, char *buf, size_t len)
{
    static const char units[] = "kMGTPE";
    double d = (double)v;
    int u = -1;

    if (raw || v < 1000) {
        snprintf(buf, len, "%" PRIu64, v);
        return;
    }
    /* Pick the unit after rounding, so that 999950 shows as 1.0 M, not 1000.0 k. */
    while (d >= 999.95 && u < 5) {
        d /= 1000.0;
        u++;
    }
    snprintf(buf, len, "%.1f %c", d, units[u]);
}

void rep_proto_name(uint8_t proto, char *buf, size_t len)
{
    static const struct {
        uint8_t p;
        const char *name;
    } names[] = {{1, "icmp"}, {2, "igmp"}, {6, "tcp"},        {17, "udp"},  {47, "gre"},
                 {50, "esp"}, {51, "ah"},  {58, "ipv6-icmp"}, {89, "ospf"}, {132, "sctp"}};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].p == proto) {
            snprintf(buf, len, "%s", names[i].name);
            return;
        }
    }
    snprintf(buf, len, "%u", proto);
}

static void addr_text(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
    fsn_addr_format(family, a, buf, len);
}

static void version_text(uint8_t v, char *buf, size_t len)
{
    if (v == 5 || v == 9)
        snprintf(buf, len, "v%u", v);
    else if (v == 10)
        snprintf(buf, len, "ipfix");
    else
        snprintf(buf, len, "%u", v);
}

/* ---- Statistics ---- */

#define MAX_KEYCOLS 3

/* The key's columns: names, and a row's values as text (text: proto names, versions). */
static size_t key_columns(enum rep_key key, const char **names)
{
    switch (key) {
    case REP_TOTAL:
        return 0;
    case REP_EXPORTER:
        names[0] = "exporter";
        names[1] = "domain";
        names[2] = "version";
        return 3;
    default:
        names[0] = rep_key_name(key);
        return 1;
    }
}

static void key_values(enum rep_key key, const struct rep_kval *k, bool text,
                       char v[MAX_KEYCOLS][64])
{
    switch (key) {
    case REP_TOTAL:
    case REP_HOSTSVC: /* its rows are printed by rep_out_hostsvc() */
        break;
    case REP_SRCIP:
    case REP_DSTIP:
    case REP_IP:
        addr_text(k->family, k->addr, v[0], 64);
        break;
    case REP_SRCPORT:
    case REP_DSTPORT:
    case REP_PORT:
        snprintf(v[0], 64, "%u", k->port);
        break;
    case REP_PROTO:
        if (text)
            rep_proto_name(k->proto, v[0], 64);
        else
            snprintf(v[0], 64, "%u", k->proto);
        break;
    case REP_EXPORTER:
        addr_text(k->family, k->addr, v[0], 64);
        snprintf(v[1], 64, "%" PRIu32, k->domain);
        if (text)
            version_text(k->version, v[2], 64);
        else
            snprintf(v[2], 64, "%u", k->version);
        break;
    }
}

static uint64_t pick(const struct rep_counts *c, enum rep_order o)
{
    return o == REP_BY_BYTES ? c->bytes : o == REP_BY_PACKETS ? c->packets : c->flows;
}

static void stats_text(struct rep_out *o, enum rep_key key, enum rep_order order,
                       const struct rep_row *rows, size_t n, const struct rep_stats *st)
{
    const char *names[MAX_KEYCOLS];
    size_t nk = key_columns(key, names);
    int kw[MAX_KEYCOLS] = {0}, nw[3] = {5, 7, 5}; /* "flows", "packets", "bytes" */
    char v[MAX_KEYCOLS][64], num[32], pct[32];
    struct rep_counts tot = rep_stats_total(st);
    uint64_t all = pick(&tot, order);

    if (key == REP_TOTAL) {
        nk = 1;
        names[0] = "";
        kw[0] = 5; /* "total" */
    }
    for (size_t c = 0; c < nk; c++)
        kw[c] = kw[c] > (int)strlen(names[c]) ? kw[c] : (int)strlen(names[c]);
    /* Widths from the data, so that the table lines up. */
    for (size_t i = 0; i < n; i++) {
        const uint64_t x[3] = {rows[i].c.flows, rows[i].c.packets, rows[i].c.bytes};
        key_values(key, &rows[i].k, true, v);
        for (size_t c = 0; c < nk && key != REP_TOTAL; c++)
            kw[c] = kw[c] > (int)strlen(v[c]) ? kw[c] : (int)strlen(v[c]);
        for (int c = 0; c < 3; c++) {
            rep_human(x[c], o->raw, num, sizeof num);
            nw[c] = nw[c] > (int)strlen(num) ? nw[c] : (int)strlen(num);
        }
    }
    snprintf(pct, sizeof pct, "%%%s", rep_order_name(order));
    for (size_t c = 0; c < nk; c++)
        fprintf(o->fp, "%-*s  ", kw[c], names[c]);
    fprintf(o->fp, "%*s  %*s  %*s  %8s\n", nw[0], "flows", nw[1], "packets", nw[2], "bytes", pct);
    for (size_t i = 0; i < n; i++) {
        const uint64_t x[3] = {rows[i].c.flows, rows[i].c.packets, rows[i].c.bytes};
        key_values(key, &rows[i].k, true, v);
        if (key == REP_TOTAL)
            snprintf(v[0], sizeof v[0], "total");
        for (size_t c = 0; c < nk; c++)
            fprintf(o->fp, "%-*s  ", kw[c], v[c]);
        for (int c = 0; c < 3; c++) {
            rep_human(x[c], o->raw, num, sizeof num);
            fprintf(o->fp, "%*s  ", nw[c], num);
        }
        if (all)
            fprintf(o->fp, "%7.1f%%\n", 100.0 * (double)pick(&rows[i].c, order) / (double)all);
        else
            fprintf(o->fp, "%8s\n", "-");
    }
    {
        char f[32], p[32], b[32];
        rep_human(tot.flows, o->raw, f, sizeof f);
        rep_human(tot.packets, o->raw, p, sizeof p);
        rep_human(tot.bytes, o->raw, b, sizeof b);
        fprintf(o->fp, "\nSummary: %s flows, %s packets, %s bytes", f, p, b);
        if (key != REP_TOTAL)
            fprintf(o->fp, "; top %zu of %zu %s rows by %s", n, rep_stats_keys(st),
                    rep_key_name(key), rep_order_name(order));
        if (rep_stats_skipped(st))
            fprintf(o->fp, "; %" PRIu64 " flows without ports not in the table",
                    rep_stats_skipped(st));
        fprintf(o->fp, "\n");
    }
}

void rep_out_stats(struct rep_out *o, enum rep_key key, enum rep_order order,
                   const struct rep_row *rows, size_t n, const struct rep_stats *st)
{
    const char *names[MAX_KEYCOLS];
    size_t nk = key_columns(key, names);
    char v[MAX_KEYCOLS][64];

    if (o->fmt == REP_TEXT) {
        stats_text(o, key, order, rows, n, st);
        return;
    }
    if (o->fmt == REP_CSV) {
        for (size_t c = 0; c < nk; c++)
            fprintf(o->fp, "%s,", names[c]);
        fprintf(o->fp, "flows,packets,bytes\n");
    } else {
        fprintf(o->fp, "[");
    }
    for (size_t i = 0; i < n; i++) {
        const struct rep_counts *c = &rows[i].c;
        key_values(key, &rows[i].k, false, v);
        if (o->fmt == REP_CSV) {
            for (size_t k = 0; k < nk; k++)
                fprintf(o->fp, "%s,", v[k]);
            fprintf(o->fp, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", c->flows, c->packets, c->bytes);
        } else {
            fprintf(o->fp, "%s\n{", i ? "," : "");
            for (size_t k = 0; k < nk; k++) {
                /* Addresses are strings; ports, protocols, domains, versions numbers. */
                bool str = k == 0 && (key == REP_SRCIP || key == REP_DSTIP || key == REP_IP ||
                                      key == REP_EXPORTER);
                fprintf(o->fp, str ? "\"%s\": \"%s\", " : "\"%s\": %s, ", names[k], v[k]);
            }
            fprintf(o->fp,
                    "\"flows\": %" PRIu64 ", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 "}",
                    c->flows, c->packets, c->bytes);
        }
    }
    if (o->fmt == REP_JSON)
        fprintf(o->fp, "%s]\n", n ? "\n" : "");
}

/* ---- Records ---- */

static const char csv_header[] =
    "start,end,duration,proto,srcip,srcport,dstip,dstport,flows,packets,bytes,tcp_flags,tos,"
    "vlan,in_if,out_if,src_as,dst_as,src_mask,dst_mask,nexthop,sampling,end_reason,exporter,"
    "domain,version";

void rep_out_records_begin(struct rep_out *o)
{
    o->rows = 0;
    if (o->fmt == REP_TEXT)
        fprintf(o->fp, "%-23s %10s %-9s %21s    %-21s %8s %8s %-8s %s\n", "start", "duration",
                "proto", "src", "dst", "packets", "bytes", "flags", "exporter");
    else if (o->fmt == REP_CSV)
        fprintf(o->fp, "%s\n", csv_header);
    else
        fprintf(o->fp, "[");
}

/* "12.345" seconds, or "-1.000" when the record's start is after its end. */
static void duration_text(const struct fsn_flow *f, char *buf, size_t len)
{
    bool neg = f->first_ms > f->last_ms;
    uint64_t d = neg ? f->first_ms - f->last_ms : f->last_ms - f->first_ms;

    snprintf(buf, len, "%s%" PRIu64 ".%03u", neg ? "-" : "", d / 1000, (unsigned)(d % 1000));
}

/* "CEUAPRSF" with '.' for the flags not set. */
static void flags_text(uint8_t fl, char *buf)
{
    static const char letters[] = "CEUAPRSF";

    for (int i = 0; i < 8; i++)
        buf[i] = (fl & (0x80 >> i)) ? letters[i] : '.';
    buf[8] = 0;
}

/* "addr:port", "[v6]:port", ICMP "addr:type.code", or "addr" for protocols without ports. */
static void endpoint_text(const struct fsn_flow *f, bool src, char *buf, size_t len)
{
    char a[64];
    uint16_t port = src ? f->key.sport : f->key.dport;
    uint8_t p = f->key.proto;
    bool v6 = f->key.family == FSN_FAMILY_IPV6;

    addr_text(f->key.family, src ? f->key.src : f->key.dst, a, sizeof a);
    if (p == 6 || p == 17 || p == 33 || p == 132 || p == 136)
        snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", a, port);
    else if ((p == 1 || p == 58) && !src)
        snprintf(buf, len, v6 ? "[%s]:%u.%u" : "%s:%u.%u", a, port >> 8, port & 0xffu);
    else
        snprintf(buf, len, "%s", a);
}

void rep_out_record(struct rep_out *o, const struct fsn_flow *f, const struct fsn_ff_exporter *x)
{
    char t1[48], t2[48], dur[32], proto[16], s[80], d[80], xa[64], nh[64];
    const struct fsn_flow_key *k = &f->key;

    duration_text(f, dur, sizeof dur);
    addr_text(x->addr.family, x->addr.a, xa, sizeof xa);
    if (o->fmt == REP_TEXT) {
        char pk[32], by[32], fl[9];
        rep_time_local(f->first_ms, t1, sizeof t1);
        rep_proto_name(k->proto, proto, sizeof proto);
        endpoint_text(f, true, s, sizeof s);
        endpoint_text(f, false, d, sizeof d);
        rep_human(f->packets, o->raw, pk, sizeof pk);
        rep_human(f->octets, o->raw, by, sizeof by);
        if (k->proto == 6)
            flags_text(f->tcp_flags, fl);
        else
            snprintf(fl, sizeof fl, "-");
        fprintf(o->fp, "%-23s %10s %-9s %21s -> %-21s %8s %8s %-8s %s\n", t1, dur, proto, s, d, pk,
                by, fl, xa);
        o->rows++;
        return;
    }
    rep_time_iso(f->first_ms, t1, sizeof t1);
    rep_time_iso(f->last_ms, t2, sizeof t2);
    addr_text(k->family, k->src, s, sizeof s);
    addr_text(k->family, k->dst, d, sizeof d);
    addr_text(k->family, f->nexthop, nh, sizeof nh);
    if (o->fmt == REP_CSV) {
        fprintf(o->fp,
                "%s,%s,%s,%u,%s,%u,%s,%u,1,%" PRIu64 ",%" PRIu64 ",%u,%u,%u,%" PRIu32 ",%" PRIu32
                ",%" PRIu32 ",%" PRIu32 ",%u,%u,%s,%" PRIu32 ",%u,%s,%" PRIu32 ",%u\n",
                t1, t2, dur, k->proto, s, k->sport, d, k->dport, f->packets, f->octets,
                f->tcp_flags, k->tos, k->vlan, k->in_if, f->out_if, f->src_as, f->dst_as,
                f->src_mask, f->dst_mask, nh, f->sampling, f->end_reason, xa, x->domain,
                x->version);
    } else {
        fprintf(
            o->fp,
            "%s\n{\"start\": \"%s\", \"end\": \"%s\", \"duration\": %s, \"proto\": %u, "
            "\"srcip\": \"%s\", \"srcport\": %u, \"dstip\": \"%s\", \"dstport\": %u, "
            "\"flows\": 1, \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
            ", \"tcp_flags\": %u, \"tos\": %u, \"vlan\": %u, \"in_if\": %" PRIu32
            ", \"out_if\": %" PRIu32 ", \"src_as\": %" PRIu32 ", \"dst_as\": %" PRIu32
            ", \"src_mask\": %u, \"dst_mask\": %u, \"nexthop\": \"%s\", \"sampling\": %" PRIu32
            ", \"end_reason\": %u, \"exporter\": \"%s\", \"domain\": %" PRIu32 ", \"version\": %u}",
            o->rows ? "," : "", t1, t2, dur, k->proto, s, k->sport, d, k->dport, f->packets,
            f->octets, f->tcp_flags, k->tos, k->vlan, k->in_if, f->out_if, f->src_as, f->dst_as,
            f->src_mask, f->dst_mask, nh, f->sampling, f->end_reason, xa, x->domain, x->version);
    }
    o->rows++;
}

void rep_out_records_end(struct rep_out *o, const struct rep_counts *total)
{
    if (o->fmt == REP_JSON) {
        fprintf(o->fp, "%s]\n", o->rows ? "\n" : "");
    } else if (o->fmt == REP_TEXT) {
        char f[32], p[32], b[32];
        rep_human(total->flows, o->raw, f, sizeof f);
        rep_human(total->packets, o->raw, p, sizeof p);
        rep_human(total->bytes, o->raw, b, sizeof b);
        fprintf(o->fp, "\nSummary: %s flows, %s packets, %s bytes\n", f, p, b);
    }
}
