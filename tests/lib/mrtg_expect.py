#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Expected MRTG targets for a statewriter spec: the ground truth of flowmrtg's tests,
written independently of the C code (its own index encoding, RFC 5952 text from Python's
ipaddress, its own name escaping, top-N ranking and prefix matching).

Usage: mrtg_expect.py SPECFILE --agent HOST:PORT --sysname NAME [--link BPS] [--top N]
                      [--filter CIDR]... [--tables LIST] [--v3-user USER] [--names]
                      [--cells CELLS]
Prints one line per target, sorted: NAME|TARGET|MAXBYTES|TITLE, where TARGET is the
value of Target[NAME] (OIDs, community@agent, version). With --names: the names only.
Understands the spec lines create, host, service, proto and exporter with NAME=V or
NAME+=V settings (the values only matter for the ranking) and `del`.

--cells CELLS (flowmrtg --host-services): the hosts x services cells, lines
"ADDR SERVICE pio poo pip pop uio uoo uip uop" as tests/lib/hostsvc_expect.py
prints them ("-" for the other hosts); for each host chosen (and the other row
when it is), a target per role whose octets are not zero. With --counters:
"NAME IN OUT" per cell target instead, its octet counters as the cells give them.
"""
import argparse
import html
import ipaddress
import shlex
import sys

ROOT = "1.3.6.1.4.1.8072.9999.9999.4242"


def inet_index(addr):
    if addr == "other":
        return (0, 0)
    a = ipaddress.ip_address(addr)
    return (1 if a.version == 4 else 2, len(a.packed)) + tuple(a.packed)


def escape(name):
    out = ""
    for b in name.encode():
        c = chr(b)
        if c.isascii() and (c.islower() or c.isdigit() or c in ".-"):
            out += c
        else:
            out += "_%02x" % b
    return out


def parse_spec(path):
    hosts, services, protos, exporters = {}, {}, {}, {}
    for line in open(path):
        t = shlex.split(line, comments=True)
        if not t:
            continue
        if t[0] == "del":
            table = {"host": hosts, "service": services, "proto": protos}.get(t[1])
            if table is not None:
                table.pop(t[2] if t[1] != "proto" else int(t[2]), None)
            else:
                exporters.pop((t[2], int(t[3])), None)
            continue
        if t[0] == "host":
            row = hosts.setdefault(t[1], {})
            rest = t[2:]
        elif t[0] == "service":
            row = services.setdefault(t[1], {})
            rest = t[2:]
            if rest[:1] == ["ports"]:
                row["ports"] = rest[1]
                rest = rest[2:]
        elif t[0] == "proto":
            row = protos.setdefault(int(t[1]), {})
            rest = t[2:]
            if rest and "=" not in rest[0]:
                row["name"] = rest[0]
                rest = rest[1:]
        elif t[0] == "exporter":
            row = exporters.setdefault((t[1], int(t[3])), {})
            rest = t[4:]
            if rest[:1] == ["version"]:
                row["version"] = int(rest[1])
                rest = rest[2:]
        else:
            continue
        for kv in rest:
            if "+=" in kv:
                k, v = kv.split("+=", 1)
                row[k] = row.get(k, 0) + int(v)
            else:
                k, v = kv.split("=", 1)
                row[k] = int(v) if v.isdigit() else v
    return hosts, services, protos, exporters


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("--agent", required=True)
    ap.add_argument("--sysname", required=True)
    ap.add_argument("--link", type=int, default=1000000000)
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--filter", action="append", default=[])
    ap.add_argument("--tables", default="totals,exporters,hosts,services,protocols")
    ap.add_argument("--community", default="public")
    ap.add_argument("--v3-user")
    ap.add_argument("--names", action="store_true")
    ap.add_argument("--cells")
    ap.add_argument("--counters", action="store_true")
    a = ap.parse_args()
    hosts, services, protos, exporters = parse_spec(a.spec)
    tables = a.tables.split(",")
    agent = (a.v3_user or a.community) + "@" + a.agent + "::::" + ("3" if a.v3_user else "2")
    nets = [ipaddress.ip_network(f) for f in a.filter]
    out, counters = [], []

    def add(name, obj_in, obj_out, maxbytes, head):
        target = "%s&%s:%s" % (obj_in, obj_out, agent)
        title = html.escape("%s -- %s" % (head, a.sysname), quote=True)
        out.append("%s|%s|%s|%s" % (name, target, maxbytes, title))

    def obj(table, col, idx):
        return "%s.1.%d.1.%d.%s" % (ROOT, table, col, ".".join(map(str, idx)))

    link_bytes = a.link // 8
    if "totals" in tables:
        add("total", ROOT + ".1.1.5.0", ROOT + ".1.1.6.0", link_bytes,
            "Traffic of all local hosts")
        add("total_records", ROOT + ".1.1.11.0", ROOT + ".1.1.12.0", 10000000,
            "Flow records received and lost")
    if "exporters" in tables:
        for (addr, dom), row in exporters.items():
            ip = ipaddress.ip_address(addr)
            idx = inet_index(addr) + (dom,)
            add("exp_%s-%d" % (str(ip).replace(":", "-"), dom), obj(2, 6, idx), obj(2, 7, idx),
                10000000, "Exporter %s, domain %d" % (ip, dom))
    chosen = []  # the hosts whose cells get targets: "other" or an ipaddress
    if "hosts" in tables or a.cells:
        cand = []
        for addr, row in hosts.items():
            if addr == "other":
                if not nets:
                    chosen.append("other")
                    if "hosts" in tables:
                        add("host_other", obj(3, 3, (0, 0)), obj(3, 4, (0, 0)), link_bytes,
                            "Other hosts")
                continue
            ip = ipaddress.ip_address(addr)
            if nets and not any(ip.version == n.version and ip in n for n in nets):
                continue
            cand.append((-(row.get("in_octets", 0) + row.get("out_octets", 0)),
                         inet_index(addr), ip))
        cand.sort()
        if a.top:
            cand = cand[:a.top]
        for _, idx, ip in cand:
            chosen.append(ip)
            if "hosts" in tables:
                add("host_" + str(ip).replace(":", "-"), obj(3, 3, idx), obj(3, 4, idx),
                    link_bytes, "Host %s" % ip)
    if a.cells:
        want = set(str(h) for h in chosen)
        for line in open(a.cells):
            f = line.split()
            if len(f) < 10:
                continue
            addr = "other" if f[0] == "-" else str(ipaddress.ip_address(f[0]))
            if addr not in want:
                continue
            name, v = f[1], [int(x) for x in f[2:10]]
            idx = inet_index(addr) + tuple(name.encode())
            host = "other" if addr == "other" else addr.replace(":", "-")
            what = "other traffic" if name == "other" else name
            for role, (cin, cout), octets in (("provides", (4, 5), v[0] + v[1]),
                                              ("uses", (10, 11), v[4] + v[5])):
                if not octets:
                    continue
                if addr == "other":
                    head = "Other hosts %s %s" % (role[:-1] if role == "provides" else "use",
                                                  what)
                else:
                    head = "Host %s %s %s" % (addr, role, what)
                tname = "host_%s_%s_%s" % (host, escape(name), role)
                add(tname, obj(6, cin, idx), obj(6, cout, idx), link_bytes, head)
                c = v[0:2] if role == "provides" else v[4:6]
                counters.append("%s %d %d" % (tname, c[0], c[1]))
    if a.counters:
        for line in sorted(counters):
            print(line)
        return 0
    if "services" in tables:
        for name in services:
            idx = tuple(name.encode())
            add("svc_" + escape(name), obj(4, 2, idx), obj(4, 3, idx), link_bytes,
                "Service %s" % name)
    if "protocols" in tables:
        for num, row in protos.items():
            label = row.get("name", "") or str(num)
            add("proto_" + escape(label), obj(5, 2, (num,)), obj(5, 3, (num,)), link_bytes,
                "Protocol %s" % label)
    for line in sorted(out):
        print(line.split("|")[0] if a.names else line)


if __name__ == "__main__":
    sys.exit(main())
