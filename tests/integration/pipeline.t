#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole pipeline against the generator's ground truth, per entity:
#   flowgen capture -> flowprobe -> IPFIX over loopback -> flowcollectd
#   (restarted in the middle of the stream) -> RRD files, state file ->
#   flowagentx -> snmpd -> snmpwalk
# then the export recorded by tcpdump replayed with `flowcollectd -r`,
# through a real rrdcached, and once more with a small max-hosts.
# Checked exactly, for every local host (IPv4 and IPv6), service, IP
# protocol and the total: in/out octets and packets in the RRD files (sum
# over the steps of AVERAGE x step), in the state file, and over SNMP; that
# no SNMP counter went backwards across the restart; and that the host rows
# plus the "other" row equal the total. (Flow counts are not compared: the
# probe splits a flow into several records by its timeouts, and the
# aggregator counts records.) An exact sum over the steps across a restart
# also rules out a spike: a spike would add to it.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/flows.sh"
. "$(dirname "$0")/../lib/snmp.sh"
need_cmd rrdtool; need_cmd rrdcached; need_cmd tcpdump; need_cmd editcap; need_cmd python3

START=1767225600
"$TOOLS/flowgen" -s 5 -n 40000 -f 800 -t $START -d 7200 -H 300 -l 10.9.0.0/16 \
    -l 2001:db8:9::/48 -o "$T/gen.pcap" -g "$T/truth.txt" 2>/dev/null || bail "flowgen failed"
editcap -r "$T/gen.pcap" "$T/first.pcap" 1-20000 >/dev/null
editcap -r "$T/gen.pcap" "$T/second.pcap" 20001-40000 >/dev/null

# Ground truth per entity: "NAME in_octets out_octets in_packets out_packets".
awk 'function add(n, dir, o, p) { names[n] = 1; oc[n, dir] += o; pc[n, dir] += p }
     function islocal(a) { return a ~ /^10\.9\./ || a ~ /^2001:db8:9:/ }
     function pname(p) { return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 58 ? "ipv6-icmp" : p }
     /^#/ || NF < 9 { next }
     { s = $2; d = $3; sp = $4; dp = $5; pr = $6; p = $8; o = $9
       sl = islocal(s); dl = islocal(d)
       if (!sl && !dl) { add("transit", 0, o, p); next }
       web = pr == 6 && (sp == 80 || sp == 443 || dp == 80 || dp == 443)
       dns = (pr == 6 || pr == 17) && (sp == 53 || dp == 53)
       ntp = pr == 17 && (sp == 123 || dp == 123)
       for (dir = 0; dir < 2; dir++) {
           if ((dir == 0 && !dl) || (dir == 1 && !sl)) continue
           h = dir == 0 ? d : s
           add("total", dir, o, p); add("host/" h, dir, o, p); add("proto/" pname(pr), dir, o, p)
           if (web) add("service/web", dir, o, p)
           if (dns) add("service/dns", dir, o, p)
           if (ntp) add("service/ntp", dir, o, p)
       } }
     END { for (n in names) printf "%s %.0f %.0f %.0f %.0f\n", n, oc[n, 0], oc[n, 1], pc[n, 0], pc[n, 1] }' \
    "$T/truth.txt" | sort >"$T/want"
nhosts=$(grep -c '^host/' "$T/want")
nv6=$(grep -c '^host/.*:' "$T/want")
diag "ground truth: $nhosts local hosts ($nv6 IPv6), $(grep -c '' "$T/want") entities"

conf() { # FILE RRDDIR STATE [EXTRA LINES...]
    local f=$1 r=$2 s=$3
    shift 3
    { echo "listen 127.0.0.1:$PORT"; echo "spool $T/spool.$(basename "$f")"
      echo "local-network 10.9.0.0/16 lab"; echo "local-network 2001:db8:9::/48"
      echo "service web tcp/80 tcp/443"; echo "service dns udp/53 tcp/53"; echo "service ntp udp/123"
      echo "step 300"; echo "grace 300"; echo "rrd-dir $r"; echo "state-file $s"
      printf '%s\n' "$@"; } >"$f"
}

# rrd_sums RRDDIR [DAEMON] < NAMES: "NAME io oo ip op" from one rrdtool process.
rrd_sums() {
    local dir=$1 d=${2:-} names
    names=$(cat)
    for n in $names; do
        echo "fetch $dir/$n.rrd AVERAGE -r 300 -s $((START - 900)) -e $((START + 7200 + 1800)) ${d:+--daemon $d}"
    done | rrdtool - 2>&1 | awk -v names="$names" '
        BEGIN { k = split(names, N, /[ \n]/); i = 1 }
        /^OK / { printf "%s %.0f %.0f %.0f %.0f\n", N[i], s[2], s[3], s[4], s[5]; delete s; i++; next }
        /^ERROR/ { printf "%s ERROR\n", N[i]; delete s; i++; next }
        /^[0-9]+:/ { for (j = 2; j <= 5; j++) if ($j !~ /nan/) s[j] += sprintf("%.0f", $j * 300) }'
}

# state_rows STATE: "NAME io oo ip op" for total, host/*, service/*, proto/* from statecheck.
state_rows() {
    "$TOOLS/statecheck" -d "$1" | awk '
        $1 == "total" || $1 == "other" || $1 == "transit" { print $1, $2, $3, $4, $5 }
        $1 == "host" || $1 == "service" || $1 == "proto" { print $1 "/" $2, $3, $4, $5, $6 }' | sort
}

PORT=$(free_port udp)
mkdir -p "$T/rrd1"
conf "$T/c1.conf" "$T/rrd1" "$T/state1" "max-hosts 100000"
collector() { start_bg "$T/coll.log" "$BIN/flowcollectd" -d -c "$1"; COLL=$BG_PID
              wait_for 10 udp_listening "$PORT" || { diag_file "$T/coll.log"; bail "flowcollectd did not start"; }; }
replay() {
    # Paced to 2000 datagrams/s, so that tcpdump records every one even on a busy machine.
    "$BIN/flowprobe" -r "$1" -e "127.0.0.1:$PORT" -V 10 -R 2000 -d >>"$T/probe.log" 2>&1 || bail "flowprobe failed"
    wait_for 20 udp_drained "$PORT"
    stop_pid "$COLL"
}

tcpdump -Z root -i lo -Q in -s 9216 -B 65536 --immediate-mode -U -w "$T/export.pcap" "udp and dst port $PORT" \
    >"$T/tcpdump.log" 2>&1 &
tcpd=$!
_bg_pids+=("$tcpd")
wait_for 10 grep -q "listening on" "$T/tcpdump.log" || bail "tcpdump did not start"

# 1. Live, first half; then snmpd and flowagentx on the state file; then the second
#    half through a restarted collector, while SNMP serves the counters.
collector "$T/c1.conf"
replay "$T/first.pcap"
start_snmpd
# The collector (root here) makes the state file 0640; flowagentx (nobody, when the
# tests run as root) reads it through the file's group, as the systemd units arrange
# with two users of one group. The restarted collector keeps writing into this file.
[ "$(id -u)" = 0 ] && chgrp "$(id -gn nobody)" "$T/state1"
start_agx "$T/state1"
wait_oid 20 "$FLOWSNMP_ROOT.1.1.11.0" || { diag_file "$T/agx.log"; bail "flowagentx did not register"; }
snmpwalk "${SNMPOPTS[@]}" -On "$SNMP_AGENT" "$FLOWSNMP_ROOT.1.3.1" >"$T/walk1" 2>&1
collector "$T/c1.conf"
replay "$T/second.pcap"
sent=$(sed -n 's/.*final: exported [0-9]* records in \([0-9]*\) datagrams.*/\1/p' "$T/probe.log" | awk '{ s += $1 } END { print s }')
wait_for 10 bash -c "[ \$(tcpdump -r '$T/export.pcap' 2>/dev/null | wc -l) -ge $sent ]"
stop_pid "$tcpd"
is "$(tcpdump -r "$T/export.pcap" 2>/dev/null | wc -l)" "$sent" "tcpdump recorded every export datagram for the replays below"

# Give flowagentx a moment to see the final publication: poll until the
# records scalar equals what the collector logged at its final stop.
recs=$(awk '/final:/ && /records/ { for (i = 1; i < NF; i++) if ($i == "records") r = $(i + 1) } END { print r }' "$T/coll.log")
wait_for 10 bash -c "snmpget -v2c -c public -Oqv $SNMP_AGENT $FLOWSNMP_ROOT.1.1.11.0 | grep -qx '${recs:-x}'"
snmpwalk "${SNMPOPTS[@]}" -On "$SNMP_AGENT" "$FLOWSNMP_ROOT" >"$T/walk2" 2>&1

# SNMP walk -> "NAME io oo ip op" (hosts by address text, services by name, protocols by name).
python3 - "$T/walk2" "$FLOWSNMP_ROOT" >"$T/snmp_rows" <<'PY'
import ipaddress, sys
root = sys.argv[2].split(".")
rows = {}
names = {}
for line in open(sys.argv[1]):
    oid, _, val = line.partition(" = ")
    parts = oid.strip().lstrip(".").split(".")
    if parts[:len(root)] != root:
        continue
    rest = parts[len(root):]
    v = val.split(": ", 1)[-1].strip().strip('"')
    if rest[:3] == ["1", "3", "1"]:          # host table: col, type, len, bytes
        col, typ, ln = int(rest[3]), int(rest[4]), int(rest[5])
        b = bytes(int(x) for x in rest[6:6 + ln])
        name = "other" if typ == 0 else "host/" + str(ipaddress.ip_address(b))
    elif rest[:3] == ["1", "4", "1"]:        # service table: col, IMPLIED name
        col = int(rest[3]); name = "service/" + "".join(chr(int(x)) for x in rest[4:])
    elif rest[:3] == ["1", "5", "1"]:        # protocol table: col, number
        col = int(rest[3]); num = rest[4]
        if col == 8:
            names[num] = v
        name = "proto#" + num
    elif rest[:2] == ["1", "1"] and rest[2] in ("5", "6", "7", "8"):
        name, col = "total", int(rest[2]) - 2
    else:
        continue
    # Hosts and the total: in/out octets, packets at 3..6; services and protocols at 2..5.
    first = 2 if name.startswith(("service/", "proto#")) else 3
    if first <= col <= first + 3:
        rows.setdefault(name, {})[col - first] = v
for name, c in rows.items():
    if name.startswith("proto#"):
        name = "proto/" + names.get(name[6:], name[6:])
    print(name, *(c.get(i, "?") for i in range(4)))
PY
sort -o "$T/snmp_rows" "$T/snmp_rows"

check_rows() { # GOT WANT NAME: every entity of WANT (except transit) has the same four numbers in GOT
    local bad
    bad=$(awk 'NR == FNR { got[$1] = $2 " " $3 " " $4 " " $5; next }
               $1 == "transit" { next }
               { n++; w = $2 " " $3 " " $4 " " $5; if (got[$1] != w) { b++; if (b <= 5) print "# " $1 ": got [" got[$1] "] want [" w "]" } }
               END { print "BAD", b + 0, n + 0 }' "$1" "$2")
    echo "$bad" | grep '^#'
    is "$(echo "$bad" | awk '/^BAD/ { print $2 }')" 0 "$3 ($(echo "$bad" | awk '/^BAD/ { print $3 }') entities)"
}

grep -v '^transit' "$T/want" | awk '{ print $1 }' | rrd_sums "$T/rrd1" >"$T/rrd_rows"
check_rows "$T/rrd_rows" "$T/want" "live, across a collector restart: RRD sums over the steps equal the truth for every host, service, protocol and the total"
state_rows "$T/state1" >"$T/state_rows"
check_rows "$T/state_rows" "$T/want" "live: the state file's rows equal the truth"
check_rows "$T/snmp_rows" "$T/want" "live: snmpwalk's host, service, protocol rows and total scalars equal the truth"
ok $([ "$nv6" -gt 0 ] && grep -q '^host/2001:db8:9:' "$T/snmp_rows"; echo $?) "IPv6 host rows served over SNMP ($nv6)"

# No Counter64 went backwards across the restart.
back=$(awk 'NR == FNR { if ($2 == "=") v[$1] = $NF; next } ($1 in v) && $NF + 0 < v[$1] + 0 { b++ } END { print b + 0 }' \
    <(grep Counter64 "$T/walk1") <(grep Counter64 "$T/walk2"))
n1=$(grep -c Counter64 "$T/walk1")
is "$back" 0 "none of the $n1 host counters seen before the restart went backwards after it"

# 2. The recorded export, replayed with -r, written through a real rrdcached.
mkdir -p "$T/rc/rrd"
start_bg "$T/rc/rrdcached.log" rrdcached -g -l "unix:$T/rc/sock" -b "$T/rc/rrd" -B -F \
    -j "$T/rc" -w 3600 -f 7200
RC=$BG_PID
wait_for 10 test -S "$T/rc/sock" || bail "rrdcached did not start"
conf "$T/c2.conf" "$T/rc/rrd/flows" "$T/state2" "max-hosts 100000" "rrdcached unix:$T/rc/sock"
"$BIN/flowcollectd" -c "$T/c2.conf" -r "$T/export.pcap" -d >"$T/coll2.log" 2>&1
ok $? "flowcollectd -r on the recorded export" || diag_file "$T/coll2.log"
grep -v '^transit' "$T/want" | awk '{ print $1 }' | rrd_sums "$T/rc/rrd/flows" "unix:$T/rc/sock" >"$T/rrd2_rows"
check_rows "$T/rrd2_rows" "$T/want" "replayed export through rrdcached: RRD sums equal the truth"
check_rows <(state_rows "$T/state2") "$T/want" "replayed export: the state file's rows equal the truth"
stop_pid "$RC"

# 3. A host table smaller than the hosts: rows + other == total, in the state file and the RRDs.
conf "$T/c3.conf" "$T/rrd3" "$T/state3" "max-hosts 50"
"$BIN/flowcollectd" -c "$T/c3.conf" -r "$T/export.pcap" -d >"$T/coll3.log" 2>&1
state_rows "$T/state3" >"$T/s3"
is "$(grep -c '^host/' "$T/s3")" 50 "max-hosts 50: 50 host rows"
is "$(awk '$1 ~ /^host\// || $1 == "other" { for (i = 2; i <= 5; i++) s[i] += $i } END { printf "%d %d %d %d", s[2], s[3], s[4], s[5] }' "$T/s3")" \
    "$(awk '$1 == "total" { printf "%d %d %d %d", $2, $3, $4, $5 }' "$T/s3")" "max-hosts 50: host rows + other == total in the state file"
awk '$1 == "total" { print }' "$T/want" >"$T/want_total"
{ echo total; echo other; find "$T/rrd3/host" -maxdepth 1 -name '*.rrd' | sed "s|$T/rrd3/||; s|\.rrd$||"; } | rrd_sums "$T/rrd3" >"$T/r3"
is "$(awk '$1 != "total" { for (i = 2; i <= 5; i++) s[i] += $i } END { printf "%d %d %d %d", s[2], s[3], s[4], s[5] }' "$T/r3")" \
    "$(awk '$1 == "total" { printf "%d %d %d %d", $2, $3, $4, $5 }' "$T/r3")" "max-hosts 50: host RRDs + other.rrd == total.rrd"
check_rows <(grep '^total' "$T/r3") "$T/want_total" "max-hosts 50: total.rrd still equals the truth"
done_testing
