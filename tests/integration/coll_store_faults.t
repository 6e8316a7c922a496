#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Faults of the spool. A full disk: the spool on a small tmpfs that the test
# mounts and fills.
# Every record sent is either in a flow file that flowreport reads without
# a warning, or counted lost (store-lost, and in the file's trailer): the
# header that could not be written leaves no file (the file is made again
# once there is room), a block that could not be written is cut off again
# instead of leaving half of it. flowreport reports a file with a missing
# header, or an empty one, as damaged and reads what is there. A spool
# removed while flowcollectd runs is made again; the records that were in
# the open file are counted lost, the later ones stored.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
need_cmd python3
[ "$(id -u)" = 0 ] || bail "needs root (mounts a tmpfs)"
craft() { python3 "$FSN_ROOT/tests/lib/nfcraft.py" "$@"; }

M=$T/m
mkdir -p "$M"
mount -t tmpfs -o size=256k,mode=0755 flowsnmp-test "$M" || bail "cannot mount a tmpfs on $M"
trap '[ -n "${COLL_PID:-}" ] && stop_pid "$COLL_PID"; umount -l "$M"; _cleanup' EXIT
S=$M/spool
port=$(free_port udp)
coll_conf "$T/c.conf" "$S" "listen 127.0.0.1:$port" "rotate 86400" "stats-interval 0"

fill() { dd if=/dev/zero of="$M/fill" bs=4096 >/dev/null 2>&1; [ "$(df --output=avail "$M" | tail -1 | tr -d " ")" = 0 ]; }
unfill() { rm -f "$M/fill"; }
# stat_of FIELD: a counter of a fresh "stats:" summary (SIGUSR1).
LOG=$T/c.log
stat_of() {
    local n
    n=$(grep -c "stats: datagrams" "$LOG")
    kill -USR1 "$COLL_PID"
    wait_for 10 bash -c "[ \$(grep -c 'stats: datagrams' '$LOG') -gt $n ]" || return 1
    grep "stats: datagrams" "$LOG" | tail -1 |
        awk -v f="$1" '{ sub(/.*stats: /, ""); for (i = 1; i < NF; i += 2) if ($i == f) print $(i + 1) }'
}
stat_is() { [ "$(stat_of "$1")" = "$2" ]; }
tmp_size() { stat -c %s "$S"/*.fsn.tmp 2>/dev/null | head -1; }
tmp_grows() { local s; s=$(tmp_size); [ -n "$s" ] && [ "$s" -gt "$1" ]; }
# sums FIRST N: "flows packets bytes" of nfcraft's records FIRST .. FIRST+N-1.
sums() { awk -v a="$1" -v n="$2" 'BEGIN { for (i = a; i < a + n; i++) p += i + 1; print n, p, 100 * p }'; }
now=$(date +%s)

# A: the disk is full before the first file is opened: its header cannot be written.
fill || bail "could not fill $M"
coll_start "$T/c.log" "$T/c.conf" || { diag_file "$T/c.log"; bail "flowcollectd did not start"; }
craft ipfix both n=10 first=0 seq=0 t="$now" | udp_send "$port"
wait_for 10 stat_is store-lost 10
ok $? "full disk: the 10 records that found no file are counted lost" || diag_file "$T/c.log"
is "$(find "$S" -name 'flows-*' -size 0 | wc -l)" 0 "full disk: no empty flow file left in the spool"

# B: room again; the file of the interval is made at the next tick, and holds B.
unfill
wait_for 10 tmp_grows 0
ok $? "room again: the interval's file is made, with its header ($(tmp_size) bytes)"
hdr=$(tmp_size)
craft ipfix data n=20 first=10 seq=10 t="$now" | udp_send "$port"
wait_for 10 tmp_grows "$hdr"
ok $? "the next 20 records are written"

# C: full again in the middle of the file: 300 records (a block larger than a page)
# cannot be written; what was written of the block is cut off again.
size_b=$(tmp_size)
fill || bail "could not fill $M again"
craft ipfix data n=300 first=30 seq=30 t="$now" | udp_send "$port"
wait_for 10 stat_is store-lost 310
ok $? "full disk mid-file: the 300 records of the block that could not be written are counted lost"
is "$(tmp_size)" "$size_b" "... and the file is back at its size before that block"

# D: room again; the rest of the interval goes on in the same file.
unfill
craft ipfix data n=40 first=330 seq=330 t="$now" | udp_send "$port"
wait_for 10 tmp_grows "$size_b"
ok $? "room again: the next 40 records are written"
coll_stop
ok $? "SIGTERM: flowcollectd stops"
COLL_PID=

is "$(coll_summary "$T/c.log" stored)" 60 "final: stored 60 (20 + 40)"
is "$(coll_summary "$T/c.log" store-lost)" 310 "final: store-lost 310 (10 + 300)"
is "$(ls "$S" | grep -c '\.tmp$')" 0 "no temporary file left"
files=$(ls "$S"/flows-*.fsn 2>/dev/null | wc -l)
ok "$([ "$files" -ge 1 ]; echo $?)" "the interval's file is complete ($files file)"
is "$(coll_total "$S")" "$(awk -v a="$(sums 10 20)" -v b="$(sums 330 40)" 'BEGIN {
    split(a, x, " "); split(b, y, " "); print x[1] + y[1], x[2] + y[2], x[3] + y[3] }')" \
    "flowreport reads exactly the 60 stored records (flows, packets, bytes)"
"$BIN/flowreport" -R "$S" -q -s total >/dev/null 2>"$T/read.err"
ok $? "flowreport exits 0"
is "$(cat "$T/read.err")" "" "flowreport reads the spool without a warning (no damage, trailer present)" ||
    diag_file "$T/read.err"
# The trailers' lost fields (big-endian u64 at offset 48 of the last 64 bytes).
lost=0
for f in "$S"/flows-*.fsn; do
    n=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read()[-64:]
print(int.from_bytes(d[48:56], "big") if d[:4] == b"FSNE" else -1)' "$f")
    lost=$((lost + n))
done
is "$lost" 310 "the trailer counts the interval's 310 lost records"

# flowreport and the files an older collector left after a full disk: one whose
# header is missing (blocks and trailer only), one that is empty.
good=$(ls "$S"/flows-*.fsn | head -1)
mkdir -p "$T/old"
cp "$good" "$T/old/flows-20231114-221000.fsn"
tail -c +65 "$good" >"$T/old/flows-20231114-221500.fsn"
: >"$T/old/flows-20231114-222000.fsn"
"$BIN/flowreport" -R "$T/old" -v -s total -o csv >"$T/old.csv" 2>"$T/old.err"
is "$?" 0 "damaged files are a warning, not an error (exit 0)"
is "$(awk -F, 'NR == 2 { print $1 }' "$T/old.csv")" 120 "the blocks of the file without a header are read too"
grep -q "flows-20231114-221500.fsn: damaged: no file header" "$T/old.err"
ok $? "the file without a header is reported damaged" || diag_file "$T/old.err"
grep -q "flows-20231114-222000.fsn: damaged: 0 bytes, shorter than a flow file header" "$T/old.err"
ok $? "the empty file is reported damaged"
grep -q "3 files (2 with a damaged header)" "$T/old.err"
ok $? "-v counts the damaged files"

# ---- The spool removed at run time ----
S=$T/sp
port=$(free_port udp)
LOG=$T/rm.log
coll_conf "$T/rm.conf" "$S" "listen 127.0.0.1:$port" "rotate 86400" "stats-interval 0"
coll_start "$LOG" "$T/rm.conf" || { diag_file "$LOG"; bail "flowcollectd did not start"; }
wait_for 10 tmp_grows 0
craft ipfix both n=15 first=0 seq=0 t="$now" | udp_send "$port"
wait_for 10 tmp_grows 64
ok $? "spool removed: 15 records written first"
rm -rf "$S"
wait_for 10 tmp_grows 0
ok $? "the spool is made again, with a file for the rest of the interval"
grep -q "spool $S was removed while in use: made it again" "$LOG"
ok $? "... and that is logged"
craft ipfix data n=25 first=15 seq=15 t="$now" | udp_send "$port"
wait_for 10 tmp_grows 64
ok $? "the next 25 records are written to it"
coll_stop
COLL_PID=
is "$(coll_summary "$LOG" stored):$(coll_summary "$LOG" store-lost)" "25:15" \
    "final: the 15 records of the removed file are counted lost, the 25 later ones stored"
is "$(coll_total "$S")" "$(sums 15 25)" "flowreport reads exactly the 25 stored records"
"$BIN/flowreport" -R "$S" -q -s total >/dev/null 2>"$T/rm.err"
is "$?:$(cat "$T/rm.err")" "0:" "... without a warning"
done_testing
