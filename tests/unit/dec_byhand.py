#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A deliberately small NetFlow v9 walker, for the few expected figures in
tests/unit/test_dec_pcap.c that tshark cannot give (it stops at the header's
record count, or at an element whose length it does not expect, or it meets
data before its template). Not the decoder under test: it only splits
flowsets, reads (type, length) template records, and adds up IN_BYTES (1) and
IN_PKTS (2) of fixed-length data records.

    tests/unit/dec_byhand.py FILE 'DISPLAY FILTER' [--twice]

--twice walks each datagram a second time, so that a data flowset that comes
before its template in the same datagram is counted (the first walk learns
the template). Prints one line per data flowset.
"""
import subprocess
import sys


def payloads(path, filt):
    out = subprocess.run(['tshark', '-r', path, '-Y', filt, '-T', 'fields', '-e', 'frame.number',
                          '-e', 'udp.payload'], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.strip():
            num, hexdata = line.split()
            yield int(num), bytes.fromhex(hexdata)


def u(b):
    return int.from_bytes(b, 'big')


TEMPLATES = {}


def walk(num, b):
    off, res = 20, []
    while len(b) - off >= 4:
        fid, flen = u(b[off:off + 2]), u(b[off + 2:off + 4])
        body = b[off + 4:off + flen]
        off += flen
        if fid == 0:
            o = 0
            while len(body) - o >= 4:
                tid, cnt = u(body[o:o + 2]), u(body[o + 2:o + 4])
                o += 4
                TEMPLATES[tid] = ('data', [(u(body[o + 4 * i:o + 4 * i + 2]),
                                            u(body[o + 4 * i + 2:o + 4 * i + 4])) for i in range(cnt)])
                o += 4 * cnt
        elif fid == 1:
            o = 0
            while len(body) - o >= 10:
                tid, sl, ol = u(body[o:o + 2]), u(body[o + 2:o + 4]), u(body[o + 4:o + 6])
                o += 6
                TEMPLATES[tid] = ('options', [(u(body[o + 4 * i:o + 4 * i + 2]),
                                               u(body[o + 4 * i + 2:o + 4 * i + 4]))
                                              for i in range((sl + ol) // 4)])
                o += sl + ol
        elif fid >= 256:
            kind, fields = TEMPLATES.get(fid, (None, None))
            if fields is None:
                res.append(f'frame {num} set {fid}: no template')
                continue
            reclen = sum(l for _, l in fields)
            count, pkts, octs = len(body) // reclen, 0, 0
            for r in range(count):
                o = r * reclen
                for t, l in fields:
                    if kind == 'data' and t == 1:
                        octs += u(body[o:o + l])
                    if kind == 'data' and t == 2:
                        pkts += u(body[o:o + l])
                    o += l
            res.append(f'frame {num} set {fid} ({kind}, {reclen}-byte records): '
                       f'records {count} packets {pkts} octets {octs}')
    return res


def main():
    path, filt = sys.argv[1], sys.argv[2]
    twice = '--twice' in sys.argv[3:]
    for num, b in payloads(path, filt):
        res = walk(num, b)
        if twice:
            res = walk(num, b)
        print('\n'.join(res))


if __name__ == '__main__':
    main()
