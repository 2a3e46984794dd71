# SPDX-License-Identifier: MIT
# 001-4: daemon and non-daemon, both joined (seed 001, multiprocessing_ndaemon_join.py): both
# "Exiting" lines appear, the daemon's last (it sleeps 2 s; the non-daemon starts after 1 s).
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_all_match '(Starting:|Exiting :) (daemon|non-daemon) [0-9]+'
for line in 'Starting: daemon' 'Starting: non-daemon' 'Exiting : non-daemon' 'Exiting : daemon'; do
  expect_count 1 "$line [0-9]+"
done
expect_before 'Starting: daemon [0-9]+' 'Starting: non-daemon [0-9]+'
expect_before 'Exiting : non-daemon [0-9]+' 'Exiting : daemon [0-9]+'
expect_lines 4

d=$(last_field 'Starting: daemon [0-9]+')
n=$(last_field 'Starting: non-daemon [0-9]+')
expect_eq "$(last_field 'Exiting : daemon [0-9]+')" "$d" "daemon Exiting pid"
expect_eq "$(last_field 'Exiting : non-daemon [0-9]+')" "$n" "non-daemon Exiting pid"
expect_ne "$d" "$n" "daemon and non-daemon pids"
pass
