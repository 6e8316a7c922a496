/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/mib: index encodings (checked against hand-encoded
 * OIDs from RFC 2578 section 7.7), the OID order, the sorted row index
 * (checked against a linear scan), and DateAndTime (checked against the C
 * library's gmtime_r).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/error.h"
#include "lib/mib.h"
#include "tests/tap.h"
#include "tests/xorshift.h"

static int same(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen * sizeof *a) == 0;
}

static void test_root(void)
{
    const uint32_t root[] = {FSN_MIB_ROOT};
    const uint32_t want[] = {1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4242};

    ok(same(root, sizeof root / sizeof root[0], want, sizeof want / sizeof want[0]),
       "root is netSnmpPlaypen.4242");
}

static void test_enc(void)
{
    uint32_t out[FSN_MIB_INDEX_MAX];
    uint8_t a4[16] = {10, 1, 0, 5};
    uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const uint32_t w4[] = {1, 4, 10, 1, 0, 5};
    const uint32_t w6[] = {2, 16, 32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const uint32_t wother[] = {0, 0};
    const uint32_t wexp[] = {1, 4, 10, 1, 0, 5, 4000000000u};
    const uint32_t wname[] = {'h', 't', 't', 'p', 's'};
    char name31[32], name32[33];
    size_t len = 0;

    ok(fsn_mib_enc_inet(4, a4, out, FSN_MIB_INDEX_MAX, &len) == 0 && same(out, len, w4, 6),
       "IPv4 host index = 1.4.a.b.c.d");
    ok(fsn_mib_enc_inet(6, a6, out, FSN_MIB_INDEX_MAX, &len) == 0 && same(out, len, w6, 18),
       "IPv6 host index = 2.16.<16 bytes>");
    ok(fsn_mib_enc_inet(0, a4, out, FSN_MIB_INDEX_MAX, &len) == 0 && same(out, len, wother, 2),
       "other row index = 0.0");
    is_int(fsn_mib_enc_inet(5, a4, out, FSN_MIB_INDEX_MAX, &len), FSN_E_RANGE, "bad family");
    is_int(fsn_mib_enc_inet(6, a6, out, 17, &len), FSN_E_SPACE, "IPv6 needs 18 sub-ids");
    ok(fsn_mib_enc_exporter(4, a4, 4000000000u, out, FSN_MIB_INDEX_MAX, &len) == 0 &&
           same(out, len, wexp, 7),
       "exporter index = type.len.addr.domain");
    is_int(fsn_mib_enc_exporter(0, a4, 1, out, FSN_MIB_INDEX_MAX, &len), FSN_E_RANGE,
           "exporter needs an address");
    ok(fsn_mib_enc_name("https", 32, out, FSN_MIB_INDEX_MAX, &len) == 0 &&
           same(out, len, wname, 5),
       "IMPLIED name has no length sub-id");
    is_int(fsn_mib_enc_name("", 32, out, FSN_MIB_INDEX_MAX, &len), FSN_E_RANGE, "empty name");
    memset(name31, 'a', 31);
    name31[31] = '\0';
    memset(name32, 'b', 32);
    name32[32] = '\0';
    ok(fsn_mib_enc_name(name31, 32, out, FSN_MIB_INDEX_MAX, &len) == 0 && len == 31,
       "31-character name");
    is_int(fsn_mib_enc_name(name32, 33, out, FSN_MIB_INDEX_MAX, &len), FSN_E_RANGE,
           "32-character name is out of range");
    /* maxlen bounds a name that is not NUL-terminated. */
    ok(fsn_mib_enc_name(name32, 3, out, FSN_MIB_INDEX_MAX, &len) == 0 && len == 3,
       "name bounded by maxlen");
}

static void test_cmp(void)
{
    const uint32_t a[] = {1, 4, 10}, b[] = {1, 4, 10, 0}, c[] = {1, 5}, d[] = {2};
    const uint32_t big[] = {4000000000u}, small[] = {7};

    ok(fsn_mib_oid_cmp(a, 3, a, 3) == 0, "equal");
    ok(fsn_mib_oid_cmp(a, 3, b, 4) < 0 && fsn_mib_oid_cmp(b, 4, a, 3) > 0, "prefix sorts first");
    ok(fsn_mib_oid_cmp(b, 4, c, 2) < 0, "first difference decides, not length");
    ok(fsn_mib_oid_cmp(c, 2, d, 1) < 0, "1.5 < 2");
    ok(fsn_mib_oid_cmp(small, 1, big, 1) < 0, "sub-ids compare unsigned");
    ok(fsn_mib_oid_cmp(a, 0, d, 1) < 0, "empty sorts first");
}

/* Deterministic pseudo-random numbers (xorshift), so failures reproduce. */
static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    return (uint32_t)(xorshift64(&rng) % n);
}

struct key {
    uint32_t sub[FSN_MIB_INDEX_MAX];
    size_t len;
};

static void test_rows(void)
{
    enum { N = 3000 };
    static struct key keys[N];
    struct fsn_mib_rows r;
    size_t distinct = 0, pos, len;
    int order_ok = 1, find_ok = 1, after_ok = 1, slot_ok = 1;

    /* Random short keys over a small alphabet: many prefixes and duplicates. */
    for (size_t i = 0; i < N; i++) {
        keys[i].len = rnd(5);
        for (size_t j = 0; j < keys[i].len; j++)
            keys[i].sub[j] = rnd(4) == 0 ? 4000000000u : rnd(3);
    }
    fsn_mib_rows_init(&r);
    for (size_t i = 0; i < N; i++)
        if (fsn_mib_rows_add(&r, (uint32_t)i, keys[i].sub, keys[i].len) != 0) {
            ok(0, "add %zu", i);
            goto out;
        }
    fsn_mib_rows_sort(&r);

    for (size_t i = 0; i < N; i++) {
        size_t j;
        for (j = 0; j < i; j++)
            if (same(keys[j].sub, keys[j].len, keys[i].sub, keys[i].len))
                break;
        if (j == i)
            distinct++;
    }
    is_uint(r.n, distinct, "one row per distinct index");
    is_uint(r.dups, N - distinct, "duplicates counted");

    for (size_t p = 1; p < r.n; p++) {
        size_t l1, l2;
        const uint32_t *k1 = fsn_mib_rows_key(&r, p - 1, &l1), *k2 = fsn_mib_rows_key(&r, p, &l2);
        if (fsn_mib_oid_cmp(k1, l1, k2, l2) >= 0)
            order_ok = 0;
    }
    ok(order_ok, "rows strictly ascending");

    /* The surviving slot of each index is the lowest slot that had it. */
    for (pos = 0; pos < r.n; pos++) {
        const uint32_t *k = fsn_mib_rows_key(&r, pos, &len);
        for (size_t i = 0; i < N; i++) {
            if (same(keys[i].sub, keys[i].len, k, len)) {
                if (r.row[pos].slot != i)
                    slot_ok = 0;
                break;
            }
        }
    }
    ok(slot_ok, "lowest slot wins a duplicate");

    /* find and after, against a linear scan, for present and absent keys. */
    for (int t = 0; t < 2000; t++) {
        struct key q;
        size_t want_find = r.n, want_after = r.n;
        q.len = rnd(6);
        for (size_t j = 0; j < q.len; j++)
            q.sub[j] = rnd(5) == 0 ? 4000000000u : rnd(4);
        for (pos = 0; pos < r.n; pos++) {
            const uint32_t *k = fsn_mib_rows_key(&r, pos, &len);
            int c = fsn_mib_oid_cmp(k, len, q.sub, q.len);
            if (c == 0)
                want_find = pos;
            if (c > 0 && want_after == r.n)
                want_after = pos;
        }
        if (fsn_mib_rows_find(&r, q.sub, q.len) != want_find)
            find_ok = 0;
        if (fsn_mib_rows_after(&r, q.sub, q.len) != want_after)
            after_ok = 0;
    }
    ok(find_ok, "find agrees with a linear scan");
    ok(after_ok, "after agrees with a linear scan");

    fsn_mib_rows_clear(&r);
    is_uint(r.n, 0, "clear empties");
    is_uint(fsn_mib_rows_find(&r, keys[0].sub, keys[0].len), 0, "find in empty set = n");
    is_uint(fsn_mib_rows_after(&r, keys[0].sub, 0), 0, "after in empty set = n");
    {
        uint32_t long_key[FSN_MIB_INDEX_MAX + 1] = {0};
        is_int(fsn_mib_rows_add(&r, 1, long_key, FSN_MIB_INDEX_MAX + 1), FSN_E_RANGE,
               "index longer than the maximum");
    }
out:
    fsn_mib_rows_fini(&r);
}

static void test_dateandtime(void)
{
    uint8_t out[FSN_MIB_DATEANDTIME_LEN];
    const uint8_t zero[8] = {0};
    int all_ok = 1;
    time_t samples[] = {1,          59,         86399,      86400,      951782400 /* 2000-02-29 */,
                        951868800,  1709164800, 1798761599, 4102444800 /* 2100-01-01 */,
                        4107542400, 253402300799 /* 9999-12-31 23:59:59 */};

    is_uint(fsn_mib_dateandtime(0, out), 8, "0 = unknown, 8 bytes");
    ok(memcmp(out, zero, 8) == 0, "unknown is all zeros");
    is_uint(fsn_mib_dateandtime(1795802243, out), 11, "11 bytes");
    /* 1795802243 = 2026-11-27 17:57:23 UTC (date -u -d @1795802243). */
    {
        const uint8_t want[11] = {0x07, 0xea, 11, 27, 17, 57, 23, 0, '+', 0, 0};
        ok(memcmp(out, want, 11) == 0, "2026-11-27,17:57:23.0,+0:0");
    }

    for (size_t i = 0; i < sizeof samples / sizeof samples[0] + 5000; i++) {
        time_t t = i < sizeof samples / sizeof samples[0]
                       ? samples[i]
                       : (time_t)((uint64_t)rnd(0x7fffffff) * 4 + rnd(4));
        struct tm tm;
        if (!gmtime_r(&t, &tm))
            continue;
        fsn_mib_dateandtime((uint64_t)t, out);
        if ((out[0] << 8 | out[1]) != tm.tm_year + 1900 || out[2] != tm.tm_mon + 1 ||
            out[3] != tm.tm_mday || out[4] != tm.tm_hour || out[5] != tm.tm_min ||
            out[6] != tm.tm_sec || out[7] != 0) {
            all_ok = 0;
            diag("mismatch at %lld", (long long)t);
            break;
        }
    }
    ok(all_ok, "DateAndTime agrees with gmtime_r over 5000+ times");
    is_uint(fsn_mib_dateandtime(UINT64_MAX / 2, out), 8, "beyond year 65535 = unknown");
}

int main(void)
{
    test_root();
    test_enc();
    test_cmp();
    test_rows();
    test_dateandtime();
    return tap_done();
}
