#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Probe benchmark: packets per second reading one generated capture of
# BENCH_PACKETS packets (default 5 million, about a million flows), for
#   - a bare libpcap read of the file (the limit no probe can pass),
#   - flowprobe exporting IPFIX to nfcapd on loopback (two threads, the
#     default here; then one thread, -T 1; then metering only, no collector;
#     then in 9000-byte datagrams, export-mtu 9000),
#   - softflowd exporting IPFIX to nfcapd on loopback,
# with the ratios, peak memory, and bytes per concurrent flow of flowprobe.
# Each program runs after a warm-up read, so all find the file in the page cache.
set -u
. "$FSN_ROOT/tests/lib/common.sh"
. "$FSN_ROOT/tests/lib/flows.sh"
N=${BENCH_PACKETS:-5000000}
F=$BENCH_DIR/probe.pcap

if [ ! -s "$F" ]; then
    echo "generating $N packets ..."
    "$TOOLS/flowgen" -s 1 -n "$N" -f 200000 -o "$F" -g "$BENCH_DIR/probe.truth" --summary || exit 1
fi
cat "$F" >/dev/null
rm -rf "$BENCH_DIR/nf-probe" "$BENCH_DIR/nf-probe1" "$BENCH_DIR/nf-probe9000" "$BENCH_DIR/nf-soft"

# run NAME CMD...: runs CMD under GNU time; sets SECS and RSS_KB.
run() {
    local name=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$BENCH_DIR/$name.rss" "$@" >"$BENCH_DIR/$name.out" 2>&1
    t1=$(date +%s.%N)
    SECS=$(echo "$t1 - $t0" | bc -l)
    RSS_KB=$(tail -1 "$BENCH_DIR/$name.rss")
}

run bare "$TOOLS/pcapread" "$F"
bare_secs=$SECS

port=$(free_port udp)
start_nfcapd "$BENCH_DIR/nf-probe" "$port" || exit 1
run flowprobe "$BIN/flowprobe" -r "$F" -e "127.0.0.1:$port" -V 10 -m 2000000 -R 0 -d
probe_secs=$SECS probe_rss=$RSS_KB
stop_nfcapd "$port"
probe_recs=$(nfdump -R "$BENCH_DIR/nf-probe" -I 2>/dev/null | awk -F': ' '/^Flows:/ {print $2}')
peak=$(sed -n 's/.*(peak \([0-9]*\),.*/\1/p' "$BENCH_DIR/flowprobe.out" | tail -1)

# The same in one thread (-T 1), and metering only (no collector: no datagrams
# sent, no nfcapd sharing the CPUs), for comparison.
port=$(free_port udp)
start_nfcapd "$BENCH_DIR/nf-probe1" "$port" || exit 1
run flowprobe-1t "$BIN/flowprobe" -r "$F" -e "127.0.0.1:$port" -V 10 -m 2000000 -R 0 -d -T 1
probe1_secs=$SECS
stop_nfcapd "$port"
probe1_recs=$(nfdump -R "$BENCH_DIR/nf-probe1" -I 2>/dev/null | awk -F': ' '/^Flows:/ {print $2}')
run flowprobe-meter "$BIN/flowprobe" -r "$F" -m 2000000 -d
meter_secs=$SECS

# The export in 9000-byte datagrams (export-mtu 9000), which nfcapd on this
# host takes: the default, 1400, suits every collector and path.
printf 'export-mtu 9000\n' >"$BENCH_DIR/mtu9000.conf"
port=$(free_port udp)
start_nfcapd "$BENCH_DIR/nf-probe9000" "$port" || exit 1
run flowprobe-9000 "$BIN/flowprobe" -c "$BENCH_DIR/mtu9000.conf" -r "$F" -e "127.0.0.1:$port" \
    -V 10 -m 2000000 -R 0 -d
probe9000_secs=$SECS
stop_nfcapd "$port"
probe9000_recs=$(nfdump -R "$BENCH_DIR/nf-probe9000" -I 2>/dev/null | awk -F': ' '/^Flows:/ {print $2}')

port=$(free_port udp)
start_nfcapd "$BENCH_DIR/nf-soft" "$port" || exit 1
run softflowd softflowd -r "$F" -n "127.0.0.1:$port" -v 10 -d -c none -m 2000000 \
    -p "$BENCH_DIR/softflowd.pid"
soft_secs=$SECS soft_rss=$RSS_KB
stop_nfcapd "$port"
soft_recs=$(nfdump -R "$BENCH_DIR/nf-soft" -I 2>/dev/null | awk -F': ' '/^Flows:/ {print $2}')

pps() { echo "$N / $1" | bc -l; }
printf '%-12s %10s %14s %10s %12s\n' program seconds packets/s "peak MB" records
printf '%-12s %10.2f %14.0f %10.1f %12s\n' "libpcap read" "$bare_secs" "$(pps "$bare_secs")" 0 -
printf '%-12s %10.2f %14.0f %10.1f %12s\n' flowprobe "$probe_secs" "$(pps "$probe_secs")" \
    "$(echo "$probe_rss / 1024" | bc -l)" "$probe_recs"
printf '%-12s %10.2f %14.0f %10.1f %12s\n' softflowd "$soft_secs" "$(pps "$soft_secs")" \
    "$(echo "$soft_rss / 1024" | bc -l)" "$soft_recs"
printf 'flowprobe / softflowd speed: %.2fx (goal >= 3)\n' "$(echo "$soft_secs / $probe_secs" | bc -l)"
printf 'flowprobe / bare libpcap read: %.2f (goal >= 0.5)\n' "$(echo "$bare_secs / $probe_secs" | bc -l)"
printf 'flowprobe -T 1 (one thread), exporting: %.2f s, %.0f packets/s, %.2f of the bare read, %s records\n' \
    "$probe1_secs" "$(pps "$probe1_secs")" "$(echo "$bare_secs / $probe1_secs" | bc -l)" "$probe1_recs"
printf 'flowprobe, export-mtu 9000 (six times fewer datagrams): %.2f s, %.0f packets/s, %.2f of the bare read, %s records\n' \
    "$probe9000_secs" "$(pps "$probe9000_secs")" "$(echo "$bare_secs / $probe9000_secs" | bc -l)" "$probe9000_recs"
printf 'flowprobe metering only (no collector): %.2f s, %.0f packets/s, %.2f of the bare read\n' \
    "$meter_secs" "$(pps "$meter_secs")" "$(echo "$bare_secs / $meter_secs" | bc -l)"
kib=$(sed -n 's/.*(peak [0-9]*, \([0-9]*\) KiB).*/\1/p' "$BENCH_DIR/flowprobe.out" | tail -1)
[ -n "$peak" ] && [ "$peak" -gt 0 ] &&
    printf 'flowprobe peak flows %s: flow table %.0f bytes per concurrent flow (goal <= 200)\n' \
        "$peak" "$(echo "$kib * 1024 / $peak" | bc -l)"

# The same capture with timeouts longer than it lasts: every flow stays in the
# table to the end, so the table holds all of them at once.
run flowprobe-big "$BIN/flowprobe" -r "$F" -d -m 2000000 -t active=86400 -t inactive=86400 \
    -t tcp=86400 -t tcp-end=86400 -t udp=86400 -t icmp=86400
peak=$(sed -n 's/.*(peak \([0-9]*\),.*/\1/p' "$BENCH_DIR/flowprobe-big.out" | tail -1)
kib=$(sed -n 's/.*(peak [0-9]*, \([0-9]*\) KiB).*/\1/p' "$BENCH_DIR/flowprobe-big.out" | tail -1)
printf 'flowprobe, all %s flows in the table at once (no export): %.0f packets/s, table %.0f bytes per flow, peak RSS %.0f MB\n' \
    "$peak" "$(pps "$SECS")" "$(echo "$kib * 1024 / $peak" | bc -l)" "$(echo "$RSS_KB / 1024" | bc -l)"
