# SPDX-License-Identifier: MIT
# 003-1 (seed 003 §7.2): Producer and Consumer "subclasses" with a Queue: 10 items produced,
# the same 10 consumed in order, a queue size after each put, and the end on an empty queue.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_count 10 'Process Producer : item [0-9]+ appended to queue Producer-1'
expect_count 10 'Process Consumer : item [0-9]+ popped from by Consumer-2 '
expect_count 10 'The size of queue is [0-9]+'
expect_count 1 'the queue is empty'
put=$(out_lines | sed -nE 's/^Process Producer : item ([0-9]+) appended.*/\1/p' | tr '\n' ' ')
got=$(out_lines | sed -nE 's/^Process Consumer : item ([0-9]+) popped.*/\1/p' | tr '\n' ' ')
expect_eq "$got" "$put" "items consumed, in the order produced"
for n in $(last_field 'The size of queue is [0-9]+'); do
  [ "$n" -ge 0 ] && [ "$n" -le 10 ] || fail "queue size $n out of range"
done
expect_before 'Process Producer : item [0-9]+ appended to queue Producer-1' 'Process Consumer : .*'
last=$(out_lines | grep -v '^$' | tail -n 1)
expect_eq "$last" "the queue is empty" "the last line"
pass
