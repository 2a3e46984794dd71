# SPDX-License-Identifier: MIT
# 002-4 (seed 002 §三, asynchronous apply): Pool(3), ten apply_async calls, close, join, get:
# ten "PID run" lines from at most three workers, then 0, 1, 4, ..., 81 in submission order.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_lines 20
expect_count 10 '[0-9]+ run'
expect_eq "$(out_lines | tail -n 10 | tr '\n' ' ')" "0 1 4 9 16 25 36 49 64 81 " "the results"
pids=$(out_lines | sed -nE 's/^([0-9]+) run$/\1/p' | sort -u | wc -l)
[ "$pids" -ge 1 ] && [ "$pids" -le 3 ] || fail "$pids distinct worker PIDs, expected 1 to 3"
# join() returned only once every task had run: every "run" line precedes every result.
expect_eq "$(out_lines | head -n 10 | grep -cE '^[0-9]+ run$')" 10 "run lines before the results"
pass
