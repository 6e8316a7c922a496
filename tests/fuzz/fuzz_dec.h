/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The body of the decoder fuzz targets (fuzz_v5, fuzz_v9, fuzz_ipfix): the
 * input is a sequence of datagrams, each preceded by a 2-byte big-endian
 * length (the last one may be short), fed in order to one session so that
 * templates, options, buffered data and sequence numbers carry over. Each
 * datagram is copied into a buffer of its exact size (so that ASan sees any
 * read past it) with the version and domain forced to the session's, so the
 * fuzzer need not guess them. Then the session's templates are saved and
 * restored into a second session, and the raw input is offered to
 * fsn_dec_restore() as a blob. Invariants are checked with abort().
 */
#ifndef FSN_FUZZ_DEC_H
#define FSN_FUZZ_DEC_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dec.h"
#include "lib/dec_int.h"
#include "lib/error.h"

#define FUZZ_DOMAIN 7

static void fuzz_emit(void *arg, const struct fsn_flow *f, const struct fsn_dec_meta *m)
{
    size_t *n = arg;

    if (f->sampling < 1 || f->first_ms > f->last_ms || m->direction > FSN_DEC_REVERSE ||
        (f->key.family != 0 && f->key.family != FSN_FAMILY_IPV4 &&
         f->key.family != FSN_FAMILY_IPV6))
        abort();
    (*n)++;
}

static void fuzz_dec_run(uint8_t version, const uint8_t *data, size_t size)
{
    struct fsn_dec_limits lim;
    struct fsn_addr exporter;
    struct fsn_dec_session *s, *r;
    const struct fsn_dec_counters *k;
    size_t emitted = 0, bound, len = 0;
    uint64_t now = 1000;
    uint8_t *blob;
    /* Bounds below the session's own, so that the pools refuse too. */
    struct fsn_dec_pool all = {0, 16384, 0, 0, 0, NULL}, pool = {12, 0, 0, 0, 0, &all};

    fsn_dec_limits_default(&lim);
    lim.max_templates = 16;
    lim.max_fields = 32;
    lim.max_buffered_bytes = 4096;
    lim.max_buffer_age_ms = 5000;
    lim.reorder_window = 64;
    memset(&exporter, 0, sizeof exporter);
    exporter.family = FSN_FAMILY_IPV4;
    exporter.a[0] = 192;
    if (!(s = fsn_dec_session_new(&lim, &exporter, version, FUZZ_DOMAIN)))
        return;
    fsn_dec_set_pool(s, &pool);
    k = fsn_dec_counters(s);
    while (size >= 2) {
        size_t n = (size_t)data[0] << 8 | data[1];
        uint8_t *d;
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        if ((d = malloc(n ? n : 1)) != NULL) {
            memcpy(d, data, n);
            if (n >= 2) {
                d[0] = 0;
                d[1] = version;
            }
            if (version == FSN_DEC_V5 && n >= 22) {
                d[20] = 0;
                d[21] = FUZZ_DOMAIN;
            } else if (version == FSN_DEC_V9 && n >= 20) {
                memset(d + 16, 0, 3);
                d[19] = FUZZ_DOMAIN;
            } else if (version == FSN_DEC_IPFIX && n >= 16) {
                memset(d + 12, 0, 3);
                d[15] = FUZZ_DOMAIN;
            }
            uint64_t was_malformed = k->malformed;
            bool framed = fsn_dec_check(d, n) == 0;
            fsn_dec_datagram(s, d, n, now, fuzz_emit, &emitted);
            /* What the framing check refuses, the decoder calls malformed too. */
            if (!framed && n >= 2 && k->malformed == was_malformed)
                abort();
            free(d);
        }
        data += n;
        size -= n;
        now += 700;
        bound = sizeof *s + lim.max_templates * (sizeof(struct fsn__dec_tmpl) +
                                                 lim.max_fields * sizeof(struct fsn__dec_field) +
                                                 FSN__PLAN_MAX(lim.max_fields)) +
                lim.max_buffered_bytes;
        if (k->templates > lim.max_templates || fsn_dec_memory(s) > bound ||
            pool.templates != k->templates || all.templates != k->templates ||
            pool.bytes != all.bytes || all.bytes > all.max_bytes || pool.templates > 12)
            abort();
    }
    if (emitted != k->records + k->reverse_records)
        abort();

    /* Persistence: what is saved restores, whole. */
    if ((blob = malloc(fsn_dec_save_size(s))) != NULL) {
        if (fsn_dec_save(s, FSN_DEC_SAVE_SEQ, blob, fsn_dec_save_size(s), &len) != 0)
            abort();
        r = fsn_dec_session_new(&lim, &exporter, version, FUZZ_DOMAIN);
        if (r) {
            if (fsn_dec_restore(r, blob, len) != 0 ||
                fsn_dec_counters(r)->templates != k->templates)
                abort();
            fsn_dec_session_free(r);
        }
        free(blob);
    }
    fsn_dec_session_free(s);
    /* A freed session gives back every charge. */
    if (pool.templates || pool.bytes || all.templates || all.bytes)
        abort();
}

/* The raw input as a saved blob: any answer but a crash is fine. */
static void fuzz_restore(uint8_t version, const uint8_t *data, size_t size)
{
    struct fsn_addr exporter;
    struct fsn_dec_session *s;
    uint8_t v;
    uint32_t d;

    if (fsn_dec_saved_key(data, size, &exporter, &v, &d) != 0)
        return;
    (void)version;
    if ((s = fsn_dec_session_new(NULL, &exporter, v, d)) != NULL) {
        fsn_dec_restore(s, data, size);
        fsn_dec_session_free(s);
    }
}

#endif
