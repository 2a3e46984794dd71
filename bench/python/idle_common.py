# SPDX-License-Identifier: MIT
"""Shared by the Python twins of the idle_* workloads (bench/idle_common.h): the CPU that the
whole process tree spends while the caller is blocked in one call for IDLE_SECONDS x
BENCH_SCALE (at least 0.2 s).  Prints "us_per_s<TAB>cpu_us" like benchlib.measure."""
import sys
import time

import benchlib

IDLE_SECONDS = 5.0


def seconds():
    return max(0.2, IDLE_SECONDS * benchlib.scale())


def run(name, block):
    """block(secs) blocks about secs seconds in the call measured."""
    secs = seconds()
    c0, t0 = benchlib.cpu_ns(), time.perf_counter_ns()
    block(secs)
    c1, t1 = benchlib.cpu_ns(), time.perf_counter_ns()
    if t1 - t0 < 0.9e9 * secs:
        sys.exit(f"bench: {name}: the call returned after {(t1 - t0) / 1e6:.0f} ms")
    cpu_us = (c1 - c0) / 1e3
    per_s = cpu_us / ((t1 - t0) / 1e9)
    print(f"{name}: python {per_s:.1f} us/s", file=sys.stderr)
    print(f"{per_s:.3f}\t{cpu_us:.4g}")
