# SPDX-License-Identifier: MIT
# 000-5: a sender sends four messages through a Pipe; the receiver prints each until "END"
# (seed 000 §2.2).
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_all_match 'Sent the message: (hello|hey|hru\?|END)|Received the message: (hello|hey|hru\?)'
expect_lines 7
expect_count 1 'Sent the message: END'
expect_none 'Received the message: END'
sent=$(last_field 'Sent the message: .*' | tr '\n' ' ')
recv=$(last_field 'Received the message: .*' | tr '\n' ' ')
expect_eq "$sent" "hello hey hru? END " "messages sent, in order"
expect_eq "$recv" "hello hey hru? " "messages received, in order"
# The sender prints after each send returns, so 'Received hello' may come first; what causality
# does fix is that message i was reported sent before message i+1 could arrive.
expect_before 'Sent the message: hello' 'Received the message: hey'
expect_before 'Sent the message: hey' 'Received the message: hru\?'
pass
