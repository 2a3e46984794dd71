# SPDX-License-Identifier: MIT
# 002-3 (seed 002 §三, synchronous apply): Pool(3), ten apply calls: ten "PID run" lines from at
# most three distinct workers, then [0, 1, 4, ..., 81].
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_lines 11
expect_count 10 '[0-9]+ run'
expect_eq "$(out_lines | tail -n 1)" "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]" "res_l"
pids=$(out_lines | sed -nE 's/^([0-9]+) run$/\1/p' | sort -u | wc -l)
[ "$pids" -ge 1 ] && [ "$pids" -le 3 ] || fail "$pids distinct worker PIDs, expected 1 to 3"
pass
