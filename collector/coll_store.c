/* SPDX-License-Identifier: BSD-2-Clause */
#include "collector/coll_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "lib/error.h"

/* Files of one interval beyond the first get "-1" .. "-999" (restarts within an interval). */
#define SUFFIX_MAX 999

static struct log_limit lim_write, lim_open, lim_spool;

/* Opens the spool directory, making it when missing (its parent must exist). -1 with errno. */
static int open_spool(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT && mkdir(dir, 0750) == 0) {
        log_info("spool %s created", dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    return fd;
}

int coll_store_open(struct coll_store *s, const char *dir, uint32_t rotate_s, char *err,
                    size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->rotate_ms = (uint64_t)rotate_s * 1000;
    /* A spool that does not exist yet is made (its parent must exist), as rrd-dir is. */
    if ((s->dirfd = open_spool(dir)) < 0) {
        snprintf(err, errlen, "spool %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "spool %s: not writable: %s", dir, strerror(errno));
        goto fail;
    }
    if (!(s->b = fsn_ff_builder_new(0))) {
        snprintf(err, errlen, "%s", fsn_strerror(FSN_E_NOMEM));
        goto fail;
    }
    return 0;
fail:
    if (s->dirfd >= 0)
        close(s->dirfd);
    s->dirfd = -1;
    return -1;
}

bool coll_store_parse_name(const char *name, uint64_t *start_ms)
{
    const size_t plen = strlen(FSN_FF_PREFIX), slen = strlen(FSN_FF_SUFFIX);
    size_t len = strlen(name), i;
    unsigned v[6] = {0};
    const unsigned width[6] = {4, 2, 2, 2, 2, 2};
    const char *p;
    struct tm tm;
    time_t t;

    if (len < plen + 15 + slen || strncmp(name, FSN_FF_PREFIX, plen) != 0 ||
        strcmp(name + len - slen, FSN_FF_SUFFIX) != 0)
        return false;
    p = name + plen;
    for (int k = 0; k < 6; k++) {
        for (unsigned j = 0; j < width[k]; j++, p++) {
            if (*p < '0' || *p > '9')
                return false;
            v[k] = v[k] * 10 + (unsigned)(*p - '0');
        }
        if (k == 2 && *p++ != '-')
            return false;
    }
    /* Then ".fsn", or "-N.fsn". */
    i = (size_t)(p - name);
    if (name[i] == '-') {
        size_t d = 0;
        for (i++; name[i] >= '0' && name[i] <= '9'; i++)
            d++;
        if (d == 0 || d > 3)
            return false;
    }
    if (strcmp(name + i, FSN_FF_SUFFIX) != 0)
        return false;
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
        return false;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (int)v[0] - 1900;
    tm.tm_mon = (int)v[1] - 1;
    tm.tm_mday = (int)v[2];
    tm.tm_hour = (int)v[3];
    tm.tm_min = (int)v[4];
    tm.tm_sec = (int)v[5];
    if ((t = timegm(&tm)) < 0)
        return false;
    *start_ms = (uint64_t)t * 1000;
    return true;
}

static bool exists(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/*
 * A final name for the interval starting at start_ms that neither a
 * complete nor a temporary file uses: the plain name, else with "-N".
 */
static int free_name(int dirfd, uint64_t start_ms, char *name, size_t len)
{
    char base[FSN_FF_NAME_LEN], tmp[COLL_STORE_NAME_MAX + 8];
    size_t blen;

    if (fsn_ff_filename(start_ms, false, base, sizeof base) != 0)
        return -1;
    blen = strlen(base) - strlen(FSN_FF_SUFFIX);
    for (unsigned n = 0; n <= SUFFIX_MAX; n++) {
        if (n == 0)
            snprintf(name, len, "%s", base);
        else
            snprintf(name, len, "%.*s-%u%s", (int)blen, base, n, FSN_FF_SUFFIX);
        snprintf(tmp, sizeof tmp, "%s%s", name, FSN_FF_TMP_SUFFIX);
        if (!exists(dirfd, name) && !exists(dirfd, tmp))
            return 0;
    }
    return -1;
}

/* Writes all of p or fails (errno in last_errno; what a failed write left is the caller's). */
static int write_all(struct coll_store *s, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(s->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->last_errno = w < 0 ? errno : EIO;
            s->st.write_errors++;
            log_ratelimited(&lim_write, 60, LOG_ERR, "%s/%s: write: %s", s->dir, s->tmpname,
                            strerror(s->last_errno));
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/*
 * Cuts off what a failed write left after the last whole block, so that the
 * next block follows it directly. False when that fails too.
 */
static bool cut_back(struct coll_store *s)
{
    if (ftruncate(s->fd, (off_t)s->off) == 0 &&
        lseek(s->fd, (off_t)s->off, SEEK_SET) == (off_t)s->off)
        return true;
    s->st.write_errors++;
    log_ratelimited(&lim_write, 60, LOG_ERR, "%s/%s: cannot cut off a partial write: %s", s->dir,
                    s->tmpname, strerror(errno));
    return false;
}

/* The open file cannot become complete: its records are lost; it is removed. */
static void drop_file(struct coll_store *s, const char *why)
{
    s->st.lost += s->file_records;
    s->file_lost += s->file_records;
    log_ratelimited(&lim_open, 60, LOG_ERR, "%s/%s: %s; its %llu records are lost", s->dir,
                    s->tmpname, why, (unsigned long long)s->file_records);
    close(s->fd);
    s->fd = -1;
    if (s->dirfd >= 0)
        (void)unlinkat(s->dirfd, s->tmpname, 0);
    s->file_records = s->file_blocks = 0;
}

/*
 * Makes the file of the open interval: a free name, the header. When that
 * fails, no file is left and the next try is a second later.
 */
static void open_file(struct coll_store *s, uint64_t now_ms)
{
    struct fsn_ff_header h;
    uint8_t hdr[FSN_FF_HEADER_SIZE];

    s->retry_ms = now_ms + 1000;
    s->file_records = s->file_blocks = 0;
    if (s->dirfd < 0)
        return; /* the spool is missing: coll_store_tick makes it again */
    if (free_name(s->dirfd, s->start_ms, s->name, sizeof s->name) != 0) {
        s->st.write_errors++;
        log_ratelimited(&lim_open, 60, LOG_ERR, "%s: no free file name for the interval at %llu",
                        s->dir, (unsigned long long)(s->start_ms / 1000));
        return;
    }
    snprintf(s->tmpname, sizeof s->tmpname, "%s%s", s->name, FSN_FF_TMP_SUFFIX);
    s->fd = openat(s->dirfd, s->tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        s->last_errno = errno;
        s->st.write_errors++;
        log_ratelimited(&lim_open, 60, LOG_ERR, "%s/%s: %s", s->dir, s->tmpname, strerror(errno));
        return;
    }
    memset(&h, 0, sizeof h);
    h.version = FSN_FF_VERSION;
    h.created_ms = now_ms;
    h.start_ms = s->start_ms;
    h.end_ms = s->end_ms;
    fsn_ff_header_encode(&h, hdr);
    if (write_all(s, hdr, sizeof hdr) != 0) {
        /* A file without its header would read as nothing: none at all instead. */
        close(s->fd);
        s->fd = -1;
        (void)unlinkat(s->dirfd, s->tmpname, 0);
        return;
    }
    s->off = sizeof hdr;
    s->st.bytes += sizeof hdr;
    log_debug("opened %s/%s", s->dir, s->tmpname);
}

/* Starts the interval that holds now_ms, and its file. */
static void open_interval(struct coll_store *s, uint64_t now_ms)
{
    s->start_ms = now_ms - now_ms % s->rotate_ms;
    s->end_ms = s->start_ms + s->rotate_ms;
    s->file_lost = 0;
    fsn_ff_builder_restart(s->b);
    open_file(s, now_ms);
}

/* Renames the open file as it is, without a trailer (it reads as not closed). */
static bool rename_file(struct coll_store *s)
{
    bool done = false;

    if (fsync(s->fd) != 0) {
        s->st.write_errors++;
        log_err("%s/%s: fsync: %s", s->dir, s->tmpname, strerror(errno));
    }
    close(s->fd);
    s->fd = -1;
    if (renameat(s->dirfd, s->tmpname, s->dirfd, s->name) != 0) {
        /* Not under a final name, so in no report: lost (a restart renames a leftover). */
        s->st.write_errors++;
        s->st.lost += s->file_records;
        s->file_lost += s->file_records;
        log_err("%s: rename %s to %s: %s; its %llu records are counted lost", s->dir, s->tmpname,
                s->name, strerror(errno), (unsigned long long)s->file_records);
    } else {
        (void)fsync(s->dirfd);
        s->st.files++;
        done = true;
        log_debug("closed %s/%s: %llu records", s->dir, s->name,
                  (unsigned long long)s->file_records);
    }
    s->file_records = s->file_blocks = 0;
    return done;
}

/* Writes the open block, if it holds records; its records are lost when it cannot be written. */
static void flush_block(struct coll_store *s, uint64_t now_ms)
{
    uint32_t nrec = fsn_ff_builder_records(s->b);
    const uint8_t *p;
    size_t n;

    if (nrec == 0)
        return;
    fsn_ff_builder_finish(s->b, &p, &n);
    if (s->fd >= 0 && write_all(s, p, n) == 0) {
        s->off += n;
        s->st.bytes += n;
        s->st.blocks++;
        s->file_blocks++;
        s->file_records += nrec;
        return;
    }
    s->st.lost += nrec;
    s->file_lost += nrec;
    if (s->fd >= 0 && !cut_back(s)) {
        /* The file ends in a partial block: keep it as it is, go on in a new one. */
        rename_file(s);
        s->retry_ms = now_ms;
    }
}

bool coll_store_close(struct coll_store *s, uint64_t now_ms)
{
    struct fsn_ff_trailer t;
    uint8_t tr[FSN_FF_TRAILER_SIZE];
    bool done = false;

    if (s->end_ms == 0)
        return false;
    flush_block(s, now_ms);
    if (s->fd >= 0) {
        /* The builder's time range may also cover blocks that were lost: a wider bound. */
        fsn_ff_builder_trailer(s->b, now_ms, &t);
        t.blocks = s->file_blocks;
        t.records = s->file_records;
        t.lost = s->file_lost;
        fsn_ff_trailer_encode(&t, tr);
        if (write_all(s, tr, sizeof tr) == 0)
            s->st.bytes += sizeof tr;
        else
            (void)cut_back(s); /* renamed without a trailer: every block still reads */
        done = rename_file(s);
    }
    fsn_ff_builder_restart(s->b);
    s->end_ms = 0;
    return done;
}

/* The open interval no longer holds `now`: past its end, or the clock went back a lot. */
static bool interval_over(const struct coll_store *s, uint64_t now_ms)
{
    return now_ms >= s->end_ms || now_ms + s->rotate_ms < s->start_ms;
}

void coll_store_add(struct coll_store *s, const struct fsn_flow *f, const struct fsn_ff_exporter *x,
                    uint64_t now_ms)
{
    int r;

    s->st.records++;
    if (s->end_ms == 0 || interval_over(s, now_ms)) {
        coll_store_close(s, now_ms);
        open_interval(s, now_ms);
    } else if (s->fd < 0 && now_ms >= s->retry_ms) {
        open_file(s, now_ms);
    }
    r = fsn_ff_builder_add(s->b, f, x);
    if (r == FSN_E_SPACE) {
        flush_block(s, now_ms);
        r = fsn_ff_builder_add(s->b, f, x);
    }
    if (r != 0) {
        s->st.lost++;
        s->file_lost++;
    }
}

/*
 * A spool removed while we run (its directory has no links left) is made
 * again; the open file went with it, and its records are lost.
 */
static void check_spool(struct coll_store *s, uint64_t now_ms)
{
    struct stat st;

    if (s->dirfd >= 0 && (fstat(s->dirfd, &st) != 0 || st.st_nlink > 0))
        return;
    if (s->fd >= 0)
        drop_file(s, "the spool directory was removed");
    if (s->dirfd >= 0)
        close(s->dirfd);
    if ((s->dirfd = open_spool(s->dir)) < 0) {
        log_ratelimited(&lim_spool, 60, LOG_ERR,
                        "spool %s was removed and cannot be made again: %s", s->dir,
                        strerror(errno));
        return;
    }
    log_warn("spool %s was removed while in use: made it again", s->dir);
    if (s->end_ms != 0)
        open_file(s, now_ms);
}

bool coll_store_tick(struct coll_store *s, uint64_t now_ms, bool eager)
{
    bool closed = false;

    check_spool(s, now_ms);
    if (s->end_ms != 0 && interval_over(s, now_ms)) {
        closed = coll_store_close(s, now_ms);
    } else if (s->end_ms != 0) {
        if (s->fd < 0 && now_ms >= s->retry_ms)
            open_file(s, now_ms);
        flush_block(s, now_ms);
    }
    if (eager && s->end_ms == 0)
        open_interval(s, now_ms);
    return closed;
}

struct entry {
    char name[COLL_STORE_NAME_MAX];
    uint64_t start_ms;
    uint64_t size;
};

static int by_start(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    if (x->start_ms != y->start_ms)
        return x->start_ms < y->start_ms ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Lists the directory: complete files (tmp = false) or temporary ones (tmp = true). */
static struct entry *list_files(struct coll_store *s, bool tmp, size_t *count)
{
    struct entry *v = NULL, *grown;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int fd = dup(s->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

    *count = 0;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    rewinddir(d);
    while ((de = readdir(d))) {
        char name[COLL_STORE_NAME_MAX];
        size_t len = strlen(de->d_name), tl = strlen(FSN_FF_TMP_SUFFIX);
        uint64_t start;
        struct stat st;

        if (len >= sizeof name)
            continue;
        if (tmp) {
            if (len <= tl || strcmp(de->d_name + len - tl, FSN_FF_TMP_SUFFIX) != 0)
                continue;
            snprintf(name, sizeof name, "%.*s", (int)(len - tl), de->d_name);
        } else {
            snprintf(name, sizeof name, "%s", de->d_name);
        }
        if (!coll_store_parse_name(name, &start))
            continue;
        if (fstatat(s->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            if (!(grown = realloc(v, cap * sizeof *v)))
                break;
            v = grown;
        }
        snprintf(v[n].name, sizeof v[n].name, "%s", name);
        v[n].start_ms = start;
        v[n].size = (uint64_t)st.st_size;
        n++;
    }
    closedir(d);
    if (v)
        qsort(v, n, sizeof *v, by_start);
    *count = n;
    return v;
}

unsigned coll_store_recover(struct coll_store *s)
{
    size_t n;
    struct entry *v = list_files(s, true, &n);
    unsigned done = 0;

    for (size_t i = 0; i < n; i++) {
        char from[COLL_STORE_NAME_MAX + 8], to[COLL_STORE_NAME_MAX];
        snprintf(from, sizeof from, "%s%s", v[i].name, FSN_FF_TMP_SUFFIX);
        /* Its own final name when free, else the next free one of its interval. */
        if (exists(s->dirfd, v[i].name)) {
            if (free_name(s->dirfd, v[i].start_ms, to, sizeof to) != 0)
                continue;
        } else {
            snprintf(to, sizeof to, "%s", v[i].name);
        }
        if (renameat(s->dirfd, from, s->dirfd, to) == 0) {
            log_warn("%s/%s: left by a collector that did not close it; renamed to %s", s->dir,
                     from, to);
            done++;
        } else {
            log_err("%s: rename %s: %s", s->dir, from, strerror(errno));
        }
    }
    free(v);
    s->st.recovered += done;
    return done;
}

static bool remove_file(struct coll_store *s, const struct entry *e, const char *why)
{
    if (unlinkat(s->dirfd, e->name, 0) != 0) {
        log_err("%s/%s: cannot delete: %s", s->dir, e->name, strerror(errno));
        return false;
    }
    s->st.expired++;
    s->st.expired_bytes += e->size;
    log_info("retention: deleted %s/%s (%s)", s->dir, e->name, why);
    return true;
}

unsigned coll_store_expire(struct coll_store *s, uint64_t now_ms, uint64_t max_age_s,
                           uint64_t max_bytes)
{
    size_t n, first = 0;
    struct entry *v;
    uint64_t total = 0;
    unsigned done = 0;

    if (max_age_s == 0 && max_bytes == 0)
        return 0;
    if (!(v = list_files(s, false, &n)))
        return 0;
    if (max_age_s) {
        /* An interval is as old as its end: start plus one rotation. */
        while (first < n && v[first].start_ms + s->rotate_ms + max_age_s * 1000 < now_ms) {
            if (remove_file(s, &v[first], "expire-age"))
                done++;
            first++;
        }
    }
    if (max_bytes) {
        for (size_t i = first; i < n; i++)
            total += v[i].size;
        while (first + 1 < n && total > max_bytes) {
            if (remove_file(s, &v[first], "expire-size"))
                done++;
            total -= v[first].size;
            first++;
        }
    }
    free(v);
    return done;
}

void coll_store_fini(struct coll_store *s, uint64_t now_ms)
{
    if (s->end_ms != 0)
        coll_store_close(s, now_ms);
    fsn_ff_builder_free(s->b);
    s->b = NULL;
    if (s->dirfd >= 0)
        close(s->dirfd);
    s->dirfd = -1;
}
