/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowprobe: a libpcap NetFlow v5/v9/IPFIX probe.
 * Parse options and config, open the capture and the export sockets, drop
 * privileges, then two stages: reading (libpcap, parsing, sampling) and
 * metering (fragments, flow table, expiry, export). With two threads the
 * reader hands the parsed packets in order to the metering thread in
 * batches through a ring; with one, the same batches are metered in place.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/conffile.h"
#include "common/pcapfile.h"
#include "common/log.h"
#include "common/progress.h"
#include "lib/error.h"
#include "lib/pkt.h"
#include "probe/frag.h"
#include "probe/probe.h"
#include "probe/ring.h"

struct probe_counters {
    uint64_t packets;      /* packets read from the capture */
    uint64_t ip;           /* IP packets metered */
    uint64_t octets;       /* IP-layer bytes metered */
    uint64_t non_ip;       /* frames without IP (ARP, LLDP, ...) */
    uint64_t malformed;    /* truncated or inconsistent packets, skipped */
    uint64_t unsupported;  /* encapsulations the parser does not handle */
    uint64_t sampled_out;  /* packets not metered because of 1:N sampling */
    uint64_t own_export;   /* our own export datagrams seen on the interface */
    uint64_t truncated_file;
};

/*
 * A batch of parsed packets on their way from the reader to the metering
 * stage: only what metering needs (the parse result and the packet time),
 * never the packet itself, in one 64-byte cache line per packet. Ticks
 * (once a second of flow time) travel in the batch too, at their place
 * between the packets, so the flow table sees exactly the sequence it
 * would in one thread. 4096 packets a batch and 4 batches in the ring
 * (1 MB): a thread that waits is woken once a batch, and fewer wake-ups
 * (than with batches of 1024) measurably cost the reader less.
 */
#define BATCH_PKTS 4096
#define BATCH_TICKS 8
#define RING_BATCHES 4

struct batch_pkt {
    struct fsn_pkt pk;
    int32_t ts_delta;       /* packet time in ms: the batch's base_ms + ts_delta */
};
_Static_assert(sizeof(struct batch_pkt) == 64, "one parsed packet per cache line");

struct batch {
    uint32_t n;                       /* packets in pkt[] */
    uint64_t base_ms;                 /* time of the batch's first packet */
    uint32_t ntick;                   /* ticks in tick_at[] / tick_ms[] */
    uint32_t tick_at[BATCH_TICKS];    /* a tick runs before pkt[tick_at[i]] */
    uint64_t tick_ms[BATCH_TICKS];    /* ... with this flow time */
    uint64_t packets;                 /* packets read so far, for the progress line */
    bool stats;                       /* log the counters after this batch: */
    bool last;                        /* the reader has stopped */
    struct probe_counters snap;       /* the reader's counters at the end of the batch */
    unsigned long long kdrop;         /* and the kernel's drops */
    _Alignas(64) struct batch_pkt pkt[BATCH_PKTS];
};

/*
 * Packets in flight between the batch and the flow table: a few packets of
 * lookahead let the table's memory be prefetched (the hash bucket when a
 * packet enters, its chain's first entry PIPE_ENTRY_AT packets later), which
 * hides most cache misses of a large table. Packets still enter the table
 * in capture order.
 */
#define PIPE 16
#define PIPE_ENTRY_AT 8

struct pending {
    struct fsn_flow_key key;
    uint32_t hash;
    uint32_t len;
    uint64_t ts;
    uint8_t tcp_flags;
};

struct probe {
    /* Reader: read-only for the metering stage once it runs. */
    struct probe_conf conf;
    pcap_t *pcap;
    char *filebuf;          /* reading a file: its stdio buffer, freed after pcap_close */
    int dlt;
    bool live;
    bool threaded;
    /* Reader only. */
    struct probe_counters st;
    uint64_t sample_ctr;
    uint64_t next_tick_ms;
    uint64_t last_ts_ms;
    struct batch *cur;      /* the batch being filled, or NULL */
    struct batch *solo;     /* one thread: the one batch */
    struct ring ring;       /* two threads: reader -> metering */
    pthread_t meter;
    /* Metering only (and main after the metering thread ended). */
    struct pending pipe[PIPE];
    uint32_t pipe_head, pipe_n;
    struct ft ft;
    struct frag frag;
    struct exporter x;      /* the collectors' addresses are read by the reader too */
    bool tty;
    double meter_cpu_s;     /* CPU time of the metering thread, when it has ended */
    uint64_t next_progress_ms;
    uint64_t start_mono_ms;
};

static volatile sig_atomic_t stop_requested, stats_requested;
static pcap_t *signal_pcap; /* set once before the handlers are installed */

static void on_signal(int sig)
{
    if (sig == SIGUSR1) {
        stats_requested = 1;
    } else {
        stop_requested = 1;
        /* libpcap restarts an interrupted wait unless told to break out. */
        if (signal_pcap)
            pcap_breakloop(signal_pcap);
    }
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* CPU seconds the calling thread has used. */
static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Flow table -> export: one expired flow becomes one record, written straight into the queue. */
static void on_expired(void *arg, const struct ft_entry *e, uint8_t reason)
{
    struct probe *p = arg;
    struct fsn_flow *f = export_slot(&p->x);

    f->key = e->key;
    /*
     * A record's counts are estimates of the traffic (lib/flow.h): the
     * metered counts times the sampling interval. The encoder puts the
     * metered counts on the wire and announces the interval.
     */
    f->packets = e->packets * p->conf.sampling;
    f->octets = e->octets * p->conf.sampling;
    f->first_ms = e->first_ms;
    f->last_ms = e->last_ms;
    f->tcp_flags = e->tcp_flags;
    f->end_reason = reason;
    f->sampling = p->conf.sampling;
    export_commit(&p->x);
}

static void pipe_pop(struct probe *p)
{
    struct pending *q = &p->pipe[p->pipe_head];

    ft_add_hashed(&p->ft, &q->key, q->hash, 1, q->len, q->tcp_flags, q->ts);
    p->pipe_head = (p->pipe_head + 1) % PIPE;
    p->pipe_n--;
}

static void pipe_push(struct probe *p, const struct fsn_pkt *pk, uint64_t ts)
{
    struct pending *q = &p->pipe[(p->pipe_head + p->pipe_n) % PIPE];

    q->key = pk->key;
    q->hash = ft_hash(&p->ft, &pk->key);
    q->len = pk->ip_len;
    q->ts = ts;
    q->tcp_flags = pk->tcp_flags;
    ft_prefetch_bucket(&p->ft, q->hash);
    p->pipe_n++;
    if (p->pipe_n > PIPE_ENTRY_AT)
        ft_prefetch_entry(&p->ft,
                          p->pipe[(p->pipe_head + p->pipe_n - 1 - PIPE_ENTRY_AT) % PIPE].hash);
    if (p->pipe_n == PIPE)
        pipe_pop(p);
}

/* Everything in flight into the table, before anything that reads or ends flows. */
static void pipe_flush(struct probe *p)
{
    while (p->pipe_n)
        pipe_pop(p);
}

/* Fragment table -> flow table: counts released by the fragment table. */
static void on_frag_account(void *arg, const struct fsn_flow_key *k, uint64_t packets,
                            uint64_t octets, uint64_t ts_ms)
{
    struct probe *p = arg;
    pipe_flush(p);
    ft_add(&p->ft, k, packets, octets, 0, ts_ms);
}

/* Once a second of flow time: timeouts, fragment slots, partly filled datagrams. */
static void tick(struct probe *p, uint64_t now_ms)
{
    pipe_flush(p);
    ft_expire(&p->ft, now_ms);
    frag_expire(&p->frag, now_ms);
    export_flush(&p->x, now_ms);
}

static void report(struct probe *p, const struct probe_counters *st, unsigned long long kdrop,
                   bool final);
static void show_progress(struct probe *p, uint64_t packets);

/* Metering: one parsed packet into the fragment table and the flow table. */
static void meter_packet(struct probe *p, struct fsn_pkt *pk, uint64_t ts)
{
    if (pk->frag != FSN_FRAG_NONE && !frag_packet(&p->frag, pk, ts))
        return;
    pipe_push(p, pk, ts);
}

/* Metering: one batch, its ticks at their places, then what the reader asked for. */
static void meter_batch(struct probe *p, struct batch *b)
{
    uint32_t t = 0;

    for (uint32_t i = 0; i < b->n; i++) {
        while (t < b->ntick && b->tick_at[t] == i)
            tick(p, b->tick_ms[t++]);
        meter_packet(p, &b->pkt[i].pk, b->base_ms + (uint64_t)(int64_t)b->pkt[i].ts_delta);
    }
    while (t < b->ntick)
        tick(p, b->tick_ms[t++]);
    if (b->stats) {
        pipe_flush(p);
        report(p, &b->snap, b->kdrop, false);
    }
    if (p->tty) {
        uint64_t now = mono_ms();
        if (now >= p->next_progress_ms) {
            show_progress(p, b->packets);
            p->next_progress_ms = now + 250;
        }
    }
}

/* The metering thread: batches in ring order until the last one. */
static void *meter_main(void *arg)
{
    struct probe *p = arg;
    bool last;

    do {
        struct batch *b = ring_take(&p->ring);
        meter_batch(p, b);
        last = b->last;
        ring_release(&p->ring);
    } while (!last);
    p->meter_cpu_s = thread_cpu_s();
    return NULL;
}

/* Reader: the batch being filled, waiting for a free one when the metering stage is behind. */
static struct batch *cur_batch(struct probe *p)
{
    if (!p->cur) {
        p->cur = p->threaded ? ring_acquire(&p->ring) : p->solo;
        p->cur->n = 0;
        p->cur->ntick = 0;
        p->cur->stats = false;
        p->cur->last = false;
    }
    return p->cur;
}

/* Reader: hands the batch being filled to the metering stage (or meters it, in one thread). */
static void hand_over(struct probe *p)
{
    struct batch *b = cur_batch(p);

    b->packets = p->st.packets;
    if (p->threaded) {
        ring_publish(&p->ring);
    } else {
        meter_batch(p, b);
    }
    p->cur = NULL;
}

/* Reader: a tick at this point of the packet sequence. */
static void add_tick(struct probe *p, uint64_t now_ms)
{
    struct batch *b = cur_batch(p);

    b->tick_at[b->ntick] = b->n;
    b->tick_ms[b->ntick++] = now_ms;
    p->next_tick_ms = now_ms + 1000;
    if (b->ntick == BATCH_TICKS)
        hand_over(p);
}

static unsigned long long kernel_drops(struct probe *p)
{
    struct pcap_stat ps;

    if (p->live && pcap_stats(p->pcap, &ps) == 0)
        return (unsigned long long)ps.ps_drop + ps.ps_ifdrop;
    return 0;
}

/* Reader: asks the metering stage to log the counters as they are now. */
static void request_report(struct probe *p)
{
    struct batch *b = cur_batch(p);

    b->stats = true;
    b->snap = p->st;
    b->kdrop = kernel_drops(p);
    hand_over(p);
}

static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct probe *p = (struct probe *)arg;
    uint64_t ts = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
    struct batch *b;
    struct batch_pkt *q;
    int rc;

    p->st.packets++;
    if (ts > p->last_ts_ms)
        p->last_ts_ms = ts;
    if (p->conf.sampling > 1 && p->sample_ctr++ % p->conf.sampling != 0) {
        p->st.sampled_out++;
        goto out;
    }
    /*
     * Parsed straight into the batch; the slot is only kept for a metered
     * packet. A packet time too far from the batch's base starts a new batch.
     */
    b = cur_batch(p);
    if (b->n == 0) {
        b->base_ms = ts;
    } else if (ts - b->base_ms + (uint64_t)INT32_MAX > (uint64_t)INT32_MAX * 2) {
        hand_over(p);
        b = cur_batch(p);
        b->base_ms = ts;
    }
    q = &b->pkt[b->n];
    /* The slot a few packets on was last read by the metering thread: ask for it now. */
    if (b->n + 4 < BATCH_PKTS)
        __builtin_prefetch(q + 4, 1);
    rc = fsn_pkt_parse(p->dlt, bytes, h->caplen, h->len, &q->pk);
    if (rc != 0) {
        static struct log_limit lim;
        if (rc == FSN_E_NOTIP) {
            p->st.non_ip++;
        } else if (rc == FSN_E_UNSUP) {
            p->st.unsupported++;
            log_ratelimited(&lim, 60, LOG_WARNING,
                            "packet %llu: unsupported encapsulation on link type %s, skipped",
                            (unsigned long long)p->st.packets,
                            pcap_datalink_val_to_name(p->dlt));
        } else {
            p->st.malformed++;
        }
        goto out;
    }
    q->pk.key.in_if = p->conf.ifindex;
    if (p->live && export_is_own(&p->x, &q->pk.key)) {
        p->st.own_export++;
        goto out;
    }
    p->st.ip++;
    p->st.octets += q->pk.ip_len;
    q->ts_delta = (int32_t)(int64_t)(ts - b->base_ms);
    if (++b->n == BATCH_PKTS)
        hand_over(p);
out:
    if (p->last_ts_ms >= p->next_tick_ms)
        add_tick(p, p->last_ts_ms);
}

/* Metering: logs the reader's counters `st` (a snapshot) and the metering stage's own. */
static void report(struct probe *p, const struct probe_counters *st, unsigned long long kdrop,
                   bool final)
{
    const struct ft_stats *f = &p->ft.st;
    const struct export_stats *x = &p->x.st;

    log_info("%s: packets %llu (IP %llu, %llu octets; non-IP %llu, malformed %llu, "
             "unsupported %llu, sampled out %llu, own export %llu, kernel drops %llu)",
             final ? "final" : "stats", (unsigned long long)st->packets,
             (unsigned long long)st->ip, (unsigned long long)st->octets,
             (unsigned long long)st->non_ip, (unsigned long long)st->malformed,
             (unsigned long long)st->unsupported, (unsigned long long)st->sampled_out,
             (unsigned long long)st->own_export, kdrop);
    log_info("%s: flows created %llu, expired idle %llu, active %llu, tcp-end %llu, "
             "forced %llu, table-full %llu; in table %llu (peak %llu, %zu KiB)",
             final ? "final" : "stats", (unsigned long long)f->created,
             (unsigned long long)f->expired[FSN_END_IDLE],
             (unsigned long long)f->expired[FSN_END_ACTIVE],
             (unsigned long long)f->expired[FSN_END_EOF],
             (unsigned long long)f->expired[FSN_END_FORCED],
             (unsigned long long)f->expired[FSN_END_LACK], (unsigned long long)f->active,
             (unsigned long long)f->peak, ft_memory(&p->ft) / 1024);
    log_info("%s: fragments first %llu, later %llu (attributed %llu, without first %llu)",
             final ? "final" : "stats", (unsigned long long)p->frag.st.first,
             (unsigned long long)p->frag.st.later, (unsigned long long)p->frag.st.attributed,
             (unsigned long long)p->frag.st.orphaned);
    log_info("%s: exported %llu records in %llu datagrams (not representable in v5: %llu), "
             "send errors %llu",
             final ? "final" : "stats", (unsigned long long)x->flows,
             (unsigned long long)x->datagrams, (unsigned long long)x->skipped,
             (unsigned long long)x->send_errors);
}

static void show_progress(struct probe *p, uint64_t packets)
{
    double secs = (double)(mono_ms() - p->start_mono_ms) / 1000.0;
    progress_update("flowprobe: %llu packets (%.0f/s), %llu flows in table, %llu records exported",
                    (unsigned long long)packets, secs > 0 ? (double)packets / secs : 0,
                    (unsigned long long)p->ft.st.active, (unsigned long long)p->x.st.flows);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: flowprobe (-i IFACE | -r FILE) [-e HOST:PORT]... [options]\n"
            "\n"
            "Meters packets into flows and exports them as NetFlow v5, v9 or IPFIX.\n"
            "\n"
            "  -i IFACE        capture live on IFACE\n"
            "  -r FILE         read a pcap or pcapng file; flow times are packet times;\n"
            "                  every flow is exported when the file ends\n"
            "  -f BPF          capture filter (pcap-filter(7))\n"
            "  -e HOST:PORT    collector (IPv6: [ADDR]:PORT); repeat for several\n"
            "  -V 5|9|10       export format (10 = IPFIX; default 10)\n"
            "  -m N            flow table bound (default 1000000)\n"
            "  -s N            meter one packet in N (default 1: every packet)\n"
            "  -o N            observation domain / source id (default 0)\n"
            "  -t NAME=SECONDS timeout: active, inactive, tcp, tcp-end, udp, icmp\n"
            "                  (defaults 60, 15, 30, 5, 15, 10); repeatable\n"
            "  -R N            export at most N datagrams/s per collector (0: unpaced)\n"
            "  -T 1|2          threads: 2 = one reads, one meters (default with 2+ CPUs)\n"
            "  -u USER         drop privileges to USER after opening capture and sockets\n"
            "  -p FILE         write the process id to FILE\n"
            "  -c FILE         config file (options given here override it)\n"
            "  -n              check the config and options, then exit\n"
            "  -d              stay in the foreground, log to stderr\n"
            "  -v              more log output (repeat for debug)\n"
            "  -h, --help      this help; --help-config lists the config directives\n"
            "  --version       print the version\n"
            "\n"
            "SIGUSR1 logs the counters; SIGTERM/SIGINT export every flow and stop.\n"
            "See flowprobe(8).\n");
}

static int parse_timeout(struct probe_conf *c, const char *arg, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        size_t off;
    } names[] = {
        {"active", offsetof(struct ft_timeouts, active_ms)},
        {"inactive", offsetof(struct ft_timeouts, idle_ms) + FT_CLASS_OTHER * sizeof(uint32_t)},
        {"general", offsetof(struct ft_timeouts, idle_ms) + FT_CLASS_OTHER * sizeof(uint32_t)},
        {"tcp", offsetof(struct ft_timeouts, idle_ms) + FT_CLASS_TCP * sizeof(uint32_t)},
        {"tcp-end", offsetof(struct ft_timeouts, idle_ms) + FT_CLASS_TCP_END * sizeof(uint32_t)},
        {"udp", offsetof(struct ft_timeouts, idle_ms) + FT_CLASS_UDP * sizeof(uint32_t)},
        {"icmp", offsetof(struct ft_timeouts, idle_ms) + FT_CLASS_ICMP * sizeof(uint32_t)},
    };
    const char *eq = strchr(arg, '=');
    uint64_t v;

    if (!eq) {
        snprintf(err, errlen, "-t %s: expected NAME=SECONDS", arg);
        return -1;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) == (size_t)(eq - arg) &&
            strncmp(arg, names[i].name, (size_t)(eq - arg)) == 0) {
            if (fsn_conf_seconds(eq + 1, 1, 86400, &v, err, errlen) != 0)
                return -1;
            *(uint32_t *)((char *)&c->to + names[i].off) = (uint32_t)(v * 1000);
            return 0;
        }
    }
    snprintf(err, errlen, "-t %s: unknown timeout (active, inactive, tcp, tcp-end, udp, icmp)",
             arg);
    return -1;
}

static const struct option long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"help-config", no_argument, NULL, 'H'},
    {"version", no_argument, NULL, 'X'},
    {NULL, 0, NULL, 0},
};
static const char short_opts[] = "i:r:f:e:V:m:s:o:t:R:T:u:p:c:ndvh";

/* Applies command-line options over the config. Returns 0, 1 (exit 0) or -1 (exit 2). */
static int apply_options(struct probe_conf *c, int argc, char **argv, bool *check_only,
                         bool *foreground, int *verbose)
{
    char err[256];
    bool cli_collectors = false;
    int opt;
    uint64_t v;

    optind = 1;
    while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        err[0] = '\0';
        switch (opt) {
        case 'i':
            snprintf(c->interface, sizeof c->interface, "%s", optarg);
            break;
        case 'r':
            snprintf(c->read_file, sizeof c->read_file, "%s", optarg);
            break;
        case 'f':
            snprintf(c->filter, sizeof c->filter, "%s", optarg);
            break;
        case 'e':
            if (!cli_collectors) {
                c->ncollector = 0;
                cli_collectors = true;
            }
            if (c->ncollector == EXPORT_MAX_COLLECTORS) {
                fprintf(stderr, "flowprobe: at most %d collectors\n", EXPORT_MAX_COLLECTORS);
                return -1;
            }
            snprintf(c->collector[c->ncollector++], sizeof c->collector[0], "%s", optarg);
            break;
        case 'V':
            if (strcmp(optarg, "5") && strcmp(optarg, "9") && strcmp(optarg, "10") &&
                strcmp(optarg, "ipfix")) {
                fprintf(stderr, "flowprobe: -V must be 5, 9 or 10\n");
                return -1;
            }
            c->version = optarg[0] == 'i' ? 10 : atoi(optarg);
            break;
        case 'm':
            if (fsn_conf_uint(optarg, 16, 100000000, &v, err, sizeof err) != 0)
                goto bad;
            c->max_flows = (uint32_t)v;
            break;
        case 's':
            if (fsn_conf_uint(optarg, 1, 16383, &v, err, sizeof err) != 0)
                goto bad;
            c->sampling = (uint32_t)v;
            break;
        case 'o':
            if (fsn_conf_uint(optarg, 0, UINT32_MAX, &v, err, sizeof err) != 0)
                goto bad;
            c->domain = (uint32_t)v;
            break;
        case 't':
            if (parse_timeout(c, optarg, err, sizeof err) != 0)
                goto bad;
            break;
        case 'R':
            if (fsn_conf_uint(optarg, 0, 10000000, &v, err, sizeof err) != 0)
                goto bad;
            c->export_rate = (uint32_t)v;
            c->export_rate_set = true;
            break;
        case 'T':
            if (fsn_conf_uint(optarg, 1, 2, &v, err, sizeof err) != 0)
                goto bad;
            c->threads = (uint32_t)v;
            break;
        case 'u':
            snprintf(c->user, sizeof c->user, "%s", optarg);
            break;
        case 'p':
            snprintf(c->pidfile, sizeof c->pidfile, "%s", optarg);
            break;
        case 'c':
            break; /* read before the other options */
        case 'n':
            *check_only = true;
            break;
        case 'd':
            *foreground = true;
            break;
        case 'v':
            (*verbose)++;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case 'H':
            conffile_print_help(stdout, probe_conf_directives, probe_conf_ndirectives);
            return 1;
        case 'X':
            printf("flowprobe %s\n", FSN_VERSION);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
        continue;
    bad:
        fprintf(stderr, "flowprobe: -%c %s: %s\n", opt, optarg, err);
        return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "flowprobe: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    return 0;
}

static int drop_privileges(const char *user)
{
    struct passwd *pw = getpwnam(user);

    if (!pw) {
        log_err("user \"%s\" not found", user);
        return -1;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        log_err("cannot become user \"%s\": %s", user, strerror(errno));
        return -1;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        log_err("privileges could be regained after dropping them");
        return -1;
    }
    return 0;
}

static int open_capture(struct probe *p)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    struct probe_conf *c = &p->conf;
    struct bpf_program prog;

    if (c->read_file[0]) {
        p->pcap = pcapfile_open(c->read_file, &p->filebuf, errbuf);
        if (!p->pcap) {
            log_err("%s", errbuf);
            return -1;
        }
    } else {
        p->live = true;
        p->pcap = pcap_create(c->interface, errbuf);
        if (!p->pcap) {
            log_err("%s: %s", c->interface, errbuf);
            return -1;
        }
        pcap_set_snaplen(p->pcap, (int)c->snaplen);
        pcap_set_promisc(p->pcap, c->promisc);
        pcap_set_timeout(p->pcap, 200);
        pcap_set_buffer_size(p->pcap, (int)(c->buffer_mb << 20));
        int rc = pcap_activate(p->pcap);
        if (rc < 0) {
            log_err("%s: %s", c->interface, pcap_geterr(p->pcap));
            return -1;
        }
        if (rc > 0)
            log_warn("%s: %s", c->interface, pcap_geterr(p->pcap));
        if (c->ifindex == 0)
            c->ifindex = if_nametoindex(c->interface);
    }
    p->dlt = pcap_datalink(p->pcap);
    if (!fsn_pkt_dlt_supported(p->dlt)) {
        log_err("%s: link type %d (%s) is not supported", c->read_file[0] ? c->read_file :
                c->interface, p->dlt, pcap_datalink_val_to_name(p->dlt) ?
                pcap_datalink_val_to_name(p->dlt) : "unknown");
        return -1;
    }
    if (c->filter[0]) {
        if (pcap_compile(p->pcap, &prog, c->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            log_err("filter \"%s\": %s", c->filter, pcap_geterr(p->pcap));
            return -1;
        }
        if (pcap_setfilter(p->pcap, &prog) != 0) {
            log_err("filter: %s", pcap_geterr(p->pcap));
            pcap_freecode(&prog);
            return -1;
        }
        pcap_freecode(&prog);
    }
    return 0;
}

static void log_settings(const struct probe *p)
{
    const struct probe_conf *c = &p->conf;
    char cols[1024] = "", pace[40] = "unpaced";

    if (p->x.rate)
        snprintf(pace, sizeof pace, "at most %u/s", p->x.rate);
    for (int i = 0; i < c->ncollector; i++) {
        strncat(cols, i ? ", " : "", sizeof cols - strlen(cols) - 1);
        strncat(cols, c->collector[i], sizeof cols - strlen(cols) - 1);
    }
    log_info("version %s on %s%s%s (link type %s): key src, dst, sport, dport, proto, tos, "
             "vlan, input if %u; timeouts active %us, inactive %us, tcp %us, tcp-end %us, "
             "udp %us, icmp %us; table max %u flows; sampling 1:%u; export %s domain %u "
             "to %s (datagrams <= %u bytes, %s)",
             FSN_VERSION, c->read_file[0] ? "file " : "interface ",
             c->read_file[0] ? c->read_file : c->interface,
             c->filter[0] ? " with filter" : "", pcap_datalink_val_to_name(p->dlt), c->ifindex,
             c->to.active_ms / 1000, c->to.idle_ms[FT_CLASS_OTHER] / 1000,
             c->to.idle_ms[FT_CLASS_TCP] / 1000, c->to.idle_ms[FT_CLASS_TCP_END] / 1000,
             c->to.idle_ms[FT_CLASS_UDP] / 1000, c->to.idle_ms[FT_CLASS_ICMP] / 1000,
             c->max_flows, c->sampling,
             c->version == 10 ? "IPFIX" : c->version == 9 ? "NetFlow v9" : "NetFlow v5",
             c->domain, c->ncollector ? cols : "(no collector: metering only)", p->x.mtu,
             pace);
}

/* Reader: reads packets until the file ends or a signal asks to stop. */
static void run(struct probe *p)
{
    while (!stop_requested) {
        int n = pcap_dispatch(p->pcap, 8192, on_packet, (u_char *)p);
        if (n == PCAP_ERROR_BREAK)
            break;
        if (n == PCAP_ERROR) {
            if (p->live) {
                log_err("capture: %s", pcap_geterr(p->pcap));
                break;
            }
            /* A damaged or truncated file: keep what was read. */
            p->st.truncated_file++;
            log_warn("%s: %s; ending with the %llu packets read", p->conf.read_file,
                     pcap_geterr(p->pcap), (unsigned long long)p->st.packets);
            break;
        }
        if (n == 0 && !p->live)
            break; /* end of file */
        if (p->live) {
            uint64_t now = wall_ms();
            if (now >= p->next_tick_ms)
                add_tick(p, now > p->last_ts_ms ? now : p->last_ts_ms);
            /* Live packets are metered now, not when a batch has filled. */
            if (p->cur)
                hand_over(p);
        }
        if (stats_requested) {
            stats_requested = 0;
            request_report(p);
        }
    }
}

/* Two threads unless told otherwise or there is one CPU to run them. */
static bool use_threads(const struct probe_conf *c)
{
    if (c->threads)
        return c->threads > 1;
    return sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

/*
 * Starts the metering thread, with every signal blocked in it so that they
 * reach the reader, which owns the capture handle that SIGTERM breaks.
 * Returns false when it cannot: then one thread does both stages.
 */
static bool start_meter(struct probe *p)
{
    sigset_t all, old;
    int rc;

    if (ring_init(&p->ring, RING_BATCHES, sizeof(struct batch)) != 0)
        return false;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&p->meter, NULL, meter_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        log_warn("cannot start the metering thread (%s): one thread reads and meters",
                 strerror(rc));
        ring_fini(&p->ring);
        return false;
    }
    return true;
}

/* Reader: the last batch, then waits for the metering stage to finish it. */
static void stop_meter(struct probe *p)
{
    cur_batch(p)->last = true;
    hand_over(p);
    if (p->threaded) {
        pthread_join(p->meter, NULL);
        ring_fini(&p->ring);
        p->threaded = false;
    }
}

int main(int argc, char **argv)
{
    struct probe *p = calloc(1, sizeof *p);
    bool check_only = false, foreground = false;
    int verbose = 0, ret = 1, opt;
    char err[512];
    const char *conffile = NULL;
    struct sigaction sa;
    struct pcap_pkthdr *first_h = NULL;
    const u_char *first_d = NULL;
    int first_rc = 0;

    if (!p)
        return 1;
    probe_conf_defaults(&p->conf);
    /* The config file comes first, so that options on the command line override it. */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1)
        if (opt == 'c')
            conffile = optarg;
    opterr = 1;
    if (conffile && conffile_load(conffile, probe_conf_directives, probe_conf_ndirectives,
                                  &p->conf, err, sizeof err) != 0) {
        fprintf(stderr, "flowprobe: %s\n", err);
        goto out_nolog;
    }
    switch (apply_options(&p->conf, argc, argv, &check_only, &foreground, &verbose)) {
    case 1:
        ret = 0;
        goto out_nolog;
    case -1:
        ret = 2;
        goto out_nolog;
    }
    if (!p->conf.interface[0] == !p->conf.read_file[0]) {
        fprintf(stderr, "flowprobe: give exactly one of -i IFACE and -r FILE\n");
        ret = 2;
        goto out_nolog;
    }
    if (check_only) {
        printf("flowprobe: configuration OK\n");
        ret = 0;
        goto out_nolog;
    }
    log_init("flowprobe", foreground || p->conf.read_file[0] || isatty(2),
             verbose > 1 ? LOG_DEBUG : LOG_INFO);

    if (open_capture(p) != 0)
        goto out;
    if (export_init(&p->x, p->conf.version, p->conf.domain, p->conf.sampling, 0, p->conf.mtu,
                    p->conf.export_rate, err, sizeof err) != 0) {
        log_err("%s", err);
        goto out;
    }
    p->x.enc.tmpl_refresh_ms = p->conf.tmpl_refresh_s * 1000;
    for (int i = 0; i < p->conf.ncollector; i++) {
        if (export_add_collector(&p->x, p->conf.collector[i], err, sizeof err) != 0) {
            log_err("%s", err);
            goto out;
        }
    }
    export_check_mtu(&p->x);
    if (!p->conf.export_rate_set)
        p->x.rate = p->live ? 0 : EXPORT_PACE_BYTES / p->x.mtu;
    if (ft_init(&p->ft, p->conf.max_flows, &p->conf.to, on_expired, p) != 0 ||
        frag_init(&p->frag, p->conf.frag_slots, 30000, on_frag_account, p) != 0) {
        log_err("out of memory for the flow table");
        goto out;
    }
    if (p->conf.user[0] && drop_privileges(p->conf.user) != 0)
        goto out;
    if (p->conf.pidfile[0]) {
        FILE *f = fopen(p->conf.pidfile, "w");
        if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
            log_err("%s: %s", p->conf.pidfile, strerror(errno));
            goto out;
        }
    }

    signal_pcap = p->pcap;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    log_settings(p);
    p->start_mono_ms = mono_ms();
    p->tty = progress_enabled();
    /*
     * The sysUpTime origin of v5/v9: the start of the capture's timeline,
     * taken from the first packet for a file, from the clock when live.
     */
    if (p->live) {
        p->x.enc.boot_ms = wall_ms();
    } else {
        first_rc = pcap_next_ex(p->pcap, &first_h, &first_d);
        if (first_rc == 1) {
            uint64_t t0 = (uint64_t)first_h->ts.tv_sec * 1000 +
                          (uint64_t)first_h->ts.tv_usec / 1000;
            p->x.enc.boot_ms = t0 > 1000 ? t0 - 1000 : 0;
            p->x.now_ms = p->x.enc.boot_ms;
            p->next_tick_ms = t0 + 1000;
        } else if (first_rc == PCAP_ERROR) {
            p->st.truncated_file++;
            log_warn("%s: %s", p->conf.read_file, pcap_geterr(p->pcap));
        }
    }
    p->threaded = use_threads(&p->conf) && start_meter(p);
    if (!p->threaded && !(p->solo = aligned_alloc(64, sizeof *p->solo))) {
        log_err("out of memory");
        goto out;
    }
    log_debug("%s", p->threaded ? "two threads: reading, metering" : "one thread");
    if (first_rc == 1)
        on_packet((u_char *)p, first_h, first_d);
    if (p->st.truncated_file == 0)
        run(p);
    if (p->threaded) {
        double reader_cpu_s = thread_cpu_s();
        stop_meter(p);
        log_debug("CPU time: reading %.2f s, metering %.2f s", reader_cpu_s, p->meter_cpu_s);
    } else {
        stop_meter(p);
    }
    if (p->tty)
        progress_done();

    /* End of file or stop: every flow is exported before we go. */
    pipe_flush(p);
    frag_flush(&p->frag);
    ft_flush(&p->ft, FSN_END_FORCED);
    export_flush(&p->x, p->last_ts_ms > p->x.now_ms ? p->last_ts_ms : p->x.now_ms);
    report(p, &p->st, kernel_drops(p), true);
    ret = 0;
out:
    if (p->conf.pidfile[0])
        unlink(p->conf.pidfile);
    ft_fini(&p->ft);
    frag_fini(&p->frag);
    export_fini(&p->x);
    if (p->pcap)
        pcap_close(p->pcap);
    free(p->filebuf);
out_nolog:
    free(p->solo);
    free(p);
    return ret;
}
