/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target for lib/filter: the input is a filter expression. It must
 * compile or give an error with a message and a position inside the text;
 * a compiled filter is evaluated on a few records and dumped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *expr = malloc(size + 1);
    struct fsn_filter *f = NULL;
    char err[200], dump[512];
    size_t pos = SIZE_MAX;
    int ret;

    if (!expr)
        return 0;
    memcpy(expr, data, size);
    expr[size] = 0;
    ret = fsn_filter_compile(expr, &f, err, sizeof err, &pos);
    if (ret == 0) {
        struct fsn_flow fl[3];
        struct fsn_addr x = {.family = FSN_FAMILY_IPV4, .a = {192, 0, 2, 1}};
        memset(fl, 0, sizeof fl);
        fl[0].key.family = FSN_FAMILY_IPV4;
        fl[0].key.src[0] = 10;
        fl[0].key.dst[0] = 192;
        fl[0].key.proto = 6;
        fl[0].key.sport = 1234;
        fl[0].key.dport = 80;
        fl[1].key.family = FSN_FAMILY_IPV6;
        fl[1].key.src[0] = 0x20;
        fl[1].key.dst[15] = 1;
        fl[1].key.proto = 17;
        fl[1].key.dport = 53;
        fl[2].key.family = FSN_FAMILY_IPV4;
        fl[2].key.proto = 1;
        fl[2].key.dport = 0x0800;
        for (int i = 0; i < 3; i++)
            (void)fsn_filter_match(f, &fl[i], i ? NULL : &x);
        (void)fsn_filter_dump(f, dump, sizeof dump);
        (void)fsn_filter_dump(f, dump, 7); /* a short buffer truncates, never overflows */
        fsn_filter_free(f);
    } else {
        /* Every error says something and points inside the text (or at its end). */
        if (f != NULL || err[0] == 0 || (ret != FSN_E_NOMEM && pos > strlen(expr)))
            abort();
    }
    free(expr);
    return 0;
}
