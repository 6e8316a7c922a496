/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregator's configuration: defaults, the directive handlers that the
 * collector splices into its config table, the built-in list of services,
 * and IP protocol names (as in /etc/protocols).
 */
#include "rrd/agg.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

/* ---- protocol names ---- */

struct proto_name {
    uint8_t num;
    const char *name;
};

/* The keywords of /etc/protocols (Debian netbase) for the protocols seen in practice. */
static const struct proto_name proto_names[] = {
    {0, "hopopt"},     {1, "icmp"},       {2, "igmp"},        {4, "ipencap"},
    {6, "tcp"},        {8, "egp"},        {9, "igp"},         {17, "udp"},
    {27, "rdp"},       {33, "dccp"},      {41, "ipv6"},       {43, "ipv6-route"},
    {44, "ipv6-frag"}, {46, "rsvp"},      {47, "gre"},        {50, "esp"},
    {51, "ah"},        {58, "ipv6-icmp"}, {59, "ipv6-nonxt"}, {60, "ipv6-opts"},
    {88, "eigrp"},     {89, "ospf"},      {94, "ipip"},       {97, "etherip"},
    {98, "encap"},     {103, "pim"},      {108, "ipcomp"},    {112, "vrrp"},
    {115, "l2tp"},     {124, "isis"},     {132, "sctp"},      {133, "fc"},
    {135, "mobility-header"},             {136, "udplite"},   {137, "mpls-in-ip"},
    {139, "hip"},      {140, "shim6"},    {141, "wesp"},      {142, "rohc"},
    {143, "ethernet"},
};

const char *agg_proto_name(uint8_t proto, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++)
        if (proto_names[i].num == proto) {
            snprintf(buf, len, "%s", proto_names[i].name);
            return buf;
        }
    snprintf(buf, len, "%u", proto);
    return buf;
}

int agg_proto_parse(const char *s, uint8_t *out)
{
    char *end;
    unsigned long v;

    for (size_t i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++)
        if (strcasecmp(proto_names[i].name, s) == 0) {
            *out = proto_names[i].num;
            return 0;
        }
    if (!isdigit((unsigned char)*s))
        return FSN_E_SYNTAX;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > 255)
        return FSN_E_SYNTAX;
    *out = (uint8_t)v;
    return 0;
}

/* ---- services ---- */

struct builtin_service {
    const char *name;
    const char *ports;
};

/* Common services, named as in /etc/services; used when the config names none. */
static const struct builtin_service builtin_services[] = {
    {"ftp-data", "tcp/20"},        {"ftp", "tcp/21"},
    {"ssh", "tcp/22"},             {"telnet", "tcp/23"},
    {"smtp", "tcp/25"},            {"domain", "tcp/53 udp/53"},
    {"bootps", "udp/67"},          {"bootpc", "udp/68"},
    {"http", "tcp/80"},            {"kerberos", "tcp/88 udp/88"},
    {"pop3", "tcp/110"},           {"ntp", "udp/123"},
    {"netbios-ns", "udp/137"},     {"netbios-ssn", "tcp/139"},
    {"imap2", "tcp/143"},          {"snmp", "tcp/161 udp/161"},
    {"snmp-trap", "tcp/162 udp/162"}, {"ldap", "tcp/389 udp/389"},
    {"https", "tcp/443 udp/443"},  {"microsoft-ds", "tcp/445"},
    {"isakmp", "udp/500"},         {"syslog", "udp/514"},
    {"rtsp", "tcp/554 udp/554"},   {"submission", "tcp/587"},
    {"ldaps", "tcp/636 udp/636"},  {"domain-s", "tcp/853 udp/853"},
    {"rsync", "tcp/873"},          {"imaps", "tcp/993"},
    {"pop3s", "tcp/995"},          {"openvpn", "tcp/1194 udp/1194"},
    {"mysql", "tcp/3306"},         {"ms-wbt-server", "tcp/3389"},
    {"ipsec-nat-t", "udp/4500"},   {"sip", "tcp/5060 udp/5060"},
    {"xmpp-client", "tcp/5222"},   {"mdns", "udp/5353"},
    {"postgresql", "tcp/5432"},    {"http-alt", "tcp/8080"},
};

/* Private and unique-local ranges: the local networks when the config names none. */
static const char *const default_nets[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                           "fc00::/7"};

static bool name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= AGG_NAME_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.' &&
            s[i] != '+')
            return false;
    return true;
}

static int parse_range(const char *s, struct agg_port_range *r, char *err, size_t errlen)
{
    char proto[32];
    const char *slash = strchr(s, '/');
    const char *dash;
    uint64_t lo, hi;
    char num[16];
    size_t n;

    if (!slash || (size_t)(slash - s) >= sizeof proto || slash == s) {
        snprintf(err, errlen, "'%s' is not PROTO/PORT[-PORT]", s);
        return FSN_E_SYNTAX;
    }
    memcpy(proto, s, (size_t)(slash - s));
    proto[slash - s] = '\0';
    if (agg_proto_parse(proto, &r->proto) < 0) {
        snprintf(err, errlen, "unknown protocol '%s'", proto);
        return FSN_E_SYNTAX;
    }
    dash = strchr(slash + 1, '-');
    n = dash ? (size_t)(dash - slash - 1) : strlen(slash + 1);
    if (n == 0 || n >= sizeof num) {
        snprintf(err, errlen, "'%s' is not PROTO/PORT[-PORT]", s);
        return FSN_E_SYNTAX;
    }
    memcpy(num, slash + 1, n);
    num[n] = '\0';
    if (fsn_conf_uint(num, 0, 65535, &lo, err, errlen) < 0)
        return FSN_E_SYNTAX;
    hi = lo;
    if (dash && fsn_conf_uint(dash + 1, lo, 65535, &hi, err, errlen) < 0)
        return FSN_E_SYNTAX;
    r->lo = (uint16_t)lo;
    r->hi = (uint16_t)hi;
    return 0;
}

int agg_conf_service(struct agg_conf *c, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_service s;
    struct agg_service *grown;

    if (argc < 2) {
        snprintf(err, errlen, "service needs a name and at least one PROTO/PORT");
        return FSN_E_SYNTAX;
    }
    memset(&s, 0, sizeof s);
    if (!name_ok(argv[0])) {
        snprintf(err, errlen, "bad service name '%s' (1-31 of A-Z a-z 0-9 . _ + -)", argv[0]);
        return FSN_E_SYNTAX;
    }
    if (strcmp(argv[0], AGG_OTHER_NAME) == 0) {
        snprintf(err, errlen, "service name '%s' is reserved (hosts x services: the traffic "
                 "without a cell of its own)", AGG_OTHER_NAME);
        return FSN_E_SYNTAX;
    }
    snprintf(s.name, sizeof s.name, "%s", argv[0]);
    for (size_t i = 0; i < c->nservices; i++)
        if (strcmp(c->services[i].name, s.name) == 0) {
            snprintf(err, errlen, "service '%s' defined twice", s.name);
            return FSN_E_EXISTS;
        }
    if (argc - 1 > AGG_SERVICE_RANGES_MAX) {
        snprintf(err, errlen, "at most %d port ranges per service", AGG_SERVICE_RANGES_MAX);
        return FSN_E_LIMIT;
    }
    for (int i = 1; i < argc; i++) {
        int ret = parse_range(argv[i], &s.r[s.nranges], err, errlen);
        if (ret < 0)
            return ret;
        s.nranges++;
    }
    if (c->nservices >= AGG_SERVICES_MAX) {
        snprintf(err, errlen, "at most %d services", AGG_SERVICES_MAX);
        return FSN_E_LIMIT;
    }
    grown = realloc(c->services, (c->nservices + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, errlen, "out of memory");
        return FSN_E_NOMEM;
    }
    c->services = grown;
    c->services[c->nservices++] = s;
    return 0;
}

int agg_conf_local_network(struct agg_conf *c, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_net n;
    struct agg_net *grown;

    memset(&n, 0, sizeof n);
    if (argc < 1 || fsn_cidr_parse(argv[0], &n.cidr) < 0) {
        snprintf(err, errlen, "'%s' is not a network (ADDRESS/LEN, host bits zero)",
                 argc > 0 ? argv[0] : "");
        return FSN_E_SYNTAX;
    }
    if (argc > 1) {
        if (!name_ok(argv[1])) {
            snprintf(err, errlen, "bad network name '%s'", argv[1]);
            return FSN_E_SYNTAX;
        }
        snprintf(n.name, sizeof n.name, "%s", argv[1]);
    }
    if (c->nnets >= AGG_NETS_MAX) {
        snprintf(err, errlen, "at most %d local networks", AGG_NETS_MAX);
        return FSN_E_LIMIT;
    }
    grown = realloc(c->nets, (c->nnets + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, errlen, "out of memory");
        return FSN_E_NOMEM;
    }
    c->nets = grown;
    c->nets[c->nnets++] = n;
    return 0;
}

/* ---- directive handlers ---- */

static int h_local_network(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;

    c->nets_set = true;
    return agg_conf_local_network(c, argc, argv, err, errlen);
}

static int h_service(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;

    c->services_set = true;
    return agg_conf_service(c, argc, argv, err, errlen);
}

static int h_step(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;
    uint64_t v;
    int ret;

    (void)argc;
    ret = fsn_conf_seconds(argv[0], 10, 86400, &v, err, errlen);
    if (ret == 0)
        c->step = (uint32_t)v;
    return ret;
}

static int h_grace(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;
    uint64_t v;
    int ret;

    (void)argc;
    ret = fsn_conf_seconds(argv[0], 0, 7 * 86400, &v, err, errlen);
    if (ret == 0)
        c->grace = (uint32_t)v;
    return ret;
}

static int h_prorate(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;

    (void)argc;
    return fsn_conf_bool(argv[0], &c->prorate, err, errlen);
}

static int h_max_hosts(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;
    uint64_t v;
    int ret;

    (void)argc;
    ret = fsn_conf_uint(argv[0], 1, 10000000, &v, err, errlen);
    if (ret == 0)
        c->max_hosts = (uint32_t)v;
    return ret;
}

static int h_host_services(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;
    uint64_t v;
    int ret;

    (void)argc;
    ret = fsn_conf_uint(argv[0], 0, AGG_SERVICES_MAX, &v, err, errlen);
    if (ret == 0)
        c->host_services = (uint32_t)v;
    return ret;
}

static int h_max_host_services(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;
    uint64_t v;
    int ret;

    (void)argc;
    ret = fsn_conf_uint(argv[0], 0, AGG_HOST_SERVICES_MAX, &v, err, errlen);
    if (ret == 0) {
        c->max_host_services = (uint32_t)v;
        c->max_host_services_set = true;
    }
    return ret;
}

static int h_host_service_rrds(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;

    (void)argc;
    return fsn_conf_bool(argv[0], &c->host_service_rrds, err, errlen);
}

static int h_rrd_dir(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;

    (void)argc;
    /* Leave room for "/exporter/<v6 address>-<domain>.rrd". */
    return fsn_conf_string(argv[0], c->rrd_dir, sizeof c->rrd_dir - 80, err, errlen);
}

static int h_rrdcached(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;

    (void)argc;
    return fsn_conf_string(argv[0], c->rrdcached, sizeof c->rrdcached, err, errlen);
}

static int h_state_file(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agg_conf *c = ctx;

    (void)argc;
    return fsn_conf_string(argv[0], c->state_file, sizeof c->state_file - 64, err, errlen);
}

const struct fsn_conf_directive agg_conf_directives[] = {
    {"local-network", 1, 2, true, h_local_network, "CIDR [NAME]", "private ranges",
     "A local network: traffic to it is in, from it is out (IPv4 and IPv6; repeatable)."},
    {"service", 2, -1, true, h_service, "NAME PROTO/PORT[-PORT]...", "common services",
     "A service: a flow counts for it when its protocol matches and either port is in a range."},
    {"step", 1, 1, false, h_step, "SECONDS", "300",
     "Aggregation step: one RRD value per entity per step."},
    {"grace", 1, 1, false, h_grace, "SECONDS", "300",
     "A step is written once the newest flow time seen has passed its end plus this."},
    {"pro-rate", 1, 1, false, h_prorate, "yes|no", "yes",
     "Spread a flow over the steps it spans in proportion to time (no: all in its last step)."},
    {"max-hosts", 1, 1, false, h_max_hosts, "N", "10000",
     "Host rows kept; hosts beyond are counted in the \"other\" row."},
    {"host-services", 1, 1, false, h_host_services, "N", "0",
     "Service cells kept per host row (hosts x services; 0: every service); the rest in the "
     "host's \"other\" cell."},
    {"max-host-services", 1, 1, false, h_max_host_services, "N", NULL,
     "Hosts x services cells in all (0: no such table). Default: 8 per host row, at most 40000."},
    {"host-service-rrds", 1, 1, false, h_host_service_rrds, "yes|no", "yes",
     "Write an RRD file per hosts x services cell (host/ADDRESS/SERVICE.rrd)."},
    {"rrd-dir", 1, 1, false, h_rrd_dir, "DIR", NULL,
     "Directory of the RRD files (none written when unset)."},
    {"rrdcached", 1, 1, false, h_rrdcached, "unix:PATH|HOST:PORT", NULL,
     "Write RRD updates through this rrdcached instead of directly."},
    {"state-file", 1, 1, false, h_state_file, "FILE", NULL,
     "Memory-mapped file of the cumulative counters, read by flowagentx."},
};
const size_t agg_conf_ndirectives = sizeof agg_conf_directives / sizeof agg_conf_directives[0];

/* ---- conf lifecycle ---- */

void agg_conf_init(struct agg_conf *c)
{
    memset(c, 0, sizeof *c);
    c->step = 300;
    c->grace = 300;
    c->prorate = true;
    c->max_hosts = 10000;
    c->host_service_rrds = true;
}

void agg_conf_fini(struct agg_conf *c)
{
    if (!c)
        return;
    free(c->nets);
    free(c->services);
    c->nets = NULL;
    c->services = NULL;
    c->nnets = c->nservices = 0;
}

int agg_conf_finish(struct agg_conf *c, char *err, size_t errlen)
{
    int ret;

    if (c->nservices == 0) {
        for (size_t i = 0; i < sizeof builtin_services / sizeof builtin_services[0]; i++) {
            char buf[128];
            char *argv[1 + AGG_SERVICE_RANGES_MAX];
            int argc = 0;
            char *save = NULL;

            snprintf(buf, sizeof buf, "%s", builtin_services[i].ports);
            argv[argc++] = (char *)builtin_services[i].name;
            for (char *t = strtok_r(buf, " ", &save); t && argc < 1 + AGG_SERVICE_RANGES_MAX;
                 t = strtok_r(NULL, " ", &save))
                argv[argc++] = t;
            ret = agg_conf_service(c, argc, argv, err, errlen);
            if (ret < 0)
                return ret;
        }
    }
    if (c->nnets == 0) {
        for (size_t i = 0; i < sizeof default_nets / sizeof default_nets[0]; i++) {
            char *argv[1] = {(char *)default_nets[i]};
            ret = agg_conf_local_network(c, 1, argv, err, errlen);
            if (ret < 0)
                return ret;
        }
    }
    if (c->step < 10 || c->step > 86400) {
        snprintf(err, errlen, "step must be 10..86400 seconds");
        return FSN_E_RANGE;
    }
    /* The open-step window holds grace/step + 2 steps; keep it small. */
    if (c->grace / c->step + 2 > 64) {
        snprintf(err, errlen, "grace %u s is more than 62 steps of %u s", c->grace, c->step);
        return FSN_E_RANGE;
    }
    if (c->max_hosts < 1 || c->max_hosts > 10000000) {
        snprintf(err, errlen, "max-hosts must be 1..10000000");
        return FSN_E_RANGE;
    }
    if (!c->max_host_services_set) {
        uint64_t n = (uint64_t)c->max_hosts * AGG_HOST_SERVICES_PER_HOST;
        c->max_host_services =
            (uint32_t)(n < AGG_HOST_SERVICES_DEFAULT ? n : AGG_HOST_SERVICES_DEFAULT);
    }
    return 0;
}
