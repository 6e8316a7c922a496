# SPDX-License-Identifier: BSD-2-Clause
# Helpers for flowcollectd's integration tests (tests/integration/coll_*.t).
# Source after tests/lib/common.sh; brings tests/lib/flows.sh (udp_drained, nfcapd).
. "$(dirname "${BASH_SOURCE[0]}")/flows.sh"

# coll_conf FILE SPOOL [DIRECTIVE...]: writes a config with that spool
# directory (created) and one extra directive per argument.
coll_conf() {
    local file=$1 spool=$2 d
    shift 2
    mkdir -p "$spool"
    { echo "spool $spool"; for d in "$@"; do echo "$d"; done; } >"$file"
}

# coll_replay CONF CAPTURE LOG: flowcollectd -r; returns its exit status.
coll_replay() {
    "$BIN/flowcollectd" -c "$1" -r "$2" >"$3" 2>&1
}

# coll_final LOG "ADDR vV domain D" FIELD: a counter of an exporter's final line.
coll_final() {
    awk -v key="exporter $2:" -v f="$3" '
        index($0, "final: " key) {
            sub(/.*final: exporter .* domain [0-9]+: /, "")
            for (i = 1; i < NF; i += 2) if ($i == f) { print $(i + 1); found = 1 }
        }
        END { if (!found) print "none" }' "$1"
}

# coll_summary LOG FIELD: a counter of the final summary ("final: datagrams ...").
coll_summary() {
    awk -v f="$2" '
        /final: datagrams / {
            sub(/.*final: /, "")
            for (i = 1; i < NF; i += 2) if ($i == f) print $(i + 1)
        }' "$1"
}

# coll_dropped LOG ADDR REASON: datagrams of ADDR dropped for REASON (the final
# "dropped from ADDR:" line; 0 when there is none).
coll_dropped() {
    awk -v key="final: dropped from $2:" -v f="$3" '
        index($0, key) {
            sub(/.*final: dropped from [^ ]*: /, "")
            for (i = 1; i < NF; i += 2) if ($i == f) n = $(i + 1)
        }
        END { print n + 0 }' "$1"
}

# coll_capture LOG FIELD: a counter of the replay's capture line.
coll_capture() {
    awk -v f="$2" '
        /final: capture / {
            sub(/.*final: capture [^:]*: /, "")
            for (i = 1; i < NF; i += 2) if ($i == f) print $(i + 1)
        }' "$1"
}

# coll_exporter_sum LOG FIELD: a counter summed over every exporter's final line.
coll_exporter_sum() {
    awk -v f="$2" '
        /final: exporter / {
            sub(/.*final: exporter .* domain [0-9]+: /, "")
            for (i = 1; i < NF; i += 2) if ($i == f) s += $(i + 1)
        }
        END { print s + 0 }' "$1"
}

# coll_raw SPOOL: per exporter, from flowreport's record listing, with
# sampling undone: "ADDR vV domain D records R packets P octets O".
coll_raw() {
    "$BIN/flowreport" -R "$1" -q -o csv 2>/dev/null | awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        {
            k = $col["exporter"] " v" $col["version"] " domain " $col["domain"]
            s = $col["sampling"] > 0 ? $col["sampling"] : 1
            n[k]++; p[k] += $col["packets"] / s; o[k] += $col["bytes"] / s
        }
        END { for (k in n) printf "%s records %d packets %.0f octets %.0f\n", k, n[k], p[k], o[k] }' |
        sort
}

# coll_keyed SPOOL: flows summed per key, in the format of tests/lib/flows.sh:
# "family src dst sport dport proto packets bytes".
coll_keyed() {
    "$BIN/flowreport" -R "$1" -q -o csv 2>/dev/null | awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        {
            fam = index($col["srcip"], ":") ? 6 : 4
            k = fam " " $col["srcip"] " " $col["dstip"] " " $col["srcport"] " " $col["dstport"] " " $col["proto"]
            p[k] += $col["packets"]; b[k] += $col["bytes"]
        }
        END { for (k in p) printf "%s %.0f %.0f\n", k, p[k], b[k] }' | sort
}

# coll_total SPOOL: "flows packets bytes" from `flowreport -s total -o csv`.
coll_total() {
    "$BIN/flowreport" -R "$1" -q -s total -o csv 2>/dev/null | awk -F, 'NR == 2 { print $1, $2, $3 }'
}

# coll_start LOG CONF [ARGS...]: flowcollectd in the foreground; COLL_PID.
# Waits until it has logged that it listens.
coll_start() {
    local log=$1 conf=$2
    shift 2
    start_bg "$log" "$BIN/flowcollectd" -d -c "$conf" "$@"
    COLL_PID=$BG_PID
    wait_for 10 grep -q "flow files in" "$log"
}

# coll_stop: SIGTERM, wait for the exit; returns its status.
coll_stop() {
    stop_pid "$COLL_PID"
}

# udp_send PORT [SRC] < HEXLINES: sends each line (hex bytes) as one UDP datagram, from
# one socket (bound to the loopback address SRC when given), to 127.0.0.1:PORT.
udp_send() {
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if len(sys.argv) > 2:
    s.bind((sys.argv[2], 0))
for line in sys.stdin:
    line = line.strip()
    if line:
        s.sendto(bytes.fromhex(line), ("127.0.0.1", int(sys.argv[1])))
' "$@"
}

# pcap_payloads PCAP: the UDP payload of each frame as one hex line (tshark).
pcap_payloads() {
    tshark -r "$1" -T fields -e udp.payload 2>/dev/null | tr -d ':'
}

# hex_pcap OUT SRC [timed] < HEXLINES: a pcap (raw IPv4, LINKTYPE_RAW) with one UDP
# datagram SRC:40000 -> 198.51.100.10:2055 per input line, 1 ms apart from
# 2023-11-14 22:13:20 UTC; with "timed", each line is "UNIX_SECONDS HEX".
hex_pcap() {
    python3 -c '
import socket, struct, sys
out, src, timed = sys.argv[1], sys.argv[2], sys.argv[3] == "timed"
f = open(out, "wb")
f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
t = 1700000000.0
for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    if timed:
        t = float(parts[0]); parts = parts[1:]
    else:
        t += 0.001
    data = bytes.fromhex("".join(parts))
    udp = struct.pack("!HHHH", 40000, 2055, 8 + len(data), 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton("198.51.100.10")) + udp
    sec = int(t); usec = int(round((t - sec) * 1e6))
    f.write(struct.pack("<IIII", sec, usec, len(ip), len(ip)) + ip)
' "$1" "$2" "${3:-}"
}
