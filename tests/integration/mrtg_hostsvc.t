#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowmrtg --host-services end to end: a flowgen capture (clients and servers, IPv4 and
# IPv6) -> flowprobe -> IPFIX over loopback -> flowcollectd -> state file -> flowagentx ->
# a private snmpd -> flowmrtg. The targets are exactly those that the generator's truth
# implies (tests/lib/hostsvc_expect.py computes the cells, tests/lib/mrtg_expect.py the
# hosts chosen and each cell's targets, both on their own): one per role a chosen host's
# cell has counted, names from address and service, OIDs, titles, MaxBytes. `mrtg --check`
# accepts the files, and one MRTG run reads each cell target's counters: the truth's.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/flows.sh"
. "$(dirname "$0")/../lib/snmp.sh"
. "$(dirname "$0")/../lib/mrtg.sh"
need_mrtg
need_cmd python3
[ -x "$BIN/flowmrtg" ] || bail "$BIN/flowmrtg missing: build first"

START=1767225600
NETS=10.7.0.0/16,2001:db8:7::/48
# A service name with capitals and '_' (escaped in target names); tcp/443 in two services
# (a flow's cell is the first; the second counts it at its other hosts).
SERVICES="web=tcp/80,tcp/443 dns=udp/53,tcp/53 Ntp_Svc=udp/123 tls=tcp/443,udp/443"
"$TOOLS/flowgen" -s 21 -n 6000 -f 300 -t $START -d 1800 -H 12 -l 10.7.0.0/16 \
    -l 2001:db8:7::/48 -o "$T/gen.pcap" -g "$T/truth.txt" 2>/dev/null || bail "flowgen failed"
python3 "$FSN_ROOT/tests/lib/hostsvc_expect.py" "$T/truth.txt" "$NETS" "$SERVICES" >"$T/cells" ||
    bail "hostsvc_expect.py failed"
# The hosts' rows for the ranking: per host, its cells' octets (in: provided + used in).
awk '$1 != "-" { i[$1] += $3 + $7; o[$1] += $4 + $8 }
     END { print "create hosts=64 services=8"
           for (h in i) print "host", h, "in_octets=" i[h], "out_octets=" o[h] }' "$T/cells" >"$T/spec"
nhosts=$(grep -c '^host ' "$T/spec")
ok $([ "$nhosts" -ge 8 ] && grep -q '^host 2001:' "$T/spec" && grep -q '^- ' "$T/cells"; echo $?) \
    "the truth has $nhosts hosts (IPv4 and IPv6) and other-host cells"

PORT=$(free_port udp)
{
    echo "listen 127.0.0.1:$PORT"; echo "spool $T/spool"
    echo "local-network 10.7.0.0/16"; echo "local-network 2001:db8:7::/48"
    for sv in $SERVICES; do echo "service ${sv%%=*} ${sv#*=}" | tr , ' '; done
    echo "step 300"; echo "grace 300"; echo "rrd-dir $T/rrd"; echo "state-file $T/state"
    echo "host-service-rrds no"
} >"$T/coll.conf"
start_bg "$T/coll.log" "$BIN/flowcollectd" -d -c "$T/coll.conf"
COLL=$BG_PID
wait_for 10 udp_listening "$PORT" || { diag_file "$T/coll.log"; bail "flowcollectd did not start"; }
"$BIN/flowprobe" -r "$T/gen.pcap" -e "127.0.0.1:$PORT" -V 10 -R 2000 -d >"$T/probe.log" 2>&1 ||
    bail "flowprobe failed"
wait_for 20 udp_drained "$PORT"
stop_pid "$COLL"
ok $? "flowprobe -> flowcollectd: state file written"

start_snmpd
start_agx "$T/state"
wait_oid 20 "$FLOWSNMP_ROOT.1.1.11.0" || { diag_file "$T/agx.log"; bail "flowagentx did not register"; }
SYSNAME=$(snmpget -v2c -c public -Oqv "$SNMP_AGENT" 1.3.6.1.2.1.1.5.0 2>/dev/null | tr -d '"')
# Does the agent serve an "other" host row (the hosts beyond max-hosts)? Then it is chosen.
if snmpget -v2c -c public -Oqv "$SNMP_AGENT" "$FLOWSNMP_ROOT.1.3.1.3.0.0" 2>/dev/null |
    grep -q '^[0-9]'; then echo "host other in_octets=0 out_octets=0" >>"$T/spec"; fi

mkdir -p "$T/work"
FM() { "$BIN/flowmrtg" "$@" 2>>"$T/flowmrtg.err"; }
check() { # check CFG: mrtg --check says nothing
    env LANG=C mrtg --check --lock-file "$T/c.lock" --confcache-file "$T/c.ok" "$1" >"$T/check.out" 2>&1 &&
        [ ! -s "$T/check.out" ]
}

# 1. The 5 busiest hosts, their own targets and their cells'.
FM --workdir "$T/work" --link-speed 100M --tables hosts --top 5 --host-services \
    -o "$T/top5.cfg" "public@$SNMP_AGENT"
ok $? "flowmrtg --tables hosts --top 5 --host-services" || diag_file "$T/flowmrtg.err"
mrtg_summary "$T/top5.cfg" >"$T/top5.got"
mrtg_expect "$T/spec" --link 100000000 --tables hosts --top 5 --cells "$T/cells" >"$T/top5.want"
ncell=$(grep -c '_provides|\|_uses|' "$T/top5.want")
ok $([ "$ncell" -ge 10 ] && grep -q '^host_other_[^|]*_\(provides\|uses\)|' "$T/top5.want" &&
     grep -q '^host_[0-9][^|]*_other_\(provides\|uses\)|' "$T/top5.want"; echo $?) \
    "the truth gives $ncell cell targets: hosts' other cells and other hosts' among them"
diff "$T/top5.want" "$T/top5.got" >"$T/top5.diff"
ok $? "exactly the expected targets: names, OIDs, agent, MaxBytes, titles" ||
    diag_file "$T/top5.diff" 30
grep -q '^Target\[host_[^]]*__4etp_5f_53vc_\(provides\|uses\)\]' "$T/top5.cfg"
ok $? "service Ntp_Svc escaped in the target names (MRTG lower-cases them)"
check "$T/top5.cfg"
ok $? "mrtg --check accepts it" || diag_file "$T/check.out"
grep -q '^# Hosts x services: ' "$T/top5.cfg"
ok $? "the header counts the cells"

# 2. Cells without the hosts' own targets, IPv4 only (no other row with a filter), top 3.
FM --workdir "$T/work" --tables totals --host-filter 10.7.0.0/16 --top 3 --host-services \
    -o "$T/v4.cfg" "public@$SNMP_AGENT"
ok $? "flowmrtg --tables totals --host-filter 10.7.0.0/16 --top 3 --host-services"
mrtg_summary "$T/v4.cfg" >"$T/v4.got"
mrtg_expect "$T/spec" --tables totals --filter 10.7.0.0/16 --top 3 --cells "$T/cells" >"$T/v4.want"
diff "$T/v4.want" "$T/v4.got" >"$T/v4.diff"
ok $? "the cells of the 3 busiest IPv4 hosts and the totals, no host targets" ||
    diag_file "$T/v4.diff" 30
grep -q '^Target\[host_\(other\|2001\)' "$T/v4.cfg"
ok $((!$?)) "... none of the other row or of IPv6 hosts"
check "$T/v4.cfg"
ok $? "mrtg --check accepts it" || diag_file "$T/check.out"
FM --tables totals --host-filter 10.7.0.0/16 --top 3 --host-services -o "$T/v4b.cfg" "public@$SNMP_AGENT"
is "$(mrtg_summary "$T/v4b.cfg" | cut -d'|' -f1 | tr '\n' ' ')" "$(cut -d'|' -f1 "$T/v4.got" | tr '\n' ' ')" \
    "a second run gives the same names"

# 2b. IPv6 hosts: their names are the RFC 5952 text with '-' for ':'.
FM --tables hosts --host-filter 2001:db8:7::/48 --top 2 --host-services -o "$T/v6.cfg" \
    "public@$SNMP_AGENT"
ok $? "flowmrtg --host-filter 2001:db8:7::/48 --top 2 --host-services"
mrtg_summary "$T/v6.cfg" >"$T/v6.got"
mrtg_expect "$T/spec" --tables hosts --filter 2001:db8:7::/48 --top 2 --cells "$T/cells" >"$T/v6.want"
diff "$T/v6.want" "$T/v6.got" >"$T/v6.diff"
ok $? "the 2 busiest IPv6 hosts and their cells" || diag_file "$T/v6.diff" 30
ok $(grep -q '^host_2001-db8-7-0-210-ff-fe00-[0-9a-f]*_[^|]*_\(provides\|uses\)|' "$T/v6.got"; echo $?) \
    "IPv6 cell targets are named host_2001-db8-7-0-210-ff-fe00-N_SERVICE_ROLE"

# 3. MRTG polls the cell targets: the counters it logs are the truth's octets.
run_mrtg "$T/v4.cfg" "$T/mrtg.out"
ok $? "mrtg ran over the cell targets" || diag_file "$T/mrtg.out"
mrtg_expect "$T/spec" --tables totals --filter 10.7.0.0/16 --top 3 --cells "$T/cells" --counters \
    >"$T/v4.counters"
bad=0 n=0
while read -r t want_in want_out; do
    # MRTG lower-cases the target name for its files.
    log=$T/work/$(echo "$t" | tr 'A-Z' 'a-z').log
    n=$((n + 1))
    read -r _ lin lout 2>/dev/null <"$log"
    [ "${lin:-} ${lout:-}" = "$want_in $want_out" ] ||
        { bad=$((bad + 1)); diag "$t: MRTG read '${lin:-} ${lout:-}', truth '$want_in $want_out'"; }
done <"$T/v4.counters"
is "$n" "$(grep -c '_provides|\|_uses|' "$T/v4.want")" "the expected counters of every cell target"
is "$bad" 0 "the in and out octets MRTG read for each cell target are the truth's"

# 4. An agent without cells (host-services off): a warning, and no cell targets.
stop_pid "$AGX_PID"
"$TOOLS/statewriter" -e 'create hosts=8 software="no-cells"' -e 'host 10.1.0.5 in_octets=10 out_octets=20' \
    "$T/state2" || bail "statewriter failed"
start_agx "$T/state2"
wait_for 20 bash -c "snmpget -v2c -c public -Oqv $SNMP_AGENT $FLOWSNMP_ROOT.1.1.1.0 | grep -q no-cells"
"$BIN/flowmrtg" --tables hosts --host-services -o "$T/none.cfg" "public@$SNMP_AGENT" 2>"$T/none.err"
ok $? "flowmrtg --host-services against an agent without cells"
grep -q 'warning: --host-services: the agent has no hosts x services cells' "$T/none.err"
ok $? "... warns" || diag_file "$T/none.err"
is "$(grep -c '^Target\[' "$T/none.cfg")" "$(grep -c '^Target\[host_' "$T/none.cfg")" \
    "... and writes the host targets only"
done_testing
