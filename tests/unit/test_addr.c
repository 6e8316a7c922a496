/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/addr: address and prefix parsing, prefix matching,
 * text formatting (RFC 5952 forms, worked out by hand) and host:port
 * splitting.
 */
#include <string.h>

#include "lib/addr.h"
#include "lib/error.h"
#include "lib/flow.h"
#include "tests/tap.h"

static void test_addr_parse(void)
{
    static const uint8_t v4[16] = {192, 0, 2, 1};
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
    static const char *const bad[] = {
        "",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "01.2.3.4",
        " 1.2.3.4",
        "1.2.3.4 ",
        "0x1.2.3.4",
        "2001:db8:::1",
        "1::2::3",
        "fe80::1%eth0",
        "gggg::1",
        "1.2.3.4/24",
        "1:2:3:4:5:6:7:8:9",
        "localhost",
        "2001:db8::0:1:1:1:1:1",
    };
    struct fsn_addr a;

    memset(&a, 0xaa, sizeof a);
    is_int(fsn_addr_parse("192.0.2.1", &a), 0, "parse IPv4");
    is_int(a.family, FSN_FAMILY_IPV4, "IPv4 family");
    ok(memcmp(a.a, v4, 16) == 0, "IPv4 in the first 4 bytes, rest zero");

    memset(&a, 0xaa, sizeof a);
    is_int(fsn_addr_parse("2001:db8::1", &a), 0, "parse IPv6");
    is_int(a.family, FSN_FAMILY_IPV6, "IPv6 family");
    ok(memcmp(a.a, v6, 16) == 0, "IPv6 bytes");
    is_int(fsn_addr_parse("2001:DB8:0:0:0:0:0:1", &a), 0, "IPv6 upper case, uncompressed");
    ok(memcmp(a.a, v6, 16) == 0, "same bytes");
    is_int(fsn_addr_parse("::ffff:192.0.2.1", &a), 0, "IPv4-mapped IPv6");
    is_int(a.family, FSN_FAMILY_IPV6, "mapped stays IPv6");
    ok(memcmp(a.a, mapped, 16) == 0, "mapped bytes");

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fsn_addr before, b;
        memset(&b, 0x55, sizeof b);
        before = b;
        is_int(fsn_addr_parse(bad[i], &b), FSN_E_SYNTAX, "reject '%s'", bad[i]);
        ok(memcmp(&b, &before, sizeof b) == 0, "output untouched for '%s'", bad[i]);
    }
    is_int(fsn_addr_parse(NULL, &a), FSN_E_SYNTAX, "reject NULL");
}

static void test_cidr_parse(void)
{
    static const struct {
        const char *text;
        uint8_t family, len;
        uint8_t a[16];
    } good[] = {
        {"192.0.2.0/24", FSN_FAMILY_IPV4, 24, {192, 0, 2, 0}},
        {"10.0.0.0/8", FSN_FAMILY_IPV4, 8, {10}},
        {"0.0.0.0/0", FSN_FAMILY_IPV4, 0, {0}},
        {"192.0.2.128/25", FSN_FAMILY_IPV4, 25, {192, 0, 2, 128}},
        {"192.0.2.1", FSN_FAMILY_IPV4, 32, {192, 0, 2, 1}},
        {"10.0.0.0/008", FSN_FAMILY_IPV4, 8, {10}},
        {"2001:db8::/32", FSN_FAMILY_IPV6, 32, {0x20, 0x01, 0x0d, 0xb8}},
        {"::/0", FSN_FAMILY_IPV6, 0, {0}},
        {"2001:db8::1", FSN_FAMILY_IPV6, 128, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
        {"2001:db8::/127", FSN_FAMILY_IPV6, 127, {0x20, 0x01, 0x0d, 0xb8}},
        {"fe80::/10", FSN_FAMILY_IPV6, 10, {0xfe, 0x80}},
    };
    static const char *const bad[] = {
        "192.0.2.1/24",
        "192.0.2.64/25",
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/",
        "/8",
        "10.0.0.0/0008",
        "10.0.0.0/-1",
        "10.0.0.0/+8",
        "10.0.0.0/8/8",
        "10.0.0.0/8 ",
        "2001:db8::1/64",
        "fe80::/8",
        "",
        "10.0.0/8",
        "x/8",
        "1111:2222:3333:4444:5555:6666:7777:8888:9999/64",
    };
    struct fsn_cidr c;

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        memset(&c, 0xaa, sizeof c);
        is_int(fsn_cidr_parse(good[i].text, &c), 0, "parse '%s'", good[i].text);
        ok(c.family == good[i].family && c.len == good[i].len && memcmp(c.a, good[i].a, 16) == 0,
           "'%s' family %u len %u and network bytes", good[i].text, good[i].family, good[i].len);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        is_int(fsn_cidr_parse(bad[i], &c), FSN_E_SYNTAX, "reject '%s'", bad[i]);
    is_int(fsn_cidr_parse(NULL, &c), FSN_E_SYNTAX, "reject NULL");
}

static bool match(const char *cidr, const char *addr)
{
    struct fsn_cidr c;
    struct fsn_addr a;

    if (fsn_cidr_parse(cidr, &c) < 0 || fsn_addr_parse(addr, &a) < 0)
        return false;
    return fsn_cidr_match(&c, a.family, a.a);
}

static void test_cidr_match(void)
{
    static const struct {
        const char *cidr, *addr;
        bool want;
    } cases[] = {
        {"10.0.0.0/8", "10.0.0.0", true},
        {"10.0.0.0/8", "10.255.255.255", true},
        {"10.0.0.0/8", "11.0.0.0", false},
        {"10.0.0.0/8", "9.255.255.255", false},
        {"192.0.2.128/25", "192.0.2.200", true},
        {"192.0.2.128/25", "192.0.2.127", false},
        {"192.0.2.0/23", "192.0.3.9", true},
        {"192.0.2.0/23", "192.0.4.0", false},
        {"0.0.0.0/0", "203.0.113.7", true},
        {"0.0.0.0/0", "::1", false},
        {"192.0.2.1", "192.0.2.1", true},
        {"192.0.2.1", "192.0.2.2", false},
        {"::/0", "2001:db8::1", true},
        {"::/0", "192.0.2.1", false},
        {"2001:db8::/32", "2001:db8:ffff::1", true},
        {"2001:db8::/32", "2001:db9::", false},
        {"2001:db8::/127", "2001:db8::1", true},
        {"2001:db8::/127", "2001:db8::2", false},
        {"fe80::/10", "febf::1", true},
        {"fe80::/10", "fec0::1", false},
        {"2001:db8::1", "2001:db8::1", true},
        {"2001:db8::1", "2001:db8::", false},
        /* An IPv4 prefix does not match the IPv4-mapped IPv6 form (no implicit mapping). */
        {"192.0.2.0/24", "::ffff:192.0.2.1", false},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(match(cases[i].cidr, cases[i].addr), cases[i].want, "%s %s %s", cases[i].addr,
               cases[i].want ? "in" : "not in", cases[i].cidr);
}

static void test_format(void)
{
    static const char *const round[] = {
        "192.0.2.1",
        "0.0.0.0",
        "255.255.255.255",
        "2001:db8::1",
        "::",
        "::1",
        "1::",
        "2001:db8::1:0:0:1",
        "2001:db8:0:1:1:1:1:1",
        "1111:2222:3333:4444:5555:6666:7777:8888",
        "::ffff:192.0.2.1",
        "fe80::abcd:ef01",
    };
    static const struct {
        const char *in, *out;
    } canon[] = {
        /* RFC 5952: lower case, leading zeros dropped, the longest (first) zero run as
         * "::", a single zero field not compressed. */
        {"2001:DB8::1", "2001:db8::1"},
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
        {"2001:0db8:0000:0001:0001:0001:0001:0001", "2001:db8:0:1:1:1:1:1"},
    };
    char buf[FSN_ADDR_STRLEN];
    struct fsn_addr a;
    uint8_t zero[16] = {0};

    for (size_t i = 0; i < sizeof round / sizeof round[0]; i++) {
        memset(&a, 0, sizeof a);
        is_int(fsn_addr_parse(round[i], &a), 0, "parse %s", round[i]);
        is_str(fsn_addr_format(a.family, a.a, buf, sizeof buf), round[i], "round trip %s",
               round[i]);
    }
    for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++) {
        memset(&a, 0, sizeof a);
        is_int(fsn_addr_parse(canon[i].in, &a), 0, "parse %s", canon[i].in);
        is_str(fsn_addr_format(a.family, a.a, buf, sizeof buf), canon[i].out, "%s -> %s",
               canon[i].in, canon[i].out);
    }
    is_int(fsn_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a), 0,
           "parse all-ones with a dotted tail");
    is_str(fsn_addr_format(a.family, a.a, buf, sizeof buf),
           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "all-ones IPv6 (39 characters)");

    fsn_addr_parse("192.0.2.1", &a);
    ok(fsn_addr_format(a.family, a.a, buf, 9) == buf && buf[0] == '\0',
       "buffer one byte short gives an empty string");
    is_str(fsn_addr_format(a.family, a.a, buf, 10), "192.0.2.1", "exact-size buffer");
    is_str(fsn_addr_format(0, zero, buf, sizeof buf), "", "unknown family gives empty");
    buf[0] = 'q';
    fsn_addr_format(a.family, a.a, buf, 0);
    ok(buf[0] == 'q', "zero-length buffer is not written");
}

static void test_hostport(void)
{
    static const struct {
        const char *in, *host;
        uint16_t port;
    } good[] = {
        {"127.0.0.1:2055", "127.0.0.1", 2055},
        {"[::1]:4739", "::1", 4739},
        {"localhost:9995", "localhost", 9995},
        {"[2001:db8::10]:65535", "2001:db8::10", 65535},
        {"[fe80::1%eth0]:2055", "fe80::1%eth0", 2055},
        {"collector-1.example.net:0", "collector-1.example.net", 0},
        {"0.0.0.0:00080", "0.0.0.0", 80},
        {"[::ffff:192.0.2.1]:9", "::ffff:192.0.2.1", 9},
    };
    static const char *const bad[] = {
        "127.0.0.1",  "127.0.0.1:",   ":2055",     "::1:2055",  "[::1]",      "[::1]2055",
        "[::1]:",     "[1.2.3.4]:80", "host:80x",  "host:+80",  "host:-1",    "a b:80",
        "host:65536", "host:123456",  "[]:80",     "[::1]:80:", "[::1:80",    "::1]:80",
        "host:80 ",   " host:80",     "[::1]]:80", "[[::1]:80", "host/24:80", "",
    };
    char host[64];
    uint16_t port;

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        memset(host, 'X', sizeof host);
        port = 1234;
        is_int(fsn_hostport_split(good[i].in, host, sizeof host, &port), 0, "split '%s'",
               good[i].in);
        is_str(host, good[i].host, "host of '%s'", good[i].in);
        is_uint(port, good[i].port, "port of '%s'", good[i].in);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        port = 1234;
        is_int(fsn_hostport_split(bad[i], host, sizeof host, &port), FSN_E_SYNTAX, "reject '%s'",
               bad[i]);
        is_uint(port, 1234, "port untouched for '%s'", bad[i]);
    }
    is_int(fsn_hostport_split(NULL, host, sizeof host, &port), FSN_E_SYNTAX, "reject NULL");
    /* "localhost" needs 10 bytes with its NUL. */
    is_int(fsn_hostport_split("localhost:1", host, 9, &port), FSN_E_SYNTAX,
           "host too long for the buffer");
    is_int(fsn_hostport_split("localhost:1", host, 10, &port), 0, "host exactly fits");
    is_str(host, "localhost", "exactly fitting host");
}

int main(void)
{
    test_addr_parse();
    test_cidr_parse();
    test_cidr_match();
    test_format();
    test_hostport();
    return tap_done();
}
