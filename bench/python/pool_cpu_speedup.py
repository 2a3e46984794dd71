#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/pool_cpu_speedup.c: serial time / Pool().map time of 64 equal CPU-bound
tasks (an integer hash loop; fewer rounds than the C side, since the unit is a ratio)."""
import multiprocessing
import time

import benchlib

TASKS = 64
ROUNDS = 20000
MASK = (1 << 64) - 1


def work(seed):
    x = (seed * 0x9E3779B97F4A7C15 + 1) & MASK
    for i in range(ROUNDS):
        x = (((x ^ (x >> 29)) * 0xBF58476D1CE4E5B9) + i) & MASK
    return x >> 1


def run(name, tasks=TASKS, processes=None):
    """Serial time / Pool(processes).map time of `tasks` equal tasks; prints the result line.
    Serves mpi_pool_cpu_speedup.py too."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes) as pool:
        data = list(range(tasks))

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

        benchlib.measure(name, batch, benchlib.iters(1), batches=5, ops_per_iter=tasks)


if __name__ == "__main__":
    run("pool_cpu_speedup")
