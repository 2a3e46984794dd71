#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/pool_apply_async_rtt.c: sequential pool.apply_async(f, (i,)).get() of a
trivial task on a pool made beforehand; microseconds per task."""
import multiprocessing
import time

import benchlib


def inc(x):
    return x + 1


def main():
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool() as pool:

        def batch(iters):
            t0 = time.perf_counter_ns()
            for i in range(iters):
                if pool.apply_async(inc, (i,)).get() != i + 1:
                    raise SystemExit("bench: wrong result")
            dt = time.perf_counter_ns() - t0
            return dt / 1000.0 / iters

        benchlib.measure("pool_apply_async_rtt", batch, benchlib.iters(2000))


if __name__ == "__main__":
    main()
