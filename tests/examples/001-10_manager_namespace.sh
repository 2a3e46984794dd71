# SPDX-License-Identifier: MIT
# 001-10 (seed 001): a child changes a Manager's Namespace, list and dict; the parent sees
# ns.a == 2 (as Python prints; the seed's 1 is wrong), ['a', 'b', 'c'] and {'b': 0}.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_lines 4
expect_count 1 "PID: [0-9]+"
expect_eq "$(out_lines | tail -n 3)" "2
['a', 'b', 'c']
{'b': 0}" "the printed values"
pass
