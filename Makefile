# Sluice: the two commands a new user needs.
#   make run    install missing Debian packages, build sluiced, start it on ./var
#   make test   install missing packages, build everything, run every test (ctest)
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
DATA_DIR    ?= var
INGEST_PORT ?= 8080
ADMIN_PORT  ?= 8081
ARGS        ?=
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

# Debian packages the build, the server and the tests need.
PACKAGES := build-essential cmake pkg-config ccache \
            libcaf-dev libboost-dev libboost-test-dev libboost-system-dev \
            liblmdb-dev libsimdjson-dev libsodium-dev \
            libprotobuf-dev protobuf-compiler zlib1g-dev libssl-dev openssl \
            curl jq
# Only the tests need these: promtool (from Debian's prometheus package)
# checks the /metrics exposition.
TEST_PACKAGES := prometheus
# Only the tests need Node.js (it runs the npm clients: the OpenAPI linter, the
# OpenTelemetry and Langfuse SDKs).
# A machine may have it from elsewhere than Debian (whose npm then conflicts):
# Debian's packages are installed only when there is no `npm` at all.
NODE_PACKAGES := nodejs npm

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The build's own output goes here; make run shows it only when it fails.
BUILD_LOG := $(BUILD_DIR)/build.log

.PHONY: all deps test-deps configure build build-server run test node-deps clean

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
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > $(BUILD_DIR)/configure.log 2>&1 \
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

clean:
	rm -rf $(BUILD_DIR)
