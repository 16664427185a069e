# Sluice: the two commands a new user needs.
#   make run    install missing Debian packages, build sluiced, start it on ./var
#   make test   install missing packages, build everything, run every test (ctest)
#
# For CI and for finding bugs (docs/testing.md):
#   make test-asan   every test, built with AddressSanitizer + UBSan (build-asan/)
#   make test-tsan   the concurrent tests (ctest label `concurrent`), built with
#                    ThreadSanitizer (build-tsan/), against CAF built with it
#                    from Debian's source (make caf-tsan, once: build-tsan/caf/)
#   make fuzz        builds the libFuzzer targets with clang (build-fuzz/) and
#                    runs each for FUZZ_SECONDS [60] seconds
#   make screenshots the portal's pages, as the browser tests see them, into
#                    docs/screenshots/
#
# Both are idempotent: packages already present are not reinstalled, and ccache
# (when present) makes an unchanged rebuild take seconds.
#
# make run takes these variables (defaults in brackets):
#   INGEST_PORT [8080]   port of the ingest API
#   ADMIN_PORT  [8081]   port of the admin API (bound to 127.0.0.1)
#   DATA_DIR    [var]    data directory; the first superuser token is saved in
#                        $(DATA_DIR)/superuser.token
#   ARGS        []       any other sluiced option, e.g. ARGS=--ingest.threads=2
# e.g.  make run INGEST_PORT=9080 ADMIN_PORT=9081 DATA_DIR=/tmp/sluice

BUILD_DIR   ?= build
BUILD_TYPE  ?= RelWithDebInfo
# ON: build/ is a unity build (CMake option SLUICE_UNITY): about a third less
# time from nothing, more to rebuild after an edit. Takes effect when build/
# is configured (a fresh one). CI's make test sets it; the sanitizer and fuzz
# builds are unity builds always.
UNITY       ?= OFF
DATA_DIR    ?= var
INGEST_PORT ?= 8080
ADMIN_PORT  ?= 8081
ARGS        ?=
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

# Debian packages the build, the server and the tests need.
PACKAGES := build-essential cmake pkg-config ccache \
            libcaf-dev libboost-dev libboost-test-dev libboost-system-dev \
            liblmdb-dev libsimdjson-dev libsodium-dev libisal-dev \
            libprotobuf-dev protobuf-compiler zlib1g-dev libssl-dev openssl \
            curl jq
# Only the tests need these: promtool (from Debian's prometheus package)
# checks the /metrics exposition; clang-format checks the sources' layout;
# Chromium (driven by puppeteer-core from tests/node, no WebDriver needed)
# runs the portal's browser tests.
TEST_PACKAGES := prometheus clang-format chromium
# Only the tests need Node.js (it runs the npm clients: the OpenAPI linter, the
# OpenTelemetry and Langfuse SDKs).
# A machine may have it from elsewhere than Debian (whose npm then conflicts):
# Debian's packages are installed only when there is no `npm` at all.
NODE_PACKAGES := nodejs npm

# Only make test-tsan needs this: dpkg-source unpacks CAF's Debian source
# (tests/sanitizers/build-caf-tsan).
TSAN_PACKAGES := dpkg-dev

# Only make fuzz needs these: clang and its libFuzzer runtime.
FUZZ_PACKAGES := clang libclang-rt-14-dev

ASAN_BUILD_DIR ?= build-asan
TSAN_BUILD_DIR ?= build-tsan
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS   ?= 60
FUZZ_TARGETS   ?=
comma := ,
# A sanitizer's finding fails the run: the process stops at the first report
# with a non-zero status (also sluiced, started by the e2e tests, which pass
# their environment on to it; tests/e2e/server.cpp fails the test when its
# output holds a report). Leaks are looked for at exit.
ASAN_ENV := ASAN_OPTIONS=halt_on_error=1:exitcode=86:detect_leaks=1:detect_stack_use_after_return=0:strict_string_checks=1 \
            UBSAN_OPTIONS=halt_on_error=1:exitcode=86:print_stacktrace=1 \
            LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp:print_suppressions=0
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/sanitizers/tsan.supp:print_suppressions=0

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The build's own output goes here; make run shows it only when it fails.
BUILD_LOG := $(BUILD_DIR)/build.log

.PHONY: all deps test-deps configure build build-server run test node-deps clean \
        test-asan caf-tsan test-tsan fuzz fuzz-build screenshots

all: build

# Installs what is missing of $(1), quietly.
define install_missing
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

deps:
	$(call install_missing,$(PACKAGES))

test-deps: deps
	$(call install_missing,$(TEST_PACKAGES))
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian packages: $(NODE_PACKAGES)"; \
	  $(SUDO) apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(NODE_PACKAGES) >/dev/null; }

$(BUILD_DIR)/CMakeCache.txt: CMakeLists.txt
	@mkdir -p $(BUILD_DIR)
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSLUICE_UNITY=$(UNITY) > $(BUILD_DIR)/configure.log 2>&1 \
	  || { cat $(BUILD_DIR)/configure.log; exit 1; }

configure: deps $(BUILD_DIR)/CMakeCache.txt

# Everything: the server, the tests, the benchmarks.
build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only the server, with the compiler's output kept in $(BUILD_LOG).
build-server: configure
	@echo "building sluiced (the first build takes a few minutes; log: $(BUILD_LOG))"
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target sluiced > $(BUILD_LOG) 2>&1 \
	  || { tail -n 40 $(BUILD_LOG); echo "build failed: see $(BUILD_LOG)"; exit 1; }

run: build-server
	@./$(BUILD_DIR)/sluiced --config-file=configs/sluice.conf --data-dir=$(DATA_DIR) \
	  --ingest-port=$(INGEST_PORT) --admin-port=$(ADMIN_PORT) \
	  --bootstrap-token-file=$(DATA_DIR)/superuser.token $(ARGS)

# npm packages of the tests (tests/node/package-lock.json pins each one).
node-deps: test-deps
	@cd tests/node && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm ci --no-audit --no-fund --loglevel=error; fi

test: build node-deps
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The screenshots in docs/screenshots/: the browser tests' run, writing the
# main pages there as well.
screenshots: build-server node-deps
	cd tests/node && SLUICED=$(CURDIR)/$(BUILD_DIR)/sluiced \
	  SLUICE_ARTIFACTS=$(CURDIR)/$(BUILD_DIR)/browser-artifacts \
	  SLUICE_DOCS_SCREENSHOTS=$(CURDIR)/docs/screenshots node browser/portal.mjs

# A build directory of its own per sanitizer: $(1) the directory, $(2) the
# -fsanitize= list, $(3) the targets to build (empty: all).
# Sanitized builds optimise less and keep only line tables (-g1: enough for a
# report's stack trace): measured on net/connection.cpp with ASan+UBSan,
# 33 s against 66 s at -O2 -g, which halves a cold CI build.
SANITIZE_OPT := -O1 -g1 -DNDEBUG
define sanitized_build
	@mkdir -p $(1)
	@[ -f $(1)/CMakeCache.txt ] || cmake -S . -B $(1) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(SANITIZE_OPT)" \
	  -DSLUICE_SANITIZE=$(2) -DSLUICE_UNITY=ON > $(1)/configure.log 2>&1 || { cat $(1)/configure.log; exit 1; }
	cmake --build $(1) -j $(JOBS) $(if $(3),--target $(3))
endef

test-asan: deps node-deps
	$(call sanitized_build,$(ASAN_BUILD_DIR),address$(comma)undefined,)
	cd $(ASAN_BUILD_DIR) && $(ASAN_ENV) ctest --output-on-failure -j $(JOBS)

# Only what the concurrent tests run: the actors' hand-offs, the storage
# pipeline, revocation under load, the HTTP server's threads.
# TSAN_TARGETS / TSAN_CTEST narrow it (e.g. TSAN_CTEST="-R e2e.revocation").
TSAN_TARGETS ?= sluiced e2e_tests net_tests store_tests actors_tests sluice-bench
TSAN_CTEST   ?= -L concurrent
# CAF itself is built with TSan first, once, into $(TSAN_BUILD_DIR)/caf (the
# script does nothing when it is there): see docs/testing.md.
caf-tsan: deps
	$(call install_missing,$(TSAN_PACKAGES))
	@JOBS=$(JOBS) tests/sanitizers/build-caf-tsan $(TSAN_BUILD_DIR)/caf

test-tsan: caf-tsan node-deps
	$(call sanitized_build,$(TSAN_BUILD_DIR),thread,$(TSAN_TARGETS))
	cd $(TSAN_BUILD_DIR) && $(TSAN_ENV) ctest --output-on-failure -j $(JOBS) $(TSAN_CTEST)

fuzz-build: deps
	$(call install_missing,$(FUZZ_PACKAGES))
	@mkdir -p $(FUZZ_BUILD_DIR)
	@[ -f $(FUZZ_BUILD_DIR)/CMakeCache.txt ] || CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) \
	  -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSLUICE_FUZZ=ON -DSLUICE_UNITY=ON > $(FUZZ_BUILD_DIR)/configure.log 2>&1 \
	  || { cat $(FUZZ_BUILD_DIR)/configure.log; exit 1; }
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target fuzzers

# Every fuzz target for FUZZ_SECONDS seconds (FUZZ_TARGETS: only these).
fuzz: fuzz-build
	tests/fuzz/run $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(TSAN_BUILD_DIR) $(FUZZ_BUILD_DIR)
