/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

/*
 * Set by log_init, which a program calls again on SIGHUP while other
 * threads (flowcollectd's aggregator) may be logging: atomics, so that
 * each reader sees either the old or the new value.
 */
static _Atomic(const char *) log_ident = "flowsnmp";
static atomic_bool log_stderr = true;
static atomic_bool log_stamp = true;
static atomic_int log_max = LOG_INFO;

/*
 * True when stderr is systemd's journal, which stamps each line itself:
 * systemd then sets JOURNAL_STREAM to the stream's "DEVICE:INODE"
 * (systemd.exec(5)), and a child whose stderr went elsewhere must not
 * believe it.
 */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char end;

    return js && sscanf(js, "%llu:%llu%c", &dev, &ino, &end) == 2 && fstat(2, &st) == 0 &&
           (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, bool to_stderr, int max_priority)
{
    atomic_store(&log_ident, ident);
    atomic_store(&log_max, max_priority);
    if (!to_stderr)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    atomic_store(&log_stamp, !stderr_is_journal());
    atomic_store(&log_stderr, to_stderr);
}

/* "2025-06-01T12:00:00.123+0200 " (local time) into buf; 0 bytes if the clock fails. */
static int stamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char date[32], zone[8];

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !localtime_r(&ts.tv_sec, &tm) ||
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
        strftime(zone, sizeof zone, "%z", &tm) == 0)
        return 0;
    return snprintf(buf, len, "%s.%03ld%s ", date, ts.tv_nsec / 1000000, zone);
}

__attribute__((format(printf, 2, 0))) static void vlog(int priority, const char *fmt, va_list ap)
{
    if (priority > atomic_load(&log_max))
        return;
    if (atomic_load(&log_stderr)) {
        /* One line in one call, so that the lines of two threads never interleave. */
        char line[2048];
        int t = atomic_load(&log_stamp) ? stamp(line, 64) : 0;
        int n = snprintf(line + t, sizeof line - (size_t)t, "%s: ", atomic_load(&log_ident));
        if (n < 0 || (size_t)(n + t) >= sizeof line)
            n = 0;
        n += t;
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        fprintf(stderr, "%s\n", line);
    } else {
        vsyslog(priority, fmt, ap);
    }
}

void log_msg(int priority, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(priority, fmt, ap);
    va_end(ap);
}

#define LOG_AT(fn, prio)                                                    \
    void fn(const char *fmt, ...)                                           \
    {                                                                       \
        va_list ap;                                                         \
        va_start(ap, fmt);                                                  \
        vlog(prio, fmt, ap);                                                \
        va_end(ap);                                                         \
    }

LOG_AT(log_err, LOG_ERR)
LOG_AT(log_warn, LOG_WARNING)
LOG_AT(log_info, LOG_INFO)
LOG_AT(log_debug, LOG_DEBUG)

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_ERR, fmt, ap);
    va_end(ap);
    exit(1);
}

void log_ratelimited(struct log_limit *lim, unsigned interval_s, int priority, const char *fmt,
                     ...)
{
    struct timespec ts;
    va_list ap;
    uint64_t now;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (uint64_t)ts.tv_sec;
    if (lim->last_s != 0 && now - lim->last_s < interval_s) {
        lim->suppressed++;
        return;
    }
    lim->last_s = now ? now : 1;
    va_start(ap, fmt);
    vlog(priority, fmt, ap);
    va_end(ap);
    if (lim->suppressed) {
        log_msg(priority, "(%llu similar messages suppressed)",
                (unsigned long long)lim->suppressed);
        lim->suppressed = 0;
    }
}
