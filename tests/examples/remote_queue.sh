# SPDX-License-Identifier: MIT
# remote_queue: Python's remote-queue recipe -- one queue shared under 'get_queue' by a TCP
# server (which put a welcome in it before serving), a client putting "hello", another getting
# both, in order.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_lines 3
expect_eq "$(last_field 'got from the remote queue: .*' | tr '\n' ' ')" "welcome hello " "items got, in order"
expect_count 1 'the server has stopped'
pass
