/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capture files for libpcap, read through a large stdio buffer. libpcap
 * reads a file record by record, two freads each; glibc ignores a buffer
 * size given without the buffer itself and then reads 4 KiB at a time, so
 * the buffer is ours: one read(2) per 256 KiB (128 KiB to 1 MiB measured
 * alike, 4 MiB, beyond the L2 cache, slower).
 */
#ifndef FSN_COMMON_PCAPFILE_H
#define FSN_COMMON_PCAPFILE_H

#include <pcap/pcap.h>

#define PCAPFILE_BUFSIZE (1u << 18)

/*
 * Opens `path` ("-": standard input) with microsecond timestamps. *buf
 * receives the stdio buffer (NULL if none could be had: stdio's own is
 * used), which the caller frees after pcap_close(). Returns NULL with
 * "PATH: reason" in errbuf (PCAP_ERRBUF_SIZE bytes).
 */
pcap_t *pcapfile_open(const char *path, char **buf, char *errbuf);

#endif
