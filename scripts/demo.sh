#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/demo.sh -- the tour: runs every seed twin under examples/ in seed order, each under a
# heading.  Usage: scripts/demo.sh [BUILD_DIR]   (default: build; programs in BUILD_DIR/examples)
#
# To add an example, append one line to EXAMPLES: its program name (the examples/*.c file name
# without .c), then what it shows.  The heading's id and seed come from the name; an example
# that twins no seed (its name does not start with a digit) comes after the twins, headed by
# its name.
EXAMPLES=(
  "000-1_global_not_shared    a child's changes to a global list stay in the child"
  "000-2_value_array          Array('i', 4) and Value('i') shared with a child"
  "000-3_manager_records      Manager list of (name, score) records; p1 appends, p2 prints"
  "000-4_queue_squares        Queue: p1 puts squares, then p2 drains it"
  "000-5_pipe_messages        Pipe: a sender sends 4 messages, the receiver stops at END"
  "001-1_workers              five processes run a worker"
  "001-2_worker_args          target with an argument"
  "001-3_daemon               daemon vs non-daemon, no join"
  "001-4_daemon_join          daemon and non-daemon, both joined"
  "001-5_join_timeout         join with a timeout on a 2 s daemon"
  "001-6_pool_map             Pool(2).map(fib, [35] * 2)"
  "001-7_thread_pool          the same pool code on threads (multiprocessing.dummy), one flag"
  "001-8_joinable_queue       JoinableQueue producer/consumer: task_done, join, a None sentinel"
  "001-9_sharedctypes         Value, RawValue, Array of chars, ints and structs; typecodes"
  "001-10_manager_namespace   Manager Namespace, list and dict modified by a child"
  "001-11_remote_manager      remote manager: get_list served on 127.0.0.1 with an authkey; a wrong key refused"
  "002-1_pipe_hello           Pipe: the child sends a UTF-8 string"
  "002-2_manager_dict_lock    Manager dict {'count': 100}, 100 processes decrement under a Lock"
  "002-3_pool_apply           Pool(3).apply, ten synchronous calls on three workers"
  "002-4_pool_apply_async     Pool(3).apply_async, close, join, then get"
  "002-5_pool_vs_processes    100 Processes vs pool.map over range(100), timed"
  "002-6_pool_callback        apply_async with a callback that runs in the main process"
  "003-1_producer_consumer    Producer and Consumer \"subclasses\" with a Queue; qsize"
  "003-2_pipe_chain           a chain of two pipes through a middle process; EOF ends each stage"
  "004-1_threads_vs_processes threads and processes print their PID under one lock"
  "004-2_duplex_pipe          a duplex Pipe between two processes"
  "004-3_queue_put_get        Queue(3), 10 putters, 10 getters, a print Lock"
  "004-4_tickets_not_shared   10 ticket booths on a global that is not shared"
  "004-4_tickets_shared       the same booths on a shared Value with a Lock: 100 sold"
  "pool_progress              a long pool map followed by a progress bar"
  "remote_queue               Python's remote-queue recipe: one Queue shared over TCP as get_queue"
)

build=${1:-build}
failed=()
for entry in "${EXAMPLES[@]}"; do
  read -r name what <<<"$entry"
  id=${name%%_*}    # 001-1_workers -> 001-1
  seed=${id%%-*}    # 001-1 -> 001
  if [[ $name == [0-9]* ]]; then
    echo "=== $id $what (seed $seed) ==="
  else
    echo "=== $name: $what ==="
  fi
  if [ ! -x "$build/examples/$name" ]; then
    echo "!!! $name is not built in $build/examples" >&2
    failed+=("$name")
  elif ! "$build/examples/$name"; then
    echo "!!! $name failed" >&2
    failed+=("$name")
  fi
  echo
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "demo: ${#failed[@]} example(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "demo: all ${#EXAMPLES[@]} examples ran"
