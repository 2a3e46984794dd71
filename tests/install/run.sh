#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the build into a temporary prefix, then builds tests/install/consumer.c and
# consumer.cpp (C++17) against it -- through the CMake package (shared and static) and through
# pkg-config (multiproc and multiproc-static) -- and runs each program.  The shared-library
# consumers are built a second time with MessagePack and OpenSSL hidden from CMake and
# pkg-config, as on a machine without libmsgpack-dev and libssl-dev.
# Usage: run.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(dirname "$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -1)")

cmake -S "$src/tests/install" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null
LD_LIBRARY_PATH="$libdir" "$tmp/build/consumer_cmake"
LD_LIBRARY_PATH="$libdir" "$tmp/build/consumer_cxx"
"$tmp/build/consumer_cmake_static"

# Without the private dependencies' packages: neither CMake nor pkg-config may ask for them.
cmake -S "$src/tests/install" -B "$tmp/build-nodeps" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DMP_CONSUMER_SHARED_ONLY=ON -DCMAKE_DISABLE_FIND_PACKAGE_msgpack=ON \
  -DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON >/dev/null
cmake --build "$tmp/build-nodeps" >/dev/null
LD_LIBRARY_PATH="$libdir" "$tmp/build-nodeps/consumer_cmake"
flags=$(PKG_CONFIG_LIBDIR="$libdir/pkgconfig" pkg-config --cflags --libs multiproc)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$tmp/consumer_pc" "$src/tests/install/consumer.c" $flags
LD_LIBRARY_PATH="$libdir" "$tmp/consumer_pc"
# shellcheck disable=SC2086
c++ -std=c++17 -Wall -Wextra -Werror -pedantic -o "$tmp/consumer_pc_cxx" \
  "$src/tests/install/consumer.cpp" $flags
LD_LIBRARY_PATH="$libdir" "$tmp/consumer_pc_cxx"

# The static archive through pkg-config, with its dependencies.
flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs multiproc-static)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$tmp/consumer_pc_static" "$src/tests/install/consumer.c" $flags
"$tmp/consumer_pc_static"

# The shared library must export the public API and nothing internal.
nm -D --defined-only "$libdir/libmultiproc.so" | awk '{print $3}' >"$tmp/syms"
if grep -v '^mp_' "$tmp/syms" | grep -v '^_' ; then echo "non-API symbols exported" >&2; exit 1; fi
if grep '^mp__' "$tmp/syms"; then echo "internal mp__ symbols exported" >&2; exit 1; fi
grep -q '^mp_process_start$' "$tmp/syms"
echo "install test ok"
