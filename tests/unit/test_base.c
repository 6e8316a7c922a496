/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for lib/error, lib/buf, lib/flow and lib/state. */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/flow.h"
#include "lib/state.h"
#include "tests/tap.h"

static void test_error(void)
{
    is_str(fsn_strerror(0), "success", "strerror(0)");
    is_str(fsn_strerror(FSN_E_TRUNC), "input truncated", "strerror(TRUNC)");
    is_str(fsn_strerror(-9999), "unknown error", "strerror(unknown)");
}

static void test_buf(void)
{
    const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
    struct fsn_rd r = fsn_rd_make(in, sizeof in);
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    uint8_t out[6];
    struct fsn_wr w = fsn_wr_make(out, sizeof out);

    ok(fsn_rd_u8(&r, &u8) && u8 == 1, "rd_u8");
    ok(fsn_rd_u16(&r, &u16) && u16 == 0x0203, "rd_u16 big-endian");
    ok(fsn_rd_u32(&r, &u32) && u32 == 0x04050607, "rd_u32 big-endian");
    ok(!fsn_rd_u32(&r, &u32), "rd_u32 past the end fails");
    is_uint(fsn_rd_left(&r), 2, "failed read does not advance");
    ok(fsn_rd_uint(&r, 2, &u64) && u64 == 0x0809, "rd_uint of 2 bytes");
    ok(!fsn_rd_u8(&r, &u8), "empty cursor");

    ok(fsn_wr_u32(&w, 0xdeadbeef) && fsn_wr_u16(&w, 0x0102), "wr fits");
    ok(!fsn_wr_u8(&w, 1) && w.overflow, "wr overflow is flagged");
    is_uint(fsn_wr_len(&w), 6, "wr length");
    ok(out[0] == 0xde && out[3] == 0xef && out[5] == 0x02, "wr big-endian");
}

static void test_flow(void)
{
    struct fsn_flow_key a, b;

    memset(&a, 0, sizeof a);
    a.family = FSN_FAMILY_IPV4;
    a.src[0] = 10;
    a.dst[0] = 192;
    a.sport = 1234;
    a.dport = 80;
    a.proto = FSN_PROTO_TCP;
    b = a;
    ok(fsn_flow_key_eq(&a, &b), "equal keys compare equal");
    is_uint(fsn_flow_key_hash(&a, 7), fsn_flow_key_hash(&b, 7), "equal keys hash equal");
    b.sport = 1235;
    ok(!fsn_flow_key_eq(&a, &b), "different port differs");
    ok(fsn_flow_key_hash(&a, 7) != fsn_flow_key_hash(&b, 7), "different port hashes apart");
    ok(fsn_flow_key_hash(&a, 7) != fsn_flow_key_hash(&a, 8), "seed changes the hash");
}

static void test_state(void)
{
    struct fsn_state_caps caps = {.exporters = 4, .hosts = 10, .services = 3};
    size_t size = fsn_state_size(&caps);
    void *mem = calloc(1, size);
    struct fsn_state_hdr *h = mem;
    struct fsn_state_host *row, copy;

    ok(size > FSN_STATE_HDR_SIZE, "state size %zu", size);
    is_int(fsn_state_format(mem, size, &caps, 1000, "test"), 0, "format");
    is_int(fsn_state_check(mem, size), 0, "check accepts a fresh file");
    is_int(fsn_state_check(mem, size - 1), FSN_E_BADFILE, "check rejects a short file");
    row = fsn_state_host(h, 9);
    ok((char *)(row + 1) <= (char *)mem + h->services_off, "last host row inside its section");
    fsn_state_write_begin(&row->seq);
    ok(row->seq & 1, "seq odd while writing");
    is_int(fsn_state_read(row, &copy, sizeof copy, 3), FSN_E_LIMIT, "reader refuses a busy row");
    row->c.in_octets = 42;
    fsn_state_write_end(&row->seq);
    is_int(fsn_state_read(row, &copy, sizeof copy, 3), 0, "reader gets a quiet row");
    is_uint(copy.c.in_octets, 42, "row value read back");
    h->version = 99;
    is_int(fsn_state_check(mem, size), FSN_E_BADVER, "check rejects another version");
    free(mem);
}

int main(void)
{
    test_error();
    test_buf();
    test_flow();
    test_state();
    return tap_done();
}
