/* SPDX-License-Identifier: BSD-2-Clause */
#include "subagent/agx_conf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "common/conffile.h"
#include "common/daemon.h"
#include "lib/addr.h"
#include "lib/conf.h"
#include "lib/error.h"

void agx_conf_init(struct agx_conf *c)
{
    memset(c, 0, sizeof *c);
    c->ping_interval = AGX_DEFAULT_PING;
}

void agx_conf_fini(struct agx_conf *c)
{
    free(c->state_file);
    free(c->agentx_socket);
    free(c->user);
    free(c->pidfile);
    memset(c, 0, sizeof *c);
}

void agx_conf_set(char **field, const char *value)
{
    char *s = strdup(value);

    if (!s) {
        fputs("flowagentx: out of memory\n", stderr);
        exit(1);
    }
    free(*field);
    *field = s;
}

int agx_conf_ping(const char *s, unsigned *out, char *err, size_t errlen)
{
    uint64_t v;
    int ret = fsn_conf_seconds(s, 1, 60, &v, err, errlen);

    if (ret == 0)
        *out = (unsigned)v;
    return ret;
}

int agx_conf_socket(const char *s, char *err, size_t errlen)
{
    char host[256];
    uint16_t port;
    const char *tcp = strchr(s, ':');

    tcp = tcp && (strncmp(s, "tcp:", 4) == 0 || strncmp(s, "tcp6:", 5) == 0) ? tcp + 1 : NULL;
    if (s[0] == '/' || (strncmp(s, "unix:/", 6) == 0 && s[6]))
        return 0;
    if (tcp && fsn_hostport_split(tcp, host, sizeof host, &port) == 0 && host[0] && port)
        return 0;
    snprintf(err, errlen, "'%s': use unix:/PATH, /PATH, tcp:HOST:PORT or tcp6:[ADDR]:PORT", s);
    return -1;
}

static int d_state_file(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc, (void)err, (void)errlen;
    agx_conf_set(&((struct agx_conf *)ctx)->state_file, argv[0]);
    return 0;
}

static int d_socket(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    if (agx_conf_socket(argv[0], err, errlen) != 0)
        return FSN_E_SYNTAX;
    agx_conf_set(&((struct agx_conf *)ctx)->agentx_socket, argv[0]);
    return 0;
}

static int d_ping(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct agx_conf *c = ctx;

    (void)argc;
    c->ping_set = true;
    return agx_conf_ping(argv[0], &c->ping_interval, err, errlen);
}

static int d_user(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc, (void)err, (void)errlen;
    agx_conf_set(&((struct agx_conf *)ctx)->user, argv[0]);
    return 0;
}

static int d_pidfile(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc, (void)err, (void)errlen;
    agx_conf_set(&((struct agx_conf *)ctx)->pidfile, argv[0]);
    return 0;
}

static const struct fsn_conf_directive dirs[] = {
    {"state-file", 1, 1, false, d_state_file, "FILE", NULL,
     "The collector's state file, which flowagentx maps read-only (shared with flowcollectd)."},
    {"agentx-socket", 1, 1, false, d_socket, "ADDR", "/var/agentx/master",
     "The master agent's AgentX socket: unix:/path, /path or tcp:HOST:PORT."},
    {"agentx-ping-interval", 1, 1, false, d_ping, "SECONDS", "2",
     "Seconds between AgentX pings, and between reconnection attempts after the master "
     "agent went away (1 to 60)."},
    {"agentx-user", 1, 1, false, d_user, "USER", NULL,
     "The user flowagentx runs as once started (when started as root)."},
    {"agentx-pidfile", 1, 1, false, d_pidfile, "FILE", NULL,
     "Where flowagentx writes its process id."},
};

#define NDIRS (sizeof dirs / sizeof dirs[0])

void agx_conf_help(FILE *f)
{
    conffile_print_help(f, dirs, NDIRS);
}

/*
 * Ours: our directives, and anything in the agentx- namespace, so that a
 * misspelt agentx-* directive is an error rather than silently ignored.
 */
static bool is_ours(const char *key, size_t len)
{
    if (len > 7 && memcmp(key, "agentx-", 7) == 0)
        return true;
    for (size_t i = 0; i < NDIRS; i++)
        if (strlen(dirs[i].name) == len && memcmp(dirs[i].name, key, len) == 0)
            return true;
    return false;
}

/*
 * Blanks out the lines whose directive is not one of ours (they belong to
 * flowcollectd or another program sharing the file), keeping the line
 * breaks so that error messages still name the right line.
 */
static void keep_ours(char *buf, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t start = i, k, end;
        while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        k = i;
        while (i < len && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r')
            i++;
        end = i;
        while (i < len && buf[i] != '\n')
            i++;
        if (k < end && buf[k] != '#' && !is_ours(buf + k, end - k))
            memset(buf + start, ' ', i - start);
        i++;
    }
}

int agx_conf_load(struct agx_conf *c, const char *path, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len;
    int ret;

    if (conffile_read(path, &buf, &len, err, errlen) != 0)
        return -1;
    keep_ours(buf, len);
    ret = fsn_conf_parse(buf, len, path, dirs, NDIRS, c, err, errlen) == 0 ? 0 : -1;
    free(buf);
    return ret;
}

/* The directory that holds `file` exists. 0, or -1 with "NAME FILE: DIR: reason". */
static int dir_exists(const char *name, const char *file, char *err, size_t errlen)
{
    char dir[4096];
    struct stat st;

    daemon_dir_of(file, dir, sizeof dir);
    if (stat(dir, &st) != 0)
        snprintf(err, errlen, "%s %s: %s: %s", name, file, dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        snprintf(err, errlen, "%s %s: %s: not a directory", name, file, dir);
    else
        return 0;
    return -1;
}

int agx_conf_check(const struct agx_conf *c, char *err, size_t errlen)
{
    char msg[512];

    if (c->agentx_socket && agx_conf_socket(c->agentx_socket, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "agentx-socket %s", msg);
        return -1;
    }
    if (c->state_file && dir_exists("state-file", c->state_file, err, errlen) != 0)
        return -1;
    if (c->pidfile && dir_exists("agentx-pidfile", c->pidfile, err, errlen) != 0)
        return -1;
    if (c->user && daemon_user_check(c->user, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "agentx-user: %s", msg);
        return -1;
    }
    return 0;
}

static void take(char **dst, char **src)
{
    if (*src) {
        free(*dst);
        *dst = *src;
        *src = NULL;
    }
}

void agx_conf_merge(struct agx_conf *dst, struct agx_conf *cli)
{
    take(&dst->state_file, &cli->state_file);
    take(&dst->agentx_socket, &cli->agentx_socket);
    take(&dst->user, &cli->user);
    take(&dst->pidfile, &cli->pidfile);
    if (cli->ping_set) {
        dst->ping_interval = cli->ping_interval;
        dst->ping_set = true;
    }
    dst->foreground |= cli->foreground;
    dst->check_only |= cli->check_only;
}
