# SPDX-License-Identifier: MIT
# 004-4 (the fix, seed 004 comments): the tickets are a shared Value under a Lock, so the 10
# booths sell exactly 100 in all and none is left.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_count 10 'booth [0-9]: no more tickets, sold [0-9]+'
for k in 0 1 2 3 4 5 6 7 8 9; do
  expect_count 1 "booth $k: no more tickets, sold [0-9]+"
done
total=0
for n in $(last_field 'booth [0-9]: no more tickets, sold [0-9]+'); do total=$((total + n)); done
expect_eq "$total" "100" "tickets sold by the booths together"
expect_count 1 'main: sold 100 in all, 0 left'
expect_lines 11
pass
