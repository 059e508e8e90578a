# CHM build. Programs: bin/<name>.c over the static libchm built from lib/*/*.c
# (the layers: core, sources, engines, cmd; README.md, "Layout").
# SQL from sql/ is compiled in (build/gen/sql_embed.c), so an installed binary
# needs no data directory; `chm migrate` and the loaders read it from there.

PREFIX      ?= /usr/local
DESTDIR     ?=
CC          ?= cc
PKGS        := libpq jansson libcurl libcrypto
PKG_CFLAGS   = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
VERSION     := 0.1.0

CFLAGS      ?= -O2 -g
CFLAGS_EXTRA ?=
WARN        := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wformat=2
ALL_CFLAGS   = -std=c11 -D_GNU_SOURCE -DCHM_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) $(CFLAGS_EXTRA) -Ilib -Ibuild/gen $(PKG_CFLAGS)
SAN_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

LIB_SRC     := $(wildcard lib/*/*.c)
LIB_HDR     := $(wildcard lib/*/*.h)
BIN_SRC     := $(wildcard bin/*.c)
PROGRAMS    := $(patsubst bin/%.c,%,$(BIN_SRC))
SQL_FILES   := $(sort $(wildcard sql/migrations/*.sql sql/queries/*.sql sql/views/*.sql sql/citus/*.sql))

# Two variants: release in build/, sanitized in build/asan/ (what the tests run).
REL_OBJ     := $(patsubst lib/%.c,build/obj/%.o,$(LIB_SRC)) build/obj/sql_embed.o
SAN_OBJ     := $(patsubst lib/%.c,build/asan/obj/%.o,$(LIB_SRC)) build/asan/obj/sql_embed.o
REL_BIN     := $(addprefix build/bin/,$(PROGRAMS))
SAN_BIN     := $(addprefix build/asan/bin/,$(PROGRAMS))

.PHONY: all asan test test-future check deps browser-deps citus demo demo-stop demo-reset clean install bench fuzz fuzz-build
all: $(REL_BIN)
asan: $(SAN_BIN)

build/gen/sql_embed.c: $(SQL_FILES) tools/embed-sql.sh
	@mkdir -p build/gen
	sh tools/embed-sql.sh $(SQL_FILES) > $@.tmp && mv $@.tmp $@

build/obj/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
build/obj/sql_embed.o: build/gen/sql_embed.c
	@mkdir -p build/obj
	$(CC) $(ALL_CFLAGS) -c $< -o $@
build/libchm.a: $(REL_OBJ)
	ar rcs $@ $^
build/bin/%: bin/%.c build/libchm.a $(LIB_HDR)
	@mkdir -p build/bin
	$(CC) $(ALL_CFLAGS) $< -o $@ build/libchm.a $(PKG_LIBS) -lm

build/asan/obj/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@
build/asan/obj/sql_embed.o: build/gen/sql_embed.c
	@mkdir -p build/asan/obj
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@
build/asan/libchm.a: $(SAN_OBJ)
	ar rcs $@ $^
build/asan/bin/%: bin/%.c build/asan/libchm.a $(LIB_HDR)
	@mkdir -p build/asan/bin
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $< -o $@ build/asan/libchm.a $(PKG_LIBS) -lm

# libFuzzer targets (tests/fuzz/): clang with -fsanitize=fuzzer over libchm built
# with ASan+UBSan. `make fuzz` runs each for FUZZ_SECONDS from a corpus seeded
# from fixtures/ (build/fuzz/corpus/<target>); a crash is saved in build/fuzz/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_SOURCES := airflow dbt_cloud dbt_artifact openlineage vendor cron
FUZZ_TARGETS := record time jscan $(addprefix src_,$(FUZZ_SOURCES))
FUZZ_OBJ    := $(patsubst lib/%.c,build/fuzz/obj/%.o,$(LIB_SRC)) build/fuzz/obj/sql_embed.o
FUZZ_BIN    := $(addprefix build/fuzz/bin/fuzz_,$(FUZZ_TARGETS))

build/fuzz/obj/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build/fuzz/obj/sql_embed.o: build/gen/sql_embed.c
	@mkdir -p build/fuzz/obj
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@
build/fuzz/libchm.a: $(FUZZ_OBJ)
	ar rcs $@ $^
build/fuzz/bin/fuzz_src_%: tests/fuzz/fuzz_source.c build/fuzz/libchm.a $(LIB_HDR)
	@mkdir -p build/fuzz/bin
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -DFUZZ_SOURCE='"$*"' \
		-DFUZZ_ROOT='"$(CURDIR)"' $< -o $@ build/fuzz/libchm.a $(PKG_LIBS) -lm
build/fuzz/bin/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libchm.a $(LIB_HDR)
	@mkdir -p build/fuzz/bin
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer $< -o $@ build/fuzz/libchm.a $(PKG_LIBS) -lm

fuzz-build: $(FUZZ_BIN)
fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Installs what this machine lacks (Debian packages); does nothing when all is there.
deps:
	@sh tools/deps.sh

# The npm packages of the browser tests (tests/browser, t0603), by `npm ci`
# from its package-lock.json; does nothing when they are there.
browser-deps: deps
	@sh tools/browser-deps.sh

# Citus into the local PostgreSQL when missing (tools/citus.sh), built from
# CHM_CITUS_SRC; says "skipped" and succeeds when there is no source.
CHM_CITUS_SRC ?= $(CURDIR)/../shared/deps
citus: deps
	@CHM_CITUS_SRC='$(CHM_CITUS_SRC)' sh tools/citus.sh

# The tests run the sanitized build against a throwaway PostgreSQL (tests/setup_suite.bash).
test check: deps browser-deps
	@$(MAKE) --no-print-directory asan all
	CHM_BIN=$(CURDIR)/build/asan/bin bats $(BATS_FLAGS) tests/

# The suite with the clock a year ahead (libfaketime) on the release build: no
# test may depend on today's date. ASan refuses a preloaded library, and the
# fuzz targets are ASan-only, so t0180 sits this one out. man-db's seccomp
# sandbox refuses libfaketime's semaphores, hence MAN_DISABLE_SECCOMP.
FUTURE_OFFSET ?= +365d
FUTURE_TESTS  := $(filter-out tests/t0180-fuzz.bats,$(wildcard tests/t*.bats))
test-future: deps browser-deps
	@$(MAKE) --no-print-directory all
	CHM_BIN=$(CURDIR)/build/bin MAN_DISABLE_SECCOMP=1 faketime -f '$(FUTURE_OFFSET)' bats $(BATS_FLAGS) $(FUTURE_TESTS)

# A demo on a PostgreSQL cluster under .chm/ unless PG* or CHM_DATABASE_URL say otherwise.
demo: deps
	@$(MAKE) --no-print-directory all
	@bash tools/demo.sh

demo-stop:
	@sh tools/localpg.sh stop

# Stops the demo cluster and removes it and the demo's state (.chm/).
demo-reset: demo-stop
	rm -rf .chm/pg .chm/demo .chm/report.html

# Installs under $(DESTDIR)$(PREFIX): programs in bin/, man pages in
# share/man/man1 and man5, the SQL in share/chm/sql (the programs carry their own
# copy; this one is for people and dashboards), the pipeline scripts in
# lib/chm/pipelines, systemd units in $(SYSTEMD_UNIT_DIR), vendor mappings
# in share/chm/vendor, env examples in share/chm/env and the Grafana
# provisioning in share/chm/grafana. The units and env examples are
# rewritten to name the installed paths; /etc/chm stays where it is.
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
CHM_LIBDIR   = $(PREFIX)/lib/chm
CHM_DATADIR  = $(PREFIX)/share/chm
MAN_PAGES   := $(wildcard man/*.1)
MAN5_PAGES  := $(wildcard man/*.5)
PIPE_SCRIPTS := $(wildcard pipelines/*.sh)
UNITS       := $(wildcard pipelines/systemd/*.service pipelines/systemd/*.timer)
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(CHM_DATADIR)/sql $(DESTDIR)$(CHM_DATADIR)/vendor $(DESTDIR)$(CHM_DATADIR)/env \
		$(DESTDIR)$(CHM_DATADIR)/grafana $(DESTDIR)$(CHM_LIBDIR)/pipelines $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -m 0755 $(REL_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 $(MAN5_PAGES) $(DESTDIR)$(PREFIX)/share/man/man5/
	cp -R sql/. $(DESTDIR)$(CHM_DATADIR)/sql/
	install -m 0755 $(filter-out pipelines/common.sh,$(PIPE_SCRIPTS)) $(DESTDIR)$(CHM_LIBDIR)/pipelines/
	install -m 0644 pipelines/common.sh $(DESTDIR)$(CHM_LIBDIR)/pipelines/
	install -m 0644 pipelines/vendors/*.json $(DESTDIR)$(CHM_DATADIR)/vendor/
	cp -R pipelines/grafana/. $(DESTDIR)$(CHM_DATADIR)/grafana/
	for f in pipelines/env/*.env; do \
		sed 's|/usr/local/share/chm/|$(CHM_DATADIR)/|g' $$f >$(DESTDIR)$(CHM_DATADIR)/env/$${f##*/} || exit 1; \
	done
	for f in $(UNITS); do \
		sed -e 's|/usr/local/lib/chm/|$(CHM_LIBDIR)/|g' \
		    -e 's|^ExecStart=.*|&\nEnvironment=CHM_BINDIR=$(PREFIX)/bin|' \
		    $$f >$(DESTDIR)$(SYSTEMD_UNIT_DIR)/$${f##*/} || exit 1; \
		chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$${f##*/}; \
	done

# make bench: CHM against the limit and the peers (tests/bench/bench.sh);
# BENCH_SCALE=10M, BENCH_ROWS="7", BENCH_ORDER=start, BENCH_OUT=dir (see README). Results in build/bench/results.{ndjson,csv,md}.
# BENCH_ENGINE=citus: the same rows (1 2 5 7 by default) on a private Citus cluster (make citus first); results in build/bench-citus/.
build/bench/jparse: tests/bench/jparse.c
	@mkdir -p build/bench
	$(CC) $(ALL_CFLAGS) $< -o $@ $(PKG_LIBS)

bench: deps
	@$(MAKE) --no-print-directory all build/bench/jparse
	bash tests/bench/bench.sh

clean:
	rm -rf build
