# SPDX-License-Identifier: MIT
# tests/examples/lib.sh -- shared helpers for the example output tests.  Source it, then:
#
#   run_example "$@"                    run the program given as $1; its stdout lands in $OUT
#   expect_lines N                      $OUT has exactly N lines
#   expect_count N REGEX                exactly N lines match REGEX (whole line, extended regex)
#   expect_none REGEX                   no line matches REGEX
#   expect_all_match REGEX              every line matches REGEX (no interleaved, torn lines)
#   expect_before REGEX1 REGEX2         the first line matching REGEX1 comes before the first
#                                       line matching REGEX2
#   expect_eq A B WHAT / expect_ne ...  compare two values
#   last_field REGEX                    prints the last field of each line matching REGEX
#   pass                                report success
#
# Every check that fails prints "FAIL <test>: <why>" and the program's output, then exits 1.

TEST_NAME=$(basename "$0" .sh)
OUT=""

fail() {
  printf 'FAIL %s: %s\n' "$TEST_NAME" "$*" >&2
  printf -- '--- program output ---\n%s\n--- end of output ---\n' "$OUT" >&2
  exit 1
}

# The program's output, one line per line (nothing at all when it printed nothing).
out_lines() {
  if [ -n "$OUT" ]; then printf '%s\n' "$OUT"; fi
}

run_example() {
  if [ $# -ne 1 ]; then
    echo "usage: bash $0 /path/to/built/$TEST_NAME" >&2
    exit 2
  fi
  [ -x "$1" ] || fail "no executable program at '$1'"
  local rc
  OUT=$("$1")
  rc=$?
  [ "$rc" -eq 0 ] || fail "the program exited with status $rc, expected 0"
}

expect_lines() {
  local n
  n=$(out_lines | grep -c '')
  [ "$n" -eq "$1" ] || fail "expected $1 lines of output, got $n"
}

count_matching() {
  out_lines | grep -cE -- "^($1)\$"
}

expect_count() {
  local n
  n=$(count_matching "$2")
  [ "$n" -eq "$1" ] || fail "expected $1 line(s) matching '$2', got $n"
}

expect_none() {
  local n
  n=$(count_matching "$1")
  [ "$n" -eq 0 ] || fail "expected no line matching '$1', got $n"
}

expect_all_match() {
  local bad
  bad=$(out_lines | grep -vnE -- "^($1)\$" | head -n 1)
  [ -z "$bad" ] || fail "malformed line (want '$1'): line $bad"
}

# Line number of the first line matching REGEX, or nothing.
first_line_no() {
  out_lines | grep -nE -m 1 -- "^($1)\$" | cut -d: -f1
}

expect_before() {
  local a b
  a=$(first_line_no "$1")
  b=$(first_line_no "$2")
  [ -n "$a" ] || fail "no line matches '$1'"
  [ -n "$b" ] || fail "no line matches '$2'"
  [ "$a" -lt "$b" ] || fail "'$1' (line $a) should come before '$2' (line $b)"
}

last_field() {
  out_lines | grep -E -- "^($1)\$" | awk '{ print $NF }'
}

expect_eq() {
  [ "$1" = "$2" ] || fail "$3: '$1' should equal '$2'"
}

expect_ne() {
  [ "$1" != "$2" ] || fail "$3: '$1' should differ from '$2'"
}

pass() {
  printf 'PASS %s\n' "$TEST_NAME"
  exit 0
}
