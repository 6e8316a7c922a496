/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowgraph: a static HTML page of traffic graphs over the aggregator's RRD
 * files, in the spirit of FlowScan/CUFlow: total, top hosts, services,
 * protocols and exporters, in and out in bits per second, over a day, a
 * week, a month and a year. The PNGs are rendered by librrd (rrd_graph_v).
 * See man/flowgraph.1.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <rrd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_TOP 50

struct ent {
    char name[128];    /* as in the file name, e.g. "10.0.0.1", "https" */
    char path[1200];
    double in, out;    /* octets over the period being ranked */
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

static const char *const colors[] = {"1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd",
                                     "8c564b", "e377c2", "7f7f7f", "bcbd22", "17becf",
                                     "393b79", "ad494a"};

static void usage(FILE *f)
{
    fprintf(f, "usage: flowgraph -R RRDDIR -o OUTDIR [-n TOP] [--end TIME] [--title TEXT]\n"
               "  -R, --rrd-dir DIR   the aggregator's RRD directory\n"
               "  -o, --output DIR    where index.html and the PNGs go\n"
               "  -n, --top N         hosts (and services, protocols, exporters) shown, default 10\n"
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
    if (n)
        qsort(e, n, sizeof *e, by_name);
    *out = e;
    return n;
}

/* Sums in and out octets over [end - secs, end] from the AVERAGE RRA that fits. */
static void traffic(struct ent *e, time_t end, long secs)
{
    time_t s = end - secs, t = end;
    unsigned long step = (unsigned long)secs / 400, nds;
    char **names;
    rrd_value_t *data;

    e->in = e->out = 0;
    if (rrd_fetch_r(e->path, "AVERAGE", &s, &t, &step, &nds, &names, &data) != 0) {
        rrd_clear_error();
        return;
    }
    for (unsigned long i = 0; i < nds; i++)
        free(names[i]);
    free(names);
    for (long r = 0; r < (long)((t - s) / (time_t)step) && nds >= 2; r++) {
        double vi = data[r * (long)nds], vo = data[r * (long)nds + 1];
        if (!isnan(vi))
            e->in += vi * (double)step;
        if (!isnan(vo))
            e->out += vo * (double)step;
    }
    free(data);
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

struct args {
    char *v[512];
    int n;
    char buf[512][1400];
};

static void add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct args *a, const char *fmt, ...)
{
    va_list ap;
    if (a->n >= 512)
        return;
    va_start(ap, fmt);
    vsnprintf(a->buf[a->n], sizeof a->buf[a->n], fmt, ap);
    va_end(ap);
    a->v[a->n] = a->buf[a->n];
    a->n++;
}

static int render(struct args *a, const char *png)
{
    rrd_info_t *info;

    a->v[1] = (char *)png;
    info = rrd_graph_v(a->n, a->v);
    if (!info) {
        fprintf(stderr, "flowgraph: %s: %s\n", png, rrd_get_error());
        rrd_clear_error();
        return -1;
    }
    rrd_info_free(info);
    return 0;
}

static void graph_head(struct args *a, const char *title, time_t end, long secs)
{
    a->n = 0;
    add(a, "graph");
    add(a, "-"); /* replaced by the file name */
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
    static struct args a;
    char p[2500];

    rrd_escape(rrd, p, sizeof p);
    graph_head(&a, title, end, secs);
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

/* In stacked above the axis, out stacked below, one colour per entity. */
static int graph_stack(const char *png, const struct ent *e, size_t n, const char *title,
                       time_t end, long secs)
{
    static struct args a;
    char p[2500];

    graph_head(&a, title, end, secs);
    for (size_t i = 0; i < n; i++) {
        rrd_escape(e[i].path, p, sizeof p);
        add(&a, "DEF:i%zu=%s:in_octets:AVERAGE", i, p);
        add(&a, "DEF:o%zu=%s:out_octets:AVERAGE", i, p);
        add(&a, "CDEF:bi%zu=i%zu,UN,0,i%zu,IF,8,*", i, i, i);
        add(&a, "CDEF:bo%zu=o%zu,UN,0,o%zu,IF,-8,*", i, i, i);
    }
    for (size_t i = 0; i < n; i++) {
        char name[300];
        rrd_escape(e[i].name, name, sizeof name);
        add(&a, "AREA:bi%zu#%s:%s%s", i, colors[i % 12], name, i ? ":STACK" : "");
    }
    for (size_t i = 0; i < n; i++)
        add(&a, "AREA:bo%zu#%s%s", i, colors[i % 12], i ? "::STACK" : "");
    add(&a, "HRULE:0#000000");
    add(&a, "COMMENT:\\n");
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

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rrd-dir", required_argument, NULL, 'R'}, {"output", required_argument, NULL, 'o'},
        {"top", required_argument, NULL, 'n'},     {"end", required_argument, NULL, 'e'},
        {"title", required_argument, NULL, 't'},   {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct section sec[] = {
        {"hosts", "Top hosts", "host", NULL, 0},
        {"services", "Services", "service", NULL, 0},
        {"protocols", "Protocols", "proto", NULL, 0},
        {"exporters", "Exporters", "exporter", NULL, 0},
    };
    const char *rrddir = NULL, *outdir = NULL, *endarg = "now", *title = "flowsnmp traffic";
    long top = 10;
    time_t end;
    char total[1100], png[1200], tmp[1200], idx[1200], buf[64];
    int opt, ret = 0;
    FILE *f;

    while ((opt = getopt_long(argc, argv, "R:o:n:e:t:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'R': rrddir = optarg; break;
        case 'o': outdir = optarg; break;
        case 'n': top = strtol(optarg, NULL, 10); break;
        case 'e': endarg = optarg; break;
        case 't': title = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!rrddir || !outdir || top < 1 || top > MAX_TOP || optind != argc) {
        usage(stderr);
        return 2;
    }
    snprintf(total, sizeof total, "%s/total.rrd", rrddir);
    if (strcmp(endarg, "now") == 0) {
        end = time(NULL);
    } else if (strcmp(endarg, "last") == 0) {
        end = rrd_last_r(total);
        if (end <= 0) {
            fprintf(stderr, "flowgraph: %s: %s\n", total, rrd_get_error());
            return 1;
        }
    } else {
        char *x;
        end = (time_t)strtoll(endarg, &x, 10);
        if (*x || end <= 0) {
            fprintf(stderr, "flowgraph: --end wants Unix seconds, 'now' or 'last'\n");
            return 2;
        }
    }
    if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "flowgraph: %s: %s\n", outdir, strerror(errno));
        return 1;
    }
    for (size_t s = 0; s < 4; s++)
        sec[s].n = scan(rrddir, sec[s].dir, &sec[s].e);

    snprintf(idx, sizeof idx, "%s/index.html", outdir);
    snprintf(tmp, sizeof tmp, "%s/.index.html.tmp", outdir);
    f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "flowgraph: %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
    html_text(f, title);
    fprintf(f, "</title>\n<style>body{font-family:sans-serif;margin:1em 2em}"
               "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}"
               "td:first-child,th:first-child{text-align:left}"
               "img{display:block;margin:4px 0 12px}</style>\n</head>\n<body>\n<h1>");
    html_text(f, title);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", gmtime(&end));
    fprintf(f, "</h1>\n<p>Graphs ending %s. Bits per second, in (to the local networks) and "
               "out (from them).</p>\n<p id=\"imgstatus\">images loading</p>\n", buf);

    fprintf(f, "<h2 id=\"total\">Total</h2>\n");
    for (size_t p = 0; p < 4; p++) {
        char t[200];
        snprintf(png, sizeof png, "%s/total-%s.png", outdir, periods[p].id);
        snprintf(t, sizeof t, "Total - %s", periods[p].title);
        if (graph_total(png, total, t, end, periods[p].secs) != 0)
            ret = 1;
        fprintf(f, "<img src=\"total-%s.png\" alt=\"total, %s\">\n", periods[p].id, periods[p].id);
    }

    for (size_t s = 0; s < 4; s++) {
        struct section *S = &sec[s];
        fprintf(f, "<h2 id=\"%s\">%s</h2>\n", S->id, S->title);
        if (S->n == 0) {
            fprintf(f, "<p>None yet.</p>\n");
            continue;
        }
        for (size_t p = 0; p < 4; p++) {
            char t[200];
            size_t shown;
            for (size_t i = 0; i < S->n; i++)
                traffic(&S->e[i], end, periods[p].secs);
            qsort(S->e, S->n, sizeof *S->e, by_traffic);
            shown = S->n < (size_t)top ? S->n : (size_t)top;
            while (shown > 1 && S->e[shown - 1].in + S->e[shown - 1].out <= 0)
                shown--;
            if (p == 0) {
                /* The table ranks by the last day, the period operators look at first. */
                fprintf(f, "<table><tr><th>%s</th><th>in (day)</th><th>out (day)</th></tr>\n",
                        S->dir);
                for (size_t i = 0; i < shown; i++) {
                    char bi[32], bo[32];
                    human(S->e[i].in, bi, sizeof bi);
                    human(S->e[i].out, bo, sizeof bo);
                    fprintf(f, "<tr><td class=\"name\">");
                    html_text(f, S->e[i].name);
                    fprintf(f, "</td><td>%s</td><td>%s</td></tr>\n", bi, bo);
                }
                fprintf(f, "</table>\n");
            }
            snprintf(png, sizeof png, "%s/%s-%s.png", outdir, S->id, periods[p].id);
            snprintf(t, sizeof t, "%s - %s", S->title, periods[p].title);
            if (graph_stack(png, S->e, shown, t, end, periods[p].secs) != 0)
                ret = 1;
            fprintf(f, "<img src=\"%s-%s.png\" alt=\"%s, %s\">\n", S->id, periods[p].id, S->id,
                    periods[p].id);
        }
    }
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
    if (fclose(f) != 0 || rename(tmp, idx) != 0) {
        fprintf(stderr, "flowgraph: %s: %s\n", idx, strerror(errno));
        ret = 1;
    }
    for (size_t s = 0; s < 4; s++)
        free(sec[s].e);
    return ret;
}
