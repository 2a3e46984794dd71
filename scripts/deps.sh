#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deps.sh -- installs the Debian packages multiproc needs to build, test and benchmark, when
# they are missing.  Used by every Makefile entry point, so `make demo` and `make test` work
# on a fresh Debian 12 machine.  Usage: deps.sh [build|test|bench]
set -euo pipefail

need=(gcc make cmake pkg-config libmsgpack-dev libssl-dev)
case "${1:-build}" in
  build) ;;
  # Open MPI for libmultiproc-mpi and its tests (iproute2: the namespaces of the hosts test)
  test) need+=(check libsubunit-dev clang libclang-rt-14-dev binutils python3 g++
               openmpi-bin libopenmpi-dev iproute2 util-linux) ;;
  # the peers of the bench table (bench/peers/): ZeroMQ, nng, Boost.Interprocess
  bench) need+=(python3 libzmq3-dev libnng-dev libboost-dev g++ openmpi-bin libopenmpi-dev) ;;
  *) echo "deps.sh: unknown set '$1' (build, test or bench)" >&2; exit 2 ;;
esac

missing=()
for pkg in "${need[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "deps.sh: missing packages ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
