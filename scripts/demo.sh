#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `make demo`: the whole of flowsnmp on a sample of realistic traffic, on
# loopback, in demo/ (or $DEMO_DIR). Every daemon it starts it stops again,
# also on failure; a second run starts afresh.
#
#   sample capture (flowgen, 4 hours of traffic) -> flowprobe -> IPFIX ->
#   flowcollectd -> flow files, RRD files, state file -> flowagentx ->
#   snmpd -> snmpwalk, flowmrtg + mrtg + indexmaker; flowgraph; flowreport
#
# The capture is replayed in two halves with MRTG polls before and after the
# second, so that MRTG records rates; the collector is restarted between the
# halves, which shows that its counters continue.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
O=${O:-build}
case $O in /*) ;; *) O=$ROOT/$O ;; esac
BIN=$O/bin
TOOLS=$O/tools
D=${DEMO_DIR:-$ROOT/demo}
PACKETS=${DEMO_PACKETS:-400000}
MIBS=${FSN_MIBS:-$ROOT/../shared/mibs}
ROOT_OID=1.3.6.1.4.1.8072.9999.9999.4242

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

# Daemons, stopped by PID at exit (also on failure).
pids=()
stop_all() {
    local p i
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$p" 2>/dev/null || true
    done
    pids=()
}
trap stop_all EXIT
stop_one() {
    local p=$1 i
    kill "$p" 2>/dev/null || return 0
    for i in $(seq 1 200); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.05; done
    kill -9 "$p" 2>/dev/null || true
}
wait_for() {
    local secs=$1 end; shift
    end=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt "$end" ] || return 1
        sleep 0.05
    done
}
free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        ss -H -lun "sport = :$p" | grep -q . || { echo "$p"; return 0; }
    done
    return 1
}
udp_listening() { ss -H -lun "sport = :$1" | grep -q .; }

for b in flowprobe flowcollectd flowreport flowagentx flowmrtg flowgraph; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing: run make first"
done
[ -x "$TOOLS/flowgen" ] || die "$TOOLS/flowgen is missing: run make first"

rm -rf "$D"
mkdir -p "$D"/{spool,rrd,snmpd/persist,snmp-client,mrtg,graphs}
export SNMP_PERSISTENT_DIR=$D/snmpd/persist SNMPCONFPATH=$D/snmp-client
printf 'mibs :\npersistentDir %s\n' "$D/snmpd/persist" >"$D/snmp-client/snmp.conf"

say "1. A sample: $PACKETS packets over four hours of capture time (flowgen)"
start=$(( $(date +%s) / 86400 * 86400 - 86400 ))   # yesterday 00:00 UTC: graphs end near now
"$TOOLS/flowgen" -s 2026 -n "$PACKETS" -f 3000 -t "$start" -d 14400 \
    -o "$D/sample.pcap" -g "$D/truth.txt" --summary
# Two halves, by packet count: MRTG polls between them.
half=$((PACKETS / 2))
editcap -r "$D/sample.pcap" "$D/first.pcap" "1-$half" >/dev/null
editcap -r "$D/sample.pcap" "$D/second.pcap" "$((half + 1))-$PACKETS" >/dev/null

NFPORT=$(free_port) || die "no free port"
cat >"$D/flowsnmp.conf" <<CONF
# flowsnmp demo configuration (see conf/flowsnmp.conf for every directive)
listen 127.0.0.1:$NFPORT
spool $D/spool
rotate 300
local-network 10.1.0.0/16 lan
local-network 2001:db8:1::/48 lan6
service https tcp/443 udp/443
service http tcp/80 tcp/8080
service dns udp/53 tcp/53
service ntp udp/123
service ssh tcp/22
service mail tcp/25 tcp/587 tcp/993 tcp/995
step 300
rrd-dir $D/rrd
state-file $D/state
CONF
"$BIN/flowcollectd" -n -c "$D/flowsnmp.conf" >/dev/null

collector_up() {
    "$BIN/flowcollectd" -d -c "$D/flowsnmp.conf" >>"$D/flowcollectd.log" 2>&1 &
    COLL=$!
    pids+=("$COLL")
    wait_for 10 udp_listening "$NFPORT" || die "flowcollectd did not start (see $D/flowcollectd.log)"
}
replay() {
    "$BIN/flowprobe" -r "$1" -e "127.0.0.1:$NFPORT" -V 10 -d >>"$D/flowprobe.log" 2>&1
    # The collector has everything once its socket's queue is empty; SIGTERM
    # then closes the flow file, writes the RRD steps and publishes the state file.
    wait_for 30 bash -c "[ \"\$(ss -H -lun 'sport = :$NFPORT' | awk '{print \$2}')\" = 0 ]"
    stop_one "$COLL"
}

say "2. flowprobe replays the first half as IPFIX to flowcollectd"
collector_up
replay "$D/first.pcap"
tail -n 4 "$D/flowprobe.log"

say "3. snmpd (AgentX master) and flowagentx serving FLOWSNMP-MIB from the state file"
SNMPPORT=$(free_port) || die "no free port"
cat >"$D/snmpd/snmpd.conf" <<CONF
agentaddress  udp:127.0.0.1:$SNMPPORT
master        agentx
agentXSocket  unix:$D/snmpd/agentx.sock
agentXPerms   0666 0777
rocommunity   public 127.0.0.1
dontLogTCPWrappersConnects yes
sysName       flowsnmp-demo
sysLocation   make demo
[snmp] persistentDir $D/snmpd/persist
CONF
snmpd -f -C -c "$D/snmpd/snmpd.conf" -I -smux -m '' -Lf "$D/snmpd/snmpd.log" \
    </dev/null >/dev/null 2>&1 &
pids+=($!)
AGENT=127.0.0.1:$SNMPPORT
wait_for 10 snmpget -v2c -c public -t 0.2 -r 0 "$AGENT" 1.3.6.1.2.1.1.3.0 || die "snmpd did not start"
"$BIN/flowagentx" -d -S "$D/state" -x "unix:$D/snmpd/agentx.sock" -i 1 >"$D/flowagentx.log" 2>&1 &
pids+=($!)
wait_for 20 bash -c "snmpget -v2c -c public -t 0.2 -r 0 -Oqv $AGENT $ROOT_OID.1.1.11.0 | grep -q '^[0-9]'" ||
    die "flowagentx did not register (see $D/flowagentx.log)"

say "4. flowmrtg writes an MRTG config (top 20 hosts, services, protocols, exporters, totals); first MRTG poll"
"$BIN/flowmrtg" --top 20 --link-speed 10G --workdir "$D/mrtg" -o "$D/mrtg/mrtg.cfg" "public@$AGENT"
grep -c '^Target\[' "$D/mrtg/mrtg.cfg" | sed 's/^/targets: /'
run_mrtg() {
    env LANG=C mrtg --lock-file "$D/mrtg/mrtg.lock" --confcache-file "$D/mrtg/mrtg.ok" \
        "$D/mrtg/mrtg.cfg" >>"$D/mrtg/mrtg.out" 2>&1 || true
}
run_mrtg
poll1=$(date +%s)

say "5. The second half, through a restarted flowcollectd (its counters continue)"
collector_up
replay "$D/second.pcap"
# Two polls at least two seconds apart, for a rate. (The replay packs hours of
# traffic into a second, hence --link-speed 10G: MRTG drops rates above MaxBytes.)
while [ "$(date +%s)" -le $((poll1 + 1)) ]; do sleep 0.1; done
run_mrtg
indexmaker --output="$D/mrtg/index.html" "$D/mrtg/mrtg.cfg" 2>/dev/null

say "6. snmpwalk: totals, the top hosts and the services, as any NMS sees them"
snmpget -v2c -c public "$AGENT" "$ROOT_OID.1.1.5.0" "$ROOT_OID.1.1.6.0" "$ROOT_OID.1.1.11.0" \
    "$ROOT_OID.1.1.14.0" | sed 's/^/  /'
if [ -f "$MIBS/SNMPv2-SMI.txt" ]; then
    export MIBDIRS="$MIBS:$ROOT/conf"
    snmptable -v2c -c public -m FLOWSNMP-MIB -Cb -Ci "$AGENT" flowServiceTable 2>/dev/null | head -20 || true
    echo
    echo "the 10 local hosts with the most traffic in (octets):"
    snmptable -v2c -c public -m FLOWSNMP-MIB -Cb -Ci -Cf , -OU "$AGENT" flowHostTable 2>/dev/null |
        awk -F, 'NR > 2' | sort -t, -k2,2 -rn | head -10 |
        awk -F, '{ printf "  %-60s in %12s  out %12s octets\n", $1, $2, $3 }' || true
else
    snmpwalk -v2c -c public "$AGENT" "$ROOT_OID.1.4.1.2" | head -10 || true
fi

say "7. flowgraph: the graph page from the RRD files"
"$BIN/flowgraph" -R "$D/rrd" -o "$D/graphs" -n 10 --end last --title "flowsnmp demo"
ls "$D/graphs" | wc -l | sed 's/^/files: /'

say "8. flowreport: top talkers and ports from the flow files"
"$BIN/flowreport" -q -R "$D/spool" -s total
"$BIN/flowreport" -q -R "$D/spool" -s srcip -n 5
"$BIN/flowreport" -q -R "$D/spool" -s dstport -n 5

stop_all
say "Done. Where to look:"
cat <<TXT
  graph page:     $D/graphs/index.html
  MRTG pages:     $D/mrtg/index.html   (config $D/mrtg/mrtg.cfg)
  RRD files:      $D/rrd/  (total.rrd, host/, service/, proto/, exporter/)
  flow files:     $D/spool/   ->  $BIN/flowreport -R $D/spool -s srcip
  state file:     $D/state    (served by flowagentx)
  logs:           $D/*.log
  ground truth:   $D/truth.txt (the generator's flows)
TXT
