# pgexchange: the `exchange` PostgreSQL extension (PGXS) and the project's commands.
#
#   make start   install what is missing, build, install, start the local stack
#   make stop    stop the local stack (data kept in .exchange/)
#   make test    every suite against a throwaway cluster; ends with "N passed, N failed"
#   make bench   every benchmark in short mode; one "BENCH <name> <value> <unit>" per figure
#   make format  clang-format every C file
#   make purity  check that daemon/core and daemon/pipeline do no I/O (also in make test)
#   make fuzz    every fuzz target (fuzz/) for FUZZ_SECONDS (default 180) each
#   make web     the web page's npm packages and vendored chart library (scripts/web.sh)

MODULE_big = exchange
OBJS = extension/exchange.o extension/ticks.o extension/batch.o extension/journal_insert.o \
	extension/publish.o extension/matchd_client.o extension/order_entry.o \
	extension/order_manager.o extension/wallets.o extension/market_data.o extension/candle.o \
	extension/candle_projection.o extension/archival.o extension/append.o \
	daemon/pipeline/jsonkv.o
EXTENSION = exchange
# The install script of the current version (default_version of
# exchange.control) is built from the one current definition of every object:
# sql/src/*.sql, one file per concern, then the reports (reporting/*.sql), in
# that order (each file only uses what the files before it define).  The
# upgrade scripts sql/exchange--A--B.sql are small deltas beside them, kept so
# that existing databases update; exchange--1.0.sql is the first release,
# installed by the install-vs-upgrade test (regress/e2e/install_paths.sh),
# which proves both paths give the same extension.  See docs/architecture.md.
EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" exchange.control)
CURRENT_SCRIPT = sql/exchange--$(EXTVERSION).sql
CURRENT_SOURCES = $(sort $(wildcard sql/src/*.sql)) $(sort $(wildcard reporting/*.sql))
DATA = $(filter-out $(CURRENT_SCRIPT),$(wildcard sql/exchange--*.sql))
DATA_built = $(CURRENT_SCRIPT)
PGFILEDESC = "exchange - system of record of pgexchange"

# pg_regress and isolation suites live in regress/ (sql/, specs/, expected/).
REGRESS = types ticks journal_append journal_reject journal_read reference_data order_entry \
	order_entry_wait executions order_manager candles candles_projection market_data reports surveillance archival fix_sessions upgrade
REGRESS_OPTS = --inputdir=regress --outputdir=build/regress --load-extension=exchange
ISOLATION = fencing concurrent_append notifications order_cancel
ISOLATION_OPTS = --inputdir=regress --outputdir=build/isolation --load-extension=exchange

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(CURDIR)/include
PG_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wno-sign-compare
EXTRA_CLEAN = build

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# A fresh machine without PostgreSQL's build files: install them, then build.
# (make start / test / bench install them too, through scripts/deps.sh.)
all:
	bash scripts/deps.sh
	$(MAKE) all
endif

.PHONY: start stop test chaos bench format web daemon regresscheck isolationcheck unit unit-check \
	install-check-prereq bench-programs fuzz fuzz-check purity

# The SQL suites against the server in PGHOST/PGPORT (scripts/test.sh starts one).
regresscheck: install-check-prereq
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)

isolationcheck: install-check-prereq
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)

install-check-prereq:
	@mkdir -p build/regress build/isolation

$(CURRENT_SCRIPT): $(CURRENT_SOURCES) exchange.control
	@{ printf -- '-- %s: built by the Makefile from sql/src/*.sql and reporting/*.sql;\n' "$@"; \
	   printf -- '-- edit those (and add the delta to the next upgrade script), not this file.\n\n'; \
	   printf '%s\n' '\echo Use "CREATE EXTENSION exchange" to load this file. \quit'; \
	   for f in $(CURRENT_SOURCES); do printf -- '\n-- ==== %s\n' "$$f"; cat "$$f"; done; } > $@.tmp
	@mv $@.tmp $@

# cmocka tests of code shared by the extension and the daemon, plain and sanitized.
UNIT_CFLAGS = -std=c11 -Wall -Wextra -Werror -g -I$(CURDIR)/include
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
build/unit/test_wire: regress/unit/test_wire.c include/exchange_wire.h
	@mkdir -p build/unit
	$(CC) $(UNIT_CFLAGS) -O2 -o $@ $< -lcmocka
build/unit/test_wire_san: regress/unit/test_wire.c include/exchange_wire.h
	@mkdir -p build/unit
	$(CC) $(UNIT_CFLAGS) -O1 $(SAN_FLAGS) -o $@ $< -lcmocka
unit: build/unit/test_wire build/unit/test_wire_san
unit-check: unit
	build/unit/test_wire
	build/unit/test_wire_san
daemon:
	$(MAKE) -C daemon

start:
	@bash scripts/start.sh

# npm ci of web/package-lock.json (once per lock file) and lightweight-charts
# vendored into web/vendor/; make start and make test run it
web:
	@bash scripts/web.sh

stop:
	@bash scripts/stop.sh

test:
	@bash scripts/test.sh

# The long failure drills (regress/chaos/), figures in build/chaos/figures.txt.
chaos:
	@bash scripts/chaos.sh

bench:
	@bash scripts/bench.sh

# libFuzzer targets of every decoder of outside bytes (fuzz/, docs/fuzzing.md):
# FUZZ_SECONDS each (default 180); fuzz-check replays the corpus and fuzzes 20 s each.
fuzz:
	@bash scripts/fuzz.sh

fuzz-check:
	@bash scripts/fuzz.sh --check

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# The pure rule (scripts/purity.sh): no I/O, clock, randomness or exit in the core
# and the pipeline.
purity:
	@bash scripts/purity.sh

# Benchmarks (bench/); scripts/bench.sh runs them against a throwaway cluster.
build/bench/journal_append: bench/journal_append.c include/exchange_wire.h
	@mkdir -p build/bench
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -I$(CURDIR)/include \
		-I$(shell $(PG_CONFIG) --includedir) -o $@ $< -L$(shell $(PG_CONFIG) --libdir) -lpq
bench-programs: build/bench/journal_append
