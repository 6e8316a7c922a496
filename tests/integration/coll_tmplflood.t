#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Template floods (issue 15, item 4), replayed. build/tools/nfflood writes
# the attack: one address, 1,024 observation domains x 256 templates x 128
# fields (262,144 templates, 135 MB of datagrams, piped into flowcollectd -r -). Before, flowcollectd grew
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

# peak_kb CONF LOG GEN...: GEN's pcap on stdout piped into flowcollectd -c CONF -r -
# (a flood of 135 MB needs no disk); prints flowcollectd's peak RSS in KiB.
peak_kb() {
    python3 -c '
import os, subprocess, sys
conf, log, fc, gen = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(log, "w") as out, open(log + ".gen", "w") as gerr:
    g = subprocess.Popen(gen, stdout=subprocess.PIPE, stderr=gerr)
    c = subprocess.Popen([fc, "-c", conf, "-r", "-"], stdin=g.stdout, stdout=out, stderr=out)
    g.stdout.close()
    _, status, ru = os.wait4(c.pid, 0)
    g.wait()
print(ru.ru_maxrss if status == 0 and g.returncode == 0 else "failed")
' "$1" "$2" "$BIN/flowcollectd" "${@:3}"
}

coll_conf "$T/base.conf" "$T/base"
base=$(peak_kb "$T/base.conf" "$T/base.log" "$TOOLS/nfflood" -m empty -n 1 -A 192.0.2.99 -w -)
diag "peak RSS of a replay of one datagram: $base KiB"

coll_conf "$T/f.conf" "$T/f"
peak=$(peak_kb "$T/f.conf" "$T/f.log" "$TOOLS/nfflood" -m templates -D 1024 -T 256 -F 128 -w -)
diag "flood: $(cat "$T/f.log.gen")"
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
peak=$(peak_kb "$T/f.conf" "$T/f2.log" "$TOOLS/nfflood" -m empty -n 1 -A 192.0.2.99 -w -)
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
