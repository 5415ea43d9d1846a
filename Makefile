# The two commands: `make run` and `make test`. Each installs missing Debian packages,
# configures and builds first.
PRESET ?= default
BUILD_DIR := build/$(PRESET)
CONFIG ?= etc/tradestore.ini
# `make run` builds only what it runs (preset run: no tests, no benchmarks, in build/run) and
# installs only the run dependency set; RUN_PRESET=default runs the test build instead.
RUN_PRESET ?= run
RUN_DIR := build/$(RUN_PRESET)

.PHONY: run run-stack run-build test build configure deps asan tsan fuzz bench bench-replica soak format check-format clean chaos

run: run-build
	mkdir -p var
	@docs=$$(web/swagger/install.sh) || \
	  echo "make run: web/swagger/install.sh failed: /docs will say Swagger UI is missing" >&2; \
	  set -x; TRADESTORE_PLUGIN_DIR=$(CURDIR)/$(RUN_DIR)/plugins TRADESTORE_SWAGGER_UI_DIR="$$docs" \
	  exec $(RUN_DIR)/kernel/tradestored --config $(CONFIG) $(RUN_ARGS)

# REST and Kafka into PostgreSQL on throwaway servers under var/stack/ (README: Run with Kafka
# and PostgreSQL); they stop with the daemon.
run-stack: run-build
	@scripts/install-deps.sh stack
	scripts/run-stack.sh run $(CURDIR)/$(RUN_DIR) $(RUN_ARGS)

run-build:
	@scripts/install-deps.sh run
	@[ -f $(RUN_DIR)/build.ninja ] || cmake --preset $(RUN_PRESET)
	cmake --build --preset $(RUN_PRESET)

test: build
	ctest --preset $(PRESET)

build: configure
	cmake --build --preset $(PRESET)

configure: deps
	@[ -f $(BUILD_DIR)/build.ninja ] || cmake --preset $(PRESET)

deps:
	@scripts/install-deps.sh test

asan:
	$(MAKE) test PRESET=asan

tsan:
	$(MAKE) test PRESET=tsan

# The libFuzzer harnesses (docs/testing.md: Fuzzing), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh fuzz
	@[ -f build/fuzz/build.ninja ] || cmake --preset fuzz
	cmake --build --preset fuzz
	fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

# The long form of the fault suite (tests/chaos/run_chaos.py) on both stores, against a broker
# of its own; the short form runs in `make test` (label chaos).
chaos: build
	@state=$(CURDIR)/$(BUILD_DIR)/chaos-kafka-broker-long; \
	  scripts/kafka-test-broker.sh start $$state && \
	  trap '$(CURDIR)/scripts/kafka-test-broker.sh stop '$$state EXIT; \
	  export TRADESTORED=$(CURDIR)/$(BUILD_DIR)/kernel/tradestored \
	    TRADESTORE_PLUGIN_DIR=$(CURDIR)/$(BUILD_DIR)/plugins \
	    KAFKA_TOOL=$(CURDIR)/$(BUILD_DIR)/tests/kafka/kafka_tool CHAOS_KAFKA_STATE=$$state \
	    PYTHONDONTWRITEBYTECODE=1; \
	  cd tests/chaos && python3 run_chaos.py --store sqlite --form long; sqlite=$$?; \
	  python3 run_chaos.py --store postgres --form long; postgres=$$?; \
	  [ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]

# REST under a draining Kafka backlog into PostgreSQL for SOAK_SECONDS (docs/benchmarks.md).
SOAK_SECONDS ?= 600
soak: build
	SOAK_SECONDS=$(SOAK_SECONDS) bench/backlog_soak.sh $(BUILD_DIR) 1000000 soak

bench: build
	$(BUILD_DIR)/bench/rule_chain_bench
	$(BUILD_DIR)/bench/sqlite_apply_bench
	bench/rest_vs_nginx.sh $(BUILD_DIR) 10s 32

# GET and book reads on the primary against a streaming replica, under Kafka ingest, for
# REPLICA_SECONDS each (docs/benchmarks.md).
REPLICA_SECONDS ?= 20
bench-replica: build
	bench/postgres_replica_reads.sh $(BUILD_DIR) $(REPLICA_SECONDS)

# clang-format 14 (Debian 12's) over the C++ files git tracks: `make format` formats them,
# `make check-format` (.ci/run's first stage) lists those that are not formatted and fails.
format:
	@scripts/install-deps.sh format
	scripts/check-format.sh --fix

check-format:
	@scripts/install-deps.sh format
	scripts/check-format.sh

clean:
	rm -rf build

# Packages (packaging/README.md): `make package` builds the .debs and .rpms into build/package;
# `make test-packages` builds them and tests them in a fresh Debian 12 root (needs root).
.PHONY: package test-packages
package:
	@scripts/install-deps.sh package
	packaging/build.sh

test-packages:
	@scripts/install-deps.sh package
	packaging/tests/run.sh
