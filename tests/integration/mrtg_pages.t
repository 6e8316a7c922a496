#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# MRTG's pages for flowmrtg's targets, and indexmaker's index of them, load in headless
# Chromium with every image: each target page shows its day/week/month/year graphs and
# MRTG's icons, the index one day graph per target. A removed graph is noticed.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
. "$(dirname "$0")/../lib/mrtg.sh"
. "$(dirname "$0")/../lib/chromium.sh"
need_mrtg
need_cmd python3
[ -x "$BIN/flowmrtg" ] || bail "$BIN/flowmrtg missing: build first"
if ! chromium_find; then
    skip "chromium not installed (scripts/deps.sh installs it)" "MRTG pages in headless Chromium"
    done_testing
fi

cat >"$T/spec" <<'EOF'
create hosts=16 services=8 exporters=4 software="flowmrtg-test"
host 10.1.0.5 in_octets=1000000 out_octets=2000000
host 2001:db8:1::5 in_octets=3000000 out_octets=4000000
service https ports "tcp/443 udp/443" in_octets=5000 out_octets=7000
proto 6 tcp in_octets=100 out_octets=200
exporter 192.0.2.1 domain 0 version 10 records=5000 records_lost=10
EOF
mrtg_agent_up "$T/spec"
W=$T/www
mkdir -p "$W"
"$BIN/flowmrtg" -q --workdir "$W" --link-speed 10M -o "$T/mrtg.cfg" "public@$SNMP_AGENT"
ok $? "flowmrtg wrote the configuration"
mapfile -t names < <(grep -o '^Target\[[^]]*' "$T/mrtg.cfg" | sed 's/^Target\[//')
is "${#names[*]}" 7 "7 targets (2 totals, 2 hosts, a service, a protocol, an exporter)"

# Two runs: the first starts the logs, the second draws from two samples.
run_mrtg "$T/mrtg.cfg" "$T/run1"
run_mrtg "$T/mrtg.cfg" "$T/run2"
ok $? "mrtg ran" || diag_file "$T/run2"
env LANG=C indexmaker --output="$W/index.html" "$T/mrtg.cfg" 2>"$T/indexmaker.err"
ok $? "indexmaker wrote index.html" || diag_file "$T/indexmaker.err"

pages=(index.html)
for n in "${names[@]}"; do pages+=("$n.html"); done
chrome_pages_images "$W" "${pages[@]}" >"$T/result"
ok $? "Chromium loaded the pages" || diag_file "$T/chrome.err"
grep -q '^DONE$' "$T/result"
ok $? "the checking page went through every page" || diag_file "$T/result"
# index.html: one day graph per target and MRTG's three icons.
is "$(grep '^index.html ' "$T/result")" "index.html 10/10" "index.html: all 10 images loaded"
n=0
for t in "${names[@]}"; do grep -q "SRC=\"$t-day.png\"" "$W/index.html" && n=$((n + 1)); done
is "$n" 7 "... among them the day graph of each of the 7 targets"
good=0
for n in "${names[@]}"; do
    line=$(grep "^$n.html " "$T/result")
    # Four graphs (day, week, month, year) and MRTG's three icons, every one loaded.
    if [ "$line" = "$n.html 7/7" ]; then good=$((good + 1)); else diag "$line"; fi
done
is "$good" 7 "each target's page: its 4 graphs and 3 icons loaded"

# The page title and heading are flowmrtg's Title[] and PageTop[].
chrome "file://$W/svc_https.html" --dump-dom >"$T/svc.dom"
grep -q '<title>Service https -- ' "$T/svc.dom" && grep -q '<h1>Service https -- ' "$T/svc.dom" &&
    grep -q 'https: tcp/443 udp/443' "$T/svc.dom"
ok $? "the service's page shows its Title, heading and ports"

# The check can fail: without one graph, the page reports it missing.
rm -f "$W/host_10.1.0.5-week.png"
chrome_pages_images "$W" host_10.1.0.5.html >"$T/result2"
grep -q '^host_10.1.0.5.html 6/7 missing host_10.1.0.5-week.png$' "$T/result2"
ok $? "a removed graph is reported missing" || diag_file "$T/result2"
done_testing
