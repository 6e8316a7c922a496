/* SPDX-License-Identifier: BSD-2-Clause */
#include "lib/crc32c.h"

#include <string.h>

/*
 * The byte table is computed by the compiler: entry i is the register after
 * eight reflected shift steps starting from i. No run-time initialisation,
 * so no mutable global state.
 */
#define POLY 0x82F63B78u /* 0x1EDC6F41 bit-reversed */
#define S1(c) (((c) >> 1) ^ (((c)&1u) ? POLY : 0u))
#define S8(c) S1(S1(S1(S1(S1(S1(S1(S1((uint32_t)(c)))))))))
#define T4(i) S8(i), S8((i) + 1), S8((i) + 2), S8((i) + 3)
#define T16(i) T4(i), T4((i) + 4), T4((i) + 8), T4((i) + 12)
#define T64(i) T16(i), T16((i) + 16), T16((i) + 32), T16((i) + 48)

static const uint32_t crc_table[256] = {T64(0), T64(64), T64(128), T64(192)};

uint32_t fsn__crc32c_sw(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;

    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = (crc >> 8) ^ crc_table[(crc ^ p[i]) & 0xffu];
    return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>

/* SSE4.2 crc32 computes exactly CRC-32C, eight bytes per instruction. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p,
                                                            size_t len)
{
    uint64_t c = ~crc;

    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8); /* little-endian load: the order the reflected CRC consumes */
        c = _mm_crc32_u64(c, v);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

uint32_t fsn_crc32c(uint32_t crc, const void *data, size_t len)
{
    if (__builtin_cpu_supports("sse4.2"))
        return crc32c_hw(crc, data, len);
    return fsn__crc32c_sw(crc, data, len);
}
#else
uint32_t fsn_crc32c(uint32_t crc, const void *data, size_t len)
{
    return fsn__crc32c_sw(crc, data, len);
}
#endif
