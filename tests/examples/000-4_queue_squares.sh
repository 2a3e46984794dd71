# SPDX-License-Identifier: MIT
# 000-4 (seed 000 §2.1): p1 puts the squares of 1..4 on a Queue and ends, then p2 prints them in
# order until the queue is empty.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_eq "$OUT" "Queue elements:
1
4
9
16
Queue is now empty!" "the whole output"
pass
