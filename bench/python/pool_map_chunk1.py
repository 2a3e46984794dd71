#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/pool_map_chunk1.c: Pool().map(f, range(n), chunksize=1) of trivial tasks,
each scheduled on its own; tasks per second.  (20 k tasks per map rather than the C side's
100 k: the rate is what is compared, and Python needs ~30 us per task.)
run() serves pool_map_oversubscribed.py too."""
import multiprocessing
import time

import benchlib

N = 20000


def tiny(x):
    return 2 * x + 1


def run(name, n, processes=None, batches=5):
    """Maps of n tasks with chunksize 1 on Pool(processes); prints the result line."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes) as pool:
        data = range(n)

        def batch(iters):
            t0 = time.perf_counter_ns()
            for _ in range(iters):
                out = pool.map(tiny, data, chunksize=1)
            dt = time.perf_counter_ns() - t0
            assert out[1234] == tiny(1234)
            return iters * n / (dt / 1e9)

        benchlib.measure(name, batch, benchlib.iters(1), batches=batches, ops_per_iter=n)


if __name__ == "__main__":
    run("pool_map_chunk1", N)
