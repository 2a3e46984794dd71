# SPDX-License-Identifier: MIT
# 001-7: the pool code of 001-6 on threads (multiprocessing.dummy) and, with the one switch
# flipped, on processes (seed 001, dummy): both give [9227465, 9227465]; thread workers run in
# the main process, process workers do not.
source "$(dirname "$0")/lib.sh"
run_example "$@" # no argument: threads, as the demo runs it

expect_lines 3
expect_count 1 'multiprocessing\.dummy\.Pool\(2\): threads'
expect_count 1 '\[9227465, 9227465\]'
expect_all_match 'multiprocessing\.dummy\.Pool\(2\): threads|\[9227465, 9227465\]|main pid [0-9]+, a worker.s pid [0-9]+'
line=$(out_lines | tail -n 1)
read -r _ _ main _ _ _ worker <<<"${line//,/}"
expect_eq "$worker" "$main" "a thread worker's pid (the main pid)"
threads_result=$(out_lines | sed -n 2p)

# The same program with the switch flipped.
OUT=$("$1" processes) || fail "'$1 processes' exited with status $?"
expect_lines 3
expect_count 1 'multiprocessing\.Pool\(2\): processes'
expect_eq "$(out_lines | sed -n 2p)" "$threads_result" "processes give the threads' results"
line=$(out_lines | tail -n 1)
read -r _ _ main _ _ _ worker <<<"${line//,/}"
expect_ne "$worker" "$main" "a process worker's pid (not the main pid)"
pass
