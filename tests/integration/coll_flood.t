#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Floods that once locked every new exporter out (issue 15, item 1), and
# what each costs now. Hostile datagrams come from build/tools/nfflood;
# legitimate exporters are nfsend (correct sequence numbers) and hand-built
# IPFIX streams (tests/lib/nfcraft.py); every one of their records must be
# stored, with nothing lost.
#  A. live: 1,100 datagrams of 24 bytes (an IPFIX header claiming 65,535
#     bytes, a new observation domain each) from 127.0.0.2 make no session:
#     each is counted as malformed against its source (and in the state
#     file's global count); an exporter that starts afterwards stores
#     everything. (Before: the flood filled all 1,024 sessions and the
#     exporter stored nothing, counted as table-full, for an hour.)
#  B. live: 1,100 sound but empty messages, a new domain each, from one
#     address: that address keeps at most max-exporters-per-source (64)
#     sessions, taking the place of its own sessions that never decoded
#     anything; an exporter heard from before the flood keeps its session,
#     a new one gets one. The "new exporter" lines are limited (20 a
#     minute) and what they leave out is said in a count.
#  C. replay, a full table (max-exporters 64, 8 per source): 20 sources of
#     10 empty domains each; the sessions that never decoded anything make
#     room, the proven exporter is not given up, the new one gets a session.
#  D. replay: 300 sources fill the table of dropped sources (256 rows), then
#     one more floods: it keeps a row of its own (the least recently dropped
#     sources go to "other sources"), so the log names it.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
need_cmd python3
craft() { python3 "$FSN_ROOT/tests/lib/nfcraft.py" "$@"; }

# flood PORT MODE N SRC: N datagrams of nfflood in chunks of 220, each read before the next.
flood() {
    local i
    for ((i = 0; i < $3; i += 220)); do
        "$TOOLS/nfflood" -m "$2" -n $(($3 - i < 220 ? $3 - i : 220)) -o "$i" \
            -s "127.0.0.1:$1" -B "$4" >/dev/null || return 1
        wait_for 10 udp_drained "$1" || return 1
    done
}

# legit PORT: nfsend, IPFIX from 127.0.0.1; prints the flows it sent.
legit() {
    "$TOOLS/nfsend" -f 10 -s "127.0.0.1:$1" -n 3000 -r 20000 -b 1 | awk '{ print $3 }'
}

# new_lines LOG: "new exporter" lines logged one by one, and the sessions said in counts.
new_lines() {
    awk '/flowcollectd: new exporter / { n++ }
         / more new exporter sessions in / { sub(/.*flowcollectd: /, ""); h += $1 }
         END { print n + 0, h + 0 }' "$1"
}

# ---- A: tiny malformed datagrams, live ----
port=$(free_port udp)
coll_conf "$T/a.conf" "$T/a" "listen 127.0.0.1:$port" "rotate 3600" "state-file $T/a.state"
coll_start "$T/a.log" "$T/a.conf" || bail "flowcollectd did not start"
flood "$port" tiny 1100 127.0.0.2 || bail "the flood was not sent or not read"
flows=$(legit "$port")
wait_for 10 udp_drained "$port"
coll_stop
ok $? "A: flowcollectd stops cleanly"
is "$(sed -n 's/.*final: socket .*kernel-drops \([0-9]*\).*/\1/p' "$T/a.log")" 0 "A: the kernel dropped nothing"
is "$(coll_summary "$T/a.log" malformed)" 1100 "A: the 1,100 datagrams are counted as malformed"
is "$(coll_dropped "$T/a.log" 127.0.0.2 malformed)" 1100 "A: ... against their source, 127.0.0.2"
is "$(coll_summary "$T/a.log" created)" 1 "A: they made no session: only the exporter's"
is "$(coll_summary "$T/a.log" table-full)" 0 "A: nothing was refused for a full table"
key=$(sed -n 's/.*final: exporter \(127.0.0.1 v10 domain [0-9]*\): .*/\1/p' "$T/a.log")
is "$(coll_final "$T/a.log" "$key" records) $(coll_final "$T/a.log" "$key" lost)" "$flows 0" \
    "A: the exporter that started after the flood: all $flows records, none lost"
is "$(coll_total "$T/a" | cut -d' ' -f1)" "$flows" "A: ... and all stored"
grep -q "malformed datagram from 127.0.0.2 (v10 domain [0-9]*), which has no session" "$T/a.log"
ok $? "A: the log names the source"
is "$("$TOOLS/statecheck" -d "$T/a.state" | awk '$1 == "scalars" { print $7 }')" 1100 \
    "A: the state file's malformed count has them"

# ---- B: sound empty messages, live ----
port=$(free_port udp)
coll_conf "$T/b.conf" "$T/b" "listen 127.0.0.1:$port" "rotate 3600"
coll_start "$T/b.log" "$T/b.conf" || bail "flowcollectd did not start"
craft ipfix stream msgs=5 n=4 | udp_send "$port" 127.0.0.3
wait_for 10 udp_drained "$port"
flood "$port" empty 1100 127.0.0.2 || bail "the flood was not sent or not read"
craft ipfix stream msgs=5 n=4 seq=20 first=20 | udp_send "$port" 127.0.0.3
flows=$(legit "$port")
wait_for 10 udp_drained "$port"
coll_stop
is "$(sed -n 's/.*final: socket .*kernel-drops \([0-9]*\).*/\1/p' "$T/b.log")" 0 "B: the kernel dropped nothing"
k="127.0.0.3 v10 domain 7"
is "$(coll_final "$T/b.log" "$k" datagrams) $(coll_final "$T/b.log" "$k" records) $(coll_final "$T/b.log" "$k" lost)" \
    "10 40 0" "B: the exporter heard before the flood kept its session: 10 datagrams, 40 records, none lost"
key=$(sed -n 's/.*final: exporter \(127.0.0.1 v10 domain [0-9]*\): .*/\1/p' "$T/b.log")
is "$(coll_final "$T/b.log" "$key" records) $(coll_final "$T/b.log" "$key" lost)" "$flows 0" \
    "B: the exporter that started after it: all $flows records, none lost"
is "$(coll_total "$T/b" | cut -d' ' -f1)" $((40 + flows)) "B: every record of both is stored"
is "$(coll_summary "$T/b.log" created)" 1102 "B: 1,100 sessions of the flood were made, and the 2 exporters'"
is "$(coll_summary "$T/b.log" evicted)" $((1100 - 64)) "B: all but 64 of the flood's made room for the next"
is "$(coll_summary "$T/b.log" exporters)" "66/1024" "B: the flooding address holds 64 sessions at the end"
is "$(coll_summary "$T/b.log" source-full) $(coll_summary "$T/b.log" table-full)" "0 0" \
    "B: no datagram refused"
set -- $(new_lines "$T/b.log")
ok $([ "$1" -le 40 ]; echo $?) "B: $1 'new exporter' lines logged one by one (at most 20 a minute)"
is "$(($1 + $2))" 1102 "B: ... and the $2 others said in counts: every new session accounted for"

# ---- C: a full table of unproven sessions, replay ----
craft ipfix stream msgs=3 n=4 dom=5 | hex_pcap "$T/c1.pcap" 192.0.2.2
"$TOOLS/nfflood" -m empty -n 200 -a 20 -A 198.18.0.1 -w "$T/c2.pcap" >/dev/null
craft ipfix stream msgs=3 n=4 dom=5 seq=12 first=12 | hex_pcap "$T/c3.pcap" 192.0.2.2
craft ipfix stream msgs=5 n=4 | hex_pcap "$T/c4.pcap" 192.0.2.1
mergecap -a -F pcap -w "$T/c.pcap" "$T/c1.pcap" "$T/c2.pcap" "$T/c3.pcap" "$T/c4.pcap"
coll_conf "$T/c.conf" "$T/c" "max-exporters 64" "max-exporters-per-source 8"
coll_replay "$T/c.conf" "$T/c.pcap" "$T/c.log"
ok $? "C: replayed" || diag_file "$T/c.log"
is "$(coll_final "$T/c.log" "192.0.2.2 v10 domain 5" datagrams) $(coll_final "$T/c.log" "192.0.2.2 v10 domain 5" records)" \
    "6 24" "C: the proven exporter kept its session through the flood: 6 datagrams, 24 records"
is "$(coll_final "$T/c.log" "192.0.2.1 v10 domain 7" records)" 20 "C: the new exporter after the flood: its 20 records"
is "$(coll_summary "$T/c.log" table-full) $(coll_summary "$T/c.log" source-full)" "0 0" "C: nothing refused"
is "$(coll_summary "$T/c.log" exporters)" "64/64" "C: the table is full at the end"
is "$(($(coll_summary "$T/c.log" created) - $(coll_summary "$T/c.log" evicted)))" 64 \
    "C: sessions made less sessions given up is what the table holds"

# ---- D: naming the source when the table of dropped sources is full, replay ----
"$TOOLS/nfflood" -m empty -n 300 -a 300 -A 198.18.0.1 -w "$T/d1.pcap" >/dev/null
"$TOOLS/nfflood" -m tiny -n 50 -A 198.19.0.1 -w "$T/d2.pcap" >/dev/null
mergecap -a -F pcap -w "$T/d.pcap" "$T/d1.pcap" "$T/d2.pcap"
coll_conf "$T/d.conf" "$T/d" "allow 192.0.2.0/24"
coll_replay "$T/d.conf" "$T/d.pcap" "$T/d.log"
is "$(coll_summary "$T/d.log" not-allowed)" 350 "D: 350 datagrams not allowed"
is "$(coll_dropped "$T/d.log" 198.19.0.1 not-allowed)" 50 "D: the last source to flood has a row of its own"
is "$(awk '/final: dropped from other sources:/ { for (i = 1; i < NF; i++) if ($i == "not-allowed") print $(i + 1) }' "$T/d.log")" 45 \
    "D: the 45 sources dropped from least recently went to 'other sources'"
done_testing
