#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Loss while flowcollectd is down (issue 15, item 5). An exporter
# (build/tools/nfsend, correct sequence numbers) sends N1 flows; flowcollectd
# stops cleanly (SIGTERM: the sequence state is saved with the templates);
# N2 flows are sent while nothing listens; flowcollectd starts again and N3
# flows arrive. The second run counts exactly N2 flows as lost and stores
# N3 records; the state file's exporter row carries the N2 too.
#   v5:    N2 = 900, within the reorder window (1024): lost at once;
#   IPFIX: N2 = 5000, beyond it: lost once the exporter goes on from there.
# A crash is different: the sequence state is read once at start (the file
# is rewritten without it), so after kill -9 the records received before the
# crash are not taken for a gap. After run 2 a kill -9, N4 flows while down,
# run 3: nothing is counted as lost (the gap of a crash is unknown).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"

# send FMT PORT FLOWS FIRST_SEQ: nfsend, one datagram at a time at 5000 flows/s;
# prints the flows it sent (whole datagrams: at least FLOWS).
send() {
    "$TOOLS/nfsend" -f "$1" -s "127.0.0.1:$2" -n "$3" -Q "$4" -r 5000 -b 1 | awk '{ print $3 }'
}

for fmt in 5 10; do
    if [ $fmt = 5 ]; then n2=900; else n2=5000; fi
    port=$(free_port udp)
    dir=$T/f$fmt
    coll_conf "$dir.conf" "$dir" "listen 127.0.0.1:$port" "rotate 3600" "state-file $dir.state"

    coll_start "$dir-1.log" "$dir.conf" || bail "flowcollectd did not start"
    s1=$(send $fmt "$port" 3000 0)
    wait_for 10 udp_drained "$port"
    coll_stop
    key=$(sed -n 's/.*final: exporter \(127.0.0.1 v[0-9]* domain [0-9]*\): .*/\1/p' "$dir-1.log")
    is "$(coll_final "$dir-1.log" "$key" records) $(coll_final "$dir-1.log" "$key" lost)" "$s1 0" \
        "v$fmt run 1: $s1 records, nothing lost"

    # Sent while flowcollectd is down: nobody receives these.
    s2=$(send $fmt "$port" "$n2" "$s1")
    diag "v$fmt: $s2 flows sent while flowcollectd was stopped"

    coll_start "$dir-2.log" "$dir.conf" || bail "flowcollectd did not restart"
    grep -q "restored .* (0 not restored; 1 with their sequence numbers)" "$dir-2.log"
    ok $? "v$fmt run 2: the session's sequence state was restored" || diag_file "$dir-2.log"
    s3=$(send $fmt "$port" 600 $((s1 + s2)))
    wait_for 10 udp_drained "$port"
    coll_stop
    is "$(coll_final "$dir-2.log" "$key" records)" "$s3" "v$fmt run 2: $s3 records received"
    is "$(coll_final "$dir-2.log" "$key" lost)" "$s2" "v$fmt run 2: the $s2 flows sent while it was down are lost"
    row=$("$TOOLS/statecheck" -d "$dir.state" | awk '$1 == "exporter" { print $6, $8 }')
    is "$row" "$((s1 + s3)) $s2" "v$fmt: the state file's exporter row: records, lost"

    # Run 3 received records, then crashed: its sequence state was never saved.
    coll_start "$dir-3.log" "$dir.conf" || bail "flowcollectd did not start (run 3)"
    s4=$(send $fmt "$port" 600 $((s1 + s2 + s3)))
    wait_for 10 udp_drained "$port"
    kill -9 "$COLL_PID"
    wait "$COLL_PID" 2>/dev/null
    s5=$(send $fmt "$port" 300 $((s1 + s2 + s3 + s4)))
    coll_start "$dir-4.log" "$dir.conf" || bail "flowcollectd did not start (run 4)"
    ! grep -q "[1-9][0-9]* with their sequence numbers" "$dir-4.log"
    ok $? "v$fmt run 4: no sequence state restored after the crash"
    s6=$(send $fmt "$port" 600 $((s1 + s2 + s3 + s4 + s5)))
    wait_for 10 udp_drained "$port"
    coll_stop
    is "$(coll_final "$dir-4.log" "$key" records)" "$s6" "v$fmt run 4 (after kill -9): $s6 records"
    is "$(coll_final "$dir-4.log" "$key" lost)" 0 \
        "v$fmt run 4: after a crash nothing is counted as lost (the $s4 received before it are not a gap)"
done
done_testing
