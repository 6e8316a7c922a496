/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: the IPFIX (RFC 7011) decoder over sequences of datagrams (fuzz_dec.h). */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_dec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_dec_run(FSN_DEC_IPFIX, data, size);
    fuzz_restore(FSN_DEC_IPFIX, data, size);
    return 0;
}
