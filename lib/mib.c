/* SPDX-License-Identifier: BSD-2-Clause */
#include "lib/mib.h"

#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

/*
 * RFC 2578 section 7.7: an INTEGER index is one sub-identifier; a
 * fixed-length OCTET STRING is its bytes; a variable-length one is its
 * length then its bytes, unless IMPLIED (last index only), which drops the
 * length. InetAddressType and InetAddress are RFC 4001 section 3.
 */
int fsn_mib_enc_inet(uint8_t family, const uint8_t addr[16], uint32_t *out, size_t cap,
                     size_t *len)
{
    uint32_t type;
    size_t alen;

    switch (family) {
    case 0:
        type = FSN_MIB_INET_UNKNOWN;
        alen = 0;
        break;
    case 4:
        type = FSN_MIB_INET_IPV4;
        alen = 4;
        break;
    case 6:
        type = FSN_MIB_INET_IPV6;
        alen = 16;
        break;
    default:
        return FSN_E_RANGE;
    }
    if (cap < 2 + alen)
        return FSN_E_SPACE;
    out[0] = type;
    out[1] = (uint32_t)alen;
    for (size_t i = 0; i < alen; i++)
        out[2 + i] = addr[i];
    *len = 2 + alen;
    return 0;
}

int fsn_mib_enc_exporter(uint8_t family, const uint8_t addr[16], uint32_t domain, uint32_t *out,
                         size_t cap, size_t *len)
{
    size_t n;
    int ret;

    if (family != 4 && family != 6)
        return FSN_E_RANGE;
    ret = fsn_mib_enc_inet(family, addr, out, cap, &n);
    if (ret < 0)
        return ret;
    if (n >= cap)
        return FSN_E_SPACE;
    out[n++] = domain;
    *len = n;
    return 0;
}

int fsn_mib_enc_name(const char *name, size_t maxlen, uint32_t *out, size_t cap, size_t *len)
{
    size_t n = 0;

    while (n < maxlen && name[n] != '\0')
        n++;
    if (n == 0 || n > FSN_MIB_NAME_MAX)
        return FSN_E_RANGE;
    if (n > cap)
        return FSN_E_SPACE;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)name[i];
    *len = n;
    return 0;
}

int fsn_mib_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;

    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    }
    if (alen == blen)
        return 0;
    return alen < blen ? -1 : 1;
}

void fsn_mib_rows_init(struct fsn_mib_rows *r)
{
    memset(r, 0, sizeof *r);
}

void fsn_mib_rows_fini(struct fsn_mib_rows *r)
{
    free(r->row);
    free(r->subs);
    memset(r, 0, sizeof *r);
}

void fsn_mib_rows_clear(struct fsn_mib_rows *r)
{
    r->n = 0;
    r->nsubs = 0;
    r->dups = 0;
}

int fsn_mib_rows_add(struct fsn_mib_rows *r, uint32_t slot, const uint32_t *sub, size_t len)
{
    if (len > FSN_MIB_INDEX_MAX)
        return FSN_E_RANGE;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct fsn_mib_row *row = realloc(r->row, cap * sizeof *row);
        if (!row)
            return FSN_E_NOMEM;
        r->row = row;
        r->cap = cap;
    }
    if (r->subs_cap - r->nsubs < len) {
        size_t cap = r->subs_cap ? r->subs_cap * 2 : 256;
        while (cap - r->nsubs < len)
            cap *= 2;
        uint32_t *subs = realloc(r->subs, cap * sizeof *subs);
        if (!subs)
            return FSN_E_NOMEM;
        r->subs = subs;
        r->subs_cap = cap;
    }
    if (len)
        memcpy(r->subs + r->nsubs, sub, len * sizeof *sub);
    r->row[r->n].slot = slot;
    r->row[r->n].len = (uint32_t)len;
    r->row[r->n].off = r->nsubs;
    r->n++;
    r->nsubs += len;
    return 0;
}

/*
 * qsort's comparator has no context argument, so the sort runs on a
 * scratch array of (row, key pointer) pairs built once the pool of
 * sub-identifiers stops moving.
 */
struct sort_item {
    const uint32_t *key;
    struct fsn_mib_row row;
};

static int sort_cmp(const void *pa, const void *pb)
{
    const struct sort_item *a = pa, *b = pb;
    int c = fsn_mib_oid_cmp(a->key, a->row.len, b->key, b->row.len);

    if (c != 0)
        return c;
    return a->row.slot < b->row.slot ? -1 : a->row.slot > b->row.slot;
}

/* Insertion sort, for when the scratch array cannot be allocated. */
static void sort_in_place(struct fsn_mib_rows *r)
{
    for (size_t i = 1; i < r->n; i++) {
        struct fsn_mib_row x = r->row[i];
        size_t j = i;
        while (j > 0) {
            const struct fsn_mib_row *p = &r->row[j - 1];
            int c = fsn_mib_oid_cmp(r->subs + p->off, p->len, r->subs + x.off, x.len);
            if (c < 0 || (c == 0 && p->slot < x.slot))
                break;
            r->row[j] = r->row[j - 1];
            j--;
        }
        r->row[j] = x;
    }
}

void fsn_mib_rows_sort(struct fsn_mib_rows *r)
{
    struct sort_item *items;
    size_t w;

    r->dups = 0;
    if (r->n < 2)
        return;
    items = malloc(r->n * sizeof *items);
    if (items) {
        for (size_t i = 0; i < r->n; i++) {
            items[i].key = r->subs + r->row[i].off;
            items[i].row = r->row[i];
        }
        qsort(items, r->n, sizeof *items, sort_cmp);
        for (size_t i = 0; i < r->n; i++)
            r->row[i] = items[i].row;
        free(items);
    } else {
        sort_in_place(r);
    }
    /* Equal indexes are adjacent now, lowest slot first: keep that one. */
    w = 1;
    for (size_t i = 1; i < r->n; i++) {
        const struct fsn_mib_row *p = &r->row[w - 1], *q = &r->row[i];
        if (fsn_mib_oid_cmp(r->subs + p->off, p->len, r->subs + q->off, q->len) == 0) {
            r->dups++;
            continue;
        }
        r->row[w++] = *q;
    }
    r->n = w;
}

/* First position whose index is >= key (strict: > key). */
static size_t lower_bound(const struct fsn_mib_rows *r, const uint32_t *key, size_t len,
                          int strict)
{
    size_t lo = 0, hi = r->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct fsn_mib_row *m = &r->row[mid];
        int c = fsn_mib_oid_cmp(r->subs + m->off, m->len, key, len);
        if (c < 0 || (strict && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t fsn_mib_rows_find(const struct fsn_mib_rows *r, const uint32_t *key, size_t len)
{
    size_t pos = lower_bound(r, key, len, 0);

    if (pos < r->n &&
        fsn_mib_oid_cmp(r->subs + r->row[pos].off, r->row[pos].len, key, len) == 0)
        return pos;
    return r->n;
}

size_t fsn_mib_rows_after(const struct fsn_mib_rows *r, const uint32_t *key, size_t len)
{
    return lower_bound(r, key, len, 1);
}

const uint32_t *fsn_mib_rows_key(const struct fsn_mib_rows *r, size_t pos, size_t *len)
{
    *len = r->row[pos].len;
    return r->subs + r->row[pos].off;
}

/*
 * Civil date from days since 1970-01-01 in the proleptic Gregorian
 * calendar, by 400-year eras (146097 days each), with years starting on
 * March 1st so that the leap day falls at the end.
 */
static void civil_from_days(uint64_t days, uint64_t *y, unsigned *m, unsigned *d)
{
    uint64_t z = days + 719468; /* days from 0000-03-01 to 1970-01-01 */
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;

    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* RFC 2579 DateAndTime: year (2 bytes, big-endian), month, day, hour, minutes,
 * seconds, deci-seconds, then direction from UTC, hours and minutes from UTC. */
size_t fsn_mib_dateandtime(uint64_t t, uint8_t out[FSN_MIB_DATEANDTIME_LEN])
{
    uint64_t y;
    unsigned m, d;
    uint64_t secs = t % 86400;

    civil_from_days(t / 86400, &y, &m, &d);
    if (t == 0 || y > 65535) {
        memset(out, 0, 8);
        return 8;
    }
    out[0] = (uint8_t)(y >> 8);
    out[1] = (uint8_t)y;
    out[2] = (uint8_t)m;
    out[3] = (uint8_t)d;
    out[4] = (uint8_t)(secs / 3600);
    out[5] = (uint8_t)(secs / 60 % 60);
    out[6] = (uint8_t)(secs % 60);
    out[7] = 0;
    out[8] = '+';
    out[9] = 0;
    out[10] = 0;
    return FSN_MIB_DATEANDTIME_LEN;
}
