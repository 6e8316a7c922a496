#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Collector benchmark (issue 3, "Speed"): one sender (build/tools/nfsend:
# sendmmsg, paced, correct sequence numbers) sends NetFlow v5 and IPFIX over
# loopback at rising rates to
#   - a bare recvmmsg receiver (build/tools/recvbare): the limit,
#   - flowcollectd with flow files and aggregation on (state file),
#   - flowcollectd with flow files only,
#   - nfcapd, and pmacct's nfacctd (print plugin; compared by packets),
# each for BENCH_SECONDS (default 2) per rate, and prints the highest rate in
# flows/s received without loss, with the ratios to nfcapd and to the bare
# receiver; then the record decode rate on one core from memory
# (build/tools/decbench) and flowcollectd -r's rate over a capture in the
# page cache. net.core.rmem_max is raised to 64 MiB for the run and put back.
# Three to five minutes.
set -u
. "$FSN_ROOT/tests/lib/common.sh"
. "$FSN_ROOT/tests/lib/flows.sh"
. "$FSN_ROOT/bench/peers.sh"
SECS=${BENCH_SECONDS:-2}
RATES=${BENCH_RATES:-"1000000 2000000 3000000 4000000 5000000 6000000 8000000 10000000 12000000 16000000"}
BUF=67108864
W=$BENCH_DIR/collector
mkdir -p "$W"

raise_rmem $BUF

# send FMT RATE PORT: runs the sender; sets SENT_FLOWS, SENT_DGRAMS, SENT_RATE.
send() {
    local out
    out=$("$TOOLS/nfsend" -f "$1" -s "127.0.0.1:$3" -r "$2" -t "$SECS")
    SENT_FLOWS=$(echo "$out" | awk '{ print $3 }')
    SENT_DGRAMS=$(echo "$out" | awk '{ print $5 }')
    SENT_RATE=$(echo "$out" | awk '{ print $9 }')
    SENT_PACKETS=$(echo "$out" | awk '{ print $13 }')
}

# One measurement: sets GOT (flows, or datagrams for bare) received.
measure() {   # measure RECEIVER FMT RATE
    local rx=$1 fmt=$2 rate=$3 port pid got
    port=$(free_port udp)
    case $rx in
    fc|fc-files)
        rm -rf "$W/spool" "$W/state"; mkdir -p "$W/spool"
        { echo "spool $W/spool"; echo "listen 127.0.0.1:$port"; echo "socket-buffer $BUF"
          echo "rotate 3600"; [ "$rx" = fc ] && echo "state-file $W/state"; } >"$W/fc.conf"
        fc_start "$W/fc.conf" ;;
    *) peer_start "$rx" "$port" ;;
    esac
    pid=$PEER_PID
    send "$fmt" "$rate" "$port"
    wait_for 20 udp_drained "$port"
    peer_stop "$rx" "$pid"
    got=$(peer_got "$rx")
    GOT=${got:-0}
}

receivers="bare fc fc-files nfcapd"
command -v nfacctd >/dev/null 2>&1 && receivers="$receivers nfacctd"
declare -A BEST
for fmt in 5 10; do
    for rx in $receivers; do
        best=0
        for rate in $RATES; do
            # Two attempts per rate: the machine may be shared, and one hiccup
            # (of the sender or the receiver) should not end the climb.
            verdict=
            for attempt in 1 2; do
                measure "$rx" "$fmt" "$rate"
                got=$GOT
                want=$SENT_FLOWS unit=flows
                [ "$rx" = bare ] && want=$SENT_DGRAMS unit=datagrams
                # nfacctd's print plugin counts packets, not flows.
                [ "$rx" = nfacctd ] && want=$SENT_PACKETS unit=packets
                if [ "$(echo "$SENT_RATE < $rate * 0.98" | bc -l)" = 1 ]; then
                    # The sender itself must keep the pace (within 2 %).
                    verdict=$(printf 'sender reached only %.0f' "$SENT_RATE")
                elif [ "$got" = "$want" ]; then
                    verdict=lossless
                    break
                else
                    verdict="lost $((want - got)) of $want $unit"
                fi
            done
            printf '  v%-2s %-9s %9s flows/s: %s\n' "$fmt" "$rx" "$rate" "$verdict"
            [ "$verdict" = lossless ] || break
            best=$rate
        done
        BEST[$fmt,$rx]=$best
    done
done

echo
printf '%-28s %14s %14s\n' "highest lossless rate" "v5 flows/s" "IPFIX flows/s"
for rx in $receivers; do
    case $rx in
        bare) name="bare recvmmsg receiver" ;; fc) name="flowcollectd (files + agg)" ;;
        fc-files) name="flowcollectd (files only)" ;; *) name=$rx ;;
    esac
    printf '%-28s %14s %14s\n' "$name" "${BEST[5,$rx]}" "${BEST[10,$rx]}"
done
ratio() { [ "$2" -gt 0 ] && echo "$1 / $2" | bc -l || echo 0; }
for fmt in 5 10; do
    printf 'v%s: flowcollectd / nfcapd %.2f (goal >= 2, or the bare receiver), flowcollectd / bare %.2f\n' "$fmt" \
        "$(ratio "${BEST[$fmt,fc]}" "${BEST[$fmt,nfcapd]}")" "$(ratio "${BEST[$fmt,fc]}" "${BEST[$fmt,bare]}")"
done
echo "(lossless at a step of the ladder: $RATES)"

echo
for f in 5 9 10; do "$TOOLS/decbench" -f "$f" -n 10000000; done
# flowcollectd -r with and without the aggregator, three alternating runs
# each (single runs on a shared 2-core VM vary by tens of percent); the
# medians and their ratio, which is the share of throughput the aggregator
# costs (issue 4: under 20 %).
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
for f in 5 10; do
    "$TOOLS/nfsend" -f "$f" -w "$W/replay$f.pcap" -n 10000000 >/dev/null
    cat "$W/replay$f.pcap" >/dev/null
    declare -A RR=()
    for i in 1 2 3; do
        for mode in files agg; do
            rm -rf "$W/spool" "$W/state"; mkdir -p "$W/spool"
            { echo "spool $W/spool"; echo "rotate 3600"; [ $mode = agg ] && echo "state-file $W/state"; } >"$W/r.conf"
            t0=$(date +%s.%N)
            "$BIN/flowcollectd" -c "$W/r.conf" -r "$W/replay$f.pcap" >"$W/r.log" 2>&1
            t1=$(date +%s.%N)
            RR[$mode]+=" $(echo "10000000 / ($t1 - $t0)" | bc -l)"
        done
    done
    # shellcheck disable=SC2086
    files=$(median3 ${RR[files]}) agg=$(median3 ${RR[agg]})
    printf 'flowcollectd -r, v%s, files: %.0f records/s (median of 3: decode and flow files on the receive thread)\n' "$f" "$files"
    printf 'flowcollectd -r, v%s, agg:   %.0f records/s (median of 3: the same, and the aggregator on its own thread)\n' "$f" "$agg"
    printf 'flowcollectd -r, v%s: with / without aggregation %.2f (aggregation costs %.0f %%; goal under 20 %%)\n' \
        "$f" "$(echo "$agg / $files" | bc -l)" "$(echo "100 * (1 - $agg / $files)" | bc -l)"
    unset RR
    rm -f "$W/replay$f.pcap"
done
