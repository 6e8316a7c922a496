#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `make demo`'s script, run into a temp dir, and every artefact it leaves
# checked against the sample's ground truth (the generator's flows, with the
# demo's local networks 10.1.0.0/16 and 2001:db8:1::/48 deciding in and out,
# as docs/counting.md says): RRD sums, the SNMP figures it printed, MRTG's
# logs step by step against the RRD files, MRTG's and flowgraph's pages in
# headless Chromium, flowreport's totals. A second, shorter run must start
# afresh and leave no daemon behind.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/chromium.sh"
need_cmd mrtg; need_cmd rrdtool; need_cmd editcap; need_cmd faketime

STEP=300
DURATION=1800   # 6 slices, 7 MRTG runs (each runs rateup once per target: about 2 s of CPU)
run_demo() {    # run_demo N PACKETS DURATION
    DEMO_DIR=$T/demo DEMO_PACKETS=$2 DEMO_DURATION=$3 "$FSN_ROOT/scripts/demo.sh" >"$T/demo$1.out" 2>&1
}
run_demo 1 60000 "$DURATION"
ok $? "the demo runs to its end" || { diag_file "$T/demo1.out" 60; bail "demo failed"; }
D=$T/demo

# truth_sums TRUTH: in and out octets (to / from a local address), packets, bytes.
truth_sums() {
    awk 'function local(a) { return a ~ /^10\.1\./ || a ~ /^2001:db8:1:/ }
        /^#/ || NF < 9 { next }
        { if (local($3)) i += $9; if (local($2)) o += $9; p += $8; b += $9 }
        END { printf "%d %d %d %d\n", i, o, p, b }' "$1"
}
read -r want_in want_out want_pk want_by <<<"$(truth_sums "$D/truth.txt")"
diag "ground truth: in $want_in, out $want_out octets; $want_pk packets, $want_by bytes"

# 1. RRD files with data: total.rrd's steps sum to the truth (AVERAGE x step).
first_step() { awk -v step=$STEP '/^#/ || NF < 9 { next } { t = int($10 / 1000); if (!m || t < m) m = t } END { print m - m % step }' "$1"; }
start=$(first_step "$D/truth.txt")
got=$(rrdtool fetch "$D/rrd/total.rrd" AVERAGE -r $STEP -s $((start - 600)) -e $((start + DURATION + 1200)) |
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

# 3. MRTG, step by step against the RRD files. MRTG polled at the start and at the end of
# every 5-minute slice, its clock at that time; rateup logs, for the poll at t, the counters'
# change since the previous poll divided by the 300 s between them, as
# (long long)(delta / 300 + .5) (rateup.c, update()), at exactly t (the polls are on
# 5-minute boundaries, so its 5-minute entries are those rates, unmixed). The RRD step
# ending at t holds the same change (AVERAGE x 300, an exact count; slices and steps
# have the same bounds). So each entry is exactly (2 * count + 300) div 600. One
# exception, also MRTG's: a row that did not exist yet at the previous poll (a host or
# protocol before its first flow; the totals and the configured services always
# exist) was polled as -1, and rateup then repeats its previous entry, 0.
# mrtg_check NAME RRD ALWAYS: prints "steps mismatches mrtg_total rrd_total maxin maxout".
mrtg_check() {
    local name=$1 rrd=$2 always=$3
    {
        echo "log"
        awk 'NR > 1 { print $1, $2, $3 }' "$D/mrtg/$name.log"
        echo "rrd"
        if [ -f "$rrd" ]; then
            rrdtool fetch "$rrd" AVERAGE -r $STEP -s "$start" -e $((start + DURATION)) |
                awk 'NR > 2 { sub(":", "", $1); print $1, $2, $3 }'
        fi
    } | awk -v s="$start" -v e=$((start + DURATION)) -v always="$always" -v step=$STEP '
        $1 == "log" || $1 == "rrd" { part = $1; next }
        part == "log" && !($1 in m) { m[$1] = $2 " " $3 }
        part == "rrd" && $1 > s && $1 <= e && $2 != "-nan" && $2 != "nan" {
            ci[$1] = sprintf("%.0f", $2 * step) + 0; co[$1] = sprintf("%.0f", $3 * step) + 0
        }
        END {
            seen = always
            for (t = s + step; t <= e; t += step) {
                split(m[t], v, " ")
                wi = wo = 0
                if (seen) { wi = int((2 * ci[t] + step) / (2 * step)); wo = int((2 * co[t] + step) / (2 * step)) }
                if (!(t in m) || v[1] != wi || v[2] != wo) {
                    bad++
                    printf "# %s: mrtg %s, want %d %d (rrd %d %d)\n", t, m[t], wi, wo, ci[t], co[t] > "/dev/stderr"
                }
                if (t in ci) seen = 1
                mt += (v[1] + v[2]) * step; rt += ci[t] + co[t]; n++
                if (v[1] > mi) mi = v[1]
                if (v[2] > mo) mo = v[2]
            }
            printf "%d %d %d %d %d %d\n", n, bad, mt, rt, mi, mo
        }'
}
nt=0 nbad=0 nempty=0
while read -r name; do
    case $name in
    total) rrd=total.rrd always=1 ;;
    host_other) rrd=other.rrd always=1 ;;
    svc_*) rrd=service/${name#svc_}.rrd always=1 ;;
    proto_*) rrd=proto/${name#proto_}.rrd always=0 ;;
    host_*.*.*.*) rrd=host/${name#host_}.rrd always=0 ;;
    host_*) rrd=host/$(python3 -c 'import ipaddress, sys; print(ipaddress.IPv6Address(sys.argv[1].replace("-", ":")))' "${name#host_}").rrd always=0 ;;
    *) continue ;;  # records/s: flowRecordsReceived/Lost, flowExporterRecords/Lost have no RRD
    esac
    nt=$((nt + 1))
    read -r n bad mt rt mi mo < <(mrtg_check "$name" "$D/rrd/$rrd" "$always" 2>"$T/mrtg_check.err")
    if [ "$n" != $((DURATION / STEP)) ] || [ "$bad" != 0 ]; then
        nbad=$((nbad + 1)); diag "$name ($rrd): $bad of $n steps differ"; diag_file "$T/mrtg_check.err" 5
    fi
    # The day graph's page states its maxima (rateup prints them for mrtg's <!-- maxin d -->).
    hmi=$(sed -n 's/^<!-- maxin d \([0-9]*\) -->$/\1/p' "$D/mrtg/$name.html")
    hmo=$(sed -n 's/^<!-- maxout d \([0-9]*\) -->$/\1/p' "$D/mrtg/$name.html")
    [ "$hmi $hmo" = "$mi $mo" ] || { nbad=$((nbad + 1)); diag "$name: page says max $hmi $hmo, log $mi $mo"; }
    [ "$mi" -gt 0 ] || [ "$rrd" = other.rrd ] || nempty=$((nempty + 1))
    [ "$name" != total ] || { tot_mrtg=$mt tot_rrd=$rt; }
done < <(sed -n 's/^Target\[\([^]]*\)\]:.*/\1/p' "$D/mrtg/mrtg.cfg")
ok $([ "$nt" -ge 15 ] && [ "$nbad" = 0 ]; echo $?) \
    "MRTG: $nt targets' logged rates equal their RRD steps, rounded as rateup does, every step"
ok $([ "$nempty" = 0 ]; echo $?) "MRTG: every day graph but host_other's has traffic ($nempty empty)"
diag "total in+out: MRTG's rates x 300 s $tot_mrtg, RRD $tot_rrd octets"
# Rounding moves each step by at most 150 octets per direction; no step is lost for total.
ok $(awk -v a="$tot_mrtg" -v b="$tot_rrd" -v n=$((2 * DURATION / STEP)) \
    'BEGIN { d = a - b; exit !(d * d <= (150 * n) ^ 2 && b == '$((want_in + want_out))') }'; echo $?) \
    "MRTG: total's rates add up to the RRD total (and the truth) within rateup's rounding"
[ -s "$D/mrtg/index.html" ] && grep -q 'libfaketime' "$D/mrtg/index.html" "$D/mrtg/total.html"
ok $? "MRTG: the index page and the target pages say that the clock was the sample's"
# The MRTG hosts are flowgraph's top 10.
mhosts=$(sed -n 's/^Target\[host_\([^]]*\)\]:.*/\1/p' "$D/mrtg/mrtg.cfg" | grep -v '^other$' | tr - : | sort | tr '\n' ' ')
ghosts=$(python3 -c '
import re, sys
s = open(sys.argv[1]).read()
i = s.index("id=\"hosts\""); j = s.index("</table>", i)
print(" ".join(sorted(re.findall(r"class=\"name\">(?:<a [^>]*>)?([^<]*)<", s[i:j]))))' "$D/graphs/index.html")
is "$mhosts" "$ghosts " "MRTG graphs the 10 hosts that flowgraph shows"

# 4. The pages load with all their images.
if chromium_find; then
    while read -r page loaded; do
        total=${loaded#*/}
        ok $([ "${loaded%/*}" = "$total" ] && [ "$total" -gt 0 ]; echo $?) "page $page: $loaded images loaded"
    done < <(chrome_pages_images "$D" graphs/index.html mrtg/index.html mrtg/total.html | awk '$1 != "DONE" { print $1, $2 }')
else
    skip "chromium not installed (scripts/deps.sh installs it)" "pages in headless Chromium"
fi

# 5. flowreport over the flow files: every packet and byte of the sample.
got=$("$BIN/flowreport" -q -R "$D/spool" -s total -o csv | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } NR == 2 { print $c["packets"], $c["bytes"] }')
is "$got" "$want_pk $want_by" "flowreport: total packets and bytes equal the truth"
grep -q "srcip" "$T/demo1.out"
ok $? "the demo printed the top talkers"

# 6. Again, shorter: a second run starts afresh and ends with its own sample's totals.
run_demo 2 5000 600
ok $? "a second run works" || diag_file "$T/demo2.out" 40
read -r want_in want_out _ <<<"$(truth_sums "$D/truth.txt")"
start=$(first_step "$D/truth.txt")
snmp2=$(awk '/4242\.1\.1\.[56]\.0 = Counter64:/ { printf "%s ", $NF }' "$T/demo2.out")
is "$snmp2" "$want_in $want_out " "the second run ends with its sample's totals"
is "$(awk 'NR > 1' "$D/mrtg/total.log" | head -3 | awk '{ printf "%s ", $1 }')" \
    "$((start + 600)) $((start + 300)) $start " "its MRTG log starts afresh"
pgrep -f "$D/" >/dev/null
ok $([ $? -ne 0 ]; echo $?) "no daemon of the demo is left running"
done_testing
