/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/pcapfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pcap_t *pcapfile_open(const char *path, char **buf, char *errbuf)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    pcap_t *p;

    *buf = NULL;
    if (!f) {
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if ((*buf = malloc(PCAPFILE_BUFSIZE)) != NULL)
        setvbuf(f, *buf, _IOFBF, PCAPFILE_BUFSIZE);
    p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, perr);
    if (!p) {
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "%.200s: %s", path, perr);
        fclose(f);
        free(*buf);
        *buf = NULL;
    }
    return p;
}
