#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fuzz.sh -- builds the libFuzzer targets (fuzz/build.sh) and runs each for FUZZ_RUNS inputs
# (default ten million) on its seed corpus, then prints one row per target:
#   target  runs  seconds  exec/s  cov  ft  corpus  crashes
# Targets may be named as arguments (default: all).  Logs go to fuzz/build/<target>.log, new
# inputs to fuzz/build/corpus/<target>; a crash file is kept as fuzz/build/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${FUZZ_RUNS:-10000000}
fuzz/build.sh >/dev/null
targets=("$@")
((${#targets[@]})) || targets=(obj_decode conn_frame auth_client auth_server mgr_request mgr_reply)
printf 'target\truns\tseconds\texec/s\tcov\tft\tcorpus\tcrashes\n'
status=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/build/corpus/$t"
  log="fuzz/build/$t.log"
  start=$(date +%s)
  crashes=0
  fuzz/build/"fuzz_$t" -runs="$runs" -max_len=4096 -artifact_prefix=fuzz/build/ \
    -print_final_stats=1 "fuzz/build/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1 || crashes=1
  secs=$(($(date +%s) - start))
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  done_runs=$(grep -oE '^Done [0-9]+' "$log" | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | awk '{print $2}')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | awk '{print $2}')
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$last" | awk '{print $2}')
  rate=$(( ${done_runs:-0} / (secs > 0 ? secs : 1) ))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${done_runs:-?}" "$secs" "$rate" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
  ((crashes == 0)) || status=1
done
exit $status
