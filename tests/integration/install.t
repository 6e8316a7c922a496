#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `make install DESTDIR=... PREFIX=/usr` puts every built program, man page, the MIB, the
# conf/ samples, the systemd units and the sysusers file where the FHS and systemd look
# for them; the units run the collector and the subagent as two users of one group; every installed man page renders without a warning; net-snmp finds the MIB
# there; the units pass `systemd-analyze verify` (when systemd is installed); an edited
# config file survives a second install; PREFIX=/usr/local moves everything under it.
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

# The MIB, where net-snmp looks ($PREFIX/share/snmp/mibs), and net-snmp reads it there.
cmp -s "$FSN_ROOT/conf/FLOWSNMP-MIB.txt" "$R/usr/share/snmp/mibs/FLOWSNMP-MIB.txt"
ok $? "FLOWSNMP-MIB.txt in /usr/share/snmp/mibs"
if have_mibs; then
    got=$(snmptranslate -M "$R/usr/share/snmp/mibs:$FSN_MIBS" -m FLOWSNMP-MIB -On \
        FLOWSNMP-MIB::flowHostInOctets 2>"$T/snmptranslate.err")
    is "$got" ".$FLOWSNMP_ROOT.1.3.1.3" "snmptranslate finds the installed module"
else
    skip "IETF base MIBs not in $FSN_MIBS" "snmptranslate finds the installed module"
fi

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
    [ -f "$L/usr/local/share/snmp/mibs/FLOWSNMP-MIB.txt" ] && [ -f "$L/usr/local/etc/flowsnmp/flowprobe.conf" ]
ok $? "binaries, man pages, MIB and config under /usr/local"
grep -q '^ExecStart=/usr/local/sbin/flowprobe -d -c /usr/local/etc/flowsnmp/flowprobe.conf$' \
    "$L/usr/local/lib/systemd/system/flowprobe.service"
ok $? "the units start /usr/local/sbin/... with /usr/local/etc/flowsnmp/..."
is "$(find "$L" -path "$L/usr/local" -prune -o -type f -print | wc -l)" 0 "nothing outside /usr/local"
done_testing
