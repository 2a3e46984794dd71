# SPDX-License-Identifier: MIT
# 000-2: Array('i', 4) and Value('i') shared with a child (seed 000): the child and then the
# parent print [1, 4, 9, 16] and 30.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_count 1 'Result\(in process p1\): \[1, 4, 9, 16\]'
expect_count 1 'Sum of squares\(in process p1\): 30'
expect_count 1 'Result\(in main program\): \[1, 4, 9, 16\]'
expect_count 1 'Sum of squares\(in main program\): 30'
expect_before 'Sum of squares\(in process p1\).*' 'Result\(in main program\).*'
expect_lines 4
pass
