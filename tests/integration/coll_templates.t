#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Templates in flowcollectd: data that arrives before its template (kept,
# decoded when the template comes, bounded by max-buffered and buffer-age),
# IPFIX template withdrawal, and template persistence across a restart (live
# UDP: templates sent, SIGTERM, start again, data only: it decodes at once).
# The datagrams are built by hand (tests/lib/nfcraft.py, checked by tshark
# below); the expected figures follow from its record formula: n records
# from index 0 hold n(n+1)/2 packets and 100 times that in octets.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
need_cmd tshark; need_cmd python3
craft() { python3 "$FSN_ROOT/tests/lib/nfcraft.py" "$@"; }
# sums FIRST N: "N packets octets" of records FIRST .. FIRST+N-1.
sums() { awk -v f="$1" -v n="$2" 'BEGIN { for (i = f; i < f + n; i++) p += i + 1; printf "%d %d %d\n", n, p, 100 * p }'; }

# The hand-built datagrams are what tshark expects: template, data, sequence numbers.
{ craft ipfix both n=3; craft ipfix data seq=3 first=3 n=2; craft v9 both dom=9 n=3; craft v9 data dom=9 seq=1 first=3 n=2; } |
    hex_pcap "$T/check.pcap" 192.0.2.1
is "$(tshark -r "$T/check.pcap" -d udp.port==2055,cflow -T fields -e cflow.packets -E occurrence=a -E aggregator=, 2>/dev/null | tr '\n' ' ')" \
    "1,2,3 4,5 1,2,3 4,5 " "tshark decodes the hand-built datagrams as intended"
is "$(tshark -r "$T/check.pcap" -d udp.port==2055,cflow -Y '_ws.expert.severity >= warning || _ws.malformed' 2>/dev/null | wc -l)" 0 \
    "tshark finds nothing wrong in them (sequence numbers included)"

# ---- data before template (replay) ----
for fmt in ipfix v9; do
    [ $fmt = ipfix ] && v=v10 || v=v9
    # Data first (seq 0, 4 records), its template in the next datagram.
    { craft $fmt data n=4; craft $fmt tmpl seq=$([ $fmt = ipfix ] && echo 4 || echo 1); } |
        hex_pcap "$T/dbt-$fmt.pcap" 192.0.2.10
    und=$(tshark -r "$T/dbt-$fmt.pcap" -d udp.port==2055,cflow -T fields -e cflow.packets 2>/dev/null | tr -d '\n')
    is "$und" "" "$fmt: tshark cannot decode data that comes before its template"
    coll_conf "$T/dbt-$fmt.conf" "$T/dbt-$fmt"
    coll_replay "$T/dbt-$fmt.conf" "$T/dbt-$fmt.pcap" "$T/dbt-$fmt.log"
    ok $? "$fmt: replayed"
    is "$(coll_total "$T/dbt-$fmt")" "$(sums 0 4)" "$fmt: data before its template: every record stored (hand: 4 records)"
    is "$(coll_final "$T/dbt-$fmt.log" "192.0.2.10 $v domain 7" buffered)" 4 "$fmt: ... decoded from the buffer"
    is "$(coll_final "$T/dbt-$fmt.log" "192.0.2.10 $v domain 7" no-template)" 0 "$fmt: ... nothing without template"

    # The same with buffering off: the data set is dropped, and counted.
    coll_conf "$T/nobuf-$fmt.conf" "$T/nobuf-$fmt" "max-buffered 0"
    coll_replay "$T/nobuf-$fmt.conf" "$T/dbt-$fmt.pcap" "$T/nobuf-$fmt.log"
    is "$(coll_final "$T/nobuf-$fmt.log" "192.0.2.10 $v domain 7" records)" 0 "$fmt: max-buffered 0: nothing decoded"
    is "$(coll_final "$T/nobuf-$fmt.log" "192.0.2.10 $v domain 7" no-template)" 1 "$fmt: ... one data set without template"

    # Data that waits longer than buffer-age (10 s here) for its template is dropped.
    { echo "1700000000 $(craft $fmt data n=4)"; echo "1700000030 $(craft $fmt tmpl seq=$([ $fmt = ipfix ] && echo 4 || echo 1) t=1700000030)";
      echo "1700000031 $(craft $fmt data seq=$([ $fmt = ipfix ] && echo 4 || echo 2) first=4 n=2 t=1700000031)"; } |
        hex_pcap "$T/age-$fmt.pcap" 192.0.2.10 timed
    coll_conf "$T/age-$fmt.conf" "$T/age-$fmt" "buffer-age 10"
    coll_replay "$T/age-$fmt.conf" "$T/age-$fmt.pcap" "$T/age-$fmt.log"
    is "$(coll_total "$T/age-$fmt")" "$(sums 4 2)" "$fmt: buffer-age: data 30 s older than its template is not decoded, later data is"
    is "$(coll_final "$T/age-$fmt.log" "192.0.2.10 $v domain 7" no-template)" 1 "$fmt: ... one data set dropped, counted"

    # A template that never comes: the data set is counted when flowcollectd ends.
    craft $fmt data n=4 | hex_pcap "$T/never-$fmt.pcap" 192.0.2.10
    coll_conf "$T/never-$fmt.conf" "$T/never-$fmt"
    coll_replay "$T/never-$fmt.conf" "$T/never-$fmt.pcap" "$T/never-$fmt.log"
    is "$(coll_final "$T/never-$fmt.log" "192.0.2.10 $v domain 7" no-template)" 1 "$fmt: a template that never came: one data set without template"
done

# A larger stream: encpcap's v9 export with its first two datagrams swapped, so
# that the data-only second datagram comes before the templates.
"$TOOLS/encpcap" -f 9 -n 600 -o "$T/enc.pcap" >"$T/enc.truth" || bail "encpcap failed"
editcap -r "$T/enc.pcap" "$T/f1.pcap" 1 >/dev/null 2>&1
editcap -r "$T/enc.pcap" "$T/f2.pcap" 2 >/dev/null 2>&1
editcap "$T/enc.pcap" "$T/rest.pcap" 1 2 >/dev/null 2>&1
mergecap -a -F pcap -w "$T/swapped.pcap" "$T/f2.pcap" "$T/f1.pcap" "$T/rest.pcap"
first_recs=$(tshark -r "$T/enc.pcap" -d udp.port==2055,cflow -Y 'frame.number == 2' -T fields -e cflow.packets \
    -E occurrence=a -E aggregator=, 2>/dev/null | awk -F, '{ print NF }')
coll_conf "$T/sw.conf" "$T/sw"
coll_replay "$T/sw.conf" "$T/swapped.pcap" "$T/sw.log"
truth=$(awk '$1 == "total" { print $3, $7, $9 }' "$T/enc.truth")
is "$(coll_total "$T/sw")" "$truth" "encpcap v9, data first: flows, packets, octets equal the generator's truth"
key=$(sed -n 's/.*final: exporter \(.* domain [0-9]*\): .*/\1/p' "$T/sw.log")
is "$(coll_final "$T/sw.log" "$key" buffered)" "$first_recs" "encpcap v9, data first: its $first_recs records decoded from the buffer"

# ---- template withdrawal (IPFIX, RFC 7011 section 8.1; replay) ----
{ craft ipfix both n=2; craft ipfix withdraw seq=2; craft ipfix data seq=2 first=2 n=3; } |
    hex_pcap "$T/wd.pcap" 192.0.2.20
coll_conf "$T/wd.conf" "$T/wd"
coll_replay "$T/wd.conf" "$T/wd.pcap" "$T/wd.log"
is "$(coll_total "$T/wd")" "$(sums 0 2)" "withdrawal: only the records sent before it are decoded"
k="192.0.2.20 v10 domain 7"
is "$(coll_final "$T/wd.log" "$k" withdrawals)" 1 "withdrawal: counted"
is "$(coll_final "$T/wd.log" "$k" templates)" 0 "withdrawal: no template left"
is "$(coll_final "$T/wd.log" "$k" no-template)" 1 "withdrawal: the data set after it has no template"

# Withdrawing all data templates (template id 2) at once.
{ craft ipfix both n=2; craft ipfix tmpl tid=257 seq=2; craft ipfix withdraw tid=2 seq=2;
  craft ipfix data seq=2 first=2 n=1; craft ipfix data tid=257 seq=2 first=3 n=1; } |
    hex_pcap "$T/wda.pcap" 192.0.2.21
coll_conf "$T/wda.conf" "$T/wda"
coll_replay "$T/wda.conf" "$T/wda.pcap" "$T/wda.log"
k="192.0.2.21 v10 domain 7"
is "$(coll_total "$T/wda")" "$(sums 0 2)" "withdraw all: only the records before it are decoded"
is "$(coll_final "$T/wda.log" "$k" templates)" 0 "withdraw all: no template left"
is "$(coll_final "$T/wda.log" "$k" no-template)" 2 "withdraw all: both data sets after it have no template"

# ---- persistence across a restart (live UDP) ----
for fmt in ipfix v9; do
    [ $fmt = ipfix ] && v=v10 || v=v9
    for mode in keep remove; do
        port=$(free_port udp)
        spool=$T/live-$fmt-$mode
        coll_conf "$T/live-$fmt-$mode.conf" "$spool" "listen 127.0.0.1:$port" "rotate 3600"
        coll_start "$T/l1-$fmt-$mode.log" "$T/live-$fmt-$mode.conf" || bail "flowcollectd did not start"
        craft $fmt tmpl | udp_send "$port"
        wait_for 10 udp_drained "$port"
        coll_stop
        is "$(coll_final "$T/l1-$fmt-$mode.log" "127.0.0.1 $v domain 7" templates)" 1 \
            "$fmt ($mode): first run learned the template"
        ok $([ -s "$spool/templates.fsnt" ]; echo $?) "$fmt ($mode): templates saved in the spool at exit"
        [ $mode = remove ] && rm -f "$spool/templates.fsnt"
        coll_start "$T/l2-$fmt-$mode.log" "$T/live-$fmt-$mode.conf" || bail "flowcollectd did not restart"
        craft $fmt data seq=$([ $fmt = ipfix ] && echo 0 || echo 1) n=5 | udp_send "$port"
        wait_for 10 udp_drained "$port"
        coll_stop
        k="127.0.0.1 $v domain 7"
        if [ $mode = keep ]; then
            grep -q "restored 1 templates of 1 exporter sessions" "$T/l2-$fmt-$mode.log"
            ok $? "$fmt: the restart restored the template" || diag_file "$T/l2-$fmt-$mode.log"
            is "$(coll_total "$spool")" "$(sums 0 5)" "$fmt: data after the restart decodes: 5 records stored"
            is "$(coll_final "$T/l2-$fmt-$mode.log" "$k" buffered)" 0 "$fmt: ... at once, not from the buffer"
            is "$(coll_final "$T/l2-$fmt-$mode.log" "$k" no-template)" 0 "$fmt: ... nothing without template"
        else
            # The control: without the saved file the same data has no template.
            is "$(coll_final "$T/l2-$fmt-$mode.log" "$k" records)" 0 "$fmt: without the template file nothing decodes"
            is "$(coll_final "$T/l2-$fmt-$mode.log" "$k" no-template)" 1 "$fmt: ... one data set without template"
        fi
    done
done
done_testing
