# SPDX-License-Identifier: MIT
# 002-6 (seed 002 §三, callback): func1 runs in a worker (its PID is not the main PID), the
# callback func2 runs in the main process (its PID is the main PID) and prints func1's 100.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_lines 6
shape=$(out_lines | sed -E 's/(: |>> )[0-9]+$/\1N/' | tr '\n' '|')
expect_eq "$shape" "主进程: N|func1>> N|func1|func2>> N|func2|100|" "the lines, in the seed's order"
main=$(last_field '主进程: [0-9]+')
expect_eq "$(last_field 'func2>> [0-9]+')" "$main" "the callback's pid (the main pid)"
expect_ne "$(last_field 'func1>> [0-9]+')" "$main" "func1's pid (a worker's)"
expect_eq "$(out_lines | tail -n 1)" "100" "the callback's value"
pass
