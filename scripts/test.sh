#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh -- what `make test` runs: build with gcc and warnings as errors, run every test
# (among them alloc_fail, tests/tools/allocfail.c: a scenario run again with one of its
# allocations failing, for each of them or a sample where libcrypto makes thousands, which must
# end in clean errors, never a crash or a hang); build with clang
# under AddressSanitizer + UndefinedBehaviorSanitizer and run them all again; build with clang
# under ThreadSanitizer and run the thread-heavy tests (TSAN_TESTS).  Each pass runs under
# tests/tools/leakcheck, which fails the run if any process or /dev/shm entry outlives it; every
# test case also checks for leaked children and fds itself.
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

# ThreadSanitizer over the tests whose code runs many threads against shared state: queue,
# locks and the sync primitives, the manager (a thread per transport, clients in threads).
# Debug, to build fast; a report fails the test (halt_on_error: the process reporting exits 66).
# The pool is not in it yet: TSan reports its reads of job memory that the heap has reused (by
# design: src/pool/pool_internal.h, pool_job) and loses track of the registry mutex held
# across fork().
TSAN_TESTS=(test_queue test_queue_lease test_queue_watch test_manager_interrupt test_sync_lock test_sync_rlock test_sync_semaphore test_sync_condition
            test_sync_event test_sync_barrier test_sync_owner_death test_manager
            test_manager_types test_manager_remote)
echo "==> clang TSan: configure and build (build-tsan)"
cmake -S . -B build-tsan -DMP_WERROR=ON -DMP_BUILD_TESTS=ON -DMP_BUILD_EXAMPLES=OFF \
  -DMP_BUILD_BENCH=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DMP_SANITIZE_THREAD=ON >/dev/null
cmake --build build-tsan -j"$jobs" --target "${TSAN_TESTS[@]}" mp_leakcheck >/dev/null
echo "==> clang TSan: run"
tsan_regex="^($(IFS='|'; echo "${TSAN_TESTS[*]}"))\$"
CK_TIMEOUT_MULTIPLIER=4 \
  TSAN_OPTIONS="halt_on_error=1:exitcode=66:die_after_fork=0:suppressions=$PWD/tests/tsan.supp" \
  build-tsan/tests/leakcheck ctest --test-dir build-tsan --output-on-failure -R "$tsan_regex"
echo "==> make test: all passes green"
