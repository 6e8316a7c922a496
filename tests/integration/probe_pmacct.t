#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowprobe -> pmacct's nfacctd (another real collector, print plugin,
# aggregated by protocol) for NetFlow v5, v9 and IPFIX with the probe's
# defaults: nfacctd's packets and bytes per protocol equal the generator's
# ground truth (v5: its IPv4 flows). This also guards the default datagram
# size: nfacctd 1.7 keeps only about the first 1.5 KB of a datagram, so
# with larger datagrams it would count less. Timeouts longer than the
# capture keep every flow to the end, so the final export fills whole
# datagrams.
#
# When nfacctd has counted everything: its core process reads the socket
# and queues the records for the print plugin (another process), but only
# wakes the plugin once the plugin has entered its loop; the plugin starts
# after the core says "waiting for NetFlow" (it first zeroes a 66 MB
# cache), and on SIGINT the core gives it a fixed 2 s before stopping it.
# So neither "the socket is drained" nor that log line says the plugin has
# the records: under load the whole export can be queued before the plugin
# runs and never be read (nfacctd then writes nothing). The test sends an
# end marker after the export instead, a v5 flow of protocol 253 (RFC 3692,
# testing), again until the plugin has written it out (print_refresh_time 1,
# appending): the plugin reads in order, so everything before the marker is
# then counted too. The marker rows are left out of the sums.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/flows.sh"
need_cmd nfacctd
need_cmd python3
MARK=253

"$TOOLS/flowgen" -s 7 -n 30000 -o "$T/gen.pcap" -g "$T/truth.txt" 2>"$T/flowgen.log" ||
    bail "flowgen failed: $(cat "$T/flowgen.log")"

# want FAMILY: "name packets bytes" per protocol, sorted (FAMILY 4, or any).
want() {
    awk -v fam="$1" '!/^#/ && NF >= 9 && (fam == "any" || $1 == fam) { p[$6] += $8; b[$6] += $9 }
        END { n[1] = "icmp"; n[6] = "tcp"; n[17] = "udp"; n[58] = "ipv6-icmp"
              for (k in p) print (k in n ? n[k] : k), p[k], b[k] }' "$T/truth.txt" | sort
}

# got CSV: the same from nfacctd's output, summed over its purges, without the marker.
got() {
    awk -F, -v mark=$MARK 'NR > 1 && $1 != mark && $1 != "PROTOCOL" { p[$1] += $2; b[$1] += $3 }
        END { for (k in p) print k, p[k], b[k] }' "$1" 2>/dev/null | sort
}

# send_marker PORT: one NetFlow v5 datagram holding one flow of protocol $MARK.
send_marker() {
    python3 -c '
import socket, struct, sys
hdr = struct.pack("!HHIIIIBBH", 5, 1, 3600000, 1700000000, 0, 0, 0, 0, 0)
rec = struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", socket.inet_aton("192.0.2.1"),
                  socket.inet_aton("192.0.2.2"), bytes(4), 0, 0, 1, 64, 3599000, 3599500,
                  0, 0, 0, 0, int(sys.argv[2]), 0, 0, 0, 0, 0, 0)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(hdr + rec, ("127.0.0.1", int(sys.argv[1])))
' "$1" "$MARK"
}

# marked CSV: the plugin has written the marker out.
marked() { awk -F, -v mark=$MARK '$1 == mark { f = 1 } END { exit !f }' "$1" 2>/dev/null; }

for v in 5 9 10; do
    port=$(free_port udp)
    csv=$T/nfacctd$v.csv
    printf '%s\n' "nfacctd_port: $port" "nfacctd_ip: 127.0.0.1" "plugins: print" \
        "print_output: csv" "print_output_file: $csv" "print_output_file_append: true" \
        "print_refresh_time: 1" "aggregate: proto" "nfacctd_pipe_size: 8388608" >"$T/nfacctd$v.conf"
    start_bg "$T/nfacctd$v.log" nfacctd -f "$T/nfacctd$v.conf"
    pid=$BG_PID
    wait_for 10 grep -q "waiting for NetFlow" "$T/nfacctd$v.log" || { diag_file "$T/nfacctd$v.log"; bail "nfacctd did not start"; }
    # Paced (2000 datagrams/s), so that the final burst never overruns nfacctd's socket.
    "$BIN/flowprobe" -r "$T/gen.pcap" -e "127.0.0.1:$port" -V "$v" -R 2000 -t active=86400 -t inactive=86400 \
        -t tcp=86400 -t tcp-end=86400 -t udp=86400 -t icmp=86400 -d >"$T/probe$v.log" 2>&1
    ok $? "v$v: flowprobe exits 0" || diag_file "$T/probe$v.log"
    # The marker, every 200 ms for at most 30 s, until the plugin has written it.
    for i in $(seq 1 150); do
        send_marker "$port"
        marked "$csv" && break
        sleep 0.2
    done
    marked "$csv"
    ok $? "v$v: nfacctd's print plugin wrote the end marker out ($i sent)"
    drops=$(ss -H -uanm "sport = :$port" | sed -n 's/.*,d\([0-9]*\)).*/\1/p')
    kill -INT "$pid"
    wait_for 30 sh -c "! kill -0 $pid 2>/dev/null"
    fam=any
    [ "$v" = 5 ] && fam=4
    is "$(got "$csv" | tr '\n' ';')" "$(want $fam | tr '\n' ';')" \
        "v$v: nfacctd's packets and bytes per protocol equal the ground truth" ||
        { diag "datagrams dropped by nfacctd's socket: ${drops:-unknown}"; diag_file "$T/nfacctd$v.log"; diag_file "$T/probe$v.log"; }
done
done_testing
