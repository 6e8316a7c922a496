/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowcollectd's directive table and config loading. The table lists the
 * collector's own directives, then the aggregator's (agg_conf_directives),
 * so that --help, the sample file and the parser all see one list.
 */
#include "collector/coll_conf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "common/conffile.h"
#include "common/daemon.h"
#include "lib/conf.h"
#include "lib/error.h"

void coll_conf_init(struct coll_conf *c)
{
    memset(c, 0, sizeof *c);
    agg_conf_init(&c->agg);
    c->rotate = 300;
    c->socket_buffer = 32u << 20;
    c->max_exporters = 1024;
    c->exporter_timeout = 3600;
    c->max_templates = 256;
    c->max_exporters_per_source = 64;
    c->max_templates_per_source = 1024;
    c->template_memory = 32u << 20;
    c->max_buffered = 65536;
    c->buffer_age = 300;
    c->stats_interval = 300;
    c->log_level = LOG_INFO;
}

void coll_conf_fini(struct coll_conf *c)
{
    if (!c)
        return;
    agg_conf_fini(&c->agg);
    free(c->allow);
    c->allow = NULL;
    c->nallow = 0;
}

static int h_listen(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;
    char host[COLL_ADDR_TEXT];
    uint16_t port;

    (void)argc;
    if (c->nlisten == COLL_LISTEN_MAX) {
        snprintf(err, errlen, "more than %d listen addresses", COLL_LISTEN_MAX);
        return FSN_E_LIMIT;
    }
    if (strlen(argv[0]) >= COLL_ADDR_TEXT ||
        fsn_hostport_split(argv[0], host, sizeof host, &port) != 0) {
        snprintf(err, errlen, "'%s' is not ADDR:PORT (IPv6 as [ADDR]:PORT)", argv[0]);
        return FSN_E_SYNTAX;
    }
    snprintf(c->listen[c->nlisten++], COLL_ADDR_TEXT, "%s", argv[0]);
    return 0;
}

static int h_spool(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;

    (void)argc;
    /* Leave room for "/flows-YYYYMMDD-HHMMSS-N.fsn.tmp". */
    return fsn_conf_string(argv[0], c->spool, sizeof c->spool - 64, err, errlen);
}

static int h_user(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;

    (void)argc;
    return fsn_conf_string(argv[0], c->user, sizeof c->user, err, errlen);
}

static int h_pidfile(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;

    (void)argc;
    return fsn_conf_string(argv[0], c->pidfile, sizeof c->pidfile, err, errlen);
}

static int h_rotate(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;
    uint64_t v;
    int ret = fsn_conf_seconds(argv[0], 1, 86400, &v, err, errlen);

    (void)argc;
    if (ret == 0)
        c->rotate = (uint32_t)v;
    return ret;
}

static int h_expire_age(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;

    (void)argc;
    /* Up to 100 years; 0 turns the limit off. */
    return fsn_conf_seconds(argv[0], 0, 100ull * 366 * 86400, &c->expire_age, err, errlen);
}

static int h_expire_size(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;

    (void)argc;
    return fsn_conf_bytes(argv[0], 0, UINT64_MAX / 2, &c->expire_size, err, errlen);
}

static int h_allow(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;
    struct fsn_cidr *grown;

    for (int i = 0; i < argc; i++) {
        struct fsn_cidr cidr;
        if (fsn_cidr_parse(argv[i], &cidr) != 0) {
            snprintf(err, errlen, "'%s' is not an address or prefix (host bits must be zero)",
                     argv[i]);
            return FSN_E_SYNTAX;
        }
        if (c->nallow == COLL_ALLOW_MAX) {
            snprintf(err, errlen, "more than %d allowed prefixes", COLL_ALLOW_MAX);
            return FSN_E_LIMIT;
        }
        if (!(grown = realloc(c->allow, (c->nallow + 1) * sizeof *grown))) {
            snprintf(err, errlen, "%s", fsn_strerror(FSN_E_NOMEM));
            return FSN_E_NOMEM;
        }
        c->allow = grown;
        c->allow[c->nallow++] = cidr;
    }
    return 0;
}

static int h_socket_buffer(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;

    (void)argc;
    return fsn_conf_bytes(argv[0], 65536, 1u << 30, &c->socket_buffer, err, errlen);
}

static int h_max_exporters(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_u32(argv[0], 1, 1000000, &((struct coll_conf *)ctx)->max_exporters, err,
                        errlen);
}

static int h_exporter_timeout(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;
    uint64_t v;
    int ret = fsn_conf_seconds(argv[0], 1, 366 * 86400, &v, err, errlen);

    (void)argc;
    if (ret == 0)
        c->exporter_timeout = (uint32_t)v;
    return ret;
}

static int h_max_templates(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_u32(argv[0], 1, 65535, &((struct coll_conf *)ctx)->max_templates, err,
                        errlen);
}

static int h_max_exporters_per_source(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_u32(argv[0], 1, 1000000, &((struct coll_conf *)ctx)->max_exporters_per_source,
                        err, errlen);
}

static int h_max_templates_per_source(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_u32(argv[0], 1, 16777216, &((struct coll_conf *)ctx)->max_templates_per_source,
                        err, errlen);
}

static int h_template_memory(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)argc;
    return fsn_conf_bytes(argv[0], 0, 1ull << 40, &((struct coll_conf *)ctx)->template_memory, err,
                          errlen);
}

static int h_max_buffered(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;
    uint64_t v;
    int ret = fsn_conf_bytes(argv[0], 0, 64u << 20, &v, err, errlen);

    (void)argc;
    if (ret == 0)
        c->max_buffered = (uint32_t)v;
    return ret;
}

static int h_buffer_age(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;
    uint64_t v;
    int ret = fsn_conf_seconds(argv[0], 1, 86400, &v, err, errlen);

    (void)argc;
    if (ret == 0)
        c->buffer_age = (uint32_t)v;
    return ret;
}

static int h_stats_interval(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;
    uint64_t v;
    int ret = fsn_conf_seconds(argv[0], 0, 86400, &v, err, errlen);

    (void)argc;
    if (ret == 0)
        c->stats_interval = (uint32_t)v;
    return ret;
}

static const struct {
    const char *name;
    int level;
} levels[] = {
    {"err", LOG_ERR},       {"error", LOG_ERR}, {"warning", LOG_WARNING},
    {"notice", LOG_NOTICE}, {"info", LOG_INFO}, {"debug", LOG_DEBUG},
};

int coll_conf_log_level(const char *s, int *out)
{
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(levels[i].name, s) == 0) {
            *out = levels[i].level;
            return 0;
        }
    return FSN_E_SYNTAX;
}

static int h_log_level(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct coll_conf *c = ctx;

    (void)argc;
    if (coll_conf_log_level(argv[0], &c->log_level) != 0) {
        snprintf(err, errlen, "'%s': use err, warning, notice, info or debug", argv[0]);
        return FSN_E_SYNTAX;
    }
    return 0;
}

static const struct fsn_conf_directive own[] = {
    {"listen", 1, 1, true, h_listen, "ADDR:PORT", "0.0.0.0:2055",
     "Address and UDP port to receive NetFlow v5/v9 and IPFIX on: an IPv4 address or name, or "
     "[IPv6]:PORT ([::]:2055 for every IPv6 address). The default applies only when no listen "
     "line is given."},
    {"spool", 1, 1, false, h_spool, "DIR", NULL,
     "Directory of the flow files and the saved templates (required; made when missing, "
     "its parent must exist)."},
    {"rotate", 1, 1, false, h_rotate, "SECONDS", "300",
     "Length of one flow file's interval; intervals are aligned on multiples of it since the "
     "epoch (1 s to 1 day)."},
    {"expire-age", 1, 1, false, h_expire_age, "SECONDS", "0",
     "Delete complete flow files whose interval ended longer ago than this (e.g. 30d; 0: keep "
     "them)."},
    {"expire-size", 1, 1, false, h_expire_size, "BYTES", "0",
     "Delete the oldest complete flow files while all of them together are larger than this "
     "(e.g. 50G; 0: no limit)."},
    {"allow", 1, -1, true, h_allow, "CIDR...", NULL,
     "Accept export datagrams only from these sources (IPv4 and IPv6 prefixes or addresses); "
     "others are counted per source and dropped. Without allow, every source is accepted. "
     "This filters by source address only, which UDP lets anyone forge: filter spoofed "
     "exporter addresses at the network's edge too."},
    {"user", 1, 1, false, h_user, "NAME", NULL,
     "Run as this user once the sockets are bound and the pid file written (when started as "
     "root); the spool, rrd-dir and the state file's directory must be writable by it."},
    {"pidfile", 1, 1, false, h_pidfile, "FILE", NULL,
     "Write the process id into FILE (the -p option wins)."},
    {"socket-buffer", 1, 1, false, h_socket_buffer, "BYTES", "32M",
     "Receive buffer asked for each socket; the kernel caps it at net.core.rmem_max unless "
     "flowcollectd starts as root."},
    {"max-exporters", 1, 1, false, h_max_exporters, "N", "1024",
     "Exporter sessions kept, one per (address, version, observation domain); when the table "
     "is full, a new exporter takes the place of one silent for exporter-timeout, else its "
     "datagrams are counted and dropped."},
    {"exporter-timeout", 1, 1, false, h_exporter_timeout, "SECONDS", "3600",
     "How long an exporter session must have been silent before a new exporter may take its "
     "place in a full table."},
    {"max-exporters-per-source", 1, 1, false, h_max_exporters_per_source, "N", "64",
     "Exporter sessions of one source address (its observation domains and versions); a new "
     "one beyond takes the place of one of that address's that never decoded anything, or "
     "that was silent for exporter-timeout, else its datagrams are counted (source-full) and "
     "dropped."},
    {"max-templates", 1, 1, false, h_max_templates, "N", "256",
     "Templates kept per exporter session; further template ids are counted and refused."},
    {"max-templates-per-source", 1, 1, false, h_max_templates_per_source, "N", "1024",
     "Templates kept for all the sessions of one source address together; further ones are "
     "counted and refused."},
    {"template-memory", 1, 1, false, h_template_memory, "BYTES", "32M",
     "Memory for the templates of all exporter sessions together (and so the largest size of "
     "the saved template file); further templates are counted and refused (0: no limit)."},
    {"max-buffered", 1, 1, false, h_max_buffered, "BYTES", "64k",
     "Data that arrives before its template is kept, up to this much per exporter session, "
     "and decoded when the template comes (0: dropped at once, counted)."},
    {"buffer-age", 1, 1, false, h_buffer_age, "SECONDS", "300",
     "How long such data waits for its template before it is dropped (counted)."},
    {"stats-interval", 1, 1, false, h_stats_interval, "SECONDS", "300",
     "Log the counters of the active exporters this often (0: only on SIGUSR1 and at exit)."},
    {"log-level", 1, 1, false, h_log_level, "LEVEL", "info",
     "Least important messages logged: err, warning, notice, info or debug."},
};

#define NOWN (sizeof own / sizeof own[0])
#define NALL_MAX (NOWN + 32)

static struct fsn_conf_directive table[NALL_MAX];
static size_t ntable;

/* The combined table: built once (agg_conf_directives is not a constant expression). */
static const struct fsn_conf_directive *dirs(size_t *n)
{
    if (ntable == 0) {
        size_t k = 0;
        for (size_t i = 0; i < NOWN; i++)
            table[k++] = own[i];
        for (size_t i = 0; i < agg_conf_ndirectives && k < NALL_MAX; i++)
            table[k++] = agg_conf_directives[i];
        ntable = k;
    }
    *n = ntable;
    return table;
}

/*
 * flowagentx's directives (agentx-*) may share the file: blank their lines,
 * keeping the line breaks so that messages still name the right line.
 */
static void drop_agentx(char *buf, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t start = i, k;
        while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        k = i;
        while (i < len && buf[i] != '\n')
            i++;
        if (i - k > 7 && memcmp(buf + k, "agentx-", 7) == 0)
            memset(buf + start, ' ', i - start);
        i++;
    }
}

static const char *const line_key[COLL_L_N] = {
    "spool", "user", "pidfile", "rrd-dir", "state-file",
};

/* The number of the line whose directive is `key` (the last such line; 0: none). */
static unsigned find_line(const char *buf, size_t len, const char *key)
{
    size_t klen = strlen(key), i = 0;
    unsigned n = 1, found = 0;

    while (i < len) {
        size_t k = i;
        while (k < len && (buf[k] == ' ' || buf[k] == '\t'))
            k++;
        if (len - k > klen && memcmp(buf + k, key, klen) == 0 &&
            (buf[k + klen] == ' ' || buf[k + klen] == '\t'))
            found = n;
        while (i < len && buf[i] != '\n')
            i++;
        i++;
        n++;
    }
    return found;
}

int coll_conf_load(struct coll_conf *c, const char *path, char *err, size_t errlen)
{
    const struct fsn_conf_directive *d;
    char *buf = NULL, msg[400];
    size_t len, n;
    int ret;

    d = dirs(&n);
    if ((ret = conffile_read(path, &buf, &len, err, errlen)) < 0)
        return ret;
    drop_agentx(buf, len);
    ret = fsn_conf_parse(buf, len, path, d, n, c, err, errlen);
    snprintf(c->file, sizeof c->file, "%s", path);
    for (int i = 0; i < COLL_L_N; i++)
        c->line[i] = find_line(buf, len, line_key[i]);
    free(buf);
    if (ret < 0)
        return ret;
    if ((ret = agg_conf_finish(&c->agg, msg, sizeof msg)) < 0) {
        snprintf(err, errlen, "%s: %s", path, msg);
        return ret;
    }
    if (!c->spool[0]) {
        snprintf(err, errlen, "%s: no spool directory: a 'spool DIR' line is required", path);
        return FSN_E_SYNTAX;
    }
    if (c->nlisten == 0) {
        snprintf(c->listen[0], COLL_ADDR_TEXT, "0.0.0.0:2055");
        c->nlisten = 1;
    }
    return 0;
}

/* Prefixes err with where the directive is: "FILE:LINE: key: ", or the option's name. */
static int where(const struct coll_conf *c, enum coll_conf_line l, const char *option,
                 const char *msg, char *err, size_t errlen)
{
    if (c->line[l])
        snprintf(err, errlen, "%s:%u: %s: %s", c->file, c->line[l], line_key[l], msg);
    else
        snprintf(err, errlen, "%s: %s", option ? option : line_key[l], msg);
    return -1;
}

int coll_conf_check(const struct coll_conf *c, const char *as_user, char *err, size_t errlen)
{
    const struct agg_conf *a = &c->agg;
    /* A remote rrdcached makes the files (and their directories) itself. */
    bool local_rrd =
        !a->rrdcached[0] || strncmp(a->rrdcached, "unix:", 5) == 0 || a->rrdcached[0] == '/';
    char msg[COLL_PATH_MAX + 200], dir[COLL_PATH_MAX];
    struct stat st;

    if (c->user[0] && daemon_user_check(c->user, msg, sizeof msg) != 0)
        return where(c, COLL_L_USER, "-u", msg, err, errlen);
    if (daemon_check_dir(c->spool, 1, as_user, msg, sizeof msg) != 0)
        return where(c, COLL_L_SPOOL, NULL, msg, err, errlen);
    if (a->rrd_dir[0] && local_rrd &&
        daemon_check_dir(a->rrd_dir, -1, as_user, msg, sizeof msg) != 0)
        return where(c, COLL_L_RRD_DIR, NULL, msg, err, errlen);
    if (a->state_file[0]) {
        if (stat(a->state_file, &st) == 0 && !S_ISREG(st.st_mode)) {
            snprintf(msg, sizeof msg, "%s: not a regular file", a->state_file);
            return where(c, COLL_L_STATE_FILE, NULL, msg, err, errlen);
        }
        daemon_dir_of(a->state_file, dir, sizeof dir);
        if (daemon_check_dir(dir, 0, as_user, msg, sizeof msg) != 0)
            return where(c, COLL_L_STATE_FILE, NULL, msg, err, errlen);
    }
    if (c->pidfile[0]) {
        /* Written before the privilege drop, by this process. */
        daemon_dir_of(c->pidfile, dir, sizeof dir);
        if (daemon_check_dir(dir, 0, NULL, msg, sizeof msg) != 0)
            return where(c, COLL_L_PIDFILE, "-p", msg, err, errlen);
    }
    return 0;
}

int coll_conf_load_only(const char *path, const char *const *keep, void *ctx, char *err,
                        size_t errlen)
{
    struct fsn_conf_directive some[NALL_MAX];
    const struct fsn_conf_directive *d;
    char *buf = NULL;
    size_t len, n;
    int ret;

    d = dirs(&n);
    for (size_t i = 0; i < n; i++) {
        const char *const *k = keep;
        while (*k && strcmp(*k, d[i].name) != 0)
            k++;
        some[i] = d[i];
        if (!*k)
            some[i].handler = NULL; /* fsn_conf_parse accepts and ignores the line */
    }
    if ((ret = conffile_read(path, &buf, &len, err, errlen)) < 0)
        return ret;
    drop_agentx(buf, len);
    ret = fsn_conf_parse(buf, len, path, some, n, ctx, err, errlen);
    free(buf);
    return ret;
}

bool coll_conf_allowed(const struct coll_conf *c, uint8_t family, const uint8_t *a)
{
    if (c->nallow == 0)
        return true;
    for (size_t i = 0; i < c->nallow; i++)
        if (fsn_cidr_match(&c->allow[i], family, a))
            return true;
    return false;
}

static void note(char *buf, size_t len, const char *name)
{
    size_t used = strlen(buf);

    if (used + 2 < len)
        snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
}

void coll_conf_restart_needed(const struct coll_conf *o, const struct coll_conf *n, char *buf,
                              size_t len)
{
    const struct agg_conf *a = &o->agg, *b = &n->agg;

    buf[0] = '\0';
    if (o->nlisten != n->nlisten || memcmp(o->listen, n->listen, sizeof o->listen) != 0)
        note(buf, len, "listen");
    if (strcmp(o->spool, n->spool) != 0)
        note(buf, len, "spool");
    if (o->rotate != n->rotate)
        note(buf, len, "rotate");
    if (strcmp(o->user, n->user) != 0)
        note(buf, len, "user");
    if (strcmp(o->pidfile, n->pidfile) != 0)
        note(buf, len, "pidfile");
    if (o->socket_buffer != n->socket_buffer)
        note(buf, len, "socket-buffer");
    if (a->nnets != b->nnets || (a->nnets && memcmp(a->nets, b->nets, a->nnets * sizeof *a->nets)))
        note(buf, len, "local-network");
    if (a->nservices != b->nservices ||
        (a->nservices && memcmp(a->services, b->services, a->nservices * sizeof *a->services)))
        note(buf, len, "service");
    if (a->step != b->step)
        note(buf, len, "step");
    if (a->grace != b->grace)
        note(buf, len, "grace");
    if (a->prorate != b->prorate)
        note(buf, len, "pro-rate");
    if (a->max_hosts != b->max_hosts)
        note(buf, len, "max-hosts");
    if (strcmp(a->rrd_dir, b->rrd_dir) != 0)
        note(buf, len, "rrd-dir");
    if (strcmp(a->rrdcached, b->rrdcached) != 0)
        note(buf, len, "rrdcached");
    if (strcmp(a->state_file, b->state_file) != 0)
        note(buf, len, "state-file");
}

void coll_conf_print_help(FILE *f)
{
    size_t n;
    const struct fsn_conf_directive *d = dirs(&n);

    conffile_print_help(f, d, n);
}

void coll_conf_print_sample(FILE *f)
{
    size_t n;
    const struct fsn_conf_directive *d = dirs(&n);

    conffile_print_sample(f, d, n);
}
