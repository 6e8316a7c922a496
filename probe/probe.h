/* SPDX-License-Identifier: BSD-2-Clause */
/* flowprobe's configuration: filled from the config file, then the command line. */
#ifndef PROBE_PROBE_H
#define PROBE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "probe/export.h"
#include "probe/flowtable.h"

struct probe_conf {
    char interface[64];
    char read_file[4096];
    char filter[4096];
    char collector[EXPORT_MAX_COLLECTORS][300];
    int ncollector;
    int version;
    uint32_t domain;
    uint32_t sampling;
    uint32_t max_flows;
    struct ft_timeouts to;
    char user[64];
    char pidfile[4096];
    uint32_t snaplen;
    bool promisc;
    uint32_t ifindex;      /* input interface index put into flows; 0 = from the interface */
    uint32_t export_rate;  /* datagrams/s per collector; 0 = unpaced */
    bool export_rate_set;  /* else: EXPORT_PACE_BYTES a second for a file, unpaced live */
    uint32_t mtu;          /* largest export datagram payload */
    uint32_t tmpl_refresh_s;
    uint32_t buffer_mb;
    uint32_t frag_slots;
    uint32_t threads;      /* 1 or 2; 0 = 2 when there is more than one CPU */
};

/* Sets every default (see probe_conf_directives for the values). */
void probe_conf_defaults(struct probe_conf *c);

extern const struct fsn_conf_directive probe_conf_directives[];
extern const size_t probe_conf_ndirectives;

#endif
