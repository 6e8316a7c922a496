#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `allow`: datagrams of sources outside the allowed prefixes are counted per
# source and dropped, nothing of them is stored (replay, and live over IPv4
# and IPv6 sockets); SIGHUP applies a new allow list to known exporters too
# and keeps the running configuration when the file does not parse; SIGUSR1
# logs every counter.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
need_cmd python3
craft() { python3 "$FSN_ROOT/tests/lib/nfcraft.py" "$@"; }
sums() { awk -v f="$1" -v n="$2" 'BEGIN { for (i = f; i < f + n; i++) p += i + 1; printf "%d %d %d\n", n, p, 100 * p }'; }

# ---- replay: two exporters, one allowed ----
craft ipfix stream msgs=5 n=2 | hex_pcap "$T/a.pcap" 192.0.2.40
craft ipfix stream msgs=3 n=4 first=100 dom=8 | hex_pcap "$T/b.pcap" 198.51.100.7
mergecap -a -F pcap -w "$T/ab.pcap" "$T/a.pcap" "$T/b.pcap" 2>/dev/null ||
    python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read()[24:]; open(sys.argv[3],"wb").write(a+b)' \
        "$T/a.pcap" "$T/b.pcap" "$T/ab.pcap"
coll_conf "$T/r.conf" "$T/r" "allow 192.0.2.0/24 2001:db8::/32"
coll_replay "$T/r.conf" "$T/ab.pcap" "$T/r.log"
ok $? "replay exits 0"
is "$(coll_total "$T/r")" "$(sums 0 10)" "only the allowed exporter's 10 records are stored"
grep -q "final: dropped from 198.51.100.7: not-allowed 3 not-netflow 0 table-full 0" "$T/r.log"
ok $? "the other source's 3 datagrams are counted against it" || diag_file "$T/r.log"
is "$(coll_summary "$T/r.log" not-allowed)" 3 "not-allowed in the summary"
is "$(coll_summary "$T/r.log" exporters)" "1/1024" "no session for the refused source"

# Without allow, both are accepted.
coll_conf "$T/all.conf" "$T/all"
coll_replay "$T/all.conf" "$T/ab.pcap" "$T/all.log"
is "$(coll_total "$T/all" | cut -d' ' -f1)" 22 "without allow: both exporters' 22 records"

# max-exporters: the second session does not fit; its datagrams are counted as table-full.
coll_conf "$T/full.conf" "$T/full" "max-exporters 1"
coll_replay "$T/full.conf" "$T/ab.pcap" "$T/full.log"
is "$(coll_total "$T/full")" "$(sums 0 10)" "max-exporters 1: the first exporter's records only"
is "$(coll_summary "$T/full.log" table-full)" 3 "max-exporters 1: the second one's 3 datagrams counted as table-full"

# A full table makes room for a new exporter when an old one has been silent for exporter-timeout.
{ craft ipfix stream msgs=2 n=2 t=1700000000 | sed 's/^/1700000000 /'
  craft ipfix stream msgs=2 n=3 first=50 dom=9 t=1700000010 | sed 's/^/1700000010 /'; } >"$T/ev.lines"
{ sed -n 1,2p "$T/ev.lines"; } | hex_pcap "$T/ev1.pcap" 192.0.2.40 timed
{ sed -n 3,4p "$T/ev.lines"; } | hex_pcap "$T/ev2.pcap" 192.0.2.41 timed
mergecap -a -F pcap -w "$T/ev.pcap" "$T/ev1.pcap" "$T/ev2.pcap" 2>/dev/null
coll_conf "$T/ev.conf" "$T/ev" "max-exporters 1" "exporter-timeout 5"
coll_replay "$T/ev.conf" "$T/ev.pcap" "$T/ev.log"
is "$(coll_total "$T/ev" | cut -d' ' -f1)" 10 "exporter-timeout 5: the second exporter, 10 s later, takes the idle one's place"
is "$(coll_summary "$T/ev.log" evicted)" 1 "... one session given up"
is "$(coll_summary "$T/ev.log" table-full)" 0 "... nothing refused"
coll_conf "$T/ev2.conf" "$T/ev2" "max-exporters 1" "exporter-timeout 60"
coll_replay "$T/ev2.conf" "$T/ev.pcap" "$T/ev2.log"
is "$(coll_total "$T/ev2" | cut -d' ' -f1)" 4 "exporter-timeout 60: the first one was not silent long enough"
is "$(coll_summary "$T/ev2.log" table-full)" 2 "... the second one's 2 datagrams refused"

# ---- live, IPv4 and IPv6 sockets ----
port=$(free_port udp)
v6=1
python3 -c 'import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null || v6=0
listen6=()
[ $v6 = 1 ] && listen6=("listen [::1]:$port")
coll_conf "$T/live.conf" "$T/live" "listen 127.0.0.1:$port" "${listen6[@]}" "allow 127.0.0.1" "rotate 3600"
coll_start "$T/live.log" "$T/live.conf" || bail "flowcollectd did not start"
send6() {   # send6 PORT < HEXLINES: from ::1
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for line in sys.stdin:
    if line.strip():
        s.sendto(bytes.fromhex(line.strip()), ("::1", int(sys.argv[1])))
' "$1"
}
craft ipfix stream msgs=4 n=1 dom=1 | udp_send "$port"
if [ $v6 = 1 ]; then
    craft ipfix stream msgs=2 n=1 dom=2 | send6 "$port"
fi
wait_for 10 udp_drained "$port"
kill -USR1 "$COLL_PID"
wait_for 10 grep -q "stats: socket" "$T/live.log"
ok $? "SIGUSR1 logs the counters"
grep -q "stats: exporter 127.0.0.1 v10 domain 1: datagrams 4 records 4 lost 0" "$T/live.log"
ok $? "SIGUSR1: the allowed IPv4 exporter's line" || diag_file "$T/live.log"
if [ $v6 = 1 ]; then
    grep -q "stats: dropped from ::1: not-allowed 2" "$T/live.log"
    ok $? "IPv6 socket: the datagrams of ::1 (not allowed) are counted against it"
else
    skip "no IPv6 loopback" "IPv6 socket"
fi

# SIGHUP with a file that does not parse: logged, the running settings stay.
cp "$T/live.conf" "$T/live.good"
echo "allow 10.0.0.1/8" >>"$T/live.conf"
kill -HUP "$COLL_PID"
wait_for 10 grep -q "keeping the running configuration" "$T/live.log"
ok $? "SIGHUP with a bad file: refused, logged"
craft ipfix stream msgs=2 n=1 dom=1 first=4 seq=4 | udp_send "$port"
wait_for 10 udp_drained "$port"

# SIGHUP with a good file that no longer allows 127.0.0.1: the known exporter is dropped too.
sed 's/^allow .*/allow 192.0.2.0\/24 ::1/' "$T/live.good" >"$T/live.conf"
echo "rotate 60" >>"$T/live.conf"
sed -i '/^rotate 3600$/d' "$T/live.conf"
kill -HUP "$COLL_PID"
wait_for 10 grep -q "configuration .* reloaded" "$T/live.log"
ok $? "SIGHUP with a good file: reloaded"
grep -q "changes to rotate take effect only at a restart" "$T/live.log"
ok $? "SIGHUP: what needs a restart is named"
craft ipfix stream msgs=3 n=1 dom=1 first=6 seq=6 | udp_send "$port"
[ $v6 = 1 ] && craft ipfix stream msgs=2 n=1 dom=2 first=2 seq=2 | send6 "$port"
wait_for 10 udp_drained "$port"
coll_stop
ok $? "stopped"
# Stored: 4 + 2 from 127.0.0.1 before the reload, 2 from ::1 after it.
want=6; [ $v6 = 1 ] && want=8
is "$(coll_total "$T/live" | cut -d' ' -f1)" "$want" "records stored: allowed before the reload, and after it"
is "$(coll_final "$T/live.log" "127.0.0.1 v10 domain 1" dropped)" 3 "the disallowed exporter's later datagrams are dropped and counted"
done_testing
