/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowgraph: static HTML pages of traffic graphs over the aggregator's RRD
 * files, in the spirit of FlowScan/CUFlow: total, top hosts, services,
 * protocols and exporters, in and out in bits per second, over a day, a
 * week, a month and a year; and for each top host and each top service a
 * page of its hosts x services cells (docs/rrd-files.md), split by role:
 * what the host provides (it is the server) and what it uses (the client).
 * The PNGs are rendered by librrd (rrd_graph_v). See man/flowgraph.1.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <rrd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_TOP 50

/* Named series in a graph of a host's or a service's page; the rest is one "other" series. */
#define STACK_MAX 10
/* Files summed into that "other" series; beyond, the smallest are left out and counted. */
#define REST_MAX 200
/* Hosts whose file a service's page reads, by default (--service-hosts). */
#define SERVICE_HOSTS 1000

struct ent {
    char name[128];    /* as in the file name, e.g. "10.0.0.1", "https" */
    char path[1200];
    double in, out;    /* octets over the period being ranked */
    double v[4];       /* a cell's octets over that period: provides in, out; uses in, out */
    double day[4];     /* the same over the last day, for the tables */
    bool rest_only;    /* an "other" cell: drawn in the "other" series, never on its own */
};

struct section {
    const char *id, *title, *dir;
    struct ent *e;
    size_t n;
};

struct period {
    const char *id, *title;
    long secs;
};

static const struct period periods[] = {
    {"day", "Day (5-minute averages)", 86400},
    {"week", "Week (30-minute averages)", 7 * 86400},
    {"month", "Month (2-hour averages)", 31 * 86400},
    {"year", "Year (1-day averages)", 366 * 86400},
};

/* The two roles of a cell (docs/counting.md, "Hosts x services") and their data sources. */
struct role {
    const char *id, *ds_in, *ds_out;
};

static const struct role roles[] = {
    {"provides", "p_in_octets", "p_out_octets"},
    {"uses", "u_in_octets", "u_out_octets"},
};

static const char *const cell_ds[] = {"p_in_octets", "p_out_octets", "u_in_octets",
                                      "u_out_octets"};
static const char *const plain_ds[] = {"in_octets", "out_octets"};

static const char *const colors[] = {"1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd",
                                     "8c564b", "e377c2", "7f7f7f", "bcbd22", "17becf",
                                     "393b79", "ad494a"};
#define OTHER_COLOR "c7c7c7"

/* What one run draws, from where, to where. */
struct run {
    const char *rrddir, *outdir, *title;
    size_t top;           /* -n */
    size_t service_hosts; /* --service-hosts */
    time_t end;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: flowgraph -R RRDDIR -o OUTDIR [-n TOP] [-H HOSTS] [--end TIME] "
               "[--title TEXT]\n"
               "  -R, --rrd-dir DIR   the aggregator's RRD directory\n"
               "  -o, --output DIR    where index.html, the host and service pages and the\n"
               "                      PNGs go\n"
               "  -n, --top N         hosts (and services, protocols, exporters) shown, default 10;\n"
               "                      each of the top hosts and services also gets a page\n"
               "  -H, --service-hosts N  a service's page reads the files of at most N hosts,\n"
               "                      the busiest by their own traffic over the day;\n"
               "                      default 1000\n"
               "  -e, --end TIME      end of the graphs: Unix seconds, 'now' (default) or 'last'\n"
               "                      (the last update of total.rrd, for a replayed capture)\n"
               "  -t, --title TEXT    page title\n");
}

static int by_name(const void *x, const void *y)
{
    return strcmp(((const struct ent *)x)->name, ((const struct ent *)y)->name);
}

static int by_traffic(const void *x, const void *y)
{
    const struct ent *a = x, *b = y;
    double ta = a->in + a->out, tb = b->in + b->out;
    if (ta != tb)
        return ta > tb ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* qsort of a list that may be empty (and then NULL, which qsort must not be given). */
static void sort_ents(struct ent *e, size_t n, int (*cmp)(const void *, const void *))
{
    if (n)
        qsort(e, n, sizeof *e, cmp);
}

/* Lists the files RRDDIR/DIR/NAME.rrd, sorted by name; *out is the caller's to free. */
static size_t scan(const char *root, const char *dir, struct ent **out)
{
    char path[1100];
    struct ent *e = NULL;
    size_t n = 0, cap = 0;
    DIR *d;
    struct dirent *de;

    *out = NULL;
    snprintf(path, sizeof path, "%s/%s", root, dir);
    d = opendir(path);
    if (!d)
        return 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".rrd") != 0 || l - 4 >= sizeof e->name)
            continue;
        if (n == cap) {
            struct ent *g = realloc(e, (cap ? cap * 2 : 64) * sizeof *e);
            if (!g)
                break;
            e = g;
            cap = cap ? cap * 2 : 64;
        }
        memset(&e[n], 0, sizeof e[n]);
        memcpy(e[n].name, de->d_name, l - 4);
        e[n].name[l - 4] = '\0';
        snprintf(e[n].path, sizeof e[n].path, "%s/%s", path, de->d_name);
        n++;
    }
    closedir(d);
    sort_ents(e, n, by_name);
    *out = e;
    return n;
}

/*
 * Sums AVERAGE x step over [end - secs, end], from the RRA that fits, of the
 * data sources ds[0..n) into sum[0..n) (0 for a source the file lacks).
 */
static void period_sums(const char *path, time_t end, long secs, const char *const *ds,
                        size_t n, double *sum)
{
    time_t s = end - secs, t = end;
    unsigned long step = (unsigned long)secs / 400, nds;
    char **names;
    rrd_value_t *data;
    long col[4];

    for (size_t k = 0; k < n; k++)
        sum[k] = 0;
    if (rrd_fetch_r(path, "AVERAGE", &s, &t, &step, &nds, &names, &data) != 0) {
        rrd_clear_error();
        return;
    }
    for (size_t k = 0; k < n; k++) {
        col[k] = -1;
        for (unsigned long i = 0; i < nds; i++)
            if (strcmp(names[i], ds[k]) == 0)
                col[k] = (long)i;
    }
    for (unsigned long i = 0; i < nds; i++)
        free(names[i]);
    free(names);
    for (long r = 0; r < (long)((t - s) / (time_t)step); r++)
        for (size_t k = 0; k < n; k++) {
            double v = col[k] < 0 ? NAN : data[r * (long)nds + col[k]];
            if (!isnan(v))
                sum[k] += v * (double)step;
        }
    free(data);
}

/* Sums in and out octets of a plain (six data source) file into e->in, e->out. */
static void traffic(struct ent *e, time_t end, long secs)
{
    double s[2];

    period_sums(e->path, end, secs, plain_ds, 2, s);
    e->in = s[0];
    e->out = s[1];
}

/*
 * Text with ':' and '\\' escaped, as rrd_graph wants them in a DEF's file
 * name and in a legend (IPv6 addresses have colons).
 */
static void rrd_escape(const char *p, char *out, size_t len)
{
    size_t o = 0;
    for (; *p && o + 2 < len; p++) {
        if (*p == ':' || *p == '\\')
            out[o++] = '\\';
        out[o++] = *p;
    }
    out[o] = '\0';
}

/* rrd_graph's arguments, each allocated; a failed allocation makes the render fail. */
struct args {
    char **v;
    int n, cap;
    bool oom;
};

static void add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct args *a, const char *fmt, ...)
{
    va_list ap;
    int len;
    char *s;

    if (a->oom)
        return;
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 64;
        char **v = realloc(a->v, (size_t)cap * sizeof *v);
        if (!v) {
            a->oom = true;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    s = len < 0 ? NULL : malloc((size_t)len + 1);
    if (!s) {
        a->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    a->v[a->n++] = s;
}

static int render(struct args *a, const char *png)
{
    rrd_info_t *info = NULL;
    int ret = -1;

    if (a->oom)
        fprintf(stderr, "flowgraph: %s: out of memory\n", png);
    else if (!(info = rrd_graph_v(a->n, a->v))) {
        fprintf(stderr, "flowgraph: %s: %s\n", png, rrd_get_error());
        rrd_clear_error();
    } else {
        rrd_info_free(info);
        ret = 0;
    }
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
    return ret;
}

static void graph_head(struct args *a, const char *png, const char *title, time_t end, long secs)
{
    memset(a, 0, sizeof *a);
    add(a, "graph");
    add(a, "%s", png);
    add(a, "--start=%ld", (long)end - secs);
    add(a, "--end=%ld", (long)end);
    add(a, "--width=640");
    add(a, "--height=180");
    add(a, "--imgformat=PNG");
    add(a, "--title=%s", title);
    add(a, "--vertical-label=bits per second");
    add(a, "--slope-mode");
    add(a, "--lower-limit=0");
}

static int graph_total(const char *png, const char *rrd, const char *title, time_t end, long secs)
{
    struct args a;
    char p[2500];

    rrd_escape(rrd, p, sizeof p);
    graph_head(&a, png, title, end, secs);
    add(&a, "DEF:i=%s:in_octets:AVERAGE", p);
    add(&a, "DEF:o=%s:out_octets:AVERAGE", p);
    add(&a, "DEF:im=%s:in_octets:MAX", p);
    add(&a, "DEF:om=%s:out_octets:MAX", p);
    add(&a, "CDEF:bi=i,8,*");
    add(&a, "CDEF:bo=o,8,*");
    add(&a, "CDEF:bim=im,8,*");
    add(&a, "CDEF:bom=om,8,*");
    add(&a, "AREA:bi#00cc00:in ");
    add(&a, "%s", "GPRINT:bi:AVERAGE:average %6.2lf %sb/s");
    add(&a, "%s", "GPRINT:bim:MAX:max %6.2lf %sb/s\\n");
    add(&a, "LINE1:bo#0000ff:out");
    add(&a, "%s", "GPRINT:bo:AVERAGE:average %6.2lf %sb/s");
    add(&a, "%s", "GPRINT:bom:MAX:max %6.2lf %sb/s\\n");
    return render(&a, png);
}

/*
 * What one stacked graph draws: e[0..n) ranked by traffic (in, out), of
 * which at most `named` get a series of their own (the first that are not
 * rest_only and had traffic); with a rest_label, all others with traffic
 * are summed (the largest REST_MAX) into one series of that name, else they
 * are not drawn. Entities without traffic in the period are not drawn.
 */
struct stack {
    const struct ent *e;
    size_t n, named;
    const char *ds_in, *ds_out;
    const char *rest_label;
};

/* A DEF of in and out and their bits, unknown as 0: bi<tag> above the axis, bo<tag> below. */
static void def_bits(struct args *a, const char *tag, const char *path, const struct stack *s)
{
    char p[2500];

    rrd_escape(path, p, sizeof p);
    add(a, "DEF:i%s=%s:%s:AVERAGE", tag, p, s->ds_in);
    add(a, "DEF:o%s=%s:%s:AVERAGE", tag, p, s->ds_out);
    add(a, "CDEF:bi%s=i%s,UN,0,i%s,IF,8,*", tag, tag, tag);
    add(a, "CDEF:bo%s=o%s,UN,0,o%s,IF,-8,*", tag, tag, tag);
}

/*
 * In stacked above the axis, out stacked below, one colour per entity.
 * When `drawn` is not NULL, it receives the series' names in stacking
 * order, for the page's alt text.
 */
static int graph_stack(const char *png, const struct stack *s, const char *title, time_t end,
                       long secs, char *drawn, size_t dlen)
{
    struct args a;
    size_t named[MAX_TOP], nn = 0, nrest = 0, left = 0, o = 0;

    if (drawn && dlen)
        drawn[0] = '\0';
    graph_head(&a, png, title, end, secs);
    for (size_t i = 0; i < s->n; i++) {
        const struct ent *x = &s->e[i];
        bool busy = x->in + x->out > 0;
        char tag[32];

        if (!x->rest_only && nn < s->named && busy) {
            snprintf(tag, sizeof tag, "%zu", nn);
            def_bits(&a, tag, x->path, s);
            named[nn++] = i;
        } else if (s->rest_label && busy && nrest < REST_MAX) {
            /* A running sum: r<k> = r<k-1> + this file. */
            snprintf(tag, sizeof tag, "x%zu", nrest);
            def_bits(&a, tag, x->path, s);
            if (nrest == 0) {
                add(&a, "CDEF:ri0=bix0");
                add(&a, "CDEF:ro0=box0");
            } else {
                add(&a, "CDEF:ri%zu=ri%zu,bix%zu,+", nrest, nrest - 1, nrest);
                add(&a, "CDEF:ro%zu=ro%zu,box%zu,+", nrest, nrest - 1, nrest);
            }
            nrest++;
        } else if (s->rest_label && busy) {
            left++;
        }
    }
    for (size_t k = 0; k < nn; k++) {
        char name[300];
        rrd_escape(s->e[named[k]].name, name, sizeof name);
        add(&a, "AREA:bi%zu#%s:%s%s", k, colors[k % 12], name, k ? ":STACK" : "");
    }
    if (nrest) {
        char name[300];
        rrd_escape(s->rest_label, name, sizeof name);
        add(&a, "AREA:ri%zu#" OTHER_COLOR ":%s:STACK", nrest - 1, name);
    }
    for (size_t k = 0; k < nn; k++)
        add(&a, "AREA:bo%zu#%s%s", k, colors[k % 12], k ? "::STACK" : "");
    for (size_t k = 0; drawn && k < nn && o < dlen; k++)
        o += (size_t)snprintf(drawn + o, dlen - o, "%s%s", k ? ", " : "", s->e[named[k]].name);
    if (drawn && nrest && o < dlen && left)
        snprintf(drawn + o, dlen - o, "%s%s (%zu of %zu files, the %zu smallest left out)",
                 nn ? ", " : "", s->rest_label, nrest, nrest + left, left);
    else if (drawn && nrest && o < dlen)
        snprintf(drawn + o, dlen - o, "%s%s (%zu file%s)", nn ? ", " : "", s->rest_label, nrest,
                 nrest == 1 ? "" : "s");
    if (nrest)
        add(&a, "AREA:ro%zu#" OTHER_COLOR "::STACK", nrest - 1);
    add(&a, "HRULE:0#000000");
    add(&a, "COMMENT:\\n");
    if (nn + nrest == 0)
        add(&a, "COMMENT:no traffic in this period\\n");
    if (left)
        add(&a, "COMMENT:%s\\: the %zu smallest files left out (at most %d are summed)\\n",
            s->rest_label, left, REST_MAX);
    add(&a, "COMMENT:above the axis\\: in, below\\: out\\c");
    return render(&a, png);
}

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

static void human(double octets, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (octets >= 1000 && u < 5) {
        octets /= 1000;
        u++;
    }
    snprintf(buf, len, "%.1f %s", octets, unit[u]);
}

/*
 * The file name (without .html or .png) of a host's ("host-") or a
 * service's ("service-") page: letters, digits and '.' as they are; for a
 * host ':' as '-' (2001:db8::1 -> host-2001-db8--1), for a service '-' as
 * it is; every other byte as _xx (hex). Different names never meet, and the
 * name needs no escaping in a URL.
 */
static void page_base(bool host, const char *name, char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = (size_t)snprintf(out, len, host ? "host-" : "service-");

    for (; *name && o + 4 < len; name++) {
        unsigned char c = (unsigned char)*name;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || (c == '-' && !host)) {
            out[o++] = (char)c;
        } else if (c == ':' && host) {
            out[o++] = '-';
        } else {
            out[o++] = '_';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

/* The names that have a page of their own: the index's top hosts or services. */
struct names {
    char (*name)[128];
    size_t n;
};

static bool has_page(const struct names *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0)
            return true;
    return false;
}

/* A table row's first cell, naming an entity, linked to its page when it has one. */
static void name_cell(FILE *f, const char *name, bool host, const struct names *pages)
{
    char base[600];

    fprintf(f, "<tr><td class=\"name\">");
    if (pages && has_page(pages, name)) {
        page_base(host, name, base, sizeof base);
        fprintf(f, "<a href=\"%s.html\">", base);
        html_text(f, name);
        fprintf(f, "</a>");
    } else {
        html_text(f, name);
    }
    fprintf(f, "</td>");
}

/* Opens a page under a temporary name and writes its head; NULL (said) on failure. */
static FILE *page_open(const char *tmp, const char *title, const char *heading)
{
    FILE *f = fopen(tmp, "w");

    if (!f) {
        fprintf(stderr, "flowgraph: %s: %s\n", tmp, strerror(errno));
        return NULL;
    }
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
    html_text(f, title);
    fprintf(f, "</title>\n<style>body{font-family:sans-serif;margin:1em 2em}"
               "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}"
               "td:first-child,th:first-child{text-align:left}"
               "img{display:block;margin:4px 0 12px}</style>\n</head>\n<body>\n<h1>");
    html_text(f, heading);
    fprintf(f, "</h1>\n");
    return f;
}

/* Writes the image-check script and the end, closes, renames into place. 0 or -1 (said). */
static int page_close(FILE *f, const char *tmp, const char *path)
{
    /* A marker for tests and monitoring: set once every image has loaded. */
    fprintf(f, "<script>\nwindow.addEventListener('load', function () {\n"
               "  var imgs = document.images, good = 0;\n"
               "  for (var i = 0; i < imgs.length; i++)\n"
               "    if (imgs[i].complete && imgs[i].naturalWidth > 0) good++;\n"
               "  var s = document.getElementById('imgstatus');\n"
               "  s.textContent = 'images loaded: ' + good + ' of ' + imgs.length;\n"
               "  document.body.setAttribute('data-images',\n"
               "    good === imgs.length ? 'all-loaded' : 'missing');\n"
               "});\n</script>\n</body></html>\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "flowgraph: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Where the graphs end, as a sentence for the pages. */
static void ending(FILE *f, time_t end)
{
    char buf[64];

    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", gmtime(&end));
    fprintf(f, "<p>Graphs ending %s. Bits per second, in (to the local networks) and "
               "out (from them).</p>\n<p id=\"imgstatus\">images loading</p>\n", buf);
}

/* What a host's or a service's page is about. */
struct subject {
    bool host;              /* a host's page (its services), else a service's (its hosts) */
    const char *name;       /* the address or the service name */
    struct ent *e;          /* the cells: per service of the host, or per host of the service */
    size_t n;
    const struct names *links; /* the entities of e that have a page of their own */
    size_t unread;             /* a service's hosts with a file beyond --service-hosts */
    char drawn[2][4][1600];    /* per role and period: the series of its graph */
};

/*
 * Draws a subject's graphs: for each period and role, its cells stacked,
 * the top STACK_MAX (or -n) on their own, the rest as "other". Leaves each
 * cell's day sums in day[]. Returns 0, or 1 when a graph failed.
 */
static int subject_graphs(const struct run *R, struct subject *s, const char *base)
{
    size_t top = R->top;
    time_t end = R->end;
    int ret = 0;

    if (s->n == 0)
        return 0; /* the page says there is nothing to draw */

    for (size_t p = 0; p < 4; p++) {
        for (size_t i = 0; i < s->n; i++) {
            period_sums(s->e[i].path, end, periods[p].secs, cell_ds, 4, s->e[i].v);
            if (p == 0)
                memcpy(s->e[i].day, s->e[i].v, sizeof s->e[i].day);
        }
        for (size_t r = 0; r < 2; r++) {
            struct stack st = {s->e, s->n, top < STACK_MAX ? top : STACK_MAX, roles[r].ds_in,
                               roles[r].ds_out, s->host ? "other" : "other hosts"};
            char png[1400], title[300];

            for (size_t i = 0; i < s->n; i++) {
                s->e[i].in = s->e[i].v[2 * r];
                s->e[i].out = s->e[i].v[2 * r + 1];
            }
            sort_ents(s->e, s->n, by_traffic);
            snprintf(png, sizeof png, "%s/%s-%s-%s.png", R->outdir, base, roles[r].id,
                     periods[p].id);
            if (s->host)
                snprintf(title, sizeof title, "%s %s - %s", s->name,
                         r ? "uses (client)" : "provides (server)", periods[p].title);
            else
                snprintf(title, sizeof title, "%s - %s - %s", s->name,
                         r ? "hosts using it (clients)" : "hosts providing it (servers)",
                         periods[p].title);
            if (graph_stack(png, &st, title, end, periods[p].secs, s->drawn[r][p],
                            sizeof s->drawn[r][p]) != 0)
                ret = 1;
        }
    }
    return ret;
}

/* Most traffic over the last day in both roles first; the "other" cell last. */
static int by_day(const void *x, const void *y)
{
    const struct ent *a = x, *b = y;
    double ta = a->day[0] + a->day[1] + a->day[2] + a->day[3];
    double tb = b->day[0] + b->day[1] + b->day[2] + b->day[3];

    if (a->rest_only != b->rest_only)
        return a->rest_only ? 1 : -1;
    if (ta != tb)
        return ta > tb ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* A host's page (its services) or a service's page (its hosts). Returns 0 or 1. */
static int subject_page(const struct run *R, struct subject *s)
{
    char base[600], path[1400], tmp[1400], head[400];
    size_t rows = 0, top = R->top;
    int ret;
    FILE *f;

    page_base(s->host, s->name, base, sizeof base);
    ret = subject_graphs(R, s, base);
    snprintf(path, sizeof path, "%s/%s.html", R->outdir, base);
    snprintf(tmp, sizeof tmp, "%s/.%s.html.tmp", R->outdir, base);
    snprintf(head, sizeof head, "%s %s", s->host ? "Host" : "Service", s->name);
    f = page_open(tmp, head, head);
    if (!f)
        return 1;
    fprintf(f, "<p><a href=\"index.html\">");
    html_text(f, R->title);
    fprintf(f, "</a></p>\n");
    ending(f, R->end);
    fprintf(f, "<p>Provides: the %s the server (%s own port is the service's); uses: the "
               "client (the other end's port is).</p>\n",
            s->host ? "host is" : "hosts are", s->host ? "its" : "their");
    sort_ents(s->e, s->n, by_day);
    fprintf(f, "<h2 id=\"cells\">%s</h2>\n", s->host ? "Services" : "Hosts");
    if (s->n == 0)
        fprintf(f, "<p>None yet (%s).</p>\n",
                s->host ? "no files under host/ADDRESS/ for this host"
                        : "no host/ADDRESS/SERVICE.rrd or other/SERVICE.rrd for this service");
    else
        fprintf(f, "<table><tr><th>%s</th><th>provides in</th><th>provides out</th>"
                   "<th>uses in</th><th>uses out</th></tr>\n", s->host ? "service" : "host");
    /* As on the index: the top ones with traffic over the day (at least one), then "other". */
    for (size_t i = 0; i < s->n; i++) {
        const struct ent *x = &s->e[i];
        bool busy = x->day[0] + x->day[1] + x->day[2] + x->day[3] > 0;
        char b[4][32];

        if (x->rest_only ? !busy : (rows >= top || (rows > 0 && !busy)))
            continue;
        rows += !x->rest_only;
        for (int k = 0; k < 4; k++)
            human(x->day[k], b[k], sizeof b[k]);
        name_cell(f, x->name, !s->host, x->rest_only ? NULL : s->links);
        fprintf(f, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", b[0], b[1], b[2],
                b[3]);
    }
    if (s->n)
        fprintf(f, "</table>\n<p>Bytes over the last day. %s</p>\n",
                s->host ? "Other: traffic that matched no service, and services beyond the "
                          "collector's host-services bound."
                        : "Other hosts: hosts without a row of their own (max-hosts) or "
                          "without a cell for this service (host-services, "
                          "max-host-services).");
    if (s->unread)
        fprintf(f, "<p id=\"unread\">%zu more hosts have a file for this service and were "
                   "not read: a page reads those of at most %zu hosts (--service-hosts), the "
                   "busiest by their own traffic over the day. Their traffic is in no series "
                   "here.</p>\n", s->unread, R->service_hosts);
    for (size_t r = 0; r < 2 && s->n; r++) {
        fprintf(f, "<h2 id=\"%s\">%s</h2>\n", roles[r].id,
                s->host ? (r ? "Uses (client)" : "Provides (server)")
                        : (r ? "Hosts using it (clients)" : "Hosts providing it (servers)"));
        for (size_t p = 0; p < 4; p++) {
            fprintf(f, "<img src=\"%s-%s-%s.png\" alt=\"%s, %s: ", base, roles[r].id,
                    periods[p].id, roles[r].id, periods[p].id);
            html_text(f, s->drawn[r][p]);
            fprintf(f, "\">\n");
        }
    }
    return page_close(f, tmp, path) != 0 ? 1 : ret;
}

/* A host's page: its cells RRDDIR/host/ADDRESS/SERVICE.rrd and other.rrd. */
static int host_page(const struct run *R, const char *addr, const struct names *services)
{
    char dir[300];
    struct subject s = {.host = true, .name = addr, .links = services};
    int ret;

    snprintf(dir, sizeof dir, "host/%s", addr);
    s.n = scan(R->rrddir, dir, &s.e);
    for (size_t i = 0; i < s.n; i++)
        s.e[i].rest_only = strcmp(s.e[i].name, "other") == 0;
    ret = subject_page(R, &s);
    free(s.e);
    return ret;
}

/*
 * A service's page: RRDDIR/host/ADDRESS/SERVICE.rrd of the hosts (ranked by
 * their own traffic over the day; the first --service-hosts that have one)
 * and other/SERVICE.rrd.
 */
static int service_page(const struct run *R, const char *svc, const struct section *hosts,
                        const struct names *hp)
{
    struct subject s = {.host = false, .name = svc, .links = hp};
    size_t cap = (hosts->n < R->service_hosts ? hosts->n : R->service_hosts) + 1;
    struct stat st;
    char path[1200];
    int ret;

    s.e = calloc(cap, sizeof *s.e);
    if (!s.e) {
        fprintf(stderr, "flowgraph: service %s: out of memory\n", svc);
        return 1;
    }
    for (size_t i = 0; i < hosts->n; i++) {
        snprintf(path, sizeof path, "%s/host/%s/%s.rrd", R->rrddir, hosts->e[i].name, svc);
        if (stat(path, &st) != 0)
            continue;
        if (s.n == cap - 1) {
            s.unread++;
            continue;
        }
        memcpy(s.e[s.n].path, path, sizeof path);
        snprintf(s.e[s.n].name, sizeof s.e[s.n].name, "%s", hosts->e[i].name);
        s.n++;
    }
    snprintf(s.e[s.n].path, sizeof s.e[s.n].path, "%s/other/%s.rrd", R->rrddir, svc);
    if (stat(s.e[s.n].path, &st) == 0) {
        snprintf(s.e[s.n].name, sizeof s.e[s.n].name, "other hosts");
        s.e[s.n++].rest_only = true;
    }
    ret = subject_page(R, &s);
    free(s.e);
    return ret;
}

/*
 * The index: the total, then per section (hosts, services, protocols,
 * exporters) its table and stacked graphs. Fills pages[0] and pages[1]
 * with the hosts and services of the tables, and leaves each host's
 * traffic over the day in day[0], day[1]. Returns 0, or 1 when a graph or
 * the page failed.
 */
static int index_page(const struct run *R, struct section sec[4], struct names pages[2])
{
    char total[1100], png[1200], tmp[1200], idx[1200];
    int ret = 0;
    FILE *f;

    snprintf(total, sizeof total, "%s/total.rrd", R->rrddir);
    snprintf(idx, sizeof idx, "%s/index.html", R->outdir);
    snprintf(tmp, sizeof tmp, "%s/.index.html.tmp", R->outdir);
    f = page_open(tmp, R->title, R->title);
    if (!f)
        return 1;
    ending(f, R->end);

    fprintf(f, "<h2 id=\"total\">Total</h2>\n");
    for (size_t p = 0; p < 4; p++) {
        char t[200];
        snprintf(png, sizeof png, "%s/total-%s.png", R->outdir, periods[p].id);
        snprintf(t, sizeof t, "Total - %s", periods[p].title);
        if (graph_total(png, total, t, R->end, periods[p].secs) != 0)
            ret = 1;
        fprintf(f, "<img src=\"total-%s.png\" alt=\"total, %s\">\n", periods[p].id, periods[p].id);
    }

    /* The day's top hosts and services first: the tables link to their pages. */
    for (size_t s = 0; s < 2; s++) {
        struct section *S = &sec[s];
        for (size_t i = 0; i < S->n; i++) {
            traffic(&S->e[i], R->end, periods[0].secs);
            S->e[i].day[0] = S->e[i].in;
            S->e[i].day[1] = S->e[i].out;
        }
        sort_ents(S->e, S->n, by_traffic);
        for (size_t i = 0; i < S->n && i < R->top; i++)
            if (i == 0 || S->e[i].in + S->e[i].out > 0)
                memcpy(pages[s].name[pages[s].n++], S->e[i].name, sizeof S->e[i].name);
    }
    for (size_t s = 0; s < 4; s++) {
        struct section *S = &sec[s];
        fprintf(f, "<h2 id=\"%s\">%s</h2>\n", S->id, S->title);
        if (S->n == 0) {
            fprintf(f, "<p>None yet.</p>\n");
            continue;
        }
        for (size_t p = 0; p < 4; p++) {
            struct stack st = {S->e, S->n, R->top, "in_octets", "out_octets", NULL};
            char t[200];
            for (size_t i = 0; i < S->n; i++)
                traffic(&S->e[i], R->end, periods[p].secs);
            sort_ents(S->e, S->n, by_traffic);
            if (p == 0) {
                /* The table ranks by the last day, the period operators look at first. */
                fprintf(f, "<table><tr><th>%s</th><th>in (day)</th><th>out (day)</th></tr>\n",
                        S->dir);
                for (size_t i = 0; i < S->n && i < R->top; i++) {
                    char bi[32], bo[32];
                    if (i > 0 && S->e[i].in + S->e[i].out <= 0)
                        break;
                    human(S->e[i].in, bi, sizeof bi);
                    human(S->e[i].out, bo, sizeof bo);
                    name_cell(f, S->e[i].name, s == 0, s < 2 ? &pages[s] : NULL);
                    fprintf(f, "<td>%s</td><td>%s</td></tr>\n", bi, bo);
                }
                fprintf(f, "</table>\n");
            }
            snprintf(png, sizeof png, "%s/%s-%s.png", R->outdir, S->id, periods[p].id);
            snprintf(t, sizeof t, "%s - %s", S->title, periods[p].title);
            if (graph_stack(png, &st, t, R->end, periods[p].secs, NULL, 0) != 0)
                ret = 1;
            fprintf(f, "<img src=\"%s-%s.png\" alt=\"%s, %s\">\n", S->id, periods[p].id, S->id,
                    periods[p].id);
        }
    }
    if (page_close(f, tmp, idx) != 0)
        ret = 1;
    return ret;
}

/* A count option's value in [1, max], or 0. */
static size_t count_arg(const char *s, long max)
{
    char *x;
    long v = strtol(s, &x, 10);

    return *s && !*x && v >= 1 && v <= max ? (size_t)v : 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rrd-dir", required_argument, NULL, 'R'}, {"output", required_argument, NULL, 'o'},
        {"top", required_argument, NULL, 'n'},     {"end", required_argument, NULL, 'e'},
        {"title", required_argument, NULL, 't'},   {"help", no_argument, NULL, 'h'},
        {"service-hosts", required_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    struct section sec[] = {
        {"hosts", "Top hosts", "host", NULL, 0},
        {"services", "Services", "service", NULL, 0},
        {"protocols", "Protocols", "proto", NULL, 0},
        {"exporters", "Exporters", "exporter", NULL, 0},
    };
    /* The hosts and services of the index's tables: each gets a page. */
    static char page_names[2][MAX_TOP][128];
    struct names pages[2] = {{page_names[0], 0}, {page_names[1], 0}};
    struct run R = {NULL, NULL, "flowsnmp traffic", 10, SERVICE_HOSTS, 0};
    const char *endarg = "now";
    char total[1100];
    int opt, ret;

    while ((opt = getopt_long(argc, argv, "R:o:n:e:t:H:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'R': R.rrddir = optarg; break;
        case 'o': R.outdir = optarg; break;
        case 'n': R.top = count_arg(optarg, MAX_TOP); break;
        case 'H': R.service_hosts = count_arg(optarg, 10000000); break;
        case 'e': endarg = optarg; break;
        case 't': R.title = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!R.rrddir || !R.outdir || !R.top || !R.service_hosts || optind != argc) {
        usage(stderr);
        return 2;
    }
    snprintf(total, sizeof total, "%s/total.rrd", R.rrddir);
    if (strcmp(endarg, "now") == 0) {
        R.end = time(NULL);
    } else if (strcmp(endarg, "last") == 0) {
        R.end = rrd_last_r(total);
        if (R.end <= 0) {
            fprintf(stderr, "flowgraph: %s: %s\n", total, rrd_get_error());
            return 1;
        }
    } else {
        char *x;
        R.end = (time_t)strtoll(endarg, &x, 10);
        if (*x || R.end <= 0) {
            fprintf(stderr, "flowgraph: --end wants Unix seconds, 'now' or 'last'\n");
            return 2;
        }
    }
    if (mkdir(R.outdir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "flowgraph: %s: %s\n", R.outdir, strerror(errno));
        return 1;
    }
    for (size_t s = 0; s < 4; s++)
        sec[s].n = scan(R.rrddir, sec[s].dir, &sec[s].e);

    ret = index_page(&R, sec, pages);
    /* The services' pages read their hosts' files busiest first (by the day, as the index). */
    sort_ents(sec[0].e, sec[0].n, by_day);
    for (size_t i = 0; i < pages[0].n; i++)
        if (host_page(&R, pages[0].name[i], &pages[1]) != 0)
            ret = 1;
    for (size_t i = 0; i < pages[1].n; i++)
        if (service_page(&R, pages[1].name[i], &sec[0], &pages[0]) != 0)
            ret = 1;
    for (size_t s = 0; s < 4; s++)
        free(sec[s].e);
    return ret;
}
