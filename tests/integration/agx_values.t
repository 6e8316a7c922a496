#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowagentx end to end: the values statewriter writes into a state file (the ground
# truth) come back exactly through a private snmpd and the subagent: every scalar and
# every row of every table (IPv4 and IPv6 hosts, the "other" row, IMPLIED service
# names, 64-bit extremes), by walk and by get, numerically; and with FLOWSNMP-MIB
# loaded, as symbolic names. The expected walk is derived by tests/lib/agx_expect.py,
# an implementation of the MIB's encodings independent of the C code.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
need_cmd python3
R=$FLOWSNMP_ROOT

cat >"$T/spec" <<'EOF'
create hosts=32 exporters=8 services=8 software="flowsnmp-test 1.2" created=1790000000 discontinuity=1790000100
header updated=1795802243
scalar in_octets=1000000000001 out_octets=2000000000002 in_packets=30003 out_packets=40004 in_flows=505 out_flows=606
scalar records=7007 records_lost=88 malformed=9 late=11 hosts_in_use=4
host 10.1.0.5 in_octets=123456789012 out_octets=2 in_packets=3 out_packets=4 in_flows=5 out_flows=6 first_seen=1790000200 last_seen=1795800000
host 10.1.0.17 in_octets=18446744073709551615 out_octets=4294967296 in_packets=4294967295 out_packets=1 in_flows=0 out_flows=7 first_seen=1790000300 last_seen=1795800001
host 192.0.2.200 in_octets=10 out_octets=20 in_packets=1 out_packets=2 in_flows=1 out_flows=1 first_seen=1795000000 last_seen=1795000060
host 2001:db8::1 in_octets=600 out_octets=700 in_packets=6 out_packets=7 in_flows=2 out_flows=3 first_seen=1790000400 last_seen=1795800002
host 2001:db8:0:1::ff in_octets=1 out_octets=1 in_packets=1 out_packets=1 in_flows=1 out_flows=1 first_seen=1790000500 last_seen=1790000500
host other in_octets=999 out_octets=888 in_packets=77 out_packets=66 in_flows=5 out_flows=4
service https ports "tcp/443 udp/443" in_octets=5000 out_octets=6000 in_packets=50 out_packets=60 in_flows=5 out_flows=6
service http ports "tcp/80 tcp/8080" in_octets=700 out_octets=800 in_packets=7 out_packets=8 in_flows=1 out_flows=2
service dns ports "udp/53 tcp/53" in_octets=300 out_octets=400 in_packets=3 out_packets=4 in_flows=3 out_flows=4
proto 6 tcp in_octets=5700 out_octets=6800 in_packets=57 out_packets=68 in_flows=6 out_flows=8
proto 17 udp in_octets=300 out_octets=400 in_packets=3 out_packets=4 in_flows=3 out_flows=4
proto 58 ipv6-icmp in_octets=64 out_octets=128 in_packets=1 out_packets=2 in_flows=1 out_flows=1
exporter 192.0.2.1 domain 0 version 10 datagrams=120 records=7000 records_lost=80 malformed=9 templates=3 last_seen=1795802240
exporter 192.0.2.1 domain 256 version 5 datagrams=2 records=7 records_lost=8 malformed=0 templates=0 last_seen=1795802241
exporter 2001:db8::99 domain 4000000000 version 9 datagrams=5 records=0 records_lost=0 malformed=0 templates=12 last_seen=1795802242
EOF

"$TOOLS/statewriter" -s "$T/spec" "$T/state"
ok $? "statewriter wrote the state file"
python3 "$FSN_ROOT/tests/lib/agx_expect.py" "$T/spec" >"$T/expected"
ok $? "expected walk derived from the spec"

start_snmpd
start_agx "$T/state"
wait_oid 20 "$R.1.1.11.0"
ok $? "the subagent registered with snmpd" || { diag_file "$T/agx.log"; diag_file "$SNMPD_DIR/snmpd.log"; }
if [ -n "$AGX_USER" ]; then
    is "$(ps -o user= -p "$AGX_PID" | tr -d ' ')" "$AGX_USER" "flowagentx runs as $AGX_USER"
fi

# The whole MIB by GETNEXT walk, compared line by line.
snmpwalk "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "$R" >"$T/walk" 2>"$T/walk.err"
ok $? "snmpwalk of the MIB"
is "$(wc -l <"$T/walk")" "$(wc -l <"$T/expected")" "walk has one line per expected object"
diff "$T/expected" "$T/walk" >"$T/walk.diff"
ok $? "walk equals the ground truth exactly" || diag_file "$T/walk.diff"

# Each object again by GET, in PDUs of up to 20 varbinds.
mapfile -t oids < <(cut -d' ' -f1 "$T/expected")
: >"$T/get"
for ((i = 0; i < ${#oids[@]}; i += 20)); do
    snmpget "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "${oids[@]:i:20}" >>"$T/get" 2>&1
done
diff "$T/expected" "$T/get" >"$T/get.diff"
ok $? "get of every object equals the ground truth" || diag_file "$T/get.diff"

# A few values spelled out by hand, so that a shared mistake in the expectation shows.
is "$(snmp_value "$R.1.1.1.0")" '"flowsnmp-test 1.2"' "software version"
is "$(snmp_value "$R.1.3.1.3.1.4.10.1.0.17")" 18446744073709551615 "Counter64 at its maximum"
is "$(snmp_value "$R.1.3.1.4.1.4.10.1.0.17")" 4294967296 "Counter64 above 32 bits"
is "$(snmp_value "$R.1.3.1.5.2.16.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.1")" 6 "IPv6 host row"
is "$(snmp_value "$R.1.3.1.3.0.0")" 999 "other row: InetAddressType unknown(0), empty address"
is "$(snmp_value "$R.1.4.1.8.104.116.116.112.115")" '"tcp/443 udp/443"' "service https by IMPLIED name"
is "$(snmp_value "$R.1.4.1.2.104.116.116.112")" 700 "service http, a prefix of https"
is "$(snmp_value "$R.1.5.1.8.58")" '"ipv6-icmp"' "protocol 58 name"
is "$(snmp_value "$R.1.2.1.9.2.16.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.153.4000000000")" 12 \
    "exporter templates (IPv6, domain 4000000000)"
is "$(snmp_value "$R.1.1.3.0")" '"07 EA 09 15 0E 0F 00 00 2B 00 00 "' \
    "discontinuity time 1790000100 = 2026-09-21 14:15:00 UTC (date -u -d @1790000100)"

# Absent instances and objects.
is "$(snmp_value "$R.1.3.1.3.1.4.10.1.0.6")" "No Such Instance currently exists at this OID" \
    "unknown host: noSuchInstance"
is "$(snmp_value "$R.1.3.1.1.1.4.10.1.0.5")" "No Such Object available on this agent at this OID" \
    "index column is not-accessible: noSuchObject"
is "$(snmp_value "$R.1.3.1.11.1.4.10.1.0.5")" "No Such Object available on this agent at this OID" \
    "column past the table: noSuchObject"
is "$(snmp_value "$R.1.1.5.1")" "No Such Instance currently exists at this OID" \
    "scalar with index 1: noSuchInstance"
snmpset -v2c -c public -t 1 -r 0 "$SNMP_AGENT" "$R.1.3.1.3.1.4.10.1.0.5" c 1 >"$T/set" 2>&1
ok $((!$?)) "set is refused (read-only)"
is "$(snmp_value "$R.1.3.1.3.1.4.10.1.0.5")" 123456789012 "value unchanged after the set"
# GETNEXT from between rows and columns lands on the right next cell.
is "$(snmpgetnext "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "$R.1.3.1.3.1.4.10.1.0.6")" \
    ".$R.1.3.1.3.1.4.10.1.0.17 18446744073709551615" "getnext between two hosts"
is "$(snmpgetnext "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "$R.1.3.1.3.2.16.32.1.13.184.0.1.0.0.0.0.0.0.0.0.0.255")" \
    ".$R.1.3.1.4.0.0 888" "getnext after the last row wraps to the next column"
is "$(snmpgetnext "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "$R.1.3.1.1")" \
    ".$R.1.3.1.3.0.0 999" "getnext on an index column starts at the first value column"
is "$(snmpgetnext "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "$R.1.4.1.2.104.116.116.112")" \
    ".$R.1.4.1.2.104.116.116.112.115 5000" "getnext after http is https"

# Symbolic names with the MIB loaded.
if have_mibs; then
    is "$(snmp_sym snmptranslate -On FLOWSNMP-MIB::flowsnmpMIB 2>&1)" ".$R" \
        "flowsnmpMIB is netSnmpPlaypen.4242"
    is "$(snmp_sym snmpget "${SNMPOPTS[@]}" -Oq "$SNMP_AGENT" FLOWSNMP-MIB::flowSoftwareVersion.0 2>&1)" \
        'FLOWSNMP-MIB::flowSoftwareVersion.0 flowsnmp-test 1.2' "flowSoftwareVersion by name"
    is "$(snmp_sym snmpget "${SNMPOPTS[@]}" -Oq "$SNMP_AGENT" FLOWSNMP-MIB::flowHostInOctets.ipv4.4.10.1.0.5 2>&1)" \
        'FLOWSNMP-MIB::flowHostInOctets.ipv4."10.1.0.5" 123456789012 octets' "flowHostInOctets by name"
    want=$(date -u -d @1790000100 '+%Y-%-m-%-d,%-H:%-M:%-S.0,+0:0')
    is "$(snmp_sym snmpget "${SNMPOPTS[@]}" -Oqv "$SNMP_AGENT" FLOWSNMP-MIB::flowCounterDiscontinuityTime.0 2>&1)" \
        "$want" "DateAndTime prints as a date ($want)"
    is "$(snmp_sym snmpget "${SNMPOPTS[@]}" -Oqv "$SNMP_AGENT" "FLOWSNMP-MIB::flowServicePorts.'https'" 2>&1)" \
        "tcp/443 udp/443" "IMPLIED service index by name"
    is "$(snmp_sym snmpget "${SNMPOPTS[@]}" -Oqv "$SNMP_AGENT" FLOWSNMP-MIB::flowExporterVersion.ipv4.4.192.0.2.1.256 2>&1)" \
        "netflowV5" "exporter version enumeration"
    snmp_sym snmpwalk "${SNMPOPTS[@]}" -Oq "$SNMP_AGENT" FLOWSNMP-MIB::flowsnmpMIB >"$T/symwalk" 2>"$T/symwalk.err"
    ok $? "symbolic walk"
    is "$(wc -l <"$T/symwalk")" "$(wc -l <"$T/expected")" "symbolic walk has every object"
    is "$(grep -cv '^FLOWSNMP-MIB::flow' "$T/symwalk")" 0 "every OID printed by name" ||
        diag_file "$T/symwalk"
    is "$(grep -c . "$T/symwalk.err")" 0 "no MIB parse complaints" || diag_file "$T/symwalk.err"
    for o in flowHostInOctets.ipv6 flowHostOutFlows.unknown flowServicePorts flowProtocolName \
        flowExporterLastSeen flowLateRecords.0; do
        grep -q "^FLOWSNMP-MIB::$o" "$T/symwalk"
        ok $? "symbolic walk shows $o"
    done
else
    skip "base MIBs not in $FSN_MIBS" "symbolic names"
fi

grep -q "registering pdu failed" "$T/agx.log"
ok $((!$?)) "no failed registration in the subagent's log" || diag_file "$T/agx.log"
done_testing
