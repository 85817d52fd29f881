# The two commands: `make run` and `make test`. Both install missing Debian packages
# first (scripts/install-deps.sh, idempotent), then build in Release.
BUILD ?= build
JOBS ?= $(shell nproc)
CONFIG ?= configs/lunarlander_ppo.yaml
RUN_DIR ?= runs/default

.PHONY: all deps build python venv run test bench clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

python: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target fleet_python

# Python test environment: Debian's python3 + Gymnasium (the reference) from PyPI.
venv:
	@bash scripts/setup-test-venv.sh

run: build
	$(BUILD)/bin/fleet run $(CONFIG) --run-dir $(RUN_DIR)

test: build venv
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	bash benchmarks/run_all.sh $(BUILD)

clean:
	rm -rf $(BUILD)
