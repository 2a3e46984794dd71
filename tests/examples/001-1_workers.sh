# SPDX-License-Identifier: MIT
# 001-1: five processes each print "Worker" (seed 001, multiprocessing_simple.py).
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_count 5 'Worker'
expect_lines 5
pass
