#!/usr/bin/env python3
"""Python twin of bench/pool_map_oversubscribed.c: Pool(32).map(f, range(n), chunksize=1) of
trivial tasks, each scheduled on its own, on 32 workers whatever the machine has; tasks per
second.  100 k tasks per map, as the C side."""
import multiprocessing
import time

import benchlib

N = 100000


def tiny(x):
    return 2 * x + 1


def main():
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(32) as pool:
        data = range(N)

        def batch(iters):
            t0 = time.perf_counter_ns()
            for _ in range(iters):
                out = pool.map(tiny, data, chunksize=1)
            dt = time.perf_counter_ns() - t0
            assert out[1234] == tiny(1234)
            return iters * N / (dt / 1e9)

        benchlib.measure("pool_map_oversubscribed", batch, benchlib.iters(1), batches=3, ops_per_iter=N)


if __name__ == "__main__":
    main()
