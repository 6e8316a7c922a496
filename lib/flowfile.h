/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow files: the collector's storage format (docs/flow-files.md).
 *
 * A file is a 64-byte header, then blocks of records, then a 64-byte
 * trailer written when the writer closes the file cleanly:
 *
 *   header | block | block | ... | block | trailer
 *
 * Each block carries its own checksummed header (record count, payload
 * length, range of record end times) and a CRC-32C of its payload, so a
 * reader checks every block on its own, skips a damaged one and goes on,
 * and reads a file whose writer died up to its last complete block. The
 * header is never patched after it is written: totals live in the trailer,
 * and a file without a trailer simply was not closed.
 *
 * Records are varint-coded (about 30 bytes for a typical IPv4 flow);
 * exporters are stored once per block in a small table that records index.
 *
 * This module is pure: it makes and checks bytes; the caller does all I/O.
 * Writer: fsn_ff_header_encode(), then fsn_ff_builder_add() until it says
 * FSN_E_SPACE, fsn_ff_builder_finish() to get the block's bytes, and at
 * close fsn_ff_builder_trailer() + fsn_ff_trailer_encode(). Reader:
 * fsn_ff_scan_next() over the file's bytes yields the header, each block,
 * damaged regions and the trailer; fsn_ff_iter_open()/fsn_ff_iter_next()
 * decode the records of one block.
 */
#ifndef FSN_FLOWFILE_H
#define FSN_FLOWFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/flow.h"

#define FSN_FF_MAGIC "FSNFLOW\n" /* 8 bytes, no NUL */
#define FSN_FF_VERSION 1
#define FSN_FF_HEADER_SIZE 64 /* the version-1 header; readers accept longer ones */
#define FSN_FF_HEADER_MAX 4096
#define FSN_FF_BLOCK_HEAD_SIZE 40 /* block header, before the payload */
#define FSN_FF_TRAILER_SIZE 64

#define FSN_FF_BLOCK_DEFAULT 65536u /* payload bytes per block the collector should use */
#define FSN_FF_BLOCK_MIN 512u
#define FSN_FF_BLOCK_MAX (4u << 20)
/* The largest piece fsn_ff_scan_next() may ask to see at once (a block and the next magic). */
#define FSN_FF_CHUNK_MAX (FSN_FF_BLOCK_HEAD_SIZE + FSN_FF_BLOCK_MAX + 4)
#define FSN_FF_EXPORTERS_MAX 255 /* distinct exporters in one block */
#define FSN_FF_RECORD_MAX 160    /* upper bound of one encoded record */

/* File names: a complete file is "flows-YYYYMMDD-HHMMSS.fsn" (interval start, UTC). */
#define FSN_FF_PREFIX "flows-"
#define FSN_FF_SUFFIX ".fsn"
#define FSN_FF_TMP_SUFFIX ".tmp" /* appended while the file is written */
#define FSN_FF_NAME_LEN 32       /* enough for a name with the temporary suffix, plus NUL */

/* Who sent a record: stored with every record (through the block's table). */
struct fsn_ff_exporter {
    struct fsn_addr addr; /* exporter address; family FSN_FAMILY_IPV4 or _IPV6 */
    uint32_t domain;      /* v9 source id, IPFIX observation domain, v5 engine */
    uint8_t version;      /* export format: 5, 9 or 10 */
};

/* The file header, written first and never changed. Times are Unix ms. */
struct fsn_ff_header {
    uint16_t version;    /* FSN_FF_VERSION when encoding; as read when decoding */
    uint32_t flags;      /* none defined: write 0, ignore unknown bits when reading */
    uint64_t created_ms; /* when the writer opened the file */
    uint64_t start_ms;   /* the rotation interval the file covers: [start_ms, end_ms) */
    uint64_t end_ms;
};

/* The trailer: totals, written when the file is closed cleanly. */
struct fsn_ff_trailer {
    uint64_t blocks;     /* blocks in the file */
    uint64_t records;    /* records in the file */
    uint64_t min_end_ms; /* earliest and latest record end time (0, 0 without records) */
    uint64_t max_end_ms;
    uint64_t closed_ms; /* when the writer closed the file */
    uint64_t lost;      /* records the writer knows it failed to store (its own count) */
    uint32_t flags;     /* none defined */
};

/* What a block header says (validated by its own CRC). */
struct fsn_ff_block_info {
    uint32_t payload_len;
    uint32_t records;
    uint32_t flags;      /* none defined */
    uint64_t min_end_ms; /* range of the records' end times (last_ms) */
    uint64_t max_end_ms;
    uint32_t payload_crc;
};

/* Writes the header into out[0..FSN_FF_HEADER_SIZE). */
void fsn_ff_header_encode(const struct fsn_ff_header *h, uint8_t *out);

/*
 * Reads a header from the start of a file. Returns 0; FSN_E_TRUNC when len
 * is shorter than the header; FSN_E_BADFILE when the magic is wrong or the
 * header checksum fails; FSN_E_BADVER for another major version. *hlen gets
 * the header's length (where the first block starts).
 */
int fsn_ff_header_decode(const uint8_t *p, size_t len, struct fsn_ff_header *h, size_t *hlen);

/* Writes the trailer into out[0..FSN_FF_TRAILER_SIZE). */
void fsn_ff_trailer_encode(const struct fsn_ff_trailer *t, uint8_t *out);

/* Reads a trailer: 0, FSN_E_TRUNC, or FSN_E_BADFILE (magic, length or checksum). */
int fsn_ff_trailer_decode(const uint8_t *p, size_t len, struct fsn_ff_trailer *t);

/*
 * Writes the file name for an interval starting at start_ms, with the
 * temporary suffix when `tmp`, into buf. Returns 0 or FSN_E_SPACE.
 */
int fsn_ff_filename(uint64_t start_ms, bool tmp, char *buf, size_t len);

/* ---- Writing ---- */

struct fsn_ff_builder;

/*
 * Creates a block builder whose blocks hold at most `block_bytes` payload
 * bytes (FSN_FF_BLOCK_MIN..FSN_FF_BLOCK_MAX; 0 = FSN_FF_BLOCK_DEFAULT). The
 * caller owns it and frees it with fsn_ff_builder_free(). NULL when out of
 * memory or when block_bytes is out of range.
 */
struct fsn_ff_builder *fsn_ff_builder_new(size_t block_bytes);

/* Frees a builder; NULL is a no-op. */
void fsn_ff_builder_free(struct fsn_ff_builder *b);

/*
 * Adds one record (copied) to the open block. Returns 0; FSN_E_SPACE when
 * the block is full (nothing added: finish the block and add again);
 * FSN_E_RANGE when the flow's or the exporter's family is not IPv4/IPv6.
 */
int fsn_ff_builder_add(struct fsn_ff_builder *b, const struct fsn_flow *f,
                       const struct fsn_ff_exporter *x);

/* Records in the open block. */
uint32_t fsn_ff_builder_records(const struct fsn_ff_builder *b);

/*
 * Closes the open block: *data and *len get its bytes (header and payload),
 * which stay owned by the builder and valid until the next add or finish.
 * A block without records gives *len = 0. Adds the block to the totals.
 */
void fsn_ff_builder_finish(struct fsn_ff_builder *b, const uint8_t **data, size_t *len);

/*
 * Fills a trailer with the totals of the blocks finished since the builder
 * was created or restarted; the caller sets `lost` if it counts any.
 */
void fsn_ff_builder_trailer(const struct fsn_ff_builder *b, uint64_t closed_ms,
                            struct fsn_ff_trailer *t);

/* Starts a new file: drops the open block and zeroes the totals. */
void fsn_ff_builder_restart(struct fsn_ff_builder *b);

/* ---- Reading ---- */

enum fsn_ff_kind {
    FSN_FF_NEED,    /* call again with at least `need` bytes at the same position */
    FSN_FF_HEADER,  /* the file header (in the scanner's `hdr`) */
    FSN_FF_BLOCK,   /* a block whose header checked out: see `block`, `info` */
    FSN_FF_SKIP,    /* `used` bytes that are no valid block: damage, skipped */
    FSN_FF_TRAILER, /* the trailer (in the scanner's `trailer`) */
    FSN_FF_END,     /* nothing more; see the scanner's `truncated` and `trailing` */
};

struct fsn_ff_item {
    enum fsn_ff_kind kind;
    size_t used;          /* bytes of the input this item covers; advance by it */
    size_t need;          /* FSN_FF_NEED: bytes wanted (<= FSN_FF_CHUNK_MAX) */
    const uint8_t *block; /* FSN_FF_BLOCK: the block, header included */
    size_t block_len;
    struct fsn_ff_block_info info; /* FSN_FF_BLOCK: its header */
};

/* State of a reader walking one file from its first byte. Owned by the caller. */
struct fsn_ff_scan {
    int state;
    struct fsn_ff_header hdr;
    struct fsn_ff_trailer trailer;
    bool have_trailer;  /* the file was closed cleanly */
    bool header_bad;    /* the header's checksum failed: its times are unknown (zero) */
    bool no_header;     /* ... or there was none: the file starts with a block or trailer */
    bool in_skip;       /* the last item was FSN_FF_SKIP */
    uint64_t offset;    /* file offset of the next byte to look at */
    uint64_t blocks;    /* FSN_FF_BLOCK items given */
    uint64_t skips;     /* FSN_FF_SKIP items given */
    uint64_t skipped;   /* bytes they covered */
    uint64_t truncated; /* bytes of an incomplete block or trailer at the end */
    uint64_t trailing;  /* bytes after the trailer (ignored) */
};

void fsn_ff_scan_init(struct fsn_ff_scan *s);

/*
 * Looks at buf[0..len), the file's bytes from s->offset on (`eof` when they
 * run to the end of the file), and says what comes next in *it. The caller
 * then advances by it->used (which also advances s->offset) or, for
 * FSN_FF_NEED, calls again with more bytes. Returns 0, or for a file that
 * cannot be read at all FSN_E_BADFILE (not a flow file), FSN_E_BADVER, or
 * FSN_E_TRUNC (shorter than its header). The input stays the caller's.
 */
int fsn_ff_scan_next(struct fsn_ff_scan *s, const uint8_t *buf, size_t len, bool eof,
                     struct fsn_ff_item *it);

/* Decoder of the records of one block. Owned by the caller; holds no heap memory. */
struct fsn_ff_iter {
    const uint8_t *p;
    const uint8_t *end;
    uint32_t left; /* records still to decode */
    uint32_t nexp;
    uint64_t prev_end; /* previous record's end time (delta coding) */
    struct fsn_ff_block_info info;
    struct fsn_ff_exporter exp[FSN_FF_EXPORTERS_MAX];
};

/*
 * Starts decoding a block (header and payload, as FSN_FF_BLOCK gave it).
 * Checks the header, the payload CRC and the exporter table first. Returns
 * 0; FSN_E_BADFILE when a checksum fails; FSN_E_MALFORMED when the content
 * is inconsistent; FSN_E_TRUNC when len is shorter than the block.
 */
int fsn_ff_iter_open(struct fsn_ff_iter *it, const uint8_t *block, size_t len);

/*
 * Decodes the next record into *f (fully overwritten) and points *x at its
 * exporter (inside the iterator). Returns 1 for a record, 0 at the end of
 * the block, FSN_E_MALFORMED when a record is inconsistent (the block ends
 * there: records already returned stay valid, as their checksum held).
 */
int fsn_ff_iter_next(struct fsn_ff_iter *it, struct fsn_flow *f, const struct fsn_ff_exporter **x);

#endif
