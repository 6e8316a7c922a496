/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers for the decoder tests: a byte builder for hand-made datagrams
 * (written field by field, big-endian, as the RFCs draw them) and an emit
 * callback that keeps what the decoder hands out.
 */
#ifndef FSN_TEST_DEC_BUILD_H
#define FSN_TEST_DEC_BUILD_H

#include <stdint.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/dec.h"
#include "lib/error.h"
#include "lib/flow.h"

struct bld {
    uint8_t d[4096];
    size_t n;
};

static inline void b8(struct bld *b, uint64_t v)
{
    if (b->n < sizeof b->d)
        b->d[b->n++] = (uint8_t)v;
}

static inline void b16(struct bld *b, uint64_t v)
{
    b8(b, v >> 8);
    b8(b, v);
}

static inline void b32(struct bld *b, uint64_t v)
{
    b16(b, v >> 16);
    b16(b, v);
}

static inline void b64(struct bld *b, uint64_t v)
{
    b32(b, v >> 32);
    b32(b, v);
}

/* An unsigned value in `len` bytes (reduced-size encoding). */
static inline void bn(struct bld *b, uint64_t v, size_t len)
{
    for (size_t i = len; i-- > 0;)
        b8(b, i >= 8 ? 0 : v >> (8 * i));
}

static inline void bbytes(struct bld *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b8(b, ((const uint8_t *)p)[i]);
}

static inline void bpatch16(struct bld *b, size_t at, size_t v)
{
    b->d[at] = (uint8_t)(v >> 8);
    b->d[at + 1] = (uint8_t)v;
}

/* A set / flowset: id and a length patched by set_end(). */
static inline size_t set_begin(struct bld *b, uint16_t id)
{
    size_t at = b->n;
    b16(b, id);
    b16(b, 0);
    return at;
}

static inline void set_end(struct bld *b, size_t at)
{
    bpatch16(b, at + 2, b->n - at);
}

/* RFC 3954 §5.1 header. */
static inline void v9_hdr(struct bld *b, uint16_t count, uint32_t uptime, uint32_t secs,
                          uint32_t seq, uint32_t source)
{
    b->n = 0;
    b16(b, 9);
    b16(b, count);
    b32(b, uptime);
    b32(b, secs);
    b32(b, seq);
    b32(b, source);
}

/* RFC 7011 §3.1 header; ipfix_end() patches the length. */
static inline void ipfix_hdr(struct bld *b, uint32_t secs, uint32_t seq, uint32_t domain)
{
    b->n = 0;
    b16(b, 10);
    b16(b, 0);
    b32(b, secs);
    b32(b, seq);
    b32(b, domain);
}

static inline void ipfix_end(struct bld *b)
{
    bpatch16(b, 2, b->n);
}

#define CAP_MAX 64

struct cap {
    size_t n;
    struct fsn_flow f[CAP_MAX];
    struct fsn_dec_meta m[CAP_MAX];
};

static inline void cap_emit(void *arg, const struct fsn_flow *f, const struct fsn_dec_meta *m)
{
    struct cap *c = arg;

    if (c->n < CAP_MAX) {
        c->f[c->n] = *f;
        c->m[c->n] = *m;
    }
    c->n++;
}

static inline struct fsn_addr test_exporter(uint8_t last)
{
    struct fsn_addr a;

    memset(&a, 0, sizeof a);
    a.family = FSN_FAMILY_IPV4;
    a.a[0] = 192;
    a.a[1] = 0;
    a.a[2] = 2;
    a.a[3] = last;
    return a;
}

static inline const uint8_t *ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    static uint8_t buf[8][16];
    static unsigned i;
    uint8_t *p = buf[i++ % 8];

    memset(p, 0, 16);
    p[0] = a;
    p[1] = b;
    p[2] = c;
    p[3] = d;
    return p;
}

#endif
