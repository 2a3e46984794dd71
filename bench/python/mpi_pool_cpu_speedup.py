#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/mpi/mpi_pool_cpu_speedup.c: serial time / Pool(workers).map time of 32
equal CPU-bound tasks, with as many workers as the C side has worker ranks (2 unless
MPI_BENCH_RANKS says otherwise)."""
import multiprocessing
import os
import time

import benchlib
from pool_cpu_speedup import work

TASKS = 32


def main():
    workers = int(os.environ.get("MPI_BENCH_RANKS", "3")) - 1
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        data = list(range(TASKS))

        def batch(iters):
            serial = par = 0
            for _ in range(iters):
                t0 = time.perf_counter_ns()
                expect = [work(x) for x in data]
                t1 = time.perf_counter_ns()
                out = pool.map(work, data)
                t2 = time.perf_counter_ns()
                assert out == expect
                serial += t1 - t0
                par += t2 - t1
            return serial / par

        benchlib.measure("mpi_pool_cpu_speedup", batch, benchlib.iters(1), batches=5,
                         ops_per_iter=TASKS)


if __name__ == "__main__":
    main()
