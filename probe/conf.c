/* SPDX-License-Identifier: BSD-2-Clause */
/* flowprobe's config directives: one table drives parsing, --help and conf/flowprobe.conf. */
#include <stdio.h>
#include <string.h>

#include "lib/error.h"
#include "probe/probe.h"

void probe_conf_defaults(struct probe_conf *c)
{
    memset(c, 0, sizeof *c);
    c->version = 10;
    c->sampling = 1;
    c->max_flows = 1000000;
    c->to.active_ms = 60000;
    c->to.idle_ms[FT_CLASS_OTHER] = 15000;
    c->to.idle_ms[FT_CLASS_TCP] = 30000;
    c->to.idle_ms[FT_CLASS_TCP_END] = 5000;
    c->to.idle_ms[FT_CLASS_UDP] = 15000;
    c->to.idle_ms[FT_CLASS_ICMP] = 10000;
    c->snaplen = 256;
    c->promisc = true;
    c->export_rate = 0; /* unless set: EXPORT_PACE_BYTES a second for a file, unpaced live */
    c->mtu = EXPORT_MTU_DEFAULT;
    c->tmpl_refresh_s = 60;
    c->buffer_mb = 32;
    c->frag_slots = 8192;
}

static int set_ms(uint32_t *dst, const char *s, char *err, size_t errlen)
{
    uint64_t v;
    int rc = fsn_conf_seconds(s, 1, 86400, &v, err, errlen);
    if (rc == 0)
        *dst = (uint32_t)(v * 1000);
    return rc;
}

#define C ((struct probe_conf *)ctx)

static int d_interface(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_string(argv[0], C->interface, sizeof C->interface, err, errlen);
}

static int d_filter(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    char buf[4096] = "";
    for (int i = 0; i < argc; i++) {
        if (strlen(buf) + strlen(argv[i]) + 2 > sizeof buf) {
            snprintf(err, errlen, "filter too long");
            return FSN_E_RANGE;
        }
        if (i)
            strcat(buf, " ");
        strcat(buf, argv[i]);
    }
    return fsn_conf_string(buf, C->filter, sizeof C->filter, err, errlen);
}

static int d_collector(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    if (C->ncollector == EXPORT_MAX_COLLECTORS) {
        snprintf(err, errlen, "at most %d collectors", EXPORT_MAX_COLLECTORS);
        return FSN_E_LIMIT;
    }
    return fsn_conf_string(argv[0], C->collector[C->ncollector++], sizeof C->collector[0], err,
                           errlen);
}

static int d_version(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    if (strcmp(argv[0], "5") == 0)
        C->version = 5;
    else if (strcmp(argv[0], "9") == 0)
        C->version = 9;
    else if (strcmp(argv[0], "10") == 0 || strcmp(argv[0], "ipfix") == 0)
        C->version = 10;
    else {
        snprintf(err, errlen, "version must be 5, 9, 10 or ipfix, not \"%s\"", argv[0]);
        return FSN_E_SYNTAX;
    }
    return 0;
}

static int d_domain(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_u32(argv[0], 0, UINT32_MAX, &C->domain, err, errlen);
}

static int d_sampling(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    /* v5 carries the interval in 14 bits; keep one limit for every format. */
    return fsn_conf_u32(argv[0], 1, 16383, &C->sampling, err, errlen);
}

static int d_max_flows(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_u32(argv[0], 16, 100000000, &C->max_flows, err, errlen);
}

static int d_active(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return set_ms(&C->to.active_ms, argv[0], err, errlen);
}

static int d_inactive(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return set_ms(&C->to.idle_ms[FT_CLASS_OTHER], argv[0], err, errlen);
}

static int d_tcp(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return set_ms(&C->to.idle_ms[FT_CLASS_TCP], argv[0], err, errlen);
}

static int d_tcp_end(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return set_ms(&C->to.idle_ms[FT_CLASS_TCP_END], argv[0], err, errlen);
}

static int d_udp(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return set_ms(&C->to.idle_ms[FT_CLASS_UDP], argv[0], err, errlen);
}

static int d_icmp(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return set_ms(&C->to.idle_ms[FT_CLASS_ICMP], argv[0], err, errlen);
}

static int d_user(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_string(argv[0], C->user, sizeof C->user, err, errlen);
}

static int d_pidfile(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_string(argv[0], C->pidfile, sizeof C->pidfile, err, errlen);
}

static int d_snaplen(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_u32(argv[0], 96, 262144, &C->snaplen, err, errlen);
}

static int d_promisc(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_bool(argv[0], &C->promisc, err, errlen);
}

static int d_ifindex(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_u32(argv[0], 0, UINT32_MAX, &C->ifindex, err, errlen);
}

static int d_rate(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    C->export_rate_set = true;
    return fsn_conf_u32(argv[0], 0, 10000000, &C->export_rate, err, errlen);
}

static int d_mtu(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_u32(argv[0], 128, EXPORT_DGRAM_MAX, &C->mtu, err, errlen);
}

static int d_refresh(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    uint64_t v;
    int rc;
    (void)argc;
    rc = fsn_conf_seconds(argv[0], 1, 3600, &v, err, errlen);
    if (rc == 0)
        C->tmpl_refresh_s = (uint32_t)v;
    return rc;
}

static int d_buffer(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    uint64_t v;
    int rc;
    (void)argc;
    rc = fsn_conf_bytes(argv[0], 1 << 20, 1ull << 31, &v, err, errlen);
    if (rc == 0)
        C->buffer_mb = (uint32_t)(v >> 20);
    return rc;
}

static int d_threads(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_u32(argv[0], 1, 2, &C->threads, err, errlen);
}

#undef C

const struct fsn_conf_directive probe_conf_directives[] = {
    {"interface", 1, 1, false, d_interface, "IFACE", NULL,
     "Network interface to capture on (the -i option)."},
    {"filter", 1, -1, false, d_filter, "BPF...", NULL,
     "Capture filter in pcap-filter(7) syntax (the -f option)."},
    {"collector", 1, 1, true, d_collector, "HOST:PORT", NULL,
     "Collector to export to; IPv6 as [ADDR]:PORT; repeat for several (each gets every flow)."},
    {"version", 1, 1, false, d_version, "5|9|10", "10",
     "Export format: NetFlow v5, NetFlow v9 or IPFIX (10)."},
    {"domain", 1, 1, false, d_domain, "N", "0",
     "Observation domain (IPFIX), source id (v9) or engine id (v5, low 8 bits)."},
    {"sampling", 1, 1, false, d_sampling, "N", "1",
     "Meter one packet in N (deterministic 1:N); the interval is announced to collectors."},
    {"max-flows", 1, 1, false, d_max_flows, "N", "1000000",
     "Bound on the flow table; when full, the least recently active flow is exported early."},
    {"active-timeout", 1, 1, false, d_active, "SECONDS", "60",
     "A flow running longer than this is exported and starts anew (keeps graphs smooth)."},
    {"inactive-timeout", 1, 1, false, d_inactive, "SECONDS", "15",
     "Idle time after which a flow of any other protocol is exported."},
    {"tcp-timeout", 1, 1, false, d_tcp, "SECONDS", "30",
     "Idle time after which an open TCP flow is exported."},
    {"tcp-end-timeout", 1, 1, false, d_tcp_end, "SECONDS", "5",
     "Idle time after which a TCP flow that has seen FIN or RST is exported."},
    {"udp-timeout", 1, 1, false, d_udp, "SECONDS", "15",
     "Idle time after which a UDP flow is exported."},
    {"icmp-timeout", 1, 1, false, d_icmp, "SECONDS", "10",
     "Idle time after which an ICMP or ICMPv6 flow is exported."},
    {"user", 1, 1, false, d_user, "USER", NULL,
     "Drop privileges to this user once the capture and the export sockets are open."},
    {"pidfile", 1, 1, false, d_pidfile, "FILE", NULL, "Write the process id to this file."},
    {"snaplen", 1, 1, false, d_snaplen, "BYTES", "256",
     "Bytes captured per packet: enough for the headers; byte counts come from the IP header."},
    {"promiscuous", 1, 1, false, d_promisc, "yes|no", "yes",
     "Put the interface into promiscuous mode."},
    {"interface-index", 1, 1, false, d_ifindex, "N", NULL,
     "Input interface index written into flows (default: the capture interface's index)."},
    {"export-rate", 1, 1, false, d_rate, "DATAGRAMS/S", NULL,
     "Pace export to at most this many datagrams per second per collector (0: unpaced). "
     "Default when reading a file: 28 MB/s of datagrams (20000 of 1400 bytes, 3111 of 9000); "
     "live capture is paced by the traffic itself unless set."},
    {"export-mtu", 1, 1, false, d_mtu, "BYTES", "1400",
     "Largest export datagram payload, 128 to 9000. 1400 fits any path and every collector; up "
     "to 9000 to collectors that take larger datagrams (flowcollectd, nfcapd) on this host or "
     "over jumbo frames: six times fewer datagrams cost both ends less. pmacct's nfacctd 1.7 "
     "loses what lies beyond about 1.5 KB of a datagram."},
    {"template-refresh", 1, 1, false, d_refresh, "SECONDS", "60",
     "Resend v9/IPFIX templates at least this often (and every 20 datagrams)."},
    {"buffer-size", 1, 1, false, d_buffer, "BYTES", "32M", "Kernel capture buffer size."},
    {"threads", 1, 1, false, d_threads, "1|2", NULL,
     "2: one thread reads and parses packets, another meters and exports them; 1: one thread "
     "does both (default: 2 when the machine has more than one CPU)."},
};

const size_t probe_conf_ndirectives = sizeof probe_conf_directives / sizeof probe_conf_directives[0];
