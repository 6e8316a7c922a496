#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes the seed corpus of tests/fuzz/fuzz_pkt.c into tests/fuzz/corpus/pkt/.

Each file is one selector byte (index into fuzz_pkt.c's link-type list)
followed by a frame: every link type and encapsulation the parser handles,
plus truncated copies, plus a few frames cut from the captures in
shared/data when they are present. Run from the repository root:
    python3 tests/fuzz/gen_pkt_corpus.py
"""
import os
import struct
import sys

# Same order as dlts[] in tests/fuzz/fuzz_pkt.c.
SEL = {"null": 0, "en10mb": 1, "raw": 2, "raw_bsd": 3, "linktype_raw": 4, "loop": 5,
       "sll": 6, "ipv4": 7, "ipv6": 8, "sll2": 9, "unsup": 10}

A4, B4 = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 2])
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db800000000000000000000abcd")
MACS = bytes.fromhex("001122334455" "66778899aabb")


def tcp(sport=1234, dport=80, flags=0x12):
    return struct.pack(">HHIIBBHHH", sport, dport, 1, 2, 0x50, flags, 65535, 0, 0)


def udp(sport=53, dport=5353, payload=b"abcd"):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(t=8, c=0):
    return struct.pack(">BBHI", t, c, 0, 0x12340001)


def ip4(proto, l4, tos=0, ident=1, frag=0, opts=b"", tot=None):
    ihl = 5 + len(opts) // 4
    if tot is None:
        tot = ihl * 4 + len(l4)
    return struct.pack(">BBHHHBBH", 0x40 | ihl, tos, tot, ident, frag, 64, proto, 0) + \
        A4 + B4 + opts + l4


def ip6(nh, payload, tc=0, plen=None):
    if plen is None:
        plen = len(payload)
    return struct.pack(">IHBB", 0x60000000 | tc << 20 | 0xabcde, plen, nh, 64) + A6 + B6 + payload


def ext(nh, length=0):
    return bytes([nh, length]) + bytes(6 + 8 * length)


def frag6(nh, offset, more, ident):
    return struct.pack(">BBHI", nh, 0, offset << 3 | more, ident)


def eth(etype, payload):
    return MACS + struct.pack(">H", etype) + payload


def vlan(tci, etype):
    return struct.pack(">HH", tci, etype)


def sll(proto, payload, hatype=1):
    return struct.pack(">HHH", 0, hatype, 6) + MACS[:6] + b"\0\0" + struct.pack(">H", proto) + payload


def sll2(proto, payload, hatype=1):
    return struct.pack(">HHIHBB", proto, 0, 3, hatype, 4, 6) + MACS[:6] + b"\0\0" + payload


def pppoe(proto, payload):
    return struct.pack(">BBHH", 0x11, 0, 0x1234, len(payload) + len(proto)) + proto + payload


V4TCP = ip4(6, tcp(), tos=0x10)
V6UDP = ip6(17, udp(), tc=0xb8)

seeds = {
    "eth_ipv4_tcp": ("en10mb", eth(0x0800, V4TCP)),
    "eth_ipv4_padded": ("en10mb", eth(0x0800, ip4(6, tcp())) + bytes(6)),
    "eth_ipv4_opts_udp": ("en10mb", eth(0x0800, ip4(17, udp(), opts=b"\x01" * 8))),
    "eth_ipv4_tso": ("en10mb", eth(0x0800, ip4(6, tcp() + bytes(40), tot=0))),
    "eth_ipv4_icmp": ("en10mb", eth(0x0800, ip4(1, icmp(3, 3)))),
    "eth_ipv4_sctp": ("en10mb", eth(0x0800, ip4(132, udp()))),
    "eth_ipv4_udplite": ("en10mb", eth(0x0800, ip4(136, udp()))),
    "eth_ipv4_gre": ("en10mb", eth(0x0800, ip4(47, bytes(4) + ip4(17, udp())))),
    "eth_ipv4_frag_first": ("en10mb", eth(0x0800, ip4(6, tcp() + bytes(16), frag=0x2000))),
    "eth_ipv4_frag_later": ("en10mb", eth(0x0800, ip4(6, bytes(24), frag=185))),
    "eth_ipv6_udp": ("en10mb", eth(0x86dd, V6UDP)),
    "eth_ipv6_icmpv6": ("en10mb", eth(0x86dd, ip6(58, icmp(128, 0)))),
    "eth_ipv6_ext_chain": ("en10mb", eth(0x86dd, ip6(0, ext(43) + ext(60, 2) + ext(17, 1) + udp()))),
    "eth_ipv6_ah_tcp": ("en10mb", eth(0x86dd, ip6(51, bytes([6, 4]) + bytes(22) + tcp()))),
    "eth_ipv6_esp": ("en10mb", eth(0x86dd, ip6(50, bytes(24)))),
    "eth_ipv6_mobility": ("en10mb", eth(0x86dd, ip6(135, ext(59, 1)))),
    "eth_ipv6_frag_first": ("en10mb", eth(0x86dd, ip6(44, frag6(17, 0, 1, 0xdeadbeef) + udp()))),
    "eth_ipv6_frag_later": ("en10mb", eth(0x86dd, ip6(44, frag6(17, 179, 1, 0xdeadbeef) + bytes(16)))),
    "eth_ipv6_jumbo": ("en10mb", eth(0x86dd, ip6(0, bytes([6, 0, 0xc2, 4]) + struct.pack(">I", 70028) + tcp(), plen=0))),
    "eth_vlan_ipv4": ("en10mb", eth(0x8100, vlan(0xa064, 0x0800) + V4TCP)),
    "eth_qinq_88a8_ipv6": ("en10mb", eth(0x88a8, vlan(200, 0x8100) + vlan(100, 0x86dd) + V6UDP)),
    "eth_qinq_9100_ipv4": ("en10mb", eth(0x9100, vlan(200, 0x8100) + vlan(100, 0x0800) + V4TCP)),
    "eth_vlan_arp": ("en10mb", eth(0x8100, vlan(5, 0x0806) + bytes(28))),
    "eth_mpls_ipv4": ("en10mb", eth(0x8847, struct.pack(">I", 16000 << 12 | 0x100 | 64) + V4TCP)),
    "eth_mpls3_ipv6": ("en10mb", eth(0x8848, struct.pack(">III", 100 << 12 | 64, 200 << 12 | 64,
                                                         2 << 12 | 0x100 | 64) + V6UDP)),
    "eth_mpls_pw": ("en10mb", eth(0x8847, struct.pack(">II", 300 << 12 | 0x100 | 64, 0) + bytes(40))),
    "eth_pppoe_ipv4": ("en10mb", eth(0x8864, pppoe(b"\x00\x21", V4TCP))),
    "eth_pppoe_ipv6": ("en10mb", eth(0x8864, pppoe(b"\x00\x57", V6UDP))),
    "eth_pppoe_pfc": ("en10mb", eth(0x8864, pppoe(b"\x21", V4TCP))),
    "eth_pppoe_lcp": ("en10mb", eth(0x8864, pppoe(b"\xc0\x21", bytes(10)))),
    "eth_snap_ipv4": ("en10mb", eth(48, b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + V4TCP)),
    "eth_llc_stp": ("en10mb", eth(38, b"\x42\x42\x03" + bytes(35))),
    "eth_lldp": ("en10mb", eth(0x88cc, bytes(46))),
    "sll_ipv4": ("sll", sll(0x0800, V4TCP)),
    "sll_vlan_ipv6": ("sll", sll(0x8100, vlan(7, 0x86dd) + V6UDP)),
    "sll_llc_snap": ("sll", sll(0x0004, b"\xaa\xaa\x03\x00\x00\x00\x86\xdd" + V6UDP)),
    "sll_netlink": ("sll", sll(0x0000, bytes(20), hatype=824)),
    "sll_radiotap": ("sll", sll(0x0003, bytes(20), hatype=803)),
    "sll2_ipv6": ("sll2", sll2(0x86dd, V6UDP)),
    "sll2_ipv4": ("sll2", sll2(0x0800, V4TCP)),
    "raw_ipv4": ("raw", V4TCP),
    "raw_bsd_ipv6": ("raw_bsd", V6UDP),
    "linktype_raw_ipv4": ("linktype_raw", ip4(1, icmp())),
    "dlt_ipv4": ("ipv4", V4TCP),
    "dlt_ipv6": ("ipv6", V6UDP),
    "null_le_ipv4": ("null", struct.pack("<I", 2) + V4TCP),
    "null_be_ipv6": ("null", struct.pack(">I", 30) + V6UDP),
    "null_le_ipv6_28": ("null", struct.pack("<I", 28) + V6UDP),
    "loop_ipv6": ("loop", struct.pack(">I", 24) + V6UDP),
    "loop_ipv4": ("loop", struct.pack(">I", 2) + V4TCP),
    "unsupported": ("unsup", eth(0x0800, V4TCP)),
}

# Truncated copies: cut inside the link header, the IP header and the L4 header.
for name, cut in [("eth_ipv4_tcp", 10), ("eth_ipv4_tcp", 30), ("eth_ipv4_tcp", 44),
                  ("eth_ipv6_ext_chain", 70), ("eth_ipv6_frag_first", 60),
                  ("eth_qinq_88a8_ipv6", 20), ("eth_mpls3_ipv6", 24), ("eth_pppoe_ipv4", 21),
                  ("sll_vlan_ipv6", 18), ("sll2_ipv6", 50), ("null_le_ipv4", 3),
                  ("raw_ipv4", 19), ("eth_snap_ipv4", 19)]:
    sel, frame = seeds[name]
    seeds["trunc_%s_%d" % (name, cut)] = (sel, frame[:cut])


def pcap_frames(path, wanted):
    """Yields (index, frame) for the wanted 0-based indexes of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    pos, i = 24, 0
    while pos + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        if i in wanted:
            yield i, data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
        i += 1


# A few real frames, whole, when shared/data is there.
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")
REAL = [("zeek_q-in-q.pcap", "en10mb", [0, 4]), ("zeek_icmp_dot1q.pcap", "en10mb", [4]),
        ("ndpi_kakaotalk_sll.pcap", "sll", [0, 24]), ("ndpi_ocs_rawip.pcap", "linktype_raw", [0]),
        ("zeek_ipv6-fragmented-dns.pcap", "en10mb", [3, 5]),
        ("zeek_ipv4_fragmented-3.pcap", "en10mb", [0, 1])]
for fname, sel, idx in REAL:
    path = os.path.join(DATA, fname)
    if not os.path.exists(path):
        print("skipping %s: not found" % path, file=sys.stderr)
        continue
    for i, frame in pcap_frames(path, idx):
        seeds["real_%s_%d" % (fname.replace(".pcap", ""), i + 1)] = (sel, frame)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "pkt")
os.makedirs(out, exist_ok=True)
for name, (sel, frame) in sorted(seeds.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([SEL[sel]]) + frame)
print("%d seeds in %s" % (len(seeds), out))
