/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowagentx's settings: from the command line and from a config file in
 * the flowsnmp.conf format (lib/conf.h). The file may be the one shared
 * with flowcollectd: flowagentx reads `state-file` and its own `agentx-*`
 * directives and leaves every other directive to the program it belongs to.
 */
#ifndef AGX_CONF_H
#define AGX_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define AGX_DEFAULT_PING 2u /* seconds; reconnection within 10 s needs well under 10 */

struct agx_conf {
    char *state_file;       /* strings owned by the struct (freed by _fini) */
    char *agentx_socket;
    char *user;
    char *pidfile;
    unsigned ping_interval;
    bool ping_set;
    bool foreground;
    bool check_only;
};

void agx_conf_init(struct agx_conf *c);
void agx_conf_fini(struct agx_conf *c);

/* Replaces *field by a copy of value; exits on lack of memory (start-up only). */
void agx_conf_set(char **field, const char *value);

/*
 * Reads the config file at path into c. Returns 0, or -1 with
 * "FILE:LINE: message" (or "FILE: reason") in err.
 */
int agx_conf_load(struct agx_conf *c, const char *path, char *err, size_t errlen);

/* Moves every setting that cli has into dst (the command line wins). */
void agx_conf_merge(struct agx_conf *dst, struct agx_conf *cli);

/*
 * Checks an AgentX socket address: unix:/PATH, /PATH, tcp:HOST:PORT or
 * tcp6:[ADDR]:PORT (net-snmp's forms that AgentX uses). 0, or -1 with a
 * message in err.
 */
int agx_conf_socket(const char *s, char *err, size_t errlen);

/*
 * Checks on this machine what the merged settings name: the socket's form,
 * the state file's directory (the collector makes the file, not the
 * directory), agentx-user, the pid file's directory. 0, or -1 with a
 * message naming the setting in err.
 */
int agx_conf_check(const struct agx_conf *c, char *err, size_t errlen);

/* Parses a ping interval (1..60 seconds, units as in lib/conf.h). */
int agx_conf_ping(const char *s, unsigned *out, char *err, size_t errlen);

/* Prints the directives flowagentx reads, for --help. */
void agx_conf_help(FILE *f);

#endif
