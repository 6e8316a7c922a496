#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A real MRTG runs twice over flowmrtg's configurations — classic logs (rateup), LogFormat
# rrdtool, symbolic OIDs (--mib-dir), and SNMPv3 (authPriv) — while statewriter advances
# every counter those targets poll by known amounts between the runs. The rates MRTG
# records must be each delta divided by the time between MRTG's own two samples.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
. "$(dirname "$0")/../lib/mrtg.sh"
need_mrtg
need_cmd rrdtool
[ -x "$BIN/flowmrtg" ] || bail "$BIN/flowmrtg missing: build first"

cat >"$T/spec" <<'EOF'
create hosts=16 services=8 exporters=4 software="flowmrtg-test"
scalar in_octets=10000000 out_octets=20000000 records=5000 records_lost=10
host 10.1.0.5 in_octets=1000000 out_octets=2000000
host 2001:db8:1::5 in_octets=3000000 out_octets=4000000
service https ports "tcp/443" in_octets=5000 out_octets=7000
proto 6 tcp in_octets=100 out_octets=200
exporter 192.0.2.1 domain 0 version 10 records=5000 records_lost=10
EOF
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

# The counters each target polls and what the second spec adds to them (bytes, records).
# name  in-delta  out-delta
cat >"$T/deltas" <<'EOF'
total 3600000 7200000
total_records 9000 30
host_10.1.0.5 1800000 600000
host_2001-db8-1--5 240000 4800000
svc_https 120000 60000
proto_tcp 90000 45000
exp_192.0.2.1-0 9000 30
EOF
cat >"$T/spec2" <<'EOF'
scalar in_octets+=3600000 out_octets+=7200000 records+=9000 records_lost+=30
host 10.1.0.5 in_octets+=1800000 out_octets+=600000
host 2001:db8:1::5 in_octets+=240000 out_octets+=4800000
service https in_octets+=120000 out_octets+=60000
proto 6 in_octets+=90000 out_octets+=45000
exporter 192.0.2.1 domain 0 records+=9000 records_lost+=30
EOF

# Four configurations (numeric OIDs unless said): classic, rrdtool with a 1 s step,
# symbolic OIDs, SNMPv3.
HAVE_V3=1
perl -MNet::SNMP -MCrypt::DES -MDigest::HMAC -MCrypt::Rijndael -e 1 2>/dev/null || HAVE_V3=
for c in classic rrd sym v3; do mkdir -p "$T/$c"; done
"$BIN/flowmrtg" -q --workdir "$T/classic" -o "$T/classic.cfg" "public@$SNMP_AGENT"
ok $? "flowmrtg: classic configuration"
"$BIN/flowmrtg" -q --workdir "$T/rrd" --logformat rrdtool --global 'Interval: 0:01' \
    -o "$T/rrd.cfg" "public@$SNMP_AGENT"
ok $? "flowmrtg: LogFormat rrdtool"
"$BIN/flowmrtg" -q --workdir "$T/sym" --mib-dir "$FSN_ROOT/conf" --tables hosts,services \
    -o "$T/sym.cfg" "public@$SNMP_AGENT"
ok $? "flowmrtg: symbolic OIDs"
grep -q "^LoadMIBs: .*NET-SNMP-MIB.txt, $FSN_ROOT/conf/FLOWSNMP-MIB.txt\$" "$T/sym.cfg" &&
    grep -q '^Target\[host_10.1.0.5\]: flowHostInOctets.1.4.10.1.0.5&flowHostOutOctets.1.4.10.1.0.5:' "$T/sym.cfg"
ok $? "symbolic: LoadMIBs and named objects"
"$BIN/flowmrtg" -q -v 3 -u flowuser -l authPriv -a SHA -A flowauthpass -x AES -X flowprivpass \
    --workdir "$T/v3" --tables totals,hosts -o "$T/v3.cfg" "$SNMP_AGENT"
ok $? "flowmrtg: SNMPv3"
CFGS="classic rrd sym"
if [ -n "$HAVE_V3" ]; then CFGS="$CFGS v3"; else
    diag "SNMPv3 polling by MRTG skipped: Net::SNMP's crypto modules missing (libcrypt-des-perl libdigest-hmac-perl libcrypt-rijndael-perl)"
fi

for c in $CFGS; do
    run_mrtg "$T/$c.cfg" "$T/$c.run1"
    ok $? "$c: first mrtg run" || diag_file "$T/$c.run1"
done
# The first samples: classic logs hold the counters on their first line; RRDs their
# last_ds and last_update.
declare -A T1 IN1 OUT1
for c in classic sym v3; do
    for f in "$T/$c"/*.log; do
        [ -e "$f" ] || continue
        n=$(basename "$f" .log)
        read -r T1[$c/$n] IN1[$c/$n] OUT1[$c/$n] <"$f"
    done
done
rrd_last() { # FILE -> "time in out"
    rrdtool info "$1" | awk -F' = ' '/^last_update/ {t=$2} /^ds\[ds0\].last_ds/ {i=$2}
        /^ds\[ds1\].last_ds/ {o=$2} END {gsub(/"/, "", i); gsub(/"/, "", o); print t, i, o}'
}
for f in "$T"/rrd/*.rrd; do
    n=$(basename "$f" .rrd)
    read -r T1[rrd/$n] IN1[rrd/$n] OUT1[rrd/$n] < <(rrd_last "$f")
done
is "${IN1[classic/host_10.1.0.5]} ${OUT1[classic/host_10.1.0.5]}" "1000000 2000000" \
    "classic: MRTG read the host's counters"
is "${IN1[rrd/exp_192.0.2.1-0]} ${OUT1[rrd/exp_192.0.2.1-0]}" "5000 10" \
    "rrdtool: MRTG read the exporter's counters"
is "${IN1[sym/svc_https]} ${OUT1[sym/svc_https]}" "5000 7000" "symbolic: MRTG read the service's counters"

"$TOOLS/statewriter" -s "$T/spec2" "$T/state"
ok $? "counters advanced"
wait_for 10 bash -c "[ \"\$(snmpget -v2c -c public -Oqv $SNMP_AGENT $FLOWSNMP_ROOT.1.5.1.3.6)\" = 45200 ]"
ok $? "the new counters are served"
# At least two seconds on MRTG's clock between the samples, so that a rate has a
# denominator and an RRD with a 1 s step has a whole step between them.
latest=0
for k in "${!T1[@]}"; do [ "${T1[$k]}" -gt "$latest" ] && latest=${T1[$k]}; done
wait_for 10 bash -c "[ \$(date +%s) -ge $((latest + 2)) ]"

for c in $CFGS; do
    run_mrtg "$T/$c.cfg" "$T/$c.run2"
    ok $? "$c: second mrtg run" || diag_file "$T/$c.run2"
    is "$(grep -v 'RRDCached\|^$' "$T/$c.run2" | grep -c .)" 0 "$c: second run is silent" ||
        diag_file "$T/$c.run2"
done

# within ONE EXPECTED: |ONE - EXPECTED| <= 1 (MRTG rounds rates to integers).
within() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d <= 1 && d >= -1) }'; }

check_classic() { # CFG NAME DIN DOUT
    local c=$1 n=$2 din=$3 dout=$4 log=$T/$1/$2.log t2 in2 out2 tr rin rout dt
    { read -r t2 in2 out2; read -r tr rin rout _; } <"$log"
    dt=$((t2 - T1[$c/$n]))
    is "$((in2 - IN1[$c/$n])) $((out2 - OUT1[$c/$n]))" "$din $dout" "$c $n: the counter deltas MRTG saw"
    within "$rin" "$(awk -v d="$din" -v t="$dt" 'BEGIN { print d / t }')" &&
        within "$rout" "$(awk -v d="$dout" -v t="$dt" 'BEGIN { print d / t }')"
    ok $? "$c $n: rates $rin $rout = $din $dout / $dt s" 
}
check_rrd() { # NAME DIN DOUT
    local n=$1 din=$2 dout=$3 f=$T/rrd/$1.rrd t2 in2 out2 dt rows
    read -r t2 in2 out2 < <(rrd_last "$f")
    dt=$((t2 - T1[rrd/$n]))
    is "$((in2 - IN1[rrd/$n])) $((out2 - OUT1[rrd/$n]))" "$din $dout" "rrd $n: the counter deltas in the RRD"
    # Every 1 s step wholly between the two samples holds delta / dt; compare all of them.
    rows=$(rrdtool fetch "$f" AVERAGE -r 1 -s "$((T1[rrd/$n] - 1))" -e "$t2" |
        awk -v din="$din" -v dout="$dout" -v dt="$dt" -v t1="${T1[rrd/$n]}" -v t2="$t2" '
            $1 ~ /^[0-9]+:$/ { t = $1 + 0; if (t <= t1 || t > t2) next; n++
                ei = din / dt; eo = dout / dt
                if ((ei == 0 ? $2 + 0 == 0 : ($2 - ei) / ei < 1e-6 && (ei - $2) / ei < 1e-6) &&
                    (eo == 0 ? $3 + 0 == 0 : ($3 - eo) / eo < 1e-6 && (eo - $3) / eo < 1e-6)) good++ }
            END { print n + 0, good + 0 }')
    read -r nrows ngood <<<"$rows"
    [ "$nrows" -ge 2 ] && [ "$nrows" = "$ngood" ]
    ok $? "rrd $n: $ngood of $nrows steps hold $din/$dt and $dout/$dt per second"
}

while read -r n din dout; do
    check_classic classic "$n" "$din" "$dout"
    check_rrd "$n" "$din" "$dout"
done <"$T/deltas"
check_classic sym host_10.1.0.5 1800000 600000
check_classic sym svc_https 120000 60000
if [ -n "$HAVE_V3" ]; then
    check_classic v3 host_2001-db8-1--5 240000 4800000
    check_classic v3 total 3600000 7200000
else
    skip "Net::SNMP's crypto modules missing" "v3: MRTG polls over SNMPv3"
fi
[ -s "$T/classic/host_10.1.0.5-day.png" ] && [ -s "$T/classic/host_10.1.0.5.html" ]
ok $? "classic: MRTG drew its graphs and pages"
done_testing
