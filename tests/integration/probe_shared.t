#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Every capture of ordinary traffic in ../shared/data: the packets and
# bytes that flowprobe exports (read back by nfdump from nfcapd) equal
# tshark's independent count of the same capture, and the flows agree with
# softflowd's on the same capture. Differences that remain, with the reason:
#  - ICMPv6: softflowd's v9 export loses the ICMPv6 type/code (nfcapd reads
#    them as 0), so ICMPv6 keys are compared with the type/code cleared.
#  - Fragments: softflowd counts later fragments in a separate port-0 flow
#    (IPv6: protocol 0 as well); flowprobe counts them in their datagram's
#    flow. Captures with fragments are compared per address pair.
#  - QinQ: softflowd does not decode a second VLAN tag and exports nothing
#    for zeek_q-in-q; there flowprobe is compared with tshark only.
# The malformed and damaged captures are probe_badinput.t's.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/flows.sh"
. "$(dirname "$0")/../lib/tshark.sh"
need_cmd nfcapd; need_cmd softflowd; need_cmd tshark

if ! have_data ndpi_android.pcap; then
    skip "../shared/data absent (a clone outside the project's workplace)" "shared captures"
    done_testing
fi

# export_keyed CAPTURE OUT CMD...: runs an exporter (CMD, with PORT substituted) into nfcapd.
export_keyed() {
    local cap=$1 out=$2; shift 2
    local port dir
    port=$(free_port udp)
    dir=$T/nf.$(basename "$out")
    start_nfcapd "$dir" "$port" || bail "nfcapd did not start"
    "${@//PORT/$port}" >"$out.log" 2>&1
    stop_nfcapd "$port"
    nfdump_keyed "$dir" >"$out"
}

# ICMPv6 type/code cleared (softflowd's v9 loses them).
no_icmp6_code() { awk '$6 == 58 { $5 = 0 } { print }' "$1" | awk '{ k = $1 " " $2 " " $3 " " $4 " " $5 " " $6; p[k] += $7; b[k] += $8 } END { for (k in p) print k, p[k], b[k] }' | sort; }
# Per address pair, protocol and ports ignored.
per_pair() { awk '{ k = $1 " " $2 " " $3; p[k] += $7; b[k] += $8 } END { for (k in p) print k, p[k], b[k] }' "$1" | sort; }

for name in ipfixprobe_mixed.pcap ndpi_android.pcap ndpi_gnutella.pcap zeek_icmp_dot1q.pcap \
    zeek_q-in-q.pcap zeek_ipv4_fragmented-3.pcap zeek_ipv6-fragmented-dns.pcap \
    ndpi_kakaotalk_sll.pcap ndpi_ocs_rawip.pcap ipfixprobe_vlan.pcapng; do
    f=$DATA/$name
    if [ ! -f "$f" ]; then skip "absent" "$name"; continue; fi
    export_keyed "$f" "$T/probe.$name" "$BIN/flowprobe" -r "$f" -e 127.0.0.1:PORT -V 9 -d
    read -r _ ip bytes <<<"$(tshark_ip_totals "$f")"
    is "$(totals "$T/probe.$name" | cut -d' ' -f2-)" "$ip $bytes" \
        "$name: exported packets and bytes equal tshark's count ($ip, $bytes)"

    export_keyed "$f" "$T/soft.$name" softflowd -r "$f" -n 127.0.0.1:PORT -v 9 -d -c none \
        -m 2000000 -p "$T/softflowd.pid"
    case $name in
    zeek_q-in-q.pcap)
        is "$(totals "$T/soft.$name")" "0 0 0" "$name: softflowd exports nothing (no QinQ)"
        ;;
    zeek_ipv4_fragmented-3.pcap | zeek_ipv6-fragmented-dns.pcap)
        per_pair "$T/probe.$name" >"$T/a"; per_pair "$T/soft.$name" >"$T/b"
        keyed_diff "$T/a" "$T/b"
        ok $? "$name: per address pair, flowprobe agrees with softflowd"
        ;;
    *)
        no_icmp6_code "$T/probe.$name" >"$T/a"; no_icmp6_code "$T/soft.$name" >"$T/b"
        keyed_diff "$T/a" "$T/b"
        ok $? "$name: every flow key agrees with softflowd ($(wc -l <"$T/a") keys)"
        ;;
    esac
done

# Fragment attribution, checked against tshark: in zeek_ipv4_fragmented-3
# the five frames are fragments of one TCP segment (its first fragment
# carries the ports; the datagram is incomplete, so tshark cannot reassemble
# it and is asked for the fragments as they are).
name=zeek_ipv4_fragmented-3.pcap
if [ -f "$DATA/$name" ]; then
    want=$(tshark -r "$DATA/$name" -o ip.defragment:FALSE -T fields -e ip.src -e ip.dst \
        -e tcp.srcport -e tcp.dstport -e ip.proto -e ip.len 2>/dev/null |
        awk -F'\t' '$3 != "" { a = $1; d = $2; s = $3; t = $4; p = $5 } { n++; b += $6 }
            END { print 4, a, d, s, t, p, n, b }')
    is "$(cat "$T/probe.$name")" "$want" "$name: all fragments counted in their segment's flow"
fi
done_testing
