/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Addresses and prefixes. Text is parsed with inet_pton(), which accepts
 * exactly the dotted-quad IPv4 form (no "10.1", no octal) and the RFC 4291
 * section 2.2 text forms of IPv6; anything else is a syntax error.
 */
#include "lib/addr.h"

#include <arpa/inet.h>
#include <string.h>

#include "lib/error.h"
#include "lib/flow.h"

/* Room for an address text plus "/128" and a NUL, for copying before the slash. */
#define CIDR_TEXT_MAX (FSN_ADDR_STRLEN + 5)

int fsn_addr_parse(const char *s, struct fsn_addr *out)
{
    struct fsn_addr a;

    memset(&a, 0, sizeof a);
    if (!s)
        return FSN_E_SYNTAX;
    if (strchr(s, ':')) {
        if (inet_pton(AF_INET6, s, a.a) != 1)
            return FSN_E_SYNTAX;
        a.family = FSN_FAMILY_IPV6;
    } else {
        if (inet_pton(AF_INET, s, a.a) != 1)
            return FSN_E_SYNTAX;
        a.family = FSN_FAMILY_IPV4;
    }
    *out = a;
    return 0;
}

/* Reads a prefix length: 1 to 3 decimal digits, at most `max`. */
static int parse_len(const char *s, unsigned max, uint8_t *out)
{
    unsigned v = 0;
    size_t i;

    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 3)
            return FSN_E_SYNTAX;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (i == 0 || v > max)
        return FSN_E_SYNTAX;
    *out = (uint8_t)v;
    return 0;
}

int fsn_cidr_parse(const char *s, struct fsn_cidr *out)
{
    char text[CIDR_TEXT_MAX];
    const char *slash;
    struct fsn_addr a;
    struct fsn_cidr c;
    unsigned bits;
    size_t alen;
    int ret;

    if (!s)
        return FSN_E_SYNTAX;
    slash = strchr(s, '/');
    alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen >= sizeof text)
        return FSN_E_SYNTAX;
    memcpy(text, s, alen);
    text[alen] = '\0';
    if ((ret = fsn_addr_parse(text, &a)) < 0)
        return ret;

    memset(&c, 0, sizeof c);
    c.family = a.family;
    bits = a.family == FSN_FAMILY_IPV4 ? 32 : 128;
    c.len = (uint8_t)bits;
    if (slash && (ret = parse_len(slash + 1, bits, &c.len)) < 0)
        return ret;
    memcpy(c.a, a.a, sizeof c.a);

    /* The host part must be zero: "10.1.2.3/8" is more likely a typo than a prefix. */
    for (unsigned i = c.len; i < bits; i++) {
        if (c.a[i / 8] & (0x80u >> (i % 8)))
            return FSN_E_SYNTAX;
    }
    *out = c;
    return 0;
}

bool fsn_cidr_match(const struct fsn_cidr *c, uint8_t family, const uint8_t *addr)
{
    unsigned full = c->len / 8u, rest = c->len % 8u;

    if (family != c->family)
        return false;
    if (memcmp(c->a, addr, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        if ((addr[full] & mask) != c->a[full])
            return false;
    }
    return true;
}

char *fsn_addr_format(uint8_t family, const uint8_t *addr, char *buf, size_t len)
{
    int af = family == FSN_FAMILY_IPV4 ? AF_INET : family == FSN_FAMILY_IPV6 ? AF_INET6 : -1;

    if (len == 0)
        return buf;
    /* inet_ntop() takes a socklen_t; FSN_ADDR_STRLEN is all it ever needs. */
    if (len > FSN_ADDR_STRLEN)
        len = FSN_ADDR_STRLEN;
    if (af < 0 || !inet_ntop(af, addr, buf, (socklen_t)len)) {
        /* Unknown family or a buffer too small: an empty string rather than garbage. */
        buf[0] = '\0';
    }
    return buf;
}

/* Reads a port: 1 to 5 decimal digits, at most 65535. */
static int parse_port(const char *s, uint16_t *port)
{
    unsigned v = 0;
    size_t i;

    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 5)
            return FSN_E_SYNTAX;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (i == 0 || v > 65535)
        return FSN_E_SYNTAX;
    *port = (uint16_t)v;
    return 0;
}

/* Characters allowed in a host name or address outside brackets. */
static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

/* Characters allowed inside brackets: an IPv6 address, maybe with a %scope. */
static bool v6_char(char c)
{
    return host_char(c) || c == ':' || c == '%';
}

int fsn_hostport_split(const char *s, char *host, size_t hostlen, uint16_t *port)
{
    const char *h, *colon;
    size_t n;
    uint16_t p;

    if (!s)
        return FSN_E_SYNTAX;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return FSN_E_SYNTAX;
        h = s + 1;
        n = (size_t)(close - h);
        colon = close + 1;
        if (!memchr(h, ':', n))
            return FSN_E_SYNTAX; /* brackets are for IPv6 addresses only */
        for (size_t i = 0; i < n; i++) {
            if (!v6_char(h[i]))
                return FSN_E_SYNTAX;
        }
    } else {
        /* Exactly one colon: a bare IPv6 address would be ambiguous with its port. */
        colon = strchr(s, ':');
        if (!colon || strchr(colon + 1, ':'))
            return FSN_E_SYNTAX;
        h = s;
        n = (size_t)(colon - s);
        for (size_t i = 0; i < n; i++) {
            if (!host_char(h[i]))
                return FSN_E_SYNTAX;
        }
    }
    if (n == 0 || n >= hostlen || parse_port(colon + 1, &p) < 0)
        return FSN_E_SYNTAX;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = p;
    return 0;
}
