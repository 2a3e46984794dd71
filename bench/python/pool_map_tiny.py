#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/pool_map_tiny.c: one Pool().map(f, range(n)) of 1 M trivial tasks with
the default chunking, on a pool made beforehand; tasks per second."""
import multiprocessing
import time

import benchlib

N = 1000000


def tiny(x):
    return 2 * x + 1


def main():
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool() as pool:
        data = range(N)

        def batch(iters):
            t0 = time.perf_counter_ns()
            for _ in range(iters):
                out = pool.map(tiny, data)
            dt = time.perf_counter_ns() - t0
            assert out[12345] == tiny(12345)
            return iters * N / (dt / 1e9)

        benchlib.measure("pool_map_tiny", batch, benchlib.iters(1), batches=5, ops_per_iter=N)


if __name__ == "__main__":
    main()
