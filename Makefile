# iotax: two commands do everything on a fresh Debian 12 machine.
#   make demo   install what is missing, build the programs it runs, run the main job
#   make test   install what is missing, build, run every test (CTest), then
#               build again with AddressSanitizer + UndefinedBehaviorSanitizer
#               (build-asan, clang) and run every test there too

BUILD     ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS      ?= $(shell nproc)
SUDO      := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Debian 12 packages: what the build and the demo need, and what only the
# tests need on top (a real Prometheus, bpftrace, a browser, fuzzing, ...).
BUILD_DEPS := cmake make g++ clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev \
        libpapi-dev libpfm4-dev libabsl-dev prometheus-cpp-dev libcivetweb-dev \
        libgtest-dev libgmock-dev liburing-dev nlohmann-json3-dev libssl-dev libcrypt-dev jq procps
TEST_DEPS  := strace iproute2 prometheus bpftrace gnuplot-nox chromium python3-yaml systemd \
        openssl curl libfuzzer-14-dev libclang-rt-14-dev
DEPS := $(BUILD_DEPS) $(TEST_DEPS)

# The programs `make demo` runs (the tests are not built for it).
DEMO_PROGRAMS := iotax iotax-echo-server iotax-echo-client

# The sanitizer build: ASan (with LeakSanitizer) and UBSan, every finding
# fatal. clang, so the libFuzzer fuzzers (-DIOTAX_FUZZ=ON) build and run here
# too; -O1 and line tables only keep its build short. BPF programs are not
# affected (bpf/BpfSkeleton.cmake compiles them with its own flags).
SAN_BUILD ?= build-asan
SAN_CC    ?= clang
SAN_CXX   ?= clang++
SAN_ENV   := ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:strict_string_checks=1 \
             UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# Longer fuzzing on demand: make fuzz FUZZ_SECONDS=3600 (per fuzzer). New
# inputs collect in build-asan/fuzz/<name>/corpus, crashes in .../artifacts.
FUZZERS      := http_request http_wire iotaxd_flags
FUZZ_SECONDS ?= 600

.PHONY: all deps build-deps build programs demo test sanitize-build test-sanitized fuzz clean

all: build

# Idempotent and fast when everything is there: dpkg-query first, apt-get only
# for what is missing.
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "iotax: installing missing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_missing,$(DEPS))

build-deps:
	$(call install_missing,$(BUILD_DEPS))

configure = cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: deps
	@$(configure)
	@cmake --build $(BUILD) -j $(JOBS)

# Only what the demo runs: a newcomer sees a verdict in minutes, not after
# every test has compiled.
programs: build-deps
	@$(configure)
	@cmake --build $(BUILD) -j $(JOBS) --target $(DEMO_PROGRAMS)

demo: programs
	@clients/demo.sh $(BUILD)/bin

test: build
	@cd $(BUILD) && ctest --output-on-failure --timeout 600
	@$(MAKE) --no-print-directory test-sanitized

sanitize-build: deps
	@CC=$(SAN_CC) CXX=$(SAN_CXX) cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" \
	  -DIOTAX_SANITIZE=address,undefined -DIOTAX_FUZZ=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)

test-sanitized: sanitize-build
	@cd $(SAN_BUILD) && $(SAN_ENV) ctest --output-on-failure --timeout 600

fuzz: sanitize-build
	@for f in $(FUZZERS); do \
	  echo "iotax: fuzzing $$f for $(FUZZ_SECONDS) s"; \
	  mkdir -p $(SAN_BUILD)/fuzz/$$f/corpus $(SAN_BUILD)/fuzz/$$f/artifacts; \
	  $(SAN_ENV) $(SAN_BUILD)/tests/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -timeout=25 \
	    -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=3 \
	    -artifact_prefix=$(SAN_BUILD)/fuzz/$$f/artifacts/ \
	    $(SAN_BUILD)/fuzz/$$f/corpus tests/fuzz/corpus/$$f || exit 1; \
	done

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
