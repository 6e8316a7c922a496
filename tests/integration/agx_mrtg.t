#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A real MRTG polls a host's and a service's octet counters through snmpd and
# flowagentx (SNMPv2c Counter64, symbolic OIDs from FLOWSNMP-MIB) in two runs; between
# them statewriter advances the counters by known amounts. The rate MRTG records must
# be the known delta divided by the time between the two runs as MRTG logged them.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
R=$FLOWSNMP_ROOT
SW=$TOOLS/statewriter

if ! command -v mrtg >/dev/null 2>&1; then
    skip "mrtg not installed" "MRTG rates"
    done_testing
fi
NETSNMP_MIB=
for f in /usr/share/snmp/mibs/NET-SNMP-MIB.txt "$FSN_MIBS/NET-SNMP-MIB.txt"; do
    [ -f "$f" ] && NETSNMP_MIB=$f && break
done
if [ -z "$NETSNMP_MIB" ]; then
    skip "NET-SNMP-MIB.txt not found (libsnmp-base)" "MRTG rates"
    done_testing
fi

"$SW" -e 'create hosts=8 software="mrtg-test"' \
    -e 'host 10.1.0.5 in_octets=1000000 out_octets=2000000' \
    -e 'service https ports "tcp/443" in_octets=5000 out_octets=7000' "$T/state"
ok $? "state file written"
start_snmpd
start_agx "$T/state"
wait_oid 20 "$R.1.1.11.0"
ok $? "the subagent registered" || diag_file "$T/agx.log"

mkdir -p "$T/mrtg/work"
cat >"$T/mrtg/mrtg.cfg" <<EOF
WorkDir: $T/mrtg/work
LoadMIBs: $NETSNMP_MIB, $FSN_ROOT/conf/FLOWSNMP-MIB.txt
Options[_]: growright, nopercent
EnableIPv6: no

Target[host]: flowHostInOctets.1.4.10.1.0.5&flowHostOutOctets.1.4.10.1.0.5:public@$SNMP_AGENT::::2
MaxBytes[host]: 10000000000
Title[host]: Host 10.1.0.5
PageTop[host]: <h1>Host 10.1.0.5</h1>

Target[https]: flowServiceInOctets.104.116.116.112.115&flowServiceOutOctets.104.116.116.112.115:public@$SNMP_AGENT::::2
MaxBytes[https]: 10000000000
Title[https]: Service https
PageTop[https]: <h1>Service https</h1>
EOF

run_mrtg() {
    env LANG=C mrtg --lock-file "$T/mrtg/mrtg.lock" --confcache-file "$T/mrtg/mrtg.ok" \
        "$T/mrtg/mrtg.cfg" >"$T/mrtg/run$1.out" 2>&1
}
run_mrtg 1
ok $? "first mrtg run" || diag_file "$T/mrtg/run1.out"
read -r t1 in1 out1 <"$T/mrtg/work/host.log"
read -r s1 sin1 sout1 <"$T/mrtg/work/https.log"
is "$in1 $out1" "1000000 2000000" "MRTG read the host's counters"
is "$sin1 $sout1" "5000 7000" "MRTG read the service's counters"

# Advance the counters by known amounts, and let at least two seconds pass on the clock
# MRTG uses, so that the rate has a denominator.
DIN=3600000 DOUT=7200000 SIN=120000 SOUT=60000
"$SW" -e "host 10.1.0.5 in_octets+=$DIN out_octets+=$DOUT" \
    -e "service https in_octets+=$SIN out_octets+=$SOUT" "$T/state"
wait_for 10 bash -c "[ \"\$(snmpget -v2c -c public -Oqv $SNMP_AGENT $R.1.4.1.3.104.116.116.112.115)\" = $((7000 + SOUT)) ]"
ok $? "the new counters are served"
wait_for 10 bash -c "[ \$(date +%s) -ge $((t1 > s1 ? t1 + 2 : s1 + 2)) ]"

run_mrtg 2
ok $? "second mrtg run" || diag_file "$T/mrtg/run2.out"
is "$(grep -c . "$T/mrtg/run2.out")" 0 "second run is silent" || diag_file "$T/mrtg/run2.out"

# check NAME LOG DIN DOUT: the log's first line holds the new counters, its second line
# the rates; expected rate = delta / (t2 - t1), MRTG's own two time stamps.
check() {
    local name=$1 log=$2 din=$3 dout=$4 t0=$5 c_in=$6 c_out=$7 t2 in2 out2 tr rin rout ein eout
    { read -r t2 in2 out2; read -r tr rin rout _; } <"$log"
    is "$((in2 - c_in)) $((out2 - c_out))" "$din $dout" "$name: counter deltas MRTG saw = what the writer added"
    is "$tr" "$t2" "$name: the rate line is the current sample"
    ein=$((din / (t2 - t0))) eout=$((dout / (t2 - t0)))
    diag "$name: $((t2 - t0)) s between samples; rates in $rin (expected $ein), out $rout (expected $eout)"
    [ $((rin - ein)) -le 1 ] && [ $((ein - rin)) -le 1 ]
    ok $? "$name: MRTG's in rate $rin = $din / $((t2 - t0)) s (within rounding)"
    [ $((rout - eout)) -le 1 ] && [ $((eout - rout)) -le 1 ]
    ok $? "$name: MRTG's out rate $rout = $dout / $((t2 - t0)) s (within rounding)"
}
check host "$T/mrtg/work/host.log" $DIN $DOUT "$t1" "$in1" "$out1"
check https "$T/mrtg/work/https.log" $SIN $SOUT "$s1" "$sin1" "$sout1"
[ -s "$T/mrtg/work/host-day.png" ] && [ -s "$T/mrtg/work/https.html" ]
ok $? "MRTG drew its graphs and pages"
done_testing
