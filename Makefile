# SPDX-License-Identifier: MIT
# The README's commands.  CMake does the building; these targets only sequence it.
#   make demo    install missing Debian packages, build, run the tour of seed twins
#   make test    gcc -Werror build + all tests, then clang ASan/UBSan build + all tests,
#                each under the leak checker
#   make chaos   SIGKILL at random moments, every primitive, ~10 minutes (CHAOS_SECONDS per
#                primitive, CHAOS_ITERS caps iterations); a smoke of it is part of make test
#   make bench   release build, every workload beside its Python twin and raw floor
#   make install PREFIX=/usr/local
BUILD ?= build
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)

.PHONY: all build demo test chaos bench install clean

all: build

build:
	@scripts/deps.sh build
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMP_BUILD_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

test:
	@scripts/test.sh

chaos:
	@scripts/chaos.sh build-chaos

bench:
	@scripts/deps.sh bench
	@cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DMP_BUILD_TESTS=OFF \
	  -DMP_BUILD_EXAMPLES=OFF >/dev/null
	@cmake --build build-bench -j$(JOBS) >&2
	@scripts/bench.sh build-bench

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-tsan build-bench
