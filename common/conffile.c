/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"

/* Width of the wrapped help text, comment marker or indentation included. */
#define WRAP_COLUMNS 78

int conffile_read(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    char *data = NULL;
    size_t used = 0, cap = 0;
    int fd = -1, ret;

    *buf = NULL;
    *len = 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        ret = FSN_E_IO;
        goto out;
    }
    /*
     * Read until end of file rather than trusting st_size, so that pipes and
     * /dev/stdin work too; stop one byte past the limit to tell "too big".
     */
    for (;;) {
        ssize_t got;
        if (used == cap) {
            size_t ncap = cap ? cap * 2 : 16384;
            char *grown;
            if (ncap > CONFFILE_MAX_SIZE + 1)
                ncap = CONFFILE_MAX_SIZE + 1;
            if (ncap == cap) {
                snprintf(err, errlen, "%s: larger than %d bytes; is this a config file?", path,
                         CONFFILE_MAX_SIZE);
                ret = FSN_E_LIMIT;
                goto out;
            }
            if (!(grown = realloc(data, ncap + 1))) {
                snprintf(err, errlen, "%s: %s", path, fsn_strerror(FSN_E_NOMEM));
                ret = FSN_E_NOMEM;
                goto out;
            }
            data = grown;
            cap = ncap;
        }
        got = read(fd, data + used, cap - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            ret = FSN_E_IO;
            goto out;
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
    if (used > CONFFILE_MAX_SIZE) {
        snprintf(err, errlen, "%s: larger than %d bytes; is this a config file?", path,
                 CONFFILE_MAX_SIZE);
        ret = FSN_E_LIMIT;
        goto out;
    }
    if (!data && !(data = malloc(1))) {
        snprintf(err, errlen, "%s: %s", path, fsn_strerror(FSN_E_NOMEM));
        ret = FSN_E_NOMEM;
        goto out;
    }
    data[used] = '\0';
    *buf = data;
    *len = used;
    data = NULL;
    ret = 0;
out:
    free(data);
    if (fd >= 0)
        close(fd);
    return ret;
}

int conffile_load(const char *path, const struct fsn_conf_directive *dirs, size_t n, void *ctx,
                  char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len;
    int ret;

    if ((ret = conffile_read(path, &buf, &len, err, errlen)) < 0)
        return ret;
    ret = fsn_conf_parse(buf, len, path, dirs, n, ctx, err, errlen);
    free(buf);
    return ret;
}

/*
 * Prints `text` as words wrapped to WRAP_COLUMNS, each line starting with
 * `prefix`. Words longer than a line are printed whole on a line of their own.
 */
static void wrap(FILE *f, const char *prefix, const char *text)
{
    size_t plen = strlen(prefix), col = 0;
    const char *p = text;

    while (*p) {
        size_t wl;
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        wl = strcspn(p, " ");
        if (col > 0 && col + 1 + wl > WRAP_COLUMNS) {
            fputc('\n', f);
            col = 0;
        }
        if (col == 0) {
            fputs(prefix, f);
            col = plen;
        } else {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, wl, f);
        col += wl;
        p += wl;
    }
    if (col > 0)
        fputc('\n', f);
}

/* The help sentence plus the facts from the table, as one paragraph. */
static void describe(char *out, size_t len, const struct fsn_conf_directive *d)
{
    snprintf(out, len, "%s%s%s%s%s", d->help ? d->help : "", d->deflt ? " Default: " : "",
             d->deflt ? d->deflt : "", d->deflt ? "." : "",
             d->repeatable ? " May be given more than once." : "");
}

void conffile_print_help(FILE *f, const struct fsn_conf_directive *dirs, size_t n)
{
    char text[1024];

    fputs("Configuration directives:\n", f);
    for (size_t i = 0; i < n; i++) {
        const struct fsn_conf_directive *d = &dirs[i];
        fprintf(f, "  %s%s%s\n", d->name, d->args && d->args[0] ? " " : "", d->args ? d->args : "");
        describe(text, sizeof text, d);
        wrap(f, "      ", text);
    }
}

void conffile_print_sample(FILE *f, const struct fsn_conf_directive *dirs, size_t n)
{
    char text[1024];

    for (size_t i = 0; i < n; i++) {
        const struct fsn_conf_directive *d = &dirs[i];
        const char *args = d->args ? d->args : "";
        if (i > 0)
            fputc('\n', f);
        fprintf(f, "# %s%s%s\n", d->name, args[0] ? " " : "", args);
        describe(text, sizeof text, d);
        wrap(f, "#   ", text);
        if (d->deflt)
            fprintf(f, "#%s%s%s\n", d->name, d->deflt[0] ? " " : "", d->deflt);
        else
            fprintf(f, "#%s%s%s\n", d->name, args[0] ? " " : "", args);
    }
}
