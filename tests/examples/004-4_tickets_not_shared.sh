# SPDX-License-Identifier: MIT
# 004-4 (first half, seed 004 comments): 10 booths decrement a global that is not shared, so
# every booth's first sale leaves 99 and every booth sells 100; the parent still has 100.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_count 10 '[0-9]+ booth [0-9]: now left: 99'
expect_count 10 'booth [0-9]: no more tickets, sold 100'
expect_count 1 'main: tickets left in the main process: 100'
for k in 0 1 2 3 4 5 6 7 8 9; do
  expect_count 1 "booth $k: no more tickets, sold 100"
done
expect_eq "$(last_field '[0-9]+ booth [0-9]: now left: 99' | wc -l)" "10" "sale lines"
expect_eq "$(out_lines | grep -E ': now left: 99$' | awk '{print $1}' | sort -u | wc -l)" "10" \
  "distinct booth pids"
expect_lines 21
pass
