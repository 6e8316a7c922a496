/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MRTG configuration flowmrtg writes, laid out as cfgmaker lays out
 * its own (a header naming the command line, "### Global Config Options",
 * a banner about the agent, then one block per target), so that operators
 * who know cfgmaker's files find their way and can append ours to theirs.
 *
 * Targets poll two Counter64 objects each over SNMPv2c (version 2 in the
 * target's sixth field, "::::2") or SNMPv3 (":::::3" and SnmpOptions[]).
 * A row makes one target, or one per variant (mrtg_row_variants): the
 * totals' traffic and records; a hosts x services cell's two roles, each
 * its in and out octets, so that "in" and "out" mean what they mean in
 * every other target (to and from the local host).
 * OIDs are numeric by default: MRTG then needs no MIB file, and its own
 * MIB parser (SNMP_util) cannot mislead it; with --mib-dir they are
 * symbolic and LoadMIBs names NET-SNMP-MIB and FLOWSNMP-MIB.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mrtg/mrtg.h"

static const uint32_t mib_root[] = {FSN_MIB_ROOT};
#define ROOT_LEN (sizeof mib_root / sizeof mib_root[0])

/* Exporter records per second above which MRTG discards a sample. */
#define MAX_RECORDS_PER_S 10000000

/* What a target polls: the two objects, how to call them, how to show them. */
struct what {
    const char *kind_title;     /* "Host", "Service", ... */
    const char *sym_in, *sym_out;
    uint32_t table, col_in, col_out; /* table 0: scalars */
    bool records;               /* records per second, not octets */
};

/* The two roles of a cell, as variants 0 and 1 of its row. */
static const char *const role_word[2] = {"provides", "uses"};

static void what_of(const struct mrtg_row *row, unsigned variant, struct what *w)
{
    memset(w, 0, sizeof *w);
    switch (row->kind) {
    case MRTG_TOTAL:
        w->kind_title = "Total";
        if (variant) {
            w->sym_in = "flowRecordsReceived";
            w->sym_out = "flowRecordsLost";
            w->col_in = FSN_MIB_RECORDS;
            w->col_out = FSN_MIB_RECORDS_LOST;
            w->records = true;
        } else {
            w->sym_in = "flowTotalInOctets";
            w->sym_out = "flowTotalOutOctets";
            w->col_in = FSN_MIB_TOTAL_IN_OCTETS;
            w->col_out = FSN_MIB_TOTAL_OUT_OCTETS;
        }
        break;
    case MRTG_EXPORTER:
        w->kind_title = "Exporter";
        w->sym_in = "flowExporterRecords";
        w->sym_out = "flowExporterRecordsLost";
        w->table = FSN_MIB_EXPORTER_TABLE;
        w->col_in = FSN_MIB_EXP_RECORDS;
        w->col_out = FSN_MIB_EXP_RECORDS_LOST;
        w->records = true;
        break;
    case MRTG_HOST:
        w->kind_title = "Host";
        w->sym_in = "flowHostInOctets";
        w->sym_out = "flowHostOutOctets";
        w->table = FSN_MIB_HOST_TABLE;
        w->col_in = FSN_MIB_HOST_CTR0 + FSN_MIB_IN_OCTETS;
        w->col_out = FSN_MIB_HOST_CTR0 + FSN_MIB_OUT_OCTETS;
        break;
    case MRTG_SERVICE:
        w->kind_title = "Service";
        w->sym_in = "flowServiceInOctets";
        w->sym_out = "flowServiceOutOctets";
        w->table = FSN_MIB_SERVICE_TABLE;
        w->col_in = FSN_MIB_SERVICE_CTR0 + FSN_MIB_IN_OCTETS;
        w->col_out = FSN_MIB_SERVICE_CTR0 + FSN_MIB_OUT_OCTETS;
        break;
    case MRTG_PROTO:
        w->kind_title = "Protocol";
        w->sym_in = "flowProtocolInOctets";
        w->sym_out = "flowProtocolOutOctets";
        w->table = FSN_MIB_PROTO_TABLE;
        w->col_in = FSN_MIB_PROTO_CTR0 + FSN_MIB_IN_OCTETS;
        w->col_out = FSN_MIB_PROTO_CTR0 + FSN_MIB_OUT_OCTETS;
        break;
    case MRTG_HOSTSVC:
        w->kind_title = "Host service";
        w->table = FSN_MIB_HOSTSVC_TABLE;
        if (variant) {
            w->sym_in = "flowHostServiceUsedInOctets";
            w->sym_out = "flowHostServiceUsedOutOctets";
            w->col_in = FSN_MIB_HS_USED0 + FSN_MIB_IN_OCTETS;
            w->col_out = FSN_MIB_HS_USED0 + FSN_MIB_OUT_OCTETS;
        } else {
            w->sym_in = "flowHostServiceProvInOctets";
            w->sym_out = "flowHostServiceProvOutOctets";
            w->col_in = FSN_MIB_HS_PROV0 + FSN_MIB_IN_OCTETS;
            w->col_out = FSN_MIB_HS_PROV0 + FSN_MIB_OUT_OCTETS;
        }
        break;
    default:
        break;
    }
}

/* The instance part of an OID: ".0" for scalars, else the row's index. */
static void put_instance(FILE *f, const struct mrtg_row *row)
{
    if (row->kind == MRTG_TOTAL) {
        fputs(".0", f);
        return;
    }
    for (size_t i = 0; i < row->idxlen; i++)
        fprintf(f, ".%" PRIu32, row->idx[i]);
}

/* One object of a target: numeric (root.1.table.1.col.index) or symbolic. */
static void put_oid(FILE *f, const struct mrtg_opts *o, const struct mrtg_row *row,
                    const struct what *w, bool out)
{
    if (o->mib_dir) {
        fputs(out ? w->sym_out : w->sym_in, f);
    } else {
        for (size_t i = 0; i < ROOT_LEN; i++)
            fprintf(f, i ? ".%" PRIu32 : "%" PRIu32, mib_root[i]);
        fprintf(f, ".%d", FSN_MIB_OBJECTS);
        if (w->table)
            fprintf(f, ".%" PRIu32 ".%d", w->table, FSN_MIB_ENTRY);
        else
            fprintf(f, ".%d", FSN_MIB_SCALARS);
        fprintf(f, ".%" PRIu32, out ? w->col_out : w->col_in);
    }
    put_instance(f, row);
}

/* Text for HTML (Title[], PageTop[]): &, <, >, " escaped. */
static void put_html(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* A community or user name in a target: MRTG wants '@' and ' ' escaped. */
static void put_community(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '@' || *s == ' ' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
}

/* A Perl single-quoted string for SnmpOptions[]. */
static void put_perl(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* 1000000000 -> "1 Gbit/s", 155520000 -> "155.52 Mbit/s". */
static void fmt_speed(uint64_t bps, char *out, size_t len)
{
    static const char *const unit[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
    double v = (double)bps;
    int u = 0;

    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    snprintf(out, len, "%.6g %s", v, unit[u]);
}

/* The agent as targets name it: host, [v6], port. */
static void put_agent(FILE *f, const struct mrtg_opts *o)
{
    fprintf(f, o->host_v6 ? "[%s]" : "%s", o->host);
    if (o->port)
        fprintf(f, ":%u", o->port);
    else
        fputc(':', f);
}

/* Who we asked, for titles: the agent's sysName, else its address. */
static const char *agent_name(const struct mrtg_opts *o, const struct mrtg_agent *a)
{
    return a->sys_name[0] ? a->sys_name : o->host;
}

static const char *exporter_format(long v)
{
    switch (v) {
    case 5:
        return "NetFlow v5";
    case 9:
        return "NetFlow v9";
    case 10:
        return "IPFIX";
    default:
        return "format unknown";
    }
}

/* A cell's service as people read it: its name, or "other traffic" for the other cell. */
static const char *cell_service(const struct mrtg_row *row)
{
    return strcmp(row->name, "other") == 0 ? "other traffic" : row->name;
}

/* The row's heading ("Host 10.1.0.5") and the detail line that names it. */
static void describe(const struct mrtg_row *row, unsigned variant, char *head, size_t hlen,
                     char *detail, size_t dlen)
{
    switch (row->kind) {
    case MRTG_TOTAL:
        snprintf(head, hlen, variant ? "Flow records received and lost" :
                 "Traffic of all local hosts");
        snprintf(detail, dlen, variant ? "records from all exporters; lost: by sequence "
                 "numbers" : "in: to local addresses; out: from local addresses");
        break;
    case MRTG_HOSTSVC:
        /* "Host 10.1.0.5 provides https", "Other hosts use dns". */
        if (row->family == 0)
            snprintf(head, hlen, "Other hosts %s %s", variant ? "use" : "provide",
                     cell_service(row));
        else
            snprintf(head, hlen, "Host %s %s %s", row->label, role_word[variant],
                     cell_service(row));
        snprintf(detail, dlen, variant ? "uses: the client (the other end's port is the "
                 "service's)" : "provides: the server (its own port is the service's)");
        break;
    case MRTG_EXPORTER:
        snprintf(head, hlen, "Exporter %s, domain %u", row->label, (unsigned)row->domain);
        snprintf(detail, dlen, "%s %s, observation domain %u", exporter_format(row->version),
                 row->label, (unsigned)row->domain);
        break;
    case MRTG_HOST:
        if (row->family == 0) {
            snprintf(head, hlen, "Other hosts");
            snprintf(detail, dlen, "local hosts without a row of their own (max-hosts)");
        } else {
            snprintf(head, hlen, "Host %s", row->label);
            snprintf(detail, dlen, "%s (IPv%d)", row->label, row->family);
        }
        break;
    case MRTG_SERVICE:
        snprintf(head, hlen, "Service %s", row->label);
        snprintf(detail, dlen, "%s: %s", row->label, row->text[0] ? row->text : "no ports");
        break;
    case MRTG_PROTO:
        snprintf(head, hlen, "Protocol %s", row->label);
        snprintf(detail, dlen, "IP protocol %u (%s)", (unsigned)row->proto, row->label);
        break;
    default:
        head[0] = detail[0] = '\0';
    }
}

static void put_row(FILE *f, const char *label, const char *value)
{
    fputs("\t\t\t\t<tr><td>", f);
    put_html(f, label);
    fputs("</td><td>", f);
    put_html(f, value);
    fputs("</td></tr>\n", f);
}

/* The target name's suffix for a variant: the totals' records, a cell's role. */
static const char *variant_suffix(const struct mrtg_row *row, unsigned variant)
{
    if (row->kind == MRTG_HOSTSVC)
        return variant ? "_uses" : "_provides";
    return variant ? "_records" : "";
}

static void put_target(FILE *f, const struct mrtg_opts *o, const struct mrtg_agent *a,
                       const struct mrtg_row *row, unsigned variant)
{
    struct what w;
    char name[MRTG_NAME_MAX + 16], head[512], detail[512], title[1024], buf[1024];
    char speed[64];
    const char *t;

    what_of(row, variant, &w);
    snprintf(name, sizeof name, "%s%s", row->target, variant_suffix(row, variant));
    t = name;
    describe(row, variant, head, sizeof head, detail, sizeof detail);
    snprintf(title, sizeof title, "%s -- %s", head, agent_name(o, a));

    fprintf(f, "\n### %s >> %s", head, w.sym_in);
    put_instance(f, row);
    fprintf(f, " | %s", w.sym_out);
    put_instance(f, row);
    fputs(" ###\n\n", f);

    fprintf(f, "Target[%s]: ", t);
    put_oid(f, o, row, &w, false);
    fputc('&', f);
    put_oid(f, o, row, &w, true);
    fputc(':', f);
    put_community(f, o->version == 3 ? o->user : o->community);
    fputc('@', f);
    put_agent(f, o);
    fprintf(f, "::::%d\n", o->version);
    if (o->version == 3) {
        fprintf(f, "SnmpOptions[%s]: username=>", t);
        put_perl(f, o->user);
        if (o->auth_pass) {
            fputs(",authpassword=>", f);
            put_perl(f, o->auth_pass);
            fprintf(f, ",authprotocol=>'%s'",
                    o->auth_proto && strcasecmp(o->auth_proto, "MD5") == 0 ? "md5" : "sha");
        }
        if (o->priv_pass) {
            fputs(",privpassword=>", f);
            put_perl(f, o->priv_pass);
            fprintf(f, ",privprotocol=>'%s'",
                    o->priv_proto && strcasecmp(o->priv_proto, "DES") == 0 ? "des" :
                    "aes");
        }
        fputc('\n', f);
    }
    if (w.records) {
        fprintf(f, "MaxBytes[%s]: %d\n", t, MAX_RECORDS_PER_S);
        fprintf(f, "Options[%s]: growright, nopercent, noinfo\n", t);
    } else {
        fprintf(f, "MaxBytes[%s]: %" PRIu64 "\n", t, o->link_bps / 8);
        fprintf(f, "Options[%s]: bits, growright, noinfo\n", t);
    }
    fprintf(f, "Title[%s]: ", t);
    put_html(f, title);
    fprintf(f, "\nPageTop[%s]: <h1>", t);
    put_html(f, title);
    fputs("</h1>\n\t\t<div id=\"sysdetails\">\n\t\t\t<table>\n", f);
    switch (row->kind) {
    case MRTG_HOST:
        put_row(f, "Host:", detail);
        break;
    case MRTG_SERVICE:
        put_row(f, "Service:", detail);
        break;
    case MRTG_PROTO:
        put_row(f, "Protocol:", detail);
        break;
    case MRTG_EXPORTER:
        put_row(f, "Exporter:", detail);
        break;
    case MRTG_HOSTSVC:
        if (row->family)
            snprintf(buf, sizeof buf, "%s (IPv%d)", row->label, row->family);
        else
            snprintf(buf, sizeof buf, "local hosts without a cell for this service "
                     "(max-hosts, host-services, max-host-services)");
        put_row(f, "Host:", buf);
        put_row(f, "Service:", strcmp(row->name, "other") == 0 ?
                "other: traffic that matched no service, or did not fit host-services" :
                row->name);
        put_row(f, "Role:", detail);
        break;
    default:
        put_row(f, "Counts:", detail);
    }
    snprintf(buf, sizeof buf, "%s, %s (FLOWSNMP-MIB)", w.sym_in, w.sym_out);
    put_row(f, "Counters:", buf);
    snprintf(buf, sizeof buf, "%s%s%s", agent_name(o, a), a->software[0] ? ", " : "",
             a->software);
    put_row(f, "Agent:", buf);
    if (w.records)
        snprintf(buf, sizeof buf, "%d records/s", MAX_RECORDS_PER_S);
    else {
        fmt_speed(o->link_bps, speed, sizeof speed);
        snprintf(buf, sizeof buf, "%s", speed);
    }
    put_row(f, "Max Speed:", buf);
    fputs("\t\t\t</table>\n\t\t</div>\n", f);

    if (w.records) {
        fprintf(f, "YLegend[%s]: Records per second\n", t);
        fprintf(f, "ShortLegend[%s]: rec/s\n", t);
        fprintf(f, "Legend1[%s]: Flow records received\n", t);
        fprintf(f, "Legend2[%s]: Flow records lost\n", t);
        fprintf(f, "Legend3[%s]: Peak 5-minute records received\n", t);
        fprintf(f, "Legend4[%s]: Peak 5-minute records lost\n", t);
        fprintf(f, "LegendI[%s]: &nbsp;Received:\n", t);
        fprintf(f, "LegendO[%s]: &nbsp;Lost:\n", t);
        return;
    }
    /* In is traffic to local addresses, out is traffic from them (the counting rules). */
    const char *to = "to", *from = "from";
    char who[300];

    switch (row->kind) {
    case MRTG_HOST:
        snprintf(who, sizeof who, "%s", row->family ? row->label : "the other hosts");
        break;
    case MRTG_HOSTSVC:
        /* "10.1.0.5 as https server", "the other hosts as dns clients". */
        snprintf(who, sizeof who, "%s as %s %s%s", row->family ? row->label : "the other hosts",
                 cell_service(row), variant ? "client" : "server", row->family ? "" : "s");
        break;
    case MRTG_TOTAL:
        snprintf(who, sizeof who, "local hosts");
        break;
    default:
        snprintf(who, sizeof who, "local hosts (%s)", row->label);
    }
    fprintf(f, "YLegend[%s]: Bits per second\n", t);
    fprintf(f, "ShortLegend[%s]: b/s\n", t);
    fprintf(f, "Legend1[%s]: Traffic %s ", t, to);
    put_html(f, who);
    fprintf(f, "\nLegend2[%s]: Traffic %s ", t, from);
    put_html(f, who);
    fprintf(f, "\nLegend3[%s]: Peak 5-minute traffic %s ", t, to);
    put_html(f, who);
    fprintf(f, "\nLegend4[%s]: Peak 5-minute traffic %s ", t, from);
    put_html(f, who);
    fprintf(f, "\nLegendI[%s]: &nbsp;In:\n", t);
    fprintf(f, "LegendO[%s]: &nbsp;Out:\n", t);
}

/* True when a --global line sets the global keyword `key` (case-insensitive). */
static bool global_sets(const struct mrtg_opts *o, const char *key)
{
    size_t k = strlen(key);

    for (size_t i = 0; i < o->nglobal; i++)
        if (strncasecmp(o->global[i], key, k) == 0 && o->global[i][k] == ':')
            return true;
    return false;
}

int mrtg_cfg_write(FILE *f, const struct mrtg_opts *o, const struct mrtg_agent *a,
                   const struct mrtg_rows *r)
{
    char date[64], speed[64];
    time_t now = time(NULL);
    struct tm tm;
    size_t count[MRTG_NKIND] = {0};

    localtime_r(&now, &tm);
    strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
    fmt_speed(o->link_bps, speed, sizeof speed);
    for (size_t i = 0; i < r->n; i++)
        if (r->row[i].chosen)
            count[r->row[i].kind]++;

    fprintf(f, "# Created by\n# %s\n# on %s\n#\n", o->cmdline, date);
    fprintf(f, "# flowmrtg %s: MRTG targets for FLOWSNMP-MIB "
            "(1.3.6.1.4.1.8072.9999.9999.4242),\n", FSN_VERSION);
    fputs("# one per local host, service, IP protocol and exporter, and the totals.\n"
          "# Target names come from the MIB's indexes: re-running flowmrtg after hosts\n"
          "# come and go keeps every existing name (and MRTG's history of it).\n", f);
    fprintf(f, "# Hosts: %zu, services: %zu, protocols: %zu, exporters: %zu; "
            "link speed %s.\n", count[MRTG_HOST], count[MRTG_SERVICE], count[MRTG_PROTO],
            count[MRTG_EXPORTER], speed);
    if (o->want[MRTG_HOSTSVC])
        fprintf(f, "# Hosts x services: %zu cells of the hosts chosen, a target for each role "
                "(provides, uses)\n# a cell has counted.\n", count[MRTG_HOSTSVC]);

    if (o->no_global) {
        fputs("#\n# Targets only (--no-global), for `Include:` in an mrtg.cfg that has "
              "WorkDir\n", f);
        if (o->version == 3)
            fputs("# and EnableSnmpV3: yes (these targets poll over SNMPv3)\n", f);
        else
            fputs("# in its global section.\n", f);
        goto banner;
    }
    fputs("\n### Global Config Options\n\n#  for UNIX\n# WorkDir: /home/http/mrtg\n\n", f);
    if (o->workdir)
        fprintf(f, "WorkDir: %s\n", o->workdir);
    else if (!global_sets(o, "WorkDir"))
        fputs("# (no --workdir given: set WorkDir before running mrtg)\n", f);
    if (o->logformat)
        fprintf(f, "LogFormat: %s\n", o->logformat);
    if (!global_sets(o, "EnableIPv6"))
        fprintf(f, "EnableIPv6: %s\n", o->host_v6 ? "yes" : "no");
    if (o->version == 3 && !global_sets(o, "EnableSnmpV3"))
        fputs("EnableSnmpV3: yes\n", f);
    if (o->mib_dir)
        fprintf(f, "LoadMIBs: %s, %s/FLOWSNMP-MIB.txt\n", o->netsnmp_mib, o->mib_dir);
    for (size_t i = 0; i < o->nglobal; i++)
        fprintf(f, "%s\n", o->global[i]);

banner:
    fputs("\n######################################################################\n", f);
    fprintf(f, "# System: %s\n", a->sys_name);
    fprintf(f, "# Description: %s\n", a->sys_descr);
    fprintf(f, "# Contact: %s\n", a->sys_contact);
    fprintf(f, "# Location: %s\n", a->sys_location);
    fprintf(f, "# FLOWSNMP-MIB: %s, %lu host rows in use\n", a->software, a->host_rows);
    fputs("######################################################################\n", f);

    for (int k = 0; k < MRTG_NKIND; k++) {
        for (size_t i = 0; i < r->n; i++) {
            const struct mrtg_row *row = &r->row[i];

            if (row->kind != (enum mrtg_kind)k || !row->chosen)
                continue;
            for (unsigned v = 0; v < 2; v++)
                if (mrtg_row_variants(row) & (1u << v))
                    put_target(f, o, a, row, v);
        }
    }
    return ferror(f) ? -1 : 0;
}
