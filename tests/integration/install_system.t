#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A real `make install` with the default PREFIX (/usr/local), as root, leaves a system on
# which `snmptranslate -m FLOWSNMP-MIB` and `snmpwalk -m FLOWSNMP-MIB` work with nothing
# but the system's own client configuration (Debian's /etc/snmp/snmp.conf: `mibs :`, no
# MIBDIRS, no ~/.snmp): FLOWSNMP-MIB and the base modules it imports are in net-snmp's
# MIB directory, each module once. It writes nothing but /usr/local and that directory.
#
# The install runs in a private mount namespace whose /usr is an overlay with its upper
# layer on a tmpfs: it writes the overlay, which vanishes with the namespace, so this
# machine's /usr never changes (nor when the test is killed), and the upper layer lists
# exactly what the install wrote. Needs root and overlayfs; skips without them.
# (Installs what is built, builds nothing: `make -o all`.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
[ -x "$BIN/flowagentx" ] || bail "$BIN/flowagentx missing: build first"
if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
    skip "needs root and mount namespaces" "a real make install"
    done_testing
fi
read -r -a SEARCH <<<"$(net-snmp-config --default-mibdirs | tr : '\n' | grep -v '/\.snmp/mibs$' | tr '\n' ' ')"
MIBD=${SEARCH[0]}
case $MIBD in /usr/*) ;; *) skip "net-snmp's MIB directory $MIBD is not under /usr" "a real make install"; done_testing ;; esac

# An agent outside the namespace, serving a state file with one known host.
cat >"$T/spec" <<'EOF'
create hosts=4 exporters=1 services=2 software="install-test" created=1790000000
header updated=1795000000
host 10.1.0.5 in_octets=1234 out_octets=5678 in_packets=3 out_packets=4 in_flows=5 out_flows=6 first_seen=1790000200 last_seen=1795000000
EOF
"$TOOLS/statewriter" -s "$T/spec" "$T/state" || bail "statewriter failed"
start_snmpd
start_agx "$T/state"
wait_oid 20 "$FLOWSNMP_ROOT.1.1.11.0" || { diag_file "$T/agx.log"; bail "flowagentx did not register"; }

# Inside: the overlay (or exit 97 before anything is installed), make install, then the
# clients with an environment that has no SNMP settings of the test's.
cat >"$T/inside.sh" <<'EOF'
set -eu
T=$1 ROOT=$2 O=$3 AGENT=$4
mkdir -p "$T/ov"
mount -t tmpfs fsn-install-test "$T/ov" || exit 97
mkdir "$T/ov/upper" "$T/ov/work"
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$T/ov/upper,workdir=$T/ov/work" /usr || exit 97
[ "$(findmnt -n -o FSTYPE /usr)" = overlay ] || exit 97
touch /usr/.fsn-probe && [ -e "$T/ov/upper/.fsn-probe" ] && rm /usr/.fsn-probe || exit 97
rc=0
make -s -C "$ROOT" -o all install O="$O" >"$T/real-install.out" 2>&1 || rc=$?
echo "$rc" >"$T/real-install.rc"
(cd "$T/ov/upper" && find . -type f | sed 's#^\.#/usr#' | LC_ALL=C sort) >"$T/real-files"
client() { env -i PATH="$PATH" HOME="$T/home" SNMP_PERSISTENT_DIR="$T/client-persist" "$@"; }
client snmptranslate -m FLOWSNMP-MIB -On FLOWSNMP-MIB::flowHostTable >"$T/translate.out" 2>"$T/translate.err" || true
client snmpwalk -v2c -c public -t 1 -r 5 -m FLOWSNMP-MIB "$AGENT" FLOWSNMP-MIB::flowHostInOctets \
    >"$T/walk.out" 2>"$T/walk.err" || true
client snmptranslate -Pw -m FLOWSNMP-MIB -On FLOWSNMP-MIB::flowHostTable >/dev/null 2>"$T/twice.err" || true
EOF
# What the install writes, as this machine has it outside the namespace (before and after).
host_usr() { stat -c '%n %s %Y' /usr/local/bin/flowmrtg /usr/local/sbin/flowagentx "$MIBD" "$MIBD"/*.txt 2>&1; }
before=$(host_usr)
timeout 300 unshare -m --propagation private bash "$T/inside.sh" "$T" "$FSN_ROOT" "$O" "$SNMP_AGENT"
rc=$?
if [ "$rc" = 97 ]; then
    skip "no overlayfs for /usr here" "a real make install"
    done_testing
fi
ok $rc "the namespace ran its steps"
is "$(cat "$T/real-install.rc" 2>/dev/null)" 0 "make install, default PREFIX, as root" ||
    diag_file "$T/real-install.out"
grep -qx "$MIBD/FLOWSNMP-MIB.txt" "$T/real-files"
ok $? "FLOWSNMP-MIB.txt went to $MIBD, net-snmp's MIB directory"
grep -qx '/usr/local/bin/flowmrtg' "$T/real-files" && grep -qx '/usr/local/sbin/flowagentx' "$T/real-files"
ok $? "the programs went to /usr/local"
outside=$(grep -v -e '^/usr/local/' -e "^$MIBD/[^/]*\.txt\$" "$T/real-files" | tr '\n' ' ')
is "$outside" "" "nothing written but /usr/local and the MIB modules"
is "$(cat "$T/translate.out")" ".$FLOWSNMP_ROOT.1.3" \
    "snmptranslate -m FLOWSNMP-MIB -On FLOWSNMP-MIB::flowHostTable, with the system's configuration"
is "$(grep -c 'Cannot find module' "$T/translate.err" "$T/walk.err" | awk -F: '{ n += $2 } END { print n }')" 0 \
    "no Cannot find module" || diag_file "$T/translate.err"
is "$(cat "$T/walk.out")" 'FLOWSNMP-MIB::flowHostInOctets.ipv4."10.1.0.5" = Counter64: 1234 octets' \
    "snmpwalk -m FLOWSNMP-MIB prints the host row by name" || diag_file "$T/walk.err"
is "$(grep -c '^Warning: Module .* was in ' "$T/twice.err")" 0 "net-snmp finds every module once (-Pw)"
is "$(host_usr)" "$before" "this machine's own /usr is as it was"
done_testing
