/* SPDX-License-Identifier: BSD-2-Clause */
#include "lib/flow.h"

#include <string.h>

_Static_assert(sizeof(struct fsn_flow_key) == 48, "flow key has no hidden padding");

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v * 0x9e3779b97f4a7c15ULL;
    h = (h << 27 | h >> 37) * 0xbf58476d1ce4e5b9ULL;
    return h;
}

uint32_t fsn_flow_key_hash(const struct fsn_flow_key *k, uint32_t seed)
{
    const uint8_t *p = (const uint8_t *)k;
    uint64_t h = seed ^ 0x94d049bb133111ebULL;

    for (size_t i = 0; i < sizeof *k; i += 8)
        h = mix(h, load64(p + i));
    h ^= h >> 31;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 29;
    return (uint32_t)h;
}

bool fsn_flow_key_eq(const struct fsn_flow_key *a, const struct fsn_flow_key *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}
