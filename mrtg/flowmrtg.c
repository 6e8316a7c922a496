/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowmrtg: cfgmaker for FLOWSNMP-MIB. Walks the agent's host, service,
 * protocol and exporter tables over SNMPv2c or SNMPv3 and writes an MRTG
 * configuration with a target per row and for the totals.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "mrtg/mrtg.h"

#ifndef FSN_VERSION
#define FSN_VERSION "unknown"
#endif

#define PROG "flowmrtg"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROG " [options] [COMMUNITY@]HOST[:PORT]\n"
            "       " PROG " --help | --version\n"
            "\n"
            "Walks FLOWSNMP-MIB on the agent HOST (snmpd with flowagentx) and writes an MRTG\n"
            "configuration: a target per local host, service, IP protocol and exporter,\n"
            "and for the totals (in/out octets; exporters: records received/lost).\n"
            "HOST may be a name, an IPv4 address or [an IPv6 address]; PORT defaults to 161.\n"
            "\n"
            "What to write:\n"
            "  -o, --output FILE        write to FILE (replaced when complete; default stdout)\n"
            "  --tables LIST            of totals,exporters,hosts,services,protocols (default\n"
            "                           all)\n"
            "  --top N                  only the N hosts with the most traffic (in + out)\n"
            "  --host-filter CIDR       only hosts within CIDR; repeatable (any may match)\n"
            "  --host-services          also, for the hosts chosen (--top, --host-filter), a\n"
            "                           target per service the host provides and per service\n"
            "                           it uses (flowHostServiceTable), its other traffic\n"
            "                           included\n"
            "  --link-speed BPS         link speed for MaxBytes, bits per second with an\n"
            "                           optional k, M, G or T (x1000): 100M, 1G, 10G\n"
            "                           (default 1G)\n"
            "  --workdir DIR            WorkDir: DIR (MRTG's logs, graphs, pages; must exist)\n"
            "  --logformat rrdtool      LogFormat: rrdtool (needs librrds-perl)\n"
            "  --global 'KEY: VALUE'    a line for the global section; repeatable\n"
            "  --mib-dir DIR            symbolic OIDs, with LoadMIBs: DIR/FLOWSNMP-MIB.txt and\n"
            "                           NET-SNMP-MIB.txt (from DIR or /usr/share/snmp/mibs);\n"
            "                           default: numeric OIDs, no MIB files needed\n"
            "  --no-global              targets only, no global section: for `Include:` in\n"
            "                           an existing mrtg.cfg\n"
            "  -q, --quiet              no summary on stderr\n"
            "\n"
            "SNMP (as net-snmp's tools spell them):\n"
            "  -v 2c|3                  SNMP version (default 2c; Counter64 needs 2c or 3)\n"
            "  -c COMMUNITY             community (default public, or COMMUNITY@ above)\n"
            "  -u USER                  SNMPv3 user\n"
            "  -l LEVEL                 noAuthNoPriv, authNoPriv or authPriv (default: from\n"
            "                           the pass phrases given)\n"
            "  -a SHA|MD5               authentication protocol (default SHA)\n"
            "  -A PASSPHRASE            authentication pass phrase\n"
            "  -x AES|DES               privacy protocol (default AES)\n"
            "  -X PASSPHRASE            privacy pass phrase\n"
            "  -t SECONDS               timeout per request (default 1)\n"
            "  -r N                     retries (default 5)\n"
            "  --max-repetitions N      GETBULK repetitions per request (default 50)\n"
            "\n"
            "  -h, --help               this help\n"
            "  --version                print the version\n"
            "\n"
            "SNMPv3 pass phrases end up in the configuration (SnmpOptions[], as MRTG\n"
            "needs them): keep the file private. See flowmrtg(1).\n");
}

enum {
    OPT_TOP = 256,
    OPT_LINK,
    OPT_GLOBAL,
    OPT_WORKDIR,
    OPT_LOGFORMAT,
    OPT_TABLES,
    OPT_FILTER,
    OPT_MIBDIR,
    OPT_MAXREP,
    OPT_VERSION,
    OPT_NOGLOBAL,
    OPT_HOSTSVC,
};

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"tables", required_argument, NULL, OPT_TABLES},
    {"top", required_argument, NULL, OPT_TOP},
    {"host-filter", required_argument, NULL, OPT_FILTER},
    {"link-speed", required_argument, NULL, OPT_LINK},
    {"workdir", required_argument, NULL, OPT_WORKDIR},
    {"logformat", required_argument, NULL, OPT_LOGFORMAT},
    {"global", required_argument, NULL, OPT_GLOBAL},
    {"mib-dir", required_argument, NULL, OPT_MIBDIR},
    {"max-repetitions", required_argument, NULL, OPT_MAXREP},
    {"no-global", no_argument, NULL, OPT_NOGLOBAL},
    {"host-services", no_argument, NULL, OPT_HOSTSVC},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* "100M", "1G", "2.5G", "10000000000" -> bits per second; 0 on error. */
static uint64_t parse_speed(const char *s)
{
    char *end;
    double v, mult = 1;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno || !(v > 0))
        return 0;
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1e3, end++;
        break;
    case 'm':
    case 'M':
        mult = 1e6, end++;
        break;
    case 'g':
    case 'G':
        mult = 1e9, end++;
        break;
    case 't':
    case 'T':
        mult = 1e12, end++;
        break;
    }
    if (*end && strcmp(end, "bps") != 0 && strcmp(end, "bit/s") != 0)
        return 0;
    v *= mult;
    if (v < 8 || v > 1e15)
        return 0;
    return (uint64_t)(v + 0.5);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (*end || errno || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Sets want[0..MRTG_NTABLES) from --tables (the cells have an option of their own). */
static int parse_tables(const char *list, bool want[MRTG_NKIND])
{
    char buf[256], *save = NULL, *tok;

    snprintf(buf, sizeof buf, "%s", list);
    memset(want, 0, MRTG_NTABLES * sizeof want[0]);
    for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        int k;

        for (k = 0; k < MRTG_NTABLES; k++) {
            const char *n = mrtg_kind_name((enum mrtg_kind)k);
            size_t len = strlen(n);

            /* "hosts" or "host"; "totals" or "total"; also "all". */
            if (strcmp(tok, n) == 0 || (strlen(tok) == len - 1 && strncmp(tok, n, len - 1) == 0))
                break;
        }
        if (strcmp(tok, "all") == 0) {
            for (k = 0; k < MRTG_NTABLES; k++)
                want[k] = true;
            continue;
        }
        if (k == MRTG_NTABLES) {
            fprintf(stderr, PROG ": --tables: unknown table \"%s\" (totals, exporters, hosts, "
                    "services, protocols)\n", tok);
            return -1;
        }
        want[k] = true;
    }
    return 0;
}

/* Splits [COMMUNITY@]HOST[:PORT] into the options. */
static int parse_agent(const char *arg, struct mrtg_opts *o)
{
    const char *at = strrchr(arg, '@'), *h = arg;
    char host[300];
    struct fsn_addr a;

    if (at) {
        static char community[256];

        if ((size_t)(at - arg) >= sizeof community) {
            fprintf(stderr, PROG ": community too long\n");
            return -1;
        }
        memcpy(community, arg, (size_t)(at - arg));
        community[at - arg] = '\0';
        if (community[0])
            o->community = community;
        h = at + 1;
    }
    snprintf(host, sizeof host, "%s", h);
    if (host[0] == '[') {
        char *close = strchr(host, ']');

        if (!close) {
            fprintf(stderr, PROG ": %s: missing ']'\n", h);
            return -1;
        }
        *close = '\0';
        if (close[1] == ':') {
            unsigned long p;

            if (parse_uint(close + 2, 65535, &p) != 0 || p == 0) {
                fprintf(stderr, PROG ": %s: bad port\n", h);
                return -1;
            }
            o->port = (unsigned)p;
        } else if (close[1]) {
            fprintf(stderr, PROG ": %s: expected [ADDRESS]:PORT\n", h);
            return -1;
        }
        memmove(host, host + 1, strlen(host));
    } else {
        char *colon = strchr(host, ':');

        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* an IPv6 address without brackets, and no port */
        if (colon) {
            unsigned long p;

            *colon = '\0';
            if (parse_uint(colon + 1, 65535, &p) != 0 || p == 0) {
                fprintf(stderr, PROG ": %s: bad port\n", h);
                return -1;
            }
            o->port = (unsigned)p;
        }
    }
    if (!host[0] || strlen(host) >= sizeof o->host) {
        fprintf(stderr, PROG ": %s: no host\n", arg);
        return -1;
    }
    snprintf(o->host, sizeof o->host, "%s", host);
    o->host_v6 = fsn_addr_parse(host, &a) == 0 && a.family == 6;
    return 0;
}

/* The command line for the header, pass phrases masked, odd words quoted. */
static char *command_line(int argc, char **argv)
{
    size_t cap = 64;
    char *s;

    for (int i = 0; i < argc; i++)
        cap += strlen(argv[i]) * 4 + 16; /* quoting, or a mask longer than the word */
    s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        bool secret = i > 0 && (strcmp(argv[i - 1], "-A") == 0 || strcmp(argv[i - 1], "-X") == 0);
        char *p = s + strlen(s);

        if (i)
            *p++ = ' ';
        if (secret || ((strncmp(w, "-A", 2) == 0 || strncmp(w, "-X", 2) == 0) && w[2])) {
            sprintf(p, "%s********", secret ? "" : (w[1] == 'A' ? "-A" : "-X"));
            continue;
        }
        if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                            "-_.,:/@=+[]%") == strlen(w)) {
            strcpy(p, w);
            continue;
        }
        *p++ = '\'';
        for (; *w; w++) {
            if (*w == '\'') {
                strcpy(p, "'\\''");
                p += 4;
            } else if ((unsigned char)*w < 0x20)
                *p++ = '?';
            else
                *p++ = *w;
        }
        *p++ = '\'';
        *p = '\0';
    }
    return s;
}

static int parse_options(int argc, char **argv, struct mrtg_opts *o, const char **output,
                         bool *quiet)
{
    int opt;
    unsigned long v;

    while ((opt = getopt_long(argc, argv, "o:v:c:u:l:a:A:x:X:t:r:qh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'o':
            *output = optarg;
            break;
        case 'v':
            if (strcmp(optarg, "2c") == 0 || strcmp(optarg, "2") == 0)
                o->version = 2;
            else if (strcmp(optarg, "3") == 0)
                o->version = 3;
            else {
                fprintf(stderr, PROG ": -v %s: only 2c and 3 (Counter64 needs SNMPv2c or "
                        "SNMPv3)\n", optarg);
                return -1;
            }
            break;
        case 'c':
            o->community = optarg;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'l':
            o->level = optarg;
            break;
        case 'a':
            o->auth_proto = optarg;
            break;
        case 'A':
            o->auth_pass = optarg;
            break;
        case 'x':
            o->priv_proto = optarg;
            break;
        case 'X':
            o->priv_pass = optarg;
            break;
        case 't': {
            char *end;
            double t = strtod(optarg, &end);

            if (*end || !(t > 0) || t > 600) {
                fprintf(stderr, PROG ": -t %s: seconds, more than 0\n", optarg);
                return -1;
            }
            o->timeout_ms = (long)(t * 1000);
            break;
        }
        case 'r':
            if (parse_uint(optarg, 100, &v) != 0) {
                fprintf(stderr, PROG ": -r %s: 0 to 100\n", optarg);
                return -1;
            }
            o->retries = (int)v;
            break;
        case OPT_TABLES:
            if (parse_tables(optarg, o->want) != 0)
                return -1;
            break;
        case OPT_TOP:
            if (parse_uint(optarg, 10000000, &v) != 0 || v == 0) {
                fprintf(stderr, PROG ": --top %s: a number of hosts, 1 or more\n", optarg);
                return -1;
            }
            o->top = (unsigned)v;
            break;
        case OPT_FILTER:
            if (o->nfilter == MRTG_MAX_FILTERS) {
                fprintf(stderr, PROG ": at most %d --host-filter\n", MRTG_MAX_FILTERS);
                return -1;
            }
            if (fsn_cidr_parse(optarg, &o->filter[o->nfilter]) != 0) {
                fprintf(stderr, PROG ": --host-filter %s: expected a prefix such as "
                        "192.0.2.0/24 or 2001:db8::/32\n", optarg);
                return -1;
            }
            o->nfilter++;
            break;
        case OPT_LINK:
            o->link_bps = parse_speed(optarg);
            o->link_text = optarg;
            if (!o->link_bps) {
                fprintf(stderr, PROG ": --link-speed %s: bits per second, e.g. 100M, 1G, "
                        "10G or 2500000000\n", optarg);
                return -1;
            }
            break;
        case OPT_WORKDIR:
            o->workdir = optarg;
            break;
        case OPT_LOGFORMAT:
            if (strcmp(optarg, "rrdtool") != 0 && strcmp(optarg, "rateup") != 0) {
                fprintf(stderr, PROG ": --logformat %s: rrdtool or rateup\n", optarg);
                return -1;
            }
            o->logformat = optarg;
            break;
        case OPT_GLOBAL:
            if (o->nglobal == MRTG_MAX_GLOBALS) {
                fprintf(stderr, PROG ": at most %d --global\n", MRTG_MAX_GLOBALS);
                return -1;
            }
            if (!strchr(optarg, ':') || strchr(optarg, '\n')) {
                fprintf(stderr, PROG ": --global '%s': expected one line 'Keyword: value'\n",
                        optarg);
                return -1;
            }
            o->global[o->nglobal++] = optarg;
            break;
        case OPT_MIBDIR:
            o->mib_dir = optarg;
            break;
        case OPT_MAXREP:
            if (parse_uint(optarg, 1000, &v) != 0 || v == 0) {
                fprintf(stderr, PROG ": --max-repetitions %s: 1 to 1000\n", optarg);
                return -1;
            }
            o->max_rep = (unsigned)v;
            break;
        case OPT_NOGLOBAL:
            o->no_global = true;
            break;
        case OPT_HOSTSVC:
            o->want[MRTG_HOSTSVC] = true;
            break;
        case 'q':
            *quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case OPT_VERSION:
            printf(PROG " %s\n", FSN_VERSION);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, PROG ": give one agent, [COMMUNITY@]HOST[:PORT] (see --help)\n");
        return -1;
    }
    return parse_agent(argv[optind], o);
}

/* Checks what the options say together; finds NET-SNMP-MIB for --mib-dir. */
static int check_options(struct mrtg_opts *o)
{
    static char netsnmp[4096], ours[4096];

    if (o->version == 3 && !o->user) {
        fprintf(stderr, PROG ": SNMPv3 needs -u USER\n");
        return -1;
    }
    if (o->community && (strchr(o->community, ':') || strchr(o->community, '&') ||
                         strpbrk(o->community, "\t\n\r"))) {
        fprintf(stderr, PROG ": a community with ':', '&' or control characters cannot be "
                "written into an MRTG target\n");
        return -1;
    }
    if (o->mib_dir) {
        snprintf(ours, sizeof ours, "%s/FLOWSNMP-MIB.txt", o->mib_dir);
        if (access(ours, R_OK) != 0) {
            fprintf(stderr, PROG ": --mib-dir: %s: %s\n", ours, strerror(errno));
            return -1;
        }
        snprintf(netsnmp, sizeof netsnmp, "%s/NET-SNMP-MIB.txt", o->mib_dir);
        if (access(netsnmp, R_OK) != 0)
            snprintf(netsnmp, sizeof netsnmp, "/usr/share/snmp/mibs/NET-SNMP-MIB.txt");
        if (access(netsnmp, R_OK) != 0) {
            fprintf(stderr, PROG ": --mib-dir: NET-SNMP-MIB.txt is neither in %s nor in "
                    "/usr/share/snmp/mibs (Debian: libsnmp-base); MRTG needs it for the "
                    "parents of FLOWSNMP-MIB's root\n", o->mib_dir);
            return -1;
        }
        o->netsnmp_mib = netsnmp;
        /* Both file names go into one LoadMIBs line, which MRTG splits at commas. */
        if (strpbrk(o->mib_dir, ", \t")) {
            fprintf(stderr, PROG ": --mib-dir: MRTG cannot load MIBs from a path with "
                    "commas or blanks\n");
            return -1;
        }
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct mrtg_opts o;
    struct mrtg_agent agent;
    struct mrtg_rows rows;
    struct mrtg_snmp *snmp = NULL;
    const char *output = NULL;
    char err[512], tmp[4096];
    unsigned long requests = 0;
    bool quiet = false;
    size_t found[MRTG_NKIND] = {0}, chosen[MRTG_NKIND] = {0}, hs_targets = 0;
    FILE *f = NULL;
    double t0 = now_s();
    int ret = 1, rc;

    memset(&o, 0, sizeof o);
    o.version = 2;
    o.community = "public";
    o.timeout_ms = 1000;
    o.retries = 5;
    o.max_rep = 50;
    o.link_bps = 1000000000;
    o.link_text = "1G";
    for (int k = 0; k < MRTG_NTABLES; k++)
        o.want[k] = true;
    mrtg_rows_init(&rows);

    rc = parse_options(argc, argv, &o, &output, &quiet);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (check_options(&o) != 0)
        return 2;
    o.cmdline = command_line(argc, argv);
    if (!o.cmdline) {
        fprintf(stderr, PROG ": out of memory\n");
        return 1;
    }

    snmp = mrtg_snmp_open(&o, err, sizeof err);
    if (!snmp) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    if (mrtg_snmp_agent(snmp, &agent, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s:%u: %s\n", o.host, o.port ? o.port : 161, err);
        goto out;
    }
    mrtg_rows_add_total(&rows);
    for (int k = MRTG_EXPORTER; k < MRTG_NTABLES; k++) {
        /* The cells need the hosts, to choose among them, even without host targets. */
        if (!o.want[k] && !(k == MRTG_HOST && o.want[MRTG_HOSTSVC]))
            continue;
        if (mrtg_rows_walk(snmp, (enum mrtg_kind)k, &rows, &requests, err, sizeof err) != 0) {
            fprintf(stderr, PROG ": %s: %s\n", mrtg_kind_name((enum mrtg_kind)k), err);
            goto out;
        }
    }
    mrtg_rows_choose(&rows, &o);
    if (o.want[MRTG_HOSTSVC] &&
        mrtg_rows_cells(snmp, &rows, &o, &requests, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s: %s\n", mrtg_kind_name(MRTG_HOSTSVC), err);
        goto out;
    }
    for (size_t i = 0; i < rows.n; i++) {
        const struct mrtg_row *x = &rows.row[i];

        found[x->kind]++;
        chosen[x->kind] += x->chosen;
        if (x->kind == MRTG_HOSTSVC && x->chosen)
            hs_targets += (mrtg_row_variants(x) & 1) + (mrtg_row_variants(x) >> 1);
    }
    if (o.want[MRTG_HOSTSVC] && found[MRTG_HOSTSVC] == 0)
        fprintf(stderr, PROG ": warning: --host-services: the agent has no hosts x services "
                "cells for the hosts chosen (is host-services on in the collector, and "
                "flowagentx new enough to serve flowHostServiceTable?)\n");
    double t_walk = now_s() - t0;

    if (output) {
        snprintf(tmp, sizeof tmp, "%s.tmp%ld", output, (long)getpid());
        /* SNMPv3 pass phrases end up in the file: then only its owner may read it. */
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, o.version == 3 ? 0600 : 0644);

        f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) {
            if (fd >= 0)
                close(fd);
            fprintf(stderr, PROG ": %s: %s\n", tmp, strerror(errno));
            goto out;
        }
    }
    if (mrtg_cfg_write(f ? f : stdout, &o, &agent, &rows) != 0 ||
        fflush(f ? f : stdout) != 0) {
        fprintf(stderr, PROG ": %s: write error: %s\n", output ? tmp : "stdout",
                strerror(errno));
        goto out;
    }
    if (f) {
        rc = fclose(f);
        f = NULL;
        if (rc != 0 || rename(tmp, output) != 0) {
            fprintf(stderr, PROG ": %s: %s\n", output, strerror(errno));
            unlink(tmp);
            goto out;
        }
    }
    if (!quiet && o.want[MRTG_HOSTSVC])
        fprintf(stderr, PROG ": %s: %zu hosts x services cells, %zu targets\n", o.host,
                found[MRTG_HOSTSVC], hs_targets);
    if (!quiet)
        fprintf(stderr,
                PROG ": %s: %zu of %zu hosts, %zu services, %zu protocols, %zu exporters; "
                "%lu GETBULK requests; walk %.3f s, total %.3f s\n",
                o.host, chosen[MRTG_HOST], found[MRTG_HOST], chosen[MRTG_SERVICE],
                chosen[MRTG_PROTO], chosen[MRTG_EXPORTER], requests, t_walk, now_s() - t0);
    ret = 0;
out:
    if (f) {
        fclose(f);
        unlink(tmp);
    }
    mrtg_snmp_close(snmp);
    mrtg_rows_fini(&rows);
    free((char *)o.cmdline);
    return ret;
}
