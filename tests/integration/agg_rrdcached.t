#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The aggregator writing through a real rrdcached: for every entity the sum
# over steps of AVERAGE x step (fetched through the daemon) equals the ground
# truth computed from the flow list; the state file equals it too. Then the
# daemon is down while the flows come in: the updates are kept, retried,
# and land once it is back, with nothing lost and no crash.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agg.sh"
need_cmd rrdtool
need_cmd rrdcached

START=1700000100 # a multiple of 300
SPAN=$((4 * 3600))
FROM=$((START - 3600))
TO=$((START + SPAN + 3600))

start_rrdcached() { # DIR
    mkdir -p "$1/rrd" "$1/journal"
    start_bg "$1/rrdcached.log" rrdcached -g -l "unix:$1/sock" -b "$1/rrd" -B -F \
        -j "$1/journal" -w 3600 -f 7200 -p "$1/rrdcached.pid"
    RRDCACHED_PID=$BG_PID
    wait_for 10 test -S "$1/sock"
}

agg_gen_flows 42 6000 $START $SPAN > "$T/flows"
agg_truth < "$T/flows" > "$T/truth"
is "$(wc -l < "$T/flows")" 6000 "generated 6000 flows"

# 1. Through a running rrdcached.
D=$T/a
start_rrdcached "$D"
ok $? "rrdcached is up"
agg_conf "$D/agg.conf" "$D/rrd" "$D/state" "unix:$D/sock"
"$TOOLS/aggfeed" -c "$D/agg.conf" -P 200 < "$T/flows" 2> "$D/feed.log"
ok $? "aggfeed ran through rrdcached"
diag "$(tail -n 1 "$D/feed.log")"
grep -q 'rrd_errors 0 ' "$D/feed.log"
ok $? "no RRD errors"
ok "$(test -f "$D/rrd/total.rrd"; echo $?)" "total.rrd created by the daemon"
agg_check_rrds "$T/truth" "$D/rrd" $FROM $TO "unix:$D/sock"
is "$(agg_rrd_inner_nan "$D/rrd/total.rrd" $FROM $TO "unix:$D/sock")" 0 "no unknown step inside the data"
agg_check_state "$T/truth" "$D/state"
stop_pid "$RRDCACHED_PID"
# After the daemon has written its cache out at shutdown, the files alone say the same.
agg_check_rrds "$T/truth" "$D/rrd" $FROM $TO

# 2. rrdcached down while the flows come in; it comes back later.
D=$T/b
mkdir -p "$D/rrd" "$D/journal"
agg_conf "$D/agg.conf" "$D/rrd" "$D/state" "unix:$D/sock"
start_bg "$D/feed.log" sh -c 'exec "$1" -c "$2" -W 60 < "$3"' sh "$TOOLS/aggfeed" "$D/agg.conf" "$T/flows"
FEED_PID=$BG_PID
wait_for 30 grep -q 'input done' "$D/feed.log"
ok $? "aggfeed consumed its input with the daemon down"
kill -0 "$FEED_PID" 2>/dev/null
ok $? "aggfeed still running, keeping the updates"
start_rrdcached "$D"
ok $? "rrdcached started late"
for _ in $(seq 1 600); do kill -0 "$FEED_PID" 2>/dev/null || break; sleep 0.1; done
wait "$FEED_PID"
ok $? "aggfeed exited cleanly"
diag "$(tail -n 1 "$D/feed.log")"
grep -q 'pending 0$' "$D/feed.log"
ok $? "every closed step written after the daemon came back"
agg_check_rrds "$T/truth" "$D/rrd" $FROM $TO "unix:$D/sock"
is "$(agg_rrd_inner_nan "$D/rrd/total.rrd" $FROM $TO "unix:$D/sock")" 0 "no gap left by the outage"
agg_check_state "$T/truth" "$D/state"
stop_pid "$RRDCACHED_PID"

done_testing
