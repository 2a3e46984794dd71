# SPDX-License-Identifier: MIT
# 001-6: Pool(2).map(fib, [35] * 2) (seed 001, 进程池): both results are fib(35), in a list
# printed as Python shows it.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_lines 1
expect_eq "$OUT" "[9227465, 9227465]" "pool.map(fib, [35] * 2)"
pass
