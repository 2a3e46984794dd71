# SPDX-License-Identifier: MIT
# 000-3 (seed 000 §1.2): a Manager list of records; p1 appends ('Jeff', 8), p2 prints all four.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_eq "$OUT" "New record added!

Name: Sam
Score: 10

Name: Adam
Score: 9

Name: Kevin
Score: 9

Name: Jeff
Score: 8" "the whole output"
pass
