/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowreport input: finds the flow files under -R, reads each one in large
 * sequential reads through the lib/flowfile scanner, skips blocks outside
 * the time window without decoding them, and reports damage on stderr.
 * Memory is one read buffer (4 MiB, more only for a larger block) and one
 * block iterator, whatever the size of the files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector/report.h"
#include "common/clock.h"
#include "common/progress.h"
#include "lib/error.h"

#define READ_BUF (4u << 20)
#define MAX_DEPTH 8
#define MAX_WARNINGS 10 /* damage lines per file; the rest are counted */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- File list ---- */

static int add_file(struct rep_files *fl, const char *path)
{
    struct rep_file *v;

    if (!(fl->n & (fl->n + 1)) || fl->n == 0) {
        /* Grow at n = 0, 1, 3, 7, ...: capacity stays a power of two. */
        v = realloc(fl->v, (fl->n + 1) * 2 * sizeof *v);
        if (!v)
            return -1;
        fl->v = v;
    }
    memset(&fl->v[fl->n], 0, sizeof fl->v[0]);
    if (!(fl->v[fl->n].path = strdup(path)))
        return -1;
    fl->n++;
    return 0;
}

static int walk(struct rep_files *fl, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int ret = 0;

    if (!d) {
        fprintf(stderr, "flowreport: %s: %s\n", dir, strerror(errno));
        fl->unreadable++;
        return depth == 0 ? -1 : 0;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        if (stat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            if (depth < MAX_DEPTH && walk(fl, path, depth + 1) != 0)
                ret = -1;
        } else if (S_ISREG(sb.st_mode)) {
            if (ends_with(e->d_name, FSN_FF_SUFFIX FSN_FF_TMP_SUFFIX))
                fl->temporary++;
            else if (ends_with(e->d_name, FSN_FF_SUFFIX) && add_file(fl, path) != 0)
                ret = -1;
        }
    }
    closedir(d);
    return ret;
}

static int file_cmp(const void *a, const void *b)
{
    const struct rep_file *x = a, *y = b;

    if (x->start_ms != y->start_ms)
        return x->start_ms < y->start_ms ? -1 : 1;
    if (x->created_ms != y->created_ms)
        return x->created_ms < y->created_ms ? -1 : 1;
    return strcmp(x->path, y->path);
}

int rep_files_collect(const char *path, struct rep_files *fl)
{
    struct stat sb;

    memset(fl, 0, sizeof *fl);
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "flowreport: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(sb.st_mode)) {
        if (walk(fl, path, 0) != 0)
            return -1;
        if (fl->temporary)
            fprintf(stderr,
                    "flowreport: %s: skipped %zu temporary file%s still being written (*%s%s)\n",
                    path, fl->temporary, fl->temporary == 1 ? "" : "s", FSN_FF_SUFFIX,
                    FSN_FF_TMP_SUFFIX);
    } else if (add_file(fl, path) != 0) {
        return -1;
    }
    /* Order by the interval each file covers, from its header. */
    for (size_t i = 0; i < fl->n; i++) {
        uint8_t hb[FSN_FF_HEADER_SIZE];
        struct fsn_ff_header h;
        size_t hlen;
        int fd = open(fl->v[i].path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (read(fd, hb, sizeof hb) == (ssize_t)sizeof hb &&
            fsn_ff_header_decode(hb, sizeof hb, &h, &hlen) == 0) {
            fl->v[i].start_ms = h.start_ms;
            fl->v[i].created_ms = h.created_ms;
        }
        close(fd);
    }
    if (fl->n > 1)
        qsort(fl->v, fl->n, sizeof fl->v[0], file_cmp);
    return 0;
}

void rep_files_free(struct rep_files *fl)
{
    for (size_t i = 0; i < fl->n; i++)
        free(fl->v[i].path);
    free(fl->v);
    memset(fl, 0, sizeof *fl);
}

/* ---- Progress line (common/progress: only drawn on a terminal) ---- */

static void progress(struct rep_reader *r, uint64_t done_bytes, bool final)
{
    uint64_t el;
    char rec[32];

    if (!r->progress)
        return;
    if (final) {
        progress_done();
        return;
    }
    el = clock_ms_mono() - r->start_mono_ms;
    rep_human(r->st.records, false, rec, sizeof rec);
    progress_update("flowreport: file %zu/%zu, %s records, %.0f%%, %.1f M records/s",
                    r->file_index + 1, r->file_count, rec,
                    r->total_bytes ? 100.0 * (double)done_bytes / (double)r->total_bytes : 100.0,
                    el ? (double)r->st.records / (double)el / 1000.0 : 0.0);
}

/* ---- Reading ---- */

struct file_ctx {
    const char *path;
    unsigned warnings;
    uint64_t records; /* in blocks seen, decoded or not (for the trailer check) */
    uint64_t skip_at; /* start of the damaged region being skipped */
    uint64_t skip_len;
    bool window_skip; /* some block was skipped for the window (records not counted) */
    bool tty;         /* a progress line may be on stderr: clear it first */
};

static __attribute__((format(printf, 2, 3))) void warn(struct file_ctx *c, const char *fmt, ...)
{
    va_list ap;

    if (c->warnings++ >= MAX_WARNINGS)
        return;
    if (c->tty)
        progress_done(); /* the warning goes on a line of its own */
    fprintf(stderr, "flowreport: %s: ", c->path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
}

static void end_skip(struct file_ctx *c)
{
    if (c->skip_len)
        warn(c, "%" PRIu64 " damaged bytes at offset %" PRIu64 " skipped (no valid block)",
             c->skip_len, c->skip_at);
    c->skip_len = 0;
}

static bool in_window(const struct rep_reader *r)
{
    return r->start_ms > 0 || r->end_ms < UINT64_MAX;
}

static int do_block(struct rep_reader *r, struct file_ctx *c, const struct fsn_ff_item *it,
                    uint64_t offset)
{
    struct fsn_ff_iter *iter = r->iter;
    const struct fsn_ff_exporter *x;
    struct fsn_flow f;
    uint32_t k = 0;
    int ret;

    r->st.blocks++;
    c->records += it->info.records;
    if (it->info.records == 0)
        return 0;
    if (it->info.max_end_ms < r->start_ms || it->info.min_end_ms >= r->end_ms) {
        r->st.blocks_skipped++;
        c->window_skip = true;
        return 0;
    }
    if ((ret = fsn_ff_iter_open(iter, it->block, it->block_len)) != 0) {
        r->st.bad_blocks++;
        warn(c, "block at offset %" PRIu64 " (%" PRIu32 " records) %s, skipped", offset,
             it->info.records, ret == FSN_E_BADFILE ? "failed its checksum" : "is inconsistent");
        return 0;
    }
    /* Whole block inside the window: no per-record time check. */
    bool inside = it->info.min_end_ms >= r->start_ms && it->info.max_end_ms < r->end_ms;
    while ((ret = fsn_ff_iter_next(iter, &f, &x)) == 1) {
        k++;
        r->st.records++;
        if (!inside && (f.last_ms < r->start_ms || f.last_ms >= r->end_ms))
            continue;
        r->st.in_window++;
        if (r->filter && !fsn_filter_match(r->filter, &f, &x->addr))
            continue;
        r->st.matched++;
        if (r->fn(r->arg, &f, x) != 0)
            return -1;
    }
    if (ret < 0) {
        r->st.bad_blocks++;
        warn(c,
             "block at offset %" PRIu64 ": record %" PRIu32 " of %" PRIu32
             " is malformed, the rest of the block skipped",
             offset, k + 1, it->info.records);
    }
    return 0;
}

/* Reads more of the file so that at least `need` bytes are buffered (or the end is reached). */
static int fill(struct rep_reader *r, int fd, size_t *pos, size_t *have, size_t need, bool *eof,
                struct file_ctx *c)
{
    if (*pos) {
        memmove(r->buf, r->buf + *pos, *have);
        *pos = 0;
    }
    if (need > r->cap) {
        uint8_t *b = realloc(r->buf, need);
        if (!b) {
            warn(c, "out of memory for a block of %zu bytes", need);
            return -1;
        }
        r->buf = b;
        r->cap = need;
    }
    while (*have < need && !*eof) {
        ssize_t n = read(fd, r->buf + *have, r->cap - *have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            warn(c, "read: %s", strerror(errno));
            return -1;
        }
        if (n == 0)
            *eof = true;
        *have += (size_t)n;
        r->st.bytes += (uint64_t)n;
    }
    return 0;
}

/* True when the trailer shows that no record of the file can be in the window. */
static bool file_outside(const struct rep_reader *r, int fd)
{
    struct stat sb;
    uint8_t tb[FSN_FF_TRAILER_SIZE];
    struct fsn_ff_trailer t;

    if (!in_window(r) || fstat(fd, &sb) != 0 ||
        sb.st_size < FSN_FF_HEADER_SIZE + FSN_FF_TRAILER_SIZE ||
        pread(fd, tb, sizeof tb, sb.st_size - FSN_FF_TRAILER_SIZE) != (ssize_t)sizeof tb ||
        fsn_ff_trailer_decode(tb, sizeof tb, &t) != 0)
        return false;
    return t.records == 0 || t.max_end_ms < r->start_ms || t.min_end_ms >= r->end_ms;
}

static int read_file(struct rep_reader *r, const char *path, uint64_t *done_bytes)
{
    struct file_ctx c = {.path = path, .tty = r->progress};
    struct fsn_ff_scan s;
    size_t pos = 0, have = 0;
    bool eof = false, readable = true;
    int ret = 0, fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        if (c.tty)
            progress_done();
        fprintf(stderr, "flowreport: %s: %s\n", path, strerror(errno));
        r->st.failed_files++;
        return 0;
    }
    r->st.files++;
    if (file_outside(r, fd)) {
        if (r->verbose)
            fprintf(stderr, "flowreport: %s: no record in the time window, skipped\n", path);
        close(fd);
        return 0;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    fsn_ff_scan_init(&s);
    for (;;) {
        struct fsn_ff_item it;
        int sr = fsn_ff_scan_next(&s, r->buf + pos, have, eof, &it);
        if (sr == FSN_E_TRUNC) {
            /* Empty, or less than a header: a flow file that lost everything (a full disk). */
            r->st.damaged_files++;
            warn(&c, "damaged: %" PRIu64 " bytes, shorter than a flow file header; nothing to read",
                 (uint64_t)have);
            readable = false;
            break;
        }
        if (sr < 0) {
            warn(&c, "%s",
                 sr == FSN_E_BADVER ? "unsupported flow file version" : "not a flow file");
            r->st.failed_files++;
            readable = false;
            break;
        }
        if (it.kind == FSN_FF_NEED) {
            if (fill(r, fd, &pos, &have, it.need, &eof, &c) != 0) {
                r->st.failed_files++;
                readable = false;
                break;
            }
            progress(r, *done_bytes + s.offset, false);
            continue;
        }
        if (it.kind != FSN_FF_SKIP)
            end_skip(&c);
        if (it.kind == FSN_FF_HEADER && s.header_bad) {
            r->st.damaged_files++;
            warn(&c, "%s; reading the blocks",
                 s.no_header ? "damaged: no file header (its writer could not write it)"
                                  : "damaged file header (its times are unknown)");
        }
        if (it.kind == FSN_FF_SKIP) {
            if (!c.skip_len)
                c.skip_at = s.offset - it.used;
            c.skip_len += it.used;
        }
        if (it.kind == FSN_FF_BLOCK && do_block(r, &c, &it, s.offset - it.used) != 0) {
            ret = -1;
            break;
        }
        if (it.kind == FSN_FF_END)
            break;
        pos += it.used;
        have -= it.used;
    }
    end_skip(&c);
    if (ret == 0 && readable) {
        r->st.damaged_bytes += s.skipped;
        if (s.truncated) {
            r->st.truncated++;
            warn(&c,
                 "ends in an incomplete block (%" PRIu64 " bytes): its writer stopped early; "
                 "read up to the last complete block",
                 s.truncated);
        }
        if (!s.have_trailer) {
            r->st.unclosed++;
            if (!s.truncated)
                warn(&c, "no trailer: the file was not closed by its writer");
        } else if (s.trailer.records != c.records && !s.skips) {
            warn(&c, "the trailer counts %" PRIu64 " records, the blocks hold %" PRIu64,
                 s.trailer.records, c.records);
        }
        if (s.trailing)
            warn(&c, "%" PRIu64 " bytes after the trailer ignored", s.trailing);
        if (c.warnings > MAX_WARNINGS)
            fprintf(stderr, "flowreport: %s: %u more warnings not shown\n", path,
                    c.warnings - MAX_WARNINGS);
    }
    *done_bytes += s.offset;
    close(fd);
    return ret;
}

int rep_read_files(struct rep_reader *r, const struct rep_files *fl)
{
    uint64_t done = 0;

    if (!r->buf) {
        r->cap = READ_BUF;
        if (!(r->buf = malloc(r->cap)) || !(r->iter = malloc(sizeof(struct fsn_ff_iter)))) {
            fprintf(stderr, "flowreport: out of memory\n");
            return -1;
        }
    }
    r->total_bytes = 0;
    for (size_t i = 0; i < fl->n; i++) {
        struct stat sb;
        if (stat(fl->v[i].path, &sb) == 0)
            r->total_bytes += (uint64_t)sb.st_size;
    }
    r->file_count = fl->n;
    r->start_mono_ms = clock_ms_mono();
    for (size_t i = 0; i < fl->n; i++) {
        r->file_index = i;
        if (read_file(r, fl->v[i].path, &done) != 0) {
            progress(r, done, true);
            return -1;
        }
    }
    progress(r, done, true);
    return 0;
}

void rep_reader_fini(struct rep_reader *r)
{
    free(r->buf);
    free(r->iter);
    r->buf = NULL;
    r->iter = NULL;
}
