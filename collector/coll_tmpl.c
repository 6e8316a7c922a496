/* SPDX-License-Identifier: BSD-2-Clause */
#include "collector/coll_tmpl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"

#define MAGIC "FSNTPLS\n"
#define FORMAT 1
#define HEAD 16
#define IOBUF (64 * 1024)

/*
 * Sessions worth saving: those that know templates or a sampling interval
 * (v9/IPFIX), and with the sequence state any that knows its next number.
 */
static bool worth(const struct coll_exporter *e, bool with_seq)
{
    return fsn_dec_counters(e->s)->templates > 0 || fsn_dec_sampling(e->s) > 0 ||
           (with_seq && fsn_dec_seq_known(e->s));
}

/* Writes the sessions through f; the count in the header is patched at the end. */
static int write_sessions(FILE *f, const struct coll_exptab *t, bool with_seq)
{
    uint8_t head[HEAD], *blob = NULL;
    size_t cap = 0, len;
    uint32_t count = 0;
    unsigned flags = with_seq ? FSN_DEC_SAVE_SEQ : 0;
    int ret = -1;

    memcpy(head, MAGIC, 8);
    fsn_store32(head + 8, FORMAT);
    fsn_store32(head + 12, 0);
    if (fwrite(head, 1, HEAD, f) != HEAD)
        goto out;
    for (size_t i = 0; i < t->n; i++) {
        const struct coll_exporter *e = t->list[i];
        size_t need = fsn_dec_save_size(e->s);
        uint8_t n4[4];
        if (!worth(e, with_seq))
            continue;
        if (need > cap) {
            uint8_t *grown = realloc(blob, need);
            if (!grown)
                goto out;
            blob = grown;
            cap = need;
        }
        if (fsn_dec_save(e->s, flags, blob, cap, &len) != 0)
            continue;
        fsn_store32(n4, (uint32_t)len);
        if (fwrite(n4, 1, 4, f) != 4 || fwrite(blob, 1, len, f) != len)
            goto out;
        count++;
    }
    fsn_store32(head + 12, count);
    if (fflush(f) != 0 || pwrite(fileno(f), head + 12, 4, 12) != 4)
        goto out;
    ret = 0;
out:
    free(blob);
    return ret;
}

int coll_tmpl_save(int dirfd, const struct coll_exptab *t, bool with_seq, char *err, size_t errlen)
{
    const char *tmp = COLL_TMPL_FILE ".tmp";
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FILE *f;
    int ret = -1;

    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (!(f = fdopen(fd, "w"))) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        close(fd);
        (void)unlinkat(dirfd, tmp, 0);
        return -1;
    }
    setvbuf(f, NULL, _IOFBF, IOBUF);
    errno = 0;
    if (write_sessions(f, t, with_seq) != 0) {
        snprintf(err, errlen, "%s: write: %s", tmp, errno ? strerror(errno) : "out of memory");
        goto out;
    }
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
        goto out;
    }
    if (renameat(dirfd, tmp, dirfd, COLL_TMPL_FILE) != 0) {
        snprintf(err, errlen, "rename %s: %s", tmp, strerror(errno));
        goto out;
    }
    ret = 0;
out:
    if (fclose(f) != 0 && ret == 0) {
        snprintf(err, errlen, "%s: close: %s", COLL_TMPL_FILE, strerror(errno));
        ret = -1;
    }
    if (ret != 0)
        (void)unlinkat(dirfd, tmp, 0);
    return ret;
}

/*
 * The largest blob this run can restore: every template the limits allow,
 * of the most fields, and no more than the pools could take.
 */
static size_t blob_max(const struct coll_exptab *t)
{
    uint64_t ntmpl = t->lim.max_templates, n;

    if (t->tmpl_per_addr && t->tmpl_per_addr < ntmpl)
        ntmpl = t->tmpl_per_addr;
    n = 128 + 16 * 12 + ntmpl * (7 + 8 * (uint64_t)t->lim.max_fields);
    if (t->pool.max_bytes && n > t->pool.max_bytes + 512)
        n = t->pool.max_bytes + 512;
    return n > (1u << 30) ? 1u << 30 : (size_t)n;
}

/* Restores one blob into a session of `t`; false when it is refused (nothing changes). */
static bool restore_blob(struct coll_exptab *t, const uint8_t *blob, size_t blen,
                         bool (*allowed)(void *arg, const struct fsn_addr *a), void *arg,
                         struct coll_tmpl_result *r)
{
    struct fsn_addr a;
    uint8_t version;
    uint32_t domain;
    struct fsn_dec_session *probe;
    struct coll_exporter *e;
    bool good, made = false;

    if (fsn_dec_saved_key(blob, blen, &a, &version, &domain) != 0 || (allowed && !allowed(arg, &a)))
        return false;
    /* Validate against this run's limits before the session takes a table slot. */
    probe = fsn_dec_session_new(&t->lim, &a, version, domain);
    good = probe && fsn_dec_restore(probe, blob, blen) == 0;
    fsn_dec_session_free(probe);
    if (!good)
        return false;
    if (!(e = coll_exptab_find(t, &a, version, domain))) {
        if (!(e = coll_exptab_add(t, &a, version, domain)))
            return false;
        made = true;
    }
    if (fsn_dec_restore(e->s, blob, blen) != 0) {
        /* Beyond what the pools take: the slot goes back. */
        if (made)
            coll_exptab_remove(t, e);
        return false;
    }
    r->sessions++;
    r->templates += (unsigned)fsn_dec_counters(e->s)->templates;
    if (fsn_dec_seq_known(e->s))
        r->sequences++;
    return true;
}

/* Reads exactly n bytes; false at the end of the file or an error. */
static bool read_n(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n;
}

int coll_tmpl_restore(int dirfd, struct coll_exptab *t,
                      bool (*allowed)(void *arg, const struct fsn_addr *a), void *arg,
                      struct coll_tmpl_result *r, char *err, size_t errlen)
{
    uint8_t head[HEAD], n4[4], *blob = NULL;
    size_t cap = 0, max = blob_max(t);
    uint32_t format, count;
    FILE *f;
    int fd, ret = -1;

    memset(r, 0, sizeof *r);
    if ((fd = openat(dirfd, COLL_TMPL_FILE, O_RDONLY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", COLL_TMPL_FILE, strerror(errno));
        return -1;
    }
    if (!(f = fdopen(fd, "r"))) {
        snprintf(err, errlen, "%s: %s", COLL_TMPL_FILE, strerror(errno));
        close(fd);
        return -1;
    }
    setvbuf(f, NULL, _IOFBF, IOBUF);
    if (!read_n(f, head, HEAD) || memcmp(head, MAGIC, 8) != 0) {
        snprintf(err, errlen, "%s: not a template file", COLL_TMPL_FILE);
        goto out;
    }
    format = fsn_load32(head + 8);
    count = fsn_load32(head + 12);
    if (format != FORMAT) {
        snprintf(err, errlen, "%s: format %u, not %u", COLL_TMPL_FILE, format, FORMAT);
        goto out;
    }
    for (uint32_t i = 0; i < count; i++) {
        uint32_t blen;
        /* A truncated file ends the list; what came before stays restored. */
        if (!read_n(f, n4, 4)) {
            r->rejected += count - i;
            break;
        }
        blen = fsn_load32(n4);
        if (blen > max) {
            /* More than this run could hold: skipped unread, the next one may fit. */
            r->rejected++;
            if (fseeko(f, (off_t)blen, SEEK_CUR) != 0) {
                r->rejected += count - i - 1;
                break;
            }
            continue;
        }
        if (blen > cap) {
            uint8_t *grown = realloc(blob, blen);
            if (!grown) {
                r->rejected += count - i;
                break;
            }
            blob = grown;
            cap = blen;
        }
        if (!read_n(f, blob, blen)) {
            r->rejected += count - i;
            break;
        }
        if (!restore_blob(t, blob, blen, allowed, arg, r))
            r->rejected++;
    }
    ret = 0;
out:
    free(blob);
    fclose(f);
    return ret;
}
