/* SPDX-License-Identifier: BSD-2-Clause */
#include "lib/error.h"

const char *fsn_strerror(int err)
{
    switch (err) {
    case FSN_OK:
        return "success";
#define FSN_ERR_TEXT(name, code, text)                                      \
    case FSN_E_##name:                                                      \
        return text;
        FSN_ERRORS(FSN_ERR_TEXT)
#undef FSN_ERR_TEXT
    default:
        return "unknown error";
    }
}
