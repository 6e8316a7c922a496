/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow file format, version 1 (docs/flow-files.md is the specification;
 * this file and that page must agree). Fixed-width integers are big-endian
 * and go through the lib/buf.h cursors; record fields are LEB128 varints.
 */
#include "lib/flowfile.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/crc32c.h"
#include "lib/error.h"

#define BLOCK_MAGIC "FSNB"
#define TRAILER_MAGIC "FSNE"

/* Record descriptor bits: which optional fields follow the fixed part. */
#define D_IPV6 0x0001u
#define D_SPORT 0x0002u
#define D_DPORT 0x0004u
#define D_FLAGS 0x0008u
#define D_TOS 0x0010u
#define D_VLAN 0x0020u
#define D_INIF 0x0040u
#define D_OUTIF 0x0080u
#define D_SRCAS 0x0100u
#define D_DSTAS 0x0200u
#define D_SAMPLING 0x0400u
#define D_NEXTHOP 0x0800u
#define D_MASKS 0x1000u
#define D_REASON 0x2000u
#define D_RESERVED 0xc000u

/* Smallest record: descriptor, exporter, two IPv4 addresses, proto, four 1-byte varints. */
#define RECORD_MIN 16u
/*
 * Longest record: descriptor 2, exporter 1, two IPv6 addresses 32, proto 1,
 * four 64-bit varints 40, ports 4, flags and ToS 2, VLAN varint 3, five
 * 32-bit varints 25, IPv6 next hop 16, masks 2, end reason 1.
 */
#define RECORD_MAX 129u
/* Exporter table entry: family, version, domain, address. */
#define EXP_ENTRY(alen) (6u + (alen))
#define DICT_MAX (1u + FSN_FF_EXPORTERS_MAX * EXP_ENTRY(16u))
#define SLOTS 512u /* exporter hash slots in the builder: twice FSN_FF_EXPORTERS_MAX */

enum { ST_HEADER, ST_CHUNKS, ST_DONE };

static uint64_t load64(const uint8_t *p)
{
    return (uint64_t)fsn_load32(p) << 32 | fsn_load32(p + 4);
}

static void store64(uint8_t *p, uint64_t v)
{
    fsn_store32(p, (uint32_t)(v >> 32));
    fsn_store32(p + 4, (uint32_t)v);
}

static uint64_t zigzag(uint64_t d)
{
    return d << 1 ^ (0 - (d >> 63));
}

static uint64_t unzigzag(uint64_t z)
{
    return z >> 1 ^ (0 - (z & 1));
}

/*
 * Stores an unsigned LEB128 varint (1 to 10 bytes) at p, which has room for
 * it (see RECORD_MAX); returns the byte after it.
 */
static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *put16(uint8_t *p, uint16_t v)
{
    fsn_store16(p, v);
    return p + 2;
}

/* Reads a varint of at most 10 bytes whose value fits 64 bits. */
static inline bool rd_varint(struct fsn_rd *r, uint64_t *v)
{
    size_t left = fsn_rd_left(r);
    uint64_t x = 0;

    if (left > 0 && r->p[0] < 0x80) {
        *v = r->p[0];
        r->p++;
        return true;
    }
    for (size_t i = 0; i < 10 && i < left; i++) {
        uint8_t b = r->p[i];
        if (i == 9 && b > 1)
            return false;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            *v = x;
            r->p += i + 1;
            return true;
        }
    }
    return false;
}

static inline bool rd_varint32(struct fsn_rd *r, uint32_t *v)
{
    uint64_t x;

    if (!rd_varint(r, &x) || x > UINT32_MAX)
        return false;
    *v = (uint32_t)x;
    return true;
}

/* ---- Header and trailer ---- */

void fsn_ff_header_encode(const struct fsn_ff_header *h, uint8_t *out)
{
    memset(out, 0, FSN_FF_HEADER_SIZE);
    memcpy(out, FSN_FF_MAGIC, 8);
    fsn_store16(out + 8, FSN_FF_VERSION);
    fsn_store16(out + 10, FSN_FF_HEADER_SIZE);
    fsn_store32(out + 12, h->flags);
    store64(out + 16, h->created_ms);
    store64(out + 24, h->start_ms);
    store64(out + 32, h->end_ms);
    /* Bytes 40..59 are reserved (zero). */
    fsn_store32(out + 60, fsn_crc32c(0, out, FSN_FF_HEADER_SIZE - 4));
}

/*
 * Checks a header; *hlen gets its declared length when the magic and
 * version are right (also on FSN_E_TRUNC, so a reader knows what to wait for).
 */
int fsn_ff_header_decode(const uint8_t *p, size_t len, struct fsn_ff_header *h, size_t *hlen)
{
    size_t n;

    *hlen = FSN_FF_HEADER_SIZE;
    if (memcmp(p, FSN_FF_MAGIC, len < 8 ? len : 8) != 0)
        return FSN_E_BADFILE;
    if (len < 12)
        return FSN_E_TRUNC;
    if (fsn_load16(p + 8) != FSN_FF_VERSION)
        return FSN_E_BADVER;
    n = fsn_load16(p + 10);
    if (n < FSN_FF_HEADER_SIZE || n > FSN_FF_HEADER_MAX)
        return FSN_E_BADFILE;
    *hlen = n;
    if (len < n)
        return FSN_E_TRUNC;
    if (fsn_load32(p + n - 4) != fsn_crc32c(0, p, n - 4))
        return FSN_E_BADFILE;
    h->version = fsn_load16(p + 8);
    h->flags = fsn_load32(p + 12);
    h->created_ms = load64(p + 16);
    h->start_ms = load64(p + 24);
    h->end_ms = load64(p + 32);
    return 0;
}

void fsn_ff_trailer_encode(const struct fsn_ff_trailer *t, uint8_t *out)
{
    memcpy(out, TRAILER_MAGIC, 4);
    fsn_store32(out + 4, FSN_FF_TRAILER_SIZE);
    store64(out + 8, t->blocks);
    store64(out + 16, t->records);
    store64(out + 24, t->min_end_ms);
    store64(out + 32, t->max_end_ms);
    store64(out + 40, t->closed_ms);
    store64(out + 48, t->lost);
    fsn_store32(out + 56, t->flags);
    fsn_store32(out + 60, fsn_crc32c(0, out, FSN_FF_TRAILER_SIZE - 4));
}

/* A trailer's declared length: FSN_FF_TRAILER_SIZE in version 1, longer in later ones. */
static bool trailer_len_ok(uint32_t n)
{
    return n >= FSN_FF_TRAILER_SIZE && n <= FSN_FF_HEADER_MAX;
}

int fsn_ff_trailer_decode(const uint8_t *p, size_t len, struct fsn_ff_trailer *t)
{
    uint32_t n;

    if (len < 8)
        return FSN_E_TRUNC;
    if (memcmp(p, TRAILER_MAGIC, 4) != 0)
        return FSN_E_BADFILE;
    n = fsn_load32(p + 4);
    if (!trailer_len_ok(n))
        return FSN_E_BADFILE;
    if (len < n)
        return FSN_E_TRUNC;
    if (fsn_load32(p + n - 4) != fsn_crc32c(0, p, n - 4))
        return FSN_E_BADFILE;
    t->blocks = load64(p + 8);
    t->records = load64(p + 16);
    t->min_end_ms = load64(p + 24);
    t->max_end_ms = load64(p + 32);
    t->closed_ms = load64(p + 40);
    t->lost = load64(p + 48);
    t->flags = fsn_load32(p + 56);
    return 0;
}

/* Block header: see docs/flow-files.md. Checks the magic and the header CRC. */
static int block_head_decode(const uint8_t *p, size_t len, struct fsn_ff_block_info *bi)
{
    if (len < FSN_FF_BLOCK_HEAD_SIZE)
        return FSN_E_TRUNC;
    if (memcmp(p, BLOCK_MAGIC, 4) != 0 ||
        fsn_load32(p + 36) != fsn_crc32c(0, p, FSN_FF_BLOCK_HEAD_SIZE - 4))
        return FSN_E_BADFILE;
    bi->payload_len = fsn_load32(p + 4);
    bi->records = fsn_load32(p + 8);
    bi->flags = fsn_load32(p + 12);
    bi->min_end_ms = load64(p + 16);
    bi->max_end_ms = load64(p + 24);
    bi->payload_crc = fsn_load32(p + 32);
    /* The writer never exceeds these; a header that does is not ours. */
    if (bi->payload_len > FSN_FF_BLOCK_MAX || bi->payload_len < 1 ||
        bi->records > bi->payload_len / RECORD_MIN ||
        (bi->records > 0 && bi->min_end_ms > bi->max_end_ms))
        return FSN_E_MALFORMED;
    return 0;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    uint64_t doe = (uint64_t)(z - era * 146097);
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;

    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int fsn_ff_filename(uint64_t start_ms, bool tmp, char *buf, size_t len)
{
    uint64_t s = start_ms / 1000;
    int64_t y;
    unsigned mo, d;
    char out[FSN_FF_NAME_LEN];
    struct fsn_wr w = fsn_wr_make(out, sizeof out);
    unsigned v[6];
    const unsigned width[6] = {4, 2, 2, 2, 2, 2};

    civil_from_days((int64_t)(s / 86400), &y, &mo, &d);
    if (y > 9999)
        return FSN_E_RANGE;
    v[0] = (unsigned)y;
    v[1] = mo;
    v[2] = d;
    v[3] = (unsigned)(s % 86400 / 3600);
    v[4] = (unsigned)(s % 3600 / 60);
    v[5] = (unsigned)(s % 60);
    fsn_wr_bytes(&w, FSN_FF_PREFIX, strlen(FSN_FF_PREFIX));
    for (int i = 0; i < 6; i++) {
        char digits[4];
        unsigned x = v[i];
        for (unsigned k = width[i]; k-- > 0; x /= 10)
            digits[k] = (char)('0' + x % 10);
        fsn_wr_bytes(&w, digits, width[i]);
        if (i == 2)
            fsn_wr_u8(&w, '-');
    }
    fsn_wr_bytes(&w, FSN_FF_SUFFIX, strlen(FSN_FF_SUFFIX));
    if (tmp)
        fsn_wr_bytes(&w, FSN_FF_TMP_SUFFIX, strlen(FSN_FF_TMP_SUFFIX));
    fsn_wr_u8(&w, 0);
    if (w.overflow || fsn_wr_len(&w) > len)
        return FSN_E_SPACE;
    memcpy(buf, out, fsn_wr_len(&w));
    return 0;
}

/* ---- Builder ---- */

struct fsn_ff_builder {
    size_t cap;      /* payload bytes per block */
    uint8_t *buf;    /* block head + room for the largest exporter table + cap */
    uint8_t *rec;    /* where records start in buf */
    size_t rec_len;  /* record bytes in the open block */
    size_t dict_len; /* encoded exporter table, count byte included */
    uint32_t nrec;
    uint32_t nexp;
    uint32_t last; /* index + 1 of the exporter used last, 0 none */
    uint64_t prev_end;
    uint64_t min_end;
    uint64_t max_end;
    struct fsn_ff_trailer tot;
    uint16_t slot[SLOTS]; /* exporter hash: index + 1, 0 = empty */
    struct fsn_ff_exporter exp[FSN_FF_EXPORTERS_MAX];
};

static void block_reset(struct fsn_ff_builder *b)
{
    b->rec_len = 0;
    b->dict_len = 1;
    b->nrec = 0;
    b->nexp = 0;
    b->last = 0;
    b->prev_end = 0;
    b->min_end = UINT64_MAX;
    b->max_end = 0;
    memset(b->slot, 0, sizeof b->slot);
}

struct fsn_ff_builder *fsn_ff_builder_new(size_t block_bytes)
{
    struct fsn_ff_builder *b;

    if (block_bytes == 0)
        block_bytes = FSN_FF_BLOCK_DEFAULT;
    if (block_bytes < FSN_FF_BLOCK_MIN || block_bytes > FSN_FF_BLOCK_MAX)
        return NULL;
    if (!(b = calloc(1, sizeof *b)))
        return NULL;
    b->cap = block_bytes;
    if (!(b->buf = malloc(FSN_FF_BLOCK_HEAD_SIZE + DICT_MAX + block_bytes))) {
        free(b);
        return NULL;
    }
    b->rec = b->buf + FSN_FF_BLOCK_HEAD_SIZE + DICT_MAX;
    fsn_ff_builder_restart(b);
    return b;
}

void fsn_ff_builder_free(struct fsn_ff_builder *b)
{
    if (!b)
        return;
    free(b->buf);
    free(b);
}

void fsn_ff_builder_restart(struct fsn_ff_builder *b)
{
    block_reset(b);
    memset(&b->tot, 0, sizeof b->tot);
    b->tot.min_end_ms = UINT64_MAX;
}

uint32_t fsn_ff_builder_records(const struct fsn_ff_builder *b)
{
    return b->nrec;
}

static bool exp_eq(const struct fsn_ff_exporter *a, const struct fsn_ff_exporter *b)
{
    if (a->addr.family != b->addr.family || a->version != b->version || a->domain != b->domain)
        return false;
    if (a->addr.family == FSN_FAMILY_IPV4)
        return fsn_load32(a->addr.a) == fsn_load32(b->addr.a);
    return memcmp(a->addr.a, b->addr.a, fsn_family_addrlen(a->addr.family)) == 0;
}

static uint32_t exp_hash(const struct fsn_ff_exporter *x)
{
    uint32_t h = 2166136261u ^ x->addr.family ^ (uint32_t)x->version << 8;
    size_t n = fsn_family_addrlen(x->addr.family);

    for (size_t i = 0; i < n; i++)
        h = (h ^ x->addr.a[i]) * 16777619u;
    h = (h ^ x->domain) * 16777619u;
    return h ^ h >> 15;
}

/*
 * Finds the exporter in the open block's table. Returns its index, or
 * FSN_FF_EXPORTERS_MAX + slot position when absent (*slot gets the free slot).
 */
static uint32_t exp_find(const struct fsn_ff_builder *b, const struct fsn_ff_exporter *x,
                         uint32_t *slot)
{
    uint32_t i;

    /* Records come in runs from one exporter: no hashing for those. */
    if (b->last && exp_eq(&b->exp[b->last - 1], x))
        return b->last - 1;
    i = exp_hash(x) & (SLOTS - 1);
    /* At most 255 of 512 slots are used, so an empty slot always ends the probe. */
    while (b->slot[i]) {
        if (exp_eq(&b->exp[b->slot[i] - 1], x))
            return b->slot[i] - 1u;
        i = (i + 1) & (SLOTS - 1);
    }
    *slot = i;
    return UINT32_MAX;
}

static bool nexthop_set(const uint8_t *nh, uint8_t family)
{
    uint64_t x[2];

    if (family == FSN_FAMILY_IPV4)
        return fsn_load32(nh) != 0;
    memcpy(x, nh, 16);
    return (x[0] | x[1]) != 0;
}

/*
 * Encodes a record at p, which has room for RECORD_MAX bytes; returns the
 * byte after it. Written with plain stores rather than a checked cursor:
 * this runs for every record the collector receives, and the bound above
 * is checked once by the caller instead of per field. Each optional field
 * sets its descriptor bit where it is written (one test per field), and
 * the descriptor is stored in front at the end.
 */
static uint8_t *encode_record(uint8_t *p, const struct fsn_flow *f, uint32_t xi,
                              uint64_t prev_end)
{
    const struct fsn_flow_key *k = &f->key;
    size_t alen = fsn_family_addrlen(k->family);
    uint16_t d = k->family == FSN_FAMILY_IPV6 ? D_IPV6 : 0;
    uint8_t *start = p;

    p += 2;
    *p++ = (uint8_t)xi;
    if (alen == 4) {
        memcpy(p, k->src, 4);
        memcpy(p + 4, k->dst, 4);
    } else {
        memcpy(p, k->src, 16);
        memcpy(p + 16, k->dst, 16);
    }
    p += 2 * alen;
    *p++ = k->proto;
    p = put_varint(p, f->packets);
    p = put_varint(p, f->octets);
    p = put_varint(p, zigzag(f->last_ms - prev_end));
    p = put_varint(p, zigzag(f->last_ms - f->first_ms));
    if (k->sport) {
        d |= D_SPORT;
        p = put16(p, k->sport);
    }
    if (k->dport) {
        d |= D_DPORT;
        p = put16(p, k->dport);
    }
    if (f->tcp_flags) {
        d |= D_FLAGS;
        *p++ = f->tcp_flags;
    }
    if (k->tos) {
        d |= D_TOS;
        *p++ = k->tos;
    }
    if (k->vlan) {
        d |= D_VLAN;
        p = put_varint(p, k->vlan);
    }
    if (k->in_if) {
        d |= D_INIF;
        p = put_varint(p, k->in_if);
    }
    if (f->out_if) {
        d |= D_OUTIF;
        p = put_varint(p, f->out_if);
    }
    if (f->src_as | f->dst_as) {
        if (f->src_as) {
            d |= D_SRCAS;
            p = put_varint(p, f->src_as);
        }
        if (f->dst_as) {
            d |= D_DSTAS;
            p = put_varint(p, f->dst_as);
        }
    }
    if (f->sampling != 1) {
        d |= D_SAMPLING;
        p = put_varint(p, f->sampling);
    }
    if (nexthop_set(f->nexthop, k->family)) {
        d |= D_NEXTHOP;
        memcpy(p, f->nexthop, alen);
        p += alen;
    }
    if (f->src_mask | f->dst_mask) {
        d |= D_MASKS;
        *p++ = f->src_mask;
        *p++ = f->dst_mask;
    }
    if (f->end_reason) {
        d |= D_REASON;
        *p++ = f->end_reason;
    }
    put16(start, d);
    return p;
}

int fsn_ff_builder_add(struct fsn_ff_builder *b, const struct fsn_flow *f,
                       const struct fsn_ff_exporter *x)
{
    uint32_t slot = 0, xi;
    size_t dict_len = b->dict_len, room, len;
    struct fsn_ff_exporter nx;

    if (!fsn_family_addrlen(f->key.family) || !fsn_family_addrlen(x->addr.family))
        return FSN_E_RANGE;
    xi = exp_find(b, x, &slot);
    if (xi == UINT32_MAX) {
        if (b->nexp == FSN_FF_EXPORTERS_MAX)
            return FSN_E_SPACE;
        /* A normalised copy: address bytes past the family's length are zero. */
        memset(&nx, 0, sizeof nx);
        nx.addr.family = x->addr.family;
        memcpy(nx.addr.a, x->addr.a, fsn_family_addrlen(x->addr.family));
        nx.domain = x->domain;
        nx.version = x->version;
        xi = b->nexp;
        dict_len += EXP_ENTRY(fsn_family_addrlen(x->addr.family));
    }
    if (dict_len + b->rec_len >= b->cap)
        return FSN_E_SPACE;
    room = b->cap - dict_len - b->rec_len;
    if (room >= RECORD_MAX) {
        len = (size_t)(encode_record(b->rec + b->rec_len, f, xi, b->prev_end) -
                       (b->rec + b->rec_len));
    } else {
        /* Near the end of the block: encoded aside, kept only if it fits. */
        uint8_t tmp[RECORD_MAX];
        len = (size_t)(encode_record(tmp, f, xi, b->prev_end) - tmp);
        if (len > room)
            return FSN_E_SPACE;
        memcpy(b->rec + b->rec_len, tmp, len);
    }

    if (xi == b->nexp) {
        b->exp[b->nexp++] = nx;
        b->slot[slot] = (uint16_t)b->nexp;
        b->dict_len = dict_len;
    }
    b->last = xi + 1;
    b->rec_len += len;
    b->nrec++;
    b->prev_end = f->last_ms;
    if (f->last_ms < b->min_end)
        b->min_end = f->last_ms;
    if (f->last_ms > b->max_end)
        b->max_end = f->last_ms;
    return 0;
}

void fsn_ff_builder_finish(struct fsn_ff_builder *b, const uint8_t **data, size_t *len)
{
    uint8_t *dict = b->rec - b->dict_len;
    uint8_t *head = dict - FSN_FF_BLOCK_HEAD_SIZE;
    size_t payload = b->dict_len + b->rec_len;
    struct fsn_wr w = fsn_wr_make(dict, b->dict_len);

    if (b->nrec == 0) {
        *data = b->rec;
        *len = 0;
        block_reset(b);
        return;
    }
    fsn_wr_u8(&w, (uint8_t)b->nexp);
    for (uint32_t i = 0; i < b->nexp; i++) {
        const struct fsn_ff_exporter *x = &b->exp[i];
        fsn_wr_u8(&w, x->addr.family);
        fsn_wr_u8(&w, x->version);
        fsn_wr_u32(&w, x->domain);
        fsn_wr_bytes(&w, x->addr.a, fsn_family_addrlen(x->addr.family));
    }
    memcpy(head, BLOCK_MAGIC, 4);
    fsn_store32(head + 4, (uint32_t)payload);
    fsn_store32(head + 8, b->nrec);
    fsn_store32(head + 12, 0);
    store64(head + 16, b->min_end);
    store64(head + 24, b->max_end);
    fsn_store32(head + 32, fsn_crc32c(0, dict, payload));
    fsn_store32(head + 36, fsn_crc32c(0, head, FSN_FF_BLOCK_HEAD_SIZE - 4));

    b->tot.blocks++;
    b->tot.records += b->nrec;
    if (b->min_end < b->tot.min_end_ms)
        b->tot.min_end_ms = b->min_end;
    if (b->max_end > b->tot.max_end_ms)
        b->tot.max_end_ms = b->max_end;
    *data = head;
    *len = FSN_FF_BLOCK_HEAD_SIZE + payload;
    block_reset(b);
}

void fsn_ff_builder_trailer(const struct fsn_ff_builder *b, uint64_t closed_ms,
                            struct fsn_ff_trailer *t)
{
    *t = b->tot;
    if (t->records == 0)
        t->min_end_ms = t->max_end_ms = 0;
    t->closed_ms = closed_ms;
}

/* ---- Scanner ---- */

void fsn_ff_scan_init(struct fsn_ff_scan *s)
{
    memset(s, 0, sizeof *s);
    s->state = ST_HEADER;
}

static void give(struct fsn_ff_scan *s, struct fsn_ff_item *it, enum fsn_ff_kind kind, size_t used)
{
    it->kind = kind;
    it->used = used;
    s->offset += used;
    if (kind == FSN_FF_SKIP) {
        /* A damaged region handed over in several pieces counts once. */
        if (!s->in_skip)
            s->skips++;
        s->skipped += used;
        s->in_skip = true;
    } else if (kind != FSN_FF_NEED) {
        s->in_skip = false;
    }
}

static void need(struct fsn_ff_item *it, size_t n)
{
    it->kind = FSN_FF_NEED;
    it->need = n;
    it->used = 0;
}

/* An incomplete piece at the end of the file: the writer stopped in the middle. */
static void truncated(struct fsn_ff_scan *s, struct fsn_ff_item *it, size_t len)
{
    s->truncated += len;
    s->state = ST_DONE;
    give(s, it, FSN_FF_END, len);
}

/*
 * Skips damage: up to the next place where a block or trailer magic occurs
 * (whose header is then checked as usual). Keeps the last 3 bytes when more
 * input follows, in case a magic straddles the boundary.
 */
static void resync(struct fsn_ff_scan *s, const uint8_t *buf, size_t len, bool eof,
                   struct fsn_ff_item *it)
{
    size_t i = 1;

    while (i + 4 <= len) {
        const uint8_t *q = memchr(buf + i, 'F', len - 3 - i);
        if (!q)
            break;
        i = (size_t)(q - buf);
        if (memcmp(q, BLOCK_MAGIC, 4) == 0 || memcmp(q, TRAILER_MAGIC, 4) == 0) {
            give(s, it, FSN_FF_SKIP, i);
            return;
        }
        i++;
    }
    give(s, it, FSN_FF_SKIP, eof ? len : len - 3);
}

static int scan_header(struct fsn_ff_scan *s, const uint8_t *buf, size_t len, bool eof,
                       struct fsn_ff_item *it)
{
    size_t hlen;
    int ret = fsn_ff_header_decode(buf, len, &s->hdr, &hlen);

    if (ret == FSN_E_TRUNC && !eof) {
        need(it, hlen > len ? hlen : 12);
        return 0;
    }
    if (ret == FSN_E_TRUNC || ret == FSN_E_BADFILE) {
        /*
         * Our magic but a header that does not check out (a damaged length
         * or checksum): its times are unknown, but the blocks may be fine.
         * The decision waits for a full version-1 header, so that it does
         * not depend on how much of the file the caller offers.
         */
        if (len >= 4 && (memcmp(buf, BLOCK_MAGIC, 4) == 0 || memcmp(buf, TRAILER_MAGIC, 4) == 0)) {
            /*
             * No header at all, a block or the trailer first: a writer whose
             * header write failed (a full disk) and whose later writes did
             * not. Damaged, but what follows is read as usual.
             */
            memset(&s->hdr, 0, sizeof s->hdr);
            s->hdr.version = FSN_FF_VERSION;
            s->header_bad = s->no_header = true;
            s->state = ST_CHUNKS;
            give(s, it, FSN_FF_HEADER, 0);
            return 0;
        }
        if (len < 8 || memcmp(buf, FSN_FF_MAGIC, 8) != 0)
            return ret;
        if (len < FSN_FF_HEADER_SIZE) {
            if (eof)
                return FSN_E_TRUNC;
            need(it, FSN_FF_HEADER_SIZE);
            return 0;
        }
        memset(&s->hdr, 0, sizeof s->hdr);
        s->hdr.version = FSN_FF_VERSION;
        s->header_bad = true;
        hlen = FSN_FF_HEADER_SIZE;
    } else if (ret < 0) {
        return ret;
    }
    s->state = ST_CHUNKS;
    give(s, it, FSN_FF_HEADER, hlen);
    return 0;
}

int fsn_ff_scan_next(struct fsn_ff_scan *s, const uint8_t *buf, size_t len, bool eof,
                     struct fsn_ff_item *it)
{
    memset(it, 0, sizeof *it);
    if (s->state == ST_HEADER)
        return scan_header(s, buf, len, eof, it);
    if (s->state == ST_DONE) {
        if (s->have_trailer)
            s->trailing += len;
        give(s, it, FSN_FF_END, len);
        return 0;
    }
    if (len < 8) {
        if (!eof)
            need(it, 8);
        else if (len > 0)
            truncated(s, it, len);
        else {
            s->state = ST_DONE;
            give(s, it, FSN_FF_END, 0);
        }
        return 0;
    }
    if (memcmp(buf, BLOCK_MAGIC, 4) == 0) {
        struct fsn_ff_block_info bi;
        size_t total;
        if (len < FSN_FF_BLOCK_HEAD_SIZE) {
            if (eof)
                truncated(s, it, len);
            else
                need(it, FSN_FF_BLOCK_HEAD_SIZE);
            return 0;
        }
        if (block_head_decode(buf, len, &bi) != 0) {
            resync(s, buf, len, eof, it);
            return 0;
        }
        total = FSN_FF_BLOCK_HEAD_SIZE + (size_t)bi.payload_len;
        if (len < total) {
            if (eof)
                truncated(s, it, len);
            else
                need(it, total);
            return 0;
        }
        /*
         * Bytes lost or added inside a block leave its header intact but put
         * the next block elsewhere. So unless a magic (or the end of the
         * file) follows, the payload must pass its CRC here, or the scanner
         * looks for the next block from inside this one.
         */
        if (len < total + 4 && !eof) {
            need(it, total + 4);
            return 0;
        }
        if (!(len == total || (len >= total + 4 && (memcmp(buf + total, BLOCK_MAGIC, 4) == 0 ||
                                                    memcmp(buf + total, TRAILER_MAGIC, 4) == 0))) &&
            fsn_crc32c(0, buf + FSN_FF_BLOCK_HEAD_SIZE, bi.payload_len) != bi.payload_crc) {
            resync(s, buf, len, eof, it);
            return 0;
        }
        it->block = buf;
        it->block_len = total;
        it->info = bi;
        s->blocks++;
        give(s, it, FSN_FF_BLOCK, total);
        return 0;
    }
    if (memcmp(buf, TRAILER_MAGIC, 4) == 0 && trailer_len_ok(fsn_load32(buf + 4))) {
        size_t tlen = fsn_load32(buf + 4);
        if (len < tlen) {
            if (eof)
                truncated(s, it, len);
            else
                need(it, tlen);
            return 0;
        }
        if (fsn_ff_trailer_decode(buf, len, &s->trailer) == 0) {
            s->have_trailer = true;
            s->state = ST_DONE;
            give(s, it, FSN_FF_TRAILER, tlen);
            return 0;
        }
    }
    resync(s, buf, len, eof, it);
    return 0;
}

/* ---- Block decoding ---- */

int fsn_ff_iter_open(struct fsn_ff_iter *it, const uint8_t *block, size_t len)
{
    struct fsn_rd r;
    uint8_t n;
    int ret = block_head_decode(block, len, &it->info);

    if (ret == FSN_E_MALFORMED || ret == FSN_E_TRUNC)
        return ret;
    if (ret < 0)
        return FSN_E_BADFILE;
    if (len - FSN_FF_BLOCK_HEAD_SIZE < it->info.payload_len)
        return FSN_E_TRUNC;
    r = fsn_rd_make(block + FSN_FF_BLOCK_HEAD_SIZE, it->info.payload_len);
    if (fsn_crc32c(0, r.p, it->info.payload_len) != it->info.payload_crc)
        return FSN_E_BADFILE;
    if (!fsn_rd_u8(&r, &n) || (n == 0 && it->info.records > 0))
        return FSN_E_MALFORMED;
    it->nexp = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct fsn_ff_exporter *x = &it->exp[i];
        uint8_t fam, ver;
        uint32_t dom;
        memset(x, 0, sizeof *x);
        if (!fsn_rd_u8(&r, &fam) || !fsn_rd_u8(&r, &ver) || !fsn_rd_u32(&r, &dom) ||
            !fsn_family_addrlen(fam) || !fsn_rd_bytes(&r, x->addr.a, fsn_family_addrlen(fam)))
            return FSN_E_MALFORMED;
        x->addr.family = fam;
        x->version = ver;
        x->domain = dom;
    }
    if (it->info.records > fsn_rd_left(&r) / RECORD_MIN)
        return FSN_E_MALFORMED;
    it->nexp = n;
    it->p = r.p;
    it->end = r.end;
    it->left = it->info.records;
    it->prev_end = 0;
    return 0;
}

int fsn_ff_iter_next(struct fsn_ff_iter *it, struct fsn_flow *f, const struct fsn_ff_exporter **x)
{
    struct fsn_rd r = {it->p, it->end};
    struct fsn_flow_key *k = &f->key;
    uint16_t d;
    uint8_t xi;
    size_t alen;
    uint64_t dend, dur, v;

    if (it->left == 0) {
        if (it->p != it->end) {
            it->p = it->end; /* bytes beyond the declared records */
            return FSN_E_MALFORMED;
        }
        return 0;
    }
    memset(f, 0, sizeof *f);
    if (!fsn_rd_u16(&r, &d) || !fsn_rd_u8(&r, &xi) || (d & D_RESERVED) || xi >= it->nexp)
        goto bad;
    k->family = (d & D_IPV6) ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
    alen = fsn_family_addrlen(k->family);
    if (!fsn_rd_bytes(&r, k->src, alen) || !fsn_rd_bytes(&r, k->dst, alen) ||
        !fsn_rd_u8(&r, &k->proto) || !rd_varint(&r, &f->packets) || !rd_varint(&r, &f->octets) ||
        !rd_varint(&r, &dend) || !rd_varint(&r, &dur))
        goto bad;
    f->last_ms = it->prev_end + unzigzag(dend);
    f->first_ms = f->last_ms - unzigzag(dur);
    /* The header's range is what readers use to skip blocks: hold the records to it. */
    if (f->last_ms < it->info.min_end_ms || f->last_ms > it->info.max_end_ms)
        goto bad;
    if ((d & D_SPORT) && !fsn_rd_u16(&r, &k->sport))
        goto bad;
    if ((d & D_DPORT) && !fsn_rd_u16(&r, &k->dport))
        goto bad;
    if ((d & D_FLAGS) && !fsn_rd_u8(&r, &f->tcp_flags))
        goto bad;
    if ((d & D_TOS) && !fsn_rd_u8(&r, &k->tos))
        goto bad;
    if (d & D_VLAN) {
        if (!rd_varint(&r, &v) || v > UINT16_MAX)
            goto bad;
        k->vlan = (uint16_t)v;
    }
    if ((d & D_INIF) && !rd_varint32(&r, &k->in_if))
        goto bad;
    if ((d & D_OUTIF) && !rd_varint32(&r, &f->out_if))
        goto bad;
    if ((d & D_SRCAS) && !rd_varint32(&r, &f->src_as))
        goto bad;
    if ((d & D_DSTAS) && !rd_varint32(&r, &f->dst_as))
        goto bad;
    f->sampling = 1;
    if ((d & D_SAMPLING) && !rd_varint32(&r, &f->sampling))
        goto bad;
    if ((d & D_NEXTHOP) && !fsn_rd_bytes(&r, f->nexthop, alen))
        goto bad;
    if ((d & D_MASKS) && (!fsn_rd_u8(&r, &f->src_mask) || !fsn_rd_u8(&r, &f->dst_mask)))
        goto bad;
    if ((d & D_REASON) && !fsn_rd_u8(&r, &f->end_reason))
        goto bad;
    it->p = r.p;
    it->left--;
    it->prev_end = f->last_ms;
    *x = &it->exp[xi];
    return 1;
bad:
    it->left = 0;
    it->p = it->end;
    return FSN_E_MALFORMED;
}
