#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Kernel drops: while flowcollectd is stopped (SIGSTOP), a burst overflows its
# small socket buffer (socket-buffer 64k). Every datagram sent is then either
# received or counted in the socket's kernel-drops (SO_RXQ_OVFL), and the
# flows of the dropped datagrams show as the exporter's sequence loss, which
# two last datagrams (continuing the sequence numbers) reveal: the first
# jumps over the gap, the second confirms it (a gap beyond the reorder
# window counts once the exporter goes on from it). Nothing is lost silently.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"

port=$(free_port udp)
coll_conf "$T/d.conf" "$T/d" "listen 127.0.0.1:$port" "socket-buffer 64k" "rotate 3600" \
    "state-file $T/state"
coll_start "$T/d.log" "$T/d.conf" || bail "flowcollectd did not start"
kill -STOP "$COLL_PID"
out=$("$TOOLS/nfsend" -f 5 -s "127.0.0.1:$port" -n 60000)
sent_flows=$(echo "$out" | awk '{ print $3 }')
sent_dgrams=$(echo "$out" | awk '{ print $5 }')
kill -CONT "$COLL_PID"
wait_for 10 udp_drained "$port"
# Two more datagrams, their sequence numbers after the burst's.
out2=$("$TOOLS/nfsend" -f 5 -s "127.0.0.1:$port" -n 1 -b 1 -Q "$sent_flows")
last_flows=$(echo "$out2" | awk '{ print $3 }')
wait_for 10 udp_drained "$port"
out3=$("$TOOLS/nfsend" -f 5 -s "127.0.0.1:$port" -n 1 -b 1 -Q "$((sent_flows + last_flows))")
last_flows=$((last_flows + $(echo "$out3" | awk '{ print $3 }')))
wait_for 10 udp_drained "$port"
coll_stop
ok $? "flowcollectd stops cleanly"

sock=$(grep "final: socket" "$T/d.log")
rx=$(echo "$sock" | sed -n 's/.* datagrams \([0-9]*\) .*/\1/p')
drops=$(echo "$sock" | sed -n 's/.*kernel-drops \([0-9]*\).*/\1/p')
diag "sent $sent_dgrams + 2 datagrams; received $rx, kernel drops $drops"
ok $([ "${drops:-0}" -gt 0 ]; echo $?) "the burst overflowed the socket buffer: kernel drops counted"
is "$((rx + drops))" "$((sent_dgrams + 2))" "every datagram sent was received or counted as a kernel drop"
k="127.0.0.1 v5 domain 1"
recs=$(coll_final "$T/d.log" "$k" records)
is "$(coll_final "$T/d.log" "$k" lost)" "$((sent_flows + last_flows - recs))" \
    "the dropped datagrams' flows are the exporter's sequence loss"
is "$(coll_total "$T/d" | cut -d' ' -f1)" "$recs" "every received record is stored"
row=$("$TOOLS/statecheck" -d "$T/state" | awk '$1 == "exporter" { print $4, $6, $8 }')
is "$row" "$rx $recs $((sent_flows + last_flows - recs))" "the state file's exporter row: datagrams, records, lost"
grep -q "the kernel dropped" "$T/d.log"
ok $? "the drops were logged as a warning"
done_testing
