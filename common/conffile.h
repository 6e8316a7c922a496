/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Config files on disk: read one whole (bounded in size) and run the
 * table-driven parser of lib/conf.h over it; and print, from the same
 * directive table, the --help text and a commented sample config.
 */
#ifndef FSN_COMMON_CONFFILE_H
#define FSN_COMMON_CONFFILE_H

#include <stddef.h>
#include <stdio.h>

#include "lib/conf.h"

/* Largest config file accepted: a config this big is a mistake (wrong file). */
#define CONFFILE_MAX_SIZE (1024 * 1024)

/*
 * Reads the file at `path` into a NUL-terminated buffer that the caller
 * frees (*buf, *len without the NUL). Returns 0, or FSN_E_IO (cannot open
 * or read, or a directory) or FSN_E_LIMIT (larger than CONFFILE_MAX_SIZE)
 * with "PATH: reason" in err.
 */
int conffile_read(const char *path, char **buf, size_t *len, char *err, size_t errlen);

/*
 * Reads `path` and parses it against the `n` directives of `dirs`, calling
 * their handlers with ctx. Returns 0 or a negative FSN_E_* code with
 * "PATH: reason" or "PATH:LINE: message" in err. Nothing is kept.
 */
int conffile_load(const char *path, const struct fsn_conf_directive *dirs, size_t n, void *ctx,
                  char *err, size_t errlen);

/*
 * Prints one entry per directive for --help: "  name ARGS", then its help
 * text wrapped and indented, with its default and whether it may repeat.
 */
void conffile_print_help(FILE *f, const struct fsn_conf_directive *dirs, size_t n);

/*
 * Prints a sample config: per directive, comment lines with the synopsis,
 * the help text and the default, then the directive itself commented out
 * ("#name DEFAULT", or "#name ARGS" when there is no default), so that
 * uncommenting a line with a default gives a line that parses.
 */
void conffile_print_sample(FILE *f, const struct fsn_conf_directive *dirs, size_t n);

#endif
