# SPDX-License-Identifier: MIT
# 003-2: 0..9 squared through a chain of two pipes and a middle process; end of file ends
# each stage, then "End" (seed 003 §7.6).
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_lines 11
expect_eq "$(out_lines | tr '\n' ' ')" "0 1 4 9 16 25 36 49 64 81 End " "output"
pass
