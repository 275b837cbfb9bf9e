# Front door for crema. The real build is CMake; these targets set up a fresh
# machine first, so `make demo` and `make test` work on their own.
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test demo bench clean fuzz test-sanitize

all: build

deps:
	@bash scripts/install_deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --repeat until-pass:2

demo: build
	@bash scripts/demo.sh $(BUILD_DIR)

bench: build
	@bash bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)

# ---- reliability: fuzzing and sanitizers ----
# make fuzz FUZZ_SECONDS=N: every libFuzzer target (fuzz/) for N seconds each,
# built with clang in build-fuzz; prints target, execs, crashes, coverage.
FUZZ_SECONDS ?= 60
fuzz:
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

# make test-sanitize: the library, the tools and a subset of the tests built
# with gcc's AddressSanitizer + UndefinedBehaviorSanitizer in build-sanitize;
# any report fails the run. The subset fits CI's time limit: core, math, io,
# net, data, solver (not the train-tool runs), the layers (gradient checks
# included) and the fuzz regressions. Left out: the zoo models, compat, e2e,
# the oneDNN engine and the Python module (not built here), the tool smoke
# tests and the script-driven ONNX and monitor tests.
SANITIZE_DIR ?= build-sanitize
SANITIZE_TESTS ?= /tests/(main|support/.*|core/.*|math/.*|io/.*|net/.*|data/.*|layers/.*|fuzz/.*|solver/(solver_test_layers|test_lr_policy|test_solver_errors|test_solver_snapshot|test_solver_updates))\.cpp$$
test-sanitize: deps
	@cmake -S . -B $(SANITIZE_DIR) -DCREMA_SANITIZE=ON -DCREMA_WITH_DNNL=OFF \
	  -DCREMA_WITH_MPI=OFF -DCREMA_WITH_PYTHON=OFF -DCMAKE_BUILD_TYPE=None "-DCMAKE_CXX_FLAGS=-O2 -g1" \
	  "-DCREMA_TEST_SUBSET=$(SANITIZE_TESTS)" $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@cd $(SANITIZE_DIR) && \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -E '^(tool_|onnx_|pictures_)'

