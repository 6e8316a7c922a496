#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowreport against flow files written by flowfilegen: every -s key, every
# output format, filters, time windows, directories, damaged files and bad
# arguments. Expected results come from a hand computation (written below)
# or from awk over the records' spec (an independent implementation of each
# key and filter), never from flowreport itself.
. "$(dirname "$0")/../lib/common.sh"

FR=$BIN/flowreport
GEN=$TOOLS/flowfilegen
[ -x "$FR" ] && [ -x "$GEN" ] || bail "build $FR and $GEN first (make)"
need_cmd python3
export TZ=UTC

# ---- A hand-written file ----
# start_ms end_ms proto src sport dst dport packets bytes exporter [extras]
cat >"$T/hand.spec" <<'EOF'
1700000000000 1700000010000 6  10.0.0.1    40000 192.0.2.10   443   10  5000   192.0.2.1 flags=27
1700000005000 1700000020000 6  10.0.0.2    40001 192.0.2.10   443   20  20000  192.0.2.1 flags=2
1700000010000 1700000030000 17 10.0.0.1    5353  198.51.100.5 53    2   200    192.0.2.1
1700000040000 1700000060000 17 10.0.0.3    123   10.0.0.1     123   4   400    192.0.2.2 domain=7 version=9
1700000050000 1700000070000 1  10.0.0.2    0     10.0.0.3     2048  3   252    192.0.2.2 domain=7 version=9
1700000060000 1700000090000 6  2001:db8::1 50000 2001:db8::2  80    100 150000 192.0.2.1 tos=184 vlan=12 in=3 out=4 srcas=64500 dstas=64501 sampling=1 nexthop=2001:db8::fe smask=64 dmask=48 reason=3
1700000070000 1700000100000 58 2001:db8::2 0     2001:db8::1  32768 1   64     192.0.2.1
1700000080000 1700000120000 6  10.0.0.1    40002 203.0.113.9  22    50  30000  192.0.2.2 domain=7 version=9
1700000090000 1700000150000 47 10.0.0.4    0     10.0.0.5     0     7   7000   192.0.2.1
1700000100000 1700000180000 17 2001:db8::3 53    2001:db8::1  5353  6   900    192.0.2.1
EOF
"$GEN" -o "$T/hand.fsn" -i 1700000000000,1700000300000 "$T/hand.spec"
ok $? "flowfilegen wrote the hand-written file"
H=$T/hand.fsn

# Hand computation: 10 flows, 203 packets, 213816 bytes in total.
is "$("$FR" -R "$H" -s total -o csv)" "flows,packets,bytes
10,203,213816" "-s total, csv: hand-computed totals"
is "$("$FR" -R "$H" -s total | awk '$1 == "total" {print $2, $3, $4, $5, $6}')" \
    "10 203 213.8 k 100.0%" "-s total, text: human units in powers of 1000"
is "$("$FR" -R "$H" -s total -N | awk '$1 == "total" {print $2, $3, $4}')" "10 203 213816" \
    "-N: raw numbers"
# srcip by bytes: 2001:db8::1 150000, 10.0.0.1 5000+200+30000 = 35200, 10.0.0.2 20000+252.
is "$("$FR" -R "$H" -s srcip -n 3 -o csv)" "srcip,flows,packets,bytes
2001:db8::1,1,100,150000
10.0.0.1,3,62,35200
10.0.0.2,2,23,20252" "-s srcip -n 3: hand-computed top 3"
# ip: 10.0.0.1 is the source of 3 and the destination of 1 (the NTP flow).
is "$("$FR" -R "$H" -s ip/flows -n 1 -o csv)" "ip,flows,packets,bytes
10.0.0.1,4,66,35600" "-s ip/flows: either end counts"
# port/packets: 80 (100 packets, the IPv6 TCP flow); ICMP/GRE have no ports.
is "$("$FR" -R "$H" -s port/packets -n 2 -o csv)" "port,flows,packets,bytes
80,1,100,150000
50000,1,100,150000" "-s port/packets: ties by port number"
is "$("$FR" -R "$H" -s proto -o csv | head -2)" "proto,flows,packets,bytes
6,4,180,205000" "-s proto: TCP first"
is "$("$FR" -R "$H" -s exporter -o csv)" "exporter,domain,version,flows,packets,bytes
192.0.2.1,0,10,7,146,183164
192.0.2.2,7,9,3,57,30652" "-s exporter: address, domain and version"

# The same statistics from awk over the spec, for every key.
spec_stats() { # KEY SPEC [FILTER-AWK-CONDITION]
    awk -v key="$1" '
        function ports(p) { return p == 6 || p == 17 || p == 33 || p == 132 || p == 136 }
        function add(k) { f[k]++; p[k] += $8; b[k] += $9 }
        /^#/ || NF < 10 { next }
        {
            dom = 0; ver = 10
            for (i = 11; i <= NF; i++) {
                split($i, kv, "=")
                if (kv[1] == "domain") dom = kv[2]
                if (kv[1] == "version") ver = kv[2]
            }
        }
        key == "total" { add("total") }
        key == "srcip" { add($4) }
        key == "dstip" { add($6) }
        key == "ip" { add($4); if ($6 != $4) add($6) }
        key == "srcport" && ports($3) { add($5) }
        key == "dstport" && ports($3) { add($7) }
        key == "port" && ports($3) { add($5); if ($7 != $5) add($7) }
        key == "proto" { add($3) }
        key == "exporter" { add($10 "," dom "," ver) }
        END { for (k in f) printf "%s %d %.0f %.0f\n", k, f[k], p[k], b[k] }' "$2" | sort
}
report_stats() { # KEY FILE [ARGS...]: flowreport's CSV in the same form
    local key=$1 file=$2
    shift 2
    "$FR" -R "$file" -s "$key" -n 0 -o csv "$@" | awk -F, -v key="$key" '
        NR == 1 { next }
        key == "exporter" { print $1 "," $2 "," $3, $4, $5, $6; next }
        key == "total" { print "total", $1, $2, $3; next }
        { print $1, $2, $3, $4 }' | sort
}
for key in total srcip dstip ip srcport dstport port proto exporter; do
    is "$(report_stats $key "$H")" "$(spec_stats $key "$T/hand.spec")" \
        "hand file: -s $key equals awk over the spec"
done

# ---- Output formats ----
"$FR" -R "$H" -s dstip -o json >"$T/dstip.json"
python3 -m json.tool "$T/dstip.json" >/dev/null
ok $? "-s dstip -o json is valid JSON"
is "$(python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
print(len(rows), sum(r["flows"] for r in rows), sum(r["packets"] for r in rows),
      sum(r["bytes"] for r in rows), sorted(rows[0].keys()))' "$T/dstip.json")" \
    "8 10 203 213816 ['bytes', 'dstip', 'flows', 'packets']" "JSON: keys and sums"
"$FR" -R "$H" -s exporter -o json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert rows[0] == {"exporter": "192.0.2.1", "domain": 0, "version": 10, "flows": 7,
                   "packets": 146, "bytes": 183164}, rows[0]'
ok $? "JSON exporter rows: numbers are numbers, addresses strings"
"$FR" -R "$H" -o json >"$T/list.json"
python3 -m json.tool "$T/list.json" >/dev/null
ok $? "record listing -o json is valid JSON"
is "$(python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
r = [x for x in rows if x["srcip"] == "2001:db8::1"][0]
print(len(rows), r["start"], r["end"], r["duration"], r["proto"], r["srcport"], r["dstip"],
      r["dstport"], r["packets"], r["bytes"], r["tos"], r["vlan"], r["in_if"], r["out_if"],
      r["src_as"], r["dst_as"], r["nexthop"], r["src_mask"], r["dst_mask"], r["end_reason"],
      r["exporter"], r["domain"], r["version"], r["flows"])' "$T/list.json")" \
    "10 2023-11-14T22:14:20.000Z 2023-11-14T22:14:50.000Z 30.0 6 50000 2001:db8::2 80 100 150000 184 12 3 4 64500 64501 2001:db8::fe 64 48 3 192.0.2.1 0 10 1" \
    "JSON listing: every field of the IPv6 record"
"$FR" -R "$H" -o csv >"$T/list.csv"
is "$(head -1 "$T/list.csv" | tr , '\n' | grep -cxE 'flows|packets|bytes')" 3 \
    "CSV listing header has flows, packets and bytes"
is "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { n++; f += $c["flows"]; p += $c["packets"]; b += $c["bytes"] }
        END { print n, f, p, b }' "$T/list.csv")" "10 10 203 213816" "CSV listing: sums by column name"
is "$(awk -F, '$5 == "10.0.0.2" && $4 == 1 { print $1, $3, $8, $12 }' "$T/list.csv")" \
    "2023-11-14T22:14:10.000Z 20.000 2048 0" "CSV listing: the ICMP record"
"$FR" -R "$H" >"$T/list.txt"
ok "$(grep -c '10.0.0.1:40000 -> 192.0.2.10:443' "$T/list.txt" | grep -qx 1; echo $?)" \
    "text listing: src:port -> dst:port"
grep -q '10.0.0.3:8.0 ' "$T/list.txt"
ok $? "text listing: ICMP type.code on the destination"
grep '10.0.0.1:40000' "$T/list.txt" | grep -q '\.\.\.AP\.SF '
ok $? "text listing: TCP flags 27 (ACK PSH SYN FIN) shown as ...AP.SF"
is "$(tail -1 "$T/list.txt")" "Summary: 10 flows, 203 packets, 213.8 k bytes" "text listing summary"
"$FR" -R "$H" -s srcip -n 0 | sed '/^$/,$d' >"$T/table.txt"
is "$(awk '{ print length($0) }' "$T/table.txt" | sort -u | wc -l)" 1 \
    "text table: header and rows line up (equal widths)"
is "$(wc -l <"$T/table.txt")" 8 "text table: header and 7 rows"

# ---- Filters (expected: awk conditions over the spec) ----
check_filter() { # FILTER AWK-CONDITION
    local want got
    want=$(awk "/^#/ || NF < 10 { next }
        function ports(p) { return p == 6 || p == 17 || p == 33 || p == 132 || p == 136 }
        $2 { f++; p += \$8; b += \$9 } END { printf \"%d,%.0f,%.0f\n\", f, p, b }" "$SPEC")
    got=$("$FR" -R "$FILE" -s total -o csv "$1" | tail -1)
    is "$got" "$want" "filter '$1'"
}
SPEC=$T/hand.spec FILE=$H
check_filter 'host 10.0.0.1' '($4 == "10.0.0.1" || $6 == "10.0.0.1")'
check_filter 'src host 10.0.0.1' '$4 == "10.0.0.1"'
check_filter 'dst host 10.0.0.1' '$6 == "10.0.0.1"'
check_filter 'dst net 192.0.2.0/24' '$6 ~ /^192\.0\.2\./'
check_filter 'net 10.0.0.0/30' '($4 ~ /^10\.0\.0\.[0-3]$/ || $6 ~ /^10\.0\.0\.[0-3]$/)'
check_filter 'net 2001:db8::/32' '$4 ~ /^2001:db8:/'
check_filter 'host 2001:db8::1' '($4 == "2001:db8::1" || $6 == "2001:db8::1")'
check_filter 'src net 2001:db8::2/127' '($4 == "2001:db8::2" || $4 == "2001:db8::3")'
check_filter 'port 53' 'ports($3) && ($5 == 53 || $7 == 53)'
check_filter 'src port 53' 'ports($3) && $5 == 53'
check_filter 'dst port 5353 or dst port 53' 'ports($3) && ($7 == 5353 || $7 == 53)'
check_filter 'port 40000-40001' 'ports($3) && (($5 >= 40000 && $5 <= 40001) || ($7 >= 40000 && $7 <= 40001))'
check_filter 'tcp and not port 443' '$3 == 6 && $5 != 443 && $7 != 443'
check_filter 'proto udp or proto 47' '($3 == 17 || $3 == 47)'
check_filter 'proto icmp || proto ipv6-icmp' '($3 == 1 || $3 == 58)'
check_filter 'not (host 10.0.0.1 or host 10.0.0.2) and ip' \
    '!($4 == "10.0.0.1" || $6 == "10.0.0.1" || $4 == "10.0.0.2" || $6 == "10.0.0.2") && $4 !~ /:/'
check_filter 'ip6 && !tcp' '$4 ~ /:/ && $3 != 6'
check_filter 'udp or tcp and dst port 22' '($3 == 17 || ($3 == 6 && $7 == 22))'
check_filter '(udp or tcp) and dst port 22' '(($3 == 17 || $3 == 6) && $7 == 22)'
check_filter 'exporter 192.0.2.2' '$10 == "192.0.2.2"'
check_filter 'not exporter 192.0.2.0/31 and (tcp || icmp)' '$10 != "192.0.2.1" && ($3 == 6 || $3 == 1)'
is "$("$FR" -R "$H" -s total -o csv host 10.0.0.1 and port 40002 | tail -1)" "1,50,30000" \
    "filter given as several words"

# ---- Time windows (on record end times, [START, END)) ----
check_window() { # -t ARG START_MS END_MS [ENV...]
    local arg=$1 s=$2 e=$3 want got
    shift 3
    want=$(awk -v s="$s" -v e="$e" 'NF >= 10 && $2 >= s && $2 < e { f++; b += $9 }
        END { printf "%d %.0f\n", f, b }' "$T/hand.spec")
    got=$(env "$@" "$FR" -R "$H" -t "$arg" -s total -o csv | awk -F, 'NR == 2 { print $1, $3 }')
    is "$got" "$want" "-t '$arg' $*"
}
check_window 1700000020,1700000070 1700000020000 1700000070000
check_window '2023-11-14 22:13:40,2023-11-14 22:15:00' 1700000020000 1700000100000
check_window '2023-11-14T22:13:40Z,2023-11-14T22:15:00Z' 1700000020000 1700000100000
check_window '2023-11-15 07:13:40,2023-11-15 07:15' 1700000020000 1700000100000 TZ=JST-9
check_window '2023-11-14T22:13:40+00:00,+80s' 1700000020000 1700000100000 TZ=JST-9
check_window 1700000100 1700000100000 99999999999999
check_window ,1700000030 0 1700000030000
check_window 1700000020.5,1700000030 1700000020500 1700000030000
is "$("$FR" -R "$H" -t 1700000020,1700000070 -o csv | tail -n +2 | cut -d, -f2 | tr '\n' ' ')" \
    "2023-11-14T22:13:40.000Z 2023-11-14T22:13:50.000Z 2023-11-14T22:14:20.000Z " \
    "-t: the listing holds the records ending in the window"
# Relative times: records ending 30 minutes ago and 2 hours ago.
now=$(date +%s)
printf '%s %s 6 10.9.0.1 1 10.9.0.2 2 1 100 192.0.2.1\n%s %s 6 10.9.0.1 1 10.9.0.2 2 1 200 192.0.2.1\n' \
    $(((now - 1900) * 1000)) $(((now - 1800) * 1000)) $(((now - 7300) * 1000)) $(((now - 7200) * 1000)) \
    >"$T/rel.spec"
"$GEN" -o "$T/rel.fsn" "$T/rel.spec"
is "$("$FR" -R "$T/rel.fsn" -t -1h -s total -o csv | tail -1)" "1,1,100" "-t -1h"
is "$("$FR" -R "$T/rel.fsn" -t -3h,-1h -s total -o csv | tail -1)" "1,1,200" "-t -3h,-1h"

# ---- Random records: every key against awk over the generator's ground truth ----
"$GEN" -o "$T/rnd.fsn" -r 42 -n 20000 -H 300 -b 8192 >"$T/rnd.spec"
ok $? "flowfilegen wrote 20000 random records"
for key in total srcip dstip ip srcport dstport port proto exporter; do
    is "$(report_stats $key "$T/rnd.fsn" | md5sum)" "$(spec_stats $key "$T/rnd.spec" | md5sum)" \
        "random file: -s $key equals awk over the spec"
done
for order in bytes packets flows; do
    col=$(case $order in flows) echo 2 ;; packets) echo 3 ;; bytes) echo 4 ;; esac)
    "$FR" -R "$T/rnd.fsn" -s "srcip/$order" -n 0 -o csv >"$T/ord.csv"
    awk -F, -v c="$col" 'NR > 2 && $c + 0 > prev + 0 { bad++ } NR > 1 { prev = $c }
        END { exit bad > 0 }' "$T/ord.csv"
    ok $? "-s srcip/$order: descending $order"
    is "$("$FR" -R "$T/rnd.fsn" -s "srcip/$order" -n 5 -o csv)" "$(head -6 "$T/ord.csv")" \
        "-s srcip/$order -n 5: the first 5 of the full list"
done
is "$("$FR" -R "$T/rnd.fsn" -s dstip -o csv | wc -l)" 11 "-n defaults to 10 rows"
SPEC=$T/rnd.spec FILE=$T/rnd.fsn
check_filter 'net 10.0.0.0/24 and tcp' '($4 ~ /^10\.0\.0\./ || $6 ~ /^10\.0\.0\./) && $3 == 6'
check_filter 'ip6 and (dst port 443 or src port 443)' '$4 ~ /:/ && ports($3) && ($7 == 443 || $5 == 443)'
check_filter 'not icmp and not icmp6 and not proto gre' '$3 != 1 && $3 != 58 && $3 != 47'
check_filter 'port 2048 or port 771' 'ports($3) && ($5 == 2048 || $7 == 2048 || $5 == 771 || $7 == 771)'
check_filter 'exporter 192.0.2.3 and udp' '$10 == "192.0.2.3" && $3 == 17'
check_filter 'src net 10.0.1.0/24 || dst host 2001:db8::ff' \
    '$4 ~ /^10\.0\.1\./ || $6 == "2001:db8::ff"'

# ---- Directories ----
mkdir -p "$T/spool/2023/11"
printf '1700000000000 1700000001000 6 10.1.0.1 1 10.1.0.2 2 1 100 192.0.2.1\n' >"$T/a.spec"
printf '1700000300000 1700000301000 6 10.2.0.1 1 10.2.0.2 2 2 200 192.0.2.1\n' >"$T/b.spec"
printf '1700000600000 1700000601000 6 10.3.0.1 1 10.3.0.2 2 4 400 192.0.2.1\n' >"$T/c.spec"
# Names in reverse order of their intervals: the header decides the order.
"$GEN" -o "$T/spool/flows-c.fsn" -i 1700000000000,1700000300000 "$T/a.spec"
"$GEN" -o "$T/spool/2023/11/flows-b.fsn" -i 1700000300000,1700000600000 "$T/b.spec"
"$GEN" -o "$T/spool/flows-a.fsn" -i 1700000600000,1700000900000 "$T/c.spec"
"$GEN" -o "$T/spool/flows-d.fsn.tmp" -T "$T/c.spec"
"$GEN" -o "$T/spool/flows-e.fsn.tmp" -T "$T/c.spec"
echo "not a flow file" >"$T/spool/README"
"$FR" -R "$T/spool" -o csv >"$T/dir.csv" 2>"$T/dir.err"
ok $? "directory read"
is "$(tail -n +2 "$T/dir.csv" | cut -d, -f5 | tr '\n' ' ')" "10.1.0.1 10.2.0.1 10.3.0.1 " \
    "directory: files in interval order, subdirectories included"
is "$(grep -c 'temporary' "$T/dir.err")" 1 "temporary files mentioned once"
grep -q "skipped 2 temporary files still being written" "$T/dir.err"
ok $? "... with their count"
is "$("$FR" -R "$T/spool" -s total -o csv 2>/dev/null | tail -1)" "3,7,700" \
    "directory totals: complete files only"
is "$("$FR" -R "$T/spool" -t 1700000300,1700000600 -s total -o csv 2>/dev/null | tail -1)" \
    "1,2,200" "directory with a time window: files outside it skipped"
mkdir "$T/empty"
is "$("$FR" -R "$T/empty" -s srcip -o csv 2>"$T/empty.err")" "srcip,flows,packets,bytes" \
    "empty directory: an empty report"
grep -q "no flow files" "$T/empty.err"
ok $? "empty directory: said on stderr"
is "$("$FR" -R "$T/empty" -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin))')" \
    "[]" "empty JSON listing is []"
"$FR" -R "$T/nonexistent" >/dev/null 2>"$T/nx.err"
is "$?" 1 "missing -R path: exit 1"

# ---- Damaged files ----
"$GEN" -o "$T/dmg.fsn" -r 7 -n 3000 -b 1024 -B "$T/dmg.map" >"$T/dmg.spec"
nblocks=$(wc -l <"$T/dmg.map")
ok "$([ "$nblocks" -ge 10 ]; echo $?)" "damage test file has $nblocks blocks"
# Block k: "block K OFFSET LENGTH RECORDS FIRST_INDEX"
read -r _ k off len nrec first < <(sed -n '5p' "$T/dmg.map")
sum_lines() { # FROM TO (1-based, inclusive) of the spec: "flows,packets,bytes"
    awk -v a="$1" -v b="$2" 'NR >= a && NR <= b { f++; p += $8; s += $9 }
        END { printf "%d,%.0f,%.0f\n", f, p, s }' "$T/dmg.spec"
}
head -c $((off + len / 2)) "$T/dmg.fsn" >"$T/trunc.fsn"
is "$("$FR" -R "$T/trunc.fsn" -s total -o csv 2>"$T/trunc.err" | tail -1)" "$(sum_lines 1 "$first")" \
    "truncated in block $k: the $first records of the complete blocks read"
grep -q "ends in an incomplete block ($((len / 2)) bytes)" "$T/trunc.err"
ok $? "truncated file: warned"
cp "$T/dmg.fsn" "$T/flip.fsn"
at=$((off + len - 7))
byte=$(od -An -tu1 -j "$at" -N1 "$T/flip.fsn" | tr -d ' ')
printf "\\x$(printf %02x $((byte ^ 0x20)))" | dd of="$T/flip.fsn" bs=1 seek="$at" conv=notrunc status=none
want=$(awk -v a="$((first + 1))" -v b="$((first + nrec))" 'NR < a || NR > b { f++; p += $8; s += $9 }
    END { printf "%d,%.0f,%.0f\n", f, p, s }' "$T/dmg.spec")
is "$("$FR" -R "$T/flip.fsn" -s total -o csv 2>"$T/flip.err" | tail -1)" "$want" \
    "corrupt block $k skipped, all other blocks read"
grep -q "block at offset $off ($nrec records) failed its checksum, skipped" "$T/flip.err"
ok $? "corrupt block: warned with its offset"
"$FR" -R "$T/flip.fsn" -s srcip -o csv >/dev/null 2>&1
is "$?" 0 "a damaged block is a warning, not an error (exit 0)"
{ head -c "$off" "$T/dmg.fsn"; head -c 777 /dev/urandom; tail -c +$((off + 1)) "$T/dmg.fsn"; } >"$T/ins.fsn"
is "$("$FR" -R "$T/ins.fsn" -s total -o csv 2>"$T/ins.err" | tail -1)" "$(sum_lines 1 3000)" \
    "777 garbage bytes inserted: every record read"
grep -q "777 damaged bytes at offset $off skipped" "$T/ins.err"
ok $? "inserted garbage: warned with its size and offset"
"$GEN" -o "$T/crash.fsn" -r 7 -n 3000 -b 1024 -T >/dev/null
is "$("$FR" -R "$T/crash.fsn" -s total -o csv 2>"$T/crash.err" | tail -1)" "$(sum_lines 1 3000)" \
    "file without trailer (writer crashed after a block): every record read"
grep -q "no trailer" "$T/crash.err"
ok $? "file without trailer: warned"
head -c 1000 /dev/urandom >"$T/junk.fsn"
"$FR" -R "$T/junk.fsn" -s total >/dev/null 2>"$T/junk.err"
is "$?" 1 "not a flow file: exit 1"
grep -q "not a flow file" "$T/junk.err"
ok $? "not a flow file: said so"

# ---- Bad arguments: status 2 and a message, never a crash ----
bad_filter() { # FILTER MESSAGE
    local err rc
    err=$("$FR" -R "$H" "$1" 2>&1 >/dev/null)
    rc=$?
    is "$rc:$(echo "$err" | head -1)" "2:flowreport: filter: $2" "bad filter '$1'"
}
bad_filter 'host fooo' "expected address after 'host' at 'fooo'"
bad_filter 'port 80 and' "expected an expression after 'and' at end of filter"
bad_filter '(tcp or udp' "expected ')' at end of filter"
bad_filter 'proto 999' "expected protocol name or number (0-255) after 'proto' at '999'"
bad_filter 'net 10.0.0.1/8' "non-network bits set in '10.0.0.1/8'"
bad_filter 'tcp udp' "expected 'and', 'or' or end of filter at 'udp'"
bad_filter 'src 10.0.0.1' "expected 'host', 'net' or 'port' after 'src' at '10.0.0.1'"
is "$("$FR" -R "$H" 'host fooo' 2>&1 | sed -n '2,3p')" "flowreport:   host fooo
flowreport:        ^" "bad filter: the position is marked"
crashes=0
for expr in '((((' ')' '!' '&&' 'host' 'net ::/129' 'port -1' "$(printf 'host\t\x01\x02')" \
    "$(head -c 300 /dev/zero | tr '\0' '(')" "$(printf 'not %.0s' $(seq 100)) tcp"; do
    "$FR" -R "$H" -s total "$expr" >/dev/null 2>&1
    rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 2 ] && { crashes=$((crashes + 1)); diag "'$expr': status $rc"; }
done
is "$crashes" 0 "odd filters give 0 or 2, no crash"
for args in "-s nokey" "-s srcip/octets" "-o xml" "-n x" "-t yesterday" "-t 1700000070,1700000020"; do
    # shellcheck disable=SC2086
    "$FR" -R "$H" $args >/dev/null 2>"$T/arg.err"
    is "$?" 2 "bad argument '$args': status 2"
done
grep -q "empty time window" "$T/arg.err"
ok $? "reversed window: said so"
"$FR" >/dev/null 2>&1
is "$?" 2 "no -R: status 2"
"$FR" --help | grep -q "usage: flowreport -R DIR|FILE"
ok $? "--help"

done_testing
