/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011/7012, RFC 5103
 * biflows) decoders with a per-exporter template cache.
 *
 * One session holds everything the formats make a collector remember about
 * one exporter: templates, sampling learned from options data, the sequence
 * number expected next, and data that arrived before its template. A
 * session is keyed by (exporter address, version, domain), where domain is
 * the v9 source id, the IPFIX observation domain id, or for v5
 * engine_type << 8 | engine_id. The caller keeps the table of sessions (it
 * decides how many exporters to track); fsn_dec_peek() reads the key from
 * a datagram so that the caller can find or create the session first.
 *
 * Pure: the caller passes the receive time and owns the datagram; flows are
 * handed to a callback and are only valid during the call. See
 * docs/decoding.md for the field mapping and the counting rules.
 */
#ifndef FSN_DEC_H
#define FSN_DEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/flow.h"

/* Wire versions, as in the first two bytes of each datagram. */
#define FSN_DEC_V5 5
#define FSN_DEC_V9 9
#define FSN_DEC_IPFIX 10

/* Direction of an emitted record (RFC 5103): a biflow gives two records. */
#define FSN_DEC_FORWARD 0
#define FSN_DEC_REVERSE 1

/*
 * Bounds of one session. Start from fsn_dec_limits_default(). Zero fields
 * are replaced by the defaults, except max_buffered_bytes, where 0 turns
 * buffering off.
 */
struct fsn_dec_limits {
    uint32_t max_templates;      /* templates kept (data + options); default 256 */
    uint32_t max_fields;         /* fields per template; default 128 */
    uint32_t max_buffered_bytes; /* data waiting for its template; default 65536 */
    uint32_t max_buffer_age_ms;  /* how long such data waits; default 300000 */
    uint32_t reorder_window;     /* sequence units a late datagram may lag; default 1024 */
};

/* Fills `l` with the defaults. */
void fsn_dec_limits_default(struct fsn_dec_limits *l);

/*
 * Counters of one session. All but `templates` only ever grow, apart from
 * `lost`, which a late datagram inside the reorder window takes back.
 */
struct fsn_dec_counters {
    uint64_t datagrams;        /* datagrams given to the session */
    uint64_t malformed;        /* datagrams with at least one malformed part */
    uint64_t records;          /* flow data records decoded (a biflow counts once) */
    uint64_t reverse_records;  /* extra reverse-direction records emitted for biflows */
    uint64_t options_records;  /* options data records decoded (sampling, init time) */
    uint64_t lost;             /* v5/IPFIX: records, v9: datagrams never received */
    uint64_t reordered;        /* late datagrams accepted inside the reorder window */
    uint64_t seq_resets;       /* steps back: exporter restart, duplicate, stray datagram */
    uint64_t seq_jumps;        /* steps ahead beyond the reorder window (held until the next) */
    uint64_t off_sequence;     /* resets and jumps the next datagram refuted (not lost) */
    uint64_t notmpl_sets;      /* data sets that arrived before their template */
    uint64_t buffered_sets;    /* ... of those, kept to be decoded later */
    uint64_t buffered_records; /* records decoded from kept sets (also in `records`) */
    uint64_t buffered_drops;   /* sets without template dropped: cap, age, never came */
    uint64_t templates;        /* templates known now (a gauge) */
    uint64_t template_updates; /* template records accepted (new, changed or repeated) */
    uint64_t withdrawals;      /* IPFIX template withdrawal records (RFC 7011 §8.1) */
    uint64_t template_drops;   /* templates refused by max_templates / max_fields */
    uint64_t unknown_sets;     /* sets with a reserved id, skipped */
};

/* What the decoder knows about a record beyond struct fsn_flow. */
struct fsn_dec_meta {
    const struct fsn_addr *exporter; /* the session's exporter address */
    uint32_t domain;                 /* source id / observation domain / v5 engine */
    uint16_t template_id;            /* 0 for v5 */
    uint8_t version;                 /* FSN_DEC_V5, FSN_DEC_V9 or FSN_DEC_IPFIX */
    uint8_t direction;               /* FSN_DEC_FORWARD or FSN_DEC_REVERSE */
    bool buffered;                   /* arrived before its template, decoded later */
    uint64_t export_ms;              /* export time of the datagram, Unix ms */
};

/* Called once per decoded record; `f` and `m` are valid only during the call. */
typedef void (*fsn_dec_emit_fn)(void *arg, const struct fsn_flow *f,
                                const struct fsn_dec_meta *m);

struct fsn_dec_session;

/*
 * Reads the session key from a datagram's header: the version (5, 9, 10)
 * and the domain. Returns 0, FSN_E_TRUNC when the header is short, or
 * FSN_E_BADVER for any other version.
 */
int fsn_dec_peek(const uint8_t *data, size_t len, uint8_t *version, uint32_t *domain);

/*
 * Checks a datagram's framing before the caller creates state for it: the
 * header, and that the sets (v9 flowsets) tile the message as their
 * lengths say — what the decoder would refuse as malformed before looking
 * at a single record. v5: a count of 1..30 and the length it implies;
 * IPFIX: a message length of at least the header and at most the datagram.
 * Returns 0, the errors of fsn_dec_peek(), or FSN_E_MALFORMED.
 */
int fsn_dec_check(const uint8_t *data, size_t len);

/*
 * A budget of templates shared by several sessions (all those of one
 * exporter address, say), with an optional parent that is charged too (all
 * sessions). Owned by the caller, which zeroes it and sets the bounds (0:
 * none); it must outlive the sessions charged to it. A template that would
 * take a pool past a bound is refused (the session's template_drops, the
 * pool's `refused`); a redefinition that would is refused and the old
 * definition withdrawn, so that data is never read with a stale template.
 */
struct fsn_dec_pool {
    uint64_t max_templates, max_bytes; /* bounds; 0: none */
    uint64_t templates, bytes;         /* held now by the sessions charged to it */
    uint64_t refused;                  /* templates refused by this pool's bounds */
    struct fsn_dec_pool *parent;       /* charged too; NULL: none */
};

/*
 * Charges the session's templates to `pool` (and its parents) from now on,
 * moving what the session holds from its previous pool (NULL: none) without
 * checking bounds. The bytes charged per template are what it holds on the
 * heap, its slot in the session's array included.
 */
void fsn_dec_set_pool(struct fsn_dec_session *s, struct fsn_dec_pool *pool);

/*
 * Creates a session for one exporter, version and domain. `lim` may be
 * NULL for the defaults; it and `exporter` are copied. The caller owns the
 * session and frees it with fsn_dec_session_free(). Returns NULL when out
 * of memory or when `version` is not 5, 9 or 10.
 */
struct fsn_dec_session *fsn_dec_session_new(const struct fsn_dec_limits *lim,
                                            const struct fsn_addr *exporter, uint8_t version,
                                            uint32_t domain);

/* Frees a session with its templates and buffered data; NULL is a no-op. */
void fsn_dec_session_free(struct fsn_dec_session *s);

/*
 * Decodes one datagram received at `now_ms` (Unix ms), calling `emit` for
 * each flow record: the datagram's own, and any buffered data that a
 * template in it unlocks. The datagram stays the caller's and is not
 * modified. Returns 0; FSN_E_MALFORMED when some part was malformed (the
 * records before the bad part were emitted, see docs/decoding.md), also
 * for a datagram of the session's version too short for its header;
 * FSN_E_BADVER or FSN_E_RANGE when the header's version or domain is not
 * the session's (nothing is decoded or counted); FSN_E_NOMEM. The emit
 * callback must not call back into the same session.
 */
int fsn_dec_datagram(struct fsn_dec_session *s, const uint8_t *data, size_t len, uint64_t now_ms,
                     fsn_dec_emit_fn emit, void *arg);

/*
 * Drops buffered data older than max_buffer_age_ms at `now_ms`, for a
 * session that receives nothing. fsn_dec_datagram() does this itself.
 */
void fsn_dec_expire(struct fsn_dec_session *s, uint64_t now_ms);

/* The session's counters, owned by the session. */
const struct fsn_dec_counters *fsn_dec_counters(const struct fsn_dec_session *s);

/* Bytes the session holds on the heap (templates and buffered data). */
size_t fsn_dec_memory(const struct fsn_dec_session *s);

/* The session's sampling interval from options data without a sampler id (0 = none). */
uint32_t fsn_dec_sampling(const struct fsn_dec_session *s);

/* True when the session knows the sequence number it expects next. */
bool fsn_dec_seq_known(const struct fsn_dec_session *s);

/* fsn_dec_save() flags. */
#define FSN_DEC_SAVE_SEQ 1 /* include the sequence state (only exact at a clean stop) */

/*
 * Serializes the session's templates and learned options state (sampling,
 * system init time), and with FSN_DEC_SAVE_SEQ its sequence state, into
 * buf[0..cap): a versioned, self-checking blob that the caller may write
 * to a file. Sets *len. FSN_E_SPACE when cap is too small;
 * fsn_dec_save_size() gives the size needed (the same with or without the
 * flag).
 */
int fsn_dec_save(const struct fsn_dec_session *s, unsigned flags, uint8_t *buf, size_t cap,
                 size_t *len);
size_t fsn_dec_save_size(const struct fsn_dec_session *s);

/*
 * Reads the key (exporter, version, domain) stored in a saved blob, so that
 * the caller can create the session to restore into. 0 or FSN_E_BADFILE.
 */
int fsn_dec_saved_key(const uint8_t *buf, size_t len, struct fsn_addr *exporter,
                      uint8_t *version, uint32_t *domain);

/*
 * Replaces the session's templates and options state with those of a saved
 * blob, and its sequence state when the blob carries one (the next
 * datagram then counts the gap since the save). Everything is validated
 * first (format version, key, counts against the session's limits and its
 * pool, each template); on any error the session is left unchanged.
 * Returns 0, FSN_E_BADFILE (not a valid blob), FSN_E_RANGE (the blob
 * belongs to another key), FSN_E_LIMIT (beyond this session's limits or
 * its pool's) or FSN_E_NOMEM. Blobs of format 1 (before sequence state)
 * are read too.
 */
int fsn_dec_restore(struct fsn_dec_session *s, const uint8_t *buf, size_t len);

#endif
