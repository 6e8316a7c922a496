#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowgraph's host and service pages (issue 12) over RRD files laid out as the collector
# writes the hosts x services cells (docs/rrd-files.md): host/ADDRESS/SERVICE.rrd,
# host/ADDRESS/other.rrd, other/SERVICE.rrd, 12 ABSOLUTE data sources. The files are made
# here with rrdtool from a list of cells with known counts per step, so that the expected
# pages follow from that list alone: which hosts and services get a page and in what order
# their tables name the others, the bytes in each table cell, which series each graph
# stacks (the alt text) and that at most 10 of them are named, the rest summed as "other".
# Every page loads in headless Chromium with all its images.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/chromium.sh"
need_cmd rrdtool

STEP=300
START=1700000100 # a multiple of the step
STEPS=48
END=$((START + STEPS * STEP))

# The cells: HOST SERVICE and octets per step provided in, out and used in, out. HOST
# "other" is the service's other hosts (other/SERVICE.rrd); SERVICE "other" is the host's
# other cell. 10.9.0.4 provides 12 services: more than a graph names on its own.
{
    echo "cell 10.9.0.1 https 3000 30000 0 0"
    echo "cell 10.9.0.1 dns 0 0 600 300"
    echo "cell 10.9.0.1 other 100 100 50 50"
    echo "cell 10.9.0.2 https 0 0 20000 2000"
    echo "cell 10.9.0.2 ssh 4000 4000 0 0"
    echo "cell 10.9.0.2 dns 0 0 300 150"
    echo "cell 2001:db8:9::1 https 1000 9000 0 0"
    echo "cell 2001:db8:9::1 smtp 5000 1000 0 0"
    echo "cell 10.9.0.3 dns 900 900 0 0"
    for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
        echo "cell 10.9.0.4 svc$i $((10#$i * 100)) $((10#$i * 100)) 0 0"
    done
    echo "cell 10.9.0.4 other 0 0 70 70"
    echo "cell other https 500 500 0 0"
    echo "cell other dns 0 0 200 100"
    echo "host 10.9.0.9 50 50" # a host row without cells (say, before host-services was on)
} >"$T/cells"

# rrd_files CELLS: "FILE KIND COUNTS..." for each file the cells imply: the cell files (12
# data sources) and the host, service and total files (6), whose counts are the cells' sums
# by the counting rules (in = provided in + used in; a host's row = its cells + its other cell;
# a service's row = its host cells + its other hosts). Packets: octets / 1000; flows: 1.
# "host ADDRESS IN OUT" adds a host row of its own.
rrd_files() {
    awk '$1 == "host" { hi[$2] += $3; ho[$2] += $4; ti += $3; to += $4 }
        $1 == "cell" {
            h = $2; s = $3; pi = $4; po = $5; ui = $6; uo = $7;
            print (h == "other" ? "other/" s : "host/" h "/" s), "cell", pi, po, pi / 1000, po / 1000,
                  1, 1, ui, uo, ui / 1000, uo / 1000, 1, 1;
            if (h != "other") { hi[h] += pi + ui; ho[h] += po + uo }
            if (s != "other") { si[s] += pi + ui; so[s] += po + uo }
            ti += pi + ui; to += po + uo
        }
        END {
            for (h in hi) print "host/" h, "plain", hi[h], ho[h], hi[h] / 1000, ho[h] / 1000, 1, 1;
            for (s in si) print "service/" s, "plain", si[s], so[s], si[s] / 1000, so[s] / 1000, 1, 1;
            print "total", "plain", ti, to, ti / 1000, to / 1000, 1, 1
        }' "$1"
}

# rrd_cmds DIR FILE KIND COUNTS...: the rrdtool commands (for `rrdtool -`, one process for
# all files) that create DIR/FILE.rrd as the aggregator does (ABSOLUTE, heartbeat one step,
# MRTG's RRAs) and write COUNTS at every step of START..END.
CELL_DS="p_in_octets p_out_octets p_in_packets p_out_packets p_in_flows p_out_flows
         u_in_octets u_out_octets u_in_packets u_out_packets u_in_flows u_out_flows"
PLAIN_DS="in_octets out_octets in_packets out_packets in_flows out_flows"
RRAS=""
for cf in AVERAGE MAX; do
    RRAS="$RRAS RRA:$cf:0.5:1:600 RRA:$cf:0.5:6:700 RRA:$cf:0.5:24:775 RRA:$cf:0.5:288:797"
done
rrd_cmds() {
    local dir=$1 file=$2 kind=$3 ds defs="" ups="" t v
    shift 3
    if [ "$kind" = cell ]; then ds=$CELL_DS; else ds=$PLAIN_DS; fi
    for v in $ds; do defs="$defs DS:$v:ABSOLUTE:$STEP:0:U"; done
    mkdir -p "$(dirname "$dir/$file")"
    echo "create $dir/$file.rrd --start $START --step $STEP$defs$RRAS"
    v=$(echo "$@" | tr ' ' ':')
    for ((t = START + STEP; t <= END; t += STEP)); do ups="$ups $t:$v"; done
    echo "update $dir/$file.rrd$ups"
}
# make_rrds < COMMANDS: runs them; fails when one did (rrdtool - says ERROR and goes on).
make_rrds() {
    rrdtool - >"$T/rrdtool.out" 2>&1
    ! grep -q '^ERROR' "$T/rrdtool.out"
}

rrd_files "$T/cells" >"$T/files"
while read -r file kind counts; do
    # shellcheck disable=SC2086
    rrd_cmds "$T/rrd" "$file" "$kind" $counts
done <"$T/files" | make_rrds
ok $? "$(wc -l <"$T/files") RRD files made with rrdtool" || diag_file "$T/rrdtool.out"

LSAN_OPTIONS=suppressions=$FSN_ROOT/tests/lib/lsan-librrd.supp:print_suppressions=0 \
    "$BIN/flowgraph" -R "$T/rrd" -o "$T/www" -n 12 --end $END 2>"$T/graph.err"
ok $? "flowgraph ran" || diag_file "$T/graph.err"

# --- What the pages must say, from the cells alone. ---
# human BYTES: flowgraph's unit rule (powers of 1000, one decimal).
human() {
    awk -v b="$1" 'BEGIN { split("B kB MB GB TB PB", u, " "); i = 1;
        while (b >= 1000 && i < 6) { b /= 1000; i++ } printf "%.1f %s\n", b, u[i] }'
}
# page BASE NAME: the page's file name: "host-" with ':' as '-', or "service-".
# The day's totals per step: hosts and services ranked by in + out (ties by name).
day_rank() { # day_rank host|service: names, most traffic first
    awk -v k="$1" '$1 == "cell" && $2 != "other" && (k == "host" || $3 != "other") {
            t[k == "host" ? $2 : $3] += $4 + $5 + $6 + $7 }
        $1 == "host" && k == "host" { t[$2] += $3 + $4 }
        END { for (n in t) print t[n], n }' "$T/cells" | sort -k1,1nr -k2,2 | awk '{print $2}'
}
mapfile -t want_hosts < <(day_rank host | head -n 12)
mapfile -t want_svcs < <(day_rank service | head -n 12)
is "${#want_hosts[*]} ${#want_svcs[*]}" "6 12" "6 hosts, and 12 of the 16 services make the top 12"
hpage() { echo "host-${1//:/-}"; }

names_in() { # names_in FILE SECTION-ID: the names of the table after <h2 id=SECTION-ID>
    sed -n "/<h2 id=\"$2\">/,/<\/table>/p" "$1" | grep '<td class="name">' |
        sed 's/.*<td class="name">//; s/<\/td>.*//; s/<[^>]*>//g' | tr '\n' ' '
}

# The index: its tables link every top host and service to its page.
idx=$T/www/index.html
is "$(names_in "$idx" hosts)" "$(printf '%s ' "${want_hosts[@]}")" "index: the top hosts in order"
n=0
for h in "${want_hosts[@]}"; do
    grep -qF "<td class=\"name\"><a href=\"$(hpage "$h").html\">$h</a></td>" "$idx" && n=$((n + 1))
done
is "$n" 6 "index: each host links to its page (2001:db8:9::1 -> host-2001-db8-9--1.html)"
n=0
for s in "${want_svcs[@]}"; do
    grep -qF "<td class=\"name\"><a href=\"service-$s.html\">$s</a></td>" "$idx" && n=$((n + 1))
done
is "$n" 12 "index: each of the 12 top services links to its page"
pages=(index.html)
for h in "${want_hosts[@]}"; do pages+=("$(hpage "$h").html"); done
for s in "${want_svcs[@]}"; do pages+=("service-$s.html"); done
missing=0
for p in "${pages[@]}"; do [ -s "$T/www/$p" ] || { missing=$((missing + 1)); diag "no $p"; }; done
is "$missing" 0 "a page for each of the 6 hosts and 12 services"
is "$(ls "$T/www" | grep -c '^service-.*\.html$')" 12 "... and for no other service"
npng=$(ls "$T/www" | grep -c '\.png$')
is "$npng" $((12 + (5 + 12) * 8)) \
    "PNGs: 12 on the index (no protocols or exporters here), 8 per host and service page" \
    "but none for the host without cells"
grep -q '<p>None yet (no files under host/ADDRESS/ for this host).</p>' "$T/www/host-10.9.0.9.html" &&
    ! grep -q '<img' "$T/www/host-10.9.0.9.html"
ok $? "host 10.9.0.9 has no cells: its page says so and shows no graphs"

# A host's page: its services by traffic over the day (both roles), its other cell last, the
# bytes of the day (STEPS x the count per step) in each column.
row() { # row NAME LINK P_IN P_OUT U_IN U_OUT: the table row the page must have
    local name=$1 link=$2 cell
    shift 2
    cell=$name
    [ -n "$link" ] && cell="<a href=\"$link\">$name</a>"
    printf '<tr><td class="name">%s</td>' "$cell"
    for v in "$@"; do printf '<td>%s</td>' "$(human $((v * STEPS)))"; done
    printf '</tr>\n'
}
hp=$T/www/host-10.9.0.1.html
is "$(names_in "$hp" cells)" "https dns other " "host 10.9.0.1: its services in order, other last"
grep -qF "$(row https service-https.html 3000 30000 0 0)" "$hp"
ok $? "host 10.9.0.1: https row (provided in/out, used in/out over the day), linked" ||
    diag "want $(row https service-https.html 3000 30000 0 0)"
grep -qF "$(row other '' 100 100 50 50)" "$hp"
ok $? "host 10.9.0.1: the other cell's row, not linked"
grep -q '<h1>Host 10.9.0.1</h1>' "$hp" && grep -q '<a href="index.html">' "$hp"
ok $? "host 10.9.0.1: named in its heading, with a link back to the index"
# The graphs' series (alt text): by that role's traffic; cells without it not drawn.
grep -qF 'alt="provides, day: https, other (1 file)"' "$hp"
ok $? "host 10.9.0.1 provides: https, and its other cell as other"
grep -qF 'alt="uses, month: dns, other (1 file)"' "$hp"
ok $? "host 10.9.0.1 uses: dns, and other"
# 4 hours of data fill no day of the 1-day RRA (xff 0.5): the year graphs show nothing.
grep -qF 'alt="uses, year: "' "$hp"
ok $? "host 10.9.0.1 over the year: no series (the 1-day RRA has no known day yet)"
hp6=$T/www/host-2001-db8-9--1.html
is "$(names_in "$hp6" cells)" "https smtp " "host 2001:db8:9::1: https (10000 a step) before smtp (6000)"
hp4=$T/www/host-10.9.0.4.html
want=$(for i in 12 11 10 09 08 07 06 05 04 03; do printf 'svc%s, ' $i; done)
grep -qF "alt=\"provides, week: ${want}other (2 files)\"" "$hp4"
ok $? "host 10.9.0.4 provides 12 services: 10 named, the 2 smallest summed as other" ||
    grep -o 'alt="provides, week[^"]*"' "$hp4" | sed 's/^/# /'
grep -qF 'alt="uses, week: other (1 file)"' "$hp4"
ok $? "host 10.9.0.4 uses only in its other cell"

# A service's page: its hosts by traffic over the day, its other hosts last.
sp=$T/www/service-https.html
is "$(names_in "$sp" cells)" "10.9.0.1 10.9.0.2 2001:db8:9::1 other hosts " \
    "service https: its hosts in order, other hosts last"
grep -qF "$(row 2001:db8:9::1 host-2001-db8-9--1.html 1000 9000 0 0)" "$sp"
ok $? "service https: the IPv6 host's row, linked to its page"
grep -qF "$(row 'other hosts' '' 500 500 0 0)" "$sp"
ok $? "service https: the other hosts' row"
grep -qF 'alt="provides, day: 10.9.0.1, 2001:db8:9::1, other hosts (1 file)"' "$sp"
ok $? "service https provided by 10.9.0.1 and 2001:db8:9::1 (and other hosts)"
grep -qF 'alt="uses, month: 10.9.0.2"' "$sp"
ok $? "service https used by 10.9.0.2"
is "$(names_in "$T/www/service-dns.html" cells)" "10.9.0.3 10.9.0.1 10.9.0.2 other hosts " \
    "service dns: its hosts in order"
grep -qF 'alt="provides, day: 10.9.0.3"' "$T/www/service-dns.html" &&
    grep -qF 'alt="uses, day: 10.9.0.1, 10.9.0.2, other hosts (1 file)"' "$T/www/service-dns.html"
ok $? "service dns: provided by 10.9.0.3, used by 10.9.0.1, 10.9.0.2 and other hosts"

# --- In the browser: every page and every image loads. ---
if ! chromium_find; then
    skip "chromium not installed (scripts/deps.sh installs it)" "pages in headless Chromium"
    done_testing
fi
# One run for all pages; one graph removed first, to see that a missing image is noticed.
rm -f "$T/www/service-https-uses-year.png"
chrome_pages_images "$T/www" "${pages[@]}" >"$T/result"
ok $? "Chromium loaded the pages" || diag_file "$T/chrome.err"
grep -q '^DONE$' "$T/result"
ok $? "the checking page went through all ${#pages[*]} pages" || diag_file "$T/result"
good=0
for p in "${pages[@]}"; do
    want=8
    [ "$p" = index.html ] && want=12
    [ "$p" = host-10.9.0.9.html ] && want=0
    [ "$p" = service-https.html ] && continue
    line=$(grep "^$p " "$T/result")
    if [ "$line" = "$p $want/$want" ]; then good=$((good + 1)); else diag "$line"; fi
done
is "$good" $((${#pages[*]} - 1)) "every page shows all its images (index 12, host and service pages 8)"
grep -q '^service-https.html 7/8 missing service-https-uses-year.png$' "$T/result"
ok $? "(the page whose graph was removed: 7 of 8, the missing one named)" || diag_file "$T/result"
n=0
for p in "${pages[@]}"; do grep -qF "setAttribute('data-images'" "$T/www/$p" && n=$((n + 1)); done
is "$n" ${#pages[*]} "every page carries the image check that sets data-images for monitoring"

# --- The bound on the "other" series: at most 200 files are summed into it. ---
# 215 hosts use "web" with the same counts: the one named (-n 1) comes first by name, the
# next 200 are summed, the last 14 by name are left out, and the graph says so.
R2=$T/rrd2
{
    rrd_cmds "$T/tmpl" cell cell 0 0 0 0 0 0 1000 1000 1 1 1 1
    rrd_cmds "$T/tmpl" plain plain 1000 1000 1 1 1 1
    rrd_cmds "$R2" total plain 215000 215000 215 215 215 215
} | make_rrds
ok $? "template files for 215 hosts" || diag_file "$T/rrdtool.out"
dirs=() cells=() hostf=()
for i in $(seq 1 215); do
    h=$R2/host/10.8.$((i / 200)).$((i % 200))
    dirs+=("$h") cells+=("$h/web.rrd") hostf+=("$h.rrd")
done
mkdir -p "$R2/service" "${dirs[@]}"
tee "${cells[@]}" >/dev/null <"$T/tmpl/cell.rrd"
tee "${hostf[@]}" "$R2/service/web.rrd" >/dev/null <"$T/tmpl/plain.rrd"
LSAN_OPTIONS=suppressions=$FSN_ROOT/tests/lib/lsan-librrd.supp:print_suppressions=0 \
    "$BIN/flowgraph" -R "$R2" -o "$T/www2" -n 1 --end $END 2>"$T/graph2.err"
ok $? "flowgraph over 215 hosts of one service" || diag_file "$T/graph2.err"
first=$(ls "$R2/host" | grep -v '\.rrd$' | LC_ALL=C sort | head -n 1)
grep -qF "alt=\"uses, day: $first, other hosts (200 of 214 files, the 14 smallest left out)\"" \
    "$T/www2/service-web.html"
ok $? "service web: 1 host named, 200 summed as other hosts, 14 left out and counted" ||
    grep -o 'alt="uses, day[^"]*"' "$T/www2/service-web.html" | sed 's/^/# /'
grep -q 'id="unread"' "$T/www2/service-web.html"
ok $((!$?)) "... all 215 hosts' files read (--service-hosts 1000 by default)"

# --service-hosts 100: the page reads the files of the 100 busiest hosts (all equal here:
# the first 100 by name) and says how many more there are.
LSAN_OPTIONS=suppressions=$FSN_ROOT/tests/lib/lsan-librrd.supp:print_suppressions=0 \
    "$BIN/flowgraph" -R "$R2" -o "$T/www3" -n 1 --service-hosts 100 --end $END 2>"$T/graph3.err"
ok $? "flowgraph --service-hosts 100" || diag_file "$T/graph3.err"
grep -qF "alt=\"uses, week: $first, other hosts (99 files)\"" "$T/www3/service-web.html"
ok $? "service web: 1 host named, the other 99 read summed as other hosts" ||
    grep -o 'alt="uses, week[^"]*"' "$T/www3/service-web.html" | sed 's/^/# /'
grep -q '<p id="unread">115 more hosts have a file for this service and were not read' \
    "$T/www3/service-web.html"
ok $? "... and the page says 115 more hosts' files were not read"
"$BIN/flowgraph" -R "$R2" -o "$T/www4" --service-hosts 0 2>/dev/null
is $? 2 "--service-hosts 0 is a usage error"
done_testing
