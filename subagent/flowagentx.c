/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowagentx: the AgentX subagent that serves FLOWSNMP-MIB from the
 * collector's state file. It maps the file read-only, holds no counters of
 * its own, follows the file when the collector replaces it, and reconnects
 * to the master agent (snmpd) when that restarts.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/daemon.h"
#include "common/log.h"
#include "subagent/agx_conf.h"
#include "subagent/agx_mib.h"
#include "subagent/agx_state.h"

#ifndef FSN_VERSION
#define FSN_VERSION "unknown"
#endif

#define PROG "flowagentx"

/*
 * Every second: look at the state file again. The alarm also bounds the
 * agent's select() to a second, so that the main loop sees the stop flag
 * that SIGTERM sets soon even when the signal lands just before select().
 */
static void on_timer(unsigned int reg, void *arg)
{
    (void)reg;
    agx_mib_tick(arg);
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROG " -S STATEFILE [-x AGENTX_SOCKET] [-d] [-c CONFIG] [-u USER]\n"
            "                  [-p PIDFILE] [-i SECONDS] [-n]\n"
            "       " PROG " --help | -V\n"
            "\n"
            "Serves FLOWSNMP-MIB from flowcollectd's state file as an AgentX subagent\n"
            "of snmpd (which needs `master agentx` in snmpd.conf).\n"
            "\n"
            "  -S, --state-file FILE    the collector's state file (read-only)\n"
            "  -x, --agentx-socket ADDR the master agent's AgentX socket, e.g.\n"
            "                           unix:/var/agentx/master or tcp:127.0.0.1:705\n"
            "                           (default: net-snmp's, /var/agentx/master)\n"
            "  -c, --config FILE        read these settings from FILE (flowsnmp.conf format;\n"
            "                           command-line options win)\n"
            "  -d, --foreground         stay in the foreground and log to stderr\n"
            "  -u, --user USER          run as USER once started (when started as root)\n"
            "  -p, --pidfile FILE       write the process id into FILE\n"
            "  -i, --ping-interval N    seconds between AgentX pings and reconnection\n"
            "                           attempts (default %u)\n"
            "  -n, --check              check the configuration and exit\n"
            "  -V, --version            print the version and exit\n"
            "  -h, --help               print this help and exit\n"
            "\n"
            "In a config file shared with other programs, their directives are ignored.\n",
            AGX_DEFAULT_PING);
    agx_conf_help(f);
}

/* Sets up the net-snmp agent library as a subagent; returns 0 or -1. */
static int agent_start(const struct agx_conf *c, struct agx_state *st)
{
    /* The subagent needs no MIB files, no snmp.conf and no persistent state on disk. */
    setenv("MIBS", "", 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    if (c->foreground)
        snmp_enable_stderrlog();
    else
        snmp_enable_syslog_ident(PROG, LOG_DAEMON);
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    if (c->agentx_socket)
        netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
                              c->agentx_socket);
    /* Reconnection attempts are quiet; connects and disconnects are still logged. */
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_NO_CONNECTION_WARNINGS,
                           1);
    if (init_agent(PROG) != 0)
        return -1;
    /* After init_agent(), which resets it to 15 s (see docs/mib.md). */
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
                       (int)c->ping_interval);
    if (agx_mib_init(st) != 0)
        return -1;
    init_snmp(PROG);
    return 0;
}

/* Makes a relative path absolute: the daemon changes to / when it detaches. */
static void absolute(char **path)
{
    char cwd[PATH_MAX], *abs;

    if (!*path || (*path)[0] == '/' || !getcwd(cwd, sizeof cwd))
        return;
    abs = malloc(strlen(cwd) + strlen(*path) + 2);
    if (!abs)
        return;
    sprintf(abs, "%s/%s", cwd, *path);
    free(*path);
    *path = abs;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state-file", required_argument, NULL, 'S'},
        {"agentx-socket", required_argument, NULL, 'x'},
        {"config", required_argument, NULL, 'c'},
        {"foreground", no_argument, NULL, 'd'},
        {"user", required_argument, NULL, 'u'},
        {"pidfile", required_argument, NULL, 'p'},
        {"ping-interval", required_argument, NULL, 'i'},
        {"check", no_argument, NULL, 'n'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct agx_conf cli, conf;
    struct agx_state st;
    const char *config = NULL;
    char err[512];
    int opt, ret = 2;

    agx_conf_init(&cli);
    agx_conf_init(&conf);
    while ((opt = getopt_long(argc, argv, "S:x:c:du:p:i:nVh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'S':
            agx_conf_set(&cli.state_file, optarg);
            break;
        case 'x':
            agx_conf_set(&cli.agentx_socket, optarg);
            break;
        case 'c':
            config = optarg;
            break;
        case 'd':
            cli.foreground = true;
            break;
        case 'u':
            agx_conf_set(&cli.user, optarg);
            break;
        case 'p':
            agx_conf_set(&cli.pidfile, optarg);
            break;
        case 'i':
            if (agx_conf_ping(optarg, &cli.ping_interval, err, sizeof err) != 0) {
                fprintf(stderr, PROG ": -i: %s\n", err);
                goto out;
            }
            cli.ping_set = true;
            break;
        case 'n':
            cli.check_only = true;
            break;
        case 'V':
            printf(PROG " %s (flowsnmp; net-snmp %s)\n", FSN_VERSION, netsnmp_get_version());
            ret = 0;
            goto out;
        case 'h':
            usage(stdout);
            ret = 0;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (optind != argc) {
        fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        goto out;
    }
    if (config && agx_conf_load(&conf, config, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        ret = 1;
        goto out;
    }
    agx_conf_merge(&conf, &cli);
    if (!conf.state_file) {
        fprintf(stderr, PROG ": no state file: give -S FILE or `state-file` in the config\n");
        goto out;
    }
    absolute(&conf.state_file);
    absolute(&conf.pidfile);
    if (agx_conf_check(&conf, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        ret = 1;
        goto out;
    }
    if (conf.check_only) {
        printf("state-file %s\nagentx-socket %s\nagentx-ping-interval %u\n", conf.state_file,
               conf.agentx_socket ? conf.agentx_socket : "(net-snmp default)",
               conf.ping_interval);
        ret = 0;
        goto out;
    }

    /* Start-up as common/daemon.h lays it out. */
    ret = 1;
    log_init(PROG, conf.foreground, LOG_INFO);
    if (!conf.foreground && daemon_detach(err, sizeof err) != 0)
        log_fatal("%s", err);
    if (daemon_signals_init() != 0)
        log_fatal("signals: %s", strerror(errno));
    if (conf.pidfile && daemon_pidfile_write(conf.pidfile, err, sizeof err) != 0)
        log_fatal("%s", err);
    /* Everything after this, the state file and AgentX included, runs as the user. */
    if (conf.user && daemon_drop_privileges(conf.user, err, sizeof err) != 0)
        log_fatal("%s", err);
    if (conf.pidfile && !daemon_pidfile_removable())
        log_warn("pid file %s: its directory is not writable by %s, so it will be emptied, not "
                 "removed, at exit",
                 conf.pidfile, conf.user ? conf.user : "this process");
    if (geteuid() == 0)
        log_warn("running as root; consider -u USER");

    if (agx_state_init(&st, conf.state_file) != 0)
        log_fatal("out of memory");
    agx_state_refresh(&st);
    if (agent_start(&conf, &st) != 0)
        log_fatal("cannot start the AgentX subagent");
    snmp_alarm_register(1, SA_REPEAT, on_timer, &st);
    log_info("serving %s via AgentX at %s", conf.state_file,
             conf.agentx_socket ? conf.agentx_socket : "the default socket");
    daemon_ready();

    while (!daemon_stop_requested()) {
        agent_check_and_process(1);
        if (daemon_take_reload()) {
            log_info("SIGHUP: looking at the state file again");
            agx_state_refresh(&st);
        }
        if (daemon_take_stats())
            agx_mib_log_stats();
    }
    log_info("stopping");
    snmp_shutdown(PROG);
    agx_mib_fini();
    agx_state_fini(&st);
    if (conf.pidfile)
        daemon_pidfile_remove(conf.pidfile);
    ret = 0;
out:
    agx_conf_fini(&cli);
    agx_conf_fini(&conf);
    return ret;
}
