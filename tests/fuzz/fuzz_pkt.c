/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target for lib/pkt. The first input byte picks the link type, the
 * rest is the frame. Each frame is parsed twice: fully captured
 * (caplen = wirelen), and as a capture cut short of a longer frame. Beyond
 * "no crash", it checks what must hold for any input, and aborts if not:
 * the result stays within the frame, the key padding is zero, a later
 * fragment has no ports, and a longer wire length never turns a parsed
 * frame into an error or changes its key.
 * Corpus: tests/fuzz/corpus/pkt/, made by tests/fuzz/gen_pkt_corpus.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The selector byte modulo this list; the last entry is unsupported on purpose. */
static const int dlts[] = {
    FSN_DLT_NULL, FSN_DLT_EN10MB, FSN_DLT_RAW, FSN_DLT_RAW_BSD, FSN_LINKTYPE_RAW, FSN_DLT_LOOP,
    FSN_DLT_LINUX_SLL, FSN_DLT_IPV4, FSN_DLT_IPV6, FSN_DLT_LINUX_SLL2, 105,
};

static void check(int ret, const struct fsn_pkt *p, uint32_t caplen, uint32_t wirelen)
{
    static const uint8_t zero[3];

    if (ret != 0) {
        if (ret != FSN_E_MALFORMED && ret != FSN_E_NOTIP && ret != FSN_E_UNSUP)
            abort();
        return;
    }
    if (p->key.family != FSN_FAMILY_IPV4 && p->key.family != FSN_FAMILY_IPV6)
        abort();
    if (p->l3_offset >= caplen || p->ip_len > wirelen - p->l3_offset ||
        p->ip_len < (p->key.family == FSN_FAMILY_IPV4 ? 20u : 40u))
        abort();
    if (memcmp(p->key.pad, zero, sizeof zero) != 0 || p->key.in_if != 0 || p->frag > 2)
        abort();
    if (p->key.family == FSN_FAMILY_IPV4 && memcmp(p->key.src + 4, p->key.dst + 4, 12) != 0)
        abort();
    if (p->frag == FSN_FRAG_LATER && (p->key.sport || p->key.dport || p->tcp_flags))
        abort();
    if (p->key.proto != 6 && p->tcp_flags)
        abort();
    if (p->key.vlan > 0x0fff)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fsn_pkt a, b;
    uint32_t len;
    int dlt, ra, rb;

    if (size < 1 || size > 65536)
        return 0;
    dlt = dlts[data[0] % (sizeof dlts / sizeof dlts[0])];
    len = (uint32_t)(size - 1);

    ra = fsn_pkt_parse(dlt, data + 1, len, len, &a);
    check(ra, &a, len, len);
    rb = fsn_pkt_parse(dlt, data + 1, len, len + 9000, &b);
    check(rb, &b, len, len + 9000);
    if (ra == 0 && (rb != 0 || memcmp(&a.key, &b.key, sizeof a.key) != 0 ||
                    a.frag != b.frag || a.frag_id != b.frag_id || a.tcp_flags != b.tcp_flags ||
                    a.l3_offset != b.l3_offset))
        abort();
    return 0;
}
