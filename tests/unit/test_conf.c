/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/conf: the line and word syntax, the errors (exact
 * text and line numbers) and the value helpers. Expected values are worked
 * out by hand from the syntax in docs/configuration.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/error.h"
#include "tests/tap.h"

/* What the handlers saw: one "handler[arg|arg|...]" entry per call, in order. */
struct rec {
    char log[16384];
    int calls;
};

static void rec_add(struct rec *r, const char *key, int argc, char **argv)
{
    size_t len = strlen(r->log);
    len += (size_t)snprintf(r->log + len, sizeof r->log - len, "%s[", key);
    for (int i = 0; i < argc && len < sizeof r->log; i++)
        len += (size_t)snprintf(r->log + len, sizeof r->log - len, "%s%s", i ? "|" : "", argv[i]);
    if (len < sizeof r->log)
        snprintf(r->log + len, sizeof r->log - len, "]");
    r->calls++;
}

#define HANDLER(name)                                                                              \
    static int h_##name(void *ctx, int argc, char **argv, char *err, size_t errlen)                \
    {                                                                                              \
        (void)err;                                                                                 \
        (void)errlen;                                                                              \
        rec_add(ctx, #name, argc, argv);                                                           \
        return argv[argc] == NULL ? 0 : FSN_E_SYNTAX;                                              \
    }

HANDLER(listen)
HANDLER(net)
HANDLER(name)
HANDLER(flag)
HANDLER(many)

/* Checks its argument as a port through the value helper, as a program would. */
static int h_port(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    uint64_t v;
    int ret = fsn_conf_uint(argv[0], 1, 65535, &v, err, errlen);
    if (ret == 0)
        rec_add(ctx, "port", argc, argv);
    return ret;
}

/* Fails without a message: the parser must fall back to the code's text. */
static int h_silent(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)ctx;
    (void)argc;
    (void)argv;
    (void)err;
    (void)errlen;
    return FSN_E_NOTFOUND;
}

static const struct fsn_conf_directive dirs[] = {
    {"listen", 1, 1, false, h_listen, "ADDR:PORT", "0.0.0.0:2055", "Where to listen."},
    {"local-net", 1, -1, true, h_net, "CIDR...", NULL, "Local networks."},
    {"name", 0, 4, true, h_name, "ARG...", NULL, "Free text."},
    {"foreground", 0, 0, false, h_flag, "", NULL, "Stay in the foreground."},
    {"many", 2, -1, true, h_many, "ARG ARG...", NULL, "At least two."},
    {"port", 1, 1, false, h_port, "PORT", "2055", "A port."},
    {"silent", 0, 0, true, h_silent, "", NULL, "Always fails."},
    {"max-hosts", 1, 1, false, NULL, "N", "10000", "No handler: accepted and ignored."},
};
#define NDIRS (sizeof dirs / sizeof dirs[0])

/* Parses text (of explicit length) as "t.conf"; the record and message land in globals. */
static struct rec R;
static char E[512];

static int parse_n(const char *text, size_t len)
{
    memset(&R, 0, sizeof R);
    memset(E, 'X', sizeof E);
    E[sizeof E - 1] = '\0';
    return fsn_conf_parse(text, len, "t.conf", dirs, NDIRS, &R, E, sizeof E);
}

static int parse(const char *text)
{
    return parse_n(text, strlen(text));
}

static void test_basic(void)
{
    is_int(parse(""), 0, "empty buffer parses");
    is_int(R.calls, 0, "no handler calls");
    is_str(E, "", "no message on success");
    is_int(parse_n(NULL, 0), 0, "NULL buffer of length 0 parses");

    is_int(parse("# only a comment\n\n   \n\t\n# another\n"), 0, "comments and blanks");
    is_int(R.calls, 0, "comments call nothing");

    is_int(parse("listen 0.0.0.0:2055\n"
                 "# a comment\n"
                 "\n"
                 "  local-net  10.0.0.0/8   192.168.0.0/16  \n"
                 "local-net 2001:db8::/32 # trailing comment\n"
                 "foreground\n"
                 "max-hosts 5\n"),
           0, "a small file parses");
    is_str(R.log,
           "listen[0.0.0.0:2055]net[10.0.0.0/8|192.168.0.0/16]"
           "net[2001:db8::/32]flag[]",
           "handlers in file order with exact arguments");
    is_int(R.calls, 4, "four handler calls (max-hosts has none)");
}

static void test_line_endings(void)
{
    is_int(parse("listen a\r\nname b c\r\n\r\n# x\r\nname d\r\n"), 0, "CRLF parses");
    is_str(R.log, "listen[a]name[b|c]name[d]", "CR is not part of any argument");

    is_int(parse("listen a\r\n# c\r\n\r\nbogus\r\n"), FSN_E_SYNTAX, "CRLF error");
    is_str(E, "t.conf:4: unknown directive 'bogus'", "CRLF line number");

    is_int(parse("listen a\nname b"), 0, "missing final newline parses");
    is_str(R.log, "listen[a]name[b]", "last line without newline is used");

    is_int(parse("listen a\r"), 0, "final CR without newline parses");
    is_str(R.log, "listen[a]", "final CR is dropped");

    is_int(parse("listen a\n\nname x\nbogus"), FSN_E_SYNTAX, "error on unterminated last line");
    is_str(E, "t.conf:4: unknown directive 'bogus'", "line number of unterminated last line");

    is_int(parse("name a\rb\n"), FSN_E_SYNTAX, "stray CR is an error");
    is_str(E, "t.conf:1: carriage return not followed by a newline at column 7",
           "stray CR message");

    is_int(parse("name a\r\r\n"), FSN_E_SYNTAX, "CR CR LF is an error");
    is_str(E, "t.conf:1: carriage return not followed by a newline at column 7",
           "only one CR belongs to the line ending");

    is_int(parse("\xef\xbb\xbflisten a\nbogus\n"), FSN_E_SYNTAX, "BOM is skipped");
    is_str(R.log, "listen[a]", "BOM is not part of the first key");
    is_str(E, "t.conf:2: unknown directive 'bogus'", "BOM does not shift line numbers");
}

static void test_blanks_and_comments(void)
{
    is_int(parse("\tname\ta\t\tb \t c\t# tabbed comment\n"), 0, "tabs separate words");
    is_str(R.log, "name[a|b|c]", "tab-separated arguments");

    is_int(parse("name a#b c# #d\n"), 0, "'#' inside a word is literal");
    is_str(R.log, "name[a#b|c#]", "comment starts only at a word start");

    is_int(parse("name a \"#not a comment\"\n"), 0, "'#' inside quotes is literal");
    is_str(R.log, "name[a|#not a comment]", "quoted hash");

    is_int(parse("#listen a\n  # listen b\nlisten c\n"), 0, "commented-out directives");
    is_str(R.log, "listen[c]", "commented-out directive is not repeated");
}

static void test_quotes(void)
{
    is_int(parse("name \"a b\" \"say \\\"hi\\\"\" \"back\\\\slash\" \"\"\n"), 0,
           "quoted arguments parse");
    is_str(R.log, "name[a b|say \"hi\"|back\\slash|]", "quotes, escapes, empty argument");
    is_int(R.calls, 1, "one call");

    is_int(parse("name \"\ttab inside\"\n"), 0, "tab inside quotes");
    is_str(R.log, "name[\ttab inside]", "tab kept inside quotes");

    is_int(parse("name plain\\path\n"), 0, "backslash outside quotes");
    is_str(R.log, "name[plain\\path]", "backslash outside quotes is literal");

    is_int(parse("\"listen\" x\n"), 0, "quoted key");
    is_str(R.log, "listen[x]", "quoted key matches");

    is_int(parse("name a\n\nname \"open\n"), FSN_E_SYNTAX, "unterminated quote");
    is_str(E, "t.conf:3: unterminated quote (opened at column 6)", "unterminated quote message");
    is_str(R.log, "name[a]", "lines before the error were handled");

    is_int(parse("name \"ends in backslash\\\n"), FSN_E_SYNTAX, "quote ending in backslash");
    is_str(E, "t.conf:1: unterminated quote (opened at column 6)", "escaped newline not allowed");

    is_int(parse("name \"a\\nb\"\n"), FSN_E_SYNTAX, "unknown escape");
    is_str(E, "t.conf:1: unknown escape '\\n' at column 8 (only \\\" and \\\\ are escapes)",
           "unknown escape message");

    is_int(parse("name \"a\\\xc3\xa9\"\n"), FSN_E_SYNTAX, "escape of a non-ASCII byte");
    is_str(E, "t.conf:1: unknown escape at column 8 (only \\\" and \\\\ are escapes)",
           "non-ASCII escape message has no raw byte");

    is_int(parse("name \"a\"b\n"), FSN_E_SYNTAX, "text after closing quote");
    is_str(E, "t.conf:1: text right after a closing quote at column 9", "closing quote message");

    is_int(parse("name ab\"c d\"\n"), FSN_E_SYNTAX, "quote inside a word");
    is_str(E, "t.conf:1: quote inside an unquoted argument at column 8 (quote the whole argument)",
           "quote inside word message");

    is_int(parse("name caf\xc3\xa9 \"\xe2\x82\xac 5\"\n"), 0, "UTF-8 bytes are plain text");
    is_str(R.log, "name[caf\xc3\xa9|\xe2\x82\xac 5]", "UTF-8 arguments unchanged");
}

static void test_bad_bytes(void)
{
    static const char nul[] = "listen a\nname x\0y\n";
    static const char nulc[] = "listen a\n# comment \0 hidden\nbogus\n";

    is_int(parse_n(nul, sizeof nul - 1), FSN_E_SYNTAX, "NUL byte is an error");
    is_str(E, "t.conf:2: NUL byte at column 7", "NUL message and line");
    is_str(R.log, "listen[a]", "line before the NUL was handled");

    is_int(parse_n(nulc, sizeof nulc - 1), FSN_E_SYNTAX, "NUL inside a comment is an error");
    is_str(E, "t.conf:2: NUL byte at column 11", "NUL in comment is not skipped");

    is_int(parse("name a\x01\n"), FSN_E_SYNTAX, "control byte");
    is_str(E, "t.conf:1: control character 0x01 at column 7", "control byte message");
    is_int(parse("name a\x7f\n"), FSN_E_SYNTAX, "DEL byte");
    is_str(E, "t.conf:1: control character 0x7f at column 7", "DEL message");
    is_int(parse("name a\fb\n"), FSN_E_SYNTAX, "form feed");
    is_str(E, "t.conf:1: control character 0x0c at column 7", "form feed message");
}

static void test_long_lines(void)
{
    size_t max = FSN_CONF_MAX_LINE;
    char *buf = malloc(max + 64);
    char want[128];

    /* "name " + x...x of exactly FSN_CONF_MAX_LINE bytes, then CRLF: accepted. */
    memcpy(buf, "name ", 5);
    memset(buf + 5, 'x', max - 5);
    memcpy(buf + max, "\r\nname y\n", 9);
    is_int(parse_n(buf, max + 9), 0, "line of exactly the maximum length");
    is_uint(strlen(R.log), strlen("name[]") + (max - 5) + strlen("name[y]"),
            "its argument is complete");

    /* One byte more: an error on that line, even though the line is a comment. */
    memcpy(buf, "listen a\n#", 10);
    memset(buf + 10, 'c', max);
    memcpy(buf + 9 + max + 1, "\nname z\n", 8);
    is_int(parse_n(buf, 9 + max + 1 + 8), FSN_E_LIMIT, "line one byte too long");
    snprintf(want, sizeof want, "t.conf:2: line longer than %d bytes", FSN_CONF_MAX_LINE);
    is_str(E, want, "overlong line message");
    is_str(R.log, "listen[a]", "parsing stopped at the long line");

    /* The most arguments a line may have, then one more. */
    {
        size_t n = 0;
        memcpy(buf, "many", 4);
        n = 4;
        for (int i = 0; i < FSN_CONF_MAX_ARGS; i++) {
            buf[n++] = ' ';
            buf[n++] = (char)('a' + i % 26);
        }
        buf[n++] = '\n';
        is_int(parse_n(buf, n), 0, "%d arguments are accepted", FSN_CONF_MAX_ARGS);
        is_int(R.calls, 1, "one call with the maximum argument count");
        buf[n - 1] = ' ';
        buf[n++] = 'z';
        buf[n++] = '\n';
        is_int(parse_n(buf, n), FSN_E_LIMIT, "%d arguments are too many", FSN_CONF_MAX_ARGS + 1);
        snprintf(want, sizeof want, "t.conf:1: more than %d arguments", FSN_CONF_MAX_ARGS);
        is_str(E, want, "too many arguments message");
    }
    free(buf);
}

static void test_directives(void)
{
    is_int(parse("listen a\n# c\n\nlisen b\n"), FSN_E_SYNTAX, "unknown directive");
    is_str(E, "t.conf:4: unknown directive 'lisen' (did you mean 'listen'?)",
           "suggests the nearest name");
    is_int(parse("Listen a\n"), FSN_E_SYNTAX, "keys are case-sensitive");
    is_str(E, "t.conf:1: unknown directive 'Listen' (did you mean 'listen'?)",
           "suggests across case");
    is_int(parse("lsiten a\n"), FSN_E_SYNTAX, "transposed letters");
    is_str(E, "t.conf:1: unknown directive 'lsiten' (did you mean 'listen'?)",
           "a swap counts as one edit");
    is_int(parse("max_hosts 5\n"), FSN_E_SYNTAX, "underscore for dash");
    is_str(E, "t.conf:1: unknown directive 'max_hosts' (did you mean 'max-hosts'?)",
           "suggests the dashed name");
    is_int(parse("xyzzy 1\n"), FSN_E_SYNTAX, "unknown, nothing close");
    is_str(E, "t.conf:1: unknown directive 'xyzzy'", "no suggestion when nothing is close");
    is_int(parse("nam\n"), FSN_E_SYNTAX, "short unknown key");
    is_str(E, "t.conf:1: unknown directive 'nam' (did you mean 'name'?)", "one edit on 3 chars");
    is_int(parse("nm\n"), FSN_E_SYNTAX, "two edits on a short key");
    is_str(E, "t.conf:1: unknown directive 'nm'", "no suggestion two edits away from 4 chars");
    is_int(parse("\"\" a\n"), FSN_E_SYNTAX, "empty key");
    is_str(E, "t.conf:1: unknown directive ''", "empty key message");

    is_int(parse("listen a\nname x\n\nlisten b\n"), FSN_E_SYNTAX, "repeated directive");
    is_str(E, "t.conf:4: 'listen' given again (first at line 1); it may appear only once",
           "repeated directive message names the first line");
    is_str(R.log, "listen[a]name[x]", "stopped before the repeat");
    is_int(parse("local-net a\nlocal-net b\nname\nname\n"), 0, "repeatable directives");
    is_str(R.log, "net[a]net[b]name[]name[]", "repeatable directives all called");

    is_int(parse("listen\n"), FSN_E_SYNTAX, "too few arguments");
    is_str(E, "t.conf:1: 'listen' takes 1 argument, got 0", "exact count message (few)");
    is_int(parse("listen a b\n"), FSN_E_SYNTAX, "too many arguments for the directive");
    is_str(E, "t.conf:1: 'listen' takes 1 argument, got 2", "exact count message (many)");
    is_int(parse("foreground yes\n"), FSN_E_SYNTAX, "argument to a flag");
    is_str(E, "t.conf:1: 'foreground' takes no arguments, got 1", "no-argument message");
    is_int(parse("local-net\n"), FSN_E_SYNTAX, "too few for a list");
    is_str(E, "t.conf:1: 'local-net' takes at least 1 argument, got 0", "at least message");
    is_int(parse("many a\n"), FSN_E_SYNTAX, "too few for at-least-two");
    is_str(E, "t.conf:1: 'many' takes at least 2 arguments, got 1", "plural at least message");
    is_int(parse("name a b c d e\n"), FSN_E_SYNTAX, "over max_args");
    is_str(E, "t.conf:1: 'name' takes at most 4 arguments, got 5", "at most message");

    is_int(parse("listen a\n\nport 70000\nname z\n"), FSN_E_RANGE, "handler error code");
    is_str(E, "t.conf:3: port: '70000' is out of range (1 to 65535)",
           "handler message with file, line and key");
    is_str(R.log, "listen[a]", "stops at the handler error");
    is_int(parse("port 2x\n"), FSN_E_SYNTAX, "handler syntax error");
    is_str(E, "t.conf:1: port: '2x' is not a number", "uint helper rejects a suffix");
    is_int(parse("\n\nsilent\n"), FSN_E_NOTFOUND, "handler without message");
    is_str(E, "t.conf:3: silent: not found", "falls back to the code's text");
}

static void test_err_buffers(void)
{
    char small[12];
    int ret;

    memset(small, 'X', sizeof small);
    ret = fsn_conf_parse("bogus\n", 6, "t.conf", dirs, NDIRS, &R, small, sizeof small);
    is_int(ret, FSN_E_SYNTAX, "error with a small buffer");
    is_str(small, "t.conf:1: u", "message truncated and terminated");
    ret = fsn_conf_parse("bogus\n", 6, "t.conf", dirs, NDIRS, &R, NULL, 0);
    is_int(ret, FSN_E_SYNTAX, "error without a buffer");
    ret = fsn_conf_parse("bogus\n", 6, NULL, dirs, NDIRS, &R, E, sizeof E);
    is_str(E, "(config):1: unknown directive 'bogus'", "NULL file name");
    ret = fsn_conf_parse("listen x\n", 9, "t.conf", NULL, 0, &R, E, sizeof E);
    is_str(E, "t.conf:1: unknown directive 'listen'", "empty table");
}

static void test_uint(void)
{
    uint64_t v = 7;
    char e[256];

    is_int(fsn_conf_uint("0", 0, 10, &v, e, sizeof e), 0, "uint 0");
    is_uint(v, 0, "uint 0 value");
    is_int(fsn_conf_uint("0010", 0, 10, &v, e, sizeof e), 0, "uint leading zeros");
    is_uint(v, 10, "uint leading zeros value");
    is_int(fsn_conf_uint("18446744073709551615", 0, UINT64_MAX, &v, e, sizeof e), 0, "uint 2^64-1");
    is_uint(v, UINT64_MAX, "uint 2^64-1 value");
    v = 7;
    is_int(fsn_conf_uint("18446744073709551616", 0, UINT64_MAX, &v, e, sizeof e), FSN_E_RANGE,
           "uint 2^64 overflows");
    is_str(e, "'18446744073709551616' is out of range (0 to 18446744073709551615)",
           "overflow message");
    is_uint(v, 7, "output untouched on error");
    is_int(fsn_conf_uint("99999999999999999999", 1, 100, &v, e, sizeof e), FSN_E_RANGE,
           "uint 20 nines");
    is_str(e, "'99999999999999999999' is out of range (1 to 100)", "20 nines message");
    is_int(fsn_conf_uint("101", 1, 100, &v, e, sizeof e), FSN_E_RANGE, "uint above max");
    is_str(e, "'101' is out of range (1 to 100)", "above max message");
    is_int(fsn_conf_uint("0", 1, 100, &v, e, sizeof e), FSN_E_RANGE, "uint below min");
    is_int(fsn_conf_uint("-1", 0, 100, &v, e, sizeof e), FSN_E_SYNTAX, "negative");
    is_str(e, "'-1' is not a number", "negative message");
    is_int(fsn_conf_uint("+1", 0, 100, &v, e, sizeof e), FSN_E_SYNTAX, "plus sign");
    is_int(fsn_conf_uint(" 1", 0, 100, &v, e, sizeof e), FSN_E_SYNTAX, "leading blank");
    is_int(fsn_conf_uint("1 ", 0, 100, &v, e, sizeof e), FSN_E_SYNTAX, "trailing blank");
    is_str(e, "'1 ' is not a number", "trailing blank message");
    is_int(fsn_conf_uint("0x10", 0, 100, &v, e, sizeof e), FSN_E_SYNTAX, "hex is not accepted");
    is_int(fsn_conf_uint("", 0, 100, &v, e, sizeof e), FSN_E_SYNTAX, "empty");
    is_str(e, "empty value where a number was expected", "empty message");
    is_int(fsn_conf_uint("5k", 0, 100000, &v, e, sizeof e), FSN_E_SYNTAX, "uint has no units");
    is_int(fsn_conf_uint("5", 0, 100, &v, NULL, 0), 0, "NULL message buffer is fine");
    is_uint(v, 5, "value with NULL message buffer");
}

static void test_seconds(void)
{
    uint64_t v = 0;
    char e[256];

    is_int(fsn_conf_seconds("90", 0, UINT64_MAX, &v, e, sizeof e), 0, "90");
    is_uint(v, 90, "90 = 90 s");
    is_int(fsn_conf_seconds("90s", 0, UINT64_MAX, &v, e, sizeof e), 0, "90s");
    is_uint(v, 90, "90s = 90 s");
    is_int(fsn_conf_seconds("2m", 0, UINT64_MAX, &v, e, sizeof e), 0, "2m");
    is_uint(v, 120, "2m = 120 s");
    is_int(fsn_conf_seconds("1h", 0, UINT64_MAX, &v, e, sizeof e), 0, "1h");
    is_uint(v, 3600, "1h = 3600 s");
    is_int(fsn_conf_seconds("1d", 0, UINT64_MAX, &v, e, sizeof e), 0, "1d");
    is_uint(v, 86400, "1d = 86400 s");
    is_int(fsn_conf_seconds("0m", 0, 10, &v, e, sizeof e), 0, "0m");
    is_uint(v, 0, "0m = 0 s");

    is_int(fsn_conf_seconds("5x", 0, 1000, &v, e, sizeof e), FSN_E_SYNTAX, "5x");
    is_str(e, "'5x': unknown unit 'x' (use s, m, h or d)", "5x names the unit");
    is_int(fsn_conf_seconds("5min", 0, 1000, &v, e, sizeof e), FSN_E_SYNTAX, "5min");
    is_str(e, "'5min': unknown unit 'min' (use s, m, h or d)", "5min names the unit");
    is_int(fsn_conf_seconds("5M", 0, 1000, &v, e, sizeof e), FSN_E_SYNTAX, "5M is not minutes");
    is_int(fsn_conf_seconds("m", 0, 1000, &v, e, sizeof e), FSN_E_SYNTAX, "unit alone");
    is_str(e, "'m' is not a number", "unit alone message");
    is_int(fsn_conf_seconds("2d", 1, 86400, &v, e, sizeof e), FSN_E_RANGE, "2d above 1 day");
    is_str(e, "'2d' is out of range (1 to 86400 seconds)", "seconds range message");
    /* 2^64 / 86400 = 213503982334601.07; one more day overflows. */
    is_int(fsn_conf_seconds("213503982334601d", 0, UINT64_MAX, &v, e, sizeof e), 0,
           "largest day count");
    is_uint(v, UINT64_C(213503982334601) * 86400, "largest day count value");
    is_int(fsn_conf_seconds("213503982334602d", 0, UINT64_MAX, &v, e, sizeof e), FSN_E_RANGE,
           "unit multiplication overflows");
    is_int(fsn_conf_seconds("99999999999999999999s", 0, UINT64_MAX, &v, e, sizeof e), FSN_E_RANGE,
           "digit overflow with a unit");
    is_int(fsn_conf_seconds("99999999999999999999q", 0, UINT64_MAX, &v, e, sizeof e), FSN_E_SYNTAX,
           "bad unit reported before overflow");
}

static void test_bytes(void)
{
    uint64_t v = 0;
    char e[256];

    is_int(fsn_conf_bytes("4096", 0, UINT64_MAX, &v, e, sizeof e), 0, "4096");
    is_uint(v, 4096, "4096 bytes");
    is_int(fsn_conf_bytes("64k", 0, UINT64_MAX, &v, e, sizeof e), 0, "64k");
    is_uint(v, 65536, "64k = 65536");
    is_int(fsn_conf_bytes("64K", 0, UINT64_MAX, &v, e, sizeof e), 0, "64K");
    is_uint(v, 65536, "64K = 65536");
    is_int(fsn_conf_bytes("16M", 0, UINT64_MAX, &v, e, sizeof e), 0, "16M");
    is_uint(v, 16777216, "16M = 16777216");
    is_int(fsn_conf_bytes("2G", 0, UINT64_MAX, &v, e, sizeof e), 0, "2G");
    is_uint(v, 2147483648u, "2G = 2147483648");
    is_int(fsn_conf_bytes("1T", 0, UINT64_MAX, &v, e, sizeof e), 0, "1T");
    is_uint(v, UINT64_C(1099511627776), "1T = 2^40");
    is_int(fsn_conf_bytes("8MB", 0, UINT64_MAX, &v, e, sizeof e), 0, "8MB");
    is_uint(v, 8388608, "8MB = 8 MiB");
    is_int(fsn_conf_bytes("8MiB", 0, UINT64_MAX, &v, e, sizeof e), 0, "8MiB");
    is_uint(v, 8388608, "8MiB = 8 MiB");
    is_int(fsn_conf_bytes("512B", 0, UINT64_MAX, &v, e, sizeof e), 0, "512B");
    is_uint(v, 512, "512B = 512");

    is_int(fsn_conf_bytes("5x", 0, UINT64_MAX, &v, e, sizeof e), FSN_E_SYNTAX, "5x");
    is_str(e, "'5x': unknown unit 'x' (use k, M, G or T)", "5x names the unit");
    is_int(fsn_conf_bytes("5KK", 0, UINT64_MAX, &v, e, sizeof e), FSN_E_SYNTAX, "5KK");
    is_str(e, "'5KK': unknown unit 'KK' (use k, M, G or T)", "5KK names the unit");
    is_int(fsn_conf_bytes("5iB", 0, UINT64_MAX, &v, e, sizeof e), FSN_E_SYNTAX, "5iB");
    is_int(fsn_conf_bytes("3G", 0, UINT32_MAX, &v, e, sizeof e), 0, "3G under 2^32");
    is_uint(v, UINT64_C(3221225472), "3G = 3221225472");
    is_int(fsn_conf_bytes("4G", 0, UINT32_MAX, &v, e, sizeof e), FSN_E_RANGE, "4G over 2^32-1");
    is_str(e, "'4G' is out of range (0 to 4294967295 bytes)", "bytes range message");
    /* 2^64 / 2^40 = 2^24 = 16777216: that many T is one past the top. */
    is_int(fsn_conf_bytes("16777215T", 0, UINT64_MAX, &v, e, sizeof e), 0, "16777215T fits");
    is_uint(v, UINT64_C(16777215) << 40, "16777215T value");
    is_int(fsn_conf_bytes("16777216T", 0, UINT64_MAX, &v, e, sizeof e), FSN_E_RANGE,
           "16777216T overflows");
    is_int(fsn_conf_bytes("99999999999999999999", 0, UINT64_MAX, &v, e, sizeof e), FSN_E_RANGE,
           "20 nines bytes");
}

static void test_bool(void)
{
    static const char *const yes[] = {"yes", "on", "true", "1", "YES", "On", "True"};
    static const char *const no[] = {"no", "off", "false", "0", "NO", "Off", "FALSE"};
    char e[256];
    bool b;

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        b = false;
        ok(fsn_conf_bool(yes[i], &b, e, sizeof e) == 0 && b, "'%s' is true", yes[i]);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        b = true;
        ok(fsn_conf_bool(no[i], &b, e, sizeof e) == 0 && !b, "'%s' is false", no[i]);
    }
    b = true;
    is_int(fsn_conf_bool("maybe", &b, e, sizeof e), FSN_E_SYNTAX, "maybe");
    is_str(e, "'maybe' is not a boolean (use yes or no)", "bool message");
    ok(b, "output untouched on error");
    is_int(fsn_conf_bool("", &b, e, sizeof e), FSN_E_SYNTAX, "empty bool");
    is_int(fsn_conf_bool("yess", &b, e, sizeof e), FSN_E_SYNTAX, "yess");
    is_int(fsn_conf_bool("ye", &b, e, sizeof e), FSN_E_SYNTAX, "prefix of yes");
}

static void test_u32_and_string(void)
{
    char e[256], buf[6] = "old";
    uint32_t v = 7;

    is_int(fsn_conf_u32("4294967295", 0, UINT32_MAX, &v, e, sizeof e), 0, "u32 at its top");
    is_uint(v, 4294967295u, "u32 value");
    v = 7;
    is_int(fsn_conf_u32("11", 1, 10, &v, e, sizeof e), FSN_E_RANGE, "u32 above its range");
    is_uint(v, 7, "u32 untouched on error");
    is_int(fsn_conf_string("abcde", buf, sizeof buf, e, sizeof e), 0, "string that just fits");
    is_str(buf, "abcde", "string copied");
    is_int(fsn_conf_string("abcdef", buf, sizeof buf, e, sizeof e), FSN_E_RANGE, "string too long");
    is_str(e, "must be 1 to 5 characters long", "string message");
    is_str(buf, "abcde", "string untouched on error");
    is_int(fsn_conf_string("", buf, sizeof buf, e, sizeof e), FSN_E_RANGE, "empty string");
}

int main(void)
{
    test_basic();
    test_line_endings();
    test_blanks_and_comments();
    test_quotes();
    test_bad_bytes();
    test_long_lines();
    test_directives();
    test_err_buffers();
    test_uint();
    test_seconds();
    test_bytes();
    test_bool();
    test_u32_and_string();
    return tap_done();
}
