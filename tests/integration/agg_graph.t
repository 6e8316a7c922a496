#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowgraph's page in headless Chromium: the page loads, every image loads
# (the page's script sets data-images="all-loaded" only when each img is
# complete with a natural width), and it names the expected top hosts (the
# ground truth's top 5 by traffic, in order) and services.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agg.sh"
need_cmd rrdtool

START=1700000100
SPAN=$((4 * 3600))
END=$((START + SPAN + 600))

agg_gen_flows 11 4000 $START $SPAN > "$T/flows"
agg_truth < "$T/flows" > "$T/truth"
agg_conf "$T/agg.conf" "$T/rrd" "$T/state" ""
"$TOOLS/aggfeed" -c "$T/agg.conf" < "$T/flows" 2> "$T/feed.log"
ok $? "RRD files written"

# (Under ASan: librrd's graphing and fontconfig keep memory until exit; not ours.)
LSAN_OPTIONS=suppressions=$FSN_ROOT/tests/lib/lsan-librrd.supp:print_suppressions=0 \
    "$BIN/flowgraph" -R "$T/rrd" -o "$T/www" -n 5 --end $END 2> "$T/graph.err"
ok $? "flowgraph ran"
diag_file "$T/graph.err" 5
ok "$(test -s "$T/www/index.html"; echo $?)" "index.html written"
npng=0
for f in "$T"/www/{total,hosts,services,protocols,exporters}-*.png; do
    [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && npng=$((npng + 1))
done
is "$npng" 20 "20 PNG files for the index (5 graphs x day, week, month, year)"
# (The top hosts' and services' pages have theirs: agg_graph_hostsvc.t.)
is "$(grep -c '<img ' "$T/www/index.html")" 20 "the page shows all 20"

. "$(dirname "$0")/../lib/chromium.sh"
if ! chromium_find; then
    skip "chromium not installed (scripts/deps.sh installs it)" "page in headless Chromium"
    done_testing
fi

chrome "file://$T/www/index.html" --dump-dom > "$T/dom.html"
ok $? "Chromium loaded the page"
grep -q 'data-images="all-loaded"' "$T/dom.html"
ok $? "every image loaded (naturalWidth > 0)"
grep -q 'images loaded: 20 of 20' "$T/dom.html"
ok $? "the page counted 20 of 20"

# The hosts table, in page order, against the truth's top 5 by in + out octets.
want=$(awk '$1 ~ /^host\// { sub(/^host\//, "", $1); print $2 + $3, $1 }' "$T/truth" |
       sort -k1,1nr -k2,2 | head -n 5 | awk '{print $2}' | tr '\n' ' ')
got=$(sed -n '/<h2 id="hosts">/,/<\/table>/p' "$T/dom.html" |
      grep -o '<td class="name"><a href="[^"]*">[^<]*</a></td>' | sed 's/<[^>]*>//g' | tr '\n' ' ')
is "$got" "$want" "the page names the top 5 hosts in order, each linked to its page"
for s in web dns; do
    grep -q "<td class=\"name\"><a href=\"service-$s.html\">$s</a></td>" "$T/dom.html"
    ok $? "the page names service $s, linked to its page"
done
for p in tcp udp icmp gre; do
    grep -q "<td class=\"name\">$p</td>" "$T/dom.html"
    ok $? "the page names protocol $p"
done
grep -q '<td class="name">192.0.2.254-3</td>' "$T/dom.html"
ok $? "the page names the exporter"

chrome "file://$T/www/index.html" --screenshot="$T/shot.png" --window-size=1280,3000 >/dev/null
ok "$(test -s "$T/shot.png"; echo $?)" "screenshot taken"

# The check can fail: with one image gone the page says so.
rm -f "$T/www/services-week.png"
chrome "file://$T/www/index.html" --dump-dom > "$T/dom2.html"
grep -q 'data-images="missing"' "$T/dom2.html"
ok $? "a missing image is noticed"

done_testing
