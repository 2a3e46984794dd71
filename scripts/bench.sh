#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench.sh -- runs every bench workload and its Python twin and prints the TSV table.
#
# Usage: scripts/bench.sh BUILD_DIR
#
# Runs each program in BUILD_DIR/bench/ (sorted by name).  Each prints one line on stdout,
#   workload<TAB>unit<TAB>better<TAB>multiproc<TAB>limit<TAB>multiproc_cpu<TAB>limit_cpu
# (see bench/bench_util.h); bench/python/<workload>.py, when present, prints its value and its
# CPU in the same way ("value<TAB>cpu"); each peer program BUILD_DIR/bench-peers/<peer> (ZeroMQ,
# nng, Boost.Interprocess; built when their packages are there) is run as `<peer> <workload>`
# and prints "value<TAB>cpu" or exits 3 when it has no such operation.  The table goes to
# stdout and to BUILD_DIR/bench.tsv:
#   workload unit multiproc python limit vs_python vs_limit cpu_mp cpu_py cpu_limit zmq nng boost
# vs_python: how many times better multiproc is than Python (python/multiproc for lower-is-
# better units, multiproc/python for higher).  vs_limit: multiproc's cost over the floor, the
# same mechanism done raw (multiproc/limit for lower, limit/multiproc for higher); 1.00 is the
# floor.  cpu_*: CPU microseconds per operation of every process involved (the program, its
# children and their children), for multiproc, Python and the floor.  zmq, nng, boost: the
# peer's value in the row's unit, '-' where it has no such operation or is not built.
# Each program, its twin and its peers run BENCH_RUNS times (default 3), taking turns; every
# column is the median of its runs.  Diagnostics go to stderr.  BENCH_SCALE (default 1) scales
# the iteration counts inside the programs; PYTHON picks the interpreter (default python3).
# Exits non-zero if any workload fails.
set -u

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir=$1
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
runs=${BENCH_RUNS:-3}
bench_dir=$build_dir/bench
peers=(zmq nng boost)

if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "bench.sh: BENCH_RUNS must be a positive integer, got '$runs'" >&2
  exit 2
fi
if [ ! -d "$bench_dir" ]; then
  echo "bench.sh: no $bench_dir (build the project first)" >&2
  exit 2
fi

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
echo "# machine: nproc=$(nproc), cpu=${cpu:-unknown}, kernel=$(uname -r);" \
  "date: $(date -u '+%Y-%m-%d %H:%M UTC'); BENCH_SCALE=${BENCH_SCALE:-1}, BENCH_RUNS=$runs" >&2

tab=$'\t'
table="workload${tab}unit${tab}multiproc${tab}python${tab}limit${tab}vs_python${tab}vs_limit"
table+="${tab}cpu_mp${tab}cpu_py${tab}cpu_limit${tab}$(IFS=$tab; echo "${peers[*]}")"
failed=0
count=0

# Whether $1 is a plain non-negative number, as the programs print them.
is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }

# The median of the numbers given as arguments, '-' when there are none.
median() {
  [ $# -eq 0 ] && { echo -; return; }
  printf '%s\n' "$@" | LC_ALL=C sort -g | awk '{v[NR] = $1} END {
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for prog in $(find "$bench_dir" -maxdepth 1 -type f -perm -u+x -printf '%f\n' | LC_ALL=C sort); do
  count=$((count + 1))
  mps=() limits=() pys=() mpcpus=() limcpus=() pycpus=() ok=1 workload='' unit='' better=''
  declare -A peer_vals=()
  # C program, Python twin and peers take turns, so a change in the machine's load between
  # them does not land on one column only; each column is the median of its runs.
  for ((run = 1; run <= runs; run++)); do
    echo "## $prog (run $run/$runs)" >&2
    if ! line=$("$bench_dir/$prog"); then
      echo "bench.sh: $prog failed" >&2
      ok=0
      break
    fi
    IFS=$tab read -r w u b mp limit mpcpu limcpu extra <<<"$line"
    if [ -n "${extra:-}" ] || [ -z "${limcpu:-}" ] || ! is_number "$mp" ||
      ! is_number "$limit" || { [ "$b" != lower ] && [ "$b" != higher ]; } ||
      { [ -n "$workload" ] && [ "$w/$u/$b" != "$workload/$unit/$better" ]; }; then
      echo "bench.sh: $prog printed a malformed line: '$line'" >&2
      ok=0
      break
    fi
    workload=$w unit=$u better=$b
    mps+=("$mp") limits+=("$limit")
    is_number "$mpcpu" && mpcpus+=("$mpcpu")
    is_number "$limcpu" && limcpus+=("$limcpu")
    # A _sleep row (bench/bench_variant.h) shares its twin with the row it varies: Python's
    # waits always sleep.
    twin=$root/bench/python/${workload%_sleep}.py
    if [ -f "$twin" ]; then
      if ! out=$("$python" "$twin"); then
        echo "bench.sh: Python twin $twin failed (output '$out')" >&2
        ok=0
        break
      fi
      IFS=$tab read -r py pycpu <<<"$out"
      if ! is_number "$py"; then
        echo "bench.sh: Python twin $twin printed '$out'" >&2
        ok=0
        break
      fi
      pys+=("$py")
      is_number "${pycpu:-}" && pycpus+=("$pycpu")
    fi
    for peer in "${peers[@]}"; do
      exe=$build_dir/bench-peers/$peer
      [ -x "$exe" ] || continue
      out=$("$exe" "$workload")
      prc=$?
      [ $prc -eq 3 ] && continue # the peer has no such operation
      IFS=$tab read -r pv pc <<<"$out"
      if [ $prc -ne 0 ] || ! is_number "${pv:-}"; then
        echo "bench.sh: peer $peer failed on $workload (status $prc, output '$out')" >&2
        ok=0
        break 2
      fi
      echo "bench.sh: $workload: peer $peer $pv $unit, cpu ${pc:-?} us/op" >&2
      peer_vals[$peer]+="$pv "
    done
  done
  if [ "$ok" -eq 0 ]; then
    failed=1
    continue
  fi
  mp=$(median "${mps[@]}")
  limit=$(median "${limits[@]}")
  py=$(median "${pys[@]}")
  cpus="$(median "${mpcpus[@]}")$tab$(median "${pycpus[@]}")$tab$(median "${limcpus[@]}")"
  peer_cols=''
  for peer in "${peers[@]}"; do
    # shellcheck disable=SC2086 # the runs' values, space-separated
    peer_cols+="$tab$(median ${peer_vals[$peer]:-})"
  done

  row=$(awk -v w="$workload" -v u="$unit" -v b="$better" -v m="$mp" -v p="$py" -v l="$limit" '
    function ratio(x, y) { return (y + 0 == 0) ? "-" : sprintf("%.2f", x / y) }
    BEGIN {
      OFS = "\t"
      if (p == "-") { vp = "-"; ps = "-" }
      else { vp = (b == "lower") ? ratio(p, m) : ratio(m, p); ps = sprintf("%.2f", p) }
      vl = (b == "lower") ? ratio(m, l) : ratio(l, m)
      print w, u, sprintf("%.2f", m), ps, sprintf("%.2f", l), vp, vl
    }')
  table+=$'\n'"$row$tab$cpus$peer_cols"
  unset peer_vals
done

if [ "$count" -eq 0 ]; then
  echo "bench.sh: no workload programs in $bench_dir" >&2
  exit 1
fi

# The MPI rows exist only where libmultiproc-mpi was built (an MPI was installed): say so
# rather than leave them out silently.
if ! [ -x "$bench_dir/mpi_pool_map_chunk1" ]; then
  for w in mpi_pool_map_chunk1 mpi_pool_cpu_speedup; do
    table+=$'\n'"$w${tab}skipped: no MPI at build time (openmpi-bin, libopenmpi-dev)"
  done
fi

printf '%s\n' "$table"
printf '%s\n' "$table" >"$build_dir/bench.tsv"
exit "$failed"
