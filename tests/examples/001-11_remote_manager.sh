# SPDX-License-Identifier: MIT
# 001-11 (seed 001): a remote manager on 127.0.0.1 with get_list registered through callable=;
# a client connects with the key and sees [] then [1]; a wrong key is refused.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_eq "$OUT" "[]
[1]
connect with a wrong authkey: refused (MP_EAUTH)" "the whole output"
pass
