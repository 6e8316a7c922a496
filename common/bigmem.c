/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/bigmem.h"

#include <sys/mman.h>

void *bigmem_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

void bigmem_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes);
}
