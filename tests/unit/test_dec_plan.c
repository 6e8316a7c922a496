/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The decoder's two ways through a data record give the same results:
 * fixed-length templates are decoded at fixed offsets (by a plan of field
 * groups when no two fields fill the same value, else field by field), and
 * every template can be walked field by field with a bounds check each
 * (the way variable-length templates always go; the session's internal
 * walk_only flag forces it). Random v9 and IPFIX templates (known elements
 * of every kind, unknown ones, odd lengths, RFC 5103 reverse and other
 * enterprise numbers, variable lengths, options) and random records, with
 * padding, truncation and data ahead of its template, go through both; the
 * records, counters and saved state must match exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dec.h"
#include "lib/dec_int.h"
#include "tests/tap.h"
#include "tests/unit/dec_build.h"
#include "tests/xorshift.h"

#define NTMPL 7   /* template ids 256..262; the last is defined late */
#define LATE 40   /* datagram that defines the late template */
#define MAXF 16
#define MAXREC 4096

static uint64_t rs;

static uint64_t rnd(void)
{
    return xorshift64(&rs);
}

/* Elements that the decoder reads (every kind), then some it does not. */
static const uint16_t IES[] = {
    1,   2,   85,  86,  23,  24,  231, 298, 6,   150, 151, 152, 153, 154, 155, 156, 157,
    158, 159, 22,  21,  322, 323, 324, 325, 161, 162, 232, 299, 8,   12,  15,  18,  27,
    28,  62,  63,  7,   11,  4,   5,   10,  14,  252, 253, 58,  243, 16,  17,  9,   13,
    29,  30,  32,  139, 176, 177, 178, 179, 136, 48,  302, 34,  50,  305, 306, 309, 310,
    160, 0,   3,   19,  31,  100, 300, 1000};
static const uint16_t LENS[] = {1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 4, 4, 2, 2, 1, 16, 16, 9, 12,
                                FSN__VARLEN, FSN__VARLEN};

struct tfield {
    uint16_t ie, len;
    uint32_t pen;
};

struct tmpl {
    int n, nscope;
    bool options;
    struct tfield f[MAXF];
};

struct rec {
    struct fsn_flow f;
    struct fsn_dec_meta m;
};

struct recs {
    size_t n;
    struct rec r[MAXREC];
};

static void keep(void *arg, const struct fsn_flow *f, const struct fsn_dec_meta *m)
{
    struct recs *c = arg;

    if (c->n < MAXREC) {
        c->r[c->n].f = *f;
        c->r[c->n].m = *m;
    }
    c->n++;
}

static bool flow_same(const struct fsn_flow *a, const struct fsn_flow *b)
{
    return memcmp(&a->key, &b->key, sizeof a->key) == 0 && a->packets == b->packets &&
           a->octets == b->octets && a->first_ms == b->first_ms && a->last_ms == b->last_ms &&
           a->out_if == b->out_if && a->src_as == b->src_as && a->dst_as == b->dst_as &&
           a->sampling == b->sampling && memcmp(a->nexthop, b->nexthop, 16) == 0 &&
           a->tcp_flags == b->tcp_flags && a->src_mask == b->src_mask &&
           a->dst_mask == b->dst_mask && a->end_reason == b->end_reason;
}

static bool meta_same(const struct fsn_dec_meta *a, const struct fsn_dec_meta *b)
{
    return a->domain == b->domain && a->template_id == b->template_id &&
           a->version == b->version && a->direction == b->direction &&
           a->buffered == b->buffered && a->export_ms == b->export_ms;
}

static void rand_tmpl(struct tmpl *t, bool ipfix)
{
    t->options = rnd() % 4 == 0;
    t->n = 1 + (int)(rnd() % MAXF);
    t->nscope = t->options ? 1 + (int)(rnd() % 2) : 0;
    if (t->nscope > t->n)
        t->nscope = t->n;
    for (int i = 0; i < t->n; i++) {
        int pr = (int)(rnd() % 10);
        t->f[i].ie = IES[rnd() % (sizeof IES / sizeof IES[0])];
        t->f[i].len = LENS[rnd() % (sizeof LENS / sizeof LENS[0])];
        if (!ipfix && t->f[i].len == FSN__VARLEN)
            t->f[i].len = 4;
        t->f[i].pen = !ipfix ? 0 : pr < 2 ? FSN__PEN_REVERSE : pr == 2 ? 9 : 0;
    }
}

static void put_tmpl(struct bld *b, const struct tmpl *t, uint16_t id, bool ipfix)
{
    size_t at = b->n;

    if (ipfix) {
        set_begin(b, t->options ? 3 : 2);
        b16(b, id);
        b16(b, (uint64_t)t->n);
        if (t->options)
            b16(b, (uint64_t)t->nscope);
        for (int i = 0; i < t->n; i++) {
            b16(b, t->f[i].ie | (t->f[i].pen ? 0x8000u : 0));
            b16(b, t->f[i].len);
            if (t->f[i].pen)
                b32(b, t->f[i].pen);
        }
    } else {
        set_begin(b, t->options ? 1 : 0);
        b16(b, id);
        if (t->options) {
            b16(b, (uint64_t)t->nscope * 4);
            b16(b, (uint64_t)(t->n - t->nscope) * 4);
        } else {
            b16(b, (uint64_t)t->n);
        }
        for (int i = 0; i < t->n; i++) {
            b16(b, t->f[i].ie);
            b16(b, t->f[i].len);
        }
        while ((b->n - at) % 4)
            b8(b, 0);
    }
    set_end(b, at);
}

/* A value: small numbers, plausible NTP stamps, ICMP/TCP protocols, or noise. */
static void put_value(struct bld *b, size_t len, uint16_t ie)
{
    int mode = (int)(rnd() % 4);

    for (size_t i = 0; i < len; i++) {
        uint8_t v = (uint8_t)rnd();
        if (mode == 0 && i + 1 < len)
            v = 0;
        if (mode == 1 && len == 8 && i == 0)
            v = (uint8_t)(0xd0 + rnd() % 16);
        if (ie == 4 && mode < 2)
            v = (const uint8_t[]){1, 6, 17, 58}[rnd() % 4];
        b8(b, v);
    }
}

static void put_data(struct bld *b, const struct tmpl *t, uint16_t id, bool ipfix)
{
    size_t at = set_begin(b, id);
    int nrec = 1 + (int)(rnd() % 3);

    for (int r = 0; r < nrec; r++) {
        for (int i = 0; i < t->n; i++) {
            size_t len = t->f[i].len;
            if (ipfix && len == FSN__VARLEN) {
                len = rnd() % 3 == 0 ? 16 : rnd() % 10;
                if (rnd() % 8 == 0) {
                    b8(b, 255);
                    b16(b, len);
                } else {
                    b8(b, len);
                }
            }
            put_value(b, len, t->f[i].ie);
        }
    }
    for (int i = (int)(rnd() % 4); i > 0; i--)
        b8(b, rnd() % 5 == 0 ? 1 : 0);
    if (rnd() % 20 == 0 && b->n > at + 6)
        b->n -= rnd() % 5; /* a record cut short */
    set_end(b, at);
}

static struct recs fast_out, walk_out;

/* One stream of n datagrams through both sessions; returns false at the first difference. */
static bool run(uint8_t version, uint64_t seed, int n, size_t *records, size_t *buffered,
                size_t *planned, size_t *unplanned)
{
    bool ipfix = version == FSN_DEC_IPFIX;
    struct fsn_addr ex = test_exporter(1);
    struct fsn_dec_session *fast = fsn_dec_session_new(NULL, &ex, version, 1);
    struct fsn_dec_session *walk = fsn_dec_session_new(NULL, &ex, version, 1);
    struct tmpl tp[NTMPL];
    static struct bld b;
    bool same = true;

    rs = seed;
    memset(tp, 0, sizeof tp);
    for (int k = 0; k < NTMPL; k++)
        rand_tmpl(&tp[k], ipfix);
    if (!fast || !walk)
        same = false;
    else
        walk->walk_only = true;
    for (int it = 0; it < n && same; it++) {
        int nsets = 1 + (int)(rnd() % 3);
        size_t save_f = 0, save_w = 0;
        uint8_t blob_f[8192], blob_w[8192];
        int rf, rw;

        if (ipfix)
            ipfix_hdr(&b, 1700000000u + (uint32_t)it, (uint32_t)it * 5, 1);
        else
            v9_hdr(&b, 0, 100000 + (uint32_t)(rnd() % 100000), 1700000000u + (uint32_t)it,
                   (uint32_t)it, 1);
        if (it < NTMPL - 1 || it == LATE || (it > LATE && it % 7 == 0)) {
            int k = it < NTMPL - 1 ? it : it == LATE ? NTMPL - 1 : (int)(rnd() % NTMPL);
            if (it > LATE)
                rand_tmpl(&tp[k], ipfix);
            put_tmpl(&b, &tp[k], (uint16_t)(256 + k), ipfix);
        }
        for (int si = 0; si < nsets; si++) {
            int k = (int)(rnd() % NTMPL);
            if (k < NTMPL - 1 && k > it)
                continue;
            put_data(&b, &tp[k], (uint16_t)(256 + k), ipfix);
        }
        if (ipfix)
            ipfix_end(&b);
        fast_out.n = walk_out.n = 0;
        rf = fsn_dec_datagram(fast, b.d, b.n, 1700000000000ull + (uint64_t)it * 1000, keep,
                              &fast_out);
        rw = fsn_dec_datagram(walk, b.d, b.n, 1700000000000ull + (uint64_t)it * 1000, keep,
                              &walk_out);
        if (rf != rw || fast_out.n != walk_out.n || fast_out.n > MAXREC) {
            diag("datagram %d: rc %d/%d, %zu/%zu records", it, rf, rw, fast_out.n, walk_out.n);
            same = false;
            break;
        }
        for (size_t i = 0; i < fast_out.n; i++) {
            if (!flow_same(&fast_out.r[i].f, &walk_out.r[i].f) ||
                !meta_same(&fast_out.r[i].m, &walk_out.r[i].m)) {
                diag("datagram %d: record %zu differs", it, i);
                same = false;
            }
            *buffered += fast_out.r[i].m.buffered;
        }
        *records += fast_out.n;
        if (memcmp(fsn_dec_counters(fast), fsn_dec_counters(walk), sizeof(struct fsn_dec_counters)) ||
            fsn_dec_save(fast, 0, blob_f, sizeof blob_f, &save_f) != 0 ||
            fsn_dec_save(walk, 0, blob_w, sizeof blob_w, &save_w) != 0 || save_f != save_w ||
            memcmp(blob_f, blob_w, save_f) != 0) {
            diag("datagram %d: counters or saved state differ", it);
            same = false;
        }
        for (size_t i = 0; i < fast->ntmpl; i++) {
            if (fast->tmpl[i].plan)
                (*planned)++;
            else
                (*unplanned)++;
        }
    }
    fsn_dec_session_free(fast);
    fsn_dec_session_free(walk);
    return same;
}

int main(void)
{
    static const uint8_t versions[] = {FSN_DEC_V9, FSN_DEC_IPFIX};

    for (size_t v = 0; v < 2; v++) {
        size_t records = 0, buffered = 0, planned = 0, unplanned = 0;
        bool all = true;
        for (uint64_t seed = 1; seed <= 12; seed++)
            all = run(versions[v], seed * 0x9e3779b97f4a7c15ull, 600, &records, &buffered,
                      &planned, &unplanned) && all;
        ok(all, "v%u: fixed-offset and walked decoding agree on every record, counter and "
                "saved state (12 streams of 600 datagrams)", versions[v]);
        ok(records > 20000, "v%u: %zu records compared", versions[v], records);
        ok(buffered > 100, "v%u: %zu of them decoded when their late template came",
           versions[v], buffered);
        ok(planned > 0 && unplanned > 0,
           "v%u: both templates with a plan and without one were used (%zu, %zu)", versions[v],
           planned, unplanned);
    }
    return tap_done();
}
