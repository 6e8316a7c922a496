/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration format shared by every program: one directive per
 * line, `key arg...`, '#' starts a comment, arguments are separated by
 * blanks and may be double-quoted ("a b" is one argument; \" and \\ escape).
 * Parsing is driven by a table of directives that each program defines;
 * the same table feeds --help and the sample files in conf/.
 * Parsed from a buffer (no file I/O here), so that it can be fuzzed.
 * Errors read "FILE:LINE: message".
 */
#ifndef FSN_CONF_H
#define FSN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSN_CONF_MAX_ARGS 64   /* arguments after the key, at most */
#define FSN_CONF_MAX_LINE 4096 /* bytes in one line, without its line ending */

/*
 * A directive handler: gets the program's context and the arguments after
 * the key (argv[0] is the first argument, argv[argc] is NULL). The strings
 * belong to the parser and live only during the call: copy what you keep.
 * Returns 0, or a negative code after writing a message (without file and
 * line) into err; the parser prints it as "FILE:LINE: KEY: message".
 */
typedef int (*fsn_conf_handler)(void *ctx, int argc, char **argv, char *err, size_t errlen);

struct fsn_conf_directive {
    const char *name;       /* key, e.g. "listen" */
    int min_args;
    int max_args;           /* -1: up to FSN_CONF_MAX_ARGS */
    bool repeatable;        /* may appear more than once */
    fsn_conf_handler handler;
    const char *args;       /* argument synopsis for help, e.g. "ADDR:PORT" */
    const char *deflt;      /* default, as text, or NULL when there is none */
    const char *help;       /* one sentence */
};

/*
 * Parses `len` bytes of `buf` (named `filename` in messages) against the
 * `n` directives of `dirs`, calling each handler in file order.
 * Stops at the first error: returns its code and writes
 * "FILE:LINE: message" into err. Unknown keys, wrong argument counts,
 * repeated non-repeatable keys and unterminated quotes are errors.
 * Codes: FSN_E_SYNTAX for faults of the text, FSN_E_LIMIT for a line
 * longer than FSN_CONF_MAX_LINE or more than FSN_CONF_MAX_ARGS arguments,
 * FSN_E_NOMEM, or the code a handler returned. A directive without a
 * handler is accepted and ignored. err may be NULL; on success it is "".
 */
int fsn_conf_parse(const char *buf, size_t len, const char *filename,
                   const struct fsn_conf_directive *dirs, size_t n, void *ctx, char *err,
                   size_t errlen);

/*
 * Value helpers for handlers; each returns 0 or FSN_E_SYNTAX / FSN_E_RANGE
 * and writes a message into err.
 */
/* fsn_conf_uint() for a 32-bit setting. */
int fsn_conf_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out, char *err,
                 size_t errlen);
/* Copies a text setting (a path, a user name) into dst of `cap` bytes; empty or too long is FSN_E_RANGE. */
int fsn_conf_string(const char *s, char *dst, size_t cap, char *err, size_t errlen);
int fsn_conf_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                  size_t errlen);
/* Seconds with an optional unit: "90", "90s", "2m", "1h", "1d". */
int fsn_conf_seconds(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                     size_t errlen);
/* Bytes with an optional unit: "4096", "64k", "64K", "16M", "2G" (powers of 1024). */
int fsn_conf_bytes(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                   size_t errlen);
/* "yes"/"no", "on"/"off", "true"/"false", "1"/"0". */
int fsn_conf_bool(const char *s, bool *out, char *err, size_t errlen);

#endif
