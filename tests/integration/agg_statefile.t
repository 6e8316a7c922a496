#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The state file under load and across restarts:
#  - a reader process checking every row continuously while the aggregator
#    updates it never sees a torn row (per-row invariant: octets == 1000 x
#    packets, which the feed makes true);
#  - a restart in the middle of the stream: no counter goes backwards, the
#    final counters and the RRD sums equal the ground truth, no spike;
#  - a crash (no flush): the counters published before it are kept.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agg.sh"
need_cmd rrdtool

START=1700000100
SPAN=$((6 * 3600))
FROM=$((START - 3600))
TO=$((START + SPAN + 3600))

agg_gen_flows 7 40000 $START $SPAN > "$T/flows"
agg_truth < "$T/flows" > "$T/truth"

# 1. Concurrent reader.
D=$T/c
mkdir -p "$D"
agg_conf "$D/agg.conf" "$D/rrd" "$D/state"
# The first run creates the file, so that the reader can map it before the busy run.
head -n 1 "$T/flows" | "$TOOLS/aggfeed" -c "$D/agg.conf" 2>/dev/null
"$TOOLS/statecheck" -c "$D/state" -t 60 > "$D/check.out" &
CHECK_PID=$!
_bg_pids+=("$CHECK_PID") # stopped at exit if the test ends early
"$TOOLS/statecheck" -c "$D/state" -t 60 -u > "$D/unlocked.out" &
UNLOCKED_PID=$!
_bg_pids+=("$UNLOCKED_PID")
"$TOOLS/aggfeed" -c "$D/agg.conf" -P 5 < "$T/flows" 2> "$D/feed.log"
ok $? "aggfeed published every 5 records"
wait "$CHECK_PID"
ok $? "reader under the seqlock: no torn row"
diag "seqlock reader: $(cat "$D/check.out")"
wait "$UNLOCKED_PID"
diag "unlocked reader (torn rows are expected here): $(cat "$D/unlocked.out")"
updates=$(awk '{for (i = 1; i < NF; i++) if ($i == "updates") print $(i + 1)}' "$D/check.out")
ok "$([ "${updates:-0}" -gt 10 ]; echo $?)" "the reader saw the writer publish while it checked ($updates)"

# 2. Restart in the middle of the stream.
D=$T/r
mkdir -p "$D"
agg_conf "$D/agg.conf" "$D/rrd" "$D/state"
head -n 23000 "$T/flows" > "$D/part1"
tail -n +23001 "$T/flows" > "$D/part2"
"$TOOLS/aggfeed" -c "$D/agg.conf" < "$D/part1" 2> "$D/feed1.log"
ok $? "run 1"
"$TOOLS/statecheck" -d "$D/state" > "$D/dump1"
"$TOOLS/aggfeed" -c "$D/agg.conf" < "$D/part2" 2> "$D/feed2.log"
ok $? "run 2 (restart)"
diag "run 2: $(tail -n 1 "$D/feed2.log")"
"$TOOLS/statecheck" -d "$D/state" > "$D/dump2"
# Every counter of every row of the first dump (hosts x services cells too) is <= the
# same one in the second.
back=$(awk 'NR == FNR { if ($1 == "hdr" || $1 == "scalars" || $1 == "exporter") next;
                        k = $1 " " ($1 ~ /^(host|service|proto)$/ ? $2 : $1 == "hostsvc" ? $2 " " $3 : ""); a[k] = $0; next }
            { if ($1 == "hdr" || $1 == "scalars" || $1 == "exporter") next;
              k = $1 " " ($1 ~ /^(host|service|proto)$/ ? $2 : $1 == "hostsvc" ? $2 " " $3 : ""); seen[k] = 1;
              if (!(k in a)) next; n = split(a[k], x, " "); split($0, y, " ");
              for (i = 2; i <= n; i++) if (x[i] ~ /^[0-9]+$/ && x[i] + 0 > y[i] + 0) bad++ }
            END { for (k in a) if (!(k in seen)) bad++; print bad + 0 }' "$D/dump1" "$D/dump2")
is "$back" 0 "no counter went backwards across the restart"
is "$(awk '$1 == "hdr" {print $5}' "$D/dump1")" "$(awk '$1 == "hdr" {print $5}' "$D/dump2")" \
    "same discontinuity time after the restart"
agg_check_state "$T/truth" "$D/state"
agg_check_rrds "$T/truth" "$D/rrd" $FROM $TO
is "$(agg_rrd_inner_nan "$D/rrd/total.rrd" $FROM $TO)" 0 "no unknown step at the restart"
maxstep=$(agg_rrd_max "$D/rrd/total.rrd" $FROM $TO)
total_in=$(awk '$1 == "total" {print $2}' "$T/truth")
ok "$(awk -v m="$maxstep" -v t="$total_in" 'BEGIN { exit !(m < t / 10) }'; echo $?)" \
    "no spike: the largest step ($maxstep) is a small part of the total ($total_in)"

# 3. A crash after a publish: the published counters are there at the next start.
D=$T/x
mkdir -p "$D"
agg_conf "$D/agg.conf" "$D/rrd" "$D/state"
head -n 1000 "$T/flows" | "$TOOLS/aggfeed" -c "$D/agg.conf" -P 1000 -x 2>/dev/null
ok $? "run that crashes after its last publish"
head -n 1000 "$T/flows" | agg_truth > "$D/truth1000"
agg_check_state "$D/truth1000" "$D/state"
pid=$("$TOOLS/statecheck" -d "$D/state" | awk '$1 == "hdr" {print $7}')
ok "$([ "$pid" != 0 ]; echo $?)" "the crashed writer's pid is still in the header ($pid)"
"$TOOLS/aggfeed" -c "$D/agg.conf" < /dev/null 2>/dev/null
ok $? "next start over the crashed run's file"
agg_check_state "$D/truth1000" "$D/state"
is "$("$TOOLS/statecheck" -d "$D/state" | awk '$1 == "hdr" {print $7}')" 0 "clean stop: writer_pid 0"

done_testing
