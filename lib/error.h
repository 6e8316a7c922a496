/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Error codes of libflowsnmp: 0 is success, every failure is a negative
 * FSN_E_* code. One table (FSN_ERRORS) gives both the codes and the text
 * that fsn_strerror() returns, so the two cannot drift apart.
 */
#ifndef FSN_ERROR_H
#define FSN_ERROR_H

#define FSN_ERRORS(X)                                                       \
    X(TRUNC, -1, "input truncated")                                        \
    X(BADVER, -2, "unsupported version")                                   \
    X(BADLEN, -3, "length field inconsistent with data")                   \
    X(NOMEM, -4, "out of memory")                                          \
    X(RANGE, -5, "value out of range")                                     \
    X(NOTMPL, -6, "no template for data set")                              \
    X(LIMIT, -7, "configured limit reached")                               \
    X(UNSUP, -8, "unsupported encapsulation or feature")                   \
    X(SYNTAX, -9, "syntax error")                                          \
    X(BADTMPL, -10, "malformed template")                                  \
    X(SPACE, -11, "output buffer too small")                               \
    X(NOTIP, -12, "not an IP packet")                                      \
    X(MALFORMED, -13, "malformed packet")                                  \
    X(EXISTS, -14, "already exists")                                       \
    X(NOTFOUND, -15, "not found")                                          \
    X(IO, -16, "input/output error")                                       \
    X(BADFILE, -17, "not a file of the expected format")

enum fsn_err {
    FSN_OK = 0,
#define FSN_ERR_ENUM(name, code, text) FSN_E_##name = (code),
    FSN_ERRORS(FSN_ERR_ENUM)
#undef FSN_ERR_ENUM
};

/* Returns a static, human-readable text for an FSN_E_* code (or for 0). */
const char *fsn_strerror(int err);

#endif
