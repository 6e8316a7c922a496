/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bounded cursors over byte buffers, for decoding untrusted input and for
 * encoding into a fixed buffer. Every read width is tied to its advance;
 * a read past the end fails (returns false) and leaves the cursor in place.
 * Multi-byte values are big-endian (network order), as on the wire.
 */
#ifndef FSN_BUF_H
#define FSN_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A read cursor over [p, end). It never owns the memory it points to. */
struct fsn_rd {
    const uint8_t *p;
    const uint8_t *end;
};

static inline struct fsn_rd fsn_rd_make(const void *data, size_t len)
{
    struct fsn_rd r = {(const uint8_t *)data, (const uint8_t *)data + len};
    return r;
}

static inline size_t fsn_rd_left(const struct fsn_rd *r)
{
    return (size_t)(r->end - r->p);
}

static inline bool fsn_rd_skip(struct fsn_rd *r, size_t n)
{
    if (fsn_rd_left(r) < n)
        return false;
    r->p += n;
    return true;
}

/* Splits off the next n bytes as a cursor of their own. */
static inline bool fsn_rd_sub(struct fsn_rd *r, size_t n, struct fsn_rd *sub)
{
    if (fsn_rd_left(r) < n)
        return false;
    sub->p = r->p;
    sub->end = r->p + n;
    r->p += n;
    return true;
}

static inline bool fsn_rd_bytes(struct fsn_rd *r, void *out, size_t n)
{
    if (fsn_rd_left(r) < n)
        return false;
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

static inline bool fsn_rd_u8(struct fsn_rd *r, uint8_t *v)
{
    if (fsn_rd_left(r) < 1)
        return false;
    *v = r->p[0];
    r->p += 1;
    return true;
}

static inline bool fsn_rd_u16(struct fsn_rd *r, uint16_t *v)
{
    if (fsn_rd_left(r) < 2)
        return false;
    *v = (uint16_t)((unsigned)r->p[0] << 8 | r->p[1]);
    r->p += 2;
    return true;
}

static inline bool fsn_rd_u32(struct fsn_rd *r, uint32_t *v)
{
    if (fsn_rd_left(r) < 4)
        return false;
    *v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
    r->p += 4;
    return true;
}

static inline bool fsn_rd_u64(struct fsn_rd *r, uint64_t *v)
{
    uint32_t hi = 0, lo = 0;
    if (fsn_rd_left(r) < 8)
        return false;
    fsn_rd_u32(r, &hi);
    fsn_rd_u32(r, &lo);
    *v = (uint64_t)hi << 32 | lo;
    return true;
}

/* Reads an unsigned big-endian integer of 1..8 bytes (reduced-size encoding). */
static inline bool fsn_rd_uint(struct fsn_rd *r, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    if (n == 0 || n > 8 || fsn_rd_left(r) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        x = x << 8 | r->p[i];
    r->p += n;
    *v = x;
    return true;
}

/* Unchecked big-endian loads, for callers that checked the length first. */
static inline uint16_t fsn_load16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t fsn_load32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * A write cursor over [p, end). A write that does not fit sets `overflow`
 * and writes nothing; check it once at the end instead of after each call.
 */
struct fsn_wr {
    uint8_t *start;
    uint8_t *p;
    uint8_t *end;
    bool overflow;
};

static inline struct fsn_wr fsn_wr_make(void *buf, size_t cap)
{
    struct fsn_wr w = {(uint8_t *)buf, (uint8_t *)buf, (uint8_t *)buf + cap, false};
    return w;
}

static inline size_t fsn_wr_len(const struct fsn_wr *w)
{
    return (size_t)(w->p - w->start);
}

static inline size_t fsn_wr_left(const struct fsn_wr *w)
{
    return (size_t)(w->end - w->p);
}

static inline bool fsn_wr_bytes(struct fsn_wr *w, const void *src, size_t n)
{
    if (fsn_wr_left(w) < n) {
        w->overflow = true;
        return false;
    }
    if (n)
        memcpy(w->p, src, n);
    w->p += n;
    return true;
}

static inline bool fsn_wr_u8(struct fsn_wr *w, uint8_t v)
{
    return fsn_wr_bytes(w, &v, 1);
}

static inline bool fsn_wr_u16(struct fsn_wr *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    return fsn_wr_bytes(w, b, 2);
}

static inline bool fsn_wr_u32(struct fsn_wr *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return fsn_wr_bytes(w, b, 4);
}

static inline bool fsn_wr_u64(struct fsn_wr *w, uint64_t v)
{
    return fsn_wr_u32(w, (uint32_t)(v >> 32)) && fsn_wr_u32(w, (uint32_t)v);
}

/* Unchecked big-endian store, for patching a length field written earlier. */
static inline void fsn_store16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void fsn_store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
