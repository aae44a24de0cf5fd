# iotax: two commands do everything on a fresh Debian 12 machine.
#   make demo   install what is missing, build, run the main job
#   make test   install what is missing, build, run every test (CTest)

BUILD     ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS      ?= $(shell nproc)
SUDO      := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Debian 12 packages the build, the tests and the demo need.
DEPS := cmake make g++ clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev \
        libpapi-dev libpfm4-dev libabsl-dev prometheus-cpp-dev libcivetweb-dev \
        libgtest-dev libgmock-dev liburing-dev strace procps iproute2 prometheus \
        bpftrace gnuplot-nox nlohmann-json3-dev jq chromium

.PHONY: all deps build demo test clean

all: build

# Idempotent and fast when everything is there: dpkg-query first, apt-get only
# for what is missing.
deps:
	@missing=""; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "iotax: installing missing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@clients/demo.sh $(BUILD)/bin

test: build
	@cd $(BUILD) && ctest --output-on-failure --timeout 600

clean:
	rm -rf $(BUILD)
