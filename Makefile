# exposured: plain Makefile. `make` builds build/exposured; `make check` runs every test.
# Knobs: SANITIZE=1 (ASan+UBSan), WERROR=0 (for packagers), CC=clang, PREFIX, DESTDIR.

CC ?= cc
PREFIX ?= /usr/local
BUILD ?= build
WERROR ?= 1
SANITIZE ?= 0
PYTEST ?= /usr/bin/python3 -m pytest

PKGS := libsystemd libmicrohttpd sqlite3 json-c libcurl

WARN := -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wcast-qual -Wimplicit-fallthrough -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif

ifeq ($(SANITIZE),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDOPT := -fsanitize=address,undefined
else
OPT := -O2 -g -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=$(shell $(CC) -D_FORTIFY_SOURCE=3 -O2 -E -x c /dev/null >/dev/null 2>&1 && echo 3 || echo 2) \
       -fstack-protector-strong -fPIE
LDOPT := -pie -Wl,-z,relro,-z,now
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
CFLAGS_ALL = -D_GNU_SOURCE $(WARN) $(OPT) -Idaemon -I$(BUILD) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(LDOPT) $(LDFLAGS)

SRCS := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
OBJS := $(patsubst daemon/%.c,$(BUILD)/obj/%.o,$(SRCS)) $(BUILD)/obj/embedded.o
HDRS := $(wildcard daemon/*.h)
SQL := $(sort $(wildcard sql/*.sql))
WEB := $(sort $(wildcard web/*.html web/*.css web/*.js web/*.svg))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test-*.c))
TEST_HELPERS := $(filter-out tests/unit/test-%.c,$(wildcard tests/unit/*.c))

.PHONY: all run check check-valgrind fuzz fuzz-ci check-unit check-integration deps deps-test \
        deps-integration deps-deb deb install uninstall clean regen-golden bench lint

all: $(BUILD)/exposured

deps:
	@tools/deps.sh build

deps-test:
	@tools/deps.sh build test

deps-integration:
	@tools/deps.sh build test integration deb

deps-deb:
	@tools/deps.sh build test deb

ifeq ($(V),1)
Q :=
else
Q := @
endif

$(BUILD)/obj/%.o: daemon/%.c $(HDRS) | $(BUILD)/obj
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/embedded.c: tools/embed.sh $(SQL) $(WEB) | $(BUILD)
	{ tools/embed.sh sql_migrations $(SQL) && tools/embed.sh web_assets $(WEB) | sed 1,2d; } > $@.tmp
	mv $@.tmp $@

$(BUILD)/obj/embedded.o: $(BUILD)/embedded.c daemon/embed.h | $(BUILD)/obj
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/libexposured.a: $(OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/exposured: $(BUILD)/obj/main.o $(BUILD)/libexposured.a
	@echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(TEST_HELPERS) $(BUILD)/libexposured.a $(HDRS) | $(BUILD)/tests
	@echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS_ALL) -Itests/unit $(LDFLAGS_ALL) -o $@ $< $(TEST_HELPERS) \
		$(BUILD)/libexposured.a $(PKG_LIBS) -lcmocka

# The fuzz targets as plain stdin/file drivers (fuzz-main.h); check-unit replays their corpora.
FUZZ_DRIVERS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(wildcard tests/fuzz/fuzz-*.c))
$(BUILD)/tests/fuzz-%: tests/fuzz/fuzz-%.c $(TEST_HELPERS) $(BUILD)/libexposured.a $(HDRS) | $(BUILD)/tests
	@echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS_ALL) -Itests/unit $(LDFLAGS_ALL) -o $@ $< $(TEST_HELPERS) \
		$(BUILD)/libexposured.a $(PKG_LIBS)

$(BUILD) $(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

# Unit tests: no root, no running systemd, a few seconds.
check-unit: deps-test
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) $(FUZZ_DRIVERS)
	@set -e; for t in $(UNIT_TESTS); do \
		echo "== $$t"; TOP=$(CURDIR) LOG_TARGET=stderr $$t; done
	@set -e; for d in $(FUZZ_DRIVERS); do c=tests/fuzz/corpus/$${d##*/fuzz-}; \
		echo "== $$d $$c/"; LOG_TARGET=stderr $$d $$c/* >/dev/null; done
	@echo "== tests/check-man.py" && /usr/bin/python3 tests/check-man.py $(BUILD)/exposured

# Integration tests: real systemd in throwaway systemd-nspawn containers (root required).
check-integration: deps-integration all
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "check-integration: needs root to boot systemd-nspawn containers; skipped" >&2; \
	else \
		EXPOSURED=$(CURDIR)/$(BUILD)/exposured $(PYTEST) -p no:cacheprovider -ra --durations=40 tests/integration; \
	fi

check: check-unit check-integration

# The unit tests under valgrind (memcheck, leaks): slower, CI runs it.
check-valgrind: deps-test
	@$(MAKE) --no-print-directory all $(UNIT_TESTS)
	@tools/deps.sh valgrind
	@set -e; for t in $(UNIT_TESTS); do echo "== valgrind $$t"; \
		TOP=$(CURDIR) LOG_TARGET=stderr valgrind -q --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite $$t >$$t.valgrind 2>&1 || \
		{ cat $$t.valgrind; exit 1; }; done

# Fuzz targets (tests/fuzz/fuzz-*.c): libFuzzer binaries with ASan+UBSan in build/fuzz/, the
# library instrumented for coverage. Run one: build/fuzz/fuzz-props tests/fuzz/corpus/props/
# -max_total_time=60. Without libFuzzer each target is also a stdin/file driver (fuzz-main.h).
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
fuzz: deps-test
	@tools/deps.sh sanitize
	$(MAKE) --no-print-directory CC=clang SANITIZE=1 BUILD=build/fuzz \
		CFLAGS=-fsanitize=fuzzer-no-link build/fuzz/libexposured.a
	@set -e; for t in $(FUZZ_TARGETS); do echo "  FUZZ    build/fuzz/$$t"; \
		clang $(WARN) -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined \
		-DFUZZ_LIBFUZZER -Idaemon -Ibuild/fuzz -Itests/unit $(PKG_CFLAGS) -o build/fuzz/$$t \
		tests/fuzz/$$t.c $(TEST_HELPERS) build/fuzz/libexposured.a $(PKG_LIBS); done

# CI's fuzz step: builds the libFuzzer targets, then runs each for FUZZ_SECONDS on a temporary
# copy of its corpus (the tree is never written), -timeout=10 so a hang is a finding too. A crash,
# sanitizer report, leak or hang fails the step; its input is kept in build/fuzz/findings/ (add
# it to the corpus once fixed). Takes (number of targets) x FUZZ_SECONDS, plus the build.
FUZZ_SECONDS ?= 20
fuzz-ci: fuzz
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; mkdir -p build/fuzz/findings; \
	for t in $(FUZZ_TARGETS); do c=$${t#fuzz-}; mkdir -p "$$tmp/$$c" "$$tmp/$$c.out"; \
		cp tests/fuzz/corpus/$$c/* "$$tmp/$$c/"; echo "  FUZZ    $$t $(FUZZ_SECONDS)s"; \
		if ! (cd "$$tmp/$$c.out" && $(CURDIR)/build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
			-timeout=10 -print_final_stats=1 -artifact_prefix="$$tmp/$$c.out/" "$$tmp/$$c" \
			>"$$tmp/$$c.log" 2>&1); then \
			tail -n 60 "$$tmp/$$c.log"; cp "$$tmp/$$c.out"/* build/fuzz/findings/ 2>/dev/null || :; \
			echo "fuzz-ci: $$t failed; input(s) in build/fuzz/findings/" >&2; exit 1; fi; \
		grep -h '^stat::number_of_executed_units' "$$tmp/$$c.log" | sed "s/^/        $$t /"; done

regen-golden: all
	tests/regen-golden.sh $(BUILD)/exposured

# Benchmarks, never part of check: `make bench` (root; boots a systemd container with 10,000
# generated services, about half an hour on 2 shared cores) prints the tables of bench/README.md's
# "scale" section. BENCH_ARGS goes to bench/bench-scale.py (--units 2000 --no-year: quicker).
$(BUILD)/bench/bench-store: bench/bench-store.c $(BUILD)/libexposured.a $(HDRS)
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/libexposured.a $(PKG_LIBS)

bench: all $(BUILD)/bench/bench-store
	/usr/bin/python3 bench/bench-scale.py --exposured $(BUILD)/exposured \
		--bench-store $(BUILD)/bench/bench-store $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)

# Installation. DESTDIR for staging, PREFIX for the layout (unit files point at $(PREFIX)/bin).
# Units and the sysusers file go where systemd looks for a vendor's files, never into /etc, which
# is the administrator's (systemd.unit(5), sysusers.d(5)): PREFIX=/usr asks `pkg-config systemd`
# (/lib/systemd/system on Debian 12, /usr/lib/systemd/system where /usr is merged), any other
# PREFIX uses PREFIX/lib/..., which systemd searches for /usr/local and nothing else. The only
# file in /etc is the example configuration, installed when there is none.
# Every units/*.service, *.socket, *.timer and *.path is installed, and monitoring/ as it is. The preset
# (units/exposured.preset) keeps a first boot from enabling more than the socket.
SYSTEMD_PC = $(shell pkg-config --variable=$(1) systemd 2>/dev/null)
BINDIR = $(PREFIX)/bin
UNITDIR ?= $(strip $(if $(filter /usr,$(PREFIX)),$(or $(call SYSTEMD_PC,systemdsystemunitdir), \
        /usr/lib/systemd/system),$(PREFIX)/lib/systemd/system))
SYSUSERSDIR ?= $(strip $(if $(filter /usr,$(PREFIX)),$(or $(call SYSTEMD_PC,sysusersdir), \
        /usr/lib/sysusers.d),$(PREFIX)/lib/sysusers.d))
PRESETDIR ?= $(strip $(if $(filter /usr,$(PREFIX)),$(or $(call SYSTEMD_PC,systemdsystempresetdir), \
        /usr/lib/systemd/system-preset),$(PREFIX)/lib/systemd/system-preset))
DATADIR = $(PREFIX)/share/exposured
CATALOGDIR = $(PREFIX)/lib/systemd/catalog
MANDIR = $(PREFIX)/share/man
CONFDIR ?= /etc/exposured

UNITS := $(sort $(wildcard units/*.service units/*.socket units/*.timer units/*.path))
SYSUSERS := $(sort $(wildcard units/*.sysusers))
EXAMPLES := $(sort $(wildcard units/*.example units/*.rules.yml))
MONITORING := $(sort $(shell find monitoring -type f 2>/dev/null))

# The service runs in its own root directory that has /usr in it: a BINDIR elsewhere is added.
UNIT_BIND = $(if $(filter /usr/%,$(BINDIR)),,-e 's#^BindReadOnlyPaths=.*#& $(BINDIR)#')
# systemd's unit and sysusers search paths outside /etc and /run (systemd.unit(5)).
SYSTEMD_SEARCHED = /lib/systemd/system /usr/lib/systemd/system /usr/local/lib/systemd/system \
        /usr/lib/sysusers.d /usr/local/lib/sysusers.d

install: all
	install -D -m 0755 $(BUILD)/exposured $(DESTDIR)$(BINDIR)/exposured
	install -d -m 0755 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(CONFDIR) \
		$(DESTDIR)$(PRESETDIR)
	set -e; for u in $(filter %.service,$(UNITS)); do \
		sed -e 's#/usr/local/bin/exposured#$(BINDIR)/exposured#' $(UNIT_BIND) $$u \
			> $(DESTDIR)$(UNITDIR)/$${u##*/}.tmp; \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/}.tmp; \
		mv $(DESTDIR)$(UNITDIR)/$${u##*/}.tmp $(DESTDIR)$(UNITDIR)/$${u##*/}; done
	install -m 0644 $(filter %.socket %.timer %.path,$(UNITS)) $(DESTDIR)$(UNITDIR)/
	install -m 0644 units/exposured.preset $(DESTDIR)$(PRESETDIR)/90-exposured.preset
	set -e; for s in $(SYSUSERS); do n=$${s##*/}; \
		install -m 0644 $$s $(DESTDIR)$(SYSUSERSDIR)/$${n%.sysusers}.conf; done
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DATADIR)/
	set -e; for f in $(MONITORING); do install -D -m 0644 $$f $(DESTDIR)$(DATADIR)/$$f; done
	install -m 0644 man/exposured.8 $(DESTDIR)$(MANDIR)/man8/exposured.8
	install -m 0644 man/exposured.conf.5 $(DESTDIR)$(MANDIR)/man5/exposured.conf.5
	install -D -m 0644 catalog/exposured.catalog $(DESTDIR)$(CATALOGDIR)/exposured.catalog
	test -e $(DESTDIR)$(CONFDIR)/exposured.conf || \
		install -m 0644 units/exposured.conf $(DESTDIR)$(CONFDIR)/exposured.conf
	@test -n "$(DESTDIR)" || echo "Installed. To start: systemd-sysusers && systemctl daemon-reload" \
		"&& systemctl enable --now exposured.socket"
	@test -n "$(filter $(UNITDIR),$(SYSTEMD_SEARCHED))" -a \
		-n "$(filter $(SYSUSERSDIR),$(SYSTEMD_SEARCHED))" || echo "Note: $(UNITDIR) and" \
		"$(SYSUSERSDIR) are not in systemd's search paths: systemd-sysusers" \
		"$(SYSUSERSDIR)/exposured.conf && systemctl link $(UNITDIR)/exposured.service" \
		"$(UNITDIR)/exposured.socket"

# Keeps /etc/exposured/exposured.conf (it may hold local changes) and /var/lib/exposured.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/exposured $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS))) \
		$(patsubst units/%.sysusers,$(DESTDIR)$(SYSUSERSDIR)/%.conf,$(SYSUSERS)) \
		$(DESTDIR)$(PRESETDIR)/90-exposured.preset $(DESTDIR)$(MANDIR)/man8/exposured.8 \
		$(DESTDIR)$(MANDIR)/man5/exposured.conf.5 \
		$(DESTDIR)$(CATALOGDIR)/exposured.catalog
	rm -rf $(DESTDIR)$(DATADIR)

# Debian packages (debian/, tools/build-deb.sh): exposured_VERSION_ARCH.deb and its -dbgsym in
# build/deb/, built from a copy of the tree in that directory (dpkg-buildpackage writes into the
# parent of the tree it builds, which in a fresh CI clone may not be writable), then lintian.
deb: deps-deb
	tools/build-deb.sh -o $(BUILD)/deb

# Static checks of the units, the man page and the scripts. The service's own offline exposure
# must stay at or below 1.0 (--threshold is in tenths). Offline, systemd-analyze loads the file
# alone in a private manager: the installed drop-ins, the running manager's defaults and its
# version are not those of the target system, so the score may differ from the online one. The
# online score, the one that counts, is tested in a real systemd by
# tests/integration/test_units.py (both are 0.1 at the time of writing, on systemd 252).
LINT = $(BUILD)/lint
lint: all
	rm -rf $(LINT) && mkdir -p $(LINT)/man/man8
	sed 's#^ExecStart=/usr/local/bin/exposured#ExecStart=$(CURDIR)/$(BUILD)/exposured#' \
		units/exposured.service > $(LINT)/exposured.service
	sed 's#^ExecStart=/usr/local/bin/exposured#ExecStart=$(CURDIR)/$(BUILD)/exposured#' \
		units/exposured-fleet.service > $(LINT)/exposured-fleet.service
	cp units/exposured.socket $(LINT)/ && cp man/exposured.8 $(LINT)/man/man8/
	MANPATH=$(CURDIR)/$(LINT)/man systemd-analyze verify $(LINT)/exposured.service \
		$(LINT)/exposured.socket $(LINT)/exposured-fleet.service
	systemd-analyze security --offline=true --threshold=10 --no-pager $(LINT)/exposured.service \
		> $(LINT)/security.txt || { cat $(LINT)/security.txt; exit 1; }
	tail -n 1 $(LINT)/security.txt
	systemd-analyze security --offline=true --threshold=10 --no-pager \
		$(LINT)/exposured-fleet.service > $(LINT)/security-fleet.txt || \
		{ cat $(LINT)/security-fleet.txt; exit 1; }
	tail -n 1 $(LINT)/security-fleet.txt
	groff -man -ww -z man/exposured.8
	groff -man -ww -z man/exposured.conf.5
	@set -e; for p in man/exposured.8 man/exposured.conf.5; do echo "man --warnings -l $$p"; \
		w=$$(MANWIDTH=80 man --warnings -l $$p 2>&1 >/dev/null); \
		if [ -n "$$w" ]; then echo "$$w"; exit 1; fi; done
	@if command -v shellcheck >/dev/null; then echo shellcheck tools/*.sh tests/*.sh; \
		shellcheck tools/*.sh tests/*.sh; else echo "lint: shellcheck not installed; skipped"; fi

# Quick start: build, then watch this host's systemd (or a throwaway demo container).
run: deps all
	tools/run-demo.sh
