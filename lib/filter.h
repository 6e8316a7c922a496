/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow filter expressions, a small tcpdump-like language (see the
 * FILTERS section of man/flowreport.1):
 *
 *   expr      := and-expr { ("or" | "||") and-expr }
 *   and-expr  := not-expr { ("and" | "&&") not-expr }
 *   not-expr  := ("not" | "!") not-expr | "(" expr ")" | primitive
 *   primitive := [src | dst] host ADDR | [src | dst] net CIDR
 *              | [src | dst] port N[-M] | proto NAME|N
 *              | tcp | udp | icmp | icmp6 | sctp | gre | ip | ip6
 *              | exporter ADDR|CIDR
 *
 * so `not` binds tighter than `and`, which binds tighter than `or`.
 * Addresses are IPv4 or IPv6. Without src/dst a primitive matches either
 * end. `port` matches only protocols that have ports (TCP, UDP, SCTP,
 * DCCP, UDP-Lite), as in tcpdump: ICMP keeps its type and code in the
 * destination port field. Keywords are case-insensitive.
 *
 * Pure: compiled once into a small tree, evaluated per record without
 * allocating.
 */
#ifndef FSN_FILTER_H
#define FSN_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/addr.h"
#include "lib/flow.h"

#define FSN_FILTER_MAX_LEN 65536 /* bytes of expression text */
#define FSN_FILTER_MAX_DEPTH 64  /* nesting of parentheses and `not` */

struct fsn_filter;

/*
 * Compiles `expr` (NUL-terminated). On success returns 0 and sets *out to
 * a filter the caller owns and frees with fsn_filter_free(); an empty or
 * blank expression gives a filter that matches every record. On a bad
 * expression returns FSN_E_SYNTAX, writes a one-line message into
 * err[0..errlen) (e.g. "expected address after 'host' at 'fooo'") and sets
 * *errpos (when not NULL) to the byte offset in expr where the problem is.
 * FSN_E_LIMIT when the expression is too long or nested too deeply (also
 * with a message); FSN_E_NOMEM.
 */
int fsn_filter_compile(const char *expr, struct fsn_filter **out, char *err, size_t errlen,
                       size_t *errpos);

/* Frees a filter; NULL is a no-op. */
void fsn_filter_free(struct fsn_filter *f);

/*
 * True when the record matches. `exporter` is the record's exporter, or
 * NULL when unknown (then `exporter` primitives do not match).
 */
bool fsn_filter_match(const struct fsn_filter *f, const struct fsn_flow *fl,
                      const struct fsn_addr *exporter);

/*
 * Writes the compiled tree as an S-expression, e.g.
 * "(or (and (host 192.0.2.1) (port dst 80)) (not (proto 6)))", for tests and
 * for `flowreport -v`. Returns the length it needed (as snprintf does).
 */
size_t fsn_filter_dump(const struct fsn_filter *f, char *buf, size_t len);

#endif
