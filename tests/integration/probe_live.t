#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Live capture: two network namespaces joined by a veth pair; flowprobe
# captures on one end (as user nobody, after opening the capture) and
# exports to nfcapd on that namespace's loopback. The test sends known UDP
# datagrams over IPv4 and IPv6 and expects exactly those flows back, with
# the capture interface's index as input interface.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/flows.sh"
need_cmd ip; need_cmd nfcapd; need_cmd nfdump

if [ "$(id -u)" != 0 ] || ! ip netns add "fsnp$$a" 2>/dev/null; then
    skip "needs root and network namespaces" "live capture between namespaces"
    done_testing
fi
A=fsnp$$a B=fsnp$$b
_ns_cleanup() { ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; }
trap '_cleanup; _ns_cleanup' EXIT
ip netns add "$B"
ip link add "va$$" type veth peer name "vb$$"
ip link set "va$$" netns "$A"
ip link set "vb$$" netns "$B"
ip -n "$A" addr add 10.250.0.1/30 dev "va$$"
ip -n "$B" addr add 10.250.0.2/30 dev "vb$$"
ip -n "$A" addr add fd00:250::1/64 dev "va$$" nodad
ip -n "$B" addr add fd00:250::2/64 dev "vb$$" nodad
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set "va$$" up
ip -n "$B" link set "vb$$" up
ifindex=$(ip netns exec "$B" cat "/sys/class/net/vb$$/ifindex")

port=$(free_port udp)
mkdir -p "$T/nf"
ip netns exec "$B" nfcapd -w "$T/nf" -p "$port" -b 127.0.0.1 -t 3600 -I live >"$T/nfcapd.log" 2>&1 &
NFCAPD_PID=$!
_bg_pids+=("$NFCAPD_PID")
wait_for 10 ip netns exec "$B" ss -H -lun "sport = :$port" || bail "nfcapd did not start"

ip netns exec "$B" "$BIN/flowprobe" -i "vb$$" -f 'udp and port 5000' -e "127.0.0.1:$port" \
    -V 10 -d -u nobody >"$T/probe.log" 2>&1 &
probe=$!
_bg_pids+=("$probe")
wait_for 10 grep -q "version .* on interface" "$T/probe.log" || { diag_file "$T/probe.log"; bail "probe did not start"; }
uid=$(awk '/^Uid:/ {print $2}' "/proc/$probe/status")
is "$uid" "$(id -u nobody)" "the probe runs as nobody once the capture is open"

# A receiver on port 5000, so that B answers with no ICMP port unreachable
# (which would also make the sender's later writes fail).
ip netns exec "$B" python3 -c '
import socket, time
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4.bind(("10.250.0.2", 5000))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s6.bind(("fd00:250::2", 5000))
time.sleep(60)' &
_bg_pids+=($!)
wait_for 10 ip netns exec "$B" bash -c "ss -H -lun 'sport = :5000' | grep -q fd00" || bail "receiver did not start"

# 7 IPv4 datagrams of 100 bytes and 3 IPv6 datagrams of 1000 bytes, each from one socket.
ip netns exec "$A" bash -c '
    exec 3>/dev/udp/10.250.0.2/5000
    for i in 1 2 3 4 5 6 7; do printf "%0100d" 0 >&3; done
    exec 4>/dev/udp/fd00:250::2/5000
    for i in 1 2 3; do printf "%01000d" 0 >&4; done' 2>/dev/null
# The probe has seen them once its counters say so (SIGUSR1), then it stops and exports.
saw_all() { kill -USR1 "$probe"; grep -q "(IP 10," "$T/probe.log"; }
wait_for 10 saw_all
ok $? "the probe counted the 10 datagrams" || diag_file "$T/probe.log"
stop_pid "$probe"
wait_for 20 ip netns exec "$B" bash -c "[ \"\$(ss -H -lun 'sport = :$port' | awk '{print \$2}')\" = 0 ]"
stop_pid "$NFCAPD_PID"

nfdump -R "$T/nf" -q -N -6 -o 'fmt:%sa %da %dp %pr %pkt %byt %in' 2>/dev/null |
    awk '{$1 = $1; print}' | sort >"$T/got"
printf '%s\n' "10.250.0.1 10.250.0.2 5000 17 7 896 $ifindex" \
    "fd00:250::1 fd00:250::2 5000 17 3 3144 $ifindex" | sort >"$T/want"
keyed_diff "$T/got" "$T/want"
ok $? "exactly the flows sent: 7 x (20+8+100) bytes over IPv4, 3 x (40+8+1000) over IPv6, input interface $ifindex"
grep -q "kernel drops 0" "$T/probe.log"
ok $? "the final report gives the kernel's drop count" || diag_file "$T/probe.log"
done_testing
