/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for what lib/dec does against hostile or broken exporters:
 * the framing check a collector runs before it makes a session
 * (fsn_dec_check), stray datagrams in a sequence (jumps, steps back,
 * duplicates: the two-line rule of seq_update), the sequence state saved
 * with the templates, and template pools shared by sessions. Datagrams are
 * built by hand (tests/unit/dec_build.h); expected values are worked out in
 * the comments.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/dec.h"
#include "lib/error.h"
#include "tests/tap.h"
#include "tests/unit/dec_build.h"

#define SECS 1700000000u

static struct fsn_dec_session *sess(uint8_t ver, uint32_t dom)
{
    struct fsn_addr a = test_exporter(9);
    return fsn_dec_session_new(NULL, &a, ver, dom);
}

static int feed(struct fsn_dec_session *s, const struct bld *b)
{
    return fsn_dec_datagram(s, b->d, b->n, 0, NULL, NULL);
}

/* A v5 datagram of `count` identical records, the first numbered `seq`. */
static void v5(struct bld *b, uint32_t seq, uint16_t count)
{
    b->n = 0;
    b16(b, 5);
    b16(b, count);
    b32(b, 100000);
    b32(b, SECS);
    b32(b, 0);
    b32(b, seq);
    b8(b, 0);
    b8(b, 1);
    b16(b, 0);
    for (uint16_t i = 0; i < count; i++) {
        bbytes(b, ip4(10, 0, 0, 1), 4);
        bbytes(b, ip4(10, 0, 0, 2), 4);
        bbytes(b, ip4(0, 0, 0, 0), 4);
        b32(b, 0);     /* input, output */
        b32(b, 1);     /* packets */
        b32(b, 40);    /* octets */
        b32(b, 99000); /* first */
        b32(b, 99500); /* last */
        b32(b, 80 << 16 | 1024);
        b32(b, 6 << 8); /* pad, flags, proto 6, tos */
        b32(b, 0);      /* AS numbers */
        b32(b, 0);      /* masks, pad */
    }
}

/*
 * A v9 datagram of source id `dom` with a template flowset: template ids
 * first..first+n-1 of `fields` fields each.
 */
static void v9_templates(struct bld *b, uint32_t dom, uint32_t seq, uint16_t first, uint16_t n,
                         uint16_t fields)
{
    size_t at;

    v9_hdr(b, n, 1000, SECS, seq, dom);
    at = set_begin(b, 0);
    for (uint16_t t = 0; t < n; t++) {
        b16(b, first + t);
        b16(b, fields);
        for (uint16_t f = 0; f < fields; f++) {
            b16(b, f == 0 ? 8 : 1); /* sourceIPv4Address, then octet counters */
            b16(b, 4);
        }
    }
    set_end(b, at);
}

/* ------------------------------------------------------------ framing */

static void check_is(const struct bld *b, int want, const char *what)
{
    int got = fsn_dec_check(b->d, b->n);

    is_int(got, want, "check: %s", what);
    if (want == FSN_E_MALFORMED) {
        /* The decoder calls the same datagram malformed. */
        uint8_t v = 0;
        uint32_t d = 0;
        struct fsn_dec_session *s;
        fsn_dec_peek(b->d, b->n, &v, &d);
        s = sess(v, d);
        feed(s, b);
        is_uint(fsn_dec_counters(s)->malformed, 1, "check: %s: the decoder agrees", what);
        fsn_dec_session_free(s);
    }
}

static void test_check(void)
{
    struct bld b;
    size_t at;

    v5(&b, 0, 2);
    check_is(&b, 0, "v5, 2 records in 24 + 96 bytes");
    b.n -= 1;
    check_is(&b, FSN_E_MALFORMED, "v5, one byte short of its count");
    v5(&b, 0, 1);
    bpatch16(&b, 2, 0);
    check_is(&b, FSN_E_MALFORMED, "v5, count 0");

    v9_hdr(&b, 0, 1000, SECS, 0, 1);
    check_is(&b, 0, "v9, a bare header");
    v9_templates(&b, 1, 0, 256, 1, 2);
    check_is(&b, 0, "v9, one template flowset");
    b8(&b, 0), b8(&b, 0), b8(&b, 0);
    check_is(&b, 0, "v9, then 3 zero bytes of padding");
    b.d[b.n - 1] = 7;
    check_is(&b, FSN_E_MALFORMED, "v9, then 3 bytes that are not padding");
    v9_hdr(&b, 0, 1000, SECS, 0, 1);
    b16(&b, 300), b16(&b, 1);
    check_is(&b, FSN_E_MALFORMED, "v9, a flowset of length 1");
    v9_hdr(&b, 0, 1000, SECS, 0, 1);
    b16(&b, 300), b16(&b, 12), b32(&b, 0);
    check_is(&b, FSN_E_MALFORMED, "v9, a flowset longer than the datagram");

    /* The flood of issue 15: a 24-byte datagram whose header claims 65535 bytes. */
    ipfix_hdr(&b, SECS, 0, 0x1234);
    b32(&b, 0), b32(&b, 0);
    bpatch16(&b, 2, 65535);
    check_is(&b, FSN_E_MALFORMED, "IPFIX, 24 bytes claiming 65535");
    ipfix_hdr(&b, SECS, 0, 1);
    ipfix_end(&b);
    check_is(&b, 0, "IPFIX, a bare 16-byte message");
    bpatch16(&b, 2, 15);
    check_is(&b, FSN_E_MALFORMED, "IPFIX, a length under the header's");
    ipfix_hdr(&b, SECS, 0, 1);
    at = set_begin(&b, 256);
    b32(&b, 1);
    set_end(&b, at);
    ipfix_end(&b);
    check_is(&b, 0, "IPFIX, one data set");
    b8(&b, 0);
    check_is(&b, 0, "IPFIX, a byte after the message: the message itself is sound");
    ipfix_hdr(&b, SECS, 0, 1);
    b16(&b, 256), b16(&b, 3);
    ipfix_end(&b);
    check_is(&b, FSN_E_MALFORMED, "IPFIX, a set of length 3");
    ipfix_hdr(&b, SECS, 0, 1);
    b16(&b, 0);
    ipfix_end(&b);
    check_is(&b, FSN_E_MALFORMED, "IPFIX, a 2-byte stub after the header");

    ipfix_hdr(&b, SECS, 0, 1);
    is_int(fsn_dec_check(b.d, 15), FSN_E_TRUNC, "check: a short header is the peek's error");
    b.d[1] = 8;
    is_int(fsn_dec_check(b.d, b.n), FSN_E_BADVER, "check: version 8");
}

/* ----------------------------------------------------------- sequence */

/*
 * v5 counts records; the reorder window W is 1024. Ten records per
 * datagram unless said otherwise.
 */
static void test_stray(void)
{
    struct fsn_dec_session *s = sess(FSN_DEC_V5, 1);
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    struct bld b;
    static const struct {
        uint32_t seq;
        uint64_t lost, resets, jumps, off;
        const char *what;
    } steps[] = {
        {1000, 0, 0, 0, 0, "first datagram synchronizes"},
        {1010, 0, 0, 0, 0, "in order"},
        {1020 + 868281, 0, 0, 1, 0, "a jump far ahead: held, nothing lost yet"},
        {1020, 0, 0, 1, 1, "the old line goes on: the jump was off-sequence, nothing lost"},
        {1030, 0, 0, 1, 1, "in order"},
        {5, 0, 1, 1, 1, "a step back (restart or stray): reset"},
        {1040, 0, 1, 1, 2, "the old line goes on: off-sequence, no gap counted"},
        {1050 + 5000, 0, 1, 2, 2, "5000 records missing: beyond W, held"},
        {1050 + 5010, 5000, 1, 2, 2, "the exporter goes on from there: 5000 lost"},
        {6070 + 3, 5003, 1, 2, 2, "3 missing: within W, lost at once"},
        /* A duplicate of the datagram at 6060 (its line expects 6070), after 6073. */
        {6060, 5003, 2, 2, 2, "a duplicate: a step back"},
        {6083, 5003, 2, 2, 3, "the next one continues the old line exactly: off-sequence"},
        {7000000, 5003, 2, 3, 3, "a jump"},
        {90000000, 5003, 2, 4, 4, "another, from neither line: the first one given up"},
        {6093, 5003, 2, 4, 5, "the exporter goes on: nothing lost"},
        {6103 + 2000, 5003, 2, 5, 5, "a real gap of 2000 ..."},
        {8113 + 7, 7010, 2, 5, 5, "... followed 7 records further: 2000 + 7 lost"},
        {0xfffffffbu, 7010, 3, 5, 5, "a restart just below 2^32"},
        {5, 7010, 3, 5, 5, "in order across the wrap: the restart is confirmed"},
    };

    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        v5(&b, steps[i].seq, 10);
        feed(s, &b);
        ok(k->lost == steps[i].lost && k->seq_resets == steps[i].resets &&
               k->seq_jumps == steps[i].jumps && k->off_sequence == steps[i].off,
           "stray: seq %u: %s", steps[i].seq, steps[i].what);
        if (k->lost != steps[i].lost || k->seq_resets != steps[i].resets ||
            k->seq_jumps != steps[i].jumps || k->off_sequence != steps[i].off)
            diag("lost %ju resets %ju jumps %ju off-sequence %ju", (uintmax_t)k->lost,
                 (uintmax_t)k->seq_resets, (uintmax_t)k->seq_jumps, (uintmax_t)k->off_sequence);
    }
    fsn_dec_session_free(s);
}

/* v9 counts datagrams: a hostile one far back, then the exporter's own. */
static void test_stray_v9(void)
{
    struct fsn_dec_session *s = sess(FSN_DEC_V9, 1);
    const struct fsn_dec_counters *k = fsn_dec_counters(s);
    struct bld b;

    for (uint32_t q = 500; q < 505; q++) {
        v9_hdr(&b, 0, 1000, SECS, q, 1);
        feed(s, &b);
    }
    v9_hdr(&b, 0, 1000, SECS, 3, 1);
    feed(s, &b);
    v9_hdr(&b, 0, 1000, SECS, 505, 1);
    feed(s, &b);
    ok(k->lost == 0 && k->seq_resets == 1 && k->off_sequence == 1,
       "v9 stray: a datagram numbered 3 among 500..505 costs no loss");
    v9_hdr(&b, 0, 1000, SECS, 508, 1);
    feed(s, &b);
    is_uint(k->lost, 2, "v9 stray: then 506, 507 missing: 2 lost");
    fsn_dec_session_free(s);
}

/* ---------------------------------------------------- sequence saved */

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Saves `from` (with `flags`) and restores it into a new session of the same key. */
static struct fsn_dec_session *copy(const struct fsn_dec_session *from, unsigned flags)
{
    static uint8_t blob[1024];
    size_t len = 0;
    struct fsn_dec_session *to = sess(FSN_DEC_V5, 1);

    if (fsn_dec_save(from, flags, blob, sizeof blob, &len) != 0 || fsn_dec_restore(to, blob, len))
        diag("save or restore failed");
    return to;
}

static void test_seq_saved(void)
{
    struct fsn_dec_session *a = sess(FSN_DEC_V5, 1), *r;
    struct bld b;
    uint8_t blob[1024];
    size_t len = 0;

    ok(!fsn_dec_seq_known(a), "saved seq: a new session knows no sequence");
    v5(&b, 100, 10);
    feed(a, &b);
    ok(fsn_dec_seq_known(a), "saved seq: one datagram later it expects 110");

    r = copy(a, FSN_DEC_SAVE_SEQ);
    v5(&b, 150, 10);
    feed(r, &b);
    is_uint(fsn_dec_counters(r)->lost, 40, "saved seq: after a restore, 110..149 count as lost");
    fsn_dec_session_free(r);

    r = copy(a, 0);
    feed(r, &b);
    is_uint(fsn_dec_counters(r)->lost, 0, "saved without it: the first datagram synchronizes");
    fsn_dec_session_free(r);

    r = copy(a, FSN_DEC_SAVE_SEQ);
    v5(&b, 110 + 30000, 10);
    feed(r, &b);
    is_uint(fsn_dec_counters(r)->lost, 0, "saved seq: a gap of 30000 beyond W is held ...");
    v5(&b, 110 + 30010, 10);
    feed(r, &b);
    is_uint(fsn_dec_counters(r)->lost, 30000, "... and counted when the next datagram follows");
    fsn_dec_session_free(r);

    /* A held jump survives the save too. */
    v5(&b, 110 + 3000, 10);
    feed(a, &b);
    r = copy(a, FSN_DEC_SAVE_SEQ);
    v5(&b, 110, 10);
    feed(r, &b);
    ok(fsn_dec_counters(r)->lost == 0 && fsn_dec_counters(r)->off_sequence == 1,
       "saved seq: a held jump restored, then refuted by the old line");
    fsn_dec_session_free(r);

    /* A format-1 blob (no sequence fields: 13 bytes fewer after sys_init_ms) still restores. */
    r = sess(FSN_DEC_V5, 1);
    if (fsn_dec_save(a, 0, blob, sizeof blob, &len) == 0 && len > 45 + 13) {
        const size_t at = 4 + 2 + 1 + 1 + 16 + 4 + 4 + 1 + 8; /* the seq fields start here */
        memmove(blob + at, blob + at + 13, len - at - 13);
        len -= 13;
        blob[5] = 1;
        fsn_store32(blob + len - 4, fnv1a(blob, len - 4));
        is_int(fsn_dec_restore(r, blob, len), 0, "saved seq: a format-1 blob restores");
        ok(!fsn_dec_seq_known(r), "saved seq: ... without sequence state");
    } else {
        ok(0, "saved seq: format-1 blob built");
    }
    /* Bad sequence flags are refused. */
    fsn_dec_save(a, FSN_DEC_SAVE_SEQ, blob, sizeof blob, &len);
    blob[4 + 2 + 1 + 1 + 16 + 4 + 4 + 1 + 8] = 2; /* left a line, but no valid line */
    fsn_store32(blob + len - 4, fnv1a(blob, len - 4));
    is_int(fsn_dec_restore(r, blob, len), FSN_E_BADFILE, "saved seq: inconsistent flags refused");
    fsn_dec_session_free(r);
    fsn_dec_session_free(a);
}

/* -------------------------------------------------------------- pools */

static void test_pools(void)
{
    struct fsn_dec_pool all = {0, 0, 0, 0, 0, NULL}, src = {3, 0, 0, 0, 0, &all};
    struct fsn_dec_session *a = sess(FSN_DEC_V9, 1), *b2 = sess(FSN_DEC_V9, 2), *c;
    struct bld b;
    uint64_t two;
    uint8_t blob[4096];
    size_t len = 0;

    fsn_dec_set_pool(a, &src);
    fsn_dec_set_pool(b2, &src);
    v9_templates(&b, 1, 0, 256, 2, 4);
    feed(a, &b);
    is_uint(src.templates, 2, "pool: two templates of session 1 charged");
    two = src.bytes;
    ok(two > 0 && all.bytes == two && all.templates == 2, "pool: ... to the parent too");
    v9_templates(&b, 2, 0, 256, 2, 4);
    feed(b2, &b);
    ok(src.templates == 3 && src.refused == 1 && fsn_dec_counters(b2)->templates == 1 &&
           fsn_dec_counters(b2)->template_drops == 1,
       "pool: session 2 gets one of its two: the pool holds at most 3");
    fsn_dec_session_free(a);
    ok(src.templates == 1 && all.templates == 1 && src.bytes == two / 2,
       "pool: a freed session gives its templates back");
    v9_templates(&b, 2, 1, 256, 2, 4);
    feed(b2, &b);
    is_uint(fsn_dec_counters(b2)->templates, 2, "pool: then session 2 gets its second one");

    /* The parent's byte bound: exactly what is held now. */
    all.max_bytes = all.bytes;
    src.max_templates = 0;
    v9_templates(&b, 2, 2, 258, 1, 4);
    feed(b2, &b);
    ok(all.refused == 1 && fsn_dec_counters(b2)->templates == 2,
       "pool: a bound of the parent refuses too");
    /* A redefinition with more fields needs room it has not: withdrawn, not kept stale. */
    v9_templates(&b, 2, 3, 256, 1, 8);
    feed(b2, &b);
    ok(fsn_dec_counters(b2)->templates == 1 && all.refused == 2 && all.bytes == two / 2,
       "pool: a larger redefinition without room withdraws the old definition");
    /* A redefinition that fits is taken, and charged at its new size. */
    all.max_bytes = 0;
    v9_templates(&b, 2, 4, 257, 1, 2);
    feed(b2, &b);
    {
        struct fsn_dec_pool alone = {0, 0, 0, 0, 0, NULL};
        struct fsn_dec_session *d = sess(FSN_DEC_V9, 2);
        fsn_dec_set_pool(d, &alone);
        feed(d, &b);
        ok(fsn_dec_counters(b2)->templates == 1 && all.templates == 1 && all.bytes == alone.bytes,
           "pool: a redefinition is charged at its new size");
        fsn_dec_session_free(d);
    }
    all.max_bytes = all.bytes;

    /* A restore that the pool cannot take leaves everything as it was. */
    c = sess(FSN_DEC_V9, 2);
    v9_templates(&b, 2, 0, 256, 3, 4);
    feed(c, &b);
    fsn_dec_save(c, 0, blob, sizeof blob, &len);
    {
        uint64_t held = all.bytes, n = all.templates;
        is_int(fsn_dec_restore(b2, blob, len), FSN_E_LIMIT, "pool: a restore beyond it: LIMIT");
        ok(all.bytes == held && all.templates == n && fsn_dec_counters(b2)->templates == 1,
           "pool: ... and nothing changed");
        all.max_bytes = 0;
        is_int(fsn_dec_restore(b2, blob, len), 0, "pool: with room, it restores");
        is_uint(all.templates, 3, "pool: and the restored set is what is charged");
    }
    fsn_dec_set_pool(c, &src);
    is_uint(all.templates, 6, "pool: a session moved into the pool brings its templates");
    fsn_dec_set_pool(c, NULL);
    is_uint(all.templates, 3, "pool: and takes them out again");
    fsn_dec_session_free(c);
    fsn_dec_session_free(b2);
    ok(src.templates == 0 && src.bytes == 0 && all.templates == 0 && all.bytes == 0,
       "pool: everything given back");
}

int main(void)
{
    test_check();
    test_stray();
    test_stray_v9();
    test_seq_saved();
    test_pools();
    return tap_done();
}
