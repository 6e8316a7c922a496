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
# MRTG polls on its own clock, every 5 minutes, and makes a rate of the
# change since its last poll; a replay packs the sample's hours into seconds.
# So the sample is replayed twice. First at full speed, so that flowmrtg can
# pick the busiest hosts. Then on the sample's own timeline: cut into
# 5-minute slices (the collector's step), replayed one after another, with
# MRTG run after each under libfaketime, its clock stopped at the slice's
# end. MRTG's graphs then show the same curves as flowgraph's, and its rates
# are the RRD steps' (tests/integration/demo.t compares them). The collector
# is stopped after each slice (which writes everything it has) and started
# again for the next: its counters continue.
#
# DEMO_PACKETS (400000) and DEMO_DURATION (14400 s, a multiple of 300) size
# the sample.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
O=${O:-build}
case $O in /*) ;; *) O=$ROOT/$O ;; esac
BIN=$O/bin
TOOLS=$O/tools
D=${DEMO_DIR:-$ROOT/demo}
PACKETS=${DEMO_PACKETS:-400000}
DURATION=${DEMO_DURATION:-14400}
STEP=300
MIBS=${FSN_MIBS:-$ROOT/../shared/mibs}
ROOT_OID=1.3.6.1.4.1.8072.9999.9999.4242

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

# Daemons, stopped by PID at exit (also on failure); a stopped one leaves the list,
# so that its PID, once reused, is never signalled.
pids=()
forget() {
    local p keep=()
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]}")
}
stop_one() {
    local p=$1 i
    forget "$p"
    kill "$p" 2>/dev/null || return 0
    for i in $(seq 1 200); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.05; done
    kill -9 "$p" 2>/dev/null || true
}
stop_all() {
    local p
    for p in "${pids[@]}"; do stop_one "$p"; done
}
trap stop_all EXIT
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
udp_drained() { [ "$(ss -H -lun "sport = :$1" | awk '{ print $2 }')" = 0 ]; }
utc() { date -u -d "@$1" '+%Y-%m-%d %H:%M'; }

for b in flowprobe flowcollectd flowreport flowagentx flowmrtg flowgraph; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing: run make first"
done
[ -x "$TOOLS/flowgen" ] || die "$TOOLS/flowgen is missing: run make first"
command -v faketime >/dev/null || die "faketime is missing: run scripts/deps.sh"
[ $((DURATION % STEP)) = 0 ] && [ "$DURATION" -ge $((2 * STEP)) ] ||
    die "DEMO_DURATION must be a multiple of $STEP s, at least $((2 * STEP))"

rm -rf "$D"
mkdir -p "$D"/{spool,rrd,snmpd/persist,snmp-client,mrtg,graphs,prepass/spool}
export SNMP_PERSISTENT_DIR=$D/snmpd/persist SNMPCONFPATH=$D/snmp-client
printf 'mibs :\npersistentDir %s\n' "$D/snmpd/persist" >"$D/snmp-client/snmp.conf"

hours=$((DURATION / 3600)) mins=$((DURATION % 3600 / 60))
span=$([ "$mins" = 0 ] && echo "$hours hours" || echo "$((DURATION / 60)) minutes")
say "1. A sample: $PACKETS packets over $span of capture time (flowgen)"
start=$(( $(date +%s) / 86400 * 86400 - 86400 ))   # yesterday 00:00 UTC: graphs end before now
"$TOOLS/flowgen" -s 2026 -n "$PACKETS" -f 3000 -t "$start" -d "$DURATION" \
    -o "$D/sample.pcap" -g "$D/truth.txt" --summary

NFPORT=$(free_port) || die "no free port"
# collector_conf FILE SPOOL STATE [RRDDIR]
collector_conf() {
    cat >"$1" <<CONF
# flowsnmp demo configuration (see conf/flowsnmp.conf for every directive)
listen 127.0.0.1:$NFPORT
spool $2
rotate 300
local-network 10.1.0.0/16 lan
local-network 2001:db8:1::/48 lan6
service https tcp/443 udp/443
service http tcp/80 tcp/8080
service dns udp/53 tcp/53
service ntp udp/123
service ssh tcp/22
service mail tcp/25 tcp/587 tcp/993 tcp/995
step $STEP
state-file $3
CONF
    [ -z "${4:-}" ] || echo "rrd-dir $4" >>"$1"
    "$BIN/flowcollectd" -n -c "$1" >/dev/null
}
collector_conf "$D/prepass/flowsnmp.conf" "$D/prepass/spool" "$D/prepass/state"
collector_conf "$D/flowsnmp.conf" "$D/spool" "$D/state" "$D/rrd"

collector_up() {   # collector_up CONF
    "$BIN/flowcollectd" -d -c "$1" >>"$D/flowcollectd.log" 2>&1 &
    COLL=$!
    pids+=("$COLL")
    wait_for 10 udp_listening "$NFPORT" || die "flowcollectd did not start (see $D/flowcollectd.log)"
}
replay() {         # replay PCAP: to the running collector, which is then stopped
    "$BIN/flowprobe" -r "$1" -e "127.0.0.1:$NFPORT" -V 10 -d >>"$D/flowprobe.log" 2>&1
    # The collector has everything once its socket's queue is empty; SIGTERM
    # then closes the flow file, writes the RRD steps and publishes the state file.
    wait_for 30 udp_drained "$NFPORT" || die "flowcollectd does not read its socket"
    stop_one "$COLL"
}

say "2. snmpd (AgentX master), and a first pass: flowprobe replays the whole sample at full speed"
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
agx_up() {         # agx_up STATEFILE: flowagentx serving it, registered with snmpd
    "$BIN/flowagentx" -d -S "$1" -x "unix:$D/snmpd/agentx.sock" -i 1 >>"$D/flowagentx.log" 2>&1 &
    AGX=$!
    pids+=("$AGX")
    wait_for 20 bash -c "snmpget -v2c -c public -t 0.2 -r 0 -Oqv $AGENT $ROOT_OID.1.1.11.0 | grep -q '^[0-9]'" ||
        die "flowagentx did not register (see $D/flowagentx.log)"
}
collector_up "$D/prepass/flowsnmp.conf"
replay "$D/sample.pcap"
tail -n 4 "$D/flowprobe.log"
agx_up "$D/prepass/state"

say "3. flowmrtg writes an MRTG config: the 10 busiest hosts (flowgraph shows the same 10), services, protocols, exporters, totals"
note="make demo: MRTG ran under libfaketime, its clock stopped at the end of each 5-minute slice"
note="$note of the sample ($(utc "$start") to $(utc $((start + DURATION))) UTC), so the times here"
note="$note are the sample's, not today's."
"$BIN/flowmrtg" --top 10 --link-speed 100M --workdir "$D/mrtg" -o "$D/mrtg/mrtg.cfg" \
    --global "PageFoot[_]: <p><small>$note</small></p>" "public@$AGENT"
grep -c '^Target\[' "$D/mrtg/mrtg.cfg" | sed 's/^/targets: /'
stop_one "$AGX"

nslices=$((DURATION / STEP))
say "4. The sample's timeline: $nslices slices of 5 minutes through flowcollectd, MRTG after each at the slice's end"
# MRTG runs in the background, its clock stopped at a slice's end. It reads every target
# first ("target loop start" in its --debug=time output), then runs rateup for each, which
# takes most of its time: the next slice is cut and replayed meanwhile. Until the last
# run, it only updates its logs (--log-only); the last one also draws the graphs and
# writes the pages.
MRTG_PID=
mrtg_start() {     # mrtg_start UNIXTIME [OPTION...]: returns once MRTG has polled
    local t=$1 i
    shift
    # (The bounds only keep a wedged run from hanging the demo; a busy machine is slow.)
    timeout 600 env LANG=C FAKETIME_FMT=%s faketime -f "$t" mrtg "$@" --debug=time \
        --lock-file "$D/mrtg/mrtg.lock" --confcache-file "$D/mrtg/mrtg.ok" "$D/mrtg/mrtg.cfg" \
        >"$D/mrtg/run.out" 2>&1 &
    MRTG_PID=$!
    pids+=("$MRTG_PID")
    for i in $(seq 1 6000); do
        grep -q 'target loop start' "$D/mrtg/run.out" && return 0
        kill -0 "$MRTG_PID" 2>/dev/null || return 0
        sleep 0.05
    done
    die "MRTG did not poll within 5 minutes (see $D/mrtg/run.out)"
}
mrtg_end() {       # mrtg_end: waits for the MRTG run to end; its messages go to mrtg.out
    wait "$MRTG_PID" || true
    forget "$MRTG_PID"
    grep -v '^--time:' "$D/mrtg/run.out" >>"$D/mrtg/mrtg.out" || true
}
# A fresh state file and RRD files for this pass; MRTG's first poll sees zeros.
collector_up "$D/flowsnmp.conf"
agx_up "$D/state"
mrtg_start "$start" --log-only
for ((k = 0; k < nslices; k++)); do
    a=$((start + k * STEP)) b=$((start + (k + 1) * STEP))
    editcap -A "$a" -B "$b" "$D/sample.pcap" "$D/slice.pcap" >/dev/null
    [ "$k" = 0 ] || collector_up "$D/flowsnmp.conf"
    replay "$D/slice.pcap"
    mrtg_end
    if [ $((k + 1)) = "$nslices" ]; then mrtg_start "$b"; else mrtg_start "$b" --log-only; fi
    line=$(printf '  slice %2d/%d  %s UTC  %s' $((k + 1)) "$nslices" "$(utc "$b")" \
        "$(sed -n 's/.*final: exported \([0-9]*\) records.*/\1 records/p' "$D/flowprobe.log" | tail -1)")
    if [ -t 1 ]; then
        printf '\r%s   ' "$line"
        [ $((k + 1)) != "$nslices" ] || echo
    elif [ $(((k + 1) % 12)) = 0 ] || [ $((k + 1)) = "$nslices" ]; then
        echo "$line"
    fi
done
mrtg_end
rm -f "$D/slice.pcap" "$D/mrtg/run.out"
read -r _ cin cout <"$D/mrtg/total.log"
echo "  MRTG's last poll: $cin octets in, $cout out"
indexmaker --output="$D/mrtg/index.html" --pagetop="<p><small>$note</small></p>" \
    "$D/mrtg/mrtg.cfg" 2>/dev/null

say "5. snmpwalk: totals, the top hosts and the services, as any NMS sees them"
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

say "6. flowgraph: the graph page from the RRD files"
"$BIN/flowgraph" -R "$D/rrd" -o "$D/graphs" -n 10 --end last --title "flowsnmp demo"
ls "$D/graphs" | wc -l | sed 's/^/files: /'

say "7. flowreport: top talkers and ports from the flow files"
"$BIN/flowreport" -q -R "$D/spool" -s total
"$BIN/flowreport" -q -R "$D/spool" -s srcip -n 5
"$BIN/flowreport" -q -R "$D/spool" -s dstport -n 5

stop_all
say "Done. Where to look:"
cat <<TXT
  graph page:     $D/graphs/index.html
  MRTG pages:     $D/mrtg/index.html   (config $D/mrtg/mrtg.cfg; times are the sample's)
  RRD files:      $D/rrd/  (total.rrd, host/, service/, proto/, exporter/)
  flow files:     $D/spool/   ->  $BIN/flowreport -R $D/spool -s srcip
  state file:     $D/state    (served by flowagentx)
  logs:           $D/*.log
  ground truth:   $D/truth.txt (the generator's flows)
TXT
