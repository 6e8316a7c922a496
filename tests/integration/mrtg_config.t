#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowmrtg against a real snmpd + flowagentx serving a state file whose rows statewriter
# wrote: the configuration has exactly the targets the rows imply (names, OIDs, agent,
# MaxBytes from --link-speed, Titles; ground truth from tests/lib/mrtg_expect.py, which
# encodes indexes and names on its own), --top N keeps the N hosts with the most traffic,
# --host-filter and --tables select, `mrtg --check` accepts the file and indexmaker builds
# an index page naming every target. The same over SNMPv3 (authPriv).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
. "$(dirname "$0")/../lib/mrtg.sh"
need_mrtg
[ -x "$BIN/flowmrtg" ] || bail "$BIN/flowmrtg missing: build first"

# The rows: IPv4 hosts in two /24s with distinct traffic (and two that tie), IPv6 hosts,
# the "other" row, services (one whose name needs escaping), protocols, exporters.
{
    echo 'create hosts=64 services=16 exporters=8 software="flowmrtg-test"'
    for i in 1 2 3 4 5 6 7 8 9; do
        echo "host 10.1.0.$i in_octets=$((i * 7919 % 100 * 1000)) out_octets=$((i * 31))"
    done
    echo "host 10.2.0.1 in_octets=50000 out_octets=50000"
    echo "host 10.2.0.2 in_octets=99999 out_octets=1"       # ties with 10.2.0.1
    echo "host 10.2.0.200 in_octets=10 out_octets=0"
    echo "host 2001:db8:1::5 in_octets=120000 out_octets=5"
    echo "host 2001:db8:1:0:1:2:3:4 in_octets=3 out_octets=4"
    echo "host 2001:db8:ff::a in_octets=0 out_octets=70000"
    echo "host other in_octets=5 out_octets=6"
    echo 'service https ports "tcp/443 udp/443" in_octets=5000 out_octets=7000'
    echo 'service dns ports "udp/53 tcp/53" in_octets=1 out_octets=2'
    echo 'service My_Svc ports "tcp/8080" in_octets=3 out_octets=4'
    echo 'proto 6 tcp in_octets=10 out_octets=20'
    echo 'proto 17 udp in_octets=10 out_octets=20'
    echo 'proto 58 ipv6-icmp in_octets=1 out_octets=1'
    echo 'exporter 192.0.2.1 domain 0 version 10 records=100 records_lost=3'
    echo 'exporter 2001:db8::1 domain 256 version 9 records=7'
} >"$T/spec"

# snmpd also knows an SNMPv3 user (SHA + AES), for the v3 part.
cat >"$T/snmpd-body" <<EOF
master        agentx
agentXSocket  unix:$T/snmpd/agentx.sock
agentXPerms   0666 0777
agentXTimeout 5
agentXRetries 1
rocommunity   public 127.0.0.1
createUser    flowuser SHA flowauthpass AES flowprivpass
rouser        flowuser priv
dontLogTCPWrappersConnects yes
EOF
MRTG_SNMPD_BODY=$T/snmpd-body mrtg_agent_up "$T/spec"
ok 0 "snmpd and flowagentx serve the rows"

mkdir -p "$T/work"
FM() { "$BIN/flowmrtg" "$@" 2>>"$T/flowmrtg.err"; }

# 1. All tables, 100 Mbit/s.
FM --workdir "$T/work" --link-speed 100M -o "$T/all.cfg" "public@$SNMP_AGENT"
ok $? "flowmrtg wrote the configuration" || diag_file "$T/flowmrtg.err"
mrtg_summary "$T/all.cfg" >"$T/all.got"
mrtg_expect "$T/spec" --link 100000000 >"$T/all.want"
is "$(wc -l <"$T/all.got")" 26 "26 targets: 2 totals, 2 exporters, 16 hosts, 3 services, 3 protocols"
diff "$T/all.want" "$T/all.got" >"$T/all.diff"
ok $? "every target's name, OIDs, agent, MaxBytes and Title are the expected ones" ||
    diag_file "$T/all.diff" 30
grep -q '^Target\[host_2001-db8-1--5\]: ' "$T/all.cfg"
ok $? "IPv6 host named from its RFC 5952 text (host_2001-db8-1--5)"
grep -q '^Target\[svc__4dy_5f_53vc\]: ' "$T/all.cfg"
ok $? "a service name with capitals and '_' is escaped (MRTG lower-cases names)"
for t in total host_10.1.0.5 svc_https proto_tcp exp_192.0.2.1-0; do
    grep -q "^Options\[$t\]: .*growright" "$T/all.cfg" && grep -q "^PageTop\[$t\]: <h1>" "$T/all.cfg"
    ok $? "$t has Options[] growright and a PageTop"
done
grep -q '^Options\[host_10.1.0.5\]: bits, growright, noinfo$' "$T/all.cfg"
ok $? "traffic targets graph bits"
grep -q '<td>https: tcp/443 udp/443</td>' "$T/all.cfg"
ok $? "the service's PageTop names its ports"
grep -q '^### Global Config Options' "$T/all.cfg" && grep -q "^WorkDir: $T/work\$" "$T/all.cfg" &&
    grep -q "^# Created by" "$T/all.cfg" && grep -q -- "^# .*/flowmrtg --workdir $T/work --link-speed 100M -o $T/all.cfg public@$SNMP_AGENT\$" "$T/all.cfg"
ok $? "cfgmaker's header (command line) and global section with WorkDir"
grep -q '^EnableIPv6: no$' "$T/all.cfg"
ok $? "EnableIPv6: no for an IPv4 agent"

# mrtg --check: reads and checks the file without polling.
env LANG=C mrtg --check --lock-file "$T/c.lock" --confcache-file "$T/c.ok" "$T/all.cfg" >"$T/check.out" 2>&1
ok $? "mrtg --check accepts it" || diag_file "$T/check.out"
is "$(grep -c . "$T/check.out")" 0 "mrtg --check says nothing"
# The check can fail: a target without MaxBytes is refused.
grep -v '^MaxBytes\[svc_https\]' "$T/all.cfg" >"$T/broken.cfg"
env LANG=C mrtg --check --lock-file "$T/c.lock" --confcache-file "$T/c.ok" "$T/broken.cfg" >"$T/check2.out" 2>&1
[ -s "$T/check2.out" ] && grep -q 'MaxBytes' "$T/check2.out"
ok $? "(mrtg --check does refuse a target without MaxBytes)"

# indexmaker: one entry (with its day graph) per target, captioned with its Title.
env LANG=C indexmaker --output="$T/work/index.html" "$T/all.cfg" 2>"$T/indexmaker.err"
ok $? "indexmaker ran" || diag_file "$T/indexmaker.err"
n=0
while IFS='|' read -r name _ _ title; do
    grep -q "SRC=\"$name-day.png\"" "$T/work/index.html" && grep -qF "$title" "$T/work/index.html" &&
        n=$((n + 1))
done <"$T/all.want"
is "$n" 26 "index.html shows all 26 targets' graphs with their titles"

# 2. --top 5 at 1 Gbit/s: the 5 hosts with the most in + out octets (ties: index order).
FM --workdir "$T/work" --link-speed 1G --top 5 -o "$T/top.cfg" "public@$SNMP_AGENT"
ok $? "flowmrtg --top 5"
mrtg_expect "$T/spec" --top 5 >"$T/top.want"
mrtg_summary "$T/top.cfg" >"$T/top.got"
diff "$T/top.want" "$T/top.got" >"$T/top.diff"
ok $? "--top 5: the expected hosts (and other row), totals, services, protocols" ||
    diag_file "$T/top.diff"
is "$(grep -c '^Target\[host_[0-9]' "$T/top.cfg")" 5 "--top 5: five hosts with an address"
got=$(grep -o '^Target\[host_[^]]*' "$T/top.cfg" | sed 's/Target\[host_//' | LC_ALL=C sort | tr '\n' ' ')
is "$got" "10.1.0.4 10.1.0.5 10.2.0.1 10.2.0.2 2001-db8-1--5 other " \
    "--top 5 by hand: 120005, 100000 twice, 95155, 76124 octets (and the other row)"
FM --tables hosts --top 2 -o "$T/top2.cfg" "public@$SNMP_AGENT"
got=$(grep -o '^Target\[host_[^]]*' "$T/top2.cfg" | sed 's/Target\[host_//' | LC_ALL=C sort | tr '\n' ' ')
is "$got" "10.2.0.1 2001-db8-1--5 other " "--top 2: of two hosts that tie, the one first in index order"
grep -q '^MaxBytes\[host_10.2.0.1\]: 125000000$' "$T/top.cfg"
ok $? "--link-speed 1G gives MaxBytes 125000000"

# 3. --host-filter (two prefixes), only hosts.
FM --workdir "$T/work" --tables hosts --host-filter 10.2.0.0/24 --host-filter 2001:db8:1::/48 \
    -o "$T/filter.cfg" "public@$SNMP_AGENT"
ok $? "flowmrtg --host-filter"
mrtg_expect "$T/spec" --tables hosts --filter 10.2.0.0/24 --filter 2001:db8:1::/48 >"$T/filter.want"
mrtg_summary "$T/filter.cfg" >"$T/filter.got"
diff "$T/filter.want" "$T/filter.got" >"$T/filter.diff"
ok $? "--host-filter: exactly the hosts within the prefixes" || diag_file "$T/filter.diff"
is "$(cut -d'|' -f1 "$T/filter.got" | tr '\n' ' ')" \
    "host_10.2.0.1 host_10.2.0.200 host_10.2.0.2 host_2001-db8-1--5 host_2001-db8-1-0-1-2-3-4 " \
    "--host-filter by hand"
env LANG=C mrtg --check --lock-file "$T/c.lock" --confcache-file "$T/c.ok" "$T/filter.cfg" >"$T/check3.out" 2>&1
ok $? "mrtg --check accepts the filtered file" || diag_file "$T/check3.out"

# 4. --tables services,protocols with --logformat rrdtool and --global lines.
FM --tables services,protocols --logformat rrdtool --global "WorkDir: $T/work" \
    --global 'Interval: 5' -o "$T/svc.cfg" "public@$SNMP_AGENT"
ok $? "flowmrtg --tables services,protocols"
is "$(mrtg_summary "$T/svc.cfg" | cut -d'|' -f1 | tr '\n' ' ')" \
    "proto_ipv6-icmp proto_tcp proto_udp svc__4dy_5f_53vc svc_dns svc_https " "only services and protocols"
grep -q '^LogFormat: rrdtool$' "$T/svc.cfg" && grep -q '^Interval: 5$' "$T/svc.cfg" &&
    [ "$(grep -c '^WorkDir:' "$T/svc.cfg")" = 1 ]
ok $? "LogFormat: rrdtool, the --global lines, one WorkDir"
env LANG=C mrtg --check --lock-file "$T/c.lock" --confcache-file "$T/c.ok" "$T/svc.cfg" >"$T/check4.out" 2>&1
ok $? "mrtg --check accepts it" || diag_file "$T/check4.out"

# 5. SNMPv3, authPriv: the same targets, with SnmpOptions[] for MRTG's Net::SNMP.
FM -v 3 -u flowuser -l authPriv -a SHA -A flowauthpass -x AES -X flowprivpass \
    --workdir "$T/work" --link-speed 100M -o "$T/v3.cfg" "$SNMP_AGENT"
ok $? "flowmrtg over SNMPv3 authPriv" || diag_file "$T/flowmrtg.err"
mrtg_expect "$T/spec" --link 100000000 --v3-user flowuser >"$T/v3.want"
mrtg_summary "$T/v3.cfg" >"$T/v3.got"
diff "$T/v3.want" "$T/v3.got" >"$T/v3.diff"
ok $? "SNMPv3: the same targets, version 3" || diag_file "$T/v3.diff"
is "$(grep -c "^SnmpOptions\[[^]]*\]: username=>'flowuser',authpassword=>'flowauthpass',authprotocol=>'sha',privpassword=>'flowprivpass',privprotocol=>'aes'\$" "$T/v3.cfg")" 26 \
    "SnmpOptions[] for each of the 26 targets"
grep -q '^EnableSnmpV3: yes$' "$T/v3.cfg"
ok $? "EnableSnmpV3: yes"
is "$(stat -c %a "$T/v3.cfg")" 600 "the file holding pass phrases is readable by its owner only"
if grep -q 'flowauthpass\|flowprivpass' <(grep '^# ' "$T/v3.cfg"); then ok 1 "pass phrases masked in the header"
else ok 0 "pass phrases masked in the header"; fi
FM -v 3 -u flowuser -l authPriv -a SHA -A wrongpassphrase -x AES -X flowprivpass -t 0.3 -r 0 \
    -o "$T/v3bad.cfg" "$SNMP_AGENT"
rc=$?
[ "$rc" = 1 ] && [ ! -e "$T/v3bad.cfg" ]
ok $? "a wrong pass phrase: exit 1, no file (rc $rc)"

# 5b. --no-global: targets for `Include:` in an operator's existing mrtg.cfg.
FM --no-global --tables totals,services -o "$T/flows.inc" "public@$SNMP_AGENT"
ok $? "flowmrtg --no-global"
grep -q '^WorkDir\|^EnableIPv6\|^LogFormat\|^### Global' "$T/flows.inc"
ok $((!$?)) "... writes no global keywords"
is "$(grep -c '^Target\[' "$T/flows.inc")" 5 "... and the 5 targets"
printf 'WorkDir: %s\nOptions[_]: growright\nEnableIPv6: no\n\nInclude: %s\n' "$T/work" "$T/flows.inc" >"$T/main.cfg"
env LANG=C mrtg --check --lock-file "$T/c.lock" --confcache-file "$T/c.ok" "$T/main.cfg" >"$T/check5.out" 2>&1
ok $? "an mrtg.cfg that includes it passes mrtg --check" || diag_file "$T/check5.out"

# 6. Errors an operator meets.
"$BIN/flowmrtg" -v 1 "public@$SNMP_AGENT" >/dev/null 2>"$T/e1"
is "$?" 2 "-v 1 refused (Counter64 needs v2c)"
"$BIN/flowmrtg" --link-speed fast "public@$SNMP_AGENT" >/dev/null 2>"$T/e2"
is "$?" 2 "a bad --link-speed refused"
"$BIN/flowmrtg" --tables hosts,routers "public@$SNMP_AGENT" >/dev/null 2>"$T/e3"
is "$?" 2 "an unknown table refused"
"$BIN/flowmrtg" -t 0.3 -r 0 "wrong@$SNMP_AGENT" >/dev/null 2>"$T/e4"
is "$?" 1 "a wrong community: exit 1"
grep -q 'Timeout' "$T/e4"
ok $? "... saying it timed out" || diag_file "$T/e4"
stop_pid "$AGX_PID"
"$BIN/flowmrtg" -t 0.5 -r 1 "public@$SNMP_AGENT" >/dev/null 2>"$T/e5"
is "$?" 1 "an snmpd without flowagentx: exit 1"
grep -q 'does not serve FLOWSNMP-MIB' "$T/e5"
ok $? "... saying the MIB is missing" || diag_file "$T/e5"
"$BIN/flowmrtg" --help | grep -q -- '--link-speed'
ok $? "--help lists the options"
is "$("$BIN/flowmrtg" --version)" "flowmrtg 0.1.0" "--version"
done_testing
