#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets (clang, ASan + UBSan + libFuzzer) into fuzz/build/:
#   fuzz_obj_decode    the MessagePack value decoder (src/obj/decode.c)
#   fuzz_conn_frame    a connection's frame reader (src/conn/recv.c)
#   fuzz_auth_client   the client's side of the auth-key handshake (src/conn/auth.c)
#   fuzz_auth_server   the listener's side, in steps (src/conn/handshake.c)
#   fuzz_mgr_request   a manager request as the server decodes it (src/manager/wire.c + args)
#   fuzz_mgr_reply     a manager reply as a client decodes it
# Run one (from the repository root) on its seed corpus, e.g. for ten million inputs:
#   mkdir -p fuzz/build/corpus/conn_frame
#   fuzz/build/fuzz_conn_frame -runs=10000000 -max_len=4096 \
#     fuzz/build/corpus/conn_frame fuzz/corpus/conn_frame
# scripts/fuzz.sh runs them all that way and prints the figures.  New inputs go to
# fuzz/build/corpus/<name> (ignored by git); a crash is written as crash-<sha1>.
# Not part of the CMake build on purpose: it needs clang's libFuzzer runtime.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out="$here/build"
mkdir -p "$out/obj"
CC=${CC:-clang}
flags=(-std=c11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
  -fno-omit-frame-pointer -fno-strict-aliasing -DMP_BUILDING -D_GNU_SOURCE
  -I"$root/include" -I"$root/src")

# The library's sources, instrumented for coverage, once for every target.
objs=()
for src in "$root"/src/*/*.c; do
  rel=${src#"$root/src/"}
  obj="$out/obj/${rel//\//_}.o"
  if [[ ! -e $obj || $src -nt $obj ]]; then
    "$CC" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" &
    while (($(jobs -rp | wc -l) >= ${JOBS:-2})); do wait -n; done
  fi
  objs+=("$obj")
done
wait
ar rcs "$out/libmp_fuzz.a" "${objs[@]}"

for target in obj_decode conn_frame auth_client auth_server mgr_request mgr_reply; do
  "$CC" "${flags[@]}" -fsanitize=fuzzer "$here/fuzz_$target.c" "$out/libmp_fuzz.a" \
    -lmsgpackc -lcrypto -lpthread -lm -o "$out/fuzz_$target"
  echo "built $out/fuzz_$target"
done
