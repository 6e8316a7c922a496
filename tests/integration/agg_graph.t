#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowgraph's page in headless Chromium: the page loads, every image loads
# (the page's script sets data-images="all-loaded" only when each img is
# complete with a natural width), and it names the expected top hosts (the
# ground truth's top 5 by traffic, in order) and services. The top hosts' and
# services' pages, over the hosts x services files the aggregator wrote, name
# the truth's cells with their bytes and load with all their images.
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

# The top hosts' and services' pages (issue 12), over the cells the aggregator wrote: the
# truth's cells by direct sums over the flows (docs/counting.md, "Hosts x services": a local
# end's cell is the service its own port is in, else the one the other end's port is in (web
# and dns share no port), else "other"; the role: provides when its own port matched, for
# "other" when a port protocol's own port is <= the other's). Rows: "HOST CELL pin pout uin
# uout" (octets).
awk 'function islocal(a) { return a ~ /^10\.9\./ || a ~ /^2001:db8:9:/ }
     function svc(proto, port) {
         if (proto == 6 && (port == 80 || port == 443)) return "web"
         if ((proto == 6 || proto == 17) && port == 53) return "dns"
         return "" }
     { proto = $3; o = $9
       for (dir = 0; dir < 2; dir++) {
           h = dir ? $4 : $6; own = dir ? $5 : $7; peer = dir ? $7 : $5
           if (!islocal(h)) continue
           m = svc(proto, own); t = svc(proto, peer)
           if (m != "") { c = m; r = 0 } else if (t != "") { c = t; r = 1 }
           else { c = "other"; r = (proto == 6 || proto == 17 || proto == 132 || proto == 136) && own <= peer ? 0 : 1 }
           v[h " " c, r * 2 + dir] += o; k[h " " c] = 1 } }
     END { for (x in k) print x, v[x, 0] + 0, v[x, 1] + 0, v[x, 2] + 0, v[x, 3] + 0 }' \
    "$T/flows" | sort >"$T/cells"
human() {
    awk -v b="$1" 'BEGIN { split("B kB MB GB TB PB", u, " "); i = 1;
        while (b >= 1000 && i < 6) { b /= 1000; i++ } printf "%.1f %s\n", b, u[i] }'
}
top=$(echo "$want" | awk '{print $1}')
page=$T/www/host-$top.html
want_rows=$(awk -v h="$top" '$1 == h { print ($2 == "other" ? 1 : 0), -($3 + $4 + $5 + $6), $0 }' "$T/cells" |
    sort -k1,1n -k2,2n -k4,4 | while read -r _ _ _ c pi po ui uo; do
        printf '%s|%s|%s|%s|%s\n' "$c" "$(human "$pi")" "$(human "$po")" "$(human "$ui")" "$(human "$uo")"; done)
got_rows=$(sed -n '/<h2 id="cells">/,/<\/table>/p' "$page" | grep '<td class="name">' |
    sed 's/<\/td><td>/|/g; s/<[^>]*>//g')
is "$got_rows" "$want_rows" "host $top's page: its cells (services, other last) and their bytes, the truth's" ||
    diag "$(sed -n '/<h2 id="cells">/,/<\/table>/p' "$page")"
for s in web dns; do
    want_h=$(awk -v s=$s '$2 == s { print $3 + $4 + $5 + $6, $1 }' "$T/cells" | sort -k1,1nr -k2,2 |
        head -n 5 | awk '{print $2}' | tr '\n' ' ')
    got_h=$(sed -n '/<h2 id="cells">/,/<\/table>/p' "$T/www/service-$s.html" | grep '<td class="name">' |
        sed 's/.*<td class="name">//; s/<\/td>.*//; s/<[^>]*>//g' | tr '\n' ' ')
    is "$got_h" "$want_h" "service $s's page: its top 5 hosts by their cells' bytes, in order"
done
pages=(index.html)
for f in "$T"/www/host-*.html "$T"/www/service-*.html; do pages+=("$(basename "$f")"); done
chrome_pages_images "$T/www" "${pages[@]}" >"$T/result"
good=$(awk '$2 ~ /^[0-9]+\/[0-9]+$/ { split($2, x, "/"); if (x[1] == x[2] && x[2] > 0 && NF == 2) n++ } END { print n + 0 }' "$T/result")
is "$good" ${#pages[*]} "the index, 5 host and 2 service pages load in Chromium with all their images" ||
    diag_file "$T/result"

chrome "file://$T/www/index.html" --screenshot="$T/shot.png" --window-size=1280,3000 >/dev/null
ok "$(test -s "$T/shot.png"; echo $?)" "screenshot taken"

# The check can fail: with one image gone the page says so.
rm -f "$T/www/services-week.png"
chrome "file://$T/www/index.html" --dump-dom > "$T/dom2.html"
grep -q 'data-images="missing"' "$T/dom2.html"
ok $? "a missing image is noticed"

done_testing
