"""Shared by the Python twins of the bench workloads: BENCH_SCALE, and the measurement the C
side uses too (one warm-up batch, then the median of BATCHES batches).  Not a workload itself:
scripts/bench.sh only runs bench/python/<workload>.py for a C workload of that name."""
import os
import statistics
import sys


def scale():
    """The BENCH_SCALE factor (default 1); a malformed value ends the program."""
    s = os.environ.get("BENCH_SCALE", "")
    if not s:
        return 1.0
    try:
        v = float(s)
    except ValueError:
        v = -1.0
    if not (v > 0.0 and v != float("inf")):
        sys.exit(f"bench: BENCH_SCALE must be a positive number, got {s!r}")
    return v


def iters(base):
    """base iterations scaled by BENCH_SCALE, at least 1."""
    return max(1, int(base * scale() + 0.5))


def measure(name, batch, n, batches=9):
    """Runs batch(n // 10) once to warm up, then batch(n) `batches` times; prints the
    diagnostics to stderr and the median to stdout.  batch returns the batch's value."""
    batch(max(1, n // 10))
    vals = []
    for i in range(batches):
        vals.append(batch(n))
        print(f"{name}: python batch {i + 1}  {vals[-1]:.3f}", file=sys.stderr)
    med = statistics.median(vals)
    print(f"{name}: python    min {min(vals):.3f}  median {med:.3f}  max {max(vals):.3f}"
          f"  ({batches} batches x {n} iters)", file=sys.stderr)
    print(f"{med:.3f}")
