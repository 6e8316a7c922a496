#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# FLOWSNMP-MIB passes smilint at level 6 with no output at all (smilint exits 0 even
# on errors, so the test is on its output), and its OIDs are the ones the code uses.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
MIB=$FSN_ROOT/conf/FLOWSNMP-MIB.txt

if ! command -v smilint >/dev/null 2>&1; then
    skip "smilint not installed (smitools)" "smilint"
    done_testing
fi
if ! have_mibs; then
    skip "base MIBs not in $FSN_MIBS" "smilint -l 6 is silent"
    done_testing
fi
out=$(SMIPATH=$FSN_MIBS:$FSN_ROOT/conf smilint -l 6 "$MIB" 2>&1)
is "$out" "" "smilint -l 6 prints nothing"
# The check itself works: a broken copy must produce complaints.
sed 's/SYNTAX      Gauge32/SYNTAX      Integer32/' "$MIB" >"$T/FLOWSNMP-MIB.txt"
out=$(SMIPATH=$FSN_MIBS smilint -l 6 "$T/FLOWSNMP-MIB.txt" 2>&1)
[ -n "$out" ]
ok $? "smilint complains about a broken copy"
# The module's tree, as smidump sees it, has the contract's OIDs.
tree=$(SMIPATH=$FSN_MIBS:$FSN_ROOT/conf smidump -f identifiers "$MIB" 2>&1)
for pair in flowsnmpMIB:1.3.6.1.4.1.8072.9999.9999.4242 \
    flowSoftwareVersion:1.3.6.1.4.1.8072.9999.9999.4242.1.1.1 \
    flowLateRecords:1.3.6.1.4.1.8072.9999.9999.4242.1.1.15 \
    flowExporterVersion:1.3.6.1.4.1.8072.9999.9999.4242.1.2.1.4 \
    flowExporterLastSeen:1.3.6.1.4.1.8072.9999.9999.4242.1.2.1.10 \
    flowHostAddressType:1.3.6.1.4.1.8072.9999.9999.4242.1.3.1.1 \
    flowHostInOctets:1.3.6.1.4.1.8072.9999.9999.4242.1.3.1.3 \
    flowHostLastSeen:1.3.6.1.4.1.8072.9999.9999.4242.1.3.1.10 \
    flowServiceName:1.3.6.1.4.1.8072.9999.9999.4242.1.4.1.1 \
    flowServicePorts:1.3.6.1.4.1.8072.9999.9999.4242.1.4.1.8 \
    flowProtocolNumber:1.3.6.1.4.1.8072.9999.9999.4242.1.5.1.1 \
    flowProtocolName:1.3.6.1.4.1.8072.9999.9999.4242.1.5.1.8 \
    flowHostServiceAddressType:1.3.6.1.4.1.8072.9999.9999.4242.1.6.1.1 \
    flowHostServiceName:1.3.6.1.4.1.8072.9999.9999.4242.1.6.1.3 \
    flowHostServiceProvInOctets:1.3.6.1.4.1.8072.9999.9999.4242.1.6.1.4 \
    flowHostServiceUsedInOctets:1.3.6.1.4.1.8072.9999.9999.4242.1.6.1.10 \
    flowHostServiceUsedOutFlows:1.3.6.1.4.1.8072.9999.9999.4242.1.6.1.15 \
    flowHostServiceAddressText:1.3.6.1.4.1.8072.9999.9999.4242.1.6.1.16 \
    flowHostServiceCreated:1.3.6.1.4.1.8072.9999.9999.4242.1.6.1.18 \
    flowHostServiceGroup:1.3.6.1.4.1.8072.9999.9999.4242.2.2.6 \
    flowsnmpCompliance:1.3.6.1.4.1.8072.9999.9999.4242.2.1.1; do
    name=${pair%%:*} want=${pair#*:}
    got=$(awk -v n="$name" '$2 == n { print $4 }' <<<"$tree")
    is "$got" "$want" "$name is $want"
done
done_testing
