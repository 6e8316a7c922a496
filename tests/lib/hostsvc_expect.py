#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Hosts x services cells expected from a flowgen truth file, computed from
the rules of docs/counting.md ("Hosts x services") independently of the C code.

usage: hostsvc_expect.py TRUTH NETS SERVICES
  NETS      local networks, comma-separated CIDRs
  SERVICES  in config order, space-separated NAME=PROTO/PORT[-PORT],...
            (protocols tcp, udp, icmp or numbers)
Prints one line per cell with traffic:
  "ADDR SERVICE pio poo pip pop uio uoo uip uop"  (octets and packets, provided
  then used; in = towards the host) and "- SERVICE ..." for the services'
  other host (the flows' further services when a flow matched several).
Flows are not compared: a probe splits a flow into records by its timeouts.
"""
import ipaddress
import sys
from collections import defaultdict

PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "sctp": 132}


def parse_services(spec):
    out = []
    for item in spec.split():
        name, ranges = item.split("=", 1)
        rs = []
        for r in ranges.split(","):
            p, ports = r.split("/")
            lo, _, hi = ports.partition("-")
            rs.append((PROTO.get(p, None) or int(p), int(lo), int(hi or lo)))
        out.append((name, rs))
    return out


def main():
    truth, nets, spec = sys.argv[1], sys.argv[2], sys.argv[3]
    nets = [ipaddress.ip_network(n) for n in nets.split(",")]
    services = parse_services(spec)
    cells = defaultdict(lambda: [0] * 8)

    def local(a):
        return any(a in n for n in nets if n.version == a.version)

    def svc_of(proto, port):
        return [i for i, (_, rs) in enumerate(services)
                if any(p == proto and lo <= port <= hi for p, lo, hi in rs)]

    for line in open(truth):
        if line.startswith("#"):
            continue
        f = line.split()
        if len(f) < 9:
            continue
        src, dst = ipaddress.ip_address(f[1]), ipaddress.ip_address(f[2])
        sport, dport, proto = int(f[3]), int(f[4]), int(f[5])
        pkts, octs = int(f[7]), int(f[8])
        for d, host, own, peer in ((0, dst, dport, sport), (1, src, sport, dport)):
            if not local(host):
                continue
            mine, theirs = svc_of(proto, own), svc_of(proto, peer)
            matched = sorted(set(mine) | set(theirs))
            if mine:
                primary, role = min(mine), 0
            elif theirs:
                primary, role = min(theirs), 1
            else:
                primary = None
                ported = proto in (6, 17, 132, 136)
                role = 0 if ported and own <= peer else 1
            name = services[primary][0] if primary is not None else "other"
            c = cells[(str(host), name)]
            c[role * 4 + d] += octs
            c[role * 4 + 2 + d] += pkts
            for s in matched:
                if s == primary:
                    continue
                r = 0 if s in mine else 1
                c = cells[("-", services[s][0])]
                c[r * 4 + d] += octs
                c[r * 4 + 2 + d] += pkts
    for (h, s), c in sorted(cells.items()):
        print(h, s, *c)


if __name__ == "__main__":
    main()
