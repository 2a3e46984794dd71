# SPDX-License-Identifier: MIT
# 002-1: a child sends "Hello 妹妹" through a Pipe and the parent prints it (seed 002 §一).
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_count 1 'Hello 妹妹'
expect_lines 1
pass
