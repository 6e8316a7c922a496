/* SPDX-License-Identifier: BSD-2-Clause */
#include "collector/coll_tmpl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"

#define MAGIC "FSNTPLS\n"
#define FORMAT 1
#define HEAD 16
#define FILE_MAX (1u << 30)

/* Sessions worth saving: v9/IPFIX ones that know templates or a sampling interval. */
static bool worth(const struct coll_exporter *e)
{
    return e->version != FSN_DEC_V5 &&
           (fsn_dec_counters(e->s)->templates > 0 || fsn_dec_sampling(e->s) > 0);
}

static int write_file(int dirfd, const uint8_t *p, size_t n, char *err, size_t errlen)
{
    const char *tmp = COLL_TMPL_FILE ".tmp";
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int ret = -1;

    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "%s: write: %s", tmp, w < 0 ? strerror(errno) : "short");
            goto out;
        }
        p += w;
        n -= (size_t)w;
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
    close(fd);
    if (ret != 0)
        (void)unlinkat(dirfd, tmp, 0);
    return ret;
}

int coll_tmpl_save(int dirfd, const struct coll_exptab *t, char *err, size_t errlen)
{
    size_t total = HEAD, used, len;
    uint32_t count = 0;
    uint8_t *buf;
    int ret;

    for (size_t i = 0; i < t->n; i++)
        if (worth(t->list[i]))
            total += 4 + fsn_dec_save_size(t->list[i]->s);
    if (!(buf = malloc(total))) {
        snprintf(err, errlen, "%s", fsn_strerror(FSN_E_NOMEM));
        return -1;
    }
    used = HEAD;
    for (size_t i = 0; i < t->n; i++) {
        const struct coll_exporter *e = t->list[i];
        if (!worth(e))
            continue;
        if (fsn_dec_save(e->s, 0, buf + used + 4, total - used - 4, &len) != 0)
            continue;
        fsn_store32(buf + used, (uint32_t)len);
        used += 4 + len;
        count++;
    }
    memcpy(buf, MAGIC, 8);
    fsn_store32(buf + 8, FORMAT);
    fsn_store32(buf + 12, count);
    ret = write_file(dirfd, buf, used, err, errlen);
    free(buf);
    return ret;
}

/* Reads the whole file; *buf NULL with 0 when it does not exist. */
static int read_file(int dirfd, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    uint8_t *p = NULL;
    size_t got = 0;
    int fd, ret = -1;

    *buf = NULL;
    *len = 0;
    if ((fd = openat(dirfd, COLL_TMPL_FILE, O_RDONLY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", COLL_TMPL_FILE, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > FILE_MAX) {
        snprintf(err, errlen, "%s: unreadable or larger than %u bytes", COLL_TMPL_FILE, FILE_MAX);
        goto out;
    }
    if (!(p = malloc((size_t)st.st_size + 1))) {
        snprintf(err, errlen, "%s", fsn_strerror(FSN_E_NOMEM));
        goto out;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", COLL_TMPL_FILE, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    *buf = p;
    *len = got;
    p = NULL;
    ret = 0;
out:
    free(p);
    close(fd);
    return ret;
}

int coll_tmpl_restore(int dirfd, struct coll_exptab *t,
                      bool (*allowed)(void *arg, const struct fsn_addr *a), void *arg,
                      struct coll_tmpl_result *r, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    struct fsn_rd rd;
    uint8_t magic[8];
    uint32_t format, count;

    memset(r, 0, sizeof *r);
    if (read_file(dirfd, &buf, &len, err, errlen) != 0)
        return -1;
    if (!buf)
        return 0;
    rd = fsn_rd_make(buf, len);
    if (!fsn_rd_bytes(&rd, magic, 8) || memcmp(magic, MAGIC, 8) != 0 || !fsn_rd_u32(&rd, &format) ||
        !fsn_rd_u32(&rd, &count)) {
        snprintf(err, errlen, "%s: not a template file", COLL_TMPL_FILE);
        free(buf);
        return -1;
    }
    if (format != FORMAT) {
        snprintf(err, errlen, "%s: format %u, not %u", COLL_TMPL_FILE, format, FORMAT);
        free(buf);
        return -1;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct fsn_rd blob;
        struct fsn_addr a;
        uint8_t version;
        uint32_t domain, blen;
        struct fsn_dec_session *probe;
        struct coll_exporter *e;
        bool good;

        /* A truncated file ends the list; what came before stays restored. */
        if (!fsn_rd_u32(&rd, &blen) || !fsn_rd_sub(&rd, blen, &blob)) {
            r->rejected += count - i;
            break;
        }
        if (fsn_dec_saved_key(blob.p, blen, &a, &version, &domain) != 0 ||
            (allowed && !allowed(arg, &a))) {
            r->rejected++;
            continue;
        }
        /* Validate against this run's limits before the session takes a table slot. */
        probe = fsn_dec_session_new(&t->lim, &a, version, domain);
        good = probe && fsn_dec_restore(probe, blob.p, blen) == 0;
        fsn_dec_session_free(probe);
        if (!good) {
            r->rejected++;
            continue;
        }
        e = coll_exptab_find(t, &a, version, domain);
        if (!e)
            e = coll_exptab_add(t, &a, version, domain);
        if (!e || fsn_dec_restore(e->s, blob.p, blen) != 0) {
            r->rejected++;
            continue;
        }
        r->sessions++;
        r->templates += (unsigned)fsn_dec_counters(e->s)->templates;
    }
    free(buf);
    return 0;
}
