/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Large tables that are read at random (the probe's flow table, the
 * report's statistics table): anonymous mappings that the kernel may back
 * with huge pages, so that a lookup in a table of millions of entries costs
 * a cache miss but no TLB miss. Pages are zero and only committed when
 * first touched, so a table may be reserved at its bound up front.
 */
#ifndef FSN_COMMON_BIGMEM_H
#define FSN_COMMON_BIGMEM_H

#include <stddef.h>

/* Returns `bytes` of zeroed memory, or NULL. The caller frees it with bigmem_free(). */
void *bigmem_alloc(size_t bytes);

/* Frees memory from bigmem_alloc() of the same size; NULL is a no-op. */
void bigmem_free(void *p, size_t bytes);

#endif
