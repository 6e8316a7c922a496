/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/progress.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/clock.h"

#define ERASE "\033[K"

static uint64_t last_ms;
static bool timing; /* last_ms is set: redraws are being spaced out */
static bool shown;  /* a line is on the terminal */

/* Writes all of buf to stderr, unbuffered, in one write when it can. */
static void put(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, buf, len);
        if (w <= 0)
            return;
        buf += w;
        len -= (size_t)w;
    }
}

bool progress_enabled(void)
{
    return isatty(STDERR_FILENO) == 1;
}

void progress_update(const char *fmt, ...)
{
    char line[512];
    struct winsize ws;
    size_t width = 80, n;
    uint64_t now = clock_ms_mono();
    va_list ap;
    int len;

    if (timing && now - last_ms < PROGRESS_INTERVAL_MS)
        return;
    last_ms = now;
    timing = true;
    if (!isatty(STDERR_FILENO))
        return;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
        width = ws.ws_col;
    /* One column short of the width: writing the last column makes some terminals wrap. */
    if (width - 1 < sizeof line - 8)
        n = width - 1;
    else
        n = sizeof line - 8;
    line[0] = '\r';
    va_start(ap, fmt);
    len = vsnprintf(line + 1, n + 1, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    if ((size_t)len < n)
        n = (size_t)len;
    memcpy(line + 1 + n, ERASE, sizeof ERASE - 1);
    put(line, 1 + n + sizeof ERASE - 1);
    shown = true;
}

void progress_done(void)
{
    timing = false;
    if (!shown)
        return;
    shown = false;
    put("\r" ERASE, sizeof("\r" ERASE) - 1);
}
