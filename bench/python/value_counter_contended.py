#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/value_counter_contended.c: 2 processes each do
"with v.get_lock(): v.value += 1" n/2 times on one Value('i'); increments per second."""
import multiprocessing
import sys
import time

import benchlib

WORKERS = 2


def work(v, n):
    lock = v.get_lock()
    for _ in range(n):
        with lock:
            v.value += 1


def main():
    ctx = multiprocessing.get_context("fork")
    v = ctx.Value("i", 0)

    def batch(iters):
        n = max(1, iters // WORKERS)
        v.value = 0
        t0 = time.perf_counter_ns()
        ps = [ctx.Process(target=work, args=(v, n)) for _ in range(WORKERS)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        dt = (time.perf_counter_ns() - t0) / 1e9
        if v.value != n * WORKERS:
            sys.exit(f"bench: counter is {v.value}, expected {n * WORKERS}")
        return n * WORKERS / dt

    benchlib.measure("value_counter_contended", batch, benchlib.iters(200000), 5)


if __name__ == "__main__":
    main()
