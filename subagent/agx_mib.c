/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Why our own handler rather than a net-snmp table helper: the master
 * agent sends one AgentX GetNext per varbind, so a walk costs one handler
 * call per cell. table_iterator scans all rows per call (quadratic walks);
 * tdata keeps its own copy of every row's index in a container that must
 * be rebuilt row by row. A sorted array of the state file's indexes and a
 * binary search per call answers GET and GETNEXT in O(log n) with no
 * per-row allocation, and the rebuild when rows come or go is one pass
 * and one qsort.
 */
#include "subagent/agx_mib.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/mib.h"
#include "lib/state.h"

/* How often a request re-examines the state file (a timer does it too). */
#define AGX_POLL_MS 500

union agx_row {
    struct fsn_state_scalars sc;
    struct fsn_state_exporter ex;
    struct fsn_state_host h;
    struct fsn_state_service sv;
    struct fsn_state_proto p;
    struct fsn_state_hostsvc hs;
};

/* What differs between the tables. */
struct agx_kind {
    const char *name;
    int kind;           /* enum agx_kind_id */
    unsigned table;     /* number under flowsnmpObjects */
    unsigned min_col;   /* first accessible column */
    unsigned max_col;
    size_t row_size;    /* bytes of a row to copy for a value */
    size_t key_size;    /* bytes of a row to copy to know its index */
    /* Encodes the index of a row copy; false when the slot is not in use. */
    bool (*key)(const union agx_row *r, uint32_t slot, uint32_t *sub, size_t *len);
    /* Sets the varbind to column col of a row copy. */
    void (*value)(const struct agx_map *m, const union agx_row *r, unsigned col,
                  netsnmp_variable_list *vb);
};

struct agx_table {
    const struct agx_kind *k;
    struct agx_state *st;
    oid entry[MAX_OID_LEN];     /* column c of row i is entry.c.i */
    size_t entry_len;
    struct fsn_mib_rows rows;   /* sorted index of the rows in use */
    uint64_t built_map;         /* mapping id and generation the index was built from */
    uint64_t built_gen;
    bool complete;              /* every row in use could be read during the build */
    struct log_limit lim;
};

/* What fetching a row found. */
enum row_state {
    ROW_OK,
    ROW_GONE,   /* freed or reused since the index was built */
    ROW_BUSY,   /* the writer kept it locked (see agx_state_read) */
};

/* The last row copied during one handler call (a PDU's varbinds often share a row). */
struct row_cache {
    bool valid;
    enum row_state state;
    uint32_t slot;
    union agx_row r;
};

/* ---- values ---- */

static void set_c64(netsnmp_variable_list *vb, uint64_t v)
{
    struct counter64 c;

    c.high = (u_long)(v >> 32);
    c.low = (u_long)(v & 0xffffffffu);
    snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof c);
}

static void set_gauge(netsnmp_variable_list *vb, uint32_t v)
{
    u_long x = v;

    snmp_set_var_typed_value(vb, ASN_GAUGE, &x, sizeof x);
}

static void set_int(netsnmp_variable_list *vb, long v)
{
    snmp_set_var_typed_value(vb, ASN_INTEGER, &v, sizeof v);
}

/* A NUL-padded text field, cut at maxlen (the MIB's SIZE bound). */
static void set_text(netsnmp_variable_list *vb, const char *s, size_t field, size_t maxlen)
{
    size_t n = strnlen(s, field);

    snmp_set_var_typed_value(vb, ASN_OCTET_STR, s, n < maxlen ? n : maxlen);
}

static void set_time(netsnmp_variable_list *vb, uint64_t t)
{
    uint8_t b[FSN_MIB_DATEANDTIME_LEN];
    size_t n = fsn_mib_dateandtime(t, b);

    snmp_set_var_typed_value(vb, ASN_OCTET_STR, b, n);
}

static void set_ctr(netsnmp_variable_list *vb, const struct fsn_state_ctr *c, unsigned i)
{
    const uint64_t v[FSN_MIB_NCTR] = {c->in_octets,  c->out_octets, c->in_packets,
                                      c->out_packets, c->in_flows,  c->out_flows};

    set_c64(vb, v[i]);
}

static uint64_t hdr(const struct agx_map *m, size_t off)
{
    return agx_map_hdr_u64(m, off);
}

static void scalar_value(const struct agx_map *m, const union agx_row *r, unsigned col,
                         netsnmp_variable_list *vb)
{
    const struct fsn_state_scalars *s = &r->sc;

    switch (col) {
    case FSN_MIB_SOFTWARE_VERSION:
        set_text(vb, m->hdr.software, sizeof m->hdr.software, 31);
        break;
    case FSN_MIB_STATE_CREATED:
        set_time(vb, hdr(m, offsetof(struct fsn_state_hdr, created)));
        break;
    case FSN_MIB_DISCONTINUITY_TIME:
        set_time(vb, hdr(m, offsetof(struct fsn_state_hdr, discontinuity)));
        break;
    case FSN_MIB_LAST_UPDATE:
        set_time(vb, hdr(m, offsetof(struct fsn_state_hdr, updated)));
        break;
    case FSN_MIB_RECORDS:
        set_c64(vb, s->records);
        break;
    case FSN_MIB_RECORDS_LOST:
        set_c64(vb, s->records_lost);
        break;
    case FSN_MIB_MALFORMED:
        set_c64(vb, s->malformed);
        break;
    case FSN_MIB_HOST_ROWS:
        set_gauge(vb, s->hosts_in_use);
        break;
    case FSN_MIB_LATE_RECORDS:
        set_c64(vb, s->late);
        break;
    default: /* FSN_MIB_TOTAL_IN_OCTETS .. FSN_MIB_TOTAL_OUT_FLOWS */
        set_ctr(vb, &s->total, col - FSN_MIB_TOTAL_IN_OCTETS);
        break;
    }
}

static void exporter_value(const struct agx_map *m, const union agx_row *r, unsigned col,
                           netsnmp_variable_list *vb)
{
    const struct fsn_state_exporter *e = &r->ex;

    (void)m;
    switch (col) {
    case FSN_MIB_EXP_VERSION:
        set_int(vb, e->version);
        break;
    case FSN_MIB_EXP_DATAGRAMS:
        set_c64(vb, e->datagrams);
        break;
    case FSN_MIB_EXP_RECORDS:
        set_c64(vb, e->records);
        break;
    case FSN_MIB_EXP_RECORDS_LOST:
        set_c64(vb, e->records_lost);
        break;
    case FSN_MIB_EXP_MALFORMED:
        set_c64(vb, e->malformed);
        break;
    case FSN_MIB_EXP_TEMPLATES:
        set_gauge(vb, e->templates);
        break;
    default: /* FSN_MIB_EXP_LAST_SEEN */
        set_time(vb, e->last_seen);
        break;
    }
}

static void host_value(const struct agx_map *m, const union agx_row *r, unsigned col,
                       netsnmp_variable_list *vb)
{
    (void)m;
    if (col == FSN_MIB_HOST_FIRST_SEEN)
        set_time(vb, r->h.first_seen);
    else if (col == FSN_MIB_HOST_LAST_SEEN)
        set_time(vb, r->h.last_seen);
    else
        set_ctr(vb, &r->h.c, col - FSN_MIB_HOST_CTR0);
}

static void service_value(const struct agx_map *m, const union agx_row *r, unsigned col,
                          netsnmp_variable_list *vb)
{
    (void)m;
    if (col == FSN_MIB_SERVICE_PORTS)
        set_text(vb, r->sv.ports, sizeof r->sv.ports, 127);
    else
        set_ctr(vb, &r->sv.c, col - FSN_MIB_SERVICE_CTR0);
}

static void proto_value(const struct agx_map *m, const union agx_row *r, unsigned col,
                        netsnmp_variable_list *vb)
{
    (void)m;
    if (col == FSN_MIB_PROTO_NAME)
        set_text(vb, r->p.name, sizeof r->p.name, 15);
    else
        set_ctr(vb, &r->p.c, col - FSN_MIB_PROTO_CTR0);
}

static void hostsvc_value(const struct agx_map *m, const union agx_row *r, unsigned col,
                          netsnmp_variable_list *vb)
{
    char t[FSN_ADDR_STRLEN];

    (void)m;
    if (col == FSN_MIB_HS_ADDR_TEXT) {
        if (r->hs.family)
            fsn_addr_format(r->hs.family, r->hs.addr, t, sizeof t);
        else
            t[0] = '\0';
        set_text(vb, t, sizeof t, 45);
    } else if (col == FSN_MIB_HS_NAME_TEXT) {
        set_text(vb, r->hs.service, sizeof r->hs.service, FSN_MIB_NAME_MAX);
    } else if (col == FSN_MIB_HS_CREATED) {
        set_time(vb, r->hs.created);
    } else if (col >= FSN_MIB_HS_USED0) {
        set_ctr(vb, &r->hs.used, col - FSN_MIB_HS_USED0);
    } else {
        set_ctr(vb, &r->hs.provided, col - FSN_MIB_HS_PROV0);
    }
}

/*
 * A cell with no value: a host row's first or last seen time that is not
 * known, which is always so for the row of the other hosts (the aggregator
 * keeps no times for it), or a hosts x services row's unknown creation time. An unknown DateAndTime has no valid encoding (eight
 * zero octets are month 0, day 0, which managers read as the year 0), so the
 * instance does not exist: GET answers noSuchInstance and a walk skips it.
 */
static bool no_value(const struct agx_table *t, const union agx_row *r, unsigned col)
{
    return (t->k->kind == AGX_HOSTS &&
            ((col == FSN_MIB_HOST_FIRST_SEEN && r->h.first_seen == 0) ||
             (col == FSN_MIB_HOST_LAST_SEEN && r->h.last_seen == 0))) ||
           (t->k->kind == AGX_HOSTSVC && col == FSN_MIB_HS_CREATED && r->hs.created == 0);
}

/* ---- indexes ---- */

static bool scalar_key(const union agx_row *r, uint32_t slot, uint32_t *sub, size_t *len)
{
    (void)r;
    (void)slot;
    sub[0] = 0;
    *len = 1;
    return true;
}

static bool exporter_key(const union agx_row *r, uint32_t slot, uint32_t *sub, size_t *len)
{
    (void)slot;
    return r->ex.in_use && fsn_mib_enc_exporter(r->ex.family, r->ex.addr, r->ex.domain, sub,
                                                 FSN_MIB_INDEX_MAX, len) == 0;
}

static bool host_key(const union agx_row *r, uint32_t slot, uint32_t *sub, size_t *len)
{
    (void)slot;
    return r->h.in_use &&
           fsn_mib_enc_inet(r->h.family, r->h.addr, sub, FSN_MIB_INDEX_MAX, len) == 0;
}

static bool service_key(const union agx_row *r, uint32_t slot, uint32_t *sub, size_t *len)
{
    (void)slot;
    return r->sv.in_use && fsn_mib_enc_name(r->sv.name, sizeof r->sv.name, sub,
                                             FSN_MIB_INDEX_MAX, len) == 0;
}

static bool hostsvc_key(const union agx_row *r, uint32_t slot, uint32_t *sub, size_t *len)
{
    size_t n1, n2;

    (void)slot;
    if (!r->hs.in_use ||
        fsn_mib_enc_inet(r->hs.family, r->hs.addr, sub, FSN_MIB_INDEX_MAX, &n1) != 0 ||
        fsn_mib_enc_name(r->hs.service, sizeof r->hs.service, sub + n1, FSN_MIB_INDEX_MAX - n1,
                         &n2) != 0)
        return false;
    *len = n1 + n2;
    return true;
}

static bool proto_key(const union agx_row *r, uint32_t slot, uint32_t *sub, size_t *len)
{
    if (!r->p.in_use)
        return false;
    sub[0] = slot; /* the slot is the protocol number */
    *len = 1;
    return true;
}

static const struct agx_kind kinds[] = {
    {"flowScalars", AGX_SCALARS, FSN_MIB_SCALARS, FSN_MIB_SOFTWARE_VERSION,
     FSN_MIB_LATE_RECORDS, sizeof(struct fsn_state_scalars), 0, scalar_key, scalar_value},
    {"flowExporterTable", AGX_EXPORTERS, FSN_MIB_EXPORTER_TABLE, FSN_MIB_EXP_VERSION,
     FSN_MIB_EXP_LAST_SEEN, sizeof(struct fsn_state_exporter),
     offsetof(struct fsn_state_exporter, templates), exporter_key, exporter_value},
    {"flowHostTable", AGX_HOSTS, FSN_MIB_HOST_TABLE, FSN_MIB_HOST_CTR0, FSN_MIB_HOST_LAST_SEEN,
     sizeof(struct fsn_state_host), offsetof(struct fsn_state_host, c), host_key, host_value},
    {"flowServiceTable", AGX_SERVICES, FSN_MIB_SERVICE_TABLE, FSN_MIB_SERVICE_CTR0,
     FSN_MIB_SERVICE_PORTS, sizeof(struct fsn_state_service),
     offsetof(struct fsn_state_service, ports), service_key, service_value},
    {"flowProtocolTable", AGX_PROTOS, FSN_MIB_PROTO_TABLE, FSN_MIB_PROTO_CTR0,
     FSN_MIB_PROTO_NAME, sizeof(struct fsn_state_proto), offsetof(struct fsn_state_proto, name),
     proto_key, proto_value},
    {"flowHostServiceTable", AGX_HOSTSVC, FSN_MIB_HOSTSVC_TABLE, FSN_MIB_HS_PROV0,
     FSN_MIB_HS_CREATED, sizeof(struct fsn_state_hostsvc),
     offsetof(struct fsn_state_hostsvc, provided), hostsvc_key, hostsvc_value},
};

#define AGX_NTABLES (sizeof kinds / sizeof kinds[0])

static struct agx_table tables[AGX_NTABLES];

/*
 * Rebuilds the table's index when the mapping or the header's generation
 * changed since the last build. The generation is read before the scan, so
 * a row added during the scan bumps it past the value recorded here and
 * the next request rebuilds again.
 */
static void rebuild(struct agx_table *t)
{
    const struct agx_kind *k = t->k;
    const struct agx_map *m = &t->st->map;
    uint32_t cap, sub[FSN_MIB_INDEX_MAX];
    union agx_row r;
    uint64_t gen;
    size_t len;
    bool busy = false;

    if (!m->id) {
        fsn_mib_rows_clear(&t->rows);
        t->built_map = 0;
        return;
    }
    gen = agx_map_hdr_u64(m, offsetof(struct fsn_state_hdr, generation));
    if (t->built_map == m->id && t->built_gen == gen && t->complete)
        return;
    fsn_mib_rows_clear(&t->rows);
    cap = agx_map_cap(m, k->kind);
    for (uint32_t slot = 0; slot < cap; slot++) {
        if (!agx_state_read(t->st, agx_map_row(m, k->kind, slot), &r, k->key_size)) {
            busy = true;
            continue;
        }
        if (!k->key(&r, slot, sub, &len))
            continue;
        if (fsn_mib_rows_add(&t->rows, slot, sub, len) < 0) {
            log_ratelimited(&t->lim, 60, LOG_ERR, "%s: out of memory for the index", k->name);
            break;
        }
    }
    fsn_mib_rows_sort(&t->rows);
    if (t->rows.dups)
        log_ratelimited(&t->lim, 60, LOG_WARNING, "%s: %zu rows share an index with another; "
                        "serving the first of each", k->name, t->rows.dups);
    t->built_map = m->id;
    t->built_gen = gen;
    /* A row that could not be read is missing: build again at the next request. */
    t->complete = !busy;
}

/*
 * Copies the row in slot (once per handler call) and checks that it still
 * has the index it was indexed under: a slot freed or reused since the
 * index was built is treated as absent.
 */
static enum row_state fetch(struct agx_table *t, uint32_t slot, const uint32_t *key,
                            size_t klen, struct row_cache *c)
{
    uint32_t sub[FSN_MIB_INDEX_MAX];
    size_t len;

    if (c->valid && c->slot == slot)
        return c->state;
    c->valid = true;
    c->slot = slot;
    if (!agx_state_read(t->st, agx_map_row(&t->st->map, t->k->kind, slot), &c->r,
                        t->k->row_size))
        c->state = ROW_BUSY;
    else if (t->k->key(&c->r, slot, sub, &len) && fsn_mib_oid_cmp(sub, len, key, klen) == 0)
        c->state = ROW_OK;
    else
        c->state = ROW_GONE;
    return c->state;
}

/*
 * A sub-identifier of a request OID. net-snmp 5.9's AgentX decoder
 * sign-extends sub-identifiers of 2^31 and above into its 64-bit oid type
 * (4000000000 arrives as 18446744073414584320); SNMP sub-identifiers are
 * 32 bits, so the low 32 bits are the value that was sent.
 */
static uint32_t subid(oid o)
{
    return (uint32_t)(o & 0xffffffffu);
}

/* The index part of a request OID as sub-identifiers; false when it cannot be one. */
static bool request_key(const oid *name, size_t n, uint32_t *key, size_t *klen)
{
    if (n > FSN_MIB_INDEX_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        key[i] = subid(name[i]);
    *klen = n;
    return true;
}

static void do_get(struct agx_table *t, netsnmp_agent_request_info *reqinfo,
                   netsnmp_request_info *req, struct row_cache *c)
{
    netsnmp_variable_list *vb = req->requestvb;
    uint32_t key[FSN_MIB_INDEX_MAX];
    size_t klen, pos;
    enum row_state rs;
    oid col;

    if (vb->name_length <= t->entry_len ||
        snmp_oid_compare(vb->name, t->entry_len, t->entry, t->entry_len) != 0 ||
        subid(vb->name[t->entry_len]) < t->k->min_col ||
        subid(vb->name[t->entry_len]) > t->k->max_col) {
        netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
        return;
    }
    col = subid(vb->name[t->entry_len]);
    if (!request_key(vb->name + t->entry_len + 1, vb->name_length - t->entry_len - 1, key,
                     &klen) ||
        (pos = fsn_mib_rows_find(&t->rows, key, klen)) == t->rows.n ||
        (rs = fetch(t, t->rows.row[pos].slot, key, klen, c)) == ROW_GONE) {
        netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
        return;
    }
    if (rs == ROW_BUSY) {
        netsnmp_set_request_error(reqinfo, req, SNMP_ERR_GENERR);
        return;
    }
    if (no_value(t, &c->r, (unsigned)col)) {
        netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
        return;
    }
    t->k->value(&t->st->map, &c->r, (unsigned)col, vb);
}

/*
 * GETNEXT: the first cell after the requested OID, column by column, rows
 * in index order within a column. Past the table's end the varbind is left
 * unanswered, and the agent moves on to the next registration. Rows freed
 * since the index was built are skipped.
 */
static void do_getnext(struct agx_table *t, netsnmp_agent_request_info *reqinfo,
                       netsnmp_request_info *req, struct row_cache *c)
{
    netsnmp_variable_list *vb = req->requestvb;
    const oid *name = vb->name;
    size_t len = vb->name_length, n = len < t->entry_len ? len : t->entry_len;
    uint32_t key[FSN_MIB_INDEX_MAX];
    oid out[MAX_OID_LEN];
    unsigned col = t->k->min_col;
    size_t pos = 0, klen;
    int cmp = snmp_oid_compare(name, n, t->entry, n);

    if (cmp > 0)
        return;
    if (cmp == 0 && len > t->entry_len) {
        uint32_t c0 = subid(name[t->entry_len]);
        if (c0 > t->k->max_col)
            return;
        if (c0 >= t->k->min_col) {
            size_t rest = len - t->entry_len - 1;
            col = (unsigned)c0;
            /*
             * An index longer than any row's sorts after every row that
             * has its first FSN_MIB_INDEX_MAX sub-identifiers, so cutting
             * it there keeps the order.
             */
            klen = rest < FSN_MIB_INDEX_MAX ? rest : FSN_MIB_INDEX_MAX;
            for (size_t i = 0; i < klen; i++)
                key[i] = subid(name[t->entry_len + 1 + i]);
            pos = fsn_mib_rows_after(&t->rows, key, klen);
        }
    }
    for (; col <= t->k->max_col; col++, pos = 0) {
        for (; pos < t->rows.n; pos++) {
            const uint32_t *k = fsn_mib_rows_key(&t->rows, pos, &klen);
            enum row_state rs = fetch(t, t->rows.row[pos].slot, k, klen, c);
            if (rs == ROW_GONE)
                continue;
            if (rs == ROW_BUSY) {
                /* Failing the request beats a walk that silently skips a row. */
                netsnmp_set_request_error(reqinfo, req, SNMP_ERR_GENERR);
                return;
            }
            if (no_value(t, &c->r, col))
                continue;
            memcpy(out, t->entry, t->entry_len * sizeof *out);
            out[t->entry_len] = col;
            for (size_t i = 0; i < klen; i++)
                out[t->entry_len + 1 + i] = k[i];
            snmp_set_var_objid(vb, out, t->entry_len + 1 + klen);
            t->k->value(&t->st->map, &c->r, col, vb);
            return;
        }
    }
}

/*
 * A collector that truncates the state file under our mapping would kill
 * the subagent with SIGBUS; the handler catches it, fails the request and
 * drops the mapping instead.
 */
static sigjmp_buf bus_env;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
    if (bus_armed) {
        bus_armed = 0;
        siglongjmp(bus_env, 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void serve(struct agx_table *t, netsnmp_agent_request_info *reqinfo,
                  netsnmp_request_info *requests)
{
    struct row_cache cache;

    cache.valid = false;
    agx_state_poll(t->st, AGX_POLL_MS);
    rebuild(t);
    for (netsnmp_request_info *req = requests; req; req = req->next) {
        if (req->processed)
            continue;
        if (reqinfo->mode == MODE_GET)
            do_get(t, reqinfo, req, &cache);
        else if (reqinfo->mode == MODE_GETNEXT)
            do_getnext(t, reqinfo, req, &cache);
        else
            netsnmp_set_request_error(reqinfo, req, SNMP_ERR_NOTWRITABLE);
    }
}

static int handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reginfo,
                   netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    struct agx_table *t = h->myvoid;

    (void)reginfo;
    if (sigsetjmp(bus_env, 0) != 0) {
        t->st->bad = true;
        t->built_map = 0;
        fsn_mib_rows_clear(&t->rows);
        for (netsnmp_request_info *req = requests; req; req = req->next)
            if (!req->processed)
                netsnmp_set_request_error(reqinfo, req, SNMP_ERR_GENERR);
        return SNMP_ERR_NOERROR;
    }
    bus_armed = 1;
    serve(t, reqinfo, requests);
    bus_armed = 0;
    return SNMP_ERR_NOERROR;
}

void agx_mib_tick(struct agx_state *st)
{
    if (sigsetjmp(bus_env, 0) != 0) {
        st->bad = true;
        return;
    }
    bus_armed = 1;
    agx_state_poll(st, 900);
    bus_armed = 0;
}

int agx_mib_init(struct agx_state *st)
{
    const oid root[] = {FSN_MIB_ROOT};
    const size_t root_len = sizeof root / sizeof root[0];
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);

    for (size_t i = 0; i < AGX_NTABLES; i++) {
        struct agx_table *t = &tables[i];
        netsnmp_handler_registration *reg;
        size_t reg_len;

        memset(t, 0, sizeof *t);
        t->k = &kinds[i];
        t->st = st;
        fsn_mib_rows_init(&t->rows);
        memcpy(t->entry, root, sizeof root);
        t->entry[root_len] = FSN_MIB_OBJECTS;
        t->entry[root_len + 1] = t->k->table;
        reg_len = root_len + 2;
        t->entry_len = reg_len;
        if (t->k->kind != AGX_SCALARS)
            t->entry[t->entry_len++] = FSN_MIB_ENTRY;
        reg = netsnmp_create_handler_registration(t->k->name, handler, t->entry, reg_len,
                                                  HANDLER_CAN_RONLY);
        if (!reg)
            return -1;
        reg->handler->myvoid = t;
        if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK)
            return -1;
    }
    return 0;
}

void agx_mib_log_stats(void)
{
    const struct agx_state *st = tables[0].st;

    if (!st)
        return;
    log_info("%s: %s; rows indexed: %zu exporters, %zu hosts, %zu services, %zu protocols, "
             "%zu host services",
             st->path, st->map.id ? "mapped" : "not mapped", tables[1].rows.n,
             tables[2].rows.n, tables[3].rows.n, tables[4].rows.n, tables[5].rows.n);
}

void agx_mib_fini(void)
{
    for (size_t i = 0; i < AGX_NTABLES; i++)
        fsn_mib_rows_fini(&tables[i].rows);
}
