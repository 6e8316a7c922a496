/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for flowmrtg's hosts x services targets (--host-services):
 * rows decoded from hand-encoded flowHostServiceTable indexes (RFC 2578
 * section 7.7: InetAddressType, InetAddress, IMPLIED name), their target
 * names, which roles make a target, and the configuration written for
 * them, compared line by line with targets written out by hand. The
 * integration tests (mrtg_hostsvc.t) run the same over SNMP and MRTG.
 */
#include <stdlib.h>
#include <string.h>

#include "mrtg/mrtg.h"
#include "tests/tap.h"

#define ROOT "1.3.6.1.4.1.8072.9999.9999.4242"

/* A cell row from its index, decoded and named as a walk would. */
static struct mrtg_row cell(const uint32_t *idx, size_t len, uint64_t prov, uint64_t used)
{
    struct mrtg_row row;

    memset(&row, 0, sizeof row);
    row.kind = MRTG_HOSTSVC;
    memcpy(row.idx, idx, len * sizeof idx[0]);
    row.idxlen = len;
    if (mrtg_row_decode(&row) != 0 || mrtg_target_name(&row, row.target, sizeof row.target) != 0)
        row.target[0] = '\0';
    row.octets[0] = prov;
    row.octets[1] = used;
    row.chosen = true;
    return row;
}

static const uint32_t i_https[] = {1, 4, 10, 1, 0, 5, 'h', 't', 't', 'p', 's'};
static const uint32_t i_dns[] = {1, 4, 10, 1, 0, 5, 'd', 'n', 's'};
static const uint32_t i_other[] = {1, 4, 10, 1, 0, 5, 'o', 't', 'h', 'e', 'r'};
static const uint32_t i_v6[] = {2,    16, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                                0,    0,  5,    'M',  'y',  '_',  'S', 'v', 'c'};
static const uint32_t i_ohttps[] = {0, 0, 'h', 't', 't', 'p', 's'};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_decode_names(void)
{
    struct mrtg_row r = cell(i_https, N(i_https), 1, 0);
    static const uint32_t bad_empty[] = {1, 4, 10, 1, 0, 5};
    static const uint32_t bad_zero[] = {1, 4, 10, 1, 0, 5, 'a', 0};
    static const uint32_t bad_type[] = {3, 4, 10, 1, 0, 5, 'a'};
    uint32_t long_name[2 + 16 + 31];
    struct mrtg_row x;

    is_int(r.family, 4, "IPv4 cell: family");
    is_str(r.label, "10.1.0.5", "IPv4 cell: the address as its label");
    is_str(r.name, "https", "IPv4 cell: the service name from the IMPLIED index");
    is_str(r.target, "host_10.1.0.5_https", "IPv4 cell: host_ADDRESS_SERVICE");
    r = cell(i_v6, N(i_v6), 1, 0);
    is_str(r.label, "2001:db8:1::5", "IPv6 cell: RFC 5952 label");
    is_str(r.name, "My_Svc", "IPv6 cell: service name");
    is_str(r.target, "host_2001-db8-1--5__4dy_5f_53vc",
           "IPv6 cell: ':' as '-', the name's capitals and '_' escaped");
    r = cell(i_ohttps, N(i_ohttps), 1, 0);
    is_int(r.family, 0, "other hosts' cell: family 0");
    is_str(r.label, "other hosts", "other hosts' cell: label");
    is_str(r.target, "host_other_https", "other hosts' cell: host_other_SERVICE");
    r = cell(i_other, N(i_other), 1, 1);
    is_str(r.target, "host_10.1.0.5_other", "a host's other cell: host_ADDRESS_other");

    memset(&x, 0, sizeof x);
    x.kind = MRTG_HOSTSVC;
    memcpy(x.idx, bad_empty, sizeof bad_empty);
    x.idxlen = N(bad_empty);
    ok(mrtg_row_decode(&x) != 0, "a cell index without a service name is refused");
    memcpy(x.idx, bad_zero, sizeof bad_zero);
    x.idxlen = N(bad_zero);
    ok(mrtg_row_decode(&x) != 0, "a name with a 0 byte is refused");
    memcpy(x.idx, bad_type, sizeof bad_type);
    x.idxlen = N(bad_type);
    ok(mrtg_row_decode(&x) != 0, "an unknown address type is refused");

    /* The longest name: a full IPv6 address and 31 bytes that each need escaping. */
    long_name[0] = 2;
    long_name[1] = 16;
    for (int i = 0; i < 16; i++)
        long_name[2 + i] = 0xff;
    for (int i = 0; i < 31; i++)
        long_name[18 + i] = 'A';
    x = cell(long_name, N(long_name), 1, 0);
    is_uint(strlen(x.target), 5 + 39 + 1 + 31 * 3, "the longest cell name (138 bytes) fits");
    ok(strncmp(x.target, "host_ffff-ffff-ffff-ffff-ffff-ffff-ffff-ffff__41_41", 51) == 0,
       "... and reads host_ffff-...-ffff__41_41...");
    memset(&x, 0, sizeof x);
    x.kind = MRTG_HOSTSVC;
    memcpy(x.idx, i_https, 6 * sizeof x.idx[0]);
    for (int i = 0; i < 32; i++)
        x.idx[6 + i] = 'a';
    x.idxlen = 6 + 32;
    ok(mrtg_row_decode(&x) != 0, "a 32-byte service name is refused (SIZE (1..31))");
    x.idxlen = 6 + 31;
    ok(mrtg_row_decode(&x) == 0, "... a 31-byte one is not");
}

static void test_variants(void)
{
    struct mrtg_row r = cell(i_https, N(i_https), 5, 0), t;

    is_uint(mrtg_row_variants(&r), 1, "a cell that only provided: its provides target");
    r = cell(i_https, N(i_https), 0, 7);
    is_uint(mrtg_row_variants(&r), 2, "a cell that only used: its uses target");
    r = cell(i_https, N(i_https), 5, 7);
    is_uint(mrtg_row_variants(&r), 3, "a cell with both roles: both targets");
    r = cell(i_https, N(i_https), 0, 0);
    is_uint(mrtg_row_variants(&r), 0, "a cell that has counted nothing: no target");
    memset(&t, 0, sizeof t);
    t.kind = MRTG_TOTAL;
    is_uint(mrtg_row_variants(&t), 3, "the totals: traffic and records");
    t.kind = MRTG_HOST;
    is_uint(mrtg_row_variants(&t), 1, "a host: one target");
}

/* The value of KEYWORD[NAME] in a configuration, or NULL; *count gets how often it is set. */
static const char *value(const char *cfg, const char *kw, const char *name, int *count)
{
    static char buf[2048];
    char key[300];
    const char *p = cfg, *found = NULL;

    snprintf(key, sizeof key, "%s[%s]: ", kw, name);
    *count = 0;
    while ((p = strstr(p, key))) {
        if (p == cfg || p[-1] == '\n') {
            (*count)++;
            found = p + strlen(key);
        }
        p++;
    }
    if (!found)
        return NULL;
    size_t n = strcspn(found, "\n");
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf - 1 ? n : sizeof buf - 1), found);
    return buf;
}

static int count_lines(const char *cfg, const char *prefix)
{
    int n = 0;

    for (const char *p = cfg; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            n++;
    }
    return n;
}

static char *write_cfg(const struct mrtg_opts *o, struct mrtg_rows *rows)
{
    struct mrtg_agent a;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    memset(&a, 0, sizeof a);
    snprintf(a.sys_name, sizeof a.sys_name, "collector1");
    snprintf(a.software, sizeof a.software, "flowcollectd 0.1.0");
    if (!f)
        return NULL;
    if (mrtg_cfg_write(f, o, &a, rows) != 0) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    return buf;
}

static void expect(const char *cfg, const char *name, const char *target, const char *title)
{
    int n = 0;
    const char *v = value(cfg, "Target", name, &n);

    ok(n == 1 && v && strcmp(v, target) == 0, "Target[%s]", name);
    if (v && strcmp(v, target) != 0)
        printf("#   got  %s\n#   want %s\n", v, target);
    v = value(cfg, "Title", name, &n);
    ok(n == 1 && v && strcmp(v, title) == 0, "Title[%s]: %s", name, title);
    if (v && strcmp(v, title) != 0)
        printf("#   got  %s\n", v);
    v = value(cfg, "MaxBytes", name, &n);
    ok(n == 1 && v && strcmp(v, "12500000") == 0, "MaxBytes[%s]: the link (100M) / 8", name);
    v = value(cfg, "Options", name, &n);
    ok(n == 1 && v && strcmp(v, "bits, growright, noinfo") == 0, "Options[%s]", name);
}

static void test_cfg(void)
{
    struct mrtg_opts o;
    struct mrtg_rows rows;
    struct mrtg_row *r;
    char *cfg;
    const char *agent = ":public@127.0.0.1:1161::::2";
    char want[1024];

    memset(&o, 0, sizeof o);
    o.version = 2;
    o.community = "public";
    snprintf(o.host, sizeof o.host, "127.0.0.1");
    o.port = 1161;
    o.link_bps = 100000000;
    o.want[MRTG_HOSTSVC] = true; /* --tables with no table but the cells' */
    o.cmdline = "flowmrtg --host-services";
    mrtg_rows_init(&rows);
    const struct mrtg_row cells[] = {
        cell(i_ohttps, N(i_ohttps), 1000, 0),
        cell(i_dns, N(i_dns), 0, 300),
        cell(i_https, N(i_https), 9000, 0),
        cell(i_other, N(i_other), 20, 30),
        cell(i_v6, N(i_v6), 0, 0),
    };
    for (size_t i = 0; i < N(cells); i++) {
        /* As a walk appends them; mrtg_rows has no other way in. */
        if (rows.n == rows.cap) {
            rows.cap = 16;
            rows.row = realloc(rows.row, rows.cap * sizeof *rows.row);
        }
        r = &rows.row[rows.n++];
        *r = cells[i];
    }
    cfg = write_cfg(&o, &rows);
    ok(cfg != NULL, "the configuration is written");
    if (!cfg) {
        mrtg_rows_fini(&rows);
        return;
    }
    is_int(count_lines(cfg, "Target["), 5,
           "5 targets: https provided by 10.1.0.5 and the other hosts, dns used, other both ways");
    snprintf(want, sizeof want,
             ROOT ".1.6.1.4.0.0.104.116.116.112.115&" ROOT ".1.6.1.5.0.0.104.116.116.112.115%s",
             agent);
    expect(cfg, "host_other_https_provides", want, "Other hosts provide https -- collector1");
    snprintf(want, sizeof want,
             ROOT ".1.6.1.10.1.4.10.1.0.5.100.110.115&" ROOT ".1.6.1.11.1.4.10.1.0.5.100.110.115%s",
             agent);
    expect(cfg, "host_10.1.0.5_dns_uses", want, "Host 10.1.0.5 uses dns -- collector1");
    snprintf(want, sizeof want,
             ROOT ".1.6.1.4.1.4.10.1.0.5.104.116.116.112.115&" ROOT
                  ".1.6.1.5.1.4.10.1.0.5.104.116.116.112.115%s",
             agent);
    expect(cfg, "host_10.1.0.5_https_provides", want, "Host 10.1.0.5 provides https -- collector1");
    snprintf(want, sizeof want,
             ROOT ".1.6.1.4.1.4.10.1.0.5.111.116.104.101.114&" ROOT
                  ".1.6.1.5.1.4.10.1.0.5.111.116.104.101.114%s",
             agent);
    expect(cfg, "host_10.1.0.5_other_provides", want,
           "Host 10.1.0.5 provides other traffic -- collector1");
    snprintf(want, sizeof want,
             ROOT ".1.6.1.10.1.4.10.1.0.5.111.116.104.101.114&" ROOT
                  ".1.6.1.11.1.4.10.1.0.5.111.116.104.101.114%s",
             agent);
    expect(cfg, "host_10.1.0.5_other_uses", want, "Host 10.1.0.5 uses other traffic -- collector1");
    int n;
    ok(value(cfg, "Target", "host_10.1.0.5_dns_provides", &n) == NULL,
       "no provides target for a cell that never provided");
    ok(value(cfg, "Target", "host_2001-db8-1--5__4dy_5f_53vc_provides", &n) == NULL &&
           value(cfg, "Target", "host_2001-db8-1--5__4dy_5f_53vc_uses", &n) == NULL,
       "no target for a cell that has counted nothing");
    const char *v = value(cfg, "Legend1", "host_10.1.0.5_https_provides", &n);
    ok(v && strcmp(v, "Traffic to 10.1.0.5 as https server") == 0, "Legend1 names host, "
       "service and role: %s", v ? v : "(none)");
    v = value(cfg, "Legend2", "host_other_https_provides", &n);
    ok(v && strcmp(v, "Traffic from the other hosts as https servers") == 0,
       "Legend2 of the other hosts: %s", v ? v : "(none)");
    ok(strstr(cfg, "<tr><td>Role:</td><td>uses: the client (the other end's port is the "
                   "service's)</td></tr>") != NULL,
       "PageTop says what the role means");
    /* The order: index order (the other hosts' 0.0 first), the same on every run. */
    const char *a = strstr(cfg, "Target[host_other_https_provides]");
    const char *b = strstr(cfg, "Target[host_10.1.0.5_dns_uses]");
    const char *c = strstr(cfg, "Target[host_10.1.0.5_https_provides]");
    const char *d = strstr(cfg, "Target[host_10.1.0.5_other_provides]");
    const char *e = strstr(cfg, "Target[host_10.1.0.5_other_uses]");
    ok(a && b && c && d && e && a < b && b < c && c < d && d < e,
       "targets in the rows' (index) order, provides before uses");
    if (getenv("SHOW_CFG"))
        fputs(cfg, stderr);
    free(cfg);

    /* Symbolic OIDs (--mib-dir) name the columns. */
    o.mib_dir = "/nonexistent";
    o.netsnmp_mib = "/nonexistent/NET-SNMP-MIB.txt";
    cfg = write_cfg(&o, &rows);
    v = cfg ? value(cfg, "Target", "host_10.1.0.5_dns_uses", &n) : NULL;
    ok(v && strcmp(v, "flowHostServiceUsedInOctets.1.4.10.1.0.5.100.110.115&"
                      "flowHostServiceUsedOutOctets.1.4.10.1.0.5.100.110.115"
                      ":public@127.0.0.1:1161::::2") == 0,
       "symbolic: flowHostServiceUsedInOctets & ...UsedOutOctets");
    v = cfg ? value(cfg, "Target", "host_10.1.0.5_https_provides", &n) : NULL;
    ok(v && strncmp(v, "flowHostServiceProvInOctets.1.4.10.1.0.5.104.116.116.112.115&"
                       "flowHostServiceProvOutOctets.", 90) == 0,
       "symbolic: flowHostServiceProvInOctets & ...ProvOutOctets");
    free(cfg);
    mrtg_rows_fini(&rows);
}

int main(void)
{
    test_decode_names();
    test_variants();
    test_cfg();
    return tap_done();
}
