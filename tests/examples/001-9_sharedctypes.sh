# SPDX-License-Identifier: MIT
# 001-9: sharedctypes (seed 001): a child modifies five shared objects; the parent prints
# 49, True, b'HELLO WORLD' (Python 3's bytes repr), [10, 1, 2, 3, 4] and the squared points,
# then the typecode table: 15 typecodes, 'i' is a 4-byte c_int, '?' a c_bool.
source "$(dirname "$0")/lib.sh"
run_example "$@"

expect_eq "$(out_lines | head -n 5 | tr '\n' '|')" \
  "49|True|b'HELLO WORLD'|[10, 1, 2, 3, 4]|[(3.515625, 39.0625), (33.0625, 4.0)]|" \
  "the five values"
expect_count 1 'typecode_to_type:'
expect_count 15 "  '.': ctypes\.c_[a-z]+ +[a-z_ ]+, [0-9] bytes?"
expect_count 1 "  'i': ctypes\.c_int +int, 4 bytes"
expect_count 1 "  'd': ctypes\.c_double +double, 8 bytes"
expect_count 1 "  'u': ctypes\.c_wchar +wchar_t, 4 bytes"
expect_count 1 "  '\?': ctypes\.c_bool +bool, 1 byte"
expect_lines 21
pass
