#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# What two independent peers make of lib/enc's datagrams, for NetFlow v5, v9
# and IPFIX, unsampled and sampled 1:100. build/tools/encpcap encodes a fixed
# set of flows (IPv4 and IPv6; TCP, UDP, ICMP, ICMPv6; counts beyond 32 bits;
# template refreshes) and prints the ground truth.
#  - tshark reads the pcap: no malformed frame, no expert warning (such as
#    "Unexpected flow sequence"), and records, packets and octets as on the
#    wire.
#  - nfcapd receives the same datagrams over loopback UDP; nfdump reads back
#    every flow (addresses, ports, ICMP type.code, protocol, packets, bytes,
#    first and last time to the millisecond) and the totals. With sampling,
#    nfdump must scale the counts by the announced interval, which proves it
#    read the announcement.
. "$(dirname "$0")/../lib/common.sh"

need_cmd tshark
need_cmd nfcapd
need_cmd nfdump
need_cmd ss
ENC=$TOOLS/encpcap
[ -x "$ENC" ] || bail "missing $ENC: run make"
export TZ=UTC

listening() { ss -H -lun "sport = :$1" | grep -q .; }

# field NAME FILE: the value after NAME on the truth file's "total" line.
field() { awk -v k="$1" '$1 == "total" { for (i = 2; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$2"; }

for fmt in 5 9 10; do
    for s in 1 100; do
        name="v$fmt sampling 1:$s"
        [ "$fmt" = 10 ] && name="ipfix sampling 1:$s"
        pport=$(free_port udp) || bail "no free port"
        pcap=$T/enc-$fmt-$s.pcap
        truth=$T/truth-$fmt-$s
        if ! "$ENC" -f "$fmt" -S "$s" -o "$pcap" -p "$pport" >"$truth" 2>"$T/enc.err"; then
            ok 1 "$name: encpcap runs"; diag_file "$T/enc.err"; continue
        fi
        recs=$(field records "$truth")
        wpk=$(field wpackets "$truth")
        wby=$(field woctets "$truth")

        # --- tshark ---------------------------------------------------------------------
        bad=$(tshark -r "$pcap" -d "udp.port==$pport,cflow" \
            -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null)
        is "$(printf '%s' "$bad" | grep -c .)" 0 "$name: tshark finds no malformed frame or warning" ||
            diag "$(printf '%s\n' "$bad" | head -5)"
        got=$(tshark -r "$pcap" -d "udp.port==$pport,cflow" -T fields -E aggregator=';' \
            -e cflow.packets -e cflow.octets 2>/dev/null |
            awk -F'\t' '{ n += split($1, p, ";"); split($2, o, ";");
                          for (i in p) tp += p[i]; for (i in o) to += o[i] }
                        END { printf "%d %.0f %.0f\n", n, tp, to }')
        is "$got" "$recs $wpk $wby" "$name: tshark records, packets, octets equal the wire truth"

        # --- nfcapd / nfdump ------------------------------------------------------------
        port=$(free_port udp) || bail "no free port"
        dir=$T/nf-$fmt-$s
        mkdir -p "$dir"
        start_bg "$T/nfcapd-$fmt-$s.log" nfcapd -w "$dir" -p "$port" -b 127.0.0.1 -B 4194304 -I test
        nfpid=$BG_PID
        if ! wait_for 10 listening "$port"; then
            ok 1 "$name: nfcapd listens"; diag_file "$T/nfcapd-$fmt-$s.log"; continue
        fi
        "$ENC" -f "$fmt" -S "$s" -s "127.0.0.1:$port" -w 300 >"$T/truth-sent" 2>"$T/enc.err"
        ok $? "$name: encpcap sends to nfcapd" || diag_file "$T/enc.err"
        stop_pid "$nfpid"
        cmp -s "$truth" "$T/truth-sent"
        ok $? "$name: the datagrams sent are those of the pcap (same truth)"

        # Totals: one nfdump flow per data record (v5 splits counts beyond 32 bits).
        info=$(nfdump -R "$dir" -I 2>&1)
        got=$(printf '%s\n' "$info" | awk -F': *' '$1 == "Flows" || $1 == "Packets" || $1 == "Bytes" { printf "%s ", $2 }')
        is "$got" "$recs $(field packets "$truth") $(field octets "$truth") " \
            "$name: nfdump flows, packets, bytes equal the truth (sampling applied)" ||
            diag_file "$T/nfcapd-$fmt-$s.log"
        seqfail=$(printf '%s\n' "$info" | awk -F': *' '$1 == "Sequence failures" { print $2 }')
        want_fail=0
        if [ "$fmt" = 10 ] && [ "$s" -gt 1 ]; then
            # nfdump 1.7.1 leaves options data records out of the IPFIX sequence count
            # (RFC 7011 section 3.1 counts all data records, as tshark does): one
            # complaint after each message that carries the sampling options record.
            nframes=$(tshark -r "$pcap" 2>/dev/null | grep -c .)
            want_fail=$(tshark -r "$pcap" -d "udp.port==$pport,cflow" -Y 'cflow.flowset_id == 258' \
                -T fields -e frame.number 2>/dev/null | awk -v n="$nframes" '$1 < n' | grep -c .)
        fi
        is "$seqfail" "$want_fail" "$name: nfdump sequence failures"

        # Every flow: key, counts and times to the ms, parts of split v5 flows added up.
        nfdump -R "$dir" -q -N -6 -o 'fmt:%sa,%da,%sp,%dp,%pr,%pkt,%byt,%ts,%te' 2>"$T/nfdump.err" |
            awk -F, 'NF == 9 { for (i = 1; i <= NF; i++) gsub(/^ +| +$/, "", $i)
                                k = $1 " " $2 " " $3 " " $4 " " $5; p[k] += $6; b[k] += $7
                                t[k] = $8 " " $9 }
                     END { for (k in p) printf "%s %.0f %.0f %s\n", k, p[k], b[k], t[k] }' |
            sort >"$T/got"
        awk '$1 == "flow" { t1 = $10; t2 = $11; sub("T", " ", t1); sub("T", " ", t2)
                            print $3, $4, $5, $6, $7, $8, $9, t1, t2 }' "$truth" | sort >"$T/want"
        d=$(diff "$T/want" "$T/got" | grep -c '^[<>]')
        is "$d" 0 "$name: nfdump shows every flow as encoded ($(grep -c . "$T/want") flows)" || {
            diag "first differences (< truth, > nfdump):"
            diff "$T/want" "$T/got" | grep '^[<>]' | head -6 | while read -r l; do diag "$l"; done
        }
        if [ "$s" -gt 1 ] && [ "$fmt" != 5 ]; then
            diag "$name: nfcapd: $(grep -i sampler "$T/nfcapd-$fmt-$s.log" | head -1)"
        fi
    done
done
done_testing
