/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging for the daemons and tools: stderr in the foreground, syslog
 * otherwise. Messages carry a priority (LOG_ERR, LOG_WARNING, LOG_INFO,
 * LOG_DEBUG from <syslog.h>). log_ratelimited() lets a repeated complaint
 * about bad network input through at most once per interval per site.
 */
#ifndef FSN_COMMON_LOG_H
#define FSN_COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* Starts logging as `ident`; to_stderr selects stderr instead of syslog. */
void log_init(const char *ident, bool to_stderr, int max_priority);

void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs and exits with status 1 (for start-up errors in main only). */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * State of one rate-limited log site: at most one line per `interval_s`;
 * the next line that passes says how many were suppressed meanwhile.
 */
struct log_limit {
    uint64_t last_s;
    uint64_t suppressed;
};

void log_ratelimited(struct log_limit *lim, unsigned interval_s, int priority, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));

#endif
