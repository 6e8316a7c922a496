/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The state file on disk: open an existing one and check it, or create a
 * new one under a temporary name and rename it into place once it holds
 * every counter, so that a reader never maps a half-written file. The
 * layout and the seqlock are lib/state.c's; this file does the I/O.
 *
 * One writer: the file is locked with flock() while a writer has it, and a
 * second collector on the same file fails to start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "rrd/agg_int.h"

static void *map_fd(int fd, size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Creates the new file under sf->tmp, formatted, mapped and locked. */
static int create_tmp(struct agg_sf *sf, const struct fsn_state_caps *caps, uint64_t now_s,
                      char *err, size_t errlen)
{
    size_t size = fsn_state_size(caps);
    int fd;

    snprintf(sf->tmp, sizeof sf->tmp, "%s.tmp.%ld", sf->path, (long)getpid());
    fd = open(sf->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "state file %s: %s", sf->tmp, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || ftruncate(fd, (off_t)size) != 0) {
        snprintf(err, errlen, "state file %s: %s", sf->tmp, strerror(errno));
        goto fail;
    }
    sf->hdr = map_fd(fd, size);
    if (!sf->hdr) {
        snprintf(err, errlen, "state file %s: mmap: %s", sf->tmp, strerror(errno));
        goto fail;
    }
    sf->size = size;
    sf->fd = fd;
    if (fsn_state_format(sf->hdr, size, caps, now_s, "flowsnmp " FSN_VERSION) != 0) {
        snprintf(err, errlen, "state file %s: cannot lay out", sf->tmp);
        return -1;
    }
    return 0;
fail:
    close(fd);
    unlink(sf->tmp);
    sf->tmp[0] = '\0';
    return -1;
}

/* Whether the added tables of a file have the capacities wanted. */
static bool same_xt(const struct fsn_state_hdr *h, const struct fsn_state_caps *caps)
{
    for (int k = 0; k < FSN_STATE_XT_NKINDS; k++)
        if (h->xt[k].cap != caps->xt[k])
            return false;
    return true;
}

int agg__sf_open(struct agg_sf *sf, const char *path, const struct fsn_state_caps *caps,
                 uint32_t step, uint64_t now_s, char *err, size_t errlen)
{
    struct stat st;
    struct fsn_state_hdr *old = NULL;
    size_t old_size = 0;
    int fd;

    memset(sf, 0, sizeof *sf);
    sf->fd = -1;
    if (strlen(path) >= sizeof sf->path) {
        snprintf(err, errlen, "state file name too long");
        return -1;
    }
    snprintf(sf->path, sizeof sf->path, "%s", path);

    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) {
        snprintf(err, errlen, "state file %s: %s", path, strerror(errno));
        return -1;
    }
    if (fd >= 0) {
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(err, errlen, "state file %s is in use by another writer", path);
            close(fd);
            return -1;
        }
        if (fstat(fd, &st) == 0 && st.st_size >= FSN_STATE_HDR_SIZE)
            old = map_fd(fd, (size_t)st.st_size);
        if (old)
            old_size = (size_t)st.st_size;
        if (!old || fsn_state_check(old, old_size) != 0) {
            /* Unreadable: keep it for a human to look at, and start anew. */
            char aside[1200];
            snprintf(aside, sizeof aside, "%s.bad-%ju", path, (uintmax_t)now_s);
            if (old)
                munmap(old, old_size);
            old = NULL;
            if (rename(path, aside) != 0) {
                snprintf(err, errlen, "state file %s is unreadable and cannot be renamed: %s",
                         path, strerror(errno));
                close(fd);
                return -1;
            }
            sf->renamed_aside = true;
            close(fd);
            fd = -1;
        }
    }
    if (old && old->exporter_cap == caps->exporters && old->host_cap == caps->hosts &&
        old->service_cap == caps->services && same_xt(old, caps)) {
        /* Same shape: keep writing into it, so readers keep their mapping. */
        sf->hdr = old;
        sf->size = old_size;
        sf->fd = fd;
        sf->hdr->step = step;
        return 0;
    }
    if (create_tmp(sf, caps, now_s, err, errlen) != 0) {
        if (old)
            munmap(old, old_size);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    sf->hdr->step = step;
    if (old) {
        /* Another shape (config changed): the counters go on, nothing restarts. */
        sf->hdr->created = old->created;
        sf->hdr->discontinuity = old->discontinuity;
        sf->prev = old;
        sf->prev_size = old_size;
        close(fd); /* the mapping stays valid; the lock moves to the new file */
    }
    return 0;
}

int agg__sf_commit(struct agg_sf *sf, char *err, size_t errlen)
{
    if (sf->prev) {
        /* Tell readers of the old file that it is no longer written. */
        ((struct fsn_state_hdr *)sf->prev)->writer_pid = 0;
        munmap((void *)sf->prev, sf->prev_size);
        sf->prev = NULL;
    }
    if (!sf->tmp[0])
        return 0;
    msync(sf->hdr, sf->size, MS_SYNC);
    if (rename(sf->tmp, sf->path) != 0) {
        snprintf(err, errlen, "state file %s: rename: %s", sf->path, strerror(errno));
        return -1;
    }
    sf->tmp[0] = '\0';
    return 0;
}

void agg__sf_close(struct agg_sf *sf)
{
    if (sf->prev)
        munmap((void *)sf->prev, sf->prev_size);
    if (sf->hdr) {
        msync(sf->hdr, sf->size, MS_SYNC);
        munmap(sf->hdr, sf->size);
    }
    if (sf->tmp[0])
        unlink(sf->tmp);
    if (sf->fd >= 0)
        close(sf->fd);
    memset(sf, 0, sizeof *sf);
    sf->fd = -1;
}
