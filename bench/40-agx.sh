#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Subagent benchmark, through a private snmpd and flowagentx over a 10,000-host state
# file (statewriter's synthetic hosts):
#   - snmpget latency (median, p99) from one long-lived SNMPv2c client (Perl
#     SNMP_Session, as MRTG uses), for a FLOWSNMP-MIB counter and, as the reference,
#     for snmpd's own sysUpTime.0;
#   - snmpbulkwalk (defaults: -Cr10) of the six counter columns of the 10,000-row host
#     table, of the whole table, and with -Cr50; the reference is snmpd walking its own
#     mib-2 tree, as time per varbind.
# Goals (issue 5): 10,000 rows x 6 counters in under 5 s, a get under 2 ms.
set -u
. "$FSN_ROOT/tests/lib/common.sh"
. "$FSN_ROOT/tests/lib/snmp.sh"
R=$FLOWSNMP_ROOT
ROWS=${BENCH_AGX_ROWS:-10000}
RUNS=${BENCH_AGX_RUNS:-3}

"$TOOLS/statewriter" -e "create hosts=$((ROWS + 1))" -e "synth $ROWS base=10.0.0.1" \
    -e 'host other in_octets=1' "$T/state" || exit 1
start_snmpd
start_agx "$T/state"
wait_oid 20 "$R.1.3.1.3.1.4.10.0.0.1" || { echo "subagent did not come up"; exit 1; }

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# walk NAME ARGS...: RUNS timed walks; prints the median time and the varbind count.
walk() {
    local name=$1 i t0 n secs
    shift
    for i in $(seq 1 "$RUNS"); do
        t0=$(date +%s.%N)
        n=$("$@" 2>/dev/null | wc -l)
        echo "$(date +%s.%N) - $t0" | bc -l >>"$T/$name.times"
    done
    secs=$(median <"$T/$name.times")
    printf '  %-44s %6d varbinds  %6.2f s  %6.1f us/varbind\n' "$name" "$n" "$secs" \
        "$(echo "$secs * 1000000 / $n" | bc -l)"
}

# cpu PID: CPU time used so far, in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)

echo "snmpbulkwalk through snmpd ($RUNS runs each, median):"
walk "flowHostTable, 6 counter columns (-Cr10)" bash -c "for c in 3 4 5 6 7 8; do snmpbulkwalk -v2c -c public -On -Oq $SNMP_AGENT $R.1.3.1.\$c; done"
walk "flowHostTable, all 8 columns (-Cr10)" snmpbulkwalk -v2c -c public -On -Oq "$SNMP_AGENT" "$R.1.3"
walk "flowHostTable, all 8 columns (-Cr50)" snmpbulkwalk -v2c -c public -Cr50 -On -Oq "$SNMP_AGENT" "$R.1.3"
# The way snmptable and table-aware NMSs ask: the six counter columns together
# in each GETBULK, so that snmpd sends the subagent one request per row
# rather than one per value.
rowwalk() {
    python3 - "$SNMP_AGENT" "$R" <<'PY'
import subprocess, sys
agent, root = sys.argv[1], sys.argv[2]
cols = [root + ".1.3.1.%d" % c for c in range(3, 9)]
cur, n = cols[:], 0
while True:
    out = subprocess.run(["snmpbulkget", "-v2c", "-c", "public", "-On", "-Cr25", agent] + cur,
                         capture_output=True, text=True).stdout.split("\n")
    lines = [l for l in out if " = " in l]
    # GETBULK answers repetition by repetition, the six columns in order.
    inside = [l for i, l in enumerate(lines) if l.startswith("." + cols[i % 6] + ".")]
    n += len(inside)
    if not inside or len(inside) < len(lines):
        break
    cur = [l.split(" = ")[0].lstrip(".") for l in lines[-6:]]
for _ in range(n):
    print()
PY
}
walk "flowHostTable, 6 counter columns per request" rowwalk
walk "reference: snmpd's own mib-2 (-Cr10)" snmpbulkwalk -v2c -c public -On -Oq "$SNMP_AGENT" 1.3.6.1.2.1

# CPU per varbind of one whole-table walk: the part of the wall time that is work rather
# than waiting (the machine's load changes the wall times, not these).
a0=$(cpu "$AGX_PID") s0=$(cpu "$SNMPD_PID")
n=$(snmpbulkwalk -v2c -c public -On -Oq "$SNMP_AGENT" "$R.1.3" | wc -l)
a1=$(cpu "$AGX_PID") s1=$(cpu "$SNMPD_PID")
printf '  CPU per varbind of a whole-table walk: flowagentx %.1f us, snmpd %.1f us\n' \
    "$(echo "($a1 - $a0) * 1000000 / $TCK / $n" | bc -l)" \
    "$(echo "($s1 - $s0) * 1000000 / $TCK / $n" | bc -l)"

cat >"$T/lat.pl" <<'EOF'
use strict; use warnings;
use SNMP_Session; use BER; use Time::HiRes qw(time);
my ($agent, $n, @oids) = @ARGV;
my ($host, $port) = split /:/, $agent;
my $s = SNMPv2c_Session->open($host, 'public', $port) or die "open";
$s->set_timeout(1); $s->set_retries(5);
for my $oid (@oids) {
    my @t;
    my $enc = encode_oid(split /\./, $oid);
    for (1 .. $n) {
        my $t0 = time;
        $s->get_request_response($enc) or die "get $oid failed";
        push @t, (time - $t0) * 1000;
    }
    @t = sort { $a <=> $b } @t;
    printf "  %-60s median %.3f ms  p99 %.3f ms\n", $oid, $t[int($n / 2)], $t[int($n * 0.99)];
}
EOF
echo "snmpget latency (2000 gets each, one client session):"
perl "$T/lat.pl" "$SNMP_AGENT" 2000 1.3.6.1.2.1.1.3.0 "$R.1.1.5.0" "$R.1.3.1.3.1.4.10.0.39.16"
