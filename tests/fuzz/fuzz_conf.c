/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target for lib/conf (and the lib/addr parsers its handlers use).
 * Besides crashes and sanitizer reports it checks properties that must hold
 * for every input, and aborts when one does not:
 *   - an error message reads "fuzz.conf:LINE: ..." with LINE within the input,
 *     a success leaves the message empty;
 *   - handlers get an argument count within the directive's bounds, a
 *     NULL-terminated argv, and arguments free of line breaks and control bytes;
 *   - the value helpers return values within their bounds, and a number
 *     printed back parses to itself;
 *   - an accepted prefix or host:port prints back to text that parses the same;
 *   - parsing is deterministic, and a file rebuilt from the arguments the
 *     handlers saw (every argument quoted and escaped) gives the same calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/conf.h"
#include "lib/error.h"

/* Everything the handlers saw, as "index:arg\x1farg\x1f\n" per call. */
struct seen {
    char *log;
    size_t len, cap;
    bool overflow;
};

static void check(bool cond)
{
    if (!cond)
        abort();
}

static void log_add(struct seen *s, const char *text, size_t n)
{
    if (s->overflow || s->len + n > s->cap) {
        s->overflow = true;
        return;
    }
    memcpy(s->log + s->len, text, n);
    s->len += n;
}

static void check_args(int argc, char **argv, int min, int max)
{
    check(argc >= min && argc <= (max < 0 ? FSN_CONF_MAX_ARGS : max));
    check(argv[argc] == NULL);
    for (int i = 0; i < argc; i++) {
        for (const unsigned char *p = (const unsigned char *)argv[i]; *p; p++)
            check(*p == '\t' || (*p >= 0x20 && *p != 0x7f));
    }
}

static void record(void *ctx, int idx, int argc, char **argv)
{
    struct seen *s = ctx;
    char head[16];

    log_add(s, head, (size_t)snprintf(head, sizeof head, "%d:", idx));
    for (int i = 0; i < argc; i++) {
        log_add(s, argv[i], strlen(argv[i]));
        log_add(s, "\x1f", 1);
    }
    log_add(s, "\n", 1);
}

static void check_number(const char *s, uint64_t v, uint64_t min, uint64_t max)
{
    char text[32];
    uint64_t again = 0;

    check(v >= min && v <= max);
    snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    check(fsn_conf_uint(text, 0, UINT64_MAX, &again, NULL, 0) == 0 && again == v);
    /* A plain number means the same to every helper. */
    if (strspn(s, "0123456789") == strlen(s)) {
        check(fsn_conf_uint(s, 0, UINT64_MAX, &again, NULL, 0) == 0 && again == v);
    }
}

static int h_uint(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    uint64_t v = 0;
    int ret;

    check_args(argc, argv, 1, 1);
    if ((ret = fsn_conf_uint(argv[0], 1, 65535, &v, err, errlen)) < 0)
        return ret;
    check_number(argv[0], v, 1, 65535);
    record(ctx, 0, argc, argv);
    return 0;
}

static int h_seconds(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    uint64_t v = 0;
    int ret;

    check_args(argc, argv, 1, 1);
    if ((ret = fsn_conf_seconds(argv[0], 0, UINT64_MAX, &v, err, errlen)) < 0)
        return ret;
    check_number(argv[0], v, 0, UINT64_MAX);
    record(ctx, 1, argc, argv);
    return 0;
}

static int h_bytes(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    uint64_t v = 0;
    int ret;

    check_args(argc, argv, 1, 1);
    if ((ret = fsn_conf_bytes(argv[0], 4096, UINT64_C(1) << 40, &v, err, errlen)) < 0)
        return ret;
    check_number(argv[0], v, 4096, UINT64_C(1) << 40);
    record(ctx, 2, argc, argv);
    return 0;
}

static int h_bool(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    bool b;
    int ret;

    check_args(argc, argv, 1, 1);
    if ((ret = fsn_conf_bool(argv[0], &b, err, errlen)) < 0)
        return ret;
    record(ctx, 3, argc, argv);
    return 0;
}

static int h_nets(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    check_args(argc, argv, 1, -1);
    for (int i = 0; i < argc; i++) {
        struct fsn_cidr c, again;
        char text[FSN_ADDR_STRLEN + 8];
        size_t n;

        if (fsn_cidr_parse(argv[i], &c) < 0) {
            snprintf(err, errlen, "bad prefix '%.64s'", argv[i]);
            return FSN_E_SYNTAX;
        }
        check(fsn_cidr_match(&c, c.family, c.a));
        fsn_addr_format(c.family, c.a, text, sizeof text);
        n = strlen(text);
        check(n > 0);
        snprintf(text + n, sizeof text - n, "/%u", c.len);
        check(fsn_cidr_parse(text, &again) == 0 && memcmp(&c, &again, sizeof c) == 0);
    }
    record(ctx, 4, argc, argv);
    return 0;
}

static int h_hostport(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    char host[64], text[96], host2[64];
    uint16_t port, port2;

    check_args(argc, argv, 1, 2);
    for (int i = 0; i < argc; i++) {
        if (fsn_hostport_split(argv[i], host, sizeof host, &port) < 0) {
            snprintf(err, errlen, "bad address '%.64s'", argv[i]);
            return FSN_E_SYNTAX;
        }
        check(host[0] != '\0' && strlen(host) < sizeof host);
        snprintf(text, sizeof text, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
        check(fsn_hostport_split(text, host2, sizeof host2, &port2) == 0);
        check(strcmp(host, host2) == 0 && port == port2);
    }
    record(ctx, 5, argc, argv);
    return 0;
}

static int h_text(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    check_args(argc, argv, 0, -1);
    record(ctx, 6, argc, argv);
    return 0;
}

static int h_flag(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    check_args(argc, argv, 0, 0);
    record(ctx, 7, argc, argv);
    return 0;
}

static const struct fsn_conf_directive dirs[] = {
    {"port", 1, 1, false, h_uint, "PORT", "2055", "A number with a range."},
    {"timeout", 1, 1, false, h_seconds, "SECONDS", "30m", "Seconds with a unit."},
    {"buffer", 1, 1, true, h_bytes, "BYTES", "4M", "Bytes with a unit."},
    {"enable", 1, 1, true, h_bool, "yes|no", "yes", "A boolean."},
    {"local-net", 1, -1, true, h_nets, "CIDR...", NULL, "Prefixes."},
    {"listen", 1, 2, true, h_hostport, "HOST:PORT...", "0.0.0.0:2055", "Addresses."},
    {"text", 0, -1, true, h_text, "WORD...", NULL, "Free text."},
    {"foreground", 0, 0, false, h_flag, "", NULL, "A flag."},
    {"ignored", 0, 3, true, NULL, "ANY...", NULL, "No handler."},
};
#define NDIRS (sizeof dirs / sizeof dirs[0])
#define FNAME "fuzz.conf"

/* Checks the shape of a message after a parse that returned ret. */
static void check_message(int ret, const char *err, size_t errcap, const uint8_t *data, size_t size)
{
    size_t lines = 1, line = 0;
    const char *p;

    check(strlen(err) < errcap);
    if (ret == 0) {
        check(err[0] == '\0');
        return;
    }
    check(ret < 0);
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    check(strncmp(err, FNAME ":", sizeof FNAME) == 0);
    p = err + sizeof FNAME;
    check(*p >= '1' && *p <= '9');
    while (*p >= '0' && *p <= '9')
        line = line * 10 + (size_t)(*p++ - '0');
    check(line >= 1 && line <= lines);
    check(p[0] == ':' && p[1] == ' ' && p[2] != '\0');
}

/* Writes the calls in `s` back as a config file, every argument quoted. */
static size_t rebuild(const struct seen *s, char *out, size_t cap, bool *too_long)
{
    size_t o = 0, linestart = 0;
    const char *p = s->log, *end = s->log + s->len;

    *too_long = false;
    while (p < end) {
        char *colon;
        long idx = strtol(p, &colon, 10);
        const char *name = dirs[idx].name;
        size_t n = strlen(name);

        check(o + n < cap);
        memcpy(out + o, name, n);
        o += n;
        p = colon + 1;
        while (*p != '\n') {
            const char *sep = memchr(p, '\x1f', (size_t)(end - p));
            check(sep != NULL && o + 3 + 2 * (size_t)(sep - p) < cap);
            out[o++] = ' ';
            out[o++] = '"';
            for (; p < sep; p++) {
                if (*p == '"' || *p == '\\')
                    out[o++] = '\\';
                out[o++] = *p;
            }
            out[o++] = '"';
            p = sep + 1;
        }
        p++;
        if (o - linestart > FSN_CONF_MAX_LINE)
            *too_long = true;
        check(o + 1 < cap);
        out[o++] = '\n';
        linestart = o;
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen a = {0}, b = {0}, c = {0};
    char err1[300], err2[300], err3[300];
    char *text = NULL;
    int r1, r2, r3;

    /* Each call logs at most its line's bytes plus a few: this never overflows. */
    a.cap = b.cap = c.cap = 4 * size + 64;
    a.log = malloc(a.cap);
    b.log = malloc(b.cap);
    c.log = malloc(c.cap);
    check(a.log && b.log && c.log);

    r1 = fsn_conf_parse((const char *)data, size, FNAME, dirs, NDIRS, &a, err1, sizeof err1);
    check_message(r1, err1, sizeof err1, data, size);

    r2 = fsn_conf_parse((const char *)data, size, FNAME, dirs, NDIRS, &b, err2, sizeof err2);
    check(r1 == r2 && strcmp(err1, err2) == 0);
    check(a.len == b.len && a.overflow == b.overflow && memcmp(a.log, b.log, a.len) == 0);

    check(!a.overflow);
    if (r1 == 0) {
        /* Quoting at most doubles each argument and adds 3 bytes around it. */
        size_t cap = 2 * a.len + 64 * 1024, n;
        bool too_long;

        text = malloc(cap);
        check(text != NULL);
        n = rebuild(&a, text, cap, &too_long);
        r3 = fsn_conf_parse(text, n, FNAME, dirs, NDIRS, &c, err3, sizeof err3);
        if (too_long) {
            check(r3 == 0 || r3 == FSN_E_LIMIT);
        } else {
            check(r3 == 0);
            check(c.len == a.len && memcmp(c.log, a.log, a.len) == 0);
        }
    }
    free(text);
    free(a.log);
    free(b.log);
    free(c.log);
    return 0;
}
