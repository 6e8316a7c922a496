/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * statewriter: creates and updates a flowsnmp state file (lib/state.h) from
 * a small text spec, standing in for the aggregator in the subagent's tests.
 * The values a test writes with it are the ground truth that the test then
 * reads back through snmpd and flowagentx.
 *
 * Usage: statewriter [-e LINE]... [-s SPECFILE]... [-r N] [-i MS] [-t NOW] FILE
 *   -e LINE   one spec line; -s FILE spec lines from FILE ("-": stdin)
 *   -r N      apply the whole spec N times (default 1), e.g. to keep
 *             incrementing counters while a test reads them
 *   -i MS     pause between two applications (default 0)
 *   -t NOW    the time stamped as `updated` (default: the clock)
 *   -w USEC   pause after each field written inside a row (the row stays
 *             locked meanwhile), to make a torn read likely if a reader
 *             ignored the seqlock
 *
 * Spec lines (values: NAME=V sets, NAME+=V adds; text may be "quoted"):
 *   create [hosts=N] [exporters=N] [services=N] [software=TEXT]
 *          [created=T] [discontinuity=T]
 *       a new file (new inode: written beside FILE, renamed over it once
 *       the first application of the spec is complete)
 *   header [created=T] [discontinuity=T] [updated=T] [software=TEXT]
 *   scalar FIELD=V...   hosts_in_use records records_lost malformed late
 *                       no_template hosts_evicted and the total counters
 *                       in_octets out_octets in_packets out_packets in_flows out_flows
 *   host ADDR|other FIELD=V...        counters, first_seen, last_seen
 *   service NAME [ports TEXT] FIELD=V...
 *   proto NUM [NAME] FIELD=V...       (name=TEXT also works)
 *   exporter ADDR domain N [version V] FIELD=V...
 *                       datagrams records records_lost malformed no_template
 *                       templates first_seen last_seen
 *   del host ADDR|other | del service NAME | del proto NUM | del exporter ADDR N
 *   synth N [base=A.B.C.D]
 *       N IPv4 hosts base+i (i = 0..N-1) with in_octets=1000i+1
 *       out_octets=2000i+2 in_packets=10i+3 out_packets=20i+4 in_flows=i+5
 *       out_flows=2i+6 first_seen=1700000000+i last_seen=1700000000+2i+1
 *
 * Without a `create` line first, the existing FILE is updated in place
 * (created with default capacities when there is none).
 * A row that a line names is created when absent (the header's generation
 * is bumped, as the aggregator does); `del` frees it (bumped again).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/state.h"

#define MAX_TOKENS 64
#define MAX_LINES 4096

struct sw {
    const char *path;
    char tmp[4096];
    bool pending_rename;    /* the file is the new one at tmp, not yet renamed */
    void *mem;
    size_t size;
    struct fsn_state_hdr *h;
    uint64_t now;
    bool now_fixed;
    bool updated_set;       /* the spec set `updated` itself */
};

static unsigned field_gap_us;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("statewriter: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void unmap(struct sw *w)
{
    if (w->mem)
        munmap(w->mem, w->size);
    w->mem = NULL;
    w->h = NULL;
}

static void map_file(struct sw *w, const char *path)
{
    struct stat sb;
    int fd = open(path, O_RDWR);
    int err;

    if (fd < 0)
        die("%s: %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0)
        die("%s: %s", path, strerror(errno));
    w->size = (size_t)sb.st_size;
    w->mem = mmap(NULL, w->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (w->mem == MAP_FAILED)
        die("%s: mmap: %s", path, strerror(errno));
    err = fsn_state_check(w->mem, w->size);
    if (err < 0)
        die("%s: %s", path, fsn_strerror(err));
    w->h = w->mem;
}

/* Splits a line into tokens; "quoted text" is one token. Returns the count. */
static int tokenize(char *s, char **tok)
{
    int n = 0;

    while (*s && n < MAX_TOKENS) {
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        if (!*s || *s == '#')
            break;
        tok[n++] = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
            if (*s == '"') {
                /* Drop the quotes, keep what is between them. */
                char *q = strchr(s + 1, '"');
                if (!q)
                    die("unterminated quote");
                memmove(s, s + 1, (size_t)(q - s - 1));
                memmove(q - 1, q + 1, strlen(q + 1) + 1);
                s = q - 1;
                continue;
            }
            s++;
        }
        if (*s)
            *s++ = '\0';
    }
    return n;
}

static uint64_t num(const char *s)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || end == s || *end)
        die("not a number: '%s'", s);
    return v;
}

/*
 * Applies "name=V" or "name+=V" to the field it names. fields[] maps names
 * to the uint64_t fields of one row.
 */
struct field {
    const char *name;
    uint64_t *p;
};

static bool apply_u64(const char *tok, const struct field *f, size_t n)
{
    const char *eq = strchr(tok, '=');
    size_t klen;
    bool add;

    if (!eq)
        return false;
    add = eq > tok && eq[-1] == '+';
    klen = (size_t)(eq - tok) - add;
    for (size_t i = 0; i < n; i++) {
        if (strlen(f[i].name) == klen && memcmp(f[i].name, tok, klen) == 0) {
            uint64_t v = num(eq + 1);
            *f[i].p = add ? *f[i].p + v : v;
            if (field_gap_us) {
                struct timespec ts = {0, (long)field_gap_us * 1000L};
                nanosleep(&ts, NULL);
            }
            return true;
        }
    }
    return false;
}

#define CTR_FIELDS(c)                                                                        \
    {"in_octets", &(c).in_octets}, {"out_octets", &(c).out_octets},                          \
        {"in_packets", &(c).in_packets}, {"out_packets", &(c).out_packets},                  \
        {"in_flows", &(c).in_flows}, {"out_flows", &(c).out_flows}

static void bump_generation(struct sw *w)
{
    w->h->generation++;
}

static void parse_addr(const char *s, uint8_t *family, uint8_t addr[16])
{
    memset(addr, 0, 16);
    if (strcmp(s, "other") == 0) {
        *family = 0;
    } else if (inet_pton(AF_INET, s, addr) == 1) {
        *family = 4;
    } else if (inet_pton(AF_INET6, s, addr) == 1) {
        *family = 6;
    } else {
        die("not an address: '%s'", s);
    }
}

static void create(struct sw *w, int n, char **tok)
{
    struct fsn_state_caps caps = {.exporters = 16, .hosts = 64, .services = 32};
    const char *software = "statewriter";
    uint64_t created = w->now, disc = 0;
    bool disc_set = false;
    int fd, err;

    for (int i = 1; i < n; i++) {
        uint64_t v;
        if (strncmp(tok[i], "software=", 9) == 0) {
            software = tok[i] + 9;
            continue;
        }
        if (!strchr(tok[i], '='))
            die("create: bad argument '%s'", tok[i]);
        v = num(strchr(tok[i], '=') + 1);
        if (strncmp(tok[i], "hosts=", 6) == 0)
            caps.hosts = (uint32_t)v;
        else if (strncmp(tok[i], "exporters=", 10) == 0)
            caps.exporters = (uint32_t)v;
        else if (strncmp(tok[i], "services=", 9) == 0)
            caps.services = (uint32_t)v;
        else if (strncmp(tok[i], "created=", 8) == 0)
            created = v;
        else if (strncmp(tok[i], "discontinuity=", 14) == 0)
            disc = v, disc_set = true;
        else
            die("create: bad argument '%s'", tok[i]);
    }
    unmap(w);
    snprintf(w->tmp, sizeof w->tmp, "%s.new.%ld", w->path, (long)getpid());
    fd = open(w->tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("%s: %s", w->tmp, strerror(errno));
    w->size = fsn_state_size(&caps);
    if (ftruncate(fd, (off_t)w->size) != 0)
        die("%s: %s", w->tmp, strerror(errno));
    w->mem = mmap(NULL, w->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (w->mem == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    err = fsn_state_format(w->mem, w->size, &caps, created, software);
    if (err < 0)
        die("format: %s", fsn_strerror(err));
    w->h = w->mem;
    if (disc_set)
        w->h->discontinuity = disc;
    w->pending_rename = true;
}

static void header(struct sw *w, int n, char **tok)
{
    struct fsn_state_hdr *h = w->h;
    uint64_t updated = h->updated;
    struct field f[] = {
        {"created", &h->created},
        {"discontinuity", &h->discontinuity},
        {"updated", &updated},
        {"generation", &h->generation},
    };

    for (int i = 1; i < n; i++) {
        if (strncmp(tok[i], "software=", 9) == 0) {
            memset(h->software, 0, sizeof h->software);
            strncpy(h->software, tok[i] + 9, sizeof h->software - 1);
        } else if (!apply_u64(tok[i], f, sizeof f / sizeof f[0])) {
            die("header: bad argument '%s'", tok[i]);
        }
        if (strncmp(tok[i], "updated", 7) == 0)
            w->updated_set = true;
    }
    h->updated = updated;
}

static void scalar(struct sw *w, int n, char **tok)
{
    struct fsn_state_scalars *s = fsn_state_scalars(w->h);
    uint64_t hosts = s->hosts_in_use;
    struct field f[] = {
        {"hosts_in_use", &hosts},
        {"records", &s->records},
        {"records_lost", &s->records_lost},
        {"malformed", &s->malformed},
        {"late", &s->late},
        {"no_template", &s->no_template},
        {"hosts_evicted", &s->hosts_evicted},
        CTR_FIELDS(s->total),
    };

    fsn_state_write_begin(&s->seq);
    for (int i = 1; i < n; i++)
        if (!apply_u64(tok[i], f, sizeof f / sizeof f[0]))
            die("scalar: bad argument '%s'", tok[i]);
    s->hosts_in_use = (uint32_t)hosts;
    fsn_state_write_end(&s->seq);
}

static struct fsn_state_host *find_host(struct sw *w, uint8_t family, const uint8_t *addr,
                                        bool alloc)
{
    struct fsn_state_host *free_slot = NULL;
    size_t alen = family == 4 ? 4 : family == 6 ? 16 : 0;

    for (uint32_t i = 0; i < w->h->host_cap; i++) {
        struct fsn_state_host *r = fsn_state_host(w->h, i);
        if (r->in_use && r->family == family && memcmp(r->addr, addr, alen) == 0)
            return r;
        if (!r->in_use && !free_slot)
            free_slot = r;
    }
    if (!alloc)
        return NULL;
    if (!free_slot)
        die("host table full (capacity %u)", w->h->host_cap);
    fsn_state_write_begin(&free_slot->seq);
    memset((char *)free_slot + sizeof free_slot->seq, 0, sizeof *free_slot - sizeof free_slot->seq);
    free_slot->in_use = 1;
    free_slot->family = family;
    memcpy(free_slot->addr, addr, 16);
    fsn_state_write_end(&free_slot->seq);
    bump_generation(w);
    return free_slot;
}

static void host_fields(struct fsn_state_host *r, int n, char **tok, int first)
{
    struct field f[] = {
        CTR_FIELDS(r->c),
        {"first_seen", &r->first_seen},
        {"last_seen", &r->last_seen},
    };

    fsn_state_write_begin(&r->seq);
    for (int i = first; i < n; i++)
        if (!apply_u64(tok[i], f, sizeof f / sizeof f[0]))
            die("host: bad argument '%s'", tok[i]);
    fsn_state_write_end(&r->seq);
}

static void host(struct sw *w, int n, char **tok)
{
    uint8_t family, addr[16];

    if (n < 2)
        die("host: address missing");
    parse_addr(tok[1], &family, addr);
    host_fields(find_host(w, family, addr, true), n, tok, 2);
}

static void synth(struct sw *w, int n, char **tok)
{
    uint8_t base[4] = {10, 0, 0, 0};
    uint64_t count, b;

    if (n < 2)
        die("synth: count missing");
    count = num(tok[1]);
    for (int i = 2; i < n; i++) {
        if (strncmp(tok[i], "base=", 5) != 0 || inet_pton(AF_INET, tok[i] + 5, base) != 1)
            die("synth: bad argument '%s'", tok[i]);
    }
    b = (uint64_t)base[0] << 24 | (uint64_t)base[1] << 16 | (uint64_t)base[2] << 8 | base[3];
    for (uint64_t i = 0; i < count; i++) {
        uint8_t addr[16] = {0};
        uint64_t a = b + i;
        struct fsn_state_host *r;
        addr[0] = (uint8_t)(a >> 24);
        addr[1] = (uint8_t)(a >> 16);
        addr[2] = (uint8_t)(a >> 8);
        addr[3] = (uint8_t)a;
        r = find_host(w, 4, addr, true);
        fsn_state_write_begin(&r->seq);
        r->c.in_octets = 1000 * i + 1;
        r->c.out_octets = 2000 * i + 2;
        r->c.in_packets = 10 * i + 3;
        r->c.out_packets = 20 * i + 4;
        r->c.in_flows = i + 5;
        r->c.out_flows = 2 * i + 6;
        r->first_seen = 1700000000 + i;
        r->last_seen = 1700000000 + 2 * i + 1;
        fsn_state_write_end(&r->seq);
    }
}

static struct fsn_state_service *find_service(struct sw *w, const char *name, bool alloc)
{
    struct fsn_state_service *free_slot = NULL;

    if (strlen(name) >= FSN_STATE_NAME_MAX)
        die("service name too long: %s", name);
    for (uint32_t i = 0; i < w->h->service_cap; i++) {
        struct fsn_state_service *r = fsn_state_service(w->h, i);
        if (r->in_use && strncmp(r->name, name, FSN_STATE_NAME_MAX) == 0)
            return r;
        if (!r->in_use && !free_slot)
            free_slot = r;
    }
    if (!alloc)
        return NULL;
    if (!free_slot)
        die("service table full (capacity %u)", w->h->service_cap);
    fsn_state_write_begin(&free_slot->seq);
    memset((char *)free_slot + sizeof free_slot->seq, 0, sizeof *free_slot - sizeof free_slot->seq);
    free_slot->in_use = 1;
    strncpy(free_slot->name, name, FSN_STATE_NAME_MAX - 1);
    fsn_state_write_end(&free_slot->seq);
    bump_generation(w);
    return free_slot;
}

static void service(struct sw *w, int n, char **tok)
{
    struct fsn_state_service *r;

    if (n < 2)
        die("service: name missing");
    r = find_service(w, tok[1], true);
    {
        struct field g[] = {CTR_FIELDS(r->c)};
        fsn_state_write_begin(&r->seq);
        for (int i = 2; i < n; i++) {
            if (strcmp(tok[i], "ports") == 0 && i + 1 < n) {
                memset(r->ports, 0, sizeof r->ports);
                strncpy(r->ports, tok[++i], sizeof r->ports - 1);
            } else if (strncmp(tok[i], "ports=", 6) == 0) {
                memset(r->ports, 0, sizeof r->ports);
                strncpy(r->ports, tok[i] + 6, sizeof r->ports - 1);
            } else if (!apply_u64(tok[i], g, sizeof g / sizeof g[0])) {
                die("service: bad argument '%s'", tok[i]);
            }
        }
        fsn_state_write_end(&r->seq);
    }
}

static void proto(struct sw *w, int n, char **tok)
{
    struct fsn_state_proto *r;
    uint64_t p;
    int i = 2;

    if (n < 2)
        die("proto: number missing");
    p = num(tok[1]);
    if (p >= FSN_STATE_NPROTO)
        die("proto: %" PRIu64 " out of range", p);
    r = fsn_state_proto(w->h, (uint32_t)p);
    if (!r->in_use) {
        fsn_state_write_begin(&r->seq);
        r->in_use = 1;
        fsn_state_write_end(&r->seq);
        bump_generation(w);
    }
    {
        struct field f[] = {CTR_FIELDS(r->c)};
        fsn_state_write_begin(&r->seq);
        if (i < n && !strchr(tok[i], '=')) {
            memset(r->name, 0, sizeof r->name);
            strncpy(r->name, tok[i++], sizeof r->name - 1);
        }
        for (; i < n; i++) {
            if (strncmp(tok[i], "name=", 5) == 0) {
                memset(r->name, 0, sizeof r->name);
                strncpy(r->name, tok[i] + 5, sizeof r->name - 1);
            } else if (!apply_u64(tok[i], f, sizeof f / sizeof f[0])) {
                die("proto: bad argument '%s'", tok[i]);
            }
        }
        fsn_state_write_end(&r->seq);
    }
}

static struct fsn_state_exporter *find_exporter(struct sw *w, uint8_t family,
                                                const uint8_t *addr, uint32_t domain,
                                                bool alloc)
{
    struct fsn_state_exporter *free_slot = NULL;

    for (uint32_t i = 0; i < w->h->exporter_cap; i++) {
        struct fsn_state_exporter *r = fsn_state_exporter(w->h, i);
        if (r->in_use && r->family == family && r->domain == domain &&
            memcmp(r->addr, addr, 16) == 0)
            return r;
        if (!r->in_use && !free_slot)
            free_slot = r;
    }
    if (!alloc)
        return NULL;
    if (!free_slot)
        die("exporter table full (capacity %u)", w->h->exporter_cap);
    fsn_state_write_begin(&free_slot->seq);
    memset((char *)free_slot + sizeof free_slot->seq, 0, sizeof *free_slot - sizeof free_slot->seq);
    free_slot->in_use = 1;
    free_slot->family = family;
    memcpy(free_slot->addr, addr, 16);
    free_slot->domain = domain;
    fsn_state_write_end(&free_slot->seq);
    bump_generation(w);
    return free_slot;
}

/* Finds "KEY V" or "KEY=V" among the tokens; marks them used. */
static bool take_kv(int n, char **tok, bool *used, const char *key, uint64_t *out)
{
    size_t kl = strlen(key);

    for (int i = 2; i < n; i++) {
        if (used[i])
            continue;
        if (strcmp(tok[i], key) == 0 && i + 1 < n) {
            *out = num(tok[i + 1]);
            used[i] = used[i + 1] = true;
            return true;
        }
        if (strncmp(tok[i], key, kl) == 0 && tok[i][kl] == '=') {
            *out = num(tok[i] + kl + 1);
            used[i] = true;
            return true;
        }
    }
    return false;
}

static void exporter(struct sw *w, int n, char **tok)
{
    bool used[MAX_TOKENS] = {false};
    uint8_t family, addr[16];
    uint64_t domain = 0, version;
    struct fsn_state_exporter *r;

    if (n < 2)
        die("exporter: address missing");
    parse_addr(tok[1], &family, addr);
    if (family == 0)
        die("exporter: needs an address");
    take_kv(n, tok, used, "domain", &domain);
    r = find_exporter(w, family, addr, (uint32_t)domain, true);
    {
        uint64_t templates = r->templates;
        struct field f[] = {
            {"datagrams", &r->datagrams},     {"records", &r->records},
            {"records_lost", &r->records_lost}, {"malformed", &r->malformed},
            {"no_template", &r->no_template}, {"first_seen", &r->first_seen},
            {"last_seen", &r->last_seen},     {"templates", &templates},
        };
        fsn_state_write_begin(&r->seq);
        if (take_kv(n, tok, used, "version", &version))
            r->version = (uint8_t)version;
        for (int i = 2; i < n; i++)
            if (!used[i] && !apply_u64(tok[i], f, sizeof f / sizeof f[0]))
                die("exporter: bad argument '%s'", tok[i]);
        r->templates = (uint32_t)templates;
        fsn_state_write_end(&r->seq);
    }
}

static void free_row(struct sw *w, uint32_t *seq, uint8_t *in_use)
{
    fsn_state_write_begin(seq);
    *in_use = 0;
    fsn_state_write_end(seq);
    bump_generation(w);
}

static void del(struct sw *w, int n, char **tok)
{
    uint8_t family, addr[16];

    if (n < 3)
        die("del: what?");
    if (strcmp(tok[1], "host") == 0) {
        struct fsn_state_host *r;
        parse_addr(tok[2], &family, addr);
        r = find_host(w, family, addr, false);
        if (r)
            free_row(w, &r->seq, &r->in_use);
    } else if (strcmp(tok[1], "service") == 0) {
        struct fsn_state_service *r = find_service(w, tok[2], false);
        if (r)
            free_row(w, &r->seq, &r->in_use);
    } else if (strcmp(tok[1], "proto") == 0) {
        uint64_t p = num(tok[2]);
        if (p < FSN_STATE_NPROTO) {
            struct fsn_state_proto *r = fsn_state_proto(w->h, (uint32_t)p);
            free_row(w, &r->seq, &r->in_use);
        }
    } else if (strcmp(tok[1], "exporter") == 0 && n >= 4) {
        struct fsn_state_exporter *r;
        parse_addr(tok[2], &family, addr);
        r = find_exporter(w, family, addr, (uint32_t)num(tok[3]), false);
        if (r)
            free_row(w, &r->seq, &r->in_use);
    } else {
        die("del: unknown '%s'", tok[1]);
    }
}

/* Maps the existing file, or creates one with default capacities when there is none. */
static void ensure_mapped(struct sw *w)
{
    char *none[] = {"create"};

    if (w->h)
        return;
    if (access(w->path, F_OK) == 0)
        map_file(w, w->path);
    else
        create(w, 1, none);
}

static void apply_line(struct sw *w, const char *line)
{
    char buf[4096], *tok[MAX_TOKENS];
    int n;

    snprintf(buf, sizeof buf, "%s", line);
    n = tokenize(buf, tok);
    if (n == 0)
        return;
    if (strcmp(tok[0], "create") == 0) {
        create(w, n, tok);
        return;
    }
    ensure_mapped(w);
    if (strcmp(tok[0], "header") == 0)
        header(w, n, tok);
    else if (strcmp(tok[0], "scalar") == 0)
        scalar(w, n, tok);
    else if (strcmp(tok[0], "host") == 0)
        host(w, n, tok);
    else if (strcmp(tok[0], "service") == 0)
        service(w, n, tok);
    else if (strcmp(tok[0], "proto") == 0)
        proto(w, n, tok);
    else if (strcmp(tok[0], "exporter") == 0)
        exporter(w, n, tok);
    else if (strcmp(tok[0], "del") == 0)
        del(w, n, tok);
    else if (strcmp(tok[0], "synth") == 0)
        synth(w, n, tok);
    else
        die("unknown spec line: %s", line);
}

static void read_spec(const char *path, char **lines, int *nlines)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char buf[4096];

    if (!f)
        die("%s: %s", path, strerror(errno));
    while (fgets(buf, sizeof buf, f)) {
        if (*nlines >= MAX_LINES)
            die("more than %d spec lines", MAX_LINES);
        lines[(*nlines)++] = strdup(buf);
    }
    if (f != stdin)
        fclose(f);
}

int main(int argc, char **argv)
{
    static char *lines[MAX_LINES];
    struct sw w;
    uint64_t reps = 1, pause_ms = 0;
    int nlines = 0, opt;

    memset(&w, 0, sizeof w);
    while ((opt = getopt(argc, argv, "e:s:r:i:t:w:")) != -1) {
        switch (opt) {
        case 'e':
            if (nlines >= MAX_LINES)
                die("too many lines");
            lines[nlines++] = optarg;
            break;
        case 's':
            read_spec(optarg, lines, &nlines);
            break;
        case 'r':
            reps = num(optarg);
            break;
        case 'i':
            pause_ms = num(optarg);
            break;
        case 'w':
            field_gap_us = (unsigned)num(optarg);
            if (field_gap_us >= 1000000)
                die("-w: at most 999999 microseconds");
            break;
        case 't':
            w.now = num(optarg);
            w.now_fixed = true;
            break;
        default:
            fprintf(stderr, "usage: statewriter [-e LINE]... [-s SPEC]... [-r N] [-i MS] "
                            "[-t NOW] [-w USEC] FILE\n");
            return 2;
        }
    }
    if (optind + 1 != argc)
        die("one state file expected");
    w.path = argv[optind];
    if (!w.now_fixed)
        w.now = (uint64_t)time(NULL);

    for (uint64_t r = 0; r < reps; r++) {
        if (!w.now_fixed)
            w.now = (uint64_t)time(NULL);
        w.updated_set = false;
        for (int i = 0; i < nlines; i++)
            apply_line(&w, lines[i]);
        ensure_mapped(&w);
        if (!w.updated_set)
            w.h->updated = w.now;
        if (w.pending_rename) {
            if (rename(w.tmp, w.path) != 0)
                die("rename %s: %s", w.tmp, strerror(errno));
            w.pending_rename = false;
        }
        if (pause_ms && r + 1 < reps) {
            struct timespec ts = {(time_t)(pause_ms / 1000), (long)(pause_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    unmap(&w);
    return 0;
}
