#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Per-exporter NetFlow/IPFIX figures from tshark's decode of a capture.

The expected figures in tests/unit/test_dec_pcap.c come from this script:
    tests/unit/dec_tshark.py FILE [-d udp.port==PORT,cflow]
It runs `tshark -r FILE -T pdml [-d ...]` (an independent decoder) and adds
up, per (exporter address, version, source id / observation domain):
datagrams, flow data records, options data records, and the packets and
octets of each record, choosing among the counters as lib/dec_rec.c does
(docs/decoding.md): packets = packetDeltaCount, else packetTotalCount,
else postPacketDeltaCount, else initiatorPackets; octets likewise. A record
whose reverse counters (RFC 5103, PEN 29305; or responderOctets/Packets)
are non-zero adds a reverse record. The figures are raw (tshark does not
apply sampling). Data sets tshark could not decode (no template seen before
them in file order) are listed, so that a test can account for them.
"""
import collections
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

FWD_OCT = ['cflow.octets', 'cflow.permanent_octets', 'cflow.post_octets', 'cflow.initiator_octets']
FWD_PKT = ['cflow.packets', 'cflow.permanent_packets', 'cflow.post_packets', 'cflow.initiator_packets']


def first(vals, names):
    for n in names:
        if n in vals:
            return vals[n]
    return 0


def main():
    path, extra = sys.argv[1], sys.argv[2:]
    xml = subprocess.run(['tshark', '-r', path, '-T', 'pdml'] + extra,
                         capture_output=True, check=True).stdout
    root = ET.fromstring(xml)
    kinds = {}
    stats = collections.OrderedDict()
    for num, pkt in enumerate(root.findall('packet'), 1):
        src, cf = None, None
        for p in pkt.findall('proto'):
            if p.get('name') in ('ip', 'ipv6') and src is None:
                for f in p.iter('field'):
                    if f.get('name') in ('ip.src', 'ipv6.src'):
                        src = f.get('show')
                        break
            if p.get('name') == 'cflow' and cf is None:
                cf = p
        if cf is None:
            continue
        ver = dom = None
        for f in cf.findall('field'):
            if f.get('name') == 'cflow.version':
                ver = f.get('show')
            if f.get('name') in ('cflow.source_id', 'cflow.od_id'):
                dom = f.get('show')
        if ver == '5':
            dom = None
            for f in cf.iter('field'):
                if f.get('name') == 'cflow.engine_type':
                    et = int(f.get('show'))
                if f.get('name') == 'cflow.engine_id':
                    dom = str(et << 8 | int(f.get('show')))
        key = (src, ver, dom)
        s = stats.setdefault(key, dict(dgrams=0, recs=0, rev=0, pk=0, oc=0, rpk=0, roc=0,
                                       opt=0, undecoded=[]))
        s['dgrams'] += 1
        if ver == '5':
            for f in cf.iter('field'):
                if f.get('name') == 'cflow.packets':
                    s['pk'] += int(f.get('show'))
                    s['recs'] += 1
                if f.get('name') == 'cflow.octets':
                    s['oc'] += int(f.get('show'))
            continue
        for fs in cf.findall('field'):
            kids = fs.findall('field')
            fid = [int(c.get('show')) for c in kids if c.get('name') == 'cflow.flowset_id']
            if not fid:
                continue
            fid = fid[0]
            if fid in (0, 1, 2, 3):
                for t in kids:
                    for c in t.findall('field'):
                        if c.get('name') == 'cflow.template_id':
                            kinds[(key, c.get('show'))] = 'opt' if fid in (1, 3) else 'data'
                continue
            kind = kinds.get((key, str(fid)))
            if kind is None or not any(c.get('name') == 'cflow.template_frame' for c in kids):
                s['undecoded'].append((num, fid))
                continue
            for rec in kids:
                if not re.match(r'Flow \d+$', rec.get('show') or ''):
                    continue
                if kind == 'opt':
                    s['opt'] += 1
                    continue
                fwd, rev = {}, {}
                for c in rec.iter('field'):
                    name = c.get('name')
                    if not name or not (name.endswith('octets') or name.endswith('packets')):
                        continue
                    try:
                        v = int(c.get('show'))
                    except (TypeError, ValueError):
                        continue
                    d = rev if 'Reverse' in (c.get('showname') or '') else fwd
                    d.setdefault(name, v)
                s['recs'] += 1
                s['pk'] += first(fwd, FWD_PKT)
                s['oc'] += first(fwd, FWD_OCT)
                rpk = first(rev, FWD_PKT) or fwd.get('cflow.responder_packets', 0)
                roc = first(rev, FWD_OCT) or fwd.get('cflow.responder_octets', 0)
                if rpk or roc:
                    s['rev'] += 1
                    s['rpk'] += rpk
                    s['roc'] += roc
    for (src, ver, dom), s in stats.items():
        print(f"{src} v{ver} domain {dom}: datagrams {s['dgrams']} records {s['recs']} "
              f"packets {s['pk']} octets {s['oc']} reverse {s['rev']} rpackets {s['rpk']} "
              f"roctets {s['roc']} options {s['opt']} undecoded {s['undecoded']}")


if __name__ == '__main__':
    main()
