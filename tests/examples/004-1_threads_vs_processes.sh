# SPDX-License-Identifier: MIT
# 004-1: 5 threads and 5 processes print their pid under one lock (seed 004).  Thread pids
# equal the main pid; the 5 process pids are distinct and none is the main pid; every line is
# whole (the lock keeps lines from interleaving); threads are joined before processes start.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_all_match 'Main: [0-9]+|thread [0-9]+|process [0-9]+'
expect_count 1 'Main: [0-9]+'
expect_eq "$(first_line_no 'Main: [0-9]+')" "1" "line number of 'Main: PID'"
expect_count 5 'thread [0-9]+'
expect_count 5 'process [0-9]+'
expect_lines 11

main=$(last_field 'Main: [0-9]+')
for pid in $(last_field 'thread [0-9]+'); do
  expect_eq "$pid" "$main" "thread pid vs main pid"
done
for pid in $(last_field 'process [0-9]+'); do
  expect_ne "$pid" "$main" "process pid vs main pid"
done
expect_eq "$(last_field 'process [0-9]+' | sort -u | grep -c '')" "5" "distinct process pids"

last_thread=$(out_lines | grep -nE '^thread ' | tail -n 1 | cut -d: -f1)
first_process=$(out_lines | grep -nE '^process ' | head -n 1 | cut -d: -f1)
[ "$last_thread" -lt "$first_process" ] ||
  fail "thread lines must all come before process lines (threads are joined first)"
pass
