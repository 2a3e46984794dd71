# SPDX-License-Identifier: MIT
"""Shared by the Python twins of the bench workloads: BENCH_SCALE, and the measurement the C
side uses too (one warm-up batch, then the median of BATCHES batches).  Not a workload itself:
scripts/bench.sh only runs bench/python/<workload>.py for a C workload of that name."""
import os
import resource
import statistics
import sys
import time


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


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:  # the process or thread ended while being read
        return ""


def _tree_cpu_ns(pid, self_):
    """CPU (ns) of live process pid's threads and reaped children, and of its live
    descendants; for this process itself only its descendants (counted by cpu_ns())."""
    total = 0
    if not self_:
        stat = _read(f"/proc/{pid}/stat")
        if stat:
            fields = stat[stat.rindex(")") + 2:].split()
            total += (int(fields[13]) + int(fields[14])) * 10**9 // os.sysconf("SC_CLK_TCK")
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return total
    for tid in tids:
        if not self_:
            sched = _read(f"/proc/{pid}/task/{tid}/schedstat").split()
            if sched:
                total += int(sched[0])
        for child in _read(f"/proc/{pid}/task/{tid}/children").split():
            total += _tree_cpu_ns(int(child), False)
    return total


def cpu_ns():
    """CPU (user + system, ns) used so far by this process, its reaped children and its live
    descendants: the same account as bench_cpu_ns() in bench/bench_util.c."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (time.process_time_ns() + int((ru.ru_utime + ru.ru_stime) * 1e9)
            + _tree_cpu_ns(os.getpid(), True))


def measure(name, batch, n, batches=9, ops_per_iter=1):
    """Runs batch(n // 10) once to warm up, then batch(n) `batches` times; prints the
    diagnostics to stderr and, on stdout, the median and the CPU microseconds per operation
    of the measured batches (ops_per_iter operations per iteration; all processes of the
    tree, see cpu_ns()).  batch returns the batch's value."""
    batch(max(1, n // 10))
    vals = []
    cpu = 0
    for i in range(batches):
        c0 = cpu_ns()
        vals.append(batch(n))
        cpu += cpu_ns() - c0
        print(f"{name}: python batch {i + 1}  {vals[-1]:.3f}", file=sys.stderr)
    med = statistics.median(vals)
    cpu_us = cpu / 1e3 / (batches * n * ops_per_iter)
    print(f"{name}: python    min {min(vals):.3f}  median {med:.3f}  max {max(vals):.3f}"
          f"  ({batches} batches x {n} iters), cpu {cpu_us:.4g} us/op", file=sys.stderr)
    print(f"{med:.3f}\t{cpu_us:.4g}")
