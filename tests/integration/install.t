#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `make install DESTDIR=... PREFIX=/usr` puts every built program, man page, the MIB, the
# conf/ samples, the systemd units and the sysusers file where the FHS and systemd look
# for them; the units run the collector and the subagent as two users of one group; every
# installed man page renders without a warning; FLOWSNMP-MIB and the base
# modules it imports go to net-snmp's own MIB directory (whatever PREFIX is), where a
# client finds them all with -m FLOWSNMP-MIB, and a system that has the base modules
# already gets no second copy; the units pass `systemd-analyze verify` (when systemd is installed); an edited
# config file survives a second install; PREFIX=/usr/local moves everything else under it.
# (Installs what is built, builds nothing: `make -o all`.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
need_cmd man
need_cmd groff
[ -x "$BIN/flowmrtg" ] || bail "$BIN/flowmrtg missing: build first"

R=$T/root
make -s -C "$FSN_ROOT" -o all install DESTDIR="$R" PREFIX=/usr O="$O" >"$T/install.out" 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr" || diag_file "$T/install.out"

# Programs: daemons in sbin, tools in bin, executable, and they run.
nprog=0 good=0
for p in "$BIN"/*; do
    n=$(basename "$p")
    case $n in flowprobe | flowcollectd | flowagentx) d=usr/sbin ;; *) d=usr/bin ;; esac
    nprog=$((nprog + 1))
    if [ -x "$R/$d/$n" ] && cmp -s "$p" "$R/$d/$n"; then good=$((good + 1)); else diag "missing: /$d/$n"; fi
done
[ "$nprog" -ge 4 ] && [ "$good" = "$nprog" ]
ok $? "all $nprog programs installed (daemons in /usr/sbin, tools in /usr/bin)"
is "$("$R/usr/bin/flowmrtg" --version)" "flowmrtg 0.1.0" "the installed flowmrtg runs"

# Man pages: each in its section's directory, rendering cleanly with man and groff.
npage=0 good=0
for m in "$FSN_ROOT"/man/*.[1-8]; do
    s=${m##*.}
    f=$R/usr/share/man/man$s/$(basename "$m")
    npage=$((npage + 1))
    if ! cmp -s "$m" "$f"; then diag "not installed: $f"; continue; fi
    w1=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$f" 2>&1 >/dev/null)
    w2=$(groff -ww -z -man "$f" 2>&1)
    if [ -z "$w1$w2" ]; then good=$((good + 1)); else diag "$f: $w1 $w2"; fi
done
[ "$npage" -ge 4 ] && [ "$good" = "$npage" ]
ok $? "all $npage man pages installed, and man -l / groff -ww render each without a warning"
miss=""
for p in "$BIN"/*; do
    n=$(basename "$p")
    ls "$R"/usr/share/man/man[18]/"$n".[18] >/dev/null 2>&1 || miss="$miss $n"
done
is "$miss" "" "every installed program has a man page"
# The check can fail: a page with a bad request is noticed.
printf '.TH X 1\n.SH NAME\nx \\- y\n.BOGUS z\n' >"$T/bad.1"
[ -n "$(groff -ww -z -man "$T/bad.1" 2>&1)" ]
ok $? "(a page with an unknown request does warn)"

# The MIB and the IETF base modules it imports (conf/mibs/), in net-snmp's own MIB
# directory: the first of `net-snmp-config --default-mibdirs` outside $HOME
# (/usr/share/snmp/mibs on Debian), whatever PREFIX is.
read -r -a SEARCH <<<"$(net-snmp-config --default-mibdirs | tr : '\n' | grep -v '/\.snmp/mibs$' | tr '\n' ' ')"
MIBD=${SEARCH[0]}
BASE=(conf/mibs/*.txt)
cd "$FSN_ROOT" || bail "no $FSN_ROOT"
missing=""
for f in conf/FLOWSNMP-MIB.txt "${BASE[@]}"; do
    cmp -s "$f" "$R$MIBD/${f##*/}" || missing="$missing ${f##*/}"
done
is "$missing" "" "FLOWSNMP-MIB.txt and the ${#BASE[@]} base modules in $MIBD"
cd "$T" || bail "no $T"

# A stock Debian's MIB directory: only what libsnmp-base installs there (NET-SNMP-MIB ...).
mkdir -p "$T/stock"
dpkg -L libsnmp-base | grep "^$MIBD/[^/]*\.txt$" | xargs -r cp -t "$T/stock"
[ -f "$T/stock/NET-SNMP-MIB.txt" ] || bail "libsnmp-base has no NET-SNMP-MIB.txt in $MIBD"
# mibload DIRS MODULES: a net-snmp client that searches exactly DIRS, as Debian's
# snmp.conf (mibs :) with -m MODULES, translating flowHostTable; -Pw warns of a module
# found twice. Prints the OID, then every complaint (-Pw's notes that it skipped the
# base modules' MACRO definitions, as it always does, are not complaints).
mibload() {
    MIBDIRS=$1 snmptranslate -Pw -m "$2" -On FLOWSNMP-MIB::flowHostTable 2>"$T/mibload.err"
    grep -v -e ' MACRO (lines [0-9.]* parsed and ignored)\.$' -e '^Created directory: ' "$T/mibload.err"
}
out=$(mibload "$R$MIBD:$T/stock" FLOWSNMP-MIB)
is "$out" ".$FLOWSNMP_ROOT.1.3" \
    "a client searching the installed directory (and libsnmp-base's files) loads -m FLOWSNMP-MIB: no Cannot find module, no module twice"
n=$(mibload "$T/stock" FLOWSNMP-MIB | grep -c 'Cannot find module')
ok $([ "$n" -gt 0 ]; echo $?) "(without the installed files it cannot: $n Cannot find module lines)"
n=$(mibload "$R$MIBD:$T/stock" +FLOWSNMP-MIB | grep -c 'Cannot find module')
ok $([ "$n" -gt 10 ]; echo $?) "(-m +FLOWSNMP-MIB adds net-snmp's default list: $n Cannot find module lines)"

# A system that has the modules already (snmp-mibs-downloader: files without .txt in
# $MIBD/ietf, one of net-snmp's directories) gets FLOWSNMP-MIB alone, so that net-snmp
# finds every module once; BASE_MIBS=yes would give two copies, which -Pw reports.
ietf=${SEARCH[${#SEARCH[@]} - 1]}
downloader() {  # downloader ROOT: the base modules as snmp-mibs-downloader lays them out
    mkdir -p "$1$ietf"
    for f in "$FSN_ROOT"/conf/mibs/*.txt; do cp "$f" "$1$ietf/$(basename "$f" .txt)"; done
}
R2=$T/root2
downloader "$R2"
make -s -C "$FSN_ROOT" -o all install DESTDIR="$R2" PREFIX=/usr O="$O" >"$T/install-dl.out" 2>&1
ok $? "make install on a system with the base modules" || diag_file "$T/install-dl.out"
is "$(ls "$R2$MIBD" | grep -v "^${ietf##*/}\$" | tr '\n' ' ')" "FLOWSNMP-MIB.txt " \
    "only FLOWSNMP-MIB.txt installed beside the system's modules"
grep -q "SNMPv2-SMI: the system has it ($R2$ietf/SNMPv2-SMI); not installed" "$T/install-dl.out"
ok $? "make install says why it left a module out"
is "$(mibload "$R2$MIBD:$R2$ietf:$T/stock" FLOWSNMP-MIB)" ".$FLOWSNMP_ROOT.1.3" \
    "there, -m FLOWSNMP-MIB loads with every module found once"
R3=$T/root3
downloader "$R3"
make -s -C "$FSN_ROOT" -o all install DESTDIR="$R3" PREFIX=/usr O="$O" BASE_MIBS=yes >/dev/null 2>&1
n=$(mibload "$R3$MIBD:$R3$ietf:$T/stock" FLOWSNMP-MIB | grep -c '^Warning: Module .* was in ')
is "$n" "${#BASE[@]}" "(BASE_MIBS=yes there: -Pw reports each base module twice)"
# The downloader installed after flowsnmp: a second make install removes our copies.
downloader "$R"
make -s -C "$FSN_ROOT" -o all install DESTDIR="$R" PREFIX=/usr O="$O" >"$T/install-after.out" 2>&1
left=$(cd "$FSN_ROOT/conf/mibs" && for f in *.txt; do [ ! -e "$R$MIBD/$f" ] || printf '%s ' "$f"; done)
is "$left" "" "after snmp-mibs-downloader, make install again removes its own copies of the base modules"
is "$(mibload "$R$MIBD:$R$ietf:$T/stock" FLOWSNMP-MIB)" ".$FLOWSNMP_ROOT.1.3" "and every module is found once"
rm -rf "$R$ietf"
R4=$T/root4
make -s -C "$FSN_ROOT" -o all install DESTDIR="$R4" PREFIX=/usr O="$O" BASE_MIBS=no >/dev/null 2>&1
is "$(ls "$R4$MIBD" | tr '\n' ' ')" "FLOWSNMP-MIB.txt " "BASE_MIBS=no installs FLOWSNMP-MIB.txt alone"
make -s -C "$FSN_ROOT" -o all install DESTDIR="$T/root5" PREFIX=/usr O="$O" BASE_MIBS=maybe >"$T/install-bad.out" 2>&1
ok $([ $? -ne 0 ] && grep -q "BASE_MIBS must be yes, no or auto, not 'maybe'" "$T/install-bad.out"; echo $?) \
    "BASE_MIBS=maybe is refused, saying what it takes"

# Samples: config files in /etc/flowsnmp, everything of conf/ under the doc examples.
for f in "$FSN_ROOT"/conf/*.conf; do
    n=$(basename "$f")
    cmp -s "$f" "$R/etc/flowsnmp/$n" && cmp -s "$f" "$R/usr/share/doc/flowsnmp/examples/$n"
    ok $? "$n in /etc/flowsnmp and the doc examples"
done
for f in "$FSN_ROOT"/conf/*.snippet; do
    cmp -s "$f" "$R/usr/share/doc/flowsnmp/examples/$(basename "$f")"
    ok $? "$(basename "$f") in the doc examples"
done

# systemd: units in /usr/lib/systemd/system, the user in /usr/lib/sysusers.d.
for u in flowprobe flowcollectd flowagentx; do
    f=$R/usr/lib/systemd/system/$u.service
    [ -f "$f" ] && grep -q "^ExecStart=/usr/sbin/$u " "$f"
    ok $? "$u.service installed, starting /usr/sbin/$u"
done
cmp -s "$FSN_ROOT/conf/flowsnmp.sysusers" "$R/usr/lib/sysusers.d/flowsnmp.conf"
ok $? "sysusers.d/flowsnmp.conf installed"
# Two users sharing a group: the collector writes the state file, the subagent only
# reads it through the group (users_split.t checks what the group may do).
unit_key() { sed -n "s/^$2=//p" "$R/usr/lib/systemd/system/$1.service"; }
is "$(unit_key flowcollectd User):$(unit_key flowcollectd Group)" "flowsnmp:flowsnmp" \
    "flowcollectd.service runs as flowsnmp:flowsnmp"
is "$(unit_key flowagentx User):$(unit_key flowagentx Group)" "flowagentx:flowsnmp" \
    "flowagentx.service runs as flowagentx:flowsnmp: another user, the same group"
is "$(unit_key flowcollectd UMask)" 0027 "flowcollectd.service: UMask 0027 (files 0640, directories 0750)"
if command -v systemd-sysusers >/dev/null 2>&1; then
    mkdir -p "$T/sysroot/etc"
    systemd-sysusers --root="$T/sysroot" "$R/usr/lib/sysusers.d/flowsnmp.conf" >"$T/sysusers.out" 2>&1
    ok $? "systemd-sysusers reads it" || diag_file "$T/sysusers.out"
    gid=$(awk -F: '$1 == "flowsnmp" { print $3 }' "$T/sysroot/etc/group")
    c=$(awk -F: '$1 == "flowsnmp" { print $3 ":" $4 ":" $5 ":" $6 }' "$T/sysroot/etc/passwd")
    a=$(awk -F: '$1 == "flowagentx" { print $3 ":" $4 ":" $5 }' "$T/sysroot/etc/passwd")
    ok "$([ -n "$gid" ]; echo $?)" "... and creates the group flowsnmp ($gid)"
    is "${c#*:}" "$gid:flowsnmp collector (flowcollectd):/var/lib/flowsnmp" \
        "... the user flowsnmp, in it, at home in /var/lib/flowsnmp"
    is "${a#*:}" "$gid:flowsnmp AgentX subagent (flowagentx)" "... and the user flowagentx, in it too"
    ok "$([ -n "${c%%:*}" ] && [ "${c%%:*}" != "${a%%:*}" ]; echo $?)" \
        "... with uids of their own (${c%%:*}, ${a%%:*})"
    systemd-sysusers --root="$T/sysroot" "$R/usr/lib/sysusers.d/flowsnmp.conf" >"$T/sysusers2.out" 2>&1
    is "$?:$(grep -c '^flowsnmp:\|^flowagentx:' "$T/sysroot/etc/passwd")" "0:2" "run again: the same two users"
    # A system set up by the one-user file of before gets the second user in the existing group.
    mkdir -p "$T/oldroot/etc"
    echo 'u flowsnmp - "flowsnmp collector and subagent" /var/lib/flowsnmp' >"$T/old-sysusers.conf"
    systemd-sysusers --root="$T/oldroot" "$T/old-sysusers.conf" >"$T/sysusers3.out" 2>&1
    systemd-sysusers --root="$T/oldroot" "$R/usr/lib/sysusers.d/flowsnmp.conf" >>"$T/sysusers3.out" 2>&1
    ogid=$(awk -F: '$1 == "flowsnmp" { print $3 }' "$T/oldroot/etc/group")
    is "$(awk -F: '$1 == "flowagentx" { print $4 }' "$T/oldroot/etc/passwd")" "$ogid" \
        "an older system (one user flowsnmp): flowagentx is added to its group" || diag_file "$T/sysusers3.out"
else
    skip "systemd-sysusers not installed" "systemd-sysusers creates the users"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
    # verify checks that ExecStart's program exists: point it at the installed ones.
    mkdir -p "$T/units"
    for u in flowprobe flowcollectd flowagentx; do
        if [ ! -x "$R/usr/sbin/$u" ]; then
            skip "$u is not built in this tree yet" "systemd-analyze verify $u.service"
            continue
        fi
        sed "s#=/usr/sbin/#=$R/usr/sbin/#" "$R/usr/lib/systemd/system/$u.service" >"$T/units/$u.service"
        out=$(systemd-analyze verify --man=no "$T/units/$u.service" 2>&1)
        is "$out" "" "systemd-analyze verify $u.service: no complaint"
    done
    # The check can fail: an unknown setting is reported.
    { cat "$T/units/flowagentx.service"; echo 'ProtectSystm=strict'; } >"$T/units/bad.service"
    systemd-analyze verify --man=no "$T/units/bad.service" 2>&1 | grep -q 'Unknown key'
    ok $? "(systemd-analyze verify does report an unknown key)"
else
    skip "systemd not installed here" "systemd-analyze verify of the units"
fi

# A second install keeps an edited config file.
echo '# edited by the operator' >>"$R/etc/flowsnmp/flowprobe.conf"
make -s -C "$FSN_ROOT" -o all install DESTDIR="$R" PREFIX=/usr O="$O" >"$T/install2.out" 2>&1
ok $? "second make install" || diag_file "$T/install2.out"
grep -q '^# edited by the operator$' "$R/etc/flowsnmp/flowprobe.conf"
ok $? "it kept the edited /etc/flowsnmp/flowprobe.conf"

# PREFIX=/usr/local: everything under it, the units pointing there.
L=$T/local
make -s -C "$FSN_ROOT" -o all install DESTDIR="$L" PREFIX=/usr/local O="$O" >"$T/install3.out" 2>&1
ok $? "make install PREFIX=/usr/local" || diag_file "$T/install3.out"
[ -x "$L/usr/local/bin/flowmrtg" ] && [ -f "$L/usr/local/share/man/man1/flowmrtg.1" ] &&
    [ -f "$L/usr/local/etc/flowsnmp/flowprobe.conf" ] && [ -f "$L$MIBD/FLOWSNMP-MIB.txt" ]
ok $? "binaries, man pages and config under /usr/local; the MIB in $MIBD, where net-snmp looks"
grep -q '^ExecStart=/usr/local/sbin/flowprobe -d -c /usr/local/etc/flowsnmp/flowprobe.conf$' \
    "$L/usr/local/lib/systemd/system/flowprobe.service"
ok $? "the units start /usr/local/sbin/... with /usr/local/etc/flowsnmp/..."
is "$(find "$L" -path "$L/usr/local" -prune -o -path "$L$MIBD" -prune -o -type f -print | wc -l)" 0 \
    "nothing outside /usr/local but the MIB modules"
done_testing
