/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A progress line for tools run by hand (e.g. reading a capture file): one
 * line on stderr, rewritten in place at most PROGRESS_INTERVAL_MS apart,
 * only when stderr is a terminal. When it is not (a pipe, a file, syslog),
 * nothing is written, so logs and test output stay clean.
 */
#ifndef FSN_COMMON_PROGRESS_H
#define FSN_COMMON_PROGRESS_H

#include <stdbool.h>

/* Shortest time between two redraws. */
#define PROGRESS_INTERVAL_MS 250

/*
 * True when stderr is a terminal, i.e. when progress_update() draws: lets a
 * caller skip gathering the figures for a line nobody will see.
 */
bool progress_enabled(void);

/*
 * Redraws the line if the last redraw is at least PROGRESS_INTERVAL_MS old
 * (the first call after progress_done() always draws) and stderr is a
 * terminal: "\r", the text cut to the terminal's width, then "erase to end
 * of line" (ESC [ K). Cheap enough to call per packet: between redraws it
 * only reads the monotonic clock, and does not format.
 */
void progress_update(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Ends the progress line: erases it ("\r" ESC [ K) if one is shown, so that
 * what the tool prints next (e.g. its summary) starts on a clean line.
 */
void progress_done(void);

#endif
