#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Loss accounting: an export stream (build/tools/encpcap) from which the
# test removes known datagrams with editcap is replayed with -r; the lost
# count equals, per format's meaning, what was removed, counted with tshark
# on the removed frames:
#   v5: flow records (every record of a removed datagram),
#   v9: export packets (one per removed datagram),
#   IPFIX: data records (every data record of a removed datagram).
# Everything that was not removed is stored, and nothing is lost in the
# complete stream.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
need_cmd tshark; need_cmd editcap

# records_in PCAP FRAMES...: data records (one cflow.packets each) in those frames.
records_in() {
    local f=$1 filt="" n
    shift
    for n in "$@"; do filt="$filt${filt:+ || }frame.number == $n"; done
    tshark -r "$f" -d udp.port==2055,cflow -Y "$filt" -T fields -e cflow.packets \
        -E occurrence=a -E aggregator=, 2>/dev/null |
        awk -F, '$0 != "" { n += NF } END { print n + 0 }'
}

for v in 5 9 10; do
    "$TOOLS/encpcap" -f "$v" -n 600 -o "$T/all$v.pcap" >"$T/truth$v" || bail "encpcap failed"
    # Frames that carry only data (no template or options template set).
    tshark -r "$T/all$v.pcap" -d udp.port==2055,cflow -T fields -e frame.number -e cflow.flowset_id \
        -E occurrence=a -E aggregator=, 2>/dev/null |
        awk -F'\t' '{ n = split($2, s, ","); t = 0; for (i = 1; i <= n; i++) if (s[i] + 0 < 256) t = 1;
                      if (!t) print $1 }' >"$T/data$v"
    total=$(tshark -r "$T/all$v.pcap" -T fields -e frame.number 2>/dev/null | wc -l)
    # The 3rd data frame, the 6th and 7th (consecutive data frames), the 12th; never the last frame.
    rm_frames=$(sed -n '3p;6p;7p;12p' "$T/data$v" | tr '\n' ' ')
    set -- $rm_frames
    [ $# -eq 4 ] && [ "$4" -lt "$total" ] || bail "v$v: not enough data-only frames"
    editcap "$T/all$v.pcap" "$T/cut$v.pcap" $rm_frames >/dev/null 2>&1 || bail "editcap failed"
    removed_recs=$(records_in "$T/all$v.pcap" $rm_frames)
    all_recs=$(records_in "$T/all$v.pcap" $(seq 1 "$total"))
    case $v in
        9) want_lost=4; unit="export packets" ;;
        *) want_lost=$removed_recs; unit="records" ;;
    esac
    diag "v$v: removed frames $rm_frames of $total: $removed_recs records; expected lost: $want_lost $unit"

    coll_conf "$T/full$v.conf" "$T/full$v"
    coll_replay "$T/full$v.conf" "$T/all$v.pcap" "$T/full$v.log"
    ok $? "v$v: complete stream replayed"
    key=$(sed -n 's/.*final: exporter \(.* domain [0-9]*\): .*/\1/p' "$T/full$v.log")
    is "$(coll_final "$T/full$v.log" "$key" lost)" 0 "v$v: complete stream: nothing lost"
    is "$(coll_total "$T/full$v" | cut -d' ' -f1)" "$all_recs" "v$v: complete stream: every record stored"

    coll_conf "$T/cut$v.conf" "$T/cut$v" "state-file $T/cut$v.state"
    coll_replay "$T/cut$v.conf" "$T/cut$v.pcap" "$T/cut$v.log"
    ok $? "v$v: stream with 4 datagrams removed replayed"
    is "$(coll_final "$T/cut$v.log" "$key" lost)" "$want_lost" "v$v: lost $unit = what was removed"
    is "$(coll_final "$T/cut$v.log" "$key" datagrams)" "$((total - 4))" "v$v: datagrams received"
    is "$(coll_total "$T/cut$v" | cut -d' ' -f1)" "$((all_recs - removed_recs))" \
        "v$v: every record that was not removed is stored"
    is "$(coll_final "$T/cut$v.log" "$key" reordered)" 0 "v$v: no datagram taken as reordered"
    # The same counters reach the state file (the MIB's exporter table).
    row=$("$TOOLS/statecheck" -d "$T/cut$v.state" | awk '$1 == "exporter" { print $4, $6, $8 }')
    is "$row" "$((total - 4)) $((all_recs - removed_recs)) $want_lost" \
        "v$v: state file exporter row: datagrams, records, lost"
done

# Reordering inside the window is not loss: swap two data datagrams of the IPFIX stream.
set -- $(sed -n '5p;6p' "$T/data10")
a=$1 b=$2
editcap -r "$T/all10.pcap" "$T/head.pcap" "1-$((a - 1))" >/dev/null 2>&1
editcap -r "$T/all10.pcap" "$T/fa.pcap" "$a" >/dev/null 2>&1
editcap -r "$T/all10.pcap" "$T/fb.pcap" "$b" >/dev/null 2>&1
editcap -r "$T/all10.pcap" "$T/tail.pcap" "$((b + 1))-1000000" >/dev/null 2>&1
if [ "$b" -eq $((a + 1)) ]; then
    mergecap -a -F pcap -w "$T/swapped.pcap" "$T/head.pcap" "$T/fb.pcap" "$T/fa.pcap" "$T/tail.pcap"
    coll_conf "$T/sw.conf" "$T/sw"
    coll_replay "$T/sw.conf" "$T/swapped.pcap" "$T/sw.log"
    key=$(sed -n 's/.*final: exporter \(.* domain [0-9]*\): .*/\1/p' "$T/sw.log")
    is "$(coll_final "$T/sw.log" "$key" lost)" 0 "IPFIX: two datagrams swapped: nothing lost"
    is "$(coll_final "$T/sw.log" "$key" reordered)" 1 "IPFIX: ... one late datagram accepted"
    is "$(coll_total "$T/sw" | cut -d' ' -f1)" "$(records_in "$T/all10.pcap" $(seq 1 100))" \
        "IPFIX: ... every record stored"
else
    skip "data frames $a and $b not adjacent" "IPFIX reordering"
fi
done_testing
