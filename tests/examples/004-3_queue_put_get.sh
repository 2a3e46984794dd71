# SPDX-License-Identifier: MIT
# 004-3 (seed 004): Queue(3), 10 putters, 10 getters, a print Lock: 10 whole lines, each a
# getter's pid and a distinct putter's pid with the time.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_lines 10
expect_all_match '[0-9]+\(get\):[0-9]+\(put\):[0-9]+\.[0-9]{6}'
putters=$(out_lines | sed -nE 's/^[0-9]+\(get\):([0-9]+)\(put\).*/\1/p' | sort -u | wc -l)
expect_eq "$putters" "10" "distinct putter pids"
getters=$(out_lines | sed -nE 's/^([0-9]+)\(get\).*/\1/p' | sort -u | wc -l)
expect_eq "$getters" "10" "distinct getter pids"
pass
