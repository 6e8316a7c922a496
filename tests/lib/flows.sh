# SPDX-License-Identifier: BSD-2-Clause
# Helpers for tests that compare flows: run nfcapd as a peer collector,
# read its files back with nfdump, and compare flows per key with a
# generator's ground truth. Source after tests/lib/common.sh.
#
# The comparison format, one line per key, space-separated:
#   family src dst sport dport proto packets bytes
# ICMP/ICMPv6 carry type*256+code in dport (as NetFlow v5 does); nfdump
# prints it as "type.code", which nfdump_keyed converts back.

# start_nfcapd DIR PORT: nfcapd in the foreground on 127.0.0.1:PORT; NFCAPD_PID.
start_nfcapd() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    start_bg "$dir.log" nfcapd -w "$dir" -p "$port" -b 127.0.0.1 -B 8388608 -t 3600 -I test
    NFCAPD_PID=$BG_PID
    wait_for 10 udp_listening "$port"
}

udp_listening() { ss -H -lun "sport = :$1" | grep -q .; }

# udp_drained PORT: nothing waits in the receive queue of the socket on PORT.
udp_drained() { [ "$(ss -H -lun "sport = :$1" | awk '{s += $2} END {print s + 0}')" = 0 ]; }

# stop_nfcapd PORT: waits (bounded) until nfcapd has read everything, then stops it.
stop_nfcapd() {
    wait_for 20 udp_drained "$1"
    stop_pid "$NFCAPD_PID"
}

# nfdump_keyed DIR: flows read back by nfdump, summed per key.
nfdump_keyed() {
    nfdump -R "$1" -q -N -6 -o 'fmt:%sa,%da,%sp,%dp,%pr,%pkt,%byt' 2>/dev/null | awk -F, '
        function trim(s) { gsub(/[ \t]/, "", s); return s }
        NF >= 7 {
            sa = trim($1); da = trim($2); sp = trim($3); dp = trim($4); pr = trim($5)
            fam = index(sa, ":") ? 6 : 4
            if (dp ~ /\./) { split(dp, tc, "."); dp = tc[1] * 256 + tc[2] }
            if (sp ~ /\./) { sp = 0 }
            k = fam " " sa " " dd(da) " " sp " " dp " " pr
            p[k] += trim($6); b[k] += trim($7)
        }
        function dd(x) { return x }
        END { for (k in p) print k, p[k], b[k] }' | sort
}

# truth_keyed TRUTH [4]: the generator's ground truth summed per key (only IPv4 with "4").
truth_keyed() {
    awk -v only="${2:-}" '
        /^#/ || NF < 9 { next }
        only != "" && $1 != only { next }
        { k = $1 " " $2 " " $3 " " $4 " " $5 " " $6; p[k] += $8; b[k] += $9 }
        END { for (k in p) print k, p[k], b[k] }' "$1" | sort
}

# totals FILE: "keys packets bytes" of a keyed listing.
totals() { awk '{n++; p += $7; b += $8} END {printf "%d %d %d\n", n, p, b}' "$1"; }

# keyed_diff A B: prints up to 10 differing lines as diagnostics; status 0 when equal.
keyed_diff() {
    if cmp -s "$1" "$2"; then return 0; fi
    diff "$1" "$2" | head -20 | sed 's/^/#   /'
    return 1
}
