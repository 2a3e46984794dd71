# SPDX-License-Identifier: MIT
# 002-5 (seed 002 §三, map): 100 Processes, then pool.map over range(100): both finish (two
# times printed, in seconds) and the pool's time is the lower one.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_lines 2
expect_all_match '[0-9]+\.[0-9]+'
processes=$(out_lines | sed -n 1p)
pool=$(out_lines | sed -n 2p)
awk -v a="$pool" -v b="$processes" 'BEGIN { exit !(a < b) }' ||
  fail "pool.map took $pool s, not less than the 100 processes' $processes s"
pass
