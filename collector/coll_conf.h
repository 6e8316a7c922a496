/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowcollectd's settings: the directive table (its own directives plus the
 * aggregator's, spliced in from rrd/agg.h), loading a config file that may
 * be shared with flowagentx, and the comparison a SIGHUP reload needs.
 */
#ifndef COLL_CONF_H
#define COLL_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/addr.h"
#include "rrd/agg.h"

#define COLL_LISTEN_MAX 32  /* listen directives */
#define COLL_ALLOW_MAX 4096 /* allow directives */
#define COLL_ADDR_TEXT 128  /* one listen argument, NUL included */
#define COLL_PATH_MAX 1024

/* Directives whose line coll_conf_check() names (see coll_conf.line). */
enum coll_conf_line {
    COLL_L_SPOOL,
    COLL_L_USER,
    COLL_L_PIDFILE,
    COLL_L_RRD_DIR,
    COLL_L_STATE_FILE,
    COLL_L_N
};

/*
 * The configuration. coll_conf_init() sets the defaults; coll_conf_load()
 * fills it from a file and validates it. The struct owns nothing on the
 * heap but the aggregator's part (agg_conf_fini, called by coll_conf_fini).
 * The aggregator's conf comes first: its directive handlers take a pointer
 * to a struct whose first member is a struct agg_conf.
 */
struct coll_conf {
    struct agg_conf agg;
    char listen[COLL_LISTEN_MAX][COLL_ADDR_TEXT];
    size_t nlisten;
    char spool[COLL_PATH_MAX];
    char user[64];
    char pidfile[COLL_PATH_MAX];
    uint32_t rotate;        /* seconds, default 300 */
    uint64_t expire_age;    /* seconds; 0: no age limit */
    uint64_t expire_size;   /* bytes; 0: no size limit */
    struct fsn_cidr *allow; /* NULL with nallow 0: every source is accepted */
    size_t nallow;
    uint64_t socket_buffer;    /* bytes asked for each socket's receive buffer */
    uint32_t max_exporters;    /* (address, version, domain) sessions */
    uint32_t exporter_timeout; /* seconds of silence after which a session may be given up */
    uint32_t max_templates;    /* per session */
    uint32_t max_exporters_per_source; /* sessions of one source address */
    uint32_t max_templates_per_source; /* templates of all sessions of one source address */
    uint64_t template_memory;          /* bytes of every session's templates; 0: no bound */
    uint32_t max_buffered;             /* bytes of data waiting for a template, per session */
    uint32_t buffer_age;               /* seconds such data waits */
    uint32_t stats_interval;           /* seconds between exporter reports in the log; 0: never */
    int log_level;                     /* LOG_ERR .. LOG_DEBUG */
    char file[COLL_PATH_MAX];          /* the file it was loaded from */
    unsigned line[COLL_L_N];           /* lines of those directives; 0: not in the file */
};

/* Sets the defaults into a caller-owned struct. */
void coll_conf_init(struct coll_conf *c);

/* Frees what the struct owns (the allow list, the aggregator's arrays). */
void coll_conf_fini(struct coll_conf *c);

/*
 * Reads and validates the config file at `path` into `c` (initialised with
 * coll_conf_init). Lines of flowagentx (agentx-*) are left to it. Returns 0
 * or a negative FSN_E_* code with "FILE:LINE: message" or "FILE: message"
 * in err; on error `c` must still be freed with coll_conf_fini().
 */
int coll_conf_load(struct coll_conf *c, const char *path, char *err, size_t errlen);

/*
 * Checks on this machine what the loaded configuration names: `user`
 * exists; the spool (made when missing: its parent must exist), rrd-dir
 * (made with its parents; unless a remote rrdcached writes the files) and
 * the state file's directory are directories on writable file systems that
 * the user the collector runs as may write (`as_user`: that user, checked
 * from root by mode bits; NULL: this process as it runs now); the pid
 * file's directory exists. Returns 0, or -1 with "FILE:LINE: directive:
 * reason" in err (the option's name for a value from the command line).
 */
int coll_conf_check(const struct coll_conf *c, const char *as_user, char *err, size_t errlen);

/*
 * For programs that read a part of the collector's config (flowreport: the
 * local networks and services). Parses the file at `path` as
 * coll_conf_load() does, flowagentx's lines left out, but calls only the
 * handlers of the directives named in `keep` (NULL-terminated), with `ctx`;
 * every other directive of the collector is checked for its name and
 * argument count and otherwise ignored. Nothing is validated beyond the
 * lines (no agg_conf_finish()). Returns 0 or a negative FSN_E_* code with
 * "FILE:LINE: message" or "FILE: message" in err.
 */
int coll_conf_load_only(const char *path, const char *const *keep, void *ctx, char *err,
                        size_t errlen);

/* True when `a` (family FSN_FAMILY_*) may send to us under `c`. */
bool coll_conf_allowed(const struct coll_conf *c, uint8_t family, const uint8_t *a);

/*
 * Writes into buf, comma-separated, the directives whose value differs
 * between `old` and `new` and that only take effect at a restart. Empty
 * when there is none.
 */
void coll_conf_restart_needed(const struct coll_conf *old, const struct coll_conf *new, char *buf,
                              size_t len);

/* Parses a log level name (err, warning, notice, info, debug). 0 or FSN_E_SYNTAX. */
int coll_conf_log_level(const char *s, int *out);

/* --help: the directives; --help-config: the sample config (conffile_print_sample). */
void coll_conf_print_help(FILE *f);
void coll_conf_print_sample(FILE *f);

#endif
