#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer target for the value decoder:
#   fuzz/build.sh            -> fuzz/build/fuzz_obj_decode (clang, ASan + UBSan + libFuzzer)
# Run it (from the repository root) with the seed corpus, e.g. for ten minutes:
#   mkdir -p fuzz/build/corpus
#   fuzz/build/fuzz_obj_decode -max_total_time=600 -max_len=4096 fuzz/build/corpus fuzz/corpus
# New inputs go to fuzz/build/corpus (ignored by git); a crash is written as crash-<sha1>.
# Not part of the CMake build on purpose: it needs clang's libFuzzer runtime.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out="$here/build"
mkdir -p "$out"
CC=${CC:-clang}
"$CC" -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -fno-omit-frame-pointer -fno-strict-aliasing -DMP_BUILDING -D_GNU_SOURCE \
  -I"$root/include" -I"$root/src" \
  "$here/fuzz_obj_decode.c" "$root"/src/obj/*.c \
  -lmsgpackc -lpthread -lm -o "$out/fuzz_obj_decode"
echo "built $out/fuzz_obj_decode"
