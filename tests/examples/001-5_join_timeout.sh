# SPDX-License-Identifier: MIT
# 001-5: join(1 s) on a daemon that sleeps 2 s (seed 001,
# multiprocessing_ndaemon_join_timeout.py): the join times out, "d.is_alive() True" is printed
# last, and the daemon is ended at main's exit before its "Exiting" line.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_all_match '(Starting:|Exiting :) (daemon|non-daemon) [0-9]+|d\.is_alive\(\) (True|False)'
expect_count 1 'Starting: daemon [0-9]+'
expect_count 1 'Starting: non-daemon [0-9]+'
expect_count 1 'Exiting : non-daemon [0-9]+'
expect_count 1 'd\.is_alive\(\) True'
expect_none 'Exiting : daemon [0-9]+'
expect_eq "$(out_lines | tail -n 1)" "d.is_alive() True" "last line"
expect_lines 4

n=$(last_field 'Starting: non-daemon [0-9]+')
expect_eq "$(last_field 'Exiting : non-daemon [0-9]+')" "$n" "non-daemon Exiting pid"
expect_ne "$(last_field 'Starting: daemon [0-9]+')" "$n" "daemon and non-daemon pids"
pass
