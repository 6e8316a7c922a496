/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration parser: splits a buffer into lines and lines into
 * words, checks each line against the program's directive table and calls
 * the directive's handler. The syntax is described in docs/configuration.md.
 *
 * The buffer is untrusted (it may be any file the operator points us at, and
 * it is fuzzed), so every byte is checked: NUL and other control bytes are
 * errors rather than silent truncation, lines have a bounded length, and the
 * words of one line are unescaped into a bounded work buffer.
 */
#include "lib/conf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

/* Longest key for which a "did you mean" suggestion is computed. */
#define SUGGEST_MAX 64

/* Longest piece of a value quoted back in a message. */
#define QUOTE_MAX 64

static void setmsg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void setmsg(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/*
 * Edit distance between a and b, ignoring case, where swapping two
 * neighbouring characters counts as one edit (optimal string alignment).
 * Both lengths are at most SUGGEST_MAX.
 */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t r0[SUGGEST_MAX + 1], r1[SUGGEST_MAX + 1], r2[SUGGEST_MAX + 1];
    size_t *pp = r0, *prev = r1, *cur = r2;

    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            size_t best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]) && pp[j - 2] + 1 < best)
                best = pp[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/* The known name closest to key, or NULL when none is close enough to suggest. */
static const char *suggest(const char *key, const struct fsn_conf_directive *dirs, size_t n)
{
    size_t lk = strlen(key), best_d = SIZE_MAX, limit;
    const char *best = NULL;

    if (lk == 0 || lk > SUGGEST_MAX)
        return NULL;
    /* Short keys tolerate one edit; longer ones a few, as typos scale with length. */
    limit = lk <= 4 ? 1 : lk <= 8 ? 2 : 3;
    for (size_t i = 0; i < n; i++) {
        size_t ln, d;
        if (!dirs[i].name || (ln = strlen(dirs[i].name)) > SUGGEST_MAX)
            continue;
        d = distance(key, lk, dirs[i].name, ln);
        if (d < best_d) {
            best_d = d;
            best = dirs[i].name;
        }
    }
    return best_d <= limit ? best : NULL;
}

/* The plural ending for "N argument(s)" in argument-count messages. */
static const char *plural(int n)
{
    return n == 1 ? "" : "s";
}

/*
 * Splits line [p, p + len) into NUL-terminated words in work (which holds
 * at least len + 1 bytes), pointing argv at them. Returns the number of
 * words, or a negative code with a message in msg.
 */
static int split_words(const char *p, size_t len, char *work, char **argv, char *msg, size_t msglen)
{
    size_t i = 0;
    char *out = work;
    int argc = 0;

    for (;;) {
        while (i < len && is_blank(p[i]))
            i++;
        if (i == len || p[i] == '#')
            break;
        if (argc == FSN_CONF_MAX_ARGS + 1) {
            setmsg(msg, msglen, "more than %d arguments", FSN_CONF_MAX_ARGS);
            return FSN_E_LIMIT;
        }
        argv[argc++] = out;
        if (p[i] == '"') {
            size_t open = i;
            i++;
            for (;;) {
                if (i == len) {
                    setmsg(msg, msglen, "unterminated quote (opened at column %zu)", open + 1);
                    return FSN_E_SYNTAX;
                }
                if (p[i] == '"') {
                    i++;
                    break;
                }
                if (p[i] == '\\') {
                    if (i + 1 == len) {
                        setmsg(msg, msglen, "unterminated quote (opened at column %zu)", open + 1);
                        return FSN_E_SYNTAX;
                    }
                    if (p[i + 1] != '"' && p[i + 1] != '\\') {
                        unsigned char c = (unsigned char)p[i + 1];
                        if (c >= 0x21 && c < 0x7f)
                            setmsg(msg, msglen,
                                   "unknown escape '\\%c' at column %zu (only \\\" and \\\\ "
                                   "are escapes)",
                                   c, i + 1);
                        else
                            setmsg(msg, msglen,
                                   "unknown escape at column %zu (only \\\" and \\\\ are "
                                   "escapes)",
                                   i + 1);
                        return FSN_E_SYNTAX;
                    }
                    *out++ = p[i + 1];
                    i += 2;
                    continue;
                }
                *out++ = p[i++];
            }
            if (i < len && !is_blank(p[i])) {
                setmsg(msg, msglen, "text right after a closing quote at column %zu", i + 1);
                return FSN_E_SYNTAX;
            }
        } else {
            while (i < len && !is_blank(p[i])) {
                if (p[i] == '"') {
                    setmsg(msg, msglen,
                           "quote inside an unquoted argument at column %zu (quote the "
                           "whole argument)",
                           i + 1);
                    return FSN_E_SYNTAX;
                }
                *out++ = p[i++];
            }
        }
        *out++ = '\0';
    }
    argv[argc] = NULL;
    return argc;
}

/* Rejects NUL and other control bytes (tab excepted) anywhere in the line. */
static int check_bytes(const char *p, size_t len, char *msg, size_t msglen)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == 0) {
            setmsg(msg, msglen, "NUL byte at column %zu", i + 1);
            return FSN_E_SYNTAX;
        }
        if (c == '\r') {
            /* The caller has cut off the CR of a CRLF; any other CR is a stray. */
            setmsg(msg, msglen, "carriage return not followed by a newline at column %zu", i + 1);
            return FSN_E_SYNTAX;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            setmsg(msg, msglen, "control character 0x%02x at column %zu", c, i + 1);
            return FSN_E_SYNTAX;
        }
    }
    return 0;
}

/* Checks the argument count of directive d; nargs excludes the key. */
static int check_count(const struct fsn_conf_directive *d, int nargs, char *msg, size_t msglen)
{
    int max = d->max_args < 0 || d->max_args > FSN_CONF_MAX_ARGS ? FSN_CONF_MAX_ARGS : d->max_args;
    int min = d->min_args < 0 ? 0 : d->min_args;

    if (nargs >= min && nargs <= max)
        return 0;
    if (min == max && min == 0)
        setmsg(msg, msglen, "'%s' takes no arguments, got %d", d->name, nargs);
    else if (min == max)
        setmsg(msg, msglen, "'%s' takes %d argument%s, got %d", d->name, min, plural(min), nargs);
    else if (nargs < min)
        setmsg(msg, msglen, "'%s' takes at least %d argument%s, got %d", d->name, min, plural(min),
               nargs);
    else
        setmsg(msg, msglen, "'%s' takes at most %d argument%s, got %d", d->name, max, plural(max),
               nargs);
    return FSN_E_SYNTAX;
}

/*
 * One line, already cut from the buffer and without its line ending:
 * split, look up, check and hand to its handler. `seen` holds, for each
 * directive, the line it was first given on (0: not yet).
 */
static int parse_line(const char *p, size_t len, const struct fsn_conf_directive *dirs, size_t n,
                      size_t *seen, size_t lineno, void *ctx, char *msg, size_t msglen)
{
    char work[FSN_CONF_MAX_LINE + 1];
    char *argv[FSN_CONF_MAX_ARGS + 2];
    const struct fsn_conf_directive *d = NULL;
    size_t idx = 0;
    int argc, ret;

    if (len > FSN_CONF_MAX_LINE) {
        setmsg(msg, msglen, "line longer than %d bytes", FSN_CONF_MAX_LINE);
        return FSN_E_LIMIT;
    }
    if ((ret = check_bytes(p, len, msg, msglen)) < 0)
        return ret;
    if ((argc = split_words(p, len, work, argv, msg, msglen)) <= 0)
        return argc;

    for (idx = 0; idx < n; idx++) {
        if (dirs[idx].name && strcmp(dirs[idx].name, argv[0]) == 0) {
            d = &dirs[idx];
            break;
        }
    }
    if (!d) {
        const char *near = suggest(argv[0], dirs, n);
        if (near)
            setmsg(msg, msglen, "unknown directive '%.*s' (did you mean '%s'?)", QUOTE_MAX, argv[0],
                   near);
        else
            setmsg(msg, msglen, "unknown directive '%.*s'", QUOTE_MAX, argv[0]);
        return FSN_E_SYNTAX;
    }
    if (!d->repeatable && seen[idx]) {
        setmsg(msg, msglen, "'%s' given again (first at line %zu); it may appear only once",
               d->name, seen[idx]);
        return FSN_E_SYNTAX;
    }
    if ((ret = check_count(d, argc - 1, msg, msglen)) < 0)
        return ret;
    if (!seen[idx])
        seen[idx] = lineno;
    if (!d->handler)
        return 0;

    {
        char hmsg[512];
        hmsg[0] = '\0';
        ret = d->handler(ctx, argc - 1, argv + 1, hmsg, sizeof hmsg);
        if (ret == 0)
            return 0;
        if (ret > 0)
            ret = FSN_E_SYNTAX;
        hmsg[sizeof hmsg - 1] = '\0';
        setmsg(msg, msglen, "%s: %s", d->name, hmsg[0] ? hmsg : fsn_strerror(ret));
        return ret;
    }
}

int fsn_conf_parse(const char *buf, size_t len, const char *filename,
                   const struct fsn_conf_directive *dirs, size_t n, void *ctx, char *err,
                   size_t errlen)
{
    size_t *seen = NULL, pos = 0, lineno = 0;
    char msg[768];
    int ret = 0;

    if (!filename)
        filename = "(config)";
    if (err && errlen)
        err[0] = '\0';
    if (n > 0 && !(seen = calloc(n, sizeof *seen))) {
        setmsg(err, errlen, "%s: %s", filename, fsn_strerror(FSN_E_NOMEM));
        return FSN_E_NOMEM;
    }
    /* A UTF-8 byte order mark, as some editors write, is not part of the first line. */
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        pos = 3;

    while (pos < len) {
        const char *p = buf + pos;
        const char *nl = memchr(p, '\n', len - pos);
        size_t linelen = nl ? (size_t)(nl - p) : len - pos;

        lineno++;
        pos += linelen + (nl ? 1 : 0);
        if (linelen > 0 && p[linelen - 1] == '\r')
            linelen--;
        msg[0] = '\0';
        ret = parse_line(p, linelen, dirs, n, seen, lineno, ctx, msg, sizeof msg);
        if (ret < 0) {
            setmsg(err, errlen, "%s:%zu: %s", filename, lineno, msg);
            goto out;
        }
    }
    ret = 0;
out:
    free(seen);
    return ret;
}

/*
 * Reads the leading decimal digits of s into *v. Returns the number of
 * digits; *overflow is set when the value does not fit in 64 bits.
 */
static size_t read_digits(const char *s, uint64_t *v, bool *overflow)
{
    size_t i = 0;

    *v = 0;
    *overflow = false;
    while (s[i] >= '0' && s[i] <= '9') {
        uint64_t digit = (uint64_t)(s[i] - '0');
        if (*v > (UINT64_MAX - digit) / 10)
            *overflow = true;
        else
            *v = *v * 10 + digit;
        i++;
    }
    return i;
}

/*
 * The common part of the numeric helpers: digits, then a unit suffix that
 * unit() turns into a multiplier (0: unknown unit), then the range check.
 */
static int read_number(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                       uint64_t (*unit)(const char *), const char *units, const char *what,
                       char *err, size_t errlen)
{
    uint64_t v = 0, mult = 1;
    bool overflow;
    size_t nd;

    if (!s || !*s) {
        setmsg(err, errlen, "empty value where a number was expected");
        return FSN_E_SYNTAX;
    }
    nd = read_digits(s, &v, &overflow);
    if (nd == 0) {
        setmsg(err, errlen, "'%.*s' is not a number", QUOTE_MAX, s);
        return FSN_E_SYNTAX;
    }
    if (s[nd] != '\0') {
        if (!unit || (mult = unit(s + nd)) == 0) {
            if (units)
                setmsg(err, errlen, "'%.*s': unknown unit '%.*s' (use %s)", QUOTE_MAX, s, QUOTE_MAX,
                       s + nd, units);
            else
                setmsg(err, errlen, "'%.*s' is not a number", QUOTE_MAX, s);
            return FSN_E_SYNTAX;
        }
    }
    if (overflow || (mult > 1 && v > UINT64_MAX / mult) || v * mult < min || v * mult > max) {
        setmsg(err, errlen, "'%.*s' is out of range (%" PRIu64 " to %" PRIu64 "%s)", QUOTE_MAX, s,
               min, max, what);
        return FSN_E_RANGE;
    }
    *out = v * mult;
    return 0;
}

int fsn_conf_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                  size_t errlen)
{
    return read_number(s, min, max, out, NULL, NULL, "", err, errlen);
}

static uint64_t seconds_unit(const char *u)
{
    if (strcmp(u, "s") == 0)
        return 1;
    if (strcmp(u, "m") == 0)
        return 60;
    if (strcmp(u, "h") == 0)
        return 3600;
    if (strcmp(u, "d") == 0)
        return 86400;
    return 0;
}

int fsn_conf_seconds(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                     size_t errlen)
{
    return read_number(s, min, max, out, seconds_unit, "s, m, h or d", " seconds", err, errlen);
}

/* k, M, G, T in either case, optionally followed by "B" or "iB"; or "B" alone. */
static uint64_t bytes_unit(const char *u)
{
    uint64_t mult;

    if (strcmp(u, "B") == 0)
        return 1;
    switch (u[0]) {
    case 'k':
    case 'K':
        mult = UINT64_C(1) << 10;
        break;
    case 'm':
    case 'M':
        mult = UINT64_C(1) << 20;
        break;
    case 'g':
    case 'G':
        mult = UINT64_C(1) << 30;
        break;
    case 't':
    case 'T':
        mult = UINT64_C(1) << 40;
        break;
    default:
        return 0;
    }
    if (u[1] == '\0' || strcmp(u + 1, "B") == 0 || strcmp(u + 1, "iB") == 0)
        return mult;
    return 0;
}

int fsn_conf_bytes(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                   size_t errlen)
{
    return read_number(s, min, max, out, bytes_unit, "k, M, G or T", " bytes", err, errlen);
}

/* Compares ASCII strings ignoring case (no locale: config files mean the same everywhere). */
static bool same_word(const char *a, const char *b)
{
    while (*a && *b && lower(*a) == lower(*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

int fsn_conf_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out, char *err,
                 size_t errlen)
{
    uint64_t v;
    int ret = fsn_conf_uint(s, min, max, &v, err, errlen);

    if (ret == 0)
        *out = (uint32_t)v;
    return ret;
}

int fsn_conf_string(const char *s, char *dst, size_t cap, char *err, size_t errlen)
{
    size_t n = strlen(s);

    if (n == 0 || n >= cap) {
        snprintf(err, errlen, "must be 1 to %zu characters long", cap - 1);
        return FSN_E_RANGE;
    }
    memcpy(dst, s, n + 1);
    return 0;
}

int fsn_conf_bool(const char *s, bool *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"yes", "on", "true", "1"};
    static const char *const no[] = {"no", "off", "false", "0"};

    if (!s)
        s = "";
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (same_word(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (same_word(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    setmsg(err, errlen, "'%.*s' is not a boolean (use yes or no)", QUOTE_MAX, s);
    return FSN_E_SYNTAX;
}
