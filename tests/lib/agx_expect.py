#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Expected FLOWSNMP-MIB walk for a statewriter spec: the ground truth side of the
subagent's tests, written independently of the C code (its own index encoding, OID
ordering and DateAndTime). Prints the lines `snmpwalk -On -Oq` prints for the whole
MIB, in OID order.

Usage: agx_expect.py SPECFILE [SYNTH_OK]
Understands the spec lines create, header, scalar, host, service, proto, exporter and
synth, with NAME=V settings (not +=, not del), the subset the tests write.
"""
import datetime
import ipaddress
import shlex
import sys

ROOT = (1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4242)
CTRS = ["in_octets", "out_octets", "in_packets", "out_packets", "in_flows", "out_flows"]


def kv(tokens):
    out = {}
    for t in tokens:
        k, v = t.split("=", 1)
        out[k] = v
    return out


def date_and_time(t):
    if t == 0:
        return bytes(8)
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return bytes([d.year >> 8, d.year & 255, d.month, d.day, d.hour, d.minute, d.second,
                  0, ord("+"), 0, 0])


def inet_index(addr):
    if addr == "other":
        return (0, 0)
    a = ipaddress.ip_address(addr)
    b = a.packed
    return (1 if a.version == 4 else 2, len(b)) + tuple(b)


def c64(v):
    return ("n", int(v))


def text(s):
    return ("s", s)


def octets(b):
    return ("x", b)


def fmt(v):
    kind, val = v
    if kind == "n":
        return str(val)
    if kind == "s":
        return '"%s"' % val
    return '"' + "".join("%02X " % x for x in val) + '"'


def main():
    hdr = {"software": "", "created": 0, "discontinuity": None, "updated": 0}
    sc = {}
    hosts, services, protos, exporters = {}, {}, {}, {}
    for line in open(sys.argv[1]):
        tok = shlex.split(line, comments=True)
        if not tok:
            continue
        what = tok[0]
        if what == "create":
            a = kv(tok[1:])
            hdr["software"] = a.get("software", "statewriter")
            hdr["created"] = int(a.get("created", 0))
            hdr["discontinuity"] = int(a["discontinuity"]) if "discontinuity" in a else None
        elif what == "header":
            for k, v in kv(tok[1:]).items():
                hdr[k] = v if k == "software" else int(v)
        elif what == "scalar":
            sc.update({k: int(v) for k, v in kv(tok[1:]).items()})
        elif what == "host":
            hosts.setdefault(tok[1], {}).update({k: int(v) for k, v in kv(tok[2:]).items()})
        elif what == "synth":
            base = int(ipaddress.ip_address(kv(tok[2:]).get("base", "10.0.0.0")))
            for i in range(int(tok[1])):
                hosts[str(ipaddress.ip_address(base + i))] = {
                    "in_octets": 1000 * i + 1, "out_octets": 2000 * i + 2,
                    "in_packets": 10 * i + 3, "out_packets": 20 * i + 4,
                    "in_flows": i + 5, "out_flows": 2 * i + 6,
                    "first_seen": 1700000000 + i, "last_seen": 1700000000 + 2 * i + 1}
        elif what == "service":
            rest, d = tok[2:], services.setdefault(tok[1], {"ports": ""})
            if rest and rest[0] == "ports":
                d["ports"], rest = rest[1], rest[2:]
            for k, v in kv(rest).items():
                d[k] = v if k == "ports" else int(v)
        elif what == "proto":
            rest, d = tok[2:], protos.setdefault(int(tok[1]), {"name": ""})
            if rest and "=" not in rest[0]:
                d["name"], rest = rest[0], rest[1:]
            for k, v in kv(rest).items():
                d[k] = v if k == "name" else int(v)
        elif what == "exporter":
            rest, fields = tok[2:], {}
            i = 0
            while i < len(rest):
                if rest[i] in ("domain", "version"):
                    fields[rest[i]] = int(rest[i + 1])
                    i += 2
                else:
                    k, v = rest[i].split("=", 1)
                    fields[k] = int(v)
                    i += 1
            key = (tok[1], fields.get("domain", 0))
            exporters.setdefault(key, {}).update(fields)
        else:
            sys.exit("agx_expect: unsupported spec line: " + line)
    if hdr["discontinuity"] is None:
        hdr["discontinuity"] = hdr["created"]

    rows = []
    o = ROOT + (1,)
    scal = {1: text(hdr["software"][:31]), 2: octets(date_and_time(hdr["created"])),
            3: octets(date_and_time(hdr["discontinuity"])),
            4: octets(date_and_time(hdr["updated"])),
            11: c64(sc.get("records", 0)), 12: c64(sc.get("records_lost", 0)),
            13: c64(sc.get("malformed", 0)), 14: c64(sc.get("hosts_in_use", 0)),
            15: c64(sc.get("late", 0))}
    for i, name in enumerate(CTRS):
        scal[5 + i] = c64(sc.get(name, 0))
    for col, v in scal.items():
        rows.append((o + (1, col, 0), v))

    for (addr, dom), e in exporters.items():
        idx = inet_index(addr) + (dom,)
        cols = {4: c64(e.get("version", 0)), 5: c64(e.get("datagrams", 0)),
                6: c64(e.get("records", 0)), 7: c64(e.get("records_lost", 0)),
                8: c64(e.get("malformed", 0)), 9: c64(e.get("templates", 0)),
                10: octets(date_and_time(e.get("last_seen", 0)))}
        for col, v in cols.items():
            rows.append((o + (2, 1, col) + idx, v))

    for addr, h in hosts.items():
        idx = inet_index(addr)
        for i, name in enumerate(CTRS):
            rows.append((o + (3, 1, 3 + i) + idx, c64(h.get(name, 0))))
        # A time that is not known (the other row's, always) has no instance.
        for col, name in ((9, "first_seen"), (10, "last_seen")):
            if int(h.get(name, 0)):
                rows.append((o + (3, 1, col) + idx, octets(date_and_time(h[name]))))

    for name, s in services.items():
        idx = tuple(name.encode())
        for i, c in enumerate(CTRS):
            rows.append((o + (4, 1, 2 + i) + idx, c64(s.get(c, 0))))
        rows.append((o + (4, 1, 8) + idx, text(s["ports"])))

    for num, p in protos.items():
        for i, c in enumerate(CTRS):
            rows.append((o + (5, 1, 2 + i, num), c64(p.get(c, 0))))
        rows.append((o + (5, 1, 8, num), text(p["name"])))

    for oid, v in sorted(rows):
        print("." + ".".join(map(str, oid)), fmt(v))


if __name__ == "__main__":
    main()
