#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# conf/flowprobe.conf, the sample an operator starts from: flowprobe -n accepts it as it
# is and with every commented-out default switched on; it mentions every directive that
# `flowprobe --help-config` lists (so the sample follows the program), and a typo in it
# is refused with the file and line.
. "$(dirname "$0")/../lib/common.sh"
[ -x "$BIN/flowprobe" ] || bail "$BIN/flowprobe missing: build first"
S=$FSN_ROOT/conf/flowprobe.conf

out=$("$BIN/flowprobe" -n -c "$S" 2>&1)
ok $? "flowprobe -n accepts conf/flowprobe.conf" || diag "$out"
is "$out" "flowprobe: configuration OK" "... and says so"

# Every "#directive value" line switched on: the documented defaults are valid values.
sed 's/^#\([a-z]\)/\1/' "$S" >"$T/all.conf"
n_on=$(grep -c '^[a-z]' "$T/all.conf")
out=$("$BIN/flowprobe" -n -c "$T/all.conf" 2>&1)
ok $? "flowprobe -n accepts it with all $n_on directives switched on" || diag "$out"

# Every directive of --help-config is in the sample (set or commented out).
"$BIN/flowprobe" --help-config | awk '/^  [a-z]/ {print $1}' >"$T/directives"
missing=""
while read -r d; do
    grep -q "^#\?$d " "$S" || missing="$missing $d"
done <"$T/directives"
[ "$(wc -l <"$T/directives")" -ge 20 ]
ok $? "--help-config lists $(wc -l <"$T/directives") directives"
is "$missing" "" "the sample has every one of them"
# ... and nothing that is not one.
extra=""
for d in $(grep -o '^#\?[a-z][a-z-]* ' "$S" | tr -d '#' | sort -u); do
    grep -qx "$d" "$T/directives" || extra="$extra $d"
done
is "$extra" "" "the sample has no directive flowprobe does not know"

# The check can fail: a typo is refused, naming the file and line.
sed 's/^collector /colector /' "$S" >"$T/typo.conf"
line=$(grep -n '^colector ' "$T/typo.conf" | cut -d: -f1)
out=$("$BIN/flowprobe" -n -c "$T/typo.conf" 2>&1)
rc=$?
[ "$rc" = 1 ] || [ "$rc" = 2 ]
ok $? "a typo in the sample is refused (rc $rc)"
case $out in *"typo.conf:$line:"*) ok 0 "... at typo.conf:$line" ;; *) ok 1 "... at typo.conf:$line"; diag "$out" ;; esac
done_testing
