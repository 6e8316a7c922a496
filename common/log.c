/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/*
 * Set by log_init, which a program calls again on SIGHUP while other
 * threads (flowcollectd's aggregator) may be logging: atomics, so that
 * each reader sees either the old or the new value.
 */
static _Atomic(const char *) log_ident = "flowsnmp";
static atomic_bool log_stderr = true;
static atomic_int log_max = LOG_INFO;

void log_init(const char *ident, bool to_stderr, int max_priority)
{
    atomic_store(&log_ident, ident);
    atomic_store(&log_max, max_priority);
    if (!to_stderr)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    atomic_store(&log_stderr, to_stderr);
}

__attribute__((format(printf, 2, 0))) static void vlog(int priority, const char *fmt, va_list ap)
{
    if (priority > atomic_load(&log_max))
        return;
    if (atomic_load(&log_stderr)) {
        /* One line in one call, so that the lines of two threads never interleave. */
        char line[2048];
        int n = snprintf(line, sizeof line, "%s: ", atomic_load(&log_ident));
        if (n < 0 || (size_t)n >= sizeof line)
            n = 0;
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
