# SPDX-License-Identifier: BSD-2-Clause
# flowsnmp: one non-recursive GNU Makefile.
#
#   make            build everything that has sources
#   make test       install missing packages, build, run every test
#   make demo       install missing packages, build, run the demo pipeline
#   make bench      benchmarks against the peers
#   make install    PREFIX=/usr/local DESTDIR= (MIB modules: SNMP_MIBDIR, BASE_MIBS below)
#   make SANITIZE=1 test   the same tests under ASan + UBSan (objects in build-san/)
#   make fuzz       libFuzzer builds of the fuzz targets (clang)

SHELL      := /bin/bash
.DEFAULT_GOAL := all
CC         ?= cc
PREFIX     ?= /usr/local
DESTDIR    ?=
SANITIZE   ?=
VERSION    := 0.1.0

ifeq ($(SANITIZE),1)
O          ?= build-san
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O          ?= build
SAN_FLAGS  :=
endif

OPT        ?= -O2
WARN       := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -Wformat=2 -Wvla -Werror
CFLAGS     ?= $(OPT) -g
# -pthread: flowprobe and flowcollectd run two threads (glibc 2.34 and later need nothing more).
ALL_CFLAGS  = -std=c11 -D_DEFAULT_SOURCE -DFSN_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) \
              $(SAN_FLAGS) -pthread -I. -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS) -pthread

# External libraries, each linked only where it is needed (evaluated lazily, so that
# `make test` can install the -dev packages before anything asks pkg-config).
PCAP_CFLAGS = $(shell pkg-config --cflags libpcap 2>/dev/null)
PCAP_LIBS   = $(shell pkg-config --libs libpcap 2>/dev/null || echo -lpcap)
RRD_CFLAGS  = $(shell pkg-config --cflags librrd 2>/dev/null)
RRD_LIBS    = $(shell pkg-config --libs librrd 2>/dev/null || echo -lrrd)
SNMP_LIBS   = $(shell pkg-config --libs netsnmp-agent 2>/dev/null || echo -lnetsnmpagent -lnetsnmp)
SNMPC_LIBS  = $(shell pkg-config --libs netsnmp 2>/dev/null || echo -lnetsnmp)

# lib/: pure library, with -Wconversion on top.
LIB_SRC    := $(wildcard lib/*.c)
LIB_OBJ    := $(LIB_SRC:%.c=$(O)/%.o)
LIBFSN     := $(O)/libflowsnmp.a
$(LIB_OBJ): EXTRA_CFLAGS = -Wconversion

# common/: OS glue shared by the programs (logging, sockets, daemon helpers).
COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(O)/%.o)
LIBCOMMON  := $(O)/libcommon.a

# Programs: a main file named after the program, plus every other .c file of its folder.
# A program whose main file does not exist yet is simply not built.
prog_main   = $(wildcard $(1)/$(2).c)
folder_mods = $(filter-out $(addprefix $(1)/,$(addsuffix .c,$(2))),$(wildcard $(1)/*.c))

PROBE_MODS := $(call folder_mods,probe,flowprobe)
COLL_MODS  := $(call folder_mods,collector,flowcollectd flowreport)
# flowreport links only its own modules: the daemon's (coll_*.c) need libpcap and rrd/. For
# the hosts x services matrix it also reads the collector's config (coll_conf.c) and matches
# services as the aggregator does (agg_conf.c, agg_svc.c); none of these needs a library.
REPORT_MODS := $(wildcard collector/report_*.c) collector/coll_conf.c rrd/agg_conf.c rrd/agg_svc.c
RRD_MODS   := $(call folder_mods,rrd,flowgraph)
AGX_MODS   := $(call folder_mods,subagent,flowagentx)
MRTG_MODS  := $(call folder_mods,mrtg,flowmrtg)

$(O)/bin/flowprobe:    $(call prog_main,probe,flowprobe) $(PROBE_MODS)
$(O)/bin/flowcollectd: $(call prog_main,collector,flowcollectd) $(COLL_MODS) $(RRD_MODS)
$(O)/bin/flowreport:   $(call prog_main,collector,flowreport) $(REPORT_MODS)
$(O)/bin/flowgraph:    $(call prog_main,rrd,flowgraph) $(RRD_MODS)
$(O)/bin/flowagentx:   $(call prog_main,subagent,flowagentx) $(AGX_MODS)
$(O)/bin/flowmrtg:     $(call prog_main,mrtg,flowmrtg) $(MRTG_MODS)

$(O)/bin/flowprobe:    PROG_LIBS = $(PCAP_LIBS)
$(O)/bin/flowcollectd: PROG_LIBS = $(PCAP_LIBS) $(RRD_LIBS) -lm
$(O)/bin/flowreport:   PROG_LIBS = -lm
$(O)/bin/flowgraph:    PROG_LIBS = $(RRD_LIBS) -lm
$(O)/bin/flowagentx:   PROG_LIBS = $(SNMP_LIBS)
$(O)/bin/flowmrtg:     PROG_LIBS = $(SNMPC_LIBS)

ALL_PROGS  := $(foreach p,probe/flowprobe collector/flowcollectd collector/flowreport \
                rrd/flowgraph subagent/flowagentx mrtg/flowmrtg, \
                $(if $(wildcard $(p).c),$(O)/bin/$(notdir $(p))))

# Tools used by tests and benchmarks (not installed): tests/gen/NAME.c -> $(O)/tools/NAME,
# linked with libpcap only when the tool's name says so (none needs it today).
TOOL_SRC   := $(wildcard tests/gen/*.c) $(wildcard bench/*.c)
TOOLS      := $(addprefix $(O)/tools/,$(notdir $(TOOL_SRC:.c=)))

# Unit tests (tests/unit/test_*.c, TAP) and fuzz targets (tests/fuzz/fuzz_*.c), the latter
# built with a replay driver that runs the target over its corpus.
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/unit/%)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(O)/tests/fuzz/%)
MANPAGES   := $(wildcard man/*.[1-8])

.PHONY: all test check demo bench install clean fuzz deps
.SECONDARY:
all: $(ALL_PROGS) $(TOOLS)

deps:
	@./scripts/deps.sh

# `make test` = packages, build, every test (a fresh sub-make so pkg-config sees the
# packages that deps just installed).
test: deps
	@$(MAKE) --no-print-directory check

check: all $(UNIT_BIN) $(FUZZ_BIN)
	@O=$(O) ./tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@O=$(O) ./scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all OPT=-O3
	@O=$(O) ./bench/run.sh

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS) -c -o $@ $<

$(O)/probe/%.o $(O)/tests/unit/test_probe%.o: EXTRA_CFLAGS = $(PCAP_CFLAGS)
$(O)/rrd/%.o: EXTRA_CFLAGS = $(RRD_CFLAGS)
$(O)/collector/coll_%.o: EXTRA_CFLAGS = $(PCAP_CFLAGS)

$(LIBFSN): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBCOMMON): $(COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# Program link rule: objects of the prerequisites that are .c files, then our two libraries.
$(ALL_PROGS): $(LIBCOMMON) $(LIBFSN)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(patsubst %.c,$(O)/%.o,$(filter %.c,$^)) \
	    $(LIBCOMMON) $(LIBFSN) $(PROG_LIBS)

# Programs depend on the objects of their sources.
$(O)/bin/%: | $(O)/bin
$(O)/bin:
	@mkdir -p $@
.SECONDEXPANSION:
$(ALL_PROGS): $$(patsubst %.c,$(O)/%.o,$$(filter %.c,$$^))

# Tools named agg* (tests/gen/agg*.c, bench/agg*.c) drive the aggregator: they also link rrd/.
tool_objs  = $(if $(filter agg%,$(1)),$(RRD_MODS:%.c=$(O)/%.o))
tool_libs  = $(if $(filter agg%,$(1)),$(RRD_LIBS))
$(O)/tools/%: tests/gen/%.c $(LIBCOMMON) $(LIBFSN) $$(call tool_objs,$$*)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(call tool_objs,$*) $(LIBCOMMON) $(LIBFSN) \
	    $(call tool_libs,$*) -lm

$(O)/tools/%: bench/%.c $(LIBCOMMON) $(LIBFSN) $$(call tool_objs,$$*)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(call tool_objs,$*) $(LIBCOMMON) $(LIBFSN) \
	    $(PCAP_LIBS) $(call tool_libs,$*) -lm

# A unit test links lib/ and common/, plus the modules of the program it names:
# test_probe_*.c links probe/ modules, test_coll_*.c collector/, test_agg_*.c rrd/,
# test_mrtg_*.c mrtg/.
unit_extra = $(if $(filter test_probe%,$(1)),$(PROBE_MODS:%.c=$(O)/%.o) $(PCAP_LIBS)) \
             $(if $(filter test_coll%,$(1)),$(COLL_MODS:%.c=$(O)/%.o) $(RRD_MODS:%.c=$(O)/%.o) \
                 $(PCAP_LIBS) $(RRD_LIBS)) \
             $(if $(filter test_agg%,$(1)),$(RRD_MODS:%.c=$(O)/%.o) $(RRD_LIBS)) \
             $(if $(filter test_mrtg%,$(1)),$(MRTG_MODS:%.c=$(O)/%.o) $(SNMPC_LIBS))
# (The object filter lives in a variable: a '%' written in a pattern rule's prerequisites is
# replaced by the stem before the secondary expansion.)
unit_objs  = $(filter %.o,$(call unit_extra,$(1)))
$(O)/tests/unit/%: $(O)/tests/unit/%.o $(LIBCOMMON) $(LIBFSN) $$(call unit_objs,$$*)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(call unit_extra,$*) $(LIBCOMMON) $(LIBFSN) -lm

$(O)/tests/fuzz/%: $(O)/tests/fuzz/%.o $(O)/tests/fuzz/replay.o $(LIBCOMMON) $(LIBFSN)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

# libFuzzer builds (clang only): make fuzz; then e.g. build-fuzz/fuzz_pkt tests/fuzz/corpus/pkt
fuzz:
	@$(MAKE) --no-print-directory O=build-fuzz CC=clang \
	    SAN_FLAGS='-fsanitize=fuzzer-no-link,address,undefined' build-fuzz/libflowsnmp.a
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	    clang -std=c11 -D_DEFAULT_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
	        -o build-fuzz/$$n $$f build-fuzz/libflowsnmp.a || exit 1; echo "built build-fuzz/$$n"; done

BINDIR   = $(DESTDIR)$(PREFIX)/bin
SBINDIR  = $(DESTDIR)$(PREFIX)/sbin
MANDIR   = $(DESTDIR)$(PREFIX)/share/man
# MIB modules go where net-snmp looks for them, whatever PREFIX is: the first of its
# default MIB directories outside $HOME (Debian: /usr/share/snmp/mibs; it does not look in
# /usr/local/share/snmp/mibs). BASE_MIBS: the IETF modules that FLOWSNMP-MIB imports
# (conf/mibs/, which Debian does not ship) go there too: auto = unless one of net-snmp's
# directories already has them (snmp-mibs-downloader's), yes, or no (a distribution that
# packages them itself). See scripts/install-mibs.sh and docs/mib.md.
SNMP_MIBDIRS ?= $(shell net-snmp-config --default-mibdirs 2>/dev/null)
SNMP_MIBSEARCH = $(filter-out %/.snmp/mibs,$(subst :, ,$(SNMP_MIBDIRS)))
SNMP_MIBDIR  ?= $(or $(firstword $(SNMP_MIBSEARCH)),/usr/share/snmp/mibs)
BASE_MIBS    ?= auto
empty        :=
space        := $(empty) $(empty)
DOCDIR   = $(DESTDIR)$(PREFIX)/share/doc/flowsnmp
UNITDIR  = $(DESTDIR)$(PREFIX)/lib/systemd/system
SYSUSERSDIR = $(DESTDIR)$(PREFIX)/lib/sysusers.d
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= $(DESTDIR)/etc/flowsnmp
else
SYSCONFDIR ?= $(DESTDIR)$(PREFIX)/etc/flowsnmp
endif

install: all
	install -d $(BINDIR) $(SBINDIR) $(SYSCONFDIR) $(DOCDIR)/examples
	for p in $(ALL_PROGS); do n=$$(basename $$p); case $$n in \
	    flowprobe|flowcollectd|flowagentx) install -m 755 $$p $(SBINDIR)/$$n ;; \
	    *) install -m 755 $$p $(BINDIR)/$$n ;; esac; done
	for m in $(MANPAGES); do s=$${m##*.}; install -d $(MANDIR)/man$$s; \
	    install -m 644 $$m $(MANDIR)/man$$s/; done
	for f in $(wildcard conf/*.conf conf/*.service conf/*.snippet); do \
	    install -m 644 $$f $(DOCDIR)/examples/; done
	for f in $(wildcard conf/*.conf); do \
	    [ -e $(SYSCONFDIR)/$$(basename $$f) ] || install -m 644 $$f $(SYSCONFDIR)/; done
	./scripts/install-mibs.sh '$(BASE_MIBS)' '$(DESTDIR)' '$(SNMP_MIBDIR)' \
	    '$(subst $(space),:,$(or $(SNMP_MIBSEARCH),$(SNMP_MIBDIR)))' \
	    $(wildcard conf/*-MIB.txt) -- $(wildcard conf/mibs/*.txt)
	install -d $(UNITDIR) $(SYSUSERSDIR)
	for f in $(wildcard conf/*.service); do u=$(UNITDIR)/$$(basename $$f); \
	    sed -e 's#/usr/sbin/#$(PREFIX)/sbin/#g' \
	        -e 's#/etc/flowsnmp/#$(SYSCONFDIR:$(DESTDIR)%=%)/#g' $$f > $$u && chmod 644 $$u; done
	for f in $(wildcard conf/*.sysusers); do \
	    install -m 644 $$f $(SYSUSERSDIR)/$$(basename $$f .sysusers).conf; done
	for f in $(wildcard docs/*.md); do install -m 644 $$f $(DOCDIR)/; done

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(O) -name '*.d' 2>/dev/null)
