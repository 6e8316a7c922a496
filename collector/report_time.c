/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Time arguments and time stamps of flowreport. Local time is what the TZ
 * variable says (as for date(1)); a time with "Z" or an offset is absolute.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/report.h"

static int bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads exactly n digits at *p. */
static bool digits(const char **p, int n, unsigned *v)
{
    unsigned x = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        x = x * 10 + (unsigned)((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

/* A duration "90s", "30m", "1h", "2d", "1w" (a bare number is seconds). */
static int parse_duration(const char *s, int64_t *ms)
{
    char *end;
    unsigned long long n;
    int64_t unit = 1000;

    if (!isdigit((unsigned char)*s))
        return -1;
    n = strtoull(s, &end, 10);
    switch (*end) {
    case 0:
    case 's':
        break;
    case 'm':
        unit = 60000;
        break;
    case 'h':
        unit = 3600000;
        break;
    case 'd':
        unit = 86400000;
        break;
    case 'w':
        unit = 7 * 86400000LL;
        break;
    default:
        return -1;
    }
    if (*end && end[1])
        return -1;
    if (n > (unsigned long long)(INT64_MAX / unit))
        return -1;
    *ms = (int64_t)n * unit;
    return 0;
}

int rep_time_parse(const char *s, int64_t now_ms, int64_t *out, char *err, size_t errlen)
{
    const char *p = s;
    unsigned y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    int64_t dur;
    bool zone = false;
    int64_t offset_min = 0;

    if (strcmp(s, "now") == 0) {
        *out = now_ms;
        return 0;
    }
    if (s[0] == '-' && isdigit((unsigned char)s[1])) {
        if (parse_duration(s + 1, &dur) != 0)
            return bad(err, errlen, "bad relative time '%s' (e.g. -90s, -30m, -1h, -2d, -1w)", s);
        *out = now_ms - dur;
        return 0;
    }
    /* Unix seconds, with an optional fraction. */
    size_t nd = strspn(s, "0123456789");
    if (nd > 0 && (s[nd] == 0 || (s[nd] == '.' && s[nd + 1] &&
                                  strspn(s + nd + 1, "0123456789") == strlen(s + nd + 1)))) {
        unsigned frac = 0, scale = 100;
        if (nd > 12)
            return bad(err, errlen, "bad time '%s': too far in the future", s);
        if (s[nd] == '.')
            for (const char *q = s + nd + 1; *q && scale; q++, scale /= 10)
                frac += (unsigned)(*q - '0') * scale;
        *out = (int64_t)strtoll(s, NULL, 10) * 1000 + frac;
        return 0;
    }
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        goto syntax;
    if (*p == ' ' || *p == 'T') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            goto syntax;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec))
                goto syntax;
            if (*p == '.') {
                unsigned scale = 100;
                p++;
                if (!isdigit((unsigned char)*p))
                    goto syntax;
                for (; isdigit((unsigned char)*p); p++, scale /= 10)
                    ms += (unsigned)(*p - '0') * scale;
            }
        }
    }
    if (*p == 'Z') {
        zone = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        unsigned oh, om;
        if (!digits(&p, 2, &oh))
            goto syntax;
        if (*p == ':')
            p++;
        if (!digits(&p, 2, &om) || oh > 23 || om > 59)
            goto syntax;
        zone = true;
        offset_min = sign * (int64_t)(oh * 60 + om);
    }
    if (*p)
        goto syntax;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return bad(err, errlen, "bad time '%s': a field is out of range", s);
    if (zone) {
        int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
        *out = (t - offset_min * 60) * 1000 + ms;
    } else {
        struct tm tm;
        time_t t;
        memset(&tm, 0, sizeof tm);
        tm.tm_year = (int)y - 1900;
        tm.tm_mon = (int)mo - 1;
        tm.tm_mday = (int)d;
        tm.tm_hour = (int)h;
        tm.tm_min = (int)mi;
        tm.tm_sec = (int)sec;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31))
            return bad(err, errlen, "bad time '%s': not representable", s);
        *out = (int64_t)t * 1000 + ms;
    }
    return 0;
syntax:
    return bad(err, errlen,
               "bad time '%s' (expected Unix seconds, YYYY-MM-DD[ HH:MM[:SS]], "
               "YYYY-MM-DDTHH:MM:SS[Z], now or -N[smhdw])",
               s);
}

int rep_time_window(const char *arg, int64_t now_ms, uint64_t *start, uint64_t *end, char *err,
                    size_t errlen)
{
    char a[128], *comma;
    int64_t s = 0, e = 0, dur;

    if (strlen(arg) >= sizeof a)
        return bad(err, errlen, "time window too long");
    strcpy(a, arg);
    comma = strchr(a, ',');
    if (comma)
        *comma++ = 0;
    *start = 0;
    *end = UINT64_MAX;
    if (a[0]) {
        if (rep_time_parse(a, now_ms, &s, err, errlen) != 0)
            return -1;
        if (s < 0)
            return bad(err, errlen, "time '%s' is before 1970", a);
        *start = (uint64_t)s;
    }
    if (comma && comma[0]) {
        if (comma[0] == '+') {
            if (!a[0])
                return bad(err, errlen, "'+DURATION' needs a start time");
            if (parse_duration(comma + 1, &dur) != 0)
                return bad(err, errlen, "bad duration '%s' (e.g. +90s, +30m, +1h, +2d)", comma);
            e = s + dur;
        } else if (rep_time_parse(comma, now_ms, &e, err, errlen) != 0) {
            return -1;
        }
        if (e < 0)
            return bad(err, errlen, "time '%s' is before 1970", comma);
        *end = (uint64_t)e;
    }
    if (*end <= *start)
        return bad(err, errlen, "empty time window: the end is not after the start");
    return 0;
}

void rep_time_local(uint64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char s[40];

    if (!localtime_r(&t, &tm) || !strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S", &tm)) {
        snprintf(buf, len, "%llu", (unsigned long long)ms);
        return;
    }
    snprintf(buf, len, "%s.%03u", s, (unsigned)(ms % 1000));
}

void rep_time_iso(uint64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char s[40];

    if (!gmtime_r(&t, &tm) || !strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(buf, len, "%llu", (unsigned long long)ms);
        return;
    }
    snprintf(buf, len, "%s.%03uZ", s, (unsigned)(ms % 1000));
}
