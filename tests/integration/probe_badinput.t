#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Bad input ends cleanly with correct counts of what was read: captures cut
# short at random offsets (checked against tshark's reading of the same cut
# files), and the malformed, truncated and damaged captures of shared/data.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/flows.sh"
. "$(dirname "$0")/../lib/tshark.sh"
need_cmd tshark

"$TOOLS/flowgen" -s 11 -n 5000 -o "$T/gen.pcap" -g "$T/truth.txt" 2>"$T/flowgen.log" ||
    bail "flowgen failed"
size=$(stat -c %s "$T/gen.pcap")
RANDOM=4242
for i in 1 2 3 4 5 6; do
    cut=$((24 + (RANDOM * 32768 + RANDOM) % (size - 24)))
    head -c "$cut" "$T/gen.pcap" >"$T/cut.pcap"
    "$BIN/flowprobe" -r "$T/cut.pcap" -d >"$T/cut.log" 2>&1
    ok $? "cut at byte $cut of $size: flowprobe ends with status 0" || diag_file "$T/cut.log"
    read -r frames ip bytes <<<"$(tshark_ip_totals "$T/cut.pcap")"
    is "$(probe_final "$T/cut.log" packets) $(probe_final "$T/cut.log" IP) $(probe_final "$T/cut.log" octets)" \
        "$frames $ip $bytes" "cut at byte $cut: packets, IP packets and octets equal tshark's count"
done

# The same, exported: a cut capture's flows all reach a collector.
port=$(free_port udp)
start_nfcapd "$T/nf" "$port" || bail "nfcapd did not start"
"$BIN/flowprobe" -r "$T/cut.pcap" -e "127.0.0.1:$port" -d >"$T/cutx.log" 2>&1
stop_nfcapd "$port"
nfdump_keyed "$T/nf" >"$T/got"
is "$(totals "$T/got" | cut -d' ' -f2-)" "$ip $bytes" "a cut capture's exported packets and octets equal tshark's count"

if ! have_data zeek_trunc_ip4-trunc.pcap; then
    skip "../shared/data absent" "shared captures of bad input"
    done_testing
fi
# One frame whose IPv4 header is cut short: malformed, nothing metered.
"$BIN/flowprobe" -r "$DATA/zeek_trunc_ip4-trunc.pcap" -d >"$T/t1.log" 2>&1
ok $? "zeek_trunc_ip4-trunc: status 0"
is "$(probe_final "$T/t1.log" packets) $(probe_final "$T/t1.log" IP) $(probe_final "$T/t1.log" malformed)" \
    "1 0 1" "zeek_trunc_ip4-trunc: 1 packet, counted as malformed"

# A damaged file: libpcap reads one packet, then reports the file truncated.
"$BIN/flowprobe" -r "$DATA/pcapfix_test_damaged.pcap" -d >"$T/t2.log" 2>&1
ok $? "pcapfix_test_damaged: status 0"
is "$(probe_final "$T/t2.log" packets)" 1 "pcapfix_test_damaged: the one readable packet is counted"
grep -q "truncated\|ending with" "$T/t2.log"
ok $? "pcapfix_test_damaged: the damage is reported" || diag_file "$T/t2.log"

# Short and broken DNS frames: every frame is accounted for in exactly one counter.
"$BIN/flowprobe" -r "$DATA/ndpi_badpackets.pcap" -d >"$T/t3.log" 2>&1
ok $? "ndpi_badpackets: status 0"
read -r frames ip bytes <<<"$(tshark_ip_totals "$DATA/ndpi_badpackets.pcap")"
p=$(probe_final "$T/t3.log" packets); m=$(probe_final "$T/t3.log" IP)
n=$(probe_final "$T/t3.log" non-IP); x=$(probe_final "$T/t3.log" malformed)
is "$p" "$frames" "ndpi_badpackets: every frame read ($frames)"
is "$((m + n + x))" "$p" "ndpi_badpackets: IP + non-IP + malformed = packets"
done_testing
