/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rows flowmrtg makes targets for: walked from the agent, their indexes
 * decoded (RFC 2578 section 7.7, as lib/mib.h encodes them), named, and
 * chosen by --tables, --host-filter and --top.
 *
 * Target names come from the index alone, so that a row keeps its name
 * (and MRTG its log, RRD and graphs) for as long as it exists, whatever
 * else changes in the tables:
 *   total, total_records        the scalars
 *   host_10.1.0.5               IPv4 host, dotted quad
 *   host_2001-db8-1--5          IPv6 host, RFC 5952 text with ':' as '-'
 *   host_other                  the row of hosts beyond max-hosts
 *   exp_192.0.2.1-0             exporter address and observation domain
 *   svc_https                   service name
 *   proto_tcp                   protocol name as the collector gives it (a
 *                               fixed table, else the number)
 *   host_10.1.0.5_https         a hosts x services cell: the host's name, '_',
 *                               the service name; host_10.1.0.5_other is the
 *                               host's other cell, host_other_https the
 *                               service's other hosts. The target adds the
 *                               role: _provides or _uses (mrtg_cfg.c).
 * MRTG lower-cases target names and uses them as file names, so names keep
 * only [a-z0-9.-] and write any other byte (capitals and '_' included) as
 * _xx in lower-case hex: different names never meet. (A cell's name is
 * read from both ends: the address has no '_', the role no '_' either.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrtg/mrtg.h"

static const uint32_t mib_root[] = {FSN_MIB_ROOT};
#define ROOT_LEN (sizeof mib_root / sizeof mib_root[0])

const char *mrtg_kind_name(enum mrtg_kind k)
{
    static const char *const names[MRTG_NKIND] = {"totals",    "exporters", "hosts",
                                                  "services",  "protocols", "host-services"};
    return k < MRTG_NKIND ? names[k] : "?";
}

void mrtg_rows_init(struct mrtg_rows *r)
{
    memset(r, 0, sizeof *r);
}

void mrtg_rows_fini(struct mrtg_rows *r)
{
    free(r->row);
    memset(r, 0, sizeof *r);
}

static struct mrtg_row *rows_push(struct mrtg_rows *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct mrtg_row *p = realloc(r->row, cap * sizeof *p);

        if (!p)
            return NULL;
        r->row = p;
        r->cap = cap;
    }
    memset(&r->row[r->n], 0, sizeof r->row[0]);
    return &r->row[r->n++];
}

/* One cell of a walk, kept until the walk ends. */
struct cell {
    uint32_t idx[FSN_MIB_INDEX_MAX];
    size_t idxlen;
    size_t col;
    uint64_t u64;
    char *str;
};

struct cells {
    struct cell *c;
    size_t n, cap;
};

static int on_cell(void *arg, size_t col, const uint32_t *idx, size_t idxlen,
                   const struct mrtg_value *v)
{
    struct cells *cs = arg;
    struct cell *c;

    if (idxlen == 0 || idxlen > FSN_MIB_INDEX_MAX)
        return 0; /* the walk checked the bound; an empty index is no row */
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 256;
        struct cell *p = realloc(cs->c, cap * sizeof *p);

        if (!p)
            return -2;
        cs->c = p;
        cs->cap = cap;
    }
    c = &cs->c[cs->n];
    memset(c, 0, sizeof *c);
    memcpy(c->idx, idx, idxlen * sizeof idx[0]);
    c->idxlen = idxlen;
    c->col = col;
    if (v->is_str) {
        c->str = malloc(v->str_len + 1);
        if (!c->str)
            return -2;
        memcpy(c->str, v->str, v->str_len);
        c->str[v->str_len] = '\0';
    } else
        c->u64 = v->u64;
    cs->n++;
    return 0;
}

static int cell_cmp(const void *a, const void *b)
{
    const struct cell *x = a, *y = b;
    int d = fsn_mib_oid_cmp(x->idx, x->idxlen, y->idx, y->idxlen);

    if (d)
        return d;
    return x->col < y->col ? -1 : x->col > y->col;
}

/* Decodes InetAddressType, InetAddress from idx; returns the sub-ids used or 0. */
static size_t dec_inet(const uint32_t *idx, size_t len, uint8_t *family, uint8_t addr[16])
{
    size_t alen;

    if (len < 2)
        return 0;
    if (idx[0] == FSN_MIB_INET_UNKNOWN && idx[1] == 0)
        alen = 0, *family = 0;
    else if (idx[0] == FSN_MIB_INET_IPV4 && idx[1] == 4)
        alen = 4, *family = 4;
    else if (idx[0] == FSN_MIB_INET_IPV6 && idx[1] == 16)
        alen = 16, *family = 6;
    else
        return 0;
    if (len < 2 + alen)
        return 0;
    memset(addr, 0, 16);
    for (size_t i = 0; i < alen; i++) {
        if (idx[2 + i] > 255)
            return 0;
        addr[i] = (uint8_t)idx[2 + i];
    }
    return 2 + alen;
}

/* Decodes an IMPLIED service name (1 to 31 bytes, none 0) into row->name and its label. */
static int dec_name(const uint32_t *idx, size_t len, struct mrtg_row *row, bool label)
{
    if (len < 1 || len > FSN_MIB_NAME_MAX)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (idx[i] == 0 || idx[i] > 255)
            return -1;
        row->name[i] = (char)idx[i];
    }
    row->name[len] = '\0';
    /* For people: the name with control bytes shown as '?'. */
    for (size_t i = 0; label && i <= len; i++)
        row->label[i] = (i < len && (uint8_t)row->name[i] < 0x20) ? '?' : row->name[i];
    return 0;
}

/* The label of a host row or a cell: the address, or "other hosts". */
static void host_label(struct mrtg_row *row)
{
    if (row->family == 0)
        snprintf(row->label, sizeof row->label, "other hosts");
    else
        fsn_addr_format(row->family, row->addr, row->label, sizeof row->label);
}

int mrtg_row_decode(struct mrtg_row *row)
{
    const uint32_t *idx = row->idx;
    size_t len = row->idxlen, used;

    switch (row->kind) {
    case MRTG_HOST:
        used = dec_inet(idx, len, &row->family, row->addr);
        if (used == 0 || used != len)
            return -1;
        host_label(row);
        return 0;
    case MRTG_HOSTSVC:
        used = dec_inet(idx, len, &row->family, row->addr);
        if (used == 0 || dec_name(idx + used, len - used, row, false) != 0)
            return -1;
        host_label(row);
        return 0;
    case MRTG_EXPORTER:
        used = dec_inet(idx, len, &row->family, row->addr);
        if (used == 0 || row->family == 0 || used + 1 != len)
            return -1;
        row->domain = idx[used];
        fsn_addr_format(row->family, row->addr, row->label, sizeof row->label);
        return 0;
    case MRTG_SERVICE:
        return dec_name(idx, len, row, true);
    case MRTG_PROTO:
        if (len != 1 || idx[0] > 255)
            return -1;
        row->proto = idx[0];
        return 0;
    default:
        return -1;
    }
}

/* Appends s to out, escaping every byte but [a-z0-9.-] as _xx. */
static int put_escaped(char *out, size_t len, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789abcdef";

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                     ch == '-';
        size_t need = plain ? 1 : 3;

        if (*pos + need >= len)
            return -1;
        if (plain)
            out[(*pos)++] = (char)ch;
        else {
            out[(*pos)++] = '_';
            out[(*pos)++] = hex[ch >> 4];
            out[(*pos)++] = hex[ch & 15];
        }
    }
    out[*pos] = '\0';
    return 0;
}

int mrtg_target_name(const struct mrtg_row *row, char *out, size_t len)
{
    char addr[FSN_ADDR_STRLEN], tail[FSN_ADDR_STRLEN + 16];
    const char *prefix;
    size_t pos;

    switch (row->kind) {
    case MRTG_TOTAL:
        prefix = "total";
        tail[0] = '\0';
        break;
    case MRTG_HOST:
    case MRTG_EXPORTER:
    case MRTG_HOSTSVC:
        prefix = row->kind == MRTG_EXPORTER ? "exp_" : "host_";
        if (row->family == 0)
            snprintf(addr, sizeof addr, "other");
        else
            fsn_addr_format(row->family, row->addr, addr, sizeof addr);
        for (char *p = addr; *p; p++)
            if (*p == ':')
                *p = '-';
        if (row->kind == MRTG_EXPORTER)
            snprintf(tail, sizeof tail, "%s-%u", addr, (unsigned)row->domain);
        else
            snprintf(tail, sizeof tail, "%s", addr);
        if (row->kind == MRTG_HOSTSVC) {
            /* The address part is plain; the service's is escaped after a '_'. */
            if (strlen(prefix) + strlen(tail) + 1 >= len)
                return -1;
            snprintf(out, len, "%s%s_", prefix, tail);
            pos = strlen(out);
            return put_escaped(out, len, &pos, row->name);
        }
        break;
    case MRTG_SERVICE:
        prefix = "svc_";
        snprintf(tail, sizeof tail, "%s", row->name);
        break;
    case MRTG_PROTO:
        prefix = "proto_";
        if (row->text[0])
            snprintf(tail, sizeof tail, "%.40s", row->text);
        else
            snprintf(tail, sizeof tail, "%u", (unsigned)row->proto);
        break;
    default:
        return -1;
    }
    if (strlen(prefix) >= len)
        return -1;
    strcpy(out, prefix);
    pos = strlen(prefix);
    return put_escaped(out, len, &pos, tail);
}

/* Which columns each table's walk reads. */
static size_t walk_columns(enum mrtg_kind k, uint32_t *table, uint32_t cols[4])
{
    switch (k) {
    case MRTG_HOSTSVC:
        *table = FSN_MIB_HOSTSVC_TABLE;
        cols[0] = FSN_MIB_HS_PROV0 + FSN_MIB_IN_OCTETS;
        cols[1] = FSN_MIB_HS_PROV0 + FSN_MIB_OUT_OCTETS;
        cols[2] = FSN_MIB_HS_USED0 + FSN_MIB_IN_OCTETS;
        cols[3] = FSN_MIB_HS_USED0 + FSN_MIB_OUT_OCTETS;
        return 4;
    case MRTG_HOST:
        *table = FSN_MIB_HOST_TABLE;
        cols[0] = FSN_MIB_HOST_CTR0 + FSN_MIB_IN_OCTETS;
        cols[1] = FSN_MIB_HOST_CTR0 + FSN_MIB_OUT_OCTETS;
        return 2;
    case MRTG_SERVICE:
        *table = FSN_MIB_SERVICE_TABLE;
        cols[0] = FSN_MIB_SERVICE_PORTS;
        return 1;
    case MRTG_PROTO:
        *table = FSN_MIB_PROTO_TABLE;
        cols[0] = FSN_MIB_PROTO_NAME;
        return 1;
    case MRTG_EXPORTER:
        *table = FSN_MIB_EXPORTER_TABLE;
        cols[0] = FSN_MIB_EXP_VERSION;
        return 1;
    default:
        return 0;
    }
}

static void drop_last(struct mrtg_rows *r, enum mrtg_kind k)
{
    fprintf(stderr, "flowmrtg: warning: %s: a row with an index the MIB does not allow "
            "(ignored)\n", mrtg_kind_name(k));
    r->n--;
}

/* Copies a cell's string into a row's text, printable ASCII only. */
static void set_text(char *dst, size_t len, const char *src)
{
    size_t n = 0;

    for (; src && src[n] && n + 1 < len; n++)
        dst[n] = ((unsigned char)src[n] < 0x20 || (unsigned char)src[n] > 0x7e) ? '?' : src[n];
    dst[n] = '\0';
}

/* a + b, or UINT64_MAX when that wraps: two counters near 2^64 must not make a small sum. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* Walks table k's rows under the index prefix under[0..underlen) (all: NULL) into r. */
static int walk_rows(struct mrtg_snmp *s, enum mrtg_kind k, const uint32_t *under,
                     size_t underlen, struct mrtg_rows *r, unsigned long *requests, char *err,
                     size_t errlen)
{
    uint32_t entry[ROOT_LEN + 3], table, cols[4];
    struct mrtg_walk w = {entry, ROOT_LEN + 3, cols, walk_columns(k, &table, cols), under,
                          underlen};
    struct cells cs = {0};
    struct mrtg_row *row = NULL;
    size_t first = r->n;
    int ret;

    if (w.ncols == 0) {
        snprintf(err, errlen, "internal: no table for %s", mrtg_kind_name(k));
        return -1;
    }
    memcpy(entry, mib_root, sizeof mib_root);
    entry[ROOT_LEN] = FSN_MIB_OBJECTS;
    entry[ROOT_LEN + 1] = table;
    entry[ROOT_LEN + 2] = FSN_MIB_ENTRY;
    ret = mrtg_snmp_walk(s, &w, on_cell, &cs, requests, err, errlen);
    if (ret == -2)
        snprintf(err, errlen, "out of memory");
    if (ret != 0) {
        ret = -1;
        goto out;
    }
    if (cs.n) /* (an empty walk leaves cs.c NULL, which qsort must not get) */
        qsort(cs.c, cs.n, sizeof cs.c[0], cell_cmp);
    for (size_t i = 0; i < cs.n; i++) {
        struct cell *c = &cs.c[i];

        if (!row || fsn_mib_oid_cmp(row->idx, row->idxlen, c->idx, c->idxlen) != 0) {
            if (row && mrtg_row_decode(row) != 0)
                drop_last(r, k); /* its index is not one the MIB allows */
            row = rows_push(r);
            if (!row) {
                snprintf(err, errlen, "out of memory");
                ret = -1;
                goto out;
            }
            row->kind = k;
            memcpy(row->idx, c->idx, c->idxlen * sizeof c->idx[0]);
            row->idxlen = c->idxlen;
        }
        switch (k) {
        case MRTG_HOST:
            if (c->col == 0)
                row->in_octets = c->u64;
            else
                row->out_octets = c->u64;
            break;
        case MRTG_SERVICE:
        case MRTG_PROTO:
            set_text(row->text, sizeof row->text, c->str);
            break;
        case MRTG_EXPORTER:
            row->version = (long)c->u64;
            break;
        case MRTG_HOSTSVC:
            /* Columns 0, 1: provided in, out; 2, 3: used in, out. */
            row->octets[c->col / 2] = sat_add(row->octets[c->col / 2], c->u64);
            break;
        default:
            break;
        }
    }
    if (row && mrtg_row_decode(row) != 0)
        drop_last(r, k);
    /* Labels and names of the new rows now that every column is in. */
    for (size_t i = first; i < r->n; i++) {
        struct mrtg_row *x = &r->row[i];

        if (k == MRTG_PROTO)
            snprintf(x->label, sizeof x->label, "%.40s", x->text);
        if (k == MRTG_PROTO && !x->text[0])
            snprintf(x->label, sizeof x->label, "%u", (unsigned)x->proto);
        if (mrtg_target_name(x, x->target, sizeof x->target) != 0) {
            snprintf(err, errlen, "internal: target name too long");
            ret = -1;
            goto out;
        }
    }
    ret = 0;
out:
    for (size_t i = 0; i < cs.n; i++)
        free(cs.c[i].str);
    free(cs.c);
    return ret;
}

int mrtg_rows_walk(struct mrtg_snmp *s, enum mrtg_kind k, struct mrtg_rows *r,
                   unsigned long *requests, char *err, size_t errlen)
{
    return walk_rows(s, k, NULL, 0, r, requests, err, errlen);
}

int mrtg_rows_cells(struct mrtg_snmp *s, struct mrtg_rows *r, const struct mrtg_opts *o,
                    unsigned long *requests, char *err, size_t errlen)
{
    size_t nrows = r->n;

    /* One walk per chosen host, under its index: a few requests each, whatever --top is. */
    for (size_t i = 0; i < nrows; i++) {
        uint32_t under[FSN_MIB_INDEX_MAX];
        size_t len = r->row[i].idxlen, first = r->n;

        if (r->row[i].kind != MRTG_HOST || !r->row[i].chosen)
            continue;
        memcpy(under, r->row[i].idx, len * sizeof under[0]); /* r->row may move */
        if (walk_rows(s, MRTG_HOSTSVC, under, len, r, requests, err, errlen) != 0)
            return -1;
        for (size_t j = first; j < r->n; j++)
            r->row[j].chosen = true;
    }
    for (size_t i = 0; i < nrows; i++)
        if (r->row[i].kind == MRTG_HOST)
            r->row[i].chosen = r->row[i].chosen && o->want[MRTG_HOST];
    return 0;
}

unsigned mrtg_row_variants(const struct mrtg_row *row)
{
    switch (row->kind) {
    case MRTG_TOTAL:
        return 3;
    case MRTG_HOSTSVC:
        return (row->octets[0] ? 1u : 0u) | (row->octets[1] ? 2u : 0u);
    default:
        return 1;
    }
}

void mrtg_rows_add_total(struct mrtg_rows *r)
{
    struct mrtg_row *row = rows_push(r);

    if (!row)
        return;
    row->kind = MRTG_TOTAL;
    snprintf(row->label, sizeof row->label, "total");
    snprintf(row->target, sizeof row->target, "total");
}

static bool filtered_in(const struct mrtg_row *row, const struct mrtg_opts *o)
{
    if (o->nfilter == 0)
        return true;
    if (row->family == 0)
        return false;
    for (size_t i = 0; i < o->nfilter; i++)
        if (fsn_cidr_match(&o->filter[i], row->family, row->addr))
            return true;
    return false;
}

/* A host's place in the ranking: its traffic and its position in index order. */
struct rank {
    uint64_t traffic;
    size_t pos;
};

/* Most traffic first; equal traffic in index (row) order. */
static int rank_cmp(const void *a, const void *b)
{
    const struct rank *x = a, *y = b;

    if (x->traffic != y->traffic)
        return x->traffic > y->traffic ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void mrtg_rows_choose(struct mrtg_rows *r, const struct mrtg_opts *o)
{
    struct rank *hosts;
    size_t nh = 0;

    for (size_t i = 0; i < r->n; i++) {
        struct mrtg_row *x = &r->row[i];

        x->chosen = o->want[x->kind] || (x->kind == MRTG_HOST && o->want[MRTG_HOSTSVC]);
        if (x->kind != MRTG_HOST || !x->chosen)
            continue;
        if (x->family == 0) {
            x->chosen = o->nfilter == 0;
            continue;
        }
        x->chosen = filtered_in(x, o);
        if (x->chosen && o->top)
            nh++;
    }
    if (!o->top || nh <= o->top)
        return;
    hosts = malloc(nh * sizeof *hosts);
    if (!hosts) {
        /* Without memory for the ranking, keep every host rather than a wrong choice. */
        fprintf(stderr, "flowmrtg: warning: out of memory for --top; all hosts kept\n");
        return;
    }
    nh = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct mrtg_row *x = &r->row[i];

        if (x->kind != MRTG_HOST || !x->chosen || x->family == 0)
            continue;
        hosts[nh].traffic = sat_add(x->in_octets, x->out_octets);
        hosts[nh++].pos = i;
    }
    qsort(hosts, nh, sizeof *hosts, rank_cmp);
    for (size_t i = o->top; i < nh; i++)
        r->row[hosts[i].pos].chosen = false;
    free(hosts);
}
