#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds tests/install/consumer.c against it
# twice -- through the CMake package (shared and static) and through pkg-config -- and runs
# each program.  Usage: run.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/tests/install" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/build/consumer_cmake"
"$tmp/build/consumer_cmake_static"
libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -1)
flags=$(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs multiproc)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$tmp/consumer_pc" "$src/tests/install/consumer.c" $flags
LD_LIBRARY_PATH="$(dirname "$libdir")" "$tmp/consumer_pc"
# The shared library must export the public API and nothing internal.
nm -D --defined-only "$(dirname "$libdir")/libmultiproc.so" | awk '{print $3}' >"$tmp/syms"
if grep -v '^mp_' "$tmp/syms" | grep -v '^_' ; then echo "non-API symbols exported" >&2; exit 1; fi
if grep '^mp__' "$tmp/syms"; then echo "internal mp__ symbols exported" >&2; exit 1; fi
grep -q '^mp_process_start$' "$tmp/syms"
echo "install test ok"
