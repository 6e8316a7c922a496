/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the OS glue in common/: config files, sockets (a real UDP
 * round trip on loopback), the daemon helpers and the progress line.
 * Expected values come from the kernel's documented behaviour (socket(7),
 * udp(7)), from /proc, or are written out by hand.
 */
#ifndef _GNU_SOURCE /* posix_openpt() and friends */
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/conffile.h"
#include "common/daemon.h"
#include "common/progress.h"
#include "common/sock.h"
#include "lib/error.h"
#include "tests/tap.h"

static char tmpdir[256];

static void path_in_tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

/* Removes the files the tests made (all directly in tmpdir) and tmpdir. */
static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[512];

    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        path_in_tmp(path, sizeof path, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    if (rmdir(tmpdir) != 0)
        diag("could not remove %s: %s", tmpdir, strerror(errno));
}

/* ---- conffile ---------------------------------------------------------- */

struct calls {
    char log[1024];
};

static int h_log(void *ctx, int argc, char **argv, char *err, size_t errlen)
{
    struct calls *c = ctx;
    size_t len = strlen(c->log);
    (void)err;
    (void)errlen;
    len += (size_t)snprintf(c->log + len, sizeof c->log - len, "[");
    for (int i = 0; i < argc; i++)
        len += (size_t)snprintf(c->log + len, sizeof c->log - len, "%s%s", i ? "|" : "", argv[i]);
    snprintf(c->log + len, sizeof c->log - len, "]");
    return 0;
}

#define LONG_HELP                                                                                  \
    "abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi "             \
    "abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi "             \
    "abcdefghi abcdefghi abcdefghi abcdefghi"

static const struct fsn_conf_directive cdirs[] = {
    {"listen", 1, 1, false, h_log, "ADDR:PORT", "0.0.0.0:2055", "Address and port to receive on."},
    {"local-net", 1, -1, true, h_log, "CIDR...", NULL, "Networks whose hosts get counted."},
    {"foreground", 0, 0, false, h_log, NULL, NULL, "Stay in the foreground."},
    {"step", 1, 1, false, h_log, "SECONDS", "5m", LONG_HELP},
    {"services", 1, -1, false, h_log, "NAME...", "http https", "Services."},
};
#define NCDIRS (sizeof cdirs / sizeof cdirs[0])

static void test_conffile(void)
{
    char path[512], want[768], err[768];
    struct calls c;
    char *buf = NULL;
    size_t len = 99;
    int ret;

    path_in_tmp(path, sizeof path, "missing.conf");
    memset(&c, 0, sizeof c);
    ret = conffile_load(path, cdirs, NCDIRS, &c, err, sizeof err);
    is_int(ret, FSN_E_IO, "missing file");
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    is_str(err, want, "missing file message");

    ret = conffile_read(tmpdir, &buf, &len, err, sizeof err);
    is_int(ret, FSN_E_IO, "a directory");
    snprintf(want, sizeof want, "%s: Is a directory", tmpdir);
    is_str(err, want, "directory message");
    ok(buf == NULL && len == 0, "no buffer on error");

    path_in_tmp(path, sizeof path, "empty.conf");
    write_file(path, "", 0);
    ret = conffile_read(path, &buf, &len, err, sizeof err);
    ok(ret == 0 && buf && len == 0 && buf[0] == '\0', "empty file: empty string");
    free(buf);
    ret = conffile_read("/dev/null", &buf, &len, err, sizeof err);
    ok(ret == 0 && buf && len == 0, "/dev/null reads as empty");
    free(buf);

    /* Exactly the limit: 1024 comment lines of 1024 bytes each. */
    {
        char *big = malloc(CONFFILE_MAX_SIZE + 1);
        for (size_t i = 0; i < CONFFILE_MAX_SIZE; i += 1024) {
            memset(big + i, 'x', 1023);
            big[i] = '#';
            big[i + 1023] = '\n';
        }
        path_in_tmp(path, sizeof path, "max.conf");
        write_file(path, big, CONFFILE_MAX_SIZE);
        memset(&c, 0, sizeof c);
        is_int(conffile_load(path, cdirs, NCDIRS, &c, err, sizeof err), 0,
               "file of exactly %d bytes loads", CONFFILE_MAX_SIZE);
        ret = conffile_read(path, &buf, &len, err, sizeof err);
        ok(ret == 0 && len == CONFFILE_MAX_SIZE && memcmp(buf, big, len) == 0 && buf[len] == '\0',
           "its bytes are read exactly, NUL-terminated");
        free(buf);
        big[CONFFILE_MAX_SIZE] = '\n';
        path_in_tmp(path, sizeof path, "toobig.conf");
        write_file(path, big, CONFFILE_MAX_SIZE + 1);
        ret = conffile_load(path, cdirs, NCDIRS, &c, err, sizeof err);
        is_int(ret, FSN_E_LIMIT, "one byte over the limit");
        snprintf(want, sizeof want, "%s: larger than 1048576 bytes; is this a config file?", path);
        is_str(err, want, "too big message");
        free(big);
    }

    path_in_tmp(path, sizeof path, "bad.conf");
    {
        static const char text[] =
            "listen 127.0.0.1:2055\r\n\n# c\nlocal-net 10.0.0.0/8\nlocla-net x\n";
        write_file(path, text, sizeof text - 1);
    }
    memset(&c, 0, sizeof c);
    ret = conffile_load(path, cdirs, NCDIRS, &c, err, sizeof err);
    is_int(ret, FSN_E_SYNTAX, "parse error through conffile_load");
    snprintf(want, sizeof want, "%s:5: unknown directive 'locla-net' (did you mean 'local-net'?)",
             path);
    is_str(err, want, "message names the path and line");
    is_str(c.log, "[127.0.0.1:2055][10.0.0.0/8]", "lines before the error were handled");
}

/* Runs a printer into a string. */
static char *print_to_string(void (*fn)(FILE *, const struct fsn_conf_directive *, size_t),
                             const struct fsn_conf_directive *d, size_t n)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    fn(f, d, n);
    fclose(f);
    return out;
}

static void test_help_sample(void)
{
    static const char want_help[] =
        "Configuration directives:\n"
        "  listen ADDR:PORT\n"
        "      Address and port to receive on. Default: 0.0.0.0:2055.\n"
        "  local-net CIDR...\n"
        "      Networks whose hosts get counted. May be given more than once.\n"
        "  foreground\n"
        "      Stay in the foreground.\n"
        "  step SECONDS\n"
        /* 6 + 7 * 9 + 6 = 75 columns; an eighth word would make 85. */
        "      abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi\n"
        "      abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi\n"
        /* 6 + 6 * 9 + 5 + 9 + 4 = 78: exactly the width, so it stays on the line. */
        "      abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi Default: 5m.\n"
        "  services NAME...\n"
        "      Services. Default: http https.\n";
    static const char want_sample[] =
        "# listen ADDR:PORT\n"
        "#   Address and port to receive on. Default: 0.0.0.0:2055.\n"
        "#listen 0.0.0.0:2055\n"
        "\n"
        "# local-net CIDR...\n"
        "#   Networks whose hosts get counted. May be given more than once.\n"
        "#local-net CIDR...\n"
        "\n"
        "# foreground\n"
        "#   Stay in the foreground.\n"
        "#foreground\n"
        "\n"
        "# step SECONDS\n"
        "#   abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi\n"
        "#   abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi\n"
        "#   abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi Default: 5m.\n"
        "#step 5m\n"
        "\n"
        "# services NAME...\n"
        "#   Services. Default: http https.\n"
        "#services http https\n";
    char *help = print_to_string(conffile_print_help, cdirs, NCDIRS);
    char *sample = print_to_string(conffile_print_sample, cdirs, NCDIRS);
    struct calls c;
    char err[256];

    is_str(help, want_help, "help text");
    is_str(sample, want_sample, "sample text");

    memset(&c, 0, sizeof c);
    is_int(fsn_conf_parse(sample, strlen(sample), "sample", cdirs, NCDIRS, &c, err, sizeof err), 0,
           "the sample parses as it is");
    is_str(c.log, "", "and sets nothing");

    /* Uncomment the lines of the directives that have a default: they must parse. */
    {
        char *out = malloc(strlen(sample) + 1), *o = out;
        const char *p = sample;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t l = nl ? (size_t)(nl - p) + 1 : strlen(p);
            bool strip = false;
            for (size_t i = 0; i < NCDIRS; i++) {
                size_t nlen = strlen(cdirs[i].name);
                if (cdirs[i].deflt && p[0] == '#' && strncmp(p + 1, cdirs[i].name, nlen) == 0 &&
                    p[1 + nlen] == ' ')
                    strip = true;
            }
            memcpy(o, p + strip, l - strip);
            o += l - strip;
            p += l;
        }
        *o = '\0';
        memset(&c, 0, sizeof c);
        is_int(fsn_conf_parse(out, strlen(out), "sample", cdirs, NCDIRS, &c, err, sizeof err), 0,
               "the sample with its defaults uncommented parses");
        is_str(c.log, "[0.0.0.0:2055][5m][http|https]", "and gives the defaults");
        free(out);
    }
    free(help);
    free(sample);
}

/* ---- sockets ----------------------------------------------------------- */

static void test_resolve(void)
{
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    char err[256], text[SOCK_ADDRSTRLEN];
    struct fsn_addr a;
    uint16_t port = 0;

    is_int(sock_resolve("127.0.0.1:2055", &ss, &sl, err, sizeof err), 0, "resolve 127.0.0.1:2055");
    {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        ok(ss.ss_family == AF_INET && sl == sizeof *sin &&
               sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && sin->sin_port == htons(2055),
           "AF_INET 127.0.0.1 port 2055");
    }
    is_str(sock_format(&ss, text, sizeof text), "127.0.0.1:2055", "format IPv4");
    ok(sock_to_addr(&ss, &a, &port) == 0 && a.family == 4 && a.a[0] == 127 && a.a[3] == 1 &&
           port == 2055,
       "to fsn_addr IPv4");

    is_int(sock_resolve("[::1]:4739", &ss, &sl, err, sizeof err), 0, "resolve [::1]:4739");
    {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        ok(ss.ss_family == AF_INET6 && sl == sizeof *sin6 &&
               IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) && sin6->sin6_port == htons(4739),
           "AF_INET6 ::1 port 4739");
    }
    is_str(sock_format(&ss, text, sizeof text), "[::1]:4739", "format IPv6");
    ok(sock_to_addr(&ss, &a, &port) == 0 && a.family == 6 && a.a[15] == 1 && port == 4739,
       "to fsn_addr IPv6");

    is_int(sock_resolve("localhost:9995", &ss, &sl, err, sizeof err), 0, "resolve localhost:9995");
    ok((ss.ss_family == AF_INET &&
        ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_LOOPBACK)) ||
           (ss.ss_family == AF_INET6 &&
            IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr)),
       "localhost is a loopback address");
    ok(sock_to_addr(&ss, &a, &port) == 0 && port == 9995, "localhost port 9995");

    {
        struct sockaddr_in6 m;
        memset(&m, 0, sizeof m);
        m.sin6_family = AF_INET6;
        m.sin6_port = htons(9);
        inet_pton(AF_INET6, "::ffff:192.0.2.7", &m.sin6_addr);
        memcpy(&ss, &m, sizeof m);
        ok(sock_to_addr(&ss, &a, &port) == 0 && a.family == 4 && a.a[0] == 192 && a.a[3] == 7 &&
               port == 9,
           "IPv4-mapped becomes IPv4");
    }

    is_int(sock_resolve("127.0.0.1", &ss, &sl, err, sizeof err), -1, "no port");
    is_str(err,
           "'127.0.0.1': expected HOST:PORT, IPV4:PORT or [IPV6]:PORT with a port of 0 to 65535",
           "no port message");
    is_int(sock_resolve("127.0.0.1:65536", &ss, &sl, err, sizeof err), -1, "port too big");
    is_int(sock_resolve("::1:2055", &ss, &sl, err, sizeof err), -1, "IPv6 without brackets");
    is_int(sock_resolve("[localhost]:80", &ss, &sl, err, sizeof err), -1, "name in brackets");
    is_int(sock_resolve("[::1::2]:80", &ss, &sl, err, sizeof err), -1, "bad IPv6 literal");
    ok(strncmp(err, "'[::1::2]:80': ", 15) == 0, "bad literal message names the input: %.100s",
       err);
}

/* rcvbuf the kernel should give for a request: socket(7) and CAP_NET_ADMIN. */
static int expected_rcvbuf(int req)
{
    FILE *f = fopen("/proc/sys/net/core/rmem_max", "r");
    char line[256];
    long max = 0;
    unsigned long long cap = 0;

    if (f) {
        if (fscanf(f, "%ld", &max) != 1)
            max = 0;
        fclose(f);
    }
    if ((f = fopen("/proc/self/status", "r"))) {
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "CapEff: %llx", &cap) == 1)
                break;
        fclose(f);
    }
    if (req <= max || (cap & (1ull << 12)))
        return req;
    return (int)max;
}

/* Waits (bounded) for datagrams and collects `want` of them into b; returns how many. */
static int collect(int fd, struct sock_batch *b, int want, uint8_t (*data)[4096], size_t *lens,
                   struct sockaddr_storage *from)
{
    int got = 0;

    for (int tries = 0; got < want && tries < 200; tries++) {
        int k;
        if (sock_wait(fd, 100) < 0)
            break;
        if ((k = sock_batch_recv(fd, b)) < 0)
            break;
        for (int i = 0; i < k && got < want; i++, got++) {
            lens[got] = b->len[i];
            memcpy(data[got], b->data + (size_t)i * b->bufsize, b->len[i]);
            from[got] = b->from[i];
        }
    }
    return got;
}

static void test_roundtrip(const char *bind_addr, const char *loop_text)
{
    static uint8_t got[8][4096];
    size_t lens[8];
    struct sockaddr_storage from[8];
    uint8_t d0[1] = {0x5a}, d1[1400], d2[3000];
    struct iovec v[4];
    struct sock_batch b;
    struct sock_sender s;
    char err[256], dst[64], want_src[64], text[SOCK_ADDRSTRLEN];
    int fd, eff = 0, n;
    uint16_t port, sport;

    fd = sock_udp_listen(bind_addr, 65536, &eff, err, sizeof err);
    if (fd < 0 && strchr(bind_addr, '[') &&
        (strstr(err, "Cannot assign") || strstr(err, "not supported"))) {
        ok(1, "# SKIP no IPv6 loopback: %.100s", err);
        return;
    }
    ok(fd >= 0, "bind %s: %.100s", bind_addr, fd < 0 ? err : "ok");
    if (fd < 0)
        return;
    is_int(eff, expected_rcvbuf(65536), "receive buffer of 64 KiB on %s", bind_addr);
    port = sock_local_port(fd);
    ok(port != 0, "port 0 became a real port (%u)", port);

    snprintf(dst, sizeof dst, strchr(loop_text, ':') ? "[%s]:%u" : "%s:%u", loop_text, port);
    is_int(sock_sender_open(&s, dst, 0, err, sizeof err), 0, "sender to %s", dst);
    sport = sock_local_port(s.fd);
    snprintf(want_src, sizeof want_src, strchr(loop_text, ':') ? "[%s]:%u" : "%s:%u", loop_text,
             sport);

    for (size_t i = 0; i < sizeof d1; i++)
        d1[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < sizeof d2; i++)
        d2[i] = (uint8_t)(i * 13 + 1);
    v[0] = (struct iovec){d0, 0}; /* an empty datagram is a datagram too */
    v[1] = (struct iovec){d0, 1};
    v[2] = (struct iovec){d1, sizeof d1};
    v[3] = (struct iovec){d2, sizeof d2};
    is_uint(sock_sender_send(&s, v, 4), 4, "4 datagrams sent");
    ok(s.sent == 4 && s.failed == 0 && s.refused == 0 && s.nobufs == 0, "sender counters");

    /* 2 buffers of 2048 bytes: two calls needed, and the 3000-byte datagram is cut. */
    is_int(sock_batch_init(&b, 2, 2048), 0, "batch of 2 x 2048");
    n = collect(fd, &b, 4, got, lens, from);
    is_int(n, 4, "4 datagrams received");
    is_uint(lens[0], 0, "empty datagram");
    ok(lens[1] == 1 && got[1][0] == 0x5a, "1-byte datagram");
    ok(lens[2] == sizeof d1 && memcmp(got[2], d1, sizeof d1) == 0, "1400-byte datagram exact");
    ok(lens[3] == 2048 && memcmp(got[3], d2, 2048) == 0, "3000-byte datagram cut to 2048");
    is_uint(b.truncated, 1, "one truncated datagram counted");
    for (int i = 0; i < n; i++)
        is_str(sock_format(&from[i], text, sizeof text), want_src, "source of datagram %d", i);
    is_uint(b.drops, 0, "no drops");

    sock_batch_fini(&b);
    sock_sender_close(&s);
    sock_sender_close(&s);
    close(fd);
}

/*
 * Overflows a small receive buffer: every datagram sent is either queued
 * or counted by the kernel as dropped, so drops = sent - received.
 */
static void test_drops(void)
{
    uint8_t payload[1000], marker[10];
    struct iovec v[50], m = {marker, sizeof marker};
    struct sock_batch b;
    struct sock_sender s;
    char err[256], dst[64];
    int fd, eff, k, received = 0;
    unsigned sent = 0;
    bool seen_marker = false;

    memset(payload, 0xab, sizeof payload);
    memset(marker, 0xcd, sizeof marker);
    fd = sock_udp_listen("127.0.0.1:0", 16384, &eff, err, sizeof err);
    ok(fd >= 0, "bind with a small buffer");
    if (fd < 0)
        return;
    snprintf(dst, sizeof dst, "127.0.0.1:%u", sock_local_port(fd));
    sock_sender_open(&s, dst, 0, err, sizeof err);
    for (int i = 0; i < 50; i++)
        v[i] = (struct iovec){payload, sizeof payload};
    for (int i = 0; i < 4; i++)
        sent += sock_sender_send(&s, v, 50);
    is_uint(sent, 200, "200 datagrams sent");
    sock_batch_init(&b, 8, 2048);
    while ((k = sock_batch_recv(fd, &b)) > 0)
        received += k;
    ok(received > 0 && received < 200, "some but not all queued (%d)", received);
    /*
     * The kernel hands the counter out with the next datagram queued after
     * the drops: send a marker into the drained buffer and read up to it.
     */
    is_uint(sock_sender_send(&s, &m, 1), 1, "marker sent");
    for (int tries = 0; !seen_marker && tries < 50; tries++) {
        if (sock_wait(fd, 100) < 0 || (k = sock_batch_recv(fd, &b)) < 0)
            break;
        for (int i = 0; i < k; i++) {
            if (b.len[i] == sizeof marker)
                seen_marker = true;
            else
                received++;
        }
    }
    ok(seen_marker, "marker received");
    ok(b.drops_valid, "drop counter reported");
    is_uint(b.drops, 200 - received, "drops = sent - received (%d received)", received);
    sock_batch_fini(&b);
    sock_sender_close(&s);
    close(fd);
}

static void test_rcvbuf_large(void)
{
    char err[256];
    int eff = 0, req = 8 << 20;
    int fd = sock_udp_listen("127.0.0.1:0", req, &eff, err, sizeof err);

    ok(fd >= 0, "bind with 8 MiB asked");
    is_int(eff, expected_rcvbuf(req), "8 MiB: granted, or capped at rmem_max without privilege");
    if (fd >= 0)
        close(fd);

    fd = sock_udp_listen("127.0.0.1:0", 0, &eff, err, sizeof err);
    ok(fd >= 0 && eff > 0, "no request: the default is reported (%d)", eff);
    if (fd >= 0) {
        struct sockaddr_storage ss;
        socklen_t sl;
        int fd2;
        sock_resolve("127.0.0.1:0", &ss, &sl, err, sizeof err);
        ((struct sockaddr_in *)&ss)->sin_port = htons(sock_local_port(fd));
        fd2 = sock_udp_bind(&ss, sl, 0, NULL, err, sizeof err);
        is_int(fd2, -1, "second bind to a used port fails");
        ok(strstr(err, "bind 127.0.0.1:") && strstr(err, "Address already in use"),
           "bind error message: %.100s", err);
        close(fd);
    }
}

static void test_sender_errors(void)
{
    struct sock_sender s;
    uint8_t x[10] = {0};
    struct iovec v = {x, sizeof x};
    struct pollfd p;
    char err[256], dst[64];
    int fd;

    /* A port that was just in use and is closed now: the kernel answers port unreachable. */
    fd = sock_udp_listen("127.0.0.1:0", 0, NULL, err, sizeof err);
    snprintf(dst, sizeof dst, "127.0.0.1:%u", sock_local_port(fd));
    close(fd);
    is_int(sock_sender_open(&s, dst, 0, err, sizeof err), 0, "sender to a closed port");
    is_uint(sock_sender_send(&s, &v, 1), 1, "first datagram goes out");
    /* Wait for the ICMP error to land on the socket (POLLERR), bounded. */
    p = (struct pollfd){.fd = s.fd, .events = 0};
    ok(poll(&p, 1, 5000) == 1 && (p.revents & POLLERR), "ICMP error pending");
    is_uint(sock_sender_send(&s, &v, 1), 1, "second datagram sent on the retry");
    ok(s.refused == 1 && s.failed == 0 && s.sent == 2 && s.last_errno == ECONNREFUSED,
       "refusal counted, nothing lost (refused %ju failed %ju sent %ju)", (uintmax_t)s.refused,
       (uintmax_t)s.failed, (uintmax_t)s.sent);
    sock_sender_close(&s);
    is_uint(sock_sender_send(&s, &v, 1), 0, "send on a closed sender");
    ok(s.failed == 1 && s.last_errno == EBADF, "counted as failed");

    is_int(sock_sender_open(&s, "nowhere", 0, err, sizeof err), -1, "sender to bad text");
    is_int(s.fd, -1, "fd is -1 after a failed open");
}

/* ---- progress ---------------------------------------------------------- */

static void test_progress(void)
{
    char path[512];
    struct stat st;
    int saved = dup(STDERR_FILENO), fd;

    path_in_tmp(path, sizeof path, "stderr.txt");
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    ok(!progress_enabled(), "not enabled when stderr is a file");
    progress_update("count %d", 1);
    progress_update("count %d", 2);
    progress_done();
    dup2(saved, STDERR_FILENO);
    close(fd);
    ok(stat(path, &st) == 0 && st.st_size == 0, "nothing written when stderr is a file");

    /* On a terminal (a pty of 20 columns): exact bytes. */
    {
        static const char want[] = "\rcount 42\033[K"
                                   "\r\033[K"
                                   "\r0123456789abcdefghi\033[K"
                                   "\r\033[K";
        int master = posix_openpt(O_RDWR | O_NOCTTY), slave = -1;
        struct winsize ws = {.ws_row = 24, .ws_col = 20};
        struct termios t;
        char out[256];
        size_t len = 0;

        if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 ||
            (slave = open(ptsname(master), O_RDWR | O_NOCTTY)) < 0) {
            ok(1, "# SKIP no pty: %s", strerror(errno));
            if (master >= 0)
                close(master);
            close(saved);
            return;
        }
        tcgetattr(slave, &t);
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
        ioctl(slave, TIOCSWINSZ, &ws);
        dup2(slave, STDERR_FILENO);
        ok(progress_enabled(), "enabled when stderr is a terminal");
        progress_update("count %d", 42);
        progress_done();
        progress_done(); /* a second end writes nothing */
        progress_update("%s", "0123456789abcdefghijklmnopqrstuvwxyz");
        progress_done();
        dup2(saved, STDERR_FILENO);
        close(slave);
        while (len < sizeof want - 1) {
            struct pollfd p = {.fd = master, .events = POLLIN};
            ssize_t r;
            if (poll(&p, 1, 2000) != 1)
                break;
            if ((r = read(master, out + len, sizeof out - 1 - len)) <= 0)
                break;
            len += (size_t)r;
        }
        out[len] = '\0';
        is_int(len, sizeof want - 1, "bytes on the terminal");
        ok(memcmp(out, want, sizeof want - 1) == 0, "redraw, erase, cut to 19 columns, erase");
        close(master);
    }
    close(saved);
}

/* ---- daemon ------------------------------------------------------------ */

static void test_clocks(void)
{
    uint64_t a = clock_ms_mono(), b = clock_ms_mono();
    long long wall_s = (long long)(clock_ms_wall() / 1000), now = (long long)time(NULL);

    ok(a > 0 && b >= a, "monotonic clock does not go back");
    ok(wall_s - now <= 1 && now - wall_s <= 1, "wall clock is in ms since the epoch");
}

static void test_signals(void)
{
    struct sigaction sa;

    is_int(daemon_signals_init(), 0, "signal handlers installed");
    ok(sigaction(SIGTERM, NULL, &sa) == 0 && !(sa.sa_flags & SA_RESTART),
       "installed without SA_RESTART");
    ok(!daemon_take_reload() && !daemon_take_stats() && !daemon_stop_requested(),
       "no flags at start");
    raise(SIGHUP);
    ok(daemon_take_reload(), "SIGHUP: reload");
    ok(!daemon_take_reload(), "reload flag cleared by reading it");
    ok(!daemon_stop_requested() && !daemon_take_stats(), "SIGHUP sets nothing else");
    raise(SIGUSR1);
    ok(daemon_take_stats(), "SIGUSR1: stats");
    ok(!daemon_take_stats(), "stats flag cleared by reading it");
    raise(SIGPIPE);
    ok(1, "SIGPIPE is ignored (still alive)");
    raise(SIGINT);
    ok(daemon_stop_requested(), "SIGINT: stop");
    ok(daemon_stop_requested(), "stop stays set");
}

/* Reads what a child wrote into a pipe. */
static void read_all(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
}

static void test_pidfile(void)
{
    char path[512], text[64], want[768], msg[768];
    char *buf = NULL;
    size_t len;
    int p[2], status;
    pid_t child;

    path_in_tmp(path, sizeof path, "stale.pid");
    write_file(path, "99999\n", 6);
    is_int(daemon_pidfile_write(path, msg, sizeof msg), 0, "stale pid file is taken over");
    conffile_read(path, &buf, &len, msg, sizeof msg);
    snprintf(text, sizeof text, "%ld\n", (long)getpid());
    is_str(buf, text, "pid file holds our pid");
    free(buf);

    /* Another process cannot take it while we hold it. */
    if (pipe(p) != 0)
        return;
    fflush(stdout);
    if ((child = fork()) == 0) {
        close(p[0]);
        if (daemon_pidfile_write(path, msg, sizeof msg) == 0)
            _exit(1);
        write(p[1], msg, strlen(msg));
        _exit(0);
    }
    close(p[1]);
    read_all(p[0], msg, sizeof msg);
    close(p[0]);
    waitpid(child, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "second instance refused");
    snprintf(want, sizeof want, "%s: already in use by pid %ld", path, (long)getpid());
    is_str(msg, want, "refusal names the holder");

    ok(daemon_pidfile_removable(), "our pid file can be removed by us");
    is_int(daemon_pidfile_remove(path), 0, "pid file removal says removed");
    ok(access(path, F_OK) != 0 && errno == ENOENT, "pid file removed");
    is_int(daemon_pidfile_write(path, msg, sizeof msg), 0, "written again after removal");
    daemon_pidfile_remove(path);
}

static void test_check_dir(void)
{
    char dir[512], file[600], msg[1400], want[1400];

    path_in_tmp(dir, sizeof dir, "cd");
    path_in_tmp(file, sizeof file, "cd-file");
    mkdir(dir, 0755);
    write_file(file, "x", 1);
    is_int(daemon_check_dir(dir, 0, NULL, msg, sizeof msg), 0, "check_dir: a directory of ours");
    is_int(daemon_check_dir(file, 0, NULL, msg, sizeof msg), -1, "check_dir: a regular file");
    snprintf(want, sizeof want, "%s: not a directory", file);
    is_str(msg, want, "check_dir: ... says so");
    snprintf(file, sizeof file, "%s/a", dir);
    is_int(daemon_check_dir(file, 0, NULL, msg, sizeof msg), -1, "check_dir: missing, make 0");
    snprintf(want, sizeof want, "%s: %s", file, strerror(ENOENT));
    is_str(msg, want, "check_dir: ... named");
    is_int(daemon_check_dir(file, 1, NULL, msg, sizeof msg), 0,
           "check_dir: missing, its parent exists");
    snprintf(file, sizeof file, "%s/a/b/c", dir);
    is_int(daemon_check_dir(file, 1, NULL, msg, sizeof msg), -1,
           "check_dir: two levels missing, make 1");
    snprintf(want, sizeof want, "%s: %s/a/b: %s", file, dir, strerror(ENOENT));
    is_str(msg, want, "check_dir: ... names the missing parent");
    is_int(daemon_check_dir(file, -1, NULL, msg, sizeof msg), 0, "check_dir: make -1, as mkdir -p");
    is_int(daemon_user_check("no-such-user-fsn", msg, sizeof msg), -1, "user_check: unknown user");
    is_int(daemon_user_check("root", msg, sizeof msg), -1, "user_check: root refused");
    if (getuid() == 0 && getpwnam("nobody")) {
        chmod(dir, 0755);
        is_int(daemon_check_dir(dir, 0, "nobody", msg, sizeof msg), -1,
               "check_dir as root for nobody: a root directory of mode 0755 is not theirs");
        chmod(dir, 0757);
        is_int(daemon_check_dir(dir, 0, "nobody", msg, sizeof msg), 0,
               "check_dir as root for nobody: ... with o+w it is");
        chmod(dir, 0755);
    } else {
        ok(1, "# SKIP checks for another user need root and a user 'nobody'");
    }
    rmdir(dir);
}

static void test_drop_privileges(void)
{
    char msg[256];
    struct passwd *pw;
    uid_t nobody_uid;
    int p[2], status;
    pid_t child;

    is_int(daemon_drop_privileges("no-such-user-fsn", msg, sizeof msg), -1, "unknown user");
    is_str(msg, "user 'no-such-user-fsn': no such user", "unknown user message");
    is_int(daemon_drop_privileges("root", msg, sizeof msg), -1, "root refused");
    is_str(msg, "user 'root' has uid 0: refusing to run as root", "root message");

    /* getpwnam() returns a static struct that the calls above overwrote: look up now. */
    pw = getpwnam("nobody");
    if (getuid() != 0 || !pw) {
        ok(1, "# SKIP privilege drop needs root and a user 'nobody'");
        return;
    }
    nobody_uid = pw->pw_uid;
    if (pipe(p) != 0)
        return;
    fflush(stdout);
    if ((child = fork()) == 0) {
        /* The child reports "<ret> <uid> <euid> <setuid(0)> <errno> <second-drop>" back. */
        int ret, r0, e0, r2;
        gid_t groups[64];
        int ng;
        bool root_group = false;
        close(p[0]);
        ret = daemon_drop_privileges("nobody", msg, sizeof msg);
        r0 = setuid(0);
        e0 = errno;
        ng = getgroups(64, groups);
        for (int i = 0; i < ng; i++)
            root_group |= groups[i] == 0;
        r2 = daemon_drop_privileges("nobody", msg, sizeof msg);
        dprintf(p[1], "%d %ld %ld %d %d %d %d %d", ret, (long)getuid(), (long)geteuid(), r0, e0,
                getgid() == 0 || getegid() == 0 || root_group, r2,
                daemon_drop_privileges("daemon", msg, sizeof msg));
        dprintf(p[1], "|%s", msg);
        _exit(0);
    }
    close(p[1]);
    read_all(p[0], msg, sizeof msg);
    close(p[0]);
    waitpid(child, &status, 0);
    {
        int ret = 9, r0 = 9, e0 = 0, rootg = 9, r2 = 9, r3 = 9;
        long uid = 0, euid = 0;
        char *bar = strchr(msg, '|');
        sscanf(msg, "%d %ld %ld %d %d %d %d %d", &ret, &uid, &euid, &r0, &e0, &rootg, &r2, &r3);
        is_int(ret, 0, "drop to nobody");
        ok(uid == (long)nobody_uid && euid == (long)nobody_uid, "uid and euid are nobody's (%ld)",
           uid);
        ok(r0 == -1 && e0 == EPERM, "setuid(0) fails with EPERM afterwards");
        is_int(rootg, 0, "no root group left (gid, egid, supplementary)");
        is_int(r2, 0, "dropping again to the same user is a no-op");
        is_int(r3, -1, "switching to another user without root fails");
        is_str(bar ? bar + 1 : "", "cannot switch to user 'daemon': not running as root",
               "its message");
    }
}

/* State of a process from /proc: 0 when gone or a zombie (not reaped by our PID 1). */
static int alive(pid_t pid)
{
    char path[64], buf[256];
    FILE *f;
    char *close_paren;

    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if (!(f = fopen(path, "r")))
        return 0;
    if (!fgets(buf, sizeof buf, f))
        buf[0] = '\0';
    fclose(f);
    close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
}

static void link_target(pid_t pid, const char *what, char *out, size_t len)
{
    char path[64];
    ssize_t n;

    snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, what);
    n = readlink(path, out, len - 1);
    out[n > 0 ? n : 0] = '\0';
}

static void test_detach(void)
{
    char pidpath[512], msg[256], target[256];
    char *buf = NULL;
    size_t len;
    int status;
    pid_t child, d;

    path_in_tmp(pidpath, sizeof pidpath, "detach.pid");
    fflush(stdout);
    if ((child = fork()) == 0) {
        if (daemon_detach(msg, sizeof msg) != 0)
            _exit(2);
        /* Now the daemon: say ready, then wait for SIGTERM (at most 30 s). */
        daemon_signals_init();
        alarm(30);
        if (daemon_pidfile_write(pidpath, msg, sizeof msg) != 0)
            _exit(3);
        daemon_ready();
        while (!daemon_stop_requested())
            pause();
        daemon_pidfile_remove(pidpath);
        _exit(0);
    }
    waitpid(child, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "original process exits 0 after ready");
    ok(conffile_read(pidpath, &buf, &len, msg, sizeof msg) == 0, "daemon wrote its pid file");
    d = buf ? (pid_t)strtol(buf, NULL, 10) : 0;
    free(buf);
    ok(d > 0 && d != child, "daemon is another process (%ld)", (long)d);
    if (d <= 0)
        return;
    ok(getsid(d) > 0 && getsid(d) != getsid(0), "daemon is in a session of its own");
    ok(getsid(d) != d, "daemon is not a session leader (cannot get a terminal)");
    link_target(d, "cwd", target, sizeof target);
    is_str(target, "/", "daemon's directory is /");
    link_target(d, "fd/0", target, sizeof target);
    is_str(target, "/dev/null", "stdin is /dev/null");
    link_target(d, "fd/1", target, sizeof target);
    is_str(target, "/dev/null", "stdout is /dev/null");
    link_target(d, "fd/2", target, sizeof target);
    is_str(target, "/dev/null", "stderr is /dev/null after ready");
    kill(d, SIGTERM);
    for (int i = 0; i < 500 && alive(d); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ok(!alive(d), "daemon stopped on SIGTERM");
    ok(access(pidpath, F_OK) != 0, "and removed its pid file");

    /* A daemon that dies before daemon_ready(): the start fails. */
    fflush(stdout);
    if ((child = fork()) == 0) {
        if (daemon_detach(msg, sizeof msg) != 0)
            _exit(2);
        _exit(3);
    }
    waitpid(child, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 1, "original process exits 1 without ready");
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/fsn-common.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_conffile();
    test_help_sample();
    test_resolve();
    test_roundtrip("127.0.0.1:0", "127.0.0.1");
    test_roundtrip("[::1]:0", "::1");
    test_drops();
    test_rcvbuf_large();
    test_sender_errors();
    test_progress();
    test_clocks();
    test_pidfile();
    test_check_dir();
    test_drop_privileges();
    test_detach();
    test_signals();
    remove_tmpdir();
    return tap_done();
}
