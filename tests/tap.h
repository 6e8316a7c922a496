/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal TAP producer for the C unit tests, read by `prove`.
 * Each check prints "ok N - name" or "not ok N - name" plus a diagnostic;
 * tap_done() prints the plan and returns the exit status.
 */
#ifndef FSN_TAP_H
#define FSN_TAP_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *file, int line, const char *name)
{
    tap_n++;
    printf("%s %d - %s\n", cond ? "ok" : "not ok", tap_n, name);
    if (!cond) {
        tap_failed++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return cond;
}

#define ok(cond, ...)                                                       \
    do {                                                                    \
        char tap_name_[256];                                                \
        snprintf(tap_name_, sizeof tap_name_, __VA_ARGS__);                 \
        tap_ok(!!(cond), __FILE__, __LINE__, tap_name_);                    \
    } while (0)

/* Compares two integers (as intmax_t / uintmax_t) and prints both on failure. */
#define is_int(got, want, ...)                                              \
    do {                                                                    \
        intmax_t g_ = (intmax_t)(got), w_ = (intmax_t)(want);               \
        char tap_name_[256];                                                \
        snprintf(tap_name_, sizeof tap_name_, __VA_ARGS__);                 \
        if (!tap_ok(g_ == w_, __FILE__, __LINE__, tap_name_))               \
            printf("#   got %jd, want %jd\n", g_, w_);                      \
    } while (0)

#define is_uint(got, want, ...)                                             \
    do {                                                                    \
        uintmax_t g_ = (uintmax_t)(got), w_ = (uintmax_t)(want);            \
        char tap_name_[256];                                                \
        snprintf(tap_name_, sizeof tap_name_, __VA_ARGS__);                 \
        if (!tap_ok(g_ == w_, __FILE__, __LINE__, tap_name_))               \
            printf("#   got %ju, want %ju\n", g_, w_);                      \
    } while (0)

#define is_str(got, want, ...)                                              \
    do {                                                                    \
        const char *g_ = (got), *w_ = (want);                               \
        char tap_name_[256];                                                \
        snprintf(tap_name_, sizeof tap_name_, __VA_ARGS__);                 \
        if (!tap_ok(g_ && w_ && strcmp(g_, w_) == 0, __FILE__, __LINE__, tap_name_)) \
            printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
    } while (0)

#define diag(...)                                                           \
    do {                                                                    \
        printf("# ");                                                       \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
    } while (0)

static inline int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
