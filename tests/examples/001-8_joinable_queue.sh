# SPDX-License-Identifier: MIT
# 001-8: JoinableQueue producer/consumer with task_done, join, a None sentinel and a results
# queue (seed 001, multiprocessing_queue.py): every produced task's doubled value comes out, in
# order, after the producer stopped on a value above 0.9.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_all_match 'Produced: [01]\.[0-9]{3}|stop producer|Result: [0-9.]+'
expect_count 1 'stop producer'
expect_before 'stop producer' 'Result: .*'
n=$(count_matching 'Produced: .*')
[ "$n" -ge 1 ] || fail "nothing produced"
expect_count "$n" 'Result: .*'

# Only the last task stops the producer: every earlier one is at most 0.9.
produced=$(last_field 'Produced: .*')
last=$(printf '%s\n' "$produced" | tail -n 1)
awk -v x="$last" 'BEGIN { exit !(x > 0.9) }' || fail "the last task $last is not above 0.9"
for x in $(printf '%s\n' "$produced" | head -n -1); do
  awk -v x="$x" 'BEGIN { exit !(x <= 0.9) }' || fail "task $x above 0.9 did not stop the producer"
done

want=$(printf '%s\n' "$produced" | awk '{ printf "%.3f\n", 2 * $1 }' | tr '\n' ' ')
got=$(last_field 'Result: .*' | awk '{ printf "%.3f\n", $1 }' | tr '\n' ' ')
expect_eq "$got" "$want" "the results, each task's value doubled, in order"
pass
