#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Live export over loopback UDP into flowcollectd, read back with flowreport:
#  - flowprobe (NetFlow v5, v9, IPFIX) reading a flowgen capture: totals,
#    every flow key, and the per-protocol and per-destination-port reports
#    equal the generator's ground truth; nothing lost;
#  - softflowd (v5, v9, IPFIX) reading the same capture, run twice (it is
#    deterministic in file mode): once into nfcapd, once into flowcollectd;
#    every flow key's packets and bytes equal nfdump's reading.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
need_cmd nfcapd; need_cmd nfdump; need_cmd softflowd

"$TOOLS/flowgen" -s 11 -n 30000 -o "$T/gen.pcap" -g "$T/truth.txt" 2>"$T/flowgen.log" ||
    bail "flowgen failed: $(cat "$T/flowgen.log")"
truth_keyed "$T/truth.txt" >"$T/truth.all"
truth_keyed "$T/truth.txt" 4 >"$T/truth.v4"

# by KEYED COLUMN: "value packets bytes" summed per a column of a keyed listing
# (column 6: protocol, 5: destination port), sorted.
by() { awk -v c="$2" '{ p[$c] += $7; b[$c] += $8 } END { for (k in p) printf "%s %.0f %.0f\n", k, p[k], b[k] }' "$1" | sort; }
# report SPOOL KEY: flowreport -s KEY as "value packets bytes".
report() {
    "$BIN/flowreport" -R "$1" -q -s "$2" -n 0 -o csv 2>/dev/null |
        awk -F, 'NR > 1 { print $1, $(NF - 1), $NF }' | sort
}

for v in 5 9 10; do
    port=$(free_port udp)
    coll_conf "$T/p$v.conf" "$T/p$v" "listen 127.0.0.1:$port" "rotate 3600"
    coll_start "$T/pc$v.log" "$T/p$v.conf" || bail "flowcollectd did not start"
    "$BIN/flowprobe" -r "$T/gen.pcap" -e "127.0.0.1:$port" -V "$v" -d >"$T/probe$v.log" 2>&1
    ok $? "v$v: flowprobe exits 0" || diag_file "$T/probe$v.log"
    wait_for 20 udp_drained "$port"
    coll_stop
    ok $? "v$v: flowcollectd stops cleanly"
    want=$T/truth.all
    [ "$v" = 5 ] && want=$T/truth.v4
    coll_keyed "$T/p$v" >"$T/got$v"
    is "$(totals "$T/got$v")" "$(totals "$want")" "v$v: keys, packets, bytes total equal the ground truth"
    keyed_diff "$T/got$v" "$want"
    ok $? "v$v: every flow key has the ground truth's packets and bytes"
    exported=$(sed -n 's/.*final: exported \([0-9]*\) records.*/\1/p' "$T/probe$v.log")
    is "$(coll_total "$T/p$v")" "$exported $(totals "$want" | cut -d' ' -f2-)" \
        "v$v: flowreport -s total: the probe's $exported records, the truth's packets and bytes"
    is "$(report "$T/p$v" proto)" "$(by "$want" 6)" "v$v: flowreport -s proto equals the truth per protocol"
    is "$(report "$T/p$v" dstport | sort)" "$(awk '$6 == 6 || $6 == 17' "$want" | by /dev/stdin 5)" \
        "v$v: flowreport -s dstport equals the truth per destination port (TCP and UDP)"
    key=$(sed -n 's/.*final: exporter \(127.0.0.1 v[0-9]* domain [0-9]*\): .*/\1/p' "$T/pc$v.log" | head -1)
    is "$(coll_final "$T/pc$v.log" "$key" lost)" 0 "v$v: no loss"
    is "$(coll_final "$T/pc$v.log" "$key" malformed)" 0 "v$v: nothing malformed"
done

# softflowd, twice on the same capture: into nfcapd, and into flowcollectd.
for v in 5 9 10; do
    port=$(free_port udp)
    start_nfcapd "$T/nf$v" "$port" || bail "nfcapd did not start"
    softflowd -r "$T/gen.pcap" -n "127.0.0.1:$port" -v "$v" -d -c none -m 2000000 \
        -p "$T/sf$v.pid" >"$T/sfa$v.log" 2>&1
    stop_nfcapd "$port"
    nfdump_keyed "$T/nf$v" >"$T/nf$v.keyed"

    port=$(free_port udp)
    coll_conf "$T/s$v.conf" "$T/s$v" "listen 127.0.0.1:$port" "rotate 3600"
    coll_start "$T/sc$v.log" "$T/s$v.conf" || bail "flowcollectd did not start"
    softflowd -r "$T/gen.pcap" -n "127.0.0.1:$port" -v "$v" -d -c none -m 2000000 \
        -p "$T/sf$v.pid" >"$T/sfb$v.log" 2>&1
    wait_for 20 udp_drained "$port"
    coll_stop
    coll_keyed "$T/s$v" >"$T/s$v.keyed"
    if [ "$v" = 9 ]; then
        # peers-notes: softflowd's v9 ICMPv6 type/code arrive as 0 through nfcapd.
        # Compare with nfdump without them, and check ours against the generator.
        awk '$6 == 58' "$T/s$v.keyed" >"$T/s$v.icmp6"
        awk '$6 == 58' "$T/truth.all" >"$T/truth.icmp6"
        ok $([ -s "$T/truth.icmp6" ]; echo $?) "softflowd v9: the capture has ICMPv6 flows"
        keyed_diff "$T/s$v.icmp6" "$T/truth.icmp6"
        ok $? "softflowd v9: ICMPv6 keys (type/code included) equal the generator's truth"
        awk '$6 == 58 { $5 = 0 } { print }' "$T/s$v.keyed" | sort >"$T/s$v.k2"
        awk '{ k = $1 " " $2 " " $3 " " $4 " " $5 " " $6; p[k] += $7; b[k] += $8 }
             END { for (k in p) print k, p[k], b[k] }' "$T/s$v.k2" | sort >"$T/s$v.keyed"
    fi
    ok $([ -s "$T/nf$v.keyed" ]; echo $?) "softflowd v$v: nfdump read records"
    is "$(totals "$T/s$v.keyed")" "$(totals "$T/nf$v.keyed")" "softflowd v$v: keys, packets, bytes equal nfdump's"
    keyed_diff "$T/s$v.keyed" "$T/nf$v.keyed"
    ok $? "softflowd v$v: every flow key equals nfdump's reading"
    flows_nf=$(nfdump -R "$T/nf$v" -I 2>/dev/null | awk -F': ' '/^Flows:/ { print $2 }')
    is "$(coll_total "$T/s$v" | cut -d' ' -f1)" "$flows_nf" "softflowd v$v: as many records as nfdump counts"
done
done_testing
