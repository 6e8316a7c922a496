/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowreport: reports on the flow files that flowcollectd writes: the
 * records themselves, top-N statistics by address, port, protocol or
 * exporter, or the hosts x services matrix of the local hosts, over a time
 * window and through a filter, as text, CSV or JSON.
 * Exit status: 0 done, 1 some input could not be read, 2 usage or filter error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "collector/report.h"
#include "common/clock.h"
#include "common/progress.h"
#include "lib/error.h"
#include "lib/filter.h"

static const char usage_text[] =
    "usage: flowreport -R DIR|FILE [-t START[,END]] [-s KEY[/ORDER]] [-n N] [-c FILE]\n"
    "                  [-o text|csv|json] [-N] [-q] [-v] [FILTER...]\n"
    "\n"
    "Reads flow files written by flowcollectd and prints the records, or statistics.\n"
    "\n"
    "  -R DIR|FILE   a flow file, or a directory: every complete flow file (*.fsn)\n"
    "                in it and its subdirectories, oldest interval first\n"
    "  -t START[,END]  only records whose end time is in [START, END); times are\n"
    "                Unix seconds, YYYY-MM-DD[ HH:MM[:SS]], YYYY-MM-DDTHH:MM:SS[Z|+HH:MM]\n"
    "                (local time per TZ unless Z or an offset is given), now, or\n"
    "                relative -90s -30m -1h -2d -1w; END may be +DURATION after START\n"
    "  -s KEY[/ORDER]  statistics instead of records: KEY is total, srcip, dstip, ip,\n"
    "                srcport, dstport, port, proto, exporter, or hostservice (also\n"
    "                written host/service): the local hosts' services, provided and\n"
    "                used; ORDER is bytes (default), packets or flows\n"
    "  -n N          top N rows of statistics (default 10, 0 = all); hostservice:\n"
    "                top N hosts, each with all its services\n"
    "  -c FILE       the local networks and services for hostservice: the\n"
    "                local-network and service lines of flowcollectd's config\n"
    "                (default: private networks, built-in services)\n"
    "  -o FORMAT     text (default: aligned, units of 1000), csv or json\n"
    "  -N            plain numbers in text output, no k/M/G\n"
    "  -q            no progress line on a terminal\n"
    "  -v            say what was read on stderr: files, blocks, records, speed, memory\n"
    "  -h, --help    this text;  -V, --version  the version\n"
    "\n"
    "FILTER (tcpdump-like): host ADDR, net CIDR, port N[-M], with src or dst before\n"
    "them; proto tcp|udp|icmp|ipv6-icmp|N; tcp, udp, icmp, icmp6, ip, ip6;\n"
    "exporter ADDR|CIDR; combined with and/&&, or/||, not/! and parentheses.\n"
    "Example: flowreport -R /var/spool/flowsnmp -t -1h -s dstport 'dst net 10.0.0.0/8 and tcp'\n";

struct run {
    struct rep_out out;
    struct rep_local local;
    struct rep_stats *stats;
    struct rep_counts total;
    bool oom;
};

static int on_stats(void *arg, const struct fsn_flow *f, const struct fsn_ff_exporter *x)
{
    struct run *run = arg;

    if (rep_stats_add(run->stats, f, x) != 0) {
        run->oom = true;
        return -1;
    }
    return 0;
}

static int on_record(void *arg, const struct fsn_flow *f, const struct fsn_ff_exporter *x)
{
    struct run *run = arg;

    rep_out_record(&run->out, f, x);
    run->total.flows++;
    run->total.packets += f->packets;
    run->total.bytes += f->octets;
    return 0;
}

static __attribute__((noreturn)) void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "flowreport: %s%s%s\nTry 'flowreport --help'.\n", msg, arg ? ": " : "",
            arg ? arg : "");
    exit(2);
}

/* Joins the filter words with spaces, as tcpdump does. */
static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    char *s;

    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if (!(s = malloc(len)))
        return NULL;
    s[0] = 0;
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static struct fsn_filter *compile_filter(const char *expr)
{
    struct fsn_filter *f;
    char err[256];
    size_t pos = 0;
    int ret = fsn_filter_compile(expr, &f, err, sizeof err, &pos);

    if (ret == 0)
        return f;
    if (ret == FSN_E_NOMEM) {
        fprintf(stderr, "flowreport: out of memory\n");
        exit(1);
    }
    fprintf(stderr, "flowreport: filter: %s\n", err);
    if (strlen(expr) < 200 && !strchr(expr, '\n'))
        fprintf(stderr, "flowreport:   %s\nflowreport:   %*s^\n", expr, (int)pos, "");
    exit(2);
}

static void verbose_summary(const struct rep_reader *r, const struct run *run, uint64_t ms)
{
    const struct rep_scan_stats *s = &r->st;
    struct rusage ru;

    fprintf(stderr,
            "flowreport: %" PRIu64 " files (%" PRIu64 " with a damaged header), %" PRIu64
            " bytes, %" PRIu64 " blocks (%" PRIu64 " outside the window, %" PRIu64
            " damaged), %" PRIu64 " records, %" PRIu64 " in the window, %" PRIu64 " matched\n",
            s->files, s->damaged_files, s->bytes, s->blocks, s->blocks_skipped, s->bad_blocks,
            s->records, s->in_window, s->matched);
    fprintf(stderr, "flowreport: %.3f s, %.2f M records/s, %.0f MB/s\n", (double)ms / 1000.0,
            ms ? (double)s->records / (double)ms / 1000.0 : 0.0,
            ms ? (double)s->bytes / (double)ms / 1000.0 : 0.0);
    if (run->stats)
        fprintf(stderr, "flowreport: statistics: %zu keys, %.1f MiB table\n",
                rep_stats_keys(run->stats), (double)rep_stats_memory(run->stats) / 1048576.0);
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        fprintf(stderr, "flowreport: peak memory (max RSS) %.1f MiB\n",
                (double)ru.ru_maxrss / 1024.0);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    const char *input = NULL, *window = NULL, *statkey = NULL, *config = NULL;
    enum rep_key key = REP_TOTAL;
    enum rep_order order = REP_BY_BYTES;
    size_t top = 10;
    bool quiet = false;
    struct rep_reader r;
    struct rep_files files;
    struct run run;
    struct fsn_filter *filter = NULL;
    struct rep_row *rows = NULL;
    struct rep_hs_matrix matrix;
    char err[256], *expr;
    uint64_t t0;
    int c, status = 0;

    memset(&r, 0, sizeof r);
    memset(&run, 0, sizeof run);
    memset(&matrix, 0, sizeof matrix);
    memset(&files, 0, sizeof files);
    run.out.fp = stdout;
    run.out.fmt = REP_TEXT;
    r.end_ms = UINT64_MAX;
    /*
     * Listings can be millions of lines: write them in large pieces (glibc
     * ignores a size given without the buffer, and would write 4 KiB).
     */
    static char outbuf[1 << 18];
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    while ((c = getopt_long(argc, argv, "+R:t:s:n:c:o:NqvhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'R':
            input = optarg;
            break;
        case 't':
            window = optarg;
            break;
        case 's':
            statkey = optarg;
            if (rep_stats_parse(optarg, &key, &order, err, sizeof err) != 0)
                usage_error("bad -s", err);
            break;
        case 'c':
            config = optarg;
            break;
        case 'n': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-')
                usage_error("bad -n (a number, 0 = all)", optarg);
            top = (size_t)v;
            break;
        }
        case 'o':
            if (strcmp(optarg, "text") == 0)
                run.out.fmt = REP_TEXT;
            else if (strcmp(optarg, "csv") == 0)
                run.out.fmt = REP_CSV;
            else if (strcmp(optarg, "json") == 0)
                run.out.fmt = REP_JSON;
            else
                usage_error("bad -o (text, csv or json)", optarg);
            break;
        case 'N':
            run.out.raw = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'v':
            r.verbose = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("flowreport %s\n", FSN_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'flowreport --help'.\n");
            return 2;
        }
    }
    if (!input)
        usage_error("-R DIR|FILE is required", NULL);
    /* A config is read (and checked) when given, whatever the key. */
    if ((config || key == REP_HOSTSVC) &&
        rep_local_load(&run.local, config, err, sizeof err) != 0) {
        fprintf(stderr, "flowreport: %s\n", err);
        rep_local_fini(&run.local);
        return 2;
    }
    if (window &&
        rep_time_window(window, (int64_t)clock_ms_wall(), &r.start_ms, &r.end_ms, err, sizeof err) != 0)
        usage_error("-t", err);
    if (!(expr = join_args(argc - optind, argv + optind))) {
        fprintf(stderr, "flowreport: out of memory\n");
        return 1;
    }
    filter = compile_filter(expr);
    if (r.verbose) {
        char tree[512];
        fsn_filter_dump(filter, tree, sizeof tree);
        fprintf(stderr, "flowreport: filter %s\n", tree);
    }
    if (rep_files_collect(input, &files) != 0) {
        status = 1;
        goto out;
    }
    if (files.n == 0)
        fprintf(stderr, "flowreport: %s: no flow files\n", input);

    /* A progress line only where it cannot mix with the output. */
    r.progress = !quiet && progress_enabled() && (statkey || !isatty(STDOUT_FILENO));
    r.filter = filter;
    r.arg = &run;
    t0 = clock_ms_mono();
    if (statkey) {
        long n;
        if (!(run.stats = rep_stats_new(key, &run.local))) {
            fprintf(stderr, "flowreport: out of memory\n");
            status = 1;
            goto out;
        }
        r.fn = on_stats;
        int rr = rep_read_files(&r, &files);
        if (rr == 0 && rep_stats_finish(run.stats) != 0)
            run.oom = true;
        if (rr != 0 || run.oom) {
            fprintf(stderr, "flowreport: %s\n",
                    run.oom ? "out of memory for the statistics table" : "reading failed");
            status = 1;
            goto out;
        }
        if (key == REP_HOSTSVC) {
            if (rep_hs_build(run.stats, &run.local, order, top, &matrix) != 0) {
                fprintf(stderr, "flowreport: out of memory\n");
                status = 1;
                goto out;
            }
            rep_out_hostsvc(&run.out, order, &matrix, run.stats);
        } else {
            if ((n = rep_stats_rows(run.stats, order, top, &rows)) < 0) {
                fprintf(stderr, "flowreport: out of memory\n");
                status = 1;
                goto out;
            }
            rep_out_stats(&run.out, key, order, rows, (size_t)n, run.stats);
        }
    } else {
        r.fn = on_record;
        rep_out_records_begin(&run.out);
        if (rep_read_files(&r, &files) != 0)
            status = 1;
        rep_out_records_end(&run.out, &run.total);
    }
    if (r.verbose)
        verbose_summary(&r, &run, clock_ms_mono() - t0);
    if (r.st.failed_files || files.unreadable)
        status = 1;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "flowreport: writing the output: %s\n", strerror(errno));
        status = 1;
    }
out:
    free(rows);
    rep_hs_free(&matrix);
    rep_local_fini(&run.local);
    free(expr);
    rep_stats_free(run.stats);
    fsn_filter_free(filter);
    rep_files_free(&files);
    rep_reader_fini(&r);
    return status;
}
