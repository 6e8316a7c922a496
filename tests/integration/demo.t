#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `make demo`'s script, run twice into a temp dir, and every artefact it
# leaves checked against the sample's ground truth (the generator's flows,
# with the demo's local networks 10.1.0.0/16 and 2001:db8:1::/48 deciding
# in and out, as docs/counting.md says): RRD sums, the SNMP figures it
# printed, MRTG's logged counters and rate, the MRTG and graph pages in
# headless Chromium, flowreport's totals. The second run must give the same.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/chromium.sh"
need_cmd mrtg; need_cmd rrdtool; need_cmd editcap

run_demo() {
    DEMO_DIR=$T/demo DEMO_PACKETS=60000 "$FSN_ROOT/scripts/demo.sh" >"$T/demo$1.out" 2>&1
}
run_demo 1
ok $? "the demo runs to its end" || { diag_file "$T/demo1.out" 60; bail "demo failed"; }
D=$T/demo

# Ground truth, with the demo's local networks: in = to a local address, out = from one.
read -r want_in want_out want_pk want_by <<<"$(awk '
    function local(a) { return a ~ /^10\.1\./ || a ~ /^2001:db8:1:/ }
    /^#/ || NF < 9 { next }
    { if (local($3)) i += $9; if (local($2)) o += $9; p += $8; b += $9 }
    END { printf "%d %d %d %d\n", i, o, p, b }' "$D/truth.txt")"
diag "ground truth: in $want_in, out $want_out octets; $want_pk packets, $want_by bytes"

# 1. RRD files with data: total.rrd's steps sum to the truth (AVERAGE x step).
start=$(awk '/^#/ || NF < 9 { next } { t = int($10 / 1000); if (!m || t < m) m = t } END { print m }' "$D/truth.txt")
got=$(rrdtool fetch "$D/rrd/total.rrd" AVERAGE -r 300 -s $((start - 600)) -e $((start + 14400 + 1200)) |
    awk 'NR > 2 && $2 != "-nan" && $2 != "nan" { i += $2 * 300; o += $3 * 300 } END { printf "%.0f %.0f\n", i, o }')
is "$got" "$want_in $want_out" "RRD: total.rrd's in and out octets over the steps equal the truth"
n=$(find "$D/rrd/host" -maxdepth 1 -name '*.rrd' | wc -l)
ok $([ "$n" -gt 100 ]; echo $?) "RRD: a file per local host ($n)"

# 2. SNMP, as the demo printed it: the totals, and the top hosts' rows.
snmp_in=$(awk '/4242\.1\.1\.5\.0 = Counter64:/ { print $NF }' "$T/demo1.out")
snmp_out=$(awk '/4242\.1\.1\.6\.0 = Counter64:/ { print $NF }' "$T/demo1.out")
is "$snmp_in $snmp_out" "$want_in $want_out" "SNMP: flowTotalInOctets and flowTotalOutOctets equal the truth"
if grep -q 'ipv4\."' "$T/demo1.out"; then
    bad=0 n=0
    while read -r addr in out; do
        # net-snmp shows an IPv6 index as hex bytes; the truth has the text form.
        case $addr in *:*:*:*:*:*:*:*:*:*:*:*:*:*:*:*)
            addr=$(python3 -c 'import ipaddress, sys; print(ipaddress.IPv6Address(bytes.fromhex(sys.argv[1].replace(":", ""))))' "$addr") ;;
        esac
        w=$(awk -v h="$addr" '/^#/ || NF < 9 { next } $3 == h { i += $9 } $2 == h { o += $9 } END { printf "%d %d", i, o }' "$D/truth.txt")
        n=$((n + 1))
        [ "$w" = "$in $out" ] || { bad=$((bad + 1)); diag "$addr: snmp $in $out, truth $w"; }
    done < <(sed -n 's/^ *ipv[46]\."\([^"]*\)" *in *\([0-9]*\) *out *\([0-9]*\) octets/\1 \2 \3/p' "$T/demo1.out")
    ok $([ "$n" -eq 10 ] && [ "$bad" -eq 0 ]; echo $?) "SNMP: the 10 top hosts' in/out octets equal the truth"
else
    skip "base MIBs absent: the demo printed no host table" "SNMP host rows"
fi

# 3. MRTG: the last raw counters are the truth; the rate is their change over MRTG's interval.
read -r t2 c2in c2out <<<"$(head -1 "$D/mrtg/total.log")"
is "$c2in $c2out" "$want_in $want_out" "MRTG: total's last counters equal the truth"
read -r t1 c1in c1out <<<"$(head -1 "$D/mrtg/total.old")"
read -r _ rin rout _ <<<"$(sed -n 2p "$D/mrtg/total.log")"
ok $(awk -v a="$rin" -v b="$rout" -v d1=$((c2in - c1in)) -v d2=$((c2out - c1out)) -v dt=$((t2 - t1)) \
    'BEGIN { exit !(dt > 0 && a > 0 && (a - d1 / dt) ^ 2 <= 1 && (b - d2 / dt) ^ 2 <= 1) }'; echo $?) \
    "MRTG: the logged rate ($rin, $rout) is the counters' change over $((t2 - t1)) s"
[ -s "$D/mrtg/index.html" ]
ok $? "MRTG: indexmaker wrote the index page"

# 4. The pages load with all their images.
if chromium_find; then
    while read -r page loaded; do
        total=${loaded#*/}
        ok $([ "${loaded%/*}" = "$total" ] && [ "$total" -gt 0 ]; echo $?) "page $page: $loaded images loaded"
    done < <(chrome_pages_images "$D" graphs/index.html mrtg/index.html | awk '$1 != "DONE" { print $1, $2 }')
else
    skip "chromium not installed (scripts/deps.sh installs it)" "pages in headless Chromium"
fi

# 5. flowreport over the flow files: every packet and byte of the sample.
got=$("$BIN/flowreport" -q -R "$D/spool" -s total -o csv | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } NR == 2 { print $c["packets"], $c["bytes"] }')
is "$got" "$want_pk $want_by" "flowreport: total packets and bytes equal the truth"
grep -q "srcip" "$T/demo1.out"
ok $? "the demo printed the top talkers"

# 6. Again: a second run works the same (it starts afresh).
run_demo 2
ok $? "a second run works" || diag_file "$T/demo2.out" 40
snmp2=$(awk '/4242\.1\.1\.[56]\.0 = Counter64:/ { printf "%s ", $NF }' "$T/demo2.out")
is "$snmp2" "$want_in $want_out " "the second run ends with the same totals"
pgrep -f "$D/" >/dev/null
ok $([ $? -ne 0 ]; echo $?) "no daemon of the demo is left running"
done_testing
