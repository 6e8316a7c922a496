#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Target names are stable: flowmrtg runs, then new hosts (sorting before, between and
# after the old ones, IPv4 and IPv6), a service, a protocol and an exporter appear, one
# host goes away and the traffic ranking changes; a second run keeps every existing
# target line as it was (diff of the Target lines: only the new rows added, the gone
# one removed) and the new targets are the expected ones.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
. "$(dirname "$0")/../lib/mrtg.sh"
need_mrtg
[ -x "$BIN/flowmrtg" ] || bail "$BIN/flowmrtg missing: build first"

cat >"$T/spec1" <<'EOF'
create hosts=64 services=16 exporters=8 software="flowmrtg-test"
host 10.1.0.5 in_octets=1000 out_octets=2000
host 10.1.0.9 in_octets=3000 out_octets=4000
host 10.1.0.20 in_octets=5000 out_octets=6000
host 2001:db8:1::5 in_octets=7000 out_octets=8000
service https ports "tcp/443" in_octets=1 out_octets=2
service dns ports "udp/53" in_octets=1 out_octets=2
proto 6 tcp in_octets=1 out_octets=1
exporter 192.0.2.1 domain 0 version 10 records=10
EOF
mrtg_agent_up "$T/spec1"
mkdir -p "$T/work"
"$BIN/flowmrtg" -q --workdir "$T/work" -o "$T/run1.cfg" "public@$SNMP_AGENT"
ok $? "first flowmrtg run"
mrtg_summary "$T/run1.cfg" >"$T/run1.got"
mrtg_expect "$T/spec1" >"$T/run1.want"
diff "$T/run1.want" "$T/run1.got" >"$T/run1.diff"
ok $? "first run: the expected targets" || diag_file "$T/run1.diff"

# The tables change under the running subagent: rows before, between and after the old
# ones (in index order), a host removed, new traffic that reorders the ranking.
cat >"$T/spec2" <<'EOF'
host 10.1.0.1 in_octets=99000000
host 10.1.0.6 in_octets=5
host 10.1.0.200 out_octets=5
host 2001:db8::1 in_octets=5
host 2001:db8:ff::1 in_octets=5
host 10.1.0.5 in_octets+=123456789
del host 10.1.0.9
service ssh ports "tcp/22" in_octets=1
service a-first ports "tcp/1" in_octets=1
proto 47 gre in_octets=1
proto 1 icmp in_octets=1
exporter 192.0.2.0 domain 7 version 5 records=1
EOF
"$TOOLS/statewriter" -s "$T/spec2" "$T/state"
ok $? "statewriter changed the tables"
# flowagentx looks at the file again at least every second: wait for the new rows.
wait_oid 20 "$FLOWSNMP_ROOT.1.3.1.3.1.4.10.1.0.1"
ok $? "the new host is served"
wait_for 20 bash -c "! snmpget -v2c -c public -Oqv $SNMP_AGENT $FLOWSNMP_ROOT.1.3.1.3.1.4.10.1.0.9 | grep -q '^[0-9]'"
ok $? "the removed host is gone"

"$BIN/flowmrtg" -q --workdir "$T/work" -o "$T/run2.cfg" "public@$SNMP_AGENT"
ok $? "second flowmrtg run"
cat "$T/spec1" "$T/spec2" >"$T/spec12"
mrtg_summary "$T/run2.cfg" >"$T/run2.got"
mrtg_expect "$T/spec12" >"$T/run2.want"
diff "$T/run2.want" "$T/run2.got" >"$T/run2.diff"
ok $? "second run: the expected targets" || diag_file "$T/run2.diff"

# The Target lines, old against new: nothing changed, only rows added and one removed.
grep '^Target\[' "$T/run1.cfg" | LC_ALL=C sort >"$T/t1"
grep '^Target\[' "$T/run2.cfg" | LC_ALL=C sort >"$T/t2"
removed=$(LC_ALL=C comm -23 "$T/t1" "$T/t2" | sed 's/\].*//; s/^Target\[//' | tr '\n' ' ')
added=$(LC_ALL=C comm -13 "$T/t1" "$T/t2" | sed 's/\].*//; s/^Target\[//' | tr '\n' ' ')
is "$removed" "host_10.1.0.9 " "the only target line gone is the removed host's"
is "$added" "exp_192.0.2.0-7 host_10.1.0.1 host_10.1.0.200 host_10.1.0.6 host_2001-db8--1 host_2001-db8-ff--1 proto_gre proto_icmp svc_a-first svc_ssh " \
    "the new target lines are the new rows'"
kept=$(LC_ALL=C comm -12 "$T/t1" "$T/t2" | wc -l)
is "$kept" "$(($(wc -l <"$T/t1") - 1))" "every other target line is byte for byte the same"

# The same holds for each kept target's other lines (MaxBytes, Title, PageTop's first line).
n=0 same=0
for name in $(LC_ALL=C comm -12 "$T/t1" "$T/t2" | sed 's/\].*//; s/^Target\[//'); do
    n=$((n + 1))
    a=$(grep -F -e "MaxBytes[$name]" -e "Title[$name]" -e "PageTop[$name]" -e "Options[$name]" "$T/run1.cfg")
    b=$(grep -F -e "MaxBytes[$name]" -e "Title[$name]" -e "PageTop[$name]" -e "Options[$name]" "$T/run2.cfg")
    [ "$a" = "$b" ] && same=$((same + 1))
done
is "$same" "$n" "each kept target's MaxBytes, Options, Title and PageTop are unchanged"

# A --top run also names its hosts the same way (the ranking changed, the names did not).
"$BIN/flowmrtg" -q --tables hosts --top 2 -o "$T/top.cfg" "public@$SNMP_AGENT"
is "$(grep -o '^Target\[host_[^]]*' "$T/top.cfg" | sed 's/Target\[//' | LC_ALL=C sort | tr '\n' ' ')" \
    "host_10.1.0.1 host_10.1.0.5 " "--top 2 after the change: the new ranking, same names"
done_testing
