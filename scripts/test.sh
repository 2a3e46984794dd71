#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh -- what `make test` runs: build with gcc and warnings as errors, run every test;
# build with clang under AddressSanitizer + UndefinedBehaviorSanitizer and run them all again.
# Each pass runs under tests/tools/leakcheck, which fails the run if any process or /dev/shm
# entry outlives it; every test case also checks for leaked children and fds itself.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/deps.sh test

run_pass() { # name build_dir cmake_args...
  local name=$1 dir=$2
  shift 2
  echo "==> $name: configure and build ($dir)"
  cmake -S . -B "$dir" -DMP_WERROR=ON -DMP_BUILD_TESTS=ON -DMP_BUILD_EXAMPLES=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  echo "==> $name: run"
  # Serial on purpose: the per-case /dev/shm check must not see another test's segments.
  "$dir/tests/leakcheck" ctest --test-dir "$dir" --output-on-failure
}

# Release: the same optimisation as make bench, so a warning only -O3 finds fails here too.
run_pass "gcc -Werror" build -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release
CK_TIMEOUT_MULTIPLIER=4 \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  run_pass "clang ASan+UBSan" build-asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DMP_SANITIZE=ON -DMP_BUILD_BENCH=OFF
echo "==> make test: all passes green"
