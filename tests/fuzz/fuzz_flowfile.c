/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target for lib/flowfile. The first byte picks what the rest is:
 *   0: a whole file, scanned at once and again a few bytes at a time, every
 *      block decoded (the two passes must agree);
 *   1: a block payload, wrapped in a block header with valid checksums so
 *      that the record decoder is reached (random bytes rarely pass a CRC);
 *   2: raw material for flow records, encoded, decoded and compared (a
 *      difference aborts).
 * Any other first byte is taken modulo 3.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/crc32c.h"
#include "lib/error.h"
#include "lib/flowfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
    uint64_t records, blocks, bad, sum;
};

static void decode_block(const struct fsn_ff_item *item, struct tally *t)
{
    static struct fsn_ff_iter it; /* large: keep it off the stack */
    struct fsn_flow f;
    const struct fsn_ff_exporter *x;
    int r;

    if (fsn_ff_iter_open(&it, item->block, item->block_len) != 0) {
        t->bad++;
        return;
    }
    while ((r = fsn_ff_iter_next(&it, &f, &x)) == 1) {
        t->records++;
        t->sum += f.octets + f.packets + f.last_ms + x->domain;
    }
    if (r < 0)
        t->bad++;
    t->blocks++;
}

/* Scans data offering at most `step` new bytes at a time (0: all at once). */
static int scan(const uint8_t *data, size_t size, size_t step, struct tally *t)
{
    struct fsn_ff_scan s;
    size_t pos = 0, have = step && step < size ? step : size;

    memset(t, 0, sizeof *t);
    fsn_ff_scan_init(&s);
    for (size_t guard = 0; guard < 4 * size + 16; guard++) {
        struct fsn_ff_item item;
        bool eof = pos + have == size;
        int ret = fsn_ff_scan_next(&s, data + pos, have, eof, &item);
        if (ret < 0)
            return ret;
        if (item.kind == FSN_FF_END)
            return 0;
        if (item.kind == FSN_FF_NEED) {
            if (eof || item.need <= have || item.need > FSN_FF_CHUNK_MAX)
                abort(); /* the scanner must not ask for what it has or cannot get */
            have = item.need + step < size - pos ? item.need + step : size - pos;
            continue;
        }
        if (item.used == 0 || item.used > have)
            abort(); /* every item must make progress within the input */
        if (item.kind == FSN_FF_BLOCK)
            decode_block(&item, t);
        pos += item.used;
        have -= item.used;
    }
    abort(); /* no END: the scanner loops */
}

static void fuzz_file(const uint8_t *data, size_t size)
{
    struct tally a, b;
    int ra = scan(data, size, 0, &a);
    int rb = scan(data, size, 1 + (size % 61), &b);

    if (ra != rb || memcmp(&a, &b, sizeof a) != 0)
        abort();
}

static void fuzz_payload(const uint8_t *data, size_t size)
{
    uint8_t *blk;
    struct fsn_ff_item item;
    struct tally t;
    size_t n = size > FSN_FF_BLOCK_MAX ? FSN_FF_BLOCK_MAX : size;

    if (n == 0)
        return;
    blk = malloc(FSN_FF_BLOCK_HEAD_SIZE + n);
    if (!blk)
        return;
    memcpy(blk, "FSNB", 4);
    fsn_store32(blk + 4, (uint32_t)n);
    /* The record count comes from the payload's last byte, to vary it. */
    fsn_store32(blk + 8, data[n - 1] % 64);
    fsn_store32(blk + 12, 0);
    fsn_store32(blk + 16, 0);
    fsn_store32(blk + 20, 0);
    fsn_store32(blk + 24, UINT32_MAX);
    fsn_store32(blk + 28, UINT32_MAX);
    memcpy(blk + FSN_FF_BLOCK_HEAD_SIZE, data, n);
    fsn_store32(blk + 32, fsn_crc32c(0, data, n));
    fsn_store32(blk + 36, fsn_crc32c(0, blk, 36));
    memset(&t, 0, sizeof t);
    memset(&item, 0, sizeof item);
    item.block = blk;
    item.block_len = FSN_FF_BLOCK_HEAD_SIZE + n;
    decode_block(&item, &t);
    free(blk);
}

/* Takes n bytes from the input (zeros past its end). */
static uint64_t take(struct fsn_rd *r, size_t n)
{
    uint64_t v = 0;
    uint8_t b;

    for (size_t i = 0; i < n; i++)
        v = v << 8 | (fsn_rd_u8(r, &b) ? b : 0);
    return v;
}

static void fuzz_round_trip(const uint8_t *data, size_t size)
{
    static struct fsn_flow in[64];
    static struct fsn_ff_exporter xin[64];
    static struct fsn_ff_iter it;
    struct fsn_rd r = fsn_rd_make(data, size);
    struct fsn_ff_builder *b = fsn_ff_builder_new(FSN_FF_BLOCK_MIN + size % 4096);
    const uint8_t *blk;
    size_t len, n = 0, got = 0;

    if (!b)
        abort();
    while (n < 64 && fsn_rd_left(&r) > 0) {
        struct fsn_flow *f = &in[n];
        struct fsn_ff_exporter *x = &xin[n];
        uint8_t sel = (uint8_t)take(&r, 1);
        size_t alen;
        memset(f, 0, sizeof *f);
        memset(x, 0, sizeof *x);
        f->key.family = sel & 1 ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
        alen = fsn_family_addrlen(f->key.family);
        fsn_rd_bytes(&r, f->key.src, alen);
        fsn_rd_bytes(&r, f->key.dst, alen);
        f->key.sport = (uint16_t)take(&r, 2);
        f->key.dport = (uint16_t)take(&r, 2);
        f->key.vlan = (uint16_t)take(&r, 2);
        f->key.proto = (uint8_t)take(&r, 1);
        f->key.tos = (uint8_t)take(&r, 1);
        f->key.in_if = (uint32_t)take(&r, sel & 2 ? 4 : 1);
        f->packets = take(&r, sel & 4 ? 8 : 2);
        f->octets = take(&r, sel & 4 ? 8 : 3);
        f->first_ms = take(&r, sel & 8 ? 8 : 2);
        f->last_ms = take(&r, sel & 8 ? 8 : 2);
        f->out_if = (uint32_t)take(&r, sel & 2 ? 4 : 1);
        f->src_as = (uint32_t)take(&r, sel & 16 ? 4 : 1);
        f->dst_as = (uint32_t)take(&r, sel & 16 ? 4 : 1);
        f->sampling = (uint32_t)take(&r, sel & 32 ? 4 : 1);
        if (sel & 64)
            fsn_rd_bytes(&r, f->nexthop, alen);
        f->tcp_flags = (uint8_t)take(&r, 1);
        f->src_mask = (uint8_t)take(&r, 1);
        f->dst_mask = (uint8_t)take(&r, 1);
        f->end_reason = (uint8_t)take(&r, 1);
        x->addr.family = sel & 128 ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
        x->addr.a[0] = (uint8_t)take(&r, 1);
        x->domain = (uint32_t)take(&r, 1);
        x->version = 10;
        if (fsn_ff_builder_add(b, f, x) != 0)
            break;
        n++;
    }
    fsn_ff_builder_finish(b, &blk, &len);
    if (n > 0) {
        struct fsn_flow f;
        const struct fsn_ff_exporter *x;
        int ret;
        if (fsn_ff_iter_open(&it, blk, len) != 0)
            abort();
        while ((ret = fsn_ff_iter_next(&it, &f, &x)) == 1) {
            if (got >= n || memcmp(&f, &in[got], sizeof f) != 0 ||
                x->addr.family != xin[got].addr.family || x->addr.a[0] != xin[got].addr.a[0] ||
                x->domain != xin[got].domain)
                abort();
            got++;
        }
        if (ret != 0 || got != n)
            abort();
    } else if (len != 0) {
        abort();
    }
    fsn_ff_builder_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        fuzz_file(data + 1, size - 1);
        break;
    case 1:
        fuzz_payload(data + 1, size - 1);
        break;
    default:
        fuzz_round_trip(data + 1, size - 1);
        break;
    }
    return 0;
}
