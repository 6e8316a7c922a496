/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Template persistence: every exporter session's templates and learned
 * options state (fsn_dec_save) in one file of the spool directory, written
 * under a temporary name and renamed, and read back at start so that data
 * after a restart decodes at once. The file written at a clean stop also
 * carries each session's sequence state (v5 sessions too), so that the
 * first datagram after the restart counts what was sent meanwhile; every
 * other save leaves it out, since a crash after it would make the records
 * received in between look lost.
 *
 * File: "FSNTPLS\n", u32 format (1), u32 count, then per session u32 length
 * and the blob of fsn_dec_save() (which carries its own key and checksum).
 * Big-endian. Its size follows from the bounds on templates (each saved
 * template is smaller than what it costs in memory, see docs/collector.md).
 */
#ifndef COLL_TMPL_H
#define COLL_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/coll_exp.h"

#define COLL_TMPL_FILE "templates.fsnt"

/* What a restore did. */
struct coll_tmpl_result {
    unsigned sessions;  /* sessions restored */
    unsigned templates; /* templates they hold */
    unsigned sequences; /* of the sessions, those that got their sequence state back */
    unsigned rejected;  /* blobs not restored: damaged, not allowed, table full, limits */
};

/*
 * Writes the sessions of `t` worth saving (templates, a sampling interval,
 * or with `with_seq` a known sequence number) into DIR/templates.fsnt (via
 * DIR/templates.fsnt.tmp, fsync, rename). Returns 0, or -1 with a message
 * in err.
 */
int coll_tmpl_save(int dirfd, const struct coll_exptab *t, bool with_seq, char *err, size_t errlen);

/*
 * Reads DIR/templates.fsnt, creating a session in `t` for each saved one
 * whose exporter `allowed` accepts (NULL: all) and that the table's bounds
 * admit, and restoring its templates (and sequence state). A missing file
 * is no error. Returns 0, or -1 with a message in err when the file exists
 * but cannot be read at all; damaged or refused entries are skipped and
 * counted in r->rejected.
 */
int coll_tmpl_restore(int dirfd, struct coll_exptab *t,
                      bool (*allowed)(void *arg, const struct fsn_addr *a), void *arg,
                      struct coll_tmpl_result *r, char *err, size_t errlen);

#endif
