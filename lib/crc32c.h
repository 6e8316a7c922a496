/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected, as in iSCSI,
 * RFC 3720 appendix B.4, and SCTP, RFC 4960 appendix B): the checksum of
 * flow file blocks. Uses the SSE4.2 crc32 instruction when the CPU has it,
 * a table otherwise; both give the same result.
 */
#ifndef FSN_CRC32C_H
#define FSN_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continues a CRC-32C over data[0..len): pass 0 to start, and the previous
 * result to checksum a buffer in pieces. The caller owns `data`.
 */
uint32_t fsn_crc32c(uint32_t crc, const void *data, size_t len);

/* The table-driven version, always available (exported for the tests). */
uint32_t fsn__crc32c_sw(uint32_t crc, const void *data, size_t len);

#endif
