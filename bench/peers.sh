# SPDX-License-Identifier: BSD-2-Clause
# The collector benchmarks' receivers: flowcollectd (with the caller's
# config), the bare recvmmsg receiver, nfcapd and pmacct's nfacctd (print
# plugin, counting packets per protocol). Sourced by bench/20-collector.sh
# and 25-cpu.sh after tests/lib/common.sh; uses $W (work dir) and $BUF
# (socket buffer bytes).

# fc_start CONF: starts flowcollectd with CONF (log: $W/fc.log); sets PEER_PID.
fc_start() {
    "$BIN/flowcollectd" -d -c "$1" >"$W/fc.log" 2>&1 &
    PEER_PID=$!
    _bg_pids+=("$PEER_PID")
    wait_for 10 grep -q "flow files in" "$W/fc.log"
}

# peer_start RECEIVER PORT: starts it on 127.0.0.1:PORT, waits until it
# listens; sets PEER_PID (also stopped at exit).
peer_start() {
    local rx=$1 port=$2
    case $rx in
    bare)
        "$TOOLS/recvbare" -l "127.0.0.1:$port" -B "$BUF" >"$W/bare.out" 2>"$W/bare.err" &
        PEER_PID=$!
        wait_for 10 grep -q ready "$W/bare.err" ;;
    nfcapd)
        rm -rf "$W/nf"; mkdir -p "$W/nf"
        nfcapd -w "$W/nf" -p "$port" -b 127.0.0.1 -B "$BUF" -t 3600 -I bench >"$W/nf.log" 2>&1 &
        PEER_PID=$!
        wait_for 10 udp_listening "$port" ;;
    nfacctd)
        rm -f "$W/nfacctd.csv"
        printf '%s\n' "nfacctd_port: $port" "nfacctd_ip: 127.0.0.1" "plugins: print" \
            "print_output: csv" "print_output_file: $W/nfacctd.csv" "print_refresh_time: 3600" \
            "aggregate: proto" "nfacctd_pipe_size: $BUF" "plugin_pipe_size: $BUF" \
            "plugin_buffer_size: 65536" >"$W/nfacctd.conf"
        nfacctd -f "$W/nfacctd.conf" >"$W/nfacctd.log" 2>&1 &
        PEER_PID=$!
        wait_for 10 grep -q "waiting for NetFlow" "$W/nfacctd.log" ;;
    esac
    _bg_pids+=("$PEER_PID")
}

# peer_stop RECEIVER PID: stops it so that its counts are written out.
peer_stop() {
    if [ "$1" = nfacctd ]; then
        # pmacct writes its cache out on SIGINT (SIGTERM leaves it running).
        kill -INT "$2"
        wait_for 30 sh -c "! kill -0 $2 2>/dev/null || grep -q 'Exiting' '$W/nfacctd.log'"
        wait_for 10 test -s "$W/nfacctd.csv"
    fi
    stop_pid "$2"
}

# peer_got RECEIVER: what a stopped receiver counted: records (flowcollectd:
# fc*), datagrams (bare: IPFIX headers do not say how many records follow),
# flows (nfcapd) or packets (nfacctd's print plugin).
peer_got() {
    case $1 in
    fc*) sed -n 's/.*final: datagrams [0-9]* records \([0-9]*\).*/\1/p' "$W/fc.log" ;;
    bare) awk '{ print $3 }' "$W/bare.out" ;;
    nfcapd) nfdump -R "$W/nf" -I 2>/dev/null | awk -F': ' '/^Flows:/ { print $2 }' ;;
    nfacctd) awk -F, 'NR > 1 { s += $2 } END { print s + 0 }' "$W/nfacctd.csv" 2>/dev/null ;;
    esac
}

# raise_rmem BYTES: raises net.core.rmem_max for the run (the receivers ask
# for BYTES) and puts it back at exit.
raise_rmem() {
    old_rmem=$(sysctl -n net.core.rmem_max)
    trap 'sysctl -qw net.core.rmem_max="$old_rmem" 2>/dev/null; _cleanup' EXIT
    sysctl -qw net.core.rmem_max="$1" 2>/dev/null ||
        echo "(cannot raise net.core.rmem_max: receivers get $old_rmem-byte buffers)"
}
