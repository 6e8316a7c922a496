/* SPDX-License-Identifier: BSD-2-Clause */
/* NetFlow v9 (RFC 3954): the packet header, template and options template flowsets. */
#include <stdlib.h>

#include "lib/buf.h"
#include "lib/dec_int.h"
#include "lib/error.h"

/*
 * Reads n (type, length) pairs into a new template's field array. Fields
 * of length 0 carry no data and are left out; the number kept among the
 * first `nscope` is returned in *kept_scope. The caller checked that
 * 4 * n bytes are there.
 */
static struct fsn__dec_field *read_fields(struct fsn_rd *r, size_t n, size_t nscope,
                                      uint16_t *kept, uint16_t *kept_scope)
{
    struct fsn__dec_field *f = calloc(n, sizeof *f);
    uint16_t k = 0, ks = 0;

    if (!f)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        uint16_t type = 0, len = 0;
        fsn_rd_u16(r, &type);
        fsn_rd_u16(r, &len);
        if (len == 0)
            continue;
        f[k].ie = type;
        f[k].len = len;
        k++;
        if (i < nscope)
            ks++;
    }
    *kept = k;
    *kept_scope = ks;
    return f;
}

/*
 * Validates and stores one parsed template record. Returns false when the
 * record is malformed (the rest of the flowset is then skipped).
 */
static bool store(struct fsn__dec_ctx *x, struct fsn__dec_tmpl *t)
{
    if (fsn__tmpl_finish(t, FSN_DEC_V9) != 0) {
        free(t->f);
        return false;
    }
    fsn__tmpl_store(x, t);
    return true;
}

/* Template FlowSet (RFC 3954 §5.2): records of id, field count, (type, length) pairs. */
static void templates(struct fsn__dec_ctx *x, struct fsn_rd body)
{
    while (fsn_rd_left(&body) >= 4 && !fsn__all_zero(&body)) {
        struct fsn__dec_tmpl t = {0};
        uint16_t count = 0;

        fsn_rd_u16(&body, &t.id);
        fsn_rd_u16(&body, &count);
        /* A template without fields describes nothing: malformed, as is a short one. */
        if (t.id < FSN__MIN_TMPL_ID || count == 0 || fsn_rd_left(&body) / 4 < count) {
            x->malformed = true;
            return;
        }
        if (count > x->s->lim.max_fields) {
            x->s->c.template_drops++;
            fsn_rd_skip(&body, (size_t)count * 4);
            continue;
        }
        if (!(t.f = read_fields(&body, count, 0, &t.nfields, &t.nscope))) {
            x->err = FSN_E_NOMEM;
            return;
        }
        if (!store(x, &t)) {
            x->malformed = true;
            return;
        }
    }
    /* 1..3 bytes left: padding when zero (§5.2 allows none, exporters add it). */
    if (!fsn__all_zero(&body))
        x->malformed = true;
}

/*
 * Options Template FlowSet (RFC 3954 §6.1): id, option scope length and
 * option length in bytes (multiples of 4), then the scope fields and the
 * option fields, then padding to 4 bytes.
 */
static void options_templates(struct fsn__dec_ctx *x, struct fsn_rd body)
{
    while (fsn_rd_left(&body) >= 6 && !fsn__all_zero(&body)) {
        struct fsn__dec_tmpl t = {0};
        uint16_t scope_len = 0, opt_len = 0;
        size_t n;

        fsn_rd_u16(&body, &t.id);
        fsn_rd_u16(&body, &scope_len);
        fsn_rd_u16(&body, &opt_len);
        n = ((size_t)scope_len + opt_len) / 4;
        if (t.id < FSN__MIN_TMPL_ID || scope_len % 4 || opt_len % 4 || n == 0 ||
            fsn_rd_left(&body) / 4 < n) {
            x->malformed = true;
            return;
        }
        if (n > x->s->lim.max_fields) {
            x->s->c.template_drops++;
            fsn_rd_skip(&body, n * 4);
            continue;
        }
        t.options = true;
        if (!(t.f = read_fields(&body, n, scope_len / 4, &t.nfields, &t.nscope))) {
            x->err = FSN_E_NOMEM;
            return;
        }
        if (!store(x, &t)) {
            x->malformed = true;
            return;
        }
    }
    if (!fsn__all_zero(&body))
        x->malformed = true;
}

/*
 * The export packet (RFC 3954 §5.1): a 20-byte header (version, count,
 * sysUptime, unix_secs, package sequence, source id), then flowsets until
 * the end of the datagram. The header's count is not checked: exporters
 * disagree on what it counts. A flowset whose length is under 4 or runs
 * past the datagram ends the decoding (there is no way to find the next);
 * a malformed template record ends its flowset only.
 */
void fsn__v9_decode(struct fsn__dec_ctx *x, struct fsn_rd r)
{
    uint16_t version = 0, count = 0;
    uint32_t uptime = 0, secs = 0, seq = 0, source = 0;

    fsn_rd_u16(&r, &version);
    fsn_rd_u16(&r, &count);
    fsn_rd_u32(&r, &uptime);
    fsn_rd_u32(&r, &secs);
    fsn_rd_u32(&r, &seq);
    fsn_rd_u32(&r, &source);
    x->hdr.uptime_ms = uptime;
    x->hdr.export_ms = (uint64_t)secs * 1000;
    x->have_seq = true;
    x->seq = seq;

    while (fsn_rd_left(&r) >= 4) {
        uint16_t id = 0, len = 0;
        struct fsn_rd body;

        fsn_rd_u16(&r, &id);
        fsn_rd_u16(&r, &len);
        if (len < 4 || !fsn_rd_sub(&r, (size_t)len - 4, &body)) {
            x->malformed = true;
            return;
        }
        if (id == 0)
            templates(x, body);
        else if (id == 1)
            options_templates(x, body);
        else if (id < FSN__MIN_TMPL_ID)
            x->s->c.unknown_sets++; /* §5.3: 2..255 reserved */
        else
            fsn__data_set(x, id, body);
        if (x->err)
            return;
    }
    if (!fsn__all_zero(&r))
        x->malformed = true;
}
