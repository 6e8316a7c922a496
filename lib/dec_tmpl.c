/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-session template cache of the v9/IPFIX decoders: a bounded array
 * sorted by template id, and its serialization for restarts.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/dec_int.h"
#include "lib/error.h"

/* Index of the first template whose id is >= id. */
static size_t lower_bound(const struct fsn_dec_session *s, uint16_t id)
{
    size_t lo = 0, hi = s->ntmpl;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->tmpl[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct fsn__dec_tmpl *fsn__tmpl_find(const struct fsn_dec_session *s, uint16_t id)
{
    size_t i = lower_bound(s, id);

    return i < s->ntmpl && s->tmpl[i].id == id ? &s->tmpl[i] : NULL;
}

static size_t tmpl_bytes(const struct fsn__dec_tmpl *t)
{
    return (size_t)t->nfields * sizeof *t->f + fsn__plan_bytes(t);
}

size_t fsn__tmpl_cost(const struct fsn__dec_tmpl *t)
{
    return tmpl_bytes(t) + sizeof *t;
}

/* The bytes the session's templates are charged to its pool. */
static uint64_t session_cost(const struct fsn_dec_session *s)
{
    return s->tmpl_bytes + s->ntmpl * sizeof *s->tmpl;
}

/*
 * Charges n templates of `bytes` to p and its parents if none of them goes
 * past a bound; else counts the refusal (n templates, or the one being
 * redefined when n is 0) in the pool that would have, and returns false.
 */
static bool pool_take(struct fsn_dec_pool *p, uint64_t n, uint64_t bytes)
{
    for (struct fsn_dec_pool *q = p; q; q = q->parent)
        if ((q->max_templates && q->templates + n > q->max_templates) ||
            (q->max_bytes && q->bytes + bytes > q->max_bytes)) {
            q->refused += n ? n : 1;
            return false;
        }
    for (; p; p = p->parent) {
        p->templates += n;
        p->bytes += bytes;
    }
    return true;
}

/* Adds (`sign` 1) or takes back (-1) a charge without looking at the bounds. */
static void pool_charge(struct fsn_dec_pool *p, int sign, uint64_t n, uint64_t bytes)
{
    for (; p; p = p->parent) {
        if (sign > 0) {
            p->templates += n;
            p->bytes += bytes;
        } else {
            p->templates -= n;
            p->bytes -= bytes;
        }
    }
}

void fsn_dec_set_pool(struct fsn_dec_session *s, struct fsn_dec_pool *pool)
{
    pool_charge(s->pool, -1, s->ntmpl, session_cost(s));
    s->pool = pool;
    pool_charge(s->pool, 1, s->ntmpl, session_cost(s));
}

/* Frees what a template owns. */
static void tmpl_release(struct fsn__dec_tmpl *t)
{
    free(t->f);
    free(t->plan);
    t->f = NULL;
    t->plan = NULL;
}

int fsn__tmpl_finish(struct fsn__dec_tmpl *t, uint8_t version)
{
    uint64_t min = 0; /* up to 65535 fields of 65535 bytes: beyond 32 bits */

    t->varlen = false;
    if (t->id < FSN__MIN_TMPL_ID || t->nfields == 0 || t->nscope > t->nfields || !t->f)
        return FSN_E_BADTMPL;
    if (t->options && version == FSN_DEC_IPFIX && t->nscope == 0)
        return FSN_E_BADTMPL; /* RFC 7011 §3.4.2.2: the scope field count is never 0 */
    if (!t->options && t->nscope != 0)
        return FSN_E_BADTMPL;
    for (size_t i = 0; i < t->nfields; i++) {
        struct fsn__dec_field *f = &t->f[i];
        if (f->len == 0)
            return FSN_E_BADTMPL;
        /* Offsets matter only when the whole record fits a set (<= 65535 bytes). */
        f->off = (uint16_t)(min <= UINT16_MAX ? min : 0);
        if (version == FSN_DEC_IPFIX && f->len == FSN__VARLEN) {
            t->varlen = true;
            min += 1; /* the length byte of an empty value (RFC 7011 §7) */
        } else {
            min += f->len;
        }
        if (version != FSN_DEC_IPFIX && f->pen != 0)
            return FSN_E_BADTMPL;
        fsn__field_plan(f, version, i < t->nscope);
    }
    /* A record longer than any datagram can never be decoded: keep the bound honest. */
    t->min_len = min > UINT32_MAX ? UINT32_MAX : (uint32_t)min;
    free(t->plan);
    t->plan = NULL;
    fsn__plan_build(t);
    return 0;
}

static bool tmpl_same(const struct fsn__dec_tmpl *a, const struct fsn__dec_tmpl *b)
{
    return a->nfields == b->nfields && a->nscope == b->nscope && a->options == b->options &&
           memcmp(a->f, b->f, (size_t)a->nfields * sizeof *a->f) == 0;
}

static void remove_at(struct fsn_dec_session *s, size_t i);

int fsn__tmpl_store(struct fsn__dec_ctx *x, struct fsn__dec_tmpl *t)
{
    struct fsn_dec_session *s = x->s;
    size_t i = lower_bound(s, t->id);
    uint16_t id = t->id;

    if (i < s->ntmpl && s->tmpl[i].id == id) {
        struct fsn__dec_tmpl *old = &s->tmpl[i];
        if (tmpl_same(old, t)) {
            tmpl_release(t);
        } else {
            uint64_t was = fsn__tmpl_cost(old), now = fsn__tmpl_cost(t);
            /* Only what the new definition adds needs room. */
            if (now > was && !pool_take(s->pool, 0, now - was)) {
                tmpl_release(t);
                remove_at(s, i);
                s->c.template_drops++;
                return FSN_E_LIMIT;
            }
            if (now < was)
                pool_charge(s->pool, -1, 0, was - now);
            s->tmpl_bytes -= tmpl_bytes(old);
            tmpl_release(old);
            *old = *t;
            s->tmpl_bytes += tmpl_bytes(old);
        }
    } else {
        if (s->ntmpl >= s->lim.max_templates || !pool_take(s->pool, 1, fsn__tmpl_cost(t))) {
            tmpl_release(t);
            s->c.template_drops++;
            return FSN_E_LIMIT;
        }
        if (s->ntmpl == s->tmpl_cap) {
            size_t cap = s->tmpl_cap ? s->tmpl_cap * 2 : 8;
            struct fsn__dec_tmpl *grown;
            if (cap > s->lim.max_templates)
                cap = s->lim.max_templates;
            grown = realloc(s->tmpl, cap * sizeof *grown);
            if (!grown) {
                pool_charge(s->pool, -1, 1, fsn__tmpl_cost(t));
                tmpl_release(t);
                x->err = FSN_E_NOMEM;
                return FSN_E_NOMEM;
            }
            s->tmpl = grown;
            s->tmpl_cap = cap;
        }
        memmove(&s->tmpl[i + 1], &s->tmpl[i], (s->ntmpl - i) * sizeof *s->tmpl);
        s->tmpl[i] = *t;
        s->ntmpl++;
        s->tmpl_bytes += tmpl_bytes(t);
    }
    s->c.templates = s->ntmpl;
    s->c.template_updates++;
    fsn__pending_release(x, id);
    return 0;
}

static void remove_at(struct fsn_dec_session *s, size_t i)
{
    pool_charge(s->pool, -1, 1, fsn__tmpl_cost(&s->tmpl[i]));
    s->tmpl_bytes -= tmpl_bytes(&s->tmpl[i]);
    tmpl_release(&s->tmpl[i]);
    memmove(&s->tmpl[i], &s->tmpl[i + 1], (s->ntmpl - i - 1) * sizeof *s->tmpl);
    s->ntmpl--;
    s->c.templates = s->ntmpl;
}

bool fsn__tmpl_withdraw(struct fsn_dec_session *s, uint16_t id, bool options)
{
    size_t i = lower_bound(s, id);

    if (i >= s->ntmpl || s->tmpl[i].id != id || s->tmpl[i].options != options)
        return false;
    remove_at(s, i);
    return true;
}

void fsn__tmpl_withdraw_all(struct fsn_dec_session *s, bool options)
{
    size_t i = 0;

    while (i < s->ntmpl) {
        if (s->tmpl[i].options == options)
            remove_at(s, i);
        else
            i++;
    }
}

void fsn__tmpl_clear(struct fsn_dec_session *s)
{
    pool_charge(s->pool, -1, s->ntmpl, session_cost(s));
    for (size_t i = 0; i < s->ntmpl; i++)
        tmpl_release(&s->tmpl[i]);
    free(s->tmpl);
    s->tmpl = NULL;
    s->ntmpl = s->tmpl_cap = s->tmpl_bytes = 0;
    s->c.templates = 0;
}

/*
 * The saved form, all big-endian:
 *   "FSNT" u16 format(2) u8 version u8 family addr[16] u32 domain
 *   u32 sampling u8 has_sys_init u64 sys_init_ms
 *   u8 seq_flags u32 seq_next u32 seq_prev u32 seq_held
 *   u16 nsamplers { u64 id u32 interval }
 *   u16 ntemplates { u16 id u8 options u16 nscope u16 nfields { u32 pen u16 ie u16 len } }
 *   u32 FNV-1a of everything before it
 * Field lengths of 65535 are variable-length in IPFIX, as on the wire.
 * seq_flags: SEQ_VALID (seq_next is the number expected next), SEQ_LEFT
 * (the last datagram left the line; seq_prev and seq_held as in dec.c);
 * 0 when the sequence state was not saved. Format 1 is the same without
 * the seq_ fields (read, never written).
 */
#define SAVE_MAGIC "FSNT"
#define SAVE_FORMAT 2
#define SAVE_HEAD_V1 (4 + 2 + 1 + 1 + 16 + 4 + 4 + 1 + 8 + 2 + 2)
#define SAVE_SEQ (1 + 4 + 4 + 4)
#define SAVE_HEAD (SAVE_HEAD_V1 + SAVE_SEQ)
#define SEQ_VALID 1
#define SEQ_LEFT 2

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

size_t fsn_dec_save_size(const struct fsn_dec_session *s)
{
    size_t n = SAVE_HEAD + s->nsamplers * 12 + 4;

    for (size_t i = 0; i < s->ntmpl; i++)
        n += 7 + (size_t)s->tmpl[i].nfields * 8;
    return n;
}

int fsn_dec_save(const struct fsn_dec_session *s, unsigned flags, uint8_t *buf, size_t cap,
                 size_t *len)
{
    struct fsn_wr w = fsn_wr_make(buf, cap);
    bool seq = (flags & FSN_DEC_SAVE_SEQ) && s->seq_valid;

    *len = 0;
    if (cap < fsn_dec_save_size(s))
        return FSN_E_SPACE;
    fsn_wr_bytes(&w, SAVE_MAGIC, 4);
    fsn_wr_u16(&w, SAVE_FORMAT);
    fsn_wr_u8(&w, s->version);
    fsn_wr_u8(&w, s->exporter.family);
    fsn_wr_bytes(&w, s->exporter.a, 16);
    fsn_wr_u32(&w, s->domain);
    fsn_wr_u32(&w, s->sampling);
    fsn_wr_u8(&w, s->has_sys_init);
    fsn_wr_u64(&w, s->sys_init_ms);
    fsn_wr_u8(&w, (uint8_t)(seq ? SEQ_VALID | (s->seq_left ? SEQ_LEFT : 0) : 0));
    fsn_wr_u32(&w, seq ? s->seq_next : 0);
    fsn_wr_u32(&w, seq && s->seq_left ? s->seq_prev : 0);
    fsn_wr_u32(&w, seq && s->seq_left ? s->seq_held : 0);
    fsn_wr_u16(&w, (uint16_t)s->nsamplers);
    for (size_t i = 0; i < s->nsamplers; i++) {
        fsn_wr_u64(&w, s->samplers[i].id);
        fsn_wr_u32(&w, s->samplers[i].interval);
    }
    fsn_wr_u16(&w, (uint16_t)s->ntmpl);
    for (size_t i = 0; i < s->ntmpl; i++) {
        const struct fsn__dec_tmpl *t = &s->tmpl[i];
        fsn_wr_u16(&w, t->id);
        fsn_wr_u8(&w, t->options);
        fsn_wr_u16(&w, t->nscope);
        fsn_wr_u16(&w, t->nfields);
        for (size_t j = 0; j < t->nfields; j++) {
            fsn_wr_u32(&w, t->f[j].pen);
            fsn_wr_u16(&w, t->f[j].ie);
            fsn_wr_u16(&w, t->f[j].len);
        }
    }
    fsn_wr_u32(&w, fnv1a(buf, fsn_wr_len(&w)));
    if (w.overflow)
        return FSN_E_SPACE;
    *len = fsn_wr_len(&w);
    return 0;
}

/* Checks the magic, format and checksum; leaves r just after the format. */
static int open_blob(const uint8_t *buf, size_t len, struct fsn_rd *r, uint16_t *format)
{
    uint8_t magic[4];

    if (len < SAVE_HEAD_V1 + 4 || fnv1a(buf, len - 4) != fsn_load32(buf + len - 4))
        return FSN_E_BADFILE;
    *r = fsn_rd_make(buf, len - 4);
    if (!fsn_rd_bytes(r, magic, 4) || memcmp(magic, SAVE_MAGIC, 4) != 0 || !fsn_rd_u16(r, format) ||
        *format < 1 || *format > SAVE_FORMAT)
        return FSN_E_BADFILE;
    return 0;
}

static int read_key(struct fsn_rd *r, struct fsn_addr *exporter, uint8_t *version,
                    uint32_t *domain)
{
    memset(exporter, 0, sizeof *exporter);
    if (!fsn_rd_u8(r, version) || !fsn_rd_u8(r, &exporter->family) ||
        !fsn_rd_bytes(r, exporter->a, 16) || !fsn_rd_u32(r, domain))
        return FSN_E_BADFILE;
    return 0;
}

int fsn_dec_saved_key(const uint8_t *buf, size_t len, struct fsn_addr *exporter,
                      uint8_t *version, uint32_t *domain)
{
    struct fsn_rd r;
    uint16_t format;
    int ret = open_blob(buf, len, &r, &format);

    if (ret == 0)
        ret = read_key(&r, exporter, version, domain);
    return ret;
}

static void free_tmpls(struct fsn__dec_tmpl *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tmpl_release(&t[i]);
    free(t);
}

/* The sequence state of a saved blob. */
struct saved_seq {
    uint8_t flags;
    uint32_t next, prev, held;
};

int fsn_dec_restore(struct fsn_dec_session *s, const uint8_t *buf, size_t len)
{
    struct fsn_rd r;
    struct fsn_addr exporter;
    uint8_t version, has_init;
    uint16_t format;
    uint32_t domain, sampling;
    uint64_t init_ms;
    uint16_t nsamp, ntmpl;
    struct fsn__dec_sampler samp[FSN__MAX_SAMPLERS];
    struct saved_seq seq = {0, 0, 0, 0};
    struct fsn__dec_tmpl *tmpl = NULL;
    size_t bytes = 0;
    int ret;

    memset(samp, 0, sizeof samp);
    if ((ret = open_blob(buf, len, &r, &format)) != 0 ||
        (ret = read_key(&r, &exporter, &version, &domain)) != 0)
        return ret;
    if (version != s->version || domain != s->domain ||
        exporter.family != s->exporter.family || memcmp(exporter.a, s->exporter.a, 16) != 0)
        return FSN_E_RANGE;
    if (!fsn_rd_u32(&r, &sampling) || !fsn_rd_u8(&r, &has_init) || has_init > 1 ||
        !fsn_rd_uint(&r, 8, &init_ms))
        return FSN_E_BADFILE;
    if (format >= 2 &&
        (!fsn_rd_u8(&r, &seq.flags) || (seq.flags & ~(SEQ_VALID | SEQ_LEFT)) != 0 ||
         ((seq.flags & SEQ_LEFT) && !(seq.flags & SEQ_VALID)) || !fsn_rd_u32(&r, &seq.next) ||
         !fsn_rd_u32(&r, &seq.prev) || !fsn_rd_u32(&r, &seq.held)))
        return FSN_E_BADFILE;
    if (!fsn_rd_u16(&r, &nsamp) || nsamp > FSN__MAX_SAMPLERS)
        return FSN_E_BADFILE;
    for (size_t i = 0; i < nsamp; i++) {
        if (!fsn_rd_uint(&r, 8, &samp[i].id) || !fsn_rd_u32(&r, &samp[i].interval))
            return FSN_E_BADFILE;
    }
    if (!fsn_rd_u16(&r, &ntmpl))
        return FSN_E_BADFILE;
    if (ntmpl > s->lim.max_templates)
        return FSN_E_LIMIT;
    if (ntmpl && !(tmpl = calloc(ntmpl, sizeof *tmpl)))
        return FSN_E_NOMEM;
    for (size_t i = 0; i < ntmpl; i++) {
        struct fsn__dec_tmpl *t = &tmpl[i];
        uint8_t options = 0;
        if (!fsn_rd_u16(&r, &t->id) || !fsn_rd_u8(&r, &options) || options > 1 ||
            !fsn_rd_u16(&r, &t->nscope) || !fsn_rd_u16(&r, &t->nfields) ||
            fsn_rd_left(&r) / 8 < t->nfields || (i && t->id <= tmpl[i - 1].id)) {
            ret = FSN_E_BADFILE;
            goto fail;
        }
        t->options = options;
        if (t->nfields > s->lim.max_fields) {
            ret = FSN_E_LIMIT;
            goto fail;
        }
        if (t->nfields && !(t->f = calloc(t->nfields, sizeof *t->f))) {
            ret = FSN_E_NOMEM;
            goto fail;
        }
        for (size_t j = 0; j < t->nfields; j++) {
            fsn_rd_u32(&r, &t->f[j].pen);
            fsn_rd_u16(&r, &t->f[j].ie);
            fsn_rd_u16(&r, &t->f[j].len);
        }
        if (fsn__tmpl_finish(t, version) != 0) {
            ret = FSN_E_BADFILE;
            goto fail;
        }
        bytes += tmpl_bytes(t);
    }
    if (fsn_rd_left(&r) != 0) {
        ret = FSN_E_BADFILE;
        goto fail;
    }
    /* The pool gets back what the session holds before it is asked for the new set. */
    pool_charge(s->pool, -1, s->ntmpl, session_cost(s));
    if (!pool_take(s->pool, ntmpl, bytes + ntmpl * sizeof *tmpl)) {
        pool_charge(s->pool, 1, s->ntmpl, session_cost(s));
        ret = FSN_E_LIMIT;
        goto fail;
    }
    {
        struct fsn_dec_pool *pool = s->pool;
        s->pool = NULL; /* already given back */
        fsn__tmpl_clear(s);
        s->pool = pool;
    }
    s->tmpl = tmpl;
    s->ntmpl = s->tmpl_cap = ntmpl;
    s->tmpl_bytes = bytes;
    s->c.templates = ntmpl;
    s->sampling = sampling;
    s->has_sys_init = has_init;
    s->sys_init_ms = init_ms;
    memcpy(s->samplers, samp, sizeof samp);
    s->nsamplers = nsamp;
    if (seq.flags & SEQ_VALID) {
        s->seq_valid = true;
        s->seq_next = seq.next;
        s->seq_left = (seq.flags & SEQ_LEFT) != 0;
        s->seq_prev = seq.prev;
        s->seq_held = seq.held;
        s->seq_outstanding = 0;
    }
    return 0;
fail:
    /* calloc zeroed the entries not reached, and free(NULL) is a no-op. */
    free_tmpls(tmpl, ntmpl);
    return ret;
}
