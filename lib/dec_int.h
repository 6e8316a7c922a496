/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the decoders (lib/dec*.c), shared between their files and
 * not part of the library's interface: the session layout, templates, the
 * per-datagram context, and the functions one decoder file calls in another.
 */
#ifndef FSN_DEC_INT_H
#define FSN_DEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/dec.h"

#define FSN__VARLEN 65535    /* IPFIX template field length: variable (RFC 7011 §7) */
#define FSN__PEN_REVERSE 29305 /* RFC 5103 §6.1: reverse information elements */
#define FSN__MAX_SAMPLERS 16 /* sampler ids remembered per session */
#define FSN__MIN_TMPL_ID 256

/*
 * One template field: an information element (IPFIX) or field type (v9),
 * and what decoding does with it, worked out once when the template is
 * accepted (fsn__tmpl_finish): `kind` 0 means the value is skipped by its
 * length; `off` is the value's offset in a record of a fixed-length
 * template. The derived members are functions of the others, the field's
 * position and the version, so two templates compare equal byte for byte.
 */
struct fsn__dec_field {
    uint32_t pen;  /* enterprise number, 0 for IANA elements */
    uint16_t ie;   /* element id without the enterprise bit */
    uint16_t len;  /* bytes, or FSN__VARLEN */
    uint16_t off;  /* fixed-length templates: offset in the record */
    uint8_t kind;  /* dec_rec.c's enum kind: how the value is read */
    uint8_t slot;  /* where dec_rec.c keeps it */
};

/*
 * A template (RFC 3954 §5.2/§6.1, RFC 7011 §3.4.1/§3.4.2). For options
 * templates the first `nscope` fields are the scope; in v9 those carry
 * scope types, not field types, and are never read as elements.
 */
struct fsn__dec_tmpl {
    uint16_t id;
    uint16_t nfields;
    uint16_t nscope;
    bool options;
    bool varlen;       /* has variable-length fields */
    uint32_t min_len;  /* bytes of the shortest record: fixed lengths + 1 per varlen field */
    struct fsn__dec_field *f;
    struct fsn__dec_plan *plan; /* owned; NULL: decode field by field (dec_rec.c) */
};

/* Upper bound of the bytes of a template's plan (dec_rec.c), for memory bounds. */
#define FSN__PLAN_MAX(nfields) (48 + 8 * (size_t)(nfields))

/* What the header of a datagram says, needed to decode its records. */
struct fsn__dec_hdr {
    uint64_t export_ms; /* header export time, Unix ms */
    uint32_t uptime_ms; /* v5/v9 sysUptime at export */
    uint8_t version;
};

/* A data set kept until its template arrives (bounded by the session's limits). */
struct fsn__dec_pending {
    struct fsn__dec_pending *next;
    uint64_t recv_ms;
    struct fsn__dec_hdr hdr;
    uint16_t set_id;
    uint32_t len;
    uint8_t data[];
};

/* A sampler announced in options data; the table keeps the most recent last. */
struct fsn__dec_sampler {
    uint64_t id;
    uint32_t interval;
};

struct fsn_dec_session {
    struct fsn_dec_limits lim;
    struct fsn_addr exporter;
    uint8_t version;
    uint32_t domain;
    struct fsn_dec_counters c;

    /* Templates sorted by id; the array grows up to lim.max_templates. */
    struct fsn__dec_tmpl *tmpl;
    size_t ntmpl;
    size_t tmpl_cap;
    size_t tmpl_bytes;
    struct fsn_dec_pool *pool; /* charged for the templates; NULL: none */

    /* Data that came before its template, oldest first. */
    struct fsn__dec_pending *pend_head;
    struct fsn__dec_pending *pend_tail;
    size_t pend_bytes;

    /* Sequence tracking (see seq_update in dec.c). */
    bool seq_valid;
    uint32_t seq_next;
    uint32_t seq_outstanding;
    uint32_t seq_gap_lo; /* first number of the outstanding gaps */
    bool seq_left;       /* the last datagram left the line: the next one decides */
    uint32_t seq_prev;   /* ... the number the line it left expected */
    uint32_t seq_held;   /* ... the units of its jump, lost if the next one follows it */

    /* Sampling and time learned from options data. */
    uint32_t sampling;
    struct fsn__dec_sampler samplers[FSN__MAX_SAMPLERS];
    size_t nsamplers;
    uint64_t sys_init_ms;
    bool has_sys_init;

    /* Tests only: decode fixed-length records by the bounded walk too. */
    bool walk_only;
};

/* The state of decoding one datagram (or one buffered set). */
struct fsn__dec_ctx {
    struct fsn_dec_session *s;
    struct fsn__dec_hdr hdr;
    uint64_t now_ms;
    fsn_dec_emit_fn emit;
    void *arg;
    bool buffered;
    bool malformed;     /* something in this datagram was malformed */
    bool have_seq;      /* the header's sequence number is usable */
    bool count_unknown; /* IPFIX: records of some set could not be counted */
    uint32_t seq;       /* the header's sequence number */
    uint32_t nrecords;  /* data records decoded from this datagram's own sets */
    int err;            /* FSN_E_NOMEM seen */
};

/*
 * dec_tmpl.c: the template cache. fsn__tmpl_finish() validates a parsed
 * template and computes min_len/varlen (0 or FSN_E_BADTMPL).
 * fsn__tmpl_store() takes ownership of t->f whatever it returns, replaces
 * or inserts the template, and then decodes buffered data waiting for it.
 */
const struct fsn__dec_tmpl *fsn__tmpl_find(const struct fsn_dec_session *s, uint16_t id);
int fsn__tmpl_finish(struct fsn__dec_tmpl *t, uint8_t version);
int fsn__tmpl_store(struct fsn__dec_ctx *x, struct fsn__dec_tmpl *t);
bool fsn__tmpl_withdraw(struct fsn_dec_session *s, uint16_t id, bool options);
void fsn__tmpl_withdraw_all(struct fsn_dec_session *s, bool options);
void fsn__tmpl_clear(struct fsn_dec_session *s);

/* The bytes a template is charged to its session's pool: its heap and its array slot. */
size_t fsn__tmpl_cost(const struct fsn__dec_tmpl *t);

/* dec.c: buffering of data before its template, and set dispatch. */
void fsn__data_set(struct fsn__dec_ctx *x, uint16_t set_id, struct fsn_rd body);
void fsn__pending_release(struct fsn__dec_ctx *x, uint16_t id);

/*
 * dec_rec.c: fsn__field_plan() sets f->kind and f->slot for a field of a
 * template of `version`; `scope` says it is an options scope field.
 * fsn__set_decode() decodes the records of a data set, marks the datagram
 * malformed when a variable-length value runs past the set, and returns
 * the number of records decoded.
 */
void fsn__field_plan(struct fsn__dec_field *f, uint8_t version, bool scope);

/*
 * dec_rec.c: a template's plan, the records of a fixed-length template
 * decoded in groups of like fields. fsn__plan_build() sets t->plan, or
 * leaves it NULL when the template does not qualify or memory is short
 * (decoding is the same, only slower); fsn__plan_bytes() is its size.
 */
void fsn__plan_build(struct fsn__dec_tmpl *t);
size_t fsn__plan_bytes(const struct fsn__dec_tmpl *t);
uint32_t fsn__set_decode(struct fsn__dec_ctx *x, const struct fsn__dec_tmpl *t, struct fsn_rd body);

/* dec_v9.c and dec_ipfix.c: whole datagrams after the session checks. */
void fsn__v9_decode(struct fsn__dec_ctx *x, struct fsn_rd r);
void fsn__ipfix_decode(struct fsn__dec_ctx *x, struct fsn_rd r);

/* True when every byte left in r is zero (set padding). */
static inline bool fsn__all_zero(const struct fsn_rd *r)
{
    for (const uint8_t *p = r->p; p < r->end; p++)
        if (*p)
            return false;
    return true;
}

/*
 * Converts a v5/v9 sysUptime stamp (ms) into Unix ms, relative to the
 * header's uptime and export time. The difference is taken modulo 2^32 and
 * read as signed, so an uptime that wrapped between the flow and the
 * export (every 49.7 days) still gives the right time, and a stamp a little
 * after the header's (clock jitter) lands a little after the export time.
 */
static inline uint64_t fsn__uptime_ms(const struct fsn__dec_hdr *h, uint32_t t)
{
    uint32_t back = h->uptime_ms - t;

    if (back < 0x80000000u)
        return h->export_ms >= back ? h->export_ms - back : 0;
    return h->export_ms + (uint32_t)(t - h->uptime_ms);
}

/* Saturating arithmetic, for counts scaled by sampling. */
static inline uint64_t fsn__mul_sat(uint64_t a, uint64_t b)
{
    if (a && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

#endif
