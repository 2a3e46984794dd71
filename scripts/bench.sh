#!/usr/bin/env bash
# bench.sh -- runs every bench workload and its Python twin and prints the TSV table.
#
# Usage: scripts/bench.sh BUILD_DIR
#
# Runs each program in BUILD_DIR/bench/ (sorted by name).  Each prints one line on stdout,
#   workload<TAB>unit<TAB>better<TAB>multiproc<TAB>limit
# (see bench/bench_util.h); bench/python/<workload>.py, when present, prints one number in the
# same unit.  The table goes to stdout and to BUILD_DIR/bench.tsv:
#   workload unit multiproc python limit vs_python vs_limit
# vs_python: how many times better multiproc is than Python (python/multiproc for lower-is-
# better units, multiproc/python for higher).  vs_limit: multiproc's cost over the raw
# system-call floor (multiproc/limit for lower, limit/multiproc for higher); 1.00 is the floor.
# Each program and its twin run BENCH_RUNS times (default 3), taking turns; every column is
# the median of its runs.  Diagnostics go to stderr.  BENCH_SCALE (default 1) scales the
# iteration counts inside the programs; PYTHON picks the interpreter (default python3).
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
failed=0
count=0

# Whether $1 is a plain non-negative number, as the programs print them.
is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }

# The median of the numbers given as arguments.
median() { printf '%s\n' "$@" | LC_ALL=C sort -g | awk '{v[NR] = $1} END {
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for prog in $(find "$bench_dir" -maxdepth 1 -type f -perm -u+x -printf '%f\n' | LC_ALL=C sort); do
  count=$((count + 1))
  mps=() limits=() pys=() ok=1 workload='' unit='' better=''
  # C program and Python twin take turns, so a change in the machine's load between the two
  # does not land on one column only; each column is the median of its runs.
  for ((run = 1; run <= runs; run++)); do
    echo "## $prog (run $run/$runs)" >&2
    if ! line=$("$bench_dir/$prog"); then
      echo "bench.sh: $prog failed" >&2
      ok=0
      break
    fi
    IFS=$tab read -r w u b mp limit extra <<<"$line"
    if [ -n "${extra:-}" ] || [ -z "${limit:-}" ] || ! is_number "$mp" ||
      ! is_number "$limit" || { [ "$b" != lower ] && [ "$b" != higher ]; } ||
      { [ -n "$workload" ] && [ "$w/$u/$b" != "$workload/$unit/$better" ]; }; then
      echo "bench.sh: $prog printed a malformed line: '$line'" >&2
      ok=0
      break
    fi
    workload=$w unit=$u better=$b
    mps+=("$mp") limits+=("$limit")
    twin=$root/bench/python/$workload.py
    if [ -f "$twin" ]; then
      if ! py=$("$python" "$twin") || ! is_number "$py"; then
        echo "bench.sh: Python twin $twin failed (output '$py')" >&2
        ok=0
        break
      fi
      pys+=("$py")
    fi
  done
  if [ "$ok" -eq 0 ]; then
    failed=1
    continue
  fi
  mp=$(median "${mps[@]}")
  limit=$(median "${limits[@]}")
  py=-
  [ ${#pys[@]} -gt 0 ] && py=$(median "${pys[@]}")

  row=$(awk -v w="$workload" -v u="$unit" -v b="$better" -v m="$mp" -v p="$py" -v l="$limit" '
    function ratio(x, y) { return (y + 0 == 0) ? "-" : sprintf("%.2f", x / y) }
    BEGIN {
      OFS = "\t"
      if (p == "-") { vp = "-"; ps = "-" }
      else { vp = (b == "lower") ? ratio(p, m) : ratio(m, p); ps = sprintf("%.2f", p) }
      vl = (b == "lower") ? ratio(m, l) : ratio(l, m)
      print w, u, sprintf("%.2f", m), ps, sprintf("%.2f", l), vp, vl
    }')
  table+=$'\n'"$row"
done

if [ "$count" -eq 0 ]; then
  echo "bench.sh: no workload programs in $bench_dir" >&2
  exit 1
fi

printf '%s\n' "$table"
printf '%s\n' "$table" >"$build_dir/bench.tsv"
exit "$failed"
