# SPDX-License-Identifier: MIT
# 004-2: a duplex Pipe between two processes (seed 004).
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_lines 2
expect_count 1 'proc2 rec: hello'
expect_count 1 'proc1 rec: hello, too'
expect_before 'proc2 rec: hello' 'proc1 rec: hello, too'
pass
