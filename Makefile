# Thin wrapper over CMake for the README's two commands.
#   make run    install missing packages, build, run scenarios/default.json
#   make test   install missing packages, build, run every test
#   make asan   the test suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench  every benchmark, one figure per line
#   make bench-scale  opt-in: 10^7-node analytic swarm, 10^5 requests (minutes, ~17+ GB)
#   make fuzz   every libFuzzer harness (tests/fuzz) for FUZZ_SECONDS each (clang)
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

.PHONY: all deps build run test asan bench bench-scale fuzz clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/shardsim run

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSS_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

bench: build
	@for b in $(BUILD)/bench/bench_*; do [ -x "$$b" ] && "$$b" || exit 1; done

bench-scale: build
	$(BUILD)/bench/bench_swarm scenarios/volunteer-swarm-10m.json

fuzz:
	@bash scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) build-asan build-fuzz
