/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Deterministic pseudo-random numbers for tests and benchmarks (Marsaglia's
 * xorshift64), so that every run, and every failure, reproduces.
 */
#ifndef FSN_TESTS_XORSHIFT_H
#define FSN_TESTS_XORSHIFT_H

#include <stdint.h>

/* Advances the caller's state *s (never 0) and returns the new value. */
static inline uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

#endif
