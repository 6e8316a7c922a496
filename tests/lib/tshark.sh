# SPDX-License-Identifier: BSD-2-Clause
# tshark as an independent counter of captures. Source after common.sh.

# tshark_ip_totals FILE: "frames ip_packets ip_bytes" where ip_bytes is the
# outermost IP header's length (IPv4 total length, IPv6 40 + payload length)
# of each frame, fragments not reassembled.
tshark_ip_totals() {
    tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields \
        -e frame.protocols -e ip.len -e ipv6.plen -E occurrence=f 2>/dev/null | awk -F'\t' '
        { frames++
          n = split($1, pr, ":"); first = ""
          for (i = 1; i <= n; i++) if (pr[i] == "ip" || pr[i] == "ipv6") { first = pr[i]; break }
          if (first == "ip" && $2 != "") { ip++; bytes += $2 }
          else if (first == "ipv6" && $3 != "") { ip++; bytes += $3 + 40 } }
        END { printf "%d %d %d\n", frames, ip, bytes }'
}

# probe_final LOG FIELD: a number from flowprobe's final report, e.g. "IP", "octets", "packets".
probe_final() {
    sed -n 's/.*final: packets \([0-9]*\) (IP \([0-9]*\), \([0-9]*\) octets; non-IP \([0-9]*\), malformed \([0-9]*\), unsupported \([0-9]*\).*/\1 \2 \3 \4 \5 \6/p' "$1" |
        awk -v f="$2" '{ i = (f == "packets") ? 1 : (f == "IP") ? 2 : (f == "octets") ? 3 : (f == "non-IP") ? 4 : (f == "malformed") ? 5 : 6; print $i }'
}
