#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Hand-built NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagrams for the
collector's tests, printed as one hex line each. Independent of lib/enc.

    nfcraft.py FORMAT KIND [key=value ...]

FORMAT: v9 or ipfix. KIND:
    tmpl       a datagram with the data template (id 256, or tid=)
    data       a datagram with n= data records of template tid= (default 256)
    both       the template and the data in one datagram
    withdraw   IPFIX: a withdrawal of template tid= (tid=2: all data templates)
    stream     msgs= datagrams of n= records each, one per line: the first with the
               template, records numbered on from first=, sequence numbers on from seq=
keys: dom= observation domain / source id (default 7), seq= sequence number
(default 0), t= export time in Unix seconds (default 1700000000), n= records
(default 3), first= index of the first record (default 0), tid=.

Record i (0-based, i = first .. first+n-1): 10.0.0.(i%250+1):(1000+i) ->
192.0.2.(i%250+1):80, TCP, packets i+1, octets 100*(i+1), ending one second
before the export time and lasting 500 ms. So n records from first=0 hold
n(n+1)/2 packets and 100 times that in octets.
"""
import struct
import sys

# IPFIX element ids; v9 uses the same numbers for these, and 22/21 for times.
FIELDS_IPFIX = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 8), (1, 8), (152, 8), (153, 8)]
FIELDS_V9 = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 8), (1, 8), (22, 4), (21, 4)]
UPTIME_MS = 3600000  # the v9 exporter's sysUptime at export


def record(fmt, i, t):
    end_ms = t * 1000 - 1000
    start_ms = end_ms - 500
    src = bytes([10, 0, 0, i % 250 + 1])
    dst = bytes([192, 0, 2, i % 250 + 1])
    head = src + dst + struct.pack('!HHBQQ', 1000 + i, 80, 6, i + 1, 100 * (i + 1))
    if fmt == 'ipfix':
        return head + struct.pack('!QQ', start_ms, end_ms)
    # v9: sysUptime-relative: uptime at export minus how long before export.
    return head + struct.pack('!II', UPTIME_MS - (t * 1000 - start_ms), UPTIME_MS - (t * 1000 - end_ms))


def template_set(fmt, tid):
    fields = FIELDS_IPFIX if fmt == 'ipfix' else FIELDS_V9
    body = struct.pack('!HH', tid, len(fields)) + b''.join(struct.pack('!HH', f, l) for f, l in fields)
    set_id = 2 if fmt == 'ipfix' else 0
    return struct.pack('!HH', set_id, 4 + len(body)) + body


def data_set(fmt, tid, first, n, t):
    body = b''.join(record(fmt, i, t) for i in range(first, first + n))
    return struct.pack('!HH', tid, 4 + len(body)) + body


def withdraw_set(tid):
    # RFC 7011 section 8.1: a template record with field count 0.
    return struct.pack('!HHHH', 2, 8, tid, 0)


def message(fmt, sets, dom, seq, t, count):
    payload = b''.join(sets)
    if fmt == 'ipfix':
        return struct.pack('!HHIII', 10, 16 + len(payload), t, seq, dom) + payload
    return struct.pack('!HHIIII', 9, count, UPTIME_MS, t, seq, dom) + payload


def main():
    fmt, kind = sys.argv[1], sys.argv[2]
    kv = dict(a.split('=', 1) for a in sys.argv[3:])
    dom = int(kv.get('dom', 7))
    seq = int(kv.get('seq', 0))
    t = int(kv.get('t', 1700000000))
    n = int(kv.get('n', 3))
    first = int(kv.get('first', 0))
    tid = int(kv.get('tid', 256))
    if kind == 'stream':
        for m in range(int(kv.get('msgs', 10))):
            k = 'both' if m == 0 else 'data'
            f = first + m * n
            s = seq + (m * n if fmt == 'ipfix' else m)
            sets = ([template_set(fmt, tid)] if k == 'both' else []) + [data_set(fmt, tid, f, n, t)]
            print(message(fmt, sets, dom, s, t, n + (k == 'both')).hex())
        return
    sets, count = [], 0
    if kind in ('tmpl', 'both'):
        sets.append(template_set(fmt, tid))
        count += 1
    if kind in ('data', 'both'):
        sets.append(data_set(fmt, tid, first, n, t))
        count += n
    if kind == 'withdraw':
        sets.append(withdraw_set(tid))
    print(message(fmt, sets, dom, seq, t, count).hex())


if __name__ == '__main__':
    main()
