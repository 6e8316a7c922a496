#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Template floods (issue 15, item 4), replayed. build/tools/nfflood writes
# the attack: one address, 1,024 observation domains x 256 templates x 128
# fields (262,144 templates, 135 MB of datagrams). Before, flowcollectd grew
# to 660 MB and wrote a 257 MB template file that took as much again at
# every start. Now the address keeps at most max-exporters-per-source (64)
# sessions and max-templates-per-source (1,024) templates, so:
#  - the collector's peak RSS grows by less than the bound docs/collector.md
#    gives for one source (16 MiB over a replay of one datagram; the
#    templates themselves take 1.6 MB), also when it restores the file;
#  - the template file holds exactly the 64 sessions and 1,024 templates:
#    16 + 64 * (4 + 58 + 4) + 1024 * (7 + 8 * 128) bytes (coll_tmpl.h and
#    docs/decoding.md give the layout);
#  - every refused template is counted (tmpl-source-full, and each
#    session's template-drops).
# Then six addresses of 1,024 templates each under "template-memory 4M":
# the templates of all sessions stay under 4 MiB, the rest is counted
# (tmpl-memory-full), and the file is smaller than the bound.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"

# Under ASan, freed memory is held in a quarantine and every block has red
# zones: no quarantine, and twice the bound.
factor=1
if ldd "$BIN/flowcollectd" 2>/dev/null | grep -q libasan; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
    factor=2
fi
bound=$((16 * 1024 * factor))

# peak_kb CONF PCAP LOG: flowcollectd -r, prints its peak RSS in KiB.
peak_kb() {
    python3 -c '
import resource, subprocess, sys
with open(sys.argv[3], "w") as log:
    r = subprocess.run(sys.argv[4:] + ["-c", sys.argv[1], "-r", sys.argv[2]], stdout=log, stderr=log)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else "failed")
' "$1" "$2" "$3" "$BIN/flowcollectd"
}

"$TOOLS/nfflood" -m empty -n 1 -A 192.0.2.99 -w "$T/one.pcap" >/dev/null
coll_conf "$T/base.conf" "$T/base"
base=$(peak_kb "$T/base.conf" "$T/one.pcap" "$T/base.log")
diag "peak RSS of a replay of one datagram: $base KiB"

out=$("$TOOLS/nfflood" -m templates -D 1024 -T 256 -F 128 -w "$T/flood.pcap") || bail "nfflood failed"
diag "flood: $out"
coll_conf "$T/f.conf" "$T/f"
peak=$(peak_kb "$T/f.conf" "$T/flood.pcap" "$T/f.log")
diag "peak RSS of the flood's replay: $peak KiB"
ok $([ "$peak" != failed ] && [ $((peak - base)) -le $bound ]; echo $?) \
    "flood: the collector grew by $((peak - base)) KiB, under $bound KiB"
is "$(coll_summary "$T/f.log" templates)" 1024 "flood: 1,024 templates kept (max-templates-per-source)"
is "$(coll_summary "$T/f.log" tmpl-source-full)" $((262144 - 1024)) "flood: the other 261,120 counted as refused"
is "$(coll_exporter_sum "$T/f.log" templates)" 1024 "flood: the sessions' own template counts agree"
is "$(coll_summary "$T/f.log" exporters)" "64/1024" "flood: the address holds 64 sessions (max-exporters-per-source)"
is "$(coll_summary "$T/f.log" created)" 1024 "flood: every domain had a session for a while"
size=$(stat -c %s "$T/f/templates.fsnt")
is "$size" $((16 + 64 * (4 + 58 + 4) + 1024 * (7 + 8 * 128))) \
    "flood: the template file holds exactly 64 sessions and 1,024 templates ($size bytes)"

# The next start restores the file: bounded too.
peak=$(peak_kb "$T/f.conf" "$T/one.pcap" "$T/f2.log")
diag "peak RSS of a start with the flood's template file: $peak KiB"
ok $([ "$peak" != failed ] && [ $((peak - base)) -le $bound ]; echo $?) \
    "restart: the collector grew by $((peak - base)) KiB, under $bound KiB"
grep -q "restored 1024 templates of 64 exporter sessions" "$T/f2.log"
ok $? "restart: 1,024 templates of 64 sessions restored" || diag_file "$T/f2.log"

# Many addresses: template-memory bounds all of them together.
for i in 1 2 3 4 5 6; do
    "$TOOLS/nfflood" -m templates -D 4 -T 256 -F 128 -A 192.0.2.$((100 + i)) -w "$T/m$i.pcap" >/dev/null
done
mergecap -a -F pcap -w "$T/m.pcap" "$T"/m[1-6].pcap
coll_conf "$T/m.conf" "$T/m" "template-memory 4M"
coll_replay "$T/m.conf" "$T/m.pcap" "$T/m.log"
ok $? "six addresses: replayed" || diag_file "$T/m.log"
kept=$(coll_summary "$T/m.log" templates)
bytes=$(coll_summary "$T/m.log" template-bytes)
ok $([ "$bytes" -le $((4 << 20)) ] && [ "$kept" -gt 0 ]; echo $?) \
    "six addresses: $kept templates in $bytes bytes, under template-memory (4 MiB)"
is "$(($(coll_summary "$T/m.log" tmpl-memory-full) + kept))" $((6 * 1024)) \
    "six addresses: the templates not kept are counted as refused for memory"
size=$(stat -c %s "$T/m/templates.fsnt")
is "$size" $((16 + $(coll_summary "$T/m.log" exporters | cut -d/ -f1) * (4 + 58 + 4) + kept * (7 + 8 * 128))) \
    "six addresses: the template file holds what is kept, $size bytes (under 4 MiB)"
done_testing
