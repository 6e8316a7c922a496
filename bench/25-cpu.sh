#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# CPU per record (issue 14): what each receiver costs the collector's host,
# at fixed rates that every one of them takes without loss. One sender
# (build/tools/nfsend: 10,000 local hosts in 10/8, server ports 1000-1199,
# flow durations as a probe with a 60 s active timeout exports them) sends
# NetFlow v5 and IPFIX over loopback, at BENCH_CPU_RATES records/s
# (default 200000 and 1000000), to
#   - the bare recvmmsg receiver (build/tools/recvbare): the floor,
#   - nfcapd, and pmacct's nfacctd (print plugin; compared by packets),
#   - flowcollectd with flow files only,
#   - flowcollectd as the sample configuration runs it: flow files,
#     local-network 10.0.0.0/8, 100 services (tcp+udp/1000-1099, so half the
#     flows match one), RRD files through a private rrdcached, state file.
# Each run: the receiver starts, a warm-up second (every host row made), then
# BENCH_CPU_SECONDS (default 5) measured; CPU = time on a CPU of every thread
# of the receiver and of its child processes (/proc/PID/task/*/schedstat:
# utime + stime in ns, not in 10 ms clock ticks) from just before the
# measured send until the receiver has worked off what it got, divided by
# the records sent in it. A run that lost anything (warm-up included) is
# marked LOSSY, and its figure is not hidden. flowcollectd's measured
# interval holds no step close (a run that would cross a multiple of the
# step starts after it; a run where one happened anyway is marked): a step
# close every 300 s is bench/40-agg.sh's figure. About 2.5 minutes.
set -u
. "$FSN_ROOT/tests/lib/common.sh"
. "$FSN_ROOT/tests/lib/flows.sh"
. "$FSN_ROOT/bench/peers.sh"
SECS=${BENCH_CPU_SECONDS:-5}
WARM=1
RATES=${BENCH_CPU_RATES:-"200000 1000000"}
STEP=300
BUF=67108864
HOSTS=10000
SHAPE="-H $HOSTS -P 200 -A 60"
W=$BENCH_DIR/cpu
mkdir -p "$W"

raise_rmem $BUF

# The rrdcached of the full configuration, shared by its runs (a directory each).
mkdir -p "$W/rrd" "$W/journal"
rrdcached -g -l "unix:$W/rrdcached.sock" -b "$W/rrd" -B -F -j "$W/journal" -w 3600 -f 7200 \
    -p "$W/rrdcached.pid" >"$W/rrdcached.log" 2>&1 &
_bg_pids+=("$!")
RRDCACHED_PID=$!
wait_for 10 test -S "$W/rrdcached.sock" || { echo "rrdcached did not start"; exit 1; }

# tree_pids PID: PID and its descendants.
tree_pids() {
    local p
    echo "$1"
    for p in $(pgrep -P "$1"); do tree_pids "$p"; done
}

# cpu_ns PID: CPU time of every thread of PID and its descendants, in ns.
cpu_ns() {
    local p files=()
    for p in $(tree_pids "$1"); do files+=(/proc/"$p"/task/*/schedstat); done
    cat "${files[@]}" 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# settle PID: waits (at most 3 s) until PID's tree uses less than 2 % of a CPU.
settle() {
    local a b i
    a=$(cpu_ns "$1")
    for i in $(seq 1 60); do
        sleep 0.05
        b=$(cpu_ns "$1")
        [ $((b - a)) -lt 1000000 ] && return 0
        a=$b
    done
    return 1
}

# send FMT RATE PORT SECONDS FIRST_SEQ: sets SENT_FLOWS, SENT_DGRAMS, SENT_RATE, SENT_PACKETS.
send() {
    local out
    # shellcheck disable=SC2086
    out=$("$TOOLS/nfsend" -f "$1" -s "127.0.0.1:$3" -r "$2" -t "$4" -Q "$5" $SHAPE)
    SENT_FLOWS=$(echo "$out" | awk '{ print $3 }')
    SENT_DGRAMS=$(echo "$out" | awk '{ print $5 }')
    SENT_RATE=$(echo "$out" | awk '{ print $9 }')
    SENT_PACKETS=$(echo "$out" | awk '{ print $13 }')
}

# fc_conf FILE PORT FULL: flowcollectd's configuration; with FULL the sample one.
fc_conf() {
    local s
    {
        echo "spool $W/spool"
        echo "listen 127.0.0.1:$2"
        echo "socket-buffer $BUF"
        echo "rotate 3600"
        if [ "$3" = 1 ]; then
            echo "rrd-dir $W/rrd/run"
            echo "rrdcached unix:$W/rrdcached.sock"
            echo "state-file $W/state"
            echo "local-network 10.0.0.0/8 bench"
            for s in $(seq 0 99); do echo "service svc$s tcp/$((1000 + s)) udp/$((1000 + s))"; done
        fi
    } >"$1"
}

# A flowcollectd run must not see a step close: start past the next multiple
# of the step when the run would reach it.
avoid_step_close() {
    local now left need=$((WARM + SECS + 15))
    now=$(date +%s)
    left=$((STEP - now % STEP))
    if [ "$left" -lt "$need" ]; then
        echo "    (waiting $((left + 1)) s: the run would cross a step boundary)"
        sleep $((left + 1))
    fi
}

# run RECEIVER FMT RATE: one measurement; sets NS (CPU ns per record) and VERDICT.
run() {
    local rx=$1 fmt=$2 rate=$3 port pid got want c0 c1 seq0 total_flows total_packets total_dgrams steps= started
    port=$(free_port udp)
    case $rx in
    fc-files|fc-full)
        avoid_step_close
        rm -rf "$W/spool" "$W/state" "$W/rrd/run"; mkdir -p "$W/spool" "$W/rrd/run"
        fc_conf "$W/fc.conf" "$port" "$([ "$rx" = fc-full ] && echo 1 || echo 0)"
        fc_start "$W/fc.conf" ;;
    *) peer_start "$rx" "$port" ;;
    esac
    started=$?
    pid=$PEER_PID
    send "$fmt" "$rate" "$port" "$WARM" 0
    seq0=$SENT_FLOWS total_flows=$SENT_FLOWS total_packets=$SENT_PACKETS total_dgrams=$SENT_DGRAMS
    wait_for 20 udp_drained "$port"
    settle "$pid"
    c0=$(cpu_ns "$pid")
    send "$fmt" "$rate" "$port" "$SECS" "$seq0"
    wait_for 20 udp_drained "$port"
    settle "$pid"
    c1=$(cpu_ns "$pid")
    total_flows=$((total_flows + SENT_FLOWS)) total_packets=$((total_packets + SENT_PACKETS))
    total_dgrams=$((total_dgrams + SENT_DGRAMS))
    if [ "$rx" = fc-full ]; then
        # The steps closed so far (as of the aggregator's last tick): 0 expected.
        kill -USR1 "$pid"
        wait_for 5 grep -q "stats: aggregator" "$W/fc.log"
        steps=$(sed -n 's/.*stats: aggregator: .* steps \([0-9]*\) .*/\1/p' "$W/fc.log" | tail -1)
        # The final flush writes (and first creates) ~10,400 RRD files: give it time.
        kill "$pid"
        wait_for 60 sh -c "! kill -0 $pid 2>/dev/null"
    fi
    peer_stop "$rx" "$pid"
    want=$total_flows
    got=$(peer_got "$rx")
    [ "$rx" = bare ] && want=$total_dgrams
    [ "$rx" = nfacctd ] && want=$total_packets
    got=${got:-0}
    NS=$(echo "($c1 - $c0) / $SENT_FLOWS" | bc -l)
    if [ "$started" != 0 ]; then
        VERDICT="DID NOT START (see $W)"
    elif [ "$(echo "$SENT_RATE < $rate * 0.98" | bc -l)" = 1 ]; then
        VERDICT=$(printf 'SENDER SLOW (%.0f/s)' "$SENT_RATE")
    elif [ "$got" != "$want" ]; then
        VERDICT="LOSSY: lost $((want - got)) of $want"
    else
        VERDICT=lossless
    fi
    [ -n "$steps" ] && [ "$steps" != 0 ] && VERDICT="$VERDICT, STEP CLOSED"
}

receivers="bare nfcapd"
command -v nfacctd >/dev/null 2>&1 && receivers="$receivers nfacctd"
receivers="$receivers fc-files fc-full"
nrx=$(echo $receivers | wc -w) nrates=$(echo $RATES | wc -w)
declare -A R V
n=0 total=$((2 * nrates * nrx))
for fmt in 5 10; do
    for rate in $RATES; do
        for rx in $receivers; do
            n=$((n + 1))
            run "$rx" "$fmt" "$rate"
            R[$fmt,$rate,$rx]=$NS V[$fmt,$rate,$rx]=$VERDICT
            printf '  [%2d/%d] v%-2s %-8s %8s records/s: %6.0f ns CPU per record (%s)\n' \
                "$n" "$total" "$fmt" "$rx" "$rate" "$NS" "$VERDICT"
        done
    done
done

name() {
    case $1 in
    bare) echo "bare recvmmsg receiver" ;; fc-files) echo "flowcollectd, flow files only" ;;
    fc-full) echo "flowcollectd, sample config" ;; *) echo "$1" ;;
    esac
}
echo
echo "CPU per record (ns; x = ratio to nfcapd at the same rate and format)"
printf '%-32s' ""
for fmt in 5 10; do for rate in $RATES; do
    printf ' %16s' "$([ $fmt = 5 ] && echo v5 || echo IPFIX) $((rate / 1000))k/s"
done; done
echo
for rx in $receivers; do
    printf '%-32s' "$(name "$rx")"
    for fmt in 5 10; do for rate in $RATES; do
        ns=${R[$fmt,$rate,$rx]} ref=${R[$fmt,$rate,nfcapd]} mark=
        [ "${V[$fmt,$rate,$rx]}" = lossless ] || mark='!'
        # A receiver that got nothing (it did not start) has no ratio.
        if [ "$(echo "$ref > 0" | bc -l)" = 1 ]; then
            printf ' %6.0f %5.2fx%-3s' "$ns" "$(echo "$ns / $ref" | bc -l)" "$mark"
        else
            printf ' %6.0f %6s%-3s' "$ns" "-" "$mark"
        fi
    done; done
    echo
done
echo "(! : the run was not lossless or not clean; see its line above. Goals: flow files only <= 0.85x,"
echo " sample config <= 1.00x nfcapd. $SECS s measured per run after a $WARM s warm-up.)"
