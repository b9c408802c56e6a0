# tierledger - build, test and demo. `make` builds bin/tierledger; `make test`
# builds everything again with ASan+UBSan and runs every suite against a
# private PostgreSQL cluster; `make demo` loads the sample fleet into a
# private cluster under build/demo and shows lineage and checks.
CC       ?= cc
PKGS     := libpq libcurl libcjson
WARNINGS := -std=c17 -Wall -Wextra -Werror -Wpedantic -Wconversion -Wformat=2 \
            -Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wwrite-strings -Wvla \
            -Wcast-qual -Wnull-dereference -Wdouble-promotion -Wundef
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -MMD -MP -I.
CFLAGS   ?= -O2 -g
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# -pthread: store_fleet_next reads the next page on a second thread (fleet.h)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -pthread
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -pthread

MODEL_SRC   := $(sort $(wildcard model/*.c))
REPORTS_SRC := $(sort $(wildcard reports/*.c))
CLI_SRC     := $(sort $(wildcard cli/*.c))
COLLECTOR_SRC := $(sort $(wildcard collector/*.c))
STORE_SRC   := $(sort $(wildcard sql/store/*.c))
APP_SRC     := $(MODEL_SRC) $(REPORTS_SRC) $(COLLECTOR_SRC) $(STORE_SRC) $(CLI_SRC)
SQL_FILES   := $(sort $(wildcard sql/migrations/*.sql)) $(sort $(wildcard sql/views/*.sql))
TEST_MODEL_SRC := $(sort $(wildcard tests/model/test_*.c))

Q := $(if $(V),,@)
REL := build/release
TST := build/test

DEPS_FOR := $(if $(filter test,$(MAKECMDGOALS)),test,$(if $(filter demo,$(MAKECMDGOALS)),demo,$(if $(filter bench,$(MAKECMDGOALS)),bench,$(if $(filter fuzz,$(MAKECMDGOALS)),fuzz,build))))
.PHONY: all deps bench fuzz install uninstall man test test-model test-cli check-layers check-bare demo demo-stop clean clean-test \
        format format-check coverage
all: deps bin/tierledger

deps:
	@.ci/ensure-deps $(DEPS_FOR)

# ---- release build -------------------------------------------------------
$(REL)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(WARNINGS) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(REL)/gen/sql_bundle.c: $(SQL_FILES) sql/embed-sql.sh
	@mkdir -p $(dir $@)
	$(Q)sql/embed-sql.sh $(SQL_FILES) > $@.tmp && mv $@.tmp $@

$(REL)/gen/sql_bundle.o: $(REL)/gen/sql_bundle.c
	$(Q)$(CC) $(WARNINGS) -Wno-overlength-strings $(CPPFLAGS) $(CFLAGS) -c $< -o $@

bin/tierledger: $(APP_SRC:%.c=$(REL)/%.o) $(REL)/gen/sql_bundle.o
	@mkdir -p bin
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- sanitizer build for tests ------------------------------------------
$(TST)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC+SAN  $<")
	$(Q)$(CC) $(WARNINGS) $(CPPFLAGS) $(PKG_CFLAGS) -O1 -g $(SANITIZE) -c $< -o $@

$(TST)/gen/sql_bundle.o: $(REL)/gen/sql_bundle.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(WARNINGS) -Wno-overlength-strings $(CPPFLAGS) -O1 -g $(SANITIZE) -c $< -o $@

$(TST)/tierledger: $(APP_SRC:%.c=$(TST)/%.o) $(TST)/gen/sql_bundle.o
	$(Q)$(CC) $(SANITIZE) -o $@ $^ $(PKG_LIBS)

$(TST)/tests/model/%: $(TST)/tests/model/%.o $(MODEL_SRC:%.c=$(TST)/%.o) $(REPORTS_SRC:%.c=$(TST)/%.o)
	$(Q)$(CC) $(SANITIZE) -o $@ $^ $(PKG_LIBS)

TEST_MODEL_BIN := $(TEST_MODEL_SRC:%.c=$(TST)/%)
# the fuzz targets: replayed over their seeds by `make test` (gcc, sanitizers),
# run under libFuzzer by `make fuzz` (clang)
FUZZ_NAMES   := arm import prices time objective
FUZZ_LIB_SRC := $(MODEL_SRC) collector/azure.c collector/azure_mi.c cli/csvfile.c cli/rows.c cli/prices.c
TEST_FUZZ_BIN := $(FUZZ_NAMES:%=$(TST)/tests/fuzz/replay_%)

$(TST)/tests/fuzz/replay_%: $(TST)/tests/fuzz/fuzz_%.o $(TST)/tests/fuzz/replay.o $(FUZZ_LIB_SRC:%.c=$(TST)/%.o)
	$(Q)$(CC) $(SANITIZE) -o $@ $^ $(PKG_LIBS) -lm

TEST_COLLECTOR_SRC := $(sort $(wildcard tests/collector/test_*.c))
TEST_COLLECTOR_BIN := $(TEST_COLLECTOR_SRC:%.c=$(TST)/%)

$(TST)/tests/collector/%: $(TST)/tests/collector/%.o $(MODEL_SRC:%.c=$(TST)/%.o) $(COLLECTOR_SRC:%.c=$(TST)/%.o) \
    $(STORE_SRC:%.c=$(TST)/%.o) $(TST)/gen/sql_bundle.o
	$(Q)$(CC) $(SANITIZE) -o $@ $^ $(PKG_LIBS)
.SECONDARY:

# (bench_model is built, not run: `make bench` must not rot unseen)
test: deps $(TST)/tierledger $(TEST_MODEL_BIN) $(TEST_COLLECTOR_BIN) $(TEST_FUZZ_BIN) bin/tierledger \
      $(REL)/bench/bench_model
	@tests/run-all $(TST)/tierledger $(TEST_MODEL_BIN) $(TEST_COLLECTOR_BIN) $(TEST_FUZZ_BIN)

# one part at a time: `make test-model [CASE=NAME]`, `make test-cli [SUITE=import]`
test-model: $(TEST_MODEL_BIN) $(TEST_COLLECTOR_BIN) $(TEST_FUZZ_BIN)
	@tests/run-all --model-only $(if $(CASE),--case $(CASE)) $(TST)/tierledger $(TEST_MODEL_BIN) \
	    $(if $(CASE),,$(TEST_COLLECTOR_BIN) $(TEST_FUZZ_BIN))

test-cli: deps $(TST)/tierledger bin/tierledger
	@tests/run-all --cli-only $(if $(SUITE),--suite $(SUITE)) $(TST)/tierledger

check-layers:
	@tests/check-layers.sh

# the README's two commands in a fresh minbase Debian 12 root (debootstrap; as root)
check-bare:
	@tests/check-bare.sh

# ---- fuzzing (libFuzzer; `make fuzz FUZZ_SECONDS=N`, each target N seconds) ---
FUZZ := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC  := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

$(FUZZ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC+FUZZ $<")
	$(Q)$(FUZZ_CC) $(WARNINGS) $(CPPFLAGS) $(PKG_CFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ)/fuzz_%: $(FUZZ)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_SRC:%.c=$(FUZZ)/%.o)
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm

fuzz: deps $(FUZZ_NAMES:%=$(FUZZ)/fuzz_%)
	@tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZ) $(FUZZ_NAMES)

# ---- benchmarks (figures, never pass/fail) --------------------------------
$(REL)/bench/bench_model: $(REL)/bench/bench_model.o $(MODEL_SRC:%.c=$(REL)/%.o)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

# SIZE=10k (default), 100k or 1m databases for the import and fleet figures
SIZE      ?= 10k
BENCH_DBS  = $(if $(filter 1m,$(SIZE)),1000000,$(if $(filter 100k,$(SIZE)),100000,10000))
# prints the figures and writes the run into bench/RESULTS.md (bench/run.sh)
bench: deps bin/tierledger $(REL)/bench/bench_model
	@bench/run.sh $(SIZE) $(BENCH_DBS) $(REL)/bench/bench_model

# ---- install (PREFIX, DESTDIR as usual; the units and crontab get PREFIX) ---
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/tierledger
UNITDIR ?= $(LIBDIR)/systemd/system

build/man/tierledger.1: docs/tierledger.1.in docs/man.sh bin/tierledger
	@mkdir -p $(dir $@)
	$(Q)docs/man.sh bin/tierledger docs/tierledger.1.in $(PREFIX) >$@.tmp && mv $@.tmp $@

man: build/man/tierledger.1

install: all build/man/tierledger.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/tierledger $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(LIBDIR)/sysusers.d $(DESTDIR)$(DOCDIR)/examples
	install -m 755 bin/tierledger $(DESTDIR)$(BINDIR)/tierledger
	install -m 755 cron/tierledger-run $(DESTDIR)$(LIBDIR)/tierledger/tierledger-run
	install -m 644 build/man/tierledger.1 $(DESTDIR)$(MANDIR)/man1/tierledger.1
	for f in cron/*.service cron/*.timer; do \
	    sed 's|/usr/local|$(PREFIX)|g' $$f >$(DESTDIR)$(UNITDIR)/$${f#cron/} && chmod 644 $(DESTDIR)$(UNITDIR)/$${f#cron/}; done
	install -m 644 cron/tierledger.sysusers $(DESTDIR)$(LIBDIR)/sysusers.d/tierledger.conf
	sed 's|/usr/local|$(PREFIX)|g' cron/tierledger.crontab >$(DESTDIR)$(DOCDIR)/examples/tierledger.crontab
	install -m 644 cron/tierledger.env.example $(DESTDIR)$(DOCDIR)/examples/tierledger.env
	install -m 644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tierledger $(DESTDIR)$(LIBDIR)/tierledger/tierledger-run \
	    $(DESTDIR)$(MANDIR)/man1/tierledger.1 $(DESTDIR)$(LIBDIR)/sysusers.d/tierledger.conf \
	    $(DESTDIR)$(UNITDIR)/tierledger-collect.service $(DESTDIR)$(UNITDIR)/tierledger-collect.timer \
	    $(DESTDIR)$(UNITDIR)/tierledger-warnings.service $(DESTDIR)$(UNITDIR)/tierledger-warnings.timer
	rm -rf $(DESTDIR)$(DOCDIR)
	-rmdir $(DESTDIR)$(LIBDIR)/tierledger

# ---- demo ----------------------------------------------------------------
demo: deps bin/tierledger
	@tests/demo.sh run

demo-stop:
	@tests/demo.sh stop

# ---- housekeeping --------------------------------------------------------
format:
	clang-format -i model/*.[ch] reports/*.[ch] collector/*.[ch] sql/store/*.[ch] cli/*.[ch] tests/*.h tests/model/*.[ch] tests/collector/*.c tests/fuzz/*.[ch] bench/*.c

format-check:
	clang-format --dry-run --Werror model/*.[ch] reports/*.[ch] collector/*.[ch] sql/store/*.[ch] cli/*.[ch] tests/*.h tests/model/*.[ch] tests/collector/*.c tests/fuzz/*.[ch] bench/*.c

# line coverage per folder, from a test build instrumented instead of sanitized
# (in its own folder, so that `make test` never reuses unsanitized objects)
COV := build/coverage
coverage:
	rm -rf $(COV)
	-$(MAKE) test TST=$(COV) SANITIZE="--coverage -fno-omit-frame-pointer"
	@tests/coverage.sh $(COV)

clean-test:
	rm -rf $(TST) $(COV)

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
