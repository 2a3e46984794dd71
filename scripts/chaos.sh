#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# chaos.sh -- what `make chaos` runs: builds mp_chaos (tests/chaos/) and runs every primitive
# for CHAOS_SECONDS each (default 70: about ten minutes in all), iterations capped by
# CHAOS_ITERS if set, in a private /dev/shm when it may mount one (so another run's segments
# are not counted as leaks).  Prints the table (tests/chaos/chaos_main.c explains the columns)
# and fails when any lost, duplicated, torn, hangs or leaks figure is nonzero.
#   scripts/chaos.sh [build_dir] [primitive ...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
scripts/deps.sh test
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMP_BUILD_TESTS=ON >/dev/null
cmake --build "$dir" -j"$(nproc)" --target mp_chaos >/dev/null
args=(--seconds "${CHAOS_SECONDS:-70}")
[[ -n ${CHAOS_ITERS:-} ]] && args+=(--iters "$CHAOS_ITERS")
chaos="$dir/tests/chaos/mp_chaos"
if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null; then
  exec unshare -m sh -c 'mount -t tmpfs tmpfs /dev/shm && exec "$@"' sh "$chaos" "${args[@]}" "$@"
fi
exec "$chaos" "${args[@]}" "$@"
