# mlkube: `make up` builds and starts a single-machine cluster; `make test` runs every test.
BUILD ?= build
DATA ?= $(CURDIR)/.data
LISTEN ?= 127.0.0.1:6443
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test up down bench fuzz clean format

all: build

deps:
	@if [ "$$(id -u)" = 0 ]; then ./scripts/install-deps.sh; else sudo ./scripts/install-deps.sh; fi

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

up: build
	@./scripts/up.sh $(BUILD)/mlkube $(DATA) $(LISTEN)

down:
	@./scripts/down.sh $(DATA)

bench: build
	./bench/run.sh $(BUILD)

fuzz:
	./fuzz/run.sh

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')
