/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: the NetFlow v9 (RFC 3954) decoder over sequences of datagrams (fuzz_dec.h). */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_dec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_dec_run(FSN_DEC_V9, data, size);
    fuzz_restore(FSN_DEC_V9, data, size);
    return 0;
}
