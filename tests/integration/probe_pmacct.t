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
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/flows.sh"
need_cmd nfacctd

"$TOOLS/flowgen" -s 7 -n 30000 -o "$T/gen.pcap" -g "$T/truth.txt" 2>"$T/flowgen.log" ||
    bail "flowgen failed: $(cat "$T/flowgen.log")"

# want FAMILY: "name packets bytes" per protocol, sorted (FAMILY 4, or any).
want() {
    awk -v fam="$1" '!/^#/ && NF >= 9 && (fam == "any" || $1 == fam) { p[$6] += $8; b[$6] += $9 }
        END { n[1] = "icmp"; n[6] = "tcp"; n[17] = "udp"; n[58] = "ipv6-icmp"
              for (k in p) print (k in n ? n[k] : k), p[k], b[k] }' "$T/truth.txt" | sort
}

for v in 5 9 10; do
    port=$(free_port udp)
    csv=$T/nfacctd$v.csv
    printf '%s\n' "nfacctd_port: $port" "nfacctd_ip: 127.0.0.1" "plugins: print" \
        "print_output: csv" "print_output_file: $csv" "print_refresh_time: 3600" \
        "aggregate: proto" "nfacctd_pipe_size: 8388608" >"$T/nfacctd$v.conf"
    start_bg "$T/nfacctd$v.log" nfacctd -f "$T/nfacctd$v.conf"
    pid=$BG_PID
    wait_for 10 grep -q "waiting for NetFlow" "$T/nfacctd$v.log" || { diag_file "$T/nfacctd$v.log"; bail "nfacctd did not start"; }
    # Paced (2000 datagrams/s), so that the final burst never overruns nfacctd's socket.
    "$BIN/flowprobe" -r "$T/gen.pcap" -e "127.0.0.1:$port" -V "$v" -R 2000 -t active=86400 -t inactive=86400 \
        -t tcp=86400 -t tcp-end=86400 -t udp=86400 -t icmp=86400 -d >"$T/probe$v.log" 2>&1
    ok $? "v$v: flowprobe exits 0" || diag_file "$T/probe$v.log"
    wait_for 20 udp_drained "$port"
    # pmacct writes its cache out on SIGINT.
    kill -INT "$pid"
    wait_for 30 sh -c "! kill -0 $pid 2>/dev/null"
    got=$(awk -F, 'NR > 1 { print $1, $2, $3 }' "$csv" 2>/dev/null | sort)
    fam=any
    [ "$v" = 5 ] && fam=4
    is "$(echo "$got" | tr '\n' ';')" "$(want $fam | tr '\n' ';')" \
        "v$v: nfacctd's packets and bytes per protocol equal the ground truth" ||
        { diag_file "$T/nfacctd$v.log"; diag_file "$T/probe$v.log"; }
done
done_testing
