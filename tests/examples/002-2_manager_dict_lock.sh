# SPDX-License-Identifier: MIT
# 002-2 (seed 002 §二): 100 processes decrement a Manager dict's count under a Lock.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_eq "$OUT" "{'count': 0}" "the final dict"
pass
