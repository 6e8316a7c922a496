/* SPDX-License-Identifier: BSD-2-Clause */
/* IPFIX (RFC 7011): the message header, template sets, options template sets, withdrawals. */
#include <stdlib.h>

#include "lib/buf.h"
#include "lib/dec_int.h"
#include "lib/error.h"

#define SET_TEMPLATE 2
#define SET_OPTIONS 3
#define HDR_LEN 16

/*
 * Walks n field specifiers (RFC 7011 §3.2): element id with the enterprise
 * bit, length, and a 4-byte enterprise number when the bit is set. With
 * f == NULL it only checks that they are all there; otherwise it fills f,
 * leaving out fields of length 0 (they carry no data). Returns false when
 * the specifiers run past the set.
 */
static bool walk_fields(struct fsn_rd *r, size_t n, size_t nscope, struct fsn__dec_field *f,
                        uint16_t *kept, uint16_t *kept_scope)
{
    uint16_t k = 0, ks = 0;

    for (size_t i = 0; i < n; i++) {
        uint16_t ie, len;
        uint32_t pen = 0;
        if (!fsn_rd_u16(r, &ie) || !fsn_rd_u16(r, &len))
            return false;
        if ((ie & 0x8000) && !fsn_rd_u32(r, &pen))
            return false;
        if (!f || len == 0)
            continue;
        f[k].ie = ie & 0x7fff;
        f[k].len = len;
        f[k].pen = pen;
        k++;
        if (i < nscope)
            ks++;
    }
    if (kept) {
        *kept = k;
        *kept_scope = ks;
    }
    return true;
}

/*
 * A withdrawal (RFC 7011 §8.1): a record with field count 0. Template id
 * 2 in a template set (3 in an options template set) withdraws all
 * templates (options templates) of the domain. Returns false when malformed.
 */
static bool withdraw(struct fsn__dec_ctx *x, uint16_t id, bool options)
{
    if (id == (options ? SET_OPTIONS : SET_TEMPLATE)) {
        fsn__tmpl_withdraw_all(x->s, options);
    } else if (id >= FSN__MIN_TMPL_ID) {
        fsn__tmpl_withdraw(x->s, id, options);
    } else {
        return false;
    }
    x->s->c.withdrawals++;
    return true;
}

/*
 * Template Set (§3.4.1) or Options Template Set (§3.4.2): records of
 * id, field count, [scope field count,] field specifiers; padding after.
 * Each record is checked whole before the cache changes; a malformed one
 * ends the set. A template over max_fields is skipped and counted.
 */
static void templates(struct fsn__dec_ctx *x, struct fsn_rd body, bool options)
{
    while (fsn_rd_left(&body) >= 4 && !fsn__all_zero(&body)) {
        struct fsn__dec_tmpl t = {0};
        uint16_t count = 0, scope = 0;
        struct fsn_rd check;

        fsn_rd_u16(&body, &t.id);
        fsn_rd_u16(&body, &count);
        if (count == 0) {
            if (!withdraw(x, t.id, options))
                goto malformed;
            continue;
        }
        if (options && (!fsn_rd_u16(&body, &scope) || scope == 0 || scope > count))
            goto malformed;
        if (t.id < FSN__MIN_TMPL_ID)
            goto malformed;
        check = body;
        if (!walk_fields(&check, count, scope, NULL, NULL, NULL))
            goto malformed;
        if (count > x->s->lim.max_fields) {
            x->s->c.template_drops++;
            body = check;
            continue;
        }
        if (!(t.f = calloc(count, sizeof *t.f))) {
            x->err = FSN_E_NOMEM;
            return;
        }
        walk_fields(&body, count, scope, t.f, &t.nfields, &t.nscope);
        t.options = options;
        if (fsn__tmpl_finish(&t, FSN_DEC_IPFIX) != 0) {
            free(t.f);
            goto malformed;
        }
        fsn__tmpl_store(x, &t);
        if (x->err)
            return;
    }
    if (fsn__all_zero(&body))
        return;
malformed:
    x->malformed = true;
}

/*
 * The message (§3.1): a 16-byte header (version, length, export time,
 * sequence number, observation domain id), then sets to `length`. A length
 * beyond the datagram means a truncated message: nothing is decoded. A
 * shorter one is decoded and the datagram counted malformed (bytes after
 * the message have no meaning). Sets as in v9: a set length under 4 or past
 * the end stops the message.
 */
void fsn__ipfix_decode(struct fsn__dec_ctx *x, struct fsn_rd r)
{
    uint16_t version = 0, length = 0;
    uint32_t secs = 0, seq = 0, domain = 0;
    struct fsn_rd msg;

    fsn_rd_u16(&r, &version);
    fsn_rd_u16(&r, &length);
    fsn_rd_u32(&r, &secs);
    fsn_rd_u32(&r, &seq);
    fsn_rd_u32(&r, &domain);
    if (length < HDR_LEN || !fsn_rd_sub(&r, (size_t)length - HDR_LEN, &msg)) {
        x->malformed = true;
        return;
    }
    if (fsn_rd_left(&r) != 0)
        x->malformed = true;
    x->hdr.export_ms = (uint64_t)secs * 1000;
    x->have_seq = true;
    x->seq = seq;

    while (fsn_rd_left(&msg) >= 4) {
        uint16_t id = 0, len = 0;
        struct fsn_rd body;

        fsn_rd_u16(&msg, &id);
        fsn_rd_u16(&msg, &len);
        if (len < 4 || !fsn_rd_sub(&msg, (size_t)len - 4, &body)) {
            x->malformed = true;
            return;
        }
        if (id == SET_TEMPLATE)
            templates(x, body, false);
        else if (id == SET_OPTIONS)
            templates(x, body, true);
        else if (id < FSN__MIN_TMPL_ID)
            x->s->c.unknown_sets++; /* §3.3.2: 0, 1, 4..255 are not data sets */
        else
            fsn__data_set(x, id, body);
        if (x->err)
            return;
    }
    /* The message has no padding of its own: a stub shorter than a set header is malformed. */
    if (fsn_rd_left(&msg) != 0)
        x->malformed = true;
}
