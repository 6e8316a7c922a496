#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `make install`'s MIB step: puts FLOWSNMP-MIB and the IETF base modules it
# imports (conf/mibs/) where net-snmp looks for MIB modules, so that
# `snmpwalk -m FLOWSNMP-MIB` works on a stock Debian, which ships none of them.
#
#   install-mibs.sh MODE DESTDIR MIBDIR SEARCHPATH MIB... -- BASE...
#
# MIB... (FLOWSNMP-MIB.txt) always go to DESTDIR/MIBDIR. Each BASE module goes
# there too, with MODE:
#   yes   always;
#   no    never (a distribution that packages the modules itself);
#   auto  unless a module of the same name is already in one of the
#         directories of SEARCHPATH (colon-separated, net-snmp's own MIB
#         directories, looked up under DESTDIR), in a file other than our own
#         copy: net-snmp would then find two, and the system's (e.g. those of
#         snmp-mibs-downloader, in /usr/share/snmp/mibs/ietf) is kept alone.
#         A copy of ours installed earlier, before the system had its own, is
#         removed then (only when it is byte for byte ours).
# A module's name is what net-snmp indexes a file by: its first word, when the
# second is DEFINITIONS.
set -eu

[ $# -ge 5 ] || { echo "usage: $0 MODE DESTDIR MIBDIR SEARCHPATH MIB... -- BASE..." >&2; exit 2; }
mode=$1 destdir=$2 mibdir=$3 searchpath=$4
shift 4
case $mode in yes | no | auto) ;; *) echo "$0: BASE_MIBS must be yes, no or auto, not '$mode'" >&2; exit 2 ;; esac
dest=$destdir$mibdir
install -d "$dest"
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    install -m 644 "$1" "$dest/"
    shift
done
[ $# -gt 0 ] && shift

# Prints "MODULE FILE" for every MIB module file in the search path.
modules() {
    old_ifs=$IFS
    IFS=:
    for d in $searchpath; do
        IFS=$old_ifs
        for f in "$destdir$d"/*; do
            [ -f "$f" ] || continue
            case ${f##*/} in .* | *~) continue ;; esac
            printf '%s\n' "$f"
        done
    done | tr '\n' '\0' | xargs -0 -r awk '
        FNR == 1 { n = 0 }
        { sub(/--.*/, "")
          for (i = 1; i <= NF; i++) {
              w[++n] = $i
              if (n == 2) { if (w[2] == "DEFINITIONS") print w[1], FILENAME; nextfile }
          } }'
    IFS=$old_ifs
}

have=$(modules)
for f in "$@"; do
    name=$(awk '{ sub(/--.*/, "") } NF { print $1; exit }' "$f")
    ours=$dest/${f##*/}
    other=$(printf '%s\n' "$have" | awk -v m="$name" -v ours="$ours" \
        '$1 == m && $2 != ours { print $2; exit }')
    if [ "$mode" = no ]; then
        continue
    elif [ "$mode" = auto ] && [ -n "$other" ]; then
        if [ -f "$ours" ] && cmp -s "$f" "$ours"; then
            rm -f "$ours"
            echo "install-mibs: $name: the system has it ($other); removed our copy $ours"
        else
            echo "install-mibs: $name: the system has it ($other); not installed"
        fi
    else
        install -m 644 "$f" "$dest/"
    fi
done
