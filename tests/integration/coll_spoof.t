#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Spoofed datagrams on a real exporter's address and domain (issue 15,
# item 8), replayed: a hostile datagram far ahead in the sequence (with a
# template set, as in the attack that inflated a loss counter to 868,281)
# and one far back, each followed by the exporter's own next datagram. The
# loss counter counts neither (each shows as off-sequence); genuine gaps
# around them are still counted exactly: one beyond the reorder window
# (1024 units), once the exporter goes on from it, and a small one at once.
# The hostile records are stored: UDP gives nothing to tell them from the
# exporter's (docs/faults.md).
# Units: IPFIX sequence numbers count data records, v9 ones datagrams
# (tests/lib/nfcraft.py builds the datagrams; tshark checks them below).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
need_cmd python3; need_cmd tshark
craft() { python3 "$FSN_ROOT/tests/lib/nfcraft.py" "$@"; }

for fmt in ipfix v9; do
    # Real: 3 datagrams of 4 records (records 0..11), then the next ones; hostile ones between.
    if [ $fmt = ipfix ]; then
        v=v10; s0=0; jump=$((12 + 868281)); s3=12; back=5; s5=16; gap=3000; s6=$((20 + gap))
        s7=$((s6 + 4)); s8=$((s7 + 4 + 5)); want_lost=$((gap + 5))
    else
        v=v9; s0=0; jump=$((3 + 868281)); s3=3; back=0; s5=4; gap=2000; s6=$((5 + gap))
        s7=$((s6 + 1)); s8=$((s7 + 1 + 5)); want_lost=$((gap + 5))
    fi
    {
        craft $fmt stream msgs=3 n=4 seq=$s0
        craft $fmt both seq=$jump first=500 n=2           # hostile: far ahead, with a template
        craft $fmt data seq=$s3 first=12 n=4               # the exporter goes on
        craft $fmt data seq=$back first=600 n=1            # hostile: far back
        craft $fmt data seq=$s5 first=16 n=4               # the exporter goes on
        craft $fmt data seq=$s6 first=20 n=4               # a real gap beyond the window ...
        craft $fmt data seq=$s7 first=24 n=4               # ... and the exporter goes on from it
        craft $fmt data seq=$s8 first=28 n=4               # a real gap of 5 within it
    } | hex_pcap "$T/$fmt.pcap" 192.0.2.7
    is "$(tshark -r "$T/$fmt.pcap" -d udp.port==2055,cflow -T fields -e cflow.packets \
        -E occurrence=a -E aggregator=, 2>/dev/null | awk -F, '{ n += NF } END { print n }')" 35 \
        "$fmt: tshark decodes 35 records: 32 of the exporter, 3 hostile ones"
    coll_conf "$T/$fmt.conf" "$T/$fmt"
    coll_replay "$T/$fmt.conf" "$T/$fmt.pcap" "$T/$fmt.log"
    ok $? "$fmt: replayed" || diag_file "$T/$fmt.log"
    k="192.0.2.7 $v domain 7"
    is "$(coll_final "$T/$fmt.log" "$k" lost)" "$want_lost" \
        "$fmt: lost counts the real gaps only ($gap + 5), not the hostile jump of 868281 or the step back"
    is "$(coll_final "$T/$fmt.log" "$k" off-sequence)" 2 "$fmt: the two hostile datagrams are off-sequence"
    is "$(coll_final "$T/$fmt.log" "$k" jumps)" 2 "$fmt: jumps: the hostile one and the real gap"
    is "$(coll_final "$T/$fmt.log" "$k" resets)" 1 "$fmt: resets: the hostile step back"
    is "$(coll_total "$T/$fmt" | cut -d' ' -f1)" 35 "$fmt: every record decoded is stored, the hostile ones too"
done
done_testing
