#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowprobe reads and meters in two threads (-T 2) or in one (-T 1). The
# threads hand the packets over in order, with the once-a-second ticks at
# their places between them, so both must export exactly the same records:
# same keys, counts, first and last times, flags and end reasons, and the
# same counters in the final report. Both must also match the generator's
# ground truth. Short timeouts make many records end by time (ticks), and
# the capture has IPv4 fragments (attributed to their first fragment in
# packet order) and more packets than a batch holds.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/flows.sh"
need_cmd nfcapd; need_cmd nfdump

"$TOOLS/flowgen" -s 11 -n 60000 -f 2000 -d 600 --summary -o "$T/gen.pcap" -g "$T/truth.txt" \
    2>"$T/flowgen.log" || bail "flowgen failed: $(cat "$T/flowgen.log")"
truth_keyed "$T/truth.txt" >"$T/truth.all"
frags=$(sed -n 's/.* \([0-9]*\) IPv4 fragments.*/\1/p' "$T/flowgen.log")

# run NAME ARGS...: flowprobe -r with ARGS exporting IPFIX to its own nfcapd;
# leaves every record in $T/NAME.rec (sorted) and the summed keys in $T/NAME.keyed.
# Paced at 10000 datagrams/s: nfcapd's socket buffer, where net.core.rmem_max
# is the kernel's default (212992), holds about 90 of them, 9 ms of export.
run() {
    local name=$1 port
    shift
    port=$(free_port udp)
    start_nfcapd "$T/nf-$name" "$port" || bail "nfcapd did not start"
    "$BIN/flowprobe" -r "$T/gen.pcap" -e "127.0.0.1:$port" -V 10 -R 10000 -d \
        -t active=20 -t inactive=3 -t tcp=5 -t tcp-end=1 -t udp=3 -t icmp=2 "$@" \
        >"$T/$name.log" 2>&1
    ok $? "$name: flowprobe $* exits 0" || diag_file "$T/$name.log"
    stop_nfcapd "$port"
    nfdump -R "$T/nf-$name" -q -N -6 -o 'fmt:%ts %te %sa %da %sp %dp %pr %pkt %byt %flg' \
        2>/dev/null | awk '{$1 = $1; print}' | sort >"$T/$name.rec"
    nfdump_keyed "$T/nf-$name" >"$T/$name.keyed"
    grep 'final:' "$T/$name.log" | sed 's/^.*flowprobe: //' >"$T/$name.final" # without the timestamps
}

run one -T 1
run two -T 2
grep -q "two threads" <("$BIN/flowprobe" -r "$T/gen.pcap" -T 2 -d -v -v 2>&1)
ok $? "-T 2 runs two threads"
grep -q "one thread" <("$BIN/flowprobe" -r "$T/gen.pcap" -T 1 -d -v -v 2>&1)
ok $? "-T 1 runs one"

n=$(wc -l <"$T/one.rec")
[ "$n" -gt 5000 ]
ok $? "many records ($n), most ended by a timeout"
[ "${frags:-0}" -gt 0 ]
ok $? "the capture has IPv4 fragments (${frags:-0})"
grep -q "later [1-9][0-9]* (attributed [1-9]" "$T/two.final"
ok $? "two threads attribute later fragments to their datagram" || diag_file "$T/two.final"
is "$(totals "$T/one.keyed")" "$(totals "$T/truth.all")" "one thread: keys, packets, bytes equal the ground truth"
keyed_diff "$T/two.keyed" "$T/truth.all"
ok $? "two threads: every flow key has the ground truth's packets and bytes"
keyed_diff "$T/two.rec" "$T/one.rec"
ok $? "two threads export the same $n records as one (times, counts, flags)"
keyed_diff "$T/two.final" "$T/one.final"
ok $? "... and give the same final report" || diag_file "$T/two.final"

# With 1:N sampling the packets sampled out never reach the metering thread:
# still the same records.
run one-s -T 1 -s 7
run two-s -T 2 -s 7
keyed_diff "$T/two-s.rec" "$T/one-s.rec"
ok $? "sampled 1:7, two threads export the same records as one"
grep -q "sampled out [1-9]" "$T/two-s.final"
ok $? "... having sampled packets out" || diag_file "$T/two-s.final"
done_testing
