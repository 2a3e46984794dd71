# SPDX-License-Identifier: MIT
# 001-3: daemon vs non-daemon, no join (seed 001, multiprocessing_daemon.py).  The daemon is
# ended when main ends, so its "Exiting" line never appears; the non-daemon prints both lines.
# (Were the daemon left running, it would keep our pipe open and print its line 2 s later.)
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_all_match '(Starting:|Exiting :) (daemon|non-daemon) [0-9]+'
expect_count 1 'Starting: daemon [0-9]+'
expect_count 1 'Starting: non-daemon [0-9]+'
expect_count 1 'Exiting : non-daemon [0-9]+'
expect_none 'Exiting : daemon [0-9]+'
# main sleeps 1 s between the two starts
expect_before 'Starting: daemon [0-9]+' 'Starting: non-daemon [0-9]+'
expect_lines 3

d=$(last_field 'Starting: daemon [0-9]+')
n=$(last_field 'Starting: non-daemon [0-9]+')
expect_eq "$(last_field 'Exiting : non-daemon [0-9]+')" "$n" "non-daemon Exiting pid"
expect_ne "$d" "$n" "daemon and non-daemon pids"
pass
