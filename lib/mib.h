/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * FLOWSNMP-MIB in code: the module's root OID (its one definition in C),
 * the object and column numbers, and the pure encodings that serving the
 * MIB needs: table indexes as OID sub-identifiers, their lexicographic
 * order, a sorted index of rows, and DateAndTime values.
 *
 * conf/FLOWSNMP-MIB.txt is the other half of the contract and must agree
 * with every number here; docs/mib.md describes both.
 *
 * Sub-identifiers are uint32_t (SNMP limits them to 32 bits); callers that
 * speak a library's OID type convert at their edge.
 */
#ifndef FSN_MIB_H
#define FSN_MIB_H

#include <stddef.h>
#include <stdint.h>

/*
 * flowsnmpMIB ::= { netSnmpPlaypen 4242 }. The one place in C that names the
 * root: change it (and the MIB's MODULE-IDENTITY) once a Private Enterprise
 * Number is assigned.
 */
#define FSN_MIB_ROOT 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4242

/* Under the root: objects and conformance. */
#define FSN_MIB_OBJECTS 1
#define FSN_MIB_CONFORMANCE 2

/* Under flowsnmpObjects: the scalar group and the four tables. */
#define FSN_MIB_SCALARS 1
#define FSN_MIB_EXPORTER_TABLE 2
#define FSN_MIB_HOST_TABLE 3
#define FSN_MIB_SERVICE_TABLE 4
#define FSN_MIB_PROTO_TABLE 5
#define FSN_MIB_HOSTSVC_TABLE 6

/* Every table's entry is { table 1 }. */
#define FSN_MIB_ENTRY 1

enum fsn_mib_scalar {
    FSN_MIB_SOFTWARE_VERSION = 1,
    FSN_MIB_STATE_CREATED = 2,
    FSN_MIB_DISCONTINUITY_TIME = 3,
    FSN_MIB_LAST_UPDATE = 4,
    FSN_MIB_TOTAL_IN_OCTETS = 5,
    FSN_MIB_TOTAL_OUT_OCTETS = 6,
    FSN_MIB_TOTAL_IN_PACKETS = 7,
    FSN_MIB_TOTAL_OUT_PACKETS = 8,
    FSN_MIB_TOTAL_IN_FLOWS = 9,
    FSN_MIB_TOTAL_OUT_FLOWS = 10,
    FSN_MIB_RECORDS = 11,
    FSN_MIB_RECORDS_LOST = 12,
    FSN_MIB_MALFORMED = 13,
    FSN_MIB_HOST_ROWS = 14,
    FSN_MIB_LATE_RECORDS = 15,
};

/* flowExporterEntry columns; 1-3 are the index (not-accessible). */
enum fsn_mib_exporter_col {
    FSN_MIB_EXP_ADDR_TYPE = 1,
    FSN_MIB_EXP_ADDR = 2,
    FSN_MIB_EXP_DOMAIN = 3,
    FSN_MIB_EXP_VERSION = 4,
    FSN_MIB_EXP_DATAGRAMS = 5,
    FSN_MIB_EXP_RECORDS = 6,
    FSN_MIB_EXP_RECORDS_LOST = 7,
    FSN_MIB_EXP_MALFORMED = 8,
    FSN_MIB_EXP_TEMPLATES = 9,
    FSN_MIB_EXP_LAST_SEEN = 10,
};

/*
 * The six traffic counters of hosts, services and protocols, as an offset
 * from the entity's first counter column (host: 3, service and protocol: 2),
 * in the order of struct fsn_state_ctr.
 */
enum fsn_mib_ctr {
    FSN_MIB_IN_OCTETS = 0,
    FSN_MIB_OUT_OCTETS = 1,
    FSN_MIB_IN_PACKETS = 2,
    FSN_MIB_OUT_PACKETS = 3,
    FSN_MIB_IN_FLOWS = 4,
    FSN_MIB_OUT_FLOWS = 5,
    FSN_MIB_NCTR = 6,
};

/* flowHostEntry columns; 1-2 are the index. */
#define FSN_MIB_HOST_ADDR_TYPE 1
#define FSN_MIB_HOST_ADDR 2
#define FSN_MIB_HOST_CTR0 3 /* in octets; + enum fsn_mib_ctr */
#define FSN_MIB_HOST_FIRST_SEEN 9
#define FSN_MIB_HOST_LAST_SEEN 10

/* flowServiceEntry columns; 1 is the index (IMPLIED name). */
#define FSN_MIB_SERVICE_NAME 1
#define FSN_MIB_SERVICE_CTR0 2
#define FSN_MIB_SERVICE_PORTS 8

/* flowProtocolEntry columns; 1 is the index (protocol number). */
#define FSN_MIB_PROTO_NUMBER 1
#define FSN_MIB_PROTO_CTR0 2
#define FSN_MIB_PROTO_NAME 8

/* flowHostServiceEntry columns; 1-3 are the index (type, address, IMPLIED name). */
#define FSN_MIB_HS_PROV0 4  /* provided in octets; + enum fsn_mib_ctr */
#define FSN_MIB_HS_USED0 10 /* used in octets; + enum fsn_mib_ctr */
#define FSN_MIB_HS_ADDR_TEXT 16
#define FSN_MIB_HS_NAME_TEXT 17
#define FSN_MIB_HS_CREATED 18

/* InetAddressType values (RFC 4001) used here. */
#define FSN_MIB_INET_UNKNOWN 0
#define FSN_MIB_INET_IPV4 1
#define FSN_MIB_INET_IPV6 2

/* The longest index any table has (IPv6 host, 31-character IMPLIED service name: 49). */
#define FSN_MIB_INDEX_MAX 56

/* The service name index is SIZE (1..31) in the MIB. */
#define FSN_MIB_NAME_MAX 31

/* Bytes of a DateAndTime value with a UTC offset (RFC 2579). */
#define FSN_MIB_DATEANDTIME_LEN 11

/*
 * Index encoders (RFC 2578 section 7.7): each writes the sub-identifiers
 * of one row's index into out[cap] and their count into *len. They return
 * 0, or FSN_E_RANGE for a value the MIB cannot index (unknown family, empty
 * or too long name), or FSN_E_SPACE when cap is too small.
 *
 * InetAddressType, InetAddress: family 4 -> 1.4.a.b.c.d, family 6 ->
 * 2.16.<16 bytes>, family 0 (the "other" row) -> 0.0 (unknown, empty).
 */
int fsn_mib_enc_inet(uint8_t family, const uint8_t addr[16], uint32_t *out, size_t cap,
                     size_t *len);
/* Exporter: InetAddressType, InetAddress (family 4 or 6 only), domain. */
int fsn_mib_enc_exporter(uint8_t family, const uint8_t addr[16], uint32_t domain, uint32_t *out,
                         size_t cap, size_t *len);
/*
 * IMPLIED SnmpAdminString: one sub-identifier per byte of the name, no
 * length. `name` is at most `maxlen` bytes, NUL-terminated when shorter.
 */
int fsn_mib_enc_name(const char *name, size_t maxlen, uint32_t *out, size_t cap, size_t *len);

/*
 * Lexicographic OID order: negative, zero or positive as a sorts before,
 * equals or after b. A proper prefix sorts before the longer OID.
 */
int fsn_mib_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen);

/*
 * A table's rows sorted by index, for GET (exact match) and GETNEXT (first
 * row after a given index) by binary search. Each row carries the caller's
 * slot number. The caller owns the struct; _fini frees what it holds.
 */
struct fsn_mib_row {
    uint32_t slot;
    uint32_t len;       /* sub-identifiers of the index */
    size_t off;         /* where they start in subs[] */
};

struct fsn_mib_rows {
    struct fsn_mib_row *row;
    size_t n, cap;
    uint32_t *subs;
    size_t nsubs, subs_cap;
    size_t dups;        /* rows dropped by the last _sort for a duplicate index */
};

void fsn_mib_rows_init(struct fsn_mib_rows *r);
void fsn_mib_rows_fini(struct fsn_mib_rows *r);
/* Empties the set, keeping its memory for the next build. */
void fsn_mib_rows_clear(struct fsn_mib_rows *r);
/* Appends a row (any order). Returns 0, FSN_E_RANGE (index too long) or FSN_E_NOMEM. */
int fsn_mib_rows_add(struct fsn_mib_rows *r, uint32_t slot, const uint32_t *sub, size_t len);
/*
 * Sorts the rows by index. Rows whose index equals an earlier one's are
 * dropped (the lowest slot wins) and counted in r->dups.
 */
void fsn_mib_rows_sort(struct fsn_mib_rows *r);
/* Position of the row whose index equals key, or r->n when there is none. */
size_t fsn_mib_rows_find(const struct fsn_mib_rows *r, const uint32_t *key, size_t len);
/* Position of the first row whose index sorts after key, or r->n. */
size_t fsn_mib_rows_after(const struct fsn_mib_rows *r, const uint32_t *key, size_t len);
/* The index of the row at position pos (< r->n); its length in *len. */
const uint32_t *fsn_mib_rows_key(const struct fsn_mib_rows *r, size_t pos, size_t *len);

/*
 * DateAndTime (RFC 2579) of Unix time t, in UTC with an explicit "+0:0"
 * offset: writes 11 bytes into out and returns 11. t == 0 means unknown:
 * writes 8 zero bytes and returns 8 (the convention the MIB describes).
 * Times past the year 65535 are also returned as unknown.
 */
size_t fsn_mib_dateandtime(uint64_t t, uint8_t out[FSN_MIB_DATEANDTIME_LEN]);

#endif
