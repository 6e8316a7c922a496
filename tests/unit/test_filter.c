/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/filter: every construct, precedence (shown by the
 * compiled tree and by evaluation), IPv6, and the exact error messages with
 * their positions.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/filter.h"
#include "tests/tap.h"

static struct fsn_flow mk(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                          uint8_t proto)
{
    struct fsn_flow f;

    memset(&f, 0, sizeof f);
    if (inet_pton(AF_INET, src, f.key.src) == 1) {
        f.key.family = FSN_FAMILY_IPV4;
        inet_pton(AF_INET, dst, f.key.dst);
    } else {
        f.key.family = FSN_FAMILY_IPV6;
        inet_pton(AF_INET6, src, f.key.src);
        inet_pton(AF_INET6, dst, f.key.dst);
    }
    f.key.sport = sport;
    f.key.dport = dport;
    f.key.proto = proto;
    return f;
}

static const char *dump_of(const char *expr)
{
    static char buf[1024];
    struct fsn_filter *f;
    char err[128];

    if (fsn_filter_compile(expr, &f, err, sizeof err, NULL) != 0) {
        snprintf(buf, sizeof buf, "ERROR: %s", err);
        return buf;
    }
    fsn_filter_dump(f, buf, sizeof buf);
    fsn_filter_free(f);
    return buf;
}

/* -1 when the expression does not compile, else whether it matches. */
static int match(const char *expr, const struct fsn_flow *fl, const struct fsn_addr *x)
{
    struct fsn_filter *f;
    char err[128];
    int r;

    if (fsn_filter_compile(expr, &f, err, sizeof err, NULL) != 0) {
        diag("'%.60s': %s", expr, err);
        return -1;
    }
    r = fsn_filter_match(f, fl, x);
    fsn_filter_free(f);
    return r;
}

static void test_trees(void)
{
    is_str(dump_of(""), "(true)", "empty filter");
    is_str(dump_of("  \t "), "(true)", "blank filter");
    is_str(dump_of("host 192.0.2.1"), "(host 192.0.2.1)", "host");
    is_str(dump_of("src host 192.0.2.1"), "(host src 192.0.2.1)", "src host");
    is_str(dump_of("dst host 2001:db8::1"), "(host dst 2001:db8::1)", "dst host IPv6");
    is_str(dump_of("net 10.0.0.0/8"), "(net 10.0.0.0/8)", "net");
    is_str(dump_of("src net 2001:db8::/32"), "(net src 2001:db8::/32)", "src net IPv6");
    is_str(dump_of("dst net 0.0.0.0/0"), "(net dst 0.0.0.0/0)", "dst net /0");
    is_str(dump_of("net 192.0.2.7"), "(net 192.0.2.7/32)", "net without length: one host");
    is_str(dump_of("port 80"), "(port 80)", "port");
    is_str(dump_of("src port 0"), "(port src 0)", "src port 0");
    is_str(dump_of("dst port 65535"), "(port dst 65535)", "dst port 65535");
    is_str(dump_of("port 1000-2000"), "(port 1000-2000)", "port range");
    is_str(dump_of("proto tcp"), "(proto 6)", "proto tcp");
    is_str(dump_of("proto udp"), "(proto 17)", "proto udp");
    is_str(dump_of("proto icmp"), "(proto 1)", "proto icmp");
    is_str(dump_of("proto ipv6-icmp"), "(proto 58)", "proto ipv6-icmp");
    is_str(dump_of("proto 47"), "(proto 47)", "proto number");
    is_str(dump_of("tcp or udp or icmp6"), "(or (proto 6) (or (proto 17) (proto 58)))",
           "protocol shortcuts");
    is_str(dump_of("ip6 and not ip"), "(and (ip6) (not (ip)))", "families");
    is_str(dump_of("exporter 192.0.2.0/24"), "(exporter 192.0.2.0/24)", "exporter");
    is_str(dump_of("HOST 192.0.2.1 AND Port 53"), "(and (host 192.0.2.1) (port 53))",
           "keywords are case-insensitive");

    /* Precedence: not > and > or; parentheses override. */
    is_str(dump_of("port 1 or port 2 and port 3"), "(or (port 1) (and (port 2) (port 3)))",
           "and binds tighter than or");
    is_str(dump_of("port 1 and port 2 or port 3"), "(or (and (port 1) (port 2)) (port 3))",
           "and binds tighter than or (left)");
    is_str(dump_of("not port 1 and port 2"), "(and (not (port 1)) (port 2))",
           "not binds tighter than and");
    is_str(dump_of("not port 1 or port 2"), "(or (not (port 1)) (port 2))",
           "not binds tighter than or");
    is_str(dump_of("not (port 1 or port 2)"), "(not (or (port 1) (port 2)))", "parentheses group");
    is_str(dump_of("(port 1 or port 2) and port 3"), "(and (or (port 1) (port 2)) (port 3))",
           "parentheses override precedence");
    is_str(dump_of("!port 1 && port 2 || !(port 3)"),
           "(or (and (not (port 1)) (port 2)) (not (port 3)))", "symbolic operators");
    is_str(dump_of("not not port 1"), "(not (not (port 1)))", "double negation");
    is_str(dump_of("((((port 1))))"), "(port 1)", "nested parentheses");
    is_str(dump_of("host 10.0.0.1&&port 2||port 3"), "(or (and (host 10.0.0.1) (port 2)) (port 3))",
           "operators without spaces");
}

static void test_match(void)
{
    struct fsn_flow a = mk("10.1.2.3", 40000, "192.0.2.80", 443, 6);
    struct fsn_flow u = mk("192.0.2.53", 53, "10.9.9.9", 33333, 17);
    struct fsn_flow i = mk("10.1.2.3", 0, "192.0.2.80", 0x0303, 1);
    struct fsn_flow s = mk("2001:db8:1::5", 5555, "2001:db8:2::6", 80, 6);
    struct fsn_flow m = mk("2001:db8:1::5", 0, "2001:db8:2::6", 0x8000, 58);
    struct fsn_addr x4 = {.family = FSN_FAMILY_IPV4, .a = {192, 0, 2, 1}};

    is_int(match("host 10.1.2.3", &a, NULL), 1, "host matches the source");
    is_int(match("host 192.0.2.80", &a, NULL), 1, "host matches the destination");
    is_int(match("host 10.1.2.4", &a, NULL), 0, "other host does not match");
    is_int(match("src host 192.0.2.80", &a, NULL), 0, "src host ignores the destination");
    is_int(match("dst host 192.0.2.80", &a, NULL), 1, "dst host");
    is_int(match("dst host 10.1.2.3", &a, NULL), 0, "dst host ignores the source");
    is_int(match("net 10.0.0.0/8", &a, NULL), 1, "net");
    is_int(match("net 10.1.2.2/31", &a, NULL), 1, "net /31 holds .3");
    is_int(match("net 10.1.2.4/31", &a, NULL), 0, "net /31 without .3");
    is_int(match("src net 192.0.2.0/24", &a, NULL), 0, "src net");
    is_int(match("dst net 192.0.2.0/24", &a, NULL), 1, "dst net");
    is_int(match("net 0.0.0.0/0", &a, NULL), 1, "IPv4 /0 matches IPv4");
    is_int(match("net ::/0", &a, NULL), 0, "IPv6 /0 does not match IPv4");
    is_int(match("port 443", &a, NULL), 1, "port, destination side");
    is_int(match("port 40000", &a, NULL), 1, "port, source side");
    is_int(match("src port 443", &a, NULL), 0, "src port");
    is_int(match("dst port 443", &a, NULL), 1, "dst port");
    is_int(match("port 400-500", &a, NULL), 1, "port range");
    is_int(match("dst port 444-500", &a, NULL), 0, "port range outside");
    is_int(match("port 53", &u, NULL), 1, "UDP port");
    is_int(match("port 771", &i, NULL), 0, "ICMP type/code is no port");
    is_int(match("icmp", &i, NULL), 1, "icmp");
    is_int(match("proto tcp", &a, NULL), 1, "proto tcp");
    is_int(match("proto udp", &a, NULL), 0, "proto udp on TCP");
    is_int(match("proto 17", &u, NULL), 1, "proto 17");

    is_int(match("host 2001:db8:1::5", &s, NULL), 1, "IPv6 host");
    is_int(match("host 2001:db8:1::6", &s, NULL), 0, "other IPv6 host");
    is_int(match("src net 2001:db8:1::/48", &s, NULL), 1, "IPv6 src net");
    is_int(match("src net 2001:db8:2::/48", &s, NULL), 0, "IPv6 src net, other");
    is_int(match("dst net 2001:db8:2::/48", &s, NULL), 1, "IPv6 dst net");
    is_int(match("net 2001:db8::/32 and port 80", &s, NULL), 1, "IPv6 net and port");
    is_int(match("net 10.0.0.0/8", &s, NULL), 0, "IPv4 net does not match IPv6");
    is_int(match("ip6", &s, NULL), 1, "ip6");
    is_int(match("ip", &s, NULL), 0, "ip on IPv6");
    is_int(match("proto ipv6-icmp", &m, NULL), 1, "ipv6-icmp");
    is_int(match("icmp6 and not port 32768", &m, NULL), 1, "no ports in ICMPv6");

    is_int(match("exporter 192.0.2.1", &a, &x4), 1, "exporter");
    is_int(match("exporter 192.0.2.0/30", &a, &x4), 1, "exporter network");
    is_int(match("exporter 192.0.2.2", &a, &x4), 0, "other exporter");
    is_int(match("exporter 192.0.2.1", &a, NULL), 0, "unknown exporter");

    /* Precedence by evaluation: with A true, B false, C false, not A or B and C... */
    is_int(match("port 443 or port 1 and port 2", &a, NULL), 1, "A or (B and C) is true");
    is_int(match("(port 443 or port 1) and port 2", &a, NULL), 0, "(A or B) and C is false");
    is_int(match("not port 443 and port 1", &a, NULL), 0, "(not A) and B");
    is_int(match("not port 1 and port 443", &a, NULL), 1, "(not B) and A");
    is_int(match("not (port 1 or port 443)", &a, NULL), 0, "not (B or A)");
    is_int(match("! port 1 && (port 443 || port 2)", &a, NULL), 1, "symbols");
    is_int(match("", &a, NULL), 1, "empty filter matches");

    /* A long chain is evaluated in a loop (no deep recursion). */
    size_t n = 4000, len = 0;
    char *big = malloc(n * 16 + 32);
    for (size_t k = 0; k < n; k++)
        len += (size_t)sprintf(big + len, "%sport %zu", k ? " or " : "", k + 1000);
    is_int(match(big, &a, NULL), 0, "4000-term or chain: no match");
    strcpy(big + len, " or port 443");
    is_int(match(big, &a, NULL), 1, "4001-term or chain: last term matches");
    free(big);
}

static void check_error(const char *expr, int want_ret, const char *want_msg, size_t want_pos)
{
    struct fsn_filter *f = NULL;
    char err[160] = "";
    size_t pos = 9999;
    int ret = fsn_filter_compile(expr, &f, err, sizeof err, &pos);

    if (ret == want_ret && strcmp(err, want_msg) == 0 && pos == want_pos && f == NULL) {
        ok(1, "error for '%.60s'", expr);
    } else {
        ok(0, "error for '%.60s'", expr);
        diag("got %d '%s' at %zu; want %d '%s' at %zu", ret, err, pos, want_ret, want_msg,
             want_pos);
    }
    fsn_filter_free(f);
}

static void test_errors(void)
{
    check_error("host fooo", FSN_E_SYNTAX, "expected address after 'host' at 'fooo'", 5);
    check_error("host", FSN_E_SYNTAX, "expected address after 'host' at end of filter", 4);
    check_error("host 10.0.0.0/8", FSN_E_SYNTAX, "expected address after 'host' at '10.0.0.0/8'",
                5);
    check_error("src host 1.2.3.256", FSN_E_SYNTAX, "expected address after 'host' at '1.2.3.256'",
                9);
    check_error("net foo", FSN_E_SYNTAX, "expected network (ADDR/LEN) after 'net' at 'foo'", 4);
    check_error("net 10.0.0.1/8", FSN_E_SYNTAX, "non-network bits set in '10.0.0.1/8'", 4);
    check_error("net 10.0.0.0/33", FSN_E_SYNTAX, "prefix length out of range in '10.0.0.0/33'", 4);
    check_error("net 2001:db8::/129", FSN_E_SYNTAX,
                "prefix length out of range in '2001:db8::/129'", 4);
    check_error("net 10.0.0.0/", FSN_E_SYNTAX, "prefix length out of range in '10.0.0.0/'", 4);
    check_error("port http", FSN_E_SYNTAX, "expected port number (0-65535) after 'port' at 'http'",
                5);
    check_error("port 65536", FSN_E_SYNTAX,
                "expected port number (0-65535) after 'port' at '65536'", 5);
    check_error("port 20-10", FSN_E_SYNTAX, "bad port range '20-10'", 5);
    check_error("port (", FSN_E_SYNTAX, "expected port number (0-65535) after 'port' at '('", 5);
    check_error("proto foo", FSN_E_SYNTAX,
                "expected protocol name or number (0-255) after 'proto' at 'foo'", 6);
    check_error("proto 256", FSN_E_SYNTAX,
                "expected protocol name or number (0-255) after 'proto' at '256'", 6);
    check_error("src 10.0.0.1", FSN_E_SYNTAX,
                "expected 'host', 'net' or 'port' after 'src' at '10.0.0.1'", 4);
    check_error("dst proto tcp", FSN_E_SYNTAX,
                "expected 'host', 'net' or 'port' after 'dst' at 'proto'", 4);
    check_error("exporter x", FSN_E_SYNTAX, "expected address or network after 'exporter' at 'x'",
                9);
    check_error("foo", FSN_E_SYNTAX,
                "expected host, net, port, proto, src, dst, not or '(' at 'foo'", 0);
    check_error("10.0.0.1", FSN_E_SYNTAX,
                "expected host, net, port, proto, src, dst, not or '(' at '10.0.0.1'", 0);
    check_error("port 80 and", FSN_E_SYNTAX, "expected an expression after 'and' at end of filter",
                11);
    check_error("port 80 or or port 1", FSN_E_SYNTAX,
                "expected host, net, port, proto, src, dst, not or '(' at 'or'", 11);
    check_error("not", FSN_E_SYNTAX, "expected an expression after 'not' at end of filter", 3);
    check_error("port 80 port 81", FSN_E_SYNTAX, "expected 'and', 'or' or end of filter at 'port'",
                8);
    check_error("(port 80", FSN_E_SYNTAX, "expected ')' at end of filter", 8);
    check_error("(port 80 port 1)", FSN_E_SYNTAX, "expected ')' at 'port'", 9);
    check_error("port 80)", FSN_E_SYNTAX, "unmatched ')'", 7);
    check_error("()", FSN_E_SYNTAX, "expected host, net, port, proto, src, dst, not or '(' at ')'",
                1);
    check_error("port 80 & port 1", FSN_E_SYNTAX, "unexpected '&' (use '&&')", 8);
    check_error("port 80 | port 1", FSN_E_SYNTAX, "unexpected '|' (use '||')", 8);
    check_error("(port 80 & port 1)", FSN_E_SYNTAX, "unexpected '&' (use '&&')", 9);
    check_error("& port 1", FSN_E_SYNTAX, "unexpected '&' (use '&&')", 0);
    check_error(
        "host 1.2.3.4 and host aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", FSN_E_SYNTAX,
        "expected address after 'host' at 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'", 22);

    char deep[400];
    memset(deep, '(', 100);
    strcpy(deep + 100, "port 1");
    check_error(deep, FSN_E_LIMIT, "filter nested too deeply (more than 64 levels)", 64);
    memset(deep, '!', 80);
    strcpy(deep + 80, "port 1");
    check_error(deep, FSN_E_LIMIT, "filter nested too deeply (more than 64 levels)", 64);
    memset(deep, '(', 60);
    strcpy(deep + 60, "port 1");
    memset(deep + 66, ')', 60);
    deep[126] = 0;
    is_str(dump_of(deep), "(port 1)", "60 levels are fine");

    char *huge = malloc(FSN_FILTER_MAX_LEN + 2);
    memset(huge, ' ', FSN_FILTER_MAX_LEN + 1);
    huge[FSN_FILTER_MAX_LEN + 1] = 0;
    check_error(huge, FSN_E_LIMIT, "filter longer than 65536 bytes", 65536);
    free(huge);

    /* No message buffer: still an error code, no crash. */
    struct fsn_filter *f;
    is_int(fsn_filter_compile("host", &f, NULL, 0, NULL), FSN_E_SYNTAX, "error without buffer");
}

int main(void)
{
    test_trees();
    test_match();
    test_errors();
    return tap_done();
}
