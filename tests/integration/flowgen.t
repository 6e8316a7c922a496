#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowgen, the synthetic capture generator: determinism, and its ground truth
# checked against tshark's own reading of the capture (frames, IP-layer bytes,
# every flow's packets, bytes, first/last millisecond and TCP flags, VLANs,
# fragments, malformed packets). Every number compared comes from tshark.
. "$(dirname "$0")/../lib/common.sh"
need_cmd tshark
FG=$TOOLS/flowgen
[ -x "$FG" ] || bail "missing $FG (run make)"

START=1767225600
DUR=3600

# sumval FILE KEY: a value of a -G summary file ("key value" lines).
sumval() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# ---- determinism ----
"$FG" -o "$T/a.pcap" -g "$T/a.txt" -G "$T/a.sum" -s 11 2>"$T/a.err"
ok $? "flowgen -s 11 runs" || diag_file "$T/a.err"
"$FG" -o "$T/b.pcap" -g "$T/b.txt" -s 11
cmp -s "$T/a.pcap" "$T/b.pcap"
ok $? "same seed: identical capture"
cmp -s "$T/a.txt" "$T/b.txt"
ok $? "same seed: identical ground truth"
"$FG" -o "$T/c.pcap" -g "$T/c.txt" -s 12
! cmp -s "$T/a.pcap" "$T/c.pcap"
ok $? "another seed: another capture"
! cmp -s "$T/a.txt" "$T/c.txt"
ok $? "another seed: another ground truth"

# ---- the ground truth file on its own ----
awk '!/^#/ { p += $8; b += $9; n++ } END { print n, p, b }' "$T/a.txt" >"$T/truth.tot"
read -r t_flows t_pkts t_bytes <"$T/truth.tot"
is "$t_pkts" 20000 "truth: packets add up to the default -n"
is "$t_flows $t_pkts $t_bytes" "$(sumval "$T/a.sum" flows) $(sumval "$T/a.sum" packets) $(sumval "$T/a.sum" bytes)" \
    "truth lines add up to the -G totals"
tail -n 1 "$T/a.txt" | grep -q "^# totals flows=$t_flows packets=$t_pkts bytes=$t_bytes "
ok $? "truth ends with its totals line"
is "$(awk '!/^#/ { print $1, $2, $3, $4, $5, $6, $7 }' "$T/a.txt" | sort | uniq -d | wc -l)" 0 \
    "every flow key occurs once in the truth"

# ---- tshark: one line per frame, first occurrence of each field (the outer
# header of ICMP errors), no IP reassembly (each fragment is a frame) ----
tshark -r "$T/a.pcap" -n -o ip.defragment:FALSE -T fields -E occurrence=f -E separator=/t \
    -e frame.time_epoch -e frame.len -e vlan.id \
    -e ip.src -e ip.dst -e ip.len -e ip.proto -e ip.id -e ip.frag_offset -e ip.flags.mf \
    -e ipv6.src -e ipv6.dst -e ipv6.plen -e ipv6.nxt \
    -e tcp.srcport -e tcp.dstport -e tcp.flags -e udp.srcport -e udp.dstport \
    -e icmp.type -e icmp.code -e icmpv6.type -e icmpv6.code \
    >"$T/frames.tsv" 2>"$T/tshark.err"
ok $? "tshark reads the capture" || diag_file "$T/tshark.err"

# Per-flow figures from tshark, keyed as the truth is. Later IPv4 fragments
# carry no ports: they take the ports of their datagram's first fragment.
awk -F'\t' -v start="$START" -v dur="$DUR" '
function hexval(s,   v, i, c) {
    v = 0; s = tolower(s); sub(/^0x/, "", s)
    for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
    return v
}
function orbits(a, b,   r, k, p) {
    r = 0
    for (k = 0; k < 8; k++) { p = 2 ^ k; if (int(a / p) % 2 || int(b / p) % 2) r += p }
    return r
}
{
    split($1, tm, "."); ms = tm[1] substr(tm[2], 1, 3)
    if (prev != "" && $1 < prev) back++
    if (tm[1] < start || tm[1] >= start + dur) outside++
    prev = $1
    frames++
    if ($2 < 60) runts++
    vlan = ($3 == "") ? 0 : $3
    if (vlan) { vlanframes++; vlans[vlan] = 1 }
    if ($4 != "") {
        fam = 4; src = $4; dst = $5; len = $6; proto = $7; v4++
    } else {
        fam = 6; src = $11; dst = $12; len = $13 + 40; proto = $14; v6++
    }
    l2 = 14 + (vlan ? 4 : 0)
    if (l2 + len < 60 && $2 == 60) padded++
    bytes += len
    sport = 0; dport = 0; fl = 0
    if (fam == 4 && ($9 > 0 || $10 == 1)) frags++
    if (fam == 4 && $9 > 0) {
        fk = src " " dst " " $8 " " proto
        if (!(fk in fragports)) { orphan++; next }
        split(fragports[fk], pp, " "); sport = pp[1]; dport = pp[2]
    } else if (proto == 6) {
        sport = $15; dport = $16; fl = hexval($17)
        if (fl == 2) syn++
        if (int(fl / 4) % 2) rst++
        if (fl % 2) fin++
    } else if (proto == 17) {
        sport = $18; dport = $19
        if (fam == 4 && $10 == 1) fragports[src " " dst " " $8 " " proto] = sport " " dport
        if (dport == 53) dnsq++
        if (sport == 53) dnsr++
        if (dport == 123) ntp++
        if (dport == 443) quic++
    } else if (proto == 1) {
        dport = $20 * 256 + $21; icmp[$20]++
    } else if (proto == 58) {
        dport = $22 * 256 + $23; icmp6[$22]++
    }
    key = fam " " src " " dst " " sport " " dport " " proto " " vlan
    if (!(key in pk)) { first[key] = ms; nkeys++; if (fam == 6) keys6++ }
    pk[key]++; by[key] += len; last[key] = ms; tf[key] = orbits(tf[key], fl)
}
END {
    for (k in pk) printf "%s %d %d %s %s 0x%02x\n", k, pk[k], by[k], first[k], last[k], tf[k] > "/dev/stderr"
    printf "frames=%d bytes=%d keys=%d keys6=%d v4=%d v6=%d vlanframes=%d nvlans=%d frags=%d orphan=%d ",
        frames, bytes, nkeys, keys6, v4, v6, vlanframes, length(vlans), frags, orphan
    printf "runts=%d padded=%d back=%d outside=%d syn=%d rst=%d fin=%d dnsq=%d dnsr=%d ntp=%d quic=%d ",
        runts, padded, back, outside, syn, rst, fin, dnsq, dnsr, ntp, quic
    printf "echo=%d reply=%d unreach=%d echo6=%d reply6=%d unreach6=%d ns=%d na=%d\n",
        icmp[8], icmp[0], icmp[3], icmp6[128], icmp6[129], icmp6[1], icmp6[135], icmp6[136]
}' "$T/frames.tsv" >"$T/ts.stats" 2>"$T/ts.flows"
ok $? "per-flow figures from tshark"
declare -A S
for kv in $(cat "$T/ts.stats"); do S[${kv%%=*}]=${kv#*=}; done
diag "tshark: $(cat "$T/ts.stats")"

is "${S[frames]}" "$t_pkts" "frames (tshark) = packets (truth)"
is "${S[bytes]}" "$t_bytes" "sum of ip.len and ipv6.plen+40 (tshark) = bytes (truth)"
is "${S[keys]}" "$t_flows" "flow keys (tshark) = flows (truth)"
is "${S[orphan]}" 0 "every later fragment follows its first fragment"

# Every flow: packets, bytes, first and last millisecond, OR of TCP flags.
awk '!/^#/' "$T/a.txt" | sort >"$T/truth.sorted"
sort "$T/ts.flows" >"$T/ts.sorted"
diff "$T/truth.sorted" "$T/ts.sorted" >"$T/flows.diff"
ok $? "every flow of the truth equals tshark's reading, field by field" || diag_file "$T/flows.diff" 20

# Shape of the capture, from tshark.
is "${S[runts]}" 0 "no frame shorter than 60 bytes"
ok "$([ "${S[padded]}" -gt 0 ]; echo $?)" "short frames padded to 60 bytes (${S[padded]})"
is "${S[back]}" 0 "timestamps never go back"
is "${S[outside]}" 0 "timestamps within -t .. -t + -d"
share6=$((100 * S[keys6] / S[keys]))
ok "$([ "$share6" -ge 5 ] && [ "$share6" -le 20 ]; echo $?)" "IPv6 flows about 10% ($share6%)"
pshare6=$((100 * S[v6] / S[frames]))
ok "$([ "$pshare6" -ge 3 ] && [ "$pshare6" -le 25 ]; echo $?)" "IPv6 packets about 10% ($pshare6%)"
truth_vlan=$(awk '!/^#/ && $7 != 0 { p += $8 } END { print p + 0 }' "$T/a.txt")
ok "$([ "${S[vlanframes]}" -gt 0 ] && [ "${S[nvlans]}" -ge 2 ]; echo $?)" \
    "802.1Q frames present (${S[vlanframes]}, ${S[nvlans]} VLAN ids)"
is "${S[vlanframes]}" "$truth_vlan" "tagged frames (tshark) = packets of VLAN flows (truth)"
ok "$([ "${S[frags]}" -gt 0 ]; echo $?)" "IPv4 fragments present (${S[frags]})"
is "${S[frags]}" "$(sumval "$T/a.sum" fragments)" "fragments (tshark) = fragments (summary)"
for k in syn rst fin dnsq dnsr ntp quic echo reply unreach echo6 reply6 unreach6 ns na; do
    ok "$([ "${S[$k]:-0}" -gt 0 ]; echo $?)" "traffic mix: $k present (${S[$k]:-0})"
done

# Popularity: the busiest tenth of the local hosts carries most of the packets.
awk -F'\t' '{ a = ($4 != "") ? $4 : $11; b = ($4 != "") ? $5 : $12
    if (a ~ /^10\.1\.|^2001:db8:1:/) n[a]++; if (b ~ /^10\.1\.|^2001:db8:1:/) n[b]++ }
    END { for (h in n) print n[h] }' "$T/frames.tsv" | sort -rn >"$T/hosts"
top=$(awk -v h="$(wc -l <"$T/hosts")" 'NR <= h / 10 { t += $1 } { a += $1 } END { print int(100 * t / a) }' "$T/hosts")
ok "$([ "$top" -ge 40 ]; echo $?)" "top 10% of local hosts carry ${top}% of local packets (Zipf-like)"

# tshark with its full dissection (reassembly on): nothing malformed, no error.
tshark -r "$T/a.pcap" -n -Y '_ws.malformed || _ws.expert.severity >= error' >"$T/malformed" 2>"$T/tshark2.err"
is "$(wc -l <"$T/malformed")" 0 "no malformed packet nor expert error in tshark" || diag_file "$T/malformed" 10

# ---- options: local networks, hosts, packet count, snap length ----
"$FG" -o "$T/l.pcap" -g "$T/l.txt" -s 5 -n 3000 -H 40 -t 1700000000 -d 60 -S 96 \
    -l 192.168.7.0/24 -l 2001:db8:42::/56
ok $? "flowgen with -l -H -n -t -d -S"
tshark -r "$T/l.pcap" -n -T fields -E occurrence=f -e frame.time_epoch -e frame.len -e frame.cap_len \
    -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst >"$T/l.tsv" 2>/dev/null
awk -F'\t' '{
    n++; if ($3 > 96 || $3 > $2) badcap++
    split($1, tm, "."); if (tm[1] < 1700000000 || tm[1] >= 1700000060) outside++
    a = $4 $6; b = $5 $7; l = 0
    if (a ~ /^192\.168\.7\.|^2001:db8:42:/) { l = 1; h[a] = 1 }
    if (b ~ /^192\.168\.7\.|^2001:db8:42:/) { l = 1; h[b] = 1 }
    if (!l) nolocal++
} END { printf "%d %d %d %d %d\n", n, badcap, outside, nolocal, length(h) }' "$T/l.tsv" >"$T/l.stats"
read -r l_n l_badcap l_out l_nolocal l_hosts <"$T/l.stats"
is "$l_n" 3000 "-n 3000: 3000 frames (tshark)"
is "$l_badcap" 0 "-S 96: no frame captured beyond 96 bytes"
is "$l_out" 0 "-t/-d: every frame within the minute"
is "$l_nolocal" 0 "-l: every frame has an endpoint in the local networks"
ok "$([ "$l_hosts" -le 80 ] && [ "$l_hosts" -ge 10 ]; echo $?)" \
    "-H 40: $l_hosts local addresses (at most 40 hosts x 2 families)"
is "$(awk '!/^#/ { p += $8 } END { print p }' "$T/l.txt")" 3000 "truth of the -S run still counts 3000 packets"
"$FG" -o "$T/bad.pcap" -l 10.0.0.0/33 2>/dev/null
is "$?" 2 "a bad -l is a usage error"

done_testing
