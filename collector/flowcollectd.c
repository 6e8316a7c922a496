/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowcollectd: receives NetFlow v5, v9 and IPFIX over UDP (or reads it
 * from a capture with -r), stores every record in rotated flow files and
 * feeds the aggregator. Options and config here; the work is in
 * collector/coll_*.c (pipeline in coll_core.c).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/coll_conf.h"
#include "collector/coll_core.h"
#include "collector/coll_net.h"
#include "collector/coll_pcap.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/progress.h"

#ifndef FSN_VERSION
#define FSN_VERSION "unknown"
#endif

#define PROG "flowcollectd"
#define TICK_MS 1000
#define TICK_BUDGET_MS 50    /* RRD writing per tick, live */
#define ROUNDS_PER_SOCKET 16 /* recvmmsg calls per socket before looking at the others */
#define STOP_ROUNDS 4096     /* at most this many batches per socket are taken at a stop */

struct opts {
    const char *config;
    const char *capture;
    const char *pidfile;
    const char *user;
    bool foreground, check, verbose;
};

static char start_cwd[PATH_MAX];

static void usage(FILE *f)
{
    fprintf(f, "Usage: " PROG " -c FILE [-d] [-n] [-r CAPTURE] [-p PIDFILE] [-u USER] [-v]\n"
               "       " PROG " --help | --help-config | --version\n"
               "\n"
               "Receives NetFlow v5, v9 and IPFIX, stores every record in flow files under the\n"
               "spool directory and feeds the aggregator (RRD files, state file).\n"
               "\n"
               "  -c, --config FILE   the configuration (flowsnmp.conf(5)); required\n"
               "  -d, --foreground    stay in the foreground and log to stderr\n"
               "  -n, --check         check the configuration and exit\n"
               "  -r, --read CAPTURE  read the UDP datagrams of a pcap/pcapng file instead of\n"
               "                      listening (any port; exporter = source address), then\n"
               "                      close the files, flush the aggregator and exit\n"
               "  -p, --pidfile FILE  write the process id into FILE (overrides `pidfile`)\n"
               "  -u, --user USER     run as USER after binding (overrides `user`)\n"
               "  -v, --verbose       log debug messages too\n"
               "      --help-config   print a sample configuration with every directive\n"
               "  -V, --version       print the version and exit\n"
               "  -h, --help          print this help and exit\n"
               "\n"
               "Signals: SIGTERM/SIGINT stop (the open flow file is closed and renamed),\n"
               "SIGHUP reloads the configuration if it parses, SIGUSR1 logs every counter.\n"
               "\n");
    coll_conf_print_help(f);
}

/* Makes a relative path absolute against the start directory (the daemon changes to /). */
static void absolute(char *path, size_t len)
{
    char abs[PATH_MAX * 2];

    if (!path[0] || path[0] == '/' || !start_cwd[0])
        return;
    snprintf(abs, sizeof abs, "%s/%s", start_cwd, path);
    if (strlen(abs) < len)
        snprintf(path, len, "%s", abs);
}

/* Loads the config and applies the command line on top. 0, or -1 with a message. */
static int load(struct coll_conf *c, const struct opts *o, char *err, size_t errlen)
{
    coll_conf_init(c);
    if (coll_conf_load(c, o->config, err, errlen) != 0)
        return -1;
    if (o->pidfile) {
        snprintf(c->pidfile, sizeof c->pidfile, "%s", o->pidfile);
        c->line[COLL_L_PIDFILE] = 0;
    }
    if (o->user) {
        snprintf(c->user, sizeof c->user, "%s", o->user);
        c->line[COLL_L_USER] = 0;
    }
    if (o->verbose)
        c->log_level = LOG_DEBUG;
    absolute(c->spool, sizeof c->spool);
    absolute(c->pidfile, sizeof c->pidfile);
    absolute(c->agg.rrd_dir, sizeof c->agg.rrd_dir - 80);
    absolute(c->agg.state_file, sizeof c->agg.state_file - 64);
    return 0;
}

static void log_sockets(const struct coll_net *net, const char *tag)
{
    for (size_t i = 0; i < net->n; i++) {
        const struct coll_sock *s = &net->s[i];
        log_info("%s: socket %s: datagrams %llu bytes %llu kernel-drops %llu errors %llu "
                 "rcvbuf %d batches %llu",
                 tag, s->name, (unsigned long long)s->datagrams, (unsigned long long)s->bytes,
                 (unsigned long long)s->drops, (unsigned long long)s->errors, s->rcvbuf,
                 (unsigned long long)s->batches);
    }
}

/* ---- replay ---- */

static int run_replay(struct coll_conf *conf, const struct opts *o)
{
    struct coll_pcap cap;
    struct coll c;
    struct coll_dgram d;
    uint64_t clock = 0, next_tick = 0;
    bool progress = progress_enabled(); /* asks the terminal: once, not per datagram */
    char err[512];
    int r, ret = 1;

    if (daemon_signals_init() != 0)
        log_fatal("signals: %s", strerror(errno));
    if (coll_pcap_open(&cap, o->capture, err, sizeof err) != 0)
        log_fatal("%s", err);
    if (coll_init(&c, conf, true, 0, clock_ms_wall(), err, sizeof err) != 0) {
        coll_pcap_close(&cap);
        log_fatal("%s", err);
    }
    while (!daemon_stop_requested() && (r = coll_pcap_next(&cap, &d)) == 1) {
        /* Receive time never goes back: a frame older than one before it counts as now. */
        if (d.ts_ms > clock)
            clock = d.ts_ms;
        if (clock >= next_tick) {
            if (next_tick)
                coll_tick(&c, clock, clock_ms_wall(), 0);
            next_tick = clock - clock % TICK_MS + TICK_MS;
        }
        coll_datagram(&c, &d.src, d.data, d.len, clock);
        if (progress)
            progress_update("%s: %llu frames, %llu datagrams, %llu records", o->capture,
                            (unsigned long long)cap.st.frames, (unsigned long long)cap.st.datagrams,
                            (unsigned long long)c.st.records);
    }
    progress_done();
    ret = 0;
    if (r < 0) {
        log_err("%s: %s (after %llu frames; everything before was processed)", o->capture,
                cap.error, (unsigned long long)cap.st.frames);
        ret = 1;
    }
    if (daemon_stop_requested()) {
        log_warn("%s: stopped by a signal after %llu frames", o->capture,
                 (unsigned long long)cap.st.frames);
        ret = 1;
    }
    coll_finish(&c, clock, clock_ms_wall());
    log_info("final: capture %s: frames %llu datagrams %llu not-ip %llu not-udp %llu "
             "fragments %llu truncated %llu unsupported %llu",
             o->capture, (unsigned long long)cap.st.frames, (unsigned long long)cap.st.datagrams,
             (unsigned long long)cap.st.not_ip, (unsigned long long)cap.st.not_udp,
             (unsigned long long)cap.st.fragments, (unsigned long long)cap.st.truncated,
             (unsigned long long)cap.st.unsupported);
    coll_log_report(&c, true, "final");
    coll_fini(&c, clock);
    coll_pcap_close(&cap);
    return ret;
}

/* ---- live ---- */

static void reload(struct coll *c, struct coll_conf *confs, int *cur, const struct opts *o)
{
    struct coll_conf *old = &confs[*cur], *neu = &confs[1 - *cur];
    char err[512], diff[512];

    if (load(neu, o, err, sizeof err) != 0) {
        log_err("SIGHUP: %s; keeping the running configuration", err);
        coll_conf_fini(neu);
        return;
    }
    coll_conf_restart_needed(old, neu, diff, sizeof diff);
    if (diff[0])
        log_warn("SIGHUP: changes to %s take effect only at a restart", diff);
    coll_reload(c, neu);
    log_init(PROG, o->foreground, neu->log_level);
    coll_conf_fini(old);
    *cur = 1 - *cur;
    log_info("SIGHUP: configuration %s reloaded (allow: %zu prefixes)", o->config, neu->nallow);
}

/* Up to `rounds` batches from socket i; returns the datagrams taken. */
static unsigned receive(struct coll *c, struct coll_net *net, size_t i, int rounds)
{
    unsigned total = 0;

    for (int round = 0; round < rounds; round++) {
        int k = coll_net_recv(net, i);
        uint64_t now = clock_ms_wall();

        for (int j = 0; j < k; j++) {
            struct fsn_addr src;
            uint16_t port;
            if (sock_to_addr(&net->batch.from[j], &src, &port) != 0)
                continue;
            coll_datagram(c, &src, net->batch.data + (size_t)j * net->batch.bufsize,
                          net->batch.len[j], now);
        }
        coll_push(c);
        total += (unsigned)k;
        if (k < COLL_BATCH)
            break;
    }
    return total;
}

/* Warns (at most once a minute) when the kernel dropped datagrams since the last look. */
static void check_drops(const struct coll_net *net, uint64_t *seen, struct log_limit *lim)
{
    uint64_t drops = 0;

    for (size_t i = 0; i < net->n; i++)
        drops += net->s[i].drops;
    if (drops != *seen)
        log_ratelimited(lim, 60, LOG_WARNING,
                        "the kernel dropped %llu datagrams (receive buffers full); %llu in all",
                        (unsigned long long)(drops - *seen), (unsigned long long)drops);
    *seen = drops;
}

static int run_live(struct coll_conf *confs, int cur, const struct opts *o)
{
    struct coll_net net;
    struct coll c;
    struct pollfd pfd[COLL_LISTEN_MAX];
    struct log_limit lim_drops = {0, 0};
    uint64_t next_tick, drops_seen = 0;
    char err[512];

    if (!o->foreground && daemon_detach(err, sizeof err) != 0)
        log_fatal("%s", err);
    if (daemon_signals_init() != 0)
        log_fatal("signals: %s", strerror(errno));
    if (confs[cur].pidfile[0] && daemon_pidfile_write(confs[cur].pidfile, err, sizeof err) != 0)
        log_fatal("%s", err);
    if (coll_net_open(&net, &confs[cur], err, sizeof err) != 0)
        log_fatal("%s", err);
    /*
     * Privileges go once the sockets (perhaps a port below 1024) and the pid
     * file are open: the spool, RRD files and state file are then created by
     * the user that will write to them for the rest of the run.
     */
    if (confs[cur].user[0] && daemon_drop_privileges(confs[cur].user, err, sizeof err) != 0)
        log_fatal("%s", err);
    if (confs[cur].pidfile[0] && !daemon_pidfile_removable())
        log_warn("pid file %s: its directory is not writable by %s, so it will be emptied, not "
                 "removed, at exit",
                 confs[cur].pidfile, confs[cur].user[0] ? confs[cur].user : "this process");
    if (coll_init(&c, &confs[cur], false, clock_ms_wall(), clock_ms_wall(), err, sizeof err) != 0)
        log_fatal("%s", err);
    for (size_t i = 0; i < net.n; i++) {
        pfd[i].fd = net.s[i].fd;
        pfd[i].events = POLLIN;
        log_info("listening on %s (receive buffer %d bytes)", net.s[i].name, net.s[i].rcvbuf);
    }
    log_info("flow files in %s, a file per %u s", confs[cur].spool, confs[cur].rotate);
    daemon_ready();

    next_tick = clock_ms_mono() + TICK_MS;
    while (!daemon_stop_requested()) {
        uint64_t mono = clock_ms_mono();
        int timeout = mono >= next_tick ? 0 : (int)(next_tick - mono);
        int r = poll(pfd, net.n, timeout);

        if (r < 0 && errno != EINTR)
            log_fatal("poll: %s", strerror(errno));
        if (r > 0)
            coll_net_nap(&net);
        for (size_t i = 0; r > 0 && i < net.n; i++)
            if (pfd[i].revents & POLLIN)
                receive(&c, &net, i, ROUNDS_PER_SOCKET);
        if (clock_ms_mono() >= next_tick) {
            uint64_t wall = clock_ms_wall();
            coll_tick(&c, wall, wall, TICK_BUDGET_MS);
            check_drops(&net, &drops_seen, &lim_drops);
            coll_net_tick(&net, clock_ms_mono());
            next_tick += TICK_MS;
            if (next_tick <= clock_ms_mono())
                next_tick = clock_ms_mono() + TICK_MS;
        }
        if (daemon_take_reload())
            reload(&c, confs, &cur, o);
        if (daemon_take_stats()) {
            coll_log_report(&c, true, "stats");
            log_sockets(&net, "stats");
        }
    }
    log_info("stopping");
    /* Datagrams already queued on the sockets are still taken (bounded: a sender may go on). */
    for (size_t i = 0; i < net.n; i++)
        receive(&c, &net, i, STOP_ROUNDS);
    check_drops(&net, &drops_seen, &lim_drops);
    coll_finish(&c, clock_ms_wall(), clock_ms_wall());
    coll_log_report(&c, true, "final");
    log_sockets(&net, "final");
    coll_fini(&c, clock_ms_wall());
    coll_net_close(&net);
    if (confs[cur].pidfile[0])
        daemon_pidfile_remove(confs[cur].pidfile);
    coll_conf_fini(&confs[cur]);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"foreground", no_argument, NULL, 'd'},
        {"check", no_argument, NULL, 'n'},
        {"read", required_argument, NULL, 'r'},
        {"pidfile", required_argument, NULL, 'p'},
        {"user", required_argument, NULL, 'u'},
        {"verbose", no_argument, NULL, 'v'},
        {"help-config", no_argument, NULL, 'C'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct opts o;
    struct coll_conf confs[2];
    char err[1024];
    int opt, ret;

    memset(&o, 0, sizeof o);
    while ((opt = getopt_long(argc, argv, "c:dnr:p:u:vVh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            o.config = optarg;
            break;
        case 'd':
            o.foreground = true;
            break;
        case 'n':
            o.check = true;
            break;
        case 'r':
            o.capture = optarg;
            break;
        case 'p':
            o.pidfile = optarg;
            break;
        case 'u':
            o.user = optarg;
            break;
        case 'v':
            o.verbose = true;
            break;
        case 'C':
            coll_conf_print_sample(stdout);
            return 0;
        case 'V':
            printf(PROG " %s (flowsnmp)\n", FSN_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!o.config) {
        fprintf(stderr, PROG ": no configuration: give -c FILE\n");
        return 2;
    }
    if (!getcwd(start_cwd, sizeof start_cwd))
        start_cwd[0] = '\0';
    if (load(&confs[0], &o, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        coll_conf_fini(&confs[0]);
        return 1;
    }
    /* What the file names on this machine, as the user the collector will run as. */
    if (coll_conf_check(&confs[0], o.capture || !confs[0].user[0] ? NULL : confs[0].user, err,
                        sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        coll_conf_fini(&confs[0]);
        return 1;
    }
    if (o.check) {
        printf("%s: OK: %zu listen address%s, spool %s, rotate %u s, %zu allowed prefix%s, "
               "%zu local networks, %zu services\n",
               o.config, confs[0].nlisten, confs[0].nlisten == 1 ? "" : "es", confs[0].spool,
               confs[0].rotate, confs[0].nallow, confs[0].nallow == 1 ? "" : "es",
               confs[0].agg.nnets, confs[0].agg.nservices);
        coll_conf_fini(&confs[0]);
        return 0;
    }
    if (o.capture) {
        log_init(PROG, true, confs[0].log_level);
        ret = run_replay(&confs[0], &o);
        coll_conf_fini(&confs[0]);
        return ret;
    }
    log_init(PROG, o.foreground, confs[0].log_level);
    return run_live(confs, 0, &o);
}
