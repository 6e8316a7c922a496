#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hosts x services end to end, against the generator's ground truth:
#   flowgen capture (clients and servers, IPv4 and IPv6) -> flowprobe -> IPFIX
#   over loopback -> flowcollectd (restarted in the middle of the stream) ->
#   state file, RRD files -> flowagentx -> snmpd -> snmpwalk
# Every cell's provided and used octets and packets, in and out, equal the
# cells computed from the truth by tests/lib/hostsvc_expect.py (the rules of
# docs/counting.md, written again in Python): in the state file, over SNMP
# (with the text columns), and in the RRD files (sum over the steps of
# AVERAGE x step). No cell's counter goes backwards across the restart.
# Then the whole capture again with small bounds: per host, cells + other ==
# the host row, and per service, cells + other host == the service row, in
# the state file and in the RRD files; the overflow and eviction are counted.
# (Flow counts are not compared: the probe splits flows into records.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/flows.sh"
. "$(dirname "$0")/../lib/snmp.sh"
need_cmd rrdtool; need_cmd editcap; need_cmd python3; need_cmd snmpwalk

START=1767225600
NETS=10.7.0.0/16,2001:db8:7::/48
# tcp/443 is in two services: the first configured is a flow's cell.
SERVICES="web=tcp/80,tcp/443 dns=udp/53,tcp/53 ntp=udp/123 tls=tcp/443,udp/443"
"$TOOLS/flowgen" -s 12 -n 16000 -f 300 -t $START -d 3600 -H 40 -l 10.7.0.0/16 \
    -l 2001:db8:7::/48 -o "$T/gen.pcap" -g "$T/truth.txt" 2>/dev/null || bail "flowgen failed"
editcap -r "$T/gen.pcap" "$T/first.pcap" 1-8000 >/dev/null
editcap -r "$T/gen.pcap" "$T/second.pcap" 8001-16000 >/dev/null
python3 "$FSN_ROOT/tests/lib/hostsvc_expect.py" "$T/truth.txt" "$NETS" "$SERVICES" >"$T/want" ||
    bail "hostsvc_expect.py failed"
ncells=$(grep -vc '^- ' "$T/want")
nroles=$(awk '$1 != "-" && $3 + $4 > 0 && $7 + $8 > 0' "$T/want" | wc -l)
diag "ground truth: $ncells host cells ($(grep -c '^2001:' "$T/want") IPv6), $nroles with both roles"
ok $([ "$ncells" -gt 60 ] && [ "$(grep -c '^2001:' "$T/want")" -gt 5 ]; echo $?) \
    "the capture has IPv4 and IPv6 host cells"

conf() { # FILE RRDDIR STATE [EXTRA LINES...]
    local f=$1 r=$2 s=$3
    shift 3
    { echo "listen 127.0.0.1:$PORT"; echo "spool $T/spool.$(basename "$f")"
      echo "local-network 10.7.0.0/16"; echo "local-network 2001:db8:7::/48"
      for sv in $SERVICES; do echo "service ${sv%%=*} ${sv#*=}" | tr , ' '; done
      echo "step 300"; echo "grace 300"; echo "rrd-dir $r"; echo "state-file $s"
      printf '%s\n' "$@"; } >"$f"
}
collector() {
    start_bg "$T/coll.log" "$BIN/flowcollectd" -d -c "$1"
    COLL=$BG_PID
    wait_for 10 udp_listening "$PORT" || { diag_file "$T/coll.log"; bail "flowcollectd did not start"; }
}
replay() {
    "$BIN/flowprobe" -r "$1" -e "127.0.0.1:$PORT" -V 10 -R 2000 -d >>"$T/probe.log" 2>&1 ||
        bail "flowprobe failed"
    wait_for 20 udp_drained "$PORT"
    stop_pid "$COLL"
}
# state_cells STATE: "ADDR SERVICE pio poo pip pop uio uoo uip uop", flows dropped.
state_cells() {
    "$TOOLS/statecheck" -d "$1" | awk '$1 == "hostsvc" {
        print $2, $3, $4, $5, $6, $7, $10, $11, $12, $13 }' | sort
}
# compare GOT WANT NAME: every cell of WANT is in GOT with the same numbers, and
# every cell of GOT that WANT lacks is all zero.
compare() {
    local r
    r=$(awk 'NR == FNR { k = $1 " " $2; $1 = $2 = ""; got[k] = $0; next }
             { k = $1 " " $2; $1 = $2 = ""; n++; seen[k] = 1
               if (got[k] != $0) { b++; if (b <= 5) print "# " k ": got [" got[k] "] want [" $0 "]" } }
             END { for (k in got) if (!(k in seen)) { split(got[k], v, " "); z = 0
                       for (i in v) z += v[i]; if (z) { b++; if (b <= 10) print "# " k ": extra [" got[k] "]" } }
                   print "BAD", b + 0, n + 0 }' "$1" "$2")
    echo "$r" | grep '^#'
    is "$(echo "$r" | awk '/^BAD/ { print $2 }')" 0 "$3 ($(echo "$r" | awk '/^BAD/ { print $3 }') cells)"
}
# rrd_cells RRDDIR < "ADDR SERVICE": sums of AVERAGE x step of the eight octet/packet sources.
rrd_cells() {
    local dir=$1 names
    names=$(awk '{ print ($1 == "-" ? "other/" $2 : "host/" $1 "/" $2) }')
    for n in $names; do
        echo "fetch $dir/$n.rrd AVERAGE -r 300 -s $((START - 900)) -e $((START + 3600 + 1800))"
    done | rrdtool - 2>&1 | awk -v names="$names" '
        function out(n) { split(n, p, "/"); h = p[1] == "other" ? "-" : p[2]; sv = p[1] == "other" ? p[2] : p[3]
                          printf "%s %s", h, sv
                          for (j = 2; j <= 13; j++) if (j != 6 && j != 7 && j != 12 && j != 13) printf " %.0f", s[j]
                          printf "\n" }
        BEGIN { k = split(names, N, /[ \n]/); i = 1 }
        /^OK / { out(N[i]); delete s; i++; next }
        /^ERROR/ { split(N[i], p, "/"); printf "%s ERROR\n", N[i]; delete s; i++; next }
        /^[0-9]+:/ { for (j = 2; j <= 13; j++) if ($j !~ /nan/) s[j] += sprintf("%.0f", $j * 300) }' | sort
}

PORT=$(free_port udp)
conf "$T/c1.conf" "$T/rrd1" "$T/state1" "max-hosts 1000"

# 1. First half; snmpd and flowagentx; second half through a restarted collector.
collector "$T/c1.conf"
replay "$T/first.pcap"
start_snmpd
start_agx "$T/state1"
wait_oid 20 "$FLOWSNMP_ROOT.1.1.11.0" || { diag_file "$T/agx.log"; bail "flowagentx did not register"; }
snmpwalk "${SNMPOPTS[@]}" -On "$SNMP_AGENT" "$FLOWSNMP_ROOT.1.6" >"$T/walk1" 2>&1
collector "$T/c1.conf"
replay "$T/second.pcap"
recs=$(awk '/final:/ && /records/ { for (i = 1; i < NF; i++) if ($i == "records") r = $(i + 1) } END { print r }' "$T/coll.log")
wait_for 10 bash -c "snmpget -v2c -c public -Oqv $SNMP_AGENT $FLOWSNMP_ROOT.1.1.11.0 | grep -qx '${recs:-x}'"
snmpwalk "${SNMPOPTS[@]}" -On "$SNMP_AGENT" "$FLOWSNMP_ROOT.1.6" >"$T/walk2" 2>&1

state_cells "$T/state1" >"$T/state_cells"
compare "$T/state_cells" "$T/want" "state file: every cell's provided and used octets and packets equal the truth"

# SNMP: 1.6.1.COL.TYPE.LEN.ADDR....NAME -> the same lines, and the text columns.
python3 - "$T/walk2" "$FLOWSNMP_ROOT" >"$T/snmp_cells" 2>"$T/snmp_text" <<'PY'
import ipaddress, sys
root = sys.argv[2].split(".")
rows, text = {}, {}
for line in open(sys.argv[1]):
    oid, _, val = line.partition(" = ")
    parts = oid.strip().lstrip(".").split(".")
    rest = parts[len(root):]
    if parts[:len(root)] != root or rest[:3] != ["1", "6", "1"]:
        continue
    col, typ, ln = int(rest[3]), int(rest[4]), int(rest[5])
    addr = str(ipaddress.ip_address(bytes(int(x) for x in rest[6:6 + ln]))) if typ else "-"
    name = "".join(chr(int(x)) for x in rest[6 + ln:])
    v = val.split(": ", 1)[-1].strip().strip('"')
    if col in (4, 5, 6, 7, 10, 11, 12, 13):
        rows.setdefault((addr, name), {})[col] = v
    elif col in (16, 17):
        text.setdefault((addr, name), {})[col] = v
for (a, n), c in sorted(rows.items()):
    print(a, n, *(c.get(i, "?") for i in (4, 5, 6, 7, 10, 11, 12, 13)))
bad = sum(1 for (a, n), t in text.items() if t.get(16, "") != ("" if a == "-" else a) or t.get(17) != n)
print("text", len(text), "bad", bad, file=sys.stderr)
PY
sort -o "$T/snmp_cells" "$T/snmp_cells"
compare "$T/snmp_cells" "$T/want" "snmpwalk of flowHostServiceTable: every cell equals the truth"
read -r _ ntext _ badtext <"$T/snmp_text"
ok $([ "${ntext:-0}" -ge "$ncells" ] && [ "${badtext:-1}" = 0 ]; echo $?) \
    "the address and service text columns name every row ($ntext rows, $badtext wrong)"
ok $(grep -q '^2001:db8:7:' "$T/snmp_cells"; echo $?) "IPv6 cells served over SNMP"

back=$(awk 'NR == FNR { if ($2 == "=") v[$1] = $NF; next } ($1 in v) && $NF + 0 < v[$1] + 0 { b++ } END { print b + 0 }' \
    <(grep Counter64 "$T/walk1") <(grep Counter64 "$T/walk2"))
is "$back" 0 "none of the $(grep -c Counter64 "$T/walk1") cell counters seen before the restart went backwards"

rrd_cells "$T/rrd1" <"$T/want" >"$T/rrd_cells"
compare "$T/rrd_cells" "$T/want" "RRD files across the restart: every cell's sums over the steps equal the truth"
ok $([ -f "$T/rrd1/host/10.7.0.1/other.rrd" ] || ls "$T"/rrd1/host/*/other.rrd >/dev/null 2>&1; echo $?) \
    "the hosts' other cells have RRD files"

# 2. Small bounds: the sums hold exactly, in the state file and per step in the RRDs.
stop_pid "$AGX_PID"
PORT=$(free_port udp)
conf "$T/c2.conf" "$T/rrd2" "$T/state2" "max-hosts 15" "host-services 2" "max-host-services 12"
collector "$T/c2.conf"
replay "$T/gen.pcap"
"$TOOLS/statecheck" -d "$T/state2" >"$T/dump2"
sums=$(awk '$1 == "host" { h[$2] = $3 " " $4 " " $5 " " $6 }
            $1 == "service" { s[$2] = $3 " " $4 " " $5 " " $6 }
            $1 == "hostsvc" { for (i = 0; i < 4; i++) { v = $(4 + i) + $(10 + i)
                                  if ($2 != "-") hs[$2, i] += v; sv[$3, i] += v }
                              if ($2 != "-") cells[$2] = 1 }
            END { for (k in h) { split(h[k], x, " "); for (i = 0; i < 4; i++) if (x[i + 1] != hs[k, i] + 0) bh++ ; nh++ }
                  for (k in s) { split(s[k], x, " "); for (i = 0; i < 4; i++) if (x[i + 1] != sv[k, i] + 0) bs++ ; ns++ }
                  print nh + 0, bh + 0, ns + 0, bs + 0 }' "$T/dump2")
read -r nh bh ns bs <<<"$sums"
is "$bh" 0 "small bounds: per host, its cells + other == its host row ($nh hosts)"
is "$bs" 0 "small bounds: per service, its cells + other host == its service row ($ns services)"
cells=$(awk '$1 == "hostsvc" && $2 != "-" && $3 != "other"' "$T/dump2" | wc -l)
ok $([ "$cells" -le 12 ] && [ "$cells" -gt 0 ]; echo $?) "small bounds: at most max-host-services cells ($cells)"
perhost=$(awk '$1 == "hostsvc" && $2 != "-" && $3 != "other" { n[$2]++ } END { m = 0; for (k in n) if (n[k] > m) m = n[k]; print m }' "$T/dump2")
ok $([ "$perhost" -le 2 ]; echo $?) "small bounds: at most host-services cells per host ($perhost)"
over=$(sed -n 's/.*final: aggregator:.* host-services-overflow \([0-9]*\).*/\1/p' "$T/coll.log" | tail -1)
ok $([ "${over:-0}" -gt 0 ]; echo $?) "small bounds: the overflow is counted and logged (${over:-none})"

# Per step: for every host with an RRD file, host/H.rrd == sum of host/H/*.rrd (in/out octets).
bad=0 nfiles=0
for h in $(find "$T/rrd2/host" -maxdepth 1 -name '*.rrd' | sed 's|.*/||; s|\.rrd$||' | head -8); do
    [ -d "$T/rrd2/host/$h" ] || continue
    nfiles=$((nfiles + 1))
    want=$(rrdtool fetch "$T/rrd2/host/$h.rrd" AVERAGE -r 300 -s $((START - 900)) -e $((START + 5400)) |
        awk '/^[0-9]+:/ { for (j = 2; j <= 3; j++) if ($j !~ /nan/) s += sprintf("%.0f", $j * 300) } END { printf "%.0f", s }')
    got=0
    for f in "$T/rrd2/host/$h"/*.rrd; do
        v=$(rrdtool fetch "$f" AVERAGE -r 300 -s $((START - 900)) -e $((START + 5400)) |
            awk '/^[0-9]+:/ { for (j = 2; j <= 13; j++) if ((j <= 3 || (j >= 8 && j <= 9)) && $j !~ /nan/) s += sprintf("%.0f", $j * 300) } END { printf "%.0f", s }')
        got=$((got + v))
    done
    [ "$got" = "$want" ] || { bad=$((bad + 1)); diag "host $h: cells $got, host row $want"; }
done
ok $([ "$nfiles" -gt 0 ] && [ "$bad" = 0 ]; echo $?) \
    "small bounds: RRD files, per host: its cells' octets == its own ($nfiles hosts, $bad off)"
done_testing
