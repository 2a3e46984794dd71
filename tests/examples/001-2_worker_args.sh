# SPDX-License-Identifier: MIT
# 001-2: "Worker: N" for each N in 0..4, exactly once each, in any order (seed 001).
source "$(dirname "$0")/lib.sh"
run_example "$@"

for i in 0 1 2 3 4; do
  expect_count 1 "Worker: $i"
done
expect_lines 5
pass
