# SPDX-License-Identifier: MIT
# 000-1: a child's changes to a global stay in the child (seed 000): the child prints
# [1, 4, 9, 16], then the parent, after the join, prints [].
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_count 1 'Result\(in process p1\): \[1, 4, 9, 16\]'
expect_count 1 'Result\(in main program\): \[\]'
expect_before 'Result\(in process p1\).*' 'Result\(in main program\).*'
expect_lines 2
pass
