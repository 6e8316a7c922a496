/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Clocks in milliseconds: monotonic for intervals and timeouts (never jumps
 * with the wall clock), wall (Unix epoch) for timestamps people read.
 * common/daemon.h includes this header too.
 */
#ifndef FSN_COMMON_CLOCK_H
#define FSN_COMMON_CLOCK_H

#include <stdint.h>

/* Milliseconds since an arbitrary point (CLOCK_MONOTONIC). */
uint64_t clock_ms_mono(void);

/* Milliseconds since 1970-01-01 00:00:00 UTC (CLOCK_REALTIME). */
uint64_t clock_ms_wall(void);

#endif
