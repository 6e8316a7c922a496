#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Flow files: one per rotation interval, aligned on multiples of `rotate` by
# receive time, renamed from .tmp when the interval closes; retention by age
# and by size removes the oldest; SIGTERM closes and renames the open file;
# a reader that lists the spool while flowcollectd writes never sees half a
# file. Replays use hand-built IPFIX (tests/lib/nfcraft.py) with known
# capture times, so the expected files follow from the times alone.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
need_cmd python3
craft() { python3 "$FSN_ROOT/tests/lib/nfcraft.py" "$@"; }

T0=1700000000
# 15 messages, 20 s apart, 2 records each (message k: records 2k, 2k+1).
for k in $(seq 0 14); do
    t=$((T0 + 20 * k))
    kind=data; [ "$k" = 0 ] && kind=both
    echo "$t $(craft ipfix $kind seq=$((2 * k)) first=$((2 * k)) n=2 t=$t)"
done >"$T/msgs"
hex_pcap "$T/stream.pcap" 192.0.2.30 timed <"$T/msgs"

# The files a 60 s rotation must give: interval start (UTC name) -> records.
awk -v r=60 '{ s = $1 - $1 % r; n[s] += 2 } END { for (s in n) print s, n[s] }' "$T/msgs" | sort -n |
    while read -r s n; do echo "flows-$(date -u -d "@$s" +%Y%m%d-%H%M%S).fsn $n"; done >"$T/want"
diag "expected files: $(tr '\n' ' ' <"$T/want")"

# files_in SPOOL: "NAME RECORDS" for each complete file, as flowreport reads it.
files_in() {
    local f
    for f in "$1"/flows-*.fsn; do
        [ -e "$f" ] || continue
        echo "$(basename "$f") $("$BIN/flowreport" -R "$f" -q -s total -o csv 2>/dev/null | awk -F, 'NR == 2 { print $1 }')"
    done
}

coll_conf "$T/r.conf" "$T/r" "rotate 60"
coll_replay "$T/r.conf" "$T/stream.pcap" "$T/r.log"
ok $? "replay exits 0"
is "$(files_in "$T/r")" "$(cat "$T/want")" "one file per 60 s interval of capture time, with its records"
is "$(ls "$T/r" | grep -c '\.tmp$')" 0 "no temporary file left"
bad=0
for f in "$T"/r/flows-*.fsn; do
    "$BIN/flowreport" -R "$f" -q -s total >/dev/null 2>"$T/err" || bad=$((bad + 1))
    [ -s "$T/err" ] && { bad=$((bad + 1)); diag_file "$T/err"; }
done
is "$bad" 0 "every file is complete: flowreport reads it without a warning (trailer present)"

# Retention by age: files whose interval ended more than 120 s before the
# newest receive time (the last message, T0 + 280 s) are deleted.
coll_conf "$T/a.conf" "$T/a" "rotate 60" "expire-age 120"
coll_replay "$T/a.conf" "$T/stream.pcap" "$T/a.log"
last=$((T0 + 280))
awk -v last=$last '{ print }' "$T/want" | while read -r name n; do
    s=$(date -u -d "$(echo "$name" | sed 's/flows-\(....\)\(..\)\(..\)-\(..\)\(..\)\(..\).fsn/\1-\2-\3 \4:\5:\6/')" +%s)
    [ $((s + 60 + 120)) -ge $last ] && echo "$name $n"
done >"$T/want_age"
is "$(files_in "$T/a")" "$(cat "$T/want_age")" "expire-age 120: the files whose interval ended more than 120 s ago are gone"
is "$(sed -n 's/.*final: datagrams.* expired \([0-9]*\) .*/\1/p' "$T/a.log")" \
    "$(( $(wc -l <"$T/want") - $(wc -l <"$T/want_age") ))" "expire-age: deletions counted"

# Retention by size: the limit is the size of the newest three files minus one
# byte, so the newest two stay (the largest run of newest files within it).
ls -l "$T"/r/flows-*.fsn | awk '{ print $5 }' >"$T/sizes"
limit=$(tail -3 "$T/sizes" | awk '{ s += $1 } END { print s - 1 }')
coll_conf "$T/s.conf" "$T/s" "rotate 60" "expire-size $limit"
coll_replay "$T/s.conf" "$T/stream.pcap" "$T/s.log"
is "$(files_in "$T/s")" "$(tail -2 "$T/want")" "expire-size $limit: the oldest files are deleted, the newest two stay"

# Crash leftovers: a .tmp file in the spool is renamed at start, never overwritten.
coll_conf "$T/c.conf" "$T/c" "rotate 60"
first=$(head -1 "$T/want" | cut -d' ' -f1)
cp "$T/r/$first" "$T/c/$first.tmp"
coll_replay "$T/c.conf" "$T/stream.pcap" "$T/c.log"
grep -q "renamed to $first" "$T/c.log"
ok $? "a leftover $first.tmp is renamed to its final name at start"
second=${first%.fsn}-1.fsn
is "$(files_in "$T/c" | grep -c -e "^$first " -e "^$second ")" 2 \
    "the new file of the same interval gets its own name ($second)"

# ---- live ----
port=$(free_port udp)
coll_conf "$T/live.conf" "$T/live" "listen 127.0.0.1:$port" "rotate 3600"
coll_start "$T/live.log" "$T/live.conf" || bail "flowcollectd did not start"
craft ipfix both n=6 t=$(date +%s) | udp_send "$port"
wait_for 10 udp_drained "$port"
is "$(ls "$T/live" | grep -c '\.fsn\.tmp$')" 1 "live: the open interval's file has the temporary name"
is "$(ls "$T/live" | grep -c '\.fsn$')" 0 "live: ... and no complete file yet"
coll_stop
ok $? "live: SIGTERM stops flowcollectd"
is "$(ls "$T/live" | grep -c '\.fsn\.tmp$')" 0 "live: SIGTERM: no temporary file left"
is "$(coll_total "$T/live")" "6 21 2100" "live: SIGTERM: the open file was closed and renamed with its 6 records"

# A reader that lists the spool while flowcollectd rotates every second never
# sees an incomplete file; in the end every record sent is in a complete file.
port=$(free_port udp)
coll_conf "$T/busy.conf" "$T/busy" "listen 127.0.0.1:$port" "rotate 1" "stats-interval 1"
coll_start "$T/busy.log" "$T/busy.conf" || bail "flowcollectd did not start"
craft ipfix stream msgs=150 n=2 t=$(date +%s) >"$T/busy.hex"
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for line in open(sys.argv[2]):
    s.sendto(bytes.fromhex(line.strip()), ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.02)
' "$port" "$T/busy.hex" &
sender=$!
_bg_pids+=("$sender")
seen=0 half=0
for i in $(seq 1 2000); do
    for f in "$T"/busy/flows-*.fsn; do
        [ -e "$f" ] || continue
        seen=$((seen + 1))
        "$BIN/flowreport" -R "$f" -q -s total >/dev/null 2>"$T/err"
        if grep -q -e "no trailer" -e "truncated" -e "damaged" "$T/err"; then half=$((half + 1)); diag_file "$T/err"; fi
    done
    kill -0 "$sender" 2>/dev/null || break
    sleep 0.01
done
wait "$sender"
wait_for 10 udp_drained "$port"
coll_stop
ok $([ "$seen" -gt 0 ]; echo $?) "busy: the reader looked at complete files while they were written ($seen reads)"
is "$half" 0 "busy: it never saw an incomplete file"
is "$(ls "$T/busy" | grep -c '\.tmp$')" 0 "busy: no temporary file left"
files=$(ls "$T"/busy/flows-*.fsn | wc -l)
ok $([ "$files" -ge 2 ]; echo $?) "busy: several files ($files) for a 3 s stream with rotate 1"
is "$(coll_total "$T/busy" | cut -d' ' -f1)" 300 "busy: all 300 records sent are in complete files"
grep -q "stats: exporter 127.0.0.1 v10 domain 7: datagrams [1-9]" "$T/busy.log"
ok $? "busy: stats-interval 1: the active exporter's counters are logged periodically"
done_testing
