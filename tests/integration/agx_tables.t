#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowagentx tables: snmptable and snmpbulkwalk of each table return exactly the rows
# the state file holds; a 10,000-row host table walks completely (GETBULK of the whole
# table and GETNEXT of a column, with the clients' default timeout and retries), every
# value equal to the generator's formula. The walk times are printed, not asserted.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
need_cmd python3
R=$FLOWSNMP_ROOT

cat >"$T/spec" <<'EOF'
create hosts=16 exporters=4 services=8 software="tables-test" created=1790000000
header updated=1795000000
host 10.1.0.5 in_octets=100 out_octets=200 in_packets=3 out_packets=4 in_flows=5 out_flows=6 first_seen=1790000200 last_seen=1795000000
host 10.1.0.6 in_octets=101 out_octets=201 in_packets=7 out_packets=8 in_flows=9 out_flows=10 first_seen=1790000300 last_seen=1795000001
host 2001:db8::5 in_octets=102 out_octets=202 in_packets=11 out_packets=12 in_flows=13 out_flows=14 first_seen=1790000400 last_seen=1795000002
host other in_octets=103 out_octets=203
service https ports "tcp/443 udp/443" in_octets=300 out_octets=400 in_packets=30 out_packets=40 in_flows=3 out_flows=4
service ntp ports "udp/123" in_octets=301 out_octets=401 in_packets=31 out_packets=41 in_flows=5 out_flows=6
proto 6 tcp in_octets=500 out_octets=600 in_packets=50 out_packets=60 in_flows=5 out_flows=6
proto 17 udp in_octets=501 out_octets=601 in_packets=51 out_packets=61 in_flows=7 out_flows=8
exporter 192.0.2.1 domain 0 version 10 datagrams=10 records=100 records_lost=1 malformed=2 templates=3 last_seen=1795000000
exporter 192.0.2.2 domain 1 version 9 datagrams=11 records=101 records_lost=4 malformed=5 templates=6 last_seen=1795000001
EOF
"$TOOLS/statewriter" -s "$T/spec" "$T/state"
ok $? "small state file written"
python3 "$FSN_ROOT/tests/lib/agx_expect.py" "$T/spec" >"$T/expected"

start_snmpd
start_agx "$T/state"
wait_oid 20 "$R.1.1.11.0"
ok $? "the subagent registered" || diag_file "$T/agx.log"

# snmpbulkwalk of each table, numeric, against the expectation.
for tbl in 2:exporter 3:host 4:service 5:protocol; do
    n=${tbl%%:*} name=${tbl#*:}
    grep "^\.$R\.1\.$n\." "$T/expected" >"$T/want.$name"
    snmpbulkwalk "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "$R.1.$n" >"$T/got.$name" 2>&1
    diff "$T/want.$name" "$T/got.$name" >"$T/diff.$name"
    ok $? "snmpbulkwalk of the $name table equals the ground truth ($(wc -l <"$T/want.$name") cells)" ||
        diag_file "$T/diff.$name"
done

# snmptable of each table (needs the MIB for the column names).
# DateAndTime as net-snmp prints it (DISPLAY-HINT "2d-1d-1d,1d:1d:1d.1d,1a1d:1d"), from date(1).
dt() { date -u -d "@$1" '+%Y-%-m-%-d,%-H:%-M:%-S.0,+0:0'; }
if have_mibs; then
    tab() { snmp_sym snmptable "${SNMPOPTS[@]}" -Cf '|' -CH -Ci -OU "$SNMP_AGENT" "FLOWSNMP-MIB::$1" 2>&1 | sed '/^$/d;/^SNMP table/d'; }
    # The other row has no first/last seen (docs/mib.md): snmptable shows '?'.
    is "$(tab flowHostTable)" "unknown.\"\"|103|203|0|0|0|0|?|?
ipv4.\"10.1.0.5\"|100|200|3|4|5|6|$(dt 1790000200)|$(dt 1795000000)
ipv4.\"10.1.0.6\"|101|201|7|8|9|10|$(dt 1790000300)|$(dt 1795000001)
ipv6.\"20:01:0d:b8:00:00:00:00:00:00:00:00:00:00:00:05\"|102|202|11|12|13|14|$(dt 1790000400)|$(dt 1795000002)" \
        "snmptable flowHostTable"
    is "$(tab flowServiceTable)" "'https'|300|400|30|40|3|4|tcp/443 udp/443
'ntp'|301|401|31|41|5|6|udp/123" "snmptable flowServiceTable"
    is "$(tab flowProtocolTable)" '6|500|600|50|60|5|6|tcp
17|501|601|51|61|7|8|udp' "snmptable flowProtocolTable"
    is "$(tab flowExporterTable)" "ipv4.\"192.0.2.1\".0|ipfix|10|100|1|2|3|$(dt 1795000000)
ipv4.\"192.0.2.2\".1|netflowV9|11|101|4|5|6|$(dt 1795000001)" "snmptable flowExporterTable"
else
    skip "base MIBs not in $FSN_MIBS" "snmptable of each table"
fi

# The other row's first and last seen have no value: GET says noSuchInstance, GETNEXT
# goes on to the next row's (10.1.0.5; the other row, index 0.0, sorts first).
nsi="No Such Instance currently exists at this OID"
is "$(snmpget "${SNMPOPTS[@]}" -On "$SNMP_AGENT" "$R.1.3.1.9.0.0" "$R.1.3.1.10.0.0" 2>&1)" \
    ".$R.1.3.1.9.0.0 = $nsi
.$R.1.3.1.10.0.0 = $nsi" "GET of the other row's first and last seen: noSuchInstance"
v6last=2.16.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.5
is "$(snmpgetnext "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "$R.1.3.1.8.$v6last" "$R.1.3.1.9" 2>&1 | cut -d' ' -f1 | tr '\n' ' ')" \
    ".$R.1.3.1.9.1.4.10.1.0.5 .$R.1.3.1.9.1.4.10.1.0.5 " \
    "GETNEXT from the end of the previous column, or from the column, skips them to 10.1.0.5's"

# 10,000 hosts (plus the other row): a new state file replaces the small one.
cat >"$T/spec10k" <<'EOF'
create hosts=10001 software="10k" created=1790000000
header updated=1795000000
synth 10000 base=10.0.0.1
host other in_octets=7 out_octets=8 in_packets=1 out_packets=1 in_flows=1 out_flows=1
EOF
"$TOOLS/statewriter" -s "$T/spec10k" "$T/state"
ok $? "10,000-host state file written"
python3 "$FSN_ROOT/tests/lib/agx_expect.py" "$T/spec10k" | grep "^\.$R\.1\.3\." >"$T/want10k"
is "$(wc -l <"$T/want10k")" 80006 "expected: 10,001 rows x 8 columns, less the other row's two times"
# The subagent follows the new file within a second or so; poll for its last row.
wait_oid 20 "$R.1.3.1.3.1.4.10.0.39.16"
ok $? "the subagent follows the new file"

start=$(date +%s.%N)
snmpbulkwalk "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "$R.1.3" >"$T/got10k" 2>"$T/got10k.err"
rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
ok $rc "snmpbulkwalk of the 10,000-row host table completes (defaults: -Cr10, timeout 1 s, 5 retries)" ||
    diag_file "$T/got10k.err"
diag "snmpbulkwalk of 80,006 cells took $secs s"
is "$(wc -l <"$T/got10k")" 80006 "every cell walked, exactly once"
cmp -s "$T/want10k" "$T/got10k"
ok $? "every cell equals the formula" || { diff "$T/want10k" "$T/got10k" | head -20 >"$T/d"; diag_file "$T/d"; }

start=$(date +%s.%N)
snmpwalk "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "$R.1.3.1.4" >"$T/col" 2>"$T/col.err"
rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
ok $rc "snmpwalk (GETNEXT) of one column of 10,001 rows completes" || diag_file "$T/col.err"
diag "snmpwalk of 10,001 cells took $secs s"
grep "^\.$R\.1\.3\.1\.4\." "$T/want10k" >"$T/wantcol"
cmp -s "$T/wantcol" "$T/col"
ok $? "the column equals the formula ($(wc -l <"$T/col") rows)"

grep -q "registering pdu failed" "$T/agx.log"
ok $((!$?)) "no failed registration in the subagent's log" || diag_file "$T/agx.log"
done_testing
