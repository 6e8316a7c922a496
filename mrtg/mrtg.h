/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowmrtg's modules: the SNMP walk (mrtg_snmp.c), the rows it finds and
 * the choice among them (mrtg_rows.c), and the MRTG configuration written
 * from them (mrtg_cfg.c). flowmrtg.c parses the command line and runs the
 * three in turn.
 */
#ifndef FSN_MRTG_H
#define FSN_MRTG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/addr.h"
#include "lib/mib.h"

/*
 * The tables flowmrtg can make targets for: the first MRTG_NTABLES as
 * --tables names them, then the hosts x services cells (--host-services).
 */
enum mrtg_kind {
    MRTG_TOTAL,
    MRTG_EXPORTER,
    MRTG_HOST,
    MRTG_SERVICE,
    MRTG_PROTO,
    MRTG_HOSTSVC,
    MRTG_NKIND,
};
#define MRTG_NTABLES MRTG_HOSTSVC

/* "totals", "exporters", ... as --tables spells them; "host-services" for the cells. */
const char *mrtg_kind_name(enum mrtg_kind k);

/* At most this many --host-filter prefixes and --global lines. */
#define MRTG_MAX_FILTERS 64
#define MRTG_MAX_GLOBALS 64

/*
 * Longest target name: a cell's "host_", an IPv6 address, "_" and a 31-byte
 * name with every byte escaped (138 bytes); the role's suffix comes on top.
 */
#define MRTG_NAME_MAX 160

/* What the command line asked for. flowmrtg.c owns it; the modules read it. */
struct mrtg_opts {
    /* SNMP: version 2 (v2c) or 3, and the agent. */
    int version;
    const char *community;
    char host[256];         /* as given, IPv6 without brackets */
    bool host_v6;           /* a literal IPv6 address: [host] in targets */
    unsigned port;          /* 0: the default, 161 */
    const char *user;       /* v3 */
    const char *level;      /* noAuthNoPriv, authNoPriv, authPriv */
    const char *auth_proto; /* MD5, SHA */
    const char *auth_pass;
    const char *priv_proto; /* DES, AES */
    const char *priv_pass;
    long timeout_ms;
    int retries;
    unsigned max_rep;

    /* What to write. */
    bool want[MRTG_NKIND];  /* want[MRTG_HOSTSVC]: --host-services */
    unsigned top;           /* 0: every host */
    struct fsn_cidr filter[MRTG_MAX_FILTERS];
    size_t nfilter;
    uint64_t link_bps;
    const char *link_text;  /* as given, for the comments */
    const char *workdir;
    const char *logformat;
    const char *mib_dir;
    const char *netsnmp_mib; /* the NET-SNMP-MIB file LoadMIBs names (with mib_dir) */
    bool no_global;         /* targets only, for Include: in another mrtg.cfg */
    const char *global[MRTG_MAX_GLOBALS];
    size_t nglobal;
    const char *cmdline;    /* the command line, secrets masked, for the header */
};

/* One row of a table, or the totals, as flowmrtg found it. */
struct mrtg_row {
    enum mrtg_kind kind;
    uint32_t idx[FSN_MIB_INDEX_MAX];
    size_t idxlen;
    uint8_t family;         /* host, exporter, cell: 4, 6, or 0 for the "other" row */
    uint8_t addr[16];
    uint32_t domain;        /* exporter */
    uint32_t proto;         /* protocol number */
    char name[FSN_MIB_NAME_MAX + 1]; /* service name (services, cells) */
    char text[256];         /* service ports, protocol name */
    long version;           /* exporter format version; 0 unknown */
    uint64_t in_octets, out_octets; /* hosts: for --top */
    uint64_t octets[2];     /* cells: octets in + out provided [0] and used [1] */
    char label[FSN_ADDR_STRLEN + 16]; /* how the row is named for people */
    char target[MRTG_NAME_MAX];       /* the MRTG target name */
    bool chosen;
};

/* A growing array of rows; the owner calls mrtg_rows_fini. */
struct mrtg_rows {
    struct mrtg_row *row;
    size_t n, cap;
};

/* What the agent says about itself, for the banner and titles. */
struct mrtg_agent {
    char sys_name[256];
    char sys_descr[256];
    char sys_contact[256];
    char sys_location[256];
    char software[64];      /* flowSoftwareVersion */
    unsigned long host_rows; /* flowHostRowsInUse */
};

/*
 * One value found by a walk, handed to the caller's callback: a counter or
 * integer in u64 (negative integers are skipped), or a string (not
 * NUL-terminated; str_len bytes).
 */
struct mrtg_value {
    bool is_str;
    uint64_t u64;
    const char *str;
    size_t str_len;
};

/* The SNMP side: a net-snmp single session (opaque here). */
struct mrtg_snmp;

/*
 * Opens a session to the agent the options name. Returns a session the
 * caller frees with mrtg_snmp_close, or NULL with a message in err.
 */
struct mrtg_snmp *mrtg_snmp_open(const struct mrtg_opts *o, char *err, size_t errlen);
void mrtg_snmp_close(struct mrtg_snmp *s);

/*
 * GETs the system group and FLOWSNMP-MIB's version and host-row scalars
 * into *a. Returns 0; -1 with a message in err when the agent does not
 * answer or does not serve FLOWSNMP-MIB.
 */
int mrtg_snmp_agent(struct mrtg_snmp *s, struct mrtg_agent *a, char *err, size_t errlen);

typedef int (*mrtg_walk_fn)(void *arg, size_t col, const uint32_t *idx, size_t idxlen,
                            const struct mrtg_value *v);

/* Which part of a table a walk reads: columns, and the rows whose index starts with under. */
struct mrtg_walk {
    const uint32_t *entry;  /* the table entry's OID as sub-identifiers */
    size_t entrylen;
    const uint32_t *cols;
    size_t ncols;
    const uint32_t *under;  /* an index prefix, or NULL for every row */
    size_t underlen;
};

/*
 * Walks the columns of w with GETBULK, all side by side, and calls fn for
 * each cell with the column's position in w->cols and the row's whole
 * index. A callback returning non-zero stops the walk with that value.
 * Returns 0, -1 with a message in err, or the callback's value. *requests
 * counts the GETBULK requests sent.
 */
int mrtg_snmp_walk(struct mrtg_snmp *s, const struct mrtg_walk *w, mrtg_walk_fn fn, void *arg,
                   unsigned long *requests, char *err, size_t errlen);

/* Rows: mrtg_rows.c. */
void mrtg_rows_init(struct mrtg_rows *r);
void mrtg_rows_fini(struct mrtg_rows *r);

/*
 * Walks the table of kind k (not MRTG_TOTAL) and appends a row per table
 * row, index-decoded and named, in index order. Rows whose index the MIB
 * does not allow are skipped with a warning on stderr. Returns 0 or -1
 * with a message in err.
 */
int mrtg_rows_walk(struct mrtg_snmp *s, enum mrtg_kind k, struct mrtg_rows *r,
                   unsigned long *requests, char *err, size_t errlen);

/* The totals' row (the scalars), always present in a FLOWSNMP-MIB agent. */
void mrtg_rows_add_total(struct mrtg_rows *r);

/*
 * Marks rows chosen: every row of a wanted kind, and of the hosts those
 * within the filters (none: all), of them the `top` with the most in + out
 * octets (ties: index order). The "other" host row is chosen when no
 * filter is given and does not count towards `top`. With --host-services
 * the hosts are chosen so even when their own targets are not wanted (the
 * cells are walked for them); mrtg_rows_cells() then unchooses them.
 */
void mrtg_rows_choose(struct mrtg_rows *r, const struct mrtg_opts *o);

/*
 * --host-services: walks flowHostServiceTable under the index of every
 * chosen host row (the "other" row included) and appends a chosen row per
 * cell, in index order; then leaves host rows chosen only when the hosts
 * table is wanted. Returns 0 or -1 with a message in err.
 */
int mrtg_rows_cells(struct mrtg_snmp *s, struct mrtg_rows *r, const struct mrtg_opts *o,
                    unsigned long *requests, char *err, size_t errlen);

/*
 * The targets a row makes, as a mask of variants: bit 0 its one target,
 * for the totals also bit 1 (traffic, records); for a cell bit 0 (what
 * the host provides) when that role has counted octets and bit 1 (what it
 * uses) likewise: a role that never counted has nothing to graph, and as
 * counters never go back, a re-run never drops one.
 */
unsigned mrtg_row_variants(const struct mrtg_row *row);

/*
 * Fills a row's identity (address, domain, service name, protocol) and its
 * label from its kind and index. Returns 0, or -1 for an index the MIB
 * does not allow.
 */
int mrtg_row_decode(struct mrtg_row *row);

/*
 * The target name of a row (see mrtg_rows.c for the rules); writes into
 * out[len] and returns 0, or -1 when it does not fit.
 */
int mrtg_target_name(const struct mrtg_row *row, char *out, size_t len);

/* Config: mrtg_cfg.c. Writes the whole configuration of the chosen rows to f. */
int mrtg_cfg_write(FILE *f, const struct mrtg_opts *o, const struct mrtg_agent *a,
                   const struct mrtg_rows *r);

#endif
