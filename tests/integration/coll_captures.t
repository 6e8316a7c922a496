#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcollectd -r over every capture of shared/data (MANIFEST.md).
#
# NetFlow/IPFIX captures: per exporter (address, version, domain), the
# records, packets and octets that reach the flow files (read back with
# flowreport, sampling undone) equal tshark's decode of the same capture
# (tests/unit/dec_tshark.py: tshark -T pdml, records and their counters
# summed; an RFC 5103 biflow counts as two records). Where tshark cannot
# decode what flowcollectd decodes, the test says so and compares with a
# hand walk of the flowsets (tests/unit/dec_byhand.py). Datagrams per
# exporter equal tshark's count too.
#
# Malformed captures and the fuzz corpus capture: no crash, exit 0, and
# every bad datagram counted, with the numbers MANIFEST.md and the hand
# analysis in tests/unit/test_dec_pcap.c give: by its session, or, when
# its framing is broken and it has no session yet, against its source
# address (no session is made for it).
#
# Other captures (plain traffic, odd link types, fragments, truncation, a
# damaged file): no crash; frames and UDP datagrams as tshark counts them,
# and every frame accounted for by exactly one reason.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
need_cmd tshark; need_cmd python3

if [ ! -f "$DATA/MANIFEST.md" ]; then
    skip "no capture directory $DATA" "captures"
    done_testing
fi
TSHARK_PY=$FSN_ROOT/tests/unit/dec_tshark.py
BYHAND_PY=$FSN_ROOT/tests/unit/dec_byhand.py

# tshark_per_exporter FILE PORT: dec_tshark.py's figures in coll_raw's format.
tshark_per_exporter() {
    local d=()
    case $2 in 2055|4739|9995|9996) ;; *) d=(-d "udp.port==$2,cflow") ;; esac
    python3 "$TSHARK_PY" "$1" "${d[@]}" | awk '{
        # ADDR vV domain D: datagrams N records R packets P octets O reverse V rpackets Q roctets X ...
        k = $1 " " $2 " " $3 " " $4; sub(/:$/, "", k)
        printf "%s records %d packets %d octets %d\n", k, $8 + $14, $10 + $16, $12 + $18
        print k, "datagrams", $6 > "/dev/stderr"
    }' | sort
}

# byhand FILE FILTER [--twice]: the data flowsets of dec_byhand.py, summed.
byhand() {
    python3 "$BYHAND_PY" "$@" | awk '/\(data,/ { r += $(NF - 4); p += $(NF - 2); o += $NF }
        END { printf "records %d packets %d octets %d\n", r, p, o }'
}

# Exporters whose figures come from a hand walk, because tshark cannot give them.
declare -A HAND WHY
HAND["graylog_nf9_router.pcap|192.168.1.1 v9 domain 0"]="'ip.src==192.168.1.1'"
WHY["graylog_nf9_router.pcap|192.168.1.1 v9 domain 0"]="tshark stops at the header's record count, which this exporter sets too low (it misses template 2048 and the data after the first flowset of frame 1)"
HAND["akvorado_nf9_tmpl_and_data_same_pkt.pcap|102.102.144.1 v9 domain 17170432"]="udp --twice"
WHY["akvorado_nf9_tmpl_and_data_same_pkt.pcap|102.102.144.1 v9 domain 17170432"]="the first flowset comes before its template in the same datagram: tshark leaves it undecoded, flowcollectd keeps it until the template"
HAND["ls_nf9_vendors_dev.pcap|192.0.2.18 v9 domain 2816"]="'ip.src==192.0.2.18'"
WHY["ls_nf9_vendors_dev.pcap|192.0.2.18 v9 domain 2816"]="tshark stops in the first record, at element 43 of length 2"
HAND["ls_edgecases_dev.pcap|192.0.2.53 v9 domain 0"]="'ip.src==192.0.2.53'"
WHY["ls_edgecases_dev.pcap|192.0.2.53 v9 domain 0"]="the header's record count (2) is wrong and tshark stops after 2 flowsets; the flowset lengths are consistent"
# An invalid v5 datagram (count 55582, not 1..30, and a length that fits no
# count): tshark decodes 30 records out of it anyway; a v5 datagram has no
# inner structure to trust, so by hand it holds nothing.
HAND["ls_edgecases_dev.pcap|192.0.2.52 v5 domain 67"]="none"
WHY["ls_edgecases_dev.pcap|192.0.2.52 v5 domain 67"]="an invalid v5 header (count 55582): malformed, nothing in it can be trusted"

# Captures with NetFlow/IPFIX and the port tshark needs.
NETFLOW="graylog_nf5_router.pcap:2055 graylog_nf9_router.pcap:2055 graylog_nprobe_nf5_nf9.pcap:2055
akvorado_nf5_29rec.pcap:9990 akvorado_nf9_tmpl_then_data.pcap:2055
akvorado_nf9_tmpl_and_data_same_pkt.pcap:2055 akvorado_nf9_options_sampling.pcap:2055
akvorado_ipfix_srv6.pcap:2055 akvorado_ipfix_ipfixprobe_biflow.pcap:4739
akvorado_ipfix_datalink_varlen.pcap:2055 pmacct_ipfix_cisco.pcap:9991
pmacct_nf9_cisco_sampling.pcap:9991 pmacct_ipfix_cisco_ipv6_options.pcap:9992
pmacct_ipfix_bmp_srv6_mixed.pcap:9991 ndpi_ipfix_fritzbox.pcap:2055 ls_nf5_vendors_dev.pcap:2055
ls_nf9_vendors_dev.pcap:2055 ls_ipfix_vendors_dev.pcap:4739 ls_edgecases_dev.pcap:2055
libnetflow9_malformed_1.pcapng:6543 libnetflow9_malformed_2.pcapng:6543
libnetflow9_fuzz_corpus.pcap:2055"

# Malformed datagrams expected in all (hand analysis; every other NetFlow capture: 0).
declare -A MALFORMED=(
    # the invalid v5 datagram of 192.0.2.52
    [ls_edgecases_dev.pcap]=1
    # MANIFEST: "libnetflow9 expects 3 malformed packets" (templates with 0 fields)
    [libnetflow9_malformed_1.pcapng]=3
    # MANIFEST: "every packet has a flowset with length 1 (<4); expects 16 malformed"
    [libnetflow9_malformed_2.pcapng]=16
    # 15 seeds: frame 3 is one byte (no header), frame 5 a bare valid header, the
    # other 13 malformed (stray bytes, lengths past the end, length 1 or 0,
    # templates without fields); see tests/unit/test_dec_pcap.c
    [libnetflow9_fuzz_corpus.pcap]=13
)
declare -A NOTNETFLOW=([libnetflow9_fuzz_corpus.pcap]=1)

n=0
for entry in $NETFLOW; do
    f=${entry%:*}; port=${entry#*:}
    if ! have_data "$f"; then skip "$f absent" "$f"; continue; fi
    n=$((n + 1))
    spool=$T/spool$n
    coll_conf "$T/c$n.conf" "$spool"
    coll_replay "$T/c$n.conf" "$DATA/$f" "$T/log$n"
    ok $? "$f: flowcollectd -r exits 0" || diag_file "$T/log$n"
    coll_raw "$spool" >"$T/ours$n"
    tshark_per_exporter "$DATA/$f" "$port" >"$T/tshark$n" 2>"$T/tdgrams$n"
    while read -r a v dom d rest; do
        key="$a $v $dom $d"
        want=${rest}
        if [ -n "${HAND["$f|$key"]:-}" ]; then
            diag "$f $key: ${WHY["$f|$key"]}; compared with a hand walk"
            if [ "${HAND["$f|$key"]}" = none ]; then
                want="records 0 packets 0 octets 0"
            else
                eval "want=\$(byhand \"\$DATA/\$f\" ${HAND["$f|$key"]})"
            fi
        fi
        got=$(awk -v k="$key" 'index($0, k " records") == 1 { print substr($0, length(k) + 2) }' "$T/ours$n")
        is "${got:-records 0 packets 0 octets 0}" "$want" "$f: $key: records, packets, octets"
        want_dg=$(awk -v k="$key" 'index($0, k " datagrams") == 1 { print $NF }' "$T/tdgrams$n")
        got_dg=$(coll_final "$T/log$n" "$key" datagrams)
        [ "$got_dg" = none ] && got_dg=0
        # A source with one key: its datagrams that made no session (broken framing) are its too.
        if [ "$(awk -v a="$a" '$1 == a' "$T/tshark$n" | wc -l)" = 1 ]; then
            got_dg=$((got_dg + $(coll_dropped "$T/log$n" "$a" malformed)))
        fi
        is "$got_dg" "$want_dg" "$f: $key: datagrams (in its session or dropped as malformed)"
    done <"$T/tshark$n"
    # No exporter of ours that tshark does not know.
    extra=$(awk '{ print $1, $2, $3, $4 }' "$T/ours$n" | while read -r k; do
        grep -q "^$k records" "$T/tshark$n" || echo "$k"; done)
    is "$extra" "" "$f: no exporter beyond tshark's"
    is "$(($(coll_exporter_sum "$T/log$n" malformed) + $(coll_summary "$T/log$n" malformed)))" \
        "${MALFORMED[$f]:-0}" "$f: malformed datagrams (in sessions and before any)"
    is "$(coll_summary "$T/log$n" not-netflow)" "${NOTNETFLOW[$f]:-0}" "$f: datagrams without a NetFlow header"
    is "$(coll_summary "$T/log$n" records)" "$(coll_summary "$T/log$n" stored)" "$f: every record decoded is stored"
done

# The rest: not NetFlow at all, odd link types, fragments, truncation, damage.
OTHER="ipfixprobe_mixed.pcap ndpi_android.pcap ndpi_gnutella.pcap zeek_icmp_dot1q.pcap
zeek_q-in-q.pcap zeek_ipv4_fragmented-3.pcap zeek_ipv6-fragmented-dns.pcap ndpi_kakaotalk_sll.pcap
ndpi_ocs_rawip.pcap zeek_trunc_ip4-trunc.pcap ndpi_badpackets.pcap pcapfix_test_damaged.pcap
ipfixprobe_vlan.pcapng"
WHOLE_UDP='udp && !icmp && !icmpv6 && !(ip.flags.mf == 1) && !(ip.frag_offset > 0) && !(ipv6.fraghdr.more == 1) && !(ipv6.fraghdr.offset > 0)'
for f in $OTHER; do
    if ! have_data "$f"; then skip "$f absent" "$f"; continue; fi
    n=$((n + 1))
    spool=$T/spool$n
    coll_conf "$T/c$n.conf" "$spool"
    coll_replay "$T/c$n.conf" "$DATA/$f" "$T/log$n"
    rc=$?
    if [ "$f" = pcapfix_test_damaged.pcap ]; then
        # MANIFEST: libpcap reads 1 packet, then "truncated dump file".
        is "$rc" 1 "$f: exit status 1 for a damaged file" || diag_file "$T/log$n"
        grep -q "truncated dump file" "$T/log$n"
        ok $? "$f: libpcap's complaint is logged"
        frames=1
    else
        is "$rc" 0 "$f: flowcollectd -r exits 0" || diag_file "$T/log$n"
        frames=$(tshark -r "$DATA/$f" -T fields -e frame.number 2>/dev/null | wc -l)
    fi
    is "$(coll_capture "$T/log$n" frames)" "$frames" "$f: frames"
    udp=$(tshark -r "$DATA/$f" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -Y "$WHOLE_UDP" \
        -T fields -e frame.number 2>/dev/null | wc -l)
    is "$(coll_capture "$T/log$n" datagrams)" "$udp" "$f: whole UDP datagrams, as tshark counts them"
    sum=$(awk '/final: capture/ { sub(/.*frames [0-9]+ /, ""); for (i = 2; i <= NF; i += 2) s += $i; print s }' "$T/log$n")
    is "$sum" "$frames" "$f: every frame counted once (datagram, not IP, not UDP, fragment, truncated, unsupported)"
    accounted=$(( $(coll_exporter_sum "$T/log$n" datagrams) + $(coll_summary "$T/log$n" not-netflow) +
        $(coll_summary "$T/log$n" malformed) ))
    is "$accounted" "$udp" "$f: every datagram reached an exporter session or was counted as not NetFlow or malformed"
done
for f in zeek_trunc_ip4-trunc.pcap ndpi_badpackets.pcap; do
    have_data "$f" || continue
    # tshark: "IPv4 total length exceeds packet length", or "IPv4 truncated" by the snap length.
    want=$(tshark -r "$DATA/$f" -o ip.defragment:FALSE -T fields -e _ws.expert.message -e _ws.short 2>/dev/null |
        grep -c -e 'exceeds packet length' -e 'IPv4 truncated')
    log=$(grep -l "capture $DATA/$f" "$T"/log* | head -1)
    is "$(coll_capture "$log" truncated)" "$want" "$f: truncated frames"
done
done_testing
