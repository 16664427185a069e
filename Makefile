# Sluice: the two commands a new user needs.
#   make run    install missing Debian packages, build, start sluiced on ./var
#   make test   install missing Debian packages, build, run every test (ctest)
#
# Both are idempotent: packages already present are not reinstalled, and ccache
# (when present) makes an unchanged rebuild take seconds.

BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
DATA_DIR   ?= var
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

# Debian packages the build, the server and the tests need.
PACKAGES := build-essential cmake pkg-config ccache \
            libcaf-dev libboost-dev libboost-test-dev libboost-system-dev \
            liblmdb-dev libsimdjson-dev libsodium-dev \
            curl jq

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build run test clean

all: build

deps:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD_DIR)/CMakeCache.txt: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	mkdir -p $(DATA_DIR)
	./$(BUILD_DIR)/sluiced --config-file=configs/sluice.conf --data-dir=$(DATA_DIR) \
	  --bootstrap-token-file=$(DATA_DIR)/superuser.token

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
