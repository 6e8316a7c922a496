/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/clock.h"

#include <time.h>

static uint64_t ms_of(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t clock_ms_mono(void)
{
    return ms_of(CLOCK_MONOTONIC);
}

uint64_t clock_ms_wall(void)
{
    return ms_of(CLOCK_REALTIME);
}
