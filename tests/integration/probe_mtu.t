#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Export datagram size (export-mtu). By default the probe sends datagrams of
# up to 1400 bytes, which every collector takes; with export-mtu 9000 (for
# collectors that take them, on this host) up to 9000, and the pacing of a
# file replay follows the size (28 MB/s). A UDP receiver on loopback
# records every datagram it gets: their sizes, and the records in them add
# up to what the probe exported. At start the probe warns about a collector
# whose route has a smaller MTU: that one is an address behind a veth pair
# (MTU 1500) in a network namespace the test creates, where nothing
# answers, so no datagram leaves the namespace. Timeouts longer than the
# capture keep every flow to its end, so the final export fills whole
# datagrams.
. "$(dirname "$0")/../lib/common.sh"
need_cmd python3

"$TOOLS/flowgen" -s 11 -n 40000 -o "$T/gen.pcap" -g "$T/truth.txt" 2>"$T/flowgen.log" ||
    bail "flowgen failed: $(cat "$T/flowgen.log")"

# receiver NETNS-PREFIX PORT OUT [ADDR]: counts datagrams on ADDR:PORT
# (default 127.0.0.1) until 2 s pass without one (at most 120 s); writes
# "datagrams max_bytes records",
# records being the IPFIX data records (each data set's length over the
# record length of its template, as the test's templates are fixed-length).
receiver() {
    local port=$2 out=$3 addr=${4:-127.0.0.1}
    # shellcheck disable=SC2086
    $1 python3 - "$port" "$out" "$addr" <<'PY' &
import socket, struct, sys, time
port, out, addr = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((addr, port))
open(out + ".ready", "w").close()
s.settimeout(2.0)
n = biggest = records = 0
tlen = {}
end = time.time() + 120
while time.time() < end:
    try:
        d = s.recv(65536)
    except socket.timeout:
        if n:
            break
        continue
    n += 1
    biggest = max(biggest, len(d))
    off = 16
    while off + 4 <= len(d):
        sid, slen = struct.unpack_from("!HH", d, off)
        if slen < 4:
            break
        if sid == 2:  # template set: template id, field count, (id, length) ...
            p = off + 4
            while p + 4 <= off + slen:
                tid, cnt = struct.unpack_from("!HH", d, p)
                p += 4
                rl = 0
                for _ in range(cnt):
                    fid, fl = struct.unpack_from("!HH", d, p)
                    p += 4 + (4 if fid & 0x8000 else 0)
                    rl += fl
                tlen[tid] = rl
        elif sid >= 256 and tlen.get(sid):
            records += (slen - 4) // tlen[sid]
        off += slen
with open(out, "w") as f:
    f.write("%d %d %d\n" % (n, biggest, records))
PY
    _bg_pids+=($!)
    wait_for 10 test -f "$out.ready" || bail "receiver did not start"
}

LONG=(-t active=86400 -t inactive=86400 -t tcp=86400 -t tcp-end=86400 -t udp=86400 -t icmp=86400)
# Runs with a receiver are paced at 2000 datagrams/s, so that the receiver
# keeps up even where net.core.rmem_max caps its socket buffer (212992 on a
# fresh Debian, doubled by the kernel);
# the default pacing is read from runs without a collector.
PACE=(-R 2000)
setting() { sed -n 's/.*(datagrams <= \([0-9]*\) bytes, \([a-z ]*\)\([0-9]*\)\/s).*/\1 \3/p' "$1"; }
exported() { sed -n 's/.*final: exported \([0-9]*\) records in \([0-9]*\) datagrams.*/\2 \1/p' "$1"; }

# 1. The default: 1400 bytes, paced at 20000 datagrams/s.
"$BIN/flowprobe" -r "$T/gen.pcap" -d >"$T/p0.log" 2>&1
is "$(setting "$T/p0.log")" "1400 20000" "default: datagrams of up to 1400 bytes, at most 20000/s"
port=$(free_port udp)
receiver "" "$port" "$T/r1"
"$BIN/flowprobe" -r "$T/gen.pcap" -e "127.0.0.1:$port" -V 10 "${LONG[@]}" "${PACE[@]}" -d >"$T/p1.log" 2>&1
ok $? "default: flowprobe exits 0" || diag_file "$T/p1.log"
wait_for 10 test -s "$T/r1"
read -r n1 max1 recs1 <"$T/r1"
is "$n1 $recs1" "$(exported "$T/p1.log")" "every datagram and record the probe counted arrived"
ok "$([ "$max1" -le 1400 ] && [ "$max1" -gt 1000 ]; echo $?)" "the largest datagram has $max1 bytes"
grep -q "fragmented" "$T/p1.log"
ok $((! $?)) "no warning about fragments over loopback"

# 2. export-mtu 9000: larger datagrams, fewer of them, the same records, 3111/s.
printf 'export-mtu 9000\n' >"$T/9000.conf"
"$BIN/flowprobe" -c "$T/9000.conf" -r "$T/gen.pcap" -d >"$T/p5.log" 2>&1
is "$(setting "$T/p5.log")" "9000 3111" "export-mtu 9000: datagrams of up to 9000 bytes, at most 3111/s"
port=$(free_port udp)
receiver "" "$port" "$T/r2"
"$BIN/flowprobe" -c "$T/9000.conf" -r "$T/gen.pcap" -e "127.0.0.1:$port" -V 10 "${LONG[@]}" "${PACE[@]}" -d >"$T/p2.log" 2>&1
ok $? "export-mtu 9000: flowprobe exits 0" || diag_file "$T/p2.log"
wait_for 10 test -s "$T/r2"
read -r n2 max2 recs2 <"$T/r2"
is "$n2 $recs2" "$(exported "$T/p2.log")" "export-mtu 9000: every datagram and record arrived"
ok "$([ "$max2" -gt 1400 ] && [ "$max2" -le 9000 ]; echo $?)" \
    "export-mtu 9000: the largest datagram ($max2 bytes) is above 1400 and at most 9000"
is "$recs2" "$recs1" "the same records in either size"
ok "$([ "$n1" -gt "$n2" ]; echo $?)" "more datagrams at 1400 bytes ($n1) than at 9000 ($n2)"
grep -q "fragmented" "$T/p2.log"
ok $((! $?)) "export-mtu 9000 over loopback (MTU 64 KiB): no warning about fragments"

# The same to ::1.
port=$(free_port udp)
receiver "" "$port" "$T/r6" ::1
"$BIN/flowprobe" -c "$T/9000.conf" -r "$T/gen.pcap" -e "[::1]:$port" -V 10 "${LONG[@]}" "${PACE[@]}" -d >"$T/p6.log" 2>&1
ok $? "export-mtu 9000 to ::1: flowprobe exits 0" || diag_file "$T/p6.log"
wait_for 10 test -s "$T/r6"
read -r n6 max6 recs6 <"$T/r6"
is "$n6 $recs6 $max6" "$n2 $recs2 $max2" "::1 got the same datagrams as 127.0.0.1"

# An explicit rate wins over the default pacing; a bad size names the line.
"$BIN/flowprobe" -c "$T/9000.conf" -r "$T/gen.pcap" -R 777 -d >"$T/p3.log" 2>&1
is "$(setting "$T/p3.log")" "9000 777" "-R 777 sets the pace"
printf '\nexport-mtu 9001\n' >"$T/bad.conf"
"$BIN/flowprobe" -c "$T/bad.conf" -r "$T/gen.pcap" -n >"$T/bad.log" 2>&1
is "$?" 1 "export-mtu 9001 is refused (exit status 1: bad configuration)"
grep -q "bad.conf:2: export-mtu:" "$T/bad.log"
ok $? "... naming the file and line" || diag_file "$T/bad.log"

# 3. A collector behind a 1500-byte link: export-mtu 9000 would be fragmented
#    on the way there, and the probe says so at start, naming it.
if [ "$(id -u)" != 0 ] || ! ip netns add "fsnm$$" 2>/dev/null; then
    skip "needs root and network namespaces" "the warning for a collector behind a smaller MTU"
    done_testing
fi
NS=fsnm$$
trap '_cleanup; ip netns del "$NS" 2>/dev/null' EXIT
ip -n "$NS" link set lo up
ip -n "$NS" link add v0 mtu 1500 type veth peer name v1 mtu 1500
ip -n "$NS" link set v0 up
ip -n "$NS" addr add 10.251.0.1/24 dev v0
port=$(free_port udp)
receiver "ip netns exec $NS" "$port" "$T/r4"
ip netns exec "$NS" "$BIN/flowprobe" -c "$T/9000.conf" -r "$T/gen.pcap" -e "127.0.0.1:$port" \
    -e "10.251.0.2:$port" -V 10 "${LONG[@]}" "${PACE[@]}" -d >"$T/p4.log" 2>&1
ok $? "export-mtu 9000, one collector behind a 1500-byte link: flowprobe exits 0" || diag_file "$T/p4.log"
is "$(grep -c "fragmented" "$T/p4.log")" 1 "one warning about fragments"
grep -q "export to 10.251.0.2:$port: datagrams of up to 9000 bytes (export-mtu) exceed the route's MTU of 1500" "$T/p4.log"
ok $? "... naming the collector, the size and the route's MTU" || diag_file "$T/p4.log"
wait_for 10 test -s "$T/r4"
read -r n4 max4 recs4 <"$T/r4"
is "$n4 $recs4" "$(exported "$T/p4.log")" "the loopback collector got every datagram and record"
done_testing
