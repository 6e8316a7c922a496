/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *log_ident = "flowsnmp";
static bool log_stderr = true;
static int log_max = LOG_INFO;

void log_init(const char *ident, bool to_stderr, int max_priority)
{
    log_ident = ident;
    log_stderr = to_stderr;
    log_max = max_priority;
    if (!to_stderr)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

__attribute__((format(printf, 2, 0))) static void vlog(int priority, const char *fmt, va_list ap)
{
    if (priority > log_max)
        return;
    if (log_stderr) {
        fprintf(stderr, "%s: ", log_ident);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
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
