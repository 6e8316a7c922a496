/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/crc32c and lib/flowfile: checksum vectors, header and
 * trailer, file names, a round trip of random records (IPv4 and IPv6, every
 * field, extreme values), a file cut at every offset, and damaged blocks.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/crc32c.h"
#include "lib/error.h"
#include "lib/flowfile.h"
#include "tests/tap.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

/* A value that is often 0 or an extreme, else random with a random width. */
static uint64_t rnd_val(void)
{
    switch (rnd() % 8) {
    case 0:
        return 0;
    case 1:
        return UINT64_MAX;
    case 2:
        return 1;
    default:
        return rnd() >> (rnd() % 64);
    }
}

static void rnd_flow(struct fsn_flow *f, uint64_t *clock)
{
    size_t alen;

    memset(f, 0, sizeof *f);
    f->key.family = rnd() % 3 ? FSN_FAMILY_IPV4 : FSN_FAMILY_IPV6;
    alen = fsn_family_addrlen(f->key.family);
    for (size_t i = 0; i < alen; i++) {
        f->key.src[i] = (uint8_t)rnd();
        f->key.dst[i] = (uint8_t)rnd();
        if (rnd() % 2)
            f->nexthop[i] = (uint8_t)rnd();
    }
    f->key.sport = (uint16_t)rnd_val();
    f->key.dport = (uint16_t)rnd_val();
    f->key.vlan = (uint16_t)rnd_val();
    f->key.proto = (uint8_t)rnd_val();
    f->key.tos = (uint8_t)rnd_val();
    f->key.in_if = (uint32_t)rnd_val();
    f->packets = rnd_val();
    f->octets = rnd_val();
    /* Mostly a clock that moves forward a little, sometimes anything at all. */
    if (rnd() % 10 == 0) {
        f->last_ms = rnd_val();
        f->first_ms = rnd_val();
    } else {
        *clock += rnd() % 3000;
        f->last_ms = *clock - rnd() % 5000;
        f->first_ms = f->last_ms - rnd() % 600000;
    }
    f->out_if = (uint32_t)rnd_val();
    f->src_as = (uint32_t)rnd_val();
    f->dst_as = (uint32_t)rnd_val();
    f->sampling = rnd() % 2 ? 1 : (uint32_t)rnd_val();
    f->tcp_flags = (uint8_t)rnd_val();
    f->src_mask = (uint8_t)rnd_val();
    f->dst_mask = (uint8_t)rnd_val();
    f->end_reason = (uint8_t)rnd_val();
}

static void rnd_exporter(struct fsn_ff_exporter *x, unsigned i)
{
    memset(x, 0, sizeof *x);
    x->addr.family = i % 4 == 3 ? FSN_FAMILY_IPV6 : FSN_FAMILY_IPV4;
    x->addr.a[0] = (uint8_t)(i >> 8);
    x->addr.a[1] = (uint8_t)i;
    x->addr.a[3] = 7;
    if (x->addr.family == FSN_FAMILY_IPV6)
        x->addr.a[15] = 9;
    x->domain = i * 2654435761u;
    x->version = (uint8_t)(i % 3 == 0 ? 5 : i % 3 == 1 ? 9 : 10);
}

static bool exp_same(const struct fsn_ff_exporter *a, const struct fsn_ff_exporter *b)
{
    return a->addr.family == b->addr.family && a->domain == b->domain && a->version == b->version &&
           memcmp(a->addr.a, b->addr.a, 16) == 0;
}

/* A file built in memory, with the writer's own account of where each block is. */
struct file {
    uint8_t *buf;
    size_t len;
    size_t nblocks;
    size_t boff[4096]; /* block start offsets */
    size_t bend[4096]; /* block end offsets */
    uint32_t bnrec[4096];
    size_t bfirst[4096]; /* index of the block's first record */
    size_t nflows;
    struct fsn_flow *flows;
    struct fsn_ff_exporter *exps;
};

static void put(struct file *F, const void *p, size_t n)
{
    F->buf = realloc(F->buf, F->len + n);
    memcpy(F->buf + F->len, p, n);
    F->len += n;
}

static void flush_block(struct file *F, struct fsn_ff_builder *b, size_t next_index)
{
    const uint8_t *data;
    size_t len;
    uint32_t n = fsn_ff_builder_records(b);

    fsn_ff_builder_finish(b, &data, &len);
    if (!len)
        return;
    F->boff[F->nblocks] = F->len;
    F->bnrec[F->nblocks] = n;
    F->bfirst[F->nblocks] = next_index - n;
    put(F, data, len);
    F->bend[F->nblocks] = F->len;
    F->nblocks++;
}

/* Builds a file of n random records over `nexp` exporters, with blocks of `cap` bytes. */
static void build(struct file *F, size_t n, unsigned nexp, size_t cap, bool trailer)
{
    struct fsn_ff_builder *b = fsn_ff_builder_new(cap);
    struct fsn_ff_header h = {
        .created_ms = 1700000000123ULL, .start_ms = 1700000000000ULL, .end_ms = 1700000300000ULL};
    uint8_t hb[FSN_FF_HEADER_SIZE], tb[FSN_FF_TRAILER_SIZE];
    uint64_t clock = 1700000000000ULL;
    struct fsn_ff_trailer t;

    memset(F, 0, sizeof *F);
    F->flows = calloc(n, sizeof *F->flows);
    F->exps = calloc(n, sizeof *F->exps);
    F->nflows = n;
    fsn_ff_header_encode(&h, hb);
    put(F, hb, sizeof hb);
    for (size_t i = 0; i < n; i++) {
        int ret;
        rnd_flow(&F->flows[i], &clock);
        rnd_exporter(&F->exps[i], (unsigned)(rnd() % nexp));
        if ((ret = fsn_ff_builder_add(b, &F->flows[i], &F->exps[i])) == FSN_E_SPACE) {
            flush_block(F, b, i);
            ret = fsn_ff_builder_add(b, &F->flows[i], &F->exps[i]);
        }
        if (ret != 0) {
            ok(0, "builder_add record %zu: %s", i, fsn_strerror(ret));
            break;
        }
    }
    flush_block(F, b, n);
    fsn_ff_builder_trailer(b, 1700000300456ULL, &t);
    fsn_ff_trailer_encode(&t, tb);
    if (trailer)
        put(F, tb, sizeof tb);
    fsn_ff_builder_free(b);
}

static void file_free(struct file *F)
{
    free(F->buf);
    free(F->flows);
    free(F->exps);
}

/* What a reader got out of a file. */
struct result {
    int err;           /* fatal scanner error */
    size_t records;    /* records decoded */
    size_t mismatches; /* records that differ from what the writer put */
    size_t bad_blocks; /* blocks whose checksum or content failed */
    size_t blocks;     /* blocks decoded without error */
    struct fsn_ff_scan s;
    bool got_header;
};

/*
 * Reads a file the way flowreport does, offering the scanner at most `step`
 * new bytes at a time (0 = the whole input at once). Records are compared
 * with the writer's, in order, skipping over blocks the reader lost; a block
 * is matched to the writer's by its header (which holds the payload's CRC).
 */
static void read_file(const struct file *F, const uint8_t *buf, size_t len, size_t step,
                      struct result *R)
{
    size_t pos = 0, have = step ? (len < step ? len : step) : len;
    struct fsn_ff_iter *it = malloc(sizeof *it);

    memset(R, 0, sizeof *R);
    fsn_ff_scan_init(&R->s);
    for (int guard = 0; guard < 1000000; guard++) {
        struct fsn_ff_item item;
        int ret = fsn_ff_scan_next(&R->s, buf + pos, have, pos + have == len, &item);
        if (ret < 0) {
            R->err = ret;
            break;
        }
        if (item.kind == FSN_FF_END)
            break;
        if (item.kind == FSN_FF_NEED) {
            size_t want = item.need > have + step ? item.need : have + step;
            if (pos + have == len || item.need <= have) {
                ok(0, "NEED %zu with %zu bytes at eof=%d", item.need, have, pos + have == len);
                break;
            }
            have = want < len - pos ? want : len - pos;
            continue;
        }
        if (item.kind == FSN_FF_HEADER)
            R->got_header = true;
        if (item.kind == FSN_FF_BLOCK) {
            size_t bi = F->nblocks, k = 0;
            struct fsn_flow f;
            const struct fsn_ff_exporter *x;
            for (size_t j = 0; j < F->nblocks; j++)
                if (memcmp(F->buf + F->boff[j], item.block, FSN_FF_BLOCK_HEAD_SIZE) == 0)
                    bi = j;
            if (fsn_ff_iter_open(it, item.block, item.block_len) != 0) {
                R->bad_blocks++;
            } else {
                int r;
                while ((r = fsn_ff_iter_next(it, &f, &x)) == 1) {
                    size_t idx = bi < F->nblocks ? F->bfirst[bi] + k : SIZE_MAX;
                    if (idx >= F->nflows || memcmp(&f, &F->flows[idx], sizeof f) != 0 ||
                        !exp_same(x, &F->exps[idx]))
                        R->mismatches++;
                    R->records++;
                    k++;
                }
                if (r < 0)
                    R->bad_blocks++;
                else
                    R->blocks++;
            }
        }
        pos += item.used;
        have -= item.used;
        if (step && have < step)
            have = len - pos < step ? len - pos : step;
    }
    free(it);
}

static void test_crc(void)
{
    uint8_t b[32], big[1000];

    is_uint(fsn_crc32c(0, "123456789", 9), 0xE3069283u, "crc32c check value");
    /* RFC 3720 appendix B.4 vectors (the RFC lists the CRC bytes least significant first). */
    memset(b, 0, sizeof b);
    is_uint(fsn_crc32c(0, b, 32), 0x8A9136AAu, "crc32c of 32 zero bytes");
    memset(b, 0xff, sizeof b);
    is_uint(fsn_crc32c(0, b, 32), 0x62A8AB43u, "crc32c of 32 0xff bytes");
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    is_uint(fsn_crc32c(0, b, 32), 0x46DD794Eu, "crc32c of 0..31");
    is_uint(fsn__crc32c_sw(0, b, 32), 0x46DD794Eu, "table crc32c of 0..31");
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)rnd();
    int same = 1;
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off <= sizeof big; n += 37)
            same &= fsn_crc32c(0, big + off, n) == fsn__crc32c_sw(0, big + off, n);
    ok(same, "hardware and table crc32c agree on every length and alignment");
    is_uint(fsn_crc32c(fsn_crc32c(0, big, 333), big + 333, 667), fsn_crc32c(0, big, 1000),
            "crc32c continues across pieces");
}

static void test_header(void)
{
    struct fsn_ff_header h = {.created_ms = 1,
                              .start_ms = 0x0102030405060708ULL,
                              .end_ms = UINT64_MAX,
                              .flags = 0x80000001u},
                         g;
    struct fsn_ff_trailer t = {.blocks = 3,
                               .records = 4,
                               .min_end_ms = 5,
                               .max_end_ms = 6,
                               .closed_ms = 7,
                               .lost = 8,
                               .flags = 9},
                          u;
    uint8_t hb[FSN_FF_HEADER_SIZE], tb[FSN_FF_TRAILER_SIZE];
    size_t hlen;

    fsn_ff_header_encode(&h, hb);
    ok(memcmp(hb, "FSNFLOW\n", 8) == 0, "header starts with the magic");
    is_int(fsn_ff_header_decode(hb, sizeof hb, &g, &hlen), 0, "header decodes");
    ok(g.created_ms == 1 && g.start_ms == h.start_ms && g.end_ms == UINT64_MAX &&
           g.flags == h.flags && g.version == FSN_FF_VERSION && hlen == 64,
       "header round trip");
    is_int(fsn_ff_header_decode(hb, 63, &g, &hlen), FSN_E_TRUNC, "short header: TRUNC");
    is_int(fsn_ff_header_decode((const uint8_t *)"GIF89a", 6, &g, &hlen), FSN_E_BADFILE,
           "other file: BADFILE");
    hb[30] ^= 4;
    is_int(fsn_ff_header_decode(hb, sizeof hb, &g, &hlen), FSN_E_BADFILE, "flipped bit: BADFILE");
    hb[30] ^= 4;
    hb[9] = 2;
    is_int(fsn_ff_header_decode(hb, sizeof hb, &g, &hlen), FSN_E_BADVER, "version 2: BADVER");

    fsn_ff_trailer_encode(&t, tb);
    is_int(fsn_ff_trailer_decode(tb, sizeof tb, &u), 0, "trailer decodes");
    ok(u.blocks == 3 && u.records == 4 && u.min_end_ms == 5 && u.max_end_ms == 6 &&
           u.closed_ms == 7 && u.lost == 8 && u.flags == 9,
       "trailer round trip");
    tb[20] ^= 1;
    is_int(fsn_ff_trailer_decode(tb, sizeof tb, &u), FSN_E_BADFILE, "damaged trailer");
}

static void test_filename(void)
{
    char name[FSN_FF_NAME_LEN];

    /* Expected names from date(1): date -u -d @SECONDS +%Y%m%d-%H%M%S */
    fsn_ff_filename(1704164645123ULL, false, name, sizeof name);
    is_str(name, "flows-20240102-030405.fsn", "file name");
    fsn_ff_filename(1709208000000ULL, true, name, sizeof name);
    is_str(name, "flows-20240229-120000.fsn.tmp", "temporary file name, leap day");
    fsn_ff_filename(0, false, name, sizeof name);
    is_str(name, "flows-19700101-000000.fsn", "epoch");
    fsn_ff_filename(253402300799000ULL, false, name, sizeof name);
    is_str(name, "flows-99991231-235959.fsn", "last second of year 9999");
    is_int(fsn_ff_filename(0, true, name, 20), FSN_E_SPACE, "short buffer: SPACE");
}

static void test_builder_limits(void)
{
    struct fsn_ff_builder *b = fsn_ff_builder_new(FSN_FF_BLOCK_MIN);
    struct fsn_flow f;
    struct fsn_ff_exporter x;
    const uint8_t *data;
    size_t len, n = 0;
    uint64_t clock = 1000;
    int ret;

    ok(fsn_ff_builder_new(100) == NULL, "block size below the minimum refused");
    ok(fsn_ff_builder_new(FSN_FF_BLOCK_MAX + 1) == NULL, "block size above the maximum refused");
    rnd_flow(&f, &clock);
    rnd_exporter(&x, 1);
    fsn_ff_builder_finish(b, &data, &len);
    is_uint(len, 0, "empty block gives no bytes");
    while ((ret = fsn_ff_builder_add(b, &f, &x)) == 0 && n < 10000)
        n++;
    is_int(ret, FSN_E_SPACE, "full block says SPACE");
    is_uint(fsn_ff_builder_records(b), n, "the refused record was not added");
    fsn_ff_builder_finish(b, &data, &len);
    ok(len <= FSN_FF_BLOCK_HEAD_SIZE + FSN_FF_BLOCK_MIN && len > FSN_FF_BLOCK_MIN / 2,
       "block of %zu bytes fits its size", len);
    f.key.family = 5;
    is_int(fsn_ff_builder_add(b, &f, &x), FSN_E_RANGE, "unknown flow family: RANGE");
    f.key.family = FSN_FAMILY_IPV4;
    x.addr.family = 0;
    is_int(fsn_ff_builder_add(b, &f, &x), FSN_E_RANGE, "unknown exporter family: RANGE");
    fsn_ff_builder_free(b);

    /* The 256th distinct exporter of a block needs a new block. */
    b = fsn_ff_builder_new(FSN_FF_BLOCK_MAX);
    memset(&f, 0, sizeof f);
    f.key.family = FSN_FAMILY_IPV4;
    for (unsigned i = 0; i < FSN_FF_EXPORTERS_MAX; i++) {
        rnd_exporter(&x, i);
        ret = fsn_ff_builder_add(b, &f, &x);
        if (ret)
            break;
    }
    is_int(ret, 0, "255 exporters fit one block");
    rnd_exporter(&x, 3);
    is_int(fsn_ff_builder_add(b, &f, &x), 0, "a known exporter still fits");
    rnd_exporter(&x, 1000);
    is_int(fsn_ff_builder_add(b, &f, &x), FSN_E_SPACE, "the 256th exporter: SPACE");
    fsn_ff_builder_free(b);
    fsn_ff_builder_free(NULL);
}

static void test_round_trip(void)
{
    static struct file F;
    struct result R;
    const size_t n = 30000;

    build(&F, n, 300, 8192, true);
    diag("%zu random records in %zu blocks, %zu bytes: %.1f bytes/record", n, F.nblocks, F.len,
         (double)F.len / (double)n);
    read_file(&F, F.buf, F.len, 0, &R);
    is_int(R.err, 0, "file scans");
    ok(R.got_header, "header seen");
    ok(R.s.have_trailer, "trailer seen");
    is_uint(R.records, n, "every record read back");
    is_uint(R.mismatches, 0, "every field of every record (and its exporter) equal");
    is_uint(R.blocks, F.nblocks, "every block read");
    is_uint(R.bad_blocks + R.s.skips + R.s.truncated + R.s.trailing, 0, "no damage reported");
    is_uint(R.s.trailer.records, n, "trailer counts the records");
    is_uint(R.s.trailer.blocks, F.nblocks, "trailer counts the blocks");
    is_uint(R.s.hdr.start_ms, 1700000000000ULL, "header interval start read");

    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < n; i++) {
        lo = F.flows[i].last_ms < lo ? F.flows[i].last_ms : lo;
        hi = F.flows[i].last_ms > hi ? F.flows[i].last_ms : hi;
    }
    ok(R.s.trailer.min_end_ms == lo && R.s.trailer.max_end_ms == hi, "trailer end-time range");

    read_file(&F, F.buf, F.len, 1000, &R);
    ok(R.records == n && R.mismatches == 0 && R.s.have_trailer,
       "streamed 1000 bytes at a time: same records");
    read_file(&F, F.buf, F.len, 7, &R);
    ok(R.records == n && R.mismatches == 0 && R.s.have_trailer,
       "streamed 7 bytes at a time: same records");
    file_free(&F);
}

static void test_truncation(void)
{
    static struct file F;
    struct result R;
    size_t bad = 0;

    build(&F, 80, 3, FSN_FF_BLOCK_MIN, true);
    ok(F.nblocks >= 4, "small file has %zu blocks", F.nblocks);
    for (size_t cut = 0; cut <= F.len; cut++) {
        size_t want = 0, last_end = FSN_FF_HEADER_SIZE;
        for (size_t j = 0; j < F.nblocks; j++)
            if (F.bend[j] <= cut) {
                want += F.bnrec[j];
                last_end = F.bend[j];
            }
        read_file(&F, F.buf, cut, 0, &R);
        if (cut < FSN_FF_HEADER_SIZE) {
            bad += R.err != FSN_E_TRUNC;
            continue;
        }
        bool full = cut == F.len;
        bool tail_ok = full ? R.s.truncated == 0 : R.s.truncated == cut - last_end;
        if (R.err || R.records != want || R.mismatches || R.bad_blocks || R.s.skips ||
            R.s.have_trailer != full || !tail_ok) {
            if (bad++ < 5)
                diag("cut at %zu: %zu records (want %zu), truncated %ju", cut, R.records, want,
                     (uintmax_t)R.s.truncated);
        }
    }
    is_uint(bad, 0,
            "cut at each of %zu offsets: every complete block read, the rest "
            "reported truncated",
            F.len + 1);
    file_free(&F);
}

static void test_damage(void)
{
    static struct file F;
    struct result R;
    uint8_t *copy;
    size_t k;

    build(&F, 200, 4, 1024, true);
    copy = malloc(F.len + 100);
    k = F.nblocks / 2;

    /* A flipped bit in a payload: the block fails its CRC, the others are read. */
    memcpy(copy, F.buf, F.len);
    copy[F.boff[k] + FSN_FF_BLOCK_HEAD_SIZE + 30] ^= 0x10;
    read_file(&F, copy, F.len, 0, &R);
    ok(R.err == 0 && R.bad_blocks == 1 && R.records == F.nflows - F.bnrec[k] && R.mismatches == 0 &&
           R.s.have_trailer,
       "payload damage: one bad block, %zu of %zu records read", R.records, F.nflows);

    /* A flipped bit in a block header: skipped up to the next block. */
    memcpy(copy, F.buf, F.len);
    copy[F.boff[k] + 9] ^= 0x01;
    read_file(&F, copy, F.len, 0, &R);
    ok(R.err == 0 && R.s.skips == 1 && R.s.skipped == F.bend[k] - F.boff[k] &&
           R.records == F.nflows - F.bnrec[k] && R.mismatches == 0 && R.s.have_trailer,
       "block header damage: one region of %ju bytes skipped", (uintmax_t)R.s.skipped);

    /* Garbage inserted between two blocks (streamed, so the skip spans reads). */
    memcpy(copy, F.buf, F.boff[k]);
    for (size_t i = 0; i < 100; i++)
        copy[F.boff[k] + i] = (uint8_t)(i % 3 ? 'F' : rnd());
    memcpy(copy + F.boff[k] + 100, F.buf + F.boff[k], F.len - F.boff[k]);
    read_file(&F, copy, F.len + 100, 13, &R);
    ok(R.err == 0 && R.s.skips == 1 && R.s.skipped == 100 && R.records == F.nflows &&
           R.s.have_trailer,
       "inserted garbage: skipped as one region, every record read");

    /* Bytes lost from the middle of a block: that block is lost, not the rest. */
    memcpy(copy, F.buf, F.boff[k] + 50);
    memcpy(copy + F.boff[k] + 50, F.buf + F.boff[k] + 60, F.len - F.boff[k] - 60);
    read_file(&F, copy, F.len - 10, 0, &R);
    ok(R.err == 0 && R.records == F.nflows - F.bnrec[k] && R.mismatches == 0 && R.s.have_trailer &&
           R.s.skips == 1 && R.bad_blocks == 0,
       "10 bytes cut out of a block: that block skipped, the others read");

    /* A damaged file header: the blocks are still read. */
    memcpy(copy, F.buf, F.len);
    copy[20] ^= 0xff;
    read_file(&F, copy, F.len, 0, &R);
    ok(R.err == 0 && R.s.header_bad && R.records == F.nflows, "damaged file header: "
                                                              "blocks still read");

    /* No header at all (its write failed on a full disk): the blocks are still read. */
    read_file(&F, F.buf + FSN_FF_HEADER_SIZE, F.len - FSN_FF_HEADER_SIZE, 0, &R);
    ok(R.err == 0 && R.s.header_bad && R.s.no_header && R.records == F.nflows &&
           R.mismatches == 0 && R.s.have_trailer && R.s.skips == 0,
       "no file header: reported, every block and the trailer read");
    read_file(&F, F.buf + FSN_FF_HEADER_SIZE, F.len - FSN_FF_HEADER_SIZE, 3, &R);
    ok(R.err == 0 && R.s.no_header && R.records == F.nflows && R.s.have_trailer,
       "no file header, streamed 3 bytes at a time: the same");
    read_file(&F, F.buf + F.len - FSN_FF_TRAILER_SIZE, FSN_FF_TRAILER_SIZE, 0, &R);
    ok(R.err == 0 && R.s.no_header && R.records == 0 && R.s.have_trailer,
       "only a trailer: no header reported, the trailer read");

    /* Not a flow file at all. */
    memset(copy, 'x', 200);
    read_file(&F, copy, 200, 0, &R);
    is_int(R.err, FSN_E_BADFILE, "other file: BADFILE");

    /* A damaged trailer: all records read, the file reported as not closed. */
    memcpy(copy, F.buf, F.len);
    copy[F.len - 10] ^= 1;
    read_file(&F, copy, F.len, 0, &R);
    ok(R.records == F.nflows && !R.s.have_trailer && R.s.skips == 1,
       "damaged trailer: records read, no trailer");
    free(copy);
    file_free(&F);
}

/* Bytes per record for typical flows, printed for the docs (asserting a sane bound). */
static void test_size(void)
{
    struct fsn_ff_builder *b = fsn_ff_builder_new(0);
    struct fsn_ff_exporter x;
    struct fsn_flow f;
    const uint8_t *data;
    size_t len;
    uint64_t t = 1700000000000ULL;
    int fam;

    rnd_exporter(&x, 1);
    for (fam = 4; fam <= 6; fam += 2) {
        uint32_t n = 0;
        while (1) {
            memset(&f, 0, sizeof f);
            f.key.family = (uint8_t)fam;
            for (int i = 0; i < (fam == 4 ? 4 : 16); i++) {
                f.key.src[i] = (uint8_t)rnd();
                f.key.dst[i] = (uint8_t)rnd();
            }
            f.key.proto = rnd() % 4 ? FSN_PROTO_TCP : FSN_PROTO_UDP;
            f.key.sport = (uint16_t)(1024 + rnd() % 60000);
            f.key.dport = rnd() % 2 ? 443 : 53;
            f.key.in_if = 1 + (uint32_t)(rnd() % 4);
            f.out_if = 2;
            f.packets = 1 + rnd() % 200;
            f.octets = f.packets * (40 + rnd() % 1400);
            t += rnd() % 20;
            f.last_ms = t;
            f.first_ms = t - rnd() % 60000;
            f.tcp_flags = f.key.proto == FSN_PROTO_TCP ? 0x1b : 0;
            f.end_reason = FSN_END_IDLE;
            f.sampling = 1;
            if (fsn_ff_builder_add(b, &f, &x) != 0)
                break;
            n++;
        }
        fsn_ff_builder_finish(b, &data, &len);
        diag("typical IPv%d flows: %u in a 64 KiB block, %.1f bytes/record", fam, n,
             (double)len / n);
        ok((double)len / n < (fam == 4 ? 32.0 : 56.0), "IPv%d record size %.1f bytes", fam,
           (double)len / n);
    }
    fsn_ff_builder_free(b);
}

int main(void)
{
    test_crc();
    test_header();
    test_filename();
    test_builder_limits();
    test_round_trip();
    test_truncation();
    test_damage();
    test_size();
    return tap_done();
}
