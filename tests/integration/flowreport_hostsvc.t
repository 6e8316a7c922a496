#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowreport -s hostservice: the hosts x services matrix of the local hosts,
# with the provided and used roles (docs/counting.md), against
#  - figures computed by hand for a small hand-written flow file;
#  - a Python implementation of the counting rules (ref.py below, which
#    shares no code with flowreport) over 20000 random records;
#  - a flowgen capture through flowprobe and flowcollectd, whose config
#    flowreport reads with -c: every cell equals ref.py over the records,
#    and its packets and bytes equal ref.py over the generator's truth;
# and the output formats, -n and the orders, the config (-c) and bad keys.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"

FR=$BIN/flowreport
GEN=$TOOLS/flowfilegen
[ -x "$FR" ] && [ -x "$GEN" ] || bail "build $FR and $GEN first (make)"
need_cmd python3
export TZ=UTC

# ref.py CONF ORDER TOP < "proto src sport dst dport packets bytes" lines: the
# matrix as flowreport's CSV should be. Rules: docs/counting.md, "Direction"
# and "Hosts x services"; only the config's local-network and service lines
# are read (the test configs name their services).
cat >"$T/ref.py" <<'PY'
import functools, ipaddress, sys

conf, order, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "sctp": 132}
nets, svcs = [], []
for line in open(conf):
    w = line.split("#")[0].split()
    if w and w[0] == "local-network":
        nets.append(ipaddress.ip_network(w[1]))
    elif w and w[0] == "service":
        ranges = []
        for r in w[2:]:
            p, ports = r.split("/")
            lo, _, hi = ports.partition("-")
            ranges.append((PROTO[p] if p in PROTO else int(p), int(lo), int(hi or lo)))
        svcs.append((w[1], ranges))
if not nets:
    nets = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]

def inside(ranges, proto, port):
    return any(p == proto and lo <= port <= hi for p, lo, hi in ranges)

@functools.lru_cache(maxsize=None)
def addr(text):
    return ipaddress.ip_address(text)

@functools.lru_cache(maxsize=None)
def local(a):
    return any(a.version == n.version and a in n for n in nets)

K = {"flows": 0, "packets": 1, "bytes": 2}[order]
rows, cells = {}, {}
for line in sys.stdin:
    proto, src, sport, dst, dport, pk, by = line.split()
    proto, sport, dport, pk, by = int(proto), int(sport), int(dport), int(pk), int(by)
    # Direction 0 (in): the destination is the host; 1 (out): the source.
    ends = [(addr(dst), dport, sport), (addr(src), sport, dport)]
    for d, (h, own, peer) in enumerate(ends):
        if not local(h):
            continue
        r = rows.setdefault(h, [0] * 6)
        r[3 * d] += 1; r[3 * d + 1] += pk; r[3 * d + 2] += by
        # One cell per end: the first service of its own port (provides),
        # else the first of the other end's port (uses), else "other".
        mine = [n for n, rs in svcs if inside(rs, proto, own)]
        theirs = [n for n, rs in svcs if inside(rs, proto, peer)]
        if mine:
            matched = [(mine[0], True)]
        elif theirs:
            matched = [(theirs[0], False)]
        else:
            matched = [("other", proto in (6, 17, 132, 136) and own <= peer)]
        for n, provides in matched:
            c = cells.setdefault(h, {}).setdefault(n, [0] * 12)
            g = (0 if provides else 2) + d
            c[3 * g] += 1; c[3 * g + 1] += pk; c[3 * g + 2] += by

hosts = sorted(rows, key=lambda h: (-(rows[h][K] + rows[h][3 + K]), h.version, h.packed))
print("host,service," + ",".join(f"{r}_{d}_{c}" for r in ("provided", "used")
                                 for d in ("in", "out") for c in ("flows", "packets", "bytes")))
for h in hosts[:top] if top else hosts:
    mine = cells.get(h, {})
    names = sorted((n for n in mine if n != "other"),
                   key=lambda n: (-sum(mine[n][3 * g + K] for g in range(4)), n))
    for n in names + ["other"]:
        print(",".join([str(h), n] + [str(v) for v in mine.get(n, [0] * 12)]))
PY
# records SPEC: a flowfilegen spec as ref.py's input.
records() { awk '!/^#/ && NF >= 10 { print $3, $4, $5, $6, $7, $8, $9 }' "$1"; }

# ---- A hand-written file, with a collector's config ----
cat >"$T/flowsnmp.conf" <<'EOF'
# flowcollectd's config: flowreport reads the local-network and service lines.
listen 127.0.0.1:2055
spool /var/lib/flowsnmp/spool
rotate 5m
allow 127.0.0.0/8 ::1
step 300
state-file /var/lib/flowsnmp/state
agentx-socket /var/agentx/master
local-network 10.0.0.0/24 lan
local-network 2001:db8:1::/48
service https tcp/443 udp/443
service web tcp/80 tcp/443 tcp/8080
service dns udp/53 tcp/53
EOF
# start_ms end_ms proto src sport dst dport packets bytes exporter
cat >"$T/hand.spec" <<'EOF'
1700000000000 1700000010000 6  10.0.0.1      40000 192.0.2.10    443   10  5000  192.0.2.1
1700000000000 1700000010000 6  192.0.2.10    443   10.0.0.1      40000 12  90000 192.0.2.1
1700000001000 1700000011000 6  198.51.100.7  51000 10.0.0.2      443   30  3000  192.0.2.1
1700000001000 1700000011000 6  10.0.0.2      443   198.51.100.7  51000 40  60000 192.0.2.1
1700000002000 1700000002000 17 10.0.0.1      5353  10.0.0.2      53    2   150   192.0.2.1
1700000002000 1700000002000 17 10.0.0.2      53    10.0.0.1      5353  2   300   192.0.2.1
1700000003000 1700000003000 17 10.0.0.2      53    192.0.2.53    53    1   80    192.0.2.1
1700000003000 1700000003000 17 192.0.2.53    53    10.0.0.2      53    1   120   192.0.2.1
1700000004000 1700000009000 6  203.0.113.9   60000 10.0.0.3      22    50  4000  192.0.2.1
1700000004000 1700000009000 6  10.0.0.3      33000 203.0.113.9   8443  5   500   192.0.2.1
1700000005000 1700000006000 1  10.0.0.1      0     10.0.0.3      2048  3   252   192.0.2.1
1700000005000 1700000006000 6  2001:db8:1::5 40001 2001:db8:ff::1 80   7   7000  192.0.2.1
1700000006000 1700000007000 6  192.0.2.1     1     198.51.100.1  2     1   100   192.0.2.1
1700000007000 1700000008000 47 10.0.0.3      0     192.0.2.99    0     7   7000  192.0.2.1
EOF
"$GEN" -o "$T/hand.fsn" "$T/hand.spec"
ok $? "flowfilegen wrote the hand-written file"
H=$T/hand.fsn
C=$T/flowsnmp.conf

# By hand (bytes per host: 10.0.0.1 95702, 10.0.0.2 63650, 10.0.0.3 11752,
# 2001:db8:1::5 7000). 10.0.0.1 is the client of https (443 is in web too,
# but an end counts in one cell: the first configured service), and of the local resolver
# 10.0.0.2, which also asks 192.0.2.53 from port 53 (53 <-> 53 counts as
# provided). 10.0.0.3: no service; sshd on 22 < 60000 provides, 33000 >
# 8443 uses, ICMP and GRE (no ports) use. 192.0.2.1 -> 198.51.100.1 is
# transit: not in the matrix.
HDR="host,service,provided_in_flows,provided_in_packets,provided_in_bytes,provided_out_flows,provided_out_packets,provided_out_bytes,used_in_flows,used_in_packets,used_in_bytes,used_out_flows,used_out_packets,used_out_bytes"
is "$("$FR" -R "$H" -c "$C" -s host/service -o csv)" "$HDR
10.0.0.1,https,0,0,0,0,0,0,1,12,90000,1,10,5000
10.0.0.1,dns,0,0,0,0,0,0,1,2,300,1,2,150
10.0.0.1,other,0,0,0,0,0,0,0,0,0,1,3,252
10.0.0.2,https,1,30,3000,1,40,60000,0,0,0,0,0,0
10.0.0.2,dns,2,3,270,2,3,380,0,0,0,0,0,0
10.0.0.2,other,0,0,0,0,0,0,0,0,0,0,0,0
10.0.0.3,other,1,50,4000,0,0,0,1,3,252,2,12,7500
2001:db8:1::5,web,0,0,0,0,0,0,0,0,0,1,7,7000
2001:db8:1::5,other,0,0,0,0,0,0,0,0,0,0,0,0" "-s host/service -c: the matrix computed by hand"
is "$("$FR" -R "$H" -c "$C" -s hostservice -o csv | md5sum)" \
    "$("$FR" -R "$H" -c "$C" -s host/service -o csv | md5sum)" "hostservice is host/service"
is "$(records "$T/hand.spec" | python3 "$T/ref.py" "$C" bytes 0)" \
    "$("$FR" -R "$H" -c "$C" -s hostservice -o csv)" "ref.py agrees with the hand computation"
# By packets: 10.0.0.2 76, 10.0.0.3 65, 10.0.0.1 29, 2001:db8:1::5 7; by
# flows 10.0.0.2 6, 10.0.0.1 5, 10.0.0.3 4: -n 2 keeps every cell of the two,
# by flows too (10.0.0.2: dns 4, https 2; 10.0.0.1: 2 each, by name).
is "$("$FR" -R "$H" -c "$C" -s host/service/packets -n 0 -o csv | cut -d, -f1 | uniq | tr '\n' ' ')" \
    "host 10.0.0.2 10.0.0.3 10.0.0.1 2001:db8:1::5 " "/packets: hosts by in + out packets"
is "$("$FR" -R "$H" -c "$C" -s hostservice/flows -n 2 -o csv | cut -d, -f1,2 | tr '\n' ' ')" \
    "host,service 10.0.0.2,dns 10.0.0.2,https 10.0.0.2,other 10.0.0.1,dns 10.0.0.1,https 10.0.0.1,other " \
    "/flows -n 2: the top 2 hosts, each with all its cells"
for o in packets flows; do
    is "$("$FR" -R "$H" -c "$C" -s "hostservice/$o" -n 0 -o csv)" \
        "$(records "$T/hand.spec" | python3 "$T/ref.py" "$C" "$o" 0)" "/$o: ref.py agrees"
done

# Without -c: the private networks and the built-in services (ssh tcp/22,
# domain, mdns udp/5353: 5353 <-> 53 counts for both, and 10.0.0.1 provides
# mdns); 2001:db8:1::5 is not local.
"$FR" -R "$H" -s hostservice -n 0 -o csv >"$T/defaults.csv"
is "$(grep -E '^10\.0\.0\.(1,mdns|2,domain|3),' "$T/defaults.csv")" \
    "10.0.0.1,mdns,1,2,300,1,2,150,0,0,0,0,0,0
10.0.0.2,domain,2,3,270,2,3,380,0,0,0,0,0,0
10.0.0.3,ssh,1,50,4000,0,0,0,0,0,0,0,0,0
10.0.0.3,other,0,0,0,0,0,0,1,3,252,2,12,7500" "without -c: private networks, built-in services"
is "$(cut -d, -f1 "$T/defaults.csv" | sort -u | tr '\n' ' ')" "10.0.0.1 10.0.0.2 10.0.0.3 host " \
    "without -c: 2001:db8:1::5 is not local"

# ---- Output formats ----
"$FR" -R "$H" -c "$C" -s hostservice -o json >"$T/m.json"
"$FR" -R "$H" -c "$C" -s hostservice -o csv >"$T/m.csv"
python3 - "$T/m.json" "$T/m.csv" <<'PY'
import csv, json, sys
rows = json.load(open(sys.argv[1]))
table = list(csv.reader(open(sys.argv[2])))
head, body = table[0], table[1:]
assert len(rows) == len(body) == 9, (len(rows), len(body))
for obj, line in zip(rows, body):
    assert list(obj) == head, (list(obj), head)
    assert isinstance(obj["host"], str) and isinstance(obj["service"], str), obj
    assert all(isinstance(obj[k], int) for k in head[2:]), obj
    assert [str(obj[k]) for k in head] == line, (obj, line)
PY
ok $? "JSON: the CSV's columns as keys, in order; the same rows; numbers are numbers"
is "$("$FR" -R "$T/hand.fsn" -t 1800000000 -c "$C" -s hostservice -o json)" "[]" \
    "JSON without a row: []"
"$FR" -R "$H" -c "$C" -s hostservice >"$T/m.txt"
sed '/^$/,$d' "$T/m.txt" >"$T/table.txt"
is "$(awk '{ print length($0) }' "$T/table.txt" | sort -u | wc -l)" 1 \
    "text: the two header lines and the rows line up (equal widths)"
is "$(wc -l <"$T/table.txt")" 11 "text: two header lines, 9 rows"
is "$(head -1 "$T/table.txt" | sed 's/  */ /g')" " provided in provided out used in used out" \
    "text: the groups"
is "$(sed -n 2p "$T/table.txt" | sed 's/  */ /g')" \
    "host service flows packets bytes flows packets bytes flows packets bytes flows packets bytes" \
    "text: the columns"
is "$(awk '$1 == "10.0.0.2" && $2 == "https" { $1 = $1; print }' "$T/m.txt")" \
    "10.0.0.2 https 1 30 3.0 k 1 40 60.0 k 0 0 0 0 0 0" "text: units of 1000"
is "$("$FR" -R "$H" -c "$C" -s hostservice -N | awk '$1 == "10.0.0.2" && $2 == "https" { $1 = $1; print }')" \
    "10.0.0.2 https 1 30 3000 1 40 60000 0 0 0 0 0 0" "text -N: plain numbers"
is "$(tail -1 "$T/m.txt")" \
    "Summary: 14 flows, 171 packets, 177.5 k bytes; top 4 of 4 local hosts by bytes; 1 flows without a local end not in the matrix" \
    "text: the summary counts every record, the hosts and the transit flow"

# ---- Bad keys and configs: status 2 and a message ----
bad() { # WANT-MESSAGE ARGS...
    local want=$1 err rc
    shift
    err=$("$FR" -R "$H" "$@" 2>&1 >/dev/null)
    rc=$?
    is "$rc:$(echo "$err" | head -1)" "2:flowreport: $want" "bad: $*"
}
KEYS="(total, srcip, dstip, ip, srcport, dstport, port, proto, exporter, hostservice or host/service)"
bad "bad -s: unknown key 'host' $KEYS" -s host/nosuch
bad "bad -s: unknown key 'hostx' $KEYS" -s hostx
bad "bad -s: unknown key 'host' $KEYS" -s host
bad "bad -s: unknown order 'octets' (bytes, packets or flows)" -s host/service/octets
bad "bad -s: unknown order 'service' (bytes, packets or flows)" -s hostservice/service
printf 'spool /s\nservice web tcp/80\n\nservice dns udp/99999\n' >"$T/bad1.conf"
bad "$T/bad1.conf:4: service: '99999' is out of range (0 to 65535)" -s hostservice -c "$T/bad1.conf"
printf 'spool /s\nlocal-network 10.0.0.0/33\n' >"$T/bad2.conf"
bad "$T/bad2.conf:2: local-network: '10.0.0.0/33' is not a network (ADDRESS/LEN, host bits zero)" \
    -s hostservice -c "$T/bad2.conf"
printf 'spool /s\nlocal-netwrok 10.0.0.0/8\n' >"$T/bad3.conf"
bad "$T/bad3.conf:2: unknown directive 'local-netwrok' (did you mean 'local-network'?)" \
    -c "$T/bad3.conf"
bad "$T/nonexistent.conf: No such file or directory" -s hostservice -c "$T/nonexistent.conf"

# Every directive flowcollectd knows, switched on (values as its sample shows
# them, not valid ones: flowreport does not look at them), but the two it reads.
"$BIN/flowcollectd" --help-config | sed -n 's/^#\([a-z]\)/\1/p' |
    grep -vE '^(local-network|service) ' >"$T/every.conf"
echo "local-network 192.0.2.0/24" >>"$T/every.conf"
ok "$([ "$(wc -l <"$T/every.conf")" -ge 20 ]; echo $?)" "$(wc -l <"$T/every.conf") directives"
out=$("$FR" -R "$H" -c "$T/every.conf" -s hostservice -o csv 2>&1)
ok $? "-c: every other directive of flowcollectd is accepted and ignored" || diag "$out"
is "$(echo "$out" | tail -n +2 | cut -d, -f1 | sort -u | tr '\n' ' ')" \
    "192.0.2.1 192.0.2.10 192.0.2.53 192.0.2.99 " "... and its local network used"
"$FR" -R "$H" -c "$FSN_ROOT/conf/flowsnmp.conf" -s total >/dev/null
ok $? "-c conf/flowsnmp.conf (the sample) is accepted"

# ---- Random records: every cell against ref.py ----
cat >"$T/rnd.conf" <<'EOF'
spool /s
local-network 10.0.0.0/25
local-network 10.0.1.0/28 lab
local-network 2001:db8::/121
service web tcp/80 tcp/443 tcp/8080
service tls tcp/443 tcp/993 udp/443
service dns udp/53 tcp/53
service ntp udp/123
service hi tcp/30000-40000 udp/60000-65535
service ping icmp/2048 ipv6-icmp/2048
EOF
"$GEN" -o "$T/rnd.fsn" -r 42 -n 20000 -H 300 -b 8192 >"$T/rnd.spec"
ok $? "flowfilegen wrote 20000 random records"
records "$T/rnd.spec" | python3 "$T/ref.py" "$T/rnd.conf" bytes 0 >"$T/rnd.want"
"$FR" -R "$T/rnd.fsn" -c "$T/rnd.conf" -s hostservice -n 0 -o csv >"$T/rnd.got"
ok "$([ "$(cut -d, -f1 "$T/rnd.want" | sort -u | wc -l)" -gt 100 ]; echo $?)" \
    "the random file has $(cut -d, -f1 "$T/rnd.want" | sort -u | wc -l) local hosts and $(wc -l <"$T/rnd.want") cells"
keyed_diff "$T/rnd.got" "$T/rnd.want"
ok $? "random file: every cell and the order equal ref.py"
for o in packets flows; do
    is "$("$FR" -R "$T/rnd.fsn" -c "$T/rnd.conf" -s "hostservice/$o" -n 7 -o csv | md5sum)" \
        "$(records "$T/rnd.spec" | python3 "$T/ref.py" "$T/rnd.conf" "$o" 7 | md5sum)" \
        "random file: /$o -n 7 equals ref.py"
done
is "$("$FR" -R "$T/rnd.fsn" -c "$T/rnd.conf" -s hostservice -n 0 -o csv 'dst port 53 or src port 53' | md5sum)" \
    "$(awk '!/^#/ && NF >= 10 && ($3 == 6 || $3 == 17) && ($5 == 53 || $7 == 53)' "$T/rnd.spec" |
        records /dev/stdin | python3 "$T/ref.py" "$T/rnd.conf" bytes 0 | md5sum)" \
    "random file, through a filter: the matrix of the matching records"

# ---- A capture through flowprobe and flowcollectd ----
# flowgen's servers and clients: web, mail, ssh, DNS and NTP servers, local
# and remote; the truth gives every flow's ports, so who served. The
# collector's config is the one flowreport reads.
"$TOOLS/flowgen" -s 3 -n 6000 -H 40 -R 200 -l 10.7.0.0/16 -l 2001:db8:7::/48 \
    -o "$T/gen.pcap" -g "$T/truth.txt" 2>"$T/flowgen.log" || bail "flowgen failed: $(cat "$T/flowgen.log")"
port=$(free_port udp)
coll_conf "$T/coll.conf" "$T/spool" "listen 127.0.0.1:$port" "rotate 3600" \
    "local-network 10.7.0.0/16" "local-network 2001:db8:7::/48" \
    "service https tcp/443 udp/443" "service web tcp/80 tcp/8080 tcp/443" "service dns udp/53 tcp/53" \
    "service ntp udp/123" "service mail tcp/25 tcp/587 tcp/993 tcp/995" "service ssh tcp/22" \
    "service ipsec-nat-t udp/4500" "service ping icmp/2048 icmp/0 ipv6-icmp/32768 ipv6-icmp/33024"
coll_start "$T/coll.log" "$T/coll.conf" || bail "flowcollectd did not start"
"$BIN/flowprobe" -r "$T/gen.pcap" -e "127.0.0.1:$port" -V 10 -d >"$T/probe.log" 2>&1
ok $? "flowprobe exported the capture" || diag_file "$T/probe.log"
wait_for 20 udp_drained "$port"
coll_stop
ok $? "flowcollectd stopped cleanly"
key=$(sed -n 's/.*final: exporter \(127.0.0.1 v[0-9]* domain [0-9]*\): .*/\1/p' "$T/coll.log" | head -1)
is "$(coll_final "$T/coll.log" "$key" lost)" 0 "no export lost"

"$FR" -R "$T/spool" -q -o csv | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { print $c["proto"], $c["srcip"], $c["srcport"], $c["dstip"], $c["dstport"], $c["packets"], $c["bytes"] }' \
    >"$T/cap.records"
"$FR" -R "$T/spool" -q -c "$T/coll.conf" -s hostservice -n 0 -o csv >"$T/cap.got"
python3 "$T/ref.py" "$T/coll.conf" bytes 0 <"$T/cap.records" >"$T/cap.want"
keyed_diff "$T/cap.got" "$T/cap.want"
ok $? "capture: every cell equals ref.py over the records flowreport lists"
awk '!/^#/ && NF >= 9 { print $6, $2, $4, $3, $5, $8, $9 }' "$T/truth.txt" |
    python3 "$T/ref.py" "$T/coll.conf" bytes 0 >"$T/truth.want"
# The probe may end a flow in several records: flows are records, not the truth's flows.
nofl() { cut -d, -f1,2,4,5,7,8,10,11,13,14 "$1"; }
keyed_diff <(nofl "$T/cap.got") <(nofl "$T/truth.want")
ok $? "capture: every cell's packets and bytes, and the order, equal the generator's truth"
# roles SERVICE: "PU", P 1 when some host provides it, U 1 when some host uses it.
roles() {
    awk -F, -v s="$1" '$2 == s && ($3 + $6 > 0) { p++ } $2 == s && ($9 + $12 > 0) { u++ }
        END { print (p > 0) "" (u > 0) }' "$T/cap.got"
}
for cell in https web dns ssh ping; do
    is "$(roles $cell)" 11 "capture: some hosts provide $cell, some use it"
done
is "$(roles ipsec-nat-t)" 01 "capture: ESP in UDP from clients behind NAT (ephemeral port to 4500): used only"

done_testing
