/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Addresses and prefixes: parse, format, match. IPv4 addresses are held in
 * the first 4 bytes of a 16-byte array (as in struct fsn_flow_key).
 */
#ifndef FSN_ADDR_H
#define FSN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSN_ADDR_STRLEN 46  /* enough for any IPv6 text form plus NUL */

struct fsn_addr {
    uint8_t family;   /* FSN_FAMILY_IPV4 or FSN_FAMILY_IPV6 */
    uint8_t a[16];
};

struct fsn_cidr {
    uint8_t family;
    uint8_t len;      /* prefix length in bits */
    uint8_t a[16];    /* network address, host bits zero */
};

/* Parses "192.0.2.1" or "2001:db8::1". Returns 0 or FSN_E_SYNTAX. */
int fsn_addr_parse(const char *s, struct fsn_addr *out);

/*
 * Parses "192.0.2.0/24", "2001:db8::/32", or an address alone (a host
 * prefix). Host bits set beyond the prefix are an error (FSN_E_SYNTAX).
 */
int fsn_cidr_parse(const char *s, struct fsn_cidr *out);

/* True when `addr` of `family` lies within the prefix. */
bool fsn_cidr_match(const struct fsn_cidr *c, uint8_t family, const uint8_t *addr);

/* Writes the text form into buf (FSN_ADDR_STRLEN bytes suffice); returns buf. */
char *fsn_addr_format(uint8_t family, const uint8_t *addr, char *buf, size_t len);

/*
 * Splits "host:port", "[v6addr]:port" or "v4addr:port" into host text and
 * port. The host is not resolved. Returns 0 or FSN_E_SYNTAX.
 */
int fsn_hostport_split(const char *s, char *host, size_t hostlen, uint16_t *port);

#endif
