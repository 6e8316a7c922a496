/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The state file: the aggregator's cumulative counters, published for the
 * SNMP subagent (and any other reader) as one memory-mapped file.
 *
 * Layout (all integers in host byte order; the file is never moved between
 * machines): a 4096-byte header, then the scalar block, then four arrays of
 * fixed-size rows (exporters, hosts, services, protocols), each at the byte
 * offset the header gives. Capacities are fixed when the file is created.
 *
 * Consistency: every row, and the scalar block, begins with a 32-bit
 * sequence counter (a seqlock). The single writer makes it odd, writes the
 * row, and makes it even again; a reader copies the row and retries when the
 * counter was odd or changed meanwhile, so it never sees a torn row. Adding,
 * removing or reusing a row slot increments the header's `generation`, so a
 * reader knows when to rebuild its index of rows.
 *
 * This module is pure: it lays out and reads a memory region that the
 * caller maps (see docs/state-file.md); it opens no files.
 */
#ifndef FSN_STATE_H
#define FSN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSN_STATE_MAGIC "FSNSTATE"
#define FSN_STATE_VERSION 1
#define FSN_STATE_HDR_SIZE 4096
#define FSN_STATE_NPROTO 256
#define FSN_STATE_NAME_MAX 32   /* service name, NUL-padded, at most 31 characters */
#define FSN_STATE_PORTS_MAX 128 /* service port list text, e.g. "tcp/443 udp/443" */

/* In/out counters of one entity, in the order the MIB's columns use. */
struct fsn_state_ctr {
    uint64_t in_octets;
    uint64_t out_octets;
    uint64_t in_packets;
    uint64_t out_packets;
    uint64_t in_flows;
    uint64_t out_flows;
};

struct fsn_state_scalars {
    uint32_t seq;
    uint32_t hosts_in_use;      /* host rows in use, the "other" row not included */
    struct fsn_state_ctr total; /* in: to a local address; out: from a local address */
    struct fsn_state_ctr local; /* local-to-local traffic (also counted in total, both ways) */
    struct fsn_state_ctr transit; /* no local end (in_* fields only) */
    uint64_t records;           /* flow records received */
    uint64_t records_lost;      /* records (v9: packets) lost per sequence numbers */
    uint64_t malformed;         /* malformed datagrams */
    uint64_t late;              /* records that arrived after their step was written */
    uint64_t no_template;       /* data records dropped for lack of a template */
    uint64_t hosts_evicted;     /* host rows aged out to make room */
};

struct fsn_state_exporter {
    uint32_t seq;
    uint8_t in_use;
    uint8_t family;             /* 4 or 6 */
    uint8_t version;            /* 5, 9 or 10 */
    uint8_t pad;
    uint8_t addr[16];
    uint32_t domain;            /* observation domain / source id / v5 engine */
    uint32_t templates;         /* templates currently known */
    uint64_t datagrams;
    uint64_t records;
    uint64_t records_lost;
    uint64_t malformed;
    uint64_t no_template;
    uint64_t first_seen;        /* Unix seconds */
    uint64_t last_seen;
};

struct fsn_state_host {
    uint32_t seq;
    uint8_t in_use;
    uint8_t family;             /* 4 or 6; 0 marks the "other" row */
    uint8_t pad[2];
    uint8_t addr[16];
    struct fsn_state_ctr c;
    uint64_t first_seen;        /* Unix seconds */
    uint64_t last_seen;
};

struct fsn_state_service {
    uint32_t seq;
    uint8_t in_use;
    uint8_t pad[3];
    char name[FSN_STATE_NAME_MAX];
    char ports[FSN_STATE_PORTS_MAX];
    struct fsn_state_ctr c;
};

struct fsn_state_proto {
    uint32_t seq;
    uint8_t in_use;             /* seen at least once */
    uint8_t pad[3];
    char name[16];              /* "tcp", "udp", "ipv6-icmp", ... or the number */
    struct fsn_state_ctr c;
};

/*
 * A row of flowHostServiceTable: one (local host, service) cell. The
 * "other host" cell of a service has family 0 and a zero address; a host's
 * "other" cell has the service name "other" (FSN_STATE_OTHER_SERVICE).
 */
#define FSN_STATE_OTHER_SERVICE "other"
struct fsn_state_hostsvc {
    uint32_t seq;
    uint8_t in_use;
    uint8_t family;             /* 4 or 6; 0: the other host */
    uint8_t pad[2];
    uint8_t addr[16];
    char service[FSN_STATE_NAME_MAX];
    struct fsn_state_ctr provided; /* the host's own port is the service's: it is the server */
    struct fsn_state_ctr used;     /* the other end's port is: it is the client */
    uint64_t created;           /* Unix seconds: the row's counters started from zero */
};

/*
 * Tables added to version 1 after its first release, found through a
 * directory in the header (all zero in a file that has none of them, so
 * older files stay readable): kind k's `cap` rows of `row_size` bytes at
 * byte offset `off`.
 */
enum fsn_state_xt_kind {
    FSN_STATE_XT_HOSTSVC,       /* struct fsn_state_hostsvc */
    FSN_STATE_XT_NKINDS
};
#define FSN_STATE_XT_MAX 16

struct fsn_state_table {
    uint32_t cap;
    uint32_t row_size;
    uint64_t off;
};

struct fsn_state_hdr {
    char magic[8];              /* FSN_STATE_MAGIC, no NUL */
    uint32_t version;           /* FSN_STATE_VERSION */
    uint32_t hdr_size;          /* FSN_STATE_HDR_SIZE */
    uint64_t file_size;
    uint64_t created;           /* Unix seconds: creation of this file */
    uint64_t discontinuity;     /* Unix seconds: counters (re)started from zero */
    uint64_t updated;           /* Unix seconds: last publication by the writer */
    uint64_t generation;        /* bumped when any row slot is added, removed or reused */
    uint32_t writer_pid;        /* pid of the writer, 0 after a clean stop */
    uint32_t step;              /* aggregation step in seconds */
    uint32_t exporter_cap, host_cap, service_cap, proto_cap;
    uint64_t scalars_off, exporters_off, hosts_off, services_off, protos_off;
    char software[32];          /* version of the writer, NUL-terminated */
    struct fsn_state_table xt[FSN_STATE_XT_MAX]; /* by enum fsn_state_xt_kind */
};

/* Capacities that decide a state file's size. */
struct fsn_state_caps {
    uint32_t exporters;
    uint32_t hosts;     /* host rows including the "other" row */
    uint32_t services;
    uint32_t xt[FSN_STATE_XT_NKINDS]; /* rows of each added table (0: none) */
};

/* Bytes a state file with these capacities needs. */
size_t fsn_state_size(const struct fsn_state_caps *caps);

/*
 * Lays out a fresh state file in `mem` (`size` bytes from fsn_state_size(),
 * zeroed by the caller): header, empty rows, created = discontinuity = now.
 */
int fsn_state_format(void *mem, size_t size, const struct fsn_state_caps *caps,
                     uint64_t now, const char *software);

/*
 * Checks that `mem` (`size` bytes) holds a state file this code can read:
 * magic, version, sizes and offsets within bounds. Returns 0 or
 * FSN_E_BADFILE / FSN_E_BADVER. Readers call it before using the accessors.
 */
int fsn_state_check(const void *mem, size_t size);

/* Row accessors on a checked file; the index must be below the capacity. */
struct fsn_state_scalars *fsn_state_scalars(struct fsn_state_hdr *h);
struct fsn_state_exporter *fsn_state_exporter(struct fsn_state_hdr *h, uint32_t i);
struct fsn_state_host *fsn_state_host(struct fsn_state_hdr *h, uint32_t i);
struct fsn_state_service *fsn_state_service(struct fsn_state_hdr *h, uint32_t i);
struct fsn_state_proto *fsn_state_proto(struct fsn_state_hdr *h, uint32_t i);
/* Row i of an added table (its cap may be 0: then there is no row). */
void *fsn_state_xrow(struct fsn_state_hdr *h, enum fsn_state_xt_kind k, uint32_t i);

/*
 * Seqlock, writer side: call fsn_state_write_begin(&row->seq) before
 * changing a row and fsn_state_write_end(&row->seq) after. One writer only.
 */
void fsn_state_write_begin(uint32_t *seq);
void fsn_state_write_end(uint32_t *seq);

/*
 * Seqlock, reader side: copies `len` bytes of the row at `row` (whose first
 * member is its seq) into `out` so that the copy is consistent. Returns 0,
 * or FSN_E_LIMIT when the writer kept the row busy for `max_tries` attempts.
 */
int fsn_state_read(const void *row, void *out, size_t len, unsigned max_tries);

#endif
